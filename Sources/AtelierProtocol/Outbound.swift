import AtelierDomain
import Foundation

/// What the connection learns about itself in `welcome.you`.
public struct You: Sendable, Equatable {
    public var participant: ActorID
    public var token: String?
    public var role: Role
    public var group: GroupID?
    /// The facilitator's welcome carries the join code, to show and share.
    public var joinCode: String?
    public init(participant: ActorID, token: String?, role: Role, group: GroupID?, joinCode: String? = nil) {
        self.participant = participant; self.token = token; self.role = role; self.group = group; self.joinCode = joinCode
    }
}

/// Server → client messages, each encoded once into the bytes of one frame.
public enum Outbound {
    public static func ack(re: String, seq: Int, result: [(String, String)]) -> [UInt8] {
        var w = JSONWriter(reserving: 64)
        w.beginObject()
        w.key("type"); w.string(ServerMessageType.ack.rawValue)
        w.key("re"); w.string(re)
        w.key("seq"); w.int(seq)
        w.key("result"); w.beginObject()
        for (k, v) in result { w.key(k); w.string(v) }
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// `onlySupporter`: the viewer, when the workshop hides who supports a sheet from them (a
    /// `conflict` answer carries the current sheet as the snapshot would show it).
    public static func error(re: String?, _ error: DomainError, onlySupporter: ActorID? = nil) -> [UInt8] {
        var w = JSONWriter(reserving: 128)
        w.beginObject()
        w.key("type"); w.string(ServerMessageType.error.rawValue)
        w.key("re"); w.string(re)
        w.key("code"); w.string(error.code.rawValue)
        w.key("message"); w.string(error.message)
        if let current = error.current { w.key("current"); writeProject(current, onlySupporter: onlySupporter, to: &w) }
        if let missing = error.missing { w.key("missing"); w.beginArray(); missing.forEach { w.string($0) }; w.endArray() }
        if let fields = error.missingFields { w.key("missingFields"); w.beginArray(); fields.forEach { w.string($0) }; w.endArray() }
        if let rules = error.rules {
            w.key("rules"); w.beginArray()
            for r in rules {
                w.beginObject()
                w.key("rule"); w.string(r.rule)
                w.key("message"); w.string(r.message)
                w.key("fields"); w.beginArray(); r.fields.forEach { w.string($0) }; w.endArray()
                w.endObject()
            }
            w.endArray()
        }
        if let faults = error.fieldErrors {
            w.key("fieldErrors"); w.beginArray()
            for f in faults {
                w.beginObject()
                w.key("field"); w.string(f.field)
                if let part = f.part { w.key("part"); w.string(part) }
                if let row = f.row { w.key("row"); w.int(row) }
                w.key("message"); w.string(f.message)
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        return w.bytes
    }

    public static func pong(re: String, now: Int64) -> [UInt8] {
        var w = JSONWriter(reserving: 64)
        w.beginObject()
        w.key("type"); w.string(ServerMessageType.pong.rawValue)
        w.key("re"); w.string(re)
        // The server's clock lets clients correct countdowns for their own clock's offset.
        w.key("at"); w.string(timestamp(now))
        w.endObject()
        return w.bytes
    }

    /// A JSON array of already-encoded messages: one frame for several (docs/protocol.md "Transport").
    public static func batch(_ messages: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(messages.reduce(2) { $0 + $1.count + 1 })
        for (n, m) in messages.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: m)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// `voters`: how many have voted in the phase, so that a resume (no snapshot) is not left with
    /// a stale count (`votes.progress` is not journaled).
    public static func welcome(re: String, seq: Int, you: You, snapshot: [UInt8]?, events: [[UInt8]], now: Int64 = 0,
                               voters: Int? = nil) -> [UInt8] {
        var w = JSONWriter(reserving: (snapshot?.count ?? 0) + events.reduce(256) { $0 + $1.count + 1 })
        w.beginObject()
        w.key("type"); w.string(ServerMessageType.welcome.rawValue)
        w.key("re"); w.string(re)
        w.key("seq"); w.int(seq)
        // The server's clock, so countdowns can be corrected for the client's clock offset.
        w.key("at"); w.string(timestamp(now))
        if let voters { w.key("voters"); w.int(voters) }
        w.key("you"); w.beginObject()
        w.key("participant"); w.string(you.participant)
        if let token = you.token { w.key("token"); w.string(token) }
        w.key("role"); w.string(you.role.rawValue)
        w.key("group"); w.string(you.group)
        if let code = you.joinCode { w.key("joinCode"); w.string(code) }
        w.endObject()
        if let snapshot { w.key("workshop"); w.raw(snapshot) }
        w.key("events"); w.beginArray()
        events.forEach { w.raw($0) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// How a submission is going (to the facilitator; never journaled: the receipt is).
    public static func submissionProgress(project: String, channel: Receipt.Channel, state: String, message: String) -> [UInt8] {
        var w = JSONWriter(reserving: 160)
        w.beginObject()
        w.key("type"); w.string(ServerMessageType.submissionProgress.rawValue)
        w.key("project"); w.string(project)
        w.key("channel"); w.string(channel.rawValue)
        w.key("state"); w.string(state)
        w.key("message"); w.string(message)
        w.endObject()
        return w.bytes
    }

    /// Who is editing which field of which project sheet (never journaled).
    public static func editing(participant: ActorID, project: String?, field: String?) -> [UInt8] {
        var w = JSONWriter(reserving: 120)
        w.beginObject()
        w.key("type"); w.string(ServerMessageType.presence.rawValue)
        w.key("participant"); w.string(participant)
        w.key("editing")
        if let project {
            w.beginObject()
            w.key("project"); w.string(project)
            w.key("field"); w.string(field)
            w.endObject()
        } else { w.null() }
        w.endObject()
        return w.bytes
    }

    /// Presence is live and never journaled: no seq.
    /// `{"type": "votes.progress", "voters": n}`: people with at least one dot in the phase.
    public static func votesProgress(voters: Int) -> [UInt8] {
        var w = JSONWriter(reserving: 48)
        w.beginObject()
        w.key("type"); w.string(ServerMessageType.votesProgress.rawValue)
        w.key("voters"); w.int(voters)
        w.endObject()
        return w.bytes
    }

    public static func presence(participant: ActorID, online: Bool) -> [UInt8] {
        var w = JSONWriter(reserving: 80)
        w.beginObject()
        w.key("type"); w.string(ServerMessageType.presence.rawValue)
        w.key("participant"); w.string(participant)
        w.key("online"); w.bool(online)
        w.endObject()
        return w.bytes
    }

    /// What an event's encoding needs from the workshop beyond the event itself, taken when it
    /// was recorded: whether votes were revealed, a restored card's public dot count, a sheet's
    /// supporters after a `project.supported`.
    public struct EventContext: Sendable, Equatable {
        public var revealed: Bool
        public var restoredVotes: Int?
        public var supportCount: Int?
        public init(revealed: Bool = false, restoredVotes: Int? = nil, supportCount: Int? = nil) {
            self.revealed = revealed; self.restoredVotes = restoredVotes; self.supportCount = supportCount
        }
    }

    /// An event as one class of viewer sees it (`sight`), encoded once per class and shared.
    public static func event(_ event: Event, sight: Sight = .full, context: EventContext = EventContext()) -> [UInt8] {
        let revealed = context.revealed
        let anonymous = sight == .anonymous
        var w = JSONWriter(reserving: 192)
        w.beginObject()
        w.key("type"); w.string(event.body.wireType.rawValue)
        w.key("seq"); w.int(event.seq)
        w.key("at"); w.string(timestamp(event.at))
        w.key("by"); w.string(anonymous ? nil : event.by)
        switch event.body {
        case .workshopCreated(let blueprint):
            w.key("workshop"); w.beginObject()
            w.key("id"); w.string(blueprint.id)
            w.key("title"); w.string(blueprint.title)
            w.endObject()
        case .participantJoined(let p):
            w.key("participant"); writeParticipant(p, online: true, to: &w)
        case .cardAdded(let card):
            w.key("card"); writeCard(card, votes: revealed ? 0 : nil, showAuthor: !anonymous, to: &w)
        case let .cardEdited(card, text, version):
            w.key("card"); w.string(card)
            w.key("text"); w.string(text)
            w.key("version"); w.int(version)
        case let .cardMoved(card, x, y, column, board):
            w.key("card"); w.string(card)
            w.key("x"); w.number(x)
            w.key("y"); w.number(y)
            w.key("column"); w.string(column)
            w.key("board"); w.string(board)
        case .cardDeleted(let card), .cardHidden(let card):
            w.key("card"); w.string(card)
        case let .voteCast(card, _, phase, total), let .voteRetracted(card, _, phase, total):
            w.key("card"); w.string(card)
            w.key("phase"); w.string(phase)
            if revealed { w.key("votes"); w.int(total) }
        case .phaseChanged(let phase):
            w.key("phase"); w.string(phase)
        case let .participantAssigned(participant, group):
            w.key("participant"); w.string(participant)
            w.key("group"); w.string(group)
        case let .rotationAdvanced(boards, participants):
            w.key("boards"); w.beginArray()
            for b in boards { w.beginObject(); w.key("board"); w.string(b.board); w.key("group"); w.string(b.group); w.endObject() }
            w.endArray()
            w.key("participants"); w.beginArray()
            for p in participants { w.beginObject(); w.key("participant"); w.string(p.participant); w.key("group"); w.string(p.group); w.endObject() }
            w.endArray()
        case let .hostAssigned(board, participant):
            w.key("board"); w.string(board)
            w.key("participant"); w.string(participant)
        case .participantRemoved(let participant), .participantErased(let participant):
            w.key("participant"); w.string(participant)
        case .timerStarted(let timer):
            w.key("timer"); writeTimer(timer, to: &w)
        case .timerPaused(let remaining):
            w.key("remaining"); w.int(Int(remaining))
        case .timerResumed(let endsAt):
            w.key("endsAt"); w.string(timestamp(endsAt))
        case .timerStopped, .timerEnded, .workshopPaused, .workshopResumed, .workshopClosed, .votesClosed, .announcementWithdrawn:
            break
        case .announcementMade(let text):
            w.key("text"); w.string(text)
        case .viewFocused(let board):
            w.key("board"); w.string(board)
        case let .projectorShown(mode, every):
            w.key("mode"); w.string(mode.rawValue)
            w.key("every"); w.int(every)
        case .settingsUpdated(let settings):
            w.key("settings"); writeSettings(settings, revealed: revealed, to: &w)
        case .votesRevealed(let counts):
            w.key("votes"); w.beginObject()
            for (card, n) in counts.sorted(by: { $0.key < $1.key }) { w.key(card); w.int(n) }
            w.endObject()
        case .cardsRevealed(let cards):
            w.key("cards"); w.beginArray()
            for card in cards { writeCard(card, votes: revealed ? 0 : nil, showAuthor: !anonymous, to: &w) }
            w.endArray()
        case let .clusterCreated(cluster, cards):
            w.key("cluster"); writeCluster(cluster, to: &w)
            w.key("cards"); w.beginArray(); cards.forEach { w.string($0) }; w.endArray()
        case let .clusterRenamed(cluster, title):
            w.key("cluster"); w.string(cluster)
            w.key("title"); w.string(title)
        case let .cardClustered(card, cluster):
            w.key("card"); w.string(card)
            w.key("cluster"); w.string(cluster)
        case .commentAdded(let comment):
            w.key("comment"); writeComment(comment, showAuthor: !anonymous, to: &w)
        case .commentDeleted(let comment):
            w.key("comment"); w.string(comment)
        case .cardRestored(let card):
            w.key("card"); writeCard(card, votes: revealed ? (context.restoredVotes ?? 0) : nil, showAuthor: !anonymous, to: &w)
        case .boardLocked(let board), .boardUnlocked(let board):
            w.key("board"); w.string(board)
        case .projectCreated(let project):
            // Where authors are hidden, so are supporters (the count stays).
            w.key("project"); writeProject(project, onlySupporter: anonymous ? "" : nil, to: &w)
        case let .projectUpdated(project, change, version):
            w.key("project"); w.string(project)
            w.key("version"); w.int(version)
            w.key("fields"); writeProjectChange(change, to: &w)
        case let .projectStatusChanged(project, status, version):
            w.key("project"); w.string(project)
            w.key("status"); w.string(status.rawValue)
            w.key("version"); w.int(version)
        case let .projectSupported(project, supporter, support):
            w.key("project"); w.string(project)
            w.key("supporter"); w.string(anonymous ? nil : supporter)
            w.key("support"); w.bool(support)
            if let supportCount = context.supportCount { w.key("supportCount"); w.int(supportCount) }
        case let .projectSubmitted(project, receipt):
            w.key("project"); w.string(project)
            w.key("receipt"); writeReceipt(receipt, withClaimLink: sight == .full, to: &w)
        case let .dossierFollowed(project, reference, dossier):
            w.key("project"); w.string(project)
            w.key("reference"); w.string(reference)
            w.key("dossier"); writeDossier(dossier, to: &w)
        case .webhookQueued(let delivery):
            w.key("delivery"); writeOutboxEntry(OutboxEntry(delivery: delivery), to: &w)
        case let .webhookAttempted(delivery, attempt):
            w.key("delivery"); w.string(delivery)
            w.key("attempt"); writeAttempt(attempt, to: &w)
        case .webhookRedelivered(let delivery):
            w.key("delivery"); w.string(delivery)
        case .groupOpened(let g):
            w.key("group"); w.beginObject()
            w.key("group"); w.string(g.group)
            w.key("board"); w.string(g.board)
            w.key("purpose"); w.string(g.purpose)
            w.key("endsAt"); w.string(timestamp(g.endsAt))
            w.endObject()
        case let .groupEnded(group, reason, into):
            w.key("group"); w.string(group)
            w.key("reason"); w.string(reason.rawValue)
            w.key("into"); w.string(into)
        case let .groupInvited(group, invitation):
            // The invitation's id and date: the secret went once to whoever asked, in the ack.
            w.key("group"); w.string(group)
            w.key("invitation"); writeInvitation(invitation, to: &w)
        case let .groupInvitationRevoked(group, invitation):
            w.key("group"); w.string(group)
            w.key("invitation"); w.string(invitation)
        case .workshopCarried(let carry):
            w.key("carry"); writeCarry(carry, to: &w)
        }
        w.endObject()
        return w.bytes
    }

    /// The workshop as `viewer` may see it (docs/protocol.md, the snapshot).
    public static func snapshot(_ workshop: Workshop, for viewer: Actor, online: (ActorID) -> Bool) -> [UInt8] {
        var w = JSONWriter(reserving: 4096 + workshop.cards.count * 200)
        let isFacilitator = viewer.role == .facilitator
        w.beginObject()
        w.key("id"); w.string(workshop.id)
        w.key("title"); w.string(workshop.title)
        w.key("plan"); w.string(workshop.plan)
        w.key("phase"); w.string(workshop.phase)
        w.key("closed"); w.bool(workshop.closed)
        w.key("paused"); w.bool(workshop.paused)
        w.key("focus"); w.string(workshop.focus)
        w.key("timeZone"); w.string(workshop.timeZone)
        w.key("projector"); w.beginObject()
        w.key("mode"); w.string(workshop.projector.mode.rawValue)
        w.key("every"); w.int(workshop.projector.every)
        w.endObject()
        w.key("timer")
        if let timer = workshop.timer { writeTimer(timer, to: &w) } else { w.null() }
        w.key("announcement")
        // The room's messages are the live session's: not for someone invited into a working group.
        if let a = workshop.announcement, viewer.board == nil {
            w.beginObject()
            w.key("text"); w.string(a.text)
            w.key("at"); w.string(timestamp(a.at))
            w.key("seq"); w.int(a.seq)
            w.endObject()
        } else { w.null() }
        w.key("phases"); w.beginArray()
        for phase in workshop.phases {
            w.beginObject()
            w.key("id"); w.string(phase.id)
            w.key("title"); w.string(phase.title)
            w.key("open"); w.beginArray(); phase.open.forEach { w.string($0.rawValue) }; w.endArray()
            w.key("voting"); w.bool(phase.voting)
            w.key("voteOn"); w.beginArray(); phase.votable.forEach { w.string($0.rawValue) }; w.endArray()
            w.key("instructions"); w.string(phase.instructions)
            w.endObject()
        }
        w.endArray()
        w.key("settings"); writeSettings(workshop.settings, revealed: workshop.votesRevealed, to: &w)
        w.key("votesClosed"); w.bool(workshop.votesClosed)
        w.key("voters"); w.int(workshop.voterCount)
        // Someone invited into a working group sees its table only.
        let confinedGroup: GroupID? = viewer.board.flatMap { b in workshop.board(b)?.group }
        w.key("groups"); w.beginArray()
        for g in workshop.groups where viewer.board == nil || g.id == confinedGroup {
            w.beginObject()
            w.key("id"); w.string(g.id)
            w.key("title"); w.string(g.title)
            w.key("theme"); w.string(g.theme)
            w.endObject()
        }
        w.endArray()
        w.key("boards"); w.beginArray()
        for b in workshop.boards where viewer.board == nil || b.id == viewer.board {
            w.beginObject()
            w.key("id"); w.string(b.id)
            w.key("title"); w.string(b.title)
            w.key("theme"); w.string(workshop.theme(of: b))
            w.key("group"); w.string(b.group)
            w.key("columns"); w.beginArray()
            for c in b.columns {
                w.beginObject()
                w.key("id"); w.string(c.id)
                w.key("title"); w.string(c.title)
                w.key("kind"); w.string(c.kind.rawValue)
                w.endObject()
            }
            w.endArray()
            w.key("locked"); w.bool(b.locked)
            w.key("host"); w.string(workshop.hosts[b.id])
            w.endObject()
        }
        w.endArray()
        w.key("cards"); w.beginArray()
        for card in workshop.orderedCards where workshop.canSee(card, viewer: viewer) {
            writeCard(card, votes: workshop.votesRevealed ? workshop.voteCount(card.id) : nil,
                      showAuthor: workshop.showsAuthor(card.author, to: viewer), moderation: isFacilitator, to: &w)
        }
        w.endArray()
        w.key("clusters"); w.beginArray()
        for cluster in workshop.orderedClusters where viewer.board == nil || cluster.board == viewer.board { writeCluster(cluster, to: &w) }
        w.endArray()
        w.key("comments"); w.beginArray()
        for comment in workshop.orderedComments {
            guard let card = workshop.cards[comment.card], workshop.canSee(card, viewer: viewer) else { continue }
            writeComment(comment, showAuthor: workshop.showsAuthor(comment.author, to: viewer), to: &w)
        }
        w.endArray()
        w.key("participants"); w.beginArray()
        for p in workshop.orderedParticipants where viewer.board == nil || (p.group != nil && p.group == confinedGroup) {
            writeParticipant(p, online: online(p.id), to: &w)
        }
        w.endArray()
        // The viewer's own dots: secret votes are secret from others, not from oneself.
        w.key("myVotes"); w.beginObject()
        for (card, n) in workshop.votes(of: viewer.id).sorted(by: { $0.key < $1.key }) { w.key(card); w.int(n) }
        w.endObject()
        w.key("votesLeft"); w.int(max(0, workshop.settings.voteBudget - workshop.votesCast(by: viewer.id)))
        w.key("orientations"); w.beginArray()
        for o in workshop.orientations { w.beginObject(); w.key("id"); w.string(o.id); w.key("title"); w.string(o.title); w.endObject() }
        w.endArray()
        w.key("form"); writeForm(workshop.form, to: &w)
        // What was carried in from earlier workshops of the series: by id here, its source and table.
        w.key("carried"); writeCarriedItems(workshop.carried.values.sorted { $0.id < $1.id }, to: &w)
        w.key("projects"); w.beginArray()
        let hideSupporters: ActorID? = workshop.showsAuthor(nil, to: viewer) ? nil : viewer.id
        for project in workshop.orderedProjects where viewer.board == nil || project.board == viewer.board {
            writeProject(project, onlySupporter: hideSupporters, claimLinks: viewer.role == .facilitator, to: &w)
        }
        w.endArray()
        w.key("workingGroups"); w.beginArray()
        for g in workshop.orderedWorkingGroups where viewer.board == nil || g.group.board == viewer.board {
            writeWorkingGroup(g, facilitator: isFacilitator, authors: workshop.showsAuthor(nil, to: viewer), to: &w)
        }
        w.endArray()
        if viewer.role == .facilitator {
            // The webhook outbox: the facilitator's alone.
            w.key("outbox"); w.beginArray()
            for entry in workshop.orderedOutbox { writeOutboxEntry(entry, to: &w) }
            w.endArray()
        }
        w.endObject()
        return w.bytes
    }

    public static func writeCard(_ card: Card, votes: Int?, showAuthor: Bool, moderation: Bool = false, to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(card.id)
        w.key("board"); w.string(card.board)
        w.key("column"); w.string(card.column)
        w.key("text"); w.string(card.text)
        w.key("x"); w.number(card.x)
        w.key("y"); w.number(card.y)
        w.key("color"); w.string(card.color.rawValue)
        w.key("author"); w.string(showAuthor ? card.author : nil)
        w.key("version"); w.int(card.version)
        w.key("cluster"); w.string(card.cluster)
        w.key("votes"); w.int(votes)
        if card.isPrivate { w.key("private"); w.bool(true) }
        if moderation && card.hidden { w.key("hidden"); w.bool(true) }
        w.endObject()
    }

    static func writeParticipant(_ p: Participant, online: Bool, to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(p.id)
        w.key("name"); w.string(p.profile?.name)
        w.key("organisation"); w.string(p.profile?.organisation)
        w.key("actor"); w.string(p.actor.rawValue)
        w.key("group"); w.string(p.group)
        w.key("role"); w.string(p.role.rawValue)
        w.key("online"); w.bool(online && !p.removed)
        if p.removed { w.key("removed"); w.bool(true) }
        if let table = p.guestOf { w.key("guestOf"); w.string(table) }
        w.endObject()
    }

    /// A working group as everyone sees it; the facilitator also gets its invitations (ids and
    /// dates, never a secret nor its digest) and what changed since the live session.
    static func writeWorkingGroup(_ g: WorkingGroupState, facilitator: Bool, authors: Bool, to w: inout JSONWriter) {
        w.beginObject()
        w.key("group"); w.string(g.group.group)
        w.key("board"); w.string(g.group.board)
        w.key("purpose"); w.string(g.group.purpose)
        w.key("endsAt"); w.string(timestamp(g.group.endsAt))
        w.key("openedAt"); w.string(timestamp(g.openedAt))
        w.key("ended")
        if let end = g.ended {
            w.beginObject()
            w.key("reason"); w.string(end.reason.rawValue)
            w.key("into"); w.string(end.into)
            w.key("at"); w.string(timestamp(end.at))
            w.endObject()
        } else { w.null() }
        if facilitator {
            w.key("invitations"); w.beginArray()
            for i in g.invitations.values.sorted(by: { $0.createdAt < $1.createdAt }) { writeInvitation(i, to: &w) }
            w.endArray()
            w.key("since"); w.beginObject()
            w.key("cards"); w.int(g.cards)
            w.key("sheetEdits"); w.int(g.sheetEdits)
            w.key("members"); w.int(g.members)
            w.key("changes"); w.beginArray()
            for c in g.changes {
                w.beginObject()
                w.key("kind"); w.string(c.kind.rawValue)
                w.key("id"); w.string(c.subject)
                w.key("seq"); w.int(c.seq)
                w.key("at"); w.string(timestamp(c.at))
                // In an anonymous workshop whose facilitator does not see authors, nobody is named.
                w.key("by"); w.string(authors || c.kind == .member ? c.by : nil)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endObject()
    }

    static func writeInvitation(_ i: GroupInvitation, to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(i.id)
        w.key("createdAt"); w.string(timestamp(i.createdAt))
        w.endObject()
    }

    static func writeSettings(_ s: Settings, revealed: Bool, to w: inout JSONWriter) {
        w.beginObject()
        w.key("voteBudget"); w.int(s.voteBudget)
        w.key("maxVotesPerCard"); w.int(s.maxVotesPerCard)
        w.key("votesRevealed"); w.bool(revealed)
        w.key("voteOwnCards"); w.bool(s.voteOwnCards == true)
        w.key("privateWriting"); w.bool(s.privateWriting)
        w.key("anonymous"); w.bool(s.anonymous)
        w.key("facilitatorSeesAuthors"); w.bool(s.facilitatorSeesAuthors)
        w.key("listOrganisations"); w.bool(s.listOrganisations)
        w.endObject()
    }

    static func writeTimer(_ t: RoomTimer, to w: inout JSONWriter) {
        w.beginObject()
        w.key("label"); w.string(t.label)
        w.key("seconds"); w.int(t.seconds)
        w.key("running"); w.bool(t.running)
        w.key("endsAt"); w.string(t.endsAt.map(timestamp))
        w.key("remaining"); w.int(t.remaining.map { Int($0) })
        w.endObject()
    }

    /// `workshop.carried`'s `carry`: `{"source","sourceTitle","items":{id:{kind,from,table}},"lineage":{project:{origin,stages}}}`.
    static func writeCarry(_ carry: Carry, to w: inout JSONWriter) {
        w.beginObject()
        w.key("source"); w.string(carry.source)
        w.key("sourceTitle"); w.string(carry.sourceTitle)
        w.key("items"); writeCarriedItems(carry.items, to: &w)
        w.key("lineage"); w.beginObject()
        for (project, lineage) in carry.lineage.sorted(by: { $0.key < $1.key }) {
            w.key(project); writeLineage(lineage, to: &w)
        }
        w.endObject()
        w.endObject()
    }

    static func writeCarriedItems(_ items: [CarriedItem], to w: inout JSONWriter) {
        w.beginObject()
        for item in items {
            w.key(item.id); w.beginObject()
            w.key("kind"); w.string(item.kind.rawValue)
            w.key("from"); w.string(item.from)
            w.key("table"); w.string(item.table)
            w.endObject()
        }
        w.endObject()
    }

    /// A carried project's series-wide identity and the workshops it went through before.
    public static func writeLineage(_ l: ProjectLineage, to w: inout JSONWriter) {
        w.beginObject()
        w.key("origin"); w.string(l.origin)
        w.key("stages"); w.beginArray()
        for s in l.stages { writeStage(s, to: &w) }
        w.endArray()
        w.endObject()
    }

    public static func writeStage(_ s: ProjectStage, to w: inout JSONWriter) {
        w.beginObject()
        w.key("workshop"); w.string(s.workshop)
        w.key("workshopTitle"); w.string(s.workshopTitle)
        w.key("project"); w.string(s.project)
        w.key("table"); w.string(s.table)
        w.key("entry"); w.string(s.entry.rawValue)
        w.key("at"); w.string(timestamp(s.at))
        w.key("problems"); w.beginArray(); s.problems.forEach { w.string($0) }; w.endArray()
        w.key("ideas"); w.beginArray(); s.ideas.forEach { w.string($0) }; w.endArray()
        w.key("cluster"); w.string(s.cluster)
        w.key("status"); w.string(s.status)
        w.key("steps"); w.beginArray()
        for step in s.steps {
            w.beginObject()
            w.key("kind"); w.string(step.kind)
            w.key("at"); w.string(timestamp(step.at))
            w.key("status"); w.string(step.status)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    static func writeCluster(_ c: Cluster, to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(c.id)
        w.key("board"); w.string(c.board)
        w.key("title"); w.string(c.title)
        w.endObject()
    }

    public static func writeComment(_ c: Comment, showAuthor: Bool, to w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(c.id)
        w.key("card"); w.string(c.card)
        w.key("text"); w.string(c.text)
        w.key("author"); w.string(showAuthor ? c.author : nil)
        w.endObject()
    }
}

/// `2026-11-28T10:02:11.120Z` from milliseconds since 1970, without Foundation's formatters
/// (which allocate and are slow on the hot path).
public func timestamp(_ ms: Int64) -> String {
    let (secsTotal, milli) = ms.quotientAndRemainder(dividingBy: 1000)
    let (days, secOfDay) = secsTotal.quotientAndRemainder(dividingBy: 86_400)
    // Civil-from-days (H. Hinnant), valid for any date after 1970.
    let z = days + 719_468
    let era = z / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    func pad(_ v: Int64, _ n: Int) -> String {
        let s = String(v)
        return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
    }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secOfDay / 3600, 2)):\(pad(secOfDay % 3600 / 60, 2)):\(pad(secOfDay % 60, 2)).\(pad(milli, 3))Z"
}
