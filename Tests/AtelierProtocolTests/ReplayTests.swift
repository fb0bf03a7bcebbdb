import AtelierDomain
import AtelierTestSupport
import Foundation
import Testing
@testable import AtelierProtocol

/// A workshop played by the reducer from random commands (private writing, votes, a reveal of
/// cards and one of votes, clusters, project sheets), its events with their seqs and times.
struct PlayedWorkshop {
    var events: [Event] = []
    var state: Workshop
    var rng: SplitMix
    let participants = ["p_a", "p_b", "p_c", "p_d"]

    init(seed: UInt64) {
        rng = SplitMix(state: seed)
        let columns = [Column(id: "problems", title: "Problèmes", kind: .problem),
                       Column(id: "ideas", title: "Idées", kind: .idea),
                       Column(id: "projects", title: "Projets", kind: .project)]
        let blueprint = Blueprint(
            id: "w_replay", title: "Revue", plan: "test",
            groups: [Group(id: "g_a", title: "Table A", theme: ""), Group(id: "g_b", title: "Table B", theme: "")],
            boards: [Board(id: "b_a", title: "A", group: "g_a", columns: columns),
                     Board(id: "b_b", title: "B", group: "g_b", columns: columns)],
            phases: [Phase(id: "problems", title: "Problèmes", open: [.problem]),
                     Phase(id: "ideas", title: "Idées", open: [.idea], voting: true, voteOn: [.problem, .idea]),
                     Phase(id: "projects", title: "Projets", open: [.project])],
            settings: Settings(voteBudget: 6, maxVotesPerCard: 3, privateWriting: true))
        state = Workshop(blueprint)
        record([.workshopCreated(blueprint)], by: nil)
        for (n, p) in participants.enumerated() {
            record([.participantJoined(Participant(id: p, role: .participant, actor: .aci, group: n % 2 == 0 ? "g_a" : "g_b",
                                                   profile: Profile(name: p, organisation: "")))], by: p)
        }
    }

    mutating func record(_ bodies: [EventBody], by: ActorID?) {
        for body in bodies {
            let event = Event(seq: state.seq + 1, at: 1_800_000_000_000 + Int64(state.seq) * 1500, by: by, body: body)
            state.apply(event)
            events.append(event)
        }
    }

    /// Runs `command`; a refusal is fine (random commands are often refused) and records nothing.
    mutating func run(_ command: Command, as actor: Actor) {
        if case .success(let bodies) = reduce(state, command, by: actor, context: ReduceContext(nextSeq: state.seq + 1, now: 1_800_000_000_000)) {
            record(bodies, by: actor.id)
        }
    }

    mutating func someone() -> Actor { Actor(id: participants.randomElement(using: &rng)!, role: .participant) }
    mutating func someCard() -> CardID? { state.cards.map(\.key).sorted().randomElement(using: &rng) }

