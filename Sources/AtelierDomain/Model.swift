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
    case problem = "problem", idea = "idea", project = "project"
}

/// Who a participant is in the IAE sector (docs/protocol.md `actor`).
public enum ActorKind: String, Codable, Sendable, CaseIterable {
    case aci = "aci", ai = "ai", ei = "ei", etti = "etti", business = "business", `public` = "public", network = "network", other = "other"
}

/// What a connection is allowed to do.
public enum Role: String, Codable, Sendable {
    case facilitator = "facilitator", participant = "participant", observer = "observer"
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
/// A thematic table's board: its title and theme stay with it whoever sits there. Groups of
/// people (``Group``) move from board to board when the room rotates; what is written on a board
/// is always named by the board.
public struct Board: Codable, Sendable, Equatable {
    public var id: BoardID
    public var title: String
    /// The group of people currently working on this board.
    public var group: GroupID?
    public var columns: [Column]
    public var locked: Bool
    /// The table's theme (journals before it: nil, see ``Workshop/theme(of:)``).
    public var theme: String?
    public init(id: BoardID, title: String, group: GroupID?, columns: [Column], locked: Bool = false, theme: String? = nil) {
        self.id = id; self.title = title; self.group = group; self.columns = columns; self.locked = locked
        self.theme = theme
    }
    public func column(_ id: ColumnID) -> Column? { columns.first { $0.id == id } }
}

/// What the room's projector shows, chosen from the console.
public enum ProjectorMode: String, Codable, Sendable, CaseIterable {
    /// Every table at once.
    case all
    /// One table at a time, each for `every` seconds.
    case rotation
    /// The ideas ranked by votes (after the reveal).
    case results
    /// The project sheets.
    case projects
    /// Where the series' projects stand (one status line each, read over HTTP by the projector).
    case status
}

public struct ProjectorView: Sendable, Equatable {
    public var mode: ProjectorMode
    public var every: Int?
    public init(mode: ProjectorMode, every: Int?) { self.mode = mode; self.every = every }
}

/// A step of the workshop, and what it opens.
public struct Phase: Codable, Sendable, Equatable {
    public var id: PhaseID
    public var title: String
    /// The column kinds that accept new cards from participants during this phase.
    public var open: [ColumnKind]
    /// Whether dot voting is open during this phase.
    public var voting: Bool
    /// The column kinds whose cards may be voted on (nil: the kinds the phase opens).
    public var voteOn: [ColumnKind]?
    /// What participants are asked to do (the plan's "consigne"), shown above the board.
    public var instructions: String?
    public init(id: PhaseID, title: String, open: [ColumnKind], voting: Bool = false,
                voteOn: [ColumnKind]? = nil, instructions: String? = nil) {
        self.id = id; self.title = title; self.open = open; self.voting = voting
        self.voteOn = voteOn; self.instructions = instructions
    }

    /// The column kinds that take votes in this phase.
    public var votable: [ColumnKind] { voteOn ?? open }
}

public struct Settings: Codable, Sendable, Equatable {
    /// Dots each participant may cast during one voting phase.
    public var voteBudget: Int
    /// Dots one participant may put on a single card during one voting phase.
    public var maxVotesPerCard: Int
    /// When on, participants' new cards reach nobody but their author and the facilitator until
    /// `cards.reveal`.
    public var privateWriting: Bool
    /// When on, card and comment authors are not sent to other participants.
    public var anonymous: Bool
    /// In anonymous mode, whether the facilitator still sees authors.
    public var facilitatorSeesAuthors: Bool
    /// Whether reports and exports may list participants' organisations (otherwise only their kinds).
    public var listOrganisations: Bool
    /// Whether participants may vote for their own cards (nil, as journals before it: no).
    public var voteOwnCards: Bool?

    public init(voteBudget: Int = 5, maxVotesPerCard: Int = 3, privateWriting: Bool = false,
                anonymous: Bool = false, facilitatorSeesAuthors: Bool = true, listOrganisations: Bool = false,
                voteOwnCards: Bool? = nil) {
        self.voteBudget = voteBudget; self.maxVotesPerCard = maxVotesPerCard
        self.privateWriting = privateWriting; self.anonymous = anonymous
        self.facilitatorSeesAuthors = facilitatorSeesAuthors; self.listOrganisations = listOrganisations
        self.voteOwnCards = voteOwnCards
    }

