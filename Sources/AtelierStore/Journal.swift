import AtelierDomain
import AtelierProtocol
import Foundation
import GRDB

/// A workshop's row: its secrets live here, never in events, and only as digests
/// (``Secrets/digest(_:)``): the facilitator key itself is shown once, when the workshop is created.
public struct WorkshopRecord: Sendable, Equatable {
    public var id: WorkshopID
    public var title: String
    public var plan: String
    public var joinCode: String
    public var facilitatorKeyDigest: String
    public var createdAt: Int64
    public var closed: Bool
    public init(id: WorkshopID, title: String, plan: String, joinCode: String, facilitatorKeyDigest: String,
                createdAt: Int64, closed: Bool = false) {
        self.id = id; self.title = title; self.plan = plan; self.joinCode = joinCode
        self.facilitatorKeyDigest = facilitatorKeyDigest; self.createdAt = createdAt; self.closed = closed
    }
}

/// One journaled event, with the client message that caused it (so a retried message id is
/// answered again after a restart instead of being applied twice).
public struct JournalEntry: Sendable, Equatable {
    public var workshop: WorkshopID
    public var event: Event
    public var message: String?
    public init(workshop: WorkshopID, event: Event, message: String? = nil) {
        self.workshop = workshop; self.event = event; self.message = message
    }
}

/// A participant's resume token, as stored: its digest (the token itself goes to the participant once).
public struct Credential: Sendable, Equatable {
    public var workshop: WorkshopID
    public var participant: ActorID
    public var tokenDigest: String
    public init(workshop: WorkshopID, participant: ActorID, tokenDigest: String) {
        self.workshop = workshop; self.participant = participant; self.tokenDigest = tokenDigest
    }
}

/// What one group commit writes, in one transaction.
public struct CommitBatch: Sendable {
    public var workshops: [WorkshopRecord] = []
    public var entries: [JournalEntry] = []
    public var credentials: [Credential] = []
    /// New facilitator key digests (a key replaced because its link was lost), by workshop.
    public var facilitatorKeys: [WorkshopID: String] = [:]
    /// Series written whole (created, renamed, archived, a workshop added), in order; written after
    /// the batch's workshops, so a series may name a workshop created in the same batch.
    public var series: [SeriesRecord] = []
    public init(workshops: [WorkshopRecord] = [], entries: [JournalEntry] = [], credentials: [Credential] = [],
                facilitatorKeys: [WorkshopID: String] = [:], series: [SeriesRecord] = []) {
        self.workshops = workshops; self.entries = entries; self.credentials = credentials
        self.facilitatorKeys = facilitatorKeys; self.series = series
    }
    public var isEmpty: Bool { workshops.isEmpty && entries.isEmpty && credentials.isEmpty && facilitatorKeys.isEmpty && series.isEmpty }
}

/// A workshop as the journal rebuilds it.
public struct StoredWorkshop: Sendable {
    public var record: WorkshopRecord
    public var entries: [JournalEntry]
    public var credentials: [Credential]
    public init(record: WorkshopRecord, entries: [JournalEntry], credentials: [Credential]) {
        self.record = record; self.entries = entries; self.credentials = credentials
    }
    /// Replaying `entries`; nil if the journal does not start with `workshop.created`.
    public var state: Workshop? { Workshop.replay(entries.lazy.map(\.event)) }
}

