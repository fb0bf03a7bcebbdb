import Testing
@testable import AtelierDomain

@Suite("Project sheets")
struct ProjectTests {
    /// The fixture in the projects phase, with an idea and a problem clustered on board A.
    func projectsFixture() throws -> Workshop {
        var w = fixture(phase: "ideas")
        let added = try step(&w, .cardAdd(board: "b_a", column: "ideas", text: "Un poste partagé", x: nil, y: nil, color: nil), alice)
        guard case .cardAdded(let card)? = added.first else { throw DomainError(.internal, "no card") }
        let idea = card.id
        _ = try step(&w, .clusterCreate(board: "b_a", title: "Mutualiser", cards: [idea, "c_100"]), alice)
        _ = try step(&w, .phaseSet(phase: "projects"), facilitator)
        return w
    }

    func complete() -> ProjectChange {
        var c = ProjectChange()
        c.summary = "Créer un poste de chargé d'insertion partagé entre trois SIAE."
        c.cooperation = .some(.siae)
        c.orientation = .some("g_a")
        c.lead = .some(Organisation(name: "ACI Le Pont", actor: .aci, siret: "73282932000074"))
        c.territory = "Le Creusot-Montceau"
        c.support = SupportRequest(methodological: true, expertise: 5000, grant: 12000)
        c.contact = Contact(name: "Marie Dupont", email: "marie@example.org")
        return c
    }

    @Test func createFromAClusterKeepsItsProvenance() throws {
        var w = try projectsFixture()
        let cluster = w.orderedClusters[0].id
        let events = try step(&w, .projectCreate(board: "b_a", title: "Poste partagé", cluster: cluster, cards: []), bob)
        guard case .projectCreated(let p)? = events.first else { Issue.record("no project"); return }
        #expect(p.problems == ["c_100"])
        #expect(p.sources.count == 1)
        #expect(p.status == .draft && p.version == 1 && p.phase == "projects")
        #expect(run(w, .projectCreate(board: "b_a", title: "x", cluster: nil, cards: []), carol).failure?.code == .forbidden)
        var early = fixture()
        #expect(run(early, .projectCreate(board: "b_a", title: "x", cluster: nil, cards: []), alice).failure?.code == .phase)
        _ = try step(&early, .projectCreate(board: "b_a", title: "Par l'animateur", cluster: nil, cards: []), facilitator)
    }

    @Test func coEditingWithVersionsNeverOverwritesSilently() throws {
        var w = try projectsFixture()
        _ = try step(&w, .projectCreate(board: "b_a", title: "Poste partagé", cluster: nil, cards: []), alice)
        let id = w.orderedProjects[0].id
        var mine = ProjectChange(); mine.summary = "Version d'Alice"
        var theirs = ProjectChange(); theirs.summary = "Version de Bruno"
        _ = try step(&w, .projectUpdate(project: id, version: 1, change: mine), alice)
        let refused = run(w, .projectUpdate(project: id, version: 1, change: theirs), bob).failure
        #expect(refused?.code == .conflict)
        #expect(refused?.current?.summary == "Version d'Alice", "the conflict carries the current value")
        #expect(w.projects[id]?.version == 2)
    }

    @Test func fieldsAreValidated() throws {
        var w = try projectsFixture()
        _ = try step(&w, .projectCreate(board: "b_a", title: "P", cluster: nil, cards: []), alice)
        let id = w.orderedProjects[0].id
        var bad = ProjectChange(); bad.lead = .some(Organisation(name: "X", actor: .ei, siret: "73282932000075"))
        #expect(run(w, .projectUpdate(project: id, version: 1, change: bad), alice).failure?.message.contains("SIRET") == true)
        bad = ProjectChange(); bad.support = SupportRequest(grant: -5)
        #expect(run(w, .projectUpdate(project: id, version: 1, change: bad), alice).failure?.code == .invalid)
        bad = ProjectChange(); bad.orientation = .some("nope")
        #expect(run(w, .projectUpdate(project: id, version: 1, change: bad), alice).failure?.code == .invalid)
        bad = ProjectChange(); bad.contact = Contact(name: "M", email: "pas un courriel")
        #expect(run(w, .projectUpdate(project: id, version: 1, change: bad), alice).failure?.code == .invalid)
        bad = ProjectChange(); bad.problems = ["c_nope"]
        #expect(run(w, .projectUpdate(project: id, version: 1, change: bad), alice).failure?.code == .invalid)
    }

