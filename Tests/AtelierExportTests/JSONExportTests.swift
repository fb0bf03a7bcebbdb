import Foundation
import AtelierDomain
import AtelierProtocol
import Testing
@testable import AtelierExport

@Suite("JSON export")
struct JSONExportTests {
    func workshop() -> Workshop {
        let cols = [Column(id: "problems", title: "P", kind: .problem), Column(id: "ideas", title: "I", kind: .idea)]
        var w = Workshop(Blueprint(id: "w_1", title: "Atelier", plan: "p", groups: [Group(id: "g_a", title: "A", theme: "Thème")],
                                   boards: [Board(id: "b_a", title: "A", group: "g_a", columns: cols)],
                                   phases: [Phase(id: "ideas", title: "I", open: [.idea], voting: true)], settings: Settings()))
        w.cards["c_1"] = Card(id: "c_1", board: "b_a", column: "ideas", text: "Idée", x: 0, y: 0, color: .yellow, author: "p_1", createdSeq: 1)
        w.participants["p_1"] = Participant(id: "p_1", role: .participant, actor: .etti, group: "g_a",
                                            profile: Profile(name: "Marie Dupont", organisation: "ETTI Bourgogne"))
        w.ballots = ["ideas": ["p_1": ["c_1": 2]]]
        return w
    }

    @Test func documentIsVersionedAndComplete() throws {
        let v = try JSONParser.parse(JSONExport.document(workshop(), generatedAt: 0))
        #expect(v["schemaVersion"] == .number(2))
        #expect(v["workshop"]?["id"] == .string("w_1"))
        guard case .array(let tables)? = v["tables"], case .array(let columns)? = tables.first?["columns"],
              case .array(let cards)? = columns[1]["cards"] else {
            Issue.record("bad shape"); return
        }
        #expect(cards.first?["text"] == .string("Idée"))
        #expect(cards.first?["votes"] == .null, "dots are secret until the reveal, in the facilitator's export too")
        var revealed = workshop()
        revealed.votesRevealed = true
        let after = try JSONParser.parse(JSONExport.document(revealed, generatedAt: 0))
        guard case .array(let t)? = after["tables"], case .array(let cols)? = t.first?["columns"], case .array(let cs)? = cols[1]["cards"] else {
            Issue.record("bad shape"); return
        }
        #expect(cs.first?["votes"] == .number(2))
    }

    /// The report and the CSV show no dot before the reveal either.
    @Test func reportAndCSVShowNoVotesBeforeTheReveal() {
        var w = workshop()
        var sheet = ProjectSheet(id: "j_3", board: "b_a", title: "Fiche", createdBy: "p_1", createdSeq: 3, phase: "ideas")
        sheet.sources = ["c_1"]
        w.projects[sheet.id] = sheet
        let md = String(decoding: Report.markdown(w, generatedAt: 0), as: UTF8.self)
        #expect(!md.contains("2 votes") && !md.contains("Idée (2)"))
        #expect(!String(decoding: CSVExport.document(w, dialect: .rfc4180), as: UTF8.self).contains(",2,"))
        w.votesRevealed = true
        let after = String(decoding: Report.markdown(w, generatedAt: 0), as: UTF8.self)
        #expect(after.contains("2 votes"))
        #expect(String(decoding: CSVExport.document(w, dialect: .rfc4180), as: UTF8.self).contains(",2,"))
    }

    @Test func contributorsAreListedByOrganisationOnlyWhenAllowedAndNeverByName() throws {
        var w = workshop()
        let hidden = String(decoding: JSONExport.document(w, generatedAt: 0), as: UTF8.self)
        #expect(!hidden.contains("ETTI Bourgogne"))
        #expect(!hidden.contains("Marie Dupont"))
        w.settings.listOrganisations = true
        let listed = String(decoding: JSONExport.document(w, generatedAt: 0), as: UTF8.self)
        #expect(listed.contains("ETTI Bourgogne"))
        #expect(!listed.contains("Marie Dupont"))
    }

    @Test func anonymousWorkshopsExportNoAuthors() throws {
        var w = workshop()
        w.settings.anonymous = true
        let text = String(decoding: JSONExport.document(w, generatedAt: 0), as: UTF8.self)
        #expect(!text.contains("\"author\":\"p_1\""))
        #expect(text.contains("\"author\":null"))
    }

