import Assay
import AssayMLflowAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// JSON calls to an MLflow-compatible tracking server (an `assay server` or MLflow's own), with the
/// credentials the mlflow client would send, retries for the faults worth retrying, and MLflow's error
/// bodies turned into ``AssayError``s.
final class RESTClient: Sendable {
    /// The tracking URI without a trailing slash; a path prefix is kept (`http://h/mlflow`).
    let base: String
    let authorization: String?

    init(url: String, authorization: String?) throws(AssayError) {
        guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme ?? ""),
            components.host?.isEmpty == false
        else {
            throw .invalidInput("'\(url)' is not a tracking server URL; use http(s)://host:port")
        }
        var trimmed = url
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        base = trimmed
        self.authorization = authorization
    }

    /// One client for the process, never shut down (like `HTTPClient.shared`), but failing a refused
    /// connection at once: ``send(_:_:body:json:)`` retries on its own schedule, and a server that is
    /// down should be reported in seconds, not after the request deadline.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(5))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The Authorization header the mlflow client would send: MLFLOW_TRACKING_TOKEN (or ASSAY_SERVER_TOKEN)
    /// as a bearer token, else MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD as HTTP basic.
    static func authorization(from environment: [String: String]) -> String? {
        if let token = environment["MLFLOW_TRACKING_TOKEN"] ?? environment["ASSAY_SERVER_TOKEN"], !token.isEmpty {
            return "Bearer \(token)"
        }
        if let user = environment["MLFLOW_TRACKING_USERNAME"], let password = environment["MLFLOW_TRACKING_PASSWORD"] {
            return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
        return nil
    }

    /// Calls an RPC below `/api/2.0/mlflow/` (or another version's prefix, `api: "3.0"`): a GET sends
    /// the request's fields as a query string, anything else as a JSON body; the answer is decoded as `Response`.
    func call<Request: Encodable, Response: Decodable>(
        _ method: HTTPMethod, _ endpoint: String, _ request: Request, as: Response.Type, api: String = "2.0"
    )
        async throws(AssayError) -> Response
    {
        var url = "\(base)/api/\(api)/mlflow/\(endpoint)"
        let fields = ProtoJSON.encode(request)
        var body: ByteBuffer?
        if method == .GET {
            let query = Self.query(fields)
            if !query.isEmpty { url += "?" + query }
        } else {
            body = ByteBuffer(string: fields.description)
        }
        let (status, bytes) = try await send(method, url, body: body, json: true)
        let text = String(decoding: bytes, as: UTF8.self)
        guard status == 200 else { throw Self.failure(status, text, url: url) }
        do {
            return try ProtoJSON.decode(Response.self, json: text.isEmpty ? "{}" : text)
        } catch {
            throw .serviceFailure(
                "the tracking server at \(base) answered \(endpoint) with something MLflow's protocol does not allow: "
                    + "\(error.message) (\(text.prefix(200)))"
            )
        }
    }

    /// A message's fields as a query string; a list repeats its key.
    static func query(_ fields: DataValue) -> String {
        guard case .object(let object) = fields else { return "" }
        var pairs: [String] = []
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            for item in value.listValue ?? [value] { pairs.append("\(encode(key))=\(encode(item.text))") }
        }
        return pairs.joined(separator: "&")
    }

    /// Sends a request, retrying refused connections, timeouts, 429 and 5xx a few times with growing pauses.
    func send(
        _ method: HTTPMethod, _ url: String, body: ByteBuffer?, json: Bool, headers: [(String, String)] = []
    ) async throws(AssayError) -> (Int, [UInt8]) {
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url)
            request.method = method
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            request.headers.add(name: "User-Agent", value: "assay")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body {
                request.body = .bytes(body)
                request.headers.add(name: "Content-Type", value: json ? "application/json" : "application/octet-stream")
            }
            do {
                let response = try await Self.http.execute(request, timeout: .seconds(120))
                let bytes = Array(buffer: try await response.body.collect(upTo: 1 << 30))
                let status = Int(response.status.code)
                if (status == 429 || status >= 500) && status != 501 && attempt < 4 {
                    let wait = response.headers.first(name: "Retry-After").flatMap(Double.init).map { min($0, 10) }
                    try? await Task.sleep(for: .seconds(wait ?? 0.25 * Double(1 << attempt)))
                    continue
                }
                return (status, bytes)
            } catch {
                guard attempt < 4, !Task.isCancelled else {
                    throw .serviceFailure("cannot reach the tracking server at \(base): \(error)")
                }
                try? await Task.sleep(for: .seconds(0.25 * Double(1 << attempt)))
            }
        }
    }

    /// MLflow's error body as the matching error kind, keeping the server's message.
    static func failure(_ status: Int, _ text: String, url: String) -> AssayError {
        guard case .object(let fields)? = try? DataValue(json: text), let code = fields["error_code"]?.stringValue else {
            return .serviceFailure("the tracking server answered \(status) for \(url): \(text.prefix(300))")
        }
        let message = fields["message"]?.stringValue ?? code
        switch code {
        case "RESOURCE_DOES_NOT_EXIST": return AssayError(.notFound, message)
        case "RESOURCE_ALREADY_EXISTS": return AssayError(.alreadyExists, message)
        case "INVALID_PARAMETER_VALUE", "BAD_REQUEST": return .invalidInput(message)
        case "UNAUTHENTICATED", "PERMISSION_DENIED":
            return .invalidInput("\(message) (set MLFLOW_TRACKING_TOKEN or ASSAY_SERVER_TOKEN to the server's token)")
        case "ENDPOINT_NOT_FOUND": return .serviceFailure("\(url) is not an MLflow tracking endpoint: \(message)")
        default: return .serviceFailure("\(code): \(message)")
        }
    }

    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// A relative artifact path with each segment percent-encoded and the slashes kept.
    static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).map { encode(String($0)) }.joined(separator: "/")
    }
}
