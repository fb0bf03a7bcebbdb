import AtelierDomain
import AtelierTestSupport
import Foundation
import GRDB
import Testing
@testable @_spi(Testing) import AtelierStore

/// A fresh data directory per test.
func temporaryDirectory() -> String {
    let dir = NSTemporaryDirectory() + "atelier-store-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The repository's `sessions/` directory, found from this file.
let sessionsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sessions").path

func defaultPlan() throws -> SessionPlan {
    try SessionPlan.load(path: sessionsDirectory + "/iae-saone-et-loire.yaml")
}

func cardEvent(_ seq: Int, by: String = "p_1") -> Event {
    Event(seq: seq, at: Int64(seq), by: by, body: .cardAdded(Card(id: "c_\(seq)", board: "b_consolider", column: "problems",
                                                               text: "carte \(seq)", x: 0, y: 0, color: .yellow, author: by, createdSeq: seq)))
}

/// The journal's guarantees, on each store (`StoreKind`): SQLite, and PostgreSQL in the test
/// cluster (`scripts/pg`).
@Suite("Journal")
struct JournalTests {
    @Test(arguments: StoreKind.allCases)
    func newWorkshopIsRecoveredAfterReopening(_ kind: StoreKind) throws {
        let database = try TestDatabase.make(kind)
        let created = NewWorkshop(plan: try defaultPlan(), title: "Atelier test", now: 1000)
        do {
            let store = try database.open()
            try store.commit(created.batch)
        }
        // Given a closed and reopened database, when loading, then the same workshop comes back.
        let reopened = try database.open()
        let loaded = try reopened.loadOpenWorkshops()
        #expect(loaded.count == 1)
        #expect(loaded[0].record == created.record)
        #expect(loaded[0].state == Workshop.replay(created.events))
        #expect(loaded[0].state?.title == "Atelier test")
        #expect(loaded[0].state?.groups.count == 5)
        #expect(try reopened.workshopID(joinCode: created.record.joinCode) == created.record.id)
        #expect(try reopened.workshopID(joinCode: "ZZZZ-ZZZZ") == nil)
        #expect(try reopened.workshopCount() == 1)
        #expect(try reopened.listWorkshops() == [created.record])
        #expect(try reopened.openWorkshopIDs() == [created.record.id])
        #expect(try reopened.loadWorkshop(id: "w_unknown") == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func journalIsContiguous(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try store.commit(created.batch)
        let next = created.events.count + 1
        // A gap is refused, and the whole batch with it (the first entry was fine).
        #expect(throws: StoreError.self) {
            try store.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next)),
                                                  JournalEntry(workshop: created.record.id, event: cardEvent(next + 2))]))
        }
        // A seq already taken is refused.
        #expect(throws: StoreError.self) {
            try store.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next - 1))]))
        }
        // A batch that starts past the journal's end is refused.
        #expect(throws: StoreError.self) {
            try store.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next + 1))]))
        }
        let loaded = try #require(try store.loadWorkshop(id: created.record.id))
        #expect(loaded.entries.map(\.event.seq) == Array(1...created.events.count), "nothing of a refused batch was written")
        // The journal goes on where it stopped.
        try store.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next))]))
        #expect(try store.loadWorkshop(id: created.record.id)?.entries.last?.event.seq == next)
    }

    /// SQLite's commit checks contiguity against the last seq it remembers (read from the file once
    /// per workshop). If another process extended the journal, the memory is stale: the seq it
    /// takes is refused by the table's key, nothing is overwritten, and the next commit reads the
    /// journal's end from the file again.
    @Test func aStaleLastSeqIsRefusedAndReadAgain() throws {
        let database = try TestDatabase.make(.sqlite)
        let mine = try database.open(), other = try database.open()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try mine.commit(created.batch)
        let next = created.events.count + 1
        try mine.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next))]))
        // Another process goes on with the journal: `mine` does not know.
        try other.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next + 1, by: "p_other"))]))
        #expect(throws: DatabaseError.self) {
            try mine.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next + 1, by: "p_mine"))]))
        }
        // Read again from the file: the seq after the other's is expected, and the stale one refused.
        #expect(throws: StoreError.self) {
            try mine.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next + 1, by: "p_mine"))]))
        }
        try mine.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next + 2, by: "p_mine"))]))
        let entries = try #require(try mine.loadWorkshop(id: created.record.id)).entries
        #expect(entries.map(\.event.seq) == Array(1...(next + 2)))
        #expect(entries[next].event.by == "p_other", "the other process's event is kept")
        #expect(entries[next + 1].event.by == "p_mine")
    }

    /// Replay reads the journal by range: the events of seqs after…through, in order, each join with
    /// its profile (an erased one without), whatever is asked past the journal's end.
    @Test(arguments: StoreKind.allCases)
    func eventsAreReadByRange(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try store.commit(created.batch)
        let first = created.events.count + 1
        let joined = Participant(id: "p_\(first)", role: .participant, actor: .aci, group: nil,
                                 profile: Profile(name: "Lou Range", organisation: "ACI"))
        var entries = [JournalEntry(workshop: created.record.id, event: Event(seq: first, at: 5, by: joined.id, body: .participantJoined(joined)))]
        for seq in (first + 1)...(first + 20) { entries.append(JournalEntry(workshop: created.record.id, event: cardEvent(seq))) }
        try store.commit(CommitBatch(entries: entries))
        let all = try #require(try store.loadWorkshop(id: created.record.id)).entries.map(\.event)
        for (after, through) in [(0, all.count), (first - 1, first + 3), (first + 5, first + 6), (3, 2), (all.count - 2, all.count + 50),
                                (0, Int.max), (first, Int.max - 1)] {
            let read = try store.events(workshop: created.record.id, after: after, through: through)
            #expect(read == Array(all[min(after, all.count)..<max(min(after, all.count), min(through, all.count))]), "\(after)…\(through)")
        }
        let join = try store.events(workshop: created.record.id, after: first - 1, through: first)
        guard case .participantJoined(let p)? = join.first?.body else { Issue.record("no join read back"); return }
        #expect(p.profile?.name == "Lou Range")
        #expect(try store.events(workshop: "w_unknown", after: 0, through: 10) == [])
    }

    /// A refused batch leaves nothing of any of its parts: the workshop it creates, people, keys.
    @Test(arguments: StoreKind.allCases)
    func aRefusedBatchWritesNothingAtAll(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        let first = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try store.commit(first.batch)
        var batch = NewWorkshop(plan: try defaultPlan(), title: "Jamais", now: 1).batch
        batch.credentials.append(Credential(workshop: first.record.id, participant: "p_x", tokenDigest: Secrets.digest("t")))
        batch.facilitatorKeys[first.record.id] = Secrets.digest("autre clé")
        batch.entries.append(JournalEntry(workshop: first.record.id, event: cardEvent(first.events.count + 2)))  // a gap
        #expect(throws: StoreError.self) { try store.commit(batch) }
        #expect(try store.listWorkshops() == [first.record])
        #expect(try store.credential(token: "t") == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func groupCommitWritesManyEventsInOneTransaction(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        var batch = created.batch
        let first = created.events.count + 1
        // More than one INSERT statement's worth on PostgreSQL (500 rows each).
        for seq in first..<(first + 1200) {
            batch.entries.append(JournalEntry(workshop: created.record.id, event: cardEvent(seq), message: "m\(seq)"))
        }
        switch kind {
        case .sqlite:
            // Count transactions with a commit hook.
            let commits = CommitCounter()
            let sqlite = try #require(store as? SQLiteStore)
            sqlite.pool.add(transactionObserver: commits, extent: .databaseLifetime)
            try store.commit(batch)
            #expect(commits.count == 1)
        case .postgres:
            // Every row written by one transaction carries its id (xmin).
            try store.commit(batch)
            let transactions = try TestDatabase.strings(store, """
                SELECT DISTINCT xmin::text FROM (SELECT xmin FROM event UNION ALL SELECT xmin FROM workshop) AS rows
                """)
            #expect(transactions.count == 1)
        }
        let loaded = try #require(try store.loadWorkshop(id: created.record.id))
        #expect(loaded.entries.count == created.events.count + 1200)
        #expect(loaded.entries.last?.message == "m\(first + 1199)")
        #expect(loaded.state?.cards.count == created.events.count - 1 + 1200)
    }

    /// A client's message id is kept as it came (it answers retries). The protocol lets no control
    /// character in (`Inbound`): a NUL is not kept by SQLite, which GRDB hands strings as C strings.
    @Test(arguments: StoreKind.allCases)
    func messageIDsAreKeptByteForByte(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try store.commit(created.batch)
        let odd = ["« é »\u{7F}🚲'\"\\", "e\u{301}\u{202E}", String(repeating: "x", count: 200)]
        let seq = created.events.count + 1
        try store.commit(CommitBatch(entries: odd.enumerated().map {
            JournalEntry(workshop: created.record.id, event: cardEvent(seq + $0.offset), message: $0.element)
        }))
        let loaded = try #require(try store.loadWorkshop(id: created.record.id))
        #expect(loaded.entries.suffix(3).map(\.message) == odd)
    }

    @Test(arguments: StoreKind.allCases)
    func personalDataStaysOutOfTheJournal(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try store.commit(created.batch)
        let seq = created.events.count + 1
        let p = Participant(id: "p_\(seq)", role: .participant, actor: .aci, group: "g_consolider",
                            profile: Profile(name: "Marie Dupont", organisation: "ACI Le Pont"))
        try store.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: Event(seq: seq, at: 0, by: p.id, body: .participantJoined(p)))],
                                     credentials: [Credential(workshop: created.record.id, participant: p.id, tokenDigest: Secrets.digest("secret-token"))]))
        let payloads = try TestDatabase.strings(store, "SELECT CAST(payload AS TEXT) FROM event").compactMap { $0 }
        #expect(payloads.count == seq)
        #expect(!payloads.joined().contains("Marie"))
        #expect(!payloads.joined().contains("ACI Le Pont"))
        #expect(!payloads.joined().contains("secret-token"))
        let loaded = try #require(try store.loadWorkshop(id: created.record.id))
        #expect(loaded.state?.participants[p.id]?.profile == p.profile, "the profile is re-attached on load")
        #expect(loaded.credentials == [Credential(workshop: created.record.id, participant: p.id, tokenDigest: Secrets.digest("secret-token"))])
        #expect(try store.credential(token: "secret-token") == Credential(workshop: created.record.id, participant: p.id, tokenDigest: Secrets.digest("secret-token")))
        let stored = try TestDatabase.strings(store, "SELECT token FROM person UNION ALL SELECT facilitator_key FROM workshop").compactMap { $0 }
        #expect(stored.count == 2)
        #expect(stored.allSatisfy(Secrets.isDigest), "no secret is stored in clear")
        #expect(try store.credential(token: Secrets.digest("secret-token")) == nil, "a digest read off the database opens nothing")
        // Erasure, by the product's own path (a `participant.erased` event committed): the journal
        // stays whole, the name is gone from the row.
        try store.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id,
                                                            event: Event(seq: seq + 1, at: 1, by: Actor.facilitatorID, body: .participantErased(participant: p.id)))]))
        let erased = try #require(try store.loadWorkshop(id: created.record.id))
        #expect(erased.state?.participants[p.id] != nil)
        #expect(erased.state?.participants[p.id]?.profile == nil)
        #expect(try TestDatabase.strings(store, "SELECT name FROM person WHERE participant_id = '\(p.id)'") == [nil])
        #expect(try TestDatabase.strings(store, "SELECT organisation FROM person WHERE participant_id = '\(p.id)'") == [nil])
        #expect(try TestDatabase.strings(store, "SELECT participant_id FROM person WHERE name IS NOT NULL OR organisation IS NOT NULL") == [])
        if let sqlite = store as? SQLiteStore {
            // And, once checkpointed, from the file's bytes (secure_delete). PostgreSQL keeps an
            // old row version until VACUUM (docs/reliability.md "Privacy").
            try sqlite.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            let file = try Data(contentsOf: URL(fileURLWithPath: sqlite.path))
            #expect(file.range(of: Data("Marie Dupont".utf8)) == nil, "secure_delete overwrote the name")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func retentionPurgesPersonalDataOfLongClosedWorkshops(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        var ids: [WorkshopID] = []
        for closedAt in [1_000, 5_000, nil] as [Int64?] {
            let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
            ids.append(created.record.id)
            var seq = created.events.count + 1
            let p = Participant(id: "p_\(seq)", role: .participant, actor: .ai, group: nil, profile: Profile(name: "Nom \(seq)", organisation: "Org"))
            var batch = created.batch
            batch.entries.append(JournalEntry(workshop: created.record.id, event: Event(seq: seq, at: 0, by: p.id, body: .participantJoined(p))))
            batch.credentials.append(Credential(workshop: created.record.id, participant: p.id, tokenDigest: Secrets.digest("tok-\(created.record.id)")))
            seq += 1
            if let closedAt {
                batch.entries.append(JournalEntry(workshop: created.record.id, event: Event(seq: seq, at: closedAt, by: "facilitator", body: .workshopClosed)))
            }
            try store.commit(batch)
        }
        // Closed at 1 000 and 5 000; the purge takes what closed before 2 000.
        #expect(try store.purgePersonalData(closedBefore: 2_000) == 1)
        #expect(try store.purgePersonalData(closedBefore: 2_000) == 0, "nothing left to erase")
        let profiles = try ids.map { try store.loadWorkshop(id: $0)?.state?.participants.values.first?.profile }
        #expect(profiles[0] == nil)
        #expect(profiles[1] != nil)
        #expect(profiles[2] != nil, "open workshops are never purged")
        #expect(try store.credential(token: "tok-\(ids[0])") == nil)
        #expect(try store.credential(token: "tok-\(ids[1])") != nil)
        #expect(try store.loadOpenWorkshops().map(\.record.id) == [ids[2]])
        #expect(Set(try store.listWorkshops().filter(\.closed).map(\.id)) == Set(ids[0...1]))
    }

    @Test(arguments: StoreKind.allCases)
    func facilitatorKeysAreReplacedByTheirDigest(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try store.commit(created.batch)
        try store.commit(CommitBatch(facilitatorKeys: [created.record.id: Secrets.digest("nouvelle")]))
        let record = try #require(try store.listWorkshops().first)
        #expect(Secrets.matches("nouvelle", digest: record.facilitatorKeyDigest))
        #expect(try store.loadWorkshop(id: created.record.id)?.record.facilitatorKeyDigest == record.facilitatorKeyDigest)
    }

    @Test func sqliteIsWALWithFullSync() throws {
        let store = try SQLiteStore(directory: temporaryDirectory())
        let (mode, sync) = try store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(sync == 2, "synchronous=FULL")
    }
}

