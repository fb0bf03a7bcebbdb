import AtelierDomain
import AtelierProtocol
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `atelier submit … --describe`: a mapping skeleton from the procedure's prefill description,
/// every champ with its id, label, type, options and children, the form's field guessed where the
/// labels agree and a comment where they do not.
public enum DemarchesSkeleton {
    /// `GET {base}/preremplir/{path}/schema` (public for procedures published as open data).
    public static func fetch(base: URL, path: String, timeout: Double = 10) -> Result<ProcedureDescription, SubmissionError> {
        guard !path.isEmpty, path.count <= 200, path.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return .failure(SubmissionError(message: "--procedure-path : le chemin de la démarche (lettres, chiffres, - et _), tel qu'il apparaît dans son adresse …/commencer/CHEMIN"))
        }
        var r = URLRequest(url: base.appendingPathComponent("preremplir/\(path)/schema"))
        r.setValue("application/json", forHTTPHeaderField: "Accept")
        r.setValue("Atelier/1", forHTTPHeaderField: "User-Agent")
        switch Submitter.send(r, timeout: timeout) {
        case .failure(let e):
            return .failure(SubmissionError(message: "Démarches Simplifiées injoignable (\(e.message))."))
        case .success(let (404, _, _)):
            return .failure(SubmissionError(message: "Démarche « \(path) » introuvable, ou sa description n'est pas publique (seules les démarches publiées en données ouvertes la donnent) : écrivez la correspondance à la main, avec le type et les options de chaque champ, et vérifiez-la avec --check."))
        case .success(let (status, body, _)) where status == 200:
            guard body.count <= maxDescription else {
                return .failure(SubmissionError(message: "Description de la démarche « \(path) » trop grande (plus de \(maxDescription / 1_000_000) Mo)."))
            }
            guard let d = ProcedureDescription.parse(Array(body), path: path) else {
                return .failure(SubmissionError(message: "Description de la démarche « \(path) » illisible (HTTP 200 sans « number » ni « revision.champDescriptors »)."))
            }
            return .success(d)
        case .success(let (status, body, _)):
            return .failure(SubmissionError(message: "Description de la démarche refusée (HTTP \(status)) : \(String(decoding: body.prefix(300), as: UTF8.self))"))
        }
    }

    /// The largest description read (a procedure has at most a few hundred champs).
    static let maxDescription = 5_000_000

    static let stopWords: Set<String> = ["de", "la", "le", "les", "l", "du", "des", "d", "en", "et", "a", "au", "aux", "un", "une", "par", "pour", "sur"]

    /// A label's words, lower-case, without accents nor stop words.
    static func words(_ s: String) -> Set<String> {
        let folded = s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "fr_FR"))
        let split = folded.split { !($0.isLetter || $0.isNumber) }.map(String.init)
        return Set(split.filter { !stopWords.contains($0) })
    }

    /// How alike two labels are (0…1): the share of words they have in common.
    static func likeness(_ a: String, _ b: String) -> Double {
        let x = words(a), y = words(b)
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        return Double(x.intersection(y).count) / Double(x.union(y).count)
    }

    struct Candidate { var path: String; var label: String; var source: MappingSource }

    /// The form's paths a champ could be filled from, with the label to compare.
    static func candidates(form: CallForm, orientations: [Orientation]) -> [Candidate] {
        var out: [Candidate] = [
            Candidate(path: "workshop.title", label: "Titre de l'atelier", source: DemarchesCheck.source("workshop.title", form: form, orientations: orientations)!),
            Candidate(path: "workshop.date", label: "Date de l'atelier", source: DemarchesCheck.source("workshop.date", form: form, orientations: orientations)!),
        ]
        for f in form.fields {
            if f.type == .group && !f.isRepeatedGroup {
                for c in f.fields ?? [] {
                    out.append(Candidate(path: "\(f.id).\(c.id)", label: "\(f.label.fr) \(c.label.fr)", source: DemarchesCheck.source(c, form: form, orientations: orientations)))
                }
            } else {
                out.append(Candidate(path: f.id, label: f.label.fr, source: DemarchesCheck.source(f, form: form, orientations: orientations)))
            }
        }
        return out
    }

    static func best(_ label: String, type: ChampType, among: [Candidate], taken: Set<String>) -> Candidate? {
        var found: (Candidate, Double)?
        for c in among where !taken.contains(c.path) {
            guard ChampType.accepted(for: c.source.def.type, repeatedGroup: c.source.def.isRepeatedGroup).contains(type) else { continue }
            let score = likeness(label, c.label)
            if score >= 0.5, score > (found?.1 ?? 0) { found = (c, score) }
        }
        return found?.0
    }

    /// A text from the platform inside a YAML comment: on one line.
    static func line(_ s: String) -> String {
        String(s.map { $0.isNewline ? " " : $0 }.prefix(300))
    }

    static func q(_ s: String) -> String {
        var w = JSONWriter()
        w.string(s)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// The skeleton's YAML.
    public static func yaml(_ d: ProcedureDescription, form: CallForm, orientations: [Orientation] = [], base: URL? = nil) -> String {
        var lines: [String] = [
            "# Correspondance Démarches Simplifiées écrite par « atelier submit --describe »",
            "# Démarche n° \(d.number) « \(line(d.title)) » (chemin \(d.path)\(base.map { ", \($0.absoluteString)" } ?? "")).",
            "# Chaque champ de la démarche y figure avec son type et ses options. Ceux qu'Atelier n'a pas su relier",
            "# à un champ du formulaire sont en commentaire : décommentez-les et remplacez « ? » par le champ",
            "# (\(DemarchesFields.names(form).joined(separator: ", "))).",
            "# Vérifiez le tout avec « atelier submit ID --mapping FICHIER --check ».",
            "demarche:",
            "  numero: \(d.number)",
            "  chemin: \(q(d.path))",
            "  titre: \(q(d.title))",
            "champs:",
        ]
        let all = candidates(form: form, orientations: orientations)
        var taken = Set<String>()
        for champ in d.champs where !ChampType.notFillable.contains(champ.type) {
            guard let type = ChampType(rawValue: champ.type) else {
                lines.append("  # « \(line(champ.label)) » (\(line(champ.id)), \(line(champ.type))) : ce type ne peut pas être prérempli par Atelier.")
                continue
            }
            let guess = best(champ.label, type: type, among: all, taken: taken)
            if let guess { taken.insert(guess.path) }
            lines += entry(champ, type: type, key: guess?.path, source: guess?.source, indent: "  ", form: form, orientations: orientations)
        }
        lines += [
            "# Démarche pour des particuliers seulement : l'identité du demandeur (prenom, nom, genre « M. » ou « Mme »).",
            "# identite:",
            "#   nom: ?   # un champ texte du formulaire (ex. contact.name)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    static func entry(_ champ: ChampDescriptor, type: ChampType, key: String?, source: MappingSource?, indent: String,
                      form: CallForm, orientations: [Orientation]) -> [String] {
        var out: [String] = []
        let c = key == nil ? "# " : ""
        if key == nil {
            out.append("\(indent)# « \(line(champ.label)) » : aucun champ du formulaire évident ; remplacez « ? » par le bon.")
        }
        out.append("\(indent)\(c)\(key ?? "?"):")
        let inner = indent + c + "  "
        out.append("\(inner)champ: \(q(champ.id))")
        out.append("\(inner)type: \(type.rawValue)")
        out.append("\(inner)libelle: \(q(champ.label))")
        out.append("\(inner)obligatoire: \(champ.required)")
        if let options = champ.options {
            out.append("\(inner)options: [\(options.map(q).joined(separator: ", "))]")
            if champ.other { out.append("\(inner)autre: true") }
            if let formOptions = source?.options {
                out.append("\(inner)valeurs:   # l'option du formulaire → l'option de la démarche")
                for (id, label) in formOptions {
                    if let match = options.first(where: { !words(label).isEmpty && words($0) == words(label) })
                        ?? options.first(where: { likeness($0, label) >= 0.5 }) {
                        out.append("\(inner)  \(q(id)): \(q(match))")
                    } else {
                        out.append("\(inner)  # \(q(id)): ?   # « \(line(label)) » : aucune option de la démarche évidente")
                    }
                }
            }
        }
        if type == .repetition {
            out.append("\(inner)enfants:")
            let parts = source?.def.fields ?? []
            var taken = Set<String>()
            let partCandidates = parts.map { Candidate(path: $0.id, label: $0.label.fr, source: DemarchesCheck.source($0, form: form, orientations: orientations)) }
            for child in champ.children where !ChampType.notFillable.contains(child.type) {
                guard let childType = ChampType(rawValue: child.type) else {
                    out.append("\(inner)  # « \(line(child.label)) » (\(line(child.id)), \(line(child.type))) : ce type ne peut pas être prérempli par Atelier.")
                    continue
                }
                let guess = best(child.label, type: childType, among: partCandidates, taken: taken)
                if let guess { taken.insert(guess.path) }
                out += entry(child, type: childType, key: guess?.path, source: guess?.source, indent: inner + "  ", form: form, orientations: orientations)
            }
        }
        return out
    }
}
