@_exported import AtelierJSON
import AtelierDomain

// The wire protocol in one place (docs/protocol.md is the contract, this file its index): every
// message a client may send, every message the server sends, every event, by wire name.
//
// Each list is an enum with no `default:` anywhere it is switched over: the decoder
// (`Inbound.swift`) switches over ``ClientMessageType``, the event encoder (`Outbound.swift`) and
// ``EventBody/wireType`` over `EventBody`, the audience of each event (`AtelierDomain/Visibility.swift`)
// over `EventBody` too. Adding a message or an event does not compile until its decoding, its
// audience and its encoding are written (docs/architecture.md "Adding things").

/// The subprotocol a client must ask for on `/ws`.
public let subprotocol = "atelier.v1"

/// Largest client message, in bytes (over it, close 1009).
public let maxClientMessageBytes = 64 * 1024

/// Longest client message id.
public let maxMessageIDLength = 64

/// What a client sends: `{"id": "m17", "type": <wire name>, …arguments}`.
public enum ClientMessageType: String, CaseIterable, Sendable {
    // The session (docs/protocol.md "Joining", "Presence")
    case join
    case ping
    case presence
    // Cards
    case cardAdd = "card.add"
    case cardEdit = "card.edit"
    case cardMove = "card.move"
    case cardDelete = "card.delete"
    case voteCast = "vote.cast"
    case voteRetract = "vote.retract"
    // The room (facilitator)
    case phaseSet = "phase.set"
    case participantAssign = "participant.assign"
    case tablesBalance = "tables.balance"
    case rotationAdvance = "rotation.advance"
    case hostAssign = "host.assign"
    case participantRemove = "participant.remove"
    case participantErase = "participant.erase"
    case timerStart = "timer.start"
    case timerPause = "timer.pause"
    case timerResume = "timer.resume"
    case timerStop = "timer.stop"
    case announce
    case workshopPause = "workshop.pause"
    case workshopResume = "workshop.resume"
    case workshopClose = "workshop.close"
    case viewFocus = "view.focus"
    case settingsUpdate = "settings.update"
    case votesReveal = "votes.reveal"
    case votesClose = "votes.close"
    case timerAdd = "timer.add"
    case announcementWithdraw = "announcement.withdraw"
    case projectorShow = "projector.show"
    case cardsReveal = "cards.reveal"
    // Clusters and comments
    case clusterCreate = "cluster.create"
    case clusterRename = "cluster.rename"
    case cardCluster = "card.cluster"
    case commentAdd = "comment.add"
    case commentDelete = "comment.delete"
    // Projects
    case projectCreate = "project.create"
    case projectUpdate = "project.update"
    case projectReady = "project.ready"
    case projectReopen = "project.reopen"
    case projectSupport = "project.support"
    case projectsSubmit = "projects.submit"
    /// The facilitator asks where the Démarches Simplifiées dossiers are now.
    case projectsFollow = "projects.follow"
    /// The facilitator's "Relancer" of a webhook delivery.
    case webhookRedeliver = "webhook.redeliver"
    // Moderation
    case cardHide = "card.hide"
    case cardRestore = "card.restore"
    case boardLock = "board.lock"
    case boardUnlock = "board.unlock"
    // Working groups between sessions
    case groupOpen = "group.open"
    case groupClose = "group.close"
    case groupInvite = "group.invite"
    case groupRevoke = "group.revoke"
}

/// What the server sends that is not an event.
public enum ServerMessageType: String, CaseIterable, Sendable {
    case welcome
    case ack
    case error
    case pong
    /// Who is online, and who edits which field of a sheet (never journaled).
    case presence
    /// How a submission goes (to the facilitator only, never journaled).
    case submissionProgress = "submission.progress"
    /// How many people voted so far in the phase (to everyone, never journaled).
    case votesProgress = "votes.progress"
}

/// Every journaled event, as clients see it: `{"type": <wire name>, "seq", "at", "by", …}`.
public enum EventType: String, CaseIterable, Sendable {
    case workshopCreated = "workshop.created"
    case participantJoined = "participant.joined"
    case cardAdded = "card.added"
    case cardEdited = "card.edited"
    case cardMoved = "card.moved"
    case cardDeleted = "card.deleted"
    case voteCast = "vote.cast"
    case voteRetracted = "vote.retracted"
    case phaseChanged = "phase.changed"
    case participantAssigned = "participant.assigned"
    case rotationAdvanced = "rotation.advanced"
    case hostAssigned = "host.assigned"
    case participantRemoved = "participant.removed"
    case participantErased = "participant.erased"
    case timerStarted = "timer.started"
    case timerPaused = "timer.paused"
    case timerResumed = "timer.resumed"
    case timerStopped = "timer.stopped"
    case timerEnded = "timer.ended"
    case announcementMade = "announcement.made"
    case workshopPaused = "workshop.paused"
    case workshopResumed = "workshop.resumed"
    case workshopClosed = "workshop.closed"
    case viewFocused = "view.focused"
    case settingsUpdated = "settings.updated"
    case votesRevealed = "votes.revealed"
    case votesClosed = "votes.closed"
    case announcementWithdrawn = "announcement.withdrawn"
    case projectorShown = "projector.shown"
    case cardsRevealed = "cards.revealed"
    case clusterCreated = "cluster.created"
    case clusterRenamed = "cluster.renamed"
    case cardClustered = "card.clustered"
    case commentAdded = "comment.added"
    case commentDeleted = "comment.deleted"
    case cardHidden = "card.hidden"
    case cardRestored = "card.restored"
    case boardLocked = "board.locked"
    case boardUnlocked = "board.unlocked"
    case projectCreated = "project.created"
    case projectUpdated = "project.updated"
    case projectStatusChanged = "project.status.changed"
    case projectSupported = "project.supported"
    case projectSubmitted = "project.submitted"
    case dossierFollowed = "dossier.followed"
    case webhookQueued = "webhook.queued"
    case webhookAttempted = "webhook.attempted"
    case webhookRedelivered = "webhook.redelivered"
    case groupOpened = "group.opened"
    case groupEnded = "group.ended"
    case groupInvited = "group.invited"
    case groupInvitationRevoked = "group.invitation.revoked"
    case workshopCarried = "workshop.carried"
}

