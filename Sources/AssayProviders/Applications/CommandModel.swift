public import Assay
import Crypto
import Foundation
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// An application run as a command once per row, as a ``LanguageModel``: the row goes to the
/// command as JSON on standard input (``ApplicationProtocol``) or in its arguments, and the answer
/// is read from standard output (plain text, or JSON with the spec's paths).
///
/// Each run has a deadline (the spec's `timeout`, else the provider options'); a command past it is
/// stopped (SIGTERM to its process group, SIGKILL a second later) and the row records the timeout. A
/// non-zero exit, a signal, or output that cannot be read is that row's error, with the end of what
/// the command wrote on standard error. Answers are cached by the command, its input and the
/// contents of the files it names, so a changed program is asked again.
///
/// ```swift
/// let model = try CommandModel(spec: try CommandSpec(commandLine: "python3 answer.py"))
/// let result = try await evaluate(data, model: model, targets: "ground_truth", extraMetrics: [.exactMatch])
/// ```
public final class CommandModel: LanguageModel {
    public let identifier: String
    /// The spec this model was made from.
    public let spec: CommandSpec
    let executable: Executable
    let environment: Environment
    let timeout: Duration
    /// SHA-256 of the files the command names (its script or program), for the cache key.
    let programDigest: String
    let calls: ApplicationCalls

    /// The most a command may print on standard output (and on standard error) per row.
    static let outputLimit = 32 << 20

