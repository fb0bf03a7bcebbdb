import Foundation

/// From idea to project: project sheets, co-edited with versions, marked ready, submitted.
extension Rules {
    func projects(_ command: Command) throws -> [EventBody] {
        switch command {
        case let .projectCreate(board, title, cluster, cards):
            guard let target = state.board(board) else { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
            try requireWriter(on: target)
            try requireProjectPhase()
            let title = try shortText(title, "Le titre d'un projet", limit: ProjectRules.limits.title)
            guard state.projects.count < capacity(Limits.projectsPerWorkshop) else {
                throw DomainError(.budget, "L'atelier a atteint sa limite de \(capacity(Limits.projectsPerWorkshop)) fiches projet.")
            }
            var linked = cards
            if let cluster {
                let k = try findCluster(cluster)
                guard k.board == board else { throw DomainError(.invalid, "Ce regroupement est sur un autre tableau.") }
                linked += state.orderedCards.filter { $0.cluster == cluster && state.canSee($0, viewer: actor) }.map(\.id)
            }
            var seen = Set<CardID>()
            linked = linked.filter { seen.insert($0).inserted }
            guard linked.count <= ProjectRules.limits.links else { throw DomainError(.invalid, "Au plus \(ProjectRules.limits.links) cartes liées.") }
            var project = ProjectSheet(id: "j_\(context.nextSeq)", board: board, title: title, createdBy: actor.id,
                                       createdSeq: context.nextSeq, phase: state.phase)
            project.cluster = cluster
            for id in linked {
                let card = try findCard(id)
                let kind = state.board(card.board)?.column(card.column)?.kind
                if kind == .problem { project.problems.append(id) } else { project.sources.append(id) }
            }
            return [.projectCreated(project)]
        case let .projectUpdate(id, version, change):
            let p = try findProject(id)
            try requireProjectEditor(p)
            guard p.status != .submitted else {
                throw DomainError(.invalid, "Ce projet a déjà été déposé : il ne peut plus être modifié.")
            }
            guard p.status != .prepared else {
                throw DomainError(.invalid, "Ce projet a été préparé sur Démarches Simplifiées : il ne peut plus être modifié ici.")
            }
            guard version == p.version else {
                throw DomainError(.conflict, "Quelqu'un d'autre vient de modifier ce projet (version \(p.version)) : voici sa version actuelle, reprenez vos changements dessus.", current: p)
            }
            guard !change.isEmpty else { return [] }
            // A card the editor cannot see (someone's private card, a hidden one) does not exist
            // for them: linking it is refused like linking an unknown id.
            let linked = Set(p.problems + p.sources)
            for id in (change.problems ?? []) + (change.sources ?? []) where !linked.contains(id) {
                guard let card = state.cards[id], state.canSee(card, viewer: actor) else {
                    throw DomainError(.invalid, "Projet invalide : une carte liée n'existe pas (\(id)).")
                }
            }
            let normalized = normalize(change)
            let updated = normalized.applied(to: p)
            let problems = ProjectRules.fieldProblems(of: updated, in: state)
            guard problems.isEmpty else {
                throw DomainError(.invalid, "Projet invalide : " + problems.map(\.message).joined(separator: " ; ") + ".",
                                  fieldErrors: problems.map { FieldError(field: $0.field, part: $0.part, message: sentence($0.message)) })
            }
            if updated == p { return [] }
            var events: [EventBody] = [.projectUpdated(project: id, change: normalized, version: p.version + 1)]
            // A change to a ready sheet sends it back to draft: "ready" means checked as it is.
            if p.status == .ready { events.append(.projectStatusChanged(project: id, status: .draft, version: p.version + 2)) }
            return events
        case let .projectReady(id):
            try requireFacilitator("marquer un projet prêt")
            let p = try findProject(id)
            guard p.status == .draft else { return [] }
            let missing = ProjectRules.missingFields(for: p)
            guard missing.isEmpty else {
                throw DomainError(.invalid, "Ce projet n'est pas encore prêt. Il manque : " + missing.map(\.phrase).joined(separator: ", ") + ".",
                                  missing: missing.map(\.phrase), missingFields: missing.map(\.field))
            }
            return [.projectStatusChanged(project: id, status: .ready, version: p.version + 1)]
        case let .projectReopen(id):
            try requireFacilitator("rouvrir un projet")
            let p = try findProject(id)
            guard p.status == .ready else { return [] }
            return [.projectStatusChanged(project: id, status: .draft, version: p.version + 1)]
        case let .projectSupport(id, support):
            guard !isFacilitator else { throw DomainError(.forbidden, "L'animateur ne soutient pas de projet.") }
            let p = try findProject(id)
            return p.supporters.contains(actor.id) == support ? [] : [.projectSupported(project: id, supporter: actor.id, support: support)]
        case let .projectSubmit(id, version, receipt):
            guard actor == .system || isFacilitator else { throw DomainError(.forbidden, "Seul l'animateur peut déposer un projet.") }
            // The pipeline has it: the receipt is recorded whatever happened to the sheet meanwhile.
            _ = try findProject(id)
            _ = version
            return [.projectSubmitted(project: id, receipt: receipt)]
        case let .dossierFollow(id, reference, dossier):
            guard actor == .system || isFacilitator else { throw DomainError(.forbidden, "Seul l'animateur suit les dossiers.") }
            let p = try findProject(id)
            guard let receipt = p.receipts.last(where: { $0.channel == .demarches && $0.reference == reference }) else {
                throw DomainError(.notFound, "Ce projet n'a pas de dossier Démarches Simplifiées \(reference.prefix(60)).")
            }
            // Journaled only when something changed.
            return receipt.dossier == dossier ? [] : [.dossierFollowed(project: id, reference: reference, dossier: dossier)]
        case let .webhookQueue(delivery):
            guard actor == .system else { throw DomainError(.forbidden, "Seul le serveur met une livraison en file.") }
            _ = try findProject(delivery.project)
            if let entry = state.outbox[delivery.id], entry.state != .abandoned { return [] }
            guard state.outbox.count < capacity(Limits.projectsPerWorkshop * 10) else {
                throw DomainError(.budget, "La file des webhooks de cet atelier est pleine.")
            }
            return state.outbox[delivery.id] == nil ? [.webhookQueued(delivery)] : [.webhookRedelivered(delivery: delivery.id)]
        case let .webhookAttempt(id, attempt):
            guard actor == .system else { throw DomainError(.forbidden, "Seul le serveur livre les webhooks.") }
            guard let entry = state.outbox[id] else { throw DomainError(.notFound, "Livraison inconnue.") }
            guard entry.state == .pending else { return [] }
            return [.webhookAttempted(delivery: id, attempt: attempt)]
        case let .webhookRedeliver(id):
            try requireFacilitator("relancer une livraison")
            guard let entry = state.outbox[id] else { throw DomainError(.notFound, "Livraison inconnue.") }
            guard entry.state != .pending else { return [] }
            return [.webhookRedelivered(delivery: id)]
        // Decided in `Rules.decide` and `Rules.facilitate` (listed, not `default:`).
        case .joinAsParticipant, .cardAdd, .cardEdit, .cardMove, .cardDelete, .voteCast, .voteRetract, .phaseSet,
             .participantAssign, .tablesBalance, .rotationAdvance, .hostAssign, .participantRemove, .participantErase,
             .timerStart, .timerPause, .timerResume, .timerStop, .timerExpire, .announce, .workshopPause,
             .workshopResume, .workshopClose, .viewFocus, .settingsUpdate, .votesReveal, .votesClose, .timerAdd, .announcementWithdraw, .projectorShow, .cardsReveal,
             .clusterCreate, .clusterRename, .cardCluster, .commentAdd, .commentDelete,
             .cardHide, .cardRestore, .boardLock, .boardUnlock:
            throw DomainError(.internal, "Commande non prise en charge.")
        }
    }

    /// "le titre …" as a sentence of its own: "Le titre ….".
    func sentence(_ phrase: String) -> String { phrase.prefix(1).uppercased() + phrase.dropFirst() + "." }

    func findProject(_ id: ProjectID) throws -> ProjectSheet {
        guard let p = state.projects[id] else { throw DomainError(.notFound, "Ce projet n'existe pas.") }
        return p
    }

    /// Projects are written in a phase that opens project columns (the facilitator: any time).
    func requireProjectPhase() throws {
        if isFacilitator { return }
        guard state.currentPhase?.open.contains(.project) == true else {
            throw DomainError(.phase, "Les fiches projet s'écrivent pendant la phase « de l'idée au projet ».")
        }
    }

    /// The table whose board holds the sheet co-edits it; the facilitator too.
    func requireProjectEditor(_ p: ProjectSheet) throws {
        if isFacilitator { return }
        guard let board = state.board(p.board) else { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
        try requireWriter(on: board)
    }

    func normalize(_ c: ProjectChange) -> ProjectChange {
        var c = c
        c.title = c.title.map(Limits.normalized)
        c.summary = c.summary.map(Limits.normalized)
        c.territory = c.territory.map(Limits.normalized)
        c.nextSteps = c.nextSteps.map(Limits.normalized)
        if case .some(.some(var lead)) = c.lead {
            lead.name = Limits.normalized(lead.name)
            lead.siret = lead.siret.map { $0.filter { !$0.isWhitespace } }.flatMap { $0.isEmpty ? nil : $0 }
            c.lead = .some(lead)
        }
        c.partners = c.partners?.map { Partner(name: Limits.normalized($0.name), actor: $0.actor, role: Limits.normalized($0.role)) }
        c.contact = c.contact.map { Contact(name: Limits.normalized($0.name), email: Limits.normalized($0.email), phone: Limits.normalized($0.phone)) }
        c.outcomes = c.outcomes.map { ExpectedOutcomes(insertionJobs: $0.insertionJobs, peopleSupported: $0.peopleSupported, other: Limits.normalized($0.other)) }
        return c
    }
}