    /// `steps` random commands in the current phase.
    mutating func play(_ steps: Int) {
        for _ in 0..<steps {
            let actor = someone()
            let board = state.participants[actor.id]?.group == "g_a" ? "b_a" : "b_b"
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...3:
                let column = state.phase == "problems" ? "problems" : "ideas"
                run(.cardAdd(board: board, column: column, text: "carte \(state.seq)", x: Double(state.seq % 500), y: 10, color: nil), as: actor)
            case 4, 5:
                if let c = someCard() { run(.cardMove(card: c, x: Double.random(in: 0...900, using: &rng), y: 5, column: nil, board: nil), as: actor) }
            case 6, 7:
                if let c = someCard() { run(.voteCast(card: c), as: actor) }
            case 8:
                if let c = someCard() { run(.cardEdit(card: c, text: "modifiée \(state.seq)", version: state.cards[c]?.version ?? 1), as: actor) }
            default:
                if let c = someCard() { run(.commentAdd(card: c, text: "commentaire \(state.seq)"), as: actor) }
            }
        }
    }

    /// Problems written privately, revealed; ideas voted on, votes revealed; a cluster and a sheet.
    static func whole(seed: UInt64) -> PlayedWorkshop {
        var w = PlayedWorkshop(seed: seed)
        w.play(60)
        w.run(.cardsReveal, as: .facilitator)
        w.run(.phaseSet(phase: "ideas"), as: .facilitator)
        w.run(.settingsUpdate(SettingsChange(privateWriting: false)), as: .facilitator)
        w.play(120)
        w.run(.votesReveal, as: .facilitator)
        let onA = w.state.orderedCards.filter { $0.board == "b_a" }
        w.run(.clusterCreate(board: "b_a", title: "Mobilité", cards: onA.prefix(3).map(\.id)), as: .facilitator)
        w.run(.phaseSet(phase: "projects"), as: .facilitator)
        let cluster = w.state.clusters.keys.first
        let problem = onA.first { $0.column == "problems" }?.id, idea = onA.first { $0.column == "ideas" }?.id
        w.run(.projectCreate(board: "b_a", title: "Garage solidaire", cluster: cluster, cards: [problem, idea].compactMap { $0 }),
              as: Actor(id: "p_a", role: .participant))
        if let project = w.state.projects.keys.first {
            var change = ProjectChange()
            change.summary = "Réparer des voitures"
            w.run(.projectUpdate(project: project, version: w.state.projects[project]!.version, change: change), as: Actor(id: "p_c", role: .participant))
        }
        w.run(.workshopClose, as: .facilitator)
        return w
    }
}

@Suite struct ReplayTests {
    /// The journal read back from the played events, as the store's `events(after:through:)` does.
    func fetch(_ events: [Event]) -> (Int, Int) throws -> [Event] {
        { after, through in Array(events[after..<min(through, events.count)]) }
    }

    @Test func theStateAtAnySeqIsTheJournalReducedFromScratchToIt() throws {
        for seed: UInt64 in [1, 2, 3] {
            let played = PlayedWorkshop.whole(seed: seed)
            // Small spacing and few snapshots, so thinning happens.
            var index = ReplayIndex(spacing: 7, maxSnapshots: 6)
            // Taken in by pieces, as the cache extends an index while the workshop goes on.
            var rest = played.events[...]
            while !rest.isEmpty {
                let n = min(rest.count, 23)
                try index.extend(with: rest.prefix(n))
                rest = rest.dropFirst(n)
            }
            #expect(index.lastSeq == played.events.count)
            #expect(index.snapshots.count <= 6)
            #expect(index.spacing > 7)
            #expect(index.latest == played.state)
            var rng = SplitMix(state: seed &* 31)
            let seqs = [1, 2, played.events.count] + (0..<40).map { _ in Int.random(in: 1...played.events.count, using: &rng) }
            for seq in seqs {
                let scratch = Workshop.replay(played.events.prefix(seq))
                let sought = try index.state(at: seq, fetch: fetch(played.events))
                #expect(sought == scratch, "seq \(seq), seed \(seed)")
                #expect(sought?.seq == seq)
            }
            #expect(try index.state(at: 0, fetch: fetch(played.events)) == nil)
            #expect(try index.state(at: played.events.count + 1, fetch: fetch(played.events)) == nil)
        }
    }

    @Test func aGapOrAJournalWithoutItsBeginningIsRefused() throws {
        let played = PlayedWorkshop.whole(seed: 4)
        var index = ReplayIndex()
        let headless = Event(seq: 1, at: 0, by: nil, body: played.events[1].body)
        #expect(throws: ReplayIndex.Failure.noBeginning) { try index.extend(with: [headless]) }
        #expect(throws: ReplayIndex.Failure.gap(expected: 1, got: 2)) { try index.extend(with: played.events.dropFirst()) }
        try index.extend(with: played.events.prefix(5))
        #expect(throws: ReplayIndex.Failure.gap(expected: 6, got: 7)) { try index.extend(with: played.events.dropFirst(6)) }
    }

