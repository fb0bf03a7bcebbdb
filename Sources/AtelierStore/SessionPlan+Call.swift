import AtelierDomain
import Foundation
import Yams

// The `call:` section of a plan: the call for projects, the form of its sheets and its eligibility
// rules (docs/plans.md, "The call for projects"). Every problem is reported with its line.

extension PlanReader {
    /// A text in French, or `{ fr: …, en: … }`.
    mutating func localized(_ node: Node?, _ path: String, required: Bool = true, limit: Int = 300) -> Localized? {
        guard let node else {
            if required { issue(nil, path, "texte obligatoire") }
            return nil
        }
        if let s = node.scalar?.string {
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty { issue(node, path, "ne peut pas être vide"); return nil }
            if t.count > limit { issue(node, path, "trop long (au plus \(limit) caractères)"); return nil }
            return Localized(fr: t)
        }
        guard let m = mapping(node, path) else { return nil }
        for (k, v) in m where !["fr", "en"].contains(k.string ?? "") {
            issue(v, "\(path).\(k.string ?? "?")", "clé inconnue (attendu : fr, en)")
        }
        guard let fr = string(m, "fr", path, limit: limit) else { return nil }
        let en = string(m, "en", path, required: false, limit: limit)
        return Localized(fr: fr, en: en)
    }

    mutating func unknownKeys(_ m: Node.Mapping, _ known: [String], _ path: String) {
        for (k, v) in m where !known.contains(k.string ?? "") {
            issue(v, "\(path).\(k.string ?? "?")", "clé inconnue (attendu : \(known.joined(separator: ", ")))")
        }
    }

    mutating func optionalInt(_ m: Node.Mapping, _ key: String, _ path: String, range: ClosedRange<Int>) -> Int? {
        guard let node = m[key] else { return nil }
        guard let n = node.int, range.contains(n) else {
            issue(node, "\(path).\(key)", "un entier entre \(range.lowerBound) et \(range.upperBound) est attendu")
            return nil
        }
        return n
    }

    static let fieldKeys = ["id", "type", "label", "help", "required", "maxLength", "min", "max", "maxItems", "options",
                            "fields", "repeated", "section"]

