import Testing
@testable import AtelierDomain

/// Every facilitation command is the facilitator's alone: each refused to a participant.
let facilitatorOnly: [Command] = [
    .phaseSet(phase: "ideas"), .participantAssign(participant: "p_11", group: "g_b"), .tablesBalance, .rotationAdvance,
    .hostAssign(board: "b_a", participant: "p_10"), .participantRemove(participant: "p_11"), .participantErase(participant: "p_11"),
    .timerStart(seconds: 60, label: nil), .timerPause, .timerResume, .timerStop, .announce(text: "Pause café"),
    .workshopPause, .workshopResume, .workshopClose, .viewFocus(board: "b_a"),
    .settingsUpdate(SettingsChange(voteBudget: 3)), .votesReveal, .cardsReveal,
    .cardHide(card: "c_100"), .cardRestore(card: "c_100"), .boardLock(board: "b_a"), .boardUnlock(board: "b_a"),
    .projectReady(project: "j_1"), .projectReopen(project: "j_1"),
    .groupOpen(group: "g_a", endsAt: 86_400_000, purpose: nil), .groupClose(group: "g_a", into: nil),
    .groupInvite(group: "g_a", digest: "d"), .groupRevoke(group: "g_a", invitation: "i_1"),
]

func step(_ w: inout Workshop, _ c: Command, _ a: Actor, now: Int64 = 0) throws -> [EventBody] {
    let events = try reduce(w, c, by: a, context: ReduceContext(nextSeq: w.seq + 1, now: now)).get()
    for e in events { w.apply(Event(seq: w.seq + 1, at: now, by: a.id, body: e)) }
    return events
}

@Suite("Facilitation rules")
struct FacilitationTests {
    @Test(arguments: facilitatorOnly.indices)
    func participantsCannotFacilitate(_ i: Int) {
        let w = fixture()
        switch run(w, facilitatorOnly[i], alice) {
        case .success(let e): Issue.record("\(facilitatorOnly[i]) accepted for a participant: \(e)")
        case .failure(let e): #expect(e.code == .forbidden, "\(facilitatorOnly[i])")
        }
    }

