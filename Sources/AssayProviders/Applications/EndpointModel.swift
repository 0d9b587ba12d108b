public import Assay
import Foundation
import NIOHTTP1

/// An application behind an HTTP endpoint, as a ``LanguageModel``: each row becomes a request (the
/// spec's URL, headers and body template), the reply gives the answer and, where the spec says, the
/// retrieved context, token usage and cost. Calls are cached, retried and rate-limited like a chat
/// model's: 429 with Retry-After, 5xx, timeouts, broken connections and unreadable bodies are asked
/// again; a 400, 413 or 422 is that row's error; refused credentials, 404 and 405 stop the run.
///
/// ```swift
/// var spec = try EndpointSpec(url: "http://127.0.0.1:8000/ask")
/// spec.body = try BodyTemplate(DataValue(json: #"{"question": "{inputs}"}"#))
/// spec.reply.output = try ReplyPath("$.answer")
/// spec.reply.columns = [("context", try ReplyPath("$.documents[*].text"))]
/// let model = try EndpointModel(spec: spec, cache: try ResponseCache(directory: ResponseCache.defaultDirectory()))
/// let result = try await evaluate(data, model: model, targets: "ground_truth", extraMetrics: [.exactMatch])
/// await model.shutdown()
/// ```
public final class EndpointModel: LanguageModel {
    public let identifier: String
    /// The spec this model was made from.
    public let spec: EndpointSpec
    /// The headers sent, with `${NAME}` references filled in.
    let headers: [(String, String)]
    let transport: HTTPTransport
    let calls: ApplicationCalls

    /// Creates the model; a header naming a variable that is not set fails now, before any row.
    public init(
        spec: EndpointSpec, options: ProviderOptions = .init(), cache: ResponseCache? = nil,
        cachePolicy: ChatModel.CachePolicy = .use, budget: CostBudget? = nil
    ) throws(AssayError) {
        var options = options
        if let timeout = spec.timeout { options.timeout = .milliseconds(Int(timeout * 1000)) }
        self.spec = spec
        identifier = spec.url.source
        var headers: [(String, String)] = []
        for name in spec.headers.keys.sorted() {
            let value = spec.headers[name]!
            if value == EnvironmentReferences.notRecorded {
                throw .invalidInput(
                    "the header \(name) was given literally when the spec was recorded and was not kept; "
                        + "give it again with --header '\(name): ${VARIABLE}'")
            }
            let expanded = try EnvironmentReferences.expand(value, field: "the header \(name)", environment: options.environment)
            // A line break or NUL would split the request (header injection), and the client refuses them.
            guard !name.isEmpty, !(name + expanded).unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\u{0}" }),
                !name.contains(":"), !name.contains(" ")
            else {
                throw .invalidInput("the header '\(name)' has a name or value that cannot be sent (a line break, NUL, colon or space)")
            }
            headers.append((name, expanded))
        }
        if spec.body != nil || spec.method != "GET", !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/json"))
        }
        self.headers = headers
        transport = HTTPTransport(options: options)
        calls = ApplicationCalls(
            format: spec.reply, cache: cache, cachePolicy: cachePolicy, budget: budget, provider: "http", identifier: identifier)
    }

    public var outputColumns: [String] { spec.reply.outputColumns }

    public func validate(columns: [String]) throws(AssayError) {
        try calls.validate(spec.placeholders, columns: columns, owner: "the endpoint")
    }

    /// The URL, method and header names (never their values).
    public var runParams: [KeyValue] {
        [KeyValue("model", identifier), KeyValue("method", spec.method)]
            + (spec.headers.isEmpty ? [] : [KeyValue("headers", spec.headers.keys.sorted().joined(separator: ", "))])
    }

    /// The spec (`model/spec.yaml`, secrets left out), which `--model runs:/RUN_ID/model` evaluates again.
    public var runFiles: [(path: String, contents: String)] {
        [(path: "model/spec.yaml", contents: spec.yaml)]
    }

    /// What the model has done so far.
    public var activity: ModelActivity {
        var activity = calls.activity
        activity.requests = transport.requestsSent
        return activity
    }

    /// The URL sent for a row (placeholders percent-encoded).
    public func url(for row: DataRow) throws(AssayError) -> String {
        try spec.url.render(row) { $0.text.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "" }
    }

    /// The body sent for a row: the body template's, or the row as JSON; nil for a GET.
    public func body(for row: DataRow) throws(AssayError) -> [UInt8]? {
        if let template = spec.body { return Array(try template.render(row).description.utf8) }
        guard spec.method != "GET" else { return nil }
        return Array(ApplicationProtocol.request(for: row).description.utf8)
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public func respond(to row: DataRow) async throws -> ModelResponse {
        let url = try url(for: row)
        let body = try body(for: row)
        // The key holds the method, the header templates (not the secrets they name) and the version.
        var keyed = Array("\(spec.method)\n".utf8)
        for name in spec.headers.keys.sorted() { keyed += Array("\(name): \(spec.headers[name]!)\n".utf8) }
        keyed += [0] + (body ?? [])
        let key = calls.key(version: spec.version, target: url, request: keyed, sample: row.sample)
        if let response = try await calls.cached(key) { return response }
        let (transport, method, headers, format) = (transport, HTTPMethod(rawValue: spec.method), headers, spec.reply)
        return try await calls.call(key: key) {
            let reply = try await transport.send(method: method, url: url, headers: headers, body: body, rejection: .failsRow) {
                if case .malformed = format.read($0) { return false }
                return true
            }
            return (reply.body, reply.seconds, "")
        }
    }

    /// Closes the HTTP connections; call when done with the model.
    public func shutdown() async {
        await transport.shutdown()
    }
}
