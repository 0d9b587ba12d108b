import Assay
import Crypto
import Foundation
import Hummingbird
import Mustache
import NIOCore

/// The web UI at `/`: experiments, an experiment's runs, a run (metrics, params, tags, artifacts and
/// its evaluation table) and a comparison of runs. Server-rendered HTML that works without JavaScript;
/// every value is escaped by the templates.
///
/// With a server token, the UI asks for it once (`/login`) and keeps an HttpOnly, SameSite=Strict
/// session cookie; its only state-changing actions (delete or restore a run, sign out) are forms that
/// carry a CSRF token derived from the session.
struct WebUI: Sendable {
    let store: any TrackingStore
    let artifacts: ArtifactStore
    let configuration: TrackingServer.Configuration
    let library: MustacheLibrary
    let tableCache = EvaluationTableCache()
    /// Signs sessions and CSRF tokens; new at every start, so a restart signs everyone out.
    let secret: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }

    init(store: any TrackingStore, artifacts: ArtifactStore, configuration: TrackingServer.Configuration) throws {
        self.store = store
        self.artifacts = artifacts
        self.configuration = configuration
        var library = MustacheLibrary()
        let templates = [
            ("layout", Templates.layout), ("login", Templates.login), ("experiments", Templates.experiments),
            ("runs", Templates.runs), ("run", Templates.run), ("evaluationTable", Templates.evaluationTable),
            ("artifact", Templates.artifact), ("compare", Templates.compare), ("message", Templates.message),
            ("traces", Templates.traces), ("trace", Templates.trace),
        ]
        for (name, text) in templates { try library.register(text, named: name) }
        self.library = library
    }

    /// A page request in the UI's part of the site; nil when the path is not the UI's.
    struct Page {
        let request: Request
        let segments: [String]
        let query: RequestFields
        let session: String?
    }

    func respond(to request: Request) async -> Response? {
        let path = request.uri.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
        switch (request.method, segments.first) {
        case (.get, "static"):
            return Self.asset(segments.dropFirst().joined(separator: "/"))
        case (.get, nil), (.get, "experiments"), (.get, "runs"), (.get, "compare"), (.get, "traces"), (.get, "login"), (.post, "login"),
            (.post, "logout"), (.post, "runs"):
            break
        default:
            return nil
        }
        var request = request
        let session = signedInSession(request)
        do {
            if segments.first == "login" { return try await login(&request, session: session) }
            if configuration.authToken != nil, session == nil {
                return Self.redirect("/login" + HTML.query([("next", path + (request.uri.query.map { "?" + $0 } ?? ""))]))
            }
            let page = Page(request: request, segments: segments, query: RequestFields(query: request.uri.query), session: session)
            if request.method == .post {
                let form = RequestFields(query: String(decoding: try await Self.body(&request, limit: 64 << 10), as: UTF8.self))
                guard Self.sameToken(try form.string("csrf") ?? "", csrfToken(session)) else {
                    return render(status: .forbidden, title: "Refused", template: "message",
                                ["title": "Refused", "message": "This form is out of date or did not come from this site. Go back, reload the page and try again."],
                                session: session)
                }
                return try await post(page)
            }
            switch segments.first {
            case nil: return try await experimentsPage(page)
            case "experiments" where segments.count == 2: return try await runsPage(page, experimentID: segments[1])
            case "experiments" where segments.count == 3 && segments[2] == "traces": return try await tracesPage(page, experimentID: segments[1])
            case "traces" where segments.count == 2: return try await tracePage(page, traceID: segments[1])
            case "runs" where segments.count == 2: return try await runPage(page, runID: segments[1])
            case "runs" where segments.count > 3 && segments[2] == "artifacts":
                return try await artifactPage(page, runID: segments[1], path: segments.dropFirst(3).joined(separator: "/"), download: false)
            case "runs" where segments.count > 3 && segments[2] == "download":
                return try await artifactPage(page, runID: segments[1], path: segments.dropFirst(3).joined(separator: "/"), download: true)
            case "compare": return try await comparePage(page)
            default: return notFound(session)
            }
        } catch let error as AssayError where error.kind == .notFound {
            return render(status: .notFound, title: "Not found", template: "message", ["title": "Not found", "message": error.message], session: session)
        } catch let error as AssayError where error.kind == .invalidInput {
            return render(status: .badRequest, title: "Cannot show this", template: "message", ["title": "Cannot show this", "message": error.message], session: session)
        } catch let error as APIError {
            return render(status: error.status, title: "Cannot show this", template: "message", ["title": "Cannot show this", "message": error.message], session: session)
        } catch {
            return render(status: .internalServerError, title: "Error", template: "message", ["title": "Something went wrong", "message": "\(error)"], session: session)
        }
    }

    // MARK: - Sessions

    private func sign(_ text: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: secret)).map { String(format: "%02x", $0) }.joined()
    }

    /// The session cookie's value for a signed-in browser.
    var sessionValue: String { sign("session") }

    /// The session, when the request carries a valid cookie (or no token is needed: "open").
    func signedInSession(_ request: Request) -> String? {
        guard configuration.authToken != nil else { return "open" }
        let cookies = request.headers[.cookie] ?? ""
        for part in cookies.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2, pair[0] == "assay_session", Self.sameToken(pair[1], sessionValue) { return pair[1] }
        }
        return nil
    }

    func csrfToken(_ session: String?) -> String {
        sign("csrf:" + (session ?? "none"))
    }

    static func sameToken(_ a: String, _ b: String) -> Bool {
        TrackingServer.constantTimeEqual(a, b)
    }

    private func login(_ request: inout Request, session: String?) async throws -> Response {
        let next = Self.safeNext(try RequestFields(query: request.uri.query).string("next"))
        guard configuration.authToken != nil else { return Self.redirect(next) }
        if request.method == .get {
            if session != nil { return Self.redirect(next) }
            return render(status: .ok, title: "Sign in", template: "login", ["next": next], session: nil)
        }
        let form = RequestFields(query: String(decoding: try await Self.body(&request, limit: 64 << 10), as: UTF8.self))
        let next2 = Self.safeNext(try form.string("next"))
        guard let token = configuration.authToken, Self.sameToken(try form.string("token") ?? "", token) else {
            return render(status: .unauthorized, title: "Sign in", template: "login", ["next": next2, "error": "That token is not right."], session: nil)
        }
        var response = Self.redirect(next2)
        response.headers[.setCookie] = "assay_session=\(sessionValue); Path=/; HttpOnly; SameSite=Strict"
        return response
    }

    /// Only paths on this site: no scheme, no `//host`.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/" }
        return next
    }

    private func post(_ page: Page) async throws -> Response {
        switch (page.segments.first, page.segments.count) {
        case ("logout", _):
            var response = Self.redirect(configuration.authToken == nil ? "/" : "/login")
            response.headers[.setCookie] = "assay_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
            return response
        case ("runs", 3) where ["delete", "restore"].contains(page.segments[2]):
            try await store.setRunLifecycle(id: page.segments[1], page.segments[2] == "delete" ? .deleted : .active)
            return Self.redirect("/runs/" + HTML.path([page.segments[1]]))
        default:
            return notFound(page.session)
        }
    }

    // MARK: - Rendering

    func render(status: HTTPResponse.Status, title: String, template: String, _ values: [String: Any], crumbs: [(String, String)] = [], session: String?)
        -> Response
    {
        var values = values
        values["csrf"] = csrfToken(session)
        let content = library.render(Self.flagged(values), withTemplate: template) ?? ""
        let layout: [String: Any] = [
            "title": title, "content": content,
            // The current page's crumb has no link (and Mustache would open a section for an empty string).
            "crumbs": crumbs.map { $0.1.isEmpty ? ["label": $0.0] : ["label": $0.0, "href": $0.1] },
            "signedIn": configuration.authToken != nil && session != nil, "csrf": csrfToken(session),
        ]
        let html = library.render(layout, withTemplate: "layout") ?? ""
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
                .xContentTypeOptions: "nosniff",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// Adds `hasX` for every non-empty list `x`, recursively, for `{{#hasX}}` sections.
    static func flagged(_ values: [String: Any]) -> [String: Any] {
        var result = values
        for (key, value) in values {
            if let list = value as? [[String: Any]] {
                result[key] = list.map(flagged)
                result["has" + key.prefix(1).uppercased() + key.dropFirst()] = !list.isEmpty
            } else if let list = value as? [Any] {
                result["has" + key.prefix(1).uppercased() + key.dropFirst()] = !list.isEmpty
            } else if let object = value as? [String: Any] {
                result[key] = flagged(object)
            }
        }
        return result
    }

    func notFound(_ session: String?) -> Response {
        render(status: .notFound, title: "Not found", template: "message", ["title": "Not found", "message": "There is no page here."], session: session)
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func asset(_ name: String) -> Response? {
        let (type, text): (String, String)
        switch name {
        case "assay.css": (type, text) = ("text/css; charset=utf-8", Templates.stylesheet)
        case "assay.js": (type, text) = ("text/javascript; charset=utf-8", Templates.script)
        default: return nil
        }
        return Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func body(_ request: inout Request, limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in request.body {
            guard bytes.count + buffer.readableBytes <= limit else { throw APIError.tooLarge("The form is larger than \(limit) bytes.") }
            bytes += buffer.readableBytesView
        }
        return bytes
    }
}
