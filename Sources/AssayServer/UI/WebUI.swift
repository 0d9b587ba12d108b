import Assay
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The web UI at `/`: experiments, an experiment's runs, a run (metrics, params, tags, artifacts and
/// its evaluation table) and a comparison of runs. Server-rendered HTML that works without JavaScript;
/// every value is escaped by the templates.
///
/// With a server token, the UI asks for it once (`/login`) and keeps an HttpOnly, SameSite=Strict
/// session cookie (a new random session per sign-in, ended by signing out, `Secure` behind a TLS proxy;
/// wrong tokens are throttled per address, see ``SignInThrottle``); its only state-changing actions (delete or restore a run, sign out) are forms that
/// carry a CSRF token derived from the session.
struct WebUI: Sendable {
    let store: any TrackingStore
    let artifacts: any ArtifactStore
    let configuration: TrackingServer.Configuration
    let library: MustacheLibrary
    let tableCache = EvaluationTableCache()
    let comparisonCache = ComparisonCache()
    /// Signs CSRF tokens, with the secret every replica shares.
    let key: UIKey
    let sessions: UISessions
    let signIns = SignInThrottle()

    init(store: any TrackingStore, artifacts: any ArtifactStore, configuration: TrackingServer.Configuration) throws {
        self.store = store
        self.artifacts = artifacts
        self.configuration = configuration
        key = UIKey(store: store as? any ServerStateStore)
        sessions = UISessions(store: store as? any ServerStateStore)
        var library = MustacheLibrary()
        let templates = [
            ("layout", Templates.layout), ("login", Templates.login), ("experiments", Templates.experiments),
            ("runs", Templates.runs), ("run", Templates.run), ("evaluationTable", Templates.evaluationTable),
            ("artifact", Templates.artifact), ("compare", Templates.compare), ("message", Templates.message),
            ("traces", Templates.traces), ("trace", Templates.trace), ("review", Templates.review),
        ]
        for (name, text) in templates { try library.register(text, named: name) }
        self.library = library
    }

    /// What a page handler needs of its request.
    struct Page {
        let query: RequestFields
        let session: String?
    }

    typealias PageHandler = @Sendable (WebUI, Page, Parameters) async throws -> Response

    /// The pages, by path (`{name}` a path segment, `**` the rest of the path).
    static let pages: [(String, PageHandler)] = [
        ("/", { ui, page, _ in try await ui.experimentsPage(page) }),
        ("/experiments/{experiment}", { ui, page, p in try await ui.runsPage(page, experimentID: try segment(p, "experiment")) }),
        (
            "/experiments/{experiment}/runs.csv",
            { ui, page, p in try await ui.runsExport(page, experimentID: try segment(p, "experiment"), format: "csv") }
        ),
        (
            "/experiments/{experiment}/runs.json",
            { ui, page, p in try await ui.runsExport(page, experimentID: try segment(p, "experiment"), format: "json") }
        ),
        ("/experiments/{experiment}/traces", { ui, page, p in try await ui.tracesPage(page, experimentID: try segment(p, "experiment")) }),
        ("/traces/{trace}", { ui, page, p in try await ui.tracePage(page, traceID: try segment(p, "trace")) }),
        ("/runs/{run}", { ui, page, p in try await ui.runPage(page, runID: try segment(p, "run")) }),
        (
            "/runs/{run}/artifacts/**",
            { ui, page, p in try await ui.artifactPage(page, runID: try segment(p, "run"), path: rest(p), download: false) }
        ),
        (
            "/runs/{run}/download/**",
            { ui, page, p in try await ui.artifactPage(page, runID: try segment(p, "run"), path: rest(p), download: true) }
        ),
        ("/runs/{run}/table.csv", { ui, page, p in try await ui.tableExport(page, runID: try segment(p, "run"), format: "csv") }),
        ("/runs/{run}/table.json", { ui, page, p in try await ui.tableExport(page, runID: try segment(p, "run"), format: "json") }),
        ("/runs/{run}/review", { ui, page, p in try await ui.reviewPage(page, runID: try segment(p, "run")) }),
        ("/compare", { ui, page, _ in try await ui.comparePage(page) }),
    ]

    /// The first path segments of the UI's pages, for telling a missing page from a missing API route.
    static let sections: Set<String> = ["experiments", "runs", "traces", "compare", "login"]

