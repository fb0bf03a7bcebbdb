import Testing
@testable import AtelierDomain

/// A workshop whose plan declares its own form: `project.update` and `project.ready` follow it.
@Suite("Sheets shaped by the plan's form")
struct FormTests {
    static let form = CallForm(
        name: "Appel", budget: 10_000,
        constats: [Constat(id: "k1", title: Localized("Constat 1"))],
        fields: [
            FormField(id: "title", type: .text, label: Localized("Nom"), required: true, maxLength: 40),
            FormField(id: "theme", type: .choice, label: Localized("Thème"), required: true,
                      options: [FieldOption(id: "a", label: Localized("A")), FieldOption(id: "b", label: Localized("B"))]),
            FormField(id: "tags", type: .choices, label: Localized("Étiquettes"), options: [FieldOption(id: "x", label: Localized("X"))]),
            FormField(id: "start", type: .date, label: Localized("Début"), required: true),
            FormField(id: "budget", type: .euros, label: Localized("Budget"), required: true),
            FormField(id: "asked", type: .euros, label: Localized("Demandé")),
            FormField(id: "ok", type: .yesNo, label: Localized("D'accord")),
            FormField(id: "links", type: .constats, label: Localized("Constats")),
            FormField(id: "ideas", type: .ideaCards, label: Localized("Idées")),
            FormField(id: "team", type: .group, label: Localized("Équipe"), required: true, maxItems: 3, fields: [
                FormField(id: "name", type: .text, label: Localized("Nom"), required: true),
                FormField(id: "siret", type: .siret, label: Localized("SIRET")),
                FormField(id: "due", type: .date, label: Localized("Échéance"), required: true),
            ]),
        ],
        rules: [EligibilityRule(id: "asked", kind: .sumAtMost, paths: ["asked"], atMost: "budget", message: Localized("Trop demandé."))])

    func workshop() throws -> (Workshop, ProjectID) {
        var w = fixture(phase: "projects")
        w.form = Self.form
        let events = try step(&w, .projectCreate(board: "b_a", title: "Projet", cluster: nil, cards: ["c_100"]), alice)
        guard case .projectCreated(let p)? = events.first else { throw DomainError(.internal, "no project") }
        // Only the title and the card links: no field of today's sheet.
        #expect(p.values == ["title": .text("Projet")], "c_100 is a problem card and this form links idea cards only")
        return (w, p.id)
    }

    @Test func valuesAreCheckedByType() throws {
        var (w, id) = try workshop()
        var bad = ProjectChange(fields: [
            "theme": .text("z"), "tags": .list([.text("y")]), "start": .text("2026-02-30"), "budget": .text("mille"),
            "ok": .text("oui"), "links": .list([.text("k9")]), "ideas": .list([.text("c_nope")]), "color": .text("bleu"),
            "team": .list([.object(["name": .text("Ana"), "siret": .text("123")]), .object(["nom": .text("x")])]),
        ])
        let refused = run(w, .projectUpdate(project: id, version: 1, change: bad), alice).failure
        #expect(refused?.code == .invalid)
        let faults = (refused?.fieldErrors ?? []).map { "\($0.field)/\($0.part ?? "")/\($0.row.map(String.init) ?? "")" }
        #expect(faults == ["theme//", "tags//", "start//", "budget//", "ok//", "links//", "ideas//", "team/siret/0", "team/nom/1", "color//"], "\(faults)")
        #expect(refused?.fieldErrors?.first { $0.field == "team" }?.message == "« Équipe — SIRET » (ligne 1) : le SIRET doit compter 14 chiffres et avoir une clé de contrôle valide.")
        #expect(refused?.fieldErrors?.last?.message == "Champ de projet inconnu : « color ».")
        bad = ProjectChange(fields: ["title": .text("  ")])
        #expect(run(w, .projectUpdate(project: id, version: 1, change: bad), alice).failure?.fieldErrors?.first?.field == "title")

        let good = ProjectChange(fields: [
            "theme": .text("a"), "tags": .list([.text("x"), .text("x")]), "start": .text("2028-02-29"), "budget": .int(9000),
            "asked": .int(9500), "ok": .bool(false), "links": .list([.text("k1")]),
            "team": .list([.object(["name": .text(" Ana "), "siret": .text("732 829 320 00074")]), .object(["name": .text("")])]),
        ])
        _ = try step(&w, .projectUpdate(project: id, version: 1, change: good), alice)
        let p = try #require(w.projects[id])
        #expect(p.values["tags"] == .list([.text("x")]), "a choice given twice counts once")
        #expect(p.values["team"] == .list([.object(["name": .text("Ana"), "siret": .text("73282932000074")])]), "normalised; the empty row dropped")
        #expect(p.values["ok"] == .bool(false))

        // Ready: the missing parts of a row, then every rule not met.
        let notReady = run(w, .projectReady(project: id), facilitator).failure
        #expect(notReady?.missing == ["Équipe, ligne 1 : Échéance", "Trop demandé."])
        #expect(notReady?.missingFields == ["team", "asked"], "one field per reason, in the same order")
        #expect(notReady?.rules?.map(\.rule) == ["asked"])
        #expect(notReady?.message.hasPrefix("Ce projet n'est pas encore prêt. Il manque : Équipe, ligne 1 : Échéance. Trop demandé.") == true)
        let fix = ProjectChange(fields: ["asked": .int(9000), "team": .list([.object(["name": .text("Ana"), "due": .text("2028-03-01")])])])
        _ = try step(&w, .projectUpdate(project: id, version: 2, change: fix), alice)
        _ = try step(&w, .projectReady(project: id), facilitator)
        #expect(w.projects[id]?.status == .ready)
        // Clearing a field with null removes its value.
        _ = try step(&w, .projectUpdate(project: id, version: 4, change: ProjectChange(fields: ["tags": .null])), alice)
        #expect(w.projects[id]?.values["tags"] == nil && w.projects[id]?.status == .draft)
    }

    @Test func groupsAreBounded() throws {
        let (w, id) = try workshop()
        let rows = FieldValue.list((1...4).map { _ in .object(["name": .text("x")]) })
        let refused = run(w, .projectUpdate(project: id, version: 1, change: ProjectChange(fields: ["team": rows])), alice).failure
        #expect(refused?.fieldErrors?.map(\.message) == ["« Équipe » : au plus 3 lignes."])
    }
}
