@_spi(Testing) import AtelierStore
import GRDB
import Foundation
import Testing

/// The stores every store and hub test runs on.
public enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    public var testDescription: String { rawValue }
}

public struct TestDatabaseUnavailable: Error, CustomStringConvertible {
    public var description: String
}

/// A fresh, empty database for one test, that can be opened again (a restart): a temporary
/// directory for SQLite; for PostgreSQL, a schema of its own in the test cluster named by
/// `ATELIER_TEST_POSTGRES_URL` (`scripts/pg`), reached through the URL's `search_path`.
///
/// Without that variable the PostgreSQL cases fail under CI (`CI=true`): a broken setup must be
/// seen, not skipped. Elsewhere they are cancelled (shown as skipped), with how to run them.
public struct TestDatabase: Sendable {
    public let kind: StoreKind
    /// SQLite's data directory (for PostgreSQL, a directory the test may use for anything else).
    public let directory: String
    /// The URL of this test's schema (PostgreSQL).
    public let postgresURL: String?

    public static let postgresVariable = "ATELIER_TEST_POSTGRES_URL"

    public static func make(_ kind: StoreKind) throws -> TestDatabase {
        let dir = NSTemporaryDirectory() + "atelier-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        switch kind {
        case .sqlite:
            return TestDatabase(kind: kind, directory: dir, postgresURL: nil)
        case .postgres:
            return TestDatabase(kind: kind, directory: dir, postgresURL: try freshSchema())
        }
    }

    /// The cluster's URL, or the reason there is none (a failure under CI, a cancellation elsewhere).
    public static func postgresBaseURL() throws -> String {
        let env = ProcessInfo.processInfo.environment
        if let url = env[postgresVariable], !url.isEmpty { return url }
        let how = "\(postgresVariable) is not set: run the tests through scripts/test, or start a cluster with `eval \"$(scripts/pg start)\"`"
        if env["CI"] == "true" { throw TestDatabaseUnavailable(description: how) }
        try Test.cancel(Comment(rawValue: how))
    }

    /// A new schema in the test cluster, and the URL whose `search_path` is that schema.
    static func freshSchema() throws -> String {
        let base = try postgresBaseURL()
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try PGConnection(conninfo: base)
        try admin.execute("CREATE SCHEMA \(schema)")
        return withSearchPath(base, schema)
    }

    /// `url` with `options=-c search_path=SCHEMA` added to its query.
    public static func withSearchPath(_ url: String, _ schema: String) -> String {
        url + (url.contains("?") ? "&" : "?") + "options=-c%20search_path%3D\(schema)"
    }

    /// Opens the store (creating and migrating it the first time); on PostgreSQL, as the node
    /// `node` of several if one is named.
    public func open(node: String? = nil) throws -> any EventStore {
        switch kind {
        case .sqlite: return try SQLiteStore(directory: directory)
        case .postgres: return try PostgresStore(conninfo: postgresURL!, node: node)
        }
    }

    /// Runs SQL on the store's database, beside the store (to make it fail, or to read what it holds).
    public static func execute(_ store: any EventStore, _ sql: String) throws {
        if let s = store as? SQLiteStore {
            try s.pool.writeWithoutTransaction { db in try db.execute(sql: sql) }
        } else if let p = store as? PostgresStore {
            try p.withConnection { try $0.execute(sql) }
        }
    }

    /// The first column of a query's rows, as text (NULL as nil). Write the query so that column is text.
    public static func strings(_ store: any EventStore, _ sql: String) throws -> [String?] {
        if let s = store as? SQLiteStore {
            return try s.pool.read { db in try String?.fetchAll(db, sql: sql) }
        } else if let p = store as? PostgresStore {
            return try p.withConnection { c in
                let r = try c.query(sql)
                return (0..<r.rowCount).map { r.string($0, 0) }
            }
        }
        return []
    }
}
