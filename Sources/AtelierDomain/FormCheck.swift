import Foundation

/// A rule of the call that a sheet does not meet: its id (machine-readable), the French sentence,
/// and the fields it concerns.
public struct RuleFailure: Sendable, Equatable {
    public var rule: String
    public var message: String
    public var fields: [String]
    public init(rule: String, message: String, fields: [String]) { self.rule = rule; self.message = message; self.fields = fields }
}

/// Checks a sheet's values against the form of the workshop's call.
public enum FormCheck {
    /// Checks and normalises the fields of a change: unknown field, wrong type, limits, unknown
    /// option, orientation or constat, SIRET, e-mail, date. `cardExists` says whether a linked
    /// card exists for the editor. Returns the normalised change, or the faults by field.
    public static func normalize(_ change: ProjectChange, form: CallForm, orientations: [Orientation],
                                 cardExists: @escaping (String) -> Bool) -> (ProjectChange, [FieldError]) {
        var out = ProjectChange()
        var faults: [FieldError] = []
        for key in change.fields.keys.sorted(by: { a, b in order(a, form) < order(b, form) }) {
            let value = change.fields[key]!
            guard let field = form.field(key) else {
                faults.append(FieldError(field: key, part: nil, message: "Champ de projet inconnu : « \(key.prefix(40)) »."))
                continue
            }
            var ctx = Context(form: form, orientations: orientations, cardExists: cardExists, field: field.id)
            let v = ctx.value(value, field, row: nil, label: quoted(field))
            faults += ctx.faults
            if field.id == "title", !(v?.isAnswered ?? false), ctx.faults.isEmpty {
                faults.append(FieldError(field: "title", part: nil, message: "Le titre doit compter entre 1 et \(field.lengthLimit) caractères."))
            }
            if let v { out.fields[key] = v }
        }
        return (out, faults)
    }

    static func order(_ id: String, _ form: CallForm) -> Int { form.fields.firstIndex { $0.id == id } ?? Int.max }

    static func quoted(_ f: FormField, in group: FormField? = nil, row: Int? = nil) -> String {
        if let group { return "« \(group.label.fr) — \(f.label.fr) »" + (row.map { " (ligne \($0 + 1))" } ?? "") }
        return "« \(f.label.fr) »"
    }

    struct Context {
        let form: CallForm
        let orientations: [Orientation]
        let cardExists: (String) -> Bool
        let field: String
        var faults: [FieldError] = []

        mutating func fault(_ part: String?, _ row: Int?, _ message: String) {
            faults.append(FieldError(field: field, part: part, row: row, message: message))
        }

