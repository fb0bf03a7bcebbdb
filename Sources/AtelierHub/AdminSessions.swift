import AtelierStore
import Foundation

/// The organiser's sessions in the browser (docs/protocol.md "Organiser session"): the admin token,
/// typed once on the login page, is exchanged for a session whose id travels only in an HttpOnly
/// cookie. Held by the hub, in memory, on the loop: a restart ends every session (the organiser
/// logs in again). Only digests of the ids are kept, as for every other bearer secret. With
/// several nodes the sessions are in the database instead (`Hub.openAdminSession`), with the same
/// limits.
///
/// Bounded: at most ``capacity`` sessions; a new login past it ends the one used least recently.
/// A session unused for ``idleMs`` has ended, and none lasts more than ``maximumMs``.
public struct AdminSessions: Sendable {
    public struct Session: Sendable, Equatable {
        /// The per-session token the organiser's page sends in `X-Atelier-CSRF` with each write.
        public let csrf: String
        public let createdAt: Int64
        public var lastUsed: Int64
    }

    public let capacity: Int
    public let idleMs: Int64
    public let maximumMs: Int64
    /// By the digest of the session id.
    private var sessions: [String: Session] = [:]

    public init(capacity: Int = 64, idleMs: Int64 = 12 * 3_600_000, maximumMs: Int64 = 7 * 86_400_000) {
        self.capacity = max(1, capacity); self.idleMs = idleMs; self.maximumMs = maximumMs
    }

    public var count: Int { sessions.count }

    /// A new session: its id (for the cookie) and the session (its CSRF token).
    public mutating func open(now: Int64) -> (id: String, session: Session) {
        sessions = sessions.filter { alive($0.value, now) }
        while sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            sessions[oldest.key] = nil
        }
        let id = Secrets.token()
        let session = Session(csrf: Secrets.token(), createdAt: now, lastUsed: now)
        sessions[Secrets.digest(id)] = session
        return (id, session)
    }

    /// The session `id` opens, if it has not ended; using it keeps it alive.
    public mutating func use(_ id: String, now: Int64) -> Session? {
        let key = Secrets.digest(id)
        guard var session = sessions[key] else { return nil }
        guard alive(session, now) else { sessions[key] = nil; return nil }
        session.lastUsed = now
        sessions[key] = session
        return session
    }

    /// Logging out: the session ends here, whatever the browser keeps.
    @discardableResult
    public mutating func close(_ id: String) -> Bool {
        sessions.removeValue(forKey: Secrets.digest(id)) != nil
    }

    private func alive(_ s: Session, _ now: Int64) -> Bool {
        isAlive(createdAt: s.createdAt, lastUsed: s.lastUsed, now: now)
    }

    /// Whether a session opened at `createdAt` and last used at `lastUsed` is still open at `now`.
    public func isAlive(createdAt: Int64, lastUsed: Int64, now: Int64) -> Bool {
        now - lastUsed < idleMs && now - createdAt < maximumMs
    }
}

extension Hub {
    /// A new organiser session: its id (for the cookie) and CSRF token. In memory on a single node;
    /// in the database when several nodes share it, so that any node knows it. Nil if the
    /// database could not record it.
    func openAdminSession() -> (id: String, csrf: String)? {
        let now = clock()
        guard store.isShared else {
            let (id, session) = adminSessions.open(now: now)
            return (id, session.csrf)
        }
        let id = Secrets.token(), csrf = Secrets.token()
        do {
            try store.openAdminSession(StoredAdminSession(digest: Secrets.digest(id), csrf: csrf, createdAt: now, lastUsed: now),
                                       idleBefore: now - adminSessions.idleMs, openedBefore: now - adminSessions.maximumMs,
                                       keep: adminSessions.capacity - 1)
            return (id, csrf)
        } catch {
            logger.error("organiser session not recorded", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The CSRF token of the open session `id`, nil if there is none (or it has ended). Using a
    /// session keeps it alive; in the database, its last use is written at most once a minute.
    func useAdminSession(_ id: String) -> String? {
        let now = clock()
        guard store.isShared else { return adminSessions.use(id, now: now)?.csrf }
        let digest = Secrets.digest(id)
        guard let stored = try? store.adminSession(digest: digest) else { return nil }
        guard adminSessions.isAlive(createdAt: stored.createdAt, lastUsed: stored.lastUsed, now: now) else {
            try? store.closeAdminSession(digest: digest)
            return nil
        }
        if now - stored.lastUsed >= 60_000 { try? store.touchAdminSession(digest: digest, at: now) }
        return stored.csrf
    }

    /// Logging out: the session ends on the server (every node).
    func closeAdminSession(_ id: String) {
        if store.isShared {
            do { try store.closeAdminSession(digest: Secrets.digest(id)) } catch {
                logger.error("organiser session not closed", metadata: ["error": "\(error)"])
            }
        } else {
            adminSessions.close(id)
        }
    }
}
