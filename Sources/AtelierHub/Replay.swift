import AtelierDomain
import AtelierStore
import Foundation

/// Replay's indexes (`ReplayIndex`), one per workshop recently replayed, built lazily from the
/// journal on the first request and extended as the workshop goes on (docs/architecture.md
/// "Replay"). Everything here runs on `queue`, off the loop: building an index reads the whole
/// journal once; a seek reads at most one snapshot's spacing of events.
final class ReplayCache: @unchecked Sendable {
    /// Workshops whose index is kept; the least recently replayed goes first.
    static let maxWorkshops = 4
    /// Events read from the journal at once while building an index.
    static let chunk = 50_000

    let queue = DispatchQueue(label: "atelier.replay")
    private let store: EventStore
    private let spacing: Int
    private let maxSnapshots: Int
    private var indexes: [WorkshopID: ReplayIndex] = [:]
    private var used: [WorkshopID] = []

    init(store: EventStore, spacing: Int = ReplayIndex.defaultSpacing, maxSnapshots: Int = ReplayIndex.defaultMaxSnapshots) {
        self.store = store
        self.spacing = spacing
        self.maxSnapshots = maxSnapshots
    }

    /// The index of `workshop` holding at least the events up to `through` (durable: the caller
    /// waited for the commit). On `queue`.
    func index(_ workshop: WorkshopID, through: Int) throws -> ReplayIndex {
        dispatchPrecondition(condition: .onQueue(queue))
        var index = indexes.removeValue(forKey: workshop) ?? ReplayIndex(spacing: spacing, maxSnapshots: maxSnapshots)
        used.removeAll { $0 == workshop }
        while index.lastSeq < through {
            let events = try store.events(workshop: workshop, after: index.lastSeq, through: min(through, index.lastSeq + Self.chunk))
            if events.isEmpty { break }
            try index.extend(with: events)
        }
        indexes[workshop] = index
        used.append(workshop)
        while used.count > Self.maxWorkshops { indexes[used.removeFirst()] = nil }
        return index
    }

    /// The state of `workshop` at `seq`, from the nearest snapshot. On `queue`.
    func state(_ workshop: WorkshopID, at seq: Int, in index: ReplayIndex) throws -> Workshop? {
        dispatchPrecondition(condition: .onQueue(queue))
        return try index.state(at: seq) { after, through in try store.events(workshop: workshop, after: after, through: through) }
    }
}
