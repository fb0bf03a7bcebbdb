import AtelierDomain

/// Values shared by the test targets.
public enum Samples {
    /// One event of every type, every field set to something other than its default.
    public static let events: [EventBody] = {
        let card = Card(id: "c_7", board: "b_1", column: "problems", text: "Mobilité « rurale »\nà l'étude 🚲",
                        x: 12.5, y: -3, color: .pink, author: "p_2", version: 3, cluster: "k_9", createdSeq: 7,
                        isPrivate: true, hidden: true)
        var sheet = ProjectSheet(id: "j_20", board: "b_1", title: "Garage solidaire", createdBy: "p_2", createdSeq: 20, phase: "projets")
        sheet.summary = "Réparer pour remettre en route"
        sheet.problems = ["c_7"]
        sheet.sources = ["c_8"]
        sheet.cluster = "k_9"
        sheet.cooperation = .siae
        sheet.orientation = "o_mobilite"
        sheet.lead = Organisation(name: "Association Fictive", actor: .aci, siret: "73282932000074")
        sheet.partners = [Partner(name: "Garage du coin", actor: .business, role: "atelier")]
        sheet.territory = "Bresse"
        sheet.support = SupportRequest(methodological: true, expertise: 1500, grant: 20000)
        sheet.outcomes = ExpectedOutcomes(insertionJobs: 4, peopleSupported: 30, other: "permis")
        sheet.nextSteps = "Réunion en janvier"
        sheet.contact = Contact(name: "Camille Test", email: "camille@example.org", phone: "0600000000")
        sheet.status = .ready
        sheet.version = 5
        sheet.supporters = ["p_3"]
        sheet.receipts = [Receipt(channel: .demarches, reference: "ref-1", url: "https://ds.example/d/1", number: 42, at: 1_800_000_000_000)]
        var change = ProjectChange()
        change.title = "Garage solidaire bis"
        change.summary = "Résumé"
        change.problems = ["c_7"]
        change.sources = ["c_8"]
        change.cooperation = .some(.business)
        change.orientation = nil
        change.lead = .some(Organisation(name: "SIAE", actor: .ei, siret: nil))
        change.partners = [Partner(name: "Mairie", actor: .public, role: "locaux")]
        change.territory = "Chalonnais"
        change.support = SupportRequest(methodological: false, expertise: nil, grant: 5000)
        change.outcomes = ExpectedOutcomes(insertionJobs: 2, peopleSupported: nil, other: "")
        change.nextSteps = "Déposer"
        change.contact = Contact(name: "A", email: "a@example.org", phone: "")
        let blueprint = Blueprint(
            id: "w_test", title: "Atelier IAE", plan: "iae",
            groups: [Group(id: "g_1", title: "Table 1", theme: "Mobilité")],
            boards: [Board(id: "b_1", title: "Mobilité", group: "g_1",
                           columns: [Column(id: "problems", title: "Constats", kind: .problem)], locked: true)],
            phases: [Phase(id: "idees", title: "Idées", open: [.idea, .problem], voting: true)],
            settings: Settings(voteBudget: 4, maxVotesPerCard: 2, privateWriting: true, anonymous: true,
                               facilitatorSeesAuthors: false, listOrganisations: true),
            rotation: ["b_1"], orientations: [Orientation(id: "o_1", title: "Lever les freins")])
        return [
            .workshopCreated(blueprint),
            .participantJoined(Participant(id: "p_2", role: .participant, actor: .etti, group: "g_1", profile: nil, removed: true)),
            .cardAdded(card),
            .cardEdited(card: "c_7", text: "Texte \"cité\"", version: 4),
            .cardMoved(card: "c_7", x: 1.25, y: 2, column: "ideas", board: "b_2"),
            .cardDeleted(card: "c_7"),
            .voteCast(card: "c_7", voter: "p_2", phase: "idees", total: 3),
            .voteRetracted(card: "c_7", voter: "p_2", phase: "idees", total: 2),
            .phaseChanged(phase: "projets"),
            .participantAssigned(participant: "p_2", group: "g_1"),
            .rotationAdvanced(boards: [BoardPlacement(board: "b_1", group: "g_2")],
                              participants: [ParticipantPlacement(participant: "p_4", group: "g_2")]),
            .hostAssigned(board: "b_1", participant: "p_4"),
            .participantRemoved(participant: "p_5"),
            .participantErased(participant: "p_5"),
            .timerStarted(RoomTimer(label: "Idées", seconds: 600, endsAt: 1_800_000_600_000, remaining: 12)),
            .timerPaused(remaining: 42_000),
            .timerResumed(endsAt: 1_800_000_900_000),
            .timerStopped,
            .timerEnded,
            .announcementMade(text: "Pause café 10 min"),
            .workshopPaused,
            .workshopResumed,
            .workshopClosed,
            .viewFocused(board: "b_1"),
            .settingsUpdated(Settings(voteBudget: 6, maxVotesPerCard: 1, privateWriting: false, anonymous: true,
                                      facilitatorSeesAuthors: false, listOrganisations: true)),
            .votesRevealed(counts: ["c_7": 3, "c_8": 1]),
            .cardsRevealed(cards: [card]),
            .clusterCreated(Cluster(id: "k_9", board: "b_1", title: "Fragilité", createdSeq: 9), cards: ["c_7", "c_8"]),
            .clusterRenamed(cluster: "k_9", title: "Fragilité financière"),
            .cardClustered(card: "c_7", cluster: "k_9"),
            .commentAdded(Comment(id: "m_11", card: "c_7", text: "D'accord", author: "p_3", createdSeq: 11)),
            .commentDeleted(comment: "m_11"),
            .cardHidden(card: "c_7"),
            .cardRestored(card),
            .boardLocked(board: "b_1"),
            .boardUnlocked(board: "b_1"),
            .projectCreated(sheet),
            .projectUpdated(project: "j_20", change: change, version: 6),
            .projectStatusChanged(project: "j_20", status: .draft, version: 7),
            .projectSupported(project: "j_20", supporter: "p_3", support: true),
            .projectSubmitted(project: "j_20", receipt: Receipt(channel: .webhook, reference: "wh-1", at: 1_800_000_000_001)),
            // Added after journal v1's first fixture: new event types go at the end, so the
            // recorded lines of the others stay where they were.
            .votesClosed,
            .announcementWithdrawn,
            .projectorShown(mode: .rotation, every: 20),
            .dossierFollowed(project: "j_20", reference: "RG9zc2llci0x", dossier: DossierFollow(state: .enConstruction, submittedAt: 1_800_000_100_000)),
            .webhookQueued(WebhookDelivery(id: "atelier-w_1-j_20-v7", project: "j_20", version: 7, body: "{\"schemaVersion\":1}", queuedAt: 1_800_000_000_002)),
            .webhookAttempted(delivery: "atelier-w_1-j_20-v7", attempt: WebhookAttempt(at: 1_800_000_000_003, status: 503, error: "indisponible", nextAt: 1_800_000_010_003)),
            .webhookRedelivered(delivery: "atelier-w_1-j_20-v7"),
            .groupOpened(WorkingGroup(group: "g_1", board: "b_1", purpose: "Suivre le projet", endsAt: 1_800_100_000_000)),
            .groupInvited(group: "g_1", invitation: GroupInvitation(id: "i_30", digest: "3b1f0c", createdAt: 1_800_000_000_004)),
            .groupInvitationRevoked(group: "g_1", invitation: "i_30"),
            .groupEnded(group: "g_1", reason: .brought, into: "w_2"),
            .workshopCarried(Carry(source: "w_0", sourceTitle: "Diagnostic", items: [
                CarriedItem(kind: .card, id: "c_21", from: "c_7", table: "Consolider"),
                CarriedItem(kind: .cluster, id: "k_22", from: "k_9", table: "Consolider"),
                CarriedItem(kind: .project, id: "j_24", from: "j_20", table: "Consolider"),
            ], lineage: ["j_24": ProjectLineage(origin: "w_0/j_20", stages: [
                ProjectStage(workshop: "w_0", workshopTitle: "Diagnostic", project: "j_20", table: "Consolider", entry: .created,
                             at: 1_800_000_000_004, problems: ["c_7"], ideas: ["c_8"], cluster: "Fragilité",
                             steps: [StageStep(kind: "created", at: 1_800_000_000_004, status: nil)], status: "ready"),
            ])])),
        ]
    }()
}