    /// exp-anonymous-contributors and exp-hidden-linked-problems: a sheet's provenance in an
    /// anonymous workshop lists no contributor (not even by kind of structure), and never a card
    /// the facilitator hid.
    @Test func aSheetsProvenanceKeepsAnonymityAndModeration() throws {
        var w = workshop()
        w.settings.listOrganisations = true
        w.cards["c_2"] = Card(id: "c_2", board: "b_a", column: "problems", text: "Constat masqué", x: 0, y: 0, color: .yellow,
                              author: "p_1", createdSeq: 2, hidden: true)
        var sheet = ProjectSheet(id: "j_3", board: "b_a", title: "Fiche", createdBy: "p_1", createdSeq: 3, phase: "ideas")
        sheet.problems = ["c_2"]
        sheet.sources = ["c_1"]
        w.projects[sheet.id] = sheet
        func project(_ w: Workshop) throws -> JSONValue {
            guard case .array(let projects)? = try JSONParser.parse(JSONExport.document(w, generatedAt: 0))["projects"], let p = projects.first else {
                throw ExportShapeError()
            }
            return p
        }
        let open = try project(w)
        #expect(open["provenance"]?["problems"] == .array([]), "the hidden card is not in the provenance")
        #expect(!String(decoding: JSONExport.document(w, generatedAt: 0), as: UTF8.self).contains("Constat masqué"))
        guard case .array(let contributors)? = open["contributors"] else { Issue.record("no contributors"); return }
        #expect(contributors.count == 1, "open workshop: the sheet's people, by structure")
        w.settings.anonymous = true
        #expect(try project(w)["contributors"] == .array([]), "anonymous workshop: nobody, not even by kind")
    }
}

struct ExportShapeError: Error {}

@Suite("CSV and report")
struct CSVAndReportTests {
    func workshop() -> Workshop {
        let cols = [Column(id: "problems", title: "Problèmes", kind: .problem), Column(id: "ideas", title: "Idées", kind: .idea)]
        var w = Workshop(Blueprint(id: "w_1", title: "Atelier", plan: "p", groups: [Group(id: "g_a", title: "Table A", theme: "")],
                                   boards: [Board(id: "b_a", title: "A", group: "g_a", columns: cols)],
                                   phases: [Phase(id: "ideas", title: "Idées", open: [.idea], voting: true)], settings: Settings()))
        w.cards["c_1"] = Card(id: "c_1", board: "b_a", column: "ideas", text: "Idée; avec \"guillemets\"\net retour", x: 0, y: 0, color: .yellow, author: "p_1", createdSeq: 1)
        w.cards["c_2"] = Card(id: "c_2", board: "b_a", column: "ideas", text: "Masquée", x: 0, y: 0, color: .yellow, author: "p_1", createdSeq: 2, hidden: true)
        w.participants["p_1"] = Participant(id: "p_1", role: .participant, actor: .etti, group: "g_a",
                                            profile: Profile(name: "Marie Dupont", organisation: "ETTI Bourgogne"))
        var p = ProjectSheet(id: "j_3", board: "b_a", title: "=SOMME(A1)", createdBy: "p_1", createdSeq: 3, phase: "ideas")
        p.sources = ["c_1"]
        p.support = SupportRequest(methodological: true, expertise: 1500, grant: nil)
        w.projects[p.id] = p
        return w
    }

    @Test func frenchExcelDialect() {
        let text = String(decoding: CSVExport.document(workshop()), as: UTF8.self)
        #expect(text.hasPrefix("\u{FEFF}Identifiant;Statut;Table;Titre;"))
        #expect(text.contains("\r\n"))
        #expect(text.contains(";1500,00;"))
        #expect(text.contains("\"Idée; avec \"\"guillemets\"\"\net retour\""), "fields with ; \" or line breaks are quoted")
        #expect(text.contains(";'=SOMME(A1);"), "a leading = never becomes a formula")
    }

    @Test func rfc4180Dialect() {
        let text = String(decoding: CSVExport.document(workshop(), dialect: .rfc4180), as: UTF8.self)
        #expect(text.hasPrefix("Identifiant,Statut,Table,Titre,"))
        #expect(text.contains(",1500.00,"))
    }

    /// What was not seen by the room does not leave it: a card still private (private writing,
    /// never revealed) and a hidden card are in no export, nor their comments; a revealed card is.
    @Test(arguments: [ExportFormat.json, .csv, .md, .html])
    func privateAndHiddenCardsStayInTheRoom(_ format: ExportFormat) {
        var w = workshop()
        w.cards["c_4"] = Card(id: "c_4", board: "b_a", column: "ideas", text: "Brouillon personnel", x: 0, y: 0, color: .blue,
                              author: "p_1", createdSeq: 4, isPrivate: true)
        w.cards["c_5"] = Card(id: "c_5", board: "b_a", column: "ideas", text: "Révélée à tous", x: 0, y: 0, color: .blue,
                              author: "p_1", createdSeq: 5)
        w.comments["k_6"] = Comment(id: "k_6", card: "c_4", text: "Remarque sur le brouillon", author: "p_1", createdSeq: 6)
        w.ballots["ideas"] = ["p_1": ["c_4": 2, "c_5": 1]]
        w.votesRevealed = true
        var sheet = w.projects["j_3"]!
        sheet.sources = ["c_1", "c_4", "c_2"]
        w.projects["j_3"] = sheet
        let text = String(decoding: format.document(w, generatedAt: 0), as: UTF8.self)
        // The CSV lists sheets only (with their linked cards); the others list the cards too.
        #expect(format == .csv ? text.contains("guillemets") : text.contains("Révélée à tous"))
        #expect(!text.contains("Brouillon personnel"))
        #expect(!text.contains("Remarque sur le brouillon"))
        #expect(!text.contains("Masquée"))
        #expect(!text.contains("c_4"), "not even its id, in a sheet's links")
        // The state itself is untouched: the facilitator still sees both in the room.
        #expect(w.cards["c_4"] != nil && w.cards["c_2"] != nil)
        #expect(w.published.voteCount("c_5") == 1 && w.published.voteCount("c_4") == 0)
    }

