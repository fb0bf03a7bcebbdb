import AtelierDomain
import Foundation

/// What a workshop produced, as every export shows it: hidden cards left out, anonymity honoured,
/// organisations listed only when the workshop allows it. One place decides; formats only format.
public struct Outcome: Sendable {
    public struct CardLine: Sendable {
        public var id: CardID
        public var text: String
        public var author: ActorID?
        /// nil until the votes are revealed: dots are secret until then, from the facilitator too.
        public var votes: Int?
        public var cluster: String?
    }
    public struct ColumnView: Sendable {
        public var column: Column
        public var cards: [CardLine]
    }
    /// A table is its board (title and theme stay with it); `group` is who sits there now.
    public struct TableView: Sendable {
        public var group: Group?
        public var board: Board
        public var theme: String
        public var columns: [ColumnView]
        public var clusters: [Cluster]
    }
    public struct Contributor: Sendable, Hashable {
        public var organisation: String?
        public var actor: ActorKind
    }
    public struct ProjectView: Sendable {
        public var sheet: ProjectSheet
        /// The board the sheet was written on (its table, by theme).
        public var table: Board?
        public var orientation: Orientation?
        public var cluster: Cluster?
        public var problems: [CardLine]
        public var ideas: [CardLine]
        public var contributors: [Contributor]
        /// Dots on its idea cards; nil until the votes are revealed.
        public var votes: Int?
        /// The workshop (its form, cards and orientations), to show the values.
        public var workshop: Workshop
    }

    public var workshop: Workshop
    public var tables: [TableView]
    public var projects: [ProjectView]
    /// Everyone who took part, by organisation (if allowed) and kind of structure.
    public var contributors: [(participant: ActorID, contributor: Contributor, table: GroupID?)]

    public init(_ workshop: Workshop) {
        // What leaves the room (every export, and the sheets sent to a webhook or to Démarches
        // Simplifiées): never a card still private or hidden (``Workshop/published``), whichever
        // state the caller passes.
        let w = workshop.published
        self.workshop = w
        let anonymous = w.settings.anonymous
        func line(_ card: Card) -> CardLine {
            CardLine(id: card.id, text: card.text, author: anonymous ? nil : card.author, votes: w.votesRevealed ? w.voteCount(card.id) : nil,
                     cluster: card.cluster.flatMap { w.clusters[$0]?.title })
        }
        let visible = w.orderedCards.filter { !$0.hidden }
        tables = w.boards.map { board in
            TableView(group: w.groups.first { $0.id == board.group }, board: board, theme: w.theme(of: board),
                      columns: board.columns.map { column in
                          ColumnView(column: column, cards: visible.filter { $0.board == board.id && $0.column == column.id }.map(line))
                      },
                      clusters: w.orderedClusters.filter { $0.board == board.id })
        }
        func contributor(_ id: ActorID?) -> Contributor? {
            guard let id, let p = w.participants[id], p.role == .participant else { return nil }
            return Contributor(organisation: w.settings.listOrganisations ? p.profile?.organisation : nil, actor: p.actor)
        }
        let orientationField = w.form.fields.first { $0.type == .orientations }?.id
        projects = w.orderedProjects.map { sheet in
            let problems = FormExport.cards(sheet, .problemCards, form: w.form)
            let sources = FormExport.cards(sheet, .ideaCards, form: w.form)
            let linked = (problems + sources).compactMap { w.cards[$0] }.filter { !$0.hidden }
            var seen = Set<Contributor>()
            let people = anonymous ? [] : ([sheet.createdBy] + linked.map(\.author)).compactMap(contributor).filter { seen.insert($0).inserted }
            return ProjectView(sheet: sheet, table: w.board(sheet.board),
                               orientation: orientationField.flatMap { f in w.orientations.first { $0.id == sheet.values[f]?.string } },
                               cluster: sheet.cluster.flatMap { w.clusters[$0] },
                               problems: problems.compactMap { w.cards[$0] }.filter { !$0.hidden }.map(line),
                               ideas: sources.compactMap { w.cards[$0] }.filter { !$0.hidden }.map(line),
                               contributors: people,
                               votes: w.votesRevealed ? sources.reduce(0) { $0 + w.voteCount($1) } : nil, workshop: w)
        }
        contributors = w.orderedParticipants.filter { $0.role == .participant && !$0.removed }.compactMap { p in
            contributor(p.id).map { (p.id, $0, p.group) }
        }
    }
}

/// Labels shared by the French exports.
public enum Labels {
    static func cooperation(_ c: CooperationKind?) -> String {
        switch c {
        case .siae?: "Coopération entre SIAE"
        case .business?: "Avec des entreprises « classiques »"
        case .other?: "Autre"
        case nil: ""
        }
    }
    static func actor(_ a: ActorKind) -> String {
        switch a {
        case .aci: "ACI"
        case .ai: "AI"
        case .ei: "EI"
        case .etti: "ETTI"
        case .business: "Entreprise"
        case .public: "Acteur public"
        case .network: "Tête de réseau"
        case .other: "Autre"
        }
    }
    static func status(_ s: ProjectStatus) -> String {
        switch s {
        case .draft: "Brouillon"
        case .ready: "Prêt"
        case .submitted: "Déposé"
        case .prepared: "Préparé sur Démarches Simplifiées"
        }
    }
    /// Where a Démarches Simplifiées dossier is, in French (exports, the command line).
    public static func dossier(_ s: DossierState) -> String {
        switch s {
        case .prefilled: "préparé"
        case .brouillon: "repris en brouillon"
        case .enConstruction: "déposé"
        case .enInstruction: "en instruction"
        case .accepte: "accepté"
        case .refuse: "refusé"
        case .sansSuite: "classé sans suite"
        case .expired: "expiré"
        }
    }
    static func kind(_ k: ColumnKind) -> String {
        switch k {
        case .problem: "Problèmes"
        case .idea: "Idées"
        case .project: "Projets"
        }
    }
}
