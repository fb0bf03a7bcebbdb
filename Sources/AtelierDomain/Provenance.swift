import Foundation

/// When and where something happened in a workshop: its seq, time, phase, and the board with the
/// table (group) sitting at it then (tables rotate between boards).
public struct Moment: Sendable, Equatable {
    public var seq: Int
    public var at: Int64
    public var phase: PhaseID
    public var board: BoardID?
    public var group: GroupID?
    public init(seq: Int, at: Int64, phase: PhaseID, board: BoardID?, group: GroupID?) {
        self.seq = seq; self.at = at; self.phase = phase; self.board = board; self.group = group
    }
}

/// One step in a project sheet's life: created, fields edited, status changed, submitted.
public struct ProjectStep: Sendable, Equatable {
    public enum Kind: String, Sendable { case created, updated, status, submitted }
    public var kind: Kind
    public var moment: Moment
    /// The fields an edit changed (journal names of `ProjectChange`).
    public var fields: [String]
    /// The status it took (`status`, `submitted`).
    public var status: String?
    public init(kind: Kind, moment: Moment, fields: [String] = [], status: String? = nil) {
        self.kind = kind; self.moment = moment; self.fields = fields; self.status = status
    }
}

/// What the journal tells about where things come from, gathered in one pass over it (by
/// `ReplayIndex`, or `ProvenanceLog(events)` for an export): when each card was written and
/// clustered, when each cluster was made, each project sheet's steps. Bounded by what a workshop
/// holds (`Limits`), and each sheet's steps by `maxSteps` (the first ones, and a count of the rest).
public struct ProvenanceLog: Sendable, Equatable {
    public static let maxSteps = 200
    public private(set) var cardBirth: [CardID: Moment] = [:]
    public private(set) var cardClustered: [CardID: Moment] = [:]
    public private(set) var clusterBirth: [ClusterID: Moment] = [:]
    public private(set) var steps: [ProjectID: [ProjectStep]] = [:]
    public private(set) var stepsLeftOut: [ProjectID: Int] = [:]

    public init() {}

    /// The log of a whole journal.
    public init<S: Sequence>(_ events: S) where S.Element == Event {
        var state: Workshop?
        for event in events {
            if state == nil {
                guard case .workshopCreated(let blueprint) = event.body else { return }
                state = Workshop(blueprint)
            }
            observe(event, before: state!)
            state!.apply(event)
        }
    }

    /// Takes in `event`, given the state before it.
    public mutating func observe(_ event: Event, before state: Workshop) {
        func moment(board: BoardID?) -> Moment {
            Moment(seq: event.seq, at: event.at, phase: state.phase, board: board, group: board.flatMap { state.board($0)?.group })
        }
        switch event.body {
        case .cardAdded(let card):
            cardBirth[card.id] = moment(board: card.board)
        case let .clusterCreated(cluster, cards):
            let m = moment(board: cluster.board)
            clusterBirth[cluster.id] = m
            for card in cards { cardClustered[card] = m }
        case let .cardClustered(card, cluster):
            cardClustered[card] = cluster == nil ? nil : moment(board: state.cards[card]?.board)
        case .projectCreated(let p):
            add(ProjectStep(kind: .created, moment: moment(board: p.board)), to: p.id)
        case let .projectUpdated(project, change, _):
            add(ProjectStep(kind: .updated, moment: moment(board: state.projects[project]?.board), fields: change.changedFields), to: project)
        case let .projectStatusChanged(project, status, _):
            add(ProjectStep(kind: .status, moment: moment(board: state.projects[project]?.board), status: status.rawValue), to: project)
        case .projectSubmitted(let project, _):
            add(ProjectStep(kind: .submitted, moment: moment(board: state.projects[project]?.board), status: ProjectStatus.submitted.rawValue), to: project)
        case .workshopCreated, .participantJoined, .cardEdited, .cardMoved, .cardDeleted, .voteCast, .voteRetracted,
             .phaseChanged, .participantAssigned, .rotationAdvanced, .hostAssigned, .participantRemoved,
             .participantErased, .timerStarted, .timerPaused, .timerResumed, .timerStopped, .timerEnded,
             .announcementMade, .workshopPaused, .workshopResumed, .workshopClosed, .viewFocused, .settingsUpdated,
             .votesRevealed, .votesClosed, .announcementWithdrawn, .projectorShown, .cardsRevealed, .clusterRenamed,
             .commentAdded, .commentDeleted, .cardHidden, .cardRestored, .boardLocked, .boardUnlocked,
             .projectSupported, .dossierFollowed, .webhookQueued, .webhookAttempted, .webhookRedelivered,
             .groupOpened, .groupEnded, .groupInvited, .groupInvitationRevoked, .workshopCarried:
            break
        }
    }

    private mutating func add(_ step: ProjectStep, to project: ProjectID) {
        if steps[project, default: []].count < Self.maxSteps { steps[project, default: []].append(step) }
        else { stepsLeftOut[project, default: 0] += 1 }
    }

    /// "Comment ce projet est né": the sheet's source cards (problems, then ideas), its cluster,
    /// its steps, and the tables involved, as of `state` (nil for an unknown sheet).
    public func provenance(of project: ProjectID, in state: Workshop) -> Provenance? {
        guard let sheet = state.projects[project] else { return nil }
        var origins: [Provenance.CardOrigin] = []
        for (role, ids) in [(Provenance.Role.problem, sheet.problems), (.idea, sheet.sources)] {
            for id in ids {
                origins.append(Provenance.CardOrigin(card: id, role: role, written: cardBirth[id],
                                                     cluster: state.cards[id]?.cluster, clustered: cardClustered[id]))
            }
        }
        let projectSteps = steps[project] ?? []
        var tables: [GroupID] = []
        let moments = origins.compactMap(\.written) + (sheet.cluster.flatMap { clusterBirth[$0] }.map { [$0] } ?? []) + projectSteps.map(\.moment)
        for m in moments { if let g = m.group, !tables.contains(g) { tables.append(g) } }
        return Provenance(project: project, cards: origins, cluster: sheet.cluster,
                          clusterMade: sheet.cluster.flatMap { clusterBirth[$0] },
                          steps: projectSteps, stepsLeftOut: stepsLeftOut[project] ?? 0, tables: tables)
    }
}

/// Where a project sheet comes from (`ProvenanceLog.provenance(of:in:)`).
public struct Provenance: Sendable, Equatable {
    public enum Role: String, Sendable { case problem, idea }
    public struct CardOrigin: Sendable, Equatable {
        public var card: CardID
        public var role: Role
        /// When it was written (nil for a card the journal does not hold).
        public var written: Moment?
        public var cluster: ClusterID?
        public var clustered: Moment?
    }
    public var project: ProjectID
    public var cards: [CardOrigin]
    public var cluster: ClusterID?
    public var clusterMade: Moment?
    public var steps: [ProjectStep]
    public var stepsLeftOut: Int
    /// The tables (groups) involved, in order of first appearance.
    public var tables: [GroupID]
}

extension ProjectChange {
    /// The ids of the fields this change sets (or clears): today's fields in the sheet's order
    /// first (`CallForm.legacy`), then a plan's own fields by id.
    public var changedFields: [String] {
        let order = Self.legacyOrder
        return fields.keys.sorted { a, b in
            switch (order[a], order[b]) {
            case let (x?, y?): x < y
            case (_?, nil): true
            case (nil, _?): false
            case (nil, nil): a < b
            }
        }
    }

    private static let legacyOrder: [String: Int] = Dictionary(uniqueKeysWithValues: CallForm.legacy.fields.enumerated().map { ($1.id, $0) })
}
