import AtelierStore
import Testing
@testable import AtelierHub

/// The organiser's browser sessions (HTTPAPI+Organiser.swift): ended by idleness, by age, by
/// logging out, and bounded in number.
@Suite("Admin sessions")
struct AdminSessionTests {
    @Test func aSessionLastsWhileItIsUsedAndEndsWhenIdle() {
        var sessions = AdminSessions(capacity: 4, idleMs: 1000, maximumMs: 10_000)
        let (id, opened) = sessions.open(now: 0)
        // Used within the idle time, again and again: still there, with the same CSRF token.
        #expect(sessions.use(id, now: 999)?.csrf == opened.csrf)
        #expect(sessions.use(id, now: 1998)?.csrf == opened.csrf)
        // Left alone for the idle time: ended, and gone for good.
        #expect(sessions.use(id, now: 2998) == nil)
        #expect(sessions.use(id, now: 2999) == nil)
        #expect(sessions.count == 0)
    }

    @Test func noSessionOutlivesItsMaximumEvenWhenUsed() {
        var sessions = AdminSessions(capacity: 4, idleMs: 1000, maximumMs: 3000)
        let (id, _) = sessions.open(now: 0)
        for t in stride(from: Int64(500), through: 2500, by: 500) { #expect(sessions.use(id, now: t) != nil) }
        #expect(sessions.use(id, now: 3000) == nil)
    }

    @Test func loggingOutEndsTheSessionOnly() {
        var sessions = AdminSessions()
        let (a, _) = sessions.open(now: 0)
        let (b, _) = sessions.open(now: 0)
        let closed = sessions.close(a)
        let closedAgain = sessions.close(a)
        #expect(closed && !closedAgain)
        #expect(sessions.use(a, now: 1) == nil)
        #expect(sessions.use(b, now: 1) != nil)
    }

    @Test func unknownIdsOpenNothing() {
        var sessions = AdminSessions()
        let (id, _) = sessions.open(now: 0)
        #expect(sessions.use(id + "x", now: 1) == nil)
        #expect(sessions.use("", now: 1) == nil)
        #expect(sessions.use(Secrets.digest(id), now: 1) == nil)  // what is kept is not a key
    }

    @Test func theNumberIsBoundedAndTheLeastRecentlyUsedGoesFirst() {
        var sessions = AdminSessions(capacity: 3, idleMs: 1_000_000, maximumMs: 10_000_000)
        let ids = (0..<3).map { sessions.open(now: Int64($0)).id }
        _ = sessions.use(ids[0], now: 10)  // the oldest, but used last
        let newest = sessions.open(now: 11).id
        #expect(sessions.count == 3)
        #expect(sessions.use(ids[1], now: 12) == nil)  // the least recently used: ended
        #expect(sessions.use(ids[0], now: 12) != nil)
        #expect(sessions.use(ids[2], now: 12) != nil)
        #expect(sessions.use(newest, now: 12) != nil)
        // A thousand logins later, still three.
        for n in 0..<1000 { _ = sessions.open(now: 100 + Int64(n)) }
        #expect(sessions.count == 3)
    }

    @Test func idsAndCSRFTokensAreDistinct() {
        var sessions = AdminSessions(capacity: 100)
        let opened = (0..<50).map { _ in sessions.open(now: 0) }
        #expect(Set(opened.map(\.id)).count == 50)
        #expect(Set(opened.map(\.session.csrf)).count == 50)
        #expect(Set(opened.map(\.id)).isDisjoint(with: opened.map(\.session.csrf)))
    }

    @Test func theConsoleKeyFollowsTheFacilitatorKeyAndTheAdminToken() {
        let a = Secrets.consoleKey(adminToken: "t1", workshop: "w_a", facilitatorKeyDigest: Secrets.digest("k1"))
        #expect(a == Secrets.consoleKey(adminToken: "t1", workshop: "w_a", facilitatorKeyDigest: Secrets.digest("k1")))
        #expect(a != Secrets.consoleKey(adminToken: "t2", workshop: "w_a", facilitatorKeyDigest: Secrets.digest("k1")))
        #expect(a != Secrets.consoleKey(adminToken: "t1", workshop: "w_b", facilitatorKeyDigest: Secrets.digest("k1")))
        #expect(a != Secrets.consoleKey(adminToken: "t1", workshop: "w_a", facilitatorKeyDigest: Secrets.digest("k2")))
        #expect(a.count >= 40)
    }
}
