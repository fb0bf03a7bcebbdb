import AtelierDomain
import Foundation
import Yams

/// A session plan: the workshop a facilitator can start, written by people in YAML
/// (`sessions/*.yaml`). See `docs/plans.md` for the format.
public struct SessionPlan: Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String
    public var settings: Settings
    public var phases: [Phase]
    public var groups: [Group]
    public var boards: [Board]
    public var seeds: [SeedCard]
    /// World café order of the boards; nil: the tables' order.
    public var rotation: [BoardID]? = nil
    /// The time zone of the workshops made from it (IANA name); nil: Europe/Paris.
    public var timeZone: String? = nil
    /// The call for projects (its sheets' form and eligibility rules); nil: today's fixed sheet.
    public var call: CallForm? = nil

    /// The blueprint of a new workshop made from this plan.
    public func blueprint(id workshop: WorkshopID, title: String? = nil) -> Blueprint {
        Blueprint(id: workshop, title: title ?? self.title, plan: id, groups: groups, boards: boards,
                  phases: phases, settings: settings, rotation: rotation, timeZone: timeZone, form: call)
    }
}

/// One thing wrong in a plan, located as precisely as the YAML allows.
public struct PlanIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var path: String
    public var message: String
    public var description: String {
        "\(file)\(line.map { ":\($0)" } ?? ""): \(path.isEmpty ? "" : path + " : ")\(message)"
    }
}

/// All the problems found in a plan file (validation does not stop at the first).
public struct PlanErrors: Error, Sendable, CustomStringConvertible {
    public var issues: [PlanIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

extension SessionPlan {
    /// Reads and validates a plan file.
    public static func load(path: String) throws(PlanErrors) -> SessionPlan {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PlanErrors(issues: [PlanIssue(file: path, line: nil, path: "", message: "fichier illisible (\(error.localizedDescription))")])
        }
        return try parse(text, file: path)
    }

    /// Parses and validates a plan's text; `file` only names it in messages.
    public static func parse(_ text: String, file: String) throws(PlanErrors) -> SessionPlan {
        var reader = PlanReader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            var line: Int?
            var problem = "\(error)"
            switch error {
            case let .scanner(_, p, mark, _), let .parser(_, p, mark, _):
                line = mark.line; problem = p
            default: break
            }
            throw PlanErrors(issues: [PlanIssue(file: file, line: line, path: "", message: "YAML invalide : \(problem)")])
        } catch {
            throw PlanErrors(issues: [PlanIssue(file: file, line: nil, path: "", message: "YAML invalide : \(error)")])
        }
        guard let root, let plan = reader.plan(root), reader.issues.isEmpty else {
            if reader.issues.isEmpty { reader.issue(nil, "", "le plan est vide") }
            throw PlanErrors(issues: reader.issues)
        }
        return plan
    }
}

/// Walks the YAML tree, collecting every issue with its line.
struct PlanReader {
    let file: String
    var issues: [PlanIssue] = []

