import Foundation

public typealias ProjectID = String

/// The kinds of cooperation the call for projects funds.
public enum CooperationKind: String, Codable, Sendable, CaseIterable {
    /// Between structures of the sector (SIAE).
    case siae = "siae"
    /// With ordinary businesses.
    case business = "business"
    case other = "other"
}

public enum ProjectStatus: String, Codable, Sendable {
    case draft = "draft", ready = "ready", submitted = "submitted"
    /// Prepared on Démarches Simplifiées (a prefilled draft), to be taken over and filed by the
    /// project lead; `submitted` once they filed it (docs/export.md "Following the dossiers").
    case prepared = "prepared"
}

/// An organisation on a project sheet.
public struct Organisation: Codable, Sendable, Equatable {
    public var name: String
    public var actor: ActorKind
    /// 14 digits with a valid check digit, when given.
    public var siret: String?
    public init(name: String, actor: ActorKind, siret: String? = nil) { self.name = name; self.actor = actor; self.siret = siret }
}

public struct Partner: Codable, Sendable, Equatable {
    public var name: String
    public var actor: ActorKind
    public var role: String
    public init(name: String, actor: ActorKind, role: String) { self.name = name; self.actor = actor; self.role = role }
}

/// The three kinds of support of the call for projects.
public struct SupportRequest: Codable, Sendable, Equatable {
    public var methodological: Bool
    /// Euros, whole.
    public var expertise: Int?
    public var grant: Int?
    public init(methodological: Bool = false, expertise: Int? = nil, grant: Int? = nil) {
        self.methodological = methodological; self.expertise = expertise; self.grant = grant
    }
    public var isEmpty: Bool { !methodological && (expertise ?? 0) == 0 && (grant ?? 0) == 0 }
}

public struct ExpectedOutcomes: Codable, Sendable, Equatable {
    public var insertionJobs: Int?
    public var peopleSupported: Int?
    public var other: String
    public init(insertionJobs: Int? = nil, peopleSupported: Int? = nil, other: String = "") {
        self.insertionJobs = insertionJobs; self.peopleSupported = peopleSupported; self.other = other
    }
}

/// The project's contact for the call-for-projects team (a professional contact, given on purpose).
public struct Contact: Codable, Sendable, Equatable {
    public var name: String
    public var email: String
    public var phone: String
    public init(name: String = "", email: String = "", phone: String = "") { self.name = name; self.email = email; self.phone = phone }
}

/// What the pipeline answered when the project was submitted.
public struct Receipt: Codable, Sendable, Equatable {
    public enum Channel: String, Codable, Sendable, CaseIterable { case webhook = "webhook", demarches = "demarches" }
    public var channel: Channel
    public var reference: String
    /// Démarches Simplifiées: the prefilled application to open.
    public var url: String?
    public var number: Int?
    public var at: Int64
    /// Démarches Simplifiées: `dossier_prefill_token`, which follows the dossier on the platform's
    /// index. A secret like `url` (which holds it): the facilitator's alone, never in an export.
    public var prefillToken: String?
    /// Démarches Simplifiées: where the dossier was last found (`dossier.followed`).
    public var dossier: DossierFollow?
    public init(channel: Channel, reference: String, url: String? = nil, number: Int? = nil, at: Int64,
                prefillToken: String? = nil, dossier: DossierFollow? = nil) {
        self.channel = channel; self.reference = reference; self.url = url; self.number = number; self.at = at
        self.prefillToken = prefillToken; self.dossier = dossier
    }
}

/// A project sheet: an idea worked into something the call for projects can fund. Its identity
/// and history are fixed fields; what people write in it is `values`, field id → value, shaped by
/// the form of the workshop's call (`Workshop.form`, checked by `FormCheck`). The typed accessors
/// (`title`, `lead`, `partners`…) read and write the fields of today's sheet (`CallForm.legacy`,
/// whose ids the default plan keeps).
public struct ProjectSheet: Sendable, Equatable {
    public var id: ProjectID
    /// The table's board it was made on.
    public var board: BoardID
    public var cluster: ClusterID?
    /// The form's values (never a key of `CallForm.reservedIDs`).
    public var values: [String: FieldValue]
    public var status: ProjectStatus
    /// +1 on every change; `project.update` must name the current one.
    public var version: Int
    public var supporters: [ActorID]
    public var receipts: [Receipt]
    public var createdBy: ActorID?
    public var createdSeq: Int
    /// The phase it was created in (provenance for the export).
    public var phase: PhaseID

    /// A sheet of today's fixed form, every field at its empty value (as sheets were created before
    /// forms came from the plan).
    public init(id: ProjectID, board: BoardID, title: String, createdBy: ActorID?, createdSeq: Int, phase: PhaseID) {
        self.init(id: id, board: board, values: ["title": .text(title)], createdBy: createdBy, createdSeq: createdSeq, phase: phase)
        summary = ""; problems = []; sources = []; partners = []; territory = ""; support = SupportRequest()
        outcomes = ExpectedOutcomes(); nextSteps = ""; contact = Contact()
    }

