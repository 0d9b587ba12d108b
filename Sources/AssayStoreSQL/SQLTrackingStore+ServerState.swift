public import Assay
import Foundation
import Synchronization

extension SQLTrackingStore: ServerStateStore {
    public func sharedSecret(named name: String) async throws(AssayError) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let fresh = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        // The first replica to ask makes it; every later one reads the same.
        let stored = try await write { s in
            try await s.execute("INSERT INTO server_secrets (name, secret) VALUES (\(name), \(fresh)) ON CONFLICT (name) DO NOTHING")
            return try await s.first("SELECT secret FROM server_secrets WHERE name = \(name)")?.string(0) ?? fresh
        }
        var bytes: [UInt8] = []
        var index = stored.startIndex
        while index < stored.endIndex, let next = stored.index(index, offsetBy: 2, limitedBy: stored.endIndex) {
            bytes.append(UInt8(stored[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    public func openSession(hash: String, expiresAt: Int64) async throws(AssayError) {
        try await write { s in
            try await s.execute(
                """
                INSERT INTO ui_sessions (session_hash, expires_at) VALUES (\(hash), \(expiresAt))
                ON CONFLICT (session_hash) DO UPDATE SET expires_at = excluded.expires_at
                """)
        }
    }

    public func isSessionOpen(hash: String, now: Int64) async throws(AssayError) -> Bool {
        try await read { s in
            try await s.exists("SELECT 1 FROM ui_sessions WHERE session_hash = \(hash) AND expires_at > \(now)")
        }
    }

    public func closeSession(hash: String, now: Int64) async throws(AssayError) {
        try await write { s in
            try await s.execute("DELETE FROM ui_sessions WHERE session_hash = \(hash) OR expires_at <= \(now)")
        }
    }

    public var databaseUse: DatabaseUse {
        let (reads, writes) = inFlight.withLock { $0 }
        return DatabaseUse(reads: reads, writes: writes, poolSize: database.poolSize)
    }

    public func checkReachable() async throws(AssayError) {
        _ = try await read { s in try await s.first("SELECT 1") }
    }
}
