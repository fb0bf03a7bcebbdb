import Foundation

/// A JSON value. Objects keep their key order, so what the server writes is deterministic.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.number(x), .number(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The value of `key` in an object (the first one, should a client repeat a key).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }
}

/// Why a text is not JSON.
public struct JSONParseError: Error, Equatable, Sendable {
    public var offset: Int
    public var reason: String
    @inlinable
    public init(offset: Int, reason: String) { self.offset = offset; self.reason = reason }
}

/// A strict RFC 8259 parser over UTF-8 bytes, with a nesting limit so hostile input cannot
/// exhaust the stack. It builds a tree; its lexing is ``JSONScanner``'s, shared with the journal's
/// streaming decoder.
public enum JSONParser {
    public static let maxDepth = 64

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBytes { raw in
            var s = JSONScanner(raw)
            do throws(JSONParseError) {
                let v = try value(&s, depth: 0)
                guard s.atEnd else { throw s.fail("données après la fin du JSON") }
                return .success(v)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private static func value(_ s: inout JSONScanner, depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < maxDepth else { throw s.fail("imbrication trop profonde") }
        guard let b = s.peek() else { throw s.fail("fin inattendue") }
        switch b {
        case UInt8(ascii: "{"): return try object(&s, depth: depth)
        case UInt8(ascii: "["): return try array(&s, depth: depth)
        case UInt8(ascii: "\""): return .string(try s.string())
        case UInt8(ascii: "t"): guard s.literal("true") else { throw s.fail("mot inconnu") }; return .bool(true)
        case UInt8(ascii: "f"): guard s.literal("false") else { throw s.fail("mot inconnu") }; return .bool(false)
        case UInt8(ascii: "n"): guard s.literal("null") else { throw s.fail("mot inconnu") }; return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard let d = JSONScanner.double(try s.number()) else { throw s.fail("nombre hors limites") }
            return .number(d)
        default: throw s.fail("caractère inattendu")
        }
    }

    private static func object(_ s: inout JSONScanner, depth: Int) throws(JSONParseError) -> JSONValue {
        try s.expect(UInt8(ascii: "{"))
        var pairs: [(String, JSONValue)] = []
        if s.take(UInt8(ascii: "}")) { return .object(pairs) }
        while true {
            guard s.peek() == UInt8(ascii: "\"") else { throw s.fail("clé attendue") }
            let key = try s.string()
            guard s.take(UInt8(ascii: ":")) else { throw s.fail("« : » attendu") }
            pairs.append((key, try value(&s, depth: depth + 1)))
            if s.take(UInt8(ascii: ",")) { continue }
            if s.take(UInt8(ascii: "}")) { return .object(pairs) }
            throw s.peek() == nil ? s.fail("fin inattendue") : s.fail("« , » ou « } » attendu")
        }
    }

    private static func array(_ s: inout JSONScanner, depth: Int) throws(JSONParseError) -> JSONValue {
        try s.expect(UInt8(ascii: "["))
        var items: [JSONValue] = []
        if s.take(UInt8(ascii: "]")) { return .array(items) }
        while true {
            items.append(try value(&s, depth: depth + 1))
            if s.take(UInt8(ascii: ",")) { continue }
            if s.take(UInt8(ascii: "]")) { return .array(items) }
            throw s.peek() == nil ? s.fail("fin inattendue") : s.fail("« , » ou « ] » attendu")
        }
    }
}

/// Writes JSON straight into bytes: the one place outgoing frames are made, so each is encoded once.
public struct JSONWriter {
    public var bytes: [UInt8]
    private var needsComma = [false]

    public init(reserving capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes `"key":`; the value written next belongs to it.
    public mutating func key(_ k: String) {
        separate()
        appendString(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    public mutating func string(_ s: String) { separate(); appendString(s) }
    public mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
    public mutating func bool(_ b: Bool) { separate(); bytes.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8)) }
    public mutating func null() { separate(); bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }
    public mutating func int(_ n: Int) { separate(); bytes.append(contentsOf: String(n).utf8) }
    public mutating func int(_ n: Int?) { if let n { int(n) } else { null() } }
    public mutating func number(_ d: Double) {
        separate()
        if d.isFinite, d == d.rounded(), abs(d) < 1e15 {
            bytes.append(contentsOf: String(Int64(d)).utf8)
        } else if d.isFinite {
            bytes.append(contentsOf: String(d).utf8)
        } else {
            bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        }
    }
    /// Bytes that already are one JSON value (e.g. an encoded event inside a welcome).
    public mutating func raw(_ json: [UInt8]) { separate(); bytes.append(contentsOf: json) }

    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let d): number(d)
        case .string(let s): string(s)
        case .array(let items): beginArray(); items.forEach { value($0) }; endArray()
        case .object(let pairs): beginObject(); for (k, item) in pairs { key(k); value(item) }; endObject()
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(0x5C); bytes.append(b)
            case UInt8(ascii: "\\"): bytes.append(0x5C); bytes.append(b)
            case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20:
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, Self.hex[Int(b >> 4)], Self.hex[Int(b & 0xF)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
