import Foundation

// The call for projects a plan declares (docs/plans.md, "The call for projects"): its name, its
// budget, the form of a project sheet and the eligibility rules checked when a sheet is marked
// ready. It travels in `workshop.created` (the blueprint), so a workshop keeps the form it was
// created with; workshops created before forms existed use `CallForm.legacy`, today's fixed sheet.

/// A text in French, and in English when the plan gives it.
public struct Localized: Codable, Sendable, Equatable {
    public var fr: String
    public var en: String?
    public init(fr: String, en: String? = nil) { self.fr = fr; self.en = en }
    public init(_ fr: String, _ en: String? = nil) { self.fr = fr; self.en = en }
}

/// The kinds of field a project sheet can have.
public enum FieldType: String, Codable, Sendable, CaseIterable {
    case text = "text", longText = "longText", integer = "integer", euros = "euros", date = "date"
    case siret = "siret", email = "email", phone = "phone", yesNo = "yesNo", choice = "choice", choices = "choices"
    /// Child fields; `repeated` (the default): a list of rows (partners, co-financing), else one object.
    case group = "group"
    /// Links to the workshop's problem cards, idea cards; the call's constats; one orientation.
    case problemCards = "problemCards", ideaCards = "ideaCards", constats = "constats", orientations = "orientations"

    /// The types a group's child field may have (no nested group, no links).
    public var isScalar: Bool {
        switch self {
        case .group, .problemCards, .ideaCards, .constats, .orientations: return false
        case .text, .longText, .integer, .euros, .date, .siret, .email, .phone, .yesNo, .choice, .choices: return true
        }
    }
}

/// One option of a `choice` / `choices` field: a stable id (what is stored and sent) and its labels.
public struct FieldOption: Codable, Sendable, Equatable {
    public var id: String
    public var label: Localized
    public init(id: String, label: Localized) { self.id = id; self.label = label }
}

/// One field of the form.
public struct FormField: Codable, Sendable, Equatable {
    public var id: String
    public var type: FieldType
    public var label: Localized
    public var help: Localized?
    /// Needed for the sheet to be marked ready.
    public var required: Bool
    /// Texts: most characters. Numbers: range. Lists (groups, choices, links): most items.
    public var maxLength: Int?
    public var min: Int?
    public var max: Int?
    public var maxItems: Int?
    public var options: [FieldOption]?
    /// A group's child fields.
    public var fields: [FormField]?
    /// A group: a list of rows (true, the default) or a single object (false).
    public var repeated: Bool?
    /// The editor's section it is shown in.
    public var section: String?

    public init(id: String, type: FieldType, label: Localized, help: Localized? = nil, required: Bool = false,
                maxLength: Int? = nil, min: Int? = nil, max: Int? = nil, maxItems: Int? = nil,
                options: [FieldOption]? = nil, fields: [FormField]? = nil, repeated: Bool? = nil, section: String? = nil) {
        self.id = id; self.type = type; self.label = label; self.help = help; self.required = required
        self.maxLength = maxLength; self.min = min; self.max = max; self.maxItems = maxItems; self.options = options
        self.fields = fields; self.repeated = repeated; self.section = section
    }

    public var isRepeatedGroup: Bool { type == .group && repeated != false }

    /// The limits in force: the plan's, or the type's defaults.
    public var lengthLimit: Int { maxLength ?? (type == .longText ? 2000 : type == .email ? 254 : type == .phone ? 32 : 200) }
    public var range: ClosedRange<Int> {
        let lo = min ?? 0
        let hi = max ?? (type == .euros ? 10_000_000 : 1_000_000)
        return lo...Swift.max(lo, hi)
    }
    public var itemLimit: Int {
        if let maxItems { return maxItems }
        switch type {
        case .group: return 20
        case .choices: return options?.count ?? 0
        case .constats: return 50
        case .text, .longText, .integer, .euros, .date, .siret, .email, .phone, .yesNo, .choice, .problemCards, .ideaCards, .orientations:
            return 100
        }
    }
    public func child(_ id: String) -> FormField? { fields?.first { $0.id == id } }
}

/// A section of the sheet editor.
public struct FormSection: Codable, Sendable, Equatable {
    public var id: String
    public var title: Localized
    public init(id: String, title: Localized) { self.id = id; self.title = title }
}

/// One of the call's constats (findings a project can answer).
public struct Constat: Codable, Sendable, Equatable {
    public var id: String
    public var title: Localized
    public init(id: String, title: Localized) { self.id = id; self.title = title }
}

/// A condition on a sheet: the value at `path` is one of `values` (for yes/no: true or false),
/// or, with no values, is given (not empty, not "no", not 0).
public struct RuleCondition: Codable, Sendable, Equatable {
    public var path: String
    public var values: [FieldValue]
    public init(path: String, values: [FieldValue]) { self.path = path; self.values = values }

    public func holds(in v: [String: FieldValue]) -> Bool {
        let here = AtelierDomain.values(at: path, in: v)
        return values.isEmpty ? here.contains(where: \.isGiven) : here.contains(where: values.contains)
    }
}

