import AtelierDomain
import AtelierJSON
import AtelierProtocol
import Foundation
import Testing
@testable import AtelierStore

/// Sheets written before the call's form moved into the plan (issue 13) load into the
/// form-driven sheet: `journal-sheets-v1.sqlite` was written by the server of commit 626451a
/// (`Tests/fixtures/make_journal_sheets.py`), its `.expected.json` holds every sheet as that
/// server showed it to the facilitator.
@Suite("Sheets written before the form")
struct SheetsFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// JSON as a comparable value, an object's null members left out (the old sheet wrote
    /// `"siret": null`, the new one leaves an unset part out).
    static func canonical(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let pairs):
            return .object(pairs.filter { $0.1 != .null }.map { ($0.0, canonical($0.1)) }.sorted { $0.0 < $1.0 })
        case .array(let items): return .array(items.map(canonical))
        default: return v
        }
    }

    func load() throws -> (Workshop, [JSONValue]) {
        let dir = temporaryDirectory()
        let target = URL(fileURLWithPath: dir).appendingPathComponent("atelier.sqlite")
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("journal-sheets-v1.sqlite"), to: target)
        let expected = try JSONParser.parse(Array(Data(contentsOf: Self.fixtures.appendingPathComponent("journal-sheets-v1.sqlite.expected.json"))))
        guard case .string(let id)? = expected["workshop"], case .array(let projects)? = expected["projects"] else {
            throw DomainError(.internal, "fixture without workshop or projects")
        }
        let store = try SQLiteStore(directory: dir)
        let stored = try #require(try store.loadWorkshop(id: id))
        if case .number(let n)? = expected["eventCount"] { #expect(stored.entries.count == Int(n)) }
        return (try #require(stored.state), projects)
    }

    @Test func everySheetKeepsEveryValue() throws {
        let (w, projects) = try load()
        #expect(w.form == .legacy, "a workshop created without a form has today's fixed sheet")
        #expect(projects.count == 6)
        #expect(w.projects.count == projects.count)
        for old in projects {
            guard case .string(let id)? = old["id"] else { Issue.record("sheet without id"); continue }
            let sheet = try #require(w.projects[id], "sheet \(id)")
            var writer = JSONWriter(reserving: 1024)
            Outbound.writeProject(sheet, claimLinks: true, to: &writer)
            let now = try JSONParser.parse(writer.bytes)
            #expect(Self.canonical(now) == Self.canonical(old), "sheet \(id) as the facilitator sees it")
        }
    }

    @Test func theValuesAreInTheNewForm() throws {
        let (w, _) = try load()
        let sheets = w.orderedProjects
        let submitted = try #require(sheets.first { $0.status == .submitted })
        #expect(submitted.values["lead"] == .object(["name": .text("Association Fictive « Le Pont »"), "actor": .text("aci"), "siret": .text("12345678900015")]))
        #expect(submitted.values["support"] == .object(["methodological": .bool(true), "expertise": .int(4500), "grant": .int(12000)]))
        #expect(submitted.values["partners"]?.list?.count == 2)
        #expect(submitted.values["partners"]?.list?[1]["role"] == .text(""))
        #expect(submitted.receipts.map(\.channel) == [.webhook])
        // Complete sheets meet today's form and rules; partial ones say what they lack.
        for s in sheets where s.status != .draft {
            let (missing, rules) = ProjectRules.readiness(of: s, form: w.form)
            #expect(missing.isEmpty && rules.isEmpty, "\(s.id): \(missing.map(\.phrase)) \(rules.map(\.rule))")
        }
        let cleared = try #require(sheets.first { $0.title == "Projet abandonné puis repris" })
        #expect(cleared.values["cooperation"] == nil && cleared.values["orientation"] == nil && cleared.values["lead"] == nil)
        #expect(cleared.values["partners"] == .list([]) && cleared.nextSteps == "")
        let partial = try #require(sheets.first { $0.title == "Clauses sociales dans les marchés" })
        #expect(partial.values["outcomes"] == .object(["peopleSupported": .int(15), "other": .text("")]))
        #expect(partial.contact == Contact(name: "Dominique Exemple", email: "", phone: "+33 3 00 00 00 01"))
        let (missing, _) = ProjectRules.readiness(of: partial, form: w.form)
        #expect(missing.map(\.field) == ["problems", "cooperation", "orientation", "territory"])
        // An old sheet takes changes under the form it was written with.
        let bare = try #require(sheets.first { $0.title == "Idée à creuser" })
        var change = ProjectChange()
        change.fields["summary"] = .text("  Un résumé  ")
        change.fields["lead"] = .object(["name": .text("ACI"), "actor": .text("aci"), "siret": .text("7328 2932 0000 74")])
        var state = w
        let events = try reduce(state, .projectUpdate(project: bare.id, version: bare.version, change: change),
                                by: .facilitator, context: ReduceContext(nextSeq: w.seq + 1)).get()
        for (i, e) in events.enumerated() { state.apply(Event(seq: w.seq + 1 + i, at: 1, by: nil, body: e)) }
        #expect(state.projects[bare.id]?.summary == "Un résumé")
        #expect(state.projects[bare.id]?.lead?.siret == "73282932000074")
    }
}
