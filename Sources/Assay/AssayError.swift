/// The error every throwing API of the Assay library reports.
///
/// Its description says what failed, where (file, line, row, column) and, where it can, what to do.
/// ``kind`` separates a user's bad input from a failure of Assay itself, so a command-line tool can
/// choose its exit status.
public struct AssayError: Error, CustomStringConvertible, Sendable {
    /// What sort of failure this is.
    public enum Kind: Sendable, Equatable {
        /// The input (a file, a column, an option) is wrong; fixing it makes the run work.
        case invalidInput
        /// A model or another service failed in a way no retry fixed.
        case serviceFailure
        /// The run's spending limit was reached, so the call was not made.
        case budgetExhausted
        /// A tracked thing (experiment, run) that does not exist.
        case notFound
        /// A tracked thing that already exists under that name.
        case alreadyExists
        /// Assay itself failed.
        case `internal`
    }

    /// What sort of failure this is.
    public var kind: Kind
    /// The full message.
    public var message: String

    /// Creates an error of the given kind.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Bad input with a message that already says where.
    public static func invalidInput(_ message: String) -> AssayError {
        AssayError(.invalidInput, message)
    }

    /// Bad input at a place in a file.
    public static func invalidFile(_ path: String, line: Int? = nil, column: Int? = nil, _ message: String)
        -> AssayError
    {
        var place = path
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return AssayError(.invalidInput, "\(place): \(message)")
    }

    /// A column that the dataset does not have.
    public static func unknownColumn(_ name: String, role: String, available: [String]) -> AssayError {
        let list = available.isEmpty ? "none" : available.map { "'\($0)'" }.joined(separator: ", ")
        return AssayError(
            .invalidInput, "\(role) column '\(name)' is not in the dataset; its columns are: \(list)")
    }

    /// A failure inside Assay.
    /// A service (a model endpoint, a database, a tracking server) failed in a way no retry fixed.
    public static func serviceFailure(_ message: String) -> AssayError {
        AssayError(.serviceFailure, message)
    }

    public static func `internal`(_ message: String) -> AssayError {
        AssayError(.internal, message)
    }
}
