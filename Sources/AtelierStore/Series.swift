import AtelierDomain
import Crypto
import Foundation

/// A series of workshops ("Ateliers IAE 2027": diagnosis, ideas, projects, follow-ups): its
/// title, description, and its workshops in order. Stored beside the workshops (table `series`
/// and `series_workshop`), written in a commit batch like them (``CommitBatch/series``).
public struct SeriesRecord: Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String
    public var createdAt: Int64
    public var archived: Bool
    /// Its workshops, in the series' order (a workshop belongs to one series at most).
    public var workshops: [WorkshopID]
    public init(id: String, title: String, description: String = "", createdAt: Int64, archived: Bool = false,
                workshops: [WorkshopID] = []) {
        self.id = id; self.title = title; self.description = description; self.createdAt = createdAt
        self.archived = archived; self.workshops = workshops
    }

    /// What a person can create is bounded (docs/protocol.md "Series").
    public static let maxSeries = 1000
    public static let maxWorkshops = 100
    public static let titleLength = 1...200
    public static let descriptionLength = 0...2000
}

extension Secrets {
    /// A series id: short, opaque, unique ("s_" and 10 letters or digits).
    public static func seriesID() -> String {
        var rng = SystemRandomNumberGenerator()
        return "s_" + String((0..<10).map { _ in Array("abcdefghjkmnpqrstwxyz23456789").randomElement(using: &rng)! })
    }
}

extension Secrets {
    /// The facilitator key the organiser's home page opens a console with (docs/protocol.md
    /// "Organiser session"): derived from the admin token and the workshop's current facilitator
    /// key digest (HMAC-SHA256), so nothing more is stored, and replacing the facilitator key
    /// (`atelier workshop new-key`) or the admin token revokes it too.
    public static func consoleKey(adminToken: String, workshop: WorkshopID, facilitatorKeyDigest: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("atelier-console\n\(workshop)\n\(facilitatorKeyDigest)".utf8),
                                                  using: SymmetricKey(data: Array(adminToken.utf8)))
        return "o" + Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// An organiser session as several nodes share it in the database (`AdminSessions` keeps them in
/// memory on a single node): the digest of its id, its CSRF token, when it was opened and last used.
public struct StoredAdminSession: Sendable, Equatable {
    public var digest: String
    public var csrf: String
    public var createdAt: Int64
    public var lastUsed: Int64
    public init(digest: String, csrf: String, createdAt: Int64, lastUsed: Int64) {
        self.digest = digest; self.csrf = csrf; self.createdAt = createdAt; self.lastUsed = lastUsed
    }
}
