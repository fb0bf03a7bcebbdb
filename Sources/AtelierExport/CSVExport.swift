import AtelierDomain
import Foundation

/// One row per project, for spreadsheets.
public enum CSVExport {
    public enum Dialect: String, Sendable, CaseIterable {
        /// French Excel: UTF-8 with BOM, `;`, CRLF, decimal comma.
        case excelFR = "excel-fr"
        /// RFC 4180: `,`, CRLF, decimal point, no BOM.
        case rfc4180
        var separator: String { self == .excelFR ? ";" : "," }
        var decimal: String { self == .excelFR ? "," : "." }
    }

    // Columns: the sheet's id, status and table, then the form's fields in its order (a single
    // group's parts one by one, a repeated group summed up in one column, its rows separated by
    // " | "), then votes, supporters and Démarches Simplifiées. "Dossier Démarches Simplifiées"
    // says its state on the platform (préparé, déposé, accepté…), never its claim link: whoever opens that link
    // first becomes the applicant.
    public static func header(_ form: CallForm) -> [String] {
        ["Identifiant", "Statut", "Table"] + FormExport.columns(form).map { c in
            (c.part ?? c.field).type == .euros ? c.header + " (€)" : c.header
        } + ["Votes", "Soutiens", "Dossier Démarches Simplifiées", "Numéro de dossier"]
    }

    public static func document(_ workshop: Workshop, dialect: Dialect = .excelFR) -> [UInt8] {
        var out = dialect == .excelFR ? "\u{FEFF}" : ""
        func row(_ fields: [String]) { out += fields.map { quote($0, dialect) }.joined(separator: dialect.separator) + "\r\n" }
        let columns = FormExport.columns(workshop.form)
        row(header(workshop.form))
        for p in Outcome(workshop).projects {
            let s = p.sheet
            let ds = s.receipts.last { $0.channel == .demarches }
            let dossier: String = ds.map { Labels.dossier($0.dossier?.state ?? .prefilled) } ?? ""
            row([s.id, Labels.status(s.status), p.table?.title ?? ""] + columns.map { c in
                let f = c.part ?? c.field
                let v = FormExport.value(c, of: s)
                if f.type == .euros { return v?.int.map { "\($0)\(dialect.decimal)00" } ?? "" }
                return FormExport.text(v, f, in: workshop)
            } + [p.votes.map(String.init) ?? "", String(s.supporters.count), dossier, ds?.number.map(String.init) ?? ""])
        }
        return Array(out.utf8)
    }

    /// Quotes a field when it holds the separator, a quote or a line break. In the French Excel
    /// dialect a field that starts with = + - @ (or a tab or CR) gets a leading apostrophe, numbers
    /// like "+33 6…" or "-5" included: Excel would run it as a formula or turn it into a number.
    /// The RFC 4180 dialect is for programs: values as they are.
    static func quote(_ field: String, _ dialect: Dialect) -> String {
        var f = field
        if dialect == .excelFR, let first = f.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { f = "'" + f }
        guard f.contains(dialect.separator) || f.contains("\"") || f.contains("\n") || f.contains("\r") else { return f }
        return "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
