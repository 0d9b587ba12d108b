import Crypto
import Foundation

/// The web UI's sign-in sessions, kept in memory: each sign-in gets a new random id (256 bits), signing
/// out revokes it at once, and a session ends after `lifetime` (12 hours) whatever happens. A restart
/// signs everyone out. At most `capacity` sessions live at once; a new one beyond that ends the oldest.
/// Sessions are kept by the SHA-256 of their id, so looking one up reveals nothing through timing.
final class UISessions: @unchecked Sendable {
    // `sessions` is read and written only while `lock` is held.
    private let lock = NSLock()
    private var sessions: [String: ContinuousClock.Instant] = [:]
    let lifetime: Duration
    let capacity: Int

    init(lifetime: Duration = .seconds(12 * 3600), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// A new session's id.
    func open() -> String {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let now = ContinuousClock.now
        lock.withLock {
            if sessions.count >= capacity {
                sessions = sessions.filter { $0.value > now }
                if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value < $1.value })?.key {
                    sessions[oldest] = nil
                }
            }
            sessions[Self.key(id)] = now + lifetime
        }
        return id
    }

    /// Whether `id` is a live session.
    func isOpen(_ id: String) -> Bool {
        let key = Self.key(id), now = ContinuousClock.now
        return lock.withLock {
            guard let expiry = sessions[key] else { return false }
            if expiry <= now {
                sessions[key] = nil
                return false
            }
            return true
        }
    }

    /// Ends a session; later requests with it are signed out.
    func close(_ id: String) {
        let key = Self.key(id)
        _ = lock.withLock { sessions.removeValue(forKey: key) }
    }

    private static func key(_ id: String) -> String {
        SHA256.hash(data: Data(id.utf8)).map { String(format: "%02x", $0) }.joined()
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
