import AtelierDomain
import AtelierExport
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

/// Sending ready projects to the call-for-projects pipeline, from the console.
extension Hub {
    func submitProjects(channel: Receipt.Channel, only: [ProjectID]?, id: String, from connection: ConnectionID) {
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
        // Ready projects not yet deposited on this channel, nor being deposited: never twice.
        let outcome = Outcome(room.state)
        let chosen = outcome.projects.filter { p in
            (only == nil || only!.contains(p.sheet.id)) && p.sheet.status != .draft
                && !p.sheet.receipts.contains { $0.channel == channel } && !room.submitting.contains("\(channel.rawValue)/\(p.sheet.id)")
        }
        guard !chosen.isEmpty else {
            reply(connection, Outbound.error(re: id, DomainError(.invalid, "Aucun projet prêt à déposer (les projets déjà déposés ne le sont pas deux fois).")))
            return
        }
        reply(connection, Outbound.ack(re: id, seq: room.state.seq, result: [("submissions", String(chosen.count))]))
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
                                                      message: recorded ? "Déposé (référence \(receipt.reference))." : "Déposé, mais l'accusé n'a pas pu être enregistré : relancez le dépôt."),
                                   channel: channel, workshop: workshop)
            }
        case .failure(let error):
            submissionProgress(SubmissionProgress(project: project.id, state: .failed, message: error.message), channel: channel, workshop: workshop)
        }
    }
}
