import AtelierDomain
import AtelierProtocol
import Foundation
import Yams

// The mapping file of a Démarches Simplifiées procedure (docs/export.md, "The mapping file"):
// which field of the sheet fills which champ of the procedure, and, per champ, what the
// procedure says of it (its type, its options, a repetition's children), so that values are
// converted as the platform reads them and a wrong mapping is refused before anything is sent.

/// A champ type of the platform (`TypeDeChamp.type_champs`), as the prefill description names it.
public enum ChampType: String, Sendable, CaseIterable {
    case text, textarea, integerNumber = "integer_number", decimalNumber = "decimal_number", date
    case yesNo = "yes_no", checkbox, dropDownList = "drop_down_list", multipleDropDownList = "multiple_drop_down_list"
    case repetition, siret, email, phone, formatted

    /// The GraphQL descriptor's `__typename` (`IntegerNumberChampDescriptor`) as a type name
    /// (`integer_number`): the camel-case words joined by underscores.
    public static func name(ofTypename typename: String) -> String {
        let base = typename.hasSuffix("ChampDescriptor") ? String(typename.dropLast("ChampDescriptor".count)) : typename
        var out = ""
        var previousLower = false
        for ch in base {
            if ch.isUppercase, previousLower { out += "_" }
            out += ch.lowercased()
            previousLower = ch.isLowercase || ch.isNumber
        }
        return out
    }

    /// Types that hold no value (sections, explanations): never in a mapping nor a skeleton.
    public static let notFillable: Set<String> = ["header_section", "explication"]

    /// The champ types a form field may fill, best first (what `--describe` guesses and `--check` accepts).
    public static func accepted(for type: FieldType, repeatedGroup: Bool) -> [ChampType] {
        switch type {
        case .text: return [.text, .textarea, .formatted]
        case .longText: return [.textarea, .text]
        case .integer, .euros: return [.integerNumber, .decimalNumber, .text]
        case .date: return [.date, .text]
        case .siret: return [.siret, .text]
        case .email: return [.email, .text]
        case .phone: return [.phone, .text]
        case .yesNo: return [.yesNo, .checkbox]
        case .choice, .orientations: return [.dropDownList, .text]
        case .choices, .constats: return [.multipleDropDownList, .textarea, .text]
        case .problemCards, .ideaCards: return [.textarea, .text]
        // A repeated group keeps its rows: only a repetition (a mapping without types still sends it as one text).
        case .group: return repeatedGroup ? [.repetition] : []
        }
    }
}

/// One champ of the procedure filled from one field of the sheet.
public struct MappedChamp: Sendable, Equatable {
    /// The sheet's field path (`title`, `lead.siret`, `workshop.date`), or a repeated group's part id.
    public var field: String
    /// The champ's id (the typed id, without `champ_`).
    public var champ: String
    /// Its type, as the procedure says; nil in a mapping written before types were recorded
    /// (values then go out as they did: texts, a repeated group as one text).
    public var type: String?
    public var label: String?
    public var required: Bool?
    /// A drop-down's options, as the procedure lists them.
    public var options: [String]?
    /// A drop-down that accepts a value of the applicant's own ("Autre").
    public var other: Bool
    /// The translation table: the form's option id → the procedure's option.
    public var values: [(String, String)]
    /// A repetition's children, by the repeated group's part ids.
    public var children: [MappedChamp]
    /// Where it is written (1-based), for the messages.
    public var line: Int

    public init(field: String, champ: String, type: String? = nil, label: String? = nil, required: Bool? = nil,
                options: [String]? = nil, other: Bool = false, values: [(String, String)] = [],
                children: [MappedChamp] = [], line: Int = 0) {
        self.field = field; self.champ = champ; self.type = type; self.label = label; self.required = required
        self.options = options; self.other = other; self.values = values; self.children = children; self.line = line
    }

