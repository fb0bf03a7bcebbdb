import AtelierDomain
import AtelierExport
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

/// The organiser's home page (web/organiser.html) and its API (docs/protocol.md "Organiser
/// session", "Series"): a login that exchanges the admin token for a session cookie, the series,
/// every workshop with its state, a console opened without a secret in a logged URL.
///
/// Every route here takes either the admin token (`Authorization: Bearer`, for scripts and the
/// command line) or the session cookie; with the cookie, each write must also come from this site
/// (`Origin`, `Sec-Fetch-Site`) and carry the session's CSRF token (`X-Atelier-CSRF`).
extension HTTPAPI {
    static let sessionCookie = "atelier_admin"

    // MARK: - Session

    /// `POST /api/admin/login` `{"token"}` (JSON, or a form's `token=`): a new session in a cookie.
    /// JSON answers `200 {"csrf", "idleMinutes"}`; a form is sent on to the home page (303).
    /// Wrong tokens count against the address as wrong join codes do.
    func login(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = crossSite(request) { return respond(refusal) }
        if hub.codeFailuresExceeded(request.peer) {
            return respond(Self.error(429, .rateLimited, "Trop d'essais erronés depuis cette adresse : patientez une minute avant de réessayer."))
        }
        let type = (request.contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let isForm = type == "application/x-www-form-urlencoded"
        let token: String?
        if isForm {
            token = Self.formFields(request.body)["token"]
        } else {
            let body: JSONValue
            do { body = try object(request) } catch { return respond(error.response) }
            if case .string(let s)? = body["token"] { token = s } else { token = nil }
        }
        guard let token = token?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            return respond(Self.error(400, .badRequest, "Saisissez le jeton d'administration."))
        }
        guard Secrets.constantTimeEquals(token, hub.configuration.adminToken) else {
            hub.recordCodeFailure(request.peer)
            return respond(Self.error(403, .forbidden, "Jeton d'administration invalide."))
        }
        guard let (id, csrf) = hub.openAdminSession() else {
            return respond(Self.error(500, .internal, "La session n'a pas pu être ouverte : réessayez."))
        }
        let cookie = Self.cookie(id, secure: request.forwardedProto?.lowercased() == "https")
        if isForm {
            return respond(HTTPResponse(status: 303, contentType: "text/plain; charset=utf-8",
                                        headers: [("set-cookie", cookie), ("location", "/organiser.html"), ("cache-control", "no-store")],
                                        body: Array("Connecté.".utf8)))
        }
        var response = Self.json(200) { w in
            w.key("csrf"); w.string(csrf)
            w.key("idleMinutes"); w.int(Int(hub.adminSessions.idleMs / 60_000))
        }
        response.headers.append(("set-cookie", cookie))
        respond(response)
    }

    /// `GET /api/admin/session`: the session's CSRF token, for a page loaded again (401 without a session).
    func session(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        guard let id = request.cookie(named: Self.sessionCookie), let csrf = hub.useAdminSession(id) else {
            return respond(Self.error(401, .unauthenticated, "Pas de session d'organisation : connectez-vous avec le jeton d'administration."))
        }
        respond(Self.json(200) { w in
            w.key("csrf"); w.string(csrf)
            w.key("idleMinutes"); w.int(Int(hub.adminSessions.idleMs / 60_000))
        })
    }

    /// `POST /api/admin/logout`: ends the session on the server and clears the cookie.
    func logout(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let id = request.cookie(named: Self.sessionCookie), hub.useAdminSession(id) != nil {
            if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
            hub.closeAdminSession(id)
        }
        var response = Self.json(200) { w in w.key("loggedOut"); w.bool(true) }
        response.headers.append(("set-cookie", "\(Self.sessionCookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"))
        respond(response)
    }

