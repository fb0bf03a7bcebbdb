import Foundation

/// How one viewer sees one event or object.
public enum Sight: Sendable, Equatable {
    /// Not sent at all: what the server must hide is never sent.
    case hidden
    case full
    /// Sent without authors (`by`, `author` become null): anonymous mode, or someone else's dots.
    case anonymous
}

/// Who may receive an event, decided when it is appended (from the state before it), so the same
/// decision holds for its broadcast and for a later resume.
public struct Audience: Sendable, Equatable {
    /// nil: every participant; otherwise only these.
    public var participants: Set<ActorID>?
    public var facilitator: Bool = true
    /// The viewer(s) who always get the authors (the card's author, the voter).
    public var owner: ActorID?
    public var anonymizeParticipants: Bool = false
    public var anonymizeFacilitator: Bool = false
    /// The board the event is about (nil: the workshop as a whole). Someone invited into a working
    /// group (``Actor/board``) receives only what is about their group's board, and of the rest
    /// only what `guests` lets through.
    public var board: BoardID?
    public var guests = false

    public static let everyone = Audience(participants: nil)

    public init(participants: Set<ActorID>?, facilitator: Bool = true, owner: ActorID? = nil,
                anonymizeParticipants: Bool = false, anonymizeFacilitator: Bool = false) {
        self.participants = participants; self.facilitator = facilitator; self.owner = owner
        self.anonymizeParticipants = anonymizeParticipants; self.anonymizeFacilitator = anonymizeFacilitator
    }

    public func sight(for viewer: Actor) -> Sight {
        if viewer.role == .facilitator {
            guard facilitator else { return .hidden }
            return anonymizeFacilitator ? .anonymous : .full
        }
        if let only = participants, !only.contains(viewer.id) { return .hidden }
        if let mine = viewer.board {
            if let board { if board != mine { return .hidden } } else if !guests { return .hidden }
        }
        if viewer.id == owner { return .full }
        return anonymizeParticipants ? .anonymous : .full
    }
}

extension Workshop {
    /// Whether `viewer` may see a card at all (private writing, moderation).
    public func canSee(_ card: Card, viewer: Actor) -> Bool {
        if viewer.role == .facilitator { return true }
        if let mine = viewer.board, card.board != mine { return false }
        if card.hidden { return false }
        if card.isPrivate { return card.author == viewer.id }
        return true
    }

    /// Whether `viewer` may see who wrote something (anonymous mode).
    public func showsAuthor(_ author: ActorID?, to viewer: Actor) -> Bool {
        guard settings.anonymous else { return true }
        if viewer.role == .facilitator { return settings.facilitatorSeesAuthors }
        return author != nil && author == viewer.id
    }

    /// The audience of a card-related event, from the card's visibility now.
    func audience(ofCard id: CardID) -> Audience {
        guard let card = cards[id] else { return .everyone }
        return audience(of: card)
    }

    func audience(of card: Card, owner: ActorID? = nil) -> Audience {
        var a = Audience(participants: nil, owner: owner ?? card.author,
                         anonymizeParticipants: settings.anonymous,
                         anonymizeFacilitator: settings.anonymous && !settings.facilitatorSeesAuthors)
        if card.hidden { a.participants = [] }
        else if card.isPrivate { a.participants = card.author.map { [$0] } ?? [] }
        return a
    }

    /// The audience of what a participant did in plain sight of the room (a cluster, a sheet): everyone,
    /// without its author in an anonymous workshop (docs/protocol.md "What the server hides").
    /// What the facilitator or the system did is never anonymous.
    func authored(by author: ActorID?) -> Audience {
        guard let author, author != Actor.facilitatorID, author != Actor.systemID else { return .everyone }
        return Audience(participants: nil, owner: author, anonymizeParticipants: settings.anonymous,
                        anonymizeFacilitator: settings.anonymous && !settings.facilitatorSeesAuthors)
    }