    public init(id: ProjectID, board: BoardID, values: [String: FieldValue], createdBy: ActorID?, createdSeq: Int, phase: PhaseID) {
        self.id = id; self.board = board; self.values = values; status = .draft; version = 1; supporters = []; receipts = []
        self.createdBy = createdBy; self.createdSeq = createdSeq; self.phase = phase
    }

    public subscript(field: String) -> FieldValue? { values[field] }
}

extension ProjectSheet: Codable {
    /// Stored as the sheet always was: identity keys and the values' keys side by side.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(ProjectID.self, forKey: .id)
        board = try c.decode(BoardID.self, forKey: .board)
        cluster = try c.decodeIfPresent(ClusterID.self, forKey: .cluster)
        status = try c.decode(ProjectStatus.self, forKey: .status)
        version = try c.decode(Int.self, forKey: .version)
        supporters = try c.decode([ActorID].self, forKey: .supporters)
        receipts = try c.decode([Receipt].self, forKey: .receipts)
        createdBy = try c.decodeIfPresent(ActorID.self, forKey: .createdBy)
        createdSeq = try c.decode(Int.self, forKey: .createdSeq)
        phase = try c.decode(PhaseID.self, forKey: .phase)
        let all = try decoder.container(keyedBy: AnyKey.self)
        var values: [String: FieldValue] = [:]
        for key in all.allKeys where CodingKeys(rawValue: key.stringValue) == nil {
            let v = try all.decode(FieldValue.self, forKey: key)
            if v != .null { values[key.stringValue] = v }
        }
        self.values = values
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(board, forKey: .board)
        try c.encodeIfPresent(cluster, forKey: .cluster)
        try c.encode(status, forKey: .status)
        try c.encode(version, forKey: .version)
        try c.encode(supporters, forKey: .supporters)
        try c.encode(receipts, forKey: .receipts)
        try c.encodeIfPresent(createdBy, forKey: .createdBy)
        try c.encode(createdSeq, forKey: .createdSeq)
        try c.encode(phase, forKey: .phase)
        var all = encoder.container(keyedBy: AnyKey.self)
        for (k, v) in values where CodingKeys(rawValue: k) == nil { try all.encode(v, forKey: AnyKey(k)) }
    }
}

/// What `project.update` changes: field id → new value (`.null` clears it); lists and groups
/// replace the whole value. Stored as it was sent (after normalisation).
public struct ProjectChange: Sendable, Equatable, Codable {
    public var fields: [String: FieldValue]
    public init(fields: [String: FieldValue] = [:]) { self.fields = fields }
    public var isEmpty: Bool { fields.isEmpty }

    public init(from decoder: Decoder) throws {
        fields = try decoder.singleValueContainer().decode([String: FieldValue].self)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(fields)
    }

    public func applied(to p: ProjectSheet) -> ProjectSheet {
        var p = p
        for (k, v) in fields {
            if v == .null { p.values.removeValue(forKey: k) } else { p.values[k] = v }
        }
        return p
    }
}

// MARK: - The fields of today's sheet, typed

/// Reads and writes the fields of `CallForm.legacy` in `values` (a protocol both the sheet and a
/// change conform to, so tests, exports and the legacy mapping read them by name).
public protocol LegacySheetFields {
    subscript(legacy key: String) -> FieldValue? { get set }
}

extension ProjectSheet: LegacySheetFields {
    public subscript(legacy key: String) -> FieldValue? {
        get { values[key] }
        set { if let newValue, newValue != .null { values[key] = newValue } else { values.removeValue(forKey: key) } }
    }
}

extension ProjectChange: LegacySheetFields {
    /// In a change, nil: unchanged; `.null`: cleared.
    public subscript(legacy key: String) -> FieldValue? {
        get { fields[key] }
        set { fields[key] = newValue }
    }
}

extension FieldValue {
    static func of(_ o: Organisation) -> FieldValue {
        var m: [String: FieldValue] = ["name": .text(o.name), "actor": .text(o.actor.rawValue)]
        if let s = o.siret { m["siret"] = .text(s) }
        return .object(m)
    }
    static func of(_ p: Partner) -> FieldValue { .object(["name": .text(p.name), "actor": .text(p.actor.rawValue), "role": .text(p.role)]) }
    static func of(_ s: SupportRequest) -> FieldValue {
        var m: [String: FieldValue] = ["methodological": .bool(s.methodological)]
        if let e = s.expertise { m["expertise"] = .int(e) }
        if let g = s.grant { m["grant"] = .int(g) }
        return .object(m)
    }
    static func of(_ o: ExpectedOutcomes) -> FieldValue {
        var m: [String: FieldValue] = ["other": .text(o.other)]
        if let n = o.insertionJobs { m["insertionJobs"] = .int(n) }
        if let n = o.peopleSupported { m["peopleSupported"] = .int(n) }
        return .object(m)
    }
    static func of(_ c: Contact) -> FieldValue { .object(["name": .text(c.name), "email": .text(c.email), "phone": .text(c.phone)]) }

