import AtelierDomain
import AtelierProtocol
import Foundation

/// The synthesis for the steering committee, in Markdown and in printable HTML: per table, the
/// problems, the ideas with their votes, the projects. Built from ``Outcome`` (hidden cards left
/// out, no authors, organisations only when the workshop allows it).
public enum Report {
    public static func markdown(_ workshop: Workshop, generatedAt: Int64, provenance: ProvenanceLog? = nil) -> [UInt8] {
        let o = Outcome(workshop)
        var md = "# \(escapeMD(workshop.title))\n\n"
        md += "Synthèse de l'atelier, générée le \(frenchDate(generatedAt, timeZone: workshop.timeZone)). "
        md += "Phase : \(escapeMD(workshop.currentPhase?.title ?? workshop.phase))\(workshop.closed ? " (atelier clos)" : "").\n\n"
        md += participantsLine(o) + "\n\n"
        for table in o.tables {
            md += "## \(escapeMD(table.board.title))\n\n"
            if !table.theme.isEmpty { md += "_\(escapeMD(table.theme))_\n\n" }
            for column in table.columns where column.column.kind != .project {
                md += "### \(escapeMD(column.column.title))\n\n"
                let cards = column.column.kind == .idea ? column.cards.sorted { ($0.votes ?? 0) > ($1.votes ?? 0) } : column.cards
                if cards.isEmpty { md += "Aucune carte.\n\n"; continue }
                for card in cards {
                    md += "- \(escapeMD(card.text))"
                    if let votes = card.votes, column.column.kind == .idea || votes > 0 { md += " — \(votes) vote\(votes > 1 ? "s" : "")" }
                    if let cluster = card.cluster { md += " _(\(escapeMD(cluster)))_" }
                    md += "\n"
                }
                md += "\n"
            }
            let projects = o.projects.filter { $0.sheet.board == table.board.id }
            md += "### Projets\n\n"
            if projects.isEmpty { md += "Aucun projet.\n\n" }
            for p in projects {
                let s = p.sheet
                md += "#### \(escapeMD(s.title)) (\(Labels.status(s.status)))\n\n"
                let facts = Report.facts(p).map { "\(escapeMD($0.term)) : \(escapeMD($0.value))" }
                md += facts.map { "- \($0)" }.joined(separator: "\n") + "\n\n"
                md += ProvenanceExport.markdown(s.id, log: provenance, state: workshop)
            }
        }
        return Array(md.utf8)
    }

    /// The report's styles, inline in every HTML report so that a saved file keeps them, and the
    /// same bytes as `web/css/report.css`, which the server's own pages load (their CSP refuses
    /// inline styles: a report shown by the server takes the linked sheet, a saved one the inline
    /// one). `ReportStyleTests` keeps the two equal.
    public static let css = """
        /* The printable synthesis (Report.html): calm, readable on paper and on screen. */
        body { font-family: system-ui, "DejaVu Sans", sans-serif; color: #1d2733; background: #fff; line-height: 1.5; margin: 0; }
        main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem; }
        h1 { font-size: 1.8rem; margin: 0 0 .5rem; }
        h2 { font-size: 1.4rem; border-bottom: 3px solid #1f4e8c; padding-bottom: .2rem; margin-top: 2.5rem; }
        h3 { font-size: 1.1rem; margin: 1.5rem 0 .4rem; color: #1f4e8c; }
        h4 { font-size: 1rem; margin: 1rem 0 .3rem; }
        .theme { font-style: italic; color: #4a5663; }
        .votes, .status, .cluster { font-size: .85em; padding: 0 .4em; border-radius: .3em; background: #eef2f7; color: #1d2733; white-space: nowrap; }
        .project { border-left: 4px solid #2e7d4f; padding: .2rem 0 .2rem 1rem; margin: 1rem 0; break-inside: avoid; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0; }
        dt { font-weight: 600; }
        dd { margin: 0; }
        @media print {
          main { padding: 0; max-width: none; }
          h2 { break-before: page; }
          h2:first-of-type { break-before: avoid; }
          a { color: inherit; text-decoration: none; }
        }
        """

    /// A standalone, printable HTML page (styles linked from `/css/report.css` and inline).
    public static func html(_ workshop: Workshop, generatedAt: Int64, stylesheet: String = "/css/report.css", provenance: ProvenanceLog? = nil) -> [UInt8] {
        let o = Outcome(workshop)
        var h = "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>Synthèse – \(e(workshop.title))</title>\n<link rel=\"stylesheet\" href=\"\(e(stylesheet))\">\n<style>\n\(css)\n</style>\n</head>\n<body>\n<main>\n"
        h += "<header><h1>\(e(workshop.title))</h1>\n<p>Synthèse de l'atelier, générée le \(e(frenchDate(generatedAt, timeZone: workshop.timeZone))). "
        h += "Phase : \(e(workshop.currentPhase?.title ?? workshop.phase))\(workshop.closed ? " (atelier clos)" : "").</p>\n"
        h += "<p>\(e(participantsLine(o)))</p></header>\n"
        for table in o.tables {
            h += "<section class=\"table\">\n<h2>\(e(table.board.title))</h2>\n"
            if !table.theme.isEmpty { h += "<p class=\"theme\">\(e(table.theme))</p>\n" }
            for column in table.columns where column.column.kind != .project {
                h += "<h3>\(e(column.column.title))</h3>\n"
                let cards = column.column.kind == .idea ? column.cards.sorted { ($0.votes ?? 0) > ($1.votes ?? 0) } : column.cards
                if cards.isEmpty { h += "<p>Aucune carte.</p>\n"; continue }
                h += "<ul>\n"
                for card in cards {
                    h += "<li>\(e(card.text))"
                    if let votes = card.votes, column.column.kind == .idea || votes > 0 {
                        h += " <span class=\"votes\">\(votes) vote\(votes > 1 ? "s" : "")</span>"
                    }
                    if let cluster = card.cluster { h += " <span class=\"cluster\">\(e(cluster))</span>" }
                    h += "</li>\n"
                }
                h += "</ul>\n"
            }
            h += "<h3>Projets</h3>\n"
            let projects = o.projects.filter { $0.sheet.board == table.board.id }
            if projects.isEmpty { h += "<p>Aucun projet.</p>\n" }
            for p in projects {
                let s = p.sheet
                h += "<article class=\"project\">\n<h4>\(e(s.title)) <span class=\"status\">\(e(Labels.status(s.status)))</span></h4>\n"
                h += "<dl>\n"
                for f in Report.facts(p) { h += "<dt>\(e(f.term))</dt><dd>\(e(f.value))</dd>\n" }
                h += "</dl>\n"
                h += ProvenanceExport.html(s.id, log: provenance, state: workshop)
                h += "</article>\n"
            }
            h += "</section>\n"
        }
        h += "</main>\n</body>\n</html>\n"
        return Array(h.utf8)
    }

