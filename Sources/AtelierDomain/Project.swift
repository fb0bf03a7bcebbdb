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

/// A project sheet: an idea worked into something the call for projects can fund.
public struct ProjectSheet: Codable, Sendable, Equatable {
    public var id: ProjectID
    /// The table's board it was made on.
    public var board: BoardID
    public var title: String
    public var summary: String
    /// Problem cards it answers, and the idea cards it comes from.
    public var problems: [CardID]
    public var sources: [CardID]
    public var cluster: ClusterID?
    public var cooperation: CooperationKind?
    public var orientation: String?
    public var lead: Organisation?
    public var partners: [Partner]
    public var territory: String
    public var support: SupportRequest
    public var outcomes: ExpectedOutcomes
    public var nextSteps: String
    public var contact: Contact
    public var status: ProjectStatus
    /// +1 on every change; `project.update` must name the current one.
    public var version: Int
    public var supporters: [ActorID]
    public var receipts: [Receipt]
    public var createdBy: ActorID?
    public var createdSeq: Int
    /// The phase it was created in (provenance for the export).
    public var phase: PhaseID

    public init(id: ProjectID, board: BoardID, title: String, createdBy: ActorID?, createdSeq: Int, phase: PhaseID) {
        self.id = id; self.board = board; self.title = title; summary = ""; problems = []; sources = []
        partners = []; territory = ""; support = SupportRequest(); outcomes = ExpectedOutcomes(); nextSteps = ""
        contact = Contact(); status = .draft; version = 1; supporters = []; receipts = []
        self.createdBy = createdBy; self.createdSeq = createdSeq; self.phase = phase
    }
}

/// The fields `project.update` may change (nil: unchanged). Lists replace the whole list.
public struct ProjectChange: Codable, Sendable, Equatable {
    public var title: String?
    public var summary: String?
    public var problems: [CardID]?
    public var sources: [CardID]?
    public var cooperation: CooperationKind??
    public var orientation: String??
    public var lead: Organisation??
    public var partners: [Partner]?
    public var territory: String?
    public var support: SupportRequest?
    public var outcomes: ExpectedOutcomes?
    public var nextSteps: String?
    public var contact: Contact?
    public init() {}
    public var isEmpty: Bool { self == ProjectChange() }

    public func applied(to p: ProjectSheet) -> ProjectSheet {
        var p = p
        if let v = title { p.title = v }
        if let v = summary { p.summary = v }
        if let v = problems { p.problems = v }
        if let v = sources { p.sources = v }
        if let v = cooperation { p.cooperation = v }
        if let v = orientation { p.orientation = v }
        if let v = lead { p.lead = v }
        if let v = partners { p.partners = v }
        if let v = territory { p.territory = v }
        if let v = support { p.support = v }
        if let v = outcomes { p.outcomes = v }
        if let v = nextSteps { p.nextSteps = v }
        if let v = contact { p.contact = v }
        return p
    }
}

/// Checks of the sheet's fields, each with a French sentence.
public enum ProjectRules {
    public static let limits = (title: 120, summary: 2000, territory: 120, nextSteps: 2000, name: 120, role: 200,
                                partners: 20, euros: 10_000_000, people: 100_000, other: 1000, links: 100)

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

    /// What is wrong with a sheet's values (any status).
    public static func problems(of p: ProjectSheet, in w: Workshop) -> [String] { fieldProblems(of: p, in: w).map(\.message) }

