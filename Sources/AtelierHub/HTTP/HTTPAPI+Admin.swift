import AtelierDomain
import AtelierExport
import AtelierProtocol
import AtelierTransport
import Foundation

/// What the command line asks of a running server, so that every write goes through the one
/// pipeline that owns the journal (docs/architecture.md "One write path"). Admin token required.
extension HTTPAPI {
    /// `POST /api/admin/workshops/{id}/participants/{p}/erase`: GDPR erasure of a name and an
    /// organisation, as the facilitator's `participant.erase` would.
    func eraseParticipant(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        run(.participantErase(participant: captures[1]), in: captures[0], as: .facilitator, respond: respond)
    }

    /// `POST /api/admin/workshops/{id}/receipts` `{"project", "version", "receipt": {…}}`: a
    /// submission made by `atelier submit`, recorded as the console's own submissions are.
    func recordReceipt(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        let command: Command
        do {
            let body = try object(request)
            guard case .string(let project)? = body["project"], case .number(let number)? = body["version"],
                  let version = Int(exactly: number), let receipt = body["receipt"] else {
                return respond(Self.error(400, .badRequest, "Attendu : « project », « version » et « receipt »."))
            }
            command = .projectSubmit(project: project, version: version, receipt: try decodeReceipt(receipt))
        } catch let refusal as Refusal {
            return respond(refusal.response)
        } catch let error as DomainError {
            return respond(Self.error(400, error.code, error.message))
        } catch {
            return respond(Self.error(400, .badRequest, "Requête invalide."))
        }
        run(command, in: captures[0], as: .system, respond: respond)
    }

    /// `POST /api/admin/workshops/{id}/webhooks` `{"project", "url"}`: `atelier submit --webhook`
    /// while this server runs. The delivery is built from the server's own state and queued in
    /// the workshop's outbox, as the console's `projects.submit` does: journaled, then delivered
    /// and retried by this server, with its `--webhook` and `--webhook-secret`. `url` (the
    /// command line's `--webhook`) must be the server's own, so nothing goes where it was not meant to.
    func queueWebhook(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        let workshop = captures[0]
        if let refusal = misdirected(workshop) { return respond(refusal) }
        let project: String, asked: String
        do {
            let body = try object(request)
            guard case .string(let p)? = body["project"], case .string(let u)? = body["url"] else {
                return respond(Self.error(400, .badRequest, "Attendu : « project » et « url »."))
            }
            project = p; asked = u
        } catch let refusal as Refusal {
            return respond(refusal.response)
        } catch {
            return respond(Self.error(400, .badRequest, "Requête invalide."))
        }
        guard case let .webhook(url, _)? = hub.configuration.submissionTargets[.webhook] else {
            return respond(Self.error(400, .invalid, "Ce serveur n'a pas de webhook (option --webhook) : il ne pourrait pas livrer. Relancez-le avec --webhook, ou arrêtez-le pour mettre les envois en file dans le dossier de données."))
        }
        guard url.absoluteString == asked else {
            return respond(Self.error(400, .invalid, "Ce serveur livre ses webhooks à \(url.absoluteString), pas à \(asked) : donnez la même adresse."))
        }
        guard let room = hub.room(workshop) else { return respond(Self.error(404, .notFound, "Atelier inconnu.")) }
        guard let view = Outcome(room.state).projects.first(where: { $0.sheet.id == project }) else {
            return respond(Self.error(404, .notFound, "Projet inconnu : \(project)."))
        }
        guard view.sheet.status != .draft else {
            return respond(Self.error(400, .invalid, "Le projet \(project) est encore en brouillon : marquez-le prêt d'abord."))
        }
        let delivery = Submitter.webhookDelivery(view, of: room.state, now: hub.clock())
        run(.webhookQueue(delivery), in: workshop, as: .system) { response in
            guard response.status == 200 else { return respond(response) }
            // The delivery's id, for the command line to show (the same on every attempt).
            respond(Self.json(200) { w in w.key("delivery"); w.string(delivery.id) })
        }
    }

    /// `POST /api/admin/workshops/{id}/dossiers` `{"project", "reference", "dossier": {…}}`: where
    /// `atelier follow` found a Démarches Simplifiées dossier (journaled only if it changed).
    func recordDossier(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        let command: Command
        do {
            let body = try object(request)
            guard case .string(let project)? = body["project"], case .string(let reference)? = body["reference"] else {
                return respond(Self.error(400, .badRequest, "Attendu : « project », « reference » et « dossier »."))
            }
            command = .dossierFollow(project: project, reference: reference, dossier: try decodeDossier(body["dossier"]))
        } catch let refusal as Refusal {
            return respond(refusal.response)
        } catch let error as DomainError {
            return respond(Self.error(400, error.code, error.message))
        } catch {
            return respond(Self.error(400, .badRequest, "Requête invalide."))
        }
        run(command, in: captures[0], as: .system, respond: respond)
    }

    /// `POST /api/admin/workshops/{id}/facilitator-key`: a new facilitator key, for a link that was
    /// lost (only its digest is stored, so the old one cannot be shown again). The old key stops
    /// working; the answer, once the new digest is durable, is the only place the new key appears.
    func newFacilitatorKey(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        if let refusal = misdirected(captures[0]) { return respond(refusal) }
        guard let room = hub.room(captures[0]) else { return respond(Self.error(404, .notFound, "Atelier inconnu.")) }
        let key = hub.replaceFacilitatorKey(of: room)
        let links = WorkshopLinks(record: room.record, facilitatorKey: key, base: baseURL)
        let response = Self.json(200) { w in
            w.key("facilitatorKey"); w.string(key)
            w.key("facilitatorUrl"); w.string(links.facilitator)
        }
        hub.pipeline.afterCommit { committed in
            respond(committed ? response : Self.error(500, .internal, "La nouvelle clé n'a pas pu être enregistrée."))
        }
    }

    /// Runs one command in a workshop and answers once its events are durable:
    /// `{"seq": n, "events": k}`, or the domain's refusal.
    func run(_ command: Command, in workshop: WorkshopID, as actor: Actor, respond: @escaping Respond) {
        if let refusal = misdirected(workshop) { return respond(refusal) }
        guard hub.room(workshop) != nil else { return respond(Self.error(404, .notFound, "Atelier inconnu.")) }
        hub.perform(command, in: workshop, as: actor) { result in
            switch result {
            case .success(let (seq, count)):
                respond(Self.json(200) { w in w.key("seq"); w.int(seq); w.key("events"); w.int(count) })
            case .failure(let error):
                let status = switch error.code {
                case .notFound: 404
                case .forbidden: 403
                case .internal: 500
                case .conflict: 409
                case .badRequest, .unknownType, .unauthenticated, .invalid, .phase, .locked, .budget, .closed, .rateLimited: 400
                }
                respond(Self.error(status, error.code, error.message))
            }
        }
    }
}
