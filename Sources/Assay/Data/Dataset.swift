import Foundation

/// An evaluation dataset: rows of named columns, held in memory or streamed from a file.
///
/// Files are CSV (RFC 4180, with a header row), JSON Lines (one object per line) or a JSON array of
/// objects. Files are read row by row when evaluated, so a JSON Lines file of millions of rows evaluates
/// in bounded memory.
///
/// ```swift
/// let file = try Dataset(contentsOf: "examples/qa.jsonl")
/// let inline = Dataset(
///     columns: ["inputs", "ground_truth", "predictions"],
///     rows: [["What is 2+2?", "4", "4"], ["Capital of France?", "Paris", "Lyon"]])
/// ```
public struct Dataset: Sendable {
    /// The file formats a dataset can be read from.
    public enum Format: String, Sendable, CaseIterable {
        /// Comma-separated values with a header row. Empty cells are null; a cell holding a JSON array
        /// (such as `["doc1","doc2"]`) is a list; every other cell is a string.
        case csv
        /// JSON Lines: one JSON object per line.
        case jsonl
        /// A JSON array of objects.
        case json

        /// The format a file name implies, from its extension.
        public init?(path: String) {
            switch (path as NSString).pathExtension.lowercased() {
            case "csv": self = .csv
            case "jsonl", "ndjson": self = .jsonl
            case "json": self = .json
            default: return nil
            }
        }
    }

    enum Source: Sendable {
        case file(path: String, format: Format)
        case memory(ColumnIndex, [[DataValue]])
    }

    /// A short name for the dataset (the file name without its folder), recorded with results.
    public var name: String
    let source: Source

    /// A dataset read from a file; the format comes from the extension unless given.
    ///
    /// Only the file's existence and format are checked here; rows are read when the dataset is evaluated.
    public init(contentsOf path: String, format: Format? = nil) throws(AssayError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .invalidInput("\(path): no such file")
        }
        guard !isDirectory.boolValue else { throw .invalidInput("\(path): is a folder, not a dataset file") }
        guard let format = format ?? Format(path: path) else {
            throw .invalidInput(
                "\(path): cannot tell the format from the extension; use .csv, .jsonl or .json (or name the format)")
        }
        self.name = (path as NSString).lastPathComponent
        self.source = .file(path: path, format: format)
    }

    /// A dataset held in memory, with values laid out by `columns`.
    public init(name: String = "dataset", columns: [String], rows: [[DataValue]]) {
        self.name = name
        self.source = .memory(ColumnIndex(columns), rows)
    }

    /// The file the dataset is read from, if any.
    public var path: String? {
        if case .file(let path, _) = source { return path }
        return nil
    }

    /// Reads the rows one at a time, in order, without holding them all.
    public func forEachRow(_ body: (DataRow) throws(AssayError) -> Void) throws(AssayError) {
        var reader = try makeReader()
        while let row = try reader.next() { try body(row) }
    }

    /// Reads every row into memory. Convenient for small datasets and tests.
    public func rows() throws(AssayError) -> [DataRow] {
        var reader = try makeReader()
        var rows: [DataRow] = []
        while let row = try reader.next() { rows.append(row) }
        return rows
    }

    func makeReader() throws(AssayError) -> any DatasetReader {
        switch source {
        case .memory(let columns, let rows):
            return MemoryDatasetReader(columns: columns, rows: rows)
        case .file(let path, .jsonl):
            return try JSONLinesReader(path: path)
        case .file(let path, .csv):
            return try CSVReader(path: path)
        case .file(let path, .json):
            return try JSONArrayReader(path: path)
        }
    }
}

/// Reads a dataset's rows one at a time.
protocol DatasetReader {
    /// The columns known so far: after the first row, at least that row's columns.
    var columns: ColumnIndex { get }
    /// The next row, or nil at the end.
    mutating func next() throws(AssayError) -> DataRow?
    /// How much of the dataset has been read, 0 to 1.
    var fractionRead: Double { get }
}

struct MemoryDatasetReader: DatasetReader {
    let columns: ColumnIndex
    let rows: [[DataValue]]
    var position = 0

    var fractionRead: Double { rows.isEmpty ? 1 : Double(position) / Double(rows.count) }

    mutating func next() throws(AssayError) -> DataRow? {
        guard position < rows.count else { return nil }
        defer { position += 1 }
        return DataRow(columns: columns, values: rows[position], number: position + 1)
    }
}