    /// Creates the model; a program that cannot be found or run, or a variable that is not set, fails
    /// now, before any row.
    public init(
        spec: CommandSpec, options: ProviderOptions = .init(), cache: ResponseCache? = nil,
        cachePolicy: ChatModel.CachePolicy = .use, budget: CostBudget? = nil
    ) throws(AssayError) {
        self.spec = spec
        identifier = "exec:" + spec.commandLine
        let folder = spec.workingDirectory ?? FileManager.default.currentDirectoryPath
        let program = spec.program
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : (folder as NSString).appendingPathComponent(program)
            guard FileManager.default.isExecutableFile(atPath: path) else {
                let exists = FileManager.default.fileExists(atPath: path)
                throw .invalidInput(
                    "the command's program \(program) " + (exists ? "is not executable (chmod +x \(program))" : "does not exist")
                        + (spec.workingDirectory == nil ? "" : " in \(folder)"))
            }
            executable = .path(FilePath(path))
        } else {
            let searchPath = options.environment["PATH"] ?? ""
            guard
                searchPath.split(separator: ":").contains(where: {
                    FileManager.default.isExecutableFile(atPath: "\($0)/\(program)")
                })
            else {
                throw .invalidInput("the command's program \(program) is not on the PATH; give its path, such as ./\(program)")
            }
            executable = .name(program)
        }
        var variables: [Environment.Key: String?] = [:]
        for name in spec.environment.keys.sorted() {
            let value = spec.environment[name]!
            if value == EnvironmentReferences.notRecorded {
                throw .invalidInput(
                    "the variable \(name) was given literally when the spec was recorded and was not kept; set it as \(name): ${VARIABLE}")
            }
            guard let key = Environment.Key(rawValue: name) else { throw .invalidInput("'\(name)' cannot be an environment variable's name") }
            let expanded = try EnvironmentReferences.expand(value, field: "the variable \(name)", environment: options.environment)
            guard !expanded.unicodeScalars.contains("\u{0}"), !name.contains("="), !name.unicodeScalars.contains("\u{0}") else {
                throw .invalidInput("the variable \(name) cannot be set: a name holds no '=' or NUL, a value no NUL")
            }
            variables[key] = expanded
        }
        environment = Environment.inherit.updating(variables)
        timeout = spec.timeout.map { .milliseconds(Int($0 * 1000)) } ?? options.timeout
        // The program and every argument that names a file: a rebuilt binary or an edited script is a new key.
        var hasher = SHA256()
        for word in [program] + spec.arguments.filter(\.placeholders.isEmpty).map(\.source) {
            let path = word.hasPrefix("/") ? word : (folder as NSString).appendingPathComponent(word)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
                let contents = FileManager.default.contents(atPath: path)
            else { continue }
            hasher.update(data: Array(word.utf8) + [0])
            hasher.update(data: contents)
        }
        programDigest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        calls = ApplicationCalls(
            format: spec.reply, cache: cache, cachePolicy: cachePolicy, budget: budget, provider: "exec", identifier: identifier)
    }

    public var outputColumns: [String] { spec.reply.outputColumns }

    public func validate(columns: [String]) throws(AssayError) {
        try calls.validate(spec.placeholders, columns: columns, owner: "the command")
    }

    /// The command line.
    public var runParams: [KeyValue] { [KeyValue("model", identifier)] }

    /// The spec (`model/spec.yaml`, secrets left out), which `--model runs:/RUN_ID/model` runs again.
    public var runFiles: [(path: String, contents: String)] {
        [(path: "model/spec.yaml", contents: spec.yaml)]
    }

    /// What the model has done so far.
    public var activity: ModelActivity {
        var activity = calls.activity
        activity.requests = activity.calls
        return activity
    }

    /// The arguments for a row.
    public func arguments(for row: DataRow) throws(AssayError) -> [String] {
        var arguments: [String] = []
        for (i, template) in spec.arguments.enumerated() {
            let argument = try template.render(row)
            if argument.unicodeScalars.contains("\u{0}") {
                throw AssayError(.serviceFailure, "argument \(i + 1) of the command holds a NUL byte, which a command line cannot carry")
            }
            arguments.append(argument)
        }
        return arguments
    }

    /// What the command reads on standard input for a row.
    public func input(for row: DataRow) -> String {
        spec.sendsRow ? ApplicationProtocol.request(for: row).description + "\n" : ""
    }

    public func respond(to row: DataRow) async throws -> ModelResponse {
        let arguments = try arguments(for: row)
        let input = input(for: row)
        let keyed = Array(([programDigest, spec.program] + arguments).joined(separator: "\u{0}").utf8) + [0] + Array(input.utf8)
        let key = calls.key(version: spec.version, target: identifier, request: keyed, sample: row.sample)
        if let response = try await calls.cached(key) { return response }
        return try await calls.call(key: key, rename: { $0.replacingOccurrences(of: "the reply", with: "the command's output") }) {
            let clock = ContinuousClock()
            let start = clock.now
            let finished = try await run(arguments: arguments, input: input)
            let seconds = HTTPTransport.seconds(clock.now - start)
            let how: String
            switch finished.status {
            case .exited(0): return (finished.standardOutput, seconds, Self.standardErrorTail(finished.standardError))
            case .exited(let code): how = "exited with status \(code)"
            case .signaled(let signal): how = "was killed by signal \(signal)"
            }
            throw AssayError(.serviceFailure, "the command \(how)" + Self.standardErrorTail(finished.standardError))
        }
    }

    /// What a finished command left.
    struct Finished: Sendable {
        var status: TerminationStatus
        var standardOutput: [UInt8]
        var standardError: [UInt8]
    }

    /// Runs the command once, within the deadline.
    private func run(arguments: [String], input: String) async throws -> Finished {
        var platform = PlatformOptions()
        // Its own session, so that stopping it also stops what it started (a shell's children).
        platform.createSession = true
        platform.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(1))]
        let configuration = Configuration(
            executable: executable, arguments: Arguments(arguments), environment: environment,
            workingDirectory: spec.workingDirectory.map { FilePath($0) }, platformOptions: platform)
        let limit = Self.outputLimit
        // Standard input is a file holding the request rather than a pipe: a command that exits without
        // reading it cannot break a write (SIGPIPE), and a large row cannot stall on a full pipe.
        let inputFile = FileManager.default.temporaryDirectory.appendingPathComponent("assay-input-\(UUID().uuidString).json").path
        guard FileManager.default.createFile(atPath: inputFile, contents: Data(input.utf8)) else {
            throw AssayError.internal("cannot write the command's input to \(inputFile)")
        }
        defer { try? FileManager.default.removeItem(atPath: inputFile) }
        let outcome: Finished?
        do {
            let descriptor = try FileDescriptor.open(FilePath(inputFile), .readOnly)
            outcome = try await withDeadline(timeout) {
                let result = try await Subprocess.run(
                    configuration, input: .fileDescriptor(descriptor, closeAfterSpawningProcess: true), output: .bytes(limit: limit),
                    error: .bytes(limit: limit))
                return Finished(status: result.terminationStatus, standardOutput: result.standardOutput, standardError: result.standardError)
            }
        } catch let error as SubprocessError {
            if Task.isCancelled { throw CancellationError() }
            let text = "\(error)"
            if text.contains("Exec format error") {
                // Every row would fail alike.
                throw AssayError.invalidInput(
                    "the command's program \(spec.program) cannot be started (\(text)); a script needs a first line such as #!/bin/sh")
            }
            throw AssayError(.serviceFailure, "the command could not be run: \(text)")
        }
        guard let outcome else {
            if Task.isCancelled { throw CancellationError() }
            throw AssayError(.serviceFailure, "the command timed out after \(Self.describe(timeout)) and was stopped")
        }
        return outcome
    }

    /// The last lines the command wrote on standard error, for the row's error.
    static func standardErrorTail(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.suffix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : "; standard error: " + text
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = HTTPTransport.seconds(duration)
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
    }
}
