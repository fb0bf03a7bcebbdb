import Foundation

// Carrying work from one workshop of a series into the next (docs/protocol.md "Series",
// "Carrying work forward"). The new workshop's journal holds, right after its creation and seeds,
// one `workshop.carried` event (the source workshop, and per item its source id and table), then
// ordinary `card.added`, `cluster.created` / `card.clustered` and `project.created` events: replay,
// exports, visibility and the clients read carried things as they read any other.

/// What an organiser chose to bring from an earlier workshop: whole tables (boards), clusters,
/// cards and project sheets, by their ids in the source workshop.
public struct CarrySelection: Sendable, Equatable {
    public var source: WorkshopID
    public var boards: [BoardID]
    public var clusters: [ClusterID]
    public var cards: [CardID]
    public var projects: [ProjectID]
    public init(source: WorkshopID, boards: [BoardID] = [], clusters: [ClusterID] = [], cards: [CardID] = [], projects: [ProjectID] = []) {
        self.source = source; self.boards = boards; self.clusters = clusters; self.cards = cards; self.projects = projects
    }
    public var isEmpty: Bool { boards.isEmpty && clusters.isEmpty && cards.isEmpty && projects.isEmpty }

    /// What one carry may bring at most (a bigger selection is refused, in French).
    public static let maxCards = 400
    public static let maxClusters = 60
    public static let maxProjects = 30
    /// Ids named in one selection, all lists together.
    public static let maxNamed = 1000
}

/// One carried thing: its id here, its id in the source workshop, and the source table's name.
public struct CarriedItem: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case card, cluster, project }
    public var kind: Kind
    public var id: String
    public var from: String
    public var table: String
    public init(kind: Kind, id: String, from: String, table: String) {
        self.kind = kind; self.id = id; self.from = from; self.table = table
    }
}

/// One workshop a project went through before this one: where it was made or carried into,
/// at which table, from which cards, and what happened to it there.
public struct ProjectStage: Codable, Sendable, Equatable {
    public enum Entry: String, Codable, Sendable { case created, carried }
    public var workshop: WorkshopID
    public var workshopTitle: String
    /// The sheet's id in that workshop.
    public var project: ProjectID
    public var table: String
    /// How it entered that workshop, and when (milliseconds since 1970).
    public var entry: Entry
    public var at: Int64
    /// Its source cards there (ids in that workshop): problems, then ideas.
    public var problems: [CardID]
    public var ideas: [CardID]
    /// The cluster it came from there, by title (nil: none).
    public var cluster: String?
    /// Its steps there (created, updated, status, submitted), oldest first, at most `maxSteps`.
    public var steps: [StageStep]
    /// Its status when it left that workshop.
    public var status: String
    public init(workshop: WorkshopID, workshopTitle: String, project: ProjectID, table: String, entry: Entry, at: Int64,
                problems: [CardID], ideas: [CardID], cluster: String?, steps: [StageStep], status: String) {
        self.workshop = workshop; self.workshopTitle = workshopTitle; self.project = project; self.table = table
        self.entry = entry; self.at = at; self.problems = problems; self.ideas = ideas; self.cluster = cluster
        self.steps = steps; self.status = status
    }
    public static let maxSteps = 50
    /// Stages kept per project (the first one and the latest ones).
    public static let maxStages = 20
}

public struct StageStep: Codable, Sendable, Equatable {
    public var kind: String
    public var at: Int64
    public var status: String?
    public init(kind: String, at: Int64, status: String?) { self.kind = kind; self.at = at; self.status = status }
}

/// A carried project's identity across the series and its earlier workshops.
public struct ProjectLineage: Codable, Sendable, Equatable {
    /// The series-wide identity: `<workshop>/<project>` of its first appearance.
    public var origin: String
    /// The workshops it went through before this one, oldest first.
    public var stages: [ProjectStage]
    public init(origin: String, stages: [ProjectStage]) { self.origin = origin; self.stages = stages }
}

