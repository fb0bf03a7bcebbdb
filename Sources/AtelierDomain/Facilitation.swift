import Foundation

/// The facilitation rules: tables and rotation, time, voting and writing modes, clusters,
/// comments, moderation. Server-enforced: the page only shows what these allow.
extension Rules {
    func facilitate(_ command: Command) throws -> [EventBody] {
        switch command {
        // MARK: Tables and people
        case let .participantAssign(participant, group):
            try requireFacilitator("placer les participants")
            let p = try findParticipant(participant)
            if let group, !state.groups.contains(where: { $0.id == group }) { throw DomainError(.notFound, "Cette table n'existe pas.") }
            return p.group == group ? [] : [.participantAssigned(participant: participant, group: group)]
        case .tablesBalance:
            try requireFacilitator("répartir les tables")
            var added: [GroupID: Int] = [:]
            var events: [EventBody] = []
            for p in state.orderedParticipants where p.group == nil && !p.removed && p.role == .participant {
                guard let g = state.leastPopulatedGroup(extra: added) else { break }
                added[g, default: 0] += 1
                events.append(.participantAssigned(participant: p.id, group: g))
            }
            return events
        case .rotationAdvance:
            try requireFacilitator("faire tourner les tables")
            return [rotation()]
        case let .hostAssign(board, participant):
            try requireFacilitator("désigner un hôte de table")
            guard state.board(board) != nil else { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
            if let participant { _ = try findParticipant(participant) }
            return state.hosts[board] == participant ? [] : [.hostAssigned(board: board, participant: participant)]
        case let .participantRemove(participant):
            try requireFacilitator("retirer un participant")
            let p = try findParticipant(participant)
            return p.removed ? [] : [.participantRemoved(participant: participant)]

        case let .participantErase(participant):
            try requireFacilitator("effacer les données d'un participant")
            let p = try findParticipant(participant)
            return p.profile == nil ? [] : [.participantErased(participant: participant)]

        // MARK: Time and the room
        case let .timerStart(seconds, label):
            try requireFacilitator("lancer le minuteur")
            guard (1...(6 * 3600)).contains(seconds) else {
                throw DomainError(.invalid, "La durée du minuteur doit être comprise entre 1 seconde et 6 heures.")
            }
            let label = try label.map { try shortText($0, "Le libellé du minuteur", limit: 80) } ?? ""
            return [.timerStarted(RoomTimer(label: label, seconds: seconds, endsAt: context.now + Int64(seconds) * 1000, remaining: nil))]
        case let .timerAdd(seconds):
            // "+1 min": the same timer, longer (sent as a new `timer.started`, which every client
            // already shows; the end scheduled before no longer matches and is ignored).
            try requireFacilitator("prolonger le minuteur")
            guard var timer = state.timer else { throw DomainError(.invalid, "Aucun minuteur en cours à prolonger.") }
            guard (1...3600).contains(seconds), timer.seconds + seconds <= 6 * 3600 else {
                throw DomainError(.invalid, "On prolonge un minuteur d'une seconde à une heure, sans dépasser 6 heures en tout.")
            }
            timer.seconds += seconds
            if let endsAt = timer.endsAt { timer.endsAt = endsAt + Int64(seconds) * 1000 }
            if let remaining = timer.remaining { timer.remaining = remaining + Int64(seconds) * 1000 }
            return [.timerStarted(timer)]
        case .timerPause:
            try requireFacilitator("mettre le minuteur en pause")
            guard let endsAt = state.timer?.endsAt else { throw DomainError(.invalid, "Aucun minuteur ne tourne.") }
            return [.timerPaused(remaining: max(0, endsAt - context.now))]
        case .timerResume:
            try requireFacilitator("relancer le minuteur")
            guard let remaining = state.timer?.remaining, state.timer?.endsAt == nil else {
                throw DomainError(.invalid, "Aucun minuteur n'est en pause.")
            }
            return [.timerResumed(endsAt: context.now + remaining)]
        case .timerStop:
            try requireFacilitator("arrêter le minuteur")
            return state.timer == nil ? [] : [.timerStopped]
        case let .timerExpire(endsAt):
            // Only the timer that was scheduled: one restarted since has another end.
            guard actor == .system, state.timer?.endsAt == endsAt else { return [] }
            return [.timerEnded]
        case let .projectorShow(mode, every):
            try requireFacilitator("choisir ce que montre le projecteur")
            if let every, !(5...600).contains(every) {
                throw DomainError(.invalid, "Une table reste à l'écran entre 5 et 600 secondes.")
            }
            let seconds = mode == .rotation ? (every ?? 20) : nil
            return state.projector.mode == mode && state.projector.every == seconds ? [] : [.projectorShown(mode: mode, every: seconds)]
        case .announcementWithdraw:
            try requireFacilitator("retirer l'annonce")
            return state.announcement == nil ? [] : [.announcementWithdrawn]
        case let .announce(text):
            try requireFacilitator("faire une annonce")
            return [.announcementMade(text: try shortText(text, "Une annonce", limit: 500))]
        case .workshopPause:
            try requireFacilitator("mettre l'atelier en pause")
            return state.paused ? [] : [.workshopPaused]
        case .workshopResume:
            try requireFacilitator("reprendre l'atelier")
            return state.paused ? [.workshopResumed] : []
        case .workshopClose:
            try requireFacilitator("clore l'atelier")
            return [.workshopClosed]
        case let .viewFocus(board):
            try requireFacilitator("guider les vues")
            if let board, state.board(board) == nil { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
            return [.viewFocused(board: board)]

        // MARK: Voting, writing, anonymity
        case let .settingsUpdate(change):
            try requireFacilitator("changer les réglages")
            if let v = change.voteBudget, !(0...100).contains(v) {
                throw DomainError(.invalid, "Le nombre de votes par personne doit être compris entre 0 et 100.")
            }
            if let v = change.maxVotesPerCard, !(1...100).contains(v) {
                throw DomainError(.invalid, "Le nombre de votes par carte doit être compris entre 1 et 100.")
            }
            let updated = change.applied(to: state.settings)
            return updated == state.settings ? [] : [.settingsUpdated(updated)]
        case .votesClose:
            try requireFacilitator("clore le vote")
            return state.votesClosed ? [] : [.votesClosed]
        case .votesReveal:
            try requireFacilitator("révéler les votes")
            // The counts go to everyone: only of cards everyone sees (a hidden card's dots come
            // back with `card.restored`, a private one's once it is revealed).
            let counts = state.voteCounts.filter { state.cards[$0.key].map { !$0.hidden && !$0.isPrivate } ?? false }
            return state.votesRevealed ? [] : [.votesRevealed(counts: counts)]
        case .cardsReveal:
            try requireFacilitator("révéler les cartes")
            let revealed = state.orderedCards.filter(\.isPrivate).map { card -> Card in
                var c = card; c.isPrivate = false; return c
            }
            // One event per author, so that in an anonymous workshop each author still sees their
            // own name on their cards. Cards the facilitator hid stop being private too, but in
            // events only the facilitator receives: hidden means hidden from every participant.
            let shown = revealed.filter { !$0.hidden }, hidden = revealed.filter(\.hidden)
            return [shown, hidden].flatMap { cards in
                var byAuthor: [(ActorID?, [Card])] = []
                for card in cards {
                    if let i = byAuthor.firstIndex(where: { $0.0 == card.author }) { byAuthor[i].1.append(card) }
                    else { byAuthor.append((card.author, [card])) }
                }
                return byAuthor.map { EventBody.cardsRevealed(cards: $0.1) }
            }

        // MARK: Clusters and comments
        case let .clusterCreate(board, title, cards):
            guard let target = state.board(board) else { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
            try requireWriter(on: target)
            let title = try shortText(title, "Le titre d'un regroupement", limit: 120)
            guard !cards.isEmpty, cards.count <= 200, Set(cards).count == cards.count else {
                throw DomainError(.invalid, "Un regroupement réunit entre 1 et 200 cartes différentes.")
            }
            guard state.clusters.values.filter({ $0.board == board }).count < capacity(Limits.clustersPerBoard) else {
                throw DomainError(.budget, "Ce tableau a atteint sa limite de \(capacity(Limits.clustersPerBoard)) regroupements.")
            }
            let id = "k_\(context.nextSeq)"
            var events: [EventBody] = [.clusterCreated(Cluster(id: id, board: board, title: title, createdSeq: context.nextSeq), cards: cards)]
            for card in cards {
                let c = try findCard(card)
                guard c.board == board else { throw DomainError(.invalid, "Toutes les cartes d'un regroupement doivent être sur le même tableau.") }
                events.append(.cardClustered(card: card, cluster: id))
            }
            return events
        case let .clusterRename(cluster, title):
            let c = try findCluster(cluster)
            try requireWriter(on: state.board(c.board)!)
            let title = try shortText(title, "Le titre d'un regroupement", limit: 120)
            return title == c.title ? [] : [.clusterRenamed(cluster: cluster, title: title)]
        case let .cardCluster(card, cluster):
            let c = try findCard(card)
            try requireWriter(on: state.board(c.board)!)
            if let cluster {
                let k = try findCluster(cluster)
                guard k.board == c.board else { throw DomainError(.invalid, "Ce regroupement est sur un autre tableau.") }
            }
            return c.cluster == cluster ? [] : [.cardClustered(card: card, cluster: cluster)]
        case let .commentAdd(card, text):
            _ = try findCard(card)
            let text = try shortText(text, "Un commentaire", limit: 500)
            guard state.comments.count < capacity(Limits.commentsPerWorkshop) else {
                throw DomainError(.budget, "L'atelier a atteint sa limite de \(capacity(Limits.commentsPerWorkshop)) commentaires.")
            }
            guard state.comments.values.filter({ $0.card == card }).count < capacity(Limits.commentsPerCard) else {
                throw DomainError(.budget, "Cette carte a atteint sa limite de \(capacity(Limits.commentsPerCard)) commentaires.")
            }
            return [.commentAdded(Comment(id: "m_\(context.nextSeq)", card: card, text: text, author: actor.id, createdSeq: context.nextSeq))]
        case let .commentDelete(comment):
            guard let c = state.comments[comment], state.cards[c.card].map({ state.canSee($0, viewer: actor) }) ?? false else {
                throw DomainError(.notFound, "Ce commentaire n'existe pas (ou plus).")
            }
            if !isFacilitator, c.author != actor.id {
                throw DomainError(.forbidden, "Vous ne pouvez supprimer que vos propres commentaires.")
            }
            return [.commentDeleted(comment: comment)]

        // MARK: Moderation
        case let .cardHide(card):
            try requireFacilitator("masquer une carte")
            let c = try findCard(card)
            return c.hidden ? [] : [.cardHidden(card: card)]
        case let .cardRestore(card):
            try requireFacilitator("rétablir une carte")
            var c = try findCard(card)
            guard c.hidden else { return [] }
            c.hidden = false
            return [.cardRestored(c)]
        case let .boardLock(board):
            try requireFacilitator("verrouiller un tableau")
            guard let b = state.board(board) else { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
            return b.locked ? [] : [.boardLocked(board: board)]
        case let .boardUnlock(board):
            try requireFacilitator("déverrouiller un tableau")
            guard let b = state.board(board) else { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
            return b.locked ? [.boardUnlocked(board: board)] : []

        // Decided in `Rules.decide` and `Rules.projects` (listed, not `default:`, so that a new
        // command must be placed before it compiles).
        case .joinAsParticipant, .cardAdd, .cardEdit, .cardMove, .cardDelete, .voteCast, .voteRetract, .phaseSet,
             .projectCreate, .projectUpdate, .projectReady, .projectReopen, .projectSupport, .projectSubmit,
             .dossierFollow, .webhookQueue, .webhookAttempt, .webhookRedeliver,
             .groupOpen, .groupClose, .groupExpire, .groupInvite, .groupRevoke, .joinAsGuest:
            throw DomainError(.internal, "Commande non prise en charge.")
        }
    }

    func findParticipant(_ id: ActorID) throws -> Participant {
        guard let p = state.participants[id] else { throw DomainError(.notFound, "Ce participant n'existe pas.") }
        return p
    }

    func findCluster(_ id: ClusterID) throws -> Cluster {
        // For someone invited into a working group, another table's cluster does not exist.
        guard let c = state.clusters[id], actor.board == nil || c.board == actor.board else {
            throw DomainError(.notFound, "Ce regroupement n'existe pas.")
        }
        return c
    }

    /// World café: every group moves to the next board in the rotation order; boards keep their
    /// content; a table's host stays with the board and joins the group that arrives.
    func rotation() -> EventBody {
        let order = (state.rotation ?? state.boards.map(\.id)).filter { state.board($0) != nil }
        guard order.count > 1 else { return .rotationAdvanced(boards: [], participants: []) }
        var placements: [BoardPlacement] = []
        for (i, board) in order.enumerated() {
            let previous = order[(i + order.count - 1) % order.count]
            placements.append(BoardPlacement(board: board, group: state.board(previous)!.group))
        }
        var moved: [ParticipantPlacement] = []
        for placement in placements {
            if let host = state.hosts[placement.board], let p = state.participants[host], !p.removed, p.group != placement.group {
                moved.append(ParticipantPlacement(participant: host, group: placement.group))
            }
        }
        return .rotationAdvanced(boards: placements, participants: moved)
    }
}
