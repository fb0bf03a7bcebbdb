import AtelierDomain
import AtelierProtocol
import Foundation

/// One fault of a mapping: an error refuses every submission, a warning is only said.
public struct MappingIssue: Sendable, Equatable {
    public var line: Int?
    public var message: String
    public var warning: Bool
    public init(line: Int?, message: String, warning: Bool = false) { self.line = line; self.message = message; self.warning = warning }

    /// `file:line : erreur : message`, as the command line prints it.
    public func text(file: String) -> String {
        "\(file)\(line.map { ":\($0)" } ?? "") : \(warning ? "avertissement" : "erreur") : \(message)"
    }
}

/// What a form field is, for a mapping: its definition, and the options its values are ids of.
struct MappingSource {
    var def: FormField
    /// (option id, French label) for choices, constats, orientations.
    var options: [(String, String)]?
}

/// Checks a mapping against the workshop's form and, when there is one, the procedure's own
/// description; without it, against the types and options the mapping records.
public enum DemarchesCheck {
    static func typeName(_ t: FieldType) -> String {
        switch t {
        case .text: "texte"
        case .longText: "texte long"
        case .integer: "nombre entier"
        case .euros: "montant en euros"
        case .date: "date"
        case .siret: "SIRET"
        case .email: "courriel"
        case .phone: "téléphone"
        case .yesNo: "oui/non"
        case .choice: "choix unique"
        case .choices: "choix multiple"
        case .group: "groupe"
        case .problemCards: "cartes problèmes"
        case .ideaCards: "cartes idées"
        case .constats: "constats"
        case .orientations: "orientation"
        }
    }

    /// The field a path names in this form, or a fixed path (`id`, `status`, `workshop.title`,
    /// `workshop.date`) as a text or a date.
    static func source(_ path: String, form: CallForm, orientations: [Orientation]) -> MappingSource? {
        switch path {
        case "id", "status", "workshop.title":
            return MappingSource(def: FormField(id: path, type: .text, label: Localized(path)))
        case "workshop.date":
            return MappingSource(def: FormField(id: path, type: .date, label: Localized(path)))
        default: break
        }
        let parts = path.split(separator: ".").map(String.init)
        guard let f = form.field(parts[0]) else { return nil }
        if parts.count == 2 {
            guard f.type == .group, !f.isRepeatedGroup, let c = f.child(parts[1]) else { return nil }
            return source(c, form: form, orientations: orientations)
        }
        if f.type == .group && !f.isRepeatedGroup { return nil }
        return source(f, form: form, orientations: orientations)
    }

    static func source(_ f: FormField, form: CallForm, orientations: [Orientation]) -> MappingSource {
        switch f.type {
        case .choice, .choices: return MappingSource(def: f, options: (f.options ?? []).map { ($0.id, $0.label.fr) })
        case .constats: return MappingSource(def: f, options: form.constats.map { ($0.id, $0.title.fr) })
        case .orientations: return MappingSource(def: f, options: orientations.map { ($0.id, $0.title) })
        case .text, .longText, .integer, .euros, .date, .siret, .email, .phone, .yesNo, .group, .problemCards, .ideaCards:
            return MappingSource(def: f, options: nil)
        }
    }

