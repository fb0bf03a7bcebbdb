import AtelierDomain
import Foundation

extension JSONExport {
    /// The JSON Schema of the `json` export of a workshop: the document's frame (as in
    /// `schemas/workshop-export.v2.json`) with each project's `fields` typed by the workshop's form.
    public static func schema(_ workshop: Workshop) -> [UInt8] {
        guard var root = try? JSONSerialization.jsonObject(with: Data(baseSchema.utf8)) as? [String: Any],
              var defs = root["$defs"] as? [String: Any], var project = defs["project"] as? [String: Any],
              var properties = project["properties"] as? [String: Any] else { return Array("{}".utf8) }
        var fields: [String: Any] = [:]
        for f in workshop.form.fields { fields[f.id] = schema(of: f, workshop) }
        properties["fields"] = ["type": "object", "additionalProperties": false,
                                "required": workshop.form.fields.map(\.id), "properties": fields] as [String: Any]
        project["properties"] = properties
        defs["project"] = project
        root["$defs"] = defs
        let data = (try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Array(data) + [0x0A]
    }

    static func schema(of f: FormField, _ w: Workshop) -> [String: Any] {
        func nullable(_ type: String) -> [String] { [type, "null"] }
        var s: [String: Any] = ["description": f.label.fr]
        switch f.type {
        case .text, .longText, .email, .phone:
            s["type"] = nullable("string"); s["maxLength"] = f.lengthLimit
        case .siret: s["type"] = nullable("string"); s["pattern"] = "^[0-9]{14}$"
        case .date: s["type"] = nullable("string"); s["pattern"] = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        case .integer, .euros:
            s["type"] = nullable("integer"); s["minimum"] = f.range.lowerBound; s["maximum"] = f.range.upperBound
        case .yesNo: s["type"] = nullable("boolean")
        case .choice: s["enum"] = (f.options ?? []).map(\.id) as [Any] + [NSNull()]
        case .orientations: s["enum"] = w.orientations.map(\.id) as [Any] + [NSNull()]
        case .choices, .constats, .problemCards, .ideaCards:
            s["type"] = nullable("array"); s["maxItems"] = f.itemLimit
            switch f.type {
            case .choices: s["items"] = ["enum": (f.options ?? []).map(\.id)]
            case .constats: s["items"] = ["enum": w.form.constats.map(\.id)]
            default: s["items"] = ["type": "string"]
            }
        case .group:
            var parts: [String: Any] = [:]
            for c in f.fields ?? [] { parts[c.id] = schema(of: c, w) }
            let row: [String: Any] = ["type": "object", "additionalProperties": false,
                                      "required": (f.fields ?? []).map(\.id), "properties": parts]
            if f.isRepeatedGroup {
                s["type"] = nullable("array"); s["maxItems"] = f.itemLimit; s["items"] = row
            } else {
                s["oneOf"] = [["type": "null"], row]
            }
        }
        return s
    }

    /// The frame of the document, every format version's part that no form changes.
    static let baseSchema = #"""
{"$defs": {"actor": {"enum": ["aci", "ai", "ei", "etti", "business", "public", "network", "other"]}, "card": {"additionalProperties": false, "properties": {"author": {"type": ["string", "null"]}, "cluster": {"type": ["string", "null"]}, "id": {"type": "string"}, "text": {"maxLength": 1000, "minLength": 1, "type": "string"}, "votes": {"description": "null until the votes are revealed", "minimum": 0, "type": ["integer", "null"]}}, "required": ["id", "text", "author", "votes", "cluster"], "type": "object"}, "moment": {"oneOf": [{"type": "null"}, {"additionalProperties": false, "properties": {"at": {"format": "date-time", "type": "string"}, "phase": {"type": "string"}, "seq": {"minimum": 1, "type": "integer"}, "table": {"type": ["string", "null"]}}, "required": ["seq", "at", "phase", "table"], "type": "object"}]}, "project": {"additionalProperties": false, "properties": {"contributors": {"items": {"additionalProperties": false, "properties": {"actor": {"$ref": "#/$defs/actor"}, "organisation": {"type": ["string", "null"]}}, "required": ["organisation", "actor"], "type": "object"}, "type": "array"}, "fields": {"type": "object"}, "id": {"type": "string"}, "provenance": {"additionalProperties": false, "properties": {"board": {"type": "string"}, "cluster": {"type": ["string", "null"]}, "history": {"additionalProperties": false, "description": "How the project was born, from the journal (docs/export.md): absent when exported without it", "properties": {"cards": {"items": {"additionalProperties": false, "properties": {"card": {"type": "string"}, "clustered": {"$ref": "#/$defs/moment"}, "role": {"enum": ["problem", "idea"]}, "written": {"$ref": "#/$defs/moment"}}, "required": ["card", "role", "written", "clustered"], "type": "object"}, "type": "array"}, "clusterFormed": {"$ref": "#/$defs/moment"}, "steps": {"items": {"additionalProperties": false, "properties": {"fields": {"items": {"type": "string"}, "type": "array"}, "kind": {"enum": ["created", "updated", "status", "submitted"]}, "moment": {"$ref": "#/$defs/moment"}, "status": {"type": ["string", "null"]}}, "required": ["kind", "moment", "fields", "status"], "type": "object"}, "type": "array"}, "stepsLeftOut": {"minimum": 0, "type": "integer"}, "tables": {"items": {"type": "string"}, "type": "array"}, "series": {"description": "The project's identity across its series: <workshop>/<project> of its first appearance (docs/protocol.md \"Carrying work forward\")", "type": "string"}, "earlier": {"description": "The earlier workshops of the series the project went through, oldest first", "items": {"additionalProperties": false, "properties": {"at": {"$ref": "#/$defs/timestamp"}, "cluster": {"type": ["string", "null"]}, "entry": {"enum": ["created", "carried"]}, "ideas": {"items": {"type": "string"}, "type": "array"}, "problems": {"items": {"type": "string"}, "type": "array"}, "project": {"type": "string"}, "status": {"type": "string"}, "steps": {"items": {"additionalProperties": false, "properties": {"at": {"$ref": "#/$defs/timestamp"}, "kind": {"enum": ["created", "updated", "status", "submitted"]}, "status": {"type": ["string", "null"]}}, "required": ["kind", "at", "status"], "type": "object"}, "type": "array"}, "table": {"type": "string"}, "workshop": {"type": "string"}, "workshopTitle": {"type": "string"}}, "required": ["workshop", "workshopTitle", "project", "table", "entry", "at", "problems", "ideas", "cluster", "status", "steps"], "type": "object"}, "type": "array"}}, "required": ["cards", "clusterFormed", "steps", "stepsLeftOut", "tables"], "type": "object"}, "ideas": {"items": {"$ref": "#/$defs/card"}, "type": "array"}, "phase": {"type": "string"}, "problems": {"items": {"$ref": "#/$defs/card"}, "type": "array"}, "table": {"type": ["string", "null"]}, "votes": {"description": "null until the votes are revealed", "minimum": 0, "type": ["integer", "null"]}}, "required": ["table", "board", "phase", "cluster", "problems", "ideas", "votes"], "type": "object"}, "receipts": {"items": {"additionalProperties": false, "properties": {"at": {"$ref": "#/$defs/timestamp"}, "channel": {"enum": ["webhook", "demarches"]}, "dossier": {"additionalProperties": false, "properties": {"processedAt": {"anyOf": [{"$ref": "#/$defs/timestamp"}, {"type": "null"}]}, "state": {"enum": ["prefilled", "brouillon", "en_construction", "en_instruction", "accepte", "refuse", "sans_suite", "expired"]}, "submittedAt": {"anyOf": [{"$ref": "#/$defs/timestamp"}, {"type": "null"}]}}, "required": ["state", "submittedAt", "processedAt"], "type": "object"}, "number": {"type": ["integer", "null"]}, "reference": {"type": "string"}, "url": {"type": ["string", "null"]}}, "required": ["channel", "reference", "url", "number", "at"], "type": "object"}, "type": "array"}, "status": {"enum": ["draft", "ready", "prepared", "submitted"]}, "supporters": {"minimum": 0, "type": "integer"}, "title": {"minLength": 1, "type": "string"}, "version": {"minimum": 1, "type": "integer"}}, "required": ["id", "title", "status", "version", "fields", "supporters", "provenance", "contributors", "receipts"], "type": "object"}, "timestamp": {"pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$", "type": "string"}}, "$id": "https://atelier.example/schemas/workshop-export.v2.json", "$schema": "https://json-schema.org/draft/2020-12/schema", "additionalProperties": false, "description": "The outcome of one workshop for the call-for-projects team: tables with their cards, project sheets with their provenance, contributors. Hidden cards are left out; in anonymous workshops authors are null; organisations appear only if the workshop allows it. Version 2: each project's values are under `fields`, shaped by the form of the workshop's call (`call`), whose JSON Schema this is generated from.", "properties": {"call": {"description": "The call for projects: its form and eligibility rules, as the plan declares them (docs/plans.md).", "required": ["name", "fields"], "type": "object"}, "contributors": {"items": {"additionalProperties": false, "properties": {"actor": {"$ref": "#/$defs/actor"}, "id": {"type": "string"}, "organisation": {"type": ["string", "null"]}, "table": {"type": ["string", "null"]}}, "required": ["id", "organisation", "actor", "table"], "type": "object"}, "type": "array"}, "generatedAt": {"$ref": "#/$defs/timestamp"}, "projects": {"items": {"$ref": "#/$defs/project"}, "type": "array"}, "schemaVersion": {"const": 2}, "tables": {"items": {"additionalProperties": false, "properties": {"board": {"type": "string"}, "clusters": {"items": {"additionalProperties": false, "properties": {"id": {"type": "string"}, "title": {"type": "string"}}, "required": ["id", "title"], "type": "object"}, "type": "array"}, "columns": {"items": {"additionalProperties": false, "properties": {"cards": {"items": {"$ref": "#/$defs/card"}, "type": "array"}, "id": {"type": "string"}, "kind": {"enum": ["problem", "idea", "project"]}, "title": {"type": "string"}}, "required": ["id", "title", "kind", "cards"], "type": "object"}, "type": "array"}, "id": {"type": ["string", "null"]}, "theme": {"type": "string"}, "title": {"type": "string"}}, "required": ["id", "title", "theme", "board", "columns", "clusters"], "type": "object"}, "type": "array"}, "workshop": {"additionalProperties": false, "properties": {"anonymous": {"type": "boolean"}, "closed": {"type": "boolean"}, "date": {"pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "type": "string"}, "id": {"minLength": 1, "type": "string"}, "phase": {"type": "string"}, "plan": {"type": "string"}, "seq": {"minimum": 0, "type": "integer"}, "title": {"minLength": 1, "type": "string"}}, "required": ["id", "title", "plan", "date", "phase", "closed", "seq", "anonymous"], "type": "object"}}, "required": ["schemaVersion", "generatedAt", "workshop", "call", "tables", "projects", "contributors"], "title": "Atelier — export d'un atelier (version 2)", "type": "object"}
"""#
}
