import Assay
public import Hummingbird
import NIOCore

/// An error answered in MLflow's shape: `{"error_code": "...", "message": "..."}` with the HTTP status
/// MLflow's server maps the code to. Client mistakes are 4xx, never 5xx: the official client retries
/// 5xx for minutes before giving up.
public struct APIError: HTTPResponseError, Sendable, CustomStringConvertible {
    /// MLflow's error code, such as `RESOURCE_DOES_NOT_EXIST`.
    public var code: String
    public var message: String
    private var explicitStatus: HTTPResponse.Status?

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A request body past the limit: 413, with a code the client knows.
    static func tooLarge(_ message: String) -> APIError {
        var error = APIError("INVALID_PARAMETER_VALUE", message)
        error.explicitStatus = .contentTooLarge
        return error
    }

    /// A request that took too long to send: 408.
    static func timedOut(_ message: String) -> APIError {
        var error = APIError("BAD_REQUEST", message)
        error.explicitStatus = .requestTimeout
        return error
    }

    public var description: String { "\(code): \(message)" }

    /// The status MLflow's server answers this code with.
    public var status: HTTPResponse.Status {
        if let explicitStatus { return explicitStatus }
        return switch code {
        case "INVALID_PARAMETER_VALUE", "BAD_REQUEST", "RESOURCE_ALREADY_EXISTS": .badRequest
        case "UNAUTHENTICATED": .unauthorized
        case "PERMISSION_DENIED": .forbidden
        case "RESOURCE_DOES_NOT_EXIST", "ENDPOINT_NOT_FOUND": .notFound
        case "NOT_IMPLEMENTED": .notImplemented
        case "TEMPORARILY_UNAVAILABLE": .serviceUnavailable
        default: .internalServerError
        }
    }

    static func invalid(_ message: String) -> APIError { APIError("INVALID_PARAMETER_VALUE", message) }
    static func notFound(_ message: String) -> APIError { APIError("RESOURCE_DOES_NOT_EXIST", message) }

    static func missing(_ name: String) -> APIError {
        invalid("Missing value for required parameter '\(name)'. See the API docs for more information about request parameters.")
    }

    /// The store's error as the client should see it.
    init(_ error: AssayError) {
        switch error.kind {
        case .invalidInput, .budgetExhausted: self.init("INVALID_PARAMETER_VALUE", error.message)
        case .notFound: self.init("RESOURCE_DOES_NOT_EXIST", error.message)
        case .alreadyExists: self.init("RESOURCE_ALREADY_EXISTS", error.message)
        case .serviceFailure: self.init("TEMPORARILY_UNAVAILABLE", error.message)
        case .internal: self.init("INTERNAL_ERROR", error.message)
        }
    }

    /// The JSON body.
    var body: DataValue {
        .object(["error_code": .string(code), "message": .string(message)])
    }

    /// The answer: the JSON body with its status (and the challenge of a 401).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if code == "UNAUTHENTICATED" { headers[.wwwAuthenticate] = "Basic realm=\"assay\", charset=\"UTF-8\"" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body.description)))
    }
}
