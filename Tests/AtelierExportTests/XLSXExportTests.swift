import Foundation
import AtelierDomain
import Testing
@testable import AtelierExport

@Suite("XLSX export")
struct XLSXExportTests {
    func workshop() -> Workshop {
        let cols = [Column(id: "problems", title: "Constats", kind: .problem), Column(id: "ideas", title: "Idées", kind: .idea)]
        var w = Workshop(Blueprint(id: "w_1", title: "Atelier", plan: "p", groups: [Group(id: "g_a", title: "A", theme: "Thème")],
                                   boards: [Board(id: "b_a", title: "Table A", group: "g_a", columns: cols)],
                                   phases: [Phase(id: "ideas", title: "I", open: [.idea], voting: true)], settings: Settings()))
        w.cards["c_p"] = Card(id: "c_p", board: "b_a", column: "problems", text: "Peu de postes", x: 0, y: 0, color: .yellow, author: nil, createdSeq: 1)
        w.cards["c_q"] = Card(id: "c_q", board: "b_a", column: "problems", text: "Sans réponse", x: 0, y: 0, color: .yellow, author: nil, createdSeq: 2)
        w.cards["c_1"] = Card(id: "c_1", board: "b_a", column: "ideas", text: "Idée", x: 0, y: 0, color: .yellow, author: "p_1", createdSeq: 3)
        var hidden = Card(id: "c_h", board: "b_a", column: "ideas", text: "Carte modérée", x: 0, y: 0, color: .yellow, author: "p_1", createdSeq: 4)
        hidden.hidden = true
        w.cards[hidden.id] = hidden
        w.participants["p_1"] = Participant(id: "p_1", role: .participant, actor: .etti, group: "g_a",
                                            profile: Profile(name: "Marie Dupont", organisation: "ETTI Bourgogne"))
        w.ballots = ["ideas": ["p_1": ["c_1": 2]]]
        var sheet = ProjectSheet(id: "j_3", board: "b_a", title: "Fiche", createdBy: "p_1", createdSeq: 5, phase: "ideas")
        sheet.sources = ["c_1", "c_h"]
        sheet.problems = ["c_p"]
        sheet.lead = Organisation(name: "ACI Le Pont", actor: .aci, siret: "73282932000074")
        sheet.partners = [Partner(name: "EI Bâtir", actor: .ei, role: "co-employeur")]
        sheet.support = SupportRequest(methodological: true, expertise: 5000, grant: 12500)
        sheet.contact = Contact(name: "Marie", email: "m@example.org", phone: "+33 6 12 34 56 78")
        w.projects[sheet.id] = sheet
        return w
    }

    /// A cell by its column's title (a wrong title or row stops the test).
    func column(_ sheet: XLSXExport.Sheet, _ title: String, row: Int = 0) -> XLSXExport.Cell {
        sheet.rows[row][sheet.header.firstIndex(of: title)!]
    }

    @Test func xmlIsEscapedAndForbiddenCharactersAreLeftOut() {
        #expect(XLSXExport.escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;")
        #expect(XLSXExport.escape("x\u{0}\u{1}\u{8}\u{1B}y\u{FFFE}\u{FFFF}z") == "xyz")
        #expect(XLSXExport.escape("l1\nl2\tt\r") == "l1\nl2\tt\r")
        #expect(XLSXExport.escape("Créé 🎉 €") == "Créé 🎉 €")
        let cell = XLSXExport.cellXML(.text("<script>\u{7}"), ref: "A2")
        #expect(cell == "<c r=\"A2\" t=\"inlineStr\"><is><t xml:space=\"preserve\">&lt;script&gt;</t></is></c>")
    }

    @Test func columnNames() {
        #expect(XLSXExport.columnName(0) == "A")
        #expect(XLSXExport.columnName(25) == "Z")
        #expect(XLSXExport.columnName(26) == "AA")
        #expect(XLSXExport.columnName(27) == "AB")
        #expect(XLSXExport.columnName(701) == "ZZ")
        #expect(XLSXExport.columnName(702) == "AAA")
    }

    /// Identifiers are strings (leading zeros, "+", 14 digits kept); euros are numbers in the
    /// euro format; dates are day serials in the date format.
    @Test func cellsAreTyped() {
        let siret = XLSXExport.cellXML(.text("73282932000074"), ref: "M2")
        #expect(siret?.contains("t=\"inlineStr\"") == true && siret?.contains("<v>") == false)
        #expect(XLSXExport.cellXML(.text("01250"), ref: "A1")?.contains(">01250<") == true)
        #expect(XLSXExport.cellXML(.euros(12500), ref: "Q2") == "<c r=\"Q2\" s=\"2\"><v>12500</v></c>")
        #expect(XLSXExport.cellXML(.int(3), ref: "J2") == "<c r=\"J2\"><v>3</v></c>")
        #expect(XLSXExport.cellXML(.date(0), ref: "B2") == "<c r=\"B2\" s=\"3\"><v>25569</v></c>")
        #expect(XLSXExport.cellXML(.date(1_765_238_400_000), ref: "B2") == "<c r=\"B2\" s=\"3\"><v>46000</v></c>")
        #expect(XLSXExport.cellXML(.date(1_765_238_400_000 + 43_200_000), ref: "B2") == "<c r=\"B2\" s=\"3\"><v>46000.5</v></c>")
        #expect(XLSXExport.cellXML(.date(-86_400_000), ref: "B2") == "<c r=\"B2\" s=\"3\"><v>25568</v></c>")
        #expect(XLSXExport.cellXML(.empty, ref: "B2") == nil)
        #expect(XLSXExport.stylesXML.contains("numFmtId=\"164\" formatCode=\"#,##0.00\\ &quot;€&quot;\""))
        #expect(XLSXExport.stylesXML.contains("formatCode=\"dd/mm/yyyy hh:mm\""))
        #expect(XLSXExport.cellXML(.day(1_765_238_400_000), ref: "C2") == "<c r=\"C2\" s=\"4\"><v>46000</v></c>")
        #expect(XLSXExport.stylesXML.contains("numFmtId=\"166\" formatCode=\"dd/mm/yyyy\""))
        #expect(FormExport.cell(.text("2025-12-09"), FormField(id: "start", type: .date, label: Localized("Début")), in: workshop()) == .day(1_765_238_400_000))
    }

