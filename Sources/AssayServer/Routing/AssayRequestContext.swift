import Assay
public import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's own, plus the web UI's session once the session
/// middleware has read it.
public struct AssayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The signed-in UI session (`"open"` when the server needs no token); nil when not signed in.
    var session: String?
    /// The request's id (`X-Request-Id`), set by the request-log middleware; our log lines about the
    /// request carry it.
    var requestID = ""
    private let channel: any Channel

    /// The peer's IP address (without the port), for throttling sign-ins; "unknown" in router tests.
    /// Read when asked (only sign-in asks), not for every request.
    var remoteAddress: String { channel.remoteAddress?.ipAddress ?? "unknown" }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

extension Request {
    /// The whole body, at most `limit` bytes, read within `deadline`; past the size a 413, past the time
    /// a 408, both in MLflow's error shape.
    mutating func body(upTo limit: Int, within deadline: Duration) async throws -> [UInt8] {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.tooLarge("The request body (\(length) bytes) is larger than the limit of \(limit) bytes.")
        }
        let request = self
        do {
            // A body that has arrived whole (nearly every JSON body: it comes with its head) is read
            // without a clock; only one still arriving is read against the deadline.
            if let progress = ConnectionProgress.current, progress.everyBodyArrived {
                var request = request
                return Array(buffer: try await request.collectBody(upTo: limit))
            }
            let bytes = try await withDeadline(deadline) {
                var request = request
                return Array(buffer: try await request.collectBody(upTo: limit))
            }
            guard let bytes else { throw APIError.timedOut("The request body did not arrive within \(deadline).") }
            return bytes
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge("The request body is larger than the limit of \(limit) bytes.")
        }
    }
}
