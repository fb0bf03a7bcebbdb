import Foundation

/// What a client asks for (docs/protocol.md "Client → server"), once decoded and
/// typed. Joining and `ping` are handled by the hub: they are not changes to a workshop, except
/// that a join by code adds a participant (``Command/joinAsParticipant``).
public enum Command: Sendable, Equatable {
    case joinAsParticipant(profile: Profile, actor: ActorKind, group: GroupID?)
    // Cards
    case cardAdd(board: BoardID, column: ColumnID, text: String, x: Double?, y: Double?, color: CardColor?)
    case cardEdit(card: CardID, text: String, version: Int)
    case cardMove(card: CardID, x: Double, y: Double, column: ColumnID?, board: BoardID?)
    case cardDelete(card: CardID)
    case voteCast(card: CardID)
    case voteRetract(card: CardID)
    case phaseSet(phase: PhaseID)
    // Tables and people
    case participantAssign(participant: ActorID, group: GroupID?)
    case tablesBalance
    case rotationAdvance
    case hostAssign(board: BoardID, participant: ActorID?)
    case participantRemove(participant: ActorID)
    /// GDPR erasure: the person's name and organisation go; what they wrote stays.
    case participantErase(participant: ActorID)
    // Time and the room
    case timerStart(seconds: Int, label: String?)
    case timerPause
    case timerResume
    case timerStop
    /// Sent by the hub, not a client, when a running timer reaches its end.
    case timerExpire(endsAt: Int64)
    case announce(text: String)
    case workshopPause
    case workshopResume
    case workshopClose
    case viewFocus(board: BoardID?)
    // Voting, writing, anonymity
    case settingsUpdate(SettingsChange)
    case votesReveal
    case timerAdd(seconds: Int)
    case announcementWithdraw
    case projectorShow(mode: ProjectorMode, every: Int?)
    case votesClose
    case cardsReveal
    // Clusters and comments
    case clusterCreate(board: BoardID, title: String, cards: [CardID])
    case clusterRename(cluster: ClusterID, title: String)
    case cardCluster(card: CardID, cluster: ClusterID?)
    case commentAdd(card: CardID, text: String)
    case commentDelete(comment: CommentID)
    // Projects
    case projectCreate(board: BoardID, title: String, cluster: ClusterID?, cards: [CardID])
    case projectUpdate(project: ProjectID, version: Int, change: ProjectChange)
    case projectReady(project: ProjectID)
    case projectReopen(project: ProjectID)
    case projectSupport(project: ProjectID, support: Bool)
    /// Recorded by the hub once the pipeline answered.
    case projectSubmit(project: ProjectID, version: Int, receipt: Receipt)
    /// Recorded by the hub (or the CLI) when following found a dossier elsewhere than last time.
    case dossierFollow(project: ProjectID, reference: String, dossier: DossierFollow)
    /// The webhook outbox: recorded by the hub; `webhookRedeliver` is the facilitator's "Relancer".
    case webhookQueue(WebhookDelivery)
    case webhookAttempt(delivery: String, attempt: WebhookAttempt)
    case webhookRedeliver(delivery: String)
    // Moderation
    case cardHide(card: CardID)
    case cardRestore(card: CardID)
    case boardLock(board: BoardID)
    case boardUnlock(board: BoardID)
    // Working groups between sessions (WorkingGroup.swift)
    /// `endsAt`: milliseconds since 1970.
    case groupOpen(group: GroupID, endsAt: Int64, purpose: String?)
    /// `into`: the workshop the group is brought into (the series' carry), nil: simply closed.
    case groupClose(group: GroupID, into: WorkshopID?)
    /// Sent by the hub when a group's end date comes.
    case groupExpire(group: GroupID, endsAt: Int64)
    /// `digest`: the SHA-256 digest of the secret the hub drew (the secret goes to the facilitator only).
    case groupInvite(group: GroupID, digest: String)
    case groupRevoke(group: GroupID, invitation: String)
    /// Someone joining by an invitation the hub matched (by its digest) to `invitation`.
    case joinAsGuest(profile: Profile, actor: ActorKind, group: GroupID, invitation: String)
}

/// Who is asking.
public struct Actor: Sendable, Equatable, Hashable {
    public static let facilitatorID: ActorID = "facilitator"
    /// The hub itself (timers).
    public static let systemID: ActorID = "system"
    public var id: ActorID
    public var role: Role
    /// Someone invited into a working group sees and writes on this board only.
    public var board: BoardID?
    public init(id: ActorID, role: Role, board: BoardID? = nil) { self.id = id; self.role = role; self.board = board }
    public static let facilitator = Actor(id: facilitatorID, role: .facilitator)
    public static let system = Actor(id: systemID, role: .facilitator)
    /// A join by code has no participant yet.
    public static let newcomer = Actor(id: "", role: .participant)
}

/// What the reducer needs from outside: the next seq (ids derive from it) and the time, both
/// given by the hub, so the reducer stays pure.
public struct ReduceContext: Sendable {
    public var nextSeq: Int
    /// Milliseconds since 1970.
    public var now: Int64
    /// Multiplies every limit of ``Limits`` on what a workshop holds (the server's
    /// `--capacity-factor`, 1 by default; load tests raise it).
    public var capacityFactor: Int
    public init(nextSeq: Int, now: Int64 = 0, capacityFactor: Int = 1) {
        self.nextSeq = nextSeq; self.now = now; self.capacityFactor = max(1, capacityFactor)
    }
}
