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

    static let header = ["Identifiant", "Titre", "Statut", "Table", "Orientation stratégique", "Type de coopération",
                         "Résumé", "Problème traité", "Idées d'origine", "Votes", "Structure porteuse", "Type de porteur",
                         "SIRET", "Partenaires", "Territoire", "Appui méthodologique", "Financement d'expertise (€)",
                         "Subvention (€)", "Emplois d'insertion créés", "Personnes accompagnées", "Autres résultats",
                         "Prochaines étapes", "Contact", "Courriel", "Téléphone", "Soutiens", "Dossier Démarches Simplifiées",
                         "Numéro de dossier"]
    // "Dossier Démarches Simplifiées" says whether one was prepared ("préparé"), never its claim
    // link: whoever opens that link first becomes the applicant.

    public static func document(_ workshop: Workshop, dialect: Dialect = .excelFR) -> [UInt8] {
        var out = dialect == .excelFR ? "\u{FEFF}" : ""
        func row(_ fields: [String]) { out += fields.map { quote($0, dialect) }.joined(separator: dialect.separator) + "\r\n" }
        func euros(_ n: Int?) -> String { n.map { "\($0)\(dialect.decimal)00" } ?? "" }
        row(header)
        for p in Outcome(workshop).projects {
            let s = p.sheet
            let ds = s.receipts.last { $0.channel == .demarches }
            row([s.id, s.title, Labels.status(s.status), p.table?.title ?? "", p.orientation?.title ?? "",
                 Labels.cooperation(s.cooperation), s.summary, p.problems.map(\.text).joined(separator: " | "),
                 p.ideas.map(\.text).joined(separator: " | "), p.votes.map(String.init) ?? "", s.lead?.name ?? "",
                 s.lead.map { Labels.actor($0.actor) } ?? "", s.lead?.siret ?? "",
                 s.partners.map { "\($0.name) (\(Labels.actor($0.actor))\($0.role.isEmpty ? "" : ", " + $0.role))" }.joined(separator: " | "),
                 s.territory, s.support.methodological ? "oui" : "non", euros(s.support.expertise), euros(s.support.grant),
                 s.outcomes.insertionJobs.map(String.init) ?? "", s.outcomes.peopleSupported.map(String.init) ?? "",
                 s.outcomes.other, s.nextSteps, s.contact.name, s.contact.email, s.contact.phone, String(s.supporters.count),
                 ds.map { Labels.dossier($0.dossier?.state ?? .prefilled) } ?? "", ds?.number.map(String.init) ?? ""])
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
