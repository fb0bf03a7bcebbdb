import Foundation

/// What happened (PROTOCOL.md: `noun.verbed`). Events are journaled and replayed.
public enum EventBody: Codable, Sendable, Equatable {
    case workshopCreated(Blueprint)
    case participantJoined(Participant)
    case cardAdded(Card)
    case cardEdited(card: CardID, text: String, version: Int)
    case cardMoved(card: CardID, x: Double, y: Double, column: ColumnID, board: BoardID)
    case cardDeleted(card: CardID)
    /// `total`: the card's dots afterwards, shown only once votes are revealed.
    case voteCast(card: CardID, voter: ActorID, phase: PhaseID, total: Int)
    case voteRetracted(card: CardID, voter: ActorID, phase: PhaseID, total: Int)
    case phaseChanged(phase: PhaseID)
    case participantAssigned(participant: ActorID, group: GroupID?)
    /// Groups moved to the next board; hosts stayed and joined the group that arrived.
    case rotationAdvanced(boards: [BoardPlacement], participants: [ParticipantPlacement])
    case hostAssigned(board: BoardID, participant: ActorID?)
    case participantRemoved(participant: ActorID)
    case participantErased(participant: ActorID)
    case timerStarted(RoomTimer)
    case timerPaused(remaining: Int64)
    case timerResumed(endsAt: Int64)
    case timerStopped
    case timerEnded
    case announcementMade(text: String)
    case workshopPaused
    case workshopResumed
    case workshopClosed
    case viewFocused(board: BoardID?)
    case settingsUpdated(Settings)
    case votesRevealed(counts: [CardID: Int])
    /// The cards that stop being private, whole, so participants who never had them get them.
    case cardsRevealed(cards: [Card])
    case clusterCreated(Cluster, cards: [CardID])
    case clusterRenamed(cluster: ClusterID, title: String)
    case cardClustered(card: CardID, cluster: ClusterID?)
    case commentAdded(Comment)
    case commentDeleted(comment: CommentID)
    case cardHidden(card: CardID)
    case cardRestored(Card)
    case boardLocked(board: BoardID)
    case boardUnlocked(board: BoardID)
    case projectCreated(ProjectSheet)
    case projectUpdated(project: ProjectID, change: ProjectChange, version: Int)
    case projectStatusChanged(project: ProjectID, status: ProjectStatus, version: Int)
    case projectSupported(project: ProjectID, supporter: ActorID, support: Bool)
    case projectSubmitted(project: ProjectID, receipt: Receipt)

    /// The wire name of the event.
    public var type: String {
        switch self {
        case .workshopCreated: "workshop.created"
        case .participantJoined: "participant.joined"
        case .cardAdded: "card.added"
        case .cardEdited: "card.edited"
        case .cardMoved: "card.moved"
        case .cardDeleted: "card.deleted"
        case .voteCast: "vote.cast"
        case .voteRetracted: "vote.retracted"
        case .phaseChanged: "phase.changed"
        case .participantAssigned: "participant.assigned"
        case .rotationAdvanced: "rotation.advanced"
        case .hostAssigned: "host.assigned"
        case .participantRemoved: "participant.removed"
        case .participantErased: "participant.erased"
        case .timerStarted: "timer.started"
        case .timerPaused: "timer.paused"
        case .timerResumed: "timer.resumed"
        case .timerStopped: "timer.stopped"
        case .timerEnded: "timer.ended"
        case .announcementMade: "announcement.made"
        case .workshopPaused: "workshop.paused"
        case .workshopResumed: "workshop.resumed"
        case .workshopClosed: "workshop.closed"
        case .viewFocused: "view.focused"
        case .settingsUpdated: "settings.updated"
        case .votesRevealed: "votes.revealed"
        case .cardsRevealed: "cards.revealed"
        case .clusterCreated: "cluster.created"
        case .clusterRenamed: "cluster.renamed"
        case .cardClustered: "card.clustered"
        case .commentAdded: "comment.added"
        case .commentDeleted: "comment.deleted"
        case .cardHidden: "card.hidden"
        case .cardRestored: "card.restored"
        case .boardLocked: "board.locked"
        case .boardUnlocked: "board.unlocked"
        case .projectCreated: "project.created"
        case .projectUpdated: "project.updated"
        case .projectStatusChanged: "project.status.changed"
        case .projectSupported: "project.supported"
        case .projectSubmitted: "project.submitted"
        }
    }
}

public struct BoardPlacement: Codable, Sendable, Equatable {
    public var board: BoardID
    public var group: GroupID?
    public init(board: BoardID, group: GroupID?) { self.board = board; self.group = group }
}

public struct ParticipantPlacement: Codable, Sendable, Equatable {
    public var participant: ActorID
    public var group: GroupID?
    public init(participant: ActorID, group: GroupID?) { self.participant = participant; self.group = group }
}

/// An event with its place in the workshop's history.
public struct Event: Codable, Sendable, Equatable {
    /// Per workshop, from 1, contiguous.
    public var seq: Int
    /// Milliseconds since 1970 (UTC), given by the hub's clock.
    public var at: Int64
    /// The actor who caused it; nil for the system (workshop creation, seeding, timers).
    public var by: ActorID?
    public var body: EventBody
    public init(seq: Int, at: Int64, by: ActorID?, body: EventBody) {
        self.seq = seq; self.at = at; self.by = by; self.body = body
    }
}