    @Test func assignAndBalance() throws {
        var w = fixture()
        #expect(try step(&w, .participantAssign(participant: "p_11", group: nil), facilitator) == [.participantAssigned(participant: "p_11", group: nil)])
        #expect(try step(&w, .participantAssign(participant: "p_10", group: nil), facilitator).count == 1)
        // A has nobody left, B has one: balancing fills A first, then evens out.
        let events = try step(&w, .tablesBalance, facilitator)
        #expect(events == [.participantAssigned(participant: "p_10", group: "g_a"), .participantAssigned(participant: "p_11", group: "g_a")]
                || events == [.participantAssigned(participant: "p_10", group: "g_a"), .participantAssigned(participant: "p_11", group: "g_b")])
        #expect(w.participants.values.allSatisfy { $0.group != nil })
        #expect(throws: DomainError.self) { try step(&w, .participantAssign(participant: "p_99", group: "g_a"), facilitator) }
        #expect(throws: DomainError.self) { try step(&w, .participantAssign(participant: "p_10", group: "g_zz"), facilitator) }
    }

    @Test func rotationMovesGroupsBoardsKeepContentHostsStay() throws {
        var w = fixture()
        _ = try step(&w, .hostAssign(board: "b_a", participant: "p_10"), facilitator)
        let cardsBefore = w.cards
        _ = try step(&w, .rotationAdvance, facilitator)
        #expect(w.board("b_a")?.group == "g_b")
        #expect(w.board("b_b")?.group == "g_a")
        #expect(w.cards == cardsBefore, "boards keep their content")
        #expect(w.participants["p_10"]?.group == "g_b", "the host stays at b_a and joins the group that arrived")
        #expect(w.participants["p_11"]?.group == "g_a", "the others move with their group")
        // Bob's group now writes on b_b, not on b_a.
        #expect(throws: Never.self) { try run(w, .cardAdd(board: "b_b", column: "problems", text: "x", x: nil, y: nil, color: nil), bob).get() }
        #expect(throws: DomainError.self) { try run(w, .cardAdd(board: "b_a", column: "problems", text: "x", x: nil, y: nil, color: nil), bob).get() }
    }

    @Test func removedParticipantCanDoNothing() throws {
        var w = fixture()
        _ = try step(&w, .participantRemove(participant: "p_10"), facilitator)
        #expect(w.participants["p_10"]?.removed == true)
        #expect(run(w, .cardEdit(card: "c_100", text: "y", version: 1), alice).failure?.code == .forbidden)
    }

    @Test func erasureRemovesTheProfileKeepsTheCards() throws {
        var w = fixture()
        #expect(try step(&w, .participantErase(participant: "p_10"), facilitator) == [.participantErased(participant: "p_10")])
        #expect(w.participants["p_10"]?.profile == nil)
        #expect(w.cards["c_100"]?.author == "p_10", "contributions stay")
        #expect(try step(&w, .participantErase(participant: "p_10"), facilitator) == [], "nothing left to erase")
    }

    @Test func timerStartsPausesResumesEnds() throws {
        var w = fixture()
        #expect(run(w, .timerStart(seconds: 0, label: nil), facilitator).failure?.code == .invalid)
        _ = try step(&w, .timerStart(seconds: 300, label: "Idées"), facilitator, now: 1_000)
        #expect(w.timer == RoomTimer(label: "Idées", seconds: 300, endsAt: 301_000, remaining: nil))
        _ = try step(&w, .timerPause, facilitator, now: 61_000)
        #expect(w.timer?.remaining == 240_000)
        #expect(w.timer?.running == false)
        #expect(run(w, .timerExpire(endsAt: 301_000), .system).success == [], "a paused timer does not end")
        _ = try step(&w, .timerResume, facilitator, now: 100_000)
        #expect(w.timer?.endsAt == 340_000)
        #expect(run(w, .timerExpire(endsAt: 301_000), .system).success == [], "the old end is stale")
        #expect(run(w, .timerExpire(endsAt: 340_000), facilitator).success == [], "only the hub ends timers")
        #expect(try step(&w, .timerExpire(endsAt: 340_000), .system) == [.timerEnded])
        #expect(w.timer == nil)
        #expect(run(w, .timerPause, facilitator).failure?.code == .invalid)
    }

    @Test func pauseFreezesParticipantsAndCloseFreezesEveryone() throws {
        var w = fixture()
        _ = try step(&w, .workshopPause, facilitator)
        #expect(run(w, .cardAdd(board: "b_a", column: "problems", text: "x", x: nil, y: nil, color: nil), alice).failure?.code == .locked)
        _ = try step(&w, .workshopResume, facilitator)
        #expect(run(w, .cardAdd(board: "b_a", column: "problems", text: "x", x: nil, y: nil, color: nil), alice).failure == nil)
        _ = try step(&w, .workshopClose, facilitator)
        #expect(run(w, .announce(text: "x"), facilitator).failure?.code == .closed)
        #expect(run(w, .cardDelete(card: "c_100"), alice).failure?.code == .closed)
    }

    @Test func announceAndFocusAndSettings() throws {
        var w = fixture()
        #expect(run(w, .announce(text: "  "), facilitator).failure?.code == .invalid)
        #expect(try step(&w, .announce(text: "Pause café"), facilitator) == [.announcementMade(text: "Pause café")])
        _ = try step(&w, .viewFocus(board: "b_b"), facilitator)
        #expect(w.focus == "b_b")
        #expect(run(w, .viewFocus(board: "b_zz"), facilitator).failure?.code == .notFound)
        #expect(run(w, .settingsUpdate(SettingsChange(voteBudget: 101)), facilitator).failure?.code == .invalid)
        #expect(run(w, .settingsUpdate(SettingsChange(maxVotesPerCard: 0)), facilitator).failure?.code == .invalid)
        _ = try step(&w, .settingsUpdate(SettingsChange(voteBudget: 2, privateWriting: true)), facilitator)
        #expect(w.settings.voteBudget == 2 && w.settings.privateWriting && w.settings.maxVotesPerCard == 3)
    }

    @Test func budgetIsPerPhaseAndSettable() throws {
        var w = fixture(phase: "ideas").votingOnAnyCard()
        _ = try step(&w, .settingsUpdate(SettingsChange(voteBudget: 2, maxVotesPerCard: 1)), facilitator)
        _ = try step(&w, .voteCast(card: "c_100"), alice)
        #expect(run(w, .voteCast(card: "c_100"), alice).failure?.code == .budget, "at most 1 on a card")
        _ = try step(&w, .voteCast(card: "c_2"), alice)
        #expect(run(w, .voteCast(card: "c_2"), alice).failure?.code == .budget, "budget of 2 spent")
        // A second voting phase has its own budget.
        w.phases.append(Phase(id: "vote2", title: "Second vote", open: [], voting: true, voteOn: [.problem, .idea]))
        _ = try step(&w, .phaseSet(phase: "vote2"), facilitator)
        #expect(throws: Never.self) { try step(&w, .voteCast(card: "c_100"), alice) }
        #expect(w.voteCount("c_100") == 2)
        #expect(run(w, .voteRetract(card: "c_2"), alice).failure?.code == .invalid, "votes of another phase stay")
    }

    @Test func revealVotes() throws {
        var w = fixture(phase: "ideas").votingOnAnyCard()
        _ = try step(&w, .voteCast(card: "c_100"), alice)
        _ = try step(&w, .voteCast(card: "c_100"), bob)
        #expect(try step(&w, .votesReveal, facilitator) == [.votesRevealed(counts: ["c_100": 2])])
        #expect(w.votesRevealed)
        #expect(try step(&w, .votesReveal, facilitator) == [])
    }

    @Test func privateWritingUntilReveal() throws {
        var w = fixture()
        _ = try step(&w, .settingsUpdate(SettingsChange(privateWriting: true)), facilitator)
        let added = try step(&w, .cardAdd(board: "b_a", column: "problems", text: "Secret", x: nil, y: nil, color: nil), alice)
        guard case .cardAdded(let card)? = added.first else { Issue.record("no card"); return }
        #expect(card.isPrivate)
        #expect(w.audience(of: .cardEdited(card: card.id, text: "x", version: 2), by: nil).sight(for: bob) == .hidden)
        #expect(w.audience(of: .cardEdited(card: card.id, text: "x", version: 2), by: nil).sight(for: alice) == .full)
        #expect(w.audience(of: .cardEdited(card: card.id, text: "x", version: 2), by: nil).sight(for: facilitator) == .full)
        #expect(run(w, .commentAdd(card: card.id, text: "je vois"), bob).failure?.code == .notFound, "a private card does not exist for others")
        let revealed = try step(&w, .cardsReveal, facilitator)
        guard case .cardsRevealed(let cards)? = revealed.first else { Issue.record("no reveal"); return }
        #expect(cards.map(\.id) == [card.id])
        #expect(cards.allSatisfy { !$0.isPrivate })
        #expect(w.canSee(w.cards[card.id]!, viewer: bob))
    }

    @Test func anonymousModeHidesAuthorsFromOthers() throws {
        var w = fixture()
        _ = try step(&w, .settingsUpdate(SettingsChange(anonymous: true, facilitatorSeesAuthors: false)), facilitator)
        let add = EventBody.cardAdded(Card(id: "c_x", board: "b_a", column: "problems", text: "x", x: 0, y: 0, color: .yellow, author: "p_10", createdSeq: 1))
        #expect(w.audience(of: add, by: nil).sight(for: alice) == .full)
        #expect(w.audience(of: add, by: nil).sight(for: bob) == .anonymous)
        #expect(w.audience(of: add, by: nil).sight(for: facilitator) == .anonymous)
        #expect(!w.showsAuthor("p_10", to: bob))
        #expect(w.showsAuthor("p_10", to: alice))
        _ = try step(&w, .settingsUpdate(SettingsChange(facilitatorSeesAuthors: true)), facilitator)
        #expect(w.audience(of: add, by: nil).sight(for: facilitator) == .full)
    }

    @Test func clustersAndComments() throws {
        var w = fixture()
        let created = try step(&w, .clusterCreate(board: "b_a", title: "Mutualisation", cards: ["c_100", "c_2"]), bob)
        guard case .clusterCreated(let k, _)? = created.first else { Issue.record("no cluster"); return }
        #expect(w.cards["c_100"]?.cluster == k.id && w.cards["c_2"]?.cluster == k.id)
        #expect(run(w, .clusterCreate(board: "b_a", title: "x", cards: []), bob).failure?.code == .invalid)
        #expect(run(w, .clusterCreate(board: "b_a", title: "x", cards: ["c_100"]), carol).failure?.code == .forbidden)
        _ = try step(&w, .clusterRename(cluster: k.id, title: "Emplois partagés"), alice)
        #expect(w.clusters[k.id]?.title == "Emplois partagés")
        _ = try step(&w, .cardCluster(card: "c_2", cluster: nil), alice)
        #expect(w.cards["c_2"]?.cluster == nil)
        #expect(run(w, .cardCluster(card: "c_2", cluster: "k_zz"), alice).failure?.code == .notFound)
        let comment = try step(&w, .commentAdd(card: "c_100", text: "D'accord !"), carol)
        guard case .commentAdded(let c)? = comment.first else { Issue.record("no comment"); return }
        #expect(run(w, .commentDelete(comment: c.id), bob).failure?.code == .forbidden)
        #expect(run(w, .commentAdd(card: "c_100", text: String(repeating: "x", count: 501)), bob).failure?.code == .invalid)
        _ = try step(&w, .commentDelete(comment: c.id), facilitator)
        #expect(w.comments.isEmpty)
    }

    @Test func moderationHidesRestoresLocks() throws {
        var w = fixture()
        _ = try step(&w, .cardHide(card: "c_100"), facilitator)
        #expect(w.cards["c_100"]?.hidden == true)
        #expect(!w.canSee(w.cards["c_100"]!, viewer: alice), "hidden from participants, even its author")
        #expect(run(w, .cardEdit(card: "c_100", text: "y", version: 1), alice).failure?.code == .notFound)
        #expect(try step(&w, .cardRestore(card: "c_100"), facilitator).count == 1)
        #expect(w.canSee(w.cards["c_100"]!, viewer: bob))
        _ = try step(&w, .boardLock(board: "b_a"), facilitator)
        #expect(run(w, .cardMove(card: "c_100", x: 9, y: 9, column: nil, board: nil), alice).failure?.code == .locked)
        #expect(throws: Never.self) { try run(w, .cardEdit(card: "c_100", text: "modéré", version: 1), facilitator).get() }
        _ = try step(&w, .boardUnlock(board: "b_a"), facilitator)
        #expect(w.board("b_a")?.locked == false)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let f) = self { return f }; return nil }
    var success: Success? { if case .success(let s) = self { return s }; return nil }
}

