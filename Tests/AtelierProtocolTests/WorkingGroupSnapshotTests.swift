import Foundation
import Testing
@testable import AtelierDomain
@testable import AtelierProtocol

/// What the snapshot says of working groups to each viewer (docs/protocol.md "Working groups"):
/// the facilitator's invitations never carry a secret or digest, and name no author where the
/// facilitator does not see authors; an invited person's snapshot is their table's alone.
@Suite("Working groups in the snapshot")
struct WorkingGroupSnapshotTests {
    func workshop(anonymous: Bool) -> Workshop {
        let columns = [Column(id: "ideas", title: "Idées", kind: .idea)]
        var w = Workshop(Blueprint(id: "w", title: "t", plan: "p",
                                   groups: [Group(id: "g_a", title: "A", theme: ""), Group(id: "g_b", title: "B", theme: "")],
                                   boards: [Board(id: "b_a", title: "A", group: "g_a", columns: columns),
                                            Board(id: "b_b", title: "B", group: "g_b", columns: columns)],
                                   phases: [Phase(id: "ideas", title: "I", open: [.idea])],
                                   settings: Settings(anonymous: anonymous, facilitatorSeesAuthors: false)))
        var seq = 0
        func add(_ body: EventBody, by: ActorID?) { seq += 1; w.apply(Event(seq: seq, at: Int64(seq), by: by, body: body)) }
        add(.participantJoined(Participant(id: "p_1", role: .participant, actor: .aci, group: "g_a", profile: Profile(name: "Alice", organisation: ""))), by: "p_1")
        add(.participantJoined(Participant(id: "p_2", role: .participant, actor: .aci, group: "g_b", profile: Profile(name: "Bruno", organisation: ""))), by: "p_2")
        add(.cardAdded(Card(id: "c_b", board: "b_b", column: "ideas", text: "Table B", x: 0, y: 0, color: .yellow, author: "p_2", createdSeq: 3)), by: "p_2")
        add(.groupOpened(WorkingGroup(group: "g_a", board: "b_a", purpose: "Suite", endsAt: 1_000_000)), by: Actor.facilitatorID)
        add(.workshopClosed, by: Actor.facilitatorID)
        add(.groupInvited(group: "g_a", invitation: GroupInvitation(id: "i_6", digest: "sha256:feedface", createdAt: 6)), by: Actor.facilitatorID)
        add(.participantJoined(Participant(id: "p_7", role: .participant, actor: .other, group: "g_a",
                                           profile: Profile(name: "Dana", organisation: ""), guestOf: "g_a")), by: "p_7")
        add(.cardAdded(Card(id: "c_8", board: "b_a", column: "ideas", text: "Après", x: 0, y: 0, color: .yellow, author: "p_1", createdSeq: 8)), by: "p_1")
        return w
    }

    func groups(_ w: Workshop, for viewer: Actor) throws -> (JSONValue, String) {
        let bytes = Outbound.snapshot(w, for: viewer) { _ in false }
        return (try JSONParser.parse(bytes), String(decoding: bytes, as: UTF8.self))
    }

    @Test func theFacilitatorSeesInvitationsAndChangesWithoutSecrets() throws {
        let (v, text) = try groups(workshop(anonymous: false), for: .facilitator)
        guard case .array(let list)? = v["workingGroups"] else { Issue.record("no workingGroups"); return }
        #expect(list.count == 1)
        #expect(list[0]["invitations"] == .array([.object([("id", .string("i_6")), ("createdAt", .string(timestamp(6)))])]))
        #expect(list[0]["since"]?["cards"] == .number(1) && list[0]["since"]?["members"] == .number(1))
        guard case .array(let changes)? = list[0]["since"]?["changes"] else { Issue.record("no changes"); return }
        #expect(changes.map { $0["by"] } == [JSONValue.string("p_7"), .string("p_1")])
        #expect(!text.contains("feedface"))
        // Anonymous, the facilitator not seeing authors: the card's author is not named.
        let (anonymous, _) = try groups(workshop(anonymous: true), for: .facilitator)
        guard case .array(let anonymousGroups)? = anonymous["workingGroups"],
              case .array(let hidden)? = anonymousGroups.first?["since"]?["changes"] else { Issue.record("no changes"); return }
        #expect(hidden.map { $0["by"] } == [JSONValue.string("p_7"), .null])
    }

    @Test func anInvitedPersonsSnapshotIsTheirTablesAlone() throws {
        let w = workshop(anonymous: false)
        let (v, text) = try groups(w, for: w.actor(for: w.participants["p_7"]!))
        guard case .array(let boards)? = v["boards"], case .array(let people)? = v["participants"],
              case .array(let cards)? = v["cards"], case .array(let list)? = v["workingGroups"] else { Issue.record("fields"); return }
        #expect(boards.map { $0["id"] } == [.string("b_a")])
        #expect(people.compactMap { $0["name"] } == [JSONValue.string("Alice"), .string("Dana")])
        #expect(cards.map { $0["id"] } == [.string("c_8")])
        #expect(list.count == 1 && list[0]["invitations"] == nil && list[0]["since"] == nil)
        #expect(!text.contains("Table B") && !text.contains("Bruno") && !text.contains("i_6"))
    }
}
