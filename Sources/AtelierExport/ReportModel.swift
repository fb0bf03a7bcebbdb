import AtelierDomain
import Foundation

/// The report as a document: what it says, before any format. `Report.markdown` and
/// `Report.html` only render these blocks, so the two files carry the same facts (a test
/// extracts the facts from both renderings and compares them).
public struct ReportDocument: Sendable {
    /// A run of text in a paragraph or list item; a badge is a short fact beside it (votes,
    /// status, cluster).
    public enum Inline: Sendable, Equatable {
        case text(String)
        case badge(String, kind: BadgeKind)
    }
    public enum BadgeKind: String, Sendable { case votes, status, cluster }
    public enum ParagraphStyle: String, Sendable {
        case plain, theme
        /// Something the committee must see (a total over the budget, constats with no project).
        case alert
    }
    public struct Table: Sendable {
        public var caption: String
        public var header: [String]
        /// Cells of each row; `marked` rows are highlighted (and say why in their own cells).
        public var rows: [(cells: [String], marked: Bool)]
    }
    public indirect enum Block: Sendable {
        case heading(level: Int, text: String, badge: String?)
        case paragraph([Inline], style: ParagraphStyle)
        case list([[Inline]])
        case facts([(term: String, value: String)])
        case table(Table)
        /// A part kept together: `kind` is its HTML class (`synthesis`, `table`, `project`,
        /// `provenance`); Markdown renders only its blocks.
        case group(kind: String, blocks: [Block])
    }

    public var title: String
    public var blocks: [Block]
}

extension ReportDocument {
    /// The synthesis of a workshop: the steering committee's view first (the coverage of the
    /// call's constats by orientation, the top ideas of each table, each project with what it
    /// asks, the totals asked against the call's budget), then each table in detail. Driven by
    /// the workshop's form (docs/export.md, "The synthesis").
    public init(_ workshop: Workshop, generatedAt: Int64, provenance: ProvenanceLog? = nil) {
        let o = Outcome(workshop)
        title = workshop.title
        var b: [Block] = [.heading(level: 1, text: workshop.title, badge: nil)]
        b.append(.paragraph([.text("Synthèse de l'atelier, générée le \(Report.frenchDate(generatedAt, timeZone: workshop.timeZone)). "
            + "Phase : \(workshop.currentPhase?.title ?? workshop.phase)\(workshop.closed ? " (atelier clos)" : "").")], style: .plain))
        b.append(.paragraph([.text(Report.participantsLine(o))], style: .plain))
        b.append(.group(kind: "synthesis", blocks: Self.synthesis(o)))
        for table in o.tables {
            var t: [Block] = [.heading(level: 2, text: table.board.title, badge: nil)]
            if !table.theme.isEmpty { t.append(.paragraph([.text(table.theme)], style: .theme)) }
            for column in table.columns where column.column.kind != .project {
                t.append(.heading(level: 3, text: column.column.title, badge: nil))
                let cards = column.column.kind == .idea ? column.cards.sorted { ($0.votes ?? 0) > ($1.votes ?? 0) } : column.cards
                if cards.isEmpty { t.append(.paragraph([.text("Aucune carte.")], style: .plain)); continue }
                t.append(.list(cards.map { card in
                    var item: [Inline] = [.text(card.text)]
                    if let votes = card.votes, column.column.kind == .idea || votes > 0 { item.append(.badge(Self.votes(votes), kind: .votes)) }
                    if let cluster = card.cluster { item.append(.badge(cluster, kind: .cluster)) }
                    return item
                }))
            }
            t.append(.heading(level: 3, text: "Projets", badge: nil))
            let projects = o.projects.filter { $0.sheet.board == table.board.id }
            if projects.isEmpty { t.append(.paragraph([.text("Aucun projet.")], style: .plain)) }
            for p in projects {
                var article: [Block] = [.heading(level: 4, text: p.sheet.title, badge: Labels.status(p.sheet.status))]
                article.append(.facts(Report.facts(p)))
                if let log = provenance, let history = log.provenance(of: p.sheet.id, in: workshop) {
                    let lines = ProvenanceExport.lines(history, state: workshop)
                    if !lines.isEmpty {
                        article.append(.group(kind: "provenance", blocks: [
                            .paragraph([.text("Comment ce projet est né :")], style: .plain), .list(lines.map { [.text($0)] })]))
                    }
                }
                t.append(.group(kind: "project", blocks: article))
            }
            b.append(.group(kind: "table", blocks: t))
        }
        blocks = b
    }

