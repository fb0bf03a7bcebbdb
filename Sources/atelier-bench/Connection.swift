/// One client connection, confined to the engine's service thread.
final class Connection {
    enum State { case idle, connecting, open, joined, closed, failed }

    let index: Int
    /// Workshop (or mirror instance) and rank within it.
    let room: Int
    let member: Int
    /// Whether it sends when a load runs (idle connections only receive).
    var active = true
    var wsi: OpaquePointer?
    var state: State = .idle
    var attempts = 0
    var retryAt: Int64 = 0
    var joinPending = false
    var writeRequested = false
    /// A message arriving in several fragments.
    var rx: [UInt8] = []

    // Sending.
    var nextDue: Int64 = 0
    var sent = 0
    var answered = 0
    var addsSent = 0
    var cards: [String] = []

    // Receiving: Atelier's next expected seq; the mirror's next counter per sender of the room.
    var nextSeq: Int64 = 0
    var expected: [Int32] = []

    init(index: Int, room: Int, member: Int) { self.index = index; self.room = room; self.member = member }
    var inFlight: Int { sent - answered }
}

/// What a load sends, and when.
struct LoadPlan: Sendable {
    enum Pacing: Sendable, Equatable {
        case none
        /// Each sender sends `perSecond` messages a second, evenly spaced, each on its own
        /// phase so the room's senders do not fire together.
        case open(perSecond: Double)
        /// Each sender keeps `window` commands unanswered (Atelier: until acked).
        case closed(window: Int)
    }
    enum Command: Sendable, Equatable {
        /// `card.add` with the timestamp in its text (Atelier) or the timestamped payload (mirror).
        case change
        /// Cold-start fill: a few `card.add`, then `card.move` of one's own cards.
        case fill(cardsPerSender: Int)
    }
    var pacing: Pacing = .none
    var command: Command = .change
    var measureStart: Int64 = .max
    var measureEnd: Int64 = .max
    var sendStop: Int64 = .max
    /// Stop sending once this many commands went out in total (fill).
    var totalLimit = Int.max
}
