public import Assay

/// What differs between the SQL databases the tracking store runs on; everything else (tables,
/// statements, rules) is shared.
public struct SQLDialect: Sendable {
    /// The placeholder for the n-th argument (1-based): `?n` or `$n`.
    public var placeholder: @Sendable (Int) -> String
    /// Whether a list binds as one array argument (`x = ANY($1)`) rather than one placeholder a value.
    public var bindsLists: Bool
    /// `column LIKE pattern`, case-sensitive or not, with `%` and `_` wildcards.
    public var like: @Sendable (_ column: SQL, _ pattern: SQL, _ caseSensitive: Bool) -> SQL
    /// A text expression compared by code points, whatever the database's collation.
    public var binaryText: @Sendable (SQL) -> SQL
    /// The column definition of an integer key the database numbers itself (the experiment id).
    public var generatedKey: String
    /// Statements that bring a database made by an earlier Assay to the shared schema.
    public var upgrades: [String: [String]]

    public init(
        placeholder: @escaping @Sendable (Int) -> String, bindsLists: Bool,
        like: @escaping @Sendable (SQL, SQL, Bool) -> SQL, binaryText: @escaping @Sendable (SQL) -> SQL,
        generatedKey: String, upgrades: [String: [String]] = [:]
    ) {
        self.placeholder = placeholder
        self.bindsLists = bindsLists
        self.like = like
        self.binaryText = binaryText
        self.generatedKey = generatedKey
        self.upgrades = upgrades
    }

    /// An argument as the database receives it.
    public enum Argument: Sendable, Equatable {
        case value(SQLValue)
        /// A whole list for one placeholder (dialects with ``bindsLists``).
        case list([SQLValue])
    }

    /// The statement's text with this dialect's placeholders, and its arguments in order.
    public func render(_ sql: SQL) -> (text: String, arguments: [Argument]) {
        var text = ""
        var arguments: [Argument] = []
        for part in sql.parts {
            switch part {
            case .raw(let s):
                text += s
            case .value(let v):
                arguments.append(.value(v))
                text += placeholder(arguments.count)
            case .anyOf(let expression, let values):
                if values.isEmpty {
                    text += "1 = 0"
                } else if bindsLists {
                    arguments.append(.list(values))
                    text += "\(expression) = ANY(\(placeholder(arguments.count)))"
                } else {
                    text += "\(expression) IN ("
                    for (i, v) in values.enumerated() {
                        arguments.append(.value(v))
                        text += (i == 0 ? "" : ", ") + placeholder(arguments.count)
                    }
                    text += ")"
                }
            }
        }
        return (text, arguments)
    }
}

/// A connection inside a transaction (or a read): statements run one after another on it.
public protocol SQLSession: Sendable {
    /// Runs a statement and returns its rows (none for most writes).
    func rows(_ sql: SQL) async throws -> [SQLRow]
    /// Runs a statement for its effect. A session may hold it back and send it with the next statement
    /// that returns rows, or with the commit: its error, if any, then fails the transaction there.
    func execute(_ sql: SQL) async throws
    /// Runs statements that do not depend on each other and returns each one's rows; a session may send
    /// them together.
    func rows(of statements: [SQL]) async throws -> [[SQLRow]]
}

extension SQLSession {
    public func execute(_ sql: SQL) async throws {
        _ = try await rows(sql)
    }

    public func rows(of statements: [SQL]) async throws -> [[SQLRow]] {
        var all: [[SQLRow]] = []
        for statement in statements { all.append(try await rows(statement)) }
        return all
    }

    /// The first row, or nil.
    public func first(_ sql: SQL) async throws -> SQLRow? {
        try await rows(sql).first
    }

    /// Whether the statement returns a row.
    public func exists(_ sql: SQL) async throws -> Bool {
        try await rows(sql).isEmpty == false
    }
}

/// A database the tracking store keeps its tables in: it opens sessions, runs migrations and says what its
/// errors mean. AssayStoreSQLite and AssayStorePostgres each supply one.
public protocol SQLDatabase: Sendable {
    /// The session type.
    associatedtype Session: SQLSession

    /// How this database writes what differs.
    var dialect: SQLDialect { get }

    /// Runs `body` in one transaction: all of its writes are kept, or none when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (Session) async throws -> T) async throws -> T

    /// Runs reads; they may run beside other reads and a write.
    func read<T: Sendable>(_ body: @escaping @Sendable (Session) async throws -> T) async throws -> T

    /// Applies the migrations not applied yet, in order, each once (also with several processes at once).
    func migrate(_ migrations: [SQLMigration]) async throws

    /// The database's own error (a constraint, a lost connection) in the store's terms.
    func storeError(_ error: any Error) -> AssayError

    /// How many connections the pool may open; nil for one connection (or none to speak of).
    var poolSize: Int? { get }
}

extension SQLDatabase {
    public var poolSize: Int? { nil }
}

/// A named schema change, applied once.
public struct SQLMigration: Sendable {
    /// The name it is recorded under.
    public var name: String
    /// Its statements, in order.
    public var statements: [SQL]

    public init(name: String, statements: [SQL]) {
        self.name = name
        self.statements = statements
    }
}
