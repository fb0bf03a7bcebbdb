import AtelierDomain
import AtelierTestSupport
import Foundation
import Synchronization
import GRDB
import Testing
@testable @_spi(Testing) import AtelierStore

/// What only the PostgreSQL store has: its settings, its migrations, its single writer, a lost
/// connection. (The journal's guarantees are `JournalTests`, on both stores.)
@Suite("PostgreSQL store")
struct PostgresStoreTests {
    func fresh() throws -> (TestDatabase, PostgresStore) {
        let database = try TestDatabase.make(.postgres)
        return (database, try #require(try database.open() as? PostgresStore))
    }

    @Test func commitsWaitForTheDiskAndTheServerSyncs() throws {
        let (_, store) = try fresh()
        let (synchronousCommit, fsync) = try store.withConnection { c in (try c.setting("synchronous_commit"), try c.setting("fsync")) }
        #expect(synchronousCommit == "on")
        #expect(fsync == "on")
    }

    @Test func migrationsAreRecordedAndAppliedOnce() throws {
        let (database, store) = try fresh()
        let versions = try TestDatabase.strings(store, "SELECT version::text FROM schema_migrations ORDER BY version")
        #expect(versions == PostgresSchema.migrations.map { String($0.version) })
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try store.commit(created.batch)
        // Opening again applies nothing and keeps everything.
        let again = try database.open()
        #expect(try TestDatabase.strings(again, "SELECT version::text FROM schema_migrations ORDER BY version") == versions)
        #expect(try again.listWorkshops() == [created.record])
        // A schema from a newer Atelier is refused with a sentence saying so.
        try TestDatabase.execute(store, "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")
        #expect { try database.open() } throws: { error in
            guard case PostgresStoreError.newerSchema(999, _) = error else { return false }
            return "\(error)".contains("version plus récente")
        }
    }

