import AtelierDomain
import AtelierProtocol
import Foundation

/// The synthesis for the steering committee, in Markdown and in printable HTML, both rendered
/// from one ``ReportDocument``: the committee's view (coverage of the constats by orientation,
/// top ideas, each project's asks, the totals against the call's budget), then per table the
/// problems, the ideas with their votes, the projects. Built from ``Outcome`` (hidden cards left
/// out, no authors, organisations only when the workshop allows it).
public enum Report {
    public static func markdown(_ workshop: Workshop, generatedAt: Int64, provenance: ProvenanceLog? = nil) -> [UInt8] {
        Array(markdown(ReportDocument(workshop, generatedAt: generatedAt, provenance: provenance)).utf8)
    }

    public static func markdown(_ doc: ReportDocument) -> String {
        var md = ""
        func inline(_ runs: [ReportDocument.Inline]) -> String {
            runs.map { run in
                switch run {
                case .text(let t): escapeMD(t)
                case .badge(let t, kind: .votes): " — \(escapeMD(t))"
                case .badge(let t, kind: .cluster): " _(\(escapeMD(t)))_"
                case .badge(let t, kind: .status): " (\(escapeMD(t)))"
                }
            }.joined()
        }
        func render(_ blocks: [ReportDocument.Block]) {
            for block in blocks {
                switch block {
                case .heading(let level, let text, let badge):
                    md += String(repeating: "#", count: level) + " " + escapeMD(text) + (badge.map { " (\(escapeMD($0)))" } ?? "") + "\n\n"
                case .paragraph(let runs, let style):
                    switch style {
                    case .plain: md += inline(runs) + "\n\n"
                    case .theme: md += "_" + inline(runs) + "_\n\n"
                    case .alert: md += "**" + inline(runs) + "**\n\n"
                    }
                case .list(let items):
                    md += items.map { "- " + inline($0) }.joined(separator: "\n") + "\n\n"
                case .facts(let facts):
                    md += facts.map { "- \(escapeMD($0.term)) : \(escapeMD($0.value))" }.joined(separator: "\n") + "\n\n"
                case .table(let t):
                    md += "_\(escapeMD(t.caption))_\n\n"
                    md += "| " + t.header.map(escapeMD).joined(separator: " | ") + " |\n"
                    md += "|" + t.header.map { _ in " --- |" }.joined() + "\n"
                    for row in t.rows {
                        md += "| " + row.cells.map { row.marked ? "**\(escapeMD($0))**" : escapeMD($0) }.joined(separator: " | ") + " |\n"
                    }
                    md += "\n"
                case .group(_, let inner):
                    render(inner)
                }
            }
        }
        render(doc.blocks)
        return md
    }

    /// The report's styles, inline in every HTML report (the page needs nothing else, served or
    /// saved), and the same bytes as `web/css/report.css` for whoever styles a page like it.
    /// `ExportDetailTests` keeps the two equal.
    public static let css = """
        /* The printable synthesis (Report.html): calm, readable on paper and on screen, A4 when printed. */
        @page { size: A4; margin: 15mm 12mm; }
        body { font-family: system-ui, "DejaVu Sans", sans-serif; color: #1d2733; background: #fff; line-height: 1.5; margin: 0; }
        main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem; }
        h1 { font-size: 1.8rem; margin: 0 0 .5rem; }
        h2 { font-size: 1.4rem; border-bottom: 3px solid #1f4e8c; padding-bottom: .2rem; margin-top: 2.5rem; }
        h3 { font-size: 1.1rem; margin: 1.5rem 0 .4rem; color: #1f4e8c; }
        h4 { font-size: 1rem; margin: 1rem 0 .3rem; }
        h2, h3, h4 { break-after: avoid; }
        .theme { font-style: italic; color: #4a5663; }
        .votes, .status, .cluster { font-size: .85em; padding: 0 .4em; border-radius: .3em; background: #eef2f7; color: #1d2733; white-space: nowrap; }
        .project { border-left: 4px solid #2e7d4f; padding: .2rem 0 .2rem 1rem; margin: 1rem 0; break-inside: avoid; }
        .alert { border-left: 4px solid #b3261e; background: #fdecea; padding: .4rem .8rem; font-weight: 600; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0; }
        dt { font-weight: 600; }
        dd { margin: 0; }
        table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .85rem; break-inside: avoid; }
        caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
        th, td { border: 1px solid #8a96a3; padding: .25rem .4rem; text-align: left; vertical-align: top; }
        thead th { background: #eef2f7; }
        .num { text-align: center; }
        tr.uncovered th, tr.uncovered td { background: #fdecea; font-weight: 700; }
        @media print {
          main { padding: 0; max-width: none; }
          h2 { break-before: page; }
          .synthesis h2 { break-before: avoid; }
          thead { display: table-header-group; }
          tr, li, dt, dd { break-inside: avoid; }
          a { color: inherit; text-decoration: none; }
        }
        """

