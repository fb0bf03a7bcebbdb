import AtelierDomain
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
        var s = Scanner(bytes)
        guard s.take(UInt8(ascii: "{")), let name = s.key(), let event = Events(rawValue: name) else { return nil }
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
             .votesRevealed, .cardsRevealed, .clusterCreated, .clusterRenamed, .commentAdded, .commentDeleted,
             .boardLocked, .boardUnlocked, .projectCreated, .projectUpdated, .projectStatusChanged, .projectSupported,
             .projectSubmitted:
            return nil
        }
        guard let body, s.take(UInt8(ascii: "}")), s.atEnd else { return nil }
        return body
    }

    /// `{"_0": …}`: the single unlabeled value of a case, left for `read` to decode.
    private static func wrapped(_ s: inout Scanner, _ key: String) -> Scanner? {
        guard s.take(UInt8(ascii: "{")), s.key() == key else { return nil }
        let inner = s
        guard s.skipObject(), s.take(UInt8(ascii: "}")) else { return nil }
        return inner
    }

    private static func card(_ start: Scanner) -> Card? {
        var s = start
        var id: String?, board: String?, column: String?, text: String?, x: Double?, y: Double?
        var color: CardColor?, author: String?, version: Int?, cluster: String?, createdSeq: Int?
        var isPrivate = false, hidden = false
        let ok = s.object { s, key in
            switch Card.CodingKeys(rawValue: key) {
            case .id?: id = s.string(); return id != nil
            case .board?: board = s.string(); return board != nil
            case .column?: column = s.string(); return column != nil
            case .text?: text = s.string(); return text != nil
            case .x?: x = s.double(); return x != nil
            case .y?: y = s.double(); return y != nil
            case .color?: color = s.string().flatMap(CardColor.init(rawValue:)); return color != nil
            case .author?: return s.optionalString(&author)
            case .version?: version = s.int(); return version != nil
            case .cluster?: return s.optionalString(&cluster)
            case .createdSeq?: createdSeq = s.int(); return createdSeq != nil
            case .isPrivate?: return s.optionalBool(&isPrivate)
            case .hidden?: return s.optionalBool(&hidden)
            case nil: return false
            }
        }
        guard ok, let id, let board, let column, let text, let x, let y, let color, let version, let createdSeq else { return nil }
        return Card(id: id, board: board, column: column, text: text, x: x, y: y, color: color, author: author,
                    version: version, cluster: cluster, createdSeq: createdSeq, isPrivate: isPrivate, hidden: hidden)
    }

    private static func cardMoved(_ s: inout Scanner) -> EventBody? {
        var card: String?, x: Double?, y: Double?, column: String?, board: String?
        let ok = s.object { s, key in
            switch EventBody.CardMovedCodingKeys(rawValue: key) {
            case .card?: card = s.string(); return card != nil
            case .x?: x = s.double(); return x != nil
            case .y?: y = s.double(); return y != nil
            case .column?: column = s.string(); return column != nil
            case .board?: board = s.string(); return board != nil
            case nil: return false
            }
        }
        guard ok, let card, let x, let y, let column, let board else { return nil }
        return .cardMoved(card: card, x: x, y: y, column: column, board: board)
    }

    private static func cardEdited(_ s: inout Scanner) -> EventBody? {
        var card: String?, text: String?, version: Int?
        let ok = s.object { s, key in
            switch EventBody.CardEditedCodingKeys(rawValue: key) {
            case .card?: card = s.string(); return card != nil
            case .text?: text = s.string(); return text != nil
            case .version?: version = s.int(); return version != nil
            case nil: return false
            }
        }
        guard ok, let card, let text, let version else { return nil }
        return .cardEdited(card: card, text: text, version: version)
    }

    private static func singleCard(_ s: inout Scanner, _ name: String) -> String? {
        var card: String?
        let ok = s.object { s, key in
            guard key == name else { return false }
            card = s.string(); return card != nil
        }
        return ok ? card : nil
    }

    /// `vote.cast` and `vote.retracted` have the same fields (a test checks both key sets agree).
    private static func vote(_ s: inout Scanner) -> (card: String, voter: String, phase: String, total: Int)? {
        var card: String?, voter: String?, phase: String?, total: Int?
        let ok = s.object { s, key in
            switch EventBody.VoteCastCodingKeys(rawValue: key) {
            case .card?: card = s.string(); return card != nil
            case .voter?: voter = s.string(); return voter != nil
            case .phase?: phase = s.string(); return phase != nil
            case .total?: total = s.int(); return total != nil
            case nil: return false
            }
        }
        guard ok, let card, let voter, let phase, let total else { return nil }
        return (card, voter, phase, total)
    }

    private static func cardClustered(_ s: inout Scanner) -> EventBody? {
        var card: String?, cluster: String?
        let ok = s.object { s, key in
            switch EventBody.CardClusteredCodingKeys(rawValue: key) {
            case .card?: card = s.string(); return card != nil
            case .cluster?: return s.optionalString(&cluster)
            case nil: return false
            }
        }
        guard ok, let card else { return nil }
        return .cardClustered(card: card, cluster: cluster)
    }

    /// A cursor over the payload's bytes. Every read returns nil (or false) on anything it does
    /// not expect, never guesses.
    struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var i = 0
        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var atEnd: Bool { skipSpaceIndex() == bytes.count }

        private func skipSpaceIndex() -> Int {
            var j = i
            while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x0A || bytes[j] == 0x0D || bytes[j] == 0x09 { j += 1 }
            return j
        }
        mutating func skipSpace() { i = skipSpaceIndex() }

        mutating func take(_ b: UInt8) -> Bool {
            skipSpace()
            guard i < bytes.count, bytes[i] == b else { return false }
            i += 1
            return true
        }

        /// `"key":`
        mutating func key() -> String? {
            guard let k = string(), take(UInt8(ascii: ":")) else { return nil }
            return k
        }

        /// An object's members, each handed to `member` positioned at its value; false if the
        /// object is malformed or `member` refuses one.
        mutating func object(_ member: (inout Scanner, String) -> Bool) -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            if take(UInt8(ascii: "}")) { return true }
            while true {
                guard let k = key(), member(&self, k) else { return false }
                if take(UInt8(ascii: ",")) { continue }
                return take(UInt8(ascii: "}"))
            }
        }

        /// Skips one object (strings and nesting respected), without decoding it.
        mutating func skipObject() -> Bool {
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return false }
            var depth = 0
            var inString = false
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                if inString {
                    if b == UInt8(ascii: "\\") { i += 1 } else if b == UInt8(ascii: "\"") { inString = false }
                    continue
                }
                switch b {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return true }
                default: break
                }
            }
            return false
        }

        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            var plain = true
            var ascii = true
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { break }
                if b == UInt8(ascii: "\\") { plain = false; i += 2; continue }
                if b < 0x20 { return nil }
                if b >= 0x80 { ascii = false }
                i += 1
            }
            guard i < bytes.count else { return nil }
            let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
            i += 1
            // ASCII is valid UTF-8 as it is (ids, most texts); anything else is validated.
            if plain { return ascii ? String(decoding: raw, as: UTF8.self) : String(validating: raw, as: UTF8.self) }
            var out: [UInt8] = []
            out.reserveCapacity(raw.count)
            var j = 0
            while j < raw.count {
                let b = raw[j]
                j += 1
                guard b == UInt8(ascii: "\\") else { out.append(b); continue }
                guard j < raw.count else { return nil }
                let e = raw[j]
                j += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                default: return nil  // \u and anything else: left to JSONDecoder
                }
            }
            return String(validating: out, as: UTF8.self)
        }

        /// A string, `null`, for an optional (`decodeIfPresent` reads both as such).
        mutating func optionalString(_ into: inout String?) -> Bool {
            if literal("null") { into = nil; return true }
            into = string()
            return into != nil
        }

        mutating func optionalBool(_ into: inout Bool) -> Bool {
            if literal("null") { into = false; return true }
            if literal("true") { into = true; return true }
            if literal("false") { into = false; return true }
            return false
        }

        mutating func literal(_ word: StaticString) -> Bool {
            skipSpace()
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { return false }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }

        /// The bytes of a number token.
        private mutating func numberToken() -> UnsafeRawBufferPointer? {
            skipSpace()
            let start = i
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
                     UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): i += 1
                default:
                    return i > start ? UnsafeRawBufferPointer(rebasing: bytes[start..<i]) : nil
                }
            }
            return i > start ? UnsafeRawBufferPointer(rebasing: bytes[start..<i]) : nil
        }

        /// An integer written as plain digits (what the encoder writes for `Int`); nil otherwise.
        mutating func int() -> Int? {
            guard let t = numberToken() else { return nil }
            return Self.plainInteger(t)
        }

        /// `-?[0-9]{1,15}` as an Int; nil for anything else (fraction, exponent, leading zero, too long).
        static func plainInteger(_ t: UnsafeRawBufferPointer) -> Int? {
            var k = 0
            var negative = false
            if t.count > 0, t[0] == UInt8(ascii: "-") { negative = true; k = 1 }
            let digits = t.count - k
            guard digits >= 1, digits <= 15 else { return nil }
            if digits > 1 && t[k] == UInt8(ascii: "0") { return nil }
            var n = 0
            while k < t.count {
                let d = t[k]
                guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
                n = n * 10 + Int(d - UInt8(ascii: "0"))
                k += 1
            }
            return negative ? -n : n
        }

        /// RFC 8259's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        static func isJSONNumber(_ t: UnsafeRawBufferPointer) -> Bool {
            func digit(_ k: Int) -> Bool { k < t.count && t[k] >= UInt8(ascii: "0") && t[k] <= UInt8(ascii: "9") }
            var k = 0
            if k < t.count, t[k] == UInt8(ascii: "-") { k += 1 }
            guard digit(k) else { return false }
            if t[k] == UInt8(ascii: "0") { k += 1 } else { while digit(k) { k += 1 } }
            if k < t.count, t[k] == UInt8(ascii: ".") {
                k += 1
                guard digit(k) else { return false }
                while digit(k) { k += 1 }
            }
            if k < t.count, t[k] == UInt8(ascii: "e") || t[k] == UInt8(ascii: "E") {
                k += 1
                if k < t.count, t[k] == UInt8(ascii: "+") || t[k] == UInt8(ascii: "-") { k += 1 }
                guard digit(k) else { return false }
                while digit(k) { k += 1 }
            }
            return k == t.count
        }

        /// A number as a Double: small integers exactly, anything else through `Double(String)`
        /// (correctly rounded, like the JSON decoder).
        mutating func double() -> Double? {
            guard let t = numberToken() else { return nil }
            if let n = Self.plainInteger(t) {
                // -0 must stay -0.0, as the decoder reads it.
                return n == 0 && t[0] == UInt8(ascii: "-") ? -0.0 : Double(n)
            }
            guard Self.isJSONNumber(t), let text = String(validating: t, as: UTF8.self), let d = Double(text), d.isFinite else { return nil }
            return d
        }
    }
}