    public static func check(_ m: DemarchesMapping, form: CallForm, orientations: [Orientation] = [],
                             description: ProcedureDescription? = nil) -> [MappingIssue] {
        var issues: [MappingIssue] = []
        if let description, let n = m.procedure, n != description.number {
            issues.append(MappingIssue(line: nil, message: "la correspondance est écrite pour la démarche n° \(n), la description lue est celle de la démarche n° \(description.number)"))
        }
        if m.isLegacy {
            issues.append(MappingIssue(line: m.champs.first?.line, message: "les types des champs ne sont pas notés (correspondance écrite avant Atelier 13) : les valeurs partent comme avant, sans conversion ni vérification par type ; pour la mettre à jour, lancez « atelier submit ID --demarches URL --procedure-path CHEMIN --describe » et reportez-y vos choix", warning: true))
        }
        var seen: [String: Int] = [:]
        for c in m.champs {
            if let first = seen[c.champ] {
                issues.append(MappingIssue(line: c.line, message: "le champ « \(c.champ) » de la démarche est déjà rempli par la ligne \(first)"))
            } else { seen[c.champ] = c.line }
            guard let src = source(c.field, form: form, orientations: orientations) else {
                issues.append(MappingIssue(line: c.line, message: "« \(c.field) » n'est pas un champ du formulaire de cet atelier (champs : \(DemarchesFields.names(form).joined(separator: ", ")))"))
                continue
            }
            var desc: ChampDescriptor?
            if let description {
                desc = description.champ(c.champ)
                if desc == nil {
                    issues.append(MappingIssue(line: c.line, message: "« \(c.field) » : le champ « \(c.champ) » n'existe pas dans la démarche n° \(description.number) (« \(description.title) »)"))
                    continue
                }
            }
            issues += champ(c, src, desc: desc, described: description != nil, form: form, orientations: orientations)
        }
        for item in m.identity {
            guard let src = source(item.field, form: form, orientations: orientations) else {
                issues.append(MappingIssue(line: item.line, message: "« identite.\(item.item) » : « \(item.field) » n'est pas un champ du formulaire de cet atelier"))
                continue
            }
            if item.item == "genre" {
                guard src.def.type == .choice, let options = src.options else {
                    issues.append(MappingIssue(line: item.line, message: "« identite.genre » : un champ à choix unique est attendu (traduit en « M. » ou « Mme »)"))
                    continue
                }
                for (id, label) in options {
                    let to = item.values[id] ?? label
                    if !MappedIdentity.genres.contains(to) {
                        issues.append(MappingIssue(line: item.line, message: "« identite.genre » : l'option « \(label) » deviendrait « \(to) » ; la plateforme n'accepte que « M. » ou « Mme » (ajoutez-la sous « valeurs »)"))
                    }
                }
            } else if ![.text].contains(src.def.type) {
                issues.append(MappingIssue(line: item.line, message: "« identite.\(item.item) » : un champ texte est attendu, « \(item.field) » est de type \(typeName(src.def.type))"))
            }
        }
        if let description {
            let mapped = Set(m.champs.map(\.champ))
            for d in description.champs where d.required && !mapped.contains(d.id) && !ChampType.notFillable.contains(d.type) {
                issues.append(MappingIssue(line: nil, message: "le champ obligatoire « \(d.label) » (\(d.id), \(d.type)) de la démarche n'est pas prérempli : le porteur devra le remplir", warning: true))
            }
        }
        return issues
    }

