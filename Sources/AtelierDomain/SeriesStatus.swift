import Foundation

/// One line per project of a series (docs/protocol.md "Where our projects stand"): its stage on the
/// way to funding, from the sheet's state and the Démarches Simplifiées follow-up of its dossier,
/// keyed by the project's series-wide identity (a carried project has one line, not one per
/// workshop). Never a claim link, a prefill token, a contact or an author: what it holds may be
/// shown on the projector.
public struct ProjectStatusLine: Sendable, Equatable {
    public enum Stage: String, Sendable, CaseIterable {
        case draft, ready, prepared, filed, underReview = "under_review", accepted, refused, sansSuite = "sans_suite"
        /// How far along the way it is: the furthest stage any workshop knows wins.
        public var rank: Int {
            switch self {
            case .draft: 0
            case .ready: 1
            case .prepared: 2
            case .filed: 3
            case .underReview: 4
            case .accepted, .refused, .sansSuite: 5
            }
        }
    }
    public struct NextStep: Sendable, Equatable {
        public var action: String
        public var owner: String
        /// `YYYY-MM-DD`, as the form's date field holds it.
        public var due: String?
    }
    /// `<workshop>/<project>` of its first appearance.
    public var identity: String
    public var title: String
    public var stage: Stage
    /// When it reached its stage, where known (milliseconds since 1970).
    public var since: Int64?
    /// The workshop it was last seen in, its id there, and the table.
    public var workshop: WorkshopID
    public var workshopTitle: String
    public var project: ProjectID
    public var table: String
    /// The workshops it went through, in the series' order.
    public var workshops: [WorkshopID]
    public var preparedAt: Int64?
    public var filedAt: Int64?
    public var decidedAt: Int64?
    /// The plan form's next steps (a group field with an `owner` child and a date), soonest first.
    public var nextSteps: [NextStep]

    public static let maxNextSteps = 10
}

extension Workshop {
    /// This workshop's view of one sheet.
    func statusLine(_ sheet: ProjectSheet) -> ProjectStatusLine {
        var stage: ProjectStatusLine.Stage = switch sheet.status {
        case .draft: .draft
        case .ready: .ready
        case .prepared: .prepared
        case .submitted: .filed
        }
        var since: Int64?, preparedAt: Int64?, filedAt: Int64?, decidedAt: Int64?
        if let receipt = sheet.receipts.last {
            since = receipt.at
            if receipt.channel == .webhook { filedAt = receipt.at } else { preparedAt = receipt.at }
            if let dossier = receipt.dossier {
                switch dossier.state {
                case .prefilled, .brouillon, .expired: stage = .prepared
                case .enConstruction: stage = .filed
                case .enInstruction: stage = .underReview
                case .accepte: stage = .accepted
                case .refuse: stage = .refused
                case .sansSuite: stage = .sansSuite
                }
                if let s = dossier.submittedAt { filedAt = s; since = s }
                if let p = dossier.processedAt, dossier.state.isFinal { decidedAt = p; since = p }
            }
        }
        return ProjectStatusLine(identity: seriesIdentity(of: sheet.id), title: sheet.title, stage: stage, since: since,
                                 workshop: id, workshopTitle: title, project: sheet.id, table: board(sheet.board)?.title ?? "",
                                 workshops: [id], preparedAt: preparedAt, filedAt: filedAt, decidedAt: decidedAt,
                                 nextSteps: nextSteps(of: sheet))
    }

    /// The rows of the form's first group field that has an `owner` child: action (its first
    /// other text child), owner, due date (its first date child); soonest due first.
    func nextSteps(of sheet: ProjectSheet) -> [ProjectStatusLine.NextStep] {
        guard let field = form.fields.first(where: { $0.type == .group && ($0.fields ?? []).contains { $0.id == "owner" } }),
              let rows = sheet.values[field.id]?.list else { return [] }
        let children = field.fields ?? []
        let action = children.first { $0.id != "owner" && ($0.type == .text || $0.type == .longText) }?.id
        let due = children.first { $0.type == .date }?.id
        var steps: [ProjectStatusLine.NextStep] = []
        for row in rows {
            guard case .object(let o) = row else { continue }
            steps.append(.init(action: action.flatMap { o[$0]?.string } ?? "", owner: o["owner"]?.string ?? "",
                               due: due.flatMap { o[$0]?.string }))
        }
        steps.sort { ($0.due ?? "9999") < ($1.due ?? "9999") }
        return Array(steps.prefix(ProjectStatusLine.maxNextSteps))
    }
}

extension ProjectStatusLine {
    /// The series' lines from its workshops' states, in the series' order: one per identity, its
    /// title, table and next steps from the latest workshop that holds it, its stage the furthest
    /// any of them knows (a carried sheet leaves its dossier followed where it was filed).
    public static func lines(_ workshops: [Workshop]) -> [ProjectStatusLine] {
        var order: [String] = []
        var byIdentity: [String: ProjectStatusLine] = [:]
        for w in workshops {
            for sheet in w.orderedProjects {
                var line = w.statusLine(sheet)
                if let earlier = byIdentity[line.identity] {
                    line.workshops = earlier.workshops + line.workshops
                    if earlier.stage.rank > line.stage.rank {
                        line.stage = earlier.stage; line.since = earlier.since
                    }
                    line.preparedAt = line.preparedAt ?? earlier.preparedAt
                    line.filedAt = line.filedAt ?? earlier.filedAt
                    line.decidedAt = line.decidedAt ?? earlier.decidedAt
                } else {
                    order.append(line.identity)
                }
                byIdentity[line.identity] = line
            }
        }
        return order.compactMap { byIdentity[$0] }
    }
}
