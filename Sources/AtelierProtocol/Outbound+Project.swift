import AtelierDomain
import Foundation

/// Project sheets on the wire.
extension Outbound {
    /// `onlySupporter`: in an anonymous workshop, the viewer sees whether they support the sheet
    /// and how many do, never who the others are.
    /// `claimLinks`: whether Démarches Simplifiées' claim links are written (the facilitator's
    /// snapshot only: whoever opens one first owns the application).
    public static func writeProject(_ p: ProjectSheet, onlySupporter: ActorID? = nil, claimLinks: Bool = false, to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(p.id)
        w.key("board"); w.string(p.board)
        w.key("status"); w.string(p.status.rawValue)
        w.key("version"); w.int(p.version)
        w.key("phase"); w.string(p.phase)
        w.key("cluster"); w.string(p.cluster)
        writeValues(p.values, legacyDefaults: true, to: &w)
        w.key("supporters"); w.beginArray()
        for s in p.supporters where onlySupporter == nil || s == onlySupporter { w.string(s) }
        w.endArray()
        w.key("supportCount"); w.int(p.supporters.count)
        w.key("receipts"); w.beginArray(); p.receipts.forEach { writeReceipt($0, withClaimLink: claimLinks, to: &w) }; w.endArray()
        w.endObject()
    }

    static func writeProjectChange(_ c: ProjectChange, to w: inout JSONWriter) {
        w.beginObject()
        for k in c.fields.keys.sorted() { w.key(k); writeValue(c.fields[k]!, to: &w) }
        w.endObject()
    }

    /// The fields of today's sheet at their empty value, written when a sheet lacks them (pages and
    /// scripts written for the fixed sheet always found these keys).
    static let legacyEmpty: [(String, FieldValue)] = [
        ("title", .text("")), ("summary", .text("")), ("problems", .list([])), ("sources", .list([])),
        ("cooperation", .null), ("orientation", .null), ("lead", .null), ("partners", .list([])),
        ("territory", .text("")), ("support", .object(["methodological": .bool(false), "expertise": .null, "grant": .null])),
        ("outcomes", .object(["insertionJobs": .null, "peopleSupported": .null, "other": .text("")])),
        ("nextSteps", .text("")), ("contact", .object(["name": .text(""), "email": .text(""), "phone": .text("")])),
    ]

    /// A sheet's values as keys of the object being written.
    public static func writeValues(_ values: [String: FieldValue], legacyDefaults: Bool, to w: inout JSONWriter) {
        if legacyDefaults {
            for (k, empty) in legacyEmpty where values[k] == nil { w.key(k); writeValue(empty, to: &w) }
        }
        for k in values.keys.sorted() { w.key(k); writeValue(values[k]!, to: &w) }
    }

    public static func writeValue(_ v: FieldValue, to w: inout JSONWriter) {
        switch v {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .int(let n): w.int(n)
        case .text(let s): w.string(s)
        case .list(let l): w.beginArray(); l.forEach { writeValue($0, to: &w) }; w.endArray()
        case .object(let o):
            w.beginObject()
            for k in o.keys.sorted() { w.key(k); writeValue(o[k]!, to: &w) }
            w.endObject()
        }
    }

    /// The call's form, as `welcome.workshop.form` carries it (docs/protocol.md).
    public static func writeForm(_ form: CallForm, to w: inout JSONWriter) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        w.raw(Array((try? encoder.encode(form)) ?? Data("null".utf8)))
    }

    /// A receipt. A Démarches Simplifiées receipt's `url` is the prefilled dossier's claim link: the
    /// first person to open it becomes the applicant, so it is written only `withClaimLink`
    /// (to the facilitator, and between the CLI and the server); anyone else gets null.
    public static func writeReceipt(_ r: Receipt, withClaimLink: Bool = false, to w: inout JSONWriter) {
        w.beginObject()
        w.key("channel"); w.string(r.channel.rawValue)
        w.key("reference"); w.string(r.reference)
        w.key("url"); w.string(r.channel == .demarches && !withClaimLink ? nil : r.url)
        w.key("number"); w.int(r.number)
        w.key("at"); w.string(timestamp(r.at))
        // The prefill token is the claim link's secret part: with it, or not at all.
        if withClaimLink, r.channel == .demarches, let token = r.prefillToken { w.key("prefillToken"); w.string(token) }
        if let d = r.dossier { w.key("dossier"); writeDossier(d, to: &w) }
        w.endObject()
    }

    /// Where a dossier is on Démarches Simplifiées (no link, no token: everyone may read it).
    public static func writeDossier(_ d: DossierFollow, to w: inout JSONWriter) {
        w.beginObject()
        w.key("state"); w.string(d.state.rawValue)
        w.key("submittedAt"); w.string(d.submittedAt.map(timestamp))
        w.key("processedAt"); w.string(d.processedAt.map(timestamp))
        w.endObject()
    }

    /// A webhook delivery as the facilitator's console shows it (without its body).
    public static func writeOutboxEntry(_ e: OutboxEntry, to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(e.delivery.id)
        w.key("project"); w.string(e.delivery.project)
        w.key("version"); w.int(e.delivery.version)
        w.key("queuedAt"); w.string(timestamp(e.delivery.queuedAt))
        w.key("state"); w.string(e.state.rawValue)
        w.key("nextAt"); w.string(e.nextAt.map(timestamp))
        w.key("attemptCount"); w.int(e.attemptCount)
        w.key("attempts"); w.beginArray(); e.attempts.forEach { writeAttempt($0, to: &w) }; w.endArray()
        w.endObject()
    }

    public static func writeAttempt(_ a: WebhookAttempt, to w: inout JSONWriter) {
        w.beginObject()
        w.key("at"); w.string(timestamp(a.at))
        w.key("status"); w.int(a.status)
        w.key("error"); w.string(a.error)
        w.key("nextAt"); w.string(a.nextAt.map(timestamp))
        w.endObject()
    }
}

