import AtelierDomain
import Foundation
import GRDB
import GRDBSQLite

/// The SQLite store's commit: the one hot write of the server (every command's events), so its
/// per-commit cost is kept low (BENCHMARKS.md "CPU per delivery"):
/// - the transaction is opened and ended by statements prepared once (GRDB parses the SQL of
///   `inTransaction`'s `BEGIN` and `COMMIT` again on every call);
/// - the journal's rows (and the person rows of joins) are bound and stepped through SQLite's C
///   API on statements GRDB prepared once, without building GRDB's `StatementArguments`;
/// - the contiguity check reads each workshop's last seq from the database once, then from
///   memory (`LastSeqs`), updated only after a commit succeeded and forgotten after one failed.
/// The rare rows (a workshop created, credentials, keys, series, a close, an erasure) keep GRDB's
/// statements, in the same transaction.
extension SQLiteStore {
    static let insertEventSQL = "INSERT INTO event (workshop_id, seq, at, actor, message, type, payload) VALUES (?, ?, ?, ?, ?, ?, ?)"
    static let upsertPersonSQL = "INSERT INTO person (workshop_id, participant_id, name, organisation) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET name = excluded.name, organisation = excluded.organisation"
    static let lastSeqSQL = "SELECT MAX(seq) FROM event WHERE workshop_id = ?"

    public func commit(_ batch: CommitBatch) throws {
        if batch.isEmpty { return }
        let prepared = try JournalRows.prepare(batch.entries)
        try pool.writeWithoutTransaction { db in
            try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
            let ranges: [(workshop: WorkshopID, before: Int, after: Int)]
            do {
                ranges = try write(batch, prepared, db)
                try db.cachedStatement(sql: "COMMIT").execute()
            } catch {
                // Whatever is known of these journals is read again from the file next time.
                lastSeqs.forget(Set(batch.entries.map(\.workshop)))
                if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                throw error
            }
            lastSeqs.record(ranges.map { ($0.workshop, $0.after) })
        }
    }

    private func write(_ batch: CommitBatch, _ prepared: [JournalRows.Prepared], _ db: Database) throws
        -> [(workshop: WorkshopID, before: Int, after: Int)] {
        for w in batch.workshops {
            try db.cachedStatement(sql: "INSERT INTO workshop (id, title, plan, join_code, facilitator_key, created_at, closed) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(arguments: [w.id, w.title, w.plan, w.joinCode, w.facilitatorKeyDigest, w.createdAt, w.closed])
        }
        // Contiguity is checked here, where it is cheap, so a bug upstream can never leave a gap.
        // A seq taken twice past a stale memory (another process wrote) still fails on the key.
        let ranges = try JournalRows.checkContiguity(batch.entries) { workshop in
            if let known = lastSeqs[workshop] { return known }
            return try Int.fetchOne(db.cachedStatement(sql: Self.lastSeqSQL), arguments: [workshop]) ?? 0
        }
        let connection = db.sqliteConnection
        let insert = try RawStatement(db.cachedStatement(sql: Self.insertEventSQL), connection)
        for entry in prepared {
            if case .joined(let participant, let profile) = entry.effect {
                let person = try RawStatement(db.cachedStatement(sql: Self.upsertPersonSQL), connection)
                person.bind(1, entry.workshop); person.bind(2, participant)
                person.bind(3, profile?.name); person.bind(4, profile?.organisation)
                try person.run(Self.upsertPersonSQL)
            }
            insert.bind(1, entry.workshop); insert.bind(2, Int64(entry.seq)); insert.bind(3, entry.at)
            insert.bind(4, entry.actor); insert.bind(5, entry.message); insert.bind(6, entry.type)
            insert.bind(7, entry.payload)
            try insert.run(Self.insertEventSQL)
            switch entry.effect {
            case .closed:
                try db.cachedStatement(sql: "UPDATE workshop SET closed = 1, closed_at = ? WHERE id = ?").execute(arguments: [entry.at, entry.workshop])
            case .erased(let participant):
                // The journal never held the name: erasing is emptying one row.
                try db.cachedStatement(sql: "UPDATE person SET name = NULL, organisation = NULL WHERE workshop_id = ? AND participant_id = ?").execute(arguments: [entry.workshop, participant])
            case .none, .joined:
                break
            }
        }
        for c in batch.credentials {
            try db.cachedStatement(sql: "INSERT INTO person (workshop_id, participant_id, token) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET token = excluded.token").execute(arguments: [c.workshop, c.participant, c.tokenDigest])
        }
        for (workshop, digest) in batch.facilitatorKeys {
            try db.cachedStatement(sql: "UPDATE workshop SET facilitator_key = ? WHERE id = ?").execute(arguments: [digest, workshop])
        }
        for s in batch.series {
            try db.execute(sql: """
                INSERT INTO series (id, title, description, created_at, archived) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description, archived = excluded.archived
                """, arguments: [s.id, s.title, s.description, s.createdAt, s.archived])
            try db.execute(sql: "DELETE FROM series_workshop WHERE series_id = ?", arguments: [s.id])
            for (position, workshop) in s.workshops.enumerated() {
                try db.execute(sql: "INSERT INTO series_workshop (series_id, position, workshop_id) VALUES (?, ?, ?)",
                               arguments: [s.id, position, workshop])
            }
        }
        return ranges
    }
}

/// Each workshop's last committed seq, known to this store. Read and written inside the pool's
/// write closures (one at a time); the lock makes that visible to the compiler and to readers.
/// Bounded: past `limit` workshops it starts again empty (each is read from the file once more).
final class LastSeqs: @unchecked Sendable {
    private let lock = NSLock()
    private var seqs: [WorkshopID: Int] = [:]
    private let limit = 4096

    subscript(workshop: WorkshopID) -> Int? {
        lock.lock(); defer { lock.unlock() }
        return seqs[workshop]
    }

    func record(_ lasts: [(WorkshopID, Int)]) {
        lock.lock(); defer { lock.unlock() }
        if seqs.count + lasts.count > limit { seqs = [:] }
        for (workshop, seq) in lasts { seqs[workshop] = seq }
    }

    func forget(_ workshops: Set<WorkshopID>) {
        lock.lock(); defer { lock.unlock() }
        for w in workshops { seqs[w] = nil }
    }
}

/// A statement GRDB prepared (and keeps in its cache), bound and stepped through the C API.
/// Values are copied at bind time (`SQLITE_TRANSIENT`); `run` steps to the end and resets.
private struct RawStatement {
    let handle: OpaquePointer
    let connection: OpaquePointer?

    init(_ statement: Statement, _ connection: OpaquePointer?) {
        handle = statement.sqliteStatement
        self.connection = connection
        sqlite3_reset(handle)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ text: String?) {
        guard let text else { sqlite3_bind_null(handle, index); return }
        sqlite3_bind_text(handle, index, text, -1, Self.transient)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ data: Data) {
        data.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, !bytes.isEmpty {
                sqlite3_bind_blob(handle, index, base, Int32(bytes.count), Self.transient)
            } else {
                sqlite3_bind_zeroblob(handle, index, 0)
            }
        }
    }

    func run(_ sql: String) throws {
        let code = sqlite3_step(handle)
        let message = code == SQLITE_DONE ? nil : connection.map { String(cString: sqlite3_errmsg($0)) }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
    }
}