    /// What is wrong with a sheet, each at its field: `field` is the `project.update` name, `part`
    /// the sub-field when there is one (`siret`, `email`…), `message` the French phrase.
    public static func fieldProblems(of p: ProjectSheet, in w: Workshop) -> [FieldError] {
        var out: [FieldError] = []
        func add(_ field: String, _ part: String? = nil, _ message: String) { out.append(FieldError(field: field, part: part, message: message)) }
        if p.title.isEmpty || p.title.count > limits.title { add("title", nil, "le titre doit compter entre 1 et \(limits.title) caractères") }
        if p.summary.count > limits.summary { add("summary", nil, "le résumé compte au plus \(limits.summary) caractères") }
        if p.territory.count > limits.territory { add("territory", nil, "le territoire compte au plus \(limits.territory) caractères") }
        if p.nextSteps.count > limits.nextSteps { add("nextSteps", nil, "les prochaines étapes comptent au plus \(limits.nextSteps) caractères") }
        if let o = p.orientation, !w.orientations.contains(where: { $0.id == o }) { add("orientation", nil, "orientation stratégique inconnue") }
        if let lead = p.lead {
            if lead.name.isEmpty || lead.name.count > limits.name { add("lead", "name", "le nom du porteur doit compter entre 1 et \(limits.name) caractères") }
            if let siret = lead.siret, !isValidSIRET(siret) { add("lead", "siret", "le SIRET du porteur doit compter 14 chiffres et avoir une clé de contrôle valide") }
        }
        if p.partners.count > limits.partners { add("partners", nil, "au plus \(limits.partners) partenaires") }
        for partner in p.partners where partner.name.isEmpty || partner.name.count > limits.name || partner.role.count > limits.role {
            add("partners", nil, "chaque partenaire a un nom (1 à \(limits.name) caractères) et un rôle d'au plus \(limits.role) caractères")
            break
        }
        for (part, amount) in [("expertise", p.support.expertise), ("grant", p.support.grant)] {
            if let amount, !(0...limits.euros).contains(amount) {
                add("support", part, "les montants demandés sont compris entre 0 et \(limits.euros) euros"); break
            }
        }
        for (part, n) in [("insertionJobs", p.outcomes.insertionJobs), ("peopleSupported", p.outcomes.peopleSupported)] {
            if let n, !(0...limits.people).contains(n) {
                add("outcomes", part, "les résultats attendus sont compris entre 0 et \(limits.people)"); break
            }
        }
        if p.outcomes.other.count > limits.other { add("outcomes", "other", "les autres résultats attendus comptent au plus \(limits.other) caractères") }
        if p.contact.name.count > limits.name { add("contact", "name", "le nom du contact est trop long") }
        if p.contact.email.count > 254 { add("contact", "email", "l'adresse électronique du contact est trop longue") }
        if p.contact.phone.count > 32 { add("contact", "phone", "le téléphone du contact est trop long") }
        if !p.contact.email.isEmpty, p.contact.email.count <= 254, !isPlausibleEmail(p.contact.email) {
            add("contact", "email", "l'adresse électronique du contact n'est pas valide")
        }
        if p.problems.count + p.sources.count > limits.links { add("problems", nil, "au plus \(limits.links) cartes liées") }
        for card in p.problems + p.sources where w.cards[card] == nil {
            add(p.problems.contains(card) ? "problems" : "sources", nil, "une carte liée n'existe pas (\(card))"); break
        }
        return out
    }

    /// What a sheet still lacks to be marked ready.
    public static func missing(for p: ProjectSheet) -> [String] { missingFields(for: p).map(\.phrase) }

    /// What a sheet lacks to be ready: each field (its wire name, `project.update`'s) with the
    /// French phrase that names it, so pages can mark the field itself.
    public static func missingFields(for p: ProjectSheet) -> [(field: String, phrase: String)] {
        var out: [(field: String, phrase: String)] = []
        if p.summary.isEmpty { out.append(("summary", "le résumé")) }
        if p.problems.isEmpty { out.append(("problems", "le problème traité (au moins une carte)")) }
        if p.cooperation == nil { out.append(("cooperation", "le type de coopération")) }
        if p.orientation == nil { out.append(("orientation", "l'orientation stratégique")) }
        if p.lead == nil { out.append(("lead", "la structure porteuse")) }
        if p.territory.isEmpty { out.append(("territory", "le territoire (bassin d'emploi)")) }
        if p.support.isEmpty { out.append(("support", "le soutien demandé")) }
        if p.contact.name.isEmpty || (p.contact.email.isEmpty && p.contact.phone.isEmpty) {
            out.append(("contact", "la personne à contacter (nom et courriel ou téléphone)"))
        }
        return out
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