    static func champ(_ c: MappedChamp, _ src: MappingSource, desc: ChampDescriptor?, described: Bool,
                      form: CallForm, orientations: [Orientation]) -> [MappingIssue] {
        var issues: [MappingIssue] = []
        func error(_ s: String) { issues.append(MappingIssue(line: c.line, message: "« \(c.field) » : " + s)) }
        func warn(_ s: String) { issues.append(MappingIssue(line: c.line, message: "« \(c.field) » : " + s, warning: true)) }
        if let recorded = c.type, let real = desc?.type, recorded != real {
            error("le type noté « \(recorded) » n'est pas celui du champ de la démarche (« \(real) »)")
        }
        guard let typeName = desc?.type ?? c.type else {
            if !c.children.isEmpty { error("« enfants » sans « type: repetition »") }
            return issues   // a mapping written before types: said once for the whole file
        }
        guard let type = ChampType(rawValue: typeName) else {
            error("le type « \(typeName) » ne peut pas être prérempli par Atelier (types pris en charge : \(ChampType.allCases.map(\.rawValue).joined(separator: ", ")))")
            return issues
        }
        let accepted = ChampType.accepted(for: src.def.type, repeatedGroup: src.def.isRepeatedGroup)
        guard accepted.contains(type) else {
            let what = src.def.isRepeatedGroup ? "groupe répété" : Self.typeName(src.def.type)
            error("un champ « \(what) » du formulaire ne peut pas remplir un champ « \(type.rawValue) » de la démarche (accepté : \(accepted.isEmpty ? "aucun : reliez ses parties une à une" : accepted.map(\.rawValue).joined(separator: ", ")))")
            return issues
        }
        if let recorded = c.options, let real = desc?.options, recorded != real {
            warn("les options notées ne sont plus celles de la démarche ; celles de la démarche font foi (\(real.joined(separator: " ; ")))")
        }
        let options = desc?.options ?? c.options
        let other = desc?.other ?? c.other
        if let formOptions = src.options {
            let ids = Set(formOptions.map(\.0))
            for (from, _) in c.values where !ids.contains(from) {
                error("« valeurs » : « \(from) » n'est pas une option du formulaire (options : \(formOptions.map(\.0).joined(separator: ", ")))")
            }
            if type == .dropDownList || type == .multipleDropDownList {
                if let options {
                    for (id, label) in formOptions {
                        let to = c.translation(id) ?? label
                        if !options.contains(to) && !(other && type == .dropDownList) {
                            error("l'option « \(label) » (\(id)) du formulaire deviendrait « \(to) », qui n'est pas une option de la démarche (\(options.joined(separator: " ; "))) : reliez-la sous « valeurs »")
                        }
                    }
                } else {
                    warn("les options de la démarche ne sont pas notées : les valeurs envoyées ne peuvent pas être vérifiées")
                }
            }
        } else if !c.values.isEmpty {
            error("« valeurs » ne s'applique qu'à un champ à choix du formulaire")
        }
        if type == .repetition {
            guard let parts = src.def.fields else { return issues }
            if c.children.isEmpty { error("un bloc répété relie au moins une partie du groupe sous « enfants »") }
            var seen = Set<String>()
            for child in c.children {
                if !seen.insert(child.champ).inserted {
                    issues.append(MappingIssue(line: child.line, message: "« \(c.field).\(child.field) » : le champ « \(child.champ) » est déjà rempli dans ce bloc"))
                }
                guard let part = parts.first(where: { $0.id == child.field }) else {
                    issues.append(MappingIssue(line: child.line, message: "« \(c.field).\(child.field) » : « \(child.field) » n'est pas une partie du groupe « \(src.def.label.fr) » (parties : \(parts.map(\.id).joined(separator: ", ")))"))
                    continue
                }
                var childDesc: ChampDescriptor?
                if let desc {
                    childDesc = desc.children.first { $0.id == child.champ }
                    if childDesc == nil {
                        issues.append(MappingIssue(line: child.line, message: "« \(c.field).\(child.field) » : le champ « \(child.champ) » n'est pas un champ du bloc répété « \(desc.label) »"))
                        continue
                    }
                }
                let childIssues = Self.champ(child, source(part, form: form, orientations: orientations), desc: childDesc, described: described,
                                             form: form, orientations: orientations)
                issues += childIssues.map { var i = $0; i.message = "« \(c.field) » → " + i.message; return i }
                if child.type == nil && childDesc == nil {
                    issues.append(MappingIssue(line: child.line, message: "« \(c.field).\(child.field) » : le type du champ n'est pas noté (« type: »)"))
                }
            }
            if let desc {
                let mapped = Set(c.children.map(\.champ))
                for d in desc.children where d.required && !mapped.contains(d.id) && !ChampType.notFillable.contains(d.type) {
                    warn("le champ obligatoire « \(d.label) » (\(d.id)) du bloc répété n'est pas prérempli")
                }
            }
        } else if !c.children.isEmpty {
            error("« enfants » ne s'applique qu'à un bloc répété (type repetition)")
        }
        return issues
    }
}

/// The values of a sheet as the platform reads them, per champ type (docs/export.md).
public enum DemarchesValues {
    /// `{"champ_<id>": value, …, "identite_…": …}`.
    public static func body(_ s: ProjectSheet, workshop w: Workshop, mapping: DemarchesMapping) -> [UInt8] {
        var writer = JSONWriter(reserving: 1024)
        writer.beginObject()
        for (key, value) in pairs(s, workshop: w, mapping: mapping) {
            writer.key(key)
            writer.value(value)
        }
        writer.endObject()
        return writer.bytes
    }

