import Foundation

/// From idea to project: project sheets, co-edited with versions, marked ready, submitted.
extension Rules {
    func projects(_ command: Command) throws -> [EventBody] {
        switch command {
        case let .projectCreate(board, title, cluster, cards):
            guard let target = state.board(board) else { throw DomainError(.notFound, "Ce tableau n'existe pas.") }
            try requireWriter(on: target)
            if !groupSession(board) { try requireProjectPhase() }
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
            let form = state.form
            // Today's sheet starts with every field at its empty value (as journals always had
            // it); a plan's form starts with the title and the linked cards.
            var project = form == .legacy
                ? ProjectSheet(id: "j_\(context.nextSeq)", board: board, title: title, createdBy: actor.id,
                               createdSeq: context.nextSeq, phase: state.phase)
                : ProjectSheet(id: "j_\(context.nextSeq)", board: board, values: ["title": .text(title)], createdBy: actor.id,
                               createdSeq: context.nextSeq, phase: state.phase)
            project.cluster = cluster
            let problemField = form.fields.first { $0.type == .problemCards }?.id
            let ideaField = form.fields.first { $0.type == .ideaCards }?.id
            var problems: [FieldValue] = [], ideas: [FieldValue] = []
            for id in linked {
                let card = try findCard(id)
                let kind = state.board(card.board)?.column(card.column)?.kind
                if kind == .problem { problems.append(.text(id)) } else { ideas.append(.text(id)) }
            }
            if let problemField, !problems.isEmpty || project.values[problemField] != nil { project.values[problemField] = .list(problems) }
            if let ideaField, !ideas.isEmpty || project.values[ideaField] != nil { project.values[ideaField] = .list(ideas) }
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
            // for them: linking it is refused like linking an unknown id (cards already linked stay).
            let form = state.form
            let linked = Set(form.fields.filter { $0.type == .problemCards || $0.type == .ideaCards }
                .flatMap { p.values[$0.id]?.list?.compactMap(\.string) ?? [] })
            let (normalized, problems) = FormCheck.normalize(change, form: form, orientations: state.orientations) { id in
                if linked.contains(id) { return true }
                guard let card = state.cards[id] else { return false }
                return state.canSee(card, viewer: actor)
            }
            guard problems.isEmpty else {
                throw DomainError(.invalid, "Projet invalide : " + problems.map { phrase($0.message) }.joined(separator: " ; ") + ".",
                                  fieldErrors: problems.map { FieldError(field: $0.field, part: $0.part, row: $0.row, message: sentence($0.message)) })
            }
            let updated = normalized.applied(to: p)
            if updated == p { return [] }
            var events: [EventBody] = [.projectUpdated(project: id, change: normalized, version: p.version + 1)]
            // A change to a ready sheet sends it back to draft: "ready" means checked as it is.
            if p.status == .ready { events.append(.projectStatusChanged(project: id, status: .draft, version: p.version + 2)) }
            return events
        case let .projectReady(id):
            try requireFacilitator("marquer un projet prêt")
            let p = try findProject(id)
            guard p.status == .draft else { return [] }
            let (missing, failures) = ProjectRules.readiness(of: p, form: state.form)
            guard missing.isEmpty && failures.isEmpty else {
                var reasons: [String] = []
                if !missing.isEmpty { reasons.append("Il manque : " + missing.map(\.phrase).joined(separator: ", ") + ".") }
                reasons += failures.map(\.message)
                // missingFields[i] is the field of missing[i]: a rule's first field.
                throw DomainError(.invalid, "Ce projet n'est pas encore prêt. " + reasons.joined(separator: " "),
                                  missing: missing.map(\.phrase) + failures.map(\.message),
                                  missingFields: missing.map(\.field) + failures.map { $0.fields.first ?? "" }, rules: failures)
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
            // A Démarches Simplifiées dossier, or a sheet delivered by webhook whose status the
            // call's platform sends back (docs/export.md "Statuses sent back").
            guard let receipt = p.followedReceipt(reference) else {
                throw DomainError(.notFound, "Ce projet n'a pas de dossier Démarches Simplifiées \(reference.prefix(60)).")
            }
            if receipt.channel == .webhook, !dossier.state.isFiled {
                throw DomainError(.invalid, "Un projet livré par webhook est déposé : son état peut être en_construction, en_instruction, accepte, refuse ou sans_suite.")
            }
            // Journaled only when something changed (a newer stamp on the same status is no change).
            return dossier.sameStatus(as: receipt.dossier) ? [] : [.dossierFollowed(project: id, reference: reference, dossier: dossier)]
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
             .cardHide, .cardRestore, .boardLock, .boardUnlock,
             .groupOpen, .groupClose, .groupExpire, .groupInvite, .groupRevoke, .joinAsGuest:
            throw DomainError(.internal, "Commande non prise en charge.")
        }
    }

    /// "le titre …" as a sentence of its own: "Le titre ….".
    func sentence(_ phrase: String) -> String {
        let s = phrase.prefix(1).uppercased() + phrase.dropFirst()
        return s.hasSuffix(".") ? s : s + "."
    }

    func findProject(_ id: ProjectID) throws -> ProjectSheet {
        // For someone invited into a working group, another table's sheet does not exist (as
        // another table's card): backing it, or anything else, is `not_found`.
        guard let p = state.projects[id], actor.board == nil || p.board == actor.board else {
            throw DomainError(.notFound, "Ce projet n'existe pas.")
        }
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

    /// "Le titre ….": "le titre …" (to join several in one sentence).
    func phrase(_ sentence: String) -> String {
        let s = sentence.hasSuffix(".") ? String(sentence.dropLast()) : sentence
        return s.prefix(1).lowercased() + s.dropFirst()
    }
}