/// What `workshop.carried` records.
public struct Carry: Codable, Sendable, Equatable {
    public var source: WorkshopID
    public var sourceTitle: String
    public var items: [CarriedItem]
    /// Per carried project (its id here): its identity and earlier workshops.
    public var lineage: [ProjectID: ProjectLineage]
    public init(source: WorkshopID, sourceTitle: String, items: [CarriedItem], lineage: [ProjectID: ProjectLineage]) {
        self.source = source; self.sourceTitle = sourceTitle; self.items = items; self.lineage = lineage
    }
}

extension Workshop {
    /// A project's series-wide identity: where it first appeared (`<workshop>/<project>`).
    public func seriesIdentity(of project: ProjectID) -> String {
        lineage[project]?.origin ?? "\(id)/\(project)"
    }

    /// This workshop's stage of a project, as it leaves it (for a carry onwards).
    public func stage(of sheet: ProjectSheet, log: ProvenanceLog?) -> ProjectStage {
        let carriedIn = carried[sheet.id]
        let steps = (log?.steps[sheet.id] ?? []).prefix(ProjectStage.maxSteps).map {
            StageStep(kind: $0.kind.rawValue, at: $0.moment.at, status: $0.status)
        }
        let born = log?.steps[sheet.id]?.first?.moment.at ?? createdAt
        return ProjectStage(workshop: id, workshopTitle: title, project: sheet.id,
                            table: board(sheet.board)?.title ?? "", entry: carriedIn == nil ? .created : .carried,
                            at: born, problems: sheet.problems, ideas: sheet.sources,
                            cluster: sheet.cluster.flatMap { clusters[$0]?.title }, steps: Array(steps), status: sheet.status.rawValue)
    }

