import Testing
@testable import AtelierDomain

/// Issue 14: carrying work from one workshop of a series into the next (`Carry.swift`): placement
/// by table title, then position, then the first table; columns by kind; private, hidden and seeded
/// cards; bounds; the project's series-wide identity and stages across two carries; and the series'
/// status lines (`SeriesStatus.swift`).
@Suite("Carrying work forward")
struct CarryTests {
    /// A new workshop from `boards` (titles) with problem and idea columns (`kinds` to narrow them).
    func target(_ titles: [String], kinds: [ColumnKind] = [.problem, .idea, .project], id: WorkshopID = "w_next") -> Workshop {
        let columns = kinds.map { Column(id: "col_\($0.rawValue)", title: $0.rawValue, kind: $0) }
        let blueprint = Blueprint(id: id, title: "Suite", plan: "test", groups: [],
                                  boards: titles.enumerated().map { Board(id: "n_\($0.offset)", title: $0.element, group: nil, columns: columns) },
                                  phases: [Phase(id: "p", title: "P", open: [.problem, .idea])], settings: Settings())
        var w = Workshop(blueprint)
        w.apply(Event(seq: 1, at: 0, by: nil, body: .workshopCreated(blueprint)))
        return w
    }

    /// The source: alice's public card, a private (unrevealed) card of bob and a hidden one on
    /// board A, a cluster of two cards, a sheet from them; board B holds carol's idea.
    func source() throws -> Workshop {
        var w = fixture(phase: "ideas")
        let idea = try step(&w, .cardAdd(board: "b_a", column: "ideas", text: "Idée d'Alice", x: 0, y: 0, color: .yellow), alice)
        guard case .cardAdded(let card) = idea[0] else { throw DomainError(.internal, "no card") }
        _ = try step(&w, .cardAdd(board: "b_b", column: "ideas", text: "Idée de Carol", x: 0, y: 0, color: .blue), carol)
        _ = try step(&w, .clusterCreate(board: "b_a", title: "Mobilité", cards: ["c_100", card.id]), facilitator)
        _ = try step(&w, .settingsUpdate(SettingsChange(privateWriting: true)), facilitator)
        _ = try step(&w, .cardAdd(board: "b_a", column: "ideas", text: "secret de Bob", x: 0, y: 0, color: .pink), bob)
        _ = try step(&w, .settingsUpdate(SettingsChange(privateWriting: false)), facilitator)
        let hidden = try step(&w, .cardAdd(board: "b_a", column: "ideas", text: "masquée", x: 0, y: 0, color: .pink), alice)
        guard case .cardAdded(let h) = hidden[0] else { throw DomainError(.internal, "no card") }
        _ = try step(&w, .cardHide(card: h.id), facilitator)
        _ = try step(&w, .phaseSet(phase: "projects"), facilitator)
        _ = try step(&w, .projectCreate(board: "b_a", title: "Garage solidaire", cluster: w.orderedClusters[0].id, cards: ["c_100", card.id]), alice)
        return w
    }

    func carried(_ into: Workshop, from: Workshop, _ selection: CarrySelection) throws(DomainError) -> Workshop {
        var w = into
        for body in try into.carryEvents(from: from, log: nil, selection: selection, firstSeq: into.seq + 1) {
            w.apply(Event(seq: w.seq + 1, at: 10, by: nil, body: body))
        }
        return w
    }

    @Test func aWholeTableBringsItsVisibleCardsClusterAndSheetNeverPrivateHiddenOrSeeded() throws {
        let from = try source()
        let w = try carried(target(["B", "A"]), from: from, CarrySelection(source: from.id, boards: ["b_a"]))
        // Same title wins over position: table A lands on the new board titled "A" (second).
        #expect(Set(w.cards.values.map(\.text)) == ["Ma carte", "Idée d'Alice"])
        #expect(w.cards.values.allSatisfy { $0.board == "n_1" && $0.author == nil })
        #expect(w.cards.values.first { $0.text == "Ma carte" }?.column == "col_problem")
        #expect(w.cards.values.first { $0.text == "Idée d'Alice" }?.column == "col_idea")
        #expect(w.orderedClusters.map(\.title) == ["Mobilité"])
        #expect(w.cards.values.allSatisfy { $0.cluster == w.orderedClusters[0].id })
        let sheet = try #require(w.orderedProjects.first)
        #expect(sheet.title == "Garage solidaire" && sheet.cluster == w.orderedClusters[0].id && sheet.supporters.isEmpty)
        #expect(Set(sheet.problems + sheet.sources) == Set(w.cards.keys))
        #expect(w.carried[sheet.id]?.from == from.orderedProjects[0].id && w.carried[sheet.id]?.table == "A")
        #expect(w.carriedFrom == [from.id])
        #expect(w.seriesIdentity(of: sheet.id) == "\(from.id)/\(from.orderedProjects[0].id)")
        #expect(w.lineage[sheet.id]?.stages.map(\.workshop) == [from.id])
    }

