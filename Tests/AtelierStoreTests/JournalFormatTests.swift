import AtelierDomain
import AtelierProtocol
import AtelierTestSupport
import Foundation
import GRDB
import Testing
@testable import AtelierStore

/// The journal format (`AtelierDomain/JournalFormat.swift`) must never drift: journals written
/// today load forever, and the bytes of each event depend only on the format's names.
///
/// - `journal-v1-events.jsonl` holds, per event type, the payload the store writes for the sample
///   below: renaming a Swift case or property either fails to compile (the keys are explicit) or,
///   if someone changes a stored name, fails here.
/// - `journal-v1.sqlite` is a whole journal written by the version before the format was made
///   explicit (`Tests/fixtures/make_journal_v1.py`), with every event type in it.
@Suite("Journal format v1")
struct JournalFormatTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static let samples = Samples.events
    /// Event types born after `journal-v1.sqlite` was written.
    static let addedAfterTheFixture: Set<EventType> = [.votesClosed, .announcementWithdrawn, .projectorShown,
                                                        .dossierFollowed, .webhookQueued, .webhookAttempted, .webhookRedelivered,
                                                        .groupOpened, .groupEnded, .groupInvited, .groupInvitationRevoked, .workshopCarried]

    @Test func theSamplesCoverEveryEventType() {
        #expect(Set(Self.samples.map(\.wireType)) == Set(EventType.allCases))
        #expect(Self.samples.count == EventType.allCases.count)
    }

    /// A data directory written before secrets were hashed (the fixture holds its facilitator key
    /// and resume tokens in clear) opens with digests in their place, and the same key and tokens
    /// still open the workshop.
    @Test func secretsWrittenInClearAreHashedWhenOpened() throws {
        let dir = temporaryDirectory()
        let target = URL(fileURLWithPath: dir).appendingPathComponent("atelier.sqlite")
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("journal-v1.sqlite"), to: target)
        let (key, tokens) = try DatabaseQueue(path: target.path).read { db in
            (try String.fetchOne(db, sql: "SELECT facilitator_key FROM workshop")!,
             try Row.fetchAll(db, sql: "SELECT participant_id, token FROM person WHERE token IS NOT NULL").map { ($0["participant_id"] as String, $0["token"] as String) })
        }
        #expect(!Secrets.isDigest(key) && !tokens.isEmpty, "the fixture predates hashing")
        let store = try SQLiteStore(directory: dir)
        let record = try #require(try store.listWorkshops().first)
        #expect(Secrets.isDigest(record.facilitatorKeyDigest))
        #expect(Secrets.matches(key, digest: record.facilitatorKeyDigest))
        for (participant, token) in tokens {
            #expect(try store.credential(token: token)?.participant == participant)
        }
        try store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let file = try Data(contentsOf: target)
        #expect(file.range(of: Data(key.utf8)) == nil, "secure_delete overwrote the key written in clear")
        let stored = try store.pool.read { db in try String.fetchAll(db, sql: "SELECT token FROM person WHERE token IS NOT NULL UNION ALL SELECT facilitator_key FROM workshop") }
        #expect(stored.allSatisfy(Secrets.isDigest))
    }

    /// The bytes written for each event type are the ones recorded in the fixture, forever.
    @Test func everyEventIsWrittenWithTheRecordedBytes() throws {
        let url = Self.fixtures.appendingPathComponent("journal-v1-events.jsonl")
        let encoder = SQLiteStore.payloadEncoder()
        let written = try Self.samples.map { String(decoding: try SQLiteStore.payload($0, encoder), as: UTF8.self) }
        if ProcessInfo.processInfo.environment["ATELIER_WRITE_JOURNAL_FIXTURE"] == "1" {
            try (written.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        }
        let recorded = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(recorded.count == written.count)
        for (n, (now, then)) in zip(written, recorded).enumerated() {
            #expect(now == then, "event \(Self.samples[n].wireType.rawValue) is not written as journal v1 says")
        }
        // What the stores write (the fast encoder for the everyday events) is the same.
        let stored = try Self.samples.map { String(decoding: try JournalRows.payload($0, encoder), as: UTF8.self) }
        for (n, (now, then)) in zip(stored, recorded).enumerated() {
            #expect(now == then, "event \(Self.samples[n].wireType.rawValue) is stored otherwise than journal v1 says")
        }
    }

    /// What was recorded decodes to the same events, by the fast path and by `JSONDecoder`.
    @Test func theRecordedBytesDecodeToTheSamples() throws {
        let url = Self.fixtures.appendingPathComponent("journal-v1-events.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == Self.samples.count)
        for (line, sample) in zip(lines, Self.samples) {
            let data = Data(line.utf8)
            #expect(try JSONDecoder().decode(EventBody.self, from: data) == sample)
            if let fast = data.withUnsafeBytes({ JournalDecoding.decode($0) }) { #expect(fast == sample) }
        }
    }

    /// `statusAt` (a status sent back, its signed timestamp) came after the fixture: it is written
    /// when set, left out when not (so the recorded bytes stay), and read back either way.
    @Test func aDossierStampIsAnOptionalField() throws {
        let encoder = SQLiteStore.payloadEncoder()
        let stamped = EventBody.dossierFollowed(project: "j_1", reference: "wh_1",
                                                dossier: DossierFollow(state: .accepte, processedAt: 9, statusAt: 1_800_000_000))
        let bytes = try SQLiteStore.payload(stamped, encoder)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"statusAt\":1800000000"))
        #expect(try JSONDecoder().decode(EventBody.self, from: bytes) == stamped)
        let plain = EventBody.dossierFollowed(project: "j_1", reference: "wh_1", dossier: DossierFollow(state: .accepte, processedAt: 9))
        let plainBytes = try SQLiteStore.payload(plain, encoder)
        #expect(!String(decoding: plainBytes, as: UTF8.self).contains("statusAt"))
        #expect(try JSONDecoder().decode(EventBody.self, from: plainBytes) == plain)
    }

    /// `vote.cast` and `vote.retracted` share one fast-path reader: their stored fields must agree.
    @Test func voteEventsShareTheirFields() {
        let cast = ["card", "voter", "phase", "total"].map { EventBody.VoteCastCodingKeys(rawValue: $0)?.rawValue }
        let retracted = ["card", "voter", "phase", "total"].map { EventBody.VoteRetractedCodingKeys(rawValue: $0)?.rawValue }
        #expect(cast == retracted)
        #expect(!cast.contains(nil))
    }

    /// A whole journal written by the earlier version (with Swift's synthesised names) loads, and
    /// each of its payloads is what today's encoder writes for the decoded event (as JSON values:
    /// the earlier version did not sort keys).
    @Test func aJournalWrittenByTheEarlierVersionLoads() throws {
        let source = Self.fixtures.appendingPathComponent("journal-v1.sqlite")
        let expectedURL = Self.fixtures.appendingPathComponent("journal-v1.sqlite.expected.json")
        let dir = temporaryDirectory()
        let target = URL(fileURLWithPath: dir).appendingPathComponent("atelier.sqlite")
        try FileManager.default.copyItem(at: source, to: target)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: expectedURL)) as? [String: Any])
        let workshopID = try #require(expected["workshop"] as? String)
        let facts = try #require(expected["facts"] as? [String: Any])

        let store = try SQLiteStore(directory: dir)
        let stored = try #require(try store.loadWorkshop(id: workshopID))
        let state = try #require(stored.state)
        #expect(stored.entries.count == 71)
        #expect(stored.entries.count == expected["eventCount"] as? Int)
        // Every event type of the protocol at the time is in this journal, in the recorded order.
        #expect(Set(stored.entries.map { $0.event.body.wireType }) == Set(EventType.allCases).subtracting(Self.addedAfterTheFixture))
        let types = try #require(expected["events"] as? [[Any]]).map { $0.last as? String }
        #expect(stored.entries.map { $0.event.body.wireType.rawValue } == types)

        // The replayed workshop is the one the earlier server showed.
        #expect(state.closed)
        #expect(state.phase == facts["phase"] as? String)
        #expect(state.announcement?.text == facts["announcement"] as? String)
        for card in try #require(facts["cards"] as? [[String: Any]]) {
            let id = try #require(card["id"] as? String)
            #expect(state.cards[id]?.text == card["text"] as? String, "card \(id)")
            #expect(state.cards[id]?.cluster == card["cluster"] as? String, "card \(id)")
        }
        #expect(state.orderedCards.filter { !$0.hidden }.count == (facts["cards"] as? [Any])?.count)
        for cluster in try #require(facts["clusters"] as? [[String: Any]]) {
            #expect(state.clusters[cluster["id"] as? String ?? ""]?.title == cluster["title"] as? String)
        }
        let project = try #require(facts["project"] as? [String: Any])
        let sheet = try #require(state.projects[project["id"] as? String ?? ""])
        #expect(sheet.title == project["title"] as? String)
        #expect(sheet.status.rawValue == project["status"] as? String)
        #expect(sheet.version == project["version"] as? Int)
        #expect(sheet.supporters.sorted() == (project["supporters"] as? [String])?.sorted())
        #expect(sheet.lead?.siret == (project["lead"] as? [String: Any])?["siret"] as? String)
        #expect(sheet.receipts.map(\.channel.rawValue) == project["receipts"] as? [String])
        // Names live outside the journal; the erased person has none.
        for person in try #require(expected["persons"] as? [[String: Any]]) {
            let id = try #require(person["id"] as? String)
            #expect(state.participants[id]?.profile?.name == person["name"] as? String, "participant \(id)")
        }

        // Re-encoding each decoded payload gives the same JSON value that is on disk.
        let queue = try DatabaseQueue(path: target.path)
        let payloads = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, payload FROM event WHERE workshop_id = ? ORDER BY seq", arguments: [workshopID])
                .map { ($0[0] as Int, $0[1] as Data) }
        }
        let encoder = SQLiteStore.payloadEncoder()
        for (seq, data) in payloads {
            var body = stored.entries[seq - 1].event.body
            if case .participantJoined(var p) = body { p.profile = nil; body = .participantJoined(p) }
            let again = try SQLiteStore.payload(body, encoder)
            let a = try JSONSerialization.jsonObject(with: data) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: again) as? NSDictionary
            #expect(a == b, "seq \(seq) (\(body.wireType.rawValue)) does not round-trip")
        }
    }
}
