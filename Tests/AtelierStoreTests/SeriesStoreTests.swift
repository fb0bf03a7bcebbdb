import AtelierDomain
import AtelierTestSupport
import Foundation
import Testing
@testable @_spi(Testing) import AtelierStore

/// Series of workshops, on each store: written in commit batches, read back in order, kept across
/// a reopening, a workshop in one series at most.
@Suite("Series")
struct SeriesStoreTests {
    @Test(arguments: StoreKind.allCases)
    func aSeriesKeepsItsWorkshopsInOrderAcrossReopening(_ kind: StoreKind) throws {
        let database = try TestDatabase.make(kind)
        let plan = try defaultPlan()
        let first = NewWorkshop(plan: plan, title: "Diagnostic", now: 1000)
        let second = NewWorkshop(plan: plan, title: "Idées", now: 2000)
        let outside = NewWorkshop(plan: plan, title: "Hors série", now: 2500)
        var series = SeriesRecord(id: Secrets.seriesID(), title: "Ateliers IAE 2027", description: "Du diagnostic aux projets", createdAt: 500)
        let other = SeriesRecord(id: Secrets.seriesID(), title: "Groupe mobilité", createdAt: 600)
        do {
            let store = try database.open()
            try store.commit(CommitBatch(series: [series, other]))
            #expect(try store.listSeries() == [series, other])
            // A workshop created in the same batch as the series that names it.
            var batch = first.batch
            series.workshops = [first.record.id]
            batch.series = [series]
            try store.commit(batch)
            try store.commit(outside.batch)
            var next = second.batch
            series.workshops.append(second.record.id)
            next.series = [series]
            try store.commit(next)
        }
        let reopened = try database.open()
        let listed = try reopened.listSeries()
        #expect(listed.map(\.id) == [series.id, other.id])
        #expect(listed[0].workshops == [first.record.id, second.record.id])
        #expect(listed[0].title == "Ateliers IAE 2027" && listed[0].description == "Du diagnostic aux projets")
        #expect(listed[0].createdAt == 500 && !listed[0].archived)
        #expect(listed[1].workshops.isEmpty)
        #expect(try reopened.listWorkshops().count == 3)
    }

    @Test(arguments: StoreKind.allCases)
    func renamingArchivingAndReorderingReplaceTheSeries(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        let plan = try defaultPlan()
        let a = NewWorkshop(plan: plan, title: "A", now: 1), b = NewWorkshop(plan: plan, title: "B", now: 2)
        try store.commit(CommitBatch(workshops: [a.record, b.record], entries: a.batch.entries + b.batch.entries))
        var series = SeriesRecord(id: "s_test", title: "Avant", createdAt: 10, workshops: [a.record.id, b.record.id])
        try store.commit(CommitBatch(series: [series]))
        series.title = "Après"
        series.description = "Nouvelle description"
        series.archived = true
        series.workshops = [b.record.id, a.record.id]
        try store.commit(CommitBatch(series: [series]))
        #expect(try store.listSeries() == [series])
        series.archived = false
        series.workshops = [b.record.id]
        try store.commit(CommitBatch(series: [series]))
        #expect(try store.listSeries() == [series])
    }

    @Test(arguments: StoreKind.allCases)
    func aWorkshopBelongsToOneSeriesAtMostAndARefusedBatchWritesNothing(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        let w = NewWorkshop(plan: try defaultPlan(), title: "A", now: 1)
        try store.commit(w.batch)
        let first = SeriesRecord(id: "s_one", title: "Une", createdAt: 1, workshops: [w.record.id])
        try store.commit(CommitBatch(series: [first]))
        let second = SeriesRecord(id: "s_two", title: "Deux", createdAt: 2, workshops: [w.record.id])
        #expect(throws: (any Error).self) { try store.commit(CommitBatch(series: [second])) }
        #expect(try store.listSeries() == [first])
        // A series naming a workshop that does not exist is refused whole too.
        let ghost = SeriesRecord(id: "s_ghost", title: "Fantôme", createdAt: 3, workshops: ["w_missing"])
        let later = NewWorkshop(plan: try defaultPlan(), title: "B", now: 2)
        var batch = later.batch
        batch.series = [ghost]
        #expect(throws: (any Error).self) { try store.commit(batch) }
        #expect(try store.listSeries() == [first])
        #expect(try store.listWorkshops().map(\.id) == [w.record.id])
    }
}

/// Organiser sessions in the database (several nodes): opened, read, kept alive, closed, ended by
/// age, and bounded, on each store.
@Suite("Shared organiser sessions")
struct SharedAdminSessionTests {
    func session(_ n: Int, at t: Int64) -> StoredAdminSession {
        StoredAdminSession(digest: Secrets.digest("id-\(n)"), csrf: "csrf-\(n)", createdAt: t, lastUsed: t)
    }

    @Test(arguments: StoreKind.allCases)
    func openedReadTouchedClosedAndReopenedAfterARestart(_ kind: StoreKind) throws {
        let database = try TestDatabase.make(kind)
        let s = session(1, at: 1000)
        do {
            let store = try database.open()
            try store.openAdminSession(s, idleBefore: 0, openedBefore: 0, keep: 10)
            try store.touchAdminSession(digest: s.digest, at: 5000)
            try store.touchAdminSession(digest: s.digest, at: 4000)  // never backwards
        }
        let store = try database.open()
        #expect(try store.adminSession(digest: s.digest) == StoredAdminSession(digest: s.digest, csrf: "csrf-1", createdAt: 1000, lastUsed: 5000))
        #expect(try store.adminSession(digest: Secrets.digest("id-2")) == nil)
        try store.closeAdminSession(digest: s.digest)
        #expect(try store.adminSession(digest: s.digest) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func aNewSessionEndsTheExpiredOnesAndKeepsTheMostRecentlyUsed(_ kind: StoreKind) throws {
        let store = try TestDatabase.make(kind).open()
        for n in 0..<5 { try store.openAdminSession(session(n, at: Int64(100 * n)), idleBefore: 0, openedBefore: 0, keep: 10) }
        try store.touchAdminSession(digest: session(0, at: 0).digest, at: 450)  // the oldest, used last
        // Idle before 150: sessions 1 (lastUsed 100) ends; keep 2 of the rest, then the new one.
        try store.openAdminSession(session(9, at: 500), idleBefore: 150, openedBefore: 0, keep: 2)
        let left = try (0..<10).filter { try store.adminSession(digest: session($0, at: 0).digest) != nil }
        #expect(left == [0, 4, 9])
        // Opened before 300: ended whatever its use.
        try store.openAdminSession(session(8, at: 600), idleBefore: 0, openedBefore: 300, keep: 10)
        let after = try (0..<10).filter { try store.adminSession(digest: session($0, at: 0).digest) != nil }
        #expect(after == [4, 8, 9])
    }
}
