import AtelierDomain
import AtelierProtocol
import AtelierStore
import AtelierTestSupport
import AtelierTransport
import Foundation
import Synchronization
import Testing
@testable import AtelierHub

/// Stands in for libwebsockets: records what the hub sends, and runs posted jobs when the test
/// turns the loop. The store is a real one: SQLite, or PostgreSQL in the test cluster (`StoreKind`).
final class FakeTransport: TransportControl, @unchecked Sendable {
    let jobs = Mutex<[@Sendable () -> Void]>([])
    var sent: [(ConnectionID, [UInt8])] = []
    var closed: [(ConnectionID, UInt16)] = []
    func send(_ frame: OutboundFrame, to connection: ConnectionID) { sent.append((connection, frame.bytes)) }
    func close(_ connection: ConnectionID, code: UInt16, reason: String) { closed.append((connection, code)) }
    func post(_ job: @escaping @Sendable () -> Void) { jobs.withLock { $0.append(job) } }
    func runJobs() -> Bool {
        let batch = jobs.withLock { q in defer { q.removeAll() }; return q }
        batch.forEach { $0() }
        return !batch.isEmpty
    }
    /// Messages sent to one connection, flattened, as JSON.
    func messages(to connection: ConnectionID) -> [JSONValue] {
        sent.filter { $0.0 == connection }.map { try! JSONParser.parse($0.1) }
    }
}

final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64
    init(_ now: Int64) { self.now = now }
    func withLock<T>(_ body: (inout Int64) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(&now) }
}

final class Harness {
    let database: TestDatabase
    let store: any EventStore
    let transport = FakeTransport()
    let hub: Hub
    let record: WorkshopRecord
    /// The facilitator key in clear (the store keeps its digest only).
    let facilitatorKey = "facilitator-key-for-tests"
    var clockValue: Int64 = 1_795_860_000_000
    /// The hub's clock: 1 ms more at each reading, and `advance` for the minutes a test needs.
    let clock = TestClock(1_795_860_000_000)

    func advance(ms: Int64) { clock.withLock { $0 += ms } }

    convenience init(_ kind: StoreKind, maxConnectionsPerAddress: Int = 256) throws {
        try self.init(database: try TestDatabase.make(kind), maxConnectionsPerAddress: maxConnectionsPerAddress)
    }

    init(database: TestDatabase, node: String? = nil, maxConnectionsPerAddress: Int = 256) throws {
        self.database = database
        store = try database.open(node: node)
        let catalog = try PlanCatalog.load(directory: sessionsDirectory)
        if try store.workshopCount() == 0 {
            let created = NewWorkshop(plan: catalog.plans["iae-saone-et-loire"]!, title: nil, now: 0, facilitatorKey: facilitatorKey)
            try store.commit(created.batch)
        }
        record = try store.listWorkshops()[0]
        let clock = self.clock
        var configuration = HubConfiguration(adminToken: "admin-secret", plans: catalog, defaultPlan: "iae-saone-et-loire",
                                             publicURL: "http://test", maxConnectionsPerAddress: maxConnectionsPerAddress)
        configuration.codeFailureDelayMs = 1000
        hub = try Hub(configuration: configuration, store: store, transport: transport,
                      clock: { clock.withLock { $0 += 1; return $0 } })
    }

    /// A new server on the same database, this one stopped first (on PostgreSQL its sessions end,
    /// and with them the writer lock, as when a process ends).
    func restarted() throws -> Harness {
        (store as? PostgresStore)?.close()
        return try Harness(database: database)
    }

    /// Ends the loop turn and waits until every commit is done and its jobs ran.
    func settle() {
        let deadline = Date().addingTimeInterval(10)
        repeat {
            hub.transportTurnEnded()
            while transport.runJobs() { hub.transportTurnEnded() }
            if !hub.pipeline.inFlight {
                // Work handed to the replay queue (replay, exports) comes back as a posted job.
                hub.replay.queue.sync {}
                if transport.runJobs() { hub.transportTurnEnded(); continue }
                return
            }
            usleep(1000)
        } while Date() < deadline
        Issue.record("pipeline did not settle")
    }

    func open(_ c: ConnectionID) { hub.transportOpened(c, peer: "127.0.0.1") }
    func send(_ c: ConnectionID, _ json: String) { hub.transportReceived(c, message: Array(json.utf8)) }