extension EventBody {
    /// The event's wire name.
    public var wireType: EventType {
        switch self {
        case .workshopCreated: .workshopCreated
        case .participantJoined: .participantJoined
        case .cardAdded: .cardAdded
        case .cardEdited: .cardEdited
        case .cardMoved: .cardMoved
        case .cardDeleted: .cardDeleted
        case .voteCast: .voteCast
        case .voteRetracted: .voteRetracted
        case .phaseChanged: .phaseChanged
        case .participantAssigned: .participantAssigned
        case .rotationAdvanced: .rotationAdvanced
        case .hostAssigned: .hostAssigned
        case .participantRemoved: .participantRemoved
        case .participantErased: .participantErased
        case .timerStarted: .timerStarted
        case .timerPaused: .timerPaused
        case .timerResumed: .timerResumed
        case .timerStopped: .timerStopped
        case .timerEnded: .timerEnded
        case .announcementMade: .announcementMade
        case .workshopPaused: .workshopPaused
        case .workshopResumed: .workshopResumed
        case .workshopClosed: .workshopClosed
        case .viewFocused: .viewFocused
        case .settingsUpdated: .settingsUpdated
        case .votesRevealed: .votesRevealed
        case .votesClosed: .votesClosed
        case .announcementWithdrawn: .announcementWithdrawn
        case .projectorShown: .projectorShown
        case .cardsRevealed: .cardsRevealed
        case .clusterCreated: .clusterCreated
        case .clusterRenamed: .clusterRenamed
        case .cardClustered: .cardClustered
        case .commentAdded: .commentAdded
        case .commentDeleted: .commentDeleted
        case .cardHidden: .cardHidden
        case .cardRestored: .cardRestored
        case .boardLocked: .boardLocked
        case .boardUnlocked: .boardUnlocked
        case .projectCreated: .projectCreated
        case .projectUpdated: .projectUpdated
        case .projectStatusChanged: .projectStatusChanged
        case .projectSupported: .projectSupported
        case .projectSubmitted: .projectSubmitted
        case .dossierFollowed: .dossierFollowed
        case .webhookQueued: .webhookQueued
        case .webhookAttempted: .webhookAttempted
        case .webhookRedelivered: .webhookRedelivered
        case .groupOpened: .groupOpened
        case .groupEnded: .groupEnded
        case .groupInvited: .groupInvited
        case .groupInvitationRevoked: .groupInvitationRevoked
        case .workshopCarried: .workshopCarried
        }
    }
}

/// The ids a command's ack reports in `result` (the objects the server created).
public func ackResult(for events: [EventBody]) -> [(String, String)] {
    var result: [(String, String)] = []
    for body in events {
        switch body {
        case .cardAdded(let card): result.append(("card", card.id))
        case .participantJoined(let p): result.append(("participant", p.id))
        case .clusterCreated(let c, _): result.append(("cluster", c.id))
        case .commentAdded(let c): result.append(("comment", c.id))
        case .projectCreated(let p): result.append(("project", p.id))
        case .groupInvited(_, let invitation): result.append(("invitation", invitation.id))
        case .workshopCreated, .cardEdited, .cardMoved, .cardDeleted, .voteCast, .voteRetracted, .phaseChanged,
             .participantAssigned, .rotationAdvanced, .hostAssigned, .participantRemoved, .participantErased,
             .timerStarted, .timerPaused, .timerResumed, .timerStopped, .timerEnded, .announcementMade,
             .workshopPaused, .workshopResumed, .workshopClosed, .viewFocused, .settingsUpdated, .votesRevealed,
             .votesClosed, .announcementWithdrawn, .projectorShown, .cardsRevealed, .clusterRenamed, .cardClustered, .commentDeleted, .cardHidden, .cardRestored,
             .boardLocked, .boardUnlocked, .projectUpdated, .projectStatusChanged, .projectSupported, .projectSubmitted,
             .dossierFollowed, .webhookQueued, .webhookAttempted, .webhookRedelivered,
             .groupOpened, .groupEnded, .groupInvitationRevoked, .workshopCarried:
            break
        }
    }
    return result
}
