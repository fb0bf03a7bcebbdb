import Foundation
import Testing
@testable import AtelierDomain
import AtelierTestSupport
@testable import AtelierProtocol

func decode(_ s: String) -> Result<(id: String, message: Inbound), InboundError> {
    decodeClientMessage(Array(s.utf8))
}

@Suite("JSON")
struct JSONTests {
    @Test(arguments: [
        (#"{"a":1,"b":[true,false,null],"c":"é\n\u00e9\ud83d\ude00"}"#, true),
        (#"  [1, -2.5e3, 0.25]  "#, true),
        (#"{"a":}"#, false),
        (#"{"a":1,}"#, false),
        (#"[1 2]"#, false),
        (#"01"#, false),
        (#""\ud800""#, false),
        ("\"tab\tinside\"", false),
        (#"{"a":1} x"#, false),
        (#"nul"#, false),
        (#""\x""#, false),
        (#"1e999"#, false),
        ("", false),
    ])
    func parse(_ text: String, valid: Bool) {
        #expect(((try? JSONParser.parse(text)) != nil) == valid, "\(text)")
    }

    @Test func deepNestingIsRefusedNotCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }

    @Test func writerOutputParsesBack() throws {
        var w = JSONWriter()
        w.beginObject()
        w.key("text"); w.string("Guillemets \" et \\ et \u{01} et <script> et 😀")
        w.key("n"); w.number(1.5)
        w.key("i"); w.int(42)
        w.key("null"); w.string(nil as String?)
        w.key("list"); w.beginArray(); w.bool(true); w.number(3); w.endArray()
        w.endObject()
        let v = try JSONParser.parse(w.bytes)
        #expect(v["text"] == .string("Guillemets \" et \\ et \u{01} et <script> et 😀"))
        #expect(v["n"] == .number(1.5))
        #expect(v["i"] == .number(42))
        #expect(v["null"] == .null)
        #expect(v["list"] == .array([.bool(true), .number(3)]))
    }

    @Test func timestamps() {
        #expect(timestamp(0) == "1970-01-01T00:00:00.000Z")
        #expect(timestamp(1_795_860_131_120) == "2026-11-28T10:02:11.120Z")
        #expect(timestamp(951_782_400_000) == "2000-02-29T00:00:00.000Z")
    }

    /// A date that does not exist (a group's end date, a dossier's dates) is refused, not moved
    /// silently to the next month: "2027-02-30" is not the 2nd of March.
    @Test func timestampsOfDaysThatDoNotExistAreRefused() {
        #expect(milliseconds(fromTimestamp: "2000-02-29T00:00:00.000Z") == 951_782_400_000)
        #expect(milliseconds(fromTimestamp: "2026-11-28T10:02:11.120Z") == 1_795_860_131_120)
        #expect(milliseconds(fromTimestamp: "2024-02-29T12:00:00.000Z") != nil)
        for day in ["2027-02-29", "2027-02-30", "2026-11-31", "2026-04-31", "2026-06-31", "2026-09-31", "2100-02-29"] {
            #expect(milliseconds(fromTimestamp: day + "T12:00:00.000Z") == nil, "\(day)")
        }
        for month in 1...12 {
            let text = String(format: "2026-%02d-01T00:00:00.000Z", month)
            #expect(milliseconds(fromTimestamp: text).map(timestamp) == text)
        }
    }
}

@Suite("Client messages")
struct InboundTests {
    @Test func cardAdd() throws {
        let (id, m) = try decode(#"{"id": "m17", "type": "card.add", "board": "b_1", "column": "ideas", "text": "Mutualiser un poste de chargé d'insertion"}"#).get()
        #expect(id == "m17")
        #expect(m == .command(.cardAdd(board: "b_1", column: "ideas", text: "Mutualiser un poste de chargé d'insertion", x: nil, y: nil, color: nil)))
    }

    @Test func everyCoreCommand() throws {
        #expect(try decode(#"{"id":"1","type":"card.edit","card":"c_1","text":"t","version":3}"#).get().message == .command(.cardEdit(card: "c_1", text: "t", version: 3)))
        #expect(try decode(#"{"id":"1","type":"card.move","card":"c_1","x":1.5,"y":2,"column":"ideas"}"#).get().message == .command(.cardMove(card: "c_1", x: 1.5, y: 2, column: "ideas", board: nil)))
        #expect(try decode(#"{"id":"1","type":"card.delete","card":"c_1"}"#).get().message == .command(.cardDelete(card: "c_1")))
        #expect(try decode(#"{"id":"1","type":"vote.cast","card":"c_1"}"#).get().message == .command(.voteCast(card: "c_1")))
        #expect(try decode(#"{"id":"1","type":"vote.retract","card":"c_1"}"#).get().message == .command(.voteRetract(card: "c_1")))
        #expect(try decode(#"{"id":"1","type":"phase.set","phase":"ideas"}"#).get().message == .command(.phaseSet(phase: "ideas")))
        #expect(try decode(#"{"id":"1","type":"ping"}"#).get().message == .ping)
    }

    @Test func joinForms() throws {
        #expect(try decode(#"{"id":"1","type":"join","code":"K7Q4-ZP2M","name":"Marie Dupont","organisation":"ACI Le Pont","actor":"aci"}"#).get().message
                == .join(.code("K7Q4-ZP2M", profile: Profile(name: "Marie Dupont", organisation: "ACI Le Pont"), actor: .aci, group: nil, clientKey: nil)))
        #expect(try decode(#"{"id":"1","type":"join","token":"abc","since":41}"#).get().message == .join(.token("abc", since: 41)))
        #expect(try decode(#"{"id":"1","type":"join","workshop":"w_3","facilitatorKey":"k"}"#).get().message == .join(.facilitator(workshop: "w_3", key: "k", since: nil)))
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var text: String
        var code: ErrorCode
        var re: String?
        var testDescription: String { text }
    }

    @Test(arguments: [
        Bad(text: "not json", code: .badRequest, re: nil),
        Bad(text: "[1,2]", code: .badRequest, re: nil),
        Bad(text: #"{"type":"ping"}"#, code: .badRequest, re: nil),
        Bad(text: #"{"id":"","type":"ping"}"#, code: .badRequest, re: nil),
        Bad(text: #"{"id":7,"type":"ping"}"#, code: .badRequest, re: nil),
        Bad(text: #"{"id":"\#(String(repeating: "x", count: 65))","type":"ping"}"#, code: .badRequest, re: nil),
        Bad(text: #"{"id":"a\u0000b","type":"ping"}"#, code: .badRequest, re: nil),
        Bad(text: #"{"id":"a\nb","type":"ping"}"#, code: .badRequest, re: nil),
        Bad(text: #"{"id":"\u007f","type":"ping"}"#, code: .badRequest, re: nil),
        Bad(text: #"{"id":"1"}"#, code: .badRequest, re: "1"),
        Bad(text: #"{"id":"1","type":"card.fly"}"#, code: .unknownType, re: "1"),
        Bad(text: #"{"id":"1","type":"card.add","board":"b","column":"c"}"#, code: .badRequest, re: "1"),
        Bad(text: #"{"id":"1","type":"card.add","board":"b","column":"c","text":5}"#, code: .badRequest, re: "1"),
        Bad(text: #"{"id":"1","type":"card.add","board":"b c","column":"c","text":"t"}"#, code: .invalid, re: "1"),
        Bad(text: #"{"id":"1","type":"card.add","board":"b","column":"c","text":"t","color":"black"}"#, code: .invalid, re: "1"),
        Bad(text: #"{"id":"1","type":"card.edit","card":"c","text":"t","version":1.5}"#, code: .badRequest, re: "1"),
        Bad(text: #"{"id":"1","type":"card.move","card":"c","x":"1","y":2}"#, code: .badRequest, re: "1"),
        Bad(text: #"{"id":"1","type":"join","code":"X","name":"n","actor":"pirate"}"#, code: .invalid, re: "1"),
        Bad(text: #"{"id":"1","type":"join"}"#, code: .badRequest, re: "1"),
        Bad(text: #"{"id":"1","type":"join","token":"t","since":-1}"#, code: .invalid, re: "1"),
    ])
    func refused(_ bad: Bad) {
        switch decode(bad.text) {
        case .success(let m): Issue.record("accepted \(m)")
        case .failure(let e):
            #expect(e.error.code == bad.code)
            #expect(e.re == bad.re)
            #expect(!e.error.message.isEmpty)
        }
    }

    /// Random bytes from JSON's alphabet (seeded: a failure replays): never a trap, and every
    /// refusal is one of the protocol's codes with a French sentence.
    @Test func arbitraryBytesNeverTrap() {
        var rng = SplitMix(state: 0x41_54_45_4C_49_45_52)
        let alphabet = Array(#"{}[]":,0123456789.eE-+ abtrufnl\"#.utf8)
        var refused = 0
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<64, using: &rng)
            let bytes = (0..<n).map { _ in alphabet.randomElement(using: &rng)! }
            switch decodeClientMessage(bytes) {
            case .success(let (id, _)):
                #expect(!id.isEmpty)
            case .failure(let e):
                refused += 1
                #expect([.badRequest, .unknownType, .invalid].contains(e.error.code))
                #expect(e.error.message.count > 10)
            }
        }
        // Almost nothing random is a valid message; a decoder accepting junk would show here.
        #expect(refused >= 1990)
    }

    /// The id read without decoding (what a `rate_limited` refusal names): the top-level "id" when
    /// it is one the decoder would accept, wherever it stands; nil otherwise, never a trap.
    @Test func messageIDWithoutDecoding() {
        let cases: [(String, String?)] = [
            (#"{"id":"c1","type":"card.add","text":"x"}"#, "c1"),
            (#"{"type":"card.add","payload":{"id":"inner"},"text":"{\"id\":\"no\"}", "id" : "c2"}"#, "c2"),
            (#"{"type":"ping"}"#, nil),
            (#"{"id":""}"#, nil),
            (#"{"id":42}"#, nil),
            ("{\"id\":\"\(String(repeating: "a", count: maxMessageIDLength + 1))\"}", nil),
            (#"{"id":"a\u0001"}"#, nil),
            (#"[{"id":"c3"}]"#, nil),
            (#"{"id":"c4""#, "c4"),
            (#"{"x":[1,{"#, nil),
            ("", nil),
        ]
        for (text, id) in cases {
            #expect(clientMessageID(Array(text.utf8)) == id, "\(text)")
            if let id, case .success(let decoded) = decodeClientMessage(Array(text.utf8)) { #expect(decoded.id == id) }
        }
        var rng = SplitMix(state: 0x52_41_54_45)
        let alphabet = Array(#"{}[]":,0123456789.eE-+ abtrufnlid\"#.utf8)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            if case .success(let decoded) = decodeClientMessage(bytes) { #expect(clientMessageID(bytes) == decoded.id) }
        }
    }
}

@Suite("Server messages")
struct OutboundTests {
    @Test func ackShape() throws {
        let v = try JSONParser.parse(Outbound.ack(re: "m17", seq: 42, result: [("card", "c_9")]))
        #expect(v == .object([("type", .string("ack")), ("re", .string("m17")), ("seq", .number(42)),
                              ("result", .object([("card", .string("c_9"))]))]))
    }

    @Test func errorShape() throws {
        let v = try JSONParser.parse(Outbound.error(re: "m17", DomainError(.forbidden, "Seul l'animateur peut changer de phase.")))
        #expect(v["code"] == .string("forbidden"))
        #expect(v["message"] == .string("Seul l'animateur peut changer de phase."))
        #expect(v["re"] == .string("m17"))
    }

    @Test func cardAddedEvent() throws {
        let card = Card(id: "c_9", board: "b_1", column: "ideas", text: "<script>alert(1)</script>", x: 1, y: 2.5,
                        color: .pink, author: "p_3", createdSeq: 42)
        let bytes = Outbound.event(Event(seq: 42, at: 1_795_860_131_120, by: "p_3", body: .cardAdded(card)))
        let v = try JSONParser.parse(bytes)
        #expect(v["type"] == .string("card.added"))
        #expect(v["seq"] == .number(42))
        #expect(v["at"] == .string("2026-11-28T10:02:11.120Z"))
        #expect(v["card"]?["text"] == .string("<script>alert(1)</script>"))
        #expect(v["card"]?["votes"] == .null, "votes are hidden before the reveal")
        #expect(try JSONParser.parse(Outbound.event(Event(seq: 42, at: 0, by: "p_3", body: .cardAdded(card)), context: .init(revealed: true)))["card"]?["votes"] == .number(0))
        let anonymous = try JSONParser.parse(Outbound.event(Event(seq: 42, at: 0, by: "p_3", body: .cardAdded(card)), sight: .anonymous))
        #expect(anonymous["by"] == .null)
        #expect(anonymous["card"]?["author"] == .null)
    }

    @Test func snapshotHidesOthersVotes() throws {
        var w = Workshop(Blueprint(id: "w", title: "t", plan: "p", groups: [], boards: [],
                                   phases: [Phase(id: "ideas", title: "I", open: [.idea], voting: true)], settings: Settings()))
        w.cards["c_1"] = Card(id: "c_1", board: "b", column: "c", text: "t", x: 0, y: 0, color: .yellow, author: "p_1", createdSeq: 1)
        w.ballots = ["ideas": ["p_1": ["c_1": 2], "p_2": ["c_1": 1]]]
        let v = try JSONParser.parse(Outbound.snapshot(w, for: Actor(id: "p_1", role: .participant)) { _ in false })
        guard case .array(let cards)? = v["cards"] else { Issue.record("no cards"); return }
        #expect(cards[0]["votes"] == .null)
        #expect(v["myVotes"] == .object([("c_1", .number(2))]))
        let text = String(decoding: Outbound.snapshot(w, for: Actor(id: "p_2", role: .participant)) { _ in false }, as: UTF8.self)
        #expect(!text.contains("\"c_1\":2"), "another participant's dots never reach p_2")
    }

    /// vis-snapshot-private-cards and vis-facilitator-sees-authors-setting: a snapshot holds
    /// someone else's private card for nobody but its author and the facilitator, and names
    /// authors to the facilitator only when `facilitatorSeesAuthors`.
    @Test func snapshotHidesPrivateCardsAndAuthorsAsTheSettingsSay() throws {
        var w = Workshop(Blueprint(id: "w", title: "t", plan: "p", groups: [], boards: [],
                                   phases: [Phase(id: "ideas", title: "I", open: [.idea])],
                                   settings: Settings(privateWriting: true, anonymous: true, facilitatorSeesAuthors: false)))
        w.cards["c_1"] = Card(id: "c_1", board: "b", column: "c", text: "Secret de p_1", x: 0, y: 0, color: .yellow, author: "p_1",
                              createdSeq: 1, isPrivate: true)
        w.cards["c_2"] = Card(id: "c_2", board: "b", column: "c", text: "Public", x: 0, y: 0, color: .yellow, author: "p_1", createdSeq: 2)
        func cards(for viewer: Actor) throws -> [JSONValue] {
            guard case .array(let cards)? = try JSONParser.parse(Outbound.snapshot(w, for: viewer) { _ in false })["cards"] else { return [] }
            return cards
        }
        #expect(try cards(for: Actor(id: "p_2", role: .participant)).map { $0["id"] } == [.string("c_2")])
        #expect(try cards(for: Actor(id: "p_1", role: .participant)).map { $0["id"] } == [.string("c_1"), .string("c_2")])
        let forFacilitator = try cards(for: .facilitator)
        #expect(forFacilitator.map { $0["id"] } == [.string("c_1"), .string("c_2")])
        #expect(forFacilitator.allSatisfy { $0["author"] == .null }, "facilitatorSeesAuthors is off")
        w.settings.facilitatorSeesAuthors = true
        #expect(try cards(for: .facilitator).allSatisfy { $0["author"] == .string("p_1") })
        #expect(try cards(for: Actor(id: "p_2", role: .participant)).allSatisfy { $0["author"] == .null })
    }

    @Test func batchIsAnArrayOfMessages() throws {
        let v = try JSONParser.parse(Outbound.batch([Outbound.pong(re: "1", now: 0), Outbound.ack(re: "2", seq: 1, result: [])]))
        guard case .array(let items) = v else { Issue.record("not an array"); return }
        #expect(items.count == 2)
        #expect(items[1]["type"] == .string("ack"))
    }

    @Test func welcomeWithoutSnapshotCarriesEvents() throws {
        let e = Outbound.event(Event(seq: 5, at: 0, by: nil, body: .phaseChanged(phase: "ideas")))
        let v = try JSONParser.parse(Outbound.welcome(re: "1", seq: 5, you: You(participant: "p_3", token: "tok", role: .participant, group: "g"), snapshot: nil, events: [e]))
        #expect(v["workshop"] == nil)
        #expect(v["you"]?["token"] == .string("tok"))
        guard case .array(let events)? = v["events"] else { Issue.record("no events"); return }
        #expect(events.first?["phase"] == .string("ideas"))
    }
}

@Suite("Missing fields")
struct MissingFieldTests {
    /// A refused `project.ready` names each missing field by its wire name, so pages mark the
    /// field itself rather than guessing from the French phrase.
    @Test func aRefusedReadyNamesTheFieldsByTheirWireNames() throws {
        let blank = ProjectSheet(id: "j_1", board: "b_1", title: "Fiche", createdBy: nil, createdSeq: 1, phase: "p")
        let (missing, rules) = ProjectRules.readiness(of: blank, form: .legacy)
        #expect(missing.map(\.field) == ["summary", "problems", "cooperation", "orientation", "lead", "territory", "contact"])
        #expect(rules.map(\.rule) == ["support", "contact-reachable"])
        let error = DomainError(.invalid, "x", missing: missing.map(\.phrase), missingFields: missing.map(\.field), rules: rules)
        let v = try JSONParser.parse(Outbound.error(re: "r", error))
        #expect(v["missingFields"] == .array(missing.map { .string($0.field) }))
        guard case .array(let written)? = v["rules"] else { Issue.record("no rules"); return }
        #expect(written.first?["rule"] == .string("support"))
        #expect(written.first?["fields"] == .array([.string("support")]))
        #expect(written.first?["message"] == .string("Le soutien demandé est à préciser."))
    }
}
