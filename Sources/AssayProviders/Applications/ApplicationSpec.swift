public import Assay
import Foundation

/// An application behind an HTTP endpoint, as a spec file describes it:
///
/// ```yaml
/// url: http://127.0.0.1:8000/ask          # {column} placeholders are percent-encoded
/// method: POST                             # GET sends no body
/// headers:
///   Authorization: Bearer ${RAG_TOKEN}     # from the environment when called, never recorded
/// body: {"question": "{inputs}", "top_k": 3}   # default: the row as a JSON object
/// response:
///   output: $.data.answer                  # default: plain text, or the reply's "output"
///   context: $.data.documents[*].text      # the row's context for faithfulness and the judges
///   columns: {doc_ids: "$.data.documents[*].id"}
///   prompt_tokens: $.usage.input_tokens
///   completion_tokens: $.usage.output_tokens
///   cost: $.cost
/// timeout: 30                              # seconds; default --timeout
/// version: "2"                             # part of the cache key: change it when the service changes
/// ```
public struct EndpointSpec: Sendable {
    /// The URL, with `{column}` placeholders (filled percent-encoded).
    public var url: PromptTemplate
    /// GET, POST, PUT or PATCH.
    public var method = "POST"
    /// Request headers; values may name environment variables as `${NAME}`.
    public var headers: [String: String] = [:]
    /// The JSON body; nil sends the row as a JSON object (``ApplicationProtocol``), or nothing with GET.
    public var body: BodyTemplate?
    /// Where the answer and the rest are in the reply.
    public var reply = ReplyFormat()
    /// Seconds one call may take; nil for the command line's `--timeout`.
    public var timeout: Double?
    /// A version of the application, part of the cache key.
    public var version: String?

    /// A spec for a URL, with the defaults above.
    public init(url: String) throws(AssayError) {
        self.url = try PromptTemplate(url)
    }

    /// The columns the request reads.
    public var placeholders: [String] {
        url.placeholders + (body?.placeholders ?? [])
    }

    /// The spec as YAML for a run's `model/spec.yaml`: header values that look secret and were given
    /// literally are replaced by a marker, so the file holds no secret.
    public var yaml: String {
        var lines = ["url: \(quoted(url.source))", "method: \(method)"] + ModelSpecFile.yamlLines(recording: headers, as: "headers")
        if let body { lines.append("body: \(body.source.description)") }
        return ModelSpecFile.yaml(lines, reply: reply, timeout: timeout, version: version)
    }

    static let keys: Set = ["url", "method", "headers", "body", "response", "timeout", "version"]

    static func parse(_ fields: [String: DataValue], path: String) throws(AssayError) -> EndpointSpec {
        try ModelSpecFile.rejectUnknown(fields, known: keys, kind: "an HTTP endpoint spec", path: path)
        guard let url = fields["url"]?.stringValue, url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw .invalidInput("\(path): 'url' must be an http:// or https:// URL")
        }
        var spec = try EndpointSpec(url: url)
        if let method = fields["method"] {
            guard let text = method.stringValue, ["GET", "POST", "PUT", "PATCH"].contains(text.uppercased()) else {
                throw .invalidInput("\(path): 'method' must be GET, POST, PUT or PATCH, not \(method)")
            }
            spec.method = text.uppercased()
        }
        if let headers = fields["headers"] {
            guard case .object(let values) = headers else { throw .invalidInput("\(path): 'headers' must be a mapping") }
            spec.headers = values.mapValues(\.text)
        }
        if let body = fields["body"] {
            guard spec.method != "GET" else { throw .invalidInput("\(path): a GET request has no body; put the row's values in the url") }
            do throws(AssayError) {
                if let text = body.stringValue { spec.body = try BodyTemplate(json: text) } else { spec.body = try BodyTemplate(body) }
            } catch {
                throw .invalidInput("\(path): \(error.message)")
            }
        }
        (spec.reply, spec.timeout, spec.version) = try ModelSpecFile.applicationFields(fields, path: path)
        return spec
    }
}

