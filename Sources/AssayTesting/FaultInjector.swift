import Assay
import NIOConcurrencyHelpers

/// Decides, reproducibly from a seed, which requests a ``FakeChatServer`` answers with a fault.
///
/// Each request body's n-th attempt gets the same decision for the same seed, so a failing test can be
/// replayed. After `maxFaultsPerRequest` faults a body is always answered, so a client that retries
/// often enough finishes every row.
///
/// ```swift
/// let faults = FaultInjector(seed: 42, rate: 0.3)
/// let server = try await FakeChatServer.start(behaviour: faults.behaviour)
/// ```
public final class FaultInjector: Sendable {
    /// The kinds of fault it injects.
    public enum Fault: String, Sendable, CaseIterable {
        case rateLimited, serverError, unavailable, truncatedBody, slow, dropConnection, malformedBody
    }

    public let seed: UInt64
    public let rate: Double
    public let maxFaultsPerRequest: Int
    /// How long a `slow` reply waits before answering; make it longer than the client's timeout.
    public let slowDelay: Duration
    private let attempts = NIOLockedValueBox([UInt64: Int]())
    private let injected = NIOLockedValueBox([Fault: Int]())

    /// Creates an injector: `rate` is the chance of a fault on each of a body's first attempts.
    public init(seed: UInt64, rate: Double, maxFaultsPerRequest: Int = 2, slowDelay: Duration = .seconds(2)) {
        self.seed = seed
        self.rate = rate
        self.maxFaultsPerRequest = maxFaultsPerRequest
        self.slowDelay = slowDelay
    }

    /// How many faults of each kind it has injected.
    public var injectedFaults: [Fault: Int] { injected.withLockedValue { $0 } }

    /// The server behaviour: a fault or an echoing chat completion.
    public func behaviour(_ request: FakeChatServer.Request) async -> FakeChatServer.Reply {
        await reply(to: request, success: .chatCompletion("echo: " + request.lastMessage))
    }

    /// A behaviour that answers with `success` when it injects no fault: for servers that are not chat
    /// models (an application's endpoint).
    public func behaviour(
        answering success: @escaping @Sendable (FakeChatServer.Request) -> FakeChatServer.Reply
    ) -> @Sendable (FakeChatServer.Request) async -> FakeChatServer.Reply {
        { request in await self.reply(to: request, success: success(request)) }
    }

    private func reply(to request: FakeChatServer.Request, success: FakeChatServer.Reply) async -> FakeChatServer.Reply {
        let key = Self.hash(request.body)
        let attempt = attempts.withLockedValue { counts -> Int in
            defer { counts[key, default: 0] += 1 }
            return counts[key, default: 0]
        }
        guard attempt < maxFaultsPerRequest else { return success }
        var random = SeededRandom(seed: seed ^ key ^ (UInt64(attempt) &* 0x9E37_79B9_7F4A_7C15))
        guard random.nextUnit() < rate else { return success }
        let fault = Fault.allCases[Int(random.next() % UInt64(Fault.allCases.count))]
        injected.withLockedValue { $0[fault, default: 0] += 1 }
        switch fault {
        case .rateLimited:
            return .json(["error": ["message": "Rate limit reached", "type": "requests"]], status: 429, headers: [("Retry-After", "0")])
        case .serverError:
            return .json(["error": ["message": "internal error"]], status: 500)
        case .unavailable:
            return .json(["error": ["message": "overloaded"]], status: 503)
        case .truncatedBody:
            return .truncated(status: 200, body: Array("{\"choices\": [{\"message\": {\"content\": \"echo".utf8))
        case .slow:
            return .delayed(slowDelay, success)
        case .dropConnection:
            return .dropConnection
        case .malformedBody:
            return .respond(status: 200, headers: [("Content-Type", "text/html")], body: Array("<html>502 Bad Gateway</html>".utf8))
        }
    }

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
