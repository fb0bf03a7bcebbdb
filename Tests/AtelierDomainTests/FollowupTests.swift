import Testing
@testable import AtelierDomain

/// Issue 13: a dossier prepared on Démarches Simplifiées is only `prepared` until the project lead
/// files it; its state is journaled only when it changes; the webhook outbox's deliveries move
/// from pending to delivered or abandoned, and only the facilitator redelivers.
@Suite("Follow-up of dossiers and webhook deliveries")
struct FollowupTests {
    func readySheet() throws -> (Workshop, ProjectID) {
        var w = fixture(phase: "projects")
        _ = try step(&w, .projectCreate(board: "b_a", title: "Poste partagé", cluster: nil, cards: ["c_100"]), alice)
        let id = w.orderedProjects[0].id
        var c = ProjectChange()
        c.summary = "Un poste partagé."; c.cooperation = .some(.siae); c.orientation = .some("g_a")
        c.lead = .some(Organisation(name: "ACI Le Pont", actor: .aci)); c.territory = "Autun"
        c.support = SupportRequest(methodological: true); c.contact = Contact(name: "Marie", email: "marie@example.org")
        _ = try step(&w, .projectUpdate(project: id, version: 1, change: c), alice)
        _ = try step(&w, .projectReady(project: id), facilitator)
        return (w, id)
    }

    @Test func aDossierIsPreparedUntilTheLeadFilesIt() throws {
        var (w, id) = try readySheet()
        let receipt = Receipt(channel: .demarches, reference: "RG9zc2llci0x", url: "https://ds/commencer/x?prefill_token=T", number: 1,
                              at: 5, prefillToken: "T", dossier: DossierFollow(state: .prefilled))
        _ = try step(&w, .projectSubmit(project: id, version: w.projects[id]!.version, receipt: receipt), .system)
        #expect(w.projects[id]?.status == .prepared)
        // Locked like a submitted sheet: what was sent is what the lead takes over.
        var more = ProjectChange(); more.nextSteps = "x"
        #expect(run(w, .projectUpdate(project: id, version: w.projects[id]!.version, change: more), alice).failure?.code == .invalid)
        #expect(w.followedDossiers.map(\.project) == [id])
        // Nothing new: no event.
        #expect(try step(&w, .dossierFollow(project: id, reference: "RG9zc2llci0x", dossier: DossierFollow(state: .prefilled)), .system) == [])
        #expect(run(w, .dossierFollow(project: id, reference: "RG9zc2llci0x", dossier: DossierFollow(state: .brouillon)), alice).failure?.code == .forbidden)
        #expect(run(w, .dossierFollow(project: id, reference: "autre", dossier: DossierFollow(state: .brouillon)), .system).failure?.code == .notFound)
        _ = try step(&w, .dossierFollow(project: id, reference: "RG9zc2llci0x", dossier: DossierFollow(state: .brouillon)), .system)
        #expect(w.projects[id]?.status == .prepared)
        let filed = DossierFollow(state: .enConstruction, submittedAt: 1000)
        #expect(try step(&w, .dossierFollow(project: id, reference: "RG9zc2llci0x", dossier: filed), .system).count == 1)
        #expect(w.projects[id]?.status == .submitted)
        #expect(w.projects[id]?.receipts.last?.dossier == filed)
        _ = try step(&w, .dossierFollow(project: id, reference: "RG9zc2llci0x", dossier: DossierFollow(state: .refuse, submittedAt: 1000, processedAt: 2000)), .system)
        // A decision is final: no longer followed.
        #expect(w.followedDossiers.isEmpty)
    }

    @Test func anExpiredDossierIsReplacedByANewOne() throws {
        var (w, id) = try readySheet()
        let first = Receipt(channel: .demarches, reference: "D1", url: "u1", number: 1, at: 5, prefillToken: "T1", dossier: DossierFollow(state: .prefilled))
        _ = try step(&w, .projectSubmit(project: id, version: w.projects[id]!.version, receipt: first), .system)
        _ = try step(&w, .dossierFollow(project: id, reference: "D1", dossier: DossierFollow(state: .expired)), .system)
        #expect(w.dossierReceipt(of: id)?.dossier?.state == .expired && w.followedDossiers.isEmpty)
        let second = Receipt(channel: .demarches, reference: "D2", url: "u2", number: 2, at: 6, prefillToken: "T2", dossier: DossierFollow(state: .prefilled))
        _ = try step(&w, .projectSubmit(project: id, version: w.projects[id]!.version, receipt: second), .system)
        #expect(w.projects[id]?.status == .prepared)
        #expect(w.followedDossiers.map(\.receipt.reference) == ["D2"])
    }

