import Foundation

/// A moment of the timeline worth jumping to: a phase begins, votes close or are revealed, a
/// project sheet is created, the workshop closes. Only public facts of the room (every one of
/// these events is seen by every participant), so every viewer gets the same markers.
public struct ReplayMarker: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case phase
        case votesClosed = "votes.closed"
        case votesRevealed = "votes.revealed"
        case project
        case closed
    }
    public var seq: Int
    public var at: Int64
    public var kind: Kind
    /// The phase (`phase`) or the project sheet (`project`) it is about.
    public var subject: String?
    public init(seq: Int, at: Int64, kind: Kind, subject: String? = nil) {
        self.seq = seq; self.at = at; self.kind = kind; self.subject = subject
    }
}

/// What replay needs to show a workshop at any seq without reducing its whole journal each time
/// (docs/architecture.md "Replay"): the reduced state every `spacing` events, the time of every
/// event, the markers and the provenance log. Built by `extend`, from the first event on, as
/// events come; bounded: past `maxSnapshots` snapshots, every other one is let go and the
/// spacing doubles, so a journal of any length keeps at most `maxSnapshots` states.
public struct ReplayIndex: Sendable {
    public static let defaultSpacing = 1000
    public static let defaultMaxSnapshots = 128

    public private(set) var spacing: Int
    public let maxSnapshots: Int
    /// States at seq 1 and at every multiple of `spacing`, in seq order.
    public private(set) var snapshots: [Workshop] = []
    /// The state after the last event taken in.
    public private(set) var latest: Workshop?
    /// `times[i]`: when the event of seq `i + 1` happened (ms since 1970).
    public private(set) var times: [Int64] = []
    public private(set) var markers: [ReplayMarker] = []
    public private(set) var provenance = ProvenanceLog()

    public init(spacing: Int = ReplayIndex.defaultSpacing, maxSnapshots: Int = ReplayIndex.defaultMaxSnapshots) {
        self.spacing = max(1, spacing)
        self.maxSnapshots = max(2, maxSnapshots)
    }

    /// The seq of the last event taken in (0 before any).
    public var lastSeq: Int { times.count }

    public enum Failure: Error, Equatable {
        /// The events do not continue the index (`expected` was the next seq).
        case gap(expected: Int, got: Int)
        /// The journal does not begin with `workshop.created`.
        case noBeginning
    }

    /// Takes in the events that follow `lastSeq`, in order.
    public mutating func extend<S: Sequence>(with events: S) throws(Failure) where S.Element == Event {
        for event in events {
            guard event.seq == lastSeq + 1 else { throw .gap(expected: lastSeq + 1, got: event.seq) }
            var state: Workshop
            if let latest { state = latest } else {
                guard case .workshopCreated(let blueprint) = event.body else { throw .noBeginning }
                state = Workshop(blueprint)
            }
            latest = nil  // `state` holds the only reference: applying does not copy it
            provenance.observe(event, before: state)
            switch event.body {
            case .phaseChanged(let phase): markers.append(ReplayMarker(seq: event.seq, at: event.at, kind: .phase, subject: phase))
            case .votesClosed: markers.append(ReplayMarker(seq: event.seq, at: event.at, kind: .votesClosed))
            case .votesRevealed: markers.append(ReplayMarker(seq: event.seq, at: event.at, kind: .votesRevealed))
            case .projectCreated(let p): markers.append(ReplayMarker(seq: event.seq, at: event.at, kind: .project, subject: p.id))
            case .workshopClosed: markers.append(ReplayMarker(seq: event.seq, at: event.at, kind: .closed))
            case .workshopCreated, .participantJoined, .cardAdded, .cardEdited, .cardMoved, .cardDeleted, .voteCast,
                 .voteRetracted, .participantAssigned, .rotationAdvanced, .hostAssigned, .participantRemoved,
                 .participantErased, .timerStarted, .timerPaused, .timerResumed, .timerStopped, .timerEnded,
                 .announcementMade, .workshopPaused, .workshopResumed, .viewFocused, .settingsUpdated,
                 .announcementWithdrawn, .projectorShown, .cardsRevealed, .clusterCreated, .clusterRenamed,
                 .cardClustered, .commentAdded, .commentDeleted, .cardHidden, .cardRestored, .boardLocked,
                 .boardUnlocked, .projectUpdated, .projectStatusChanged, .projectSupported, .projectSubmitted,
                 .dossierFollowed, .webhookQueued, .webhookAttempted, .webhookRedelivered,
                 .groupOpened, .groupEnded, .groupInvited, .groupInvitationRevoked, .workshopCarried: break
            }
            state.apply(event)
            times.append(event.at)
            if event.seq == 1 || event.seq % spacing == 0 {
                snapshots.append(state)
                if snapshots.count > maxSnapshots { thin() }
            }
            latest = state
        }
    }

    /// Lets every other snapshot go (those not at a multiple of twice the spacing).
    private mutating func thin() {
        spacing *= 2
        let step = spacing
        snapshots.removeAll { $0.seq != 1 && $0.seq % step != 0 }
    }

    /// The latest snapshot at or before `seq` (nil if `seq` is before the first event or after
    /// the last): replaying forward from it gives the state at `seq`.
    public func base(for seq: Int) -> Workshop? {
        guard seq >= 1, seq <= lastSeq else { return nil }
        if seq == lastSeq { return latest }
        var lo = 0, hi = snapshots.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if snapshots[mid].seq <= seq { lo = mid } else { hi = mid - 1 }
        }
        return snapshots.isEmpty || snapshots[lo].seq > seq ? nil : snapshots[lo]
    }

    /// When the event of `seq` happened.
    public func time(of seq: Int) -> Int64? { seq >= 1 && seq <= times.count ? times[seq - 1] : nil }

    /// The state at `seq`: the nearest snapshot, then the events after it, which `fetch(after,
    /// through)` reads (from the journal).
    public func state(at seq: Int, fetch: (Int, Int) throws -> [Event]) throws -> Workshop? {
        guard var state = base(for: seq) else { return nil }
        if state.seq == seq { return state }
        let events = try fetch(state.seq, seq)
        guard events.count == seq - state.seq else { return nil }
        for event in events { state.apply(event) }
        return state
    }
}
