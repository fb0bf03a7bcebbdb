import AtelierDomain
import AtelierExport
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

/// The HTTP API of PROTOCOL.md. Errors are JSON: `{"error": {"code", "message"}}`.
extension Hub {
    public func transportHTTP(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch (request.method, parts.count, parts.first) {
        case ("GET", 1, "healthz"):
            respond(json(200) { w in w.key("status"); w.string("ok") })
        case (_, 1, "healthz"):
            respond(Self.httpError(405, .badRequest, "Méthode non prise en charge."))
        case ("POST", 2, "api") where parts[1] == "workshops":
            createWorkshop(request, respond: respond)
        case ("GET", 2, "api") where parts[1] == "qr.svg":
            joinQRCode(request, respond: respond)
        case ("GET", 4, "api") where parts[1] == "workshops" && parts[3] == "export":
            export(workshop: parts[2], request, respond: respond)
        case (_, _, "api"):
            respond(Self.httpError(404, .notFound, "Cette adresse de l'API n'existe pas."))
        default:
            respond(HTTPResponse(status: 404, contentType: "text/html; charset=utf-8", body: Array(Self.notFoundPage.utf8)))
        }
    }

    /// What a browser shows for a page that does not exist (static files are served by the mount).
    static let notFoundPage = """
        <!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Page introuvable – Atelier</title></head>
        <body><main><h1>Page introuvable</h1><p>Cette page n'existe pas. <a href="/">Retour à l'accueil d'Atelier</a></p></main></body></html>
        """

    static func httpError(_ status: Int, _ code: ErrorCode, _ message: String) -> HTTPResponse {
        var w = JSONWriter()
        w.beginObject()
        w.key("error"); w.beginObject()
        w.key("code"); w.string(code.rawValue)
        w.key("message"); w.string(message)
        w.endObject()
        w.endObject()
        return HTTPResponse(status: status, body: w.bytes)
    }

    func json(_ status: Int, _ fill: (inout JSONWriter) -> Void) -> HTTPResponse {
        var w = JSONWriter()
        w.beginObject()
        fill(&w)
        w.endObject()
        return HTTPResponse(status: status, headers: [("cache-control", "no-store")], body: w.bytes)
    }

    /// `POST /api/workshops` with the admin token: a new workshop from a plan.
    func createWorkshop(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        guard let token = request.bearerToken else {
            respond(Self.httpError(401, .unauthenticated, "Jeton d'administration manquant (en-tête Authorization: Bearer)."))
            return
        }
        guard Secrets.constantTimeEquals(token, configuration.adminToken) else {
            respond(Self.httpError(403, .forbidden, "Jeton d'administration invalide."))
            return
        }
        var planID = configuration.defaultPlan
        var title: String?
        if !request.body.isEmpty {
            guard let body = try? JSONParser.parse(request.body), case .object = body else {
                respond(Self.httpError(400, .badRequest, "Le corps de la requête doit être un objet JSON."))
                return
            }
            if let p = body["plan"] {
                guard case .string(let s) = p else { respond(Self.httpError(400, .badRequest, "« plan » doit être une chaîne.")); return }
                planID = s
            }
            if let t = body["title"], t != .null {
                guard case .string(let s) = t else { respond(Self.httpError(400, .badRequest, "« title » doit être une chaîne.")); return }
                let trimmed = Limits.normalized(s)
                guard (1...200).contains(trimmed.count) else {
                    respond(Self.httpError(400, .invalid, "Le titre doit compter entre 1 et 200 caractères.")); return
                }
                title = trimmed
            }
        }
        guard let plan = configuration.plans.plans[planID] else {
            respond(Self.httpError(404, .notFound, "Programme d'atelier inconnu : « \(planID.prefix(64)) »."))
            return
        }
        let created = NewWorkshop(plan: plan, title: title, now: clock())
        pipeline.create(created.record)
        let room = Room(record: created.record, state: Workshop(plan.blueprint(id: created.record.id, title: title)))
        for event in created.events {
            room.record(event)
            pipeline.journal(JournalEntry(workshop: room.record.id, event: event))
        }
        rooms[room.record.id] = room
        roomsByCode[room.record.joinCode] = room.record.id
        let base = baseURL(request)
        let links = WorkshopLinks(record: created.record, base: base)
        let response = json(201) { w in
            w.key("id"); w.string(created.record.id)
            w.key("joinCode"); w.string(created.record.joinCode)
            w.key("facilitatorKey"); w.string(created.record.facilitatorKey)
            w.key("joinUrl"); w.string(links.join)
            w.key("facilitatorUrl"); w.string(links.facilitator)
        }
        pipeline.afterCommit { committed in
            respond(committed ? response : Self.httpError(500, .internal, "L'atelier n'a pas pu être enregistré."))
        }
    }