    static func cookie(_ id: String, secure: Bool) -> String {
        "\(sessionCookie)=\(id); Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// Nil when a request made with the session cookie comes from this site; else the 403. A
    /// browser says where a request comes from in `Sec-Fetch-Site` and `Origin`; a request without
    /// either (not a browser's) is left to the CSRF token.
    func crossSite(_ request: HTTPRequest) -> HTTPResponse? {
        let refusal = Self.error(403, .forbidden, "Requête refusée : elle ne vient pas de la page d'organisation de ce site (protection contre la falsification de requêtes).")
        if let site = request.fetchSite?.lowercased(), site != "same-origin" { return refusal }
        if let origin = request.origin, !sameOrigin(origin, request) { return refusal }
        return nil
    }

    /// `origin` is this server: its public address, or the host the request was sent to.
    func sameOrigin(_ origin: String, _ request: HTTPRequest) -> Bool {
        let o = origin.lowercased()
        if o == baseURL.lowercased() { return true }
        guard let host = request.host?.lowercased(), !host.isEmpty else { return false }
        return o == "http://\(host)" || o == "https://\(host)"
    }

    /// `a=b&c=d` (application/x-www-form-urlencoded).
    static func formFields(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    // MARK: - Plans and workshops

    /// `GET /api/admin/plans`: the plans a workshop can be created from.
    func plans(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        let configuration = hub.configuration
        respond(Self.json(200) { w in
            w.key("default"); w.string(configuration.defaultPlan)
            w.key("plans"); w.beginArray()
            for plan in configuration.plans.plans.values.sorted(by: { $0.id < $1.id }) {
                w.beginObject()
                w.key("id"); w.string(plan.id)
                w.key("title"); w.string(plan.title)
                w.key("description"); w.string(plan.description)
                w.key("phases"); w.int(plan.phases.count)
                w.key("tables"); w.int(plan.groups.count)
                w.endObject()
            }
            w.endArray()
        })
    }

    /// `GET /api/admin/workshops`: every workshop, oldest first, with its series and state.
    func listWorkshops(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        hub.refreshSharedSeries()
        guard let records = try? hub.store.listWorkshops() else {
            return respond(Self.error(500, .internal, "La liste des ateliers n'a pas pu être lue."))
        }
        let seriesOf = hub.seriesByWorkshop
        respond(Self.json(200) { w in
            w.key("workshops"); w.beginArray()
            for record in records { writeSummary(record, series: seriesOf[record.id], &w) }
            w.endArray()
        })
    }

    /// One workshop as the home page lists it. Counts come from the room when it is in memory
    /// (every open workshop on a single node); otherwise they are null (a closed workshop not
    /// loaded since the start, or one another node serves).
    func writeSummary(_ record: WorkshopRecord, series: String?, _ w: inout JSONWriter) {
        let room = hub.rooms[record.id]
        w.beginObject()
        w.key("id"); w.string(record.id)
        w.key("title"); w.string(room?.state.title ?? record.title)
        w.key("plan"); w.string(record.plan)
        w.key("joinCode"); w.string(record.joinCode)
        w.key("createdAt"); w.int(Int(record.createdAt))
        w.key("series"); w.string(series)
        w.key("closed"); w.bool(room?.state.closed ?? record.closed)
        if let state = room?.state {
            w.key("phase"); w.string(state.phase)
            w.key("phaseTitle"); w.string(state.phases.first { $0.id == state.phase }?.title)
            w.key("participants"); w.int(state.participants.values.filter { $0.role != .facilitator && !$0.removed }.count)
            w.key("cards"); w.int(state.cards.count)
            w.key("projects"); w.int(state.projects.count)
        } else {
            for k in ["phase", "phaseTitle", "participants", "cards", "projects"] { w.key(k); w.null() }
        }
        w.endObject()
    }

    /// `POST /api/admin/workshops/{id}/console`: what opens the workshop's console and projector
    /// from the home page, `{"workshop", "key", "code"}`: a key derived from the admin token
    /// (`Secrets.consoleKey`), which the page puts in the console link's fragment (never sent to a
    /// server, never logged). The facilitator's own key is untouched.
    func consoleCredential(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        if let refusal = misdirected(captures[0]) { return respond(refusal) }
        guard let room = hub.room(captures[0]) else { return respond(Self.error(404, .notFound, "Atelier inconnu.")) }
        let key = Secrets.consoleKey(adminToken: hub.configuration.adminToken, workshop: room.record.id,
                                     facilitatorKeyDigest: room.record.facilitatorKeyDigest)
        respond(Self.json(200) { w in
            w.key("workshop"); w.string(room.record.id)
            w.key("key"); w.string(key)
            w.key("code"); w.string(room.record.joinCode)
        })
    }

    /// `POST /api/admin/workshops/{id}/close`: archives a workshop by closing it, as the console's
    /// "Clore l'atelier" does (read-only from then on, still exportable).
    func closeWorkshop(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        if let room = hub.rooms[captures[0]], room.state.closed {
            return respond(Self.json(200) { w in w.key("seq"); w.int(room.state.seq); w.key("events"); w.int(0) })
        }
        run(.workshopClose, in: captures[0], as: .facilitator, respond: respond)
    }

    /// `GET /api/admin/workshops/{id}/export?format=…`: the facilitator's export, for the organiser.
    func adminExport(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        if let refusal = misdirected(captures[0]) { return respond(refusal) }
        guard let room = hub.room(captures[0]) else { return respond(Self.error(404, .notFound, "Atelier inconnu.")) }
        sendExport(room, request, respond: respond)
    }

    // MARK: - Series

    /// `GET /api/admin/series`: every series, oldest first, with its workshops' ids.
    func listSeries(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        hub.refreshSharedSeries()
        let all = hub.series.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        respond(Self.json(200) { w in
            w.key("series"); w.beginArray()
            for s in all { writeSeries(s, workshops: nil, &w) }
            w.endArray()
        })
    }

    /// `POST /api/admin/series` `{"title", "description"?}` → 201 with the series.
    func createSeries(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        hub.refreshSharedSeries()
        guard hub.series.count < SeriesRecord.maxSeries else {
            return respond(Self.error(409, .budget, "Nombre maximal de séries atteint (\(SeriesRecord.maxSeries)) : archivez-en ou réutilisez-en une."))
        }
        let fields: (title: String?, description: String?)
        do { fields = try seriesFields(request) } catch { return respond(error.response) }
        guard let title = fields.title else { return respond(Self.error(400, .badRequest, "Attendu : « title », le titre de la série.")) }
        let record = SeriesRecord(id: Secrets.seriesID(), title: title, description: fields.description ?? "", createdAt: hub.clock())
        hub.save(record)
        answerOnceDurable(record, status: 201, respond: respond)
    }

    /// `GET /api/admin/series/{id}`: the series and its workshops, in order, with their state.
    func getSeries(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        hub.refreshSharedSeries()
        guard let record = hub.series[captures[0]] else { return respond(Self.error(404, .notFound, "Série inconnue.")) }
        guard let all = try? hub.store.listWorkshops() else {
            return respond(Self.error(500, .internal, "La liste des ateliers n'a pas pu être lue."))
        }
        let byID = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let workshops = record.workshops.compactMap { byID[$0] ?? hub.rooms[$0]?.record }
        respond(Self.json(200) { w in writeSeriesFields(record, workshops: workshops, &w) })
    }

    /// `POST /api/admin/series/{id}` `{"title"?, "description"?}`: renames a series.
    func updateSeries(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        hub.refreshSharedSeries()
        guard var record = hub.series[captures[0]] else { return respond(Self.error(404, .notFound, "Série inconnue.")) }
        let fields: (title: String?, description: String?)
        do { fields = try seriesFields(request) } catch { return respond(error.response) }
        if let t = fields.title { record.title = t }
        if let d = fields.description { record.description = d }
        hub.save(record)
        answerOnceDurable(record, status: 200, respond: respond)
    }

    /// `POST /api/admin/series/{id}/archive` `{"archived": true|false}` (true if absent).
    func archiveSeries(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        hub.refreshSharedSeries()
        guard var record = hub.series[captures[0]] else { return respond(Self.error(404, .notFound, "Série inconnue.")) }
        let body: JSONValue
        do { body = try object(request) } catch { return respond(error.response) }
        switch body["archived"] {
        case nil: record.archived = true
        case .bool(let b)?: record.archived = b
        default: return respond(Self.error(400, .badRequest, "« archived » doit valoir true ou false."))
        }
        hub.save(record)
        answerOnceDurable(record, status: 200, respond: respond)
    }

    /// `POST /api/admin/series/{id}/workshops` `{"plan"?, "title"?}`: a new workshop at the end of
    /// the series, answered as `POST /api/workshops` is, with `"series"`.
    func createWorkshopInSeries(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        hub.refreshSharedSeries()
        guard var record = hub.series[captures[0]] else { return respond(Self.error(404, .notFound, "Série inconnue.")) }
        guard !record.archived else { return respond(Self.error(409, .closed, "Cette série est archivée : désarchivez-la pour y créer un atelier.")) }
        guard record.workshops.count < SeriesRecord.maxWorkshops else {
            return respond(Self.error(409, .budget, "Nombre maximal d'ateliers dans une série atteint (\(SeriesRecord.maxWorkshops))."))
        }
        let plan: SessionPlan, title: String?, carry: CarrySelection?
        do { (plan, title) = try newWorkshopFields(request); carry = try carryField(request) } catch { return respond(error.response) }
        if let carry { return createCarrying(carry, series: record.id, plan: plan, title: title, respond: respond) }
        let created = hub.createWorkshop(plan: plan, title: title)
        record.workshops.append(created.record.id)
        hub.save(record)
        answerCreated(created, series: record.id, respond: respond)
    }

    /// `GET /api/admin/series/{id}/export`: the whole series in one JSON document,
    /// `{"series": {…}, "generatedAt", "workshops": [<each workshop's JSON export>]}` (docs/export.md).
    func exportSeries(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        hub.refreshSharedSeries()
        guard let record = hub.series[captures[0]] else { return respond(Self.error(404, .notFound, "Série inconnue.")) }
        let now = hub.clock()
        var w = JSONWriter()
        w.beginObject()
        w.key("format"); w.string("atelier-series-export")
        w.key("version"); w.int(1)
        w.key("generatedAt"); w.int(Int(now))
        w.key("series"); w.beginObject(); writeSeriesFields(record, workshops: nil, &w); w.endObject()
        w.key("workshops"); w.beginArray()
        for id in record.workshops {
            if let room = hub.room(id) {
                w.raw(ExportFormat.json.document(room.state, generatedAt: now))
            } else {
                w.beginObject()
                w.key("id"); w.string(id)
                w.key("error"); w.string("Cet atelier n'a pas pu être lu ici (servi par un autre nœud ?) : exportez-le seul.")
                w.endObject()
            }
        }
        w.endArray()
        w.endObject()
        let body = w.bytes
        let name = "serie-" + String(record.title.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(60)) + ".json"
        hub.pipeline.afterCommit { _ in
            respond(HTTPResponse(status: 200, headers: [("content-disposition", "attachment; filename=\"\(Self.asciiFileName(name))\""),
                                                        ("cache-control", "no-store")], body: body))
        }
    }

    static func asciiFileName(_ name: String) -> String {
        let folded = name.folding(options: [.diacriticInsensitive], locale: Locale(identifier: "fr_FR"))
        return String(folded.unicodeScalars.map { $0.isASCII && $0.value > 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "-" })
    }

    /// `{"title", "description"}` of a series, checked; nil where absent.
    func seriesFields(_ request: HTTPRequest) throws(Refusal) -> (title: String?, description: String?) {
        let body = try object(request)
        var title: String?, description: String?
        if let t = body["title"], t != .null {
            guard case .string(let s) = t else { throw Refusal(response: Self.error(400, .badRequest, "« title » doit être une chaîne.")) }
            let trimmed = Limits.normalized(s)
            guard SeriesRecord.titleLength.contains(trimmed.count) else {
                throw Refusal(response: Self.error(400, .invalid, "Le titre de la série doit compter entre 1 et 200 caractères."))
            }
            title = trimmed
        }
        if let d = body["description"], d != .null {
            guard case .string(let s) = d else { throw Refusal(response: Self.error(400, .badRequest, "« description » doit être une chaîne.")) }
            let trimmed = Limits.normalized(s)
            guard SeriesRecord.descriptionLength.contains(trimmed.count) else {
                throw Refusal(response: Self.error(400, .invalid, "La description de la série doit compter au plus 2000 caractères."))
            }
            description = trimmed
        }
        return (title, description)
    }

    func writeSeries(_ record: SeriesRecord, workshops: [WorkshopRecord]?, _ w: inout JSONWriter) {
        w.beginObject()
        writeSeriesFields(record, workshops: workshops, &w)
        w.endObject()
    }

    /// A series' fields; with `workshops`, each one's summary (else their ids).
    func writeSeriesFields(_ record: SeriesRecord, workshops: [WorkshopRecord]?, _ w: inout JSONWriter) {
        w.key("id"); w.string(record.id)
        w.key("title"); w.string(record.title)
        w.key("description"); w.string(record.description)
        w.key("createdAt"); w.int(Int(record.createdAt))
        w.key("archived"); w.bool(record.archived)
        w.key("workshops"); w.beginArray()
        if let workshops {
            for workshop in workshops { writeSummary(workshop, series: record.id, &w) }
        } else {
            for id in record.workshops { w.string(id) }
        }
        w.endArray()
    }

    func answerOnceDurable(_ record: SeriesRecord, status: Int, respond: @escaping Respond) {
        var w = JSONWriter()
        writeSeries(record, workshops: nil, &w)
        let response = HTTPResponse(status: status, headers: [("cache-control", "no-store")], body: w.bytes)
        hub.pipeline.afterCommit { committed in
            respond(committed ? response : Self.error(500, .internal, "La série n'a pas pu être enregistrée."))
        }
    }
}

extension Hub {
    /// Several nodes: series are read again from the database before being used, another node
    /// may have written one (two organisers changing one series on two nodes at the same moment
    /// can still lose one of the changes: docs/deploy.md "Several nodes").
    func refreshSharedSeries() {
        if store.isShared { reloadSeries() }
    }

    /// The series each workshop belongs to.
    var seriesByWorkshop: [WorkshopID: String] {
        var map: [WorkshopID: String] = [:]
        for s in series.values { for w in s.workshops { map[w] = s.id } }
        return map
    }
}
