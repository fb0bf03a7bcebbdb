import AtelierDomain
import Foundation

/// Why a PostgreSQL store cannot be opened or written: French sentences for the operator.
public enum PostgresStoreError: Error, CustomStringConvertible {
    case unreachable(String, reason: String)
    case noSchema(String)
    case fsyncOff(String)
    case newerSchema(version: Int, known: Int)
    case anotherWriter(String)
    case writerLost(String)
    case singleWriterRunning(String)
    case nodeNameTaken(String, node: String)

    public var description: String {
        switch self {
        case let .unreachable(where_, reason):
            "base PostgreSQL injoignable (\(where_)) : \(reason)"
        case let .noSchema(where_):
            "base PostgreSQL \(where_) : aucun schéma où créer les tables (le schéma nommé par search_path n'existe pas, ou l'utilisateur n'y a pas accès)"
        case let .fsyncOff(where_):
            "base PostgreSQL \(where_) : le serveur tourne avec fsync=off, un enregistrement confirmé pourrait être perdu à la moindre panne ; Atelier refuse de l'utiliser"
        case let .newerSchema(version, known):
            "base PostgreSQL migrée par une version plus récente d'Atelier (schéma \(version), cette version connaît jusqu'au \(known)) : mettez Atelier à jour"
        case let .anotherWriter(where_):
            "un autre serveur Atelier (ou une commande en cours) écrit déjà dans la base PostgreSQL \(where_) ; une commande qui écrit passe par le serveur quand elle reçoit le même --data que lui"
        case let .singleWriterRunning(where_):
            "un serveur Atelier sans --node (seul à écrire) utilise déjà la base PostgreSQL \(where_) : arrêtez-le, ou donnez-lui aussi un --node"
        case let .nodeNameTaken(where_, node):
            "un autre nœud nommé « \(node) » est déjà en marche sur la base PostgreSQL \(where_) : donnez à chaque nœud un --node différent"
        case let .writerLost(where_):
            "la connexion d'écriture à la base PostgreSQL \(where_) a été perdue et un autre processus écrit maintenant dans la base : rien n'est enregistré par ce serveur"
        }
    }
}

/// The PostgreSQL store (libpq): the same journal as `SQLiteStore`, for an operator who keeps
/// data in PostgreSQL (docs/deploy.md "PostgreSQL").
///
/// - Durability: every session runs with `synchronous_commit = on`, and a server with `fsync = off`
///   is refused, so `commit` returns once the batch's WAL is flushed to disk.
/// - One writer: the writer's connection holds a session advisory lock for the schema while the
///   process lives (taken by `claimWriter`, or by the first commit); a second server, or a command
///   run beside one, cannot commit. If the connection is lost, the lock is taken again when it comes
///   back, or commits fail.
/// - Threads: a libpq connection is used by one thread at a time. The writer's connection (commits
///   and the retention purge, from the pipeline's writer queue and the retention timer) is behind a
///   lock; reads (from the loop and the start-up workers) take a connection from a small pool.
public final class PostgresStore: EventStore, @unchecked Sendable {
    public let location: String
    /// Several nodes: this node's name (`--node`); nil for the single writer.
    public let node: String?
    /// How long a lease lasts without renewal (several nodes).
    public let leaseSeconds: Int
    /// The workshops this node serves, with the owner epoch it took each one at (under `writerLock`).
    private var owned: [WorkshopID: Int64] = [:]
    private let conninfo: String
    private let readers: ConnectionPool
    private let writerLock = NSLock()
    private var writerConnection: PGConnection?
    private var writerClaimed = false

    /// Connects, checks the server's durability settings and applies the migrations.
    /// `conninfo` is a `postgres://` (or `postgresql://`) URL or a libpq key=value string.
    public init(conninfo: String, node: String? = nil, leaseSeconds: Int = 30,
                maxReaders: Int = max(4, ProcessInfo.processInfo.activeProcessorCount)) throws {
        self.conninfo = conninfo
        self.node = node
        self.leaseSeconds = leaseSeconds
        location = PGConnection.describe(conninfo)
        readers = ConnectionPool(conninfo: conninfo, limit: maxReaders)
        let first: PGConnection
        do {
            first = try PGConnection(conninfo: conninfo)
        } catch let error as PostgresError {
            throw PostgresStoreError.unreachable(location, reason: error.message)
        }
        if try first.setting("fsync") != "on" { throw PostgresStoreError.fsyncOff(location) }
        if try first.query("SELECT current_schema()").isNull(0, 0) { throw PostgresStoreError.noSchema(location) }
        try PostgresSchema.migrate(first)
        readers.adopt(first)
    }

