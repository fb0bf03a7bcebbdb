import Foundation

/// Sizes the server enforces, whatever the page does.
public enum Limits {
    public static let cardText = 1...1000
    public static let name = 1...80
    public static let organisation = 0...120
    /// Card coordinates on a board, in board units.
    public static let coordinate = 0.0...10_000.0

    // What one workshop may hold (docs/reliability.md "Limits"): several times what a day of 71
    // people at five tables writes, and small enough that one person cannot lock the room out by
    // filling it, nor make its snapshot too big to deliver. Refusals are `budget`.
    /// Cards one participant may have in a workshop (the facilitator is not counted).
    public static let cardsPerPerson = 200
    public static let cardsPerBoard = 400
    public static let cardsPerWorkshop = 1500
    public static let commentsPerCard = 50
    public static let commentsPerWorkshop = 1500
    public static let clustersPerBoard = 60
    public static let projectsPerWorkshop = 60
    public static let participantsPerWorkshop = 300

    /// Text as people type it, made safe to keep and to show everywhere (every text that enters
    /// goes through here: names, cards, comments, titles, announcements, sheets):
    /// - line ends made LF (CR LF and a lone CR alike), tabs kept;
    /// - other control characters removed (NUL, escape…, C1), and the invisible characters that
    ///   reorder or hide text (bidirectional overrides and isolates, byte-order mark);
    /// - Unicode composed (NFC), so "é" typed two ways is one text;
    /// - surrounding white space removed, and a text with nothing visible left counts as empty.
    /// Joiners and variation selectors stay: emoji sequences need them.
    /// Control characters (C0, DEL, C1), bidirectional overrides and isolates, the byte-order mark.
    static func removed(_ v: UInt32) -> Bool {
        (0x00...0x1F).contains(v) || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v) || v == 0xFEFF
    }

    public static func normalized(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        var afterCR = false
        // Below U+0300 a text is already composed: there is no combining mark, no composition
        // exclusion and no singleton there, so NFC leaves it as it is. Most of what people type
        // (French included) stays below it and skips Foundation's normalisation, which bridges
        // through NSString and was the largest cost of a `card.add` on the loop thread.
        var composable = false
        for u in text.unicodeScalars {
            let wasCR = afterCR
            afterCR = false
            let v = u.value
            if v >= 0x300 { composable = true }
            if v == 0x0D {
                kept.append("\n"); afterCR = true
            } else if v == 0x0A {
                if !wasCR { kept.append(u) }
            } else if v == 0x09 || !Self.removed(v) {
                kept.append(u)
            }
        }
        let text = composable
            ? String(kept).precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
            : trimmed(kept)
        let visible = text.unicodeScalars.contains {
            !$0.properties.isWhitespace && !$0.properties.isDefaultIgnorableCodePoint && $0.properties.generalCategory != .format
        }
        return visible ? text : ""
    }

    /// White space trimmed from both ends: Foundation's `whitespacesAndNewlines` is the Unicode
    /// White_Space property, which is what `isWhitespace` reads.
    static func trimmed(_ scalars: String.UnicodeScalarView) -> String {
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
