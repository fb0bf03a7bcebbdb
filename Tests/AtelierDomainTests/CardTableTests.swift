import Testing
@testable import AtelierDomain

/// The card counts the limits read stay equal to counting the cards, through every change.
@Suite("Card table")
struct CardTableTests {
    func counted(_ t: CardTable, by author: ActorID) -> Int { t.values.filter { $0.author == author }.count }
    func counted(_ t: CardTable, on board: BoardID) -> Int { t.values.filter { $0.board == board }.count }

    @Test func countsFollowAddsMovesEditsAndDeletes() {
        var t = CardTable()
        func card(_ id: String, _ board: BoardID, _ author: ActorID?) -> Card {
            Card(id: id, board: board, column: "ideas", text: id, x: 0, y: 0, color: .yellow, author: author, createdSeq: 1)
        }
        t["c_1"] = card("c_1", "b_a", "p_1")
        t["c_2"] = card("c_2", "b_a", "p_1")
        t["c_3"] = card("c_3", "b_b", "p_2")
        t["c_4"] = card("c_4", "b_b", nil)            // a seeded card: nobody's
        t["c_1"]?.board = "b_b"                         // moved to another board
        t["c_2"]?.text = "edited"                       // changes nothing counted
        t["c_3"] = nil                                  // deleted
        t["c_9"] = nil                                  // deleting nothing changes nothing
        for author in ["p_1", "p_2", "p_3"] { #expect(t.count(by: author) == counted(t, by: author)) }
        for board in ["b_a", "b_b", "b_c"] { #expect(t.count(on: board) == counted(t, on: board)) }
        #expect((t.count(by: "p_1"), t.count(on: "b_a"), t.count(on: "b_b"), t.count) == (2, 1, 2, 3))
        var u = CardTable()
        for (id, c) in t { u[id] = c }
        #expect(u == t)
    }
}