    deinit { close() }

    // MARK: - Writing

    /// Takes the schema's writer lock for this process's lifetime: false if another process holds
    /// it. With `wait`, a holder has a few seconds to let go first (a server killed just before,
    /// whose session the database is ending).
    public func claimWriter(wait: Bool = false) throws -> Bool {
        writerLock.lock(); defer { writerLock.unlock() }
        do {
            _ = try writer(wait: wait)
            return true
        } catch PostgresStoreError.anotherWriter {
            return false
        }
    }

    // MARK: - Several nodes

    public var isShared: Bool { node != nil }

    public func claim(_ workshop: WorkshopID) throws -> Claim {
        guard let node else { return .here }
        writerLock.lock(); defer { writerLock.unlock() }
        if owned[workshop] != nil { return .here }
        let db = try writer()
        // Free, expired, this node's own from an earlier run of it, or held by a node that is no
        // longer running (its session, and so its node lock, is gone: killed, or its machine
        // lost once the database noticed): taken, with a new epoch. A node that is only stalled
        // keeps its session, so its workshops wait for its lease to run out; either way, fencing
        // refuses whatever the former owner would still try to commit.
        let taken: PGResult
        do {
            taken = try db.query("""
            UPDATE workshop SET owner_node = $1, owner_epoch = owner_epoch + 1, lease_until = now() + make_interval(secs => $3),
                                wanted_by = NULL, wanted_at = NULL
            WHERE id = $2 AND (owner_node IS NULL OR owner_node = $1 OR lease_until < now() OR NOT EXISTS (
                SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND classid::bigint = (hashtext(current_schema())::bigint & 4294967295)
                AND objid::bigint = (hashtext(\(Self.nodeLockPrefix) || owner_node)::bigint & 4294967295)))
            RETURNING owner_epoch
            """, [.text(node), .text(workshop), .int(Int64(leaseSeconds))])
        } catch let error as PostgresError where error.sqlState == "55P03" {
            // The row is locked by a commit that does not end (its node stalled in the middle of
            // it): not taken now; the client is sent away (4004) and comes back.
            return .elsewhere(node: "?")
        }
        if taken.rowCount == 1, let epoch = taken.int(0, 0) {
            owned[workshop] = epoch
            return .here
        }
        // Held by another node, alive: this node is asked for it, so the load balancer sends its
        // clients here now (a node came back, the hash moved). Said in the row: the holder lets
        // it go at its next lease tick (`renewLeases`), and the clients, sent away with 4004
        // meanwhile, find it here.
        let holder = try db.query("""
            UPDATE workshop SET wanted_by = $1, wanted_at = now() WHERE id = $2 AND owner_node IS DISTINCT FROM $1 RETURNING owner_node
            """, [.text(node), .text(workshop)])
        if holder.rowCount == 0 {
            let exists = try db.query("SELECT 1 FROM workshop WHERE id = $1", [.text(workshop)])
            return exists.rowCount == 0 ? .unknown : .elsewhere(node: "?")
        }
        return .elsewhere(node: holder.string(0, 0) ?? "?")
    }

    public func renewLeases() throws -> [WorkshopID] {
        guard let node else { return [] }
        writerLock.lock(); defer { writerLock.unlock() }
        if owned.isEmpty { return [] }
        let db = try writer()
        let ids = owned.keys.sorted()
        let list = ids.indices.map { "$\($0 + 4)" }.joined(separator: ", ")
        // Renewed, unless another node was asked for it within the last tick (the balancer
        // sends its clients there now): that one is let go, and handed to the hub as lost (its
        // clients are closed with 4004 and reconnect through the balancer, to the node it picks).
        let kept = try db.query("""
            UPDATE workshop SET lease_until = CASE WHEN wanted_by IS NOT NULL AND wanted_by <> $1 AND wanted_at > now() - make_interval(secs => $3::double precision)
                                                   THEN NULL ELSE now() + make_interval(secs => $2::double precision) END,
                                owner_node = CASE WHEN wanted_by IS NOT NULL AND wanted_by <> $1 AND wanted_at > now() - make_interval(secs => $3::double precision)
                                                  THEN NULL ELSE owner_node END
            WHERE owner_node = $1 AND id IN (\(list)) RETURNING id, owner_epoch, owner_node IS NOT NULL
            """, [.text(node), .int(Int64(leaseSeconds)), .int(Int64(max(1, leaseSeconds / 3)))] + ids.map { .text($0) })
        var epochs: [WorkshopID: Int64] = [:]
        for i in 0..<kept.rowCount where kept.bool(i, 2) == true {
            if let id = kept.string(i, 0) { epochs[id] = kept.int(i, 1) }
        }
        let lost = ids.filter { epochs[$0] != owned[$0] }
        for id in lost { owned[id] = nil }
        return lost
    }

