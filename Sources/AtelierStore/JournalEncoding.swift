import AtelierDomain
import Foundation

/// Encodes journal payloads without Foundation's `JSONEncoder` for the events a workshop's
/// journal is mostly made of (cards added, moved, edited, deleted, hidden, restored, clustered,
/// votes): the bytes `JSONEncoder` with `.sortedKeys` writes, byte for byte. `JSONEncoder` was
/// about a fifth of the journal writer thread's time at 300 `card.add` a second (BENCHMARKS.md,
/// issue 16), most of it spent on its generic machinery for payloads of a few hundred bytes.
///
/// The mirror of `JournalDecoding`, and as strict: anything it is not sure to write as
/// `JSONEncoder` does (another event type, a text with a control character other than a line
/// feed or a tab, a number `JSONEncoder` might write in exponent form, -0) returns nil and the
/// caller encodes with `JSONEncoder`. `JournalEncodingTests` checks both write the same bytes on
/// random events, and the format tests check the recorded bytes of every event.
enum JournalEncoding {
    typealias Events = EventBody.CodingKeys

    static func encode(_ body: EventBody) -> Data? {
        var w = Writer()
        switch body {
        case .cardAdded(let card):
            w.open(Events.cardAdded.rawValue)
            w.open(EventBody.CardAddedCodingKeys._0.rawValue)
            guard w.card(card) else { return nil }
            w.close(2)
        case .cardRestored(let card):
            w.open(Events.cardRestored.rawValue)
            w.open(EventBody.CardRestoredCodingKeys._0.rawValue)
            guard w.card(card) else { return nil }
            w.close(2)
        case .cardMoved(let card, let x, let y, let column, let board):
            w.open(Events.cardMoved.rawValue)
            let ok = w.object(JournalEncoding.cardMovedKeys) { w, key in
                switch key {
                case .card: w.string(card)
                case .x: w.number(x)
                case .y: w.number(y)
                case .column: w.string(column)
                case .board: w.string(board)
                }
            }
            guard ok else { return nil }
            w.close(1)
        case .cardEdited(let card, let text, let version):
            w.open(Events.cardEdited.rawValue)
            let ok = w.object(JournalEncoding.cardEditedKeys) { w, key in
                switch key {
                case .card: w.string(card)
                case .text: w.string(text)
                case .version: w.int(version)
                }
            }
            guard ok else { return nil }
            w.close(1)
        case .cardDeleted(let card):
            w.open(Events.cardDeleted.rawValue)
            guard w.object(JournalEncoding.cardDeletedKeys, { w, _ in w.string(card) }) else { return nil }
            w.close(1)
        case .cardHidden(let card):
            w.open(Events.cardHidden.rawValue)
            guard w.object(JournalEncoding.cardHiddenKeys, { w, _ in w.string(card) }) else { return nil }
            w.close(1)
        case .voteCast(let card, let voter, let phase, let total), .voteRetracted(let card, let voter, let phase, let total):
            if case .voteCast = body { w.open(Events.voteCast.rawValue) } else { w.open(Events.voteRetracted.rawValue) }
            // Both have the same keys (`JournalDecodingTests.voteEventsShareTheirFields`).
            let ok = w.object(JournalEncoding.voteKeys) { w, key in
                switch key {
                case .card: w.string(card)
                case .voter: w.string(voter)
                case .phase: w.string(phase)
                case .total: w.int(total)
                }
            }
            guard ok else { return nil }
            w.close(1)
        case .cardClustered(let card, let cluster):
            w.open(Events.cardClustered.rawValue)
            // `encodeIfPresent`: a nil cluster is left out.
            let keys = cluster == nil ? JournalEncoding.cardClusteredKeysWithoutCluster : JournalEncoding.cardClusteredKeys
            let ok = w.object(keys) { w, key in
                switch key {
                case .card: w.string(card)
                case .cluster: w.string(cluster ?? "")
                }
            }
            guard ok else { return nil }
            w.close(1)
        default:
            return nil
        }
        return w.failed ? nil : Data(w.bytes)
    }

    struct Writer {
        var bytes: [UInt8] = []
        /// Set when a value is one `JSONEncoder` might write differently: the caller falls back.
        var failed = false

        init() { bytes.reserveCapacity(256) }

