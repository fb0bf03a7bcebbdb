import Foundation

/// What happened (PROTOCOL.md: `noun.verbed`). Events are journaled and replayed.
public enum EventBody: Codable, Sendable, Equatable {
    case workshopCreated(Blueprint)
    case participantJoined(Participant)
    case cardAdded(Card)
    case cardEdited(card: CardID, text: String, version: Int)
    case cardMoved(card: CardID, x: Double, y: Double, column: ColumnID, board: BoardID)
    case cardDeleted(card: CardID)
    case voteCast(card: CardID, voter: ActorID)
    case voteRetracted(card: CardID, voter: ActorID)
    case phaseChanged(phase: PhaseID)

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
        }
    }
}

/// An event with its place in the workshop's history.
public struct Event: Codable, Sendable, Equatable {
    /// Per workshop, from 1, contiguous.
    public var seq: Int
    /// Milliseconds since 1970 (UTC), given by the hub's clock.
    public var at: Int64
    /// The actor who caused it; nil for the system (workshop creation, seeding).
    public var by: ActorID?
    public var body: EventBody
    public init(seq: Int, at: Int64, by: ActorID?, body: EventBody) {
        self.seq = seq; self.at = at; self.by = by; self.body = body
    }
}

/// Who may receive an event. What the server must hide is never sent.
public enum Audience: Sendable, Equatable {
    case everyone
    /// Only these actors (e.g. a voter's own vote before the reveal).
    case only(ActorID)
}

extension EventBody {
    /// Secret votes: before the reveal a vote reaches only its voter.
    public func audience(in workshop: Workshop) -> Audience {
        switch self {
        case .voteCast(_, let voter), .voteRetracted(_, let voter):
            return workshop.votesRevealed ? .everyone : .only(voter)
        default:
            return .everyone
        }
    }
}
