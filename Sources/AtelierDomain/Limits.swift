import Foundation

/// Sizes the server enforces, whatever the page does.
public enum Limits {
    public static let cardText = 1...1000
    public static let name = 1...80
    public static let organisation = 0...120
    /// Card coordinates on a board, in board units.
    public static let coordinate = 0.0...10_000.0

    /// Text as people type it: surrounding white space removed, CR LF made LF.
    public static func normalized(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