    public func leasedWorkshops() -> [WorkshopID] {
        writerLock.lock(); defer { writerLock.unlock() }
        return owned.keys.sorted()
    }

    public func releaseLeases() throws {
        writerLock.lock()
        let ids = Array(owned.keys)
        writerLock.unlock()
        try release(ids)
    }

    public func release(_ workshops: [WorkshopID]) throws {
        guard let node else { return }
        writerLock.lock(); defer { writerLock.unlock() }
        let ids = workshops.filter { owned[$0] != nil }.sorted()
        if ids.isEmpty { return }
        let db = try writer()
        let list = ids.indices.map { "$\($0 + 2)" }.joined(separator: ", ")
        try db.query("UPDATE workshop SET owner_node = NULL, lease_until = NULL WHERE owner_node = $1 AND id IN (\(list))",
                     [.text(node)] + ids.map { .text($0) })
        for id in ids { owned[id] = nil }
    }

    /// The rows of the workshops a batch touches, locked (`FOR UPDATE`, in id order: every node
    /// takes them in this order, so no two deadlock), in one round trip: their owner, epoch and
    /// last seq.
    private func lockWorkshops(_ ids: Set<WorkshopID>, _ db: PGConnection) throws -> [WorkshopID: (node: String?, epoch: Int64?, lastSeq: Int)] {
        if ids.isEmpty { return [:] }
        var rows: [WorkshopID: (node: String?, epoch: Int64?, lastSeq: Int)] = [:]
        let sorted = ids.sorted()
        var start = 0
        while start < sorted.count {  // a few thousand parameters per statement at most
            let chunk = sorted[start..<min(start + 2000, sorted.count)]
            let list = chunk.indices.map { "$\($0 - start + 1)" }.joined(separator: ", ")
            let r = try db.query("SELECT id, owner_node, owner_epoch, last_seq FROM workshop WHERE id IN (\(list)) ORDER BY id FOR UPDATE",
                                 chunk.map { .text($0) })
            for i in 0..<r.rowCount {
                guard let id = r.string(i, 0) else { continue }
                rows[id] = (r.string(i, 1), r.int(i, 2), Int(r.int(i, 3) ?? 0))
            }
            start += chunk.count
        }
        return rows
    }

    /// Fencing: every workshop the batch touches (but those it creates) is this node's, at the
    /// epoch it took it at. Read under row locks (`lockWorkshops`), in the commit's transaction, so
    /// a takeover can not slip in between this check and the commit.
    private func checkOwnership(_ batch: CommitBatch, _ rows: [WorkshopID: (node: String?, epoch: Int64?, lastSeq: Int)]) throws {
        guard let node else { return }
        let created = Set(batch.workshops.map(\.id))
        var refused: [WorkshopID] = []
        for (workshop, row) in rows.sorted(by: { $0.key < $1.key }) where !created.contains(workshop) {
            if row.node != node || row.epoch != owned[workshop] { refused.append(workshop) }
        }
        if !refused.isEmpty {
            for w in refused { owned[w] = nil }
            throw StoreError.notServedHere(workshops: refused)
        }
    }

