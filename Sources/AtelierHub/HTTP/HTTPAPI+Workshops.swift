import AtelierDomain
import AtelierExport
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

/// Creating workshops, their join QR codes, their exports.
extension HTTPAPI {
    /// `POST /api/workshops` with the admin token: a new workshop from a plan.
    func createWorkshop(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        let plan: SessionPlan, title: String?
        do { (plan, title) = try newWorkshopFields(request) } catch { return respond(error.response) }
        answerCreated(hub.createWorkshop(plan: plan, title: title), series: nil, respond: respond)
    }

    /// `{"plan"?, "title"?}` of a new workshop, checked: the plan (the default one if absent) and the title.
    func newWorkshopFields(_ request: HTTPRequest) throws(Refusal) -> (SessionPlan, String?) {
        let body = try object(request)
        var planID = hub.configuration.defaultPlan
        var title: String?
        if let p = body["plan"] {
            guard case .string(let s) = p else { throw Refusal(response: Self.error(400, .badRequest, "« plan » doit être une chaîne.")) }
            planID = s
        }
        if let t = body["title"], t != .null {
            guard case .string(let s) = t else { throw Refusal(response: Self.error(400, .badRequest, "« title » doit être une chaîne.")) }
            let trimmed = Limits.normalized(s)
            guard (1...200).contains(trimmed.count) else {
                throw Refusal(response: Self.error(400, .invalid, "Le titre doit compter entre 1 et 200 caractères."))
            }
            title = trimmed
        }
        guard let plan = hub.configuration.plans.plans[planID] else {
            throw Refusal(response: Self.error(404, .notFound, "Programme d'atelier inconnu : « \(planID.prefix(64)) »."))
        }
        return (plan, title)
    }

    /// The 201 of a new workshop, once it is durable: its id, code, facilitator key and links.
    func answerCreated(_ created: NewWorkshop, series: String?, respond: @escaping Respond) {
        let record = created.record
        let links = WorkshopLinks(record: record, facilitatorKey: created.facilitatorKey, base: baseURL)
        let response = Self.json(201) { w in
            w.key("id"); w.string(record.id)
            w.key("title"); w.string(record.title)
            w.key("joinCode"); w.string(record.joinCode)
            w.key("facilitatorKey"); w.string(created.facilitatorKey)
            w.key("joinUrl"); w.string(links.join)
            w.key("facilitatorUrl"); w.string(links.facilitator)
            if let series { w.key("series"); w.string(series) }
        }
        hub.pipeline.afterCommit { committed in
            respond(committed ? response : Self.error(500, .internal, "L'atelier n'a pas pu être enregistré."))
        }
    }

    /// `GET /api/qr.svg?code=XXXX-XXXX`: the join link of that code as a QR code (SVG). It reveals
    /// nothing the caller does not know already: the code is the input.
    func joinQRCode(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        let code = Secrets.normalizeJoinCode(request.query["code"] ?? "")
        guard code.count == 9, code.allSatisfy({ $0 == "-" || $0.isLetter || $0.isNumber }) else {
            return respond(Self.error(400, .invalid, "Code d'atelier invalide (attendu : 8 lettres ou chiffres, par exemple K7Q4-ZP2M)."))
        }
        let link = "\(baseURL)/join.html?code=\(code)"
        guard let svg = QRCode.svg(link, title: "Rejoindre l'atelier : \(link)") else {
            return respond(Self.error(500, .internal, "Le code QR n'a pas pu être produit."))
        }
        respond(HTTPResponse(status: 200, contentType: "image/svg+xml", headers: [("cache-control", "public, max-age=3600")], body: svg))
    }

    /// Links (the 201's, the QR code's) are built from the configured public address
    /// (`--public-url`), never from the request's `Host`, which anyone can set: a forged Host must
    /// not put another site's address in a cached QR code or a facilitator link.
    var baseURL: String { hub.configuration.publicURL }

    /// `GET /api/workshops/{id}/export?format=json` with the workshop's facilitator key.
    func export(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        let id = captures[0]
        guard let token = request.bearerToken else {
            return respond(Self.error(401, .unauthenticated, "Clé d'animation manquante (en-tête Authorization: Bearer)."))
        }
        if let refusal = misdirected(id) { return respond(refusal) }
        guard let room = hub.room(id) else { return respond(Self.error(404, .notFound, "Atelier inconnu.")) }
        guard hub.facilitatorKeyOpens(token, room.record) else {
            return respond(Self.error(403, .forbidden, "Clé d'animation invalide pour cet atelier."))
        }
        sendExport(room, request, respond: respond)
    }