    @Test func oneWriterPerSchema() throws {
        let (database, first) = try fresh()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try first.commit(created.batch)
        // A second process on the same schema reads, but may not write.
        let second = try #require(try database.open() as? PostgresStore)
        #expect(try second.loadWorkshop(id: created.record.id) != nil)
        #expect(try !second.claimWriter())
        #expect {
            try second.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(created.events.count + 1))]))
        } throws: { error in
            guard case PostgresStoreError.anotherWriter = error else { return false }
            return true
        }
        // Another schema of the same database is another Atelier: its writer is free.
        let (_, elsewhere) = try fresh()
        #expect(try elsewhere.claimWriter())
    }

    @Test func theWriterLockGoesWithItsProcess() throws {
        let (database, _) = try fresh()
        do {
            let first = try #require(try database.open() as? PostgresStore)
            #expect(try first.claimWriter())
        }
        // The first store is gone (its connections closed): the lock is free again.
        let second = try #require(try database.open() as? PostgresStore)
        #expect(try second.claimWriter())
    }

    /// The writer's connection is cut (a PostgreSQL restart, a network cut): the commit in flight
    /// fails, and the next one reconnects, takes the writer lock again and goes on from the journal.
    @Test func aLostWriterConnectionFailsItsCommitAndTheNextOneReconnects() throws {
        let (_, store) = try fresh()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try store.commit(created.batch)
        let seq = created.events.count + 1
        let killed = try TestDatabase.strings(store, """
            SELECT pg_terminate_backend(pid)::text FROM pg_locks
            WHERE locktype = 'advisory' AND classid = \(PostgresSchema.writerLock) AND objid = hashtext(current_schema())::oid AND granted
            """)
        #expect(killed == ["true"])
        #expect(throws: PostgresError.self) {
            try store.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(seq))]))
        }
        try store.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(seq))]))
        #expect(try store.loadWorkshop(id: created.record.id)?.entries.last?.event.seq == seq)
        #expect(try store.claimWriter())
    }

    /// A whole journal with every event type of the time (the v1 fixture, read by SQLite) written
    /// to PostgreSQL loads back the same: events, message ids, names, tokens.
    @Test func aWholeJournalRoundTripsThroughPostgreSQL() throws {
        let dir = temporaryDirectory()
        try FileManager.default.copyItem(at: JournalFormatTests.fixtures.appendingPathComponent("journal-v1.sqlite"),
                                         to: URL(fileURLWithPath: dir).appendingPathComponent("atelier.sqlite"))
        let sqlite = try SQLiteStore(directory: dir)
        let record = try #require(try sqlite.listWorkshops().first)
        let original = try #require(try sqlite.loadWorkshop(id: record.id))
        let (_, store) = try fresh()
        try store.commit(CommitBatch(workshops: [WorkshopRecord(id: record.id, title: record.title, plan: record.plan, joinCode: record.joinCode,
                                                                facilitatorKeyDigest: record.facilitatorKeyDigest, createdAt: record.createdAt)],
                                     entries: original.entries, credentials: original.credentials))
        let copy = try #require(try store.loadWorkshop(id: record.id))
        #expect(copy.record == record, "closed by its journal's workshop.closed")
        #expect(copy.entries == original.entries)
        #expect(Set(copy.credentials.map(\.tokenDigest)) == Set(original.credentials.map(\.tokenDigest)))
        #expect(copy.state == original.state)
        #expect(try store.openWorkshopIDs().isEmpty)
    }

    /// Start-up loads workshops on several threads at once (`Hub.loadOpenRooms`): the readers'
    /// pool gives each its own connection, and each load is the one a lone reader gets.
    @Test func parallelLoadsGetWhatALoneLoadGets() throws {
        let (_, store) = try fresh()
        var made: [WorkshopID] = []
        for n in 0..<12 {
            let created = NewWorkshop(plan: try defaultPlan(), title: "Atelier \(n)", now: Int64(n))
            var batch = created.batch
            for k in 0..<n { batch.entries.append(JournalEntry(workshop: created.record.id, event: cardEvent(created.events.count + 1 + k))) }
            try store.commit(batch)
            made.append(created.record.id)
        }
        let ids = made
        let lone = try ids.map { try store.loadWorkshop(id: $0)?.entries.count }
        let results = Mutex<[Int: Int?]>([:])
        DispatchQueue.concurrentPerform(iterations: 24) { i in
            let count = (try? store.loadWorkshop(id: ids[i % ids.count]))??.entries.count
            results.withLock { $0[i] = count }
        }
        for (i, count) in results.withLock({ $0 }) { #expect(count == lone[i % ids.count]) }
    }

    @Test func anUnreachableServerIsSaidInFrench() throws {
        // A port nobody listens on (a free one, taken then given back).
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) } }
        close(probe)
        let port = UInt16(bigEndian: address.sin_port)
        #expect { try PostgresStore(conninfo: "postgres://atelier:secret-password@127.0.0.1:\(port)/atelier") } throws: { error in
            guard case PostgresStoreError.unreachable = error else { return false }
            let text = "\(error)"
            return text.hasPrefix("base PostgreSQL injoignable (postgres://atelier@127.0.0.1:\(port)/atelier)") && !text.contains("secret-password")
        }
    }
}

@Suite("Database addresses")
struct DatabaseAddressTests {
    @Test func sqliteIsTheDefault() throws {
        #expect(try DatabaseAddress.parse(nil, dataDirectory: "/d") == .sqlite(file: "/d/atelier.sqlite"))
        #expect(try DatabaseAddress.parse("", dataDirectory: "/d") == .sqlite(file: "/d/atelier.sqlite"))
        #expect(try DatabaseAddress.parse("sqlite:", dataDirectory: "/d") == .sqlite(file: "/d/atelier.sqlite"))
        #expect(try DatabaseAddress.parse("sqlite:/var/x.sqlite", dataDirectory: "/d") == .sqlite(file: "/var/x.sqlite"))
        #expect(try DatabaseAddress.parse("sqlite:///var/x.sqlite", dataDirectory: "/d") == .sqlite(file: "/var/x.sqlite"))
        #expect(try DatabaseAddress.parse("sqlite:rel/x.sqlite", dataDirectory: "/d") == .sqlite(file: "rel/x.sqlite"))
    }

    @Test func postgresURLs() throws {
        let url = "postgres://atelier@db.example:5433/atelier?sslmode=require"
        #expect(try DatabaseAddress.parse(url, dataDirectory: "/d") == .postgres(conninfo: url))
        #expect(try DatabaseAddress.parse("postgresql://u@h/db", dataDirectory: "/d").isPostgres)
        #expect(DatabaseAddress.postgres(conninfo: "postgres://u:pw@h:5/db").description == "postgres://u@h:5/db", "no password shown")
    }

