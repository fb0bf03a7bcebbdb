import Foundation

/// The rules of a workshop: decides what a command does, without changing anything.
///
/// Returns the events to append (in order) or the reason for refusing. The hub gives them their
/// seq, journals them, and only then makes them visible (``Workshop/apply(_:)``).
public func reduce(_ state: Workshop, _ command: Command, by actor: Actor,
                   context: ReduceContext) -> Result<[EventBody], DomainError> {
    do {
        return .success(try Rules(state: state, actor: actor, context: context).decide(command))
    } catch let error as DomainError {
        return .failure(error)
    } catch {
        return .failure(DomainError(.internal, "Erreur interne."))
    }
}

struct Rules {
    let state: Workshop
    let actor: Actor
    let context: ReduceContext

    var isFacilitator: Bool { actor.role == .facilitator }

    func decide(_ command: Command) throws -> [EventBody] {
        // A closed workshop changes no more, but its hand-off goes on (docs/export.md): the
        // pipeline's receipts, the dossiers' states, the webhook outbox.
        if state.closed, !command.isHandOff, try !acceptedWhileClosed(command) {
            throw DomainError(.closed, "L'atelier est clos : il n'accepte plus de modification.")
        }
        if actor.role == .observer { throw DomainError(.forbidden, "Un observateur ne peut rien modifier.") }
        if !isFacilitator, state.participants[actor.id]?.removed == true {
            throw DomainError(.forbidden, "Vous avez été retiré de cet atelier.")
        }
        if state.paused, !isFacilitator, !state.closed {
            throw DomainError(.locked, "L'atelier est en pause : l'animateur le reprendra dans un instant.")
        }
        switch command {
        case let .joinAsParticipant(profile, kind, group):
            return try join(profile: profile, kind: kind, group: group)
        case let .cardAdd(board, column, text, x, y, color):
            return try addCard(board: board, column: column, text: text, x: x, y: y, color: color)
        case let .cardEdit(card, text, version):
            let existing = try ownCard(card, verb: "modifier")
            try requireUnlocked(existing.board)
            let text = try cardText(text)
            if version != existing.version {
                throw DomainError(.conflict, "Cette carte a été modifiée entre-temps (version \(existing.version)) : relisez sa version actuelle avant d'enregistrer la vôtre.")
            }
            if text == existing.text { return [] }
            return [.cardEdited(card: card, text: text, version: existing.version + 1)]
        case let .cardMove(card, x, y, column, board):
            return try moveCard(card, x: x, y: y, column: column, board: board)
        case let .cardDelete(card):
            let existing = try ownCard(card, verb: "supprimer")
            try requireUnlocked(existing.board)
            return [.cardDeleted(card: card)]
        case let .voteCast(card):
            try requireVoting()
            let target = try findCard(card)
            try requireVotable(target)
            let mine = state.ballots[state.phase]?[actor.id] ?? [:]
            if mine.values.reduce(0, +) >= state.settings.voteBudget {
                throw DomainError(.budget, "Vous avez utilisé vos \(state.settings.voteBudget) votes : retirez-en un pour voter ailleurs.")
            }
            if (mine[card] ?? 0) >= state.settings.maxVotesPerCard {
                throw DomainError(.budget, "Vous avez déjà mis \(state.settings.maxVotesPerCard) votes sur cette carte, le maximum.")
            }
            return [.voteCast(card: card, voter: actor.id, phase: state.phase, total: state.voteCount(card) + 1)]
        case let .voteRetract(card):
            try requireVoting()
            _ = try findCard(card)
            if state.votesClosed {
                throw DomainError(.phase, "Le vote est clos : les votes ne peuvent plus être retirés.")
            }
            if (state.ballots[state.phase]?[actor.id]?[card] ?? 0) == 0 {
                throw DomainError(.invalid, "Vous n'avez pas de vote sur cette carte pendant cette phase.")
            }
            return [.voteRetracted(card: card, voter: actor.id, phase: state.phase, total: state.voteCount(card) - 1)]
        case let .phaseSet(phase):
            try requireFacilitator("changer de phase")
            guard state.phases.contains(where: { $0.id == phase }) else {
                throw DomainError(.notFound, "Cette phase n'existe pas dans le programme de l'atelier.")
            }
            return phase == state.phase ? [] : [.phaseChanged(phase: phase)]
        // No `default:`: a new command does not compile until it has a rule.
        case .participantAssign, .tablesBalance, .rotationAdvance, .hostAssign, .participantRemove, .participantErase,
             .timerStart, .timerPause, .timerResume, .timerStop, .timerExpire, .announce, .workshopPause,
             .workshopResume, .workshopClose, .viewFocus, .settingsUpdate, .votesReveal, .votesClose, .timerAdd, .announcementWithdraw, .projectorShow, .cardsReveal,
             .clusterCreate, .clusterRename, .cardCluster, .commentAdd, .commentDelete,
             .cardHide, .cardRestore, .boardLock, .boardUnlock:
            return try facilitate(command)
        case .projectCreate, .projectUpdate, .projectReady, .projectReopen, .projectSupport, .projectSubmit,
             .dossierFollow, .webhookQueue, .webhookAttempt, .webhookRedeliver:
            return try projects(command)
        case .groupOpen, .groupClose, .groupExpire, .groupInvite, .groupRevoke, .joinAsGuest:
            return try workingGroups(command)
        }
    }