/// Issue 12, "votes that close": what a dot may go on, and when voting stops.
@Suite("Vote rules")
struct VoteRuleTests {
    /// An idea card on board A by Bob (Alice and Bob sit at table A).
    func withIdea(_ w: inout Workshop) throws -> CardID {
        let added = try step(&w, .cardAdd(board: "b_a", column: "ideas", text: "Une idée", x: nil, y: nil, color: nil), bob)
        guard case .cardAdded(let card)? = added.first else { throw DomainError(.internal, "no card") }
        return card.id
    }

    @Test func votesGoOnTheColumnsThePhaseVotesOn() throws {
        var w = fixture(phase: "ideas")
        let idea = try withIdea(&w)
        let refused = run(w, .voteCast(card: "c_100"), bob)
        #expect(refused.failure?.code == .phase, "a problem card in the ideas phase")
        #expect(refused.failure?.message.contains("Idées") == true, "the refusal names the column to vote on")
        #expect(throws: Never.self) { try step(&w, .voteCast(card: idea), alice) }
        // The plan may widen it.
        w.phases[w.phases.firstIndex { $0.id == "ideas" }!].voteOn = [.problem, .idea]
        #expect(throws: Never.self) { try step(&w, .voteCast(card: "c_100"), bob) }
    }

    @Test func ownCardsTakeNoVoteUnlessAllowed() throws {
        var w = fixture(phase: "ideas")
        let idea = try withIdea(&w)
        #expect(run(w, .voteCast(card: idea), bob).failure?.code == .forbidden)
        _ = try step(&w, .settingsUpdate(SettingsChange(voteOwnCards: true)), facilitator)
        #expect(throws: Never.self) { try step(&w, .voteCast(card: idea), bob) }
    }

