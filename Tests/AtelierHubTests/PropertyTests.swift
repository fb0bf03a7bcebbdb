import AtelierDomain
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation
import PropertyBased
import Testing
@testable import AtelierHub

/// Turns a number into a command, a sender and arguments drawn from the current state, so random
/// runs mix valid and invalid commands on real objects (and shrink to short, readable runs).
func randomCommand(_ n: Int, state: Workshop, senders: [(ConnectionID, Actor)]) -> (ConnectionID, String) {
    let (connection, _) = senders[n % senders.count]
    let k = n / senders.count
    let cards = state.orderedCards.map(\.id) + ["c_nope"]
    let card = cards[k % cards.count]
    let boards = state.boards.map(\.id)
    let board = boards[(k / 3) % boards.count]
    let columns = ["problems", "ideas", "projects", "nope"]
    let column = columns[(k / 5) % columns.count]
    let clusters = state.orderedClusters.map(\.id) + ["k_nope"]
    let text = k % 17 == 0 ? "" : "texte \(n)"
    let version = state.cards[card]?.version ?? 1
    let people = state.orderedParticipants.map(\.id)
    let person = people.isEmpty ? "p_nope" : people[k % people.count]
    let commands = [
        #"{"type":"card.add","board":"\#(board)","column":"\#(column)","text":"\#(text)"}"#,
        #"{"type":"card.edit","card":"\#(card)","text":"\#(text) bis","version":\#(k % 4 == 0 ? version + 1 : version)}"#,
        #"{"type":"card.move","card":"\#(card)","x":\#(k % 300),"y":\#(k % 200),"column":"\#(column)"}"#,
        #"{"type":"card.delete","card":"\#(card)"}"#,
        #"{"type":"vote.cast","card":"\#(card)"}"#,
        #"{"type":"vote.retract","card":"\#(card)"}"#,
        #"{"type":"phase.set","phase":"\#(["problems", "ideas", "projects", "nope"][k % 4])"}"#,
        #"{"type":"settings.update","privateWriting":\#(k % 2 == 0),"anonymous":\#(k % 3 == 0)}"#,
        #"{"type":"votes.reveal"}"#,
        #"{"type":"cards.reveal"}"#,
        #"{"type":"cluster.create","board":"\#(board)","title":"Groupe \#(k)","cards":["\#(card)"]}"#,
        #"{"type":"card.cluster","card":"\#(card)","cluster":"\#(clusters[k % clusters.count])"}"#,
        #"{"type":"comment.add","card":"\#(card)","text":"\#(text)"}"#,
        #"{"type":"card.hide","card":"\#(card)"}"#,
        #"{"type":"card.restore","card":"\#(card)"}"#,
        #"{"type":"board.lock","board":"\#(board)"}"#,
        #"{"type":"board.unlock","board":"\#(board)"}"#,
        #"{"type":"rotation.advance"}"#,
        #"{"type":"participant.assign","participant":"\#(person)","group":"\#(state.groups[k % state.groups.count].id)"}"#,
        #"{"type":"workshop.pause"}"#,
        #"{"type":"workshop.resume"}"#,
        #"{"type":"timer.start","seconds":\#(k % 100)}"#,
    ]
    let body = commands[(k / 7) % commands.count]
    return (connection, #"{"id":"r\#(n)-\#(k)",\#(body.dropFirst())"#)
}

@Suite("Properties", .serialized)
struct PropertyTests {
    /// For any run of commands from a facilitator and three participants:
    /// - a refused command changes nothing (state before == state after);
    /// - the journal on disk replays to exactly the live state.
    @Test func rejectedCommandsChangeNothingAndTheJournalReplaysToTheLiveState() async {
        await propertyCheck(count: 40, input: Gen.int(in: 0...100_000).array(of: 1...40)) { numbers in
            let h = try! Harness()
            h.open(100)
            h.send(100, #"{"id":"f","type":"join","workshop":"\#(h.record.id)","facilitatorKey":"\#(h.record.facilitatorKey)"}"#)
            h.settle()
            var senders: [(ConnectionID, Actor)] = [(100, .facilitator)]
            for c in 1...3 {
                let w = h.join(ConnectionID(c), name: "P\(c)", group: c == 3 ? "g_cooperer" : "g_consolider")
                senders.append((ConnectionID(c), Actor(id: string(w["you"]?["participant"])!, role: .participant)))
            }
            let room = h.hub.rooms[h.record.id]!
            for n in numbers {
                let before = room.state
                let (connection, message) = randomCommand(n, state: room.state, senders: senders)
                h.send(connection, message)
                h.settle()
                let answer = h.transport.messages(to: connection).last { $0["re"] != nil && $0["re"] != .null }
                if answer?["type"] == .string("error") {
                    #expect(room.state == before, "refused \(message) changed the state")
                }
            }
            let replayed = try! h.store.loadWorkshop(id: h.record.id)!.state!
            #expect(replayed == room.state)
        }
    }
}
