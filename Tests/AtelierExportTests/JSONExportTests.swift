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
        #expect(v["schemaVersion"] == .number(1))
        #expect(v["workshop"]?["id"] == .string("w_1"))
        guard case .array(let tables)? = v["tables"], case .array(let boards)? = tables.first?["boards"],
              case .array(let columns)? = boards.first?["columns"], case .array(let cards)? = columns[1]["cards"] else {
            Issue.record("bad shape"); return
        }
        #expect(cards.first?["text"] == .string("Idée"))
        #expect(cards.first?["votes"] == .number(2))
    }

    @Test func contributorsAreListedByOrganisationNotName() throws {
        let text = String(decoding: JSONExport.document(workshop(), generatedAt: 0), as: UTF8.self)
        #expect(text.contains("ETTI Bourgogne"))
        #expect(!text.contains("Marie Dupont"))
    }
}
