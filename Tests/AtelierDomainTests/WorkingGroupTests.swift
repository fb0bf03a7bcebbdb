import Testing
@testable import AtelierDomain

/// Working groups between sessions (docs/protocol.md "Working groups"): after `workshop.close`,
/// the group's table alone takes its members' work, until its end date, its close, or its carry.
@Suite("Working groups")
struct WorkingGroupTests {
    static let day: Int64 = 86_400_000
    static let now: Int64 = 1_000 * day

    /// Table A opened as a group for a week, then the workshop closed.
    func closedWithGroup() throws -> Workshop {
        var w = fixture()
        _ = try step(&w, .groupOpen(group: "g_a", endsAt: Self.now + 7 * Self.day, purpose: "  Monter le projet  "), facilitator, now: Self.now)
        _ = try step(&w, .workshopClose, facilitator, now: Self.now)
        return w
    }

    @Test func theGroupsTableAloneTakesWorkAfterTheClose() throws {
        var w = try closedWithGroup()
        #expect(w.workingGroups["g_a"]?.group.purpose == "Monter le projet")
        // Table A's members write on their board, whatever the last phase opened.
        _ = try step(&w, .cardAdd(board: "b_a", column: "ideas", text: "Une idée", x: nil, y: nil, color: nil), alice, now: Self.now + 1)
        _ = try step(&w, .cardEdit(card: "c_100", text: "Ma carte, relue", version: 1), alice, now: Self.now + 2)
        _ = try step(&w, .commentAdd(card: "c_100", text: "D'accord"), bob, now: Self.now + 3)
        let project = try step(&w, .projectCreate(board: "b_a", title: "Un projet", cluster: nil, cards: []), bob, now: Self.now + 4)
        guard case .projectCreated(let sheet)? = project.first else { Issue.record("no sheet"); return }
        var change = ProjectChange(); change.fields["summary"] = .text("En quelques mots")
        _ = try step(&w, .projectUpdate(project: sheet.id, version: sheet.version, change: change), alice, now: Self.now + 5)
        // Table B (closed with the workshop), the rest of the workshop, another table's member: refused.
        #expect(run(w, .cardAdd(board: "b_b", column: "problems", text: "x", x: nil, y: nil, color: nil), carol).failureCode == .closed)
        #expect(run(w, .cardAdd(board: "b_a", column: "problems", text: "x", x: nil, y: nil, color: nil), carol).failureCode == .forbidden)
        #expect(run(w, .phaseSet(phase: "ideas"), facilitator).failureCode == .closed)
        #expect(run(w, .timerStart(seconds: 60, label: nil), facilitator).failureCode == .closed)
        // The facilitator still moderates the group's table (and only it).
        #expect(run(w, .cardHide(card: "c_100"), facilitator).failureCode == nil)
        #expect(run(w, .participantRemove(participant: "p_11"), facilitator).failureCode == nil)
        #expect(run(w, .participantRemove(participant: "p_12"), facilitator).failureCode == .closed)
        // What changed since the session: one card, one sheet edit (the creation is not an edit).
        #expect(w.workingGroups["g_a"]?.cards == 1)
        #expect(w.workingGroups["g_a"]?.sheetEdits == 1)
        #expect(w.workingGroups["g_a"]?.changes.map(\.kind) == [.card, .sheet])
    }