    public var champType: ChampType? { type.flatMap(ChampType.init(rawValue:)) }
    public func translation(_ option: String) -> String? { values.first { $0.0 == option }?.1 }

    public static func == (a: MappedChamp, b: MappedChamp) -> Bool {
        a.field == b.field && a.champ == b.champ && a.type == b.type && a.label == b.label && a.required == b.required
            && a.options == b.options && a.other == b.other && a.values.map(\.0) == b.values.map(\.0)
            && a.values.map(\.1) == b.values.map(\.1) && a.children == b.children && a.line == b.line
    }
}

/// An `identite_*` value: only read by the platform for a procedure whose applicants are
/// individuals (`prefill_identity.rb`): `prenom`, `nom`, and `genre` ("M." or "Mme").
public struct MappedIdentity: Sendable, Equatable {
    public static let items = ["prenom", "nom", "genre"]
    public static let genres = ["M.", "Mme"]
    public var item: String
    public var field: String
    public var values: [String: String]
    public var line: Int
    public init(item: String, field: String, values: [String: String] = [:], line: Int = 0) {
        self.item = item; self.field = field; self.values = values; self.line = line
    }
}

/// A mapping file, read.
public struct DemarchesMapping: Sendable, Equatable {
    public var file: String
    /// The procedure's number and path, when the file records them (`--describe` does).
    public var procedure: Int?
    public var path: String?
    public var champs: [MappedChamp]
    public var identity: [MappedIdentity]

    public init(file: String = "correspondance", procedure: Int? = nil, path: String? = nil,
                champs: [MappedChamp], identity: [MappedIdentity] = []) {
        self.file = file; self.procedure = procedure; self.path = path; self.champs = champs; self.identity = identity
    }

    /// Written before types were recorded: every champ a bare id.
    public var isLegacy: Bool { champs.allSatisfy { $0.type == nil } && !champs.isEmpty }

    /// A file that cannot be read as a mapping; `line` when the fault has one.
    public struct ReadError: Error, Sendable, Equatable {
        public var file: String
        public var line: Int?
        public var message: String
        public var description: String { "\(file)\(line.map { ":\($0)" } ?? "") : \(message)" }
    }

    public static let maxChamps = 500

