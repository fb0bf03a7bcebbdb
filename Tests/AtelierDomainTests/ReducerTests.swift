import Testing
@testable import AtelierDomain

/// A small workshop: two tables, three phases (voting in "ideas"), one seeded card.
func fixture(phase: PhaseID = "problems") -> Workshop {
    let columns = [Column(id: "problems", title: "Problèmes", kind: .problem),
                   Column(id: "ideas", title: "Idées", kind: .idea),
                   Column(id: "projects", title: "Projets", kind: .project)]
    let blueprint = Blueprint(
        id: "w_test", title: "Test", plan: "test",
        groups: [Group(id: "g_a", title: "A", theme: ""), Group(id: "g_b", title: "B", theme: "")],
        boards: [Board(id: "b_a", title: "A", group: "g_a", columns: columns),
                 Board(id: "b_b", title: "B", group: "g_b", columns: columns)],
        phases: [Phase(id: "problems", title: "Problèmes", open: [.problem]),
                 Phase(id: "ideas", title: "Idées", open: [.idea], voting: true),
                 Phase(id: "projects", title: "Projets", open: [.project])],
        settings: Settings(voteBudget: 5, maxVotesPerCard: 3))
    var w = Workshop.replay(Workshop.creationEvents(blueprint, seeds: [SeedCard(board: "b_a", column: "problems", text: "Constat")])
        .enumerated().map { Event(seq: $0.offset + 1, at: 0, by: nil, body: $0.element) })!
    // Two participants at table A, one at table B.
    for (id, group) in [("p_10", "g_a"), ("p_11", "g_a"), ("p_12", "g_b")] {
        w.apply(Event(seq: w.seq + 1, at: 0, by: id, body: .participantJoined(
            Participant(id: id, role: .participant, actor: .aci, group: group, profile: Profile(name: id, organisation: "")))))
    }
    // p_10 owns card c_100 on board A.
    w.apply(Event(seq: w.seq + 1, at: 0, by: "p_10", body: .cardAdded(
        Card(id: "c_100", board: "b_a", column: "problems", text: "Ma carte", x: 0, y: 0, color: .yellow, author: "p_10", createdSeq: 100))))
    if phase != "problems" { w.apply(Event(seq: w.seq + 1, at: 0, by: Actor.facilitatorID, body: .phaseChanged(phase: phase))) }
    return w
}

let alice = Actor(id: "p_10", role: .participant)     // table A, owns c_100
let bob = Actor(id: "p_11", role: .participant)       // table A
let carol = Actor(id: "p_12", role: .participant)     // table B
let facilitator = Actor.facilitator
let observer = Actor(id: "o_1", role: .observer)

extension Workshop {
    /// Votes on any column, own cards included: for the tests of budgets and secrecy, not of
    /// what may be voted on (`VoteRuleTests`).
    func votingOnAnyCard() -> Workshop {
        var w = self
        for i in w.phases.indices { w.phases[i].voteOn = [.problem, .idea, .project] }
        w.settings.voteOwnCards = true
        return w
    }
}

func run(_ w: Workshop, _ c: Command, _ a: Actor) -> Result<[EventBody], DomainError> {
    reduce(w, c, by: a, context: ReduceContext(nextSeq: w.seq + 1))
}

/// Commands that must be refused, each with the code it must get.
struct Refusal: CustomTestStringConvertible, Sendable {
    var name: String
    var phase: PhaseID = "problems"
    var actor: Actor
    var command: Command
    var code: ErrorCode
    var prepare: (@Sendable (inout Workshop) -> Void)? = nil
    var testDescription: String { name }
}