    /// `GET /api/qr.svg?code=XXXX-XXXX`: the join link of that code as a QR code (SVG). It reveals
    /// nothing the caller does not know already: the code is the input.
    func joinQRCode(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        let code = Secrets.normalizeJoinCode(request.query["code"] ?? "")
        guard code.count == 9, code.allSatisfy({ $0 == "-" || $0.isLetter || $0.isNumber }) else {
            respond(Self.httpError(400, .invalid, "Code d'atelier invalide (attendu : 8 lettres ou chiffres, par exemple K7Q4-ZP2M)."))
            return
        }
        let link = "\(baseURL(request))/join.html?code=\(code)"
        guard let svg = QRCode.svg(link, title: "Rejoindre l'atelier : \(link)") else {
            respond(Self.httpError(500, .internal, "Le code QR n'a pas pu être produit."))
            return
        }
        respond(HTTPResponse(status: 200, contentType: "image/svg+xml", headers: [("cache-control", "public, max-age=3600")], body: svg))
    }

    func baseURL(_ request: HTTPRequest) -> String {
        if let host = request.host, !host.isEmpty { return "http://\(host)" }
        return configuration.publicURL
    }

    /// `GET /api/workshops/{id}/export?format=json` with the workshop's facilitator key.
    func export(workshop id: WorkshopID, _ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        guard let token = request.bearerToken else {
            respond(Self.httpError(401, .unauthenticated, "Clé d'animation manquante (en-tête Authorization: Bearer)."))
            return
        }
        guard let room = room(id) else {
            respond(Self.httpError(404, .notFound, "Atelier inconnu."))
            return
        }
        guard Secrets.constantTimeEquals(token, room.record.facilitatorKey) else {
            respond(Self.httpError(403, .forbidden, "Clé d'animation invalide pour cet atelier."))
            return
        }
        let name = request.query["format"] ?? ExportFormat.json.rawValue
        guard let format = ExportFormat(rawValue: name) else {
            respond(Self.httpError(400, .invalid, "Format d'export non pris en charge : « \(name.prefix(16)) » (disponibles : \(ExportFormat.names))."))
            return
        }
        guard let dialect = CSVExport.Dialect(rawValue: request.query["dialect"] ?? CSVExport.Dialect.excelFR.rawValue) else {
            respond(Self.httpError(400, .invalid, "Dialecte CSV inconnu (disponibles : excel-fr, rfc4180)."))
            return
        }
        // Built now, sent once what it shows is durable.
        let body = format.document(room.state, generatedAt: clock(), dialect: dialect)
        let contentType = format.contentType, inline = format.isInline
        let filename = "atelier-\(id).\(format.rawValue)"
        let disposition = inline ? "inline; filename=\"\(filename)\"" : "attachment; filename=\"\(filename)\""
        pipeline.afterCommit { _ in
            respond(HTTPResponse(status: 200, contentType: contentType,
                                 headers: [("content-disposition", disposition), ("cache-control", "no-store")], body: body))
        }
    }
}

/// The links a facilitator hands out. Secrets go in the URL fragment, which browsers never send.
public struct WorkshopLinks: Sendable {
    public var join: String
    public var facilitator: String
    public init(record: WorkshopRecord, base: String) {
        join = "\(base)/join.html?code=\(record.joinCode)"
        facilitator = "\(base)/facilitator.html#workshop=\(record.id)&key=\(record.facilitatorKey)&code=\(record.joinCode)"
    }
}
