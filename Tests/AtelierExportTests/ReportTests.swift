import Foundation
import AtelierDomain
import Testing
@testable import AtelierExport

/// Issue 13, item 9: one report model, two renderings with the same facts, and the steering
/// committee's synthesis driven by the plan's form.
@Suite("Report")
struct ReportTests {
    static let constats = [Constat(id: "fragilite", title: Localized("Une fragilité financière", "Financial fragility")),
                           Constat(id: "cooperation", title: Localized("Une coopération peu concrétisée", "Little cooperation")),
                           Constat(id: "gouvernance", title: Localized("Une gouvernance complexe", "Complex governance"))]

    static func form(budget: Int?) -> CallForm {
        CallForm(name: "Appel « Coopération »", budget: budget, constats: constats, fields: [
            FormField(id: "title", type: .text, label: Localized("Titre"), required: true),
            FormField(id: "sources", type: .ideaCards, label: Localized("Idées d'origine")),
            FormField(id: "constats", type: .constats, label: Localized("Constats")),
            FormField(id: "orientation", type: .orientations, label: Localized("Orientation")),
            FormField(id: "support", type: .group, label: Localized("Soutiens demandés"), fields: [
                FormField(id: "methodological", type: .yesNo, label: Localized("Accompagnement méthodologique")),
                FormField(id: "expertise", type: .euros, label: Localized("Financement d'expertise")),
                FormField(id: "grant", type: .euros, label: Localized("Subvention")),
            ], repeated: false),
            FormField(id: "totalBudget", type: .euros, label: Localized("Budget total")),
        ], asks: ["support"])
    }

    /// Two tables (two orientations), three constats, two sheets: one answers "fragilité" under
    /// the first orientation, the other "fragilité" and "coopération" under the second;
    /// "gouvernance" has no project.
    static func workshop(budget: Int? = 30000) -> Workshop {
        let cols = [Column(id: "problems", title: "Constats", kind: .problem), Column(id: "ideas", title: "Idées", kind: .idea),
                    Column(id: "projects", title: "Projets", kind: .project)]
        var w = Workshop(Blueprint(id: "w_1", title: "Atelier <IAE>", plan: "p",
                                   groups: [Group(id: "g_a", title: "Consolider", theme: "Fragilité"), Group(id: "g_b", title: "Coopérer", theme: "")],
                                   boards: [Board(id: "b_a", title: "Consolider", group: "g_a", columns: cols),
                                            Board(id: "b_b", title: "Coopérer", group: "g_b", columns: cols)],
                                   phases: [Phase(id: "ideas", title: "Idées", open: [.idea], voting: true)], settings: Settings(),
                                   form: form(budget: budget)))
        for (i, (id, board, text)) in [("c_1", "b_a", "Fonds de garantie"), ("c_2", "b_a", "Achats groupés"), ("c_3", "b_a", "Sans vote"),
                                       ("c_4", "b_a", "Quatrième idée"), ("c_5", "b_b", "Groupement d'employeurs | SIAE")].enumerated() {
            w.cards[id] = Card(id: id, board: board, column: "ideas", text: text, x: 0, y: 0, color: .yellow, author: nil, createdSeq: i + 1)
        }
        w.participants["p_1"] = Participant(id: "p_1", role: .participant, actor: .aci, group: "g_a", profile: nil)
        w.ballots = ["ideas": ["p_1": ["c_1": 3, "c_2": 1, "c_4": 2, "c_5": 1]]]
        w.votesRevealed = true
        w.projects["j_1"] = ProjectSheet(id: "j_1", board: "b_a", values: [
            "title": .text("Un fonds commun"), "sources": .list([.text("c_1")]), "constats": .list([.text("fragilite")]),
            "orientation": .text("g_a"),
            "support": .object(["methodological": .bool(true), "expertise": .int(8000), "grant": .int(15000)]),
            "totalBudget": .int(60000),
        ], createdBy: "p_1", createdSeq: 10, phase: "ideas")
        var ready = ProjectSheet(id: "j_2", board: "b_b", values: [
            "title": .text("Un groupement"), "constats": .list([.text("fragilite"), .text("cooperation")]),
            "orientation": .text("g_b"), "support": .object(["grant": .int(12500)]),
        ], createdBy: "p_1", createdSeq: 11, phase: "ideas")
        ready.status = .ready
        w.projects["j_2"] = ready
        return w
    }

    // MARK: Extracting the facts from each rendering

