import AtelierDomain
import AtelierExport
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

/// After the hand-off: following the Démarches Simplifiées dossiers, and the webhook outbox
/// (docs/export.md "Following the dossiers", "The webhook outbox").
extension Hub {
    // MARK: - Following the dossiers

    /// `projects.follow` from the console: asks the platform now, answers with how many changed.
    func followDossiers(id: String, from connection: ConnectionID) {
        guard let (room, actor) = joinedRoom(connection, id: id) else { return }
        guard actor.role == .facilitator else {
            reply(connection, Outbound.error(re: id, DomainError(.forbidden, "Seul l'animateur suit les dossiers.")))
            return
        }
        guard DemarchesFollower(configuration.submissionTargets[.demarches]) != nil else {
            reply(connection, Outbound.error(re: id, DomainError(.invalid, "Démarches Simplifiées n'est pas configuré sur ce serveur (options --demarches, --procedure, --mapping).")))
            return
        }
        followDossiers(in: room) { [unowned self] result in
            switch result {
            case .success(let changed):
                reply(connection, Outbound.ack(re: id, seq: room.state.seq, result: [("changed", String(changed))]))
            case .failure(let error):
                reply(connection, Outbound.error(re: id, DomainError(.invalid, error.message)))
            }
        }
    }

    /// Asks the platform where the room's followed dossiers are (off the loop), journals each
    /// change (`dossier.followed`), then calls `done` on the loop with how many changed.
    func followDossiers(in room: Room, done: @escaping (Result<Int, SubmissionError>) -> Void = { _ in }) {
        guard let follower = DemarchesFollower(configuration.submissionTargets[.demarches]) else { return done(.success(0)) }
        let followed = room.state.followedDossiers
        guard !followed.isEmpty else { return done(.success(0)) }
        guard !room.submitting.contains("follow") else { return done(.success(0)) }
        room.submitting.insert("follow")
        let workshop = room.record.id
        let tokens = followed.compactMap(\.receipt.prefillToken)
        let transport = self.transport
        let box = Unchecked((followed, done))
        DispatchQueue.global().async { [weak self] in
            let outcome = Unchecked(follower.follow(tokens))
            guard let hub = self else { return }
            // Handed to a method: with the same code switched over inside this closure, the server
            // crashed when the job was freed (the captured Result released twice; Swift 6.3.1,
            // reproducible, cause not found). Keep the posted closures to a call.
            transport.post { hub.followed(outcome.value, dossiers: box.value.0, in: workshop, done: box.value.1) }
        }
    }

    /// On the loop, with what the platform answered: journals each change.
    func followed(_ result: Result<[String: DossierFollow], SubmissionError>, dossiers followed: [(project: ProjectID, receipt: Receipt)],
                  in workshop: WorkshopID, done: @escaping (Result<Int, SubmissionError>) -> Void) {
        rooms[workshop]?.submitting.remove("follow")
        switch result {
        case .failure(let error):
            logger.warning("dossier follow-up failed", metadata: ["workshop": "\(workshop)", "error": "\(error.message)"])
            done(.failure(error))
        case .success(let found):
            var changed = 0
            for (project, receipt) in followed {
                guard let token = receipt.prefillToken, let dossier = found[token], dossier != receipt.dossier else { continue }
                changed += 1
                perform(.dossierFollow(project: project, reference: receipt.reference, dossier: dossier), in: workshop, as: .system)
            }
            pipeline.afterCommit { _ in done(.success(changed)) }
            pipeline.flush()
        }
    }