let refusals: [Refusal] = [
    Refusal(name: "empty card", actor: alice, command: .cardAdd(board: "b_a", column: "problems", text: "   ", x: nil, y: nil, color: nil), code: .invalid),
    Refusal(name: "card of 1001 characters", actor: alice, command: .cardAdd(board: "b_a", column: "problems", text: String(repeating: "é", count: 1001), x: nil, y: nil, color: nil), code: .invalid),
    Refusal(name: "unknown board", actor: alice, command: .cardAdd(board: "b_zz", column: "problems", text: "x", x: nil, y: nil, color: nil), code: .notFound),
    Refusal(name: "unknown column", actor: alice, command: .cardAdd(board: "b_a", column: "nope", text: "x", x: nil, y: nil, color: nil), code: .notFound),
    Refusal(name: "column kind closed in this phase", actor: alice, command: .cardAdd(board: "b_a", column: "ideas", text: "x", x: nil, y: nil, color: nil), code: .phase),
    Refusal(name: "another table's board", actor: carol, command: .cardAdd(board: "b_a", column: "problems", text: "x", x: nil, y: nil, color: nil), code: .forbidden),
    Refusal(name: "position out of range", actor: alice, command: .cardAdd(board: "b_a", column: "problems", text: "x", x: -1, y: 0, color: nil), code: .invalid),
    Refusal(name: "position not finite", actor: alice, command: .cardMove(card: "c_100", x: .infinity, y: 0, column: nil, board: nil), code: .invalid),
    Refusal(name: "edit someone else's card", actor: bob, command: .cardEdit(card: "c_100", text: "volé", version: 1), code: .forbidden),
    Refusal(name: "edit with a stale version", actor: alice, command: .cardEdit(card: "c_100", text: "nouveau", version: 7), code: .conflict),
    Refusal(name: "edit a missing card", actor: alice, command: .cardEdit(card: "c_999", text: "x", version: 1), code: .notFound),
    Refusal(name: "edit to empty text", actor: alice, command: .cardEdit(card: "c_100", text: "", version: 1), code: .invalid),
    Refusal(name: "delete someone else's card", actor: bob, command: .cardDelete(card: "c_100"), code: .forbidden),
    Refusal(name: "delete a missing card", actor: alice, command: .cardDelete(card: "c_999"), code: .notFound),
    Refusal(name: "move to another board as participant", actor: alice, command: .cardMove(card: "c_100", x: 1, y: 1, column: nil, board: "b_b"), code: .forbidden),
    Refusal(name: "move from another table's board", actor: carol, command: .cardMove(card: "c_100", x: 1, y: 1, column: nil, board: nil), code: .forbidden),
    Refusal(name: "move to an unknown column", actor: alice, command: .cardMove(card: "c_100", x: 1, y: 1, column: "nope", board: nil), code: .notFound),
    Refusal(name: "vote outside a voting phase", actor: alice, command: .voteCast(card: "c_100"), code: .phase),
    Refusal(name: "vote on a missing card", phase: "ideas", actor: alice, command: .voteCast(card: "c_999"), code: .notFound),
    Refusal(name: "facilitator does not vote", phase: "ideas", actor: facilitator, command: .voteCast(card: "c_100"), code: .forbidden),
    Refusal(name: "fourth vote on one card", phase: "ideas", actor: alice, command: .voteCast(card: "c_100"), code: .budget,
            prepare: { w in for s in 0..<3 { w.apply(Event(seq: w.seq + 1, at: 0, by: "p_10", body: .voteCast(card: "c_100", voter: "p_10", phase: "ideas", total: 0))); _ = s } }),
    Refusal(name: "sixth vote (budget 5)", phase: "ideas", actor: alice, command: .voteCast(card: "c_2"), code: .budget,
            prepare: { w in
                for card in ["c_100", "c_100", "c_100", "c_2", "c_2"] { w.apply(Event(seq: w.seq + 1, at: 0, by: "p_10", body: .voteCast(card: card, voter: "p_10", phase: "ideas", total: 0))) }
            }),
    Refusal(name: "retract a vote never cast", phase: "ideas", actor: alice, command: .voteRetract(card: "c_100"), code: .invalid),
    Refusal(name: "participant changes phase", actor: alice, command: .phaseSet(phase: "ideas"), code: .forbidden),
    Refusal(name: "unknown phase", actor: facilitator, command: .phaseSet(phase: "dessert"), code: .notFound),
    Refusal(name: "observer writes", actor: observer, command: .cardAdd(board: "b_a", column: "problems", text: "x", x: nil, y: nil, color: nil), code: .forbidden),
    Refusal(name: "locked board", actor: alice, command: .cardAdd(board: "b_a", column: "problems", text: "x", x: nil, y: nil, color: nil), code: .locked,
            prepare: { w in w.boards[0].locked = true }),
    Refusal(name: "edit on a locked board", actor: alice, command: .cardEdit(card: "c_100", text: "y", version: 1), code: .locked,
            prepare: { w in w.boards[0].locked = true }),
    Refusal(name: "closed workshop", actor: facilitator, command: .phaseSet(phase: "ideas"), code: .closed,
            prepare: { w in w.closed = true }),
    Refusal(name: "join with an empty name", actor: .newcomer, command: .joinAsParticipant(profile: Profile(name: " ", organisation: ""), actor: .aci, group: nil), code: .invalid),
    Refusal(name: "join with a name of 81 characters", actor: .newcomer, command: .joinAsParticipant(profile: Profile(name: String(repeating: "a", count: 81), organisation: ""), actor: .aci, group: nil), code: .invalid),
    Refusal(name: "join with an organisation of 121 characters", actor: .newcomer, command: .joinAsParticipant(profile: Profile(name: "A", organisation: String(repeating: "o", count: 121)), actor: .ei, group: nil), code: .invalid),
    Refusal(name: "join an unknown table", actor: .newcomer, command: .joinAsParticipant(profile: Profile(name: "A", organisation: ""), actor: .ei, group: "g_zz"), code: .notFound),
]