    // MARK: - Commands

    func join(profile: Profile, kind: ActorKind, group: GroupID?) throws -> [EventBody] {
        let name = Limits.normalized(profile.name)
        let organisation = Limits.normalized(profile.organisation)
        guard Limits.name.contains(name.count) else {
            throw DomainError(.invalid, "Le nom doit compter entre 1 et \(Limits.name.upperBound) caractères.")
        }
        guard Limits.organisation.contains(organisation.count) else {
            throw DomainError(.invalid, "Le nom de la structure doit compter au plus \(Limits.organisation.upperBound) caractères.")
        }
        let chosen: GroupID?
        if let group {
            guard state.groups.contains(where: { $0.id == group }) else {
                throw DomainError(.notFound, "Cette table n'existe pas.")
            }
            chosen = group
        } else {
            chosen = state.leastPopulatedGroup()
        }
        guard state.participants.count < capacity(Limits.participantsPerWorkshop) else {
            throw DomainError(.budget, "Cet atelier a atteint sa limite de \(capacity(Limits.participantsPerWorkshop)) participants : adressez-vous à l'animateur.")
        }
        let participant = Participant(id: "p_\(context.nextSeq)", role: .participant, actor: kind, group: chosen,
                                      profile: Profile(name: name, organisation: organisation))
        return [.participantJoined(participant)]
    }

