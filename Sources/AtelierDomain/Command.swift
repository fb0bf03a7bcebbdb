import Foundation

/// What a client asks for (PROTOCOL.md "Client → server"), once decoded and typed.
/// Joining and `ping` are handled by the hub: they are not changes to a workshop, except that a
/// join by code adds a participant (``Command/joinAsParticipant``).
public enum Command: Sendable, Equatable {
    case joinAsParticipant(profile: Profile, actor: ActorKind, group: GroupID?)
    case cardAdd(board: BoardID, column: ColumnID, text: String, x: Double?, y: Double?, color: CardColor?)
    case cardEdit(card: CardID, text: String, version: Int)
    case cardMove(card: CardID, x: Double, y: Double, column: ColumnID?, board: BoardID?)
    case cardDelete(card: CardID)
    case voteCast(card: CardID)
    case voteRetract(card: CardID)
    case phaseSet(phase: PhaseID)
}

/// Who is asking.
public struct Actor: Sendable, Equatable {
    public static let facilitatorID: ActorID = "facilitator"
    public var id: ActorID
    public var role: Role
    public init(id: ActorID, role: Role) { self.id = id; self.role = role }
    public static let facilitator = Actor(id: facilitatorID, role: .facilitator)
    /// A join by code has no participant yet.
    public static let newcomer = Actor(id: "", role: .participant)
}

/// What the reducer may need from outside: the next seq (ids derive from it), never a clock.
public struct ReduceContext: Sendable {
    public var nextSeq: Int
    public init(nextSeq: Int) { self.nextSeq = nextSeq }
}