    /// Who may receive `body` (caused by `by`), decided on the state before it is applied.
    public func audience(of body: EventBody, by: ActorID?) -> Audience {
        var a = roomAudience(of: body, by: by)
        // Only people invited into a working group read the scope: without a group there are none
        // (and nothing more to look up for the room's everyday events).
        guard !workingGroups.isEmpty else { return a }
        (a.board, a.guests) = scope(of: body)
        return a
    }

    /// What an event is about, for the people invited into a working group: the board it concerns
    /// (they get it if it is theirs), or the workshop, and then whether they get it anyway.
    func scope(of body: EventBody) -> (BoardID?, Bool) {
        switch body {
        case .cardAdded(let card), .cardRestored(let card): return (card.board, false)
        case .cardEdited(let card, _, _), .cardDeleted(let card), .cardClustered(let card, _), .cardHidden(let card),
             .voteCast(let card, _, _, _), .voteRetracted(let card, _, _, _):
            return (cards[card]?.board ?? "", false)
        case .cardMoved(let card, _, _, _, let board):
            // A card leaving a group's board (only the facilitator moves across boards) goes from its view.
            return (cards[card]?.board ?? board, false)
        case .commentAdded(let comment): return (cards[comment.card]?.board ?? "", false)
        case .commentDeleted(let id): return (comments[id].flatMap { cards[$0.card]?.board } ?? "", false)
        case .clusterCreated(let cluster, _): return (cluster.board, false)
        case .clusterRenamed(let cluster, _): return (clusters[cluster]?.board ?? "", false)
        case .projectCreated(let p): return (p.board, false)
        case .projectUpdated(let p, _, _), .projectStatusChanged(let p, _, _), .projectSupported(let p, _, _),
             .projectSubmitted(let p, _), .dossierFollowed(let p, _, _):
            return (projects[p]?.board ?? "", false)
        case .participantJoined(let p): return (p.group.flatMap { board(of: $0)?.id } ?? "", false)
        case .boardLocked(let b), .boardUnlocked(let b): return (b, false)
        case .groupOpened(let g): return (g.board, false)
        case .groupEnded(let table, _, _), .groupInvited(let table, _), .groupInvitationRevoked(let table, _):
            return (workingGroups[table]?.group.board ?? "", false)
        case .workshopClosed, .workshopPaused, .workshopResumed: return (nil, true)
        // The room's life (phases, timers, tables, votes, the facilitator's screen): not a working group's.
        case .workshopCreated, .phaseChanged, .participantAssigned, .rotationAdvanced, .hostAssigned,
             .participantRemoved, .participantErased, .timerStarted, .timerPaused, .timerResumed, .timerStopped,
             .timerEnded, .announcementMade, .viewFocused, .settingsUpdated, .votesRevealed, .votesClosed,
             .announcementWithdrawn, .projectorShown, .cardsRevealed, .webhookQueued, .webhookAttempted,
             .webhookRedelivered, .workshopCarried:
            return (nil, false)
        }
    }