    public static func pairs(_ s: ProjectSheet, workshop w: Workshop, mapping: DemarchesMapping) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        for c in mapping.champs {
            let value: JSONValue?
            if c.type == nil {
                value = DemarchesFields.value(c.field, of: s, in: w)
            } else {
                guard let src = DemarchesCheck.source(c.field, form: w.form, orientations: w.orientations) else { continue }
                value = convert(c, src, fieldValue(c.field, of: s, in: w), in: w)
            }
            if let value { out.append(("champ_" + c.champ, value)) }
        }
        for item in mapping.identity {
            guard let src = DemarchesCheck.source(item.field, form: w.form, orientations: w.orientations),
                  let v = fieldValue(item.field, of: s, in: w) else { continue }
            if item.item == "genre" {
                guard let id = v.string else { continue }
                let label = src.options?.first { $0.0 == id }?.1 ?? id
                out.append(("identite_genre", .string(item.values[id] ?? label)))
            } else if let t = v.string, !t.isEmpty {
                out.append(("identite_" + item.item, .string(t)))
            }
        }
        return out
    }

    static func fieldValue(_ path: String, of s: ProjectSheet, in w: Workshop) -> FieldValue? {
        switch path {
        case "id": return .text(s.id)
        case "status": return .text(s.status.rawValue)
        case "workshop.title": return .text(w.title)
        case "workshop.date": return .text(FormExport.day(of: w))
        default: break
        }
        let parts = path.split(separator: ".").map(String.init)
        var v = s.values[parts[0]]
        if parts.count == 2 { v = v?[parts[1]] }
        return v
    }

    /// One value for one champ; nil when there is nothing to send (the platform drops blanks anyway).
    static func convert(_ c: MappedChamp, _ src: MappingSource, _ v: FieldValue?, in w: Workshop) -> JSONValue? {
        guard let v, v.isAnswered, let type = c.champType else { return nil }
        let def = src.def
        func label(_ id: String) -> String { c.translation(id) ?? src.options?.first { $0.0 == id }?.1 ?? id }
        switch type {
        case .integerNumber, .decimalNumber:
            return v.int.map { .number(Double($0)) }
        case .date:
            // `YYYY-MM-DD`: the platform reads `22/12/2022` as the year 22.
            guard let d = v.string, d.count == 10, FormExport.dayMilliseconds(d) != nil else { return nil }
            return .string(d)
        case .yesNo, .checkbox:
            // The strings: a JSON true is stored as "t" (shown "Non"), a JSON false is dropped.
            return v.bool.map { .string($0 ? "true" : "false") }
        case .dropDownList:
            return v.string.map { .string(label($0)) }
        case .multipleDropDownList:
            let ids = def.type == .choice || def.type == .orientations ? [v.string].compactMap { $0 } : (v.list ?? []).compactMap(\.string)
            // Two of the form's options may translate to one of the procedure's: each sent once.
            var labels: [String] = []
            for id in ids where !labels.contains(label(id)) { labels.append(label(id)) }
            return labels.isEmpty ? nil : .array(labels.map { .string($0) })
        case .repetition:
            guard def.isRepeatedGroup, let rows = v.list else { return nil }
            let out: [JSONValue] = rows.compactMap { row in
                let pairs: [(String, JSONValue)] = c.children.compactMap { child in
                    guard let part = def.child(child.field) else { return nil }
                    let childSource = DemarchesCheck.source(part, form: w.form, orientations: w.orientations)
                    return convert(child, childSource, row[part.id], in: w).map { ("champ_" + child.champ, $0) }
                }
                return pairs.isEmpty ? nil : .object(pairs)
            }
            return out.isEmpty ? nil : .array(out)
        case .text, .textarea, .formatted, .siret, .email, .phone:
            switch def.type {
            case .choice, .orientations: return v.string.map { .string(label($0)) }
            case .choices, .constats:
                let t = (v.list ?? []).compactMap(\.string).map(label).joined(separator: " | ")
                return t.isEmpty ? nil : .string(t)
            case .text, .longText, .integer, .euros, .date, .siret, .email, .phone, .yesNo, .group, .problemCards, .ideaCards:
                let t = FormExport.text(v, def, in: w)
                return t.isEmpty ? nil : .string(t)
            }
        }
    }
}
