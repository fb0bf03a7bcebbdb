import AtelierDomain
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation
import Logging

/// The HTTP API (docs/protocol.md "HTTP API"): one table of routes, matched on method and path.
/// Errors are JSON, `{"error": {"code", "message"}}`. Handlers run on the loop, like the hub, and
/// reach rooms and the pipeline only through the hub's own operations.
final class HTTPAPI {
    typealias Respond = (HTTPResponse) -> Void
    /// What a route is given: the request, the path's `{captures}` in order, and where to answer.
    typealias Handler = @Sendable (HTTPAPI) -> (HTTPRequest, [String], @escaping Respond) -> Void

    struct Route: Sendable {
        let method: String
        let pattern: [Substring]
        let handler: Handler
        init(_ method: String, _ path: String, _ handler: @escaping Handler) {
            self.method = method
            pattern = path.split(separator: "/")
            self.handler = handler
        }

        /// The captures if `parts` has this route's shape.
        func match(_ parts: [Substring]) -> [String]? {
            guard parts.count == pattern.count else { return nil }
            var captures: [String] = []
            for (p, part) in zip(pattern, parts) {
                if p.first == "{" { captures.append(String(part)) } else if p != part { return nil }
            }
            return captures
        }
    }

    /// Every route. Admin routes take the admin token; workshop routes its facilitator key (replay
    /// and provenance also a participant's resume token).
    static let routes: [Route] = [
        Route("GET", "/healthz", { $0.health }),
        Route("GET", "/metrics", { $0.metrics }),
        Route("POST", "/api/workshops", { $0.createWorkshop }),
        Route("GET", "/api/qr.svg", { $0.joinQRCode }),
        Route("GET", "/api/codes/{code}", { $0.checkCode }),
        Route("GET", "/api/workshops/{workshop}/export", { $0.export }),
        Route("GET", "/api/workshops/{workshop}/replay", { $0.replayTimeline }),
        Route("GET", "/api/workshops/{workshop}/replay/{seq}", { $0.replayMoment }),
        Route("GET", "/api/workshops/{workshop}/projects/{project}/provenance", { $0.projectProvenance }),
        Route("POST", "/api/workshops/{workshop}/projects/{project}/status", { $0.statusSentBack }),
        Route("POST", "/api/admin/workshops/{workshop}/participants/{participant}/erase", { $0.eraseParticipant }),
        Route("POST", "/api/admin/workshops/{workshop}/receipts", { $0.recordReceipt }),
        Route("POST", "/api/admin/workshops/{workshop}/dossiers", { $0.recordDossier }),
        Route("POST", "/api/admin/workshops/{workshop}/webhooks", { $0.queueWebhook }),
        Route("POST", "/api/admin/workshops/{workshop}/facilitator-key", { $0.newFacilitatorKey }),
        // The organiser's home page (HTTPAPI+Organiser.swift).
        Route("POST", "/api/admin/login", { $0.login }),
        Route("POST", "/api/admin/logout", { $0.logout }),
        Route("GET", "/api/admin/session", { $0.session }),
        Route("GET", "/api/admin/plans", { $0.plans }),
        Route("GET", "/api/admin/workshops", { $0.listWorkshops }),
        Route("POST", "/api/admin/workshops/{workshop}/console", { $0.consoleCredential }),
        Route("POST", "/api/admin/workshops/{workshop}/close", { $0.closeWorkshop }),
        Route("GET", "/api/admin/workshops/{workshop}/export", { $0.adminExport }),
        Route("GET", "/api/admin/workshops/{workshop}/carry", { $0.carryOptions }),
        Route("GET", "/api/admin/series", { $0.listSeries }),
        Route("POST", "/api/admin/series", { $0.createSeries }),
        Route("GET", "/api/admin/series/{series}", { $0.getSeries }),
        Route("POST", "/api/admin/series/{series}", { $0.updateSeries }),
        Route("POST", "/api/admin/series/{series}/archive", { $0.archiveSeries }),
        Route("POST", "/api/admin/series/{series}/workshops", { $0.createWorkshopInSeries }),
        Route("GET", "/api/admin/series/{series}/export", { $0.exportSeries }),
        Route("GET", "/api/admin/series/{series}/projects", { $0.seriesProjects }),
        Route("GET", "/api/series/{series}/projects", { $0.seriesProjects }),
        Route("GET", "/api/workshops/{workshop}/series/projects", { $0.workshopSeriesProjects }),
    ]

    /// The path prefixes the transport hands to the application rather than the static mount.
    static let prefixes = ["/api", "/healthz", "/metrics"]

    unowned let hub: Hub
    init(hub: Hub) { self.hub = hub }
    let logger = Logger(label: "atelier.http")
    private var nextRequest = 0

