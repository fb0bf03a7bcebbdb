import Testing
@testable import AtelierDomain

/// Rules the mutation run (scripts/mutants) showed no test held: each test names the mutant it kills.
@Suite("Rule edges")
struct RuleEdgeTests {
    /// rules-card-edit-version: an edit must name the card's current version, neither an older nor a later one.
    @Test func anEditNamesTheCurrentVersionExactly() throws {
        var w = fixture()
        _ = try step(&w, .cardEdit(card: "c_100", text: "Deuxième", version: 1), alice)
        #expect(w.cards["c_100"]?.version == 2)
        #expect(run(w, .cardEdit(card: "c_100", text: "Périmée", version: 1), alice).failure?.code == .conflict)
        #expect(run(w, .cardEdit(card: "c_100", text: "Future", version: 3), alice).failure?.code == .conflict)
        #expect(try step(&w, .cardEdit(card: "c_100", text: "Troisième", version: 2), alice).count == 1)
    }

    /// rules-announce-length: an announcement is at most 500 characters.
    @Test func anAnnouncementIsAtMost500Characters() throws {
        let w = fixture()
        #expect(throws: Never.self) { try run(w, .announce(text: String(repeating: "é", count: 500)), facilitator).get() }
        #expect(run(w, .announce(text: String(repeating: "é", count: 501)), facilitator).failure?.code == .invalid)
    }

    /// rules-cluster-same-board: a cluster gathers cards of one board.
    @Test func aClusterGathersCardsOfOneBoard() throws {
        var w = fixture()
        let other = try step(&w, .cardAdd(board: "b_b", column: "problems", text: "Ailleurs", x: nil, y: nil, color: nil), facilitator)
        guard case .cardAdded(let card)? = other.first else { Issue.record("no card"); return }
        #expect(run(w, .clusterCreate(board: "b_a", title: "Mêlé", cards: ["c_100", card.id]), facilitator).failure?.code == .invalid)
        #expect(throws: Never.self) { try run(w, .clusterCreate(board: "b_a", title: "Seul", cards: ["c_100"]), facilitator).get() }
    }

    /// rules-card-cluster-same-board and rules-cluster-rename-table: a card joins clusters of its
    /// own board, and only the board's table (or the facilitator) renames a cluster.
    @Test func aCardJoinsOnlyAClusterOfItsBoard() throws {
        var w = fixture()
        let added = try step(&w, .cardAdd(board: "b_b", column: "problems", text: "Sur B", x: nil, y: nil, color: nil), facilitator)
        guard case .cardAdded(let onB)? = added.first else { Issue.record("no card"); return }
        let created = try step(&w, .clusterCreate(board: "b_b", title: "Groupe B", cards: [onB.id]), facilitator)
        guard case .clusterCreated(let cluster, _)? = created.first else { Issue.record("no cluster"); return }
        #expect(run(w, .cardCluster(card: "c_100", cluster: cluster.id), facilitator).failure?.code == .invalid)
        #expect(run(w, .cardCluster(card: "c_100", cluster: cluster.id), alice).failure != nil)
        // Renaming: Carol's table (B) may, Alice's (A) may not.
        #expect(run(w, .clusterRename(cluster: cluster.id, title: "Renommé"), alice).failure?.code == .forbidden)
        #expect(throws: Never.self) { try run(w, .clusterRename(cluster: cluster.id, title: "Renommé"), carol).get() }
    }

    /// rules-project-support-facilitator: the facilitator does not back sheets.
    @Test func theFacilitatorDoesNotSupportASheet() throws {
        var w = fixture(phase: "projects")
        let created = try step(&w, .projectCreate(board: "b_a", title: "Fiche", cluster: nil, cards: []), alice)
        guard case .projectCreated(let sheet)? = created.first else { Issue.record("no sheet"); return }
        #expect(run(w, .projectSupport(project: sheet.id, support: true), facilitator).failure?.code == .forbidden)
        #expect(try step(&w, .projectSupport(project: sheet.id, support: true), carol) == [.projectSupported(project: sheet.id, supporter: "p_12", support: true)])
    }

