/// A value bound to a statement's placeholder, or read from a result column.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    /// The value as text, when it is text.
    public var text: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    /// The value as an integer, when it is one (a whole real counts).
    public var integer: Int64? {
        switch self {
        case .integer(let i): i
        case .real(let d) where d == d.rounded() && abs(d) < 9.2e18: Int64(d)
        default: nil
        }
    }

    /// The value as a real, when it is a number.
    public var real: Double? {
        switch self {
        case .real(let d): d
        case .integer(let i): Double(i)
        default: nil
        }
    }
}

/// Swift values that bind to a placeholder.
public protocol SQLBindable: Sendable {
    /// The value as bound.
    var sqlValue: SQLValue { get }
}

extension String: SQLBindable {
    public var sqlValue: SQLValue { .text(self) }
}

extension Int64: SQLBindable {
    public var sqlValue: SQLValue { .integer(self) }
}

extension Int: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Double: SQLBindable {
    public var sqlValue: SQLValue { .real(self) }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// One SQL statement with its values kept apart from its text: interpolated values become placeholders,
/// so no value ever becomes SQL. `\(raw:)` inserts SQL text (column names, operators) and `\(list:)` a
/// membership test that each database writes its own way.
///
/// ```swift
/// let statement: SQL = "SELECT value FROM params WHERE run_uuid = \(id) AND key = \(key)"
/// ```
public struct SQL: Sendable, ExpressibleByStringInterpolation {
    /// A piece of a statement.
    public enum Part: Sendable {
        /// SQL text.
        case raw(String)
        /// A value for one placeholder.
        case value(SQLValue)
        /// `expression IN (…)`, true for any of the values (false for none).
        case anyOf(expression: String, values: [SQLValue])
    }

    /// The pieces, in order.
    public private(set) var parts: [Part]

    public init(stringLiteral value: String) {
        parts = [.raw(value)]
    }

    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
    }

    /// SQL text with no values.
    public init(raw text: String) {
        parts = [.raw(text)]
    }

    /// Builds statements from literals and interpolated values.
    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) {
            parts.append(.raw(literal))
        }

        /// A value, bound to a placeholder.
        public mutating func appendInterpolation(_ value: some SQLBindable) {
            parts.append(.value(value.sqlValue))
        }

        /// SQL text, as written.
        public mutating func appendInterpolation(raw text: String) {
            parts.append(.raw(text))
        }

        /// A nested statement, its values kept as values.
        public mutating func appendInterpolation(_ sql: SQL) {
            parts += sql.parts
        }

        /// `expression IN (values)`, written as the database likes it.
        public mutating func appendInterpolation(_ expression: String, in values: [some SQLBindable]) {
            parts.append(.anyOf(expression: expression, values: values.map(\.sqlValue)))
        }
    }

    /// Appends more of the statement.
    public static func + (a: SQL, b: SQL) -> SQL {
        var result = a
        result.parts += b.parts
        return result
    }

    /// Appends more of the statement.
    public static func += (a: inout SQL, b: SQL) {
        a.parts += b.parts
    }

    /// Joins statements' pieces with a separator (`AND`, `, `).
    public static func joined(_ pieces: [SQL], separator: String) -> SQL {
        var result = SQL(raw: "")
        for (i, piece) in pieces.enumerated() {
            if i > 0 { result.parts.append(.raw(separator)) }
            result.parts += piece.parts
        }
        return result
    }
}

/// One row of a result, its columns in the order the statement selected them.
public struct SQLRow: Sendable {
    /// The columns' values.
    public var values: [SQLValue]

    public init(_ values: [SQLValue]) {
        self.values = values
    }

    /// Column `i` as text; an empty string for anything else (a NOT NULL text column never is).
    public func string(_ i: Int) -> String {
        values[i].text ?? ""
    }

    /// Column `i` as text, or nil when it is NULL.
    public func optionalString(_ i: Int) -> String? {
        values[i].text
    }

    /// Column `i` as an integer; 0 for NULL.
    public func int64(_ i: Int) -> Int64 {
        values[i].integer ?? 0
    }

    /// Column `i` as an integer, or nil when it is NULL.
    public func optionalInt64(_ i: Int) -> Int64? {
        values[i].integer
    }

    /// Column `i` as a real, or nil when it is NULL.
    public func optionalDouble(_ i: Int) -> Double? {
        values[i].real
    }
}