    func handle(_ request: HTTPRequest, respond: @escaping Respond) {
        let parts = request.path.split(separator: "/")
        let matching = Self.routes.compactMap { route in route.match(parts).map { (route, $0) } }
        if let (route, captures) = matching.first(where: { $0.0.method == request.method }) {
            // The access log names the route's pattern, never the path: a path can hold a join
            // code (`/api/codes/{code}`); a workshop id is kept as its own field.
            nextRequest += 1
            var metadata: Logger.Metadata = ["request": "\(nextRequest)", "method": "\(request.method)",
                                             "route": "/\(route.pattern.joined(separator: "/"))"]
            if let i = route.pattern.firstIndex(of: "{workshop}") {
                let capture = route.pattern[..<i].filter { $0.first == "{" }.count  // captures come in the pattern's order
                metadata["workshop"] = "\(captures[capture])"
            }
            let started = ContinuousClock.now
            let logger = self.logger
            route.handler(self)(request, captures) { response in
                var m = metadata
                m["status"] = "\(response.status)"
                let elapsed = (ContinuousClock.now - started).components
                m["ms"] = "\(Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds / 1_000_000_000_000) / 1000)"
                logger.info("http", metadata: m)
                respond(response)
            }
        } else if !matching.isEmpty {
            respond(Self.error(405, .badRequest, "Méthode non prise en charge pour cette adresse.",
                               headers: [("allow", matching.map(\.0.method).joined(separator: ", "))]))
        } else if parts.first == "api" {
            respond(Self.error(404, .notFound, "Cette adresse de l'API n'existe pas."))
        } else {
            respond(HTTPResponse(status: 404, contentType: "text/html; charset=utf-8", body: Array(Self.notFoundPage.utf8)))
        }
    }

    func health(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        respond(Self.json(200) { w in w.key("status"); w.string("ok") })
    }

    /// `GET /metrics` with the admin token: Prometheus' text format (docs/deploy.md "Metrics").
    func metrics(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        let body = hub.metrics.scrape(transport: hub.transport.statistics(), rooms: hub.rooms.count,
                                      journalBytes: hub.store.journalBytes())
        respond(HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                             headers: [("cache-control", "no-store")], body: body))
    }

    // MARK: - Answers

    /// What a browser shows for a page that does not exist (static files are served by the mount).
    static let notFoundPage = """
        <!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Page introuvable – Atelier</title></head>
        <body><main><h1>Page introuvable</h1><p>Cette page n'existe pas. <a href="/">Retour à l'accueil d'Atelier</a></p></main></body></html>
        """

    static func error(_ status: Int, _ code: ErrorCode, _ message: String, headers: [(String, String)] = []) -> HTTPResponse {
        var w = JSONWriter()
        w.beginObject()
        w.key("error"); w.beginObject()
        w.key("code"); w.string(code.rawValue)
        w.key("message"); w.string(message)
        w.endObject()
        w.endObject()
        return HTTPResponse(status: status, headers: headers, body: w.bytes)
    }

    /// Several nodes: 421 (Misdirected Request) for a workshop another node serves; the load
    /// balancer, hashing on the workshop id in the path, sends these requests to that node.
    func misdirected(_ workshop: WorkshopID) -> HTTPResponse? {
        guard case .elsewhere(let node) = hub.lookUpRoom(workshop) else { return nil }
        return Self.error(421, .notFound, "Cet atelier est servi par un autre nœud (\(node)) : réessayez.")
    }

    static func json(_ status: Int, _ fill: (inout JSONWriter) -> Void) -> HTTPResponse {
        var w = JSONWriter()
        w.beginObject()
        fill(&w)
        w.endObject()
        return HTTPResponse(status: status, headers: [("cache-control", "no-store")], body: w.bytes)
    }

    // MARK: - Credentials

    /// Nil when the request carries the admin token, or the organiser's session cookie (and, for a
    /// write, comes from this site with the session's CSRF token: HTTPAPI+Organiser.swift);
    /// otherwise the refusal to send.
    func refuseUnlessAdmin(_ request: HTTPRequest) -> HTTPResponse? {
        if request.bearerToken == nil, let id = request.cookie(named: Self.sessionCookie) {
            guard let expected = hub.useAdminSession(id) else {
                return Self.error(401, .unauthenticated, "Session d'organisation terminée ou expirée : reconnectez-vous avec le jeton d'administration.")
            }
            if request.method != "GET" && request.method != "HEAD" {
                if let refusal = crossSite(request) { return refusal }
                guard let csrf = request.csrfToken, Secrets.constantTimeEquals(csrf, expected) else {
                    return Self.error(403, .forbidden, "Jeton anti-falsification (X-Atelier-CSRF) manquant ou invalide : rechargez la page d'organisation.")
                }
            }
            return nil
        }
        guard let token = request.bearerToken else {
            return Self.error(401, .unauthenticated, "Jeton d'administration manquant (en-tête Authorization: Bearer).")
        }
        guard Secrets.constantTimeEquals(token, hub.configuration.adminToken) else {
            return Self.error(403, .forbidden, "Jeton d'administration invalide.")
        }
        return nil
    }

    /// An answer that ends a request early (thrown by the helpers below).
    struct Refusal: Error { let response: HTTPResponse }

    /// The body as a JSON object (an empty body is an empty object).
    func object(_ request: HTTPRequest) throws(Refusal) -> JSONValue {
        if request.body.isEmpty { return .object([]) }
        let type = (request.contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard type == "application/json" else {
            throw Refusal(response: Self.error(415, .badRequest, "Le corps de la requête doit être du JSON (Content-Type: application/json)."))
        }
        guard let body = try? JSONParser.parse(request.body), case .object = body else {
            throw Refusal(response: Self.error(400, .badRequest, "Le corps de la requête doit être un objet JSON."))
        }
        return body
    }
}