    /// Joins connection `c` by code, settles, and returns the welcome.
    @discardableResult
    func join(_ c: ConnectionID, name: String = "Marie", group: String? = nil) -> JSONValue {
        open(c)
        let g = group.map { #","group":"\#($0)""# } ?? ""
        send(c, #"{"id":"j","type":"join","code":"\#(record.joinCode)","name":"\#(name)","organisation":"ACI","actor":"aci"\#(g)}"#)
        settle()
        return transport.messages(to: c).last { $0["type"] == .string("welcome") }!
    }
}

let sessionsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sessions").path

func string(_ v: JSONValue?) -> String? { if case .string(let s)? = v { return s }; return nil }
func int(_ v: JSONValue?) -> Int? { if case .number(let d)? = v { return Int(d) }; return nil }

@Suite("Hub", .serialized)
struct HubTests {
    @Test(arguments: StoreKind.allCases)
    func joinAddCardAndBroadcast(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        let a = h.join(1, name: "Marie")
        let group = try #require(string(a["you"]?["group"]))
        h.join(2, name: "Paul", group: group)
        // A learns that Paul joined, then that he is online, after A's own welcome.
        #expect(h.transport.messages(to: 1).suffix(2).map { $0["type"] } == [.string("participant.joined"), .string("presence")])

        let before = h.transport.sent.count
        h.send(1, #"{"id":"m1","type":"card.add","board":"b_\#(group.dropFirst(2))","column":"problems","text":"Mutualiser un poste"}"#)
        // The turn ends and the commit starts; until it returns (its job runs on the loop), nothing
        // of the command is sent: neither the ack nor the broadcast.
        h.hub.transportTurnEnded()
        #expect(h.hub.pipeline.inFlight)
        #expect(h.transport.sent.count == before)
        h.settle()
        let toA = h.transport.messages(to: 1)
        let ack = try #require(toA.last)
        #expect(ack["type"] == .string("ack"))
        #expect(ack["re"] == .string("m1"))
        let cardID = try #require(string(ack["result"]?["card"]))
        let added = try #require(h.transport.messages(to: 2).last)
        #expect(added["type"] == .string("card.added"))
        #expect(added["card"]?["id"] == .string(cardID))
        #expect(added["card"]?["text"] == .string("Mutualiser un poste"))
        // The event came before the ack on A's connection.
        #expect(toA[toA.count - 2]["type"] == .string("card.added"))
        // And it is on disk.
        let stored = try #require(try h.store.loadWorkshop(id: h.record.id))
        #expect(stored.state?.cards[cardID]?.text == "Mutualiser un poste")
    }

    @Test(arguments: StoreKind.allCases)
    func retriedMessageIsAnsweredAgainAndAppliedOnce(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        let w = h.join(1)
        let board = "b_" + string(w["you"]?["group"])!.dropFirst(2)
        let add = #"{"id":"m1","type":"card.add","board":"\#(board)","column":"problems","text":"Une fois"}"#
        h.send(1, add); h.settle()
        let first = h.transport.messages(to: 1).last!
        h.send(1, add); h.settle()
        let second = h.transport.messages(to: 1).last!
        #expect(first == second)
        let stored = try #require(try h.store.loadWorkshop(id: h.record.id))
        #expect(stored.state!.cards.values.filter { $0.text == "Une fois" }.count == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func retriedMessageAfterRestartIsAnsweredFromTheJournal(_ kind: StoreKind) throws {
        let h2: Harness
        let ack: JSONValue
        let token: String
        let add: String
        do {
            let h = try Harness(kind)
            let w = h.join(1)
            token = string(w["you"]?["token"])!
            add = #"{"id":"m-restart","type":"card.add","board":"b_\#(string(w["you"]?["group"])!.dropFirst(2))","column":"problems","text":"Survit"}"#
            h.send(1, add); h.settle()
            ack = h.transport.messages(to: 1).last!
            h2 = try h.restarted()
        }
        h2.open(7)
        h2.send(7, #"{"id":"r","type":"join","token":"\#(token)"}"#); h2.settle()
        h2.send(7, add); h2.settle()
        #expect(h2.transport.messages(to: 7).last == ack)
        let stored = try #require(try h2.store.loadWorkshop(id: h2.record.id))
        #expect(stored.state!.cards.values.filter { $0.text == "Survit" }.count == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func resumeWithSinceGetsExactlyTheMissedEvents(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        let wa = h.join(1, name: "A")
        let group = string(wa["you"]?["group"])!
        let wb = h.join(2, name: "B", group: group)
        let tokenB = string(wb["you"]?["token"])!
        let seenByB = int(wb["seq"])!
        h.hub.transportClosed(2)
        let board = "b_" + group.dropFirst(2)
        for n in 1...3 {
            h.send(1, #"{"id":"m\#(n)","type":"card.add","board":"\#(board)","column":"problems","text":"pendant l'absence \#(n)"}"#)
        }
        h.settle()
        h.open(3)
        h.send(3, #"{"id":"r","type":"join","token":"\#(tokenB)","since":\#(seenByB)}"#)
        h.settle()
        let welcome = try #require(h.transport.messages(to: 3).last)
        #expect(welcome["type"] == .string("welcome"))
        #expect(welcome["workshop"] == nil)
        guard case .array(let events)? = welcome["events"] else { Issue.record("no events"); return }
        #expect(events.compactMap { int($0["seq"]) } == [seenByB + 1, seenByB + 2, seenByB + 3])
        #expect(int(welcome["seq"]) == seenByB + 3)
    }

    @Test(arguments: StoreKind.allCases)
    func participantCannotChangePhaseButFacilitatorCan(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.join(1)
        h.send(1, #"{"id":"p","type":"phase.set","phase":"ideas"}"#); h.settle()
        let refused = h.transport.messages(to: 1).last!
        #expect(refused["type"] == .string("error"))
        #expect(refused["code"] == .string("forbidden"))

        h.open(2)
        h.send(2, #"{"id":"f","type":"join","workshop":"\#(h.record.id)","facilitatorKey":"wrong"}"#); h.settle()
        #expect(h.transport.messages(to: 2).last?["code"] == .string("unauthenticated"))

        h.open(3)
        h.send(3, #"{"id":"f","type":"join","workshop":"\#(h.record.id)","facilitatorKey":"\#(h.facilitatorKey)"}"#); h.settle()
        #expect(h.transport.messages(to: 3).last?["you"]?["role"] == .string("facilitator"))
        h.send(3, #"{"id":"p","type":"phase.set","phase":"ideas"}"#); h.settle()
        #expect(h.transport.messages(to: 3).last?["type"] == .string("ack"))
        #expect(h.transport.messages(to: 1).last?["type"] == .string("phase.changed"))
    }

    @Test(arguments: StoreKind.allCases)
    func commandsBeforeJoinAndBadInputGetErrors(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.open(1)
        h.send(1, #"{"id":"x","type":"card.delete","card":"c_1"}"#)
        h.send(1, "{oops")
        h.send(1, #"{"id":"y","type":"teleport"}"#)
        h.send(1, #"{"id":"z","type":"join","code":"ZZZZ-ZZZZ","name":"M","actor":"aci"}"#)
        h.settle()
        #expect(h.transport.messages(to: 1).map { string($0["code"]) } == ["unauthenticated", "bad_request", "unknown_type", "not_found"])
    }

    /// In an anonymous workshop one `card.add` is broadcast as two frames: the author's, naming
    /// them, and everyone else's, without the author. Each connection gets the one its sight allows.
    @Test func anAnonymousBroadcastNamesTheAuthorToTheAuthorOnly() throws {
        let h = try Harness(.sqlite)
        h.open(9)
        h.send(9, #"{"id":"f","type":"join","workshop":"\#(h.record.id)","facilitatorKey":"\#(h.facilitatorKey)"}"#); h.settle()
        h.send(9, #"{"id":"s","type":"settings.update","anonymous":true}"#); h.settle()
        #expect(h.transport.messages(to: 9).last?["type"] == .string("ack"))
        let a = h.join(1, name: "Marie")
        let group = try #require(string(a["you"]?["group"]))
        let marie = try #require(string(a["you"]?["participant"]))
        h.join(2, name: "Paul", group: group)
        h.send(1, #"{"id":"m1","type":"card.add","board":"b_\#(group.dropFirst(2))","column":"problems","text":"Sans nom"}"#)
        h.settle()
        func added(_ c: ConnectionID) -> JSONValue? { h.transport.messages(to: c).last { $0["type"] == .string("card.added") } }
        #expect(string(added(1)?["card"]?["author"]) == marie, "the author sees their own card as theirs")
        #expect(added(2)?["card"]?["author"] == .null, "another participant does not see who wrote it")
        #expect(string(added(2)?["card"]?["text"]) == "Sans nom")
    }

    @Test(arguments: StoreKind.allCases)
    func secretVotesReachOnlyTheVoter(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.open(9)
        h.send(9, #"{"id":"f","type":"join","workshop":"\#(h.record.id)","facilitatorKey":"\#(h.facilitatorKey)"}"#)
        h.send(9, #"{"id":"p","type":"phase.set","phase":"ideas"}"#)
        h.settle()
        let wa = h.join(1, name: "A")
        let group = string(wa["you"]?["group"])!
        h.join(2, name: "B", group: group)
        // B's idea (nobody votes for their own card).
        h.send(2, #"{"id":"i","type":"card.add","board":"b_\#(group.dropFirst(2))","column":"ideas","text":"Idée"}"#); h.settle()
        let card = string(h.transport.messages(to: 2).last?["result"]?["card"])!
        let sentToB = h.transport.sent.filter { $0.0 == 2 }.count
        h.send(1, #"{"id":"v","type":"vote.cast","card":"\#(card)"}"#); h.settle()
        #expect(h.transport.messages(to: 1).contains { $0["type"] == .string("vote.cast") })
        // B learns that one more person voted, never where.
        let toB = h.transport.sent.filter { $0.0 == 2 }.dropFirst(sentToB).map { String(decoding: $0.1, as: UTF8.self) }
        #expect(toB == [#"{"type":"votes.progress","voters":1}"#], "B receives the count of voters and nothing else of A's vote")
        // A's own dots come back in a new welcome, B's snapshot shows no count.
        h.open(3)
        h.send(3, #"{"id":"r","type":"join","token":"\#(string(wa["you"]?["token"])!)"}"#); h.settle()
        #expect(h.transport.messages(to: 3).last?["workshop"]?["myVotes"] == .object([(card, .number(1))]))
    }

    @Test(arguments: StoreKind.allCases)
    func groupCommitTakesEveryCommandOfATurnInOneTransaction(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        let w = h.join(1)
        let board = "b_" + string(w["you"]?["group"])!.dropFirst(2)
        let commitsBefore = h.hub.pipeline.commits
        for n in 0..<50 {
            h.send(1, #"{"id":"g\#(n)","type":"card.add","board":"\#(board)","column":"problems","text":"carte \#(n)"}"#)
        }
        h.settle()
        #expect(h.hub.pipeline.commits == commitsBefore + 1)
        #expect(h.transport.messages(to: 1).filter { $0["type"] == .string("ack") }.count == 50)
    }

    @Test(arguments: StoreKind.allCases)
    func httpCreateAndExport(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        var response: HTTPResponse?
        h.hub.transportHTTP(HTTPRequest(method: "POST", path: "/api/workshops", authorization: "Bearer wrong", body: [])) { response = $0 }
        #expect(response?.status == 403)
        h.hub.transportHTTP(HTTPRequest(method: "POST", path: "/api/workshops", body: [])) { response = $0 }
        #expect(response?.status == 401)
        h.hub.transportHTTP(HTTPRequest(method: "POST", path: "/api/workshops", authorization: "Bearer admin-secret",
                                        contentType: "application/json", body: Array("[".utf8))) { response = $0 }
        #expect(response?.status == 400)
        h.hub.transportHTTP(HTTPRequest(method: "POST", path: "/api/workshops", authorization: "Bearer admin-secret",
                                        contentType: "text/plain", body: Array("{}".utf8))) { response = $0 }
        #expect(response?.status == 415, "a body that is not JSON by its type")
        response = nil
        h.hub.transportHTTP(HTTPRequest(method: "POST", path: "/api/workshops", authorization: "Bearer admin-secret",
                                        contentType: "application/json; charset=utf-8", host: "atelier.test",
                                        body: Array(#"{"plan":"iae-saone-et-loire","title":"Atelier de mars"}"#.utf8))) { response = $0 }
        #expect(response == nil, "201 only after the commit")
        h.settle()
        let created = try JSONParser.parse(try #require(response).body)
        #expect(response?.status == 201)
        let id = try #require(string(created["id"]))
        // Links come from the configured public address, never from the request's Host.
        #expect(string(created["joinUrl"])?.hasPrefix("http://test/join.html?code=") == true)
        #expect(string(created["facilitatorUrl"])?.hasPrefix("http://test/facilitator.html#") == true)
        #expect(try h.store.loadWorkshop(id: id)?.state?.title == "Atelier de mars")

        h.hub.transportHTTP(HTTPRequest(method: "GET", path: "/api/workshops/\(id)/export", query: ["format": "json"],
                                        authorization: "Bearer \(string(created["facilitatorKey"])!)")) { response = $0 }
        h.settle()
        #expect(response?.status == 200)
        #expect(try JSONParser.parse(response!.body)["schemaVersion"] == .number(2))
        h.hub.transportHTTP(HTTPRequest(method: "GET", path: "/api/workshops/\(id)/export", authorization: "Bearer \(h.facilitatorKey)")) { response = $0 }
        #expect(response?.status == 403, "another workshop's key does not open this one")
        h.hub.transportHTTP(HTTPRequest(method: "GET", path: "/api/nothing")) { response = $0 }
        #expect(response?.status == 404)
        h.hub.transportHTTP(HTTPRequest(method: "GET", path: "/healthz")) { response = $0 }
        #expect(response?.status == 200)
    }

    @Test(arguments: StoreKind.allCases)
    func failedCommitShowsNothingAndReloadsFromTheJournal(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        let w = h.join(1)
        let board = "b_" + string(w["you"]?["group"])!.dropFirst(2)
        h.send(1, #"{"id":"ok","type":"card.add","board":"\#(board)","column":"problems","text":"Avant la panne"}"#); h.settle()
        // The disk turns read-only under the hub's feet.
        switch kind {
        case .sqlite:
            try TestDatabase.execute(h.store, "CREATE TRIGGER no_more BEFORE INSERT ON event BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        case .postgres:
            try TestDatabase.execute(h.store, """
                CREATE FUNCTION no_more() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
                CREATE TRIGGER no_more BEFORE INSERT ON event FOR EACH STATEMENT EXECUTE FUNCTION no_more();
                """)
        }
        let sentBefore = h.transport.sent.count
        h.send(1, #"{"id":"ko","type":"card.add","board":"\#(board)","column":"problems","text":"Pendant la panne"}"#); h.settle()
        let after = h.transport.sent[sentBefore...].map { try! JSONParser.parse($0.1) }
        #expect(after.count == 1)
        #expect(after.first?["type"] == .string("error"))
        #expect(after.first?["code"] == .string("internal"))
        #expect(h.transport.closed.contains { $0 == (1, CloseCode.internalError) })
        let room = try #require(h.hub.rooms[h.record.id])
        #expect(!room.state.cards.values.contains { $0.text == "Pendant la panne" }, "the room reloaded what is on disk")
        #expect(room.state.cards.values.contains { $0.text == "Avant la panne" })

        // The disk comes back: the workshop takes changes again, from where the journal is.
        try TestDatabase.execute(h.store, kind == .sqlite ? "DROP TRIGGER no_more" : "DROP TRIGGER no_more ON event")
        h.hub.transportClosed(1)
        h.open(2)
        h.send(2, #"{"id":"r","type":"join","token":"\#(string(w["you"]?["token"])!)"}"#)
        h.send(2, #"{"id":"ok2","type":"card.add","board":"\#(board)","column":"problems","text":"Après la panne"}"#)
        h.settle()
        #expect(h.transport.messages(to: 2).last?["type"] == .string("ack"))
        let stored = try #require(try h.store.loadWorkshop(id: h.record.id))
        #expect(stored.state?.cards.values.map(\.text).sorted() == room.state.cards.values.map(\.text).sorted())
        #expect(stored.state?.cards.values.contains { $0.text == "Après la panne" } == true)
    }
}

@Suite("Hub guards", .serialized)
struct HubGuardTests {
    /// hub-joins-per-address: 120 new participants a minute from one address (a room behind one
    /// Wi-Fi joins well within it); the 121st is `rate_limited`, and a minute later joins work again.
    @Test(arguments: StoreKind.allCases)
    func newParticipantsPerAddressAreLimited(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        for c in 1...120 { h.join(ConnectionID(c), name: "P\(c)") }
        #expect(h.transport.messages(to: 120).last?["type"] == .string("welcome"))
        h.open(121)
        h.send(121, #"{"id":"j","type":"join","code":"\#(h.record.joinCode)","name":"Un de trop","actor":"aci"}"#)
        h.settle()
        #expect(h.transport.messages(to: 121).last?["code"] == .string("rate_limited"))
        h.advance(ms: 61_000)
        h.send(121, #"{"id":"j2","type":"join","code":"\#(h.record.joinCode)","name":"Un de trop","actor":"aci"}"#)
        h.settle()
        #expect(h.transport.messages(to: 121).last?["type"] == .string("welcome"))
    }

    /// Remembered answers stay small (issue 11 #2): a stale `project.update` is answered `conflict`
    /// with the whole current sheet, but the copy kept for a retry leaves the sheet out; the retry
    /// still gets `conflict`, and nothing is applied.
    @Test(arguments: StoreKind.allCases)
    func rememberedConflictsLeaveTheSheetOut(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        let facilitator: ConnectionID = 9
        h.open(facilitator)
        h.send(facilitator, #"{"id":"f","type":"join","workshop":"\#(h.record.id)","facilitatorKey":"\#(h.facilitatorKey)"}"#)
        h.send(facilitator, #"{"id":"p","type":"phase.set","phase":"projects"}"#)
        h.settle()
        let w = h.join(1)
        let board = "b_" + string(w["you"]?["group"])!.dropFirst(2)
        h.send(1, #"{"id":"c","type":"project.create","board":"\#(board)","title":"Fiche"}"#)
        h.settle()
        let project = try #require(string(h.transport.messages(to: 1).last?["result"]?["project"]))
        let long = String(repeating: "Résumé très long. ", count: 110)
        h.send(1, #"{"id":"u","type":"project.update","project":"\#(project)","version":1,"fields":{"summary":"\#(long)"}}"#)
        h.settle()
        for n in 0..<20 {
            h.send(1, #"{"id":"stale\#(n)","type":"project.update","project":"\#(project)","version":1,"fields":{"title":"x"}}"#)
        }
        h.settle()
        let answers = h.transport.messages(to: 1).suffix(20)
        #expect(answers.allSatisfy { $0["code"] == .string("conflict") && $0["current"]?["summary"] != nil }, "the live answer carries the sheet")
        let room = try #require(h.hub.rooms[h.record.id])
        let actor = try #require(string(w["you"]?["participant"]))
        let kept = (0..<20).compactMap { room.answer(for: "stale\($0)", by: actor) }
        #expect(kept.count == 20)
        #expect(kept.allSatisfy { $0.count < 1024 }, "kept without the sheet: \(kept.map(\.count))")
        h.send(1, #"{"id":"stale3","type":"project.update","project":"\#(project)","version":2,"fields":{"title":"Nouveau"}}"#)
        h.settle()
        let retry = try #require(h.transport.messages(to: 1).last)
        #expect(retry["re"] == .string("stale3") && retry["code"] == .string("conflict"), "the same answer, not a new execution")
        #expect(room.state.projects[project]?.title == "Fiche")
    }

    /// rules-submit-facilitator: only the facilitator sends the sheets to the call for projects.
    @Test(arguments: StoreKind.allCases)
    func aParticipantCannotSubmitTheProjects(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.join(1)
        h.send(1, #"{"id":"s","type":"projects.submit","channel":"webhook"}"#)
        h.settle()
        let reply = try #require(h.transport.messages(to: 1).last)
        #expect(reply["re"] == .string("s"))
        #expect(reply["code"] == .string("forbidden"))
    }

    /// rules-presence-unknown-project: "I am editing" names a sheet that exists.
    @Test(arguments: StoreKind.allCases)
    func presenceOnAnUnknownSheetIsNotFound(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.join(1)
        h.join(2)
        let before = h.transport.messages(to: 2).count
        h.send(1, #"{"id":"e","type":"presence","project":"j_404","field":"title"}"#)
        h.settle()
        let reply = try #require(h.transport.messages(to: 1).last)
        #expect(reply["re"] == .string("e"))
        #expect(reply["code"] == .string("not_found"))
        #expect(h.transport.messages(to: 2).count == before, "nothing relayed")
    }

    /// Turns the loop until `done` (the delayed joins, 1 s here, were answered), 10 s at most.
    func turnUntil(_ h: Harness, _ done: () -> Bool) {
        let deadline = Date().addingTimeInterval(10)
        while !done() && Date() < deadline { usleep(10_000); h.settle() }
    }

    @Test(arguments: StoreKind.allCases)
    func guessingJoinCodesIsSlowedDown(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.open(1)
        // 30 wrong codes a minute from one address (docs/reliability.md); written here, not read from the code.
        for n in 0..<30 {
            h.send(1, #"{"id":"g\#(n)","type":"join","code":"AAAA-AAA\#(n)","name":"M","actor":"aci"}"#)
        }
        h.settle()
        #expect(h.transport.messages(to: 1).count == 30)
        #expect(h.transport.messages(to: 1).allSatisfy { $0["code"] == .string("not_found") })
        // From then on the address is slowed, not shut out: four joins at once wait, a fifth is refused.
        for n in 0..<5 {
            h.send(1, #"{"id":"s\#(n)","type":"join","code":"AAAA-BBB\#(n)","name":"M","actor":"aci"}"#)
        }
        h.settle()
        #expect(h.transport.messages(to: 1).count == 31, "only the fifth is answered at once")
        #expect(h.transport.messages(to: 1).last?["re"] == .string("s4"))
        #expect(h.transport.messages(to: 1).last?["code"] == .string("rate_limited"))
        turnUntil(h) { h.transport.messages(to: 1).count >= 35 }
        #expect(h.transport.messages(to: 1).count == 35)
        #expect(h.transport.messages(to: 1).suffix(4).allSatisfy { $0["code"] == .string("not_found") })
        // The right code still joins (after the delay): a room behind one address is never shut out.
        h.send(1, #"{"id":"right","type":"join","code":"\#(h.record.joinCode)","name":"M","actor":"aci"}"#)
        h.settle()
        #expect(h.transport.messages(to: 1).count == 35, "it waits (1 s here)")
        turnUntil(h) { h.transport.messages(to: 1).count >= 36 }
        #expect(h.transport.messages(to: 1).last?["type"] == .string("welcome"))
        // Another address is not affected at all.
        h.hub.transportOpened(2, peer: "10.0.0.2")
        h.send(2, #"{"id":"right","type":"join","code":"\#(h.record.joinCode)","name":"M","actor":"aci"}"#)
        h.settle()
        #expect(h.transport.messages(to: 2).last?["type"] == .string("welcome"))
    }

    /// Issue 12: the home page checks a code before asking for a name; the check counts against
    /// guessing like a join by code, and the right code always answers.
    @Test(arguments: StoreKind.allCases)
    func aCodeIsCheckedBeforeTheJoinForm(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        func check(_ code: String, from peer: String = "127.0.0.1") -> HTTPResponse? {
            var response: HTTPResponse?
            h.hub.transportHTTP(HTTPRequest(method: "GET", path: "/api/codes/\(code)", peer: peer)) { response = $0 }
            turnUntil(h) { response != nil }
            return response
        }
        let right = try #require(check(h.record.joinCode.lowercased().replacingOccurrences(of: "-", with: "")))
        #expect(right.status == 200)
        let body = try JSONParser.parse(right.body)
        #expect(body["code"] == .string(h.record.joinCode))
        #expect(body["title"] != nil)
        #expect(check("ZZZZ-ZZZZ")?.status == 404)
        for n in 0..<29 { _ = check("AAAA-AAA\(n)") }
        // 30 wrong codes: from then on each check from that address waits, the right one still answers.
        let started = Date()
        #expect(check(h.record.joinCode)?.status == 200)
        #expect(Date().timeIntervalSince(started) >= 0.9, "it waited (1 s here)")
        #expect(check(h.record.joinCode, from: "10.0.0.2")?.status == 200, "another address is not slowed")
        // And a join by code from the guessing address is slowed as well: the two count together.
        #expect(h.hub.codeFailuresExceeded("127.0.0.1"))
    }

    /// With 29 wrong codes, five joins at once are all answered at once (the 30th is the last allowed).
    @Test(arguments: StoreKind.allCases)
    func twentyNineWrongCodesSlowNothing(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.open(1)
        for n in 0..<29 { h.send(1, #"{"id":"g\#(n)","type":"join","code":"AAAA-AAA\#(n)","name":"M","actor":"aci"}"#) }
        h.settle()
        h.send(1, #"{"id":"right","type":"join","code":"\#(h.record.joinCode)","name":"M","actor":"aci"}"#)
        h.settle()
        #expect(h.transport.messages(to: 1).last?["type"] == .string("welcome"))
    }

    @Test(arguments: StoreKind.allCases)
    func aSecondJoinOnTheSameConnectionIsRefused(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.join(1)
        h.send(1, #"{"id":"again","type":"join","code":"\#(h.record.joinCode)","name":"M","actor":"aci"}"#)
        h.settle()
        #expect(h.transport.messages(to: 1).last?["code"] == .string("invalid"))
    }

    @Test(arguments: StoreKind.allCases)
    func unknownTokenIsUnauthenticated(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.open(1)
        h.send(1, #"{"id":"t","type":"join","token":"nope"}"#)
        h.settle()
        #expect(h.transport.messages(to: 1).last?["code"] == .string("unauthenticated"))
    }

    @Test(arguments: StoreKind.allCases)
    func joinCodeIsCaseAndSeparatorInsensitive(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.open(1)
        let typed = h.record.joinCode.lowercased().replacingOccurrences(of: "-", with: " ")
        h.send(1, #"{"id":"j","type":"join","code":"\#(typed)","name":"M","actor":"aci"}"#)
        h.settle()
        #expect(h.transport.messages(to: 1).last?["type"] == .string("welcome"))
    }
}

@Suite("Flood and connection limits", .serialized)
struct LimitTests {
    @Test(arguments: StoreKind.allCases)
    func floodingGetsRateLimitedThenClosed(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.join(1)
        // The harness clock advances 1 ms per reading: 300 messages arrive "at once".
        for n in 0..<300 { h.send(1, #"{"id":"f\#(n)","type":"ping"}"#) }
        h.settle()
        let replies = h.transport.messages(to: 1)
        let limited = replies.filter { $0["code"] == .string("rate_limited") }
        #expect(!limited.isEmpty)
        #expect(replies.filter { $0["type"] == .string("pong") }.count < 300)
        #expect(h.transport.closed.contains { $0 == (1, 4002) })
        // Each refusal names the message it refused (the web client sends that one again later),
        // and those are exactly the pings that got no pong.
        let refused = Set(limited.compactMap { m -> String? in if case .string(let id)? = m["re"] { id } else { nil } })
        let answered = Set(replies.filter { $0["type"] == .string("pong") }.compactMap { m -> String? in if case .string(let id)? = m["re"] { id } else { nil } })
        #expect(refused.count == limited.count, "every rate_limited error carries its message's id")
        #expect(refused.isDisjoint(with: answered))
        #expect(refused.allSatisfy { $0.hasPrefix("f") })
    }

    @Test func rateLimiterAllowsASteadyPace() {
        var limiter = RateLimiter(policy: .init(rate: 10, burst: 5, strikes: 3), now: 0)
        var verdicts: [RateLimiter.Verdict] = []
        for n in 0..<100 { verdicts.append(limiter.admit(now: Int64(n) * 100, policy: .init(rate: 10, burst: 5, strikes: 3))) }
        #expect(verdicts.allSatisfy { $0 == .allow }, "10 per second at 10 per second")
        var burst = RateLimiter(policy: .init(rate: 10, burst: 5, strikes: 3), now: 0)
        let quick = (0..<8).map { _ in burst.admit(now: 0, policy: .init(rate: 10, burst: 5, strikes: 3)) }
        #expect(quick == [.allow, .allow, .allow, .allow, .allow, .refuse, .refuse, .close])
    }

    @Test(arguments: StoreKind.allCases)
    func tooManyConnectionsFromOneAddress(_ kind: StoreKind) throws {
        let h = try Harness(kind, maxConnectionsPerAddress: 3)
        for c in 1...4 { h.open(ConnectionID(c)) }
        #expect(h.transport.closed.map(\.0) == [4])
        h.hub.transportClosed(4)
        h.hub.transportClosed(1)
        h.open(5)
        #expect(h.transport.closed.map(\.0) == [4], "a freed slot can be taken again")
    }
}

@Suite("Idempotent joins", .serialized)
struct JoinKeyTests {
    @Test(arguments: StoreKind.allCases)
    func aJoinRetriedWithTheSameClientKeyIsTheSamePerson(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        let join = #"{"id":"j","type":"join","code":"\#(h.record.joinCode)","name":"Marie","actor":"aci","clientKey":"k-123456"}"#
        h.open(1); h.send(1, join); h.settle()
        let first = try #require(h.transport.messages(to: 1).last)
        h.hub.transportClosed(1)
        h.open(2); h.send(2, join); h.settle()
        let second = try #require(h.transport.messages(to: 2).last)
        #expect(first["you"] == second["you"])
        #expect(h.hub.rooms[h.record.id]!.state.participants.count == 1)
        // And after a restart: the same person, with a new token (only the first one's digest
        // was stored), which replaces the first.
        let h2 = try h.restarted()
        h2.open(3); h2.send(3, join); h2.settle()
        let third = try #require(h2.transport.messages(to: 3).last?["you"])
        #expect(third["participant"] == first["you"]?["participant"])
        #expect(third["token"] != first["you"]?["token"])
        #expect(h2.hub.rooms[h.record.id]!.state.participants.count == 1)
        guard case .string(let oldToken)? = first["you"]?["token"], case .string(let newToken)? = third["token"] else {
            Issue.record("no tokens"); return
        }
        h2.open(4); h2.send(4, #"{"id":"r","type":"join","token":"\#(oldToken)"}"#); h2.settle()
        #expect(h2.transport.messages(to: 4).last?["type"] == .string("error"), "the replaced token opens nothing")
        h2.open(5); h2.send(5, #"{"id":"r","type":"join","token":"\#(newToken)"}"#); h2.settle()
        #expect(h2.transport.messages(to: 5).last?["type"] == .string("welcome"))
    }

    @Test(arguments: StoreKind.allCases)
    func theFacilitatorLearnsTheJoinCode(_ kind: StoreKind) throws {
        let h = try Harness(kind)
        h.open(1)
        h.send(1, #"{"id":"f","type":"join","workshop":"\#(h.record.id)","facilitatorKey":"\#(h.facilitatorKey)"}"#)
        h.settle()
        #expect(h.transport.messages(to: 1).last?["you"]?["joinCode"] == .string(h.record.joinCode))
        let p = h.join(2)
        #expect(p["you"]?["joinCode"] == nil)
    }
}

/// Several nodes on one PostgreSQL database (issue 15, part 2): a node serves only the workshops
/// whose lease it holds; a connection for another one is closed with 4004, and a node whose lease
/// was taken over closes its clients with 4004 and writes nothing more.
@Suite("Several nodes", .serialized)
struct SeveralNodesHubTests {
    @Test func aConnectionForAWorkshopServedElsewhereIsClosedWith4004() throws {
        let database = try TestDatabase.make(.postgres)
        let a = try Harness(database: database, node: "a")  // creates the workshop: a serves it
        let b = try Harness(database: database, node: "b")
        #expect(b.hub.rooms.isEmpty, "a node loads no workshop before it serves it")
        let code = #"{"id":"j","type":"join","code":"\#(a.record.joinCode)","name":"Marie","organisation":"ACI","actor":"aci"}"#
        b.open(1); b.send(1, code); b.settle()
        #expect(b.transport.closed.contains { $0 == (1, CloseCode.servedElsewhere) })
        #expect(b.transport.messages(to: 1).isEmpty, "no welcome, no error: the client reconnects")
        b.open(2); b.send(2, #"{"id":"f","type":"join","workshop":"\#(a.record.id)","facilitatorKey":"\#(a.facilitatorKey)"}"#); b.settle()
        #expect(b.transport.closed.contains { $0 == (2, CloseCode.servedElsewhere) })
        // On a, the same joins are welcomed; a's participant resumes on b with 4004 too.
        let welcome = a.join(1)
        #expect(welcome["type"] == .string("welcome"))
        let token = try #require(string(welcome["you"]?["token"]))
        b.open(3); b.send(3, #"{"id":"r","type":"join","token":"\#(token)"}"#); b.settle()
        #expect(b.transport.closed.contains { $0 == (3, CloseCode.servedElsewhere) })
        // The HTTP API answers 421 for it on b.
        var response: HTTPResponse?
        b.hub.transportHTTP(HTTPRequest(method: "GET", path: "/api/workshops/\(a.record.id)/export", authorization: "Bearer \(a.facilitatorKey)")) { response = $0 }
        b.settle()
        #expect(response?.status == 421)
    }

    @Test func aNodeWhoseLeaseIsTakenOverClosesItsClientsAndWritesNothingMore() throws {
        let database = try TestDatabase.make(.postgres)
        let a = try Harness(database: database, node: "a")
        let w = a.join(1)
        let board = "b_" + string(w["you"]?["group"])!.dropFirst(2)
        let token = try #require(string(w["you"]?["token"]))
        a.send(1, #"{"id":"c1","type":"card.add","board":"\#(board)","column":"problems","text":"Avant la reprise"}"#); a.settle()
        #expect(a.transport.messages(to: 1).last?["type"] == .string("ack"))
        // a stalls past its lease; b takes the workshop over when a client comes to it.
        try TestDatabase.execute(a.store, "UPDATE workshop SET lease_until = now() - interval '1 second'")
        let b = try Harness(database: database, node: "b")
        b.open(7); b.send(7, #"{"id":"r","type":"join","token":"\#(token)"}"#); b.settle()
        #expect(b.transport.messages(to: 7).last?["type"] == .string("welcome"))
        // a, not knowing yet, takes a command: its commit is refused (fencing), nothing is shown,
        // and its clients are sent to the new owner with 4004.
        let sentBefore = a.transport.sent.count
        a.send(1, #"{"id":"c2","type":"card.add","board":"\#(board)","column":"problems","text":"Pendant la reprise"}"#); a.settle()
        let after = a.transport.sent[sentBefore...].map { try! JSONParser.parse($0.1) }
        #expect(after.map { $0["type"] } == [.string("error")], "the command gets an error, nobody an event")
        #expect(a.transport.closed.contains { $0 == (1, CloseCode.servedElsewhere) })
        #expect(a.hub.rooms[a.record.id] == nil, "a let go of the room")
        // b goes on from the journal: the first card is there, the refused one is not.
        b.send(7, #"{"id":"c3","type":"card.add","board":"\#(board)","column":"problems","text":"Après la reprise"}"#); b.settle()
        #expect(b.transport.messages(to: 7).last?["type"] == .string("ack"))
        let texts = try #require(try b.store.loadWorkshop(id: a.record.id)).state!.cards.values.map(\.text)
        #expect(texts.contains("Avant la reprise") && texts.contains("Après la reprise") && !texts.contains("Pendant la reprise"))
    }

    /// Convergence behind a load balancer: the node that created a workshop (or served it before)
    /// lets it go once nobody is connected to it there, so the node the balancer picks takes it.
    @Test func aWorkshopNobodyIsConnectedToIsLetGoForTheNodeTheBalancerPicks() throws {
        let database = try TestDatabase.make(.postgres)
        let a = try Harness(database: database, node: "a")
        a.join(1)
        let b = try Harness(database: database, node: "b")
        a.hub.releaseIdleRooms(); a.hub.releaseIdleRooms()
        #expect(a.hub.rooms.count == 1, "someone is connected to it on a")
        #expect(try b.store.claim(a.record.id) == .elsewhere(node: "a"))
        a.hub.transportClosed(1); a.settle()
        a.hub.releaseIdleRooms()
        #expect(a.hub.rooms.count == 1, "one tick without anyone is not enough")
        a.hub.releaseIdleRooms()
        #expect(a.hub.rooms.isEmpty)
        #expect(a.transport.closed.isEmpty, "nobody was there to close")
        #expect(a.store.leasedWorkshops().isEmpty)
        let code = #"{"id":"j","type":"join","code":"\#(a.record.joinCode)","name":"Paul","organisation":"ACI","actor":"aci"}"#
        b.open(5); b.send(5, code); b.settle()
        #expect(b.transport.messages(to: 5).last?["type"] == .string("welcome"))
        #expect(try a.store.claim(a.record.id) == .elsewhere(node: "b"))
    }

    /// The first workshop, created at start by the store itself (not through the hub), is not
    /// held on to either.
    @Test func aLeaseForAWorkshopNotInMemoryIsGivenBack() throws {
        let database = try TestDatabase.make(.postgres)
        let a = try Harness(database: database, node: "a")
        let b = try Harness(database: database, node: "b")
        #expect(a.hub.rooms.isEmpty && a.store.leasedWorkshops() == [a.record.id])
        #expect(try b.store.claim(a.record.id) == .elsewhere(node: "a"))
        a.hub.releaseIdleRooms()
        #expect(a.store.leasedWorkshops().isEmpty)
        #expect(try b.store.claim(a.record.id) == .here)
    }

    @Test func aRenewalThatFindsTheLeaseTakenClosesTheClients() throws {
        let database = try TestDatabase.make(.postgres)
        let a = try Harness(database: database, node: "a")
        a.join(1)
        try TestDatabase.execute(a.store, "UPDATE workshop SET lease_until = now() - interval '1 second'")
        let b = try Harness(database: database, node: "b")
        #expect(try b.store.claim(a.record.id) == .here)
        a.hub.renewLeases()
        #expect(a.transport.closed.contains { $0 == (1, CloseCode.servedElsewhere) })
        #expect(a.hub.rooms.isEmpty)
    }
}