    mutating func field(_ node: Node, _ path: String, sections: [FormSection], inGroup: Bool) -> FormField? {
        guard let m = mapping(node, path) else { return nil }
        unknownKeys(m, Self.fieldKeys, path)
        guard let id = fieldIdentifier(m, path) else { return nil }
        let p = "\(path) (\(id))"
        guard let typeNode = m["type"] else { issue(node, p, "la clé « type » est obligatoire"); return nil }
        guard let typeName = typeNode.string, let type = FieldType(rawValue: typeName) else {
            issue(typeNode, "\(p).type", "type de champ inconnu « \(typeNode.string ?? "?") » (attendu : \(FieldType.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        if inGroup && !type.isScalar {
            issue(typeNode, "\(p).type", "un groupe ne contient que des champs simples (pas de « \(type.rawValue) »)")
            return nil
        }
        if !inGroup && CallForm.reservedIDs.contains(id) {
            issue(m["id"], "\(p).id", "« \(id) » est réservé à la fiche (\(CallForm.reservedIDs.sorted().joined(separator: ", ")))")
            return nil
        }
        guard let label = localized(m["label"], "\(p).label") else { return nil }
        let help = localized(m["help"], "\(p).help", required: false, limit: 1000)
        var required = false
        if let r = m["required"] {
            if let b = r.bool { required = b } else { issue(r, "\(p).required", "true ou false est attendu") }
        }
        var f = FormField(id: id, type: type, label: label, help: help, required: required)
        f.maxLength = optionalInt(m, "maxLength", p, range: 1...20_000)
        f.min = optionalInt(m, "min", p, range: -1_000_000_000...1_000_000_000)
        f.max = optionalInt(m, "max", p, range: -1_000_000_000...1_000_000_000)
        f.maxItems = optionalInt(m, "maxItems", p, range: 1...200)
        if let lo = f.min, let hi = f.max, lo > hi { issue(m["min"], "\(p).min", "« min » (\(lo)) dépasse « max » (\(hi))") }
        let texts: Set<FieldType> = [.text, .longText, .email, .phone]
        let numbers: Set<FieldType> = [.integer, .euros]
        let lists: Set<FieldType> = [.choices, .group, .problemCards, .ideaCards, .constats]
        if m["maxLength"] != nil, !texts.contains(type) { issue(m["maxLength"], "\(p).maxLength", "« maxLength » ne vaut que pour un texte") }
        if m["min"] != nil || m["max"] != nil, !numbers.contains(type) { issue(m["min"] ?? m["max"], p, "« min » et « max » ne valent que pour un nombre (integer, euros)") }
        if m["maxItems"] != nil, !lists.contains(type) { issue(m["maxItems"], "\(p).maxItems", "« maxItems » ne vaut que pour une liste (choices, group, cartes, constats)") }
        if let sec = m["section"] {
            if let s = sec.string, sections.contains(where: { $0.id == s }) { f.section = s }
            else { issue(sec, "\(p).section", "section « \(sec.string ?? "?") » inconnue (sections : \(sections.map(\.id).joined(separator: ", ")))") }
        }
        if type == .choice || type == .choices {
            guard let seq = sequence(m["options"], "\(p).options"), !seq.isEmpty else {
                issue(m["options"] ?? node, "\(p).options", "un champ « \(type.rawValue) » a besoin d'une liste « options » (id et label)")
                return nil
            }
            var options: [FieldOption] = []
            for (i, o) in seq.enumerated() {
                let op = "\(p).options[\(i)]"
                guard let om = mapping(o, op) else { continue }
                unknownKeys(om, ["id", "label"], op)
                guard let oid = identifier(om, "id", op), let olabel = localized(om["label"], "\(op).label") else { continue }
                if options.contains(where: { $0.id == oid }) { issue(o, op, "option « \(oid) » en double"); continue }
                options.append(FieldOption(id: oid, label: olabel))
            }
            f.options = options
        } else if m["options"] != nil {
            issue(m["options"], "\(p).options", "« options » ne vaut que pour un champ choice ou choices")
        }
        if type == .group {
            if let r = m["repeated"] {
                if let b = r.bool { f.repeated = b } else { issue(r, "\(p).repeated", "true ou false est attendu") }
            }
            guard let seq = sequence(m["fields"], "\(p).fields"), !seq.isEmpty else {
                issue(m["fields"] ?? node, "\(p).fields", "un groupe a besoin d'une liste « fields » (ses champs)")
                return nil
            }
            var children: [FormField] = []
            for (i, c) in seq.enumerated() {
                guard let child = field(c, "\(p).fields[\(i)]", sections: sections, inGroup: true) else { continue }
                if children.contains(where: { $0.id == child.id }) { issue(c, "\(p).fields[\(i)]", "champ « \(child.id) » en double dans le groupe"); continue }
                children.append(child)
            }
            f.fields = children
            if f.repeated == false, m["maxItems"] != nil { issue(m["maxItems"], "\(p).maxItems", "un groupe non répété n'a qu'une ligne") }
        } else if m["fields"] != nil || m["repeated"] != nil {
            issue(m["fields"] ?? m["repeated"], p, "« fields » et « repeated » ne valent que pour un groupe")
        }
        return f
    }

    /// Field ids are JSON keys: a letter, then letters and digits (camelCase), 40 at most.
    mutating func fieldIdentifier(_ m: Node.Mapping, _ path: String) -> String? {
        guard let s = string(m, "id", path) else { return nil }
        let ok = s.utf8.count <= 40 && s.first?.isLetter == true && s.first?.isASCII == true
            && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }
        guard ok else {
            issue(m["id"], "\(path).id", "identifiant de champ « \(s) » invalide : une lettre puis des lettres ou chiffres ASCII (camelCase), 40 au plus")
            return nil
        }
        return s
    }