    @Test func reportLeavesOutHiddenCardsNamesAndOrganisationsUnlessAllowed() {
        var w = workshop()
        let md = String(decoding: Report.markdown(w, generatedAt: 0), as: UTF8.self)
        #expect(!md.contains("Masquée"))
        #expect(!md.contains("Marie Dupont"))
        #expect(!md.contains("ETTI Bourgogne"))
        #expect(md.contains("1 ETTI"))
        w.settings.listOrganisations = true
        let html = String(decoding: Report.html(w, generatedAt: 0), as: UTF8.self)
        #expect(html.contains("ETTI Bourgogne"))
        #expect(!html.contains("Masquée"))
        #expect(html.contains("1\u{202F}500 €"))
    }
}

@Suite("QR code")
struct QRCodeTests {
    /// The dark modules of the SVG, from its path.
    func modules(_ svg: String) -> (Set<[Int]>, Int) {
        let size = Int(svg.split(separator: "viewBox=\"0 0 ")[1].split(separator: " ")[0])!
        let d = svg.split(separator: " d=\"")[1].split(separator: "\"")[0]
        var dark = Set<[Int]>()
        for move in d.split(separator: "M").filter({ !$0.isEmpty }) {
            let xy = move.split(separator: "h")[0].split(separator: " ").map { Int($0)! }
            dark.insert(xy)
        }
        return (dark, size)
    }

