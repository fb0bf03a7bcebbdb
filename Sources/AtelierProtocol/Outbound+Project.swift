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
        var change = ProjectChange()
        change.title = p.title; change.summary = p.summary; change.problems = p.problems; change.sources = p.sources
        change.cooperation = .some(p.cooperation); change.orientation = .some(p.orientation); change.lead = .some(p.lead)
        change.partners = p.partners; change.territory = p.territory; change.support = p.support; change.outcomes = p.outcomes
        change.nextSteps = p.nextSteps; change.contact = p.contact
        writeProjectFields(change, to: &w)
        w.key("supporters"); w.beginArray()
        for s in p.supporters where onlySupporter == nil || s == onlySupporter { w.string(s) }
        w.endArray()
        w.key("supportCount"); w.int(p.supporters.count)
        w.key("receipts"); w.beginArray(); p.receipts.forEach { writeReceipt($0, withClaimLink: claimLinks, to: &w) }; w.endArray()
        w.endObject()
    }

    static func writeProjectChange(_ c: ProjectChange, to w: inout JSONWriter) {
        w.beginObject()
        writeProjectFields(c, to: &w)
        w.endObject()
    }

    /// The sheet's fields present in `c`, as keys of the object being written.
    static func writeProjectFields(_ c: ProjectChange, to w: inout JSONWriter) {
        if let v = c.title { w.key("title"); w.string(v) }
        if let v = c.summary { w.key("summary"); w.string(v) }
        if let v = c.problems { w.key("problems"); w.beginArray(); v.forEach { w.string($0) }; w.endArray() }
        if let v = c.sources { w.key("sources"); w.beginArray(); v.forEach { w.string($0) }; w.endArray() }
        if let v = c.cooperation { w.key("cooperation"); w.string(v?.rawValue) }
        if let v = c.orientation { w.key("orientation"); w.string(v) }
        if let v = c.lead { w.key("lead"); writeLead(v, to: &w) }
        if let v = c.partners { w.key("partners"); writePartners(v, to: &w) }
        if let v = c.territory { w.key("territory"); w.string(v) }
        if let v = c.support {
            w.key("support"); w.beginObject()
            w.key("methodological"); w.bool(v.methodological)
            w.key("expertise"); w.int(v.expertise)
            w.key("grant"); w.int(v.grant)
            w.endObject()
        }
        if let v = c.outcomes {
            w.key("outcomes"); w.beginObject()
            w.key("insertionJobs"); w.int(v.insertionJobs)
            w.key("peopleSupported"); w.int(v.peopleSupported)
            w.key("other"); w.string(v.other)
            w.endObject()
        }
        if let v = c.nextSteps { w.key("nextSteps"); w.string(v) }
        if let v = c.contact { w.key("contact"); writeContact(v, to: &w) }
    }

    // Shared with the JSON export, which shows these parts of a sheet the same way.

    public static func writeLead(_ lead: Organisation?, to w: inout JSONWriter) {
        guard let lead else { w.null(); return }
        w.beginObject()
        w.key("name"); w.string(lead.name)
        w.key("actor"); w.string(lead.actor.rawValue)
        w.key("siret"); w.string(lead.siret)
        w.endObject()
    }

    public static func writePartners(_ partners: [Partner], to w: inout JSONWriter) {
        w.beginArray()
        for partner in partners {
            w.beginObject()
            w.key("name"); w.string(partner.name)
            w.key("actor"); w.string(partner.actor.rawValue)
            w.key("role"); w.string(partner.role)
            w.endObject()
        }
        w.endArray()
    }

    public static func writeContact(_ contact: Contact, to w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(contact.name)
        w.key("email"); w.string(contact.email)
        w.key("phone"); w.string(contact.phone)
        w.endObject()
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

