import AtelierDomain
import AtelierTestSupport
import Foundation
import Testing
@testable import AtelierProtocol

/// Who receives every event type, and with or without its authors: one table over all event
/// types × viewers (the author, a table-mate, someone at another table, the facilitator) ×
/// settings (anonymous, facilitatorSeesAuthors) × the card's state (public, private, hidden) ×
/// votes revealed or not. The expected answers come from docs/protocol.md "What the server hides",
/// written here as `Rule`s, never from the code under test; a new event type without a rule fails
/// `everyEventTypeHasARule`.
@Suite("Audience of every event type")
struct AudienceTableTests {
    enum Rule {
        /// Facts of the room, done by the facilitator or the system: everyone, as they are.
        case roomFact
        /// About the card c_7 (author p_2): whoever sees the card; its author always with names.
        case card
        /// Like `card`, but sent while the card is being hidden or restored: to whoever could see
        /// it before it was hidden.
        case cardModeration
        /// A dot by p_2: before the reveal, the voter alone; after it, whoever sees the card, the
        /// voter never named to anyone else (the facilitator included).
        case vote
        /// A comment by p_3 on c_7: whoever sees the card; its author with names.
        case comment
        /// p_3 backs a sheet: everyone; the supporter named only where authors are shown.
        case support
        /// Private cards made public (one event per author): everyone, authors as the settings
        /// say, the author always with their name; hidden ones to the facilitator only.
        case reveal
        /// Something p_2 made in the open (a cluster, a sheet): everyone, p_2 named only where
        /// authors are shown.
        case madeInTheOpen
        /// A sheet submitted: everyone; the full event (with Démarches Simplifiées' claim link)
        /// to the facilitator only.
        case submission
        /// The webhook outbox: the facilitator alone.
        case facilitatorOnly
    }

    static let rules: [EventType: Rule] = [
        .workshopCreated: .roomFact, .participantJoined: .roomFact, .cardAdded: .card, .cardEdited: .card,
        .cardMoved: .card, .cardDeleted: .card, .voteCast: .vote, .voteRetracted: .vote, .phaseChanged: .roomFact,
        .participantAssigned: .roomFact, .rotationAdvanced: .roomFact, .hostAssigned: .roomFact,
        .participantRemoved: .roomFact, .participantErased: .roomFact, .timerStarted: .roomFact,
        .timerPaused: .roomFact, .timerResumed: .roomFact, .timerStopped: .roomFact, .timerEnded: .roomFact,
        .announcementMade: .roomFact, .workshopPaused: .roomFact, .votesClosed: .roomFact, .announcementWithdrawn: .roomFact, .projectorShown: .roomFact, .workshopResumed: .roomFact,
        .workshopClosed: .roomFact, .viewFocused: .roomFact, .settingsUpdated: .roomFact, .votesRevealed: .roomFact,
        .cardsRevealed: .reveal, .clusterCreated: .madeInTheOpen, .clusterRenamed: .madeInTheOpen,
        .cardClustered: .card, .commentAdded: .comment, .commentDeleted: .comment, .cardHidden: .cardModeration,
        .cardRestored: .cardModeration, .boardLocked: .roomFact, .boardUnlocked: .roomFact,
        .projectCreated: .madeInTheOpen, .projectUpdated: .madeInTheOpen, .projectStatusChanged: .madeInTheOpen,
        .projectSupported: .support, .projectSubmitted: .submission,
        .dossierFollowed: .roomFact, .webhookQueued: .facilitatorOnly, .webhookAttempted: .facilitatorOnly,
        .webhookRedelivered: .facilitatorOnly,
        .groupOpened: .roomFact, .groupEnded: .roomFact, .groupInvited: .facilitatorOnly,
        .groupInvitationRevoked: .facilitatorOnly,
        // Ids, the source workshop and table names: no author, no text (the carried things follow as their own events).
        .workshopCarried: .roomFact,
    ]

    enum CardState: CaseIterable { case visible, privateCard, hidden }