    /// A standalone, printable HTML page: its styles inline (a saved file keeps them), no
    /// external resource, A4 when printed.
    public static func html(_ workshop: Workshop, generatedAt: Int64, provenance: ProvenanceLog? = nil) -> [UInt8] {
        Array(html(ReportDocument(workshop, generatedAt: generatedAt, provenance: provenance)).utf8)
    }

    public static func html(_ doc: ReportDocument) -> String {
        var h = "<!doctype html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>Synthèse – \(e(doc.title))</title>\n<style>\n\(css)\n</style>\n</head>\n<body>\n<main>\n"
        func inline(_ runs: [ReportDocument.Inline]) -> String {
            runs.map { run in
                switch run {
                case .text(let t): e(t)
                case .badge(let t, let kind): " <span class=\"\(kind.rawValue)\">\(e(t))</span>"
                }
            }.joined()
        }
        func render(_ blocks: [ReportDocument.Block]) {
            for block in blocks {
                switch block {
                case .heading(let level, let text, let badge):
                    h += "<h\(level)>\(e(text))" + (badge.map { " <span class=\"status\">\(e($0))</span>" } ?? "") + "</h\(level)>\n"
                case .paragraph(let runs, let style):
                    h += (style == .plain ? "<p>" : "<p class=\"\(style.rawValue)\">") + inline(runs) + "</p>\n"
                case .list(let items):
                    h += "<ul>\n" + items.map { "<li>\(inline($0))</li>\n" }.joined() + "</ul>\n"
                case .facts(let facts):
                    h += "<dl>\n" + facts.map { "<dt>\(e($0.term))</dt><dd>\(e($0.value))</dd>\n" }.joined() + "</dl>\n"
                case .table(let t):
                    h += "<table>\n<caption>\(e(t.caption))</caption>\n<thead><tr>"
                    h += t.header.enumerated().map { "<th scope=\"col\"\($0.offset == 0 ? "" : " class=\"num\"")>\(e($0.element))</th>" }.joined()
                    h += "</tr></thead>\n<tbody>\n"
                    for row in t.rows {
                        h += row.marked ? "<tr class=\"uncovered\">" : "<tr>"
                        h += row.cells.enumerated().map { $0.offset == 0 ? "<th scope=\"row\">\(e($0.element))</th>" : "<td class=\"num\">\(e($0.element))</td>" }.joined()
                        h += "</tr>\n"
                    }
                    h += "</tbody>\n</table>\n"
                case .group(let kind, let inner):
                    let tag = kind == "project" ? "article" : kind == "provenance" ? "div" : "section"
                    h += "<\(tag) class=\"\(kind)\">\n"
                    render(inner)
                    h += "</\(tag)>\n"
                }
            }
        }
        render(doc.blocks)
        h += "</main>\n</body>\n</html>\n"
        return h
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