        /// The normalised value, or nil when it is wrong (a fault is recorded).
        mutating func value(_ v: FieldValue, _ f: FormField, row: Int?, label: String, part: String? = nil) -> FieldValue? {
            if v == .null { return .null }
            func text() -> String? {
                guard case .text(let s) = v else { fault(part, row, "\(label) : un texte est attendu."); return nil }
                return Limits.normalized(s)
            }
            switch f.type {
            case .text, .longText:
                guard let s = text() else { return nil }
                guard s.count <= f.lengthLimit else { fault(part, row, "\(label) : au plus \(f.lengthLimit) caractères."); return nil }
                return .text(s)
            case .email, .phone:
                guard let s = text() else { return nil }
                guard s.count <= f.lengthLimit else { fault(part, row, "\(label) : trop long (au plus \(f.lengthLimit) caractères)."); return nil }
                if s.isEmpty { return .text("") }
                if f.type == .email, !ProjectRules.isPlausibleEmail(s) {
                    fault(part, row, "\(label) : l'adresse électronique n'est pas valide."); return nil
                }
                if f.type == .phone, !s.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || " +.-()".unicodeScalars.contains($0) }) {
                    fault(part, row, "\(label) : le numéro de téléphone n'est pas valide (chiffres, espaces, +, ., -)."); return nil
                }
                return .text(s)
            case .siret:
                guard let s = text()?.filter({ !$0.isWhitespace }) else { return nil }
                if s.isEmpty { return .null }
                guard ProjectRules.isValidSIRET(s) else {
                    fault(part, row, "\(label) : le SIRET doit compter 14 chiffres et avoir une clé de contrôle valide."); return nil
                }
                return .text(s)
            case .date:
                guard let s = text()?.trimmingCharacters(in: .whitespaces) else { return nil }
                if s.isEmpty { return .null }
                guard Self.isDate(s) else { fault(part, row, "\(label) : une date au format AAAA-MM-JJ est attendue."); return nil }
                return .text(s)
            case .integer, .euros:
                guard case .int(let n) = v else { fault(part, row, "\(label) : un nombre entier est attendu."); return nil }
                guard f.range.contains(n) else {
                    fault(part, row, "\(label) : un nombre entre \(f.range.lowerBound) et \(f.range.upperBound)\(f.type == .euros ? " euros" : "") est attendu.")
                    return nil
                }
                return v
            case .yesNo:
                guard case .bool = v else { fault(part, row, "\(label) : oui (true) ou non (false) est attendu."); return nil }
                return v
            case .choice:
                guard let s = text() else { return nil }
                if s.isEmpty { return .null }
                guard f.options?.contains(where: { $0.id == s }) == true else {
                    fault(part, row, "\(label) : choix inconnu « \(s.prefix(40)) » (attendu : \((f.options ?? []).map(\.id).joined(separator: ", ")))."); return nil
                }
                return .text(s)
            case .orientations:
                guard let s = text() else { return nil }
                if s.isEmpty { return .null }
                guard orientations.contains(where: { $0.id == s }) else { fault(part, row, "\(label) : orientation stratégique inconnue."); return nil }
                return .text(s)
            case .choices, .problemCards, .ideaCards, .constats:
                guard case .list(let items) = v else { fault(part, row, "\(label) : une liste est attendue."); return nil }
                var ids: [String] = []
                for item in items {
                    guard case .text(let s) = item else { fault(part, row, "\(label) : une liste d'identifiants est attendue."); return nil }
                    if !ids.contains(s) { ids.append(s) }
                }
                guard ids.count <= f.itemLimit else { fault(part, row, "\(label) : au plus \(f.itemLimit) éléments."); return nil }
                for id in ids {
                    switch f.type {
                    case .choices:
                        guard f.options?.contains(where: { $0.id == id }) == true else {
                            fault(part, row, "\(label) : choix inconnu « \(id.prefix(40)) »."); return nil
                        }
                    case .constats:
                        guard form.constats.contains(where: { $0.id == id }) else { fault(part, row, "\(label) : constat inconnu « \(id.prefix(40)) »."); return nil }
                    // Only the card links and the lists above reach here.
                    case .problemCards, .ideaCards, .text, .longText, .integer, .euros, .date, .siret, .email, .phone, .yesNo,
                         .choice, .group, .orientations:
                        guard cardExists(id) else { fault(part, row, "\(label) : une carte liée n'existe pas (\(id.prefix(40))))."); return nil }
                    }
                }
                return .list(ids.map(FieldValue.text))
            case .group:
                if f.isRepeatedGroup {
                    guard case .list(let rows) = v else { fault(nil, nil, "\(label) : une liste de lignes est attendue."); return nil }
                    guard rows.count <= f.itemLimit else { fault(nil, nil, "\(label) : au plus \(f.itemLimit) lignes."); return nil }
                    var out: [FieldValue] = []
                    var ok = true
                    for (i, r) in rows.enumerated() {
                        guard let obj = object(r, f, row: i) else { ok = false; continue }
                        if obj.isAnswered { out.append(obj) }
                    }
                    return ok ? .list(out) : nil
                }
                guard let obj = object(v, f, row: nil) else { return nil }
                return obj.isAnswered ? obj : .null
            }
        }

        mutating func object(_ v: FieldValue, _ group: FormField, row: Int?) -> FieldValue? {
            guard case .object(let members) = v else {
                fault(nil, row, "« \(group.label.fr) »\(row.map { " (ligne \($0 + 1))" } ?? "") : un objet est attendu."); return nil
            }
            var out: [String: FieldValue] = [:]
            var ok = true
            for (k, x) in members {
                guard let child = group.child(k) else {
                    fault(k, row, "« \(group.label.fr) » : partie inconnue « \(k.prefix(40)) »."); ok = false; continue
                }
                guard let n = value(x, child, row: row, label: FormCheck.quoted(child, in: group, row: row), part: k) else { ok = false; continue }
                if n != .null { out[k] = n }
            }
            return ok ? .object(out) : nil
        }

        static func isDate(_ s: String) -> Bool {
            let p = s.split(separator: "-")
            guard s.utf8.count == 10, p.count == 3, p[0].count == 4, p[1].count == 2, p[2].count == 2,
                  s.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2D }),
                  let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]), (1...12).contains(m), d >= 1 else { return false }
            let days = [31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            return d <= days[m - 1]
        }
    }

    /// What a sheet lacks to be ready: the required fields (and the required parts of its groups'
    /// rows), each with its field id and a French phrase.
    public static func missing(_ values: [String: FieldValue], form: CallForm) -> [(field: String, phrase: String)] {
        var out: [(field: String, phrase: String)] = []
        for f in form.fields {
            let v = values[f.id] ?? .null
            if f.type == .group {
                let rows: [FieldValue] = f.isRepeatedGroup ? (v.list ?? []) : (v.isAnswered ? [v] : [])
                if rows.isEmpty {
                    if f.required { out.append((f.id, f.label.fr)) }
                    continue
                }
                for (i, r) in rows.enumerated() {
                    let lacking = (f.fields ?? []).filter { $0.required && !(r[$0.id]?.isAnswered ?? false) }
                    if !lacking.isEmpty {
                        let whereText = f.isRepeatedGroup ? "\(f.label.fr), ligne \(i + 1)" : f.label.fr
                        out.append((f.id, "\(whereText) : \(lacking.map(\.label.fr).joined(separator: ", "))"))
                    }
                }
            } else if f.required && !v.isAnswered {
                out.append((f.id, f.label.fr))
            }
        }
        return out
    }

    /// The eligibility rules a sheet does not meet, in the plan's order.
    public static func failures(_ values: [String: FieldValue], form: CallForm) -> [RuleFailure] {
        form.rules.compactMap { rule in
            if let when = rule.when, !when.holds(in: values) { return nil }
            let ok: Bool
            switch rule.kind {
            case .filled:
                ok = rule.paths.allSatisfy { p in
                    let vs = AtelierDomain.values(at: p, in: values).flatMap { p.contains("[]") ? [$0] : [$0] }
                    return !vs.isEmpty && vs.allSatisfy(\.isGiven)
                }
            case .anyOf:
                ok = rule.paths.contains { p in AtelierDomain.values(at: p, in: values).contains(where: \.isGiven) }
            case .count:
                var items: [FieldValue] = []
                for p in rule.paths {
                    for v in AtelierDomain.values(at: p, in: values) {
                        if case .list(let rows) = v { items += rows } else if v.isAnswered { items.append(v) }
                    }
                }
                if let part = rule.wherePart, let accepted = rule.whereValues {
                    items = items.filter { item in item[part]?.string.map(accepted.contains) ?? false }
                }
                if let key = rule.distinct {
                    var seen = Set<String>()
                    items = items.filter { item in
                        let k = (item[key]?.string ?? "").lowercased().trimmingCharacters(in: .whitespaces)
                        return !k.isEmpty && seen.insert(k).inserted
                    }
                }
                ok = items.count >= (rule.min ?? 1)
            case .sumAtMost:
                let sum = rule.paths.flatMap { AtelierDomain.values(at: $0, in: values) }.compactMap(\.int).reduce(0, +)
                let limit = rule.atMost.flatMap { AtelierDomain.values(at: $0, in: values).first?.int } ?? rule.atMostValue
                ok = limit.map { sum <= $0 } ?? true
            }
            if ok { return nil }
            var fields: [String] = []
            for p in rule.paths + (rule.atMost.map { [$0] } ?? []) {
                let f = CallForm.fieldID(of: p)
                if !fields.contains(f) { fields.append(f) }
            }
            return RuleFailure(rule: rule.id, message: rule.message.fr, fields: fields)
        }
    }
}

