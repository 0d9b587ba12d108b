public import Assay
import Foundation
import Yams

/// One message of a prompt, with `{column}` placeholders filled per row.
public struct MessageTemplate: Sendable, Hashable {
    /// `system`, `user` or `assistant`.
    public var role: String
    /// The content template.
    public var content: PromptTemplate

    public init(role: String, content: PromptTemplate) {
        self.role = role
        self.content = content
    }
}

/// A model under test, as a file can describe it: the model URI, the prompt's messages and the
/// inference parameters. The Swift form of MLflow's `mlflow.openai.log_model(model, task, messages)`.
///
/// ```yaml
/// model: openai:/gpt-4o-mini
/// messages:
///   - role: system
///     content: Answer the following question in two sentences
///   - role: user
///     content: "{question}"
/// parameters:
///   temperature: 0
///   max_tokens: 200
/// ```
///
/// Optional keys: `base_url`, `proxy_url`, `extra_headers` (a mapping). Secrets never belong here;
/// keys come from the environment.
public struct ModelSpec: Sendable {
    /// The model.
    public var model: ModelURI
    /// The prompt.
    public var messages: [MessageTemplate]
    /// Inference parameters sent with every request (temperature, max_tokens, top_p, seed, stop,
    /// response_format, ...).
    public var parameters: [String: DataValue]
    /// A base URL for the provider.
    public var baseURL: String?
    /// A full request URL used verbatim.
    public var proxyURL: String?
    /// Extra request headers.
    public var extraHeaders: [String: String]

    /// A spec from its parts; with no messages, the prompt is the row's `{inputs}` as one user message.
    public init(
        model: ModelURI, messages: [MessageTemplate] = [], parameters: [String: DataValue] = [:],
        baseURL: String? = nil, proxyURL: String? = nil, extraHeaders: [String: String] = [:]
    ) {
        self.model = model
        self.messages = messages
        self.parameters = parameters
        self.baseURL = baseURL
        self.proxyURL = proxyURL
        self.extraHeaders = extraHeaders
    }

    /// Reads a spec from a YAML or JSON file.
    public static func load(_ path: String) throws(AssayError) -> ModelSpec {
        let object = try loadObject(path)
        guard case .object(let fields) = object else { throw .invalidInput("\(path): a model spec must be a mapping") }
        return try parse(fields, path: path)
    }

    static func parse(_ fields: [String: DataValue], path: String) throws(AssayError) -> ModelSpec {
        let known: Set = ["model", "messages", "parameters", "base_url", "proxy_url", "extra_headers"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalidInput("\(path): unknown key '\(unknown)'; a model spec has \(known.sorted().joined(separator: ", "))")
        }
        guard let uri = fields["model"]?.stringValue else {
            throw .invalidInput("\(path): 'model' (a model URI such as openai:/gpt-4o-mini) is missing")
        }
        var spec = ModelSpec(model: try ModelURI(uri))
        if let messages = fields["messages"] { spec.messages = try parseMessages(messages, path: path) }
        if let parameters = fields["parameters"] {
            guard case .object(let values) = parameters else { throw .invalidInput("\(path): 'parameters' must be a mapping") }
            spec.parameters = values
        }
        spec.baseURL = fields["base_url"]?.stringValue
        spec.proxyURL = fields["proxy_url"]?.stringValue
        if let headers = fields["extra_headers"] {
            guard case .object(let values) = headers else { throw .invalidInput("\(path): 'extra_headers' must be a mapping") }
            spec.extraHeaders = values.mapValues(\.text)
        }
        return spec
    }

    /// Reads a list of `{role, content}` messages from a YAML or JSON file.
    public static func loadMessages(_ path: String) throws(AssayError) -> [MessageTemplate] {
        try parseMessages(try loadObject(path), path: path)
    }

    static func parseMessages(_ value: DataValue, path: String) throws(AssayError) -> [MessageTemplate] {
        guard case .list(let items) = value, !items.isEmpty else {
            throw .invalidInput("\(path): messages must be a non-empty list of {role, content}")
        }
        var messages: [MessageTemplate] = []
        for (i, item) in items.enumerated() {
            guard case .object(let fields) = item, let role = fields["role"]?.stringValue,
                let content = fields["content"]?.stringValue
            else {
                throw .invalidInput("\(path): message \(i + 1) needs a 'role' and a 'content' string")
            }
            guard ["system", "user", "assistant"].contains(role) else {
                throw .invalidInput("\(path): message \(i + 1) has role '\(role)'; use system, user or assistant")
            }
            messages.append(MessageTemplate(role: role, content: try PromptTemplate(content)))
        }
        return messages
    }

