import AtelierDomain
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

/// Replay (docs/protocol.md "Replay"): the journal's timeline, the workshop at any seq as the
/// viewer could see it then, and where a project sheet comes from. The facilitator key or a
/// participant's resume token, as a bearer token; the work is done on the replay queue, and the
/// answer handed back to the loop.
extension HTTPAPI {
    /// Who asks, from the bearer token: the facilitator (key) or a participant of this workshop
    /// (resume token); or the refusal to send.
    func replayViewer(_ request: HTTPRequest, workshop id: WorkshopID) -> Result<(Room, Actor), Refusal> {
        guard let token = request.bearerToken else {
            return .failure(Refusal(response: Self.error(401, .unauthenticated,
                "Clé d'animation ou jeton de participant manquant (en-tête Authorization: Bearer).")))
        }
        if let refusal = misdirected(id) { return .failure(Refusal(response: refusal)) }
        guard let room = hub.room(id) else { return .failure(Refusal(response: Self.error(404, .notFound, "Atelier inconnu."))) }
        if Secrets.matches(token, digest: room.record.facilitatorKeyDigest) { return .success((room, .facilitator)) }
        guard let (workshop, participant) = hub.lookUp(token: token), workshop == id else {
            return .failure(Refusal(response: Self.error(403, .forbidden,
                "Cette clé ou ce jeton n'ouvre pas cet atelier : demandez le lien de revue à l'animateur.")))
        }
        guard let p = room.state.participants[participant], !p.removed else {
            return .failure(Refusal(response: Self.error(403, .forbidden, "Vous avez été retiré de cet atelier : sa revue ne vous est plus ouverte.")))
        }
        return .success((room, room.state.actor(for: p)))
    }

    /// Runs `work` on the replay queue with the workshop's index up to what is durable now, and
    /// sends its answer from the loop.
    func withIndex(_ room: Room, respond: @escaping Respond,
                           _ work: @escaping @Sendable (ReplayCache, ReplayIndex) throws -> HTTPResponse) {
        let id = room.record.id, through = room.state.seq
        let cache = hub.replay, transport = hub.transport, later = Unchecked(respond), logger = self.logger
        // Once what the room holds now is on disk, the journal has it all.
        hub.pipeline.afterCommit { _ in
            cache.queue.async {
                let response: HTTPResponse
                do {
                    response = try work(cache, try cache.index(id, through: through))
                } catch {
                    logger.error("replay failed", metadata: ["workshop": "\(id)", "error": "\(error)"])
                    response = Self.error(500, .internal, "La revue de l'atelier n'a pas pu être préparée.")
                }
                transport.post { later.value(response) }
            }
        }
    }

    /// `GET /api/workshops/{workshop}/replay`: the timeline (seqs and times, markers).
    func replayTimeline(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        let room: Room, viewer: Actor
        switch replayViewer(request, workshop: captures[0]) {
        case .failure(let refusal): return respond(refusal.response)
        case .success(let found): (room, viewer) = found
        }
        let state = room.state
        withIndex(room, respond: respond) { _, index in
            HTTPResponse(status: 200, headers: [("cache-control", "no-store")], body: Outbound.timeline(index, state: state, viewer: viewer))
        }
    }

    /// `GET /api/workshops/{workshop}/replay/{seq}`: the workshop at that seq, for the viewer.
    func replayMoment(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        let room: Room, viewer: Actor
        switch replayViewer(request, workshop: captures[0]) {
        case .failure(let refusal): return respond(refusal.response)
        case .success(let found): (room, viewer) = found
        }
        let last = room.state.seq
        guard let seq = Int(captures[1]), captures[1].count <= 12, (1...last).contains(seq) else {
            return respond(Self.error(400, .invalid,
                "Ce moment n'existe pas dans le journal : choisissez un numéro d'événement entre 1 et \(last)."))
        }
        let id = room.record.id
        withIndex(room, respond: respond) { cache, index in
            guard let state = try cache.state(id, at: seq, in: index), let at = index.time(of: seq) else {
                return Self.error(500, .internal, "Le journal de l'atelier est incomplet : ce moment ne peut pas être rejoué.")
            }
            return HTTPResponse(status: 200, headers: [("cache-control", "no-store")],
                                body: Outbound.moment(state, at: at, last: index.lastSeq, viewer: viewer))
        }
    }

    /// `GET /api/workshops/{workshop}/projects/{project}/provenance`: where a sheet comes from.
    func projectProvenance(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        let room: Room, viewer: Actor
        switch replayViewer(request, workshop: captures[0]) {
        case .failure(let refusal): return respond(refusal.response)
        case .success(let found): (room, viewer) = found
        }
        let project = captures[1]
        // Someone invited into a working group knows only its board's sheets.
        guard let sheet = room.state.projects[project], viewer.board == nil || sheet.board == viewer.board else {
            return respond(Self.error(404, .notFound, "Cette fiche projet n'existe pas dans cet atelier."))
        }
        let state = room.state
        withIndex(room, respond: respond) { _, index in
            guard let p = index.provenance.provenance(of: project, in: state) else {
                return Self.error(404, .notFound, "Cette fiche projet n'existe pas dans cet atelier.")
            }
            return HTTPResponse(status: 200, headers: [("cache-control", "no-store")],
                                body: Outbound.provenance(p, state: state, viewer: viewer))
        }
    }
}
