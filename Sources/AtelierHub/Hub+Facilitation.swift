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
        case .groupOpened(let group):
            schedule(groupEnd: group.endsAt, of: group.group, in: room)
        case .groupEnded, .groupInvited, .groupInvitationRevoked:
            // An ended group's members stay connected, read-only; a revoked link stops opening the
            // group, while whoever joined by it keeps their own token.
            break
        }
    }

    /// Ends a working group at its end date (server clock), unless the date moved meanwhile. The
    /// rules refuse writes after the date anyway: this makes the end visible to everyone.
    func schedule(groupEnd endsAt: Int64, of group: GroupID, in room: Room) {
        let id = room.record.id
        let delay = min(max(0, Double(endsAt - clock()) / 1000), Double(WorkingGroup.maxDays + 1) * 86_400)
        let transport = self.transport
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let hub = self else { return }
            transport.post { hub.groupEndCame(workshop: id, group: group, endsAt: endsAt) }
        }
    }

    func groupEndCame(workshop: WorkshopID, group: GroupID, endsAt: Int64) {
        guard let room = rooms[workshop], let g = room.state.workingGroups[group], g.isOpen, g.group.endsAt == endsAt else { return }
        // A timer that fires a little early (clocks) tries again at the date.
        if clock() < endsAt { return schedule(groupEnd: endsAt, of: group, in: room) }
        perform(.groupExpire(group: group, endsAt: endsAt), in: room.record.id, as: .system)
    }

    /// The open working groups of a room just loaded (at start, or on demand for a closed
    /// workshop): each ends at its date, at once if the date passed while nobody held the room.
    func resumeGroups(_ room: Room) {
        for g in room.state.workingGroups.values where g.isOpen { schedule(groupEnd: g.group.endsAt, of: g.group.group, in: room) }
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
        for room in rooms.values { resumeGroups(room) }
    }
}
