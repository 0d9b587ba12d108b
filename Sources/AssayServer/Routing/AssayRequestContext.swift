public import Hummingbird

/// The request context of every route: Hummingbird's own, plus the web UI's session once the session
/// middleware has read it.
public struct AssayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The signed-in UI session (`"open"` when the server needs no token); nil when not signed in.
    var session: String?
    /// The peer's IP address (without the port), for throttling sign-ins; "unknown" in router tests.
    let remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

extension Request {
    /// The whole body, at most `limit` bytes; past it, a 413 in MLflow's error shape.
    mutating func body(upTo limit: Int) async throws -> [UInt8] {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.tooLarge("The request body (\(length) bytes) is larger than the limit of \(limit) bytes.")
        }
        do {
            return Array(buffer: try await collectBody(upTo: limit))
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge("The request body is larger than the limit of \(limit) bytes.")
        }
    }
}