    mutating func call(_ node: Node) -> CallForm? {
        guard let m = mapping(node, "call") else { return nil }
        unknownKeys(m, ["name", "budget", "constats", "sections", "fields", "rules", "asks"], "call")
        let before = issues.count
        let name = string(m, "name", "call")
        let budget = optionalInt(m, "budget", "call", range: 0...1_000_000_000)
        var constats: [Constat] = []
        for (i, c) in (sequence(m["constats"], "call.constats") ?? []).enumerated() {
            let p = "call.constats[\(i)]"
            guard let cm = mapping(c, p) else { continue }
            unknownKeys(cm, ["id", "title"], p)
            guard let id = identifier(cm, "id", p), let title = localized(cm["title"], "\(p).title", limit: 500) else { continue }
            if constats.contains(where: { $0.id == id }) { issue(c, p, "constat « \(id) » en double"); continue }
            constats.append(Constat(id: id, title: title))
        }
        var sections: [FormSection] = []
        for (i, s) in (sequence(m["sections"], "call.sections") ?? []).enumerated() {
            let p = "call.sections[\(i)]"
            guard let sm = mapping(s, p) else { continue }
            unknownKeys(sm, ["id", "title"], p)
            guard let id = identifier(sm, "id", p), let title = localized(sm["title"], "\(p).title") else { continue }
            if sections.contains(where: { $0.id == id }) { issue(s, p, "section « \(id) » en double"); continue }
            sections.append(FormSection(id: id, title: title))
        }
        var fields: [FormField] = []
        if m["fields"] == nil { issue(node, "call", "la clé « fields » (les champs de la fiche) est obligatoire") }
        for (i, f) in (sequence(m["fields"], "call.fields") ?? []).enumerated() {
            guard let field = field(f, "call.fields[\(i)]", sections: sections, inGroup: false) else { continue }
            if fields.contains(where: { $0.id == field.id }) { issue(f, "call.fields[\(i)]", "champ « \(field.id) » en double"); continue }
            fields.append(field)
        }
        if issues.count == before {
            if let title = fields.first(where: { $0.id == "title" }) {
                if title.type != .text { issue(m["fields"], "call.fields", "le champ « title » (le titre de la fiche) doit être de type text") }
            } else {
                issue(m["fields"], "call.fields", "la fiche a besoin d'un champ « title » de type text (son titre)")
            }
            if fields.contains(where: { $0.type == .constats }), constats.isEmpty {
                issue(m["fields"], "call.fields", "un champ « constats » a besoin de la liste « call.constats »")
            }
        }
        let form = CallForm(name: name ?? "", budget: budget, constats: constats, sections: sections, fields: fields)
        var rules: [EligibilityRule] = []
        for (i, r) in (sequence(m["rules"], "call.rules") ?? []).enumerated() {
            guard let rule = rule(r, "call.rules[\(i)]", form: form) else { continue }
            if rules.contains(where: { $0.id == rule.id }) { issue(r, "call.rules[\(i)]", "règle « \(rule.id) » en double"); continue }
            rules.append(rule)
        }
        var asks: [String]?
        if m["asks"] != nil {
            asks = paths(m["asks"], "call.asks", form: form)
            if let a = asks, let bad = a.first(where: { $0.contains("[]") }) {
                issue(m["asks"], "call.asks", "« \(bad) » : une demande nomme un champ ou champ.partie, sans « [] »")
            }
        }
        guard issues.count == before, let name else { return nil }
        var out = form
        out.asks = asks
        out.name = name
        out.rules = rules
        return out
    }