    /// The writer's connection, opened (and its lock taken) if needed. Called with `writerLock` held.
    private func writer(wait: Bool = false) throws -> PGConnection {
        let connection: PGConnection
        var reconnected = false
        if let existing = writerConnection {
            // A new session: the lock went with the old one.
            if try existing.ensureOpen() { writerClaimed = false; reconnected = true }
            connection = existing
        } else {
            do {
                connection = try PGConnection(conninfo: conninfo)
            } catch let error as PostgresError {
                throw PostgresStoreError.unreachable(location, reason: error.message)
            }
            writerConnection = connection
        }
        if !writerClaimed {
            try takeWriterLock(connection, wait: wait || reconnected, lost: reconnected)
            try takeNodeLock(connection, wait: wait || reconnected, lost: reconnected)
            writerClaimed = true
            // A server that vanishes without closing its connection (its machine lost) keeps the
            // lock until the database notices: make that about a minute, not TCP's two hours.
            try connection.execute("SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3")
            // Nodes: a row lock is held only for a commit's length; one held longer belongs to a
            // node stalled in the middle of a commit. Waiting for it would stall this node's loop
            // (claims run there) for as long: give up after 2 s instead (a claim answers
            // "elsewhere", a commit fails and its rooms reload).
            if node != nil { try connection.execute("SET lock_timeout = '2s'") }
        }
        return connection
    }

    /// Takes the schema's writer lock on `connection`'s session: only if it is free, or waiting a few
    /// seconds (after a reconnection, for the server to end the lost session, which held it).
    ///
    /// The single writer takes it exclusive; nodes (`--node`) take it shared: nodes run together,
    /// and never beside a single writer (which would write without leases).
    private func takeWriterLock(_ connection: PGConnection, wait: Bool, lost: Bool) throws {
        let key: [PGValue] = [.int(Int64(PostgresSchema.writerLock))]
        let shared = node == nil ? "" : "_shared"
        let refused = node == nil ? PostgresStoreError.anotherWriter(location) : PostgresStoreError.singleWriterRunning(location)
        guard wait else {
            let got = try connection.query("SELECT pg_try_advisory_lock\(shared)($1, hashtext(current_schema()))", key).bool(0, 0) ?? false
            guard got else { throw refused }
            return
        }
        try connection.execute("SET lock_timeout = '5s'")
        defer { try? connection.execute("RESET lock_timeout") }
        do {
            try connection.query("SELECT pg_advisory_lock\(shared)($1, hashtext(current_schema()))", key)
        } catch let error as PostgresError where error.sqlState == "55P03" {
            throw lost ? PostgresStoreError.writerLost(location) : refused
        }
    }

    /// The key of a node's lock: `(hashtext(schema), hashtext(prefix || node))`.
    static let nodeLockPrefix = "'atelier node '"

    /// Several nodes: the writer's session also holds a lock named after this node, for as long
    /// as the process runs. Another node that finds a workshop's owner without it knows that
    /// owner is gone (`claim`), and takes the workshop over without waiting for its lease; and two
    /// processes given the same `--node` are refused (they would share their leases).
    private func takeNodeLock(_ connection: PGConnection, wait: Bool, lost: Bool) throws {
        guard let node else { return }
        let key = "hashtext(current_schema()), hashtext(\(Self.nodeLockPrefix) || $1)"
        guard wait else {
            let got = try connection.query("SELECT pg_try_advisory_lock(\(key))", [.text(node)]).bool(0, 0) ?? false
            guard got else { throw PostgresStoreError.nodeNameTaken(location, node: node) }
            return
        }
        try connection.execute("SET lock_timeout = '5s'")
        defer { try? connection.execute("RESET lock_timeout") }
        do {
            try connection.query("SELECT pg_advisory_lock(\(key))", [.text(node)])
        } catch let error as PostgresError where error.sqlState == "55P03" {
            throw lost ? PostgresStoreError.writerLost(location) : PostgresStoreError.nodeNameTaken(location, node: node)
        }
    }