    /// Reads the YAML. Each champ is either an id (a mapping written before types were recorded)
    /// or `{champ, type, label, required, options, other, values, children}`.
    public static func parse(yaml text: String, file: String) throws(ReadError) -> DemarchesMapping {
        func fail(_ node: Node?, _ message: String) -> ReadError {
            ReadError(file: file, line: node?.mark?.line, message: message)
        }
        guard text.utf8.count <= 1_000_000 else { throw fail(nil, "fichier trop grand (1 Mo au plus)") }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ReadError(file: file, line: nil, message: "YAML illisible (\(String(describing: error).prefix(200)))")
        }
        guard let root, let top = root.mapping, let champsNode = top["champs"], let champs = champsNode.mapping else {
            throw fail(root, "une clé « champs » (dictionnaire champ du projet → champ de la démarche) est attendue")
        }
        var out = DemarchesMapping(file: file, champs: [])
        if let d = top["demarche"] {
            guard let m = d.mapping else { throw fail(d, "« demarche » : attendu { numero, chemin }") }
            for (k, v) in m {
                switch k.string ?? "" {
                case "numero":
                    guard let n = v.int, n > 0 else { throw fail(v, "« numero » : le numéro de la démarche (un entier positif)") }
                    out.procedure = n
                case "chemin":
                    guard let s = v.string, !s.isEmpty, s.count <= 200 else { throw fail(v, "« chemin » : le chemin de la démarche (texte)") }
                    out.path = s
                case "titre": break
                default: throw fail(k, "« demarche » : clé inconnue « \(k.string ?? "") » (numero, chemin, titre)")
                }
            }
        }
        for (k, _) in top where !["champs", "demarche", "identite"].contains(k.string ?? "") {
            throw fail(k, "clé inconnue « \(k.string ?? "") » (attendu : demarche, champs, identite)")
        }
        for (key, value) in champs {
            let field = key.string ?? ""
            // Checked against the workshop's form before each submission (the plans' forms differ).
            guard DemarchesFields.isPath(field) else {
                throw fail(key, "« \(field) » n'est pas un champ de projet (un identifiant de champ du formulaire, ou champ.partie ; ou \(DemarchesFields.fixed.joined(separator: ", ")))")
            }
            out.champs.append(try champ(field: field, key: key, value: value, child: false, fail: fail))
            guard out.champs.count <= maxChamps else { throw fail(key, "plus de \(maxChamps) champs") }
        }
        if let ident = top["identite"] {
            guard let m = ident.mapping else { throw fail(ident, "« identite » : attendu { prenom, nom, genre } → champ du projet") }
            for (k, v) in m {
                let item = k.string ?? ""
                guard MappedIdentity.items.contains(item) else {
                    throw fail(k, "« identite » : « \(item) » inconnu (prenom, nom, genre)")
                }
                var entry = MappedIdentity(item: item, field: "", line: k.mark?.line ?? 0)
                if let s = v.string { entry.field = s } else if let vm = v.mapping {
                    entry.field = vm["champ"]?.string ?? ""
                    for (ok, ov) in vm["valeurs"]?.mapping.map(Array.init) ?? [] {
                        entry.values[ok.string ?? ""] = ov.string ?? ""
                    }
                }
                guard DemarchesFields.isPath(entry.field) else {
                    throw fail(k, "« identite.\(item) » : un champ du projet est attendu (ex. contact.name)")
                }
                out.identity.append(entry)
            }
        }
        guard !out.champs.isEmpty || !out.identity.isEmpty else { throw fail(champsNode, "aucun champ relié") }
        return out
    }

    /// An empty value (`valeurs:` with every line commented out).
    static func isNull(_ v: Node) -> Bool {
        guard let s = v.scalar else { return false }
        return ["", "~", "null"].contains(s.string)
    }

    static func champ(field: String, key: Node, value: Node, child: Bool,
                      fail: (Node?, String) -> ReadError) throws(ReadError) -> MappedChamp {
        let line = key.mark?.line ?? 0
        if let id = value.string {
            guard !id.isEmpty, id.count <= 200 else { throw fail(key, "identifiant de champ Démarches Simplifiées manquant pour « \(field) »") }
            return MappedChamp(field: field, champ: id, line: line)
        }
        guard let m = value.mapping else {
            throw fail(key, "« \(field) » : attendu l'identifiant du champ, ou { champ, type, options, valeurs, enfants }")
        }
        var c = MappedChamp(field: field, champ: "", line: line)
        for (k, v) in m {
            let name = k.string ?? ""
            switch name {
            case "champ":
                guard let s = v.string, !s.isEmpty, s.count <= 200 else { throw fail(v, "« \(field) » : identifiant de champ manquant") }
                c.champ = s
            case "type":
                guard let s = v.string, !s.isEmpty, s.count <= 60 else { throw fail(v, "« \(field) » : type manquant") }
                c.type = s
            case "libelle": c.label = v.string
            case "obligatoire":
                guard let b = v.bool else { throw fail(v, "« \(field) » : « obligatoire » vaut true ou false") }
                c.required = b
            case "autre":
                guard let b = v.bool else { throw fail(v, "« \(field) » : « autre » vaut true ou false") }
                c.other = b
            case "options":
                guard let seq = v.sequence, seq.count <= 2000 else { throw fail(v, "« \(field) » : « options » est une liste de textes") }
                c.options = seq.map { $0.string ?? "" }
            case "valeurs":
                if isNull(v) { continue }
                guard let vm = v.mapping else { throw fail(v, "« \(field) » : « valeurs » relie chaque option du formulaire (son identifiant) à une option de la démarche") }
                for (ok, ov) in vm {
                    guard let from = ok.string, let to = ov.string else {
                        throw fail(ok, "« \(field) » : « valeurs » relie un identifiant d'option du formulaire à un texte")
                    }
                    c.values.append((from, to))
                }
            case "enfants":
                guard !child else { throw fail(k, "« \(field) » : un champ d'un bloc répété n'a pas d'enfants") }
                if isNull(v) { continue }
                guard let cm = v.mapping else { throw fail(v, "« \(field) » : « enfants » relie chaque partie du groupe répété à un champ du bloc") }
                for (ck, cv) in cm {
                    let part = ck.string ?? ""
                    guard DemarchesFields.isPath(part), !part.contains(".") else {
                        throw fail(ck, "« \(field) » : « \(part) » n'est pas une partie de groupe (son identifiant)")
                    }
                    c.children.append(try champ(field: part, key: ck, value: cv, child: true, fail: fail))
                }
            default:
                throw fail(k, "« \(field) » : clé inconnue « \(name) » (champ, type, libelle, obligatoire, options, autre, valeurs, enfants)")
            }
        }
        guard !c.champ.isEmpty else { throw fail(key, "« \(field) » : « champ » (l'identifiant du champ de la démarche) manque") }
        return c
    }
}