    /// While serving: every `seconds`, the open rooms' dossiers are followed.
    public func startDossierFollowing(every seconds: Double) -> DispatchSourceTimer? {
        guard seconds > 0, DemarchesFollower(configuration.submissionTargets[.demarches]) != nil else { return nil }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "atelier.follow"))
        let transport = self.transport
        let hub = Unchecked(self)
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
        timer.setEventHandler {
            transport.post { for room in hub.value.rooms.values { hub.value.followDossiers(in: room) } }
        }
        timer.resume()
        return timer
    }

    // MARK: - The webhook outbox

    /// Queues one delivery per project (journaled first: it survives a restart), then the outbox
    /// sends them.
    func queueWebhooks(_ projects: [Outcome.ProjectView], in room: Room, connection: ConnectionID) {
        let workshop = room.record.id
        for project in projects {
            let delivery = Submitter.webhookDelivery(project, of: room.state, now: clock())
            perform(.webhookQueue(delivery), in: workshop, as: .system) { [unowned self] result in
                let message: String
                if case .failure(let error) = result { message = error.message } else { message = "En file d'envoi (livraison \(delivery.id))." }
                submissionProgress(SubmissionProgress(project: project.sheet.id, state: (try? result.get()) == nil ? .failed : .pending, message: message),
                                   channel: .webhook, workshop: workshop)
            }
        }
    }

    /// After a start or a room's load: every pending delivery gets its timer.
    func resumeOutbox(_ room: Room) {
        for entry in room.state.outbox.values where entry.state == .pending {
            scheduleDelivery(entry.delivery.id, at: entry.nextAt ?? clock(), in: room)
        }
    }

    func scheduleDelivery(_ id: String, at: Int64, in room: Room) {
        let workshop = room.record.id
        let delay = max(0, Double(at - clock()) / 1000)
        let transport = self.transport
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let hub = self else { return }
            transport.post { hub.deliveryDue(id, workshop: workshop) }
        }
    }

    /// A delivery's timer went off: one attempt, unless it is not due (a newer timer waits for
    /// it), already under way, or done.
    func deliveryDue(_ id: String, workshop: WorkshopID) {
        guard let room = rooms[workshop], let entry = room.state.outbox[id], entry.state == .pending,
              !room.submitting.contains("outbox/\(id)") else { return }
        let now = clock()
        if let nextAt = entry.nextAt, nextAt > now { return scheduleDelivery(id, at: nextAt, in: room) }
        guard case let .webhook(url, secret)? = configuration.submissionTargets[.webhook] else {
            logger.warning("webhook delivery pending but no --webhook configured", metadata: ["delivery": "\(id)"])
            return
        }
        room.submitting.insert("outbox/\(id)")
        let delivery = entry.delivery
        let transport = self.transport, clock = self.clock
        DispatchQueue.global().async { [weak self] in
            let result = Submitter.attempt(delivery, to: url, secret: secret, now: clock())
            let r = Unchecked(result)
            guard let hub = self else { return }
            transport.post { hub.attemptDone(r.value, delivery: delivery, workshop: workshop) }
        }
    }

    func attemptDone(_ result: WebhookAttemptResult, delivery: WebhookDelivery, workshop: WorkshopID) {
        guard let room = rooms[workshop], let entry = room.state.outbox[delivery.id] else { return }
        room.submitting.remove("outbox/\(delivery.id)")
        let now = clock()
        var attempt = WebhookAttempt(at: now, status: result.status, error: result.error.map { String($0.prefix(300)) })
        if !result.delivered && !result.refused {
            attempt.nextAt = retryPolicy.next(afterAttempt: entry.attemptCount + 1, since: entry.since, now: now,
                                              retryAfterSeconds: result.retryAfter, random: Double.random(in: 0..<1))
        }
        perform(.webhookAttempt(delivery: delivery.id, attempt: attempt), in: workshop, as: .system)
        let project = delivery.project
        if result.delivered {
            // The receipt, as before the outbox: the sheet is submitted on this channel.
            if room.state.projects[project]?.receipts.contains(where: { $0.channel == .webhook }) == false {
                let receipt = Receipt(channel: .webhook, reference: String((result.reference ?? delivery.id).prefix(200)), at: now)
                perform(.projectSubmit(project: project, version: delivery.version, receipt: receipt), in: workshop, as: .system)
            }
            submissionProgress(SubmissionProgress(project: project, state: .done, message: "Livré (livraison \(delivery.id))."), channel: .webhook, workshop: workshop)
        } else {
            let what = result.status.map { "HTTP \($0)" } ?? (result.error ?? "pas de réponse")
            let message = attempt.nextAt.map { "Échec (\(what)) : nouvel essai à \(timestamp($0))." }
                ?? "Abandon (\(what)) : « Relancer » dans la file des webhooks pour réessayer."
            submissionProgress(SubmissionProgress(project: project, state: attempt.nextAt == nil ? .failed : .retrying, message: message),
                               channel: .webhook, workshop: workshop)
        }
    }

    var retryPolicy: WebhookRetryPolicy { WebhookRetryPolicy(baseMs: configuration.webhookRetryBaseMs) }
}
