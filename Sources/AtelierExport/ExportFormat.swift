import AtelierDomain

/// The formats a workshop's outcome is exported in (docs/export.md), for the HTTP API and the
/// command line alike. A new format is a case here: every switch over it must then say how it is
/// written and served.
public enum ExportFormat: String, CaseIterable, Sendable {
    case json, csv, md, html

    /// The list a user is told when they name a format that does not exist.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .md: "text/markdown; charset=utf-8"
        case .html: "text/html; charset=utf-8"
        }
    }

    /// Shown in the browser (the printable report) rather than downloaded.
    public var isInline: Bool {
        switch self {
        case .html: true
        case .json, .csv, .md: false
        }
    }

    /// The document, from the workshop as it is now.
    public func document(_ workshop: Workshop, generatedAt: Int64, dialect: CSVExport.Dialect = .excelFR) -> [UInt8] {
        switch self {
        case .json: JSONExport.document(workshop, generatedAt: generatedAt)
        case .csv: CSVExport.document(workshop, dialect: dialect)
        case .md: Report.markdown(workshop, generatedAt: generatedAt)
        case .html: Report.html(workshop, generatedAt: generatedAt)
        }
    }
}