    /// The field (and part) a rule path names, or an issue.
    mutating func resolve(_ path: String, _ node: Node?, _ where_: String, form: CallForm) -> FormField? {
        let repeated = path.contains("[]")
        let parts = path.replacingOccurrences(of: "[]", with: "").split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), let f = form.field(parts[0]) else {
            issue(node, where_, "chemin « \(path) » inconnu (attendu : un champ de la fiche, ou champ.partie pour un groupe)")
            return nil
        }
        if repeated && !f.isRepeatedGroup { issue(node, where_, "« [] » ne vaut que pour un groupe répété (\(f.id))"); return nil }
        if parts.count == 2 {
            guard f.type == .group, let child = f.child(parts[1]) else {
                issue(node, where_, "« \(parts[1]) » n'est pas une partie du groupe « \(f.id) »"); return nil
            }
            return child
        }
        return f
    }

    mutating func paths(_ node: Node?, _ where_: String, form: CallForm) -> [String]? {
        let list: [Node]
        if let n = node, n.scalar != nil { list = [n] } else { guard let seq = sequence(node, where_) else { return nil }; list = Array(seq) }
        var out: [String] = []
        for n in list {
            guard let s = n.string else { issue(n, where_, "un chemin est attendu"); return nil }
            guard resolve(s, n, where_, form: form) != nil else { return nil }
            out.append(s)
        }
        return out.isEmpty ? nil : out
    }

    mutating func rule(_ node: Node, _ path: String, form: CallForm) -> EligibilityRule? {
        guard let m = mapping(node, path) else { return nil }
        unknownKeys(m, ["id", "when", "filled", "anyOf", "count", "sumAtMost", "where", "distinct", "min", "atMost", "message"], path)
        guard let id = identifier(m, "id", path) else { return nil }
        let p = "\(path) (\(id))"
        let kinds = EligibilityRule.Kind.allCases.filter { m[$0.rawValue] != nil }
        guard kinds.count == 1, let kind = kinds.first else {
            issue(node, p, "une règle a exactement une sorte : filled, anyOf, count ou sumAtMost")
            return nil
        }
        guard let paths = paths(m[kind.rawValue], "\(p).\(kind.rawValue)", form: form) else { return nil }
        guard let message = localized(m["message"], "\(p).message", limit: 500) else { return nil }
        var rule = EligibilityRule(id: id, kind: kind, paths: paths, message: message)
        if let w = m["when"] {
            guard let wm = mapping(w, "\(p).when"), wm.count == 1, let pair = wm.first, let wp = pair.key.string else {
                issue(w, "\(p).when", "« when » attend une seule condition : { chemin: valeur }, { chemin: [valeurs] } ou { given: chemin }")
                return nil
            }
            if wp == "given" {
                guard let gp = pair.value.string, resolve(gp, pair.value, "\(p).when", form: form) != nil else {
                    if pair.value.string == nil { issue(pair.value, "\(p).when", "« given » attend un chemin") }
                    return nil
                }
                rule.when = RuleCondition(path: gp, values: [])
                return finish(rule, m, node, p, paths: paths, kind: kind, form: form)
            }
            guard let target = resolve(wp, pair.key, "\(p).when", form: form) else { return nil }
            let raw: [Node] = pair.value.sequence.map(Array.init) ?? [pair.value]
            var values: [FieldValue] = []
            for x in raw {
                if target.type == .yesNo, let b = x.bool { values.append(.bool(b)); continue }
                if target.type == .integer || target.type == .euros, let n = x.int { values.append(.int(n)); continue }
                guard let s = x.string else { issue(x, "\(p).when", "une valeur simple est attendue"); return nil }
                if let options = target.options, !options.contains(where: { $0.id == s }) {
                    issue(x, "\(p).when", "« \(s) » n'est pas une option de « \(target.id) » (\(options.map(\.id).joined(separator: ", ")))")
                    return nil
                }
                values.append(.text(s))
            }
            rule.when = RuleCondition(path: wp, values: values)
        }
        return finish(rule, m, node, p, paths: paths, kind: kind, form: form)
    }

    /// The parts of a rule that depend on its kind.
    mutating func finish(_ rule: EligibilityRule, _ m: Node.Mapping, _ node: Node, _ p: String, paths: [String],
                         kind: EligibilityRule.Kind, form: CallForm) -> EligibilityRule? {
        var rule = rule
        if kind == .count {
            rule.min = optionalInt(m, "min", p, range: 1...1000) ?? 1
            let groups = paths.compactMap { form.field(CallForm.fieldID(of: $0)) }
            guard groups.allSatisfy({ $0.type == .group }) else {
                issue(m["count"], "\(p).count", "« count » compte les lignes de groupes"); return nil
            }
            if let w = m["where"] {
                guard let wm = mapping(w, "\(p).where"), wm.count == 1, let pair = wm.first, let part = pair.key.string else {
                    issue(w, "\(p).where", "« where » attend { partie: [valeurs] }"); return nil
                }
                guard groups.allSatisfy({ $0.child(part) != nil }) else {
                    issue(pair.key, "\(p).where", "« \(part) » n'est pas une partie de chaque groupe compté"); return nil
                }
                let raw: [Node] = pair.value.sequence.map(Array.init) ?? [pair.value]
                rule.wherePart = part
                rule.whereValues = raw.compactMap(\.string)
            }
            if let d = m["distinct"] {
                guard let part = d.string, groups.allSatisfy({ $0.child(part) != nil }) else {
                    issue(d, "\(p).distinct", "« \(d.string ?? "?") » n'est pas une partie de chaque groupe compté"); return nil
                }
                rule.distinct = part
            }
        } else if m["where"] != nil || m["distinct"] != nil || m["min"] != nil {
            issue(node, p, "« where », « distinct » et « min » ne valent que pour « count »")
        }
        if kind == .sumAtMost {
            guard let a = m["atMost"] else { issue(node, p, "« sumAtMost » a besoin de « atMost » (un chemin ou un nombre)"); return nil }
            if let n = a.int { rule.atMostValue = n } else if let s = a.string, resolve(s, a, "\(p).atMost", form: form) != nil { rule.atMost = s } else { return nil }
            for path in paths + (rule.atMost.map { [$0] } ?? []) {
                if let f = resolve(path, m["sumAtMost"], "\(p).sumAtMost", form: form), f.type != .integer && f.type != .euros {
                    issue(m["sumAtMost"], "\(p).sumAtMost", "« \(path) » n'est pas un nombre (integer, euros)"); return nil
                }
            }
        } else if m["atMost"] != nil {
            issue(m["atMost"], "\(p).atMost", "« atMost » ne vaut que pour « sumAtMost »")
        }
        return rule
    }
}
