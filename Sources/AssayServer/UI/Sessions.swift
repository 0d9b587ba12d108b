import Assay
import Crypto
import Foundation
import Synchronization

/// The web UI's sign-in sessions: each sign-in gets a new random id (256 bits), signing out revokes it
/// at once, and a session ends after `lifetime` (12 hours) whatever happens. Sessions are kept in the
/// tracking database when the store can (``ServerStateStore``), so every replica of a server knows
/// them and a restart keeps them; otherwise in memory, at most `capacity` at once (a new one beyond
/// that ends the oldest). Only the SHA-256 of an id is kept, so looking one up reveals nothing through
/// timing and the table holds nothing a reader could sign in with.
final class UISessions: Sendable {
    private let store: (any ServerStateStore)?
    private let memory = Mutex<[String: ContinuousClock.Instant]>([:])
    let lifetime: Duration
    let capacity: Int

    init(store: (any ServerStateStore)?, lifetime: Duration = .seconds(12 * 3600), capacity: Int = 10_000) {
        self.store = store
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// A new session's id.
    func open() async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        if let store {
            try await store.openSession(hash: Self.key(id), expiresAt: MetricPoint.now() + Int64(lifetime.components.seconds) * 1000)
            return id
        }
        let now = ContinuousClock.now
        let (key, capacity, lifetime) = (Self.key(id), self.capacity, self.lifetime)
        memory.withLock { sessions in
            if sessions.count >= capacity {
                sessions = sessions.filter { $0.value > now }
                if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value < $1.value })?.key {
                    sessions[oldest] = nil
                }
            }
            sessions[key] = now + lifetime
        }
        return id
    }

    /// Whether `id` is a live session.
    func isOpen(_ id: String) async throws -> Bool {
        let key = Self.key(id)
        if let store { return try await store.isSessionOpen(hash: key, now: MetricPoint.now()) }
        let now = ContinuousClock.now
        return memory.withLock { sessions in
            guard let expiry = sessions[key] else { return false }
            if expiry <= now {
                sessions[key] = nil
                return false
            }
            return true
        }
    }

    /// Ends a session; later requests with it are signed out.
    func close(_ id: String) async throws {
        let key = Self.key(id)
        if let store { return try await store.closeSession(hash: key, now: MetricPoint.now()) }
        _ = memory.withLock { $0.removeValue(forKey: key) }
    }

    private static func key(_ id: String) -> String {
        SHA256.hash(data: Data(id.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The key that signs the web UI's form tokens: one secret in the tracking database shared by every
/// replica (so a form one replica rendered is accepted by another), read once; a random one per
/// process when the store keeps no server state.
final class UIKey: Sendable {
    private let store: (any ServerStateStore)?
    private let key = Mutex<[UInt8]?>(nil)

    init(store: (any ServerStateStore)?) {
        self.store = store
        if store == nil {
            let random = (0..<32).map { _ in UInt8.random(in: 0...255) }
            key.withLock { $0 = random }
        }
    }

    /// Reads the shared secret, unless it was read already.
    func load() async throws {
        guard key.withLock({ $0 == nil }), let store else { return }
        let secret = try await store.sharedSecret(named: "ui.csrf")
        key.withLock { $0 = secret }
    }

    /// The HMAC of `text` in hexadecimal.
    func sign(_ text: String) -> String {
        // Pages are served only after ``load()``; a key not yet read signs with a throwaway one, which
        // no form token will match (the form is refused, never accepted).
        let current = key.withLock { $0 }.map { SymmetricKey(data: $0) } ?? SymmetricKey(size: .bits256)
        return HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: current).map { String(format: "%02x", $0) }.joined()
    }
}

/// Slows down guessing the server token: after `allowed` failed sign-ins from one address within
/// `window`, that address is refused (429 with Retry-After) until the window has passed, and every
/// failed attempt is answered only after `delay`. Success does not reset the count of a window.
final class SignInThrottle: @unchecked Sendable {
    // `failures` is read and written only while `lock` is held.
    private let lock = NSLock()
    private var failures: [String: [ContinuousClock.Instant]] = [:]
    let allowed: Int
    let window: Duration
    let delay: Duration

    init(allowed: Int = 5, window: Duration = .seconds(300), delay: Duration = .milliseconds(500)) {
        self.allowed = allowed
        self.window = window
        self.delay = delay
    }

    /// How long `address` must wait before it may try again; nil when it may try now.
    func wait(for address: String) -> Duration? {
        let now = ContinuousClock.now
        return lock.withLock {
            let recent = (failures[address] ?? []).filter { now - $0 < window }
            failures[address] = recent.isEmpty ? nil : recent
            guard recent.count >= allowed, let first = recent.first else { return nil }
            return window - (now - first)
        }
    }

    /// Records a failed attempt from `address`.
    func fail(_ address: String) {
        let now = ContinuousClock.now
        lock.withLock {
            if failures.count > 100_000 { failures = failures.filter { $0.value.contains { now - $0 < window } } }
            failures[address, default: []].append(now)
        }
    }
}