/// An application run as a command once per row, as a spec file describes it:
///
/// ```yaml
/// command: [python3, answer.py, --top-k, "3"]   # or one string split at spaces; {column} placeholders allowed
/// input: json                                    # the row as JSON on standard input (default), or none
/// env: {RAG_INDEX: ./index, OPENAI_API_KEY: "${OPENAI_API_KEY}"}
/// working_directory: .
/// response: {output: $.answer, context: $.documents}
/// timeout: 30
/// version: "2"
/// ```
///
/// The command reads ``ApplicationProtocol``'s request and prints its reply (plain text or JSON).
/// Files named in the command (a script, an executable) are part of the cache key, so a changed
/// program is asked again.
public struct CommandSpec: Sendable {
    /// The program: a path (`./answer.sh`, `.build/debug/answer`) or a name looked up in `PATH`.
    public var program: String
    /// The program's arguments; they may hold `{column}` placeholders.
    public var arguments: [PromptTemplate]
    /// Whether the row goes to standard input as JSON.
    public var sendsRow = true
    /// Variables added to the environment; values may name others as `${NAME}`.
    public var environment: [String: String] = [:]
    /// Where the command runs; nil for the current folder.
    public var workingDirectory: String?
    /// Where the answer and the rest are in the output.
    public var reply = ReplyFormat()
    /// Seconds one call may take; nil for the command line's `--timeout`.
    public var timeout: Double?
    /// A version of the application, part of the cache key.
    public var version: String?

    /// A spec for a command line (`./answer.sh --fast`), split at spaces outside quotes.
    public init(commandLine: String) throws(AssayError) {
        let words = try Self.split(commandLine)
        guard !words.isEmpty else { throw .invalidInput("the command is empty; give it as exec:PROGRAM [ARGUMENTS]") }
        try self.init(arguments: words)
    }

    /// A spec for a program and its arguments.
    public init(arguments: [String]) throws(AssayError) {
        guard let program = arguments.first, !program.isEmpty else { throw .invalidInput("the command names no program") }
        self.program = program
        var templates: [PromptTemplate] = []
        for argument in arguments.dropFirst() { templates.append(try PromptTemplate(argument)) }
        self.arguments = templates
    }

    /// The columns the command reads in its arguments.
    public var placeholders: [String] { arguments.flatMap(\.placeholders) }

    /// The command as one line, for results and run params.
    public var commandLine: String {
        ([program] + arguments.map(\.source)).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    /// The spec as YAML for a run's `model/spec.yaml` (secret-looking variables given literally are
    /// replaced by a marker).
    public var yaml: String {
        let words = DataValue.list([.string(program)] + arguments.map { .string($0.source) })
        var lines = ["command: \(words.description)", "input: \(sendsRow ? "json" : "none")"]
            + ModelSpecFile.yamlLines(recording: environment, as: "env")
        if let workingDirectory { lines.append("working_directory: \(quoted(workingDirectory))") }
        return ModelSpecFile.yaml(lines, reply: reply, timeout: timeout, version: version)
    }

    static let keys: Set = ["command", "input", "env", "working_directory", "response", "timeout", "version"]

    static func parse(_ fields: [String: DataValue], path: String) throws(AssayError) -> CommandSpec {
        try ModelSpecFile.rejectUnknown(fields, known: keys, kind: "a command spec", path: path)
        var spec: CommandSpec
        switch fields["command"] {
        case .string(let line): spec = try CommandSpec(commandLine: line)
        case .list(let items) where !items.isEmpty: spec = try CommandSpec(arguments: items.map(\.text))
        default: throw .invalidInput("\(path): 'command' must be a list of the program and its arguments, or one string")
        }
        if let input = fields["input"] {
            switch input.stringValue {
            case "json": spec.sendsRow = true
            case "none": spec.sendsRow = false
            default: throw .invalidInput("\(path): 'input' must be json (the row on standard input) or none, not \(input)")
            }
        }
        if let env = fields["env"] {
            guard case .object(let values) = env else { throw .invalidInput("\(path): 'env' must be a mapping") }
            spec.environment = values.mapValues(\.text)
        }
        spec.workingDirectory = fields["working_directory"]?.text
        (spec.reply, spec.timeout, spec.version) = try ModelSpecFile.applicationFields(fields, path: path)
        return spec
    }

    /// Splits a command line at spaces; single or double quotes keep spaces in a word.
    static func split(_ line: String) throws(AssayError) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        for c in line {
            if let open = quote {
                if c == open { quote = nil } else { word.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(c)
                inWord = true
            }
        }
        if quote != nil { throw .invalidInput("the command '\(line)' has an unclosed quote") }
        if inWord { words.append(word) }
        return words
    }
}

extension ReplyFormat {
    static let keys: Set = ["output", "context", "columns", "prompt_tokens", "completion_tokens", "cost"]

