import AtelierDomain
import AtelierJSON
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

/// A new workshop of a series that carries work from an earlier one (docs/protocol.md "Carrying
/// work forward"): `POST /api/admin/series/{id}/workshops` with `"carry"`.
extension HTTPAPI {
    /// `"carry": {"from", "boards"?, "clusters"?, "cards"?, "projects"?}` of the body, checked; nil if absent.
    func carryField(_ request: HTTPRequest) throws(Refusal) -> CarrySelection? {
        let body = try object(request)
        guard let carry = body["carry"], carry != .null else { return nil }
        func bad(_ message: String) -> Refusal { Refusal(response: Self.error(400, .badRequest, message)) }
        guard case .object = carry else { throw bad("« carry » doit être un objet : {\"from\": atelier, \"boards\", \"clusters\", \"cards\", \"projects\"}.") }
        guard case .string(let from)? = carry["from"], !from.isEmpty, from.count <= 64 else {
            throw bad("« carry.from » doit nommer l'atelier de la série dont on reporte le travail.")
        }
        func ids(_ key: String) throws(Refusal) -> [String] {
            guard let value = carry[key], value != .null else { return [] }
            guard case .array(let items) = value, items.count <= CarrySelection.maxNamed else {
                throw bad("« carry.\(key) » doit être une liste d'au plus \(CarrySelection.maxNamed) identifiants.")
            }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item, (1...64).contains(s.count) else { throw bad("« carry.\(key) » doit être une liste d'identifiants.") }
                if !out.contains(s) { out.append(s) }
            }
            return out
        }
        let selection = CarrySelection(source: from, boards: try ids("boards"), clusters: try ids("clusters"),
                                       cards: try ids("cards"), projects: try ids("projects"))
        guard !selection.isEmpty else { throw bad("« carry » ne choisit rien : nommez des tables, regroupements, cartes ou fiches projet.") }
        return selection
    }

    /// Creates the workshop once the source's journal is indexed (its provenance, read off the
    /// loop), then answers as `POST /api/workshops` does. The record, the creation and the carried
    /// events are one commit: an acknowledged workshop always has its carried content.
    func createCarrying(_ selection: CarrySelection, series: String, plan: SessionPlan, title: String?, respond: @escaping Respond) {
        guard let record = hub.series[series], record.workshops.contains(selection.source) else {
            return respond(Self.error(409, .invalid, "On ne reporte que depuis un atelier de la même série : « \(selection.source.prefix(64)) » n'en fait pas partie."))
        }
        if let refusal = misdirected(selection.source) { return respond(refusal) }
        guard let source = hub.room(selection.source) else { return respond(Self.error(404, .notFound, "Atelier source inconnu.")) }
        let id = selection.source, through = source.state.seq
        let cache = hub.replay, transport = hub.transport, later = Unchecked(respond), logger = self.logger
        hub.pipeline.afterCommit { [hub] _ in
            cache.queue.async {
                let log: ProvenanceLog?
                do { log = try cache.index(id, through: through).provenance } catch {
                    logger.error("carry: source journal unreadable", metadata: ["workshop": "\(id)", "error": "\(error)"])
                    log = nil
                }
                let found = Unchecked(log)
                transport.post {
                    hub.http.finishCarrying(selection, series: series, plan: plan, title: title, log: found.value, respond: later.value)
                }
            }
        }
    }

    /// On the loop: the series' bounds again (it may have changed meanwhile), then the workshop.
    func finishCarrying(_ selection: CarrySelection, series: String, plan: SessionPlan, title: String?, log: ProvenanceLog?,
                        respond: @escaping Respond) {
        guard var record = hub.series[series] else { return respond(Self.error(404, .notFound, "Série inconnue.")) }
        guard !record.archived else { return respond(Self.error(409, .closed, "Cette série est archivée : désarchivez-la pour y créer un atelier.")) }
        guard record.workshops.count < SeriesRecord.maxWorkshops else {
            return respond(Self.error(409, .budget, "Nombre maximal d'ateliers dans une série atteint (\(SeriesRecord.maxWorkshops))."))
        }
        guard record.workshops.contains(selection.source), let source = hub.room(selection.source) else {
            return respond(Self.error(404, .notFound, "Atelier source inconnu."))
        }
        var created = NewWorkshop(plan: plan, title: title, now: hub.clock())
        do { try created.carry(selection, from: source.state, log: log) } catch {
            let status = switch error.code { case .notFound: 404; case .budget: 409; case .forbidden: 403; default: 400 }
            return respond(Self.error(status, error.code, error.message))
        }
        let made = hub.createWorkshop(created, plan: plan, title: title)
        record.workshops.append(made.record.id)
        hub.save(record)
        // A working group whose table is carried whole is brought into the new workshop: it ends
        // there with that reason (after the creation, in the same or the next commit).
        for group in source.state.groupsBrought(by: selection) {
            hub.perform(.groupClose(group: group, into: made.record.id), in: selection.source, as: .facilitator) { [logger] result in
                if case .failure(let error) = result {
                    logger.warning("carry: working group not ended", metadata: ["workshop": "\(selection.source)", "group": "\(group)", "error": "\(error.message)"])
                }
            }
        }
        answerCreated(made, series: record.id, respond: respond)
    }
}

