import AtelierDomain
import Foundation

/// The formats a workshop's outcome is exported in (docs/export.md), for the HTTP API and the
/// command line alike. A new format is a case here: every switch over it must then say how it is
/// written and served.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// `schema`: the JSON Schema of this workshop's `json` export (its form's fields typed).
    case json, csv, md, html, xlsx, schema

    /// Bytes that are not text: written to a file, never to a terminal.
    public var isBinary: Bool {
        switch self {
        case .xlsx: true
        case .json, .csv, .md, .html, .schema: false
        }
    }

    /// The list a user is told when they name a format that does not exist.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .md: "text/markdown; charset=utf-8"
        case .html: "text/html; charset=utf-8"
        case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case .schema: "application/schema+json; charset=utf-8"
        }
    }

    /// Shown in the browser (the printable report) rather than downloaded.
    public var isInline: Bool {
        switch self {
        case .html: true
        case .json, .csv, .md, .xlsx, .schema: false
        }
    }

    /// The document, from the workshop as it is now; `provenance`, the journal's log, adds each
    /// project's history (`ProvenanceExport`) to the JSON and the synthesis. Only what the room
    /// saw leaves it: cards still private or hidden are not in any format (``Workshop/published``).
    public func document(_ workshop: Workshop, generatedAt: Int64, dialect: CSVExport.Dialect = .excelFR,
                         provenance: ProvenanceLog? = nil) -> [UInt8] {
        let workshop = workshop.published
        return switch self {
        case .json: JSONExport.document(workshop, generatedAt: generatedAt, provenance: provenance)
        case .csv: CSVExport.document(workshop, dialect: dialect)
        case .md: Report.markdown(workshop, generatedAt: generatedAt, provenance: provenance)
        case .html: Report.html(workshop, generatedAt: generatedAt, provenance: provenance)
        // No generation time inside: the same workshop gives the same bytes.
        case .xlsx: XLSXExport.document(workshop)
        case .schema: JSONExport.schema(workshop)
        }
    }

    /// What a download is called: the workshop's title and day, in its time zone (Europe/Paris),
    /// e.g. `atelier-structurer-et-developper-l-iae-2026-11-29.csv`.
    public func fileName(title: String, createdAt: Int64, timeZone: TimeZone = TimeZone(identifier: "Europe/Paris")!) -> String {
        var slug = ""
        for scalar in title.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "fr_FR")).unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) { slug.unicodeScalars.append(scalar) }
            else if !slug.hasSuffix("-") { slug += "-" }
        }
        slug = String(slug.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "-")).prefix(60))
        while slug.hasSuffix("-") { slug.removeLast() }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let day = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(createdAt) / 1000))
        let date = String(format: "%04d-%02d-%02d", day.year ?? 0, day.month ?? 0, day.day ?? 0)
        return "atelier-\(slug.isEmpty ? "export" : slug)-\(date).\(self == .schema ? "schema.json" : rawValue)"
    }
}