    static func votes(_ n: Int) -> String { "\(n) vote\(n > 1 ? "s" : "")" }

    /// How many top ideas of each table the synthesis shows.
    static let topIdeas = 3
    /// Past this many orientations the matrix names them by number, with a legend (A4 width).
    static let orientationsByName = 6

    static func synthesis(_ o: Outcome) -> [Block] {
        let w = o.workshop, form = w.form
        var b: [Block] = [.heading(level: 2, text: "Synthèse pour le comité de pilotage", badge: nil)]
        var call = "Appel à projets : \(form.name). "
        call += form.budget.map { "Budget de l'appel : \(Report.euros($0))." } ?? "Le plan n'indique pas le budget de l'appel."
        b.append(.paragraph([.text(call)], style: .plain))
        let n = o.projects.count
        b.append(.paragraph([.text("\(n) fiche\(n > 1 ? "s" : "") projet, tous statuts confondus.")], style: .plain))

        // The coverage matrix: constats × orientations.
        b.append(.heading(level: 3, text: "Couverture des constats par orientation", badge: nil))
        let constatFields = form.fields.filter { $0.type == .constats }.map(\.id)
        let orientationField = form.fields.first { $0.type == .orientations }?.id
        if constatFields.isEmpty || form.constats.isEmpty {
            b.append(.paragraph([.text("Le formulaire de cet appel ne relie pas les projets à des constats : pas de matrice de couverture.")], style: .plain))
        } else {
            func constats(of p: Outcome.ProjectView) -> Set<String> {
                Set(constatFields.flatMap { p.sheet.values[$0]?.list?.compactMap(\.string) ?? [] })
            }
            var columns: [(id: String?, title: String)] = []
            if orientationField != nil { columns = w.orientations.map { ($0.id, $0.title) } }
            let orientationOf: (Outcome.ProjectView) -> String? = { p in
                guard let f = orientationField, let id = p.sheet.values[f]?.string, w.orientations.contains(where: { $0.id == id }) else { return nil }
                return id
            }
            if orientationField == nil || o.projects.contains(where: { !constats(of: $0).isEmpty && orientationOf($0) == nil }) {
                columns.append((nil, orientationField == nil ? "Projets" : "Sans orientation"))
            }
            let numbered = columns.count > orientationsByName
            var rows: [(cells: [String], marked: Bool)] = []
            var uncovered: [String] = []
            for c in form.constats {
                let answering = o.projects.filter { constats(of: $0).contains(c.id) }
                let cells = columns.map { col in String(answering.filter { orientationOf($0) == col.id }.count) }
                let total = answering.count
                rows.append(([c.title.fr] + cells + [total == 0 ? "aucun projet" : String(total)], total == 0))
                if total == 0 { uncovered.append(c.title.fr) }
            }
            let headers = columns.enumerated().map { numbered ? "O\($0.offset + 1)" : $0.element.title }
            b.append(.table(Table(caption: "Nombre de fiches projet qui répondent à chaque constat, par orientation stratégique",
                                  header: ["Constat"] + headers + ["Total"], rows: rows)))
            if numbered {
                b.append(.list(columns.enumerated().map { [.text("O\($0.offset + 1) : \($0.element.title)")] }))
            }
            if uncovered.isEmpty {
                b.append(.paragraph([.text("Chaque constat a au moins un projet.")], style: .plain))
            } else {
                b.append(.paragraph([.text("Constat\(uncovered.count > 1 ? "s" : "") sans projet : " + uncovered.joined(separator: " ; ") + ".")], style: .alert))
            }
        }

        // The top ideas of each table.
        b.append(.heading(level: 3, text: "Idées les plus soutenues, par table", badge: nil))
        if !w.votesRevealed {
            b.append(.paragraph([.text("Les votes ne sont pas encore révélés : pas de classement des idées.")], style: .plain))
        } else {
            for table in o.tables {
                let ideas = table.columns.filter { $0.column.kind == .idea }.flatMap(\.cards).filter { ($0.votes ?? 0) > 0 }
                    .sorted { ($0.votes ?? 0) > ($1.votes ?? 0) }.prefix(topIdeas)
                b.append(.heading(level: 4, text: table.board.title, badge: nil))
                if ideas.isEmpty { b.append(.paragraph([.text("Aucune idée n'a reçu de vote.")], style: .plain)); continue }
                b.append(.list(ideas.map { [.text($0.text), .badge(votes($0.votes ?? 0), kind: .votes)] }))
            }
        }

        // Each project with what it asks, then the totals against the budget.
        b.append(.heading(level: 3, text: "Projets et demandes", badge: nil))
        let asks = form.askPaths.compactMap { path -> (field: FormField, part: FormField?)? in
            let parts = path.split(separator: ".").map(String.init)
            guard let f = form.field(parts[0]) else { return nil }
            if parts.count == 2 { return f.child(parts[1]).map { (f, $0) } }
            return (f, nil)
        }
        if o.projects.isEmpty { b.append(.paragraph([.text("Aucune fiche projet.")], style: .plain)) }
        if asks.isEmpty {
            b.append(.paragraph([.text("Le plan ne dit pas ce qu'une fiche demande à l'appel (call.asks) : pas de total des demandes.")], style: .plain))
        }
        // The amounts asked, by ask (label) and in all.
        var byAsk: [(label: String, total: Int)] = []
        func add(_ label: String, _ amount: Int) {
            if let i = byAsk.firstIndex(where: { $0.label == label }) { byAsk[i].total += amount } else { byAsk.append((label, amount)) }
        }
        for (f, part) in asks {
            for c in part.map({ [$0] }) ?? (f.type == .group ? (f.fields ?? []) : [f]) where c.type == .euros { add(c.label.fr, 0) }
        }
        var total = 0, totalReady = 0
        for p in o.projects {
            var facts: [(term: String, value: String)] = [("Table", p.table?.title ?? "")]
            var asked = 0
            for (f, part) in asks {
                let value = p.sheet.values[f.id]
                let rows: [FieldValue] = f.isRepeatedGroup ? (value?.list ?? []) : (value.map { [$0] } ?? [])
                let children = part.map { [$0] } ?? (f.type == .group ? (f.fields ?? []) : [f])
                for c in children {
                    // A whole field is its own value; a group's part is read in each row.
                    let values = f.type == .group ? rows.compactMap { $0[c.id] } : rows
                    let texts = values.map { v in c.type == .euros ? (v.int.map(Report.euros) ?? "") : FormExport.text(v, c, in: w) }.filter { !$0.isEmpty }
                    if !texts.isEmpty { facts.append((c.label.fr, texts.joined(separator: " ; "))) }
                    if c.type == .euros {
                        let sum = values.compactMap(\.int).reduce(0, +)
                        asked += sum
                        add(c.label.fr, sum)
                    }
                }
            }
            if !byAsk.isEmpty { facts.append(("Total demandé", Report.euros(asked))) }
            total += asked
            if p.sheet.status != .draft { totalReady += asked }
            b.append(.group(kind: "project", blocks: [.heading(level: 4, text: p.sheet.title, badge: Labels.status(p.sheet.status)), .facts(facts)]))
        }
        b.append(.heading(level: 3, text: "Total des demandes et budget de l'appel", badge: nil))
        if byAsk.isEmpty {
            b.append(.paragraph([.text("Aucun montant demandé n'est prévu par le formulaire.")], style: .plain))
            return b
        }
        var totals: [(term: String, value: String)] = byAsk.map { ($0.label, Report.euros($0.total)) }
        totals.append(("Total demandé (\(n) fiche\(n > 1 ? "s" : ""))", Report.euros(total)))
        totals.append(("dont fiches prêtes, préparées ou déposées", Report.euros(totalReady)))
        totals.append(("Budget de l'appel", form.budget.map(Report.euros) ?? "non indiqué"))
        b.append(.facts(totals))
        if let budget = form.budget {
            if total > budget {
                b.append(.paragraph([.text("Le total demandé dépasse le budget de l'appel de \(Report.euros(total - budget)).")], style: .alert))
            } else {
                b.append(.paragraph([.text("Le total demandé tient dans le budget de l'appel : il reste \(Report.euros(budget - total)).")], style: .plain))
            }
        }
        return b
    }
}