/// One champ as the procedure's prefill description gives it (`GET /preremplir/{path}/schema`:
/// the GraphQL `demarcheDescriptor`, its `revision.champDescriptors`).
public struct ChampDescriptor: Sendable, Equatable {
    public var id: String
    public var label: String
    /// The type name (`integer_number`), from `__typename`.
    public var type: String
    public var required: Bool
    public var description: String?
    public var options: [String]?
    public var other: Bool
    public var children: [ChampDescriptor]
    public init(id: String, label: String, type: String, required: Bool = false, description: String? = nil,
                options: [String]? = nil, other: Bool = false, children: [ChampDescriptor] = []) {
        self.id = id; self.label = label; self.type = type; self.required = required; self.description = description
        self.options = options; self.other = other; self.children = children
    }
}

/// A procedure as its prefill description gives it.
public struct ProcedureDescription: Sendable, Equatable {
    public var number: Int
    public var title: String
    public var path: String
    public var champs: [ChampDescriptor]

    public init(number: Int, title: String, path: String, champs: [ChampDescriptor]) {
        self.number = number; self.title = title; self.path = path; self.champs = champs
    }

    public func champ(_ id: String) -> ChampDescriptor? { champs.first { $0.id == id } }

    /// Reads the schema endpoint's JSON; nil when it is not a procedure's description.
    public static func parse(_ bytes: [UInt8], path: String) -> ProcedureDescription? {
        guard let json = try? JSONParser.parse(bytes), case .number(let d)? = json["number"], let n = Int(exactly: d),
              case .array(let list)? = json["revision"]?["champDescriptors"] else { return nil }
        var title = ""
        if case .string(let t)? = json["title"] { title = t }
        return ProcedureDescription(number: n, title: title, path: path, champs: list.compactMap(descriptor))
    }

    static func descriptor(_ v: JSONValue) -> ChampDescriptor? {
        guard case .string(let id)? = v["id"], case .string(let typename)? = v["__typename"] else { return nil }
        var d = ChampDescriptor(id: id, label: "", type: ChampType.name(ofTypename: typename))
        if case .string(let l)? = v["label"] { d.label = l }
        if case .bool(let r)? = v["required"] { d.required = r }
        if case .string(let s)? = v["description"], !s.isEmpty { d.description = s }
        if case .array(let o)? = v["options"] {
            d.options = o.compactMap { if case .string(let s) = $0 { return s }; return nil }
        }
        if case .bool(let b)? = v["otherOption"] { d.other = b }
        if case .array(let c)? = v["champDescriptors"] { d.children = c.compactMap(descriptor) }
        return d
    }
}
