/// What a tracking server keeps beside the runs so that any number of replicas over one database act
/// as one server: named secrets (the key that signs the web UI's form tokens), the web UI's sign-in
/// sessions, and a way to tell that the database answers (for a load balancer's readiness check).
///
/// ```swift
/// let key = try await store.sharedSecret(named: "ui.csrf")        // the same bytes on every replica
/// try await store.openSession(hash: digest, expiresAt: MetricPoint.now() + 3_600_000)
/// ```
public protocol ServerStateStore: TrackingStore {
    /// The secret of this name: 32 random bytes made once, by whichever replica asks first.
    func sharedSecret(named name: String) async throws(AssayError) -> [UInt8]
    /// Records a sign-in session by the hash of its id, until `expiresAt` (milliseconds since 1970).
    func openSession(hash: String, expiresAt: Int64) async throws(AssayError)
    /// Whether the session is recorded and has not expired at `now`.
    func isSessionOpen(hash: String, now: Int64) async throws(AssayError) -> Bool
    /// Ends a session (and forgets sessions that expired before `now`).
    func closeSession(hash: String, now: Int64) async throws(AssayError)
    /// Throws unless the database answers a query.
    func checkReachable() async throws(AssayError)
    /// How many reads and write transactions are under way now, and how many connections the
    /// database's pool may open (nil for a single-connection database).
    var databaseUse: DatabaseUse { get }
}

/// The database work under way (for a server's `/metrics`).
public struct DatabaseUse: Sendable, Equatable {
    public var reads: Int
    public var writes: Int
    public var poolSize: Int?

    public init(reads: Int, writes: Int, poolSize: Int?) {
        self.reads = reads
        self.writes = writes
        self.poolSize = poolSize
    }
}
