import CLibPQ
import Foundation

/// An error from PostgreSQL or libpq: the server's message (or libpq's), its SQLSTATE when the
/// server sent one, and whether the connection itself was lost.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var sqlState: String?
    public var connectionLost: Bool
    public var description: String {
        sqlState.map { "\(message) (SQLSTATE \($0))" } ?? message
    }
}

/// A value sent as a statement parameter. Texts go in binary format (their UTF-8 bytes, with a
/// length), never as C strings: a character that a C string would cut at is refused by the server
/// instead of being silently dropped.
@_spi(Testing) public enum PGValue: Sendable {
    case text(String)
    case int(Int64)
    case bool(Bool)
    case bytes([UInt8])
    case null

    static func optional(_ s: String?) -> PGValue { s.map(PGValue.text) ?? .null }
}

/// One libpq connection, used by one thread at a time (its owner holds a lock or a pool slot
/// while using it). Results are asked for in binary format.
@_spi(Testing) public final class PGConnection {
    private var raw: OpaquePointer?
    private let conninfo: String

    /// Connects: `conninfo` is a `postgres://` URL or a libpq key=value string. A connection that
    /// cannot be made gives libpq's reason.
    public init(conninfo: String) throws {
        self.conninfo = conninfo
        // Defaults the URL may override (they come before it), then what Atelier needs (after it).
        let keywords = ["connect_timeout", "application_name", "dbname", "client_encoding"]
        let values = ["10", "atelier", conninfo, "UTF8"]
        raw = Self.connect(keywords: keywords, values: values)
        guard let raw, PQstatus(raw) == CONNECTION_OK else {
            let reason = raw.map { Self.text(PQerrorMessage($0)) } ?? "mémoire insuffisante"
            if let raw { PQfinish(raw) }
            self.raw = nil
            throw PostgresError(message: reason, sqlState: nil, connectionLost: true)
        }
        try prepareSession()
    }

    deinit { if let raw { PQfinish(raw) } }

    private static func connect(keywords: [String], values: [String]) -> OpaquePointer? {
        let k = keywords.map { strdup($0) }, v = values.map { strdup($0) }
        defer { (k + v).forEach { free($0) } }
        var kp = k.map { UnsafePointer($0) } + [nil]
        var vp = v.map { UnsafePointer($0) } + [nil]
        return kp.withUnsafeMutableBufferPointer { kb in
            vp.withUnsafeMutableBufferPointer { vb in PQconnectdbParams(kb.baseAddress, vb.baseAddress, 1) }
        }
    }

    /// What each session is set to: a commit returns only once its WAL is flushed to disk.
    private func prepareSession() throws {
        try execute("SET synchronous_commit TO on")
        try execute("SET client_min_messages TO warning")
    }

    /// Whether the connection is usable; if it was lost, one attempt to make it again.
    /// Returns true if the connection is a new one (what the session held, locks included, is gone).
    @discardableResult
    public func ensureOpen() throws -> Bool {
        guard let raw else { throw PostgresError(message: "connexion fermée", sqlState: nil, connectionLost: true) }
        if PQstatus(raw) == CONNECTION_OK { return false }
        PQreset(raw)
        guard PQstatus(raw) == CONNECTION_OK else {
            throw PostgresError(message: Self.text(PQerrorMessage(raw)), sqlState: nil, connectionLost: true)
        }
        try prepareSession()
        return true
    }

    public var isOpen: Bool { raw.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Server settings of this session (`SHOW`), e.g. `synchronous_commit`, `fsync`.
    public func setting(_ name: String) throws -> String? {
        try query("SELECT current_setting($1)", [.text(name)]).string(0, 0)
    }

    /// One or more statements without parameters (migrations, transaction control).
    public func execute(_ sql: String) throws {
        guard let raw else { throw PostgresError(message: "connexion fermée", sqlState: nil, connectionLost: true) }
        _ = try check(PQexec(raw, sql))
    }

    /// One statement with parameters; rows come back in binary format.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PGValue] = []) throws -> PGResult {
        guard let raw else { throw PostgresError(message: "connexion fermée", sqlState: nil, connectionLost: true) }
        // All parameter bytes in one buffer; each parameter's pointer points into it.
        var storage: [UInt8] = []
        var offsets: [Int?] = [], lengths: [Int32] = [], formats: [Int32] = []
        for p in parameters {
            let bytes: [UInt8]?, binary: Bool
            switch p {
            case .text(let s): bytes = Array(s.utf8); binary = true
            case .bytes(let b): bytes = b; binary = true
            case .int(let n): bytes = Array(String(n).utf8); binary = false
            case .bool(let b): bytes = Array((b ? "t" : "f").utf8); binary = false
            case .null: bytes = nil; binary = false
            }
            if let bytes {
                offsets.append(storage.count)
                storage.append(contentsOf: bytes)
                storage.append(0)  // text-format parameters are read up to a NUL
                lengths.append(Int32(bytes.count))
            } else {
                offsets.append(nil)
                lengths.append(0)
            }
            formats.append(binary ? 1 : 0)
        }
        if storage.isEmpty { storage.append(0) }
        let result: OpaquePointer? = storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = offsets.map { $0.map { base + $0 } }
            return PQexecParams(raw, sql, Int32(parameters.count), nil, values, lengths, formats, 1)
        }
        return try check(result)
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    public func transaction<T>(_ begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
        try execute(begin)
        let value: T
        do {
            value = try body()
        } catch {
            if isOpen { try? execute("ROLLBACK") }
            throw error
        }
        try execute("COMMIT")
        return value
    }

