import AtelierDomain
import AtelierJSON
import Foundation

/// Decodes journal payloads (`EventBody` in the journal format, `AtelierDomain/JournalFormat.swift`) without Foundation's
/// `JSONDecoder` for the events a workshop's journal is mostly made of: card added, moved,
/// edited, deleted, hidden, clustered, votes. Foundation's Codable path was 55 % of the
/// instructions of a restart (BENCHMARKS.md).
///
/// The fast path is strict: it accepts only the shape the encoder writes (one object, keys in any
/// order, no unknown key, plain numbers, simple escapes). Anything else (another event type, a
/// `\u` escape, a missing key, a number it would have to guess about) returns nil and the caller
/// decodes with `JSONDecoder`, so the result is always the one `JSONDecoder` gives
/// (`StoreTests` checks both agree on random events).
enum JournalDecoding {
    // Names are read through the journal format's keys (`AtelierDomain/JournalFormat.swift`), so
    // this fast path cannot drift from what the encoder writes: a key it does not know makes it
    // give up, and a field added to the format fails to compile here until it is read.
    typealias Events = EventBody.CodingKeys

    static func decode(_ bytes: UnsafeRawBufferPointer) -> EventBody? {
        var s = JSONScanner(bytes)
        guard s.take(UInt8(ascii: "{")), let name = s.keyName(), let event = Events(rawValue: name) else { return nil }
        let body: EventBody?
        switch event {
        case .cardMoved: body = cardMoved(&s)
        case .cardEdited: body = cardEdited(&s)
        case .cardAdded: body = wrapped(&s, EventBody.CardAddedCodingKeys._0.rawValue).flatMap(card).map(EventBody.cardAdded)
        case .cardRestored: body = wrapped(&s, EventBody.CardRestoredCodingKeys._0.rawValue).flatMap(card).map(EventBody.cardRestored)
        case .cardDeleted: body = singleCard(&s, EventBody.CardDeletedCodingKeys.card.rawValue).map { EventBody.cardDeleted(card: $0) }
        case .cardHidden: body = singleCard(&s, EventBody.CardHiddenCodingKeys.card.rawValue).map { EventBody.cardHidden(card: $0) }
        case .voteCast: body = vote(&s).map { EventBody.voteCast(card: $0.card, voter: $0.voter, phase: $0.phase, total: $0.total) }
        case .voteRetracted: body = vote(&s).map { EventBody.voteRetracted(card: $0.card, voter: $0.voter, phase: $0.phase, total: $0.total) }
        case .cardClustered: body = cardClustered(&s)
        // The rarer events: JSONDecoder, through the same keys.
        case .workshopCreated, .participantJoined, .phaseChanged, .participantAssigned, .rotationAdvanced, .hostAssigned,
             .participantRemoved, .participantErased, .timerStarted, .timerPaused, .timerResumed, .timerStopped, .timerEnded,
             .announcementMade, .workshopPaused, .workshopResumed, .workshopClosed, .viewFocused, .settingsUpdated,
             .votesRevealed, .votesClosed, .announcementWithdrawn, .projectorShown, .cardsRevealed, .clusterCreated, .clusterRenamed, .commentAdded, .commentDeleted,
             .boardLocked, .boardUnlocked, .projectCreated, .projectUpdated, .projectStatusChanged, .projectSupported,
             .projectSubmitted, .dossierFollowed, .webhookQueued, .webhookAttempted, .webhookRedelivered,
             .groupOpened, .groupEnded, .groupInvited, .groupInvitationRevoked, .workshopCarried:
            return nil
        }
        guard let body, s.take(UInt8(ascii: "}")), s.atEnd else { return nil }
        return body
    }

    /// `{"_0": …}`: the single unlabeled value of a case, left for `read` to decode.
    private static func wrapped(_ s: inout JSONScanner, _ key: String) -> JSONScanner? {
        guard s.take(UInt8(ascii: "{")), s.keyName() == key else { return nil }
        let inner = s
        guard s.peek() == UInt8(ascii: "{"), (try? s.skipValue()) != nil, s.take(UInt8(ascii: "}")) else { return nil }
        return inner
    }

    private static func card(_ start: JSONScanner) -> Card? {
        var s = start
        var id: String?, board: String?, column: String?, text: String?, x: Double?, y: Double?
        var color: CardColor?, author: String?, version: Int?, cluster: String?, createdSeq: Int?
        var isPrivate = false, hidden = false
        let ok = s.members { s, key in
            switch Card.CodingKeys(rawValue: key) {
            case .id?: id = s.stringValue(); return id != nil
            case .board?: board = s.stringValue(); return board != nil
            case .column?: column = s.stringValue(); return column != nil
            case .text?: text = s.stringValue(); return text != nil
            case .x?: x = s.doubleValue(); return x != nil
            case .y?: y = s.doubleValue(); return y != nil
            case .color?: color = s.stringValue().flatMap(CardColor.init(rawValue:)); return color != nil
            case .author?: return s.optionalString(&author)
            case .version?: version = s.intValue(); return version != nil
            case .cluster?: return s.optionalString(&cluster)
            case .createdSeq?: createdSeq = s.intValue(); return createdSeq != nil
            case .isPrivate?: return s.optionalBool(&isPrivate)
            case .hidden?: return s.optionalBool(&hidden)
            case nil: return false
            }
        }
        guard ok, let id, let board, let column, let text, let x, let y, let color, let version, let createdSeq else { return nil }
        return Card(id: id, board: board, column: column, text: text, x: x, y: y, color: color, author: author,
                    version: version, cluster: cluster, createdSeq: createdSeq, isPrivate: isPrivate, hidden: hidden)
    }

