/// Just enough JSON reading for the client's hot path, without allocating: split a server frame
/// (one object, or an array of objects: the server coalesces) into messages, and find a
/// message's top-level fields. Values come back as byte ranges of the frame; strings are not
/// unescaped (the bench only reads ASCII it wrote itself, ids and numbers).
struct ByteSlice {
    let base: UnsafePointer<UInt8>
    let start: Int
    let end: Int   // exclusive

    var count: Int { end - start }
    subscript(i: Int) -> UInt8 { base[i] }

    /// The slice between the quotes, when it is a string value.
    var stringContents: ByteSlice? {
        guard count >= 2, base[start] == UInt8(ascii: "\""), base[end - 1] == UInt8(ascii: "\"") else { return nil }
        return ByteSlice(base: base, start: start + 1, end: end - 1)
    }

    func equals(_ s: StaticString) -> Bool {
        guard s.utf8CodeUnitCount == count else { return false }
        let p = s.utf8Start
        for i in 0..<count where base[start + i] != p[i] { return false }
        return true
    }

    func hasPrefix(_ s: StaticString) -> Bool {
        guard s.utf8CodeUnitCount <= count else { return false }
        let p = s.utf8Start
        for i in 0..<s.utf8CodeUnitCount where base[start + i] != p[i] { return false }
        return true
    }

    /// A non-negative decimal integer (a JSON number or the digits of a string).
    var integer: Int64? {
        var i = start
        if i < end, base[i] == UInt8(ascii: "\"") { i += 1 }
        var n: Int64 = 0
        var digits = 0
        while i < end, base[i] >= 48, base[i] <= 57 { n = n &* 10 &+ Int64(base[i] - 48); i += 1; digits += 1 }
        return digits > 0 ? n : nil
    }

    var string: String { String(decoding: UnsafeBufferPointer(start: base + start, count: count), as: UTF8.self) }

    /// The integer after `key` (e.g. "t=") inside this slice, scanning left to right.
    func number(after key: StaticString) -> Int64? {
        let k = key.utf8Start, kn = key.utf8CodeUnitCount
        guard kn > 0, count >= kn else { return nil }
        var i = start
        while i + kn <= end {
            var match = true
            for j in 0..<kn where base[i + j] != k[j] { match = false; break }
            if match {
                var n: Int64 = 0
                var p = i + kn
                var digits = 0
                while p < end, base[p] >= 48, base[p] <= 57 { n = n &* 10 &+ Int64(base[p] - 48); p += 1; digits += 1 }
                if digits > 0 { return n }
            }
            i += 1
        }
        return nil
    }
}

enum FrameScanner {
    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    static let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")

    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// The index just past the JSON value that starts at `i` (string, object, array, or scalar).
    static func skipValue(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        guard i < end else { return end }
        let c = p[i]
        if c == quote {
            var j = i + 1
            while j < end {
                if p[j] == backslash { j += 2; continue }
                if p[j] == quote { return j + 1 }
                j += 1
            }
            return end
        }
        if c == openBrace || c == openBracket {
            var depth = 0
            var j = i
            while j < end {
                let b = p[j]
                if b == quote {
                    j += 1
                    while j < end, p[j] != quote { if p[j] == backslash { j += 1 }; j += 1 }
                } else if b == openBrace || b == openBracket {
                    depth += 1
                } else if b == closeBrace || b == closeBracket {
                    depth -= 1
                    if depth == 0 { return j + 1 }
                }
                j += 1
            }
            return end
        }
        var j = i
        while j < end, p[j] != comma, p[j] != closeBrace, p[j] != closeBracket, !isSpace(p[j]) { j += 1 }
        return j
    }

    /// Calls `body` with each message of a frame: the frame itself when it is an object, each
    /// element when it is an array. Returns the number of messages.
    @discardableResult
    static func forEachMessage(_ p: UnsafePointer<UInt8>, count: Int, _ body: (ByteSlice) -> Void) -> Int {
        var i = 0
        while i < count, isSpace(p[i]) { i += 1 }
        guard i < count else { return 0 }
        if p[i] == openBrace {
            body(ByteSlice(base: p, start: i, end: skipValue(p, i, count)))
            return 1
        }
        guard p[i] == openBracket else { return 0 }
        i += 1
        var n = 0
        while i < count {
            while i < count, isSpace(p[i]) || p[i] == comma { i += 1 }
            guard i < count, p[i] != closeBracket else { break }
            let end = skipValue(p, i, count)
            body(ByteSlice(base: p, start: i, end: end))
            n += 1
            i = end
        }
        return n
    }

    /// Calls `body(key, value)` for each top-level field of an object (key without its quotes).
    /// `body` returns false to stop early.
    static func forEachField(of object: ByteSlice, _ body: (ByteSlice, ByteSlice) -> Bool) {
        let p = object.base, end = object.end
        var i = object.start
        guard i < end, p[i] == openBrace else { return }
        i += 1
        while i < end {
            while i < end, isSpace(p[i]) || p[i] == comma { i += 1 }
            guard i < end, p[i] == quote else { return }
            let keyEnd = skipValue(p, i, end)
            let key = ByteSlice(base: p, start: i + 1, end: max(i + 1, keyEnd - 1))
            i = keyEnd
            while i < end, isSpace(p[i]) || p[i] == colon { i += 1 }
            let valueEnd = skipValue(p, i, end)
            if !body(key, ByteSlice(base: p, start: i, end: valueEnd)) { return }
            i = valueEnd
        }
    }

    /// The top-level field `name` of an object.
    static func field(_ name: StaticString, of object: ByteSlice) -> ByteSlice? {
        var found: ByteSlice?
        forEachField(of: object) { key, value in
            if key.equals(name) { found = value; return false }
            return true
        }
        return found
    }
}

/// What the bench needs from one server message.
struct ServerMessage {
    enum Kind { case event, ack, welcome, error, presence, pong, other }
    var kind: Kind = .other
    /// `seq` of an event, an ack or a welcome.
    var seq: Int64?
    /// `re` of an ack or error (the client message id).
    var re: ByteSlice?
    /// The card's text for `card.added`.
    var cardText: ByteSlice?
    /// The created card's id in an ack's `result`.
    var resultCard: ByteSlice?
    /// The error code.
    var code: ByteSlice?

    /// Reads an Atelier server message (docs/protocol.md shapes).
    static func parse(_ object: ByteSlice) -> ServerMessage {
        var m = ServerMessage()
        var isCardAdded = false
        FrameScanner.forEachField(of: object) { key, value in
            if key.equals("type") {
                guard let t = value.stringContents else { return true }
                if t.equals("ack") { m.kind = .ack }
                else if t.equals("welcome") { m.kind = .welcome }
                else if t.equals("error") { m.kind = .error }
                else if t.equals("presence") { m.kind = .presence }
                else if t.equals("pong") { m.kind = .pong }
                else { m.kind = .event; isCardAdded = t.equals("card.added") }
            } else if key.equals("seq") {
                m.seq = value.integer
            } else if key.equals("re") {
                m.re = value.stringContents
            } else if key.equals("code") {
                m.code = value.stringContents
            } else if key.equals("card") {
                if isCardAdded, let text = FrameScanner.field("text", of: value) { m.cardText = text.stringContents }
            } else if key.equals("result") {
                if let card = FrameScanner.field("card", of: value) { m.resultCard = card.stringContents }
            } else if key.equals("workshop") || key.equals("events") {
                return m.kind != .welcome   // a welcome's seq comes before its (big) snapshot: stop there
            }
            return true
        }
        return m
    }
}
