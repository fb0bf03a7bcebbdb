import Foundation

// Working groups between sessions (issue 14, item 2; docs/architecture.md "Working groups"). A
// table stays open after the live session, until an end date: its members (the table's
// participants, and people invited by a link) go on writing on its board (cards, comments,
// clusters, its project sheets) while the rest of the workshop stays closed. It ends at its end
// date, when the facilitator closes it, or when it is brought into another workshop.

/// A table opened as a working group (what `group.opened` carries).
public struct WorkingGroup: Codable, Sendable, Equatable {
    /// The table (group of people) whose board stays open.
    public var group: GroupID
    /// Its board when it was opened: the one that takes the group's work.
    public var board: BoardID
    /// What the group works on (0 to ``WorkingGroup/maxPurpose`` characters).
    public var purpose: String
    /// Milliseconds since 1970: no write is taken from then on.
    public var endsAt: Int64
    public init(group: GroupID, board: BoardID, purpose: String, endsAt: Int64) {
        self.group = group; self.board = board; self.purpose = purpose; self.endsAt = endsAt
    }

    /// A group lasts at most this long from the moment it is opened (or its end date is moved).
    public static let maxDays = 90
    public static let maxPurpose = 500
    /// Invitation links a group may have at once.
    public static let maxInvitations = 20
    /// People who may join a group by invitation (over its whole life).
    public static let maxGuests = 100
    /// Changes since the session the facilitator's console lists per group (the counts are exact).
    public static let keptChanges = 200
}

/// Why a working group ended.
public enum GroupEndReason: String, Codable, Sendable, CaseIterable {
    /// Its end date came (the server's timer, or the first write after it).
    case expired
    /// The facilitator closed it.
    case closed
    /// It was brought into another workshop of the series (`into`).
    case brought
}

/// An invitation link to a working group: the secret itself is never kept, only its SHA-256
/// digest (like participants' tokens; never on the wire, never in an export).
public struct GroupInvitation: Codable, Sendable, Equatable {
    public var id: String
    public var digest: String
    public var createdAt: Int64
    public init(id: String, digest: String, createdAt: Int64) {
        self.id = id; self.digest = digest; self.createdAt = createdAt
    }
}

/// One change made in a working group since the live session ended (the console's list).
public struct GroupChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case card, sheet, member }
    public var kind: Kind
    /// The card, sheet or participant.
    public var subject: String
    public var seq: Int
    public var at: Int64
    public var by: ActorID?
}

/// A working group in the state: what was opened, how it ended, its live invitations, and what
/// changed since the live session ended.
public struct WorkingGroupState: Sendable, Equatable {
    public var group: WorkingGroup
    public var openedAt: Int64
    public var openedSeq: Int
    public var ended: GroupEnd?
    /// Invitations not revoked, by id.
    public var invitations: [String: GroupInvitation] = [:]
    public var guests = 0
    /// Counted from the later of the group's opening and the workshop's close.
    public var cards = 0, sheetEdits = 0, members = 0
    /// The latest ``WorkingGroup/keptChanges`` changes, oldest first.
    public var changes: [GroupChange] = []

    public var isOpen: Bool { ended == nil }

    mutating func record(_ change: GroupChange) {
        switch change.kind {
        case .card: cards += 1
        case .sheet: sheetEdits += 1
        case .member: members += 1
        }
        changes.append(change)
        if changes.count > WorkingGroup.keptChanges { changes.removeFirst(changes.count - WorkingGroup.keptChanges) }
    }
}

public struct GroupEnd: Sendable, Equatable {
    public var reason: GroupEndReason
    public var into: WorkshopID?
    public var at: Int64
}

extension Workshop {
    /// The open working group whose board is `board`, if any.
    public func openGroup(onBoard board: BoardID) -> WorkingGroupState? {
        guard !workingGroups.isEmpty else { return nil }
        return workingGroups.values.first { $0.group.board == board && $0.isOpen }
    }

    /// Working groups in the order of the tables.
    public var orderedWorkingGroups: [WorkingGroupState] {
        groups.compactMap { workingGroups[$0.id] }
    }