    /// The text of a Markdown rendering, word by word: markup and escapes removed.
    static func words(markdown md: String) -> [String] {
        var text = ""
        for line in md.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("|") && line.contains("---") { continue }
            var l = String(line)
            while l.hasPrefix("#") { l.removeFirst() }
            if l.hasPrefix("- ") { l.removeFirst(2) }
            l = l.replacingOccurrences(of: "**", with: " ")
            // Unescape `\x` (people's `|`, `_`… stay as text), then drop the markup left.
            var out = "", escaped = false
            for ch in l {
                if escaped { out.append(ch); escaped = false; continue }
                if ch == "\\" { escaped = true; continue }
                out.append("|_".contains(ch) ? " " : ch)
            }
            text += out + "\n"
        }
        return tokens(text)
    }

    /// The text of an HTML rendering, word by word: the head and tags removed, entities decoded.
    static func words(html: String) -> [String] {
        var body = html
        if let r = body.range(of: "</head>") { body = String(body[r.upperBound...]) }
        var text = "", inTag = false
        for ch in body {
            if ch == "<" { inTag = true; text.append(" "); continue }
            if ch == ">" { inTag = false; continue }
            if !inTag { text.append(ch) }
        }
        for (entity, ch) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: ch)
        }
        return tokens(text.replacingOccurrences(of: "|", with: " "))
    }

    /// Words with a letter or a digit, without the punctuation around them (separators such as
    /// " — " or " : " are presentation, not facts).
    static func tokens(_ text: String) -> [String] {
        text.split(whereSeparator: { $0.isWhitespace }).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "()—:,.;")) }
            .filter { $0.contains(where: { $0.isLetter || $0.isNumber }) }
    }

    /// The rows of each table: Markdown's pipe rows, HTML's `<tr>`s, as cell texts.
    static func rows(markdown md: String) -> [[String]] {
        md.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| ---") }.map { line in
            line.dropFirst(2).dropLast(2).components(separatedBy: " | ").map {
                $0.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "\\", with: "")
            }
        }
    }
    static func rows(html: String) -> [[String]] {
        html.components(separatedBy: "<tr").dropFirst().map { row in
            let cells = row.components(separatedBy: "</tr>")[0].components(separatedBy: "</t").dropLast()
            return cells.map {
                String($0.split(separator: ">", omittingEmptySubsequences: false).last ?? "")
                    .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&quot;", with: "\"")
                    .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            }
        }
    }

    @Test func markdownAndHTMLCarryTheSameFacts() {
        for w in [Self.workshop(), Self.workshop(budget: 20000), Self.workshop(budget: nil)] {
            let doc = ReportDocument(w, generatedAt: 1_795_995_000_000)
            let md = Report.markdown(doc), html = Report.html(doc)
            let fromMD = Self.words(markdown: md), fromHTML = Self.words(html: html)
            #expect(fromMD == fromHTML, "the same words in the same order")
            if fromMD != fromHTML {
                let i = zip(fromMD, fromHTML).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(fromMD.count, fromHTML.count)
                Issue.record("first difference at word \(i): \(fromMD[i..<min(i + 8, fromMD.count)]) vs \(fromHTML[i..<min(i + 8, fromHTML.count)])")
            }
            #expect(fromMD.count > 100, "a real report")
            #expect(Self.rows(markdown: md) == Self.rows(html: html), "the same tables, cell by cell")
            // The public entry points render that same model.
            #expect(String(decoding: Report.markdown(w, generatedAt: 1_795_995_000_000), as: UTF8.self) == md)
            #expect(String(decoding: Report.html(w, generatedAt: 1_795_995_000_000), as: UTF8.self) == html)
        }
        // The extraction sees a difference: a fact missing from one side.
        let doc = ReportDocument(Self.workshop(), generatedAt: 0)
        let html = Report.html(doc).replacingOccurrences(of: "Fonds de garantie", with: "")
        #expect(Self.words(markdown: Report.markdown(doc)) != Self.words(html: html))
    }

    @Test func theHTMLIsSelfContainedAndPrintsToA4() {
        let html = Report.html(ReportDocument(Self.workshop(), generatedAt: 0))
        #expect(html.contains("@page { size: A4"))
        #expect(html.contains("<style>"))
        for external in ["<link", "src=", "url(", "@import", "http://", "https://"] {
            #expect(!html.contains(external), "no external resource: \(external)")
        }
        #expect(Report.css.contains("table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .85rem; break-inside: avoid; }"))
        #expect(html.contains("&lt;IAE&gt;") && !html.contains("<IAE>"), "people's words stay text")
    }

    @Test func theCoverageMatrixCountsSheetsByConstatAndOrientation() throws {
        let md = Report.markdown(ReportDocument(Self.workshop(), generatedAt: 0))
        let rows = Self.rows(markdown: md)
        #expect(rows.first == ["Constat", "Consolider", "Coopérer", "Total"])
        #expect(rows.contains(["Une fragilité financière", "1", "1", "2"]))
        #expect(rows.contains(["Une coopération peu concrétisée", "0", "1", "1"]))
        #expect(rows.contains(["Une gouvernance complexe", "0", "0", "aucun projet"]))
        #expect(md.contains("**Constat sans projet : Une gouvernance complexe.**"))
        let html = Report.html(ReportDocument(Self.workshop(), generatedAt: 0))
        #expect(html.contains("<tr class=\"uncovered\"><th scope=\"row\">Une gouvernance complexe</th>"), "highlighted")
    }

    @Test func topIdeasOfEachTableByVotes() throws {
        let md = Report.markdown(ReportDocument(Self.workshop(), generatedAt: 0))
        let synthesis = try #require(md.components(separatedBy: "\n## Consolider\n").first)
        let top = try #require(synthesis.components(separatedBy: "### Idées les plus soutenues, par table\n\n").last)
        let consolider = try #require(top.components(separatedBy: "#### Consolider\n\n").last?.components(separatedBy: "\n\n").first)
        #expect(consolider == "- Fonds de garantie — 3 votes\n- Quatrième idée — 2 votes\n- Achats groupés — 1 vote", "the three best, by votes")
        #expect(top.contains("#### Coopérer\n\n- Groupement d'employeurs \\| SIAE — 1 vote"))
        var hidden = Self.workshop()
        hidden.votesRevealed = false
        let secret = Report.markdown(ReportDocument(hidden, generatedAt: 0))
        #expect(secret.contains("Les votes ne sont pas encore révélés"))
        #expect(!secret.contains("3 votes"), "votes are secret until revealed")
    }

    @Test func eachProjectsAsksAndTheTotalsAgainstTheBudget() {
        let md = Report.markdown(ReportDocument(Self.workshop(), generatedAt: 0))
        #expect(md.contains("#### Un fonds commun (Brouillon)\n\n- Table : Consolider\n- Accompagnement méthodologique : oui\n"
                            + "- Financement d'expertise : 8\u{202F}000 €\n- Subvention : 15\u{202F}000 €\n- Total demandé : 23\u{202F}000 €\n"), "\(md)")
        #expect(md.contains("- Total demandé (2 fiches) : 35\u{202F}500 €\n"))
        #expect(md.contains("- dont fiches prêtes, préparées ou déposées : 12\u{202F}500 €\n"))
        #expect(md.contains("- Financement d'expertise : 8\u{202F}000 €\n- Subvention : 27\u{202F}500 €\n- Total demandé (2 fiches)"))
        #expect(md.contains("- Budget de l'appel : 30\u{202F}000 €\n"))
        #expect(md.contains("**Le total demandé dépasse le budget de l'appel de 5\u{202F}500 €.**"))
        let within = Report.markdown(ReportDocument(Self.workshop(budget: 40000), generatedAt: 0))
        #expect(within.contains("Le total demandé tient dans le budget de l'appel : il reste 4\u{202F}500 €."))
        #expect(!within.contains("dépasse"))
        let none = Report.markdown(ReportDocument(Self.workshop(budget: nil), generatedAt: 0))
        #expect(none.contains("- Budget de l'appel : non indiqué\n") && none.contains("Le plan n'indique pas le budget de l'appel."))
    }

    /// A form with no constats, no orientations and its own ask: the synthesis follows it.
    @Test func anotherFormGetsItsOwnSynthesis() {
        var w = Self.workshop()
        w.form = CallForm(name: "Innovation sociale", budget: 50000, fields: [
            FormField(id: "title", type: .text, label: Localized("Nom du projet"), required: true),
            FormField(id: "team", type: .group, label: Localized("Équipe"), fields: [
                FormField(id: "person", type: .text, label: Localized("Personne")),
                FormField(id: "cost", type: .euros, label: Localized("Coût")),
            ]),
            FormField(id: "requested", type: .euros, label: Localized("Montant demandé")),
        ], asks: ["requested", "team.cost"])
        w.projects["j_1"]?.values = ["title": .text("La Maison du soir"), "requested": .int(20000),
                                     "team": .list([.object(["person": .text("Ana"), "cost": .int(1000)]), .object(["cost": .int(500)])])]
        w.projects["j_2"]?.values = ["title": .text("Le jardin"), "requested": .int(40000)]
        let doc = ReportDocument(w, generatedAt: 0)
        let md = Report.markdown(doc)
        #expect(md.contains("Le formulaire de cet appel ne relie pas les projets à des constats : pas de matrice de couverture."))
        #expect(md.contains("#### La Maison du soir (Brouillon)\n\n- Table : Consolider\n- Montant demandé : 20\u{202F}000 €\n- Coût : 1\u{202F}000 € ; 500 €\n- Total demandé : 21\u{202F}500 €\n"), "\(md)")
        #expect(md.contains("- Montant demandé : 60\u{202F}000 €\n- Coût : 1\u{202F}500 €\n- Total demandé (2 fiches) : 61\u{202F}500 €\n"))
        #expect(md.contains("dépasse le budget de l'appel de 11\u{202F}500 €"))
        #expect(Self.words(markdown: md) == Self.words(html: Report.html(doc)))
        // Without `asks`, the amounts of the sumAtMost rules are the asks.
        w.form.asks = nil
        w.form.rules = [EligibilityRule(id: "r", kind: .sumAtMost, paths: ["requested"], atMostValue: 50000, message: Localized("x"))]
        #expect(w.form.askPaths == ["requested"])
        #expect(Report.markdown(ReportDocument(w, generatedAt: 0)).contains("- Total demandé (2 fiches) : 60\u{202F}000 €\n"))
    }
}