    @Test(arguments: ["mysql://u@h/db", "postgres:/nothing", "/var/lib/atelier", "postgres://u@h/db?sslmode=maybe&nope=1"])
    func anythingElseIsRefusedInFrench(_ text: String) {
        #expect { try DatabaseAddress.parse(text, dataDirectory: "/d") } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("--database : adresse") && !message.contains("pw")
        }
    }
}

/// Several nodes on one database (issue 15, part 2): a workshop is served by the node that holds its
/// lease, and a node whose lease was taken over writes nothing more (fencing by the owner epoch,
/// checked in each commit's transaction).
@Suite("Several nodes")
struct SeveralNodesTests {
    func nodes() throws -> (TestDatabase, PostgresStore, PostgresStore) {
        let database = try TestDatabase.make(.postgres)
        let a = try #require(try database.open(node: "a") as? PostgresStore)
        let b = try #require(try database.open(node: "b") as? PostgresStore)
        return (database, a, b)
    }

    @Test func aWorkshopIsServedByOneNodeAtATime() throws {
        let (_, a, b) = try nodes()
        #expect(a.isShared && b.isShared)
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try a.commit(created.batch)  // the node that creates a workshop serves it
        #expect(try a.claim(created.record.id) == .here)
        #expect(try b.claim(created.record.id) == .elsewhere(node: "a"))
        #expect(try b.claim("w_nothing") == .unknown)
        // b reads it (a join code is checked anywhere), but may not write to it.
        #expect(try b.workshopID(joinCode: created.record.joinCode) == created.record.id)
        let next = created.events.count + 1
        #expect {
            try b.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next))]))
        } throws: { error in
            guard case StoreError.notServedHere(let ws) = error else { return false }
            return ws == [created.record.id]
        }
        try a.commit(CommitBatch(entries: [JournalEntry(workshop: created.record.id, event: cardEvent(next))]))
        #expect(try a.loadWorkshop(id: created.record.id)?.entries.last?.event.seq == next)
    }

    /// a's lease runs out (a stalled node); b takes the workshop over. a learns it at its next
    /// renewal, and a batch it had built meanwhile is refused whole: the journal goes on from b.
    @Test func aNodeWhoseLeaseWasTakenOverWritesNothingMore() throws {
        let (_, a, b) = try nodes()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try a.commit(created.batch)
        let id = created.record.id, next = created.events.count + 1
        #expect(try a.renewLeases() == [], "a still holds it")
        try TestDatabase.execute(a, "UPDATE workshop SET lease_until = now() - interval '1 second'")
        #expect(try b.claim(id) == .here)
        #expect(try TestDatabase.strings(b, "SELECT owner_node || ':' || owner_epoch FROM workshop") == ["b:2"])
        // a's stale batch: refused whole (its new workshop too), nothing of it written.
        let other = NewWorkshop(plan: try defaultPlan(), title: nil, now: 1)
        var stale = other.batch
        stale.entries.append(JournalEntry(workshop: id, event: cardEvent(next)))
        #expect(throws: StoreError.self) { try a.commit(stale) }
        #expect(try b.listWorkshops().map(\.id) == [id])
        #expect(try a.renewLeases() == [], "the refused commit already let go of it")
        try b.commit(CommitBatch(entries: [JournalEntry(workshop: id, event: cardEvent(next))]))
        #expect(try b.loadWorkshop(id: id)?.entries.count == next)
        #expect(try a.claim(id) == .elsewhere(node: "b"))
    }

    @Test func aRenewalSaysWhichLeasesWereLost() throws {
        let (_, a, b) = try nodes()
        var ids: [WorkshopID] = []
        for n in 0..<2 {
            let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: Int64(n))
            try a.commit(created.batch)
            ids.append(created.record.id)
        }
        try TestDatabase.execute(a, "UPDATE workshop SET lease_until = now() - interval '1 second' WHERE id = '\(ids[1])'")
        #expect(try b.claim(ids[1]) == .here)
        #expect(try a.renewLeases() == [ids[1]])
        // The lease a kept was extended: it runs a lease's length from now.
        let left = try TestDatabase.strings(a, "SELECT (lease_until > now() + interval '20 seconds')::text FROM workshop WHERE id = '\(ids[0])'")
        #expect(left == ["true"])
    }

    @Test func aNodeThatStopsLetsAnotherTakeOverAtOnce() throws {
        let (_, a, b) = try nodes()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try a.commit(created.batch)
        #expect(try b.claim(created.record.id) == .elsewhere(node: "a"))
        try a.releaseLeases()
        #expect(try b.claim(created.record.id) == .here)
        #expect(try a.claim(created.record.id) == .elsewhere(node: "b"))
    }

    /// A node that is gone (killed: its session ended, and its node lock with it) is taken over at
    /// once, its lease still running; one that runs, even idle, is not.
    @Test func aNodeThatIsGoneIsTakenOverWithoutWaitingForItsLease() throws {
        let (_, a, b) = try nodes()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try a.commit(created.batch)
        #expect(try b.claim(created.record.id) == .elsewhere(node: "a"), "a runs: its lease holds")
        a.close()  // as a process killed: no lease given back, its session ends
        let left = try TestDatabase.strings(b, "SELECT (lease_until > now())::text FROM workshop")
        #expect(left == ["true"], "a's lease still runs")
        #expect(try b.claim(created.record.id) == .here)
        #expect(try TestDatabase.strings(b, "SELECT owner_node || ':' || owner_epoch FROM workshop") == ["b:2"])
    }

    /// A node stalled in the middle of a commit holds its workshops' rows locked: another node's
    /// claim (on its loop) gives up after the session's lock timeout instead of waiting as long.
    @Test func aClaimDoesNotWaitForACommitThatDoesNotEnd() throws {
        let (_, a, b) = try nodes()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try a.commit(created.batch)
        let id = created.record.id
        try TestDatabase.execute(a, "UPDATE workshop SET lease_until = now() - interval '1 second'")
        try a.withConnection { stalled in
            try stalled.execute("BEGIN")
            try stalled.query("SELECT 1 FROM workshop WHERE id = $1 FOR UPDATE", [.text(id)])
            #expect(try b.claim(id) == .elsewhere(node: "?"))
            try stalled.execute("ROLLBACK")
        }
        #expect(try b.claim(id) == .here)
    }

    /// Routing and ownership agree again: the node asked for a workshop another node holds (the
    /// one the balancer sends its clients to now) gets it at the holder's next tick; a request
    /// older than a tick is not enough.
    @Test func aHolderLetsGoOfAWorkshopAnotherNodeIsAskedFor() throws {
        let (_, a, b) = try nodes()
        let created = NewWorkshop(plan: try defaultPlan(), title: nil, now: 0)
        try a.commit(created.batch)
        let id = created.record.id
        #expect(try b.claim(id) == .elsewhere(node: "a"))
        try TestDatabase.execute(a, "UPDATE workshop SET wanted_at = now() - interval '1 hour'")
        #expect(try a.renewLeases() == [], "asked for long ago: kept")
        #expect(try b.claim(id) == .elsewhere(node: "a"))
        #expect(try a.renewLeases() == [id], "asked for now: let go")
        #expect(try TestDatabase.strings(a, "SELECT coalesce(owner_node, 'none') FROM workshop") == ["none"])
        #expect(try b.claim(id) == .here)
        #expect(try TestDatabase.strings(b, "SELECT owner_node || ':' || coalesce(wanted_by, 'none') FROM workshop") == ["b:none"])
        #expect(try b.renewLeases() == [], "b keeps it")
    }

    @Test func twoProcessesWithOneNodeNameAreRefused() throws {
        let (database, a, _) = try nodes()
        #expect(try a.claimWriter())
        let twin = try #require(try database.open(node: "a") as? PostgresStore)
        #expect { _ = try twin.claimWriter() } throws: { error in
            guard case PostgresStoreError.nodeNameTaken(_, node: "a") = error else { return false }
            return true
        }
        a.close()
        #expect(try twin.claimWriter(), "once the first is gone, its name is free")
    }

    @Test func nodesRunTogetherButNeverBesideASingleWriter() throws {
        let (database, a, b) = try nodes()
        #expect(try a.claimWriter())
        #expect(try b.claimWriter())
        let single = try #require(try database.open() as? PostgresStore)
        #expect(try !single.claimWriter(), "a server without --node would write without leases")
        a.close(); b.close()
        #expect(try single.claimWriter())
        let late = try #require(try database.open(node: "c") as? PostgresStore)
        #expect { _ = try late.claimWriter() } throws: { error in
            guard case PostgresStoreError.singleWriterRunning = error else { return false }
            return true
        }
    }
}