    /// The identity a participant acts and sees as: an invited person is confined to their
    /// group's board (docs/protocol.md "Working groups").
    public func actor(for participant: Participant) -> Actor {
        guard let table = participant.guestOf else { return Actor(id: participant.id, role: participant.role) }
        return Actor(id: participant.id, role: participant.role,
                     board: workingGroups[table]?.group.board ?? board(of: table)?.id ?? "")
    }

    /// Records a change on a working group's board (called by `apply`).
    mutating func recordGroupChange(onBoard board: BoardID, _ kind: GroupChange.Kind, _ subject: String, _ event: Event) {
        guard let table = workingGroups.first(where: { $0.value.group.board == board && $0.value.isOpen })?.key else { return }
        workingGroups[table]?.record(GroupChange(kind: kind, subject: subject, seq: event.seq, at: event.at, by: event.by))
    }
}

extension Rules {
    /// Whether `command`, refused by a closed workshop, is work on an open working group's board,
    /// or the management of a group: then the workshop being closed does not refuse it. A write
    /// on a group whose end date has passed is refused here, timer or not.
    func acceptedWhileClosed(_ command: Command) throws -> Bool {
        if command.isGroupManagement { return true }
        guard let board = workBoard(of: command) else { return false }
        // For someone invited into a group, another table's things do not exist: the rules answer
        // as for an unknown card (`not_found`) or another table's board (`forbidden`), never `closed`.
        if let mine = actor.board, board != mine { return true }
        if let g = state.openGroup(onBoard: board) {
            if context.now >= g.group.endsAt { throw expired(g) }
            return true
        }
        // The board's last group, ended: say how.
        let ended = state.workingGroups.values.filter { $0.group.board == board }.compactMap { g in g.ended.map { (g, $0) } }
        guard let (g, end) = ended.max(by: { $0.1.at < $1.1.at }) else { return false }
        if end.reason == .expired || g.group.endsAt <= end.at { throw expired(g) }
        throw DomainError(.closed, end.reason == .brought
            ? "Ce groupe de travail a été repris dans un autre atelier : il n'accepte plus de modification ici."
            : "Ce groupe de travail a été clos par l'animateur : il n'accepte plus de modification.")
    }

    func expired(_ g: WorkingGroupState) -> DomainError {
        DomainError(.closed, "Ce groupe de travail a pris fin le \(state.frenchDate(g.group.endsAt)) : il n'accepte plus de modification.")
    }

    /// Whether the board is a working group's, taking work after the live session (no phase then).
    func groupSession(_ board: BoardID) -> Bool {
        state.closed && state.openGroup(onBoard: board) != nil
    }

    /// The board a member's work lands on, for the commands a working group takes.
    func workBoard(of command: Command) -> BoardID? {
        switch command {
        case let .cardAdd(board, _, _, _, _, _): return board
        case let .cardEdit(card, _, _), let .cardDelete(card), let .cardCluster(card, _), let .commentAdd(card, _):
            return state.cards[card]?.board
        case let .cardMove(card, _, _, _, board):
            guard let from = state.cards[card]?.board else { return nil }
            return board == nil || board == from ? from : nil
        case let .clusterCreate(board, _, _): return board
        case let .clusterRename(cluster, _): return state.clusters[cluster]?.board
        case let .commentDelete(comment): return state.comments[comment].flatMap { state.cards[$0.card]?.board }
        case let .projectCreate(board, _, _, _): return board
        case let .projectUpdate(project, _, _): return state.projects[project]?.board
        // The facilitator moderates a group's table: hides or restores a card, removes a member.
        case let .cardHide(card), let .cardRestore(card): return state.cards[card]?.board
        case let .participantRemove(participant):
            return state.participants[participant]?.group.flatMap { state.board(of: $0)?.id }
        case .joinAsParticipant, .voteCast, .voteRetract, .phaseSet, .participantAssign, .tablesBalance,
             .rotationAdvance, .hostAssign, .participantErase, .timerStart, .timerPause,
             .timerResume, .timerStop, .timerExpire, .announce, .workshopPause, .workshopResume, .workshopClose,
             .viewFocus, .settingsUpdate, .votesReveal, .timerAdd, .announcementWithdraw, .projectorShow,
             .votesClose, .cardsReveal, .projectReady, .projectReopen, .projectSupport, .projectSubmit,
             .dossierFollow, .webhookQueue, .webhookAttempt, .webhookRedeliver,
             .boardLock, .boardUnlock, .groupOpen, .groupClose, .groupExpire, .groupInvite, .groupRevoke, .joinAsGuest:
            return nil
        }
    }

