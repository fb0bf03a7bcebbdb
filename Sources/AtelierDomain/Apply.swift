import Foundation

extension Workshop {
    /// Makes an event part of the state. Events were validated by ``reduce(_:_:by:context:)``
    /// (or come from the journal), so applying never fails: an event naming something unknown
    /// changes nothing.
    public mutating func apply(_ event: Event) {
        seq = event.seq
        switch event.body {
        case .workshopCreated(let blueprint):
            self = Workshop(blueprint)
            seq = event.seq
            createdAt = event.at
        case .participantJoined(let participant):
            participants[participant.id] = participant
            if !workingGroups.isEmpty, let table = participant.guestOf { workingGroups[table]?.guests += 1 }
            if !workingGroups.isEmpty, let table = participant.group, let board = workingGroups[table]?.group.board {
                recordGroupChange(onBoard: board, .member, participant.id, event)
            }
        case .cardAdded(let card):
            cards[card.id] = card
            if !workingGroups.isEmpty { recordGroupChange(onBoard: card.board, .card, card.id, event) }
        case let .cardEdited(card, text, version):
            cards[card]?.text = text
            cards[card]?.version = version
        case let .cardMoved(card, x, y, column, board):
            cards[card]?.x = x; cards[card]?.y = y
            cards[card]?.column = column; cards[card]?.board = board
        case .cardDeleted(let card):
            cards[card] = nil
            for phase in ballots.keys { for voter in ballots[phase]!.keys { ballots[phase]![voter]![card] = nil } }
            comments = comments.filter { $0.value.card != card }
        case let .voteCast(card, voter, phase, _):
            ballots[phase, default: [:]][voter, default: [:]][card, default: 0] += 1
        case let .voteRetracted(card, voter, phase, _):
            let left = (ballots[phase]?[voter]?[card] ?? 0) - 1
            ballots[phase]?[voter]?[card] = left > 0 ? left : nil
        case .phaseChanged(let phase):
            self.phase = phase
        case let .participantAssigned(participant, group):
            participants[participant]?.group = group
        case let .rotationAdvanced(placements, moved):
            for p in placements { if let i = boardIndex(p.board) { boards[i].group = p.group } }
            for m in moved { participants[m.participant]?.group = m.group }
        case .participantErased(let participant):
            participants[participant]?.profile = nil
        case let .hostAssigned(board, participant):
            hosts[board] = participant
        case .participantRemoved(let participant):
            participants[participant]?.removed = true
            for (board, host) in hosts where host == participant { hosts[board] = nil }
        case .timerStarted(let timer):
            self.timer = timer
        case .timerPaused(let remaining):
            timer?.endsAt = nil
            timer?.remaining = remaining
        case .timerResumed(let endsAt):
            timer?.endsAt = endsAt
            timer?.remaining = nil
        case .timerStopped, .timerEnded:
            timer = nil
        case .announcementMade(let text):
            announcement = Announcement(text: text, at: event.at, seq: event.seq)
        case .workshopPaused:
            paused = true
        case .workshopResumed:
            paused = false
        case .workshopClosed:
            closed = true
            timer = nil
            // What a working group did during the live session is the session's: its changes count from here.
            for table in workingGroups.keys where workingGroups[table]!.isOpen {
                workingGroups[table]!.cards = 0; workingGroups[table]!.sheetEdits = 0; workingGroups[table]!.members = 0
                workingGroups[table]!.changes = []
            }
        case .viewFocused(let board):
            focus = board
        case .settingsUpdated(let settings):
            self.settings = settings
        case .votesRevealed:
            votesRevealed = true
            votesClosed = true
        case .votesClosed:
            votesClosed = true
        case .announcementWithdrawn:
            announcement = nil
        case let .projectorShown(mode, every):
            projector = ProjectorView(mode: mode, every: every)
        case .cardsRevealed(let revealed):
            for card in revealed { cards[card.id]?.isPrivate = false }
        case let .clusterCreated(cluster, _):
            clusters[cluster.id] = cluster
        case let .clusterRenamed(cluster, title):
            clusters[cluster]?.title = title
        case let .cardClustered(card, cluster):
            cards[card]?.cluster = cluster
        case .commentAdded(let comment):
            comments[comment.id] = comment
        case .commentDeleted(let comment):
            comments[comment] = nil
        case .cardHidden(let card):
            cards[card]?.hidden = true
        case .cardRestored(let card):
            cards[card.id]?.hidden = false
        case .boardLocked(let board):
            if let i = boardIndex(board) { boards[i].locked = true }
        case .boardUnlocked(let board):
            if let i = boardIndex(board) { boards[i].locked = false }
        case .projectCreated(let project):
            projects[project.id] = project
        case let .projectUpdated(project, change, version):
            if let p = projects[project] {
                projects[project] = change.applied(to: p); projects[project]?.version = version
                if !workingGroups.isEmpty { recordGroupChange(onBoard: p.board, .sheet, project, event) }
            }
        case let .projectStatusChanged(project, status, version):
            projects[project]?.status = status
            projects[project]?.version = version
        case let .projectSupported(project, supporter, support):
            projects[project]?.supporters.removeAll { $0 == supporter }
            if support { projects[project]?.supporters.append(supporter) }
        case let .projectSubmitted(project, receipt):
            projects[project]?.receipts.append(receipt)
            // A Démarches Simplifiées dossier is only prepared until the project lead files it. A
            // receipt journaled before dossiers were followed (no `dossier`) keeps meaning submitted.
            let filed = receipt.channel == .webhook || (receipt.dossier?.state.isFiled ?? true)
            if filed || projects[project]?.status != .submitted { projects[project]?.status = filed ? .submitted : .prepared }
        case let .dossierFollowed(project, reference, dossier):
            guard let i = projects[project]?.followedReceiptIndex(reference) else { break }
            projects[project]?.receipts[i].dossier = dossier
            if dossier.state.isFiled { projects[project]?.status = .submitted }
        case .webhookQueued(let delivery):
            outbox[delivery.id] = OutboxEntry(delivery: delivery)
        case let .webhookAttempted(id, attempt):
            guard var entry = outbox[id] else { break }
            entry.attempts.append(attempt)
            if entry.attempts.count > OutboxEntry.keptAttempts { entry.attempts.removeFirst(entry.attempts.count - OutboxEntry.keptAttempts) }
            entry.attemptCount += 1
            entry.nextAt = attempt.nextAt
            entry.state = attempt.delivered ? .delivered : attempt.nextAt == nil ? .abandoned : .pending
            outbox[id] = entry
        case .webhookRedelivered(let id):
            outbox[id]?.state = .pending
            outbox[id]?.nextAt = event.at
            outbox[id]?.since = event.at
        case .groupOpened(let group):
            if var existing = workingGroups[group.group], existing.isOpen {
                existing.group = group
                workingGroups[group.group] = existing
            } else {
                // Reopened after a close or an expiry: its activity is counted again from now, but the
                // guests it already let in still count against its limit (they are still in the room).
                var opened = WorkingGroupState(group: group, openedAt: event.at, openedSeq: event.seq)
                opened.guests = workingGroups[group.group]?.guests ?? 0
                workingGroups[group.group] = opened
            }
        case let .groupEnded(group, reason, into):
            workingGroups[group]?.ended = GroupEnd(reason: reason, into: into, at: event.at)
            workingGroups[group]?.invitations = [:]
        case let .groupInvited(group, invitation):
            workingGroups[group]?.invitations[invitation.id] = invitation
        case let .groupInvitationRevoked(group, invitation):
            workingGroups[group]?.invitations[invitation] = nil
        case .workshopCarried(let carry):
            for item in carry.items { carried[item.id] = item }
            for (project, l) in carry.lineage { lineage[project] = l }
            if !carriedFrom.contains(carry.source) { carriedFrom.append(carry.source) }
        }
    }

    /// Rebuilds a workshop from its journal (the first event must be `workshop.created`).
    public static func replay<S: Sequence>(_ events: S) -> Workshop? where S.Element == Event {
        var state: Workshop?
        for event in events {
            if state == nil {
                guard case .workshopCreated(let blueprint) = event.body else { return nil }
                state = Workshop(blueprint)
            }
            state?.apply(event)
        }
        return state
    }

    public var orderedClusters: [Cluster] { clusters.values.sorted { $0.createdSeq < $1.createdSeq } }
    public var orderedComments: [Comment] { comments.values.sorted { $0.createdSeq < $1.createdSeq } }
    public var orderedProjects: [ProjectSheet] { projects.values.sorted { $0.createdSeq < $1.createdSeq } }
}