    struct Scenario: CustomStringConvertible {
        var anonymous: Bool
        var facilitatorSeesAuthors: Bool
        var card: CardState
        var revealed: Bool
        var description: String { "anonymous=\(anonymous) fsa=\(facilitatorSeesAuthors) card=\(card) revealed=\(revealed)" }
    }

    static let scenarios: [Scenario] = [false, true].flatMap { anonymous in
        [false, true].flatMap { fsa in
            CardState.allCases.flatMap { card in [false, true].map { Scenario(anonymous: anonymous, facilitatorSeesAuthors: fsa, card: card, revealed: $0) } }
        }
    }

    static let author = Actor(id: "p_2", role: .participant)
    static let tableMate = Actor(id: "p_3", role: .participant)
    static let otherTable = Actor(id: "p_4", role: .participant)
    static let viewers: [Actor] = [author, tableMate, otherTable, .facilitator]

    /// The room before the event: two tables, p_2 and p_3 at g_1, p_4 at g_2; card c_7 by p_2
    /// (state per scenario), comment m_11 by p_3 on it, cluster k_9, sheet j_20.
    static func room(_ s: Scenario) -> Workshop {
        let columns = [Column(id: "problems", title: "Constats", kind: .problem)]
        var w = Workshop(Blueprint(
            id: "w", title: "Atelier", plan: "p",
            groups: [Group(id: "g_1", title: "Table 1", theme: "A"), Group(id: "g_2", title: "Table 2", theme: "B")],
            boards: [Board(id: "b_1", title: "A", group: "g_1", columns: columns), Board(id: "b_2", title: "B", group: "g_2", columns: columns)],
            phases: [Phase(id: "idees", title: "Idées", open: [.problem], voting: true)],
            settings: Settings(anonymous: s.anonymous, facilitatorSeesAuthors: s.facilitatorSeesAuthors)))
        for (id, group) in [("p_2", "g_1"), ("p_3", "g_1"), ("p_4", "g_2")] {
            w.participants[id] = Participant(id: id, role: .participant, actor: .aci, group: group, profile: Profile(name: id, organisation: ""))
        }
        w.cards["c_7"] = card(s)
        w.comments["m_11"] = Comment(id: "m_11", card: "c_7", text: "oui", author: "p_3", createdSeq: 11)
        w.clusters["k_9"] = Cluster(id: "k_9", board: "b_1", title: "K", createdSeq: 9)
        w.projects["j_20"] = ProjectSheet(id: "j_20", board: "b_1", title: "J", createdBy: "p_2", createdSeq: 20, phase: "idees")
        w.votesRevealed = s.revealed
        return w
    }

    static func card(_ s: Scenario) -> Card {
        Card(id: "c_7", board: "b_1", column: "problems", text: "t", x: 0, y: 0, color: .yellow, author: "p_2", createdSeq: 7,
             isPrivate: s.card == .privateCard, hidden: s.card == .hidden)
    }

    /// The sample of each event, with its card in the scenario's state, and who caused it.
    static func event(_ sample: EventBody, _ s: Scenario) -> (body: EventBody, by: ActorID) {
        switch sample {
        case .cardAdded: return (.cardAdded(card(s)), "p_2")
        case .cardRestored: return (.cardRestored(card(s)), Actor.facilitatorID)
        case .cardsRevealed:
            var c = card(s); c.isPrivate = false
            return (.cardsRevealed(cards: [c]), Actor.facilitatorID)
        case .cardHidden: return (sample, Actor.facilitatorID)
        case .voteCast, .voteRetracted, .cardEdited, .cardMoved, .cardDeleted, .cardClustered,
             .clusterCreated, .clusterRenamed, .projectCreated, .projectUpdated, .projectStatusChanged:
            return (sample, "p_2")
        case .commentAdded, .commentDeleted, .projectSupported: return (sample, "p_3")
        default: return (sample, Actor.facilitatorID)
        }
    }

