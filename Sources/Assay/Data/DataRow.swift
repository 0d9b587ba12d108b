/// The ordered column names of a dataset, with a fast name lookup.
public final class ColumnIndex: Sendable {
    /// Column names in dataset order.
    public let names: [String]
    private let positions: [String: Int]

    /// Creates an index over the given names (the first occurrence of a repeated name wins).
    public init(_ names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (i, name) in names.enumerated() where positions[name] == nil { positions[name] = i }
        self.positions = positions
    }

    /// The position of a column, or nil when the dataset has no such column.
    public func position(of name: String) -> Int? { positions[name] }

    /// Whether the dataset has this column.
    public func contains(_ name: String) -> Bool { positions[name] != nil }

    /// This index with the names it lacks appended.
    func adding(_ more: some Sequence<String>) -> ColumnIndex {
        var names = self.names
        for name in more where positions[name] == nil && !names.contains(name) { names.append(name) }
        return names.count == self.names.count ? self : ColumnIndex(names)
    }
}

/// One row of a dataset: its values by column, and where it came from.
///
/// ```swift
/// let row = DataRow(["question": "What is Swift?", "answer": "A language."])
/// row["question"]   // .string("What is Swift?")
/// ```
public struct DataRow: Sendable {
    /// The columns this row's values are laid out by.
    public let columns: ColumnIndex
    /// The values, in column order; a row may be shorter than its columns (missing values are null).
    public var values: [DataValue]
    /// The 1-based row number within the dataset.
    public var number: Int
    /// The 1-based line of the source file the row starts on, when it came from a file.
    public var line: Int?
    /// Which sample of the row this is when each row is answered several times (0 otherwise).
    public var sample = 0

    /// Creates a row from values laid out by `columns`.
    public init(columns: ColumnIndex, values: [DataValue], number: Int = 1, line: Int? = nil) {
        self.columns = columns
        self.values = values
        self.number = number
        self.line = line
    }

    /// Creates a row from name-value pairs, in the order given.
    public init(_ pairs: KeyValuePairs<String, DataValue>, number: Int = 1) {
        self.init(columns: ColumnIndex(pairs.map(\.key)), values: pairs.map(\.value), number: number)
    }

    /// The value of a column; null when the row lacks it.
    public subscript(column: String) -> DataValue {
        guard let i = columns.position(of: column), i < values.count else { return .null }
        return values[i]
    }

    /// Where the row is, for error messages: "row 12 (line 14)".
    public var location: String {
        let sampleText = sample > 0 ? ", sample \(sample + 1)" : ""
        if let line, line != number { return "row \(number) (line \(line))\(sampleText)" }
        return "row \(number)\(sampleText)"
    }
}
