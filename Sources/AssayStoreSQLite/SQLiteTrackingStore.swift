public import Assay
@_exported public import AssayStoreSQL
import Foundation
import GRDB
import GRDBSQLite

/// The embedded tracking store: one SQLite database (WAL) holding experiments, runs, params, tags,
/// metrics with their full history, dataset inputs and traces, under the rules of ``SQLTrackingStore``.
///
/// ```swift
/// let store = try SQLiteTrackingStore(path: "assay.db")
/// let run = try await store.createRun(in: "0", named: nil, startTime: MetricPoint.now(), userID: nil, tags: [])
/// ```
public typealias SQLiteTrackingStore = SQLTrackingStore<SQLiteDatabase>

extension SQLTrackingStore where Database == SQLiteDatabase {
    /// Opens (creating and migrating if needed) the database at `path`.
    public convenience init(path: String, artifactRoot: String = "mlflow-artifacts:") throws(AssayError) {
        self.init(database: try SQLiteDatabase(path: path), artifactRoot: artifactRoot)
        try database.migrateNow(migrations)
    }

    /// An in-memory store, for tests.
    public convenience init(inMemoryWithArtifactRoot artifactRoot: String = "mlflow-artifacts:") throws(AssayError) {
        self.init(database: try SQLiteDatabase(), artifactRoot: artifactRoot)
        try database.migrateNow(migrations)
    }

    /// SQLite's own consistency check of the database file: no lines when it is sound, else what is wrong.
    public func integrityProblems() async throws(AssayError) -> [String] {
        let lines = try await read { s in try await s.rows("PRAGMA integrity_check").map { $0.string(0) } }
        return lines == ["ok"] ? [] : lines
    }
}

/// A SQLite database file (or an in-memory one) for ``SQLTrackingStore``, on GRDB: one writer
/// connection whose transactions run one at a time, and concurrent readers (WAL).
public struct SQLiteDatabase: SQLDatabase {
    private let writer: any DatabaseWriter
    /// Whether reads have connections of their own (a file) or share the writer's (in memory).
    private let pooled: Bool
    /// One write transaction at a time on the writer connection.
    private let writeGate = Permits(1)
    /// Where write transactions run (a file database only).
    private let writerThread: WriterThread?

    /// `?n` placeholders; LIKE through ``LikePattern`` because SQLite's own LIKE ignores case; text
    /// already compares by code points.
    public var dialect: SQLDialect { Self.dialect }

    static let dialect = SQLDialect(
        placeholderPrefix: "?", bindsLists: false,
        like: { column, pattern, caseSensitive in "assay_like(\(pattern), \(column), \(raw: caseSensitive ? "1" : "0"))" },
        binaryText: { $0 }, generatedKey: "INTEGER PRIMARY KEY")