    /// Whether a path is in the UI's part of the site.
    func claims(_ path: String) -> Bool {
        let first = path.split(separator: "/", maxSplits: 1).first.map(String.init)
        return first == nil || Self.sections.contains(first!)
    }

    static func segment(_ parameters: Parameters, _ name: String) throws(APIError) -> String {
        guard let raw = parameters.get(name) else { throw APIError.invalid("Missing path segment \(name)") }
        return raw.removingPercentEncoding ?? raw
    }

    static func rest(_ parameters: Parameters) -> String {
        parameters.getCatchAll().map { String($0).removingPercentEncoding ?? String($0) }.joined(separator: "/")
    }

    /// The UI's routes on `router`: pages behind the session middleware, sign-in, the two forms, assets.
    func addRoutes(to router: Router<AssayRequestContext>) {
        let ui = self
        router.get("/static/{asset}") { _, context in
            guard let asset = Self.asset(context.parameters.get("asset") ?? "") else { throw HTTPError(.notFound) }
            return asset
        }
        let pages = router.group().add(middleware: UIErrorMiddleware(ui: ui)).add(middleware: UISessionMiddleware(ui: ui))
        for (path, handler) in Self.pages {
            pages.get(RouterPath(path)) { request, context in
                try await handler(ui, Page(query: RequestFields(query: request.uri.query), session: context.session), context.parameters)
            }
        }
        pages.get("/login") { request, context in try await ui.loginPage(request, session: context.session) }
        pages.post("/login") { request, context in try await ui.signIn(request, from: context.remoteAddress) }
        pages.post("/logout") { request, context in
            try await ui.checkedForm(request, session: context.session) { _ in
                if let session = context.session { try await ui.sessions.close(session) }
                var response = Self.redirect(ui.configuration.authToken == nil ? "/" : "/login")
                response.headers[.setCookie] = "assay_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + Self.secure(request)
                return response
            }
        }
        pages.post("/runs/{run}/review") { request, context in
            let run = try Self.segment(context.parameters, "run")
            return try await ui.checkedForm(request, session: context.session) { form in try await ui.saveReview(form, runID: run) }
        }
        pages.post("/traces/{trace}/review") { request, context in
            let trace = try Self.segment(context.parameters, "trace")
            return try await ui.checkedForm(request, session: context.session) { form in try await ui.saveTraceReview(form, traceID: trace)
            }
        }
        for (action, stage) in [("delete", LifecycleStage.deleted), ("restore", .active)] {
            pages.post(RouterPath("/runs/{run}/" + action)) { request, context in
                let run = try Self.segment(context.parameters, "run")
                return try await ui.checkedForm(request, session: context.session) { _ in
                    try await ui.store.setRunLifecycle(id: run, stage)
                    return Self.redirect("/runs/" + HTML.path([run]))
                }
            }
        }
    }

    /// Runs `body` with a form that carries this session's CSRF token; refuses any other.
    func checkedForm(_ request: Request, session: String?, _ body: (RequestFields) async throws -> Response) async throws -> Response {
        var request = request
        let form = RequestFields(
            query: String(decoding: try await request.body(upTo: 64 << 10, within: configuration.bodyTimeout), as: UTF8.self))
        guard Self.sameToken(try form.string("csrf") ?? "", csrfToken(session)) else {
            return render(
                status: .forbidden, title: "Refused", template: "message",
                [
                    "title": "Refused",
                    "message": "This form is out of date or did not come from this site. Go back, reload the page and try again.",
                ],
                session: session)
        }
        return try await body(form)
    }

    // MARK: - Sessions

    private func sign(_ text: String) -> String {
        key.sign(text)
    }

    /// The session, when the request carries the cookie of a live one (or no token is needed: "open").
    func signedInSession(_ request: Request) async throws -> String? {
        guard configuration.authToken != nil else { return "open" }
        guard let cookie = request.cookies["assay_session"]?.value, try await sessions.isOpen(cookie) else { return nil }
        return cookie
    }