    func workingGroups(_ command: Command) throws -> [EventBody] {
        switch command {
        case let .groupOpen(table, endsAt, purpose):
            try requireFacilitator("ouvrir un groupe de travail")
            guard state.groups.contains(where: { $0.id == table }) else { throw DomainError(.notFound, "Cette table n'existe pas.") }
            // Its work goes on where it was brought: reopening it here would split it in two.
            if let end = state.workingGroups[table]?.ended, end.reason == .brought {
                throw DomainError(.conflict, "Ce groupe de travail a été repris dans l'atelier \(end.into ?? "suivant") : il se poursuit là-bas, pas ici.")
            }
            guard let board = state.workingGroups[table].flatMap({ $0.isOpen ? $0.group.board : nil }) ?? state.board(of: table)?.id else {
                throw DomainError(.invalid, "Cette table n'a pas de tableau : elle ne peut pas devenir un groupe de travail.")
            }
            let limit = context.now + Int64(WorkingGroup.maxDays) * 86_400_000
            guard endsAt > context.now, endsAt <= limit else {
                throw DomainError(.invalid, "La date de fin d'un groupe de travail doit être à venir, dans \(WorkingGroup.maxDays) jours au plus.")
            }
            let purpose = Limits.normalized(purpose ?? "")
            guard purpose.count <= WorkingGroup.maxPurpose else {
                throw DomainError(.invalid, "L'objet d'un groupe de travail compte au plus \(WorkingGroup.maxPurpose) caractères.")
            }
            if let other = state.workingGroups.values.first(where: { $0.isOpen && $0.group.board == board && $0.group.group != table }) {
                throw DomainError(.conflict, "Ce tableau est déjà celui du groupe de travail de la table « \(other.group.group) ».")
            }
            let group = WorkingGroup(group: table, board: board, purpose: purpose, endsAt: endsAt)
            return state.workingGroups[table]?.isOpen == true && state.workingGroups[table]?.group == group ? [] : [.groupOpened(group)]
        case let .groupClose(table, into):
            try requireFacilitator("clore un groupe de travail")
            _ = try openGroup(table)
            if let into {
                guard into != state.id else {
                    throw DomainError(.invalid, "L'atelier où le groupe est repris doit être un autre atelier (identifiant « w_… »).")
                }
            }
            return [.groupEnded(group: table, reason: into == nil ? .closed : .brought, into: into)]
        case let .groupExpire(table, endsAt):
            // The hub's timer (or a room loaded after the end date): only the end still scheduled.
            guard actor == .system, let g = state.workingGroups[table], g.isOpen, g.group.endsAt == endsAt,
                  context.now >= endsAt else { return [] }
            return [.groupEnded(group: table, reason: .expired, into: nil)]
        case let .groupInvite(table, digest):
            try requireFacilitator("inviter dans un groupe de travail")
            let g = try openGroup(table)
            if context.now >= g.group.endsAt { throw expired(g) }
            guard g.invitations.count < WorkingGroup.maxInvitations else {
                throw DomainError(.budget, "Ce groupe de travail a déjà \(WorkingGroup.maxInvitations) liens d'invitation : révoquez-en un avant d'en créer un autre.")
            }
            return [.groupInvited(group: table, invitation: GroupInvitation(id: "i_\(context.nextSeq)", digest: digest, createdAt: context.now))]
        case let .groupRevoke(table, invitation):
            try requireFacilitator("révoquer une invitation")
            guard let g = state.workingGroups[table] else { throw DomainError(.notFound, "Cette table n'est pas un groupe de travail.") }
            guard g.invitations[invitation] != nil else { throw DomainError(.notFound, "Cette invitation n'existe pas (ou a déjà été révoquée).") }
            return [.groupInvitationRevoked(group: table, invitation: invitation)]
        case let .joinAsGuest(profile, kind, table, invitation):
            let g = try openGroup(table)
            guard g.invitations[invitation] != nil else {
                throw DomainError(.unauthenticated, "Ce lien d'invitation n'est plus valable : demandez-en un nouveau à l'animateur.")
            }
            if context.now >= g.group.endsAt { throw expired(g) }
            guard g.guests < WorkingGroup.maxGuests else {
                throw DomainError(.budget, "Ce groupe de travail a atteint sa limite de \(WorkingGroup.maxGuests) invités.")
            }
            guard case .participantJoined(var p)? = try join(profile: profile, kind: kind, group: table).first else { return [] }
            p.guestOf = table
            return [.participantJoined(p)]
        case .joinAsParticipant, .cardAdd, .cardEdit, .cardMove, .cardDelete, .voteCast, .voteRetract, .phaseSet,
             .participantAssign, .tablesBalance, .rotationAdvance, .hostAssign, .participantRemove, .participantErase,
             .timerStart, .timerPause, .timerResume, .timerStop, .timerExpire, .announce, .workshopPause,
             .workshopResume, .workshopClose, .viewFocus, .settingsUpdate, .votesReveal, .timerAdd,
             .announcementWithdraw, .projectorShow, .votesClose, .cardsReveal, .clusterCreate, .clusterRename,
             .cardCluster, .commentAdd, .commentDelete, .projectCreate, .projectUpdate, .projectReady,
             .projectReopen, .projectSupport, .projectSubmit, .dossierFollow, .webhookQueue, .webhookAttempt,
             .webhookRedeliver, .cardHide, .cardRestore, .boardLock, .boardUnlock:
            // Decided in `Rules.decide`, `Rules.facilitate` and `Rules.projects`.
            throw DomainError(.internal, "Commande non prise en charge.")
        }
    }