        /// `{"name":` — an object with one member whose value follows.
        mutating func open(_ name: String) {
            bytes.append(UInt8(ascii: "{"))
            string(name)
            bytes.append(UInt8(ascii: ":"))
        }

        mutating func close(_ count: Int) {
            for _ in 0..<count { bytes.append(UInt8(ascii: "}")) }
        }

        /// An object of `keys` (already in `JSONEncoder`'s sorted order), each value written by `value`.
        mutating func object<K: CodingKey>(_ keys: [K], _ value: (inout Writer, K) -> Void) -> Bool {
            bytes.append(UInt8(ascii: "{"))
            for (i, key) in keys.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                string(key.stringValue)
                bytes.append(UInt8(ascii: ":"))
                value(&self, key)
            }
            bytes.append(UInt8(ascii: "}"))
            return !failed
        }

        mutating func card(_ card: Card) -> Bool {
            var keys = JournalEncoding.cardKeys
            // `encodeIfPresent`: nil optionals are left out.
            if card.author == nil || card.cluster == nil { keys.removeAll { ($0 == .author && card.author == nil) || ($0 == .cluster && card.cluster == nil) } }
            return object(keys) { w, key in
                switch key {
                case .id: w.string(card.id)
                case .board: w.string(card.board)
                case .column: w.string(card.column)
                case .text: w.string(card.text)
                case .x: w.number(card.x)
                case .y: w.number(card.y)
                case .color: w.string(card.color.rawValue)
                case .author: w.string(card.author ?? "")
                case .version: w.int(card.version)
                case .cluster: w.string(card.cluster ?? "")
                case .createdSeq: w.int(card.createdSeq)
                case .isPrivate: w.bool(card.isPrivate)
                case .hidden: w.bool(card.hidden)
                }
            }
        }

        mutating func bool(_ b: Bool) { bytes.append(contentsOf: b ? Self.trueBytes : Self.falseBytes) }
        mutating func int(_ n: Int) { bytes.append(contentsOf: String(n).utf8) }

        /// Whole numbers below 2^53 as integers; others as Swift's shortest round-trip form, unless
        /// it would take an exponent (`JSONEncoder`'s choice there is its own) or the value is -0.
        mutating func number(_ d: Double) {
            guard d.isFinite, !(d == 0 && d.sign == .minus) else { failed = true; return }
            if d == d.rounded(.towardZero), abs(d) < 9_007_199_254_740_992 {
                bytes.append(contentsOf: String(Int64(d)).utf8)
                return
            }
            let text = String(d)
            guard !text.utf8.contains(UInt8(ascii: "e")) else { failed = true; return }
            bytes.append(contentsOf: text.utf8)
        }

        /// `"` and `\` escaped, `/` as `\/` (`JSONEncoder` escapes slashes by default), line feed
        /// and tab as `\n` and `\t`. Any other control character: fall back (the text hygiene of
        /// `Limits.normalized` removes them from what people type anyway).
        mutating func string(_ s: String) {
            bytes.append(UInt8(ascii: "\""))
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                    bytes.append(0x5C); bytes.append(b)
                case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
                case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
                case 0..<0x20: failed = true
                default: bytes.append(b)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }

        static let trueBytes = Array("true".utf8)
        static let falseBytes = Array("false".utf8)
    }
}

extension JournalEncoding {
    /// Each object's keys in the order `JSONEncoder.OutputFormatting.sortedKeys` writes them (by
    /// UTF-8 bytes), worked out once from the format's keys.
    static func sorted<K: CodingKey & CaseIterable>(_: K.Type) -> [K] {
        K.allCases.sorted { $0.stringValue.utf8.lexicographicallyPrecedes($1.stringValue.utf8) }
    }
    static let cardKeys = sorted(Card.CodingKeys.self)
    static let cardMovedKeys = sorted(EventBody.CardMovedCodingKeys.self)
    static let cardEditedKeys = sorted(EventBody.CardEditedCodingKeys.self)
    static let cardDeletedKeys = sorted(EventBody.CardDeletedCodingKeys.self)
    static let cardHiddenKeys = sorted(EventBody.CardHiddenCodingKeys.self)
    static let voteKeys = sorted(EventBody.VoteCastCodingKeys.self)
    static let cardClusteredKeys = sorted(EventBody.CardClusteredCodingKeys.self)
    static let cardClusteredKeysWithoutCluster = cardClusteredKeys.filter { $0 != .cluster }
}