    @Test func theJoinLinkBecomesARealQRCode() throws {
        let svg = String(decoding: try #require(QRCode.svg("http://127.0.0.1:8080/join.html?code=K7Q4-ZP2M", title: "Rejoindre <l'atelier>")), as: UTF8.self)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("Rejoindre &lt;l'atelier&gt;"))
        let (dark, size) = modules(svg)
        let width = size - 8
        #expect([21, 25, 29, 33, 37].contains(width), "a QR code version 1–5")
        // The three finder patterns: a dark 7×7 ring with a dark 3×3 centre, at three corners.
        for (ox, oy) in [(4, 4), (4 + width - 7, 4), (4, 4 + width - 7)] {
            for i in 0..<7 {
                #expect(dark.contains([ox + i, oy]) && dark.contains([ox + i, oy + 6]) && dark.contains([ox, oy + i]) && dark.contains([ox + 6, oy + i]))
            }
            #expect(!dark.contains([ox + 1, oy + 1]))
            #expect(dark.contains([ox + 3, oy + 3]))
        }
    }
}

/// Issue 12: after rotations, every export names what is on a board by the board's table (its
/// title and theme), never by the group of people sitting there now.
@Suite("Tables after rotation")
struct RotationNamingTests {
    @Test func exportsNameEachBoardsTableAfterTwoRotations() throws {
        let cols = [Column(id: "ideas", title: "Idées", kind: .idea)]
        var w = Workshop(Blueprint(id: "w_1", title: "Atelier", plan: "p",
                                   groups: [Group(id: "g_a", title: "Consolider", theme: "Fragilité des structures"),
                                            Group(id: "g_b", title: "Coopérer", theme: "Mutualisations"),
                                            Group(id: "g_c", title: "Entreprises", theme: "Économie classique")],
                                   boards: [Board(id: "b_a", title: "Consolider", group: "g_a", columns: cols, theme: "Fragilité des structures"),
                                            // A board from before boards had a theme: it is found from its first group.
                                            Board(id: "b_b", title: "Coopérer", group: "g_b", columns: cols),
                                            Board(id: "b_c", title: "Entreprises", group: "g_c", columns: cols, theme: "Économie classique")],
                                   phases: [Phase(id: "ideas", title: "Idées", open: [.idea])], settings: Settings()))
        for (board, text) in [("b_a", "Fonds de garantie"), ("b_b", "Groupement d'employeurs"), ("b_c", "Clauses sociales")] {
            w.cards["c_" + board] = Card(id: "c_" + board, board: board, column: "ideas", text: text, x: 0, y: 0, color: .yellow,
                                        author: nil, createdSeq: 1)
        }
        w.projects["j_1"] = ProjectSheet(id: "j_1", board: "b_b", title: "Un groupement", createdBy: nil, createdSeq: 2, phase: "ideas")
        for _ in 0..<2 {
            for i in w.boards.indices { w.boards[i].group = ["g_a", "g_b", "g_c"][(["g_a", "g_b", "g_c"].firstIndex(of: w.boards[i].group!)! + 2) % 3] }
        }
        #expect(w.boards.map(\.group) != ["g_a", "g_b", "g_c"], "the groups moved")

        let md = String(decoding: Report.markdown(w, generatedAt: 0), as: UTF8.self)
        for (title, theme, text) in [("Consolider", "Fragilité des structures", "Fonds de garantie"),
                                     ("Coopérer", "Mutualisations", "Groupement"),
                                     ("Entreprises", "Économie classique", "Clauses sociales")] {
            let section = try #require(md.components(separatedBy: "\n## ").first { $0.hasPrefix(title + "\n") }, "a section for \(title)")
            #expect(section.contains(theme) && section.contains(text), "\(title) shows its own theme and card")
        }
        let json = try JSONParser.parse(JSONExport.document(w, generatedAt: 0))
        guard case .array(let tables)? = json["tables"] else { Issue.record("no tables"); return }
        #expect(tables.map { $0["title"] } == [.string("Consolider"), .string("Coopérer"), .string("Entreprises")])
        #expect(tables.map { $0["theme"] } == [.string("Fragilité des structures"), .string("Mutualisations"), .string("Économie classique")])
        guard case .array(let projects)? = json["projects"] else { Issue.record("no projects"); return }
        #expect(projects.first?["provenance"]?["table"] == .string("Coopérer"), "a sheet is named by the table it was written at")
        let csv = String(decoding: CSVExport.document(w), as: UTF8.self)
        #expect(csv.contains(";Coopérer;"))
    }
}

@Suite("Download names")
struct DownloadNameTests {
    @Test func aDownloadIsNamedAfterTheWorkshopAndItsDayInParis() {
        // 2026-11-29 23:30 UTC is already the 30th in Paris.
        let at: Int64 = 1_795_995_000_000
        #expect(ExportFormat.csv.fileName(title: "Structurer et développer l'IAE en Saône-et-Loire", createdAt: at)
                == "atelier-structurer-et-developper-l-iae-en-saone-et-loire-2026-11-30.csv")
        #expect(ExportFormat.json.fileName(title: "«  »", createdAt: at) == "atelier-export-2026-11-30.json")
    }
}

/// Issue 13's spreadsheet and report findings.
@Suite("Export details")
struct ExportDetailTests {
    @Test func theReportsStylesAreTheServedSheetsAndInline() throws {
        let served = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../web/css/report.css").standardized.path, encoding: .utf8)
        #expect(served.trimmingCharacters(in: .whitespacesAndNewlines) == Report.css.trimmingCharacters(in: .whitespacesAndNewlines),
                "web/css/report.css and Report.css must stay the same")
        let w = Workshop(Blueprint(id: "w_1", title: "Atelier", plan: "p", groups: [], boards: [], phases: [Phase(id: "a", title: "A", open: [])],
                                   settings: Settings()))
        let html = String(decoding: Report.html(w, generatedAt: 0), as: UTF8.self)
        #expect(html.contains("<style>") && html.contains("break-inside: avoid"), "a saved report keeps its styles")
    }

    @Test func excelNeutralisesWhatWouldBecomeAFormulaOrANumberAndRFC4180WritesValuesAsTheyAre() {
        for text in ["+10 % de sorties", "-5 postes", "+33 6 12 34 56 78", "=SOMME(A1)", "@cmd", "\tx"] {
            #expect(CSVExport.quote(text, .excelFR).hasPrefix("'") || CSVExport.quote(text, .excelFR).hasPrefix("\"'"), "\(text)")
            #expect(CSVExport.quote(text, .rfc4180).replacingOccurrences(of: "\"", with: "") == text, "\(text) as it is")
        }
        #expect(CSVExport.quote("Ordinaire", .excelFR) == "Ordinaire")
    }

    @Test func aSIRETIsFourteenASCIIDigits() {
        #expect(ProjectRules.isValidSIRET("73282932000074"))
        #expect(!ProjectRules.isValidSIRET("７３２８２９３２０００７４"), "full-width digits")
        #expect(!ProjectRules.isValidSIRET("7328293200007٤"), "an Arabic-Indic digit")
    }
}