    /// The events that bring `selection` from `source` (as it is now) into a new workshop whose
    /// state after creation is `self`, the first of them at seq `firstSeq`. Throws a French error
    /// when the selection names something unknown or private, is too big, or cannot be placed.
    public func carryEvents(from source: Workshop, log: ProvenanceLog?, selection: CarrySelection,
                            firstSeq: Int) throws(DomainError) -> [EventBody] {
        func visible(_ c: Card) -> Bool { !c.isPrivate && !c.hidden }
        let named = selection.boards.count + selection.clusters.count + selection.cards.count + selection.projects.count
        guard named <= CarrySelection.maxNamed else {
            throw DomainError(.budget, "La sélection à reporter nomme trop d'éléments (au plus \(CarrySelection.maxNamed)).")
        }
        // What is chosen, in the source's order.
        var cardIDs: Set<CardID> = [], clusterIDs: Set<ClusterID> = [], projectIDs: Set<ProjectID> = []
        for b in selection.boards {
            guard source.board(b) != nil else { throw DomainError(.notFound, "Table inconnue dans l'atelier précédent : « \(b.prefix(40)) ».") }
            // The plan's seeds stay behind (the new plan seeds its own), unless a cluster or sheet takes them.
            for c in source.cards.values where c.board == b && visible(c) && !(c.author == nil && source.carried[c.id] == nil) {
                cardIDs.insert(c.id)
            }
            for k in source.clusters.values where k.board == b { clusterIDs.insert(k.id) }
            for p in source.projects.values where p.board == b { projectIDs.insert(p.id) }
        }
        for k in selection.clusters {
            guard source.clusters[k] != nil else { throw DomainError(.notFound, "Regroupement inconnu dans l'atelier précédent : « \(k.prefix(40)) ».") }
            clusterIDs.insert(k)
        }
        // A cluster, chosen or on a chosen table, brings its visible cards (seeded ones included).
        for c in source.cards.values where c.cluster.map(clusterIDs.contains) == true && visible(c) { cardIDs.insert(c.id) }
        for id in selection.cards {
            guard let c = source.cards[id] else { throw DomainError(.notFound, "Carte inconnue dans l'atelier précédent : « \(id.prefix(40)) ».") }
            guard visible(c) else {
                throw DomainError(.forbidden, "La carte « \(id.prefix(40)) » est privée ou masquée : elle ne peut pas être reportée.")
            }
            cardIDs.insert(id)
        }
        for id in selection.projects {
            guard source.projects[id] != nil else { throw DomainError(.notFound, "Fiche projet inconnue dans l'atelier précédent : « \(id.prefix(40)) ».") }
            projectIDs.insert(id)
        }
        // A sheet brings the cards it names (those anyone may see).
        for id in projectIDs {
            for c in source.projects[id]!.problems + source.projects[id]!.sources {
                if let card = source.cards[c], visible(card) { cardIDs.insert(c) }
            }
        }
        // A cluster is carried only with at least one card; empty ones stay behind.
        clusterIDs = clusterIDs.filter { k in cardIDs.contains { source.cards[$0]?.cluster == k } }
        guard cardIDs.count <= CarrySelection.maxCards else {
            throw DomainError(.budget, "Trop de cartes à reporter (\(cardIDs.count), au plus \(CarrySelection.maxCards)) : choisissez moins de tables ou de regroupements.")
        }
        guard clusterIDs.count <= CarrySelection.maxClusters else {
            throw DomainError(.budget, "Trop de regroupements à reporter (\(clusterIDs.count), au plus \(CarrySelection.maxClusters)).")
        }
        guard projectIDs.count <= CarrySelection.maxProjects else {
            throw DomainError(.budget, "Trop de fiches projet à reporter (\(projectIDs.count), au plus \(CarrySelection.maxProjects)).")
        }
        guard !(cardIDs.isEmpty && projectIDs.isEmpty) else {
            throw DomainError(.invalid, "Rien à reporter : la sélection ne contient aucune carte visible ni fiche projet.")
        }

        // Where each source board lands: the new board of the same title, else at the same
        // position, else the first one.
        func target(_ b: BoardID) throws(DomainError) -> Board {
            guard let first = boards.first else { throw DomainError(.invalid, "Le nouveau programme n'a aucune table où reporter.") }
            guard let from = source.board(b) else { return first }
            if let same = boards.first(where: { $0.title == from.title }) { return same }
            if let i = source.boardIndex(b), i < boards.count { return boards[i] }
            return first
        }
        func column(for card: Card, on board: Board) throws(DomainError) -> Column {
            let kind = source.board(card.board)?.column(card.column)?.kind ?? .idea
            guard let col = board.columns.first(where: { $0.kind == kind }) else {
                let name: String = switch kind { case .problem: "de problèmes"; case .idea: "d'idées"; case .project: "de projets" }
                throw DomainError(.invalid, "La table « \(board.title) » du nouveau programme n'a pas de colonne \(name) : la carte « \(card.text.prefix(40)) » ne peut pas y être placée.")
            }
            return col
        }

        var seq = firstSeq + 1  // firstSeq is the `workshop.carried` event itself
        var items: [CarriedItem] = []
        var bodies: [EventBody] = []
        var newCard: [CardID: CardID] = [:], newCluster: [ClusterID: ClusterID] = [:]
        var perBoard: [BoardID: Int] = [:]
        for c in cards.values { perBoard[c.board, default: 0] += 1 }
        let table = { (b: BoardID) in source.board(b)?.title ?? "" }
        for card in source.orderedCards where cardIDs.contains(card.id) {
            let board = try target(card.board)
            let col = try column(for: card, on: board)
            perBoard[board.id, default: 0] += 1
            guard perBoard[board.id]! <= Limits.cardsPerBoard else {
                throw DomainError(.budget, "La table « \(board.title) » dépasserait \(Limits.cardsPerBoard) cartes : reportez moins de cartes.")
            }
            let id = "c_\(seq)"
            newCard[card.id] = id
            bodies.append(.cardAdded(Card(id: id, board: board.id, column: col.id, text: card.text, x: card.x, y: card.y,
                                          color: card.color, author: nil, createdSeq: seq)))
            items.append(CarriedItem(kind: .card, id: id, from: card.id, table: table(card.board)))
            seq += 1
        }
        for cluster in source.orderedClusters where clusterIDs.contains(cluster.id) {
            let members = source.orderedCards.filter { $0.cluster == cluster.id }.compactMap { newCard[$0.id] }
            let board = try target(cluster.board)
            let id = "k_\(seq)"
            newCluster[cluster.id] = id
            bodies.append(.clusterCreated(Cluster(id: id, board: board.id, title: cluster.title, createdSeq: seq), cards: members))
            seq += 1
            for m in members { bodies.append(.cardClustered(card: m, cluster: id)); seq += 1 }
            items.append(CarriedItem(kind: .cluster, id: id, from: cluster.id, table: table(cluster.board)))
        }
        var lineage: [ProjectID: ProjectLineage] = [:]
        let phase = phases.first?.id ?? ""
        for sheet in source.orderedProjects where projectIDs.contains(sheet.id) {
            let board = try target(sheet.board)
            let id = "j_\(seq)"
            var values: [String: FieldValue] = [:]
            for field in form.fields {
                guard let from = source.form.field(field.id), from.type == field.type, let value = sheet.values[field.id] else { continue }
                switch field.type {
                case .problemCards, .ideaCards:
                    values[field.id] = .list((value.list ?? []).compactMap { $0.string.flatMap { newCard[$0] }.map(FieldValue.text) })
                case .orientations:
                    if let o = value.string, orientations.contains(where: { $0.id == o }) { values[field.id] = value }
                case .text, .longText, .integer, .euros, .date, .siret, .email, .phone, .yesNo, .choice, .choices, .group, .constats:
                    values[field.id] = value
                }
            }
            // What the new form would refuse (an option or a constat it does not have, a text longer
            // than it allows, a number out of its range) stays behind rather than go into a sheet
            // that would then fail every check; the title goes as it is.
            let checkable = values.filter { key, _ in
                guard key != "title", let f = form.field(key) else { return false }
                switch f.type {
                case .problemCards, .ideaCards, .orientations: return false
                case .text, .longText, .integer, .euros, .date, .siret, .email, .phone, .yesNo, .choice, .choices, .group, .constats: return true
                }
            }
            if !checkable.isEmpty {
                let (checked, faults) = FormCheck.normalize(ProjectChange(fields: checkable), form: form, orientations: orientations,
                                                            cardExists: { _ in false })
                let refused = Set(faults.map(\.field))
                for key in checkable.keys { values[key] = refused.contains(key) ? nil : checked.fields[key] }
            }
            var p = ProjectSheet(id: id, board: board.id, values: values, createdBy: nil, createdSeq: seq, phase: phase)
            p.cluster = sheet.cluster.flatMap { newCluster[$0] }
            // Its status goes with it, but not its receipts: the dossiers stay followed where they were
            // filed. A sheet ready under another form is a draft again: the new form was never checked.
            p.status = sheet.status == .ready && form != source.form ? .draft : sheet.status
            bodies.append(.projectCreated(p))
            var stages = source.lineage[sheet.id]?.stages ?? []
            stages.append(source.stage(of: sheet, log: log))
            if stages.count > ProjectStage.maxStages { stages.removeSubrange(1..<(stages.count - ProjectStage.maxStages + 1)) }
            lineage[id] = ProjectLineage(origin: source.seriesIdentity(of: sheet.id), stages: stages)
            items.append(CarriedItem(kind: .project, id: id, from: sheet.id, table: table(sheet.board)))
            seq += 1
        }
        guard projects.count + projectIDs.count <= Limits.projectsPerWorkshop else {
            throw DomainError(.budget, "Le nouvel atelier dépasserait \(Limits.projectsPerWorkshop) fiches projet.")
        }
        let header = EventBody.workshopCarried(Carry(source: source.id, sourceTitle: source.title, items: items, lineage: lineage))
        return [header] + bodies
    }
}