    public func commit(_ batch: CommitBatch) throws {
        if batch.isEmpty { return }
        let prepared = try JournalRows.prepare(batch.entries)
        writerLock.lock(); defer { writerLock.unlock() }
        let db = try writer()
        try db.transaction {
            for w in batch.workshops {
                // A workshop is served by the node that creates it (epoch 1).
                try db.query("""
                    INSERT INTO workshop (id, title, plan, join_code, facilitator_key, created_at, closed, owner_node, owner_epoch, lease_until)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $8::text IS NULL THEN NULL ELSE now() + make_interval(secs => $10) END)
                    """, [.text(w.id), .text(w.title), .text(w.plan), .text(w.joinCode), .text(w.facilitatorKeyDigest), .int(w.createdAt),
                          .bool(w.closed), .optional(node), .int(node == nil ? 0 : 1), .int(Int64(leaseSeconds))])
            }
            // Every row the batch touches, locked in one statement (one round trip, not two per
            // workshop): fencing, then the seqs. An unknown workshop has no row: the foreign keys
            // refuse its events.
            let touched = Set(batch.entries.map(\.workshop)).union(batch.credentials.map(\.workshop)).union(batch.facilitatorKeys.keys)
            let rows = try lockWorkshops(touched, db)
            try checkOwnership(batch, rows)
            // Seqs continue each journal: checked against `last_seq`, read under that row lock, and
            // moved in this transaction; the primary key (workshop_id, seq) refuses a seq taken twice.
            let moves = try JournalRows.checkContiguity(batch.entries) { workshop in rows[workshop]?.lastSeq ?? 0 }
            for entry in prepared {
                switch entry.effect {
                case .joined(let participant, let profile):
                    try db.query("""
                        INSERT INTO person (workshop_id, participant_id, name, organisation) VALUES ($1, $2, $3, $4)
                        ON CONFLICT (workshop_id, participant_id) DO UPDATE SET name = excluded.name, organisation = excluded.organisation
                        """, [.text(entry.workshop), .text(participant), .optional(profile?.name), .optional(profile?.organisation)])
                case .erased(let participant):
                    // The journal never held the name: erasing is emptying one row.
                    try db.query("UPDATE person SET name = NULL, organisation = NULL WHERE workshop_id = $1 AND participant_id = $2",
                                 [.text(entry.workshop), .text(participant)])
                case .closed, .none:
                    break
                }
            }
            try insertEvents(prepared, db)
            // Each journal's last seq moved on, in one statement; a row whose last seq is not the
            // one read is not updated, and the batch is refused.
            var start = 0
            while start < moves.count {
                let chunk = moves[start..<min(start + 500, moves.count)]
                var values: [String] = []
                var parameters: [PGValue] = []
                for (i, move) in chunk.enumerated() {
                    values.append("($\(i * 3 + 1)::text, $\(i * 3 + 2)::bigint, $\(i * 3 + 3)::bigint)")
                    parameters += [.text(move.workshop), .int(Int64(move.before)), .int(Int64(move.after))]
                }
                let r = try db.query("""
                    UPDATE workshop AS w SET last_seq = v.after FROM (VALUES \(values.joined(separator: ", "))) AS v(id, before, after)
                    WHERE w.id = v.id AND w.last_seq = v.before
                    """, parameters)
                guard r.affectedRows == chunk.count else {
                    let first = chunk[chunk.startIndex]
                    throw StoreError.gap(workshop: first.workshop, expected: first.before + 1, got: first.before + 1)
                }
                start += chunk.count
            }
            for entry in prepared {
                if case .closed = entry.effect {
                    try db.query("UPDATE workshop SET closed = true, closed_at = $1 WHERE id = $2", [.int(entry.at), .text(entry.workshop)])
                }
            }
            for c in batch.credentials {
                try db.query("""
                    INSERT INTO person (workshop_id, participant_id, token) VALUES ($1, $2, $3)
                    ON CONFLICT (workshop_id, participant_id) DO UPDATE SET token = excluded.token
                    """, [.text(c.workshop), .text(c.participant), .text(c.tokenDigest)])
            }
            for (workshop, digest) in batch.facilitatorKeys.sorted(by: { $0.key < $1.key }) {
                try db.query("UPDATE workshop SET facilitator_key = $1 WHERE id = $2", [.text(digest), .text(workshop)])
            }
            for s in batch.series {
                try db.query("""
                    INSERT INTO series (id, title, description, created_at, archived) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description, archived = excluded.archived
                    """, [.text(s.id), .text(s.title), .text(s.description), .int(s.createdAt), .bool(s.archived)])
                try db.query("DELETE FROM series_workshop WHERE series_id = $1", [.text(s.id)])
                for (position, workshop) in s.workshops.enumerated() {
                    try db.query("INSERT INTO series_workshop (series_id, position, workshop_id) VALUES ($1, $2, $3)",
                                 [.text(s.id), .int(Int64(position)), .text(workshop)])
                }
            }
        }
        if node != nil { for w in batch.workshops { owned[w.id] = 1 } }
    }