    // Journals written before a field existed decode with its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        voteBudget = try c.decodeIfPresent(Int.self, forKey: .voteBudget) ?? 5
        maxVotesPerCard = try c.decodeIfPresent(Int.self, forKey: .maxVotesPerCard) ?? 3
        privateWriting = try c.decodeIfPresent(Bool.self, forKey: .privateWriting) ?? false
        anonymous = try c.decodeIfPresent(Bool.self, forKey: .anonymous) ?? false
        facilitatorSeesAuthors = try c.decodeIfPresent(Bool.self, forKey: .facilitatorSeesAuthors) ?? true
        listOrganisations = try c.decodeIfPresent(Bool.self, forKey: .listOrganisations) ?? false
        voteOwnCards = try c.decodeIfPresent(Bool.self, forKey: .voteOwnCards)
    }
}

/// A partial change of settings (`settings.update`): nil leaves a field as it is.
public struct SettingsChange: Codable, Sendable, Equatable {
    public var voteBudget: Int?
    public var maxVotesPerCard: Int?
    public var privateWriting: Bool?
    public var anonymous: Bool?
    public var facilitatorSeesAuthors: Bool?
    public var listOrganisations: Bool?
    public var voteOwnCards: Bool?
    public init(voteBudget: Int? = nil, maxVotesPerCard: Int? = nil, privateWriting: Bool? = nil,
                anonymous: Bool? = nil, facilitatorSeesAuthors: Bool? = nil, listOrganisations: Bool? = nil,
                voteOwnCards: Bool? = nil) {
        self.voteBudget = voteBudget; self.maxVotesPerCard = maxVotesPerCard; self.privateWriting = privateWriting
        self.anonymous = anonymous; self.facilitatorSeesAuthors = facilitatorSeesAuthors
        self.listOrganisations = listOrganisations; self.voteOwnCards = voteOwnCards
    }
    public var isEmpty: Bool { self == SettingsChange() }
    public func applied(to s: Settings) -> Settings {
        var s = s
        if let v = voteBudget { s.voteBudget = v }
        if let v = maxVotesPerCard { s.maxVotesPerCard = v }
        if let v = privateWriting { s.privateWriting = v }
        if let v = anonymous { s.anonymous = v }
        if let v = facilitatorSeesAuthors { s.facilitatorSeesAuthors = v }
        if let v = listOrganisations { s.listOrganisations = v }
        if let v = voteOwnCards { s.voteOwnCards = v }
        return s
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
    /// The order in which groups move from board to board (board ids); nil: the boards' order.
    public var rotation: [BoardID]?
    /// The strategic orientations a project is filed under; nil: one per table.
    public var orientations: [Orientation]?
    /// The time zone the workshop's times are shown in (IANA name); nil: Europe/Paris.
    public var timeZone: String?
    /// The plan's call for projects (form and rules); nil: today's fixed sheet (`CallForm.legacy`).
    public var form: CallForm?
    public init(id: WorkshopID, title: String, plan: String, groups: [Group], boards: [Board],
                phases: [Phase], settings: Settings, rotation: [BoardID]? = nil, orientations: [Orientation]? = nil,
                timeZone: String? = nil, form: CallForm? = nil) {
        self.id = id; self.title = title; self.plan = plan; self.groups = groups
        self.boards = boards; self.phases = phases; self.settings = settings; self.rotation = rotation
        self.orientations = orientations; self.timeZone = timeZone; self.form = form
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
    /// Set when the facilitator removed the person: their token stops working.
    public var removed: Bool
    /// Set for someone who joined a working group by its invitation link: the table they were
    /// invited to, the only one they see (nil for everyone else, and in journals before it).
    public var guestOf: GroupID?
    public init(id: ActorID, role: Role, actor: ActorKind, group: GroupID?, profile: Profile?, removed: Bool = false,
                guestOf: GroupID? = nil) {
        self.id = id; self.role = role; self.actor = actor; self.group = group; self.profile = profile
        self.removed = removed; self.guestOf = guestOf
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(ActorID.self, forKey: .id)
        role = try c.decode(Role.self, forKey: .role)
        actor = try c.decode(ActorKind.self, forKey: .actor)
        group = try c.decodeIfPresent(GroupID.self, forKey: .group)
        profile = try c.decodeIfPresent(Profile.self, forKey: .profile)
        removed = try c.decodeIfPresent(Bool.self, forKey: .removed) ?? false
        guestOf = try c.decodeIfPresent(GroupID.self, forKey: .guestOf)
    }
}

/// Colours a card may take (named, so the UI maps them to accessible palettes).
public enum CardColor: String, Codable, Sendable, CaseIterable {
    case yellow = "yellow", blue = "blue", green = "green", pink = "pink", orange = "orange", purple = "purple"
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
    public var cluster: ClusterID?
    /// The seq of the event that created it: a stable display order.
    public var createdSeq: Int
    /// Written during private writing and not revealed yet: only its author and the facilitator see it.
    public var isPrivate: Bool
    /// Hidden by the facilitator (moderation): participants no longer see it; the journal keeps it.
    public var hidden: Bool
    public init(id: CardID, board: BoardID, column: ColumnID, text: String, x: Double, y: Double,
                color: CardColor, author: ActorID?, version: Int = 1, cluster: ClusterID? = nil, createdSeq: Int,
                isPrivate: Bool = false, hidden: Bool = false) {
        self.id = id; self.board = board; self.column = column; self.text = text; self.x = x; self.y = y
        self.color = color; self.author = author; self.version = version; self.cluster = cluster
        self.createdSeq = createdSeq; self.isPrivate = isPrivate; self.hidden = hidden
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(CardID.self, forKey: .id); board = try c.decode(BoardID.self, forKey: .board)
        column = try c.decode(ColumnID.self, forKey: .column); text = try c.decode(String.self, forKey: .text)
        x = try c.decode(Double.self, forKey: .x); y = try c.decode(Double.self, forKey: .y)
        color = try c.decode(CardColor.self, forKey: .color); author = try c.decodeIfPresent(ActorID.self, forKey: .author)
        version = try c.decode(Int.self, forKey: .version); cluster = try c.decodeIfPresent(ClusterID.self, forKey: .cluster)
        createdSeq = try c.decode(Int.self, forKey: .createdSeq)
        isPrivate = try c.decodeIfPresent(Bool.self, forKey: .isPrivate) ?? false
        hidden = try c.decodeIfPresent(Bool.self, forKey: .hidden) ?? false
    }
}

public typealias ClusterID = String
public typealias CommentID = String

/// Cards grouped under a title on one board.
public struct Cluster: Codable, Sendable, Equatable {
    public var id: ClusterID
    public var board: BoardID
    public var title: String
    public var createdSeq: Int
    public init(id: ClusterID, board: BoardID, title: String, createdSeq: Int) {
        self.id = id; self.board = board; self.title = title; self.createdSeq = createdSeq
    }
}

public struct Comment: Codable, Sendable, Equatable {
    public var id: CommentID
    public var card: CardID
    public var text: String
    public var author: ActorID
    public var createdSeq: Int
    public init(id: CommentID, card: CardID, text: String, author: ActorID, createdSeq: Int) {
        self.id = id; self.card = card; self.text = text; self.author = author; self.createdSeq = createdSeq
    }
}

/// The facilitator's latest message to the room, kept so that whoever joins or reloads soon after
/// still reads it.
public struct Announcement: Codable, Sendable, Equatable {
    public var text: String
    /// Milliseconds since 1970 (UTC), when it was made.
    public var at: Int64
    public var seq: Int
    public init(text: String, at: Int64, seq: Int) { self.text = text; self.at = at; self.seq = seq }
}

/// The room's shared countdown. `endsAt` (server milliseconds) while running; `remaining` while paused.
public struct RoomTimer: Codable, Sendable, Equatable {
    public var label: String
    public var seconds: Int
    public var endsAt: Int64?
    public var remaining: Int64?
    public init(label: String, seconds: Int, endsAt: Int64?, remaining: Int64?) {
        self.label = label; self.seconds = seconds; self.endsAt = endsAt; self.remaining = remaining
    }
    public var running: Bool { endsAt != nil }
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
    public var cards = CardTable()
    public var participants: [ActorID: Participant] = [:]
    /// ballots[phase][voter][card] = dots cast in that phase (budgets are per phase).
    public var ballots: [PhaseID: [ActorID: [CardID: Int]]] = [:]
    public var votesRevealed = false
    /// No vote cast or taken back any more (`votes.close`, or the reveal).
    public var votesClosed = false
    public var closed = false
    public var paused = false
    public var clusters: [ClusterID: Cluster] = [:]
    public var comments: [CommentID: Comment] = [:]
    public var timer: RoomTimer?
    public var announcement: Announcement?
    /// "Follow me": the board the facilitator brings everyone to.
    public var focus: BoardID?
    /// What the projector shows (`projector.show`), and every how many seconds it turns in rotation.
    public var projector = ProjectorView(mode: .all, every: nil)
    /// Table hosts: a host stays with their board when groups rotate.
    public var hosts: [BoardID: ActorID] = [:]
    public var rotation: [BoardID]?
    /// The workshop's time zone (IANA), for the times people read.
    public var timeZone = "Europe/Paris"
    public var projects: [ProjectID: ProjectSheet] = [:]
    /// The webhook outbox, by delivery id (docs/export.md "The webhook outbox").
    public var outbox: [String: OutboxEntry] = [:]
    /// Tables opened as working groups, by table (WorkingGroup.swift).
    public var workingGroups: [GroupID: WorkingGroupState] = [:]
    public var orientations: [Orientation]
    /// The call for projects: the form of its sheets and its eligibility rules.
    public var form: CallForm
    /// When `workshop.created` was journaled (milliseconds since 1970): the workshop's date.
    public var createdAt: Int64 = 0
    /// The seq of the last applied event (0 before the first).
    public var seq = 0
    /// What was carried in from earlier workshops of its series, by id here (`workshop.carried`).
    public var carried: [String: CarriedItem] = [:]
    /// The workshops each carried project went through before this one.
    public var lineage: [ProjectID: ProjectLineage] = [:]
    /// The workshops work was carried from, in order.
    public var carriedFrom: [WorkshopID] = []

    public init(_ blueprint: Blueprint) {
        id = blueprint.id; title = blueprint.title; plan = blueprint.plan
        phases = blueprint.phases; phase = blueprint.phases.first?.id ?? ""
        settings = blueprint.settings; groups = blueprint.groups; boards = blueprint.boards
        rotation = blueprint.rotation
        timeZone = blueprint.timeZone ?? "Europe/Paris"
        orientations = blueprint.orientations ?? blueprint.groups.map { Orientation(id: $0.id, title: $0.title) }
        form = blueprint.form ?? .legacy
    }

    public func board(_ id: BoardID) -> Board? { boards.first { $0.id == id } }

    /// A board's theme: its own, or for workshops created before boards had one, the theme of
    /// the group the plan created with it (`g_<table>` for `b_<table>`).
    public func theme(of board: Board) -> String {
        if let theme = board.theme { return theme }
        let original = "g_" + board.id.dropFirst(2)
        return groups.first { $0.id == original }?.theme ?? ""
    }

    /// The board a group of people sits at now.
    public func board(of group: GroupID) -> Board? { boards.first { $0.group == group } }

    /// How many people have at least one dot in the current phase (the vote's progress: never
    /// where the dots are, before the reveal).
    public var voterCount: Int {
        (ballots[phase] ?? [:]).values.filter { $0.values.contains { $0 > 0 } }.count
    }
    public func boardIndex(_ id: BoardID) -> Int? { boards.firstIndex { $0.id == id } }
    public var currentPhase: Phase? { phases.first { $0.id == phase } }

    /// Cards in creation order.
    public var orderedCards: [Card] { cards.values.sorted { $0.createdSeq < $1.createdSeq } }
    /// Participants in join order (ids are `p_<seq>`).
    public var orderedParticipants: [Participant] {
        participants.values.sorted { ($0.id.count, $0.id) < ($1.id.count, $1.id) }
    }

    /// Dots `voter` cast during `phase` (the current one by default).
    public func votesCast(by voter: ActorID, in phase: PhaseID? = nil) -> Int {
        ballots[phase ?? self.phase]?[voter]?.values.reduce(0, +) ?? 0
    }
    /// All dots on a card, every phase and voter together.
    public func voteCount(_ card: CardID) -> Int {
        ballots.values.reduce(0) { total, voters in total + voters.values.reduce(0) { $0 + ($1[card] ?? 0) } }
    }
    /// A voter's dots per card, every phase together.
    public func votes(of voter: ActorID) -> [CardID: Int] {
        var out: [CardID: Int] = [:]
        for voters in ballots.values { for (card, n) in voters[voter] ?? [:] { out[card, default: 0] += n } }
        return out
    }
    /// Dots per card, for the reveal.
    public var voteCounts: [CardID: Int] {
        var out: [CardID: Int] = [:]
        for voters in ballots.values { for cards in voters.values { for (card, n) in cards { out[card, default: 0] += n } } }
        return out
    }
}
