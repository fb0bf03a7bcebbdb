import Foundation

/// Identifiers are opaque strings on the wire; these aliases only say what an id names.
public typealias WorkshopID = String
public typealias GroupID = String
public typealias BoardID = String
public typealias ColumnID = String
public typealias CardID = String
public typealias PhaseID = String
/// A participant id (`p_…`), or ``Actor/facilitatorID`` for the facilitator.
public typealias ActorID = String

/// What a column collects: the workshop takes the room from problem to idea to project.
public enum ColumnKind: String, Codable, Sendable, CaseIterable {
    case problem, idea, project
}

/// Who a participant is in the IAE sector (PROTOCOL.md `actor`).
public enum ActorKind: String, Codable, Sendable, CaseIterable {
    case aci, ai, ei, etti, business, `public`, network, other
}

/// What a connection is allowed to do.
public enum Role: String, Codable, Sendable {
    case facilitator, participant, observer
}

/// A thematic table ("sous-groupe").
public struct Group: Codable, Sendable, Equatable {
    public var id: GroupID
    public var title: String
    public var theme: String
    public init(id: GroupID, title: String, theme: String) {
        self.id = id; self.title = title; self.theme = theme
    }
}

public struct Column: Codable, Sendable, Equatable {
    public var id: ColumnID
    public var title: String
    public var kind: ColumnKind
    public init(id: ColumnID, title: String, kind: ColumnKind) {
        self.id = id; self.title = title; self.kind = kind
    }
}

/// The interactive board ("panneau interactif") a table writes on.
public struct Board: Codable, Sendable, Equatable {
    public var id: BoardID
    public var title: String
    /// The table currently working on this board.
    public var group: GroupID?
    public var columns: [Column]
    public var locked: Bool
    public init(id: BoardID, title: String, group: GroupID?, columns: [Column], locked: Bool = false) {
        self.id = id; self.title = title; self.group = group; self.columns = columns; self.locked = locked
    }
    public func column(_ id: ColumnID) -> Column? { columns.first { $0.id == id } }
}

/// A step of the workshop, and what it opens.
public struct Phase: Codable, Sendable, Equatable {
    public var id: PhaseID
    public var title: String
    /// The column kinds that accept new cards from participants during this phase.
    public var open: [ColumnKind]
    /// Whether dot voting is open during this phase.
    public var voting: Bool
    public init(id: PhaseID, title: String, open: [ColumnKind], voting: Bool = false) {
        self.id = id; self.title = title; self.open = open; self.voting = voting
    }
}

public struct Settings: Codable, Sendable, Equatable {
    /// Votes each participant may cast in the workshop.
    public var voteBudget: Int
    /// Votes one participant may put on a single card.
    public var maxVotesPerCard: Int
    public init(voteBudget: Int = 5, maxVotesPerCard: Int = 3) {
        self.voteBudget = voteBudget; self.maxVotesPerCard = maxVotesPerCard
    }
}

/// A card seeded by the plan (e.g. one of the report's findings).
public struct SeedCard: Codable, Sendable, Equatable {
    public var board: BoardID
    public var column: ColumnID
    public var text: String
    public init(board: BoardID, column: ColumnID, text: String) {
        self.board = board; self.column = column; self.text = text
    }
}

/// Everything a workshop starts from: what `workshop.created` carries, taken from a session plan.
public struct Blueprint: Codable, Sendable, Equatable {
    public var id: WorkshopID
    public var title: String
    public var plan: String
    public var groups: [Group]
    public var boards: [Board]
    public var phases: [Phase]
    public var settings: Settings
    public init(id: WorkshopID, title: String, plan: String, groups: [Group], boards: [Board],
                phases: [Phase], settings: Settings) {
        self.id = id; self.title = title; self.plan = plan; self.groups = groups
        self.boards = boards; self.phases = phases; self.settings = settings
    }
}

/// Personal data: kept out of the journal by the store (GDPR erasure deletes one row).
public struct Profile: Codable, Sendable, Equatable {
    public var name: String
    public var organisation: String
    public init(name: String, organisation: String) { self.name = name; self.organisation = organisation }
}

public struct Participant: Codable, Sendable, Equatable {
    public var id: ActorID
    public var role: Role
    public var actor: ActorKind
    public var group: GroupID?
    /// nil once erased, or while the store has not attached it.
    public var profile: Profile?
    public init(id: ActorID, role: Role, actor: ActorKind, group: GroupID?, profile: Profile?) {
        self.id = id; self.role = role; self.actor = actor; self.group = group; self.profile = profile
    }
}

/// Colours a card may take (named, so the UI maps them to accessible palettes).
public enum CardColor: String, Codable, Sendable, CaseIterable {
    case yellow, blue, green, pink, orange, purple
}

public struct Card: Codable, Sendable, Equatable {
    public var id: CardID
    public var board: BoardID
    public var column: ColumnID
    public var text: String
    public var x: Double
    public var y: Double
    public var color: CardColor
    /// nil for cards seeded by the plan.
    public var author: ActorID?
    /// Starts at 1, +1 on every edit; `card.edit` must name the current one.
    public var version: Int
    public var cluster: String?
    /// The seq of the event that created it: a stable display order.
    public var createdSeq: Int
    public init(id: CardID, board: BoardID, column: ColumnID, text: String, x: Double, y: Double,
                color: CardColor, author: ActorID?, version: Int = 1, cluster: String? = nil, createdSeq: Int) {
        self.id = id; self.board = board; self.column = column; self.text = text; self.x = x; self.y = y
        self.color = color; self.author = author; self.version = version; self.cluster = cluster
        self.createdSeq = createdSeq
    }
}

/// The live state of one workshop: what replaying its journal gives.
public struct Workshop: Sendable, Equatable {
    public var id: WorkshopID
    public var title: String
    public var plan: String
    public var phase: PhaseID
    public var phases: [Phase]
    public var settings: Settings
    public var groups: [Group]
    public var boards: [Board]
    public var cards: [CardID: Card] = [:]
    public var participants: [ActorID: Participant] = [:]
    /// votes[voter][card] = number of dots.
    public var votes: [ActorID: [CardID: Int]] = [:]
    public var votesRevealed = false
    public var closed = false
    /// The seq of the last applied event (0 before the first).
    public var seq = 0

    public init(_ blueprint: Blueprint) {
        id = blueprint.id; title = blueprint.title; plan = blueprint.plan
        phases = blueprint.phases; phase = blueprint.phases.first?.id ?? ""
        settings = blueprint.settings; groups = blueprint.groups; boards = blueprint.boards
    }

    public func board(_ id: BoardID) -> Board? { boards.first { $0.id == id } }
    public func boardIndex(_ id: BoardID) -> Int? { boards.firstIndex { $0.id == id } }
    public var currentPhase: Phase? { phases.first { $0.id == phase } }

    /// Cards in creation order.
    public var orderedCards: [Card] { cards.values.sorted { $0.createdSeq < $1.createdSeq } }
    /// Participants in join order (ids are `p_<seq>`).
    public var orderedParticipants: [Participant] {
        participants.values.sorted { ($0.id.count, $0.id) < ($1.id.count, $1.id) }
    }

    public func votesCast(by voter: ActorID) -> Int { votes[voter]?.values.reduce(0, +) ?? 0 }
    public func voteCount(_ card: CardID) -> Int { votes.values.reduce(0) { $0 + ($1[card] ?? 0) } }
}
