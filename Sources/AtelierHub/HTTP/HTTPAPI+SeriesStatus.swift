import AtelierDomain
import AtelierJSON
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

/// "Où en sont nos projets" (docs/protocol.md "Where our projects stand"): one status line per
/// project of a series, for the organiser and for the facilitator (console, projector) of any
/// workshop of the series.
extension HTTPAPI {
    /// `GET /api/series/{series}/projects` (and `/api/admin/series/{series}/projects`): admin.
    func seriesProjects(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        if let refusal = refuseUnlessAdmin(request) { return respond(refusal) }
        hub.refreshSharedSeries()
        guard let record = hub.series[captures[0]] else { return respond(Self.error(404, .notFound, "Série inconnue.")) }
        answerStatusLines(record, respond: respond)
    }

    /// `GET /api/workshops/{workshop}/series/projects`: the same with the facilitator key of a
    /// workshop of the series (the console and the projector hold it, participants never do).
    func workshopSeriesProjects(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        let id = captures[0]
        guard let token = request.bearerToken else {
            return respond(Self.error(401, .unauthenticated, "Clé d'animation manquante (en-tête Authorization: Bearer)."))
        }
        if let refusal = misdirected(id) { return respond(refusal) }
        guard let room = hub.room(id) else { return respond(Self.error(404, .notFound, "Atelier inconnu.")) }
        guard hub.facilitatorKeyOpens(token, room.record) else {
            return respond(Self.error(403, .forbidden, "Clé d'animation invalide pour cet atelier."))
        }
        hub.refreshSharedSeries()
        guard let series = hub.seriesByWorkshop[id], let record = hub.series[series] else {
            return respond(Self.json(200) { w in
                w.key("series"); w.null()
                w.key("projects"); w.beginArray(); w.endArray()
                w.key("unread"); w.beginArray(); w.endArray()
            })
        }
        answerStatusLines(record, respond: respond)
    }

    /// The lines of every workshop this node can read, in the series' order; the others listed
    /// in `unread` (several nodes: a workshop another node serves).
    func answerStatusLines(_ record: SeriesRecord, respond: @escaping Respond) {
        var states: [Workshop] = [], unread: [WorkshopID] = []
        for id in record.workshops {
            if let room = hub.room(id) { states.append(room.state) } else { unread.append(id) }
        }
        let lines = ProjectStatusLine.lines(states)
        let body = Self.json(200) { w in
            w.key("series"); w.beginObject()
            w.key("id"); w.string(record.id)
            w.key("title"); w.string(record.title)
            w.endObject()
            w.key("projects"); w.beginArray()
            for line in lines { Outbound.writeStatusLine(line, to: &w) }
            w.endArray()
            w.key("unread"); w.beginArray(); unread.forEach { w.string($0) }; w.endArray()
        }
        // What it shows is durable before it is shown.
        hub.pipeline.afterCommit { _ in respond(body) }
    }
}