@Suite("Reducer refusals")
struct RefusalTests {
    @Test(arguments: refusals)
    func refused(_ r: Refusal) {
        // Budgets and secrecy are what these refusals are about; what may be voted on is `VoteRuleTests`.
        var w = fixture(phase: r.phase).votingOnAnyCard()
        r.prepare?(&w)
        let before = w
        switch run(w, r.command, r.actor) {
        case .success(let events): Issue.record("expected \(r.code), got events \(events)")
        case .failure(let e):
            #expect(e.code == r.code)
            #expect(!e.message.isEmpty)
        }
        #expect(w == before, "a refused command never changes state")
    }
}

@Suite("Reducer decisions")
struct DecisionTests {
    @Test func addCardOnOwnTableInOpenColumn() throws {
        let w = fixture()
        let events = try run(w, .cardAdd(board: "b_a", column: "problems", text: "  Mutualiser un poste \n", x: 10, y: 20, color: .blue), alice).get()
        #expect(events == [.cardAdded(Card(id: "c_\(w.seq + 1)", board: "b_a", column: "problems", text: "Mutualiser un poste",
                                          x: 10, y: 20, color: .blue, author: "p_10", createdSeq: w.seq + 1))])
    }

    @Test func cardOf1000CharactersIsAccepted() throws {
        let text = String(repeating: "é", count: 1000)
        let events = try run(fixture(), .cardAdd(board: "b_a", column: "problems", text: text, x: nil, y: nil, color: nil), alice).get()
        guard case .cardAdded(let card)? = events.first else { Issue.record("no card"); return }
        #expect(card.text.count == 1000)
    }

    @Test func facilitatorWritesAnywhereInAnyPhase() throws {
        // In the problems phase, on another table's ideas column (the project column takes sheets only).
        let events = try run(fixture(), .cardAdd(board: "b_b", column: "ideas", text: "x", x: nil, y: nil, color: nil), facilitator).get()
        #expect(events.count == 1)
    }

    @Test func editOwnCardBumpsVersion() throws {
        #expect(try run(fixture(), .cardEdit(card: "c_100", text: "Nouveau", version: 1), alice).get()
                == [.cardEdited(card: "c_100", text: "Nouveau", version: 2)])
    }

    @Test func editWithSameTextChangesNothing() throws {
        #expect(try run(fixture(), .cardEdit(card: "c_100", text: "Ma carte", version: 1), alice).get() == [])
    }

    @Test func facilitatorEditsAndDeletesAnyCard() throws {
        #expect(try run(fixture(), .cardEdit(card: "c_100", text: "Modéré", version: 1), facilitator).get().count == 1)
        #expect(try run(fixture(), .cardDelete(card: "c_100"), facilitator).get() == [.cardDeleted(card: "c_100")])
    }

    @Test func ownerDeletesOwnCard() throws {
        #expect(try run(fixture(), .cardDelete(card: "c_100"), alice).get() == [.cardDeleted(card: "c_100")])
    }

    @Test func tableMateMovesACardWithinTheBoard() throws {
        #expect(try run(fixture(), .cardMove(card: "c_100", x: 5, y: 6, column: "ideas", board: nil), bob).get()
                == [.cardMoved(card: "c_100", x: 5, y: 6, column: "ideas", board: "b_a")])
    }

    @Test func facilitatorMovesACardToAnotherBoard() throws {
        #expect(try run(fixture(), .cardMove(card: "c_100", x: 0, y: 0, column: "problems", board: "b_b"), facilitator).get()
                == [.cardMoved(card: "c_100", x: 0, y: 0, column: "problems", board: "b_b")])
    }

    @Test func moveToTheSamePlaceChangesNothing() throws {
        #expect(try run(fixture(), .cardMove(card: "c_100", x: 0, y: 0, column: nil, board: nil), alice).get() == [])
    }

    @Test func votesWithinBudget() throws {
        var w = fixture(phase: "ideas").votingOnAnyCard()
        for n in 1...3 {
            let events = try run(w, .voteCast(card: "c_100"), alice).get()
            #expect(events == [.voteCast(card: "c_100", voter: "p_10", phase: "ideas", total: n)])
            w.apply(Event(seq: w.seq + 1, at: 0, by: "p_10", body: events[0]))
            #expect(w.votes(of: "p_10")["c_100"] == n)
        }
        #expect(w.votesCast(by: "p_10") == 3)
        let retract = try run(w, .voteRetract(card: "c_100"), alice).get()
        w.apply(Event(seq: w.seq + 1, at: 0, by: "p_10", body: retract[0]))
        #expect(w.votes(of: "p_10")["c_100"] == 2)
        #expect(w.voteCount("c_100") == 2)
    }

    @Test func votesAreSecretUntilRevealed() {
        var w = fixture(phase: "ideas")
        let vote = EventBody.voteCast(card: "c_100", voter: "p_10", phase: "ideas", total: 1)
        #expect(w.audience(of: vote, by: nil).sight(for: alice) == .full)
        #expect(w.audience(of: vote, by: nil).sight(for: bob) == .hidden)
        #expect(w.audience(of: vote, by: nil).sight(for: facilitator) == .hidden)
        w.votesRevealed = true
        #expect(w.audience(of: vote, by: nil).sight(for: bob) == .anonymous, "counts become public, voters never")
        #expect(w.audience(of: .phaseChanged(phase: "x"), by: nil).sight(for: bob) == .full)
    }

    @Test func facilitatorChangesPhase() throws {
        #expect(try run(fixture(), .phaseSet(phase: "ideas"), facilitator).get() == [.phaseChanged(phase: "ideas")])
        #expect(try run(fixture(), .phaseSet(phase: "problems"), facilitator).get() == [])
    }

    @Test func phaseOpensItsColumns() throws {
        let w = fixture(phase: "ideas")
        #expect(throws: Never.self) { try run(w, .cardAdd(board: "b_a", column: "ideas", text: "x", x: nil, y: nil, color: nil), alice).get() }
        #expect(throws: DomainError.self) { try run(w, .cardAdd(board: "b_a", column: "problems", text: "x", x: nil, y: nil, color: nil), alice).get() }
    }

    @Test func newcomersBalanceTables() throws {
        // A has 2 people, B has 1: the next goes to B.
        let events = try run(fixture(), .joinAsParticipant(profile: Profile(name: " Marie ", organisation: " ACI "), actor: .aci, group: nil), .newcomer).get()
        guard case .participantJoined(let p)? = events.first else { Issue.record("no join"); return }
        #expect(p.group == "g_b")
        #expect(p.profile == Profile(name: "Marie", organisation: "ACI"))
        #expect(p.role == .participant)
    }

    @Test func joinAChosenTable() throws {
        let events = try run(fixture(), .joinAsParticipant(profile: Profile(name: "M", organisation: ""), actor: .public, group: "g_a"), .newcomer).get()
        guard case .participantJoined(let p)? = events.first else { Issue.record("no join"); return }
        #expect(p.group == "g_a")
        #expect(p.id == "p_\(fixture().seq + 1)")
    }
}