    @Test func sheetsAreTypedAndFollowThePrivacyRules() {
        var w = workshop()
        let sheets = XLSXExport.sheets(w)
        #expect(sheets.map(\.name) == ["Projets", "Partenaires", "Idées et votes", "Couverture des constats"])
        let projects = sheets[0]
        #expect(column(projects, "Structure porteuse — SIRET") == .text("73282932000074"))
        #expect(column(projects, "Personne à contacter — Téléphone") == .text("+33 6 12 34 56 78"))
        #expect(column(projects, "Soutien demandé — Subvention") == .euros(12500))
        #expect(column(projects, "Soutien demandé — Financement d'expertise") == .euros(5000))
        #expect(column(projects, "Soutien demandé — Accompagnement méthodologique") == .text("oui"))
        #expect(column(projects, "Structure porteuse — Type d'acteur") == .text("Atelier et chantier d'insertion (ACI)"))
        #expect(column(projects, "Votes") == .empty, "dots are secret until the reveal")
        #expect(column(projects, "Déposé le") == .empty)
        // A repeated group (here the partners) is a sheet of its own, one row per row of the group.
        #expect(sheets[1].header == ["Projet", "Titre du projet", "Ligne", "Nom", "Type d'acteur", "Rôle"])
        #expect(sheets[1].rows == [[.text("j_3"), .text("Fiche"), .int(1), .text("EI Bâtir"), .text("Entreprise d'insertion (EI)"), .text("co-employeur")]])
        #expect(sheets[2].rows.count == 1, "the hidden idea is left out")
        #expect(column(sheets[2], "Votes") == .empty)
        let constats = sheets[3]
        #expect(constats.rows.count == 2)
        #expect(column(constats, "Fiches projet liées") == .int(1))
        #expect(column(constats, "Idées liées") == .int(1), "the hidden source is not counted")
        #expect(column(constats, "Fiches projet liées", row: 1) == .int(0))
        let bytes = String(decoding: XLSXExport.document(w), as: UTF8.self)
        #expect(!bytes.contains("Carte modérée") && !bytes.contains("Marie Dupont") && !bytes.contains("p_1"))

        // Submitted on 2025-12-09 at 10:30 in Paris (09:30 UTC); the claim link is never shown.
        w.projects["j_3"]?.receipts = [Receipt(channel: .demarches, reference: "DS-1", url: "https://ds.example/commencer/secret",
                                               number: 1001, at: 1_765_238_400_000 + 34_200_000)]
        let submitted = XLSXExport.sheets(w)
        #expect(column(submitted[0], "Déposé le") == .date(1_765_238_400_000 + 37_800_000))
        #expect(column(submitted[0], "Numéro de dossier") == .text("1001"))
        #expect(!String(decoding: XLSXExport.document(w), as: UTF8.self).contains("commencer"))

        w.votesRevealed = true
        let after = XLSXExport.sheets(w)
        #expect(column(after[0], "Votes") == .int(2))
        #expect(column(after[2], "Votes") == .int(2))
    }

    @Test func worksheetsHaveAFrozenHeaderAndAnAutofilter() {
        let sheets = XLSXExport.sheets(workshop())
        let xml = XLSXExport.worksheetXML(sheets[0])
        #expect(xml.contains("<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"))
        #expect(xml.contains("<autoFilter ref=\"A1:AB2\"/>"))
        #expect(xml.contains("<dimension ref=\"A1:AB2\"/>"))
        #expect(XLSXExport.workbookXML(sheets).contains("&apos;Projets&apos;!$A$1:$AB$2"))
    }

    @Test func theWorkbookIsAStableZip() {
        #expect(StoredZip.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        let a = XLSXExport.document(workshop()), b = XLSXExport.document(workshop())
        #expect(a == b)
        #expect(Array(a.prefix(4)) == [0x50, 0x4B, 0x03, 0x04])
        #expect(Array(a.suffix(22).prefix(4)) == [0x50, 0x4B, 0x05, 0x06])
        #expect(ExportFormat.xlsx.contentType == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        #expect(ExportFormat.xlsx.fileName(title: "Atelier", createdAt: 0).hasSuffix(".xlsx"))
        #expect(ExportFormat.xlsx.isBinary && !ExportFormat.csv.isBinary)
    }
}
