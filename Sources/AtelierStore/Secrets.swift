import Crypto
import Foundation

/// Secrets and codes. `SystemRandomNumberGenerator` reads the kernel's CSPRNG (getrandom) on Linux.
public enum Secrets {
    /// A bearer secret (admin token, facilitator key, participant token): 192 random bits, URL-safe.
    public static func token() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Letters and digits that cannot be misread aloud or on a projector (no 0/O, 1/I/L, U/V).
    static let codeAlphabet = Array("ABCDEFGHJKMNPQRSTWXYZ23456789")

    /// A join code such as `K7Q4-ZP2M`: easy to type on a phone; guessing is slowed by the hub.
    public static func joinCode() -> String {
        var rng = SystemRandomNumberGenerator()
        let chars = (0..<8).map { _ in codeAlphabet.randomElement(using: &rng)! }
        return String(chars[0..<4]) + "-" + String(chars[4..<8])
    }

    /// A workshop id: short, opaque, unique.
    public static func workshopID() -> String {
        var rng = SystemRandomNumberGenerator()
        return "w_" + String((0..<10).map { _ in Array("abcdefghjkmnpqrstwxyz23456789").randomElement(using: &rng)! })
    }

    /// A join code as people type it: case and separators do not matter.
    public static func normalizeJoinCode(_ code: String) -> String {
        let kept = code.uppercased().filter { $0.isLetter || $0.isNumber }
        guard kept.count == 8 else { return String(kept) }
        return String(kept.prefix(4)) + "-" + String(kept.suffix(4))
    }

    /// What is stored of a bearer secret (facilitator key, participant token): its SHA-256, so a
    /// copy of the database opens no workshop. "sha256:" and 64 hex digits.
    public static func digest(_ secret: String) -> String {
        "sha256:" + SHA256.hash(data: Array(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public static func isDigest(_ stored: String) -> Bool {
        stored.hasPrefix("sha256:") && stored.utf8.count == 71
    }

    /// Whether `secret` is the one `digest` was made from (compared in constant time).
    public static func matches(_ secret: String, digest stored: String) -> Bool {
        constantTimeEquals(digest(secret), stored)
    }

    /// Compares secrets in time that depends only on the length of the expected one.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<y.count { diff |= (i < x.count ? x[i] : 0) ^ y[i] }
        return diff == 0
    }
}
