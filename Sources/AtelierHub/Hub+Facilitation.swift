import AtelierDomain
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

/// What some events set in motion outside the state, once they are durable.
extension Hub {
    func followUp(_ event: Event, in room: Room) {
        switch event.body {
        case .participantRemoved(let participant):
            // Their connections close with a clear reason, and their token stops working.
            for (connection, actor) in room.members where actor.id == participant {
                transport.close(connection, code: CloseCode.removed, reason: "Vous avez été retiré de l'atelier par l'animateur.")
                sessions[connection]?.state = .closing
                room.members[connection] = nil
            }
            room.online[participant] = nil
            tokens = tokens.filter { $0.value.participant != participant || $0.value.workshop != room.record.id }
        case .timerStarted(let timer):
            if let endsAt = timer.endsAt { schedule(timerEnd: endsAt, in: room) }
        case .timerResumed(let endsAt):
            schedule(timerEnd: endsAt, in: room)
        case .voteCast, .voteRetracted, .phaseChanged, .cardDeleted:
            // Everyone sees how many have voted, never where.
            let voters = room.state.voterCount
            if voters != room.announcedVoters {
                room.announcedVoters = voters
                let frame = OutboundFrame(Outbound.votesProgress(voters: voters))
                for connection in room.members.keys { transport.send(frame, to: connection) }
            }
        // Nothing outside the state (listed, not `default:`: a new event must say so).
        case .workshopCreated, .participantJoined, .cardAdded, .cardEdited, .cardMoved,
             .participantAssigned, .rotationAdvanced, .hostAssigned, .participantErased,
             .timerPaused, .timerStopped, .timerEnded, .announcementMade, .workshopPaused, .workshopResumed,
             .workshopClosed, .viewFocused, .settingsUpdated, .votesRevealed, .votesClosed, .announcementWithdrawn, .projectorShown, .cardsRevealed, .clusterCreated,
             .clusterRenamed, .cardClustered, .commentAdded, .commentDeleted, .cardHidden, .cardRestored,
             .boardLocked, .boardUnlocked, .projectCreated, .projectUpdated, .projectStatusChanged,
             .projectSupported, .projectSubmitted, .dossierFollowed, .workshopCarried:
            break
        case .webhookQueued(let delivery):
            scheduleDelivery(delivery.id, at: event.at, in: room)
        case let .webhookAttempted(delivery, attempt):
            if let nextAt = attempt.nextAt { scheduleDelivery(delivery, at: nextAt, in: room) }
        case .webhookRedelivered(let delivery):
            scheduleDelivery(delivery, at: event.at, in: room)
        }
    }

    /// Ends the room's timer at `endsAt` (server clock), unless it was changed meanwhile.
    func schedule(timerEnd endsAt: Int64, in room: Room) {
        let id = room.record.id
        let delay = max(0, Double(endsAt - clock()) / 1000)
        let transport = self.transport
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let hub = self else { return }
            transport.post { hub.timerFired(workshop: id, endsAt: endsAt) }
        }
    }

    func timerFired(workshop: WorkshopID, endsAt: Int64) {
        guard let room = rooms[workshop], room.state.timer?.endsAt == endsAt else { return }
        perform(.timerExpire(endsAt: endsAt), in: room.record.id, as: .system)
    }

    /// After a restart, running timers go on (or end at once if their time passed).
    func resumeTimers() {
        for room in rooms.values { if let endsAt = room.state.timer?.endsAt { schedule(timerEnd: endsAt, in: room) } }
    }
}