extension HTTPAPI {
    /// `GET /api/admin/workshops/{workshop}/carry`: what the organiser's page offers to carry from
    /// a workshop, as it is now: its tables, clusters and sheets, with how many visible cards each
    /// would bring, and its visible cards one by one (never a private or hidden card, never an author).
    func carryOptions(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        if let refusal = misdirected(captures[0]) { return respond(refusal) }
        guard let room = hub.room(captures[0]) else { return respond(Self.error(404, .notFound, "Atelier inconnu.")) }
        let state = room.state
        let visible = state.orderedCards.filter { !$0.isPrivate && !$0.hidden }
        respond(Self.json(200) { w in
            w.key("workshop"); w.string(state.id)
            w.key("title"); w.string(state.title)
            w.key("boards"); w.beginArray()
            for b in state.boards {
                w.beginObject()
                w.key("id"); w.string(b.id)
                w.key("title"); w.string(b.title)
                w.key("cards"); w.int(visible.filter { $0.board == b.id && !($0.author == nil && state.carried[$0.id] == nil) }.count)
                w.key("clusters"); w.int(state.clusters.values.filter { $0.board == b.id }.count)
                w.key("projects"); w.int(state.projects.values.filter { $0.board == b.id }.count)
                w.endObject()
            }
            w.endArray()
            w.key("clusters"); w.beginArray()
            for k in state.orderedClusters {
                w.beginObject()
                w.key("id"); w.string(k.id)
                w.key("title"); w.string(k.title)
                w.key("table"); w.string(state.board(k.board)?.title)
                w.key("cards"); w.int(visible.filter { $0.cluster == k.id }.count)
                w.endObject()
            }
            w.endArray()
            // Cards one by one (visible ones only: a private or hidden card is never offered).
            w.key("cards"); w.beginArray()
            for c in visible.prefix(CarrySelection.maxCards * 4) {
                w.beginObject()
                w.key("id"); w.string(c.id)
                w.key("text"); w.string(c.text)
                w.key("table"); w.string(state.board(c.board)?.title)
                w.key("kind"); w.string(state.board(c.board)?.column(c.column)?.kind.rawValue)
                w.endObject()
            }
            w.endArray()
            w.key("projects"); w.beginArray()
            for p in state.orderedProjects {
                w.beginObject()
                w.key("id"); w.string(p.id)
                w.key("title"); w.string(p.title)
                w.key("table"); w.string(state.board(p.board)?.title)
                w.key("status"); w.string(p.status.rawValue)
                w.endObject()
            }
            w.endArray()
        })
    }
}