    /// rules-tables-balance-removed: balancing the tables seats nobody who was removed.
    @Test func balancingSkipsRemovedParticipants() throws {
        var w = fixture()
        _ = try step(&w, .participantAssign(participant: "p_11", group: nil), facilitator)
        _ = try step(&w, .participantRemove(participant: "p_11"), facilitator)
        _ = try step(&w, .participantAssign(participant: "p_12", group: nil), facilitator)
        let events = try step(&w, .tablesBalance, facilitator)
        #expect(events.count == 1)
        #expect(events.first == .participantAssigned(participant: "p_12", group: "g_a") || events.first == .participantAssigned(participant: "p_12", group: "g_b"))
        #expect(w.participants["p_11"]?.group == nil)
    }

    /// rules-rotation-direction: with three tables in the order A, B, C, each group moves to the
    /// next board: the group at A goes to B, B's to C, C's back to A.
    @Test func rotationMovesEachGroupToTheNextBoard() throws {
        let columns = [Column(id: "problems", title: "P", kind: .problem)]
        var w = Workshop(Blueprint(
            id: "w", title: "T", plan: "t",
            groups: ["a", "b", "c"].map { Group(id: "g_\($0)", title: $0, theme: "") },
            boards: ["a", "b", "c"].map { Board(id: "b_\($0)", title: $0, group: "g_\($0)", columns: columns) },
            phases: [Phase(id: "p", title: "P", open: [.problem])], settings: Settings(),
            rotation: ["b_a", "b_b", "b_c"]))
        _ = try step(&w, .rotationAdvance, facilitator)
        #expect(w.board("b_b")?.group == "g_a")
        #expect(w.board("b_c")?.group == "g_b")
        #expect(w.board("b_a")?.group == "g_c")
    }
}

/// Text hygiene (docs/reliability.md "Bad input"): what enters is made safe to keep and show.
@Suite("Text hygiene")
struct TextHygieneTests {
    @Test func controlAndReorderingCharactersAreRemoved() {
        #expect(Limits.normalized("A\u{0}B\u{1B}C\u{202E}D\u{2066}E\u{FEFF}F\u{85}G") == "ABCDEFG")
        #expect(Limits.normalized("un\ttab") == "un\ttab")
    }

    @Test func lineEndsBecomeLF() {
        #expect(Limits.normalized("a\r\nb\rc\nd") == "a\nb\nc\nd")
        #expect(Limits.normalized("a\r\r\nb") == "a\n\nb")
    }

    @Test func textIsComposed() {
        let decomposed = "Cre\u{0300}che"  // e + combining grave
        #expect(Limits.normalized(decomposed) == "Crèche")
        #expect(Limits.normalized(decomposed).unicodeScalars.count == 6)
    }

    /// The path that skips Foundation (every scalar below U+0300) gives what Foundation gives, and
    /// the combining marks from U+0300 still compose: each scalar up to U+036F in context, and every pair.
    @Test func theComposedPathAgreesWithFoundation() {
        func reference(_ s: String) -> String {
            // What `normalized` does after filtering, through Foundation only; nothing visible is "".
            let text = String(s.unicodeScalars.filter { $0.value == 0x09 || $0.value == 0x0A || !Limits.removed($0.value) }.map(Character.init))
                .precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
            let invisible = text.unicodeScalars.allSatisfy { $0.properties.isWhitespace || $0.properties.isDefaultIgnorableCodePoint || $0.properties.generalCategory == .format }
            return invisible ? "" : text
        }
        // Up to U+036F: the combining marks after U+0300 must go through Foundation (e + U+0301 is é).
        let scalars = (0x20..<0x370).compactMap(Unicode.Scalar.init).filter { !Limits.removed($0.value) } + ["\t", "\n"]
        var checked = 0
        for u in scalars {
            for s in ["a\(u)b", " \(u) ", "\(u)\u{A0}"] {
                #expect(Limits.normalized(s) == reference(s), "U+\(String(u.value, radix: 16))")
            }
            for v in scalars {
                let s = "\(u)\(v)"
                if Limits.normalized(s) != reference(s) { Issue.record("U+\(String(u.value, radix: 16)) U+\(String(v.value, radix: 16))") }
                checked += 1
            }
        }
        #expect(checked == scalars.count * scalars.count && checked > 600_000)
    }

