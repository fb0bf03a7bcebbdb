import AtelierDomain
import Foundation

/// The answers of replay's HTTP routes (docs/protocol.md "Replay"). The workshop at a moment is
/// the welcome's snapshot (`Outbound.snapshot`) for the viewer's sight, as it was then.
extension Outbound {
    /// Points of the timeline sent at most (seq and time, evenly spread), to draw it and to map
    /// time to seq when playing back; the markers come whole.
    public static let timelinePoints = 400

    /// `GET …/replay`: the journal's seqs with their times, and the markers.
    public static func timeline(_ index: ReplayIndex, state: Workshop, viewer: Actor) -> [UInt8] {
        var w = JSONWriter(reserving: 16_384 + index.markers.count * 96)
        let last = index.lastSeq
        w.beginObject()
        w.key("workshop"); w.string(state.id)
        w.key("title"); w.string(state.title)
        w.key("timeZone"); w.string(state.timeZone)
        w.key("you"); w.beginObject()
        w.key("role"); w.string(viewer.role.rawValue)
        w.key("participant"); w.string(viewer.id)
        w.endObject()
        w.key("first"); w.int(last >= 1 ? 1 : 0)
        w.key("last"); w.int(last)
        w.key("startedAt"); w.string(index.time(of: 1).map(timestamp))
        w.key("endedAt"); w.string(index.time(of: last).map(timestamp))
        w.key("closed"); w.bool(state.closed)
        w.key("points"); w.beginArray()
        let n = min(last, timelinePoints)
        var previous = 0
        for i in 0..<n {
            let seq = n <= 1 ? last : 1 + (last - 1) * i / (n - 1)
            if seq == previous { continue }
            previous = seq
            w.beginArray(); w.int(seq); w.string(timestamp(index.time(of: seq) ?? 0)); w.endArray()
        }
        w.endArray()
        w.key("markers"); w.beginArray()
        for m in index.markers {
            // Someone invited into a working group knows only their table's sheets.
            if let board = viewer.board, m.kind == .project, m.subject.flatMap({ state.projects[$0]?.board }) != board { continue }
            w.beginObject()
            w.key("seq"); w.int(m.seq)
            w.key("at"); w.string(timestamp(m.at))
            w.key("kind"); w.string(m.kind.rawValue)
            switch m.kind {
            case .phase:
                w.key("phase"); w.string(m.subject)
                w.key("title"); w.string(state.phases.first { $0.id == m.subject }?.title)
            case .project:
                w.key("project"); w.string(m.subject)
                w.key("title"); w.string(m.subject.flatMap { state.projects[$0]?.title })
            case .votesClosed, .votesRevealed, .closed:
                break
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// `GET …/replay/{seq}`: the workshop at `seq` as `viewer` could see it then.
    public static func moment(_ state: Workshop, at: Int64, last: Int, viewer: Actor) -> [UInt8] {
        let snapshot = Outbound.snapshot(state, for: viewer, online: { _ in false })
        var w = JSONWriter(reserving: snapshot.count + 160)
        w.beginObject()
        w.key("seq"); w.int(state.seq)
        w.key("at"); w.string(timestamp(at))
        w.key("last"); w.int(last)
        w.key("you"); w.beginObject()
        w.key("role"); w.string(viewer.role.rawValue)
        w.key("participant"); w.string(viewer.id)
        w.key("group"); w.string(state.participants[viewer.id]?.group)
        w.endObject()
        w.key("workshop"); w.raw(snapshot)
        w.endObject()
        return w.bytes
    }

    /// A project sheet's provenance as `viewer` may see it in `state` (the workshop now): a card
    /// the viewer cannot see (someone else's private card, a hidden one) is counted, not shown.
    /// No author is ever named: provenance names tables, not people.
    public static func writeProvenance(_ p: Provenance, state: Workshop, viewer: Actor, to w: inout JSONWriter) {
        func moment(_ m: Moment?) {
            guard let m else { return w.null() }
            w.beginObject()
            w.key("seq"); w.int(m.seq)
            w.key("at"); w.string(timestamp(m.at))
            w.key("phase"); w.string(m.phase)
            w.key("phaseTitle"); w.string(state.phases.first { $0.id == m.phase }?.title)
            w.key("board"); w.string(m.board)
            w.key("table"); w.string(m.group)
            w.key("tableTitle"); w.string(m.group.flatMap { g in state.groups.first { $0.id == g }?.title })
            w.endObject()
        }
        w.beginObject()
        w.key("project"); w.string(p.project)
        w.key("title"); w.string(state.projects[p.project]?.title)
        w.key("cards"); w.beginArray()
        var unseen = 0
        for origin in p.cards {
            guard let card = state.cards[origin.card], state.canSee(card, viewer: viewer) else {
                unseen += 1
                continue
            }
            w.beginObject()
            w.key("card"); w.string(origin.card)
            w.key("role"); w.string(origin.role.rawValue)
            w.key("text"); w.string(card.text)
            w.key("written"); moment(origin.written)
            w.key("cluster"); w.string(origin.cluster)
            w.key("clustered"); moment(origin.clustered)
            w.endObject()
        }
        w.endArray()
        w.key("cardsNotShown"); w.int(unseen)
        w.key("cluster")
        if let id = p.cluster, let cluster = state.clusters[id] {
            w.beginObject()
            w.key("id"); w.string(id)
            w.key("title"); w.string(cluster.title)
            w.key("made"); moment(p.clusterMade)
            w.endObject()
        } else { w.null() }
        w.key("steps"); w.beginArray()
        for step in p.steps {
            w.beginObject()
            w.key("kind"); w.string(step.kind.rawValue)
            w.key("moment"); moment(step.moment)
            if !step.fields.isEmpty { w.key("fields"); w.beginArray(); step.fields.forEach { w.string($0) }; w.endArray() }
            if let status = step.status { w.key("status"); w.string(status) }
            w.endObject()
        }
        w.endArray()
        w.key("stepsLeftOut"); w.int(p.stepsLeftOut)
        w.key("tables"); w.beginArray()
        for g in p.tables {
            w.beginObject()
            w.key("id"); w.string(g)
            w.key("title"); w.string(state.groups.first { $0.id == g }?.title)
            w.endObject()
        }
        w.endArray()
        // Across the series (docs/protocol.md "Carrying work forward"): its identity, where it was
        // carried from into this workshop, and the workshops it went through before.
        w.key("series"); w.string(state.seriesIdentity(of: p.project))
        w.key("carriedFrom")
        if let item = state.carried[p.project] {
            w.beginObject()
            w.key("project"); w.string(item.from)
            w.key("table"); w.string(item.table)
            w.key("at"); w.string(timestamp(state.createdAt))
            w.endObject()
        } else { w.null() }
        w.key("earlier"); w.beginArray()
        for stage in state.lineage[p.project]?.stages ?? [] { writeStage(stage, to: &w) }
        w.endArray()
        w.endObject()
    }

    /// One project's status line across its series (docs/protocol.md "Where our projects stand").
    public static func writeStatusLine(_ l: ProjectStatusLine, to w: inout JSONWriter) {
        w.beginObject()
        w.key("identity"); w.string(l.identity)
        w.key("title"); w.string(l.title)
        w.key("status"); w.string(l.stage.rawValue)
        w.key("since"); w.string(l.since.map(timestamp))
        w.key("workshop"); w.string(l.workshop)
        w.key("workshopTitle"); w.string(l.workshopTitle)
        w.key("project"); w.string(l.project)
        w.key("table"); w.string(l.table)
        w.key("workshops"); w.beginArray(); l.workshops.forEach { w.string($0) }; w.endArray()
        w.key("dates"); w.beginObject()
        w.key("prepared"); w.string(l.preparedAt.map(timestamp))
        w.key("filed"); w.string(l.filedAt.map(timestamp))
        w.key("decided"); w.string(l.decidedAt.map(timestamp))
        w.endObject()
        w.key("nextSteps"); w.beginArray()
        for s in l.nextSteps {
            w.beginObject()
            w.key("action"); w.string(s.action)
            w.key("owner"); w.string(s.owner)
            w.key("due"); w.string(s.due)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// `GET …/projects/{project}/provenance`.
    public static func provenance(_ p: Provenance, state: Workshop, viewer: Actor) -> [UInt8] {
        var w = JSONWriter(reserving: 2048)
        writeProvenance(p, state: state, viewer: viewer, to: &w)
        return w.bytes
    }
}