    /// The events, a few hundred rows per statement (one round trip each, not one per event).
    private func insertEvents(_ entries: [JournalRows.Prepared], _ db: PGConnection) throws {
        let rowsPerStatement = 500
        var start = 0
        while start < entries.count {
            let chunk = entries[start..<min(start + rowsPerStatement, entries.count)]
            var sql = "INSERT INTO event (workshop_id, seq, at, actor, message, type, payload) VALUES "
            var parameters: [PGValue] = []
            parameters.reserveCapacity(chunk.count * 7)
            for (i, e) in chunk.enumerated() {
                let n = i * 7
                sql += i == 0 ? "" : ", "
                sql += "($\(n + 1), $\(n + 2), $\(n + 3), $\(n + 4), $\(n + 5), $\(n + 6), $\(n + 7))"
                parameters += [.text(e.workshop), .int(Int64(e.seq)), .int(e.at), .optional(e.actor),
                               e.message.map { .bytes(Array($0.utf8)) } ?? .null, .text(e.type), .bytes(Array(e.payload))]
            }
            try db.query(sql, parameters)
            start += chunk.count
        }
    }

    @discardableResult
    public func purgePersonalData(closedBefore: Int64) throws -> Int {
        writerLock.lock(); defer { writerLock.unlock() }
        let db = try writer()
        return try db.query("""
            UPDATE person SET name = NULL, organisation = NULL, token = NULL
            WHERE (name IS NOT NULL OR organisation IS NOT NULL OR token IS NOT NULL)
              AND workshop_id IN (SELECT id FROM workshop WHERE closed AND closed_at < $1)
            """, [.int(closedBefore)]).affectedRows
    }

    /// Ends the store's sessions, and with them the writer lock (a server stopping, a test's
    /// restart). Used again, the store opens new ones.
    public func close() {
        writerLock.lock()
        // Let go of the writer lock now: a session's locks otherwise go only once the server has
        // ended the session, a moment after the connection closes.
        if writerClaimed, let connection = writerConnection, connection.isOpen {
            try? connection.query("SELECT pg_advisory_unlock_all()")
        }
        writerConnection = nil
        writerClaimed = false
        writerLock.unlock()
        readers.closeIdle()
    }

    // MARK: - Reading

    /// Runs `body` on a reader connection; once more on a new connection if the first was lost
    /// (a read changes nothing, so it can be repeated).
    private func read<T>(_ body: (PGConnection) throws -> T) throws -> T {
        do {
            return try readers.with(body)
        } catch let error as PostgresError where error.connectionLost {
            return try readers.with(body)
        }
    }

    public func openWorkshopIDs() throws -> [WorkshopID] {
        try read { db in
            let r = try db.query("SELECT id FROM workshop WHERE NOT closed ORDER BY created_at, id")
            return (0..<r.rowCount).compactMap { r.string($0, 0) }
        }
    }

    public func closedWorkshopIDsWithHandOff() throws -> [WorkshopID] {
        try read { db in
            let r = try db.query("""
                SELECT id FROM workshop w WHERE closed AND EXISTS (
                    SELECT 1 FROM event e WHERE e.workshop_id = w.id AND e.type IN ('project.submitted', 'webhook.queued', 'group.opened'))
                ORDER BY created_at, id
                """)
            return (0..<r.rowCount).compactMap { r.string($0, 0) }
        }
    }

    public func loadOpenWorkshops() throws -> [StoredWorkshop] {
        try openWorkshopIDs().compactMap { try loadWorkshop(id: $0) }
    }

