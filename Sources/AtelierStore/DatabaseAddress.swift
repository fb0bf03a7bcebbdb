import Foundation

/// Where the command line's `--database` says the workshops are.
///
/// - none, or `sqlite:`: SQLite, `atelier.sqlite` in the data directory (the embedded default);
/// - `sqlite:FILE` (or `sqlite://FILE`): SQLite in that file;
/// - `postgres://…` or `postgresql://…`: PostgreSQL, with libpq's URL syntax
///   (`postgres://user@host:port/database?sslmode=…`; a password is better kept in `~/.pgpass`
///   or `PGPASSWORD` than in the URL).
public enum DatabaseAddress: Equatable, Sendable {
    case sqlite(file: String)
    case postgres(conninfo: String)

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ text: String?, dataDirectory: String) throws -> DatabaseAddress {
        let defaultFile = (dataDirectory as NSString).appendingPathComponent("atelier.sqlite")
        guard let text, !text.isEmpty else { return .sqlite(file: defaultFile) }
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            return .sqlite(file: path.isEmpty ? defaultFile : path)
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            if let problem = PGConnection.conninfoProblem(text) {
                throw Invalid(description: "--database : adresse PostgreSQL illisible (\(problem))")
            }
            return .postgres(conninfo: text)
        }
        // The text itself is not repeated: it may hold a password.
        throw Invalid(description: "--database : adresse non reconnue (attendu : sqlite:FICHIER, ou postgres://utilisateur@hôte:port/base)")
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }

    /// Opens the store, creating and migrating it if needed. `node` (PostgreSQL only): this
    /// process is one of several nodes sharing the database, under that name.
    public func open(node: String? = nil, leaseSeconds: Int = 30) throws -> any EventStore {
        switch self {
        case .sqlite(let file):
            let parent = (file as NSString).deletingLastPathComponent
            if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            return try SQLiteStore(path: file)
        case .postgres(let conninfo):
            return try PostgresStore(conninfo: conninfo, node: node, leaseSeconds: leaseSeconds)
        }
    }

    /// What may be shown of it (never a password).
    public var description: String {
        switch self {
        case .sqlite(let file): file
        case .postgres(let conninfo): PGConnection.describe(conninfo)
        }
    }
}
