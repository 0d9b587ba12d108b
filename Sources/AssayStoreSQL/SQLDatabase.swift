public import Assay

/// What differs between the SQL databases the tracking store runs on; everything else (tables,
/// statements, rules) is shared.
public struct SQLDialect: Sendable {
    /// What goes before the argument's number (1-based) in a placeholder: `?` for `?n`, `$` for `$n`
    /// (an ASCII character).
    public var placeholderPrefix: Character
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
        placeholderPrefix: Character, bindsLists: Bool,
        like: @escaping @Sendable (SQL, SQL, Bool) -> SQL, binaryText: @escaping @Sendable (SQL) -> SQL,
        generatedKey: String, upgrades: [String: [String]] = [:]
    ) {
        self.placeholderPrefix = placeholderPrefix
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
        var out = Rendering(prefix: placeholderPrefix.asciiValue ?? UInt8(ascii: "?"), parts: sql.parts.count)
        for part in sql.parts {
            switch part {
            case .raw(let s):
                out.append(s)
            case .value(let v):
                out.bind(.value(v))
            case .anyOf(let expression, let values):
                if values.isEmpty {
                    out.append("1 = 0")
                } else if bindsLists {
                    out.append(expression)
                    out.append(" = ANY(")
                    out.bind(.list(values))
                    out.append(")")
                } else {
                    out.append(expression)
                    out.append(" IN (")
                    for (i, v) in values.enumerated() {
                        if i > 0 { out.append(", ") }
                        out.bind(.value(v))
                    }
                    out.append(")")
                }
            }
        }
        return (String(decoding: out.text, as: UTF8.self), out.arguments)
    }
}

/// A statement being rendered: its text as bytes (a batch's INSERT has a few hundred parts, and
/// appending bytes costs less than appending strings) and its arguments.
private struct Rendering {
    let prefix: UInt8
    var text: [UInt8] = []
    var arguments: [SQLDialect.Argument] = []

    init(prefix: UInt8, parts: Int) {
        self.prefix = prefix
        text.reserveCapacity(parts * 8)
        arguments.reserveCapacity(parts / 2)
    }

    mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { text.append(contentsOf: $0) }
    }

    /// The argument, and its placeholder (`?12`, `$12`).
    mutating func bind(_ argument: SQLDialect.Argument) {
        arguments.append(argument)
        text.append(prefix)
        let n = arguments.count
        var power = 1
        while power * 10 <= n { power *= 10 }
        while power > 0 {
            text.append(UInt8(ascii: "0") + UInt8(n / power % 10))
            power /= 10
        }
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