    /// What the report says of a project, for both renderings: each field of the form that has a
    /// value (its label, its value as a person reads it; the idea cards with their votes), then the
    /// submission.
    static func facts(_ p: Outcome.ProjectView) -> [(term: String, value: String)] {
        let s = p.sheet, w = p.workshop
        var out: [(term: String, value: String)] = []
        for f in w.form.fields where f.id != "title" {
            let value: String
            switch f.type {
            case .ideaCards:
                let ids = Set(s.values[f.id]?.list?.compactMap(\.string) ?? [])
                value = p.ideas.filter { ids.contains($0.id) }.map { $0.text + ($0.votes.map { " (\($0))" } ?? "") }.joined(separator: " ; ")
            case .problemCards:
                let ids = Set(s.values[f.id]?.list?.compactMap(\.string) ?? [])
                value = p.problems.filter { ids.contains($0.id) }.map(\.text).joined(separator: " ; ")
            case .euros:
                value = s.values[f.id]?.int.map(euros) ?? ""
            case .group where !f.isRepeatedGroup:
                for c in f.fields ?? [] {
                    let v = s.values[f.id]?[c.id]
                    let t = c.type == .euros ? (v?.int.map(euros) ?? "") : FormExport.text(v, c, in: w)
                    if !t.isEmpty { out.append(("\(f.label.fr) — \(c.label.fr)", t)) }
                }
                continue
            default:
                value = FormExport.text(s.values[f.id], f, in: w)
            }
            if !value.isEmpty { out.append((f.label.fr, value)) }
        }
        if let r = s.receipts.last {
            out.append(("Dépôt", r.channel == .demarches ? "Démarches Simplifiées n° \(r.number.map(String.init) ?? r.reference)" : "référence \(r.reference)"))
        }
        return out
    }

    static func participantsLine(_ o: Outcome) -> String {
        let n = o.contributors.count
        var line = "\(n) participant\(n > 1 ? "s" : "")"
        let orgs = Set(o.contributors.compactMap(\.contributor.organisation).filter { !$0.isEmpty }).sorted()
        if o.workshop.settings.listOrganisations && !orgs.isEmpty {
            line += ", des structures : " + orgs.joined(separator: ", ")
        } else {
            var kinds: [ActorKind: Int] = [:]
            for c in o.contributors { kinds[c.contributor.actor, default: 0] += 1 }
            let parts = ActorKind.allCases.compactMap { k in kinds[k].map { "\($0) \(Labels.actor(k))" } }
            if !parts.isEmpty { line += " (" + parts.joined(separator: ", ") + ")" }
        }
        return line + "."
    }

    static func supportText(_ s: SupportRequest) -> String {
        var parts: [String] = []
        if s.methodological { parts.append("appui méthodologique") }
        if let x = s.expertise, x > 0 { parts.append("financement d'expertise \(euros(x))") }
        if let g = s.grant, g > 0 { parts.append("subvention \(euros(g))") }
        return parts.isEmpty ? "aucun" : parts.joined(separator: ", ")
    }

    static func euros(_ n: Int) -> String {
        var digits = String(n)
        var groups: [String] = []
        while digits.count > 3 { groups.insert(String(digits.suffix(3)), at: 0); digits.removeLast(3) }
        groups.insert(digits, at: 0)
        return groups.joined(separator: "\u{202F}") + " €"
    }

    /// "29/11/2026 à 11 h 05", in the workshop's time zone (Europe/Paris unless the plan says).
    static func frenchDate(_ ms: Int64, timeZone: String = "Europe/Paris") -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "Europe/Paris")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        return String(format: "%02d/%02d/%04d à %02d h %02d", c.day ?? 0, c.month ?? 0, c.year ?? 0, c.hour ?? 0, c.minute ?? 0)
    }

    /// Text in HTML: markup in people's words shows as text.
    static func e(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Text in Markdown: people's words cannot become markup (links, HTML, headings).
    static func escapeMD(_ s: String) -> String {
        var out = ""
        for ch in s {
            if "\\`*_[]<>|#".contains(ch) { out.append("\\") }
            out.append(ch == "\n" ? " " : ch)
        }
        return out
    }
}