    var organisation: Organisation? {
        guard case .object(let m) = self else { return nil }
        return Organisation(name: m["name"]?.string ?? "", actor: m["actor"]?.string.flatMap(ActorKind.init(rawValue:)) ?? .other,
                            siret: m["siret"]?.string)
    }
    var partner: Partner? {
        guard case .object(let m) = self else { return nil }
        return Partner(name: m["name"]?.string ?? "", actor: m["actor"]?.string.flatMap(ActorKind.init(rawValue:)) ?? .other,
                       role: m["role"]?.string ?? "")
    }
}

extension LegacySheetFields {
    private func text(_ k: String) -> String { self[legacy: k]?.string ?? "" }
    private func ids(_ k: String) -> [String] { self[legacy: k]?.list?.compactMap(\.string) ?? [] }

    public var title: String { get { text("title") } set { self[legacy: "title"] = .text(newValue) } }
    public var summary: String { get { text("summary") } set { self[legacy: "summary"] = .text(newValue) } }
    public var territory: String { get { text("territory") } set { self[legacy: "territory"] = .text(newValue) } }
    public var nextSteps: String { get { text("nextSteps") } set { self[legacy: "nextSteps"] = .text(newValue) } }
    public var problems: [CardID] { get { ids("problems") } set { self[legacy: "problems"] = .list(newValue.map(FieldValue.text)) } }
    public var sources: [CardID] { get { ids("sources") } set { self[legacy: "sources"] = .list(newValue.map(FieldValue.text)) } }
    public var cooperation: CooperationKind? {
        get { self[legacy: "cooperation"]?.string.flatMap(CooperationKind.init(rawValue:)) }
        set { self[legacy: "cooperation"] = newValue.map { .text($0.rawValue) } ?? .null }
    }
    public var orientation: String? {
        get { self[legacy: "orientation"]?.string }
        set { self[legacy: "orientation"] = newValue.map(FieldValue.text) ?? .null }
    }
    public var lead: Organisation? {
        get { self[legacy: "lead"]?.organisation }
        set { self[legacy: "lead"] = newValue.map(FieldValue.of) ?? .null }
    }
    public var partners: [Partner] {
        get { self[legacy: "partners"]?.list?.compactMap(\.partner) ?? [] }
        set { self[legacy: "partners"] = .list(newValue.map(FieldValue.of)) }
    }
    public var support: SupportRequest {
        get {
            let v = self[legacy: "support"]
            return SupportRequest(methodological: v?["methodological"]?.bool ?? false, expertise: v?["expertise"]?.int, grant: v?["grant"]?.int)
        }
        set { self[legacy: "support"] = .of(newValue) }
    }
    public var outcomes: ExpectedOutcomes {
        get {
            let v = self[legacy: "outcomes"]
            return ExpectedOutcomes(insertionJobs: v?["insertionJobs"]?.int, peopleSupported: v?["peopleSupported"]?.int, other: v?["other"]?.string ?? "")
        }
        set { self[legacy: "outcomes"] = .of(newValue) }
    }
    public var contact: Contact {
        get {
            let v = self[legacy: "contact"]
            return Contact(name: v?["name"]?.string ?? "", email: v?["email"]?.string ?? "", phone: v?["phone"]?.string ?? "")
        }
        set { self[legacy: "contact"] = .of(newValue) }
    }
}

/// Checks of the sheet's fields, each with a French sentence.
public enum ProjectRules {
    public static let limits = (title: 120, links: 100)

    /// A SIRET: 14 digits whose Luhn sum is a multiple of 10. La Poste's establishments (SIREN
    /// 356 000 000) are numbered otherwise: their digits add up to a multiple of 5; its head
    /// office keeps a Luhn key.
    public static func isValidSIRET(_ s: String) -> Bool {
        // ASCII digits only: a full-width "１" has a wholeNumberValue too.
        guard s.utf8.count == 14, s.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
        let digits = s.utf8.map { Int($0) - 0x30 }
        if s.hasPrefix("356000000"), s != "35600000000048" { return digits.reduce(0, +) % 5 == 0 }
        var sum = 0
        for (i, d) in digits.enumerated() {
            let v = i % 2 == 0 ? d * 2 : d
            sum += v > 9 ? v - 9 : v
        }
        return sum % 10 == 0
    }

    /// What a sheet lacks to be marked ready under `form`: each required field (its id,
    /// `project.update`'s name) with the French phrase that names it, so pages can mark the field.
    public static func missingFields(for p: ProjectSheet, form: CallForm = .legacy) -> [(field: String, phrase: String)] {
        FormCheck.missing(p.values, form: form)
    }

    /// What is missing and every eligibility rule not met, as one list of reasons: the missing
    /// fields first, then the rules' sentences.
    public static func readiness(of p: ProjectSheet, form: CallForm) -> (missing: [(field: String, phrase: String)], rules: [RuleFailure]) {
        (FormCheck.missing(p.values, form: form), FormCheck.failures(p.values, form: form))
    }

    static func isPlausibleEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !s.contains(" ")
    }
}

/// A strategic orientation a project can be filed under (from the plan).
public struct Orientation: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    public init(id: String, title: String) { self.id = id; self.title = title }
}