/// An eligibility rule: a handful of declarative kinds the plan combines (docs/plans.md).
public struct EligibilityRule: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Every path is given.
        case filled = "filled"
        /// At least one of the paths is given.
        case anyOf = "anyOf"
        /// At least `min` items among the paths (rows of groups, or single objects), those whose
        /// `wherePart` is one of `whereValues`, distinct by `distinct` when given.
        case count = "count"
        /// The sum of the paths is at most the value at `atMost` (a path) or `atMostValue`.
        case sumAtMost = "sumAtMost"
    }
    public var id: String
    public var kind: Kind
    public var paths: [String]
    public var when: RuleCondition?
    public var min: Int?
    public var wherePart: String?
    public var whereValues: [String]?
    public var distinct: String?
    public var atMost: String?
    public var atMostValue: Int?
    public var message: Localized
    public init(id: String, kind: Kind, paths: [String], when: RuleCondition? = nil, min: Int? = nil,
                wherePart: String? = nil, whereValues: [String]? = nil, distinct: String? = nil,
                atMost: String? = nil, atMostValue: Int? = nil, message: Localized) {
        self.id = id; self.kind = kind; self.paths = paths; self.when = when; self.min = min
        self.wherePart = wherePart; self.whereValues = whereValues; self.distinct = distinct
        self.atMost = atMost; self.atMostValue = atMostValue; self.message = message
    }
}

/// The call for projects: its name, budget, the sheet's form and the eligibility rules.
public struct CallForm: Codable, Sendable, Equatable {
    public var name: String
    /// Euros, whole; nil when the plan does not say.
    public var budget: Int?
    public var constats: [Constat]
    public var sections: [FormSection]
    public var fields: [FormField]
    public var rules: [EligibilityRule]
    /// What a sheet asks of the call (paths: `field` or `group.part`): the synthesis lists them
    /// per project and adds up their amounts (euros) against `budget`. nil: the paths of the
    /// `sumAtMost` rules (a form written before `asks` existed).
    public var asks: [String]?
    public init(name: String, budget: Int? = nil, constats: [Constat] = [], sections: [FormSection] = [],
                fields: [FormField], rules: [EligibilityRule] = [], asks: [String]? = nil) {
        self.name = name; self.budget = budget; self.constats = constats; self.sections = sections
        self.fields = fields; self.rules = rules; self.asks = asks
    }

    /// The asks in force: the plan's, or the amounts its `sumAtMost` rules add up.
    public var askPaths: [String] {
        if let asks { return asks }
        var out: [String] = []
        for r in rules where r.kind == .sumAtMost { for p in r.paths where !out.contains(p) { out.append(p) } }
        return out
    }

    public func field(_ id: String) -> FormField? { fields.first { $0.id == id } }

    /// The field a rule path starts with (`partners[].actor` → partners).
    public static func fieldID(of path: String) -> String {
        String(path.prefix { $0 != "." && $0 != "[" })
    }

    /// Keys of a sheet that are not form fields (a form field cannot take these ids).
    public static let reservedIDs: Set<String> = ["id", "board", "cluster", "status", "version", "supporters", "supportCount",
                                                  "receipts", "createdBy", "createdSeq", "phase", "values", "form"]
}

// MARK: - Values

/// A field's value: JSON-shaped, checked against the form (`FormCheck`). Texts, dates, SIRETs,
/// choice ids and card ids are `.text`; amounts and counts `.int`; yes/no `.bool`; several
/// choices and links `.list` of `.text`; a repeated group a `.list` of `.object`; a single group
/// an `.object`. `.null` in a change clears the field.
public indirect enum FieldValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case text(String)
    case list([FieldValue])
    case object([String: FieldValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let n = try? c.decode(Int.self) { self = .int(n); return }
        if let s = try? c.decode(String.self) { self = .text(s); return }
        if let l = try? c.decode([FieldValue].self) { self = .list(l); return }
        self = .object(try c.decode([String: FieldValue].self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let n): try c.encode(n)
        case .text(let s): try c.encode(s)
        case .list(let l): try c.encode(l)
        case .object(let o): try c.encode(o)
        }
    }

    public var string: String? { if case .text(let s) = self { return s }; return nil }
    public var int: Int? { if case .int(let n) = self { return n }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var list: [FieldValue]? { if case .list(let l) = self { return l }; return nil }
    public var object: [String: FieldValue]? { if case .object(let o) = self { return o }; return nil }
    public subscript(key: String) -> FieldValue? { object?[key] }

    /// Answered: not null, not an empty text, list or object (false and 0 are answers).
    public var isAnswered: Bool {
        switch self {
        case .null: return false
        case .bool, .int: return true
        case .text(let s): return !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        case .list(let l): return !l.isEmpty
        case .object(let o): return o.values.contains { $0.isAnswered }
        }
    }

    /// Given, for the eligibility rules: answered, and not "no", not 0.
    public var isGiven: Bool {
        switch self {
        case .bool(let b): return b
        case .int(let n): return n != 0
        case .null, .text, .list, .object: return isAnswered
        }
    }
}

/// What the rules read: the values at a path of a sheet. `a` → the field's value; `a.b` → part b
/// of a single group (or of each row of a repeated one); `a[].b` → part b of each row.
public func values(at path: String, in values: [String: FieldValue]) -> [FieldValue] {
    let parts = path.replacingOccurrences(of: "[]", with: "").split(separator: ".").map(String.init)
    guard let first = parts.first, let root = values[first] else { return [] }
    var current: [FieldValue] = [root]
    for part in parts.dropFirst() {
        current = current.flatMap { v -> [FieldValue] in
            switch v {
            case .object(let o): return o[part].map { [$0] } ?? []
            case .list(let rows): return rows.compactMap { $0[part] }
            case .null, .bool, .int, .text: return []
            }
        }
    }
    return current
}
