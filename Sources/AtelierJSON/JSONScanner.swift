/// The one byte-level JSON lexer of Atelier: a cursor over UTF-8 bytes that reads whitespace,
/// punctuation, literals, strings (every escape of RFC 8259) and numbers (its grammar, checked).
/// ``JSONParser`` builds trees of client messages with it; the journal's fast decoder
/// (`AtelierStore/JournalDecoding.swift`) streams events with it, without a tree.
///
/// Every read either succeeds or throws / returns false without trapping, whatever the bytes.
public struct JSONScanner {
    // Inlinable: the journal decoder (another module) reads a million events with it at start-up,
    // and a call per byte across modules cost 75 % more time (BENCHMARKS.md "cold start").
    public let bytes: UnsafeRawBufferPointer
    /// The position of the next byte to read.
    public var offset = 0

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inlinable
    public func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: offset, reason: reason) }

    @inlinable
    public mutating func skipSpace() {
        while offset < bytes.count, bytes[offset] == 0x20 || bytes[offset] == 0x0A || bytes[offset] == 0x0D || bytes[offset] == 0x09 {
            offset += 1
        }
    }

    /// Nothing but whitespace left.
    @inlinable
    public var atEnd: Bool {
        mutating get { skipSpace(); return offset == bytes.count }
    }

    /// The next byte after whitespace, not consumed.
    @inlinable
    public mutating func peek() -> UInt8? {
        skipSpace()
        return offset < bytes.count ? bytes[offset] : nil
    }

    /// Consumes `b` (after whitespace) if it is next.
    @inlinable
    public mutating func take(_ b: UInt8) -> Bool {
        guard peek() == b else { return false }
        offset += 1
        return true
    }

    @inlinable
    public mutating func expect(_ b: UInt8) throws(JSONParseError) {
        guard take(b) else { throw fail("« \(Character(Unicode.Scalar(b))) » attendu") }
    }

    /// Consumes `word` (after whitespace) if it is next.
    @inlinable
    public mutating func literal(_ word: StaticString) -> Bool {
        skipSpace()
        let n = word.utf8CodeUnitCount
        guard offset + n <= bytes.count else { return false }
        for k in 0..<n where bytes[offset + k] != word.utf8Start[k] { return false }
        offset += n
        return true
    }

    /// `"key":`
    @inlinable
    public mutating func key() throws(JSONParseError) -> String {
        let k = try string()
        guard take(UInt8(ascii: ":")) else { throw fail("« : » attendu") }
        return k
    }

    /// A string. Without escapes (ids, most texts) its bytes are taken as they are; otherwise
    /// every escape is decoded, `\u` surrogate pairs included.
    @inlinable
    public mutating func string() throws(JSONParseError) -> String {
        try expect(UInt8(ascii: "\""))
        let start = offset
        var escaped = false
        while true {
            guard offset < bytes.count else { throw fail("chaîne non terminée") }
            let b = bytes[offset]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 { throw fail("caractère de contrôle dans une chaîne") }
            if b == UInt8(ascii: "\\") { escaped = true; offset += 2; continue }
            offset += 1
        }
        let end = offset
        offset += 1
        // Input was UTF-8-validated upstream (transport, SQLite); decoding repairs anything else rather than trap.
        if !escaped { return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        var j = start
        func failAt(_ reason: String) -> JSONParseError { JSONParseError(offset: j, reason: reason) }
        func hex4() throws(JSONParseError) -> UInt32 {
            guard j + 4 <= end else { throw failAt("échappement \\u incomplet") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let h = bytes[j]; j += 1
                v <<= 4
                switch h {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v |= UInt32(h - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v |= UInt32(h - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): v |= UInt32(h - UInt8(ascii: "A") + 10)
                default: throw failAt("échappement \\u invalide")
                }
            }
            return v
        }
        while j < end {
            let b = bytes[j]
            j += 1
            guard b == UInt8(ascii: "\\") else { out.append(b); continue }
            guard j < end else { throw failAt("chaîne non terminée") }
            let e = bytes[j]
            j += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard j + 1 < end, bytes[j] == UInt8(ascii: "\\"), bytes[j + 1] == UInt8(ascii: "u") else {
                        throw failAt("paire de substitution incomplète")
                    }
                    j += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw failAt("paire de substitution invalide") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw failAt("paire de substitution invalide")
                }
                guard let u = Unicode.Scalar(scalar) else { throw failAt("caractère invalide") }
                out.append(contentsOf: String(Character(u)).utf8)
            default: throw failAt("échappement inconnu")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of one number, checked against RFC 8259's grammar:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    @inlinable
    public mutating func number() throws(JSONParseError) -> UnsafeRawBufferPointer {
        skipSpace()
        let start = offset
        func digit() -> Bool { offset < bytes.count && bytes[offset] >= UInt8(ascii: "0") && bytes[offset] <= UInt8(ascii: "9") }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard digit() else { throw fail(offset >= bytes.count ? "nombre incomplet" : "nombre invalide") }
        if bytes[offset] == UInt8(ascii: "0") { offset += 1 } else { while digit() { offset += 1 } }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digit() else { throw fail("nombre invalide") }
            while digit() { offset += 1 }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digit() else { throw fail("nombre invalide") }
            while digit() { offset += 1 }
        }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
    }

    /// `-?[0-9]{1,15}` (no fraction, no exponent, no leading zero) as an Int; nil otherwise.
    @inlinable
    public static func plainInteger(_ t: UnsafeRawBufferPointer) -> Int? {
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

    /// A number token as a finite Double: small integers exactly, anything else through
    /// `Double(String)` (correctly rounded, like Foundation's JSON decoder).
    @inlinable
    public static func double(_ t: UnsafeRawBufferPointer) -> Double? {
        // -0 stays -0.0, as Foundation's decoder reads it.
        if let n = plainInteger(t) { return n == 0 && t[0] == UInt8(ascii: "-") ? -0.0 : Double(n) }
        guard let d = Double(String(decoding: t, as: UTF8.self)), d.isFinite else { return nil }
        return d
    }

    /// Skips one value of any kind (strings and nesting respected), checking its syntax.
    @inlinable
    public mutating func skipValue(depth: Int = 0) throws(JSONParseError) {
        guard depth < JSONParser.maxDepth else { throw fail("imbrication trop profonde") }
        guard let b = peek() else { throw fail("fin inattendue") }
        switch b {
        case UInt8(ascii: "{"):
            offset += 1
            if take(UInt8(ascii: "}")) { return }
            repeat { _ = try key(); try skipValue(depth: depth + 1) } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            offset += 1
            if take(UInt8(ascii: "]")) { return }
            repeat { try skipValue(depth: depth + 1) } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): guard literal("true") else { throw fail("mot inconnu") }
        case UInt8(ascii: "f"): guard literal("false") else { throw fail("mot inconnu") }
        case UInt8(ascii: "n"): guard literal("null") else { throw fail("mot inconnu") }
        default: _ = try number()
        }
    }
}