@Suite("Applying events")
struct ApplyTests {
    @Test func replayRebuildsTheSameState() {
        let w = fixture(phase: "ideas").votingOnAnyCard()
        // Rebuild from events that produce the same fixture.
        var events: [Event] = []
        var live = w
        for (n, c) in [Command.cardAdd(board: "b_a", column: "ideas", text: "Idée", x: 1, y: 2, color: .green),
                       .voteCast(card: "c_100"), .cardEdit(card: "c_100", text: "Édité", version: 1)].enumerated() {
            let bodies = try! run(live, c, alice).get()
            for b in bodies {
                let e = Event(seq: live.seq + 1, at: Int64(n), by: alice.id, body: b)
                live.apply(e); events.append(e)
            }
        }
        var replayed = w
        events.forEach { replayed.apply($0) }
        #expect(replayed == live)
        #expect(live.cards["c_100"]?.text == "Édité")
        #expect(live.cards["c_100"]?.version == 2)
        #expect(live.seq == w.seq + 3)
    }

    @Test func deletingACardRemovesItsVotes() {
        var w = fixture(phase: "ideas")
        w.apply(Event(seq: w.seq + 1, at: 0, by: "p_10", body: .voteCast(card: "c_100", voter: "p_10", phase: "ideas", total: 0)))
        #expect(w.voteCount("c_100") == 1)
        w.apply(Event(seq: w.seq + 1, at: 0, by: "p_10", body: .cardDeleted(card: "c_100")))
        #expect(w.cards["c_100"] == nil)
        #expect(w.voteCount("c_100") == 0)
        #expect(w.votesCast(by: "p_10") == 0)
    }

    @Test func creationEventsSeedCardsInOrder() {
        let w = fixture()
        #expect(w.cards["c_2"]?.text == "Constat")
        #expect(w.cards["c_2"]?.author == nil)
        #expect(w.phase == "problems")
    }

    @Test func replayRefusesAJournalThatDoesNotStartWithCreation() {
        #expect(Workshop.replay([Event(seq: 1, at: 0, by: nil, body: .phaseChanged(phase: "x"))]) == nil)
    }
}