    /// A workshop's export in the format the query names, once what it shows is durable.
    func sendExport(_ room: Room, _ request: HTTPRequest, respond: @escaping Respond) {
        let name = request.query["format"] ?? ExportFormat.json.rawValue
        guard let format = ExportFormat(rawValue: name) else {
            return respond(Self.error(400, .invalid, "Format d'export non pris en charge : « \(name.prefix(16)) » (disponibles : \(ExportFormat.names))."))
        }
        guard let dialect = CSVExport.Dialect(rawValue: request.query["dialect"] ?? CSVExport.Dialect.excelFR.rawValue) else {
            return respond(Self.error(400, .invalid, "Dialecte CSV inconnu (disponibles : excel-fr, rfc4180)."))
        }
        let filename = format.fileName(title: room.state.title, createdAt: room.record.createdAt,
                                       timeZone: TimeZone(identifier: room.state.timeZone) ?? TimeZone(identifier: "Europe/Paris")!)
        let disposition = format.isInline ? "inline; filename=\"\(filename)\"" : "attachment; filename=\"\(filename)\""
        switch format {
        case .json, .md, .html:
            // With each project's history, from the replay index (read from the journal, off the loop).
            let state = room.state, generatedAt = hub.clock()
            return withIndex(room, respond: respond) { _, index in
                HTTPResponse(status: 200, contentType: format.contentType,
                             headers: [("content-disposition", disposition), ("cache-control", "no-store")],
                             body: format.document(state, generatedAt: generatedAt, dialect: dialect, provenance: index.provenance))
            }
        case .csv, .xlsx, .schema:
            break
        }
        // Built now, sent once what it shows is durable.
        let body = format.document(room.state, generatedAt: hub.clock(), dialect: dialect)
        hub.pipeline.afterCommit { _ in
            respond(HTTPResponse(status: 200, contentType: format.contentType,
                                 headers: [("content-disposition", disposition), ("cache-control", "no-store")], body: body))
        }
    }
}

extension HTTPAPI {
    /// `GET /api/codes/{code}`: whether a join code opens a workshop, before the join form asks
    /// for a name → `200 {"code", "title"}` or 404. Wrong codes count against the address as
    /// joins by code do: past them each answer waits (the right code still answers, slowly), a few
    /// at a time, and more at once are refused 429.
    func checkCode(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        let peer = request.peer
        let code = Secrets.normalizeJoinCode(captures[0])
        guard hub.codeFailuresExceeded(peer) else { return answer(code: code, peer: peer, respond: respond) }
        guard hub.delayedJoins[peer, default: 0] < Hub.maxDelayedJoins else {
            return respond(Self.error(429, .rateLimited, "Trop de codes erronés depuis cette adresse : patientez quelques secondes avant de réessayer."))
        }
        hub.delayedJoins[peer, default: 0] += 1
        // Only the loop touches `respond` and the hub: the delay just hands them back to it.
        let later = Unchecked(respond)
        let transport = hub.transport, hub = self.hub
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(hub.configuration.codeFailureDelayMs),
                                          execute: {
            transport.post {
                let left = hub.delayedJoins[peer, default: 1] - 1
                hub.delayedJoins[peer] = left > 0 ? left : nil
                hub.http.answer(code: code, peer: peer, respond: later.value)
            }
        })
    }

    func answer(code: String, peer: String, respond: Respond) {
        let workshop = hub.roomsByCode[code] ?? (try? hub.store.workshopID(joinCode: code)) ?? nil
        // Several nodes: any node checks a code, from the database, without taking the workshop.
        if let workshop, case .elsewhere = hub.lookUpRoom(workshop),
           let record = (try? hub.store.listWorkshops())?.first(where: { $0.id == workshop }), !record.closed {
            return respond(Self.json(200) { w in
                w.key("code"); w.string(record.joinCode)
                w.key("title"); w.string(record.title)
                w.key("workshop"); w.string(record.id)
            })
        }
        guard let workshop, let room = hub.room(workshop), !room.state.closed else {
            hub.recordCodeFailure(peer)
            return respond(Self.error(404, .notFound, "Aucun atelier ouvert avec ce code. Vérifiez-le auprès de l'animateur."))
        }
        respond(Self.json(200) { w in
            w.key("code"); w.string(room.record.joinCode)
            w.key("title"); w.string(room.state.title)
            // Several nodes: the client names its workshop in the WebSocket URL (/ws?workshop=),
            // which the load balancer hashes on.
            w.key("workshop"); w.string(room.record.id)
        })
    }
}

/// The links a facilitator hands out. Secrets go in the URL fragment, which browsers never send.
public struct WorkshopLinks: Sendable {
    public var join: String
    public var facilitator: String
    public init(record: WorkshopRecord, facilitatorKey: String, base: String) {
        join = "\(base)/join.html?code=\(record.joinCode)"
        facilitator = "\(base)/facilitator.html#workshop=\(record.id)&key=\(facilitatorKey)&code=\(record.joinCode)"
    }
}