    static func parse(_ value: DataValue?, path file: String) throws(AssayError) -> ReplyFormat {
        var format = ReplyFormat()
        guard let value else { return format }
        guard case .object(let fields) = value else { throw .invalidInput("\(file): 'response' must be a mapping of paths") }
        try ModelSpecFile.rejectUnknown(fields, known: keys, kind: "'response'", path: file)
        func path(_ key: String) throws(AssayError) -> ReplyPath? {
            guard let text = fields[key] else { return nil }
            guard let string = text.stringValue else { throw .invalidInput("\(file): response '\(key)' must be a path such as $.answer") }
            do {
                return try ReplyPath(string)
            } catch {
                throw .invalidInput("\(file): response '\(key)': \(error.message)")
            }
        }
        format.output = try path("output")
        if let context = try path("context") { format.columns.append((ApplicationProtocol.contextKey, context)) }
        if let columns = fields["columns"] {
            guard case .object(let paths) = columns else { throw .invalidInput("\(file): response 'columns' must map names to paths") }
            for name in paths.keys.sorted() {
                guard let text = paths[name]?.stringValue else { throw .invalidInput("\(file): response column '\(name)' must be a path") }
                format.columns.append((name, try ReplyPath(text)))
            }
        }
        format.promptTokens = try path("prompt_tokens")
        format.completionTokens = try path("completion_tokens")
        format.cost = try path("cost")
        return format
    }

    /// The `response:` block of a spec file (nothing when every path is the protocol's).
    var yamlLines: [String] {
        var lines: [String] = []
        if let output { lines.append("  output: \(quoted(output.description))") }
        for (name, path) in columns where name == ApplicationProtocol.contextKey {
            lines.append("  context: \(quoted(path.description))")
        }
        let others = columns.filter { $0.name != ApplicationProtocol.contextKey }
        if !others.isEmpty {
            lines.append("  columns:")
            for (name, path) in others { lines.append("    \(quoted(name)): \(quoted(path.description))") }
        }
        if let promptTokens { lines.append("  prompt_tokens: \(quoted(promptTokens.description))") }
        if let completionTokens { lines.append("  completion_tokens: \(quoted(completionTokens.description))") }
        if let cost { lines.append("  cost: \(quoted(cost.description))") }
        return lines.isEmpty ? [] : ["response:"] + lines
    }
}

/// A model spec file of any kind: a chat model (`model:`), an HTTP endpoint (`url:`) or a command
/// (`command:`). `assay evaluate --model-spec FILE` and `--model runs:/RUN_ID/model` read it.
public enum ModelSpecFile: Sendable {
    case chat(ModelSpec)
    case endpoint(EndpointSpec)
    case command(CommandSpec)

    /// Reads a spec file, telling the kind by its keys.
    public static func load(_ path: String) throws(AssayError) -> ModelSpecFile {
        let object = try ModelSpec.loadObject(path)
        guard case .object(let fields) = object else { throw .invalidInput("\(path): a model spec must be a mapping") }
        if fields["url"] != nil { return .endpoint(try EndpointSpec.parse(fields, path: path)) }
        if fields["command"] != nil { return .command(try CommandSpec.parse(fields, path: path)) }
        if fields["model"] != nil { return .chat(try ModelSpec.parse(fields, path: path)) }
        throw .invalidInput(
            "\(path): a model spec names 'model' (a provider's model), 'url' (an HTTP endpoint) or 'command' (a program to run)")
    }

    static func rejectUnknown(_ fields: [String: DataValue], known: Set<String>, kind: String, path: String) throws(AssayError) {
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalidInput("\(path): unknown key '\(unknown)' in \(kind); its keys are \(known.sorted().joined(separator: ", "))")
        }
    }

    /// The keys both application specs have: `response`, `timeout` and `version`.
    static func applicationFields(
        _ fields: [String: DataValue], path: String
    ) throws(AssayError) -> (ReplyFormat, Double?, String?) {
        (try ReplyFormat.parse(fields["response"], path: path), try seconds(fields["timeout"], path: path), fields["version"]?.text)
    }

    /// A mapping of headers or variables as a spec file keeps it: secret-looking values given
    /// literally are replaced by a marker.
    static func yamlLines(recording values: [String: String], as key: String) -> [String] {
        guard !values.isEmpty else { return [] }
        return ["\(key):"]
            + values.keys.sorted().map { "  \(quoted($0)): \(quoted(EnvironmentReferences.recordable(values[$0]!, name: $0)))" }
    }

    /// An application spec's YAML: its own lines, then `response`, `timeout` and `version`.
    static func yaml(_ lines: [String], reply: ReplyFormat, timeout: Double?, version: String?) -> String {
        var lines = lines + reply.yamlLines
        if let timeout { lines.append("timeout: \(timeout)") }
        if let version { lines.append("version: \(quoted(version))") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func seconds(_ value: DataValue?, path: String) throws(AssayError) -> Double? {
        guard let value else { return nil }
        guard let seconds = value.doubleValue, seconds > 0, seconds <= 86400 else {
            throw .invalidInput("\(path): 'timeout' must be a number of seconds between 0 and 86400, not \(value)")
        }
        return seconds
    }
}

/// A string as a YAML (and JSON) double-quoted scalar.
func quoted(_ text: String) -> String { DataValue.string(text).description }