    func openGroup(_ table: GroupID) throws -> WorkingGroupState {
        guard let g = state.workingGroups[table] else { throw DomainError(.notFound, "Cette table n'est pas un groupe de travail.") }
        guard g.isOpen else { throw DomainError(.closed, "Ce groupe de travail est déjà clos.") }
        return g
    }
}

extension Command {
    /// The facilitator's (and the server's) commands on working groups, and an invited person's join.
    public var isGroupManagement: Bool {
        switch self {
        case .groupOpen, .groupClose, .groupExpire, .groupInvite, .groupRevoke, .joinAsGuest: true
        case .joinAsParticipant, .cardAdd, .cardEdit, .cardMove, .cardDelete, .voteCast, .voteRetract, .phaseSet,
             .participantAssign, .tablesBalance, .rotationAdvance, .hostAssign, .participantRemove, .participantErase,
             .timerStart, .timerPause, .timerResume, .timerStop, .timerExpire, .announce, .workshopPause,
             .workshopResume, .workshopClose, .viewFocus, .settingsUpdate, .votesReveal, .timerAdd,
             .announcementWithdraw, .projectorShow, .votesClose, .cardsReveal, .clusterCreate, .clusterRename,
             .cardCluster, .commentAdd, .commentDelete, .projectCreate, .projectUpdate, .projectReady,
             .projectReopen, .projectSupport, .projectSubmit, .dossierFollow, .webhookQueue, .webhookAttempt,
             .webhookRedeliver, .cardHide, .cardRestore, .boardLock, .boardUnlock: false
        }
    }
}

extension Workshop {
    /// "12/12/2026 à 18:00", in the workshop's time zone: for the French errors.
    public func frenchDate(_ ms: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "fr_FR")
        formatter.timeZone = TimeZone(identifier: timeZone) ?? TimeZone(identifier: "Europe/Paris")
        formatter.dateFormat = "dd/MM/yyyy 'à' HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}

extension Workshop {
    /// The working groups a carry brings into the next workshop: the open groups whose table the
    /// selection carries whole (docs/protocol.md "Working groups"). Each is then ended with the
    /// reason `brought` and the new workshop's id (`group.close` with `into`), after the creation.
    public func groupsBrought(by selection: CarrySelection) -> [GroupID] {
        let boards = Set(selection.boards)
        return workingGroups.values.filter { $0.isOpen && boards.contains($0.group.board) }
            .map(\.group.group).sorted()
    }
}