    /// The database file at `path` (created when missing), not yet migrated: ``SQLTrackingStore/migrate()`` does that.
    public init(path: String) throws(AssayError) {
        do {
            var configuration = Self.configuration()
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                db.add(function: LikePattern.sqlFunction)
            }
            configuration.busyMode = .timeout(30)
            writer = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw .invalidInput("cannot open the tracking database \(path): \(error)")
        }
        pooled = true
        writerThread = WriterThread(name: "assay.sqlite.writer")
    }

    /// A database in memory, gone when the value is.
    public init() throws(AssayError) {
        do {
            var configuration = Self.configuration()
            configuration.prepareDatabase { db in db.add(function: LikePattern.sqlFunction) }
            writer = try DatabaseQueue(configuration: configuration)
        } catch {
            throw .internal("cannot open an in-memory database: \(error)")
        }
        pooled = false
        writerThread = nil
    }

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        // Transactions span several statements, each run on the writer connection in turn.
        configuration.allowsUnsafeTransactions = true
        return configuration
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteSession) async throws -> T) async throws -> T {
        guard let writerThread else { return try await transactionHere(body) }
        return try await withTaskExecutorPreference(writerThread) { try await transactionHere(body) }
    }

    private func transactionHere<T: Sendable>(_ body: @escaping @Sendable (SQLiteSession) async throws -> T) async throws -> T {
        try await writeGate.withPermit {
            let session = SQLiteSession(writer: writer, reads: false, holdsWrites: true)
            // BEGIN goes with the transaction's first statement, COMMIT with its last writes: a batch of
            // logging is two trips to the writer connection, whatever its statements.
            session.hold("BEGIN IMMEDIATE", [])
            do {
                let result = try await body(session)
                try session.flush(then: "COMMIT")
                return result
            } catch {
                session.discardHeld()
                try? session.run(["ROLLBACK"])
                throw error
            }
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteSession) async throws -> T) async throws -> T {
        if pooled { return try await body(SQLiteSession(writer: writer, reads: true)) }
        // In memory there is one connection: reads wait for the write in progress.
        return try await writeGate.withPermit { try await body(SQLiteSession(writer: writer, reads: false)) }
    }

    public func migrate(_ migrations: [SQLMigration]) async throws {
        try migrateNow(migrations)
    }

    /// GRDB's migrator, under the shared migrations' names (databases made by earlier versions keep
    /// their record of what was applied).
    func migrateNow(_ migrations: [SQLMigration]) throws(AssayError) {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            let statements = migration.statements.map(dialect.render)
            migrator.registerMigration(migration.name) { db in
                for (text, arguments) in statements {
                    try db.execute(sql: text, arguments: StatementArguments(arguments.map(SQLiteSession.databaseValue)))
                }
            }
        }
        do {
            try migrator.migrate(writer)
        } catch {
            throw .internal("cannot migrate the tracking database: \(error)")
        }
    }

    public func storeError(_ error: any Error) -> AssayError {
        if let error = error as? DatabaseError,
            error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
                || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            return AssayError(.alreadyExists, "already exists: \(error.message ?? "\(error)")")
        }
        return .internal("tracking database: \(error)")
    }
}

/// Statements on the writer connection (inside its transaction) or on a reader. Writes without rows
/// are held and sent with the next statement that returns rows, or with the commit, in one access.
///
/// GRDB opens the connections, keeps the prepared statements and runs the transactions; the session
/// binds and steps its statements itself, value by value, as the store's own ``SQLValue``s (GRDB's
/// rows and arguments would box each value and map each row's columns by name).
public final class SQLiteSession: SQLSession, @unchecked Sendable {
    let writer: any DatabaseWriter
    let reads: Bool
    /// Whether writes may wait for the next statement (inside a transaction, which sends them at the latest).
    let holdsWrites: Bool
    // `held` is read and written only while `lock` is held.
    private let lock = NSLock()
    private var held: [(text: String, arguments: [SQLDialect.Argument])] = []

    init(writer: any DatabaseWriter, reads: Bool, holdsWrites: Bool = false) {
        self.writer = writer
        self.reads = reads
        self.holdsWrites = holdsWrites
    }

    public func rows(_ sql: AssayStoreSQL.SQL) async throws -> [SQLRow] {
        try run([sql])[0]
    }

    public func rows(of statements: [AssayStoreSQL.SQL]) async throws -> [[SQLRow]] {
        try run(statements)
    }

    public func execute(_ sql: AssayStoreSQL.SQL) async throws {
        if holdsWrites {
            let (text, arguments) = SQLiteDatabase.dialect.render(sql)
            hold(text, arguments)
        } else {
            _ = try run([sql])
        }
    }

    func hold(_ text: String, _ arguments: [SQLDialect.Argument]) {
        lock.withLock { held.append((text, arguments)) }
    }

    func discardHeld() {
        lock.withLock { held.removeAll() }
    }

    /// Sends the held writes and then `text`, in one access.
    func flush(then text: String) throws {
        _ = try run([AssayStoreSQL.SQL(raw: text)])
    }

