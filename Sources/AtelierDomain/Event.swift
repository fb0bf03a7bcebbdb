import Foundation

/// What happened. Events are journaled (their stored names: `JournalFormat.swift`) and replayed;
/// their wire names and shapes are the protocol's (`AtelierProtocol/Catalogue.swift`).
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
    case votesClosed
    case announcementWithdrawn
    case projectorShown(mode: ProjectorMode, every: Int?)
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
    /// A Démarches Simplifiées dossier (the receipt `reference`) moved on the platform.
    case dossierFollowed(project: ProjectID, reference: String, dossier: DossierFollow)
    /// The webhook outbox (the facilitator's only): a delivery queued, one attempt, a redelivery asked.
    case webhookQueued(WebhookDelivery)
    case webhookAttempted(delivery: String, attempt: WebhookAttempt)
    case webhookRedelivered(delivery: String)
    /// Working groups (WorkingGroup.swift): a table opened (or its end date or purpose changed),
    /// ended, an invitation made (its secret's digest only) or revoked.
    case groupOpened(WorkingGroup)
    case groupEnded(group: GroupID, reason: GroupEndReason, into: WorkshopID?)
    case groupInvited(group: GroupID, invitation: GroupInvitation)
    case groupInvitationRevoked(group: GroupID, invitation: String)
    /// Work carried from an earlier workshop of the series: the source, and per item its source id
    /// and table; the items follow as ordinary events (`Carry.swift`).
    case workshopCarried(Carry)
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
