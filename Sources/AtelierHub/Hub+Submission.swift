import AtelierDomain
import AtelierExport
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

/// Sending ready projects to the call-for-projects pipeline, from the console.
extension Hub {
    func submitProjects(channel: Receipt.Channel, only: [ProjectID]?, again: Bool = false, id: String, from connection: ConnectionID) {
        guard let (room, actor) = joinedRoom(connection, id: id) else { return }
        let workshop = room.record.id
        guard actor.role == .facilitator else {
            reply(connection, Outbound.error(re: id, DomainError(.forbidden, "Seul l'animateur peut déposer les projets.")))
            return
        }
        guard let target = configuration.submissionTargets[channel] else {
            reply(connection, Outbound.error(re: id, DomainError(.invalid, channel == .webhook
                ? "Aucun webhook n'est configuré sur ce serveur (option --webhook)."
                : "Démarches Simplifiées n'est pas configuré sur ce serveur (options --demarches, --procedure, --mapping).")))
            return
        }
        if case let .demarches(_, _, mapping) = target {
            // A wrong mapping sends nothing: refused at once, each fault with its line.
            let errors = DemarchesCheck.check(mapping, form: room.state.form, orientations: room.state.orientations).filter { !$0.warning }
            guard errors.isEmpty else {
                reply(connection, Outbound.error(re: id, DomainError(.invalid, "La correspondance Démarches Simplifiées est fausse, rien n'est envoyé : "
                    + errors.prefix(20).map { $0.text(file: mapping.file) }.joined(separator: " ; "))))
                return
            }
        }
        // Ready projects not yet deposited on this channel, nor being deposited: never twice.
        let outcome = Outcome(room.state)
        // `again`: only the sheets whose Démarches Simplifiées dossier expired unclaimed, named one by one.
        let chosen = outcome.projects.filter { p in
            guard (only == nil || only!.contains(p.sheet.id)), p.sheet.status != .draft,
                  !room.submitting.contains("\(channel.rawValue)/\(p.sheet.id)") else { return false }
            if again { return channel == .demarches && only != nil && room.state.dossierReceipt(of: p.sheet.id)?.dossier?.state == .expired }
            return !p.sheet.receipts.contains { $0.channel == channel }
                && !(channel == .webhook && room.state.outbox.values.contains { $0.delivery.project == p.sheet.id && $0.state != .abandoned })
        }
        guard !chosen.isEmpty else {
            reply(connection, Outbound.error(re: id, DomainError(.invalid, again
                ? "Aucun dossier expiré à préparer à nouveau parmi les projets nommés."
                : "Aucun projet prêt à déposer (les projets déjà déposés ne le sont pas deux fois).")))
            return
        }
        reply(connection, Outbound.ack(re: id, seq: room.state.seq, result: [("submissions", String(chosen.count))]))
        if channel == .webhook {
            // The durable outbox: journaled first, delivered and retried from the journal.
            queueWebhooks(chosen, in: room, connection: connection)
            return
        }
        let submitter = Submitter(target: target)
        let state = room.state
        let clock = self.clock
        let transport = self.transport
        for project in chosen {
            room.submitting.insert("\(channel.rawValue)/\(project.sheet.id)")
            let box = Unchecked(project)
            DispatchQueue.global().async { [weak self] in
                guard let hub = self else { return }
                let result = submitter.submit(box.value, of: state, now: clock) { progress in
                    let p = Unchecked(progress)
                    transport.post { hub.submissionProgress(p.value, channel: channel, workshop: workshop) }
                }
                let r = Unchecked(result)
                transport.post { hub.submissionFinished(r.value, project: box.value.sheet, channel: channel, workshop: workshop) }
            }
        }
    }

    func submissionProgress(_ progress: SubmissionProgress, channel: Receipt.Channel, workshop: WorkshopID) {
        guard let room = rooms[workshop] else { return }
        let frame = OutboundFrame(Outbound.submissionProgress(project: progress.project, channel: channel,
                                                              state: progress.state.rawValue, message: progress.message))
        for (connection, actor) in room.members where actor.role == .facilitator { transport.send(frame, to: connection) }
    }

    func submissionFinished(_ result: Result<Receipt, SubmissionError>, project: ProjectSheet, channel: Receipt.Channel, workshop: WorkshopID) {
        guard let room = rooms[workshop] else { return }
        room.submitting.remove("\(channel.rawValue)/\(project.id)")
        switch result {
        case .success(let receipt):
            perform(.projectSubmit(project: project.id, version: project.version, receipt: receipt), in: workshop, as: .system) { [unowned self] result in
                let recorded = (try? result.get()) != nil
                submissionProgress(SubmissionProgress(project: project.id, state: recorded ? .done : .failed,
                                                      message: !recorded ? "Déposé, mais l'accusé n'a pas pu être enregistré : relancez le dépôt."
                                                        : channel == .demarches ? "Préparé sur Démarches Simplifiées (dossier n° \(receipt.number.map(String.init) ?? receipt.reference)) : à reprendre par le porteur."
                                                        : "Déposé (référence \(receipt.reference))."),
                                   channel: channel, workshop: workshop)
            }
        case .failure(let error):
            submissionProgress(SubmissionProgress(project: project.id, state: .failed, message: error.message), channel: channel, workshop: workshop)
        }
    }
}