final class CommitCounter: TransactionObserver, @unchecked Sendable {
    var count = 0
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { count += 1 }
    func databaseDidRollback(_ db: Database) {}
}

@Suite("Session plans")
struct PlanTests {
    @Test func defaultPlanMatchesTheReport() throws {
        let plan = try defaultPlan()
        #expect(plan.id == "iae-saone-et-loire")
        #expect(plan.groups.count == 5, "one table per strategic orientation")
        #expect(plan.phases.map(\.id) == ["problems", "ideas", "projects"])
        #expect(plan.seeds.count >= 7, "the seven findings are seeded")
        #expect(plan.seeds.allSatisfy { seed in plan.boards.first { $0.id == seed.board }?.column(seed.column)?.kind == .problem })
        #expect(plan.boards.allSatisfy { Set($0.columns.map(\.kind)) == [.problem, .idea, .project] })
        #expect(plan.rotation?.count == 5)
    }

    @Test func catalogueLoadsTheSessionsDirectory() throws {
        let catalog = try PlanCatalog.load(directory: sessionsDirectory)
        #expect(catalog.plans["iae-saone-et-loire"] != nil)
    }

    @Test(arguments: [
        ("id: x\ntitle: t\nphases: []\ntables: []\n", "phases"),
        ("id: Bad Id\ntitle: t\nphases:\n  - {id: a, title: A, open: [problem]}\ncolumns:\n  - {id: c, title: C, kind: problem}\ntables:\n  - {id: t, title: T}\n", "identifiant"),
        ("id: x\ntitle: t\nphases:\n  - {id: a, title: A, open: [idee]}\ncolumns:\n  - {id: c, title: C, kind: problem}\ntables:\n  - {id: t, title: T}\n", "type de colonne inconnu"),
        ("id: x\ntitle: t\nphases:\n  - {id: a, title: A, open: [problem]}\ntables:\n  - {id: t, title: T}\n", "aucune colonne"),
        ("id: x\ntitle: t\nphases:\n  - {id: a, title: A}\ncolumns:\n  - {id: c, title: C, kind: problem}\ntables:\n  - id: t\n    title: T\n    seed:\n      - {column: nope, text: x}\n", "colonne « nope » inconnue"),
        ("id: x\ntitle: t\ncolour: red\nphases:\n  - {id: a, title: A}\ncolumns:\n  - {id: c, title: C, kind: problem}\ntables:\n  - {id: t, title: T}\n", "clé inconnue"),
        ("id: x\ntitle: [unclosed\n", "YAML invalide"),
        ("id: x\ntitle: t\nphases:\n  - {id: a, title: A, open: [idea], voting: true}\n  - {id: b, title: B, open: [idea], voting: true}\ncolumns:\n  - {id: c, title: C, kind: idea}\ntables:\n  - {id: t, title: T}\n", "une seule phase peut avoir"),
        ("id: x\ntitle: t\nphases:\n  - {id: a, title: A, voteOn: [idee]}\ncolumns:\n  - {id: c, title: C, kind: problem}\ntables:\n  - {id: t, title: T}\n", "type de colonne inconnu"),
        ("id: x\ntitle: t\nrotation: [t, zz]\nphases:\n  - {id: a, title: A}\ncolumns:\n  - {id: c, title: C, kind: problem}\ntables:\n  - {id: t, title: T}\n", "table « zz » inconnue"),
    ])
    func invalidPlansAreExplained(_ yaml: String, expected: String) {
        do {
            _ = try SessionPlan.parse(yaml, file: "plan.yaml")
            Issue.record("accepted an invalid plan")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.description.hasPrefix("plan.yaml"))
        }
    }

    @Test func issuesCarryTheirLine() {
        let yaml = "id: x\ntitle: t\nphases:\n  - {id: a, title: A}\ncolumns:\n  - {id: c, title: C, kind: problem}\ntables:\n  - {id: t, title: T}\n  - {id: u, title: U, columns: [{id: c, title: C, kind: projet}]}\n"
        do {
            _ = try SessionPlan.parse(yaml, file: "p.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.issues.first?.line == 9)
            #expect(error.description.hasPrefix("p.yaml:9:"))
        }
    }
}