    /// `; Secure` when the request came over TLS: to a proxy that says so (`X-Forwarded-Proto: https` or
    /// `Forwarded: proto=https`). The flag only restricts the cookie, so trusting the header is harmless.
    static func secure(_ request: Request) -> String {
        let forwardedProto = HTTPField.Name("X-Forwarded-Proto").flatMap { request.headers[$0] }?.lowercased()
        let forwarded = HTTPField.Name("Forwarded").flatMap { request.headers[$0] }?.lowercased() ?? ""
        let https =
            forwardedProto?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces) == "https"
            || forwarded.contains("proto=https") || request.uri.scheme == .https
        return https ? "; Secure" : ""
    }

    func csrfToken(_ session: String?) -> String {
        sign("csrf:" + (session ?? "none"))
    }

    static func sameToken(_ a: String, _ b: String) -> Bool {
        TokenAuthMiddleware.constantTimeEqual(a, b)
    }

    func loginPage(_ request: Request, session: String?) async throws -> Response {
        let next = Self.safeNext(try RequestFields(query: request.uri.query).string("next"))
        guard configuration.authToken != nil, session == nil else { return Self.redirect(next) }
        return render(status: .ok, title: "Sign in", template: "login", ["next": next], session: nil)
    }

    /// Checks the token; a right one opens a new session, a wrong one counts against the address.
    func signIn(_ request: Request, from address: String) async throws -> Response {
        var request = request
        let form = RequestFields(
            query: String(decoding: try await request.body(upTo: 64 << 10, within: configuration.bodyTimeout), as: UTF8.self))
        let next = Self.safeNext(try form.string("next"))
        guard let token = configuration.authToken else { return Self.redirect(next) }
        if let wait = signIns.wait(for: address) {
            let seconds = Int(wait.components.seconds) + 1
            var response = render(
                status: .tooManyRequests, title: "Sign in", template: "login",
                ["next": next, "error": "Too many wrong tokens from this address; try again in \(seconds) s."], session: nil)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        guard Self.sameToken(try form.string("token") ?? "", token) else {
            signIns.fail(address)
            try await Task.sleep(for: signIns.delay)
            return render(
                status: .unauthorized, title: "Sign in", template: "login", ["next": next, "error": "That token is not right."],
                session: nil)
        }
        var response = Self.redirect(next)
        response.headers[.setCookie] =
            "assay_session=\(try await sessions.open()); Path=/; HttpOnly; SameSite=Strict" + Self.secure(request)
        return response
    }

    /// Only paths on this site: a single leading `/`, no backslash, no control character or space (browsers
    /// drop tabs and newlines from URLs, so `/\t/host` would become `//host`, another site).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"),
            !next.unicodeScalars.contains(where: { $0 == "\\" || $0.value <= 0x20 || $0.value == 0x7f || $0.properties.isWhitespace })
        else { return "/" }
        return next
    }

    // MARK: - Rendering

    func render(
        status: HTTPResponse.Status, title: String, template: String, _ values: [String: Any], crumbs: [(String, String)] = [],
        session: String?
    )
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
                .contentSecurityPolicy:
                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
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
        render(
            status: .notFound, title: "Not found", template: "message", ["title": "Not found", "message": "There is no page here."],
            session: session)
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
            status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

}

/// Reads the session cookie into the context; without a valid one (when the server has a token), pages
/// redirect to the sign-in form and say where to come back to.
struct UISessionMiddleware: RouterMiddleware {
    let ui: WebUI

    func handle(
        _ request: Request, context: AssayRequestContext, next: (Request, AssayRequestContext) async throws -> Response
    )
        async throws -> Response
    {
        var context = context
        try await ui.key.load()
        context.session = try await ui.signedInSession(request)
        if ui.configuration.authToken != nil, context.session == nil, request.uri.path != "/login" {
            let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return WebUI.redirect("/login" + HTML.query([("next", back)]))
        }
        return try await next(request, context)
    }
}

/// Errors of the pages as pages: a missing run is a 404 page, a bad filter a 400 page.
struct UIErrorMiddleware: RouterMiddleware {
    let ui: WebUI

    func handle(
        _ request: Request, context: AssayRequestContext, next: (Request, AssayRequestContext) async throws -> Response
    )
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            throw error
        } catch {
            let session = try? await ui.signedInSession(request)
            func page(_ status: HTTPResponse.Status, _ title: String, _ message: String) -> Response {
                ui.render(status: status, title: title, template: "message", ["title": title, "message": message], session: session)
            }
            switch error {
            case let error as AssayError where error.kind == .notFound: return page(.notFound, "Not found", error.message)
            case let error as AssayError where error.kind == .invalidInput: return page(.badRequest, "Cannot show this", error.message)
            case let error as APIError: return page(error.status, "Cannot show this", error.message)
            default: return page(.internalServerError, "Something went wrong", "\(error)")
            }
        }
    }
}