    @Test func aSeededCardComesWithItsClusterOnAWholeTable() throws {
        var from = try source()
        let seed = try #require(from.cards.values.first { $0.author == nil })
        _ = try step(&from, .clusterCreate(board: "b_a", title: "Constats", cards: [seed.id]), facilitator)
        let w = try carried(target(["A"]), from: from, CarrySelection(source: from.id, boards: ["b_a"]))
        #expect(Set(w.cards.values.map(\.text)) == ["Ma carte", "Idée d'Alice", seed.text])
        #expect(Set(w.orderedClusters.map(\.title)) == ["Mobilité", "Constats"])
    }

    @Test func placementFallsBackToThePositionThenTheFirstTable() throws {
        let from = try source()
        // No title matches: board B (second) lands on the second new board.
        var w = try carried(target(["Un", "Deux"]), from: from, CarrySelection(source: from.id, boards: ["b_b"]))
        #expect(w.cards.values.map(\.board) == ["n_1"])
        // One new board only: the first.
        w = try carried(target(["Seule"]), from: from, CarrySelection(source: from.id, boards: ["b_b"]))
        #expect(w.cards.values.map(\.board) == ["n_0"])
    }

    @Test func aSelectionThatCannotBePlacedOrIsNotAllowedIsRefusedInFrench() throws {
        let from = try source()
        let noIdeas = target(["A"], kinds: [.problem])
        var error = #expect(throws: DomainError.self) { try carried(noIdeas, from: from, CarrySelection(source: from.id, boards: ["b_b"])) }
        #expect(error?.code == .invalid && error?.message.contains("n'a pas de colonne d'idées") == true)
        let secret = try #require(from.cards.values.first { $0.text == "secret de Bob" })
        error = #expect(throws: DomainError.self) { try carried(target(["A"]), from: from, CarrySelection(source: from.id, cards: [secret.id])) }
        #expect(error?.code == .forbidden)
        error = #expect(throws: DomainError.self) { try carried(target(["A"]), from: from, CarrySelection(source: from.id, projects: ["j_nope"])) }
        #expect(error?.code == .notFound && error?.message.contains("Fiche projet inconnue") == true)
        // Only the seeded card, which a table leaves behind: nothing to carry.
        var seedOnly = fixture()
        seedOnly.apply(Event(seq: seedOnly.seq + 1, at: 0, by: nil, body: .cardDeleted(card: "c_100")))
        error = #expect(throws: DomainError.self) { try carried(target(["A"]), from: seedOnly, CarrySelection(source: seedOnly.id, boards: ["b_a"])) }
        #expect(error?.message.contains("Rien à reporter") == true)
        // Bounds: more cards than one carry may bring.
        var big = fixture()
        for i in 0..<(CarrySelection.maxCards + 1) {
            big.apply(Event(seq: big.seq + 1, at: 0, by: "p_10", body: .cardAdded(Card(
                id: "c_x\(i)", board: "b_a", column: "ideas", text: "n\(i)", x: 0, y: 0, color: .yellow, author: "p_10", createdSeq: 1000 + i))))
        }
        error = #expect(throws: DomainError.self) { try carried(target(["A"]), from: big, CarrySelection(source: big.id, boards: ["b_a"])) }
        #expect(error?.code == .budget && error?.message.contains("au plus \(CarrySelection.maxCards)") == true)
    }

    @Test func aSheetCarriedTwiceKeepsItsIdentityAndEveryStage() throws {
        let from = try source()
        let second = try carried(target(["A"], id: "w_2"), from: from, CarrySelection(source: from.id, projects: [from.orderedProjects[0].id]))
        let middle = try #require(second.orderedProjects.first)
        let third = try carried(target(["A"], id: "w_3"), from: second, CarrySelection(source: second.id, projects: [middle.id]))
        let last = try #require(third.orderedProjects.first)
        #expect(third.seriesIdentity(of: last.id) == "\(from.id)/\(from.orderedProjects[0].id)")
        let stages = try #require(third.lineage[last.id]?.stages)
        #expect(stages.map(\.workshop) == [from.id, "w_2"] && stages.map(\.entry) == [.created, .carried])
        #expect(stages[0].table == "A" && stages[0].cluster == "Mobilité" && stages[0].problems == ["c_100"])
        // One status line per project across the series.
        let lines = ProjectStatusLine.lines([from, second, third])
        #expect(lines.count == 1 && lines[0].workshops == [from.id, "w_2", "w_3"] && lines[0].workshop == "w_3")
        #expect(lines[0].stage == .draft)
    }