    func addCard(board: BoardID, column: ColumnID, text: String, x: Double?, y: Double?,
                 color: CardColor?) throws -> [EventBody] {
        guard let target = state.board(board) else { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
        guard let col = target.column(column) else { throw DomainError(.notFound, "Cette colonne n'existe pas sur ce tableau.") }
        try requireWriter(on: target)
        try requireCardColumn(col)
        if !isFacilitator, !groupSession(board), let phase = state.currentPhase, !phase.open.contains(col.kind) {
            throw DomainError(.phase, "La phase « \(phase.title) » n'accepte pas de nouvelle carte dans la colonne « \(col.title) ».")
        }
        let text = try cardText(text)
        let x = try coordinate(x ?? 0, "x"), y = try coordinate(y ?? 0, "y")
        try requireRoomForACard(on: board)
        let card = Card(id: "c_\(context.nextSeq)", board: board, column: column, text: text, x: x, y: y,
                        color: color ?? .yellow, author: actor.id, createdSeq: context.nextSeq,
                        isPrivate: state.settings.privateWriting && !isFacilitator)
        return [.cardAdded(card)]
    }

    /// A limit of `Limits` on what the workshop holds, scaled by the server's capacity factor.
    func capacity(_ limit: Int) -> Int { limit * context.capacityFactor }

    /// The limits of `Limits` on cards: per person, per board, per workshop.
    func requireRoomForACard(on board: BoardID) throws {
        let mine = state.cards.count(by: actor.id), onBoard = state.cards.count(on: board)
        if !isFacilitator, mine >= capacity(Limits.cardsPerPerson) {
            throw DomainError(.budget, "Vous avez écrit \(capacity(Limits.cardsPerPerson)) cartes, le maximum par personne : supprimez-en une pour en ajouter une autre.")
        }
        if onBoard >= capacity(Limits.cardsPerBoard) {
            throw DomainError(.budget, "Ce tableau a atteint sa limite de \(capacity(Limits.cardsPerBoard)) cartes : regroupez ou supprimez-en avant d'en ajouter.")
        }
        if state.cards.count >= capacity(Limits.cardsPerWorkshop) {
            throw DomainError(.budget, "L'atelier a atteint sa limite de \(capacity(Limits.cardsPerWorkshop)) cartes.")
        }
    }

    func moveCard(_ id: CardID, x: Double, y: Double, column: ColumnID?, board: BoardID?) throws -> [EventBody] {
        let card = try findCard(id)
        let x = try coordinate(x, "x"), y = try coordinate(y, "y")
        guard let from = state.board(card.board) else { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
        try requireWriter(on: from)
        let targetBoardID = board ?? card.board
        guard let target = state.board(targetBoardID) else { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
        if targetBoardID != card.board {
            guard isFacilitator else {
                throw DomainError(.forbidden, "Seul l'animateur peut déplacer une carte vers un autre tableau.")
            }
            try requireUnlocked(targetBoardID)
        }
        let targetColumn = column ?? card.column
        guard let destination = target.column(targetColumn) else {
            throw DomainError(.notFound, "Cette colonne n'existe pas sur ce tableau.")
        }
        if targetColumn != card.column || targetBoardID != card.board { try requireCardColumn(destination) }
        if x == card.x, y == card.y, targetColumn == card.column, targetBoardID == card.board { return [] }
        var events: [EventBody] = [.cardMoved(card: id, x: x, y: y, column: targetColumn, board: targetBoardID)]
        // A card leaving its board leaves its cluster (clusters belong to one board).
        if targetBoardID != card.board, card.cluster != nil { events.append(.cardClustered(card: id, cluster: nil)) }
        return events
    }

    // MARK: - Checks

    /// A project column holds the table's project sheets, not cards: one idea of a project.
    func requireCardColumn(_ column: Column) throws {
        guard column.kind != .project else {
            throw DomainError(.invalid, "La colonne « \(column.title) » rassemble les fiches projet : créez une fiche avec « Nouvelle fiche projet ».")
        }
    }

    /// A card `actor` may see; anything else does not exist for them.
    func findCard(_ id: CardID) throws -> Card {
        guard let card = state.cards[id], state.canSee(card, viewer: actor) else {
            throw DomainError(.notFound, "Cette carte n'existe pas (ou plus).")
        }
        return card
    }

    /// Participants change only their own cards; the facilitator any.
    func ownCard(_ id: CardID, verb: String) throws -> Card {
        let card = try findCard(id)
        if !isFacilitator, card.author != actor.id {
            throw DomainError(.forbidden, "Vous ne pouvez \(verb) que vos propres cartes.")
        }
        return card
    }

    func requireFacilitator(_ what: String) throws {
        guard isFacilitator else { throw DomainError(.forbidden, "Seul l'animateur peut \(what).") }
    }

    func requireUnlocked(_ board: BoardID) throws {
        if state.board(board)?.locked == true, !isFacilitator {
            throw DomainError(.locked, "Ce tableau est verrouillé par l'animateur.")
        }
    }

    /// A participant writes on the board of their own table.
    func requireWriter(on board: Board) throws {
        if isFacilitator { return }
        if board.locked { throw DomainError(.locked, "Ce tableau est verrouillé par l'animateur.") }
        let group = state.participants[actor.id]?.group
        if group == nil || board.group != group {
            throw DomainError(.forbidden, "Vous ne pouvez écrire que sur le tableau de votre table.")
        }
    }

    func requireVoting() throws {
        if isFacilitator { throw DomainError(.forbidden, "L'animateur ne vote pas.") }
        guard state.currentPhase?.voting == true else {
            throw DomainError(.phase, "Le vote n'est pas ouvert pendant cette phase.")
        }
    }

    /// A card this vote may go on: voting still open, a column the phase votes on, and not the
    /// voter's own card unless the workshop allows it. Each refusal says why.
    func requireVotable(_ card: Card) throws {
        if state.votesClosed {
            throw DomainError(.phase, state.votesRevealed
                ? "Le vote est clos : les résultats sont affichés."
                : "Le vote est clos : l'animateur a arrêté les votes.")
        }
        guard let phase = state.currentPhase else { return }
        let kind = state.board(card.board)?.column(card.column)?.kind
        if let kind, !phase.votable.contains(kind) {
            let columns = state.board(card.board)?.columns.filter { phase.votable.contains($0.kind) }.map { "« \($0.title) »" } ?? []
            throw DomainError(.phase, columns.isEmpty
                ? "Pendant la phase « \(phase.title) », on ne vote pas sur cette colonne."
                : "Pendant la phase « \(phase.title) », on vote sur les cartes de la colonne \(columns.joined(separator: ", ")).")
        }
        if card.author == actor.id, state.settings.voteOwnCards != true {
            throw DomainError(.forbidden, "Vous ne pouvez pas voter pour vos propres cartes : votez pour celles des autres.")
        }
    }

    func cardText(_ raw: String) throws -> String {
        let text = Limits.normalized(raw)
        guard Limits.cardText.contains(text.count) else {
            throw DomainError(.invalid, text.isEmpty
                ? "Une carte ne peut pas être vide."
                : "Une carte compte au plus \(Limits.cardText.upperBound) caractères (celle-ci en a \(text.count)).")
        }
        return text
    }

    func shortText(_ raw: String, _ what: String, limit: Int) throws -> String {
        let text = Limits.normalized(raw)
        guard (1...limit).contains(text.count) else {
            throw DomainError(.invalid, "\(what) doit compter entre 1 et \(limit) caractères.")
        }
        return text
    }

    func coordinate(_ value: Double, _ name: String) throws -> Double {
        guard value.isFinite, Limits.coordinate.contains(value) else {
            throw DomainError(.invalid, "La position \(name) doit être comprise entre 0 et \(Int(Limits.coordinate.upperBound)).")
        }
        return value
    }
}

extension Workshop {
    /// Newcomers go to the table with fewest people, the first one on a tie: tables stay balanced.
    public func leastPopulatedGroup(extra: [GroupID: Int] = [:]) -> GroupID? {
        var counts = extra
        for p in participants.values where !p.removed { if let g = p.group { counts[g, default: 0] += 1 } }
        return groups.min { (counts[$0.id] ?? 0) < (counts[$1.id] ?? 0) }?.id
    }
}