extension CallForm {
    static let actorOptions: [FieldOption] = [
        FieldOption(id: "aci", label: Localized("Atelier et chantier d'insertion (ACI)", "Work integration workshop (ACI)")),
        FieldOption(id: "ai", label: Localized("Association intermédiaire (AI)", "Intermediary association (AI)")),
        FieldOption(id: "ei", label: Localized("Entreprise d'insertion (EI)", "Work integration enterprise (EI)")),
        FieldOption(id: "etti", label: Localized("Entreprise de travail temporaire d'insertion (ETTI)", "Temporary work integration enterprise (ETTI)")),
        FieldOption(id: "business", label: Localized("Entreprise", "Business")),
        FieldOption(id: "public", label: Localized("Acteur public", "Public body")),
        FieldOption(id: "network", label: Localized("Tête de réseau", "Network")),
        FieldOption(id: "other", label: Localized("Autre", "Other")),
    ]

    /// The sheet as it was before the form moved into the plan: the form of every workshop whose
    /// `workshop.created` carries none (journals written before issue 13).
    public static let legacy = CallForm(
        name: "Appel à projets",
        fields: [
            FormField(id: "title", type: .text, label: Localized("Titre", "Title"), required: true, maxLength: 120),
            FormField(id: "summary", type: .longText, label: Localized("Résumé", "Summary"), required: true, maxLength: 2000),
            FormField(id: "problems", type: .problemCards, label: Localized("Problèmes traités", "Problems addressed"), required: true, maxItems: 100),
            FormField(id: "sources", type: .ideaCards, label: Localized("Idées d'origine", "Source ideas"), maxItems: 100),
            FormField(id: "cooperation", type: .choice, label: Localized("Type de coopération", "Kind of cooperation"), required: true, options: [
                FieldOption(id: "siae", label: Localized("Coopération entre SIAE", "Between SIAE")),
                FieldOption(id: "business", label: Localized("Avec des entreprises « classiques »", "With mainstream businesses")),
                FieldOption(id: "other", label: Localized("Autre", "Other")),
            ]),
            FormField(id: "orientation", type: .orientations, label: Localized("Orientation stratégique", "Strategic orientation"), required: true),
            FormField(id: "lead", type: .group, label: Localized("Structure porteuse", "Lead organisation"), required: true, fields: [
                FormField(id: "name", type: .text, label: Localized("Nom", "Name"), required: true, maxLength: 120),
                FormField(id: "actor", type: .choice, label: Localized("Type d'acteur", "Kind of actor"), required: true, options: actorOptions),
                FormField(id: "siret", type: .siret, label: Localized("SIRET", "SIRET")),
            ], repeated: false),
            FormField(id: "partners", type: .group, label: Localized("Partenaires", "Partners"), maxItems: 20, fields: [
                FormField(id: "name", type: .text, label: Localized("Nom", "Name"), required: true, maxLength: 120),
                FormField(id: "actor", type: .choice, label: Localized("Type d'acteur", "Kind of actor"), required: true, options: actorOptions),
                FormField(id: "role", type: .text, label: Localized("Rôle", "Role"), maxLength: 200),
            ]),
            FormField(id: "territory", type: .text, label: Localized("Territoire (bassin d'emploi)", "Territory (employment area)"), required: true, maxLength: 120),
            FormField(id: "support", type: .group, label: Localized("Soutien demandé", "Support requested"), fields: [
                FormField(id: "methodological", type: .yesNo, label: Localized("Accompagnement méthodologique", "Methodological support")),
                FormField(id: "expertise", type: .euros, label: Localized("Financement d'expertise", "Expertise funding")),
                FormField(id: "grant", type: .euros, label: Localized("Subvention", "Grant")),
            ], repeated: false),
            FormField(id: "outcomes", type: .group, label: Localized("Résultats attendus", "Expected outcomes"), fields: [
                FormField(id: "insertionJobs", type: .integer, label: Localized("Emplois d'insertion", "Insertion jobs"), max: 100_000),
                FormField(id: "peopleSupported", type: .integer, label: Localized("Personnes accompagnées", "People supported"), max: 100_000),
                FormField(id: "other", type: .longText, label: Localized("Autres résultats", "Other outcomes"), maxLength: 1000),
            ], repeated: false),
            FormField(id: "nextSteps", type: .longText, label: Localized("Prochaines étapes", "Next steps"), maxLength: 2000),
            FormField(id: "contact", type: .group, label: Localized("Personne à contacter", "Contact"), required: true, fields: [
                FormField(id: "name", type: .text, label: Localized("Nom", "Name"), required: true, maxLength: 120),
                FormField(id: "email", type: .email, label: Localized("Courriel", "E-mail")),
                FormField(id: "phone", type: .phone, label: Localized("Téléphone", "Phone")),
            ], repeated: false),
        ],
        rules: [
            EligibilityRule(id: "support", kind: .anyOf, paths: ["support.methodological", "support.expertise", "support.grant"],
                            message: Localized("Le soutien demandé est à préciser.", "Say which support is requested.")),
            EligibilityRule(id: "contact-reachable", kind: .anyOf, paths: ["contact.email", "contact.phone"],
                            message: Localized("La personne à contacter a un courriel ou un téléphone.", "The contact needs an e-mail or a phone.")),
        ],
        asks: ["support"])
}
