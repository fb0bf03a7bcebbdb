import Foundation

// After a project left for the call-for-projects pipeline: the Démarches Simplifiées dossier it
// became, followed as it moves on the platform, and the webhook outbox, kept in the journal so
// that a delivery survives a restart (docs/export.md "Following the dossiers", "The webhook outbox").

/// Where a Démarches Simplifiées dossier is, as the platform's index answers (`state`), plus
/// `expired`: the prefilled draft nobody claimed was deleted (it left the index).
public enum DossierState: String, Codable, Sendable, CaseIterable {
    case prefilled = "prefilled"
    case brouillon = "brouillon"
    case enConstruction = "en_construction"
    case enInstruction = "en_instruction"
    case accepte = "accepte"
    case refuse = "refuse"
    case sansSuite = "sans_suite"
    case expired = "expired"

    /// Filed by the project lead ("déposé"): the application is in the call-for-projects team's hands.
    public var isFiled: Bool { [.enConstruction, .enInstruction, .accepte, .refuse, .sansSuite].contains(self) }
    /// Nothing more will happen to it: not followed any more.
    public var isFinal: Bool { [.accepte, .refuse, .sansSuite, .expired].contains(self) }
}

/// What following a dossier last found. Dates in milliseconds since 1970.
public struct DossierFollow: Codable, Sendable, Equatable {
    public var state: DossierState
    /// When the project lead filed it (`submitted_at`).
    public var submittedAt: Int64?
    /// When the instruction ended (`processed_at`).
    public var processedAt: Int64?
    /// For a status sent back by the call's platform: its signed `timestamp` (seconds), journaled
    /// with it so that an older one is still refused after a restart (docs/export.md "Statuses
    /// sent back"). Never on the wire nor in exports; nil for Démarches Simplifiées.
    public var statusAt: Int64?
    public init(state: DossierState, submittedAt: Int64? = nil, processedAt: Int64? = nil, statusAt: Int64? = nil) {
        self.state = state; self.submittedAt = submittedAt; self.processedAt = processedAt; self.statusAt = statusAt
    }

    /// The same dossier as `other` says, whenever each was stamped.
    public func sameStatus(as other: DossierFollow?) -> Bool {
        guard let other else { return false }
        return state == other.state && submittedAt == other.submittedAt && processedAt == other.processedAt
    }
}

/// One webhook delivery: the body is fixed when it is queued, and `id` (the Standard Webhooks
/// `webhook-id`, also the `Idempotency-Key`) is the same on every attempt.
public struct WebhookDelivery: Codable, Sendable, Equatable {
    public var id: String
    public var project: ProjectID
    public var version: Int
    /// The JSON body, as sent on every attempt.
    public var body: String
    public var queuedAt: Int64
    public init(id: String, project: ProjectID, version: Int, body: String, queuedAt: Int64) {
        self.id = id; self.project = project; self.version = version; self.body = body; self.queuedAt = queuedAt
    }
}

/// One try at a delivery: when, what came back, and when the next one is due (nil: none, it was
/// delivered or given up).
public struct WebhookAttempt: Codable, Sendable, Equatable {
    public var at: Int64
    /// The HTTP status, when the receiver answered.
    public var status: Int?
    /// Why there was no answer (or what the answer said), in French.
    public var error: String?
    public var nextAt: Int64?
    public init(at: Int64, status: Int? = nil, error: String? = nil, nextAt: Int64? = nil) {
        self.at = at; self.status = status; self.error = error; self.nextAt = nextAt
    }
    public var delivered: Bool { status.map { (200..<300).contains($0) } ?? false }
}

/// A delivery and its attempts, as the journal leaves them.
public struct OutboxEntry: Sendable, Equatable {
    public enum State: String, Sendable { case pending = "pending", delivered = "delivered", abandoned = "abandoned" }
    public var delivery: WebhookDelivery
    /// The latest attempts (at most ``OutboxEntry/keptAttempts``; the journal has them all).
    public var attempts: [WebhookAttempt] = []
    public var attemptCount = 0
    public var state = State.pending
    /// When the next attempt is due (pending only).
    public var nextAt: Int64?
    /// Start of the current run of retries (queued, or redelivered by hand): retries stop 24 h after it.
    public var since: Int64
    public static let keptAttempts = 50

    public init(delivery: WebhookDelivery) {
        self.delivery = delivery; since = delivery.queuedAt; nextAt = delivery.queuedAt
    }
}

extension ProjectSheet {
    /// The receipt a `dossier.followed` with this reference updates: the latest Démarches
    /// Simplifiées receipt with it, else the latest webhook one (a status sent back).
    public func followedReceipt(_ reference: String) -> Receipt? {
        followedReceiptIndex(reference).map { receipts[$0] }
    }

    /// Where that receipt is in `receipts` (what `dossier.followed` updates).
    public func followedReceiptIndex(_ reference: String) -> Int? {
        receipts.lastIndex { $0.channel == .demarches && $0.reference == reference }
            ?? receipts.lastIndex { $0.channel == .webhook && $0.reference == reference }
    }
}

extension Workshop {
    /// The latest Démarches Simplifiées receipt of a sheet.
    public func dossierReceipt(of project: ProjectID) -> Receipt? {
        projects[project]?.receipts.last { $0.channel == .demarches }
    }

    /// Sheets whose latest dossier is still moving: `(project, receipt)` with a prefill token.
    public var followedDossiers: [(project: ProjectID, receipt: Receipt)] {
        orderedProjects.compactMap { p in
            guard let r = p.receipts.last(where: { $0.channel == .demarches }), r.prefillToken != nil,
                  !(r.dossier?.state.isFinal ?? false) else { return nil }
            return (p.id, r)
        }
    }

    public var orderedOutbox: [OutboxEntry] { outbox.values.sorted { ($0.delivery.queuedAt, $0.delivery.id) < ($1.delivery.queuedAt, $1.delivery.id) } }
}

extension Command {
    /// The hand-off to the call-for-projects pipeline (receipts, dossiers followed, the webhook
    /// outbox): a closed workshop's content is frozen, its hand-off goes on. Each keeps its own
    /// rule of who may ask it.
    public var isHandOff: Bool {
        switch self {
        case .projectSubmit, .dossierFollow, .webhookQueue, .webhookAttempt, .webhookRedeliver: true
        case .joinAsParticipant, .cardAdd, .cardEdit, .cardMove, .cardDelete, .voteCast, .voteRetract, .phaseSet,
             .participantAssign, .tablesBalance, .rotationAdvance, .hostAssign, .participantRemove,
             .participantErase, .timerStart, .timerPause, .timerResume, .timerStop, .timerExpire, .announce,
             .workshopPause, .workshopResume, .workshopClose, .viewFocus, .settingsUpdate, .votesReveal, .timerAdd,
             .announcementWithdraw, .projectorShow, .votesClose, .cardsReveal, .clusterCreate, .clusterRename,
             .cardCluster, .commentAdd, .commentDelete, .projectCreate, .projectUpdate, .projectReady,
             .projectReopen, .projectSupport, .cardHide, .cardRestore, .boardLock, .boardUnlock,
             .groupOpen, .groupClose, .groupExpire, .groupInvite, .groupRevoke, .joinAsGuest: false
        }
    }
}
