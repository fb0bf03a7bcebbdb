import AtelierDomain
import AtelierStore
import Foundation

/// The durability pipeline: acknowledge only what is on disk.
///
/// Work done on the loop adds journal entries to the open batch and registers what to do once
/// they are durable (acks, broadcasts, welcomes) with ``afterCommit(_:)``. At the end of a loop
/// turn, ``flush()`` hands the batch to the writer queue unless a commit is already running; what
/// arrives meanwhile waits and goes in the next transaction (group commit). Actions run in the
/// order they were registered, so a client never sees an ack before the events it follows.
final class Pipeline {
    typealias Action = (_ committed: Bool) -> Void

    private var open = CommitBatch()
    private var openActions: [Action] = []
    private var openRooms: Set<WorkshopID> = []
    private(set) var inFlight = false
    private var whenIdle: [() -> Void] = []

    private let store: EventStore
    private let writer = WriterThread()
    /// Runs a job on the loop thread (the transport's job queue).
    private let toLoop: @Sendable (@escaping @Sendable () -> Void) -> Void
    /// Called on the loop when a commit failed, with the rooms it touched.
    var onFailure: ((Set<WorkshopID>, Error) -> Void)?

    /// Commits and events journaled, for observability and tests.
    private(set) var commits = 0
    private(set) var journaled = 0

    let metrics: HubMetrics?

    init(store: EventStore, toLoop: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void, metrics: HubMetrics? = nil) {
        self.store = store
        self.toLoop = toLoop
        self.metrics = metrics
    }

    deinit { writer.stop() }

    func journal(_ entry: JournalEntry) {
        open.entries.append(entry)
        openRooms.insert(entry.workshop)
    }

    func create(_ record: WorkshopRecord) {
        open.workshops.append(record)
        openRooms.insert(record.id)
    }

    func remember(_ credential: Credential) {
        open.credentials.append(credential)
        openRooms.insert(credential.workshop)
    }

    func replaceFacilitatorKey(of workshop: WorkshopID, digest: String) {
        open.facilitatorKeys[workshop] = digest
        openRooms.insert(workshop)
    }

    func save(_ series: SeriesRecord) {
        open.series.append(series)
    }

    /// Runs `action` once everything journaled so far is durable: now if nothing is pending.
    func afterCommit(_ action: @escaping Action) {
        if !inFlight && open.isEmpty && openActions.isEmpty {
            action(true)
        } else {
            openActions.append(action)
        }
    }

    /// Ends a loop turn: starts a commit with what accumulated, unless one is running.
    func flush() {
        guard !inFlight else { return }
        if open.isEmpty {
            let actions = openActions
            openActions = []
            actions.forEach { $0(true) }
            let idle = whenIdle
            whenIdle = []
            idle.forEach { $0() }
            return
        }
        let batch = open, actions = openActions, rooms = openRooms
        open = CommitBatch(); openActions = []; openRooms = []
        inFlight = true
        let store = self.store
        let box = Unchecked((self, actions, rooms))
        let metrics = self.metrics
        writer.run { [toLoop] in
            let started = ContinuousClock.now
            let outcome: Result<Void, Error> = Result { try store.commit(batch) }
            metrics?.commitSeconds.record(ContinuousClock.now - started)
            metrics?.commitBatchEvents.record(Double(batch.entries.count))
            toLoop {
                let (pipeline, actions, rooms) = box.value
                pipeline.committed(outcome, count: batch.entries.count, actions: actions, rooms: rooms)
            }
        }
    }

    private func committed(_ outcome: Result<Void, Error>, count: Int, actions: [Action], rooms: Set<WorkshopID>) {
        inFlight = false
        switch outcome {
        case .success:
            commits += 1
            journaled += count
            actions.forEach { $0(true) }
        case .failure(let error):
            // Fail stop: nothing of this batch is shown. What was built on it (the open batch, if
            // it touches the same rooms) cannot be committed either.
            actions.forEach { $0(false) }
            var failed = rooms
            if !openRooms.isDisjoint(with: rooms) {
                let dropped = openActions
                failed.formUnion(openRooms)
                open = CommitBatch(); openActions = []; openRooms = []
                dropped.forEach { $0(false) }
            }
            onFailure?(failed, error)
        }
        flush()
    }

    /// Nothing pending, nothing being written.
    var isIdle: Bool { !inFlight && open.isEmpty && openActions.isEmpty }

    /// Calls `done` on the loop once nothing is pending or being written.
    func whenDrained(_ done: @escaping () -> Void) {
        if !inFlight && open.isEmpty && openActions.isEmpty { done(); return }
        whenIdle.append(done)
        flush()
    }
}

/// The journal's writer: one thread, one commit at a time (the pipeline never hands it a second
/// before the first is done). A plain thread woken by a condition variable costs less per commit
/// than a dispatch queue, whose worker threads are poked and parked through libdispatch's
/// machinery on every commit (BENCHMARKS.md "CPU per delivery"). It ends with its pipeline.
final class WriterThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var job: (@Sendable () -> Void)?
    private var stopping = false

    init() {
        let thread = Thread { [self] in work() }
        thread.name = "atelier.journal-writer"
        thread.start()
    }

    /// Runs `job` on the writer thread. At most one job waits at a time.
    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        precondition(self.job == nil, "one commit at a time")
        self.job = job
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once its current job (if any) is done.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while job == nil && !stopping { condition.wait() }
            guard let next = job else { condition.unlock(); return }
            job = nil
            condition.unlock()
            next()
        }
    }
}

/// Carries loop-confined values through the writer queue and back to the loop, where alone they
/// are used (the compiler cannot see that confinement).
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