    public func loadWorkshop(id: WorkshopID) throws -> StoredWorkshop? {
        try read { db in
            // One snapshot for the three reads, as SQLite's read transaction gives.
            try db.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
                let w = try db.query("\(Self.recordColumns) WHERE id = $1", [.text(id)])
                guard w.rowCount == 1 else { return nil }
                let record = Self.record(w, 0)
                var profiles: [ActorID: Profile] = [:]
                var credentials: [Credential] = []
                let people = try db.query("SELECT participant_id, name, organisation, token FROM person WHERE workshop_id = $1", [.text(id)])
                for i in 0..<people.rowCount {
                    let pid = people.string(i, 0) ?? ""
                    if let name = people.string(i, 1) { profiles[pid] = Profile(name: name, organisation: people.string(i, 2) ?? "") }
                    if let digest = people.string(i, 3) { credentials.append(Credential(workshop: id, participant: pid, tokenDigest: digest)) }
                }
                let events = try db.query("SELECT seq, at, actor, message, payload FROM event WHERE workshop_id = $1 ORDER BY seq", [.text(id)])
                var reader = JournalRows.Reader(workshop: id, profiles: profiles, expectedCount: events.rowCount)
                for i in 0..<events.rowCount {
                    try events.withBytes(i, 4) { payload in
                        try reader.append(seq: Int(events.int(i, 0) ?? 0), at: events.int(i, 1) ?? 0, actor: events.string(i, 2),
                                          message: events.string(i, 3), payload: payload ?? UnsafeRawBufferPointer(start: nil, count: 0))
                    }
                }
                return StoredWorkshop(record: record, entries: reader.entries, credentials: credentials)
            }
        }
    }

    public func events(workshop id: WorkshopID, after: Int, through: Int) throws -> [Event] {
        guard through > after else { return [] }
        return try read { db in
            try db.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
                var profiles: [ActorID: Profile] = [:]
                let people = try db.query("SELECT participant_id, name, organisation FROM person WHERE workshop_id = $1", [.text(id)])
                for i in 0..<people.rowCount {
                    if let name = people.string(i, 1) { profiles[people.string(i, 0) ?? ""] = Profile(name: name, organisation: people.string(i, 2) ?? "") }
                }
                let events = try db.query("SELECT seq, at, actor, message, payload FROM event WHERE workshop_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq",
                                          [.text(id), .int(Int64(after)), .int(Int64(through))])
                var reader = JournalRows.Reader(workshop: id, profiles: profiles, expectedCount: events.rowCount, first: after + 1)
                for i in 0..<events.rowCount {
                    try events.withBytes(i, 4) { payload in
                        try reader.append(seq: Int(events.int(i, 0) ?? 0), at: events.int(i, 1) ?? 0, actor: events.string(i, 2),
                                          message: events.string(i, 3), payload: payload ?? UnsafeRawBufferPointer(start: nil, count: 0))
                    }
                }
                return reader.entries.map(\.event)
            }
        }
    }

    public func workshopID(joinCode: String) throws -> WorkshopID? {
        try read { db in try db.query("SELECT id FROM workshop WHERE join_code = $1", [.text(joinCode)]).string(0, 0) }
    }

    /// The credential a presented token opens, looked up by its digest.
    public func credential(token: String) throws -> Credential? {
        let digest = Secrets.digest(token)
        return try read { db in
            let r = try db.query("SELECT workshop_id, participant_id FROM person WHERE token = $1", [.text(digest)])
            guard r.rowCount == 1, let w = r.string(0, 0), let p = r.string(0, 1) else { return nil }
            return Credential(workshop: w, participant: p, tokenDigest: digest)
        }
    }

    public func workshopCount() throws -> Int {
        try read { db in Int(try db.query("SELECT count(*) FROM workshop").int(0, 0) ?? 0) }
    }

    public func listWorkshops() throws -> [WorkshopRecord] {
        try read { db in
            let r = try db.query("\(Self.recordColumns) ORDER BY created_at, id")
            return (0..<r.rowCount).map { Self.record(r, $0) }
        }
    }

    public func listSeries() throws -> [SeriesRecord] {
        try read { db in
            let m = try db.query("SELECT series_id, workshop_id FROM series_workshop ORDER BY series_id, position")
            var members: [String: [WorkshopID]] = [:]
            for i in 0..<m.rowCount { members[m.string(i, 0) ?? "", default: []].append(m.string(i, 1) ?? "") }
            let r = try db.query("SELECT id, title, description, created_at, archived FROM series ORDER BY created_at, id")
            return (0..<r.rowCount).map { i in
                let id = r.string(i, 0) ?? ""
                return SeriesRecord(id: id, title: r.string(i, 1) ?? "", description: r.string(i, 2) ?? "", createdAt: r.int(i, 3) ?? 0,
                                    archived: r.bool(i, 4) ?? false, workshops: members[id] ?? [])
            }
        }
    }

    // Organiser sessions: on a reader connection (not the journal's writer, not fenced: they are
    // not workshop data); each statement stands alone and may be repeated after a lost connection.

    public func openAdminSession(_ session: StoredAdminSession, idleBefore: Int64, openedBefore: Int64, keep: Int) throws {
        try read { db in
            try db.query("DELETE FROM admin_session WHERE last_used < $1 OR created_at < $2", [.int(idleBefore), .int(openedBefore)])
            try db.query("""
                DELETE FROM admin_session WHERE digest NOT IN (SELECT digest FROM admin_session ORDER BY last_used DESC, digest LIMIT $1)
                """, [.int(Int64(max(0, keep)))])
            try db.query("INSERT INTO admin_session (digest, csrf, created_at, last_used) VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING",
                         [.text(session.digest), .text(session.csrf), .int(session.createdAt), .int(session.lastUsed)])
        }
    }

    public func adminSession(digest: String) throws -> StoredAdminSession? {
        try read { db in
            let r = try db.query("SELECT csrf, created_at, last_used FROM admin_session WHERE digest = $1", [.text(digest)])
            guard r.rowCount == 1 else { return nil }
            return StoredAdminSession(digest: digest, csrf: r.string(0, 0) ?? "", createdAt: r.int(0, 1) ?? 0, lastUsed: r.int(0, 2) ?? 0)
        }
    }

    public func touchAdminSession(digest: String, at: Int64) throws {
        try read { db in
            try db.query("UPDATE admin_session SET last_used = GREATEST(last_used, $1) WHERE digest = $2", [.int(at), .text(digest)])
        }
    }

    public func closeAdminSession(digest: String) throws {
        try read { db in try db.query("DELETE FROM admin_session WHERE digest = $1", [.text(digest)]) }
    }

    /// The three tables with their indexes and TOAST.
    public func journalBytes() -> Int? {
        try? read { db in
            try db.query("SELECT pg_total_relation_size('workshop') + pg_total_relation_size('event') + pg_total_relation_size('person')")
                .int(0, 0).map(Int.init)
        }
    }

    static let recordColumns = "SELECT id, title, plan, join_code, facilitator_key, created_at, closed FROM workshop"

    static func record(_ r: PGResult, _ i: Int) -> WorkshopRecord {
        WorkshopRecord(id: r.string(i, 0) ?? "", title: r.string(i, 1) ?? "", plan: r.string(i, 2) ?? "",
                       joinCode: r.string(i, 3) ?? "", facilitatorKeyDigest: r.string(i, 4) ?? "",
                       createdAt: r.int(i, 5) ?? 0, closed: r.bool(i, 6) ?? false)
    }

    // MARK: - For tests and tools

    /// Runs `body` on a connection of the store's own (tests read what is stored, and make the
    /// database fail, with it).
    @_spi(Testing) public func withConnection<T>(_ body: (PGConnection) throws -> T) throws -> T {
        try readers.with(body)
    }
}