    @Test func invisibleTextCountsAsEmpty() {
        for invisible in ["\u{0}", "\u{202E}", "\u{FEFF}", "\u{AD}", "\u{200B}\u{200B}", " \u{2060} ", "\u{AD}\u{202E}\u{0}"] {
            #expect(Limits.normalized(invisible) == "", "\(invisible.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func emojiSequencesStayWhole() {
        let family = "👨\u{200D}👩\u{200D}👧 et ❤\u{FE0F}"
        #expect(Limits.normalized(family) == family)
    }

    @Test func aCardOrANameOfNothingVisibleIsRefused() {
        let w = fixture()
        #expect(run(w, .cardAdd(board: "b_a", column: "problems", text: "\u{202E}\u{FEFF}\u{AD}", x: nil, y: nil, color: nil), alice).failure?.code == .invalid)
        #expect(run(w, .joinAsParticipant(profile: Profile(name: "\u{0}\u{202E}", organisation: ""), actor: .aci, group: nil), .newcomer).failure?.code == .invalid)
        guard case .success(let events) = run(w, .cardAdd(board: "b_a", column: "problems", text: "Mobilit\u{0}e\u{301}\r\nrurale", x: nil, y: nil, color: nil), alice),
              case .cardAdded(let card)? = events.first else { Issue.record("refused"); return }
        #expect(card.text == "Mobilité\nrurale")
    }
}

/// What one workshop may hold (docs/reliability.md "Limits"): each bound refused with `budget`.
/// The numbers are written here, not read from `Limits`.
@Suite("Workshop limits")
struct WorkshopLimitTests {
    /// `w` with `n` cards by `author` on `board` (put straight into the state: the reducer is what is tested).
    func filled(_ w: Workshop, _ n: Int, author: ActorID, board: BoardID, from: Int = 1000) -> Workshop {
        var w = w
        for i in 0..<n {
            let id = "c_\(from + i)"
            w.cards[id] = Card(id: id, board: board, column: "problems", text: "x", x: 0, y: 0, color: .yellow, author: author, createdSeq: from + i)
        }
        return w
    }

    func add(_ w: Workshop, on board: BoardID, as actor: Actor) -> Result<[EventBody], DomainError> {
        run(w, .cardAdd(board: board, column: "problems", text: "Encore une", x: nil, y: nil, color: nil), actor)
    }

    @Test func twoHundredCardsPerPerson() {
        let w = filled(fixture(), 199, author: "p_10", board: "b_a")  // + c_100 of the fixture: 200
        #expect(add(w, on: "b_a", as: alice).failure?.code == .budget)
        #expect(add(w, on: "b_a", as: bob).failure == nil, "a table-mate still writes")
        #expect(add(w, on: "b_a", as: facilitator).failure == nil, "the facilitator is not counted")
    }

    @Test func fourHundredCardsPerBoard() {
        var w = fixture()
        for (k, author) in ["p_x1", "p_x2"].enumerated() { w = filled(w, 197 + 2 * k, author: author, board: "b_a", from: 1000 + 500 * k) }
        // 2 (the fixture's seed card and c_100, on b_a) + 197 + 199 = 398 cards on b_a: two more fit.
        #expect(add(w, on: "b_a", as: bob).failure == nil)
        w = filled(w, 2, author: "p_x3", board: "b_a", from: 5000)
        #expect(add(w, on: "b_a", as: bob).failure?.code == .budget)
        #expect(add(w, on: "b_a", as: facilitator).failure?.code == .budget)
        #expect(add(w, on: "b_b", as: carol).failure == nil, "another board still takes cards")
    }

    @Test func fifteenHundredCardsPerWorkshop() {
        var w = fixture()
        for k in 0..<8 { w = filled(w, 187, author: "p_y\(k)", board: k < 2 ? "b_a" : "b_x\(k)", from: 2000 + 200 * k) }
        // 2 (the fixture's) + 8 × 187 = 1,498: two more fit, then none.
        #expect(w.cards.count == 1498)
        #expect(add(w, on: "b_b", as: carol).failure == nil)
        w = filled(w, 2, author: "p_z", board: "b_z", from: 9000)
        #expect(add(w, on: "b_b", as: carol).failure?.code == .budget)
    }