    func roomAudience(of body: EventBody, by: ActorID?) -> Audience {
        switch body {
        case .cardAdded(let card):
            return audience(of: card)
        case .cardEdited(let card, _, _), .cardMoved(let card, _, _, _, _), .cardDeleted(let card),
             .cardClustered(let card, _):
            return audience(ofCard: card)
        case .voteCast(let card, let voter, _, _), .voteRetracted(let card, let voter, _, _):
            // Dots are secret until the reveal; after it, counts are public, voters never are.
            var a = audience(ofCard: card)
            a.owner = voter
            a.anonymizeParticipants = true
            a.anonymizeFacilitator = true
            if !votesRevealed { a.participants = [voter]; a.facilitator = false }
            return a
        case .commentAdded(let comment):
            var a = audience(ofCard: comment.card)
            a.owner = comment.author
            return a
        case .commentDeleted(let id):
            guard let comment = comments[id] else { return .everyone }
            var a = audience(ofCard: comment.card)
            a.owner = comment.author
            return a
        case .cardHidden(let card):
            // Everyone who could see the card learns it goes (or comes back).
            guard var c = cards[card] else { return .everyone }
            c.hidden = false
            return audience(of: c)
        case .cardRestored(var card):
            card.hidden = false
            return audience(of: card)
        case .projectSupported(_, let supporter, _):
            // Who backs a sheet is as anonymous as who wrote a card; the count is public.
            return Audience(participants: nil, owner: supporter, anonymizeParticipants: settings.anonymous,
                            anonymizeFacilitator: settings.anonymous && !settings.facilitatorSeesAuthors)
        case .cardsRevealed(let revealed):
            // Hidden cards are revealed in an event of their own, for the facilitator only.
            // One author's cards (the reducer makes one event per author): theirs with their name.
            let onlyHidden = !revealed.isEmpty && revealed.allSatisfy { cards[$0.id]?.hidden ?? $0.hidden }
            let author = revealed.first?.author
            let owner = revealed.allSatisfy { $0.author == author } ? author : nil
            return Audience(participants: onlyHidden ? [] : nil, owner: owner, anonymizeParticipants: settings.anonymous,
                            anonymizeFacilitator: settings.anonymous && !settings.facilitatorSeesAuthors)
        // Things participants make in the open: their author is hidden in an anonymous workshop.
        case .clusterCreated, .clusterRenamed, .projectCreated, .projectUpdated, .projectStatusChanged:
            return authored(by: by)
        // Public facts of the room: every participant and the facilitator, authors as they are.
        // Listed one by one (no `default:`): a new event does not compile until its audience is decided.
        case .workshopCreated, .participantJoined, .phaseChanged, .participantAssigned, .rotationAdvanced,
             .hostAssigned, .participantRemoved, .participantErased, .timerStarted, .timerPaused, .timerResumed,
             .timerStopped, .timerEnded, .announcementMade, .workshopPaused, .workshopResumed, .workshopClosed, .votesClosed, .announcementWithdrawn, .projectorShown,
             .viewFocused, .settingsUpdated, .votesRevealed, .boardLocked, .boardUnlocked:
            return .everyone
        case .workshopCarried:
            // Ids, the source workshop and its tables' names, the carried projects' earlier stages: no author, no text.
            return .everyone
        case .dossierFollowed:
            // A dossier's state is public (the status of a sheet); the event holds no link nor token.
            return .everyone
        case .webhookQueued, .webhookAttempted, .webhookRedelivered:
            // The outbox is the facilitator's: bodies, receivers' answers, retries.
            return Audience(participants: [])
        case .groupOpened, .groupEnded:
            // A working group is public: its table, end date and purpose; how it ended.
            return .everyone
        case .groupInvited, .groupInvitationRevoked:
            // Invitations are the facilitator's (the event holds no secret, and no digest goes on the wire).
            return Audience(participants: [])
        case .projectSubmitted:
            // Everyone learns that a sheet was submitted; its claim link (Démarches Simplifiées'
            // prefilled dossier) is the facilitator's alone: participants get the event without it.
            return Audience(participants: nil, anonymizeParticipants: true)
        }
    }
}

extension Workshop {
    /// The workshop as the room saw it, for everything that leaves the room (every export, the
    /// synthesis, the series' export): a card still private (written during private writing and
    /// never revealed) or hidden by the facilitator is left out, with its comments and its dots.
    /// Its author was told that nobody but the facilitator would read it (docs/protocol.md "What
    /// the server hides"), and an export goes to people who were not in the room. References to a
    /// withheld card (a sheet's linked cards, a provenance) then point at nothing, which every
    /// export already reads as "not shown".
    public var published: Workshop {
        let withheld = Set(cards.values.filter { $0.isPrivate || $0.hidden }.map(\.id))
        guard !withheld.isEmpty else { return self }
        var w = self
        for id in withheld { w.cards[id] = nil }
        w.comments = w.comments.filter { !withheld.contains($0.value.card) }
        w.ballots = w.ballots.mapValues { voters in
            voters.mapValues { dots in dots.filter { !withheld.contains($0.key) } }
        }
        return w
    }
}