    private func check(_ result: OpaquePointer?) throws -> PGResult {
        guard let result else {
            throw PostgresError(message: raw.map { Self.text(PQerrorMessage($0)) } ?? "?", sqlState: nil, connectionLost: !isOpen)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PGResult(result)
        default:
            let message = Self.text(PQresultErrorField(result, Int32(UInt8(ascii: "M"))))
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let fallback = Self.text(PQresultErrorMessage(result))
            PQclear(result)
            throw PostgresError(message: message.isEmpty ? fallback : message, sqlState: state, connectionLost: !isOpen)
        }
    }

    static func text(_ p: UnsafePointer<CChar>?) -> String {
        p.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }

    /// Checks a connection string without connecting: nil if libpq can read it, else its reason.
    public static func conninfoProblem(_ conninfo: String) -> String? {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &error) else {
            defer { if let error { PQfreemem(error) } }
            return error.map { text(UnsafePointer($0)) } ?? "adresse illisible"
        }
        PQconninfoFree(options)
        return nil
    }

    /// The parts of a connection string that may be shown (no password): user, host, port, database.
    public static func describe(_ conninfo: String) -> String {
        guard let options = PQconninfoParse(conninfo, nil) else { return "postgres://?" }
        defer { PQconninfoFree(options) }
        var parts: [String: String] = [:]
        var p = options
        while let keyword = p.pointee.keyword {
            if let value = p.pointee.val { parts[String(cString: keyword)] = String(cString: value) }
            p += 1
        }
        let user = parts["user"].map { "\($0)@" } ?? ""
        let host = parts["host"] ?? parts["hostaddr"] ?? "localhost"
        let port = parts["port"].map { ":\($0)" } ?? ""
        let db = parts["dbname"].map { "/\($0)" } ?? ""
        // Options (a search_path, say) tell apart several Atelier schemas in one database.
        let extra = parts["options"].flatMap { $0.isEmpty ? nil : " (options : \($0))" } ?? ""
        return "postgres://\(user)\(host.contains(":") && !host.hasPrefix("/") ? "[\(host)]" : host)\(port)\(db)\(extra)"
    }
}

/// A query's rows (binary format), freed with the object.
@_spi(Testing) public final class PGResult {
    private let raw: OpaquePointer
    init(_ raw: OpaquePointer) { self.raw = raw }
    deinit { PQclear(raw) }

    public var rowCount: Int { Int(PQntuples(raw)) }
    /// Rows a command changed (`UPDATE`, `DELETE`, `INSERT`).
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(raw))) ?? 0 }

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(raw, Int32(row), Int32(column)) == 1 }

    /// A column's bytes, nil when NULL, without copying them.
    public func withBytes<T>(_ row: Int, _ column: Int, _ body: (UnsafeRawBufferPointer?) throws -> T) rethrows -> T {
        if isNull(row, column) { return try body(nil) }
        let length = Int(PQgetlength(raw, Int32(row), Int32(column)))
        let start = PQgetvalue(raw, Int32(row), Int32(column))
        return try body(UnsafeRawBufferPointer(start: start, count: length))
    }

    /// A `text` (or `bytea`) column as a string; nil when NULL.
    public func string(_ row: Int, _ column: Int) -> String? {
        withBytes(row, column) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// A `smallint`, `integer` or `bigint` column; nil when NULL.
    public func int(_ row: Int, _ column: Int) -> Int64? {
        withBytes(row, column) { bytes -> Int64? in
            guard let bytes, [2, 4, 8].contains(bytes.count) else { return nil }
            var value: UInt64 = 0
            for b in bytes { value = value << 8 | UInt64(b) }
            // Sign-extend from the column's width.
            let shift = UInt64(64 - bytes.count * 8)
            return Int64(bitPattern: value << shift) >> Int64(shift)
        }
    }

    /// A `boolean` column; nil when NULL.
    public func bool(_ row: Int, _ column: Int) -> Bool? {
        withBytes(row, column) { bytes in bytes.flatMap { $0.first.map { $0 != 0 } } }
    }
}
