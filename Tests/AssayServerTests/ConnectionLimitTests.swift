import AssayServer
import AssayStoreSQLite
import AssayTesting
import Foundation
import HummingbirdTesting
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The server's deadlines and connection limit, seen from raw sockets on a live port: clients that send
/// their headers a byte at a time, idle keep-alive connections, and more connections than allowed.
@Suite struct ConnectionLimitTests {
    /// A blocking TCP connection to loopback with a receive timeout.
    final class Connection: Sendable {
        let fd: Int32

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
            // Longer than a busy test process delays the server's answers, shorter than the 60 s idle
            // deadline the slow-header test relies on not being what closes its connection.
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        /// False once the server has closed the connection.
        @discardableResult
        func send(_ text: String) -> Bool {
            Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } > 0
        }

        /// What arrives until the server closes, pauses past the timeout, or `until` appears; nil when the
        /// connection was closed before anything came. The blocking read runs on a dispatch thread, not on
        /// the few threads that the server's own tasks need.
        func receive(until marker: String? = nil) async -> String? {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: self.blockingReceive(until: marker)) }
            }
        }

        /// How the last receive ended: 0 with the marker or still going, 1 closed by the server,
        /// 2 reset (ECONNRESET), 3 nothing came within the receive timeout.
        private let ending = Atomic(0)
        /// Whether a receive ended in a reset rather than an orderly close.
        var wasReset: Bool { ending.load(ordering: .relaxed) == 2 }
        /// Whether the server ended the connection (closed or reset it), rather than the wait timing out.
        var closedByServer: Bool { [1, 2].contains(ending.load(ordering: .relaxed)) }

        private func blockingReceive(until marker: String?) -> String? {
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { ending.store(count == 0 ? 1 : errno == ECONNRESET ? 2 : 3, ordering: .relaxed) }
                if count <= 0 { return received.isEmpty ? nil : String(decoding: received, as: UTF8.self) }
                received += buffer[0..<count]
                if let marker, String(decoding: received, as: UTF8.self).contains(marker) {
                    return String(decoding: received, as: UTF8.self)
                }
            }
        }
    }

    /// A live server with no other client than the test's own sockets (HummingbirdTesting's live client
    /// would hold a connection of its own and reconnect when it is closed).
    static func withServer(
        _ configure: (inout TrackingServer.Configuration) -> Void, _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        let folder = try TemporaryFolder()
        var configuration = TrackingServer.Configuration()
        configuration.port = 0
        configure(&configuration)
        var logger = Logger(label: "assay.server.test")
        logger.logLevel = .critical
        let server = try TrackingServer(
            store: try SQLiteTrackingStore(path: folder.path("assay.db")), artifactRoot: folder.url.appendingPathComponent("artifacts"),
            configuration: configuration, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run { port in continuation.yield(port) } }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { return }
            defer { group.cancelAll() }
            try await body(port)
        }
    }

    static func seconds(_ since: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - since
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test func slowHeadersAreCutOffWhileIdleConnectionsMayStay() async throws {
        try await LiveServer.with(
            {
                $0.headerTimeout = .seconds(1)
                $0.idleTimeout = .seconds(60)
            }, live: true
        ) { server in
            let port = try #require(server.client.port)
            // Headers a byte at a time: closed once the head has taken a second, though bytes keep coming.
            let slow = try Connection(port: port)
            let start = ContinuousClock.now
            var stillOpen = true
            for byte in "GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: abcdefghijklmnopqrstuvwxyz".map(String.init) where stillOpen {
                stillOpen = slow.send(byte)
                try await Task.sleep(for: .milliseconds(100))
                if Self.seconds(start) > 9 { break }
            }
            let answer = await slow.receive()
            // Closed by the server with nothing said; without the header deadline the connection would
            // stay open (the idle deadline is 60 s) and the receive would time out instead.
            #expect(answer == nil && slow.closedByServer, "held \(Self.seconds(start)) s, got \(answer ?? "nothing")")

            // A keep-alive connection idle for longer than the header deadline is still served.
            let idle = try Connection(port: port)
            idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await idle.receive(until: "\r\n\r\nOK")?.hasPrefix("HTTP/1.1 200") == true)
            try await Task.sleep(for: .milliseconds(1500))
            idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await idle.receive(until: "\r\n\r\nOK")?.hasPrefix("HTTP/1.1 200") == true, "the idle connection was kept")
        }
    }

    @Test func idleKeepAliveConnectionsAreClosed() async throws {
        try await LiveServer.with({ $0.idleTimeout = .seconds(1) }, live: true) { server in
            let port = try #require(server.client.port)
            let idle = try Connection(port: port)
            // Timed from the request: the idle second starts once the reply is written, which is after
            // the request was sent but may be well before a busy test process reads the reply.
            let sent = ContinuousClock.now
            idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await idle.receive(until: "\r\n\r\nOK")?.hasPrefix("HTTP/1.1 200") == true)
            #expect(await idle.receive() == nil)
            // Closed by the server, not given up on by the receive's own timeout, and no sooner than the
            // idle second after the request (a busy test process may make it later, never earlier).
            #expect(idle.closedByServer && Self.seconds(sent) > 0.95, "closed \(Self.seconds(sent)) s after the request")
        }
    }

    @Test func connectionsPastTheLimitWaitForOneToClose() async throws {
        try await Self.withServer({
            $0.maxConnections = 2
            // Long enough that a loaded machine's delay between the replies and the third request
            // (seen: 0.6 s) cannot use it up.
            $0.idleTimeout = .seconds(3)
        }) { port in
            let first = try Connection(port: port), second = try Connection(port: port)
            first.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            second.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let (one, two) = (await first.receive(until: "\r\n\r\nOK"), await second.receive(until: "\r\n\r\nOK"))
            #expect(one != nil && two != nil)
            // Both stay open (keep-alive): a third is accepted by the kernel but not served until one closes.
            let third = try Connection(port: port)
            let start = ContinuousClock.now
            third.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let reply = await third.receive(until: "\r\n\r\nOK")
            #expect(reply?.hasPrefix("HTTP/1.1 200") == true)
            #expect(Self.seconds(start) > 1, "served after \(Self.seconds(start)) s, when the idle ones closed")
        }
    }

    @Test func aBodyThatTricklesGetsA408() async throws {
        try await LiveServer.with({ $0.bodyTimeout = .seconds(1) }, live: true) { server in
            let port = try #require(server.client.port)
            let connection = try Connection(port: port)
            connection.send(
                "POST /api/2.0/mlflow/experiments/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            let sender = Task {
                // A space every 0.2 s: the body (100 bytes) would take 20 s, and idle never sets in.
                var sent = 0
                while sent < 99 && !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    if Task.isCancelled || !connection.send(" ") { break }
                    sent += 1
                }
                return sent
            }
            let reply = await connection.receive(until: "}")
            sender.cancel()
            let sent = await sender.value
            // The server closes after its 408 with the client's latest bytes unread, so the kernel may
            // answer a byte sent just then with a reset that discards the 408 before it is read: a
            // reset counts, a connection closed without a word does not.
            #expect(reply?.hasPrefix("HTTP/1.1 408") == true || connection.wasReset, "\(reply ?? "nothing")")
            // Answered while the body was still coming (a whole body would get a 400 for its JSON), by the
            // bytes sent rather than the clock, which a busy test process stretches.
            #expect(sent < 99, "answered after \(sent) of the body's 99 trickled bytes")
        }
    }
}
