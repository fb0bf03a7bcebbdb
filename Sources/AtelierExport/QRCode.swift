import CQREncode
import Foundation

/// A QR code as an SVG image (one path, crisp at any size), for the join link on the console and
/// the projector. libqrencode does the encoding.
public enum QRCode {
    /// nil if the text cannot be encoded (too long for a QR code).
    public static func svg(_ text: String, title: String) -> [UInt8]? {
        guard let qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(qr) }
        let width = Int(qr.pointee.width)
        let quiet = 4
        let size = width + 2 * quiet
        var path = ""
        path.reserveCapacity(width * width * 4)
        for y in 0..<width {
            for x in 0..<width where qr.pointee.data[y * width + x] & 1 == 1 {
                path += "M\(x + quiet) \(y + quiet)h1v1h-1z"
            }
        }
        let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        let svg = """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" shape-rendering="crispEdges" role="img" aria-label="\(escaped)">\
            <title>\(escaped)</title><rect width="\(size)" height="\(size)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
        return Array(svg.utf8)
    }
}
