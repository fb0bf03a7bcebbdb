import AtelierDomain
import AtelierProtocol
import AtelierStore
import Foundation

/// One open workshop on the loop: its state, who is connected, and the recent history for resumes.
final class Room {
    var record: WorkshopRecord
    var state: Workshop
    /// Connections that received their welcome, and who they are.
    var members: [UInt64: Actor] = [:]
    /// Live connections per actor (presence is never journaled).
    var online: [ActorID: Int] = [:]
    /// The last events with who may see them, for `join` with `since`.
    private(set) var recent: [Recorded] = []
    static let recentLimit = 20_000
    /// Answers already given, by actor and client message id, so a retried id is answered the
    /// same way and applied once.
    private(set) var answers: [ActorID: [String: [UInt8]]] = [:]
    private(set) var answerOrder: [ActorID: [String]] = [:]
    static let answersPerActor = 1024
    /// Bytes of remembered answers per room: over it, the oldest answers of whoever holds the most
    /// are let go (a retry comes within seconds; a flood of errors pushes out only its own).
    static let maxAnswerBytesPerRoom = 8 << 20
    private(set) var answerBytes: [ActorID: Int] = [:]
    private(set) var totalAnswerBytes = 0
    /// Largest answer kept whole for a retry; a bigger error is kept without its `current` sheet.
    static let maxRememberedBytes = 1024
    /// Client keys of joins by code (journaled as the join's message id), to make a retried join idempotent.
    var joinKeys: [String: ActorID] = [:]
    static let joinKeyPrefix = "join:"
    /// Tokens given out since this process started, for a join retried after its welcome was
    /// lost (never stored: the database keeps digests only).
    var issuedTokens: [ActorID: String] = [:]
    /// The voter count last sent (`votes.progress`), so that it goes out only when it changes.
    var announcedVoters = 0
    /// Submissions under way ("channel/project"), so a double click never sends twice.
    var submitting: Set<String> = []

    init(record: WorkshopRecord, state: Workshop) {
        self.record = record
        self.state = state
    }

    /// Rebuilds a room from the journal, including the answers to journaled messages.
    convenience init?(stored: StoredWorkshop) {
        // One replay here rather than the store's: it also gives each recent event its audience.
        guard let first = stored.entries.first, case .workshopCreated(let blueprint) = first.event.body else { return nil }
        self.init(record: stored.record, state: Workshop(blueprint))
        let tailStart = max(0, stored.entries.count - Self.recentLimit)
        recent.reserveCapacity(stored.entries.count - tailStart)
        for (i, entry) in stored.entries.enumerated() {
            if i >= tailStart { record(entry.event) } else { state.apply(entry.event) }
        }
        rebuildAnswers(stored.entries)
        announcedVoters = state.voterCount
    }

    /// A client message, as the answers are keyed.
    struct MessageKey: Hashable {
        var actor: ActorID
        var message: String
    }

    /// The answers to journaled messages, as if each had been remembered when it was executed:
    /// per actor, the last `answersPerActor` distinct messages (by first appearance), each acked
    /// with the seq of its last event and the result of all its events. Only those acks are built
    /// (at 1,000,000 events most messages are long evicted), and a command's events, contiguous in
    /// the journal, cost one dictionary look-up together.
    private func rebuildAnswers(_ entries: [JournalEntry]) {
        struct Message { var key: MessageKey; var seq: Int; var runs: [Range<Int>] }
        var index: [MessageKey: Int] = [:]
        var messages: [Message] = []
        var byActor: [ActorID: [Int]] = [:]
        var i = 0
        while i < entries.count {
            guard let message = entries[i].message, let actor = entries[i].event.by else { i += 1; continue }
            // The run of entries caused by this same message.
            var end = i + 1
            while end < entries.count, entries[end].message == message, entries[end].event.by == actor { end += 1 }
            if message.hasPrefix(Self.joinKeyPrefix) {
                joinKeys[String(message.dropFirst(Self.joinKeyPrefix.count))] = actor
                i = end
                continue
            }
            let key = MessageKey(actor: actor, message: message)
            if let m = index[key] {
                messages[m].seq = entries[end - 1].event.seq
                messages[m].runs.append(i..<end)
            } else {
                index[key] = messages.count
                byActor[actor, default: []].append(messages.count)
                messages.append(Message(key: key, seq: entries[end - 1].event.seq, runs: [i..<end]))
            }
            i = end
        }
        for (_, list) in byActor {
            for m in list.suffix(Self.answersPerActor) {
                let message = messages[m]
                let bodies = message.runs.flatMap { entries[$0].map(\.event.body) }
                remember(Outbound.ack(re: message.key.message, seq: message.seq, result: ackResult(for: bodies)),
                         for: message.key.message, by: message.key.actor)
            }
        }
    }