    @Test func markersAreThePhasesTheRevealsAndTheSheets() throws {
        let played = PlayedWorkshop.whole(seed: 5)
        var index = ReplayIndex()
        try index.extend(with: played.events)
        #expect(index.markers.map(\.kind) == [.phase, .votesRevealed, .phase, .project, .closed])
        for m in index.markers { #expect(m.at == played.events[m.seq - 1].at) }
    }

    /// The snapshot of a moment, parsed.
    func moment(_ state: Workshop, _ viewer: Actor) throws -> JSONValue {
        let bytes = Outbound.moment(state, at: 0, last: state.seq, viewer: viewer)
        return try JSONParser.parse(bytes)
    }

    func cards(_ m: JSONValue) -> [JSONValue] {
        guard case .array(let cards)? = m["workshop"]?["cards"] else { return [] }
        return cards
    }

    @Test func aParticipantSeesOnlyWhatTheyCouldSeeThen() throws {
        let played = PlayedWorkshop.whole(seed: 6)
        var index = ReplayIndex(spacing: 10)
        try index.extend(with: played.events)
        let revealCards = try #require(played.events.first { if case .cardsRevealed = $0.body { return true }; return false }?.seq)
        let revealVotes = try #require(played.events.first { if case .votesRevealed = $0.body { return true }; return false }?.seq)
        let viewer = Actor(id: "p_b", role: .participant)
        // Before the cards' reveal: p_b's own private cards, nobody else's.
        let before = try #require(try index.state(at: revealCards - 1, fetch: fetch(played.events)))
        let others = before.cards.filter { $0.value.author != "p_b" && $0.value.isPrivate }
        #expect(!others.isEmpty, "the played workshop must have someone else's private card before the reveal")
        let seen = Set(cards(try moment(before, viewer)).compactMap { if case .string(let id)? = $0["id"] { return id }; return nil })
        for (id, _) in others { #expect(!seen.contains(id)) }
        for (id, card) in before.cards where card.author == "p_b" { #expect(seen.contains(id)) }
        // The facilitator saw them all, as the console did.
        let all = Set(cards(try moment(before, .facilitator)).compactMap { if case .string(let id)? = $0["id"] { return id }; return nil })
        #expect(all == Set(before.cards.map(\.key)))
        // Before the votes' reveal: no count on any card, for anyone; dots cast already.
        let voting = try #require(try index.state(at: revealVotes - 1, fetch: fetch(played.events)))
        #expect(voting.voteCounts.values.reduce(0, +) > 0)
        for who in [viewer, Actor.facilitator] {
            for card in cards(try moment(voting, who)) { #expect(card["votes"] == .null) }
        }
        // After it: counts, the same for everyone.
        let revealed = try #require(try index.state(at: revealVotes, fetch: fetch(played.events)))
        let counted = cards(try moment(revealed, viewer)).filter { if case .number = $0["votes"] { return true }; return false }
        #expect(!counted.isEmpty)
    }

    @Test func provenanceListsTheSheetsCardsClusterStepsAndTables() throws {
        let played = PlayedWorkshop.whole(seed: 7)
        var index = ReplayIndex()
        try index.extend(with: played.events)
        let project = try #require(played.state.projects.values.first)
        let p = try #require(index.provenance.provenance(of: project.id, in: played.state))
        #expect(p.cards.map(\.card) == project.problems + project.sources)
        for origin in p.cards {
            let written = try #require(origin.written)
            #expect(played.state.cards[origin.card]?.createdSeq == written.seq)
            #expect(written.group == "g_a")
        }
        #expect(p.steps.map(\.kind) == [.created, .updated])
        #expect(p.steps[1].fields == ["summary"])
        #expect(p.steps[0].moment.phase == "projects")
        #expect(p.tables == ["g_a"])
        #expect(p.cluster == project.cluster)
        if project.cluster != nil { #expect(p.clusterMade != nil) }
        // The same log from a single pass over the journal (the export's way).
        #expect(ProvenanceLog(played.events) == index.provenance)
    }
}
