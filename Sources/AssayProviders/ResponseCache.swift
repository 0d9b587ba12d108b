public import Assay
import Crypto
public import Foundation
import GRDB

/// Model answers stored by the content of the request, so that asking the same thing again costs
/// nothing: the key is a SHA-256 of provider, model, URL, the full request body and the sample index.
///
/// An embedded SQLite database (WAL) in the cache folder: `ASSAY_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/assay`, else `~/.cache/assay`. Keys never include credentials.
public final class ResponseCache: Sendable {
    /// A stored answer.
    public struct Entry: Sendable, Equatable {
        /// The answer's text.
        public var output: String
        /// The provider's raw reply.
        public var body: String
        /// The seconds the original call took.
        public var latency: Double
        /// Tokens the original call used.
        public var usage: TokenUsage?
        /// What the original call cost, when known.
        public var cost: Double?

        public init(output: String, body: String, latency: Double, usage: TokenUsage?, cost: Double?) {
            self.output = output
            self.body = body
            self.latency = latency
            self.usage = usage
            self.cost = cost
        }
    }

    /// Where the database lives.
    public let path: String
    private let pool: DatabasePool

    /// The default cache folder.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["ASSAY_CACHE_DIR"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/assay" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/assay"
    }

    /// Opens (creating if needed) the cache in `directory`.
    public init(directory: String) throws(AssayError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            path = (directory as NSString).appendingPathComponent("responses.sqlite")
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            configuration.busyMode = .timeout(10)
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1: responses") { db in
                try db.create(table: "responses") { t in
                    t.primaryKey("key", .text)
                    t.column("provider", .text).notNull()
                    t.column("model", .text).notNull()
                    t.column("output", .text).notNull()
                    t.column("body", .text).notNull()
                    t.column("latency", .double).notNull()
                    t.column("prompt_tokens", .integer)
                    t.column("completion_tokens", .integer)
                    t.column("cost", .double)
                    t.column("created_at", .double).notNull()
                }
            }
            try migrator.migrate(pool)
        } catch {
            throw .invalidInput("cannot open the response cache in \(directory): \(error)")
        }
    }

    /// The cache key of a request.
    public static func key(provider: String, model: String, url: String, body: [UInt8], sample: Int) -> String {
        var hasher = SHA256()
        for part in [provider, model, url] {
            hasher.update(data: Array(part.utf8))
            hasher.update(data: [0])
        }
        hasher.update(data: body)
        hasher.update(data: [0])
        hasher.update(data: Array(String(sample).utf8))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The stored answer for a key.
    public func entry(for key: String) async throws -> Entry? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM responses WHERE key = ?", arguments: [key]) else {
                return nil
            }
            let prompt: Int? = row["prompt_tokens"]
            let completion: Int? = row["completion_tokens"]
            return Entry(
                output: row["output"], body: row["body"], latency: row["latency"],
                usage: prompt.flatMap { p in completion.map { TokenUsage(promptTokens: p, completionTokens: $0) } },
                cost: row["cost"])
        }
    }

    /// Stores (or replaces) the answer for a key.
    public func store(_ entry: Entry, for key: String, provider: String, model: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO responses
                    (key, provider, model, output, body, latency, prompt_tokens, completion_tokens, cost, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key, provider, model, entry.output, entry.body, entry.latency, entry.usage?.promptTokens,
                    entry.usage?.completionTokens, entry.cost, Date().timeIntervalSince1970,
                ])
        }
    }

    /// The number of stored answers.
    public func count() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM responses") ?? 0 }
    }
}