/// Where workshops are kept: `SQLiteStore`, the embedded default, or `PostgresStore`. The hub
/// and the command line see only this protocol (docs/architecture.md "The two stores").
///
/// Both give the same guarantees: `commit` returns once the batch is durable (committed with
/// `synchronous=FULL` or `synchronous_commit=on`), all or nothing; a batch whose seqs would leave a
/// gap in a journal or take a seq twice is refused whole; names and organisations live in their
/// own table, never in the journal.
public protocol EventStore: Sendable {
    /// Writes everything in `batch` durably, all or nothing. Returns once it is on disk.
    func commit(_ batch: CommitBatch) throws
    /// Every workshop that is not closed, rebuilt from its journal.
    func loadOpenWorkshops() throws -> [StoredWorkshop]
    /// One workshop, rebuilt from its journal.
    func loadWorkshop(id: WorkshopID) throws -> StoredWorkshop?
    /// The events of seqs `after + 1 ... through` of a workshop's journal, in order and without a
    /// gap (fewer if the journal ends before `through`), each `participant.joined` with its profile
    /// as `loadWorkshop` gives it: replay seeks with it (docs/architecture.md "Replay").
    func events(workshop: WorkshopID, after: Int, through: Int) throws -> [Event]
    /// The ids of the workshops that are not closed, oldest first (to load them one at a time).
    func openWorkshopIDs() throws -> [WorkshopID]
    /// Closed workshops whose journal has a submission, a webhook delivery or a working group,
    /// oldest first: their hand-off goes on after the workshop (dossiers followed, deliveries
    /// retried), and so may a working group (until its end date).
    func closedWorkshopIDsWithHandOff() throws -> [WorkshopID]
    /// The id of the workshop with this join code, if any.
    func workshopID(joinCode: String) throws -> WorkshopID?
    /// The workshop and participant a resume token belongs to.
    func credential(token: String) throws -> Credential?
    func workshopCount() throws -> Int
    func listWorkshops() throws -> [WorkshopRecord]
    /// Every series, oldest first, each with its workshops in order.
    func listSeries() throws -> [SeriesRecord]

    // Organiser sessions, when several nodes share the database (any node must know a session
    // another opened). Written outside commit batches: they are not workshop data.

    /// Ends the sessions unused since `idleBefore` or opened before `openedBefore`, then keeps the
    /// `keep` most recently used, and adds `session`.
    func openAdminSession(_ session: StoredAdminSession, idleBefore: Int64, openedBefore: Int64, keep: Int) throws
    func adminSession(digest: String) throws -> StoredAdminSession?
    func touchAdminSession(digest: String, at: Int64) throws
    func closeAdminSession(digest: String) throws
    /// Retention: erases the personal data (name, organisation, resume token) of everyone in the
    /// workshops closed before `closedBefore` (milliseconds). Returns how many people were erased.
    @discardableResult
    func purgePersonalData(closedBefore: Int64) throws -> Int
    /// Where the data is, for people (a file's path, or a PostgreSQL address without its password).
    var location: String { get }
    /// The journal's size in bytes (`atelier_journal_bytes`), nil if it cannot be read.
    func journalBytes() -> Int?

    // Several nodes on one database (PostgreSQL with `--node`; docs/architecture.md "Several
    // nodes"). A store with one writer serves every workshop, and these keep their defaults.

    /// Whether several nodes share the database: rooms are then loaded when claimed, not at start.
    var isShared: Bool { get }
    /// Whether this process may serve `workshop` now: it holds the workshop's lease, or takes it
    /// (free, or expired); `.elsewhere` while another node holds it.
    func claim(_ workshop: WorkshopID) throws -> Claim
    /// Extends the leases this process holds; returns the workshops whose lease another node took.
    func renewLeases() throws -> [WorkshopID]
    /// Gives back every lease this process holds (a graceful stop), so another node can take over at once.
    func releaseLeases() throws
    /// Gives back the leases of these workshops (nobody is connected to them on this node).
    func release(_ workshops: [WorkshopID]) throws
    /// The workshops whose lease this process holds.
    func leasedWorkshops() -> [WorkshopID]
}

/// What `EventStore.claim` says of a workshop.
public enum Claim: Equatable, Sendable {
    /// This process serves it.
    case here
    /// Another node does (it holds the lease).
    case elsewhere(node: String)
    /// No such workshop.
    case unknown
}

extension EventStore {
    public var isShared: Bool { false }
    public func claim(_ workshop: WorkshopID) throws -> Claim { .here }
    public func renewLeases() throws -> [WorkshopID] { [] }
    public func releaseLeases() throws {}
    public func release(_ workshops: [WorkshopID]) throws {}
    public func leasedWorkshops() -> [WorkshopID] { [] }
}