    @Test func aRefusedUpdateNamesEachFaultyField() throws {
        var w = try projectsFixture()
        _ = try step(&w, .projectCreate(board: "b_a", title: "P", cluster: nil, cards: []), alice)
        let id = w.orderedProjects[0].id
        var bad = ProjectChange()
        bad.lead = .some(Organisation(name: "ACI", actor: .aci, siret: "732829320"))
        bad.contact = Contact(name: "Marie", email: "marie@exemple")
        bad.support = SupportRequest(grant: -1)
        let refused = run(w, .projectUpdate(project: id, version: 1, change: bad), alice).failure
        #expect(refused?.code == .invalid)
        let faults = refused?.fieldErrors ?? []
        #expect(faults.map { "\($0.field).\($0.part ?? "")" } == ["lead.siret", "support.grant", "contact.email"])
        #expect(faults.allSatisfy { ($0.message.first == "«" || $0.message.first?.isUppercase == true) && $0.message.hasSuffix(".") })
        #expect(faults.first?.message.contains("SIRET") == true)
        // Nothing changed: the sheet is as it was.
        #expect(w.projects[id]?.version == 1 && w.projects[id]?.lead == nil)
    }

    @Test func theProjectColumnHoldsSheetsNotCards() throws {
        var w = try projectsFixture()
        for actor in [alice, facilitator] {
            let refused = run(w, .cardAdd(board: "b_a", column: "projects", text: "Une fiche ?", x: nil, y: nil, color: nil), actor).failure
            #expect(refused?.code == .invalid && refused?.message.contains("Nouvelle fiche projet") == true)
        }
        // A card cannot be moved there either; a sheet is created instead.
        let card = try #require(w.orderedCards.first { $0.board == "b_a" && $0.author == alice.id })
        #expect(run(w, .cardMove(card: card.id, x: 0, y: 0, column: "projects", board: nil), alice).failure?.code == .invalid)
        _ = try step(&w, .projectCreate(board: "b_a", title: "Une vraie fiche", cluster: nil, cards: [card.id]), alice)
        #expect(w.orderedProjects.count == 1)
    }

    @Test(arguments: [("73282932000074", true), ("35600000049837", true), ("73282932000075", false), ("7328293200007", false), ("7328293200007A", false)])
    func siret(_ s: String, valid: Bool) {
        #expect(ProjectRules.isValidSIRET(s) == valid)
    }

    @Test func readyOnlyWhenCompleteThenSubmitted() throws {
        var w = try projectsFixture()
        _ = try step(&w, .projectCreate(board: "b_a", title: "Poste partagé", cluster: w.orderedClusters[0].id, cards: []), alice)
        let id = w.orderedProjects[0].id
        #expect(run(w, .projectReady(project: id), alice).failure?.code == .forbidden)
        let incomplete = run(w, .projectReady(project: id), facilitator).failure
        #expect(incomplete?.code == .invalid)
        #expect(incomplete?.missing?.contains("Résumé") == true)
        #expect(incomplete?.rules?.map(\.rule) == ["support", "contact-reachable"])
        _ = try step(&w, .projectUpdate(project: id, version: 1, change: complete()), bob)
        _ = try step(&w, .projectReady(project: id), facilitator)
        #expect(w.projects[id]?.status == .ready)
        // Editing a ready sheet sends it back to draft.
        var more = ProjectChange(); more.nextSteps = "Réunir les trois SIAE"
        _ = try step(&w, .projectUpdate(project: id, version: w.projects[id]!.version, change: more), alice)
        #expect(w.projects[id]?.status == .draft)
        _ = try step(&w, .projectReady(project: id), facilitator)
        let receipt = Receipt(channel: .webhook, reference: "r-1", at: 5)
        #expect(run(w, .projectSubmit(project: id, version: 1, receipt: receipt), alice).failure?.code == .forbidden)
        _ = try step(&w, .projectSubmit(project: id, version: w.projects[id]!.version, receipt: receipt), .system)
        #expect(w.projects[id]?.status == .submitted)
        #expect(w.projects[id]?.receipts == [receipt])
        #expect(run(w, .projectUpdate(project: id, version: w.projects[id]!.version, change: more), alice).failure?.code == .invalid)
    }

    @Test func supporters() throws {
        var w = try projectsFixture()
        _ = try step(&w, .projectCreate(board: "b_a", title: "P", cluster: nil, cards: []), alice)
        let id = w.orderedProjects[0].id
        _ = try step(&w, .projectSupport(project: id, support: true), carol)
        #expect(try step(&w, .projectSupport(project: id, support: true), carol) == [])
        #expect(w.projects[id]?.supporters == ["p_12"])
        _ = try step(&w, .projectSupport(project: id, support: false), carol)
        #expect(w.projects[id]?.supporters == [])
    }
}