    static func loadObject(_ path: String) throws(AssayError) -> DataValue {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .invalidInput("\(path): cannot read the file")
        }
        do {
            return DataValue(yaml: try Yams.load(yaml: text))
        } catch {
            throw .invalidInput("\(path): not valid YAML or JSON: \(error)")
        }
    }

    /// The spec as YAML, for logging with a run (it holds no secrets).
    public var yaml: String {
        var lines = ["model: \(quoted(model.description))"]
        if let baseURL { lines.append("base_url: \(quoted(baseURL))") }
        if let proxyURL { lines.append("proxy_url: \(quoted(proxyURL))") }
        if !messages.isEmpty {
            lines.append("messages:")
            for message in messages {
                lines.append("  - role: \(message.role)")
                lines.append("    content: \(quoted(message.content.source))")
            }
        }
        if !parameters.isEmpty {
            lines.append("parameters:")
            for key in parameters.keys.sorted() { lines.append("  \(key): \(parameters[key]!.description)") }
        }
        if !extraHeaders.isEmpty {
            lines.append("extra_headers:")
            for key in extraHeaders.keys.sorted() { lines.append("  \(quoted(key)): \(quoted(extraHeaders[key]!))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func quoted(_ text: String) -> String { DataValue.string(text).description }

    /// Parses `--param key=value`: the value as JSON when it is JSON (numbers, booleans, objects,
    /// lists), else as a string.
    public static func parameter(_ text: String) throws(AssayError) -> (String, DataValue) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw .invalidInput("the parameter '\(text)' must look like name=value, e.g. temperature=0")
        }
        let name = String(text[..<equals])
        let raw = String(text[text.index(after: equals)...])
        return (name, (try? DataValue(json: raw)) ?? .string(raw))
    }
}

extension DataValue {
    /// Converts what Yams or JSONSerialization produce.
    init(yaml value: Any?) {
        switch value {
        case nil, is NSNull: self = .null
        case let b as Bool: self = .bool(b)
        case let i as Int: self = .int(i)
        case let d as Double: self = .double(d)
        case let s as String: self = .string(s)
        case let list as [Any]: self = .list(list.map { DataValue(yaml: $0) })
        case let map as [String: Any]: self = .object(map.mapValues { DataValue(yaml: $0) })
        case let map as [AnyHashable: Any]:
            self = .object(Dictionary(uniqueKeysWithValues: map.map { ("\($0.key)", DataValue(yaml: $0.value)) }))
        default: self = .string("\(value!)")
        }
    }
}

extension ModelSpec {
    /// A model that MLflow's openai flavour logged (`mlflow.openai.log_model(model=…, task=openai.chat.completions,
    /// messages=[…])`), from its `model.yaml`: the model name (an OpenAI model), the messages with their
    /// `{column}` placeholders, and every other key as an inference parameter. Only chat completions
    /// can be evaluated; `path` names the file in errors.
    public static func mlflowOpenAIFlavor(yaml text: String, path: String) throws(AssayError) -> ModelSpec {
        let object: DataValue
        do {
            object = DataValue(yaml: try Yams.load(yaml: text))
        } catch {
            throw .invalidInput("\(path): not valid YAML: \(error)")
        }
        guard case .object(var fields) = object else { throw .invalidInput("\(path): an openai flavour's model.yaml is a mapping") }
        guard let name = fields.removeValue(forKey: "model")?.stringValue, !name.isEmpty else {
            throw .invalidInput("\(path): 'model' (the OpenAI model's name) is missing")
        }
        let task = fields.removeValue(forKey: "task")?.stringValue ?? "chat.completions"
        guard task == "chat.completions" || task.hasSuffix(".chat.completions") else {
            throw .invalidInput("\(path): the logged model's task is '\(task)'; Assay evaluates chat.completions models")
        }
        var spec = ModelSpec(model: try ModelURI(name.contains(":/") ? name : "openai:/\(name)"))
        if let messages = fields.removeValue(forKey: "messages") { spec.messages = try parseMessages(messages, path: path) }
        spec.parameters = fields.filter { !$0.value.isNull }
        return spec
    }
}
