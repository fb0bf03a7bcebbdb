import AtelierDomain
import AtelierProtocol
import Foundation

/// The workshop's outcome as one versioned JSON document (`schemaVersion` 1), for the
/// call-for-projects team. Its JSON Schema: `schemas/workshop-export.v1.json`.
public enum JSONExport {
    public static let schemaVersion = 1

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
        w.key("phase"); w.string(workshop.phase)
        w.key("closed"); w.bool(workshop.closed)
        w.key("seq"); w.int(workshop.seq)
        w.key("anonymous"); w.bool(workshop.settings.anonymous)
        w.endObject()
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

    /// One project with its provenance: table, phase, source cards and their votes, contributors.
    public static func writeProject(_ p: Outcome.ProjectView, _ w: inout JSONWriter, history: Provenance? = nil, in workshop: Workshop? = nil) {
        let s = p.sheet
        w.beginObject()
        w.key("id"); w.string(s.id)
        w.key("title"); w.string(s.title)
        w.key("status"); w.string(s.status.rawValue)
        w.key("version"); w.int(s.version)
        w.key("summary"); w.string(s.summary)
        w.key("cooperation"); w.string(s.cooperation?.rawValue)
        w.key("orientation"); w.string(p.orientation?.title)
        w.key("lead"); Outbound.writeLead(s.lead, to: &w)
        w.key("partners"); Outbound.writePartners(s.partners, to: &w)
        w.key("territory"); w.string(s.territory)
        w.key("support"); w.beginObject()
        w.key("methodological"); w.bool(s.support.methodological)
        w.key("expertiseEuros"); w.int(s.support.expertise)
        w.key("grantEuros"); w.int(s.support.grant)
        w.endObject()
        w.key("outcomes"); w.beginObject()
        w.key("insertionJobs"); w.int(s.outcomes.insertionJobs)
        w.key("peopleSupported"); w.int(s.outcomes.peopleSupported)
        w.key("other"); w.string(s.outcomes.other)
        w.endObject()
        w.key("nextSteps"); w.string(s.nextSteps)
        w.key("contact"); Outbound.writeContact(s.contact, to: &w)
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
