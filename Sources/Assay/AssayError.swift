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
    /// What the caller has to supply to get past this error, when that is the cause; a tool says it in
    /// its own terms (the command line names its flag).
    public var requirement: Requirement?

    /// Creates an error of the given kind.
    public init(_ kind: Kind, _ message: String, requirement: Requirement? = nil) {
        self.kind = kind
        self.message = message
        self.requirement = requirement
    }

    /// Bad input because something the call needs was not given.
    public static func needs(_ requirement: Requirement, _ message: String) -> AssayError {
        AssayError(.invalidInput, message, requirement: requirement)
    }

    public var description: String { message }

    /// Bad input with a message that already says where.
    public static func invalidInput(_ message: String) -> AssayError {
        AssayError(.invalidInput, message)
    }

    /// Bad input at a place in a file.
    public static func invalidFile(
        _ path: String, line: Int? = nil, column: Int? = nil, _ message: String
    )
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

/// Something a caller must supply for an evaluation to run: a column, a judge model, a metric's
/// setting, a credential. Errors and skipped metrics carry it so that each front end can say how to
/// supply it (the `assay` command names its flag; a Swift caller sets the parameter of the same name).
public enum Requirement: Sendable, Equatable {
    /// The column that holds the predictions (`evaluate(predictions:)`).
    case predictionsColumn
    /// The column that holds the ground truth (`evaluate(targets:)`).
    case targetsColumn
    /// A column for a metric's argument, absent from the dataset: map one (`columnMapping`).
    case columnMapping(argument: String)
    /// A model to judge with (`EvaluationConfiguration.judge`).
    case judgeModel
    /// regex_match's pattern (`EvaluationConfiguration.regexPattern`).
    case regexPattern
    /// contains' keywords (`EvaluationConfiguration.containsKeywords`).
    case containsKeywords
    /// The price of a model, to keep a spending limit.
    case price(model: String)
    /// A provider's address, when its environment variables do not give one.
    case baseURL
    /// An AI gateway's address.
    case gatewayAddress
}