    /// An event and what its viewers may see of it, decided before it was applied.
    struct Recorded {
        var event: Event
        var audience: Audience
        /// What the encoding needs from the state around the event (see `Outbound.EventContext`).
        var context: Outbound.EventContext

        /// The event as viewers of this `sight` see it.
        func encoded(for sight: Sight) -> [UInt8] { Outbound.event(event, sight: sight, context: context) }
    }

    @discardableResult
    func record(_ event: Event) -> Recorded {
        var recorded = Recorded(event: event, audience: state.audience(of: event.body, by: event.by),
                                context: Outbound.EventContext(revealed: state.votesRevealed))
        if state.votesRevealed, case .cardRestored(let card) = event.body { recorded.context.restoredVotes = state.voteCount(card.id) }
        state.apply(event)
        if case .projectSupported(let project, _, _) = event.body { recorded.context.supportCount = state.projects[project]?.supporters.count }
        recent.append(recorded)
        if recent.count > Self.recentLimit + Self.recentLimit / 4 { recent.removeFirst(recent.count - Self.recentLimit) }
        return recorded
    }

    /// The events after `since` if they are all still in memory.
    func events(after since: Int) -> ArraySlice<Recorded>? {
        if since == state.seq { return [] }
        guard since < state.seq, let first = recent.first, first.event.seq <= since + 1, since >= 1 else { return nil }
        return recent[(since + 1 - first.event.seq)...]
    }

    func answer(for message: String, by actor: ActorID) -> [UInt8]? { answers[actor]?[message] }

    func remember(_ reply: [UInt8], for message: String, by actor: ActorID) {
        if let earlier = answers[actor]?[message] {
            account(actor, -earlier.count)
        } else {
            answerOrder[actor, default: []].append(message)
            if answerOrder[actor]!.count > Self.answersPerActor { forgetOldestAnswer(of: actor) }
        }
        answers[actor, default: [:]][message] = reply
        account(actor, reply.count)
        while totalAnswerBytes > Self.maxAnswerBytesPerRoom,
              let largest = answerBytes.max(by: { $0.value < $1.value })?.key, largest != actor || answerOrder[actor]!.count > 1 {
            forgetOldestAnswer(of: largest)
        }
    }

    private func forgetOldestAnswer(of actor: ActorID) {
        guard let old = answerOrder[actor]?.first else { return }
        answerOrder[actor]!.removeFirst()
        if let reply = answers[actor]?.removeValue(forKey: old) { account(actor, -reply.count) }
    }

    private func account(_ actor: ActorID, _ delta: Int) {
        totalAnswerBytes += delta
        let n = answerBytes[actor, default: 0] + delta
        answerBytes[actor] = n > 0 ? n : nil
    }

    func isOnline(_ actor: ActorID) -> Bool { (online[actor] ?? 0) > 0 }
}

extension Room {
    /// Whether `viewer` may learn that `participant` is online or editing: anyone, except for
    /// someone invited into a working group, who knows only the people of their table.
    func sees(_ participant: ActorID, _ viewer: Actor) -> Bool {
        guard let board = viewer.board else { return true }
        if participant == Actor.facilitatorID { return true }
        guard let group = state.participants[participant]?.group else { return false }
        return state.board(board)?.group == group
    }
}