    @Test func aWriteAfterTheEndDateIsRefusedBeforeAnyTimer() throws {
        let w = try closedWithGroup()
        let late = Self.now + 7 * Self.day
        let refused = try #require(reduce(w, .cardAdd(board: "b_a", column: "ideas", text: "Trop tard", x: nil, y: nil, color: nil),
                                          by: alice, context: ReduceContext(nextSeq: w.seq + 1, now: late)).failure)
        #expect(refused.code == .closed)
        #expect(refused.message.contains("a pris fin le"))
        // The server's end: only by the system, only at or after the date.
        var ended = w
        #expect(try step(&ended, .groupExpire(group: "g_a", endsAt: late), Actor.system, now: late - 1).isEmpty)
        #expect(try step(&ended, .groupExpire(group: "g_a", endsAt: late), Actor.system, now: late)
                == [.groupEnded(group: "g_a", reason: .expired, into: nil)])
        #expect(ended.workingGroups["g_a"]?.isOpen == false)
    }

    @Test func closedOrBroughtIntoAnotherWorkshop() throws {
        var w = try closedWithGroup()
        #expect(try step(&w, .groupClose(group: "g_a", into: "w_next"), facilitator, now: Self.now + 1)
                == [.groupEnded(group: "g_a", reason: .brought, into: "w_next")])
        let refused = try #require(run(w, .cardAdd(board: "b_a", column: "ideas", text: "x", x: nil, y: nil, color: nil), alice).failure)
        #expect(refused.code == .closed && refused.message.contains("repris dans un autre atelier"))
        #expect(run(w, .groupClose(group: "g_a", into: nil), facilitator).failureCode == .closed)
        #expect(run(w, .groupClose(group: "g_b", into: nil), facilitator).failureCode == .notFound)
        // Brought elsewhere, it goes on there: it cannot be reopened here (a group only closed can).
        let reopen = try #require(run(w, .groupOpen(group: "g_a", endsAt: Self.now + 3 * Self.day, purpose: nil), facilitator).failure)
        #expect(reopen.code == .conflict && reopen.message.contains("w_next"))
        var closed = try closedWithGroup()
        _ = try step(&closed, .groupClose(group: "g_a", into: nil), facilitator, now: Self.now + 1)
        #expect(try step(&closed, .groupOpen(group: "g_a", endsAt: Self.now + 3 * Self.day, purpose: nil), facilitator, now: Self.now + 2).count == 1)
    }

    @Test func theEndDateIsBounded() throws {
        let w = fixture()
        func open(_ endsAt: Int64) -> DomainError? {
            reduce(w, .groupOpen(group: "g_a", endsAt: endsAt, purpose: nil), by: facilitator,
                   context: ReduceContext(nextSeq: w.seq + 1, now: Self.now)).failure
        }
        #expect(open(Self.now)?.code == .invalid)
        #expect(open(Self.now + 90 * Self.day + 1)?.code == .invalid)
        #expect(open(Self.now + 90 * Self.day) == nil)
        #expect(reduce(w, .groupOpen(group: "g_a", endsAt: Self.now + Self.day, purpose: String(repeating: "x", count: 501)),
                       by: facilitator, context: ReduceContext(nextSeq: w.seq + 1, now: Self.now)).failure?.code == .invalid)
    }

    @Test func anInvitedPersonJoinsTheTableAndSeesItAlone() throws {
        var w = try closedWithGroup()
        let invited = try step(&w, .groupInvite(group: "g_a", digest: "abc"), facilitator, now: Self.now + 1)
        guard case .groupInvited(_, let invitation)? = invited.first else { Issue.record("no invitation"); return }
        let joined = try step(&w, .joinAsGuest(profile: Profile(name: "Dana", organisation: ""), actor: .other, group: "g_a",
                                               invitation: invitation.id), .newcomer, now: Self.now + 2)
        guard case .participantJoined(let dana)? = joined.first else { Issue.record("no join"); return }
        #expect(dana.group == "g_a" && dana.guestOf == "g_a")
        let guest = w.actor(for: dana)
        #expect(guest.board == "b_a")
        _ = try step(&w, .cardAdd(board: "b_a", column: "problems", text: "Vu de l'extérieur", x: nil, y: nil, color: nil), guest, now: Self.now + 3)
        // Another table's card does not exist for them, nor events about it.
        w.apply(Event(seq: w.seq + 1, at: 0, by: "p_12", body: .cardAdded(
            Card(id: "c_900", board: "b_b", column: "problems", text: "Table B", x: 0, y: 0, color: .yellow, author: "p_12", createdSeq: 900))))
        #expect(run(w, .commentAdd(card: "c_900", text: "?"), guest).failureCode == .notFound)
        #expect(w.audience(of: .cardEdited(card: "c_900", text: "y", version: 2), by: "p_12").sight(for: guest) == .hidden)
        #expect(w.audience(of: .cardEdited(card: "c_100", text: "y", version: 2), by: "p_10").sight(for: guest) == .full)
        #expect(w.audience(of: .phaseChanged(phase: "ideas"), by: nil).sight(for: guest) == .hidden)
        #expect(w.audience(of: .participantJoined(w.participants["p_12"]!), by: nil).sight(for: guest) == .hidden)
        #expect(w.audience(of: .groupInvited(group: "g_a", invitation: invitation), by: nil).sight(for: guest) == .hidden)
        #expect(w.workingGroups["g_a"]?.members == 1)
        // A revoked link opens nothing any more.
        _ = try step(&w, .groupRevoke(group: "g_a", invitation: invitation.id), facilitator, now: Self.now + 4)
        #expect(run(w, .joinAsGuest(profile: Profile(name: "Eve", organisation: ""), actor: .other, group: "g_a",
                                    invitation: invitation.id), .newcomer).failureCode == .unauthenticated)
    }

    /// A group closed then reopened counts its activity again, but not its guests: those it let in
    /// are still in the room, so closing and reopening cannot raise the guest limit.
    @Test func aReopenedGroupKeepsCountingItsGuests() throws {
        var w = try closedWithGroup()
        let invited = try step(&w, .groupInvite(group: "g_a", digest: "abc"), facilitator, now: Self.now + 1)
        guard case .groupInvited(_, let invitation)? = invited.first else { Issue.record("no invitation"); return }
        _ = try step(&w, .joinAsGuest(profile: Profile(name: "Dana", organisation: ""), actor: .other, group: "g_a",
                                      invitation: invitation.id), .newcomer, now: Self.now + 2)
        #expect(w.workingGroups["g_a"]?.guests == 1 && w.workingGroups["g_a"]?.members == 1)
        _ = try step(&w, .groupClose(group: "g_a", into: nil), facilitator, now: Self.now + 3)
        _ = try step(&w, .groupOpen(group: "g_a", endsAt: Self.now + 3 * Self.day, purpose: nil), facilitator, now: Self.now + 4)
        #expect(w.workingGroups["g_a"]?.guests == 1, "the guest let in before the close still counts")
        #expect(w.workingGroups["g_a"]?.members == 0 && w.workingGroups["g_a"]?.openedAt == Self.now + 4)
        #expect(w.workingGroups["g_a"]?.invitations.isEmpty == true, "the links of the first opening stay closed")
    }
}

extension Result where Failure == DomainError {
    var failureCode: ErrorCode? { failure?.code }
}