    /// docs/protocol.md, as a function of the rule: what `viewer` receives.
    static func expected(_ rule: Rule, _ s: Scenario, _ viewer: Actor) -> Sight {
        let isFacilitator = viewer.role == .facilitator
        /// Sees the card in the state of the scenario (`beforeHiding`: as if it were not hidden).
        func seesCard(beforeHiding: Bool = false) -> Bool {
            if isFacilitator { return true }
            if s.card == .hidden && !beforeHiding { return false }
            if s.card == .privateCard { return viewer.id == author.id }
            return true
        }
        func names(owner: ActorID?) -> Sight {
            if viewer.id == owner { return .full }
            if !s.anonymous { return .full }
            return isFacilitator && s.facilitatorSeesAuthors ? .full : .anonymous
        }
        switch rule {
        case .roomFact:
            return .full
        case .submission:
            return isFacilitator ? .full : .anonymous
        case .facilitatorOnly:
            return isFacilitator ? .full : .hidden
        case .card:
            return seesCard() ? names(owner: author.id) : .hidden
        case .cardModeration:
            return seesCard(beforeHiding: true) ? names(owner: author.id) : .hidden
        case .vote:
            if !s.revealed { return viewer.id == author.id ? .full : .hidden }
            guard seesCard() else { return .hidden }
            return viewer.id == author.id ? .full : .anonymous
        case .comment:
            return seesCard() ? names(owner: tableMate.id) : .hidden
        case .support:
            return names(owner: tableMate.id)
        case .reveal:
            if s.card == .hidden { return isFacilitator ? names(owner: author.id) : .hidden }
            return names(owner: author.id)
        case .madeInTheOpen:
            return names(owner: author.id)
        }
    }

    @Test func everyEventTypeHasARule() {
        #expect(Set(Self.rules.keys) == Set(EventType.allCases))
        #expect(Set(Samples.events.map(\.wireType)) == Set(EventType.allCases))
    }

    @Test(arguments: Samples.events.map(\.wireType.rawValue))
    func eachViewerGetsWhatTheProtocolSays(_ type: String) throws {
        let sample = try #require(Samples.events.first { $0.wireType.rawValue == type })
        let rule = try #require(Self.rules[sample.wireType])
        for s in Self.scenarios {
            let w = Self.room(s)
            let (body, by) = Self.event(sample, s)
            let audience = w.audience(of: body, by: by)
            for viewer in Self.viewers {
                let sight = audience.sight(for: viewer)
                #expect(sight == Self.expected(rule, s, viewer), "\(type) to \(viewer.id), \(s)")
                guard sight != .hidden else { continue }
                // What is sent names nobody where names are hidden, and the author where they are not.
                let bytes = Outbound.event(Event(seq: 1, at: 0, by: by, body: body), sight: sight,
                                           context: Outbound.EventContext(revealed: s.revealed))
                let named = Self.namedPeople(try JSONParser.parse(bytes))
                if sight == .anonymous {
                    #expect(named.isEmpty, "\(type) to \(viewer.id) names \(named), \(s)")
                } else if by.hasPrefix("p_") {
                    #expect(named.contains(by), "\(type) to \(viewer.id) should name \(by), \(s)")
                }
            }
        }
    }

    /// The participants a message names as authors: `by`, `author`, `supporter(s)`, `voter`, anywhere.
    static func namedPeople(_ v: JSONValue) -> Set<String> {
        switch v {
        case .object(let pairs):
            var out = Set<String>()
            for (k, value) in pairs {
                if ["by", "author", "supporter", "voter", "createdBy"].contains(k), case .string(let id) = value, id.hasPrefix("p_") { out.insert(id) }
                if k == "supporters", case .array(let ids) = value {
                    for case .string(let id) in ids where id.hasPrefix("p_") { out.insert(id) }
                }
                out.formUnion(namedPeople(value))
            }
            return out
        case .array(let items): return items.reduce(into: Set<String>()) { $0.formUnion(namedPeople($1)) }
        default: return []
        }
    }
}
