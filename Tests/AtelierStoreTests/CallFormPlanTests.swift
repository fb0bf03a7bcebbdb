import AtelierDomain
import Foundation
import Testing
@testable import AtelierStore

/// The `call:` section of a plan: the form of its sheets and its eligibility rules, checked when
/// the plan loads, every problem with its line (docs/plans.md).
@Suite("The call's form in the plan")
struct CallFormPlanTests {
    static let sessions = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sessions")

    static let head = """
        id: p
        title: "Plan"
        phases: [{ id: projects, title: "Projets", open: [project] }]
        columns: [{ id: i, title: "Idées", kind: idea }, { id: j, title: "Projets", kind: project }]
        tables: [{ id: t, title: "Table" }]

        """

    func issues(_ call: String) -> [PlanIssue] {
        do {
            _ = try SessionPlan.parse(Self.head + call, file: "p.yaml")
            return []
        } catch {
            return error.issues
        }
    }

    @Test func theShippedPlansCarryTheirCall() throws {
        let catalog = try PlanCatalog.load(directory: Self.sessions.path)
        let iae = try #require(catalog.plans["iae-saone-et-loire"]?.call)
        #expect(iae.budget == 300_000 && iae.constats.count == 7)
        // Today's field ids keep their meaning: each has the shape it had.
        for legacy in CallForm.legacy.fields {
            let f = try #require(iae.field(legacy.id), "\(legacy.id)")
            #expect(f.type == legacy.type && f.isRepeatedGroup == legacy.isRepeatedGroup, "\(legacy.id)")
            for child in legacy.fields ?? [] { #expect(f.child(child.id)?.type == child.type, "\(legacy.id).\(child.id)") }
        }
        for id in ["totalBudget", "cofinancing", "durationMonths", "startDate", "constats", "nextActions"] { #expect(iae.field(id) != nil, "\(id)") }
        #expect(iae.rules.map(\.id).contains("deux-siae"))
        let generic = try #require(catalog.plans["appel-generique"]?.call)
        #expect(generic.fields.map(\.id) == ["title", "pitch", "theme", "audiences", "ideas", "structure", "team", "budget", "requested", "start", "insured"])
        // The blueprint carries the form into workshop.created.
        let bp = try #require(catalog.plans["appel-generique"]).blueprint(id: "w_x")
        #expect(Workshop(bp).form == generic)
    }

    @Test func everyMistakeIsReportedWithItsLine() {
        let found = issues("""
            call:
              name: "Appel"
              fields:
                - { id: title, type: text, label: "Titre" }
                - { id: budget, type: money, label: "Budget" }
                - { id: title, type: text, label: "Encore" }
                - { id: kind, type: choice, label: "Sorte" }
                - { id: team, type: group, label: "Équipe" }
                - { id: status, type: text, label: "Réservé" }
                - { id: size, type: integer, min: 5, max: 2, label: "Taille" }
                - { id: note, type: text, label: "Note", options: [{ id: a, label: "A" }] }
                - { id: parts, type: group, label: "P", fields: [{ id: c, type: problemCards, label: "C" }] }
              rules:
                - { id: r1, filled: [nowhere], message: "x" }
                - { id: r2, filled: [title], anyOf: [title], message: "x" }
                - { id: r3, sumAtMost: [title], atMost: 5, message: "x" }
            """)
        let lines = found.map { $0.line ?? -1 }
        let text = found.map(\.description).joined(separator: "\n")
        #expect(text.contains("type de champ inconnu « money »"), "\(text)")
        #expect(text.contains("champ « title » en double"), "\(text)")
        #expect(text.contains("un champ « choice » a besoin d'une liste « options »"), "\(text)")
        #expect(text.contains("un groupe a besoin d'une liste « fields »"), "\(text)")
        #expect(text.contains("« status » est réservé"), "\(text)")
        #expect(text.contains("« min » (5) dépasse « max » (2)"), "\(text)")
        #expect(text.contains("« options » ne vaut que pour un champ choice"), "\(text)")
        #expect(text.contains("un groupe ne contient que des champs simples"), "\(text)")
        #expect(text.contains("chemin « nowhere » inconnu"), "\(text)")
        #expect(text.contains("une règle a exactement une sorte"), "\(text)")
        #expect(text.contains("« title » n'est pas un nombre"), "\(text)")
        #expect(found.allSatisfy { $0.file == "p.yaml" })
        // Lines are the file's (the call starts on line 6: its second field is on line 10).
        #expect(!lines.contains(-1), "\(found)")
        #expect(found.first { $0.message.contains("money") }?.line == 10)
        #expect(found.first { $0.message.contains("nowhere") }?.line == 19)
    }

    /// `asks`: what a sheet asks of the call (the synthesis's totals), by paths of the form.
    @Test func theAsksArePathsOfTheForm() throws {
        let call = """
            call:
              name: "Appel"
              budget: 1000
              fields:
                - { id: title, type: text, label: "Titre" }
                - { id: requested, type: euros, label: "Demandé" }
                - { id: team, type: group, label: "Équipe", fields: [{ id: cost, type: euros, label: "Coût" }] }
            """
        let plan = try SessionPlan.parse(Self.head + call + "\n  asks: [requested, team.cost]\n", file: "p.yaml")
        #expect(plan.call?.asks == ["requested", "team.cost"] && plan.call?.askPaths == ["requested", "team.cost"])
        let found = issues(call + "\n  asks: [requested, nowhere]\n")
        #expect(found.count == 1 && found[0].message.contains("chemin « nowhere » inconnu") && found[0].line == 13, "\(found)")
        let repeated = issues(call + "\n  asks: [\"team[].cost\"]\n")
        #expect(repeated.contains { $0.message.contains("sans « [] »") }, "\(repeated)")
        let shipped = try PlanCatalog.load(directory: Self.sessions.path)
        #expect(shipped.plans["iae-saone-et-loire"]?.call?.askPaths == ["support"])
        #expect(shipped.plans["appel-generique"]?.call?.askPaths == ["requested"])
    }

    @Test func aPlanNeedsATitleField() {
        let found = issues("""
            call:
              name: "Appel"
              fields:
                - { id: pitch, type: longText, label: "Pitch" }
            """)
        #expect(found.map(\.message) == ["la fiche a besoin d'un champ « title » de type text (son titre)"])
    }

    @Test func rulesAreReadWithTheirConditions() throws {
        let plan = try SessionPlan.parse(Self.head + """
            call:
              name: "Appel"
              fields:
                - { id: title, type: text, label: "Titre" }
                - { id: kind, type: choice, label: "Sorte", options: [{ id: a, label: "A" }, { id: b, label: "B" }] }
                - { id: budget, type: euros, label: "Budget" }
                - id: team
                  type: group
                  label: "Équipe"
                  fields: [{ id: name, type: text, label: "Nom" }, { id: kind, type: choice, label: "Sorte", options: [{ id: x, label: "X" }] }]
              rules:
                - { id: two, when: { kind: a }, count: [team], where: { kind: [x] }, distinct: name, min: 2, message: { fr: "Deux.", en: "Two." } }
                - { id: money, when: { given: budget }, sumAtMost: [budget], atMost: 100, message: "Cent." }
            """, file: "p.yaml")
        let form = try #require(plan.call)
        #expect(form.rules[0] == EligibilityRule(id: "two", kind: .count, paths: ["team"], when: RuleCondition(path: "kind", values: [.text("a")]),
                                                 min: 2, wherePart: "kind", whereValues: ["x"], distinct: "name", message: Localized("Deux.", "Two.")))
        #expect(form.rules[1].when == RuleCondition(path: "budget", values: []) && form.rules[1].atMostValue == 100)
        let row: (String) -> FieldValue = { .object(["name": .text($0), "kind": .text("x")]) }
        var values: [String: FieldValue] = ["kind": .text("a"), "team": .list([row("Ana"), row(" ana")]), "budget": .int(150)]
        #expect(FormCheck.failures(values, form: form).map(\.rule) == ["two", "money"], "the same name twice counts once")
        values["team"] = .list([row("Ana"), row("Bo")])
        values["budget"] = .int(100)
        #expect(FormCheck.failures(values, form: form).isEmpty)
        values["kind"] = .text("b"); values["team"] = .list([])
        #expect(FormCheck.failures(values, form: form).isEmpty, "the count applies only when kind is a")
        #expect(FormCheck.failures(values, form: form).isEmpty)
    }
}