    /// Runs the held writes and then the statements, in one access where the caller is: GRDB's
    /// synchronous access, so a statement costs no hop between threads.
    @discardableResult
    func run(_ statements: [AssayStoreSQL.SQL]) throws -> [[SQLRow]] {
        let rendered = statements.map(SQLiteDatabase.dialect.render)
        let before = lock.withLock {
            defer { held.removeAll() }
            return held
        }
        let fetch = { (db: GRDB.Database) throws -> [[SQLRow]] in
            for (text, arguments) in before { _ = try Self.fetch(db, text, arguments) }
            return try rendered.map { try Self.fetch(db, $0.text, $0.arguments) }
        }
        return reads ? try writer.readSync(fetch) : try writer.writeSync(fetch)
    }

    /// Runs one statement on GRDB's cached prepared statement and returns its rows.
    static func fetch(_ db: GRDB.Database, _ text: String, _ arguments: [SQLDialect.Argument]) throws -> [SQLRow] {
        let handle = try db.cachedStatement(sql: text).sqliteStatement
        sqlite3_reset(handle)
        defer { sqlite3_reset(handle) }
        for (i, argument) in arguments.enumerated() {
            let code = bind(argument, to: handle, at: CInt(i + 1))
            guard code == SQLITE_OK else { throw error(db, text) }
        }
        var rows: [SQLRow] = []
        let columns = sqlite3_column_count(handle)
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_DONE:
                return rows
            case SQLITE_ROW:
                var row: [SQLValue] = []
                row.reserveCapacity(Int(columns))
                for column in 0..<columns { row.append(value(handle, column)) }
                rows.append(SQLRow(row))
            default:
                throw error(db, text)
            }
        }
    }

    /// The connection's last error as GRDB reports it (its extended code tells a duplicate key apart).
    private static func error(_ db: GRDB.Database, _ text: String) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)), message: db.lastErrorMessage, sql: text)
    }

    /// An argument as GRDB binds it (migrations run through GRDB's own `execute`, which takes several statements).
    static func databaseValue(_ argument: SQLDialect.Argument) -> DatabaseValue {
        switch argument {
        case .value(.null), .list: .null
        case .value(.integer(let i)): i.databaseValue
        case .value(.real(let d)): d.databaseValue
        case .value(.text(let s)): s.databaseValue
        }
    }

    /// SQLite copies what it is given (its "transient" destructor), so the Swift value may go at once.
    private static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

    private static func bind(_ argument: SQLDialect.Argument, to handle: SQLiteStatement, at index: CInt) -> CInt {
        switch argument {
        case .value(.null), .list: return sqlite3_bind_null(handle, index)
        case .value(.integer(let i)): return sqlite3_bind_int64(handle, index, i)
        case .value(.real(let d)): return sqlite3_bind_double(handle, index, d)
        case .value(.text(var s)):
            return s.withUTF8 { bytes in
                // An empty string still needs a pointer: NULL would bind SQL NULL.
                guard let start = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_text(handle, index, "", 0, transient) }
                return start.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(handle, index, $0, CInt(bytes.count), transient)
                }
            }
        }
    }

    private static func value(_ handle: SQLiteStatement, _ column: CInt) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        default:
            // Text, and blobs read as UTF-8 text.
            let bytes = sqlite3_column_text(handle, column)
            let count = Int(sqlite3_column_bytes(handle, column))
            guard let bytes else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        }
    }
}

extension DatabaseWriter {
    /// The synchronous write access (GRDB disfavours it in async code; here it is what we want).
    fileprivate func writeSync<T>(_ body: (GRDB.Database) throws -> T) throws -> T {
        try writeWithoutTransaction(body)
    }

    /// A read on a reader connection, in a snapshot of its own.
    fileprivate func readSync<T>(_ body: (GRDB.Database) throws -> T) throws -> T {
        try read(body)
    }
}