    @Test func commentsClustersSheetsAndPeopleAreBounded() throws {
        var w = fixture(phase: "projects")
        for i in 0..<50 { w.comments["m_\(i)"] = Comment(id: "m_\(i)", card: "c_100", text: "x", author: "p_11", createdSeq: 1000 + i) }
        #expect(run(w, .commentAdd(card: "c_100", text: "Un de plus"), alice).failure?.code == .budget, "50 per card")
        for i in 0..<60 { w.clusters["k_\(i)"] = Cluster(id: "k_\(i)", board: "b_a", title: "K", createdSeq: 2000 + i) }
        #expect(run(w, .clusterCreate(board: "b_a", title: "Encore", cards: ["c_100"]), alice).failure?.code == .budget, "60 per board")
        for i in 0..<60 { w.projects["j_\(i)"] = ProjectSheet(id: "j_\(i)", board: "b_a", title: "J", createdBy: "p_10", createdSeq: 3000 + i, phase: "projects") }
        #expect(run(w, .projectCreate(board: "b_a", title: "Encore", cluster: nil, cards: []), alice).failure?.code == .budget, "60 sheets")
        for i in 0..<297 { w.participants["p_n\(i)"] = Participant(id: "p_n\(i)", role: .participant, actor: .aci, group: "g_a", profile: nil) }
        #expect(w.participants.count == 300)
        #expect(run(w, .joinAsParticipant(profile: Profile(name: "Trois cent unième", organisation: ""), actor: .aci, group: nil), .newcomer).failure?.code == .budget)
    }
}

/// Issue 11, "privacy by construction": a card someone cannot see (another's private card, a
/// hidden one) answers exactly as a card that does not exist, whatever the command.
@Suite("Invisible cards")
struct InvisibleCardTests {
    /// Every command that names a card, with that card's id.
    static func commands(naming card: CardID) -> [Command] {
        [.cardEdit(card: card, text: "Autre", version: 1),
         .cardMove(card: card, x: 1, y: 1, column: nil, board: nil),
         .cardDelete(card: card),
         .voteCast(card: card), .voteRetract(card: card),
         .clusterCreate(board: "b_a", title: "Groupe", cards: [card]),
         .cardCluster(card: card, cluster: nil),
         .commentAdd(card: card, text: "Un avis"),
         .cardHide(card: card), .cardRestore(card: card),
         .projectCreate(board: "b_a", title: "Fiche", cluster: nil, cards: [card])]
    }

    // The project phase opens the project column, which holds sheets and takes no card.
    @Test(arguments: ["problems", "ideas"])
    func aPrivateCardIsNotFoundForOthers(phase: PhaseID) throws {
        var w = fixture(phase: phase)
        _ = try step(&w, .settingsUpdate(SettingsChange(privateWriting: true)), facilitator)
        let added = try step(&w, .cardAdd(board: "b_a", column: phase, text: "Mon idée à moi", x: nil, y: nil, color: nil), alice)
        guard case .cardAdded(let card)? = added.first, card.isPrivate else { Issue.record("no private card"); return }
        for (command, absent) in zip(Self.commands(naming: card.id), Self.commands(naming: "c_999999")) {
            let seen = run(w, command, bob), none = run(w, absent, bob)
            #expect(seen.failure?.code == none.failure?.code && seen.failure?.message == none.failure?.message,
                    "\(command): a private card answers \(String(describing: seen.failure)), a missing one \(String(describing: none.failure))")
        }
        // Hidden by the facilitator: the same for its own author.
        _ = try step(&w, .cardHide(card: card.id), facilitator)
        for (command, absent) in zip(Self.commands(naming: card.id), Self.commands(naming: "c_999999")) {
            let seen = run(w, command, alice), none = run(w, absent, alice)
            #expect(seen.failure?.code == none.failure?.code && seen.failure?.message == none.failure?.message,
                    "\(command): a hidden card answers \(String(describing: seen.failure)), a missing one \(String(describing: none.failure))")
        }
    }
}
