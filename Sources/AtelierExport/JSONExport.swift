import AtelierDomain
import AtelierProtocol
import Foundation

/// The workshop's outcome as one versioned JSON document (`schemaVersion` 2), for the
/// call-for-projects team: the call (its form), tables, projects with their form values and
/// provenance. Its JSON Schema depends on the form: `JSONExport.schema(for:)` (`format=schema`);
/// the default plan's is `schemas/workshop-export.v2.json`.
public enum JSONExport {
    public static let schemaVersion = 2

    /// `generatedAt` is milliseconds since 1970, given by the caller (no clock here).
    public static func document(_ workshop: Workshop, generatedAt: Int64, provenance: ProvenanceLog? = nil) -> [UInt8] {
        let outcome = Outcome(workshop)
        var w = JSONWriter(reserving: 4096 + workshop.cards.count * 256)
        w.beginObject()
        w.key("schemaVersion"); w.int(schemaVersion)
        w.key("generatedAt"); w.string(timestamp(generatedAt))
        w.key("workshop"); w.beginObject()
        w.key("id"); w.string(workshop.id)
        w.key("title"); w.string(workshop.title)
        w.key("plan"); w.string(workshop.plan)
        w.key("date"); w.string(FormExport.day(of: workshop))
        w.key("phase"); w.string(workshop.phase)
        w.key("closed"); w.bool(workshop.closed)
        w.key("seq"); w.int(workshop.seq)
        w.key("anonymous"); w.bool(workshop.settings.anonymous)
        w.endObject()
        w.key("call"); Outbound.writeForm(workshop.form, to: &w)
        w.key("tables"); w.beginArray()
        for table in outcome.tables {
            w.beginObject()
            w.key("id"); w.string(table.group?.id)
            w.key("title"); w.string(table.board.title)
            w.key("theme"); w.string(table.theme)
            w.key("board"); w.string(table.board.id)
            w.key("columns"); w.beginArray()
            for column in table.columns {
                w.beginObject()
                w.key("id"); w.string(column.column.id)
                w.key("title"); w.string(column.column.title)
                w.key("kind"); w.string(column.column.kind.rawValue)
                w.key("cards"); w.beginArray()
                column.cards.forEach { writeCardLine($0, &w) }
                w.endArray()
                w.endObject()
            }
            w.endArray()
            w.key("clusters"); w.beginArray()
            for c in table.clusters { w.beginObject(); w.key("id"); w.string(c.id); w.key("title"); w.string(c.title); w.endObject() }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.key("projects"); w.beginArray()
        for p in outcome.projects { writeProject(p, &w, history: provenance?.provenance(of: p.sheet.id, in: workshop), in: workshop) }
        w.endArray()
        w.key("contributors"); w.beginArray()
        for c in outcome.contributors {
            w.beginObject()
            w.key("id"); w.string(c.participant)
            w.key("organisation"); w.string(c.contributor.organisation)
            w.key("actor"); w.string(c.contributor.actor.rawValue)
            w.key("table"); w.string(c.table)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// A card as the export document (schemas/workshop-export.v1.json) shows it: not the wire's card.
    static func writeCardLine(_ c: Outcome.CardLine, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(c.id)
        w.key("text"); w.string(c.text)
        w.key("author"); w.string(c.author)
        w.key("votes"); w.int(c.votes)
        w.key("cluster"); w.string(c.cluster)
        w.endObject()
    }

    /// A sheet's values by field id, as the form types them: texts, whole numbers (euros, counts),
    /// true/false, option ids, card ids (hidden cards left out), a repeated group as a list of
    /// objects, a single group as an object; `null` when not given.
    static func writeFields(_ s: ProjectSheet, _ w0: Workshop, _ w: inout JSONWriter) {
        w.beginObject()
        for f in w0.form.fields {
            w.key(f.id)
            guard var v = s.values[f.id] else { w.null(); continue }
            if f.type == .problemCards || f.type == .ideaCards {
                v = .list((v.list ?? []).filter { $0.string.flatMap { w0.cards[$0] }.map { !$0.hidden } ?? false })
            }
            if f.type == .group {
                // Every part present, null when not given.
                func full(_ row: FieldValue) -> FieldValue {
                    var o = row.object ?? [:]
                    for c in f.fields ?? [] where o[c.id] == nil { o[c.id] = .null }
                    return .object(o)
                }
                v = f.isRepeatedGroup ? .list((v.list ?? []).map(full)) : full(v)
            }
            Outbound.writeValue(v, to: &w)
        }
        w.endObject()
    }

    /// One project with its provenance: table, phase, source cards and their votes, contributors.
    public static func writeProject(_ p: Outcome.ProjectView, _ w: inout JSONWriter, history: Provenance? = nil, in workshop: Workshop? = nil) {
        let s = p.sheet
        w.beginObject()
        w.key("id"); w.string(s.id)
        w.key("title"); w.string(s.title)
        w.key("status"); w.string(s.status.rawValue)
        w.key("version"); w.int(s.version)
        w.key("fields"); writeFields(s, p.workshop, &w)
        w.key("supporters"); w.int(s.supporters.count)
        w.key("provenance"); w.beginObject()
        w.key("table"); w.string(p.table?.title)
        w.key("board"); w.string(s.board)
        w.key("phase"); w.string(s.phase)
        w.key("cluster"); w.string(p.cluster?.title)
        w.key("problems"); w.beginArray(); p.problems.forEach { writeCardLine($0, &w) }; w.endArray()
        w.key("ideas"); w.beginArray(); p.ideas.forEach { writeCardLine($0, &w) }; w.endArray()
        w.key("votes"); w.int(p.votes)
        if let history, let workshop { w.key("history"); ProvenanceExport.writeHistory(history, state: workshop, to: &w) }
        w.endObject()
        w.key("contributors"); w.beginArray()
        for c in p.contributors {
            w.beginObject()
            w.key("organisation"); w.string(c.organisation)
            w.key("actor"); w.string(c.actor.rawValue)
            w.endObject()
        }
        w.endArray()
        w.key("receipts"); w.beginArray(); s.receipts.forEach { Outbound.writeReceipt($0, to: &w) }; w.endArray()
        w.endObject()
    }
}