    private static func cardMoved(_ s: inout JSONScanner) -> EventBody? {
        var card: String?, x: Double?, y: Double?, column: String?, board: String?
        let ok = s.members { s, key in
            switch EventBody.CardMovedCodingKeys(rawValue: key) {
            case .card?: card = s.stringValue(); return card != nil
            case .x?: x = s.doubleValue(); return x != nil
            case .y?: y = s.doubleValue(); return y != nil
            case .column?: column = s.stringValue(); return column != nil
            case .board?: board = s.stringValue(); return board != nil
            case nil: return false
            }
        }
        guard ok, let card, let x, let y, let column, let board else { return nil }
        return .cardMoved(card: card, x: x, y: y, column: column, board: board)
    }

    private static func cardEdited(_ s: inout JSONScanner) -> EventBody? {
        var card: String?, text: String?, version: Int?
        let ok = s.members { s, key in
            switch EventBody.CardEditedCodingKeys(rawValue: key) {
            case .card?: card = s.stringValue(); return card != nil
            case .text?: text = s.stringValue(); return text != nil
            case .version?: version = s.intValue(); return version != nil
            case nil: return false
            }
        }
        guard ok, let card, let text, let version else { return nil }
        return .cardEdited(card: card, text: text, version: version)
    }

    private static func singleCard(_ s: inout JSONScanner, _ name: String) -> String? {
        var card: String?
        let ok = s.members { s, key in
            guard key == name else { return false }
            card = s.stringValue(); return card != nil
        }
        return ok ? card : nil
    }

    /// `vote.cast` and `vote.retracted` have the same fields (a test checks both key sets agree).
    private static func vote(_ s: inout JSONScanner) -> (card: String, voter: String, phase: String, total: Int)? {
        var card: String?, voter: String?, phase: String?, total: Int?
        let ok = s.members { s, key in
            switch EventBody.VoteCastCodingKeys(rawValue: key) {
            case .card?: card = s.stringValue(); return card != nil
            case .voter?: voter = s.stringValue(); return voter != nil
            case .phase?: phase = s.stringValue(); return phase != nil
            case .total?: total = s.intValue(); return total != nil
            case nil: return false
            }
        }
        guard ok, let card, let voter, let phase, let total else { return nil }
        return (card, voter, phase, total)
    }

    private static func cardClustered(_ s: inout JSONScanner) -> EventBody? {
        var card: String?, cluster: String?
        let ok = s.members { s, key in
            switch EventBody.CardClusteredCodingKeys(rawValue: key) {
            case .card?: card = s.stringValue(); return card != nil
            case .cluster?: return s.optionalString(&cluster)
            case nil: return false
            }
        }
        guard ok, let card else { return nil }
        return .cardClustered(card: card, cluster: cluster)
    }
}

/// The journal decoder's way of reading with the shared scanner: nil (or false) on anything it
/// does not expect, so that the caller falls back to `JSONDecoder` rather than guess.
extension JSONScanner {
    mutating func keyName() -> String? { try? key() }
    mutating func stringValue() -> String? { try? string() }

    /// An integer written as plain digits (what the encoder writes for `Int`); nil otherwise.
    mutating func intValue() -> Int? { (try? number()).flatMap(Self.plainInteger) }
    mutating func doubleValue() -> Double? { (try? number()).flatMap(Self.double) }

    /// A string, or `null` for an optional (`decodeIfPresent` reads both as such).
    mutating func optionalString(_ into: inout String?) -> Bool {
        if literal("null") { into = nil; return true }
        into = stringValue()
        return into != nil
    }

    mutating func optionalBool(_ into: inout Bool) -> Bool {
        if literal("null") { into = false; return true }
        if literal("true") { into = true; return true }
        if literal("false") { into = false; return true }
        return false
    }

    /// An object's members, each handed to `member` positioned at its value; false if the object
    /// is malformed or `member` refuses one.
    mutating func members(_ member: (inout JSONScanner, String) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        while true {
            guard let k = keyName(), member(&self, k) else { return false }
            if take(UInt8(ascii: ",")) { continue }
            return take(UInt8(ascii: "}"))
        }
    }
}