/// A few reader connections, opened when needed and kept: a caller takes one, uses it alone, and
/// gives it back; when all are in use, it waits.
final class ConnectionPool: @unchecked Sendable {
    private let conninfo: String
    private let limit: Int
    private let condition = NSCondition()
    private var idle: [PGConnection] = []
    private var opened = 0

    init(conninfo: String, limit: Int) {
        self.conninfo = conninfo
        self.limit = max(1, limit)
    }

    func with<T>(_ body: (PGConnection) throws -> T) throws -> T {
        let connection = try take()
        defer { give(connection) }
        try connection.ensureOpen()
        return try body(connection)
    }

    private func take() throws -> PGConnection {
        condition.lock()
        while idle.isEmpty && opened >= limit { condition.wait() }
        if let c = idle.popLast() {
            condition.unlock()
            return c
        }
        opened += 1
        condition.unlock()
        do {
            return try PGConnection(conninfo: conninfo)
        } catch {
            condition.lock()
            opened -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func give(_ connection: PGConnection) {
        condition.lock()
        idle.append(connection)
        condition.signal()
        condition.unlock()
    }

    /// Closes the connections nobody uses.
    func closeIdle() {
        condition.lock()
        opened -= idle.count
        idle.removeAll()
        condition.signal()
        condition.unlock()
    }

    /// Adds a connection opened elsewhere (the one that ran the migrations).
    func adopt(_ connection: PGConnection) {
        condition.lock()
        opened += 1
        condition.unlock()
        give(connection)
    }
}