    /// Plan ids: lower-case letters, digits, `-` and `_`, starting with a letter or digit.
    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 48 else { return false }
        func ok(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        return ok(first) && s.utf8.allSatisfy { ok($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    mutating func issue(_ node: Node?, _ path: String, _ message: String) {
        issues.append(PlanIssue(file: file, line: node?.mark?.line, path: path, message: message))
    }

    mutating func mapping(_ node: Node?, _ path: String) -> Node.Mapping? {
        guard let node else { return nil }
        guard let m = node.mapping else { issue(node, path, "un dictionnaire (clé: valeur) est attendu"); return nil }
        return m
    }

    mutating func sequence(_ node: Node?, _ path: String) -> Node.Sequence? {
        guard let node else { return nil }
        guard let s = node.sequence else { issue(node, path, "une liste est attendue"); return nil }
        return s
    }

    mutating func string(_ m: Node.Mapping, _ key: String, _ path: String, required: Bool = true,
                         limit: Int = 200) -> String? {
        guard let node = m[key] else {
            if required { issue(Node.mapping(m), path, "la clé « \(key) » est obligatoire") }
            return nil
        }
        guard let scalar = node.scalar else { issue(node, "\(path).\(key)", "un texte est attendu"); return nil }
        let s = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
        if required && s.isEmpty { issue(node, "\(path).\(key)", "ne peut pas être vide"); return nil }
        if s.count > limit { issue(node, "\(path).\(key)", "trop long (\(s.count) caractères, au plus \(limit))"); return nil }
        return s
    }

    mutating func identifier(_ m: Node.Mapping, _ key: String, _ path: String) -> String? {
        guard let s = string(m, key, path) else { return nil }
        guard Self.isIdentifier(s) else {
            issue(m[key], "\(path).\(key)", "identifiant « \(s) » invalide : minuscules, chiffres, « - » ou « _ », 48 caractères au plus")
            return nil
        }
        return s
    }

    mutating func int(_ m: Node.Mapping, _ key: String, _ path: String, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let node = m[key] else { return value }
        guard let n = node.int, range.contains(n) else {
            issue(node, "\(path).\(key)", "un entier entre \(range.lowerBound) et \(range.upperBound) est attendu")
            return value
        }
        return n
    }

    mutating func kind(_ node: Node, _ path: String) -> ColumnKind? {
        guard let s = node.string, let k = ColumnKind(rawValue: s) else {
            issue(node, path, "type de colonne inconnu « \(node.string ?? "?") » (attendu : problem, idea ou project)")
            return nil
        }
        return k
    }

    mutating func columns(_ node: Node?, _ path: String) -> [Column]? {
        guard let seq = sequence(node, path) else { return nil }
        var out: [Column] = []
        for (i, item) in seq.enumerated() {
            let p = "\(path)[\(i)]"
            guard let m = mapping(item, p) else { continue }
            guard let id = identifier(m, "id", p), let title = string(m, "title", p) else { continue }
            guard let kindNode = m["kind"] else { issue(item, p, "la clé « kind » est obligatoire"); continue }
            guard let kind = kind(kindNode, "\(p).kind") else { continue }
            if out.contains(where: { $0.id == id }) { issue(item, p, "colonne « \(id) » en double"); continue }
            out.append(Column(id: id, title: title, kind: kind))
        }
        if out.isEmpty && issues.isEmpty { issue(node, path, "au moins une colonne est nécessaire") }
        return out
    }

    mutating func plan(_ root: Node) -> SessionPlan? {
        guard let m = mapping(root, "") else { return nil }
        let known = Set(["id", "title", "description", "settings", "columns", "phases", "tables", "rotation", "timeZone", "call"])
        for (k, v) in m where !known.contains(k.string ?? "") {
            issue(v, k.string ?? "?", "clé inconnue (attendu : \(known.sorted().joined(separator: ", ")))")
        }
        let id = identifier(m, "id", "plan")
        let title = string(m, "title", "plan")
        let description = string(m, "description", "plan", required: false, limit: 2000) ?? ""

        var settings = Settings()
        if let s = mapping(m["settings"], "settings") {
            settings.voteBudget = int(s, "voteBudget", "settings", default: 5, range: 0...100)
            settings.maxVotesPerCard = int(s, "maxVotesPerCard", "settings", default: 3, range: 1...100)
            if let v = s["voteOwnCards"] {
                if let b = v.bool { settings.voteOwnCards = b } else { issue(v, "settings.voteOwnCards", "true ou false est attendu") }
            }
        }

        var phases: [Phase] = []
        if m["phases"] == nil { issue(root, "phases", "la liste des phases est obligatoire") }
        for (i, item) in (sequence(m["phases"], "phases") ?? []).enumerated() {
            let p = "phases[\(i)]"
            guard let pm = mapping(item, p), let pid = identifier(pm, "id", p), let ptitle = string(pm, "title", p) else { continue }
            var open: [ColumnKind] = []
            if let kinds = sequence(pm["open"], "\(p).open") {
                for (j, k) in kinds.enumerated() { if let kind = kind(k, "\(p).open[\(j)]") { open.append(kind) } }
            }
            var voting = false
            if let v = pm["voting"] {
                if let b = v.bool { voting = b } else { issue(v, "\(p).voting", "true ou false est attendu") }
            }
            var voteOn: [ColumnKind]?
            if let kinds = pm["voteOn"].flatMap({ sequence($0, "\(p).voteOn") }) {
                voteOn = kinds.enumerated().compactMap { j, k in kind(k, "\(p).voteOn[\(j)]") }
            }
            let instructions = string(pm, "instructions", p, required: false, limit: 500)
            if phases.contains(where: { $0.id == pid }) { issue(item, p, "phase « \(pid) » en double"); continue }
            phases.append(Phase(id: pid, title: ptitle, open: open, voting: voting, voteOn: voteOn, instructions: instructions))
        }
        if phases.isEmpty, m["phases"] != nil { issue(m["phases"], "phases", "au moins une phase est nécessaire") }
        // One vote per workshop: its close or reveal ends it for good (the reveal makes every dot
        // public), so a second voting phase could never vote.
        if phases.filter(\.voting).count > 1 {
            issue(m["phases"], "phases", "une seule phase peut avoir « voting: true » (le vote est clos pour tout l'atelier une fois les résultats affichés)")
        }

        let defaultColumns = m["columns"].flatMap { columns($0, "columns") }

        var groups: [Group] = []
        var boards: [Board] = []
        var seeds: [SeedCard] = []
        if m["tables"] == nil { issue(root, "tables", "la liste des tables est obligatoire") }
        for (i, item) in (sequence(m["tables"], "tables") ?? []).enumerated() {
            let p = "tables[\(i)]"
            guard let tm = mapping(item, p), let tid = identifier(tm, "id", p), let ttitle = string(tm, "title", p) else { continue }
            let theme = string(tm, "theme", p, required: false, limit: 1000) ?? ""
            let cols: [Column]
            if let own = tm["columns"] {
                cols = columns(own, "\(p).columns") ?? []
            } else if let defaultColumns {
                cols = defaultColumns
            } else {
                issue(item, p, "aucune colonne : donnez « columns » à la table ou au plan")
                continue
            }
            if groups.contains(where: { $0.id == "g_\(tid)" }) { issue(item, p, "table « \(tid) » en double"); continue }
            groups.append(Group(id: "g_\(tid)", title: ttitle, theme: theme))
            boards.append(Board(id: "b_\(tid)", title: ttitle, group: "g_\(tid)", columns: cols, theme: theme))
            for (j, s) in (sequence(tm["seed"], "\(p).seed") ?? []).enumerated() {
                let sp = "\(p).seed[\(j)]"
                guard let sm = mapping(s, sp), let col = string(sm, "column", sp),
                      let text = string(sm, "text", sp, limit: Limits.cardText.upperBound) else { continue }
                guard cols.contains(where: { $0.id == col }) else {
                    issue(sm["column"], "\(sp).column", "colonne « \(col) » inconnue sur cette table (colonnes : \(cols.map(\.id).joined(separator: ", ")))")
                    continue
                }
                if cols.first(where: { $0.id == col })?.kind == .project {
                    issue(sm["column"], "\(sp).column", "la colonne « \(col) » rassemble les fiches projet : on n'y sème pas de carte")
                    continue
                }
                seeds.append(SeedCard(board: "b_\(tid)", column: col, text: text))
            }
        }
        if groups.isEmpty, m["tables"] != nil, issues.isEmpty { issue(m["tables"], "tables", "au moins une table est nécessaire") }

        var rotation: [BoardID]?
        if let order = sequence(m["rotation"], "rotation") {
            var seen: [BoardID] = []
            for (i, item) in order.enumerated() {
                guard let t = item.string, groups.contains(where: { $0.id == "g_\(t)" }) else {
                    issue(item, "rotation[\(i)]", "table « \(item.string ?? "?") » inconnue"); continue
                }
                if seen.contains("b_\(t)") { issue(item, "rotation[\(i)]", "table « \(t) » en double"); continue }
                seen.append("b_\(t)")
            }
            if seen.count != groups.count, issues.isEmpty {
                issue(m["rotation"], "rotation", "l'ordre de rotation doit citer chaque table une fois")
            }
            rotation = seen
        }

        var timeZone: String?
        if let node = m["timeZone"] {
            if let name = node.string, TimeZone(identifier: name) != nil { timeZone = name }
            else { issue(node, "timeZone", "fuseau horaire inconnu (attendu : un nom comme Europe/Paris ou America/Cayenne)") }
        }
        let call = m["call"].flatMap { self.call($0) }
        guard let id, let title, issues.isEmpty else { return nil }
        return SessionPlan(id: id, title: title, description: description, settings: settings, phases: phases,
                           groups: groups, boards: boards, seeds: seeds, rotation: rotation, timeZone: timeZone, call: call)
    }
}

/// The plans of a directory, by id.
public struct PlanCatalog: Sendable {
    public var plans: [String: SessionPlan]
    public var directory: String

    /// Loads every `*.yaml` / `*.yml` file; any invalid plan fails the whole catalogue, with all its issues.
    public static func load(directory: String) throws(PlanErrors) -> PlanCatalog {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var plans: [String: SessionPlan] = [:]
        var issues: [PlanIssue] = []
        for f in files {
            let path = (directory as NSString).appendingPathComponent(f)
            do {
                let plan = try SessionPlan.load(path: path)
                if plans[plan.id] != nil {
                    issues.append(PlanIssue(file: path, line: nil, path: "id", message: "le plan « \(plan.id) » est déjà défini dans un autre fichier"))
                }
                plans[plan.id] = plan
            } catch {
                issues += error.issues
            }
        }
        if !issues.isEmpty { throw PlanErrors(issues: issues) }
        return PlanCatalog(plans: plans, directory: directory)
    }
}

/// Everything needed to create a workshop from a plan: its row (with fresh secrets) and first events.
public struct NewWorkshop: Sendable {
    public var record: WorkshopRecord
    public var events: [Event]
    /// The facilitator key in clear: given to whoever created the workshop, never stored.
    public let facilitatorKey: String

    public init(plan: SessionPlan, title: String?, now: Int64, facilitatorKey: String = Secrets.token()) {
        let id = Secrets.workshopID()
        self.facilitatorKey = facilitatorKey
        record = WorkshopRecord(id: id, title: title ?? plan.title, plan: plan.id, joinCode: Secrets.joinCode(),
                                facilitatorKeyDigest: Secrets.digest(facilitatorKey), createdAt: now)
        let bodies = Workshop.creationEvents(plan.blueprint(id: id, title: title), seeds: plan.seeds)
        events = bodies.enumerated().map { Event(seq: $0.offset + 1, at: now, by: nil, body: $0.element) }
    }

    public var batch: CommitBatch {
        CommitBatch(workshops: [record], entries: events.map { JournalEntry(workshop: record.id, event: $0) })
    }
}

extension NewWorkshop {
    /// Appends what `selection` carries from `source` (its state now, and the provenance log of its
    /// journal) after the creation's events, so the workshop and its carried content are one
    /// commit batch (docs/protocol.md "Carrying work forward"). Throws the French error of a
    /// selection that names something unknown or private, is too big, or cannot be placed.
    public mutating func carry(_ selection: CarrySelection, from source: Workshop, log: ProvenanceLog?) throws(DomainError) {
        guard let state = Workshop.replay(events), let at = events.last?.at else {
            throw DomainError(.internal, "Le nouvel atelier n'a pas pu être préparé.")
        }
        let bodies = try state.carryEvents(from: source, log: log, selection: selection, firstSeq: events.count + 1)
        for body in bodies { events.append(Event(seq: events.count + 1, at: at, by: nil, body: body)) }
    }
}