    @Test func aReceiptJournaledBeforeDossiersWereFollowedStillMeansSubmitted() throws {
        var (w, id) = try readySheet()
        _ = try step(&w, .projectSubmit(project: id, version: w.projects[id]!.version,
                                        receipt: Receipt(channel: .demarches, reference: "D", url: "u", number: 1, at: 5)), .system)
        #expect(w.projects[id]?.status == .submitted)
        #expect(w.followedDossiers.isEmpty, "no token: nothing to follow")
    }

    @Test func aWebhookReceiptStaysSubmittedWhateverTheDossierDoes() throws {
        var (w, id) = try readySheet()
        _ = try step(&w, .projectSubmit(project: id, version: w.projects[id]!.version, receipt: Receipt(channel: .webhook, reference: "W", at: 4)), .system)
        _ = try step(&w, .projectSubmit(project: id, version: w.projects[id]!.version,
                                        receipt: Receipt(channel: .demarches, reference: "D", at: 5, prefillToken: "T", dossier: DossierFollow(state: .prefilled))), .system)
        #expect(w.projects[id]?.status == .submitted)
    }

    @Test func aClosedWorkshopStillRecordsWhatThePipelineDid() throws {
        var (w, id) = try readySheet()
        let delivery = WebhookDelivery(id: "d", project: id, version: 3, body: "{}", queuedAt: 10)
        _ = try step(&w, .webhookQueue(delivery), .system)
        _ = try step(&w, .workshopClose, facilitator)
        let receipt = Receipt(channel: .demarches, reference: "D", url: "u", number: 1, at: 5, prefillToken: "T", dossier: DossierFollow(state: .prefilled))
        _ = try step(&w, .projectSubmit(project: id, version: w.projects[id]!.version, receipt: receipt), .system)
        _ = try step(&w, .dossierFollow(project: id, reference: "D", dossier: DossierFollow(state: .brouillon)), .system)
        _ = try step(&w, .webhookAttempt(delivery: "d", attempt: WebhookAttempt(at: 11, status: 200)), .system)
        #expect(w.outbox["d"]?.state == .delivered && w.dossierReceipt(of: id)?.dossier?.state == .brouillon)
        _ = try step(&w, .webhookRedeliver(delivery: "d"), facilitator)
        #expect(w.outbox["d"]?.state == .pending)
        // Each keeps its own rule; and the sheets themselves are frozen.
        #expect(run(w, .webhookRedeliver(delivery: "d"), alice).failure?.code == .forbidden)
        var more = ProjectChange(); more.nextSteps = "x"
        #expect(run(w, .projectUpdate(project: id, version: w.projects[id]!.version, change: more), facilitator).failure?.code == .closed)
        #expect(run(w, .projectReopen(project: id), facilitator).failure?.code == .closed)
    }

    @Test func theOutboxMovesFromPendingToDeliveredOrAbandoned() throws {
        var (w, id) = try readySheet()
        let delivery = WebhookDelivery(id: "atelier-w-\(id)-v3", project: id, version: 3, body: "{}", queuedAt: 10)
        #expect(run(w, .webhookQueue(delivery), facilitator).failure?.code == .forbidden)
        _ = try step(&w, .webhookQueue(delivery), .system)
        #expect(try step(&w, .webhookQueue(delivery), .system) == [], "queued once")
        #expect(w.outbox[delivery.id]?.state == .pending && w.outbox[delivery.id]?.nextAt == 10)
        _ = try step(&w, .webhookAttempt(delivery: delivery.id, attempt: WebhookAttempt(at: 11, error: "refusée", nextAt: 20)), .system)
        #expect(w.outbox[delivery.id]?.state == .pending && w.outbox[delivery.id]?.nextAt == 20)
        #expect(try step(&w, .webhookRedeliver(delivery: delivery.id), facilitator) == [], "nothing to redeliver while pending")
        _ = try step(&w, .webhookAttempt(delivery: delivery.id, attempt: WebhookAttempt(at: 21, status: 410, error: "gone")), .system)
        #expect(w.outbox[delivery.id]?.state == .abandoned && w.outbox[delivery.id]?.nextAt == nil)
        #expect(try step(&w, .webhookAttempt(delivery: delivery.id, attempt: WebhookAttempt(at: 22, status: 200)), .system) == [],
                "an attempt that ends after the delivery was given up changes nothing")
        #expect(run(w, .webhookRedeliver(delivery: delivery.id), alice).failure?.code == .forbidden)
        _ = try step(&w, .webhookRedeliver(delivery: delivery.id), facilitator)
        #expect(w.outbox[delivery.id]?.state == .pending)
        _ = try step(&w, .webhookAttempt(delivery: delivery.id, attempt: WebhookAttempt(at: 30, status: 204)), .system)
        #expect(w.outbox[delivery.id]?.state == .delivered && w.outbox[delivery.id]?.attemptCount == 3)
        #expect(run(w, .webhookRedeliver(delivery: "inconnue"), facilitator).failure?.code == .notFound)
    }
}
