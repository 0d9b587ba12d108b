import Assay
import Foundation
import Hummingbird
import Logging

/// Turns every error of the API routes into MLflow's error body: store errors by their kind, anything
/// unexpected as INTERNAL_ERROR (logged, without internals in the answer).
struct APIErrorMiddleware: RouterMiddleware {
    let logger: Logger

    func handle(
        _ request: Request, context: AssayRequestContext, next: (Request, AssayRequestContext) async throws -> Response
    )
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as AssayError where error.kind == .internal || error.kind == .serviceFailure {
            // The message may hold SQL, paths or a database's own words: logged, never answered.
            let reference = String(UInt32.random(in: .min ... .max), radix: 16)
            logger.error(
                "request failed",
                metadata: [
                    "path": "\(request.uri.path)", "error": "\(error.message)", "reference": "\(reference)",
                    "request_id": "\(context.requestID)",
                ])
            throw APIError(
                error.kind == .internal ? "INTERNAL_ERROR" : "TEMPORARILY_UNAVAILABLE",
                "The server could not answer this request (logged as \(reference)).")
        } catch let error as AssayError {
            throw APIError(error)
        } catch let error as any HTTPResponseError {
            throw APIError(error.status == .notFound ? "ENDPOINT_NOT_FOUND" : "INVALID_PARAMETER_VALUE", "\(error)")
        } catch {
            logger.error(
                "request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)", "request_id": "\(context.requestID)"])
            throw APIError("INTERNAL_ERROR", "The server could not answer this request.")
        }
    }
}

/// Lets a request through when the server has no token, or when it carries the token as a bearer token
/// or as the password of HTTP basic; anything else is a 401 in MLflow's error shape.
struct TokenAuthMiddleware: RouterMiddleware {
    let token: String?
    let username: String?

    func handle(
        _ request: Request, context: AssayRequestContext, next: (Request, AssayRequestContext) async throws -> Response
    )
        async throws -> Response
    {
        guard let token else { return try await next(request, context) }
        guard Self.authorized(request.headers[.authorization], token: token, username: username) else {
            throw APIError(
                "UNAUTHENTICATED", "Authentication required: send the server's token as a bearer token or as the HTTP basic password.")
        }
        return try await next(request, context)
    }

    static func authorized(_ header: String?, token: String, username: String?) -> Bool {
        guard let header else { return false }
        if header.count > 7, header.prefix(7).lowercased() == "bearer " {
            return constantTimeEqual(String(header.dropFirst(7)), token)
        }
        if header.count > 6, header.prefix(6).lowercased() == "basic ",
            let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let credentials = String(data: data, encoding: .utf8), let colon = credentials.firstIndex(of: ":")
        {
            let user = String(credentials[..<colon])
            let password = String(credentials[credentials.index(after: colon)...])
            // Both comparisons always run, so the time taken says nothing about which part was wrong.
            let userMatches = username.map { constantTimeEqual(user, $0) } ?? true
            let passwordMatches = constantTimeEqual(password, token)
            return userMatches && passwordMatches
        }
        return false
    }

    /// Compares every byte of both strings whatever their contents, so timing reveals at most the length.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

/// What no route answers: a web UI address, or any address outside the API that a browser asks for
/// (`Accept: text/html`), gets an HTML page saying so; anything else MLflow's JSON
/// (`ENDPOINT_NOT_FOUND`), as the mlflow client expects.
struct NotFoundMiddleware: RouterMiddleware {
    let ui: WebUI

    func handle(
        _ request: Request, context: AssayRequestContext, next: (Request, AssayRequestContext) async throws -> Response
    )
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // A page the UI owns, or any address a browser asks for outside the API, gets the HTML page.
            let browser = request.headers[.accept]?.contains("text/html") == true && !Self.isAPI(request.uri.path)
            if request.method == .get, ui.claims(request.uri.path) || browser {
                try? await ui.key.load()
                return ui.notFound(try? await ui.signedInSession(request))
            }
            throw APIError("ENDPOINT_NOT_FOUND", "No route for \(request.method.rawValue) \(request.uri.path)")
        }
    }

    /// The paths that answer JSON whatever the client accepts.
    static func isAPI(_ path: String) -> Bool {
        let first = path.split(separator: "/", maxSplits: 1).first ?? ""
        return ["api", "ajax-api", "v1", "graphql"].contains(first)
    }
}