    @Test func closingStopsVotesAndTheirRetraction() throws {
        var w = fixture(phase: "ideas")
        let idea = try withIdea(&w)
        _ = try step(&w, .voteCast(card: idea), alice)
        #expect(w.voterCount == 1)
        #expect(run(w, .votesClose, alice).failure?.code == .forbidden)
        #expect(try step(&w, .votesClose, facilitator) == [.votesClosed])
        #expect(try step(&w, .votesClose, facilitator) == [], "closing twice changes nothing")
        #expect(run(w, .voteCast(card: idea), carol).failure?.code == .phase)
        #expect(run(w, .voteRetract(card: idea), alice).failure?.code == .phase)
        #expect(w.voterCount == 1)
    }

    @Test func theRevealClosesTheVote() throws {
        var w = fixture(phase: "ideas")
        let idea = try withIdea(&w)
        _ = try step(&w, .voteCast(card: idea), alice)
        _ = try step(&w, .votesReveal, facilitator)
        #expect(w.votesClosed)
        let late = run(w, .voteCast(card: idea), carol)
        #expect(late.failure?.code == .phase)
        #expect(late.failure?.message.contains("résultats") == true)
    }
}

/// Issue 12, "nothing stale": a timer gets more time, a message is withdrawn.
@Suite("Timer and announcements")
struct TimerAndAnnouncementTests {
    @Test func aRunningOrPausedTimerGetsMoreTime() throws {
        var w = fixture()
        #expect(run(w, .timerAdd(seconds: 60), facilitator).failure?.code == .invalid, "no timer yet")
        _ = try step(&w, .timerStart(seconds: 300, label: "Idées"), facilitator, now: 1_000)
        #expect(run(w, .timerAdd(seconds: 60), alice).failure?.code == .forbidden)
        #expect(try step(&w, .timerAdd(seconds: 60), facilitator, now: 2_000)
                == [.timerStarted(RoomTimer(label: "Idées", seconds: 360, endsAt: 1_000 + 360_000, remaining: nil))])
        _ = try step(&w, .timerPause, facilitator, now: 11_000)
        _ = try step(&w, .timerAdd(seconds: 60), facilitator, now: 12_000)
        #expect(w.timer?.remaining == 350_000 + 60_000 && w.timer?.endsAt == nil, "a paused timer stays paused, longer")
        #expect(run(w, .timerAdd(seconds: 0), facilitator).failure?.code == .invalid)
        #expect(run(w, .timerAdd(seconds: 6 * 3600), facilitator).failure?.code == .invalid)
    }

    @Test func theFacilitatorWithdrawsTheAnnouncement() throws {
        var w = fixture()
        #expect(try step(&w, .announcementWithdraw, facilitator) == [], "nothing to withdraw")
        _ = try step(&w, .announce(text: "Pause café"), facilitator)
        #expect(run(w, .announcementWithdraw, alice).failure?.code == .forbidden)
        #expect(try step(&w, .announcementWithdraw, facilitator) == [.announcementWithdrawn])
        #expect(w.announcement == nil)
    }
}

/// Issue 12: the facilitator chooses what the projector shows.
@Suite("Projector modes")
struct ProjectorModeTests {
    @Test func theConsoleChoosesTheProjectorsMode() throws {
        var w = fixture()
        #expect(run(w, .projectorShow(mode: .results, every: nil), alice).failure?.code == .forbidden)
        #expect(try step(&w, .projectorShow(mode: .rotation, every: nil), facilitator) == [.projectorShown(mode: .rotation, every: 20)])
        #expect(try step(&w, .projectorShow(mode: .rotation, every: nil), facilitator) == [], "the same view again changes nothing")
        #expect(run(w, .projectorShow(mode: .rotation, every: 2), facilitator).failure?.code == .invalid)
        _ = try step(&w, .projectorShow(mode: .projects, every: 30), facilitator)
        #expect(w.projector == ProjectorView(mode: .projects, every: nil), "only a rotation turns")
    }
}
