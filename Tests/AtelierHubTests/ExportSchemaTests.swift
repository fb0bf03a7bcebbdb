import AtelierDomain
import AtelierExport
import AtelierStore
import Foundation
import Testing

/// The JSON export's schema follows the workshop's form; the default plan's is committed as
/// `schemas/workshop-export.v2.json` (regenerate: ATELIER_WRITE_SCHEMA=1 swift test --filter ExportSchemaTests).
@Suite("Export schema")
struct ExportSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theDefaultPlansSchemaIsTheCommittedOne() throws {
        let catalog = try PlanCatalog.load(directory: Self.root.appendingPathComponent("sessions").path)
        let plan = try #require(catalog.plans["iae-saone-et-loire"])
        let w = Workshop(plan.blueprint(id: "w_schema"))
        let schema = JSONExport.schema(w)
        let file = Self.root.appendingPathComponent("schemas/workshop-export.v2.json")
        if ProcessInfo.processInfo.environment["ATELIER_WRITE_SCHEMA"] == "1" { try Data(schema).write(to: file) }
        #expect(Array(try Data(contentsOf: file)) == schema, "schemas/workshop-export.v2.json is the default plan's schema")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(schema)) as? [String: Any])
        let fields = ((doc["$defs"] as? [String: Any])?["project"] as? [String: Any]).flatMap { ($0["properties"] as? [String: Any])?["fields"] as? [String: Any] }
        let props = try #require(fields?["properties"] as? [String: Any])
        #expect(Set(props.keys) == Set(plan.call!.fields.map(\.id)))
        #expect((props["cofinancing"] as? [String: Any])?["maxItems"] as? Int == 10)
        // Another plan, another schema.
        let generic = Workshop(try #require(catalog.plans["appel-generique"]).blueprint(id: "w_g"))
        #expect(String(decoding: JSONExport.schema(generic), as: UTF8.self).contains("\"requested\""))
    }
}