@Suite("Secrets")
struct SecretsTests {
    @Test func tokensAreLongAndDistinct() {
        let tokens = (0..<100).map { _ in Secrets.token() }
        #expect(Set(tokens).count == 100)
        #expect(tokens.allSatisfy { $0.count >= 32 }, "at least 192 bits in base64")
    }

    @Test func joinCodesNormalise() {
        let code = Secrets.joinCode()
        #expect(code.count == 9)
        #expect(Secrets.normalizeJoinCode(code.lowercased().replacingOccurrences(of: "-", with: " ")) == code)
    }

    @Test func constantTimeComparison() {
        #expect(Secrets.constantTimeEquals("abc", "abc"))
        #expect(!Secrets.constantTimeEquals("abd", "abc"))
        #expect(!Secrets.constantTimeEquals("ab", "abc"))
        #expect(!Secrets.constantTimeEquals("abcd", "abc"))
        #expect(!Secrets.constantTimeEquals("", "abc"))
    }
}

/// The journal's fast decoder (`JournalDecoding`) against Foundation's `JSONDecoder`, on what
/// `JSONEncoder` writes: whenever the fast path answers, it answers the same.
@Suite("Journal decoding")
struct JournalDecodingTests {
    static let pieces = ["a", "Z", "0", " ", "é", "«", "»", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}",
                         "\u{01}", "\u{1F}", "\u{7F}", "€", "😀", "e\u{301}", "c_", "p_12", "{", "}", "[", "]", ":", ",", "\u{2028}"]

    func text(_ g: inout SplitMix) -> String {
        (0..<Int.random(in: 0...12, using: &g)).map { _ in Self.pieces.randomElement(using: &g)! }.joined()
    }

    func number(_ g: inout SplitMix) -> Double {
        switch Int.random(in: 0...6, using: &g) {
        case 0: return Double(Int.random(in: -10_000...10_000, using: &g))
        case 1: return Double.random(in: -1e4...1e4, using: &g)
        case 2: return -0.0
        case 3: return Double(Int.random(in: -(1 << 53)...(1 << 53), using: &g))
        case 4: return Double.random(in: -1...1, using: &g) * 1e-9
        case 5: return Double.random(in: -1...1, using: &g) * 1e300
        default:
            let d = Double(bitPattern: g.next())
            return d.isFinite ? d : 1.5
        }
    }

    func card(_ g: inout SplitMix) -> Card {
        Card(id: "c_\(Int.random(in: 0...999, using: &g))", board: text(&g), column: text(&g), text: text(&g),
             x: number(&g), y: number(&g), color: CardColor.allCases.randomElement(using: &g)!,
             author: Bool.random(using: &g) ? text(&g) : nil, version: Int.random(in: 1...1_000_000, using: &g),
             cluster: Bool.random(using: &g) ? text(&g) : nil, createdSeq: Int.random(in: 1...Int(Int32.max), using: &g),
             isPrivate: Bool.random(using: &g), hidden: Bool.random(using: &g))
    }

    func body(_ g: inout SplitMix) -> EventBody {
        switch Int.random(in: 0...10, using: &g) {
        case 0: return .cardAdded(card(&g))
        case 1: return .cardRestored(card(&g))
        case 2: return .cardMoved(card: text(&g), x: number(&g), y: number(&g), column: text(&g), board: text(&g))
        case 3: return .cardEdited(card: text(&g), text: text(&g), version: Int.random(in: -5...Int(Int32.max), using: &g))
        case 4: return .cardDeleted(card: text(&g))
        case 5: return .cardHidden(card: text(&g))
        case 6: return .voteCast(card: text(&g), voter: text(&g), phase: text(&g), total: Int.random(in: 0...500, using: &g))
        case 7: return .voteRetracted(card: text(&g), voter: text(&g), phase: text(&g), total: Int.random(in: 0...500, using: &g))
        case 8: return .cardClustered(card: text(&g), cluster: Bool.random(using: &g) ? text(&g) : nil)
        case 9: return .phaseChanged(phase: text(&g))
        default: return .announcementMade(text: text(&g))
        }
    }

    /// What people type once `Limits.normalized` has passed (no control character but LF and tab).
    func tameText(_ g: inout SplitMix) -> String {
        (0..<Int.random(in: 0...12, using: &g)).map { _ in Self.pieces.filter { $0 == "\n" || $0 == "\t" || !$0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }.randomElement(using: &g)! }.joined()
    }

    /// Board coordinates (`Limits.coordinate`): whole, halves, or any double of the range.
    func tameNumber(_ g: inout SplitMix) -> Double {
        switch Int.random(in: 0...2, using: &g) {
        case 0: return Double(Int.random(in: 0...10_000, using: &g))
        case 1: return Double(Int.random(in: 0...20_000, using: &g)) / 2
        default: return Double.random(in: 0.001...10_000, using: &g)
        }
    }

    func tameBody(_ g: inout SplitMix) -> EventBody {
        let card = Card(id: "c_\(Int.random(in: 0...999, using: &g))", board: tameText(&g), column: tameText(&g), text: tameText(&g),
                        x: tameNumber(&g), y: tameNumber(&g), color: CardColor.allCases.randomElement(using: &g)!,
                        author: Bool.random(using: &g) ? tameText(&g) : nil, version: Int.random(in: 1...1_000_000, using: &g),
                        cluster: Bool.random(using: &g) ? tameText(&g) : nil, createdSeq: Int.random(in: 1...Int(Int32.max), using: &g),
                        isPrivate: Bool.random(using: &g), hidden: Bool.random(using: &g))
        switch Int.random(in: 0...8, using: &g) {
        case 0: return .cardAdded(card)
        case 1: return .cardRestored(card)
        case 2: return .cardMoved(card: tameText(&g), x: tameNumber(&g), y: tameNumber(&g), column: tameText(&g), board: tameText(&g))
        case 3: return .cardEdited(card: tameText(&g), text: tameText(&g), version: Int.random(in: -5...Int(Int32.max), using: &g))
        case 4: return .cardDeleted(card: tameText(&g))
        case 5: return .cardHidden(card: tameText(&g))
        case 6: return .voteCast(card: tameText(&g), voter: tameText(&g), phase: tameText(&g), total: Int.random(in: 0...500, using: &g))
        case 7: return .voteRetracted(card: tameText(&g), voter: tameText(&g), phase: tameText(&g), total: Int.random(in: 0...500, using: &g))
        default: return .cardClustered(card: tameText(&g), cluster: Bool.random(using: &g) ? tameText(&g) : nil)
        }
    }

    func fast(_ data: Data) -> EventBody? { data.withUnsafeBytes { JournalDecoding.decode($0) } }

    @Test func fastPathAgreesWithJSONDecoder() throws {
        var g = SplitMix(state: 0xA7E1_1E12)
        let encoder = JSONEncoder()
        let decoder = JSONDecoder()
        var fastCount = 0
        for _ in 0..<20_000 {
            let original = body(&g)
            let data = try encoder.encode(original)
            let reference = try decoder.decode(EventBody.self, from: data)
            if let decoded = fast(data) {
                fastCount += 1
                #expect(decoded == reference, "\(String(decoding: data, as: UTF8.self))")
                if case .cardMoved(_, let x, _, _, _) = decoded, case .cardMoved(_, let rx, _, _, _) = reference {
                    #expect(x.bitPattern == rx.bitPattern, "same double, to the bit (-0.0 included)")
                }
            }
        }
        // The fast path does serve many of them (not the texts with a control character, which the
        // encoder writes as \u escapes left to JSONDecoder, nor the two event types it does not know).
        #expect(fastCount > 5_000)
    }

    /// The journal's fast encoder (`JournalEncoding`) writes, whenever it answers, the bytes
    /// `JSONEncoder` with sorted keys writes, on the same random events.
    @Test func fastEncoderWritesWhatJSONEncoderWrites() throws {
        var g = SplitMix(state: 0x0E4C_0DE5)
        let encoder = SQLiteStore.payloadEncoder()
        var fastCount = 0
        // Hostile values (every control character, every kind of double), then the values people
        // and the board produce (no control character but LF and tab, coordinates of the board),
        // which the fast path must serve.
        for tame in [false, true] {
            var served = 0
            for _ in 0..<20_000 {
                let original = tame ? tameBody(&g) : body(&g)
                let reference = try encoder.encode(original)
                if let fast = JournalEncoding.encode(original) {
                    served += 1
                    #expect(fast == reference, "\(String(decoding: fast, as: UTF8.self)) ≠ \(String(decoding: reference, as: UTF8.self))")
                }
            }
            if tame { #expect(served == 20_000) } else { fastCount = served }
        }
        #expect(fastCount > 2_000, "\(fastCount)")
        // The events as the server writes them every second, with French text, all take it.
        let everyday: [EventBody] = [
            .cardAdded(Card(id: "c_2", board: "b_consolider", column: "ideas", text: "Mutualiser l'accompagnement / CDI « inclusifs »\n— 2 ETP",
                            x: 12.5, y: 120, color: .blue, author: "p_1", createdSeq: 2)),
            .cardAdded(Card(id: "c_3", board: "b", column: "problems", text: "t", x: 0, y: 9_999.123456789, color: .pink, author: nil,
                            version: 4, cluster: "k_1", createdSeq: 3, isPrivate: true, hidden: true)),
            .cardMoved(card: "c_20", x: 8367, y: 2697.5, column: "problems", board: "b_consolider"),
            .cardEdited(card: "c_1", text: "Des parcours « complexes »\tà deux", version: 3),
            .cardDeleted(card: "c_1"), .cardHidden(card: "c_1"),
            .cardRestored(Card(id: "c_2", board: "b", column: "ideas", text: "t", x: 1e-3, y: 0.1, color: .green, author: "p_9", createdSeq: 2)),
            .voteCast(card: "c_1", voter: "p_1", phase: "vote", total: 2), .voteRetracted(card: "c_1", voter: "p_1", phase: "vote", total: 0),
            .cardClustered(card: "c_1", cluster: "k_2"), .cardClustered(card: "c_1", cluster: nil),
        ]
        for b in everyday {
            let fast = try #require(JournalEncoding.encode(b), "\(b)")
            #expect(fast == (try encoder.encode(b)))
        }
    }

    @Test func plainEventsTakeTheFastPath() throws {
        let bodies: [EventBody] = [
            .cardMoved(card: "c_20", x: 8367, y: 2697.5, column: "problems", board: "b_consolider"),
            .cardEdited(card: "c_1", text: "Des parcours « complexes »", version: 3),
            .cardAdded(Card(id: "c_2", board: "b", column: "ideas", text: "t", x: 0, y: 120, color: .blue, author: "p_1", createdSeq: 2)),
            .voteCast(card: "c_1", voter: "p_1", phase: "vote", total: 2),
        ]
        for b in bodies {
            #expect(fast(try JSONEncoder().encode(b)) == b)
        }
    }

    @Test func anythingUnexpectedIsLeftToJSONDecoder() {
        let odd = [
            #"{"cardMoved":{"card":"c","x":1,"y":2,"column":"k","board":"b","extra":1}}"#,  // unknown key
            #"{"cardMoved":{"card":"c","x":1,"y":2,"column":"k"}}"#,  // missing key
            #"{"cardMoved":{"card":"c","x":01,"y":2,"column":"k","board":"b"}}"#,  // not JSON
            #"{"cardMoved":{"card":"c","x":1.,"y":2,"column":"k","board":"b"}}"#,
            #"{"cardEdited":{"card":"c","text":"t","version":1.5}}"#,  // fractional Int
            #"{"cardDeleted":{"card":"c"}} x"#,  // trailing bytes
            #"{"cardDeleted":{"card":"c"}"#,  // truncated
            #"{"workshopPaused":{}}"#,  // another event
        ]
        for text in odd { #expect(fast(Data(text.utf8)) == nil, "\(text)") }
    }

    /// The shared scanner (`AtelierJSON`) reads every escape, so `\u` is decoded as JSONDecoder does.
    @Test func escapesAreReadAsJSONDecoderReadsThem() throws {
        for text in [#"{"cardMoved":{"card":"\u0063\u00e9\ud83d\ude80","x":1,"y":2,"column":"k","board":"b"}}"#,
                     #"{"cardEdited":{"card":"c","text":"a\/b\\c\"d\n\t\u20ac","version":2}}"#] {
            let data = Data(text.utf8)
            let decoded = try JSONDecoder().decode(EventBody.self, from: data)
            #expect(fast(data) == decoded, "\(text)")
        }
    }
}

@Suite("Plan additions")
struct PlanAdditionTests {
    @Test func aPhaseCarriesItsInstructionsAndWhatItVotesOn() throws {
        let plan = try SessionPlan.parse("""
            id: x
            title: t
            settings: {voteOwnCards: true}
            phases:
              - {id: a, title: A, open: [idea], voting: true, voteOn: [problem, idea], instructions: "Une idée par carte."}
            columns:
              - {id: c, title: C, kind: idea}
            tables:
              - {id: t, title: T, theme: "Le thème"}
            """, file: "x.yaml")
        #expect(plan.phases[0].instructions == "Une idée par carte.")
        #expect(plan.phases[0].votable == [.problem, .idea])
        #expect(plan.settings.voteOwnCards == true)
        #expect(plan.boards[0].theme == "Le thème")
        #expect(plan.timeZone == nil && Workshop(plan.blueprint(id: "w_1")).timeZone == "Europe/Paris", "Paris unless the plan says")
    }

    @Test func aPlanMayNameItsTimeZone() throws {
        let yaml = "id: x\ntitle: t\ntimeZone: America/Cayenne\nphases:\n  - {id: a, title: A}\ncolumns:\n  - {id: c, title: C, kind: problem}\ntables:\n  - {id: t, title: T}\n"
        let plan = try SessionPlan.parse(yaml, file: "x.yaml")
        #expect(Workshop(plan.blueprint(id: "w_1")).timeZone == "America/Cayenne")
        #expect(throws: PlanErrors.self) { try SessionPlan.parse(yaml.replacingOccurrences(of: "America/Cayenne", with: "Mars/Olympus"), file: "x.yaml") }
    }
}