public enum StoreError: Error, CustomStringConvertible {
    case gap(workshop: WorkshopID, expected: Int, got: Int)
    case undecodable(workshop: WorkshopID, seq: Int, reason: String)
    /// Several nodes: the batch touches a workshop whose lease this node no longer holds (another
    /// node took it over: its owner epoch moved). Nothing of the batch is written.
    case notServedHere(workshops: [WorkshopID])
    public var description: String {
        switch self {
        case let .gap(w, expected, got): "journal of \(w): expected seq \(expected), got \(got)"
        case let .undecodable(w, seq, reason): "journal of \(w), seq \(seq): \(reason)"
        case let .notServedHere(ws): "served by another node now: \(ws.joined(separator: ", "))"
        }
    }
}

/// The SQLite store (GRDB): WAL, `synchronous=FULL`, an append-only journal per workshop.
public final class SQLiteStore: EventStore {
    public let pool: DatabasePool
    public let path: String
    /// Each workshop's last committed seq, as this store wrote or read it (SQLiteStore+Commit.swift).
    let lastSeqs = LastSeqs()

    /// Opens (creating if needed) `<directory>/atelier.sqlite` and migrates it.
    public convenience init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try self.init(path: (directory as NSString).appendingPathComponent("atelier.sqlite"))
    }

    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: config)
        // FULL: a commit is durable once it returns, even across a power cut. GRDB opens WAL pools
        // with NORMAL (a crash may lose the last commits), so this is set on the writer connection
        // after opening; a test reads it back.
        // secure_delete: erased personal data is overwritten in the file, not just unlinked.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE workshop (
                    id TEXT PRIMARY KEY NOT NULL,
                    title TEXT NOT NULL,
                    plan TEXT NOT NULL,
                    join_code TEXT NOT NULL UNIQUE,
                    facilitator_key TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    closed INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE event (
                    workshop_id TEXT NOT NULL REFERENCES workshop(id),
                    seq INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    actor TEXT,
                    message TEXT,
                    type TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    PRIMARY KEY (workshop_id, seq)
                ) WITHOUT ROWID;
                -- Personal data, apart from the journal: erasing a person is updating one row.
                CREATE TABLE person (
                    workshop_id TEXT NOT NULL REFERENCES workshop(id),
                    participant_id TEXT NOT NULL,
                    name TEXT,
                    organisation TEXT,
                    token TEXT UNIQUE,
                    PRIMARY KEY (workshop_id, participant_id)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v2: closing time, for retention") { db in
            try db.execute(sql: "ALTER TABLE workshop ADD COLUMN closed_at INTEGER")
        }
        m.registerMigration("v3: secrets stored as SHA-256 digests") { db in
            // Keys and tokens written before v3 were in clear: each is replaced by its digest, so
            // the links and tokens people hold keep working and the file opens nothing by itself.
            for row in try Row.fetchAll(db, sql: "SELECT id, facilitator_key FROM workshop") {
                let key: String = row["facilitator_key"]
                if Secrets.isDigest(key) { continue }
                try db.execute(sql: "UPDATE workshop SET facilitator_key = ? WHERE id = ?", arguments: [Secrets.digest(key), row["id"] as String])
            }
            for row in try Row.fetchAll(db, sql: "SELECT workshop_id, participant_id, token FROM person WHERE token IS NOT NULL") {
                let token: String = row["token"]
                if Secrets.isDigest(token) { continue }
                try db.execute(sql: "UPDATE person SET token = ? WHERE workshop_id = ? AND participant_id = ?",
                               arguments: [Secrets.digest(token), row["workshop_id"] as String, row["participant_id"] as String])
            }
        }
        m.registerMigration("v4: series of workshops") { db in
            try db.execute(sql: """
                CREATE TABLE series (
                    id TEXT PRIMARY KEY NOT NULL,
                    title TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL,
                    archived INTEGER NOT NULL DEFAULT 0
                );
                -- A workshop belongs to one series at most; position orders a series' workshops.
                CREATE TABLE series_workshop (
                    series_id TEXT NOT NULL REFERENCES series(id),
                    position INTEGER NOT NULL,
                    workshop_id TEXT NOT NULL UNIQUE REFERENCES workshop(id),
                    PRIMARY KEY (series_id, position)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v5: organiser sessions shared by nodes") { db in
            try db.execute(sql: """
                CREATE TABLE admin_session (
                    digest TEXT PRIMARY KEY NOT NULL,
                    csrf TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    last_used INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        return m
    }

    public var location: String { path }

    /// The database file and its WAL.
    public func journalBytes() -> Int? {
        ["", "-wal"].reduce(0) { total, suffix in
            total + ((try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? Int) ?? 0)
        }
    }

    @discardableResult
    public func purgePersonalData(closedBefore: Int64) throws -> Int {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE person SET name = NULL, organisation = NULL, token = NULL
                WHERE (name IS NOT NULL OR organisation IS NOT NULL OR token IS NOT NULL)
                  AND workshop_id IN (SELECT id FROM workshop WHERE closed = 1 AND closed_at < ?)
                """, arguments: [closedBefore])
            return db.changesCount
        }
    }

    public func openAdminSession(_ session: StoredAdminSession, idleBefore: Int64, openedBefore: Int64, keep: Int) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM admin_session WHERE last_used < ? OR created_at < ?", arguments: [idleBefore, openedBefore])
            try db.execute(sql: """
                DELETE FROM admin_session WHERE digest NOT IN (SELECT digest FROM admin_session ORDER BY last_used DESC, digest LIMIT ?)
                """, arguments: [max(0, keep)])
            try db.execute(sql: "INSERT INTO admin_session (digest, csrf, created_at, last_used) VALUES (?, ?, ?, ?)",
                           arguments: [session.digest, session.csrf, session.createdAt, session.lastUsed])
        }
    }

    public func adminSession(digest: String) throws -> StoredAdminSession? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT csrf, created_at, last_used FROM admin_session WHERE digest = ?", arguments: [digest]).map {
                StoredAdminSession(digest: digest, csrf: $0["csrf"], createdAt: $0["created_at"], lastUsed: $0["last_used"])
            }
        }
    }

    public func touchAdminSession(digest: String, at: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE admin_session SET last_used = MAX(last_used, ?) WHERE digest = ?", arguments: [at, digest])
        }
    }

    public func closeAdminSession(digest: String) throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM admin_session WHERE digest = ?", arguments: [digest]) }
    }

    public func listSeries() throws -> [SeriesRecord] {
        try pool.read { db in
            var members: [String: [WorkshopID]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT series_id, workshop_id FROM series_workshop ORDER BY series_id, position") {
                members[row["series_id"], default: []].append(row["workshop_id"])
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM series ORDER BY created_at, id").map { row in
                let id: String = row["id"]
                return SeriesRecord(id: id, title: row["title"], description: row["description"], createdAt: row["created_at"],
                                    archived: row["archived"], workshops: members[id] ?? [])
            }
        }
    }

    public func openWorkshopIDs() throws -> [WorkshopID] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT id FROM workshop WHERE closed = 0 ORDER BY created_at, id") }
    }

    public func loadOpenWorkshops() throws -> [StoredWorkshop] {
        try openWorkshopIDs().compactMap { try loadWorkshop(id: $0) }
    }

    public func closedWorkshopIDsWithHandOff() throws -> [WorkshopID] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT id FROM workshop w WHERE closed = 1 AND EXISTS (
                    SELECT 1 FROM event e WHERE e.workshop_id = w.id AND e.type IN ('project.submitted', 'webhook.queued', 'group.opened'))
                ORDER BY created_at, id
                """)
        }
    }

    /// The journal's encoder: sorted keys, so an event's bytes depend on the format's names only
    /// (`AtelierDomain/JournalFormat.swift`), not on hashing.
    static func payloadEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// One event's payload as the journal stores it (the personal profile is taken out before).
    static func payload(_ body: EventBody, _ encoder: JSONEncoder) throws -> Data {
        try encoder.encode(body)
    }

    public func loadWorkshop(id: WorkshopID) throws -> StoredWorkshop? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM workshop WHERE id = ?", arguments: [id]) else { return nil }
            let record = Self.record(row)
            var profiles: [ActorID: Profile] = [:]
            var credentials: [Credential] = []
            for p in try Row.fetchAll(db, sql: "SELECT participant_id, name, organisation, token FROM person WHERE workshop_id = ?", arguments: [id]) {
                let pid: String = p["participant_id"]
                if let name: String = p["name"] { profiles[pid] = Profile(name: name, organisation: p["organisation"] ?? "") }
                if let digest: String = p["token"] { credentials.append(Credential(workshop: id, participant: pid, tokenDigest: digest)) }
            }
            var reader = JournalRows.Reader(workshop: id, profiles: profiles,
                                            expectedCount: try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM event WHERE workshop_id = ?", arguments: [id]) ?? 0)
            let cursor = try Row.fetchCursor(db, sql: "SELECT seq, at, actor, message, payload FROM event WHERE workshop_id = ? ORDER BY seq", arguments: [id])
            while let r = try cursor.next() {
                try r.withUnsafeData(atIndex: 4) { data in
                    try (data ?? Data()).withUnsafeBytes { payload in
                        try reader.append(seq: r[0], at: r[1], actor: r[2], message: r[3], payload: payload)
                    }
                }
            }
            return StoredWorkshop(record: record, entries: reader.entries, credentials: credentials)
        }
    }

    public func events(workshop id: WorkshopID, after: Int, through: Int) throws -> [Event] {
        guard through > after else { return [] }
        return try pool.read { db in
            var profiles: [ActorID: Profile] = [:]
            for p in try Row.fetchAll(db, sql: "SELECT participant_id, name, organisation FROM person WHERE workshop_id = ?", arguments: [id]) {
                if let name: String = p["name"] { profiles[p["participant_id"]] = Profile(name: name, organisation: p["organisation"] ?? "") }
            }
            var reader = JournalRows.Reader(workshop: id, profiles: profiles, expectedCount: through - after, first: after + 1)
            let cursor = try Row.fetchCursor(db, sql: "SELECT seq, at, actor, message, payload FROM event WHERE workshop_id = ? AND seq > ? AND seq <= ? ORDER BY seq",
                                             arguments: [id, after, through])
            while let r = try cursor.next() {
                try r.withUnsafeData(atIndex: 4) { data in
                    try (data ?? Data()).withUnsafeBytes { payload in
                        try reader.append(seq: r[0], at: r[1], actor: r[2], message: r[3], payload: payload)
                    }
                }
            }
            return reader.entries.map(\.event)
        }
    }

    public func workshopID(joinCode: String) throws -> WorkshopID? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT id FROM workshop WHERE join_code = ?", arguments: [joinCode]) }
    }

    /// The credential a presented token opens, looked up by its digest.
    public func credential(token: String) throws -> Credential? {
        let digest = Secrets.digest(token)
        return try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT workshop_id, participant_id FROM person WHERE token = ?", arguments: [digest]).map {
                Credential(workshop: $0["workshop_id"], participant: $0["participant_id"], tokenDigest: digest)
            }
        }
    }

    /// A consistent copy of the database file `source` at `target`, taken while a server writes
    /// to it (SQLite's online backup API in one step: the pages of one read snapshot, i.e. the
    /// journal as of one commit), then checked (`PRAGMA integrity_check`). The source is opened
    /// read-only: nothing is migrated or changed in it.
    public static func copyDatabase(from source: String, to target: String) throws {
        var readOnly = Configuration()
        readOnly.readonly = true
        readOnly.busyMode = .timeout(5)
        let from = try DatabaseQueue(path: source, configuration: readOnly)
        let to = try DatabaseQueue(path: target)
        try from.backup(to: to)
        let check = try to.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
        try to.close()
        try from.close()
        guard check == "ok" else { throw StoreError.undecodable(workshop: "", seq: 0, reason: "copie invalide : \(check ?? "?")") }
    }

    public func workshopCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM workshop") ?? 0 }
    }

    public func listWorkshops() throws -> [WorkshopRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM workshop ORDER BY created_at, id").map(Self.record) }
    }

    static func record(_ row: Row) -> WorkshopRecord {
        WorkshopRecord(id: row["id"], title: row["title"], plan: row["plan"], joinCode: row["join_code"],
                       facilitatorKeyDigest: row["facilitator_key"], createdAt: row["created_at"], closed: row["closed"])
    }
}
