import AtelierDomain
import AtelierProtocol
import Foundation

/// "Comment ce projet est né" in the exports (docs/export.md): a project's history from the
/// journal (`ProvenanceLog`), as the `history` of its JSON `provenance` and as lines of the
/// Markdown and HTML synthesis. Kept apart from the sheet's own fields so that both evolve alone.
public enum ProvenanceExport {
    /// `provenance.history`: when each source card was written (and at which table), when the
    /// cluster was formed, each step of the sheet, the tables involved. Never an author.
    static func writeHistory(_ p: Provenance, state: Workshop, to w: inout JSONWriter) {
        func moment(_ m: Moment?) {
            guard let m else { return w.null() }
            w.beginObject()
            w.key("seq"); w.int(m.seq)
            w.key("at"); w.string(timestamp(m.at))
            w.key("phase"); w.string(m.phase)
            w.key("table"); w.string(m.group)
            w.endObject()
        }
        w.beginObject()
        w.key("cards"); w.beginArray()
        for c in p.cards where state.cards[c.card].map({ !$0.hidden }) ?? false {
            w.beginObject()
            w.key("card"); w.string(c.card)
            w.key("role"); w.string(c.role.rawValue)
            w.key("written"); moment(c.written)
            w.key("clustered"); moment(c.clustered)
            w.endObject()
        }
        w.endArray()
        w.key("clusterFormed"); moment(p.clusterMade)
        w.key("steps"); w.beginArray()
        for s in p.steps {
            w.beginObject()
            w.key("kind"); w.string(s.kind.rawValue)
            w.key("moment"); moment(s.moment)
            w.key("fields"); w.beginArray(); s.fields.forEach { w.string($0) }; w.endArray()
            w.key("status"); w.string(s.status)
            w.endObject()
        }
        w.endArray()
        w.key("stepsLeftOut"); w.int(p.stepsLeftOut)
        w.key("tables"); w.beginArray(); p.tables.forEach { w.string($0) }; w.endArray()
        // Across the series: the project's identity, and the workshops it went through before this one.
        w.key("series"); w.string(state.seriesIdentity(of: p.project))
        w.key("earlier"); w.beginArray()
        for stage in state.lineage[p.project]?.stages ?? [] { Outbound.writeStage(stage, to: &w) }
        w.endArray()
        w.endObject()
    }

    /// One sentence per kind of moment, for the synthesis (French, as the report is).
    static func lines(_ p: Provenance, state: Workshop) -> [String] {
        func when(_ m: Moment) -> String {
            var s = "le \(Report.frenchDate(m.at, timeZone: state.timeZone)) (événement \(m.seq)), phase « \(state.phases.first { $0.id == m.phase }?.title ?? m.phase) »"
            if let g = m.group, let table = state.groups.first(where: { $0.id == g }) { s += ", \(table.title)" }
            return s
        }
        var out: [String] = []
        for stage in state.lineage[p.project]?.stages ?? [] {
            let how = stage.entry == .created ? "Fiche créée" : "Fiche reportée"
            var line = "\(how) dans l'atelier « \(stage.workshopTitle) » le \(Report.frenchDate(stage.at, timeZone: state.timeZone))"
            if !stage.table.isEmpty { line += ", table « \(stage.table) »" }
            if stage.entry == .created, !(stage.problems.isEmpty && stage.ideas.isEmpty) {
                line += ", à partir de \(stage.problems.count) problème(s) et \(stage.ideas.count) idée(s)"
            }
            out.append(line)
        }
        if let from = state.carried[p.project] {
            out.append("Reportée dans cet atelier le \(Report.frenchDate(state.createdAt, timeZone: state.timeZone)) depuis la table « \(from.table) »")
        }
        if let created = p.steps.first(where: { $0.kind == .created }) { out.append("Fiche créée \(when(created.moment))") }
        let edits = p.steps.filter { $0.kind == .updated }
        if let last = edits.last { out.append("\(edits.count + p.stepsLeftOut) modification\(edits.count + p.stepsLeftOut > 1 ? "s" : ""), la dernière \(when(last.moment))") }
        for c in p.cards {
            guard let card = state.cards[c.card], !card.hidden, let written = c.written else { continue }
            out.append("\(c.role == .problem ? "Problème" : "Idée") « \(card.text) » écrit\(c.role == .problem ? "" : "e") \(when(written))")
        }
        if let made = p.clusterMade, let id = p.cluster, let cluster = state.clusters[id] { out.append("Regroupement « \(cluster.title) » formé \(when(made))") }
        let tables = p.tables.compactMap { g in state.groups.first { $0.id == g }?.title }
        if !tables.isEmpty { out.append("Tables impliquées : \(tables.joined(separator: ", "))") }
        return out
    }
}
