import AtelierDomain
import AtelierProtocol
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

    /// One event of every type, every field set to something other than its default.
    static let samples: [EventBody] = {
        let card = Card(id: "c_7", board: "b_1", column: "problems", text: "Mobilité « rurale »\nà l'étude 🚲",
                        x: 12.5, y: -3, color: .pink, author: "p_2", version: 3, cluster: "k_9", createdSeq: 7,
                        isPrivate: true, hidden: true)
        var sheet = ProjectSheet(id: "j_20", board: "b_1", title: "Garage solidaire", createdBy: "p_2", createdSeq: 20, phase: "projets")
        sheet.summary = "Réparer pour remettre en route"
        sheet.problems = ["c_7"]
        sheet.sources = ["c_8"]
        sheet.cluster = "k_9"
        sheet.cooperation = .siae
        sheet.orientation = "o_mobilite"
        sheet.lead = Organisation(name: "Association Fictive", actor: .aci, siret: "73282932000074")
        sheet.partners = [Partner(name: "Garage du coin", actor: .business, role: "atelier")]
        sheet.territory = "Bresse"
        sheet.support = SupportRequest(methodological: true, expertise: 1500, grant: 20000)
        sheet.outcomes = ExpectedOutcomes(insertionJobs: 4, peopleSupported: 30, other: "permis")
        sheet.nextSteps = "Réunion en janvier"
        sheet.contact = Contact(name: "Camille Test", email: "camille@example.org", phone: "0600000000")
        sheet.status = .ready
        sheet.version = 5
        sheet.supporters = ["p_3"]
        sheet.receipts = [Receipt(channel: .demarches, reference: "ref-1", url: "https://ds.example/d/1", number: 42, at: 1_800_000_000_000)]
        var change = ProjectChange()
        change.title = "Garage solidaire bis"
        change.summary = "Résumé"
        change.problems = ["c_7"]
        change.sources = ["c_8"]
        change.cooperation = .some(.business)
        change.orientation = .some(nil)
        change.lead = .some(Organisation(name: "SIAE", actor: .ei, siret: nil))
        change.partners = [Partner(name: "Mairie", actor: .public, role: "locaux")]
        change.territory = "Chalonnais"
        change.support = SupportRequest(methodological: false, expertise: nil, grant: 5000)
        change.outcomes = ExpectedOutcomes(insertionJobs: 2, peopleSupported: nil, other: "")
        change.nextSteps = "Déposer"
        change.contact = Contact(name: "A", email: "a@example.org", phone: "")
        let blueprint = Blueprint(
            id: "w_test", title: "Atelier IAE", plan: "iae",
            groups: [Group(id: "g_1", title: "Table 1", theme: "Mobilité")],
            boards: [Board(id: "b_1", title: "Mobilité", group: "g_1",
                           columns: [Column(id: "problems", title: "Constats", kind: .problem)], locked: true)],
            phases: [Phase(id: "idees", title: "Idées", open: [.idea, .problem], voting: true)],
            settings: Settings(voteBudget: 4, maxVotesPerCard: 2, privateWriting: true, anonymous: true,
                               facilitatorSeesAuthors: false, listOrganisations: true),
            rotation: ["b_1"], orientations: [Orientation(id: "o_1", title: "Lever les freins")])
        return [
            .workshopCreated(blueprint),
            .participantJoined(Participant(id: "p_2", role: .participant, actor: .etti, group: "g_1", profile: nil, removed: true)),
            .cardAdded(card),
            .cardEdited(card: "c_7", text: "Texte \"cité\"", version: 4),
            .cardMoved(card: "c_7", x: 1.25, y: 2, column: "ideas", board: "b_2"),
            .cardDeleted(card: "c_7"),
            .voteCast(card: "c_7", voter: "p_2", phase: "idees", total: 3),
            .voteRetracted(card: "c_7", voter: "p_2", phase: "idees", total: 2),
            .phaseChanged(phase: "projets"),
            .participantAssigned(participant: "p_2", group: "g_1"),
            .rotationAdvanced(boards: [BoardPlacement(board: "b_1", group: "g_2")],
                              participants: [ParticipantPlacement(participant: "p_4", group: "g_2")]),
            .hostAssigned(board: "b_1", participant: "p_4"),
            .participantRemoved(participant: "p_5"),
            .participantErased(participant: "p_5"),
            .timerStarted(RoomTimer(label: "Idées", seconds: 600, endsAt: 1_800_000_600_000, remaining: 12)),
            .timerPaused(remaining: 42_000),
            .timerResumed(endsAt: 1_800_000_900_000),
            .timerStopped,
            .timerEnded,
            .announcementMade(text: "Pause café 10 min"),
            .workshopPaused,
            .workshopResumed,
            .workshopClosed,
            .viewFocused(board: "b_1"),
            .settingsUpdated(Settings(voteBudget: 6, maxVotesPerCard: 1, privateWriting: false, anonymous: true,
                                      facilitatorSeesAuthors: false, listOrganisations: true)),
            .votesRevealed(counts: ["c_7": 3, "c_8": 1]),
            .cardsRevealed(cards: [card]),
            .clusterCreated(Cluster(id: "k_9", board: "b_1", title: "Fragilité", createdSeq: 9), cards: ["c_7", "c_8"]),
            .clusterRenamed(cluster: "k_9", title: "Fragilité financière"),
            .cardClustered(card: "c_7", cluster: "k_9"),
            .commentAdded(Comment(id: "m_11", card: "c_7", text: "D'accord", author: "p_3", createdSeq: 11)),
            .commentDeleted(comment: "m_11"),
            .cardHidden(card: "c_7"),
            .cardRestored(card),
            .boardLocked(board: "b_1"),
            .boardUnlocked(board: "b_1"),
            .projectCreated(sheet),
            .projectUpdated(project: "j_20", change: change, version: 6),
            .projectStatusChanged(project: "j_20", status: .draft, version: 7),
            .projectSupported(project: "j_20", supporter: "p_3", support: true),
            .projectSubmitted(project: "j_20", receipt: Receipt(channel: .webhook, reference: "wh-1", at: 1_800_000_000_001)),
        ]
    }()

    @Test func theSamplesCoverEveryEventType() {
        #expect(Set(Self.samples.map(\.wireType)) == Set(EventType.allCases))
        #expect(Self.samples.count == EventType.allCases.count)
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
        // Every event type of the protocol is in this journal, in the recorded order.
        #expect(Set(stored.entries.map { $0.event.body.wireType }) == Set(EventType.allCases))
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