    @Test func aReadySheetIsADraftAgainUnderAnotherForm() throws {
        var from = try source()
        let id = from.orderedProjects[0].id
        from.projects[id]?.status = .ready
        #expect(try carried(target(["A"]), from: from, CarrySelection(source: from.id, projects: [id])).orderedProjects[0].status == .ready)
        var other = target(["A"])
        other.form.name = "Un autre appel"
        #expect(try carried(other, from: from, CarrySelection(source: from.id, projects: [id])).orderedProjects[0].status == .draft)
    }

    /// A value the new form would refuse (an option it no longer has) stays behind; what it
    /// accepts goes with the sheet.
    @Test func aValueTheNewFormRefusesStaysBehind() throws {
        var from = try source()
        let id = from.orderedProjects[0].id
        func option(_ id: String) -> FieldOption { FieldOption(id: id, label: Localized(id)) }
        func fields(_ options: [String]) -> [FormField] {
            [FormField(id: "kind", type: .choice, label: Localized("Nature"), options: options.map(option)),
             FormField(id: "public", type: .choices, label: Localized("Publics"), options: options.map(option))]
        }
        from.form.fields += fields(["insertion", "formation"])
        from.projects[id]?.values["kind"] = .text("formation")
        from.projects[id]?.values["public"] = .list([.text("insertion")])
        var next = target(["A"])
        next.form.fields += fields(["insertion", "mobilite"])
        let sheet = try carried(next, from: from, CarrySelection(source: from.id, projects: [id])).orderedProjects[0]
        #expect(sheet.values["kind"] == nil, "« formation » is not an option of the new form")
        #expect(sheet.values["public"] == .list([.text("insertion")]))
        #expect(sheet.values["title"] == from.projects[id]?.values["title"])
    }

    @Test func theFurthestStageAnyWorkshopKnowsWins() throws {
        var from = try source()
        let id = from.orderedProjects[0].id
        from.projects[id]?.status = .submitted
        from.projects[id]?.receipts = [Receipt(channel: .demarches, reference: "R", at: 5, prefillToken: "secret",
                                               dossier: DossierFollow(state: .accepte, submittedAt: 7, processedAt: 9))]
        let next = try carried(target(["A"]), from: from, CarrySelection(source: from.id, projects: [id]))
        #expect(next.orderedProjects[0].receipts.isEmpty && next.orderedProjects[0].status == .submitted)
        let line = try #require(ProjectStatusLine.lines([from, next]).first)
        #expect(line.stage == .accepted && line.since == 9 && line.filedAt == 7 && line.decidedAt == 9 && line.workshop == "w_next")
    }

    /// A sheet delivered by webhook follows the statuses the call's platform sends back
    /// (`dossier.followed` on its webhook receipt), to its status line; a Démarches Simplifiées-only
    /// state is refused, and the same status twice is journaled once.
    @Test func aWebhookSheetFollowsTheStatusesSentBack() throws {
        var w = try source()
        let id = w.orderedProjects[0].id
        _ = try step(&w, .projectSubmit(project: id, version: 1, receipt: Receipt(channel: .webhook, reference: "AAP-14", at: 5)), .system)
        #expect(w.statusLine(w.projects[id]!).stage == .filed)
        #expect(throws: DomainError.self) {
            try step(&w, .dossierFollow(project: id, reference: "AAP-14", dossier: DossierFollow(state: .prefilled)), .system)
        }
        _ = try step(&w, .dossierFollow(project: id, reference: "AAP-14", dossier: DossierFollow(state: .enInstruction, submittedAt: 6)), .system)
        #expect(w.statusLine(w.projects[id]!).stage == .underReview)
        let decided = DossierFollow(state: .accepte, submittedAt: 6, processedAt: 9)
        #expect(try step(&w, .dossierFollow(project: id, reference: "AAP-14", dossier: decided), .system).count == 1)
        #expect(try step(&w, .dossierFollow(project: id, reference: "AAP-14", dossier: decided), .system).isEmpty)
        let line = w.statusLine(w.projects[id]!)
        #expect(line.stage == .accepted && line.filedAt == 6 && line.decidedAt == 9)
        #expect(throws: DomainError.self) {
            try step(&w, .dossierFollow(project: id, reference: "autre", dossier: decided), .system)
        }
    }
}
