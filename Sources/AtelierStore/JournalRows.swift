import AtelierDomain
import Foundation

/// What every store writes and reads the same way, whatever the database: the payload of each
/// event (its personal profile taken out), what an event does to the other tables, the check that
/// seqs continue the journal, and the replay of stored rows into `JournalEntry`s. `SQLiteStore` and
/// `PostgresStore` differ only in the SQL around these.
enum JournalRows {
    /// One journal entry as it is stored.
    struct Prepared {
        var workshop: WorkshopID
        var seq: Int
        var at: Int64
        var actor: ActorID?
        var message: String?
        /// The event's wire type (`event.type`).
        var type: String
        /// The journal payload (`AtelierDomain/JournalFormat.swift`), without any name.
        var payload: Data
        var effect: Effect
    }

    /// What an event changes beside the journal.
    enum Effect {
        case none
        /// `participant.joined`: the person's row (name and organisation live there, never in the journal).
        case joined(ActorID, Profile?)
        /// `participant.erased`: the person's name and organisation are emptied.
        case erased(ActorID)
        /// `workshop.closed`: the workshop's row says so, with when (for retention).
        case closed
    }

    /// The entries of a batch as they are written.
    static func prepare(_ entries: [JournalEntry]) throws -> [Prepared] {
        // JSONEncoder only for the rare events the fast encoder does not write.
        var made: JSONEncoder?
        func encoder() -> JSONEncoder {
            if let made { return made }
            let encoder = SQLiteStore.payloadEncoder()
            made = encoder
            return encoder
        }
        return try entries.map { entry in
            var body = entry.event.body
            var effect = Effect.none
            switch body {
            case .participantJoined(var p):
                effect = .joined(p.id, p.profile)
                p.profile = nil
                body = .participantJoined(p)
            case .participantErased(let participant):
                effect = .erased(participant)
            case .workshopClosed:
                effect = .closed
            default:
                break
            }
            return Prepared(workshop: entry.workshop, seq: entry.event.seq, at: entry.event.at, actor: entry.event.by,
                            message: entry.message, type: body.wireType.rawValue,
                            payload: try payload(body, encoder()), effect: effect)
        }
    }

    /// One event's stored bytes: the fast encoder's for the everyday events, `JSONEncoder`'s
    /// otherwise; the same bytes either way (`JournalFormatTests`, `JournalDecodingTests`).
    static func payload(_ body: EventBody, _ encoder: @autoclosure () -> JSONEncoder) throws -> Data {
        try JournalEncoding.encode(body) ?? SQLiteStore.payload(body, encoder())
    }

    /// Checks that each workshop's entries continue its journal without a gap or a seq taken twice;
    /// `lastSeq` gives the journal's last seq (0 when empty). Returns, per workshop in order of first
    /// appearance, the last seq before and after the batch.
    @discardableResult
    static func checkContiguity(_ entries: [JournalEntry], lastSeq: (WorkshopID) throws -> Int) throws
        -> [(workshop: WorkshopID, before: Int, after: Int)] {
        var next: [WorkshopID: Int] = [:]
        var order: [(WorkshopID, Int)] = []
        for entry in entries {
            let expected: Int
            if let n = next[entry.workshop] {
                expected = n
            } else {
                let last = try lastSeq(entry.workshop)
                order.append((entry.workshop, last))
                expected = last + 1
            }
            guard entry.event.seq == expected else {
                throw StoreError.gap(workshop: entry.workshop, expected: expected, got: entry.event.seq)
            }
            next[entry.workshop] = expected + 1
        }
        return order.map { ($0.0, $0.1, next[$0.0]! - 1) }
    }

    /// Rebuilds a workshop's entries from its rows, in seq order: contiguous from 1, the first one
    /// `workshop.created`, each `participant.joined` given back its profile.
    struct Reader {
        let workshop: WorkshopID
        let profiles: [ActorID: Profile]
        private let decoder = JSONDecoder()
        /// The seq the rows start at (1 for a whole journal; later for a range, `EventStore.events`).
        private let first: Int
        private(set) var entries: [JournalEntry] = []

        init(workshop: WorkshopID, profiles: [ActorID: Profile], expectedCount: Int = 0, first: Int = 1) {
            self.workshop = workshop
            self.profiles = profiles
            self.first = first
            // A hint, bounded: a range asked "to the end" (`through: Int.max`) must not reserve it.
            entries.reserveCapacity(min(max(0, expectedCount), 1 << 16))
        }

        mutating func append(seq: Int, at: Int64, actor: ActorID?, message: String?, payload: UnsafeRawBufferPointer) throws {
            let expected = first + entries.count
            guard seq == expected else { throw StoreError.gap(workshop: workshop, expected: expected, got: seq) }
            var body: EventBody
            do {
                body = try JournalRows.decodeBody(payload, decoder: decoder)
            } catch {
                throw StoreError.undecodable(workshop: workshop, seq: seq, reason: "\(error)")
            }
            if case .participantJoined(var p) = body {
                p.profile = profiles[p.id]
                body = .participantJoined(p)
            }
            if seq == 1, case .workshopCreated = body {} else if seq == 1 {
                throw StoreError.undecodable(workshop: workshop, seq: seq, reason: "first event is not workshop.created")
            }
            entries.append(JournalEntry(workshop: workshop, event: Event(seq: seq, at: at, by: actor, body: body), message: message))
        }
    }

    /// One journal payload: the common events by `JournalDecoding`'s fast path, the rest (and
    /// anything it does not recognise) by `JSONDecoder`.
    static func decodeBody(_ payload: UnsafeRawBufferPointer, decoder: JSONDecoder) throws -> EventBody {
        if let body = JournalDecoding.decode(payload) { return body }
        return try decoder.decode(EventBody.self, from: Data(payload))
    }
}
