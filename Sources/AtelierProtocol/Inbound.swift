import AtelierDomain
import Foundation

/// How a connection proves who it is (docs/protocol.md "Joining").
public enum JoinRequest: Sendable, Equatable {
    /// `clientKey`: a random key the client keeps, so a join retried after a lost welcome is idempotent.
    case code(String, profile: Profile, actor: ActorKind, group: GroupID?, clientKey: String?)
    case token(String, since: Int?)
    case facilitator(workshop: WorkshopID, key: String, since: Int?)
    /// Someone invited into a working group by its link (docs/protocol.md "Working groups").
    case invitation(workshop: WorkshopID, secret: String, profile: Profile, actor: ActorKind, clientKey: String?)
}

/// A decoded client message.
public enum Inbound: Sendable, Equatable {
    case join(JoinRequest)
    case ping
    case command(Command)
    /// The facilitator sends the ready projects to a pipeline (`webhook` or `demarches`).
    /// `again`: prepare on Démarches Simplifiées once more the sheets whose dossier expired
    /// (a new POST, confirmed by the facilitator).
    case submitProjects(channel: Receipt.Channel, projects: [String]?, again: Bool)
    /// The facilitator asks where the Démarches Simplifiées dossiers are now.
    case followDossiers
    /// The facilitator asks for an invitation link to a working group: the hub draws its secret.
    case inviteToGroup(group: GroupID)
    /// "I am editing this field of this project sheet" (nil: no longer). Relayed, never journaled.
    case editing(project: String?, field: String?)
}

/// A client message the server could not take: answered with an `error`, `re` set when the id was readable.
public struct InboundError: Error, Sendable, Equatable {
    public var re: String?
    public var error: DomainError
    /// The message's type when it could be read (for the server's counts).
    public var type: ClientMessageType?
    public init(re: String?, error: DomainError, type: ClientMessageType? = nil) { self.re = re; self.error = error; self.type = type }
}

/// Decodes one client frame. Never traps, whatever the bytes.
public func decodeClientMessage(_ bytes: [UInt8]) -> Result<(id: String, message: Inbound), InboundError> {
    decodeTypedClientMessage(bytes).map { ($0.id, $0.message) }
}

/// The id of a client frame, read without decoding the rest: the top-level `"id"` if it is a
/// valid message id (the same rules as ``decodeTypedClientMessage``), else nil. A message refused
/// before it is decoded (`rate_limited`) is answered with it, so the client knows which command
/// to send again. Never traps, whatever the bytes; it stops at the id.
public func clientMessageID(_ bytes: [UInt8]) -> String? {
    bytes.withUnsafeBytes { raw -> String? in
        var s = JSONScanner(raw)
        do {
            try s.expect(UInt8(ascii: "{"))
            if s.take(UInt8(ascii: "}")) { return nil }
            repeat {
                if try s.key() == "id" {
                    guard s.peek() == UInt8(ascii: "\"") else { return nil }
                    let id = try s.string()
                    guard !id.isEmpty, id.count <= maxMessageIDLength,
                          !id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
                    return id
                }
                try s.skipValue()
            } while s.take(UInt8(ascii: ","))
            return nil
        } catch {
            return nil
        }
    }
}

/// The same, with the message's type from the catalogue (for the server's counts); a message
/// whose type could not be read has type nil in its error.
public func decodeTypedClientMessage(_ bytes: [UInt8]) -> Result<(id: String, type: ClientMessageType, message: Inbound), InboundError> {
    let root: JSONValue
    do {
        root = try JSONParser.parse(bytes)
    } catch {
        return .failure(InboundError(re: nil, error: DomainError(.badRequest, "Message illisible : ce n'est pas du JSON valide (\(error.reason), position \(error.offset)).")))
    }
    guard case .object = root else {
        return .failure(InboundError(re: nil, error: DomainError(.badRequest, "Un message doit être un objet JSON.")))
    }
    // No control character: the id is journaled with the events it caused, and a NUL, say, is
    // not kept the same by every database.
    guard case .string(let id)? = root["id"], !id.isEmpty, id.count <= maxMessageIDLength,
          !id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
        return .failure(InboundError(re: nil, error: DomainError(.badRequest, "Le champ « id » est obligatoire : une chaîne de 1 à \(maxMessageIDLength) caractères, sans caractère de contrôle.")))
    }
    guard case .string(let typeName)? = root["type"] else {
        return .failure(InboundError(re: id, error: DomainError(.badRequest, "Le champ « type » est obligatoire.")))
    }
    guard let type = ClientMessageType(rawValue: typeName) else {
        return .failure(InboundError(re: id, error: DomainError(.unknownType, "Type de message inconnu : « \(typeName.prefix(64)) ».")))
    }
    do {
        let fields = Fields(root)
        let message: Inbound
        switch type {
        case .join: message = .join(try joinRequest(fields))
        case .ping: message = .ping
        case .presence:
            let field = try fields.optionalID("field")
            if let field, field.count > 40 || !field.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) {
                throw DomainError(.invalid, "Champ de projet inconnu : « \(field.prefix(40)) ».")
            }
            message = .editing(project: try fields.optionalID("project"), field: field)
        case .projectsSubmit:
            let name = try fields.string("channel")
            guard let channel = Receipt.Channel(rawValue: name) else {
                throw DomainError(.invalid, "Canal de dépôt inconnu (attendu : \(Receipt.Channel.allCases.map(\.rawValue).joined(separator: " ou "))).")
            }
            message = .submitProjects(channel: channel, projects: fields.has("projects") ? try fields.ids("projects") : nil,
                                      again: try fields.optionalBool("again") ?? false)
        case .projectsFollow:
            message = .followDossiers
        case .webhookRedeliver:
            message = .command(.webhookRedeliver(delivery: try fields.string("delivery")))
        case .cardAdd:
            message = .command(.cardAdd(board: try fields.id("board"), column: try fields.id("column"),
                                        text: try fields.string("text"), x: try fields.optionalNumber("x"),
                                        y: try fields.optionalNumber("y"), color: try fields.optionalColor()))
        case .cardEdit:
            message = .command(.cardEdit(card: try fields.id("card"), text: try fields.string("text"),
                                         version: try fields.int("version")))
        case .cardMove:
            message = .command(.cardMove(card: try fields.id("card"), x: try fields.number("x"), y: try fields.number("y"),
                                         column: try fields.optionalID("column"), board: try fields.optionalID("board")))
        case .cardDelete: message = .command(.cardDelete(card: try fields.id("card")))
        case .voteCast: message = .command(.voteCast(card: try fields.id("card")))
        case .voteRetract: message = .command(.voteRetract(card: try fields.id("card")))
        case .phaseSet: message = .command(.phaseSet(phase: try fields.id("phase")))
        case .participantAssign:
            message = .command(.participantAssign(participant: try fields.id("participant"), group: try fields.optionalID("group")))
        case .tablesBalance: message = .command(.tablesBalance)
        case .rotationAdvance: message = .command(.rotationAdvance)
        case .hostAssign:
            message = .command(.hostAssign(board: try fields.id("board"), participant: try fields.optionalID("participant")))
        case .participantRemove: message = .command(.participantRemove(participant: try fields.id("participant")))
        case .participantErase: message = .command(.participantErase(participant: try fields.id("participant")))
        case .timerStart:
            message = .command(.timerStart(seconds: try fields.int("seconds"), label: try fields.optionalString("label")))
        case .timerPause: message = .command(.timerPause)
        case .timerResume: message = .command(.timerResume)
        case .timerStop: message = .command(.timerStop)
        case .announce: message = .command(.announce(text: try fields.string("text")))
        case .workshopPause: message = .command(.workshopPause)
        case .workshopResume: message = .command(.workshopResume)
        case .workshopClose: message = .command(.workshopClose)
        case .viewFocus: message = .command(.viewFocus(board: try fields.optionalID("board")))
        case .settingsUpdate:
            let change = SettingsChange(voteBudget: try fields.optionalInt("voteBudget"),
                                        maxVotesPerCard: try fields.optionalInt("maxVotesPerCard"),
                                        privateWriting: try fields.optionalBool("privateWriting"),
                                        anonymous: try fields.optionalBool("anonymous"),
                                        facilitatorSeesAuthors: try fields.optionalBool("facilitatorSeesAuthors"),
                                        listOrganisations: try fields.optionalBool("listOrganisations"),
                                        voteOwnCards: try fields.optionalBool("voteOwnCards"))
            if change.isEmpty { throw DomainError(.badRequest, "Aucun réglage à changer.") }
            message = .command(.settingsUpdate(change))
        case .votesReveal: message = .command(.votesReveal)
        case .votesClose: message = .command(.votesClose)
        case .timerAdd: message = .command(.timerAdd(seconds: try fields.int("seconds")))
        case .announcementWithdraw: message = .command(.announcementWithdraw)
        case .projectorShow:
            let name = try fields.string("mode")
            guard let mode = ProjectorMode(rawValue: name) else {
                throw DomainError(.invalid, "Mode du projecteur inconnu (attendu : \(ProjectorMode.allCases.map(\.rawValue).joined(separator: ", "))).")
            }
            message = .command(.projectorShow(mode: mode, every: try fields.optionalInt("every")))
        case .cardsReveal: message = .command(.cardsReveal)
        case .clusterCreate:
            message = .command(.clusterCreate(board: try fields.id("board"), title: try fields.string("title"),
                                              cards: try fields.ids("cards")))
        case .clusterRename:
            message = .command(.clusterRename(cluster: try fields.id("cluster"), title: try fields.string("title")))
        case .cardCluster:
            message = .command(.cardCluster(card: try fields.id("card"), cluster: try fields.optionalID("cluster")))
        case .commentAdd: message = .command(.commentAdd(card: try fields.id("card"), text: try fields.string("text")))
        case .commentDelete: message = .command(.commentDelete(comment: try fields.id("comment")))
        case .projectCreate:
            message = .command(.projectCreate(board: try fields.id("board"), title: try fields.string("title"),
                                              cluster: try fields.optionalID("cluster"), cards: fields.has("cards") ? try fields.ids("cards") : []))
        case .projectUpdate:
            message = .command(.projectUpdate(project: try fields.id("project"), version: try fields.int("version"),
                                              change: try projectChange(fields)))
        case .projectReady: message = .command(.projectReady(project: try fields.id("project")))
        case .projectReopen: message = .command(.projectReopen(project: try fields.id("project")))
        case .projectSupport:
            message = .command(.projectSupport(project: try fields.id("project"), support: try fields.optionalBool("support") ?? true))
        case .cardHide: message = .command(.cardHide(card: try fields.id("card")))
        case .cardRestore: message = .command(.cardRestore(card: try fields.id("card")))
        case .boardLock: message = .command(.boardLock(board: try fields.id("board")))
        case .boardUnlock: message = .command(.boardUnlock(board: try fields.id("board")))
        case .groupOpen:
            let text = try fields.string("endsAt")
            guard let endsAt = milliseconds(fromTimestamp: text) else {
                throw DomainError(.invalid, "Le champ « endsAt » doit être une date ISO 8601 en UTC (2026-12-15T17:00:00.000Z).")
            }
            message = .command(.groupOpen(group: try fields.id("group"), endsAt: endsAt, purpose: try fields.optionalString("purpose")))
        case .groupClose:
            message = .command(.groupClose(group: try fields.id("group"), into: try fields.optionalID("into")))
        case .groupInvite: message = .inviteToGroup(group: try fields.id("group"))
        case .groupRevoke:
            message = .command(.groupRevoke(group: try fields.id("group"), invitation: try fields.id("invitation")))
        }
        return .success((id, type, message))
    } catch let error as DomainError {
        return .failure(InboundError(re: id, error: error, type: type))
    } catch {
        return .failure(InboundError(re: id, error: DomainError(.badRequest, "Message invalide."), type: type))
    }
}

/// `project.update`'s `fields`: field id → value, only what is present changes; `null` clears a
/// field. The values are checked against the workshop's form by the domain (`FormCheck`).
private func projectChange(_ f: Fields) throws -> ProjectChange {
    guard case .object(let pairs)? = f.root["fields"] else {
        throw DomainError(.badRequest, "Le champ « fields » est obligatoire : un objet avec les champs à modifier.")
    }
    guard pairs.count <= 200 else { throw DomainError(.badRequest, "Trop de champs de projet à la fois (200 au plus).") }
    var c = ProjectChange()
    for (key, value) in pairs {
        guard key.count <= 40, !key.isEmpty else { throw DomainError(.badRequest, "Champ de projet inconnu : « \(key.prefix(40)) ».") }
        c.fields[key] = try fieldValue(value, key, depth: 0)
    }
    return c
}

/// A JSON value as a sheet's value: whole numbers only, nested at most three levels (a group's
/// rows and their parts).
private func fieldValue(_ v: JSONValue, _ key: String, depth: Int) throws -> FieldValue {
    guard depth <= 3 else { throw DomainError(.badRequest, "Champ de projet « \(key.prefix(40)) » : valeur trop imbriquée.") }
    switch v {
    case .null: return .null
    case .bool(let b): return .bool(b)
    case .string(let s): return .text(s)
    case .number(let d):
        guard d.rounded() == d, abs(d) <= 1e15 else {
            throw DomainError(.invalid, "Champ de projet « \(key.prefix(40)) » : un nombre entier est attendu.",
                              fieldErrors: [FieldError(field: key, part: nil, message: "Un nombre entier est attendu.")])
        }
        return .int(Int(d))
    case .array(let items): return .list(try items.map { try fieldValue($0, key, depth: depth + 1) })
    case .object(let members):
        var o: [String: FieldValue] = [:]
        for (k, x) in members { o[k] = try fieldValue(x, key, depth: depth + 1) }
        return .object(o)
    }
}

private func actorKind(_ name: String) throws -> ActorKind {
    guard let kind = ActorKind(rawValue: name) else {
        throw DomainError(.invalid, "Type d'acteur inconnu : « \(name.prefix(32)) » (attendu : \(ActorKind.allCases.map(\.rawValue).joined(separator: ", "))).")
    }
    return kind
}

private func joinRequest(_ f: Fields) throws -> JoinRequest {
    if f.has("code") {
        let kindName = try f.string("actor")
        guard let kind = ActorKind(rawValue: kindName) else {
            throw DomainError(.invalid, "Type d'acteur inconnu : « \(kindName.prefix(32)) » (attendu : \(ActorKind.allCases.map(\.rawValue).joined(separator: ", "))).")
        }
        return .code(try f.string("code"),
                     profile: Profile(name: try f.string("name"), organisation: try f.optionalString("organisation") ?? ""),
                     actor: kind, group: try f.optionalID("group"), clientKey: try f.optionalID("clientKey"))
    }
    if f.has("invitation") {
        return .invitation(workshop: try f.id("workshop"), secret: try f.string("invitation"),
                           profile: Profile(name: try f.string("name"), organisation: try f.optionalString("organisation") ?? ""),
                           actor: try f.optionalString("actor").map(actorKind) ?? .other, clientKey: try f.optionalID("clientKey"))
    }
    if f.has("token") {
        return .token(try f.string("token"), since: try f.optionalSince())
    }
    if f.has("facilitatorKey") {
        return .facilitator(workshop: try f.id("workshop"), key: try f.string("facilitatorKey"), since: try f.optionalSince())
    }
    throw DomainError(.badRequest, "Pour rejoindre, donnez un code (« code »), un jeton (« token »), une invitation (« invitation ») ou une clé d'animation (« facilitatorKey »).")
}

/// Typed access to a message's fields, with a French sentence for each way a field can be wrong.
struct Fields {
    let root: JSONValue
    init(_ root: JSONValue) { self.root = root }

    func has(_ key: String) -> Bool {
        if case .null? = root[key] { return false }
        return root[key] != nil
    }

    func missing(_ key: String) -> DomainError { DomainError(.badRequest, "Le champ « \(key) » est obligatoire.") }
    func wrongType(_ key: String, _ what: String) -> DomainError {
        DomainError(.badRequest, "Le champ « \(key) » doit être \(what).")
    }

    func string(_ key: String) throws -> String {
        guard let v = root[key], v != .null else { throw missing(key) }
        guard case .string(let s) = v else { throw wrongType(key, "une chaîne de caractères") }
        return s
    }

    func optionalString(_ key: String) throws -> String? { has(key) ? try string(key) : nil }

    /// Ids are short printable strings; anything else cannot name an object of ours.
    func id(_ key: String) throws -> String {
        let s = try string(key)
        guard !s.isEmpty, s.utf8.count <= 64, s.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw DomainError(.invalid, "Le champ « \(key) » n'est pas un identifiant valide.")
        }
        return s
    }

    func optionalID(_ key: String) throws -> String? { has(key) ? try id(key) : nil }

    func number(_ key: String) throws -> Double {
        guard let v = root[key], v != .null else { throw missing(key) }
        guard case .number(let d) = v else { throw wrongType(key, "un nombre") }
        return d
    }

    func optionalNumber(_ key: String) throws -> Double? { has(key) ? try number(key) : nil }

    func int(_ key: String) throws -> Int {
        let d = try number(key)
        guard d == d.rounded(), abs(d) < 1e15 else { throw wrongType(key, "un nombre entier") }
        return Int(d)
    }

    func optionalInt(_ key: String) throws -> Int? { has(key) ? try int(key) : nil }

    func optionalBool(_ key: String) throws -> Bool? {
        guard has(key) else { return nil }
        guard case .bool(let b)? = root[key] else { throw wrongType(key, "true ou false") }
        return b
    }

    func ids(_ key: String) throws -> [String] {
        guard let v = root[key], v != .null else { throw missing(key) }
        guard case .array(let items) = v else { throw wrongType(key, "une liste d'identifiants") }
        return try items.map { item in
            guard case .string(let s) = item, !s.isEmpty, s.utf8.count <= 64, s.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw DomainError(.invalid, "Le champ « \(key) » ne contient pas que des identifiants valides.")
            }
            return s
        }
    }

    func optionalSince() throws -> Int? {
        guard has("since") else { return nil }
        let n = try int("since")
        guard n >= 0 else { throw DomainError(.invalid, "Le champ « since » doit être positif ou nul.") }
        return n
    }

    func optionalColor() throws -> CardColor? {
        guard let name = try optionalString("color") else { return nil }
        guard let color = CardColor(rawValue: name) else {
            throw DomainError(.invalid, "Couleur inconnue : « \(name.prefix(32)) » (attendu : \(CardColor.allCases.map(\.rawValue).joined(separator: ", "))).")
        }
        return color
    }
}

/// A receipt as ``Outbound/writeReceipt(_:to:)`` writes it (the admin API records receipts that
/// `atelier submit` obtained while a server runs).
public func decodeReceipt(_ value: JSONValue) throws -> Receipt {
    let f = Fields(value)
    guard case .object = value else { throw DomainError(.badRequest, "Le champ « receipt » doit être un objet.") }
    let name = try f.string("channel")
    guard let channel = Receipt.Channel(rawValue: name) else {
        throw DomainError(.invalid, "Canal de dépôt inconnu (attendu : \(Receipt.Channel.allCases.map(\.rawValue).joined(separator: " ou "))).")
    }
    let at = try f.string("at")
    guard let ms = milliseconds(fromTimestamp: at) else {
        throw DomainError(.invalid, "Le champ « at » doit être une date ISO 8601 en UTC (2026-11-28T10:02:11.120Z).")
    }
    let reference = try f.string("reference")
    guard (1...200).contains(reference.count) else { throw DomainError(.invalid, "La référence du dépôt doit compter entre 1 et 200 caractères.") }
    let token = try f.optionalString("prefillToken")
    guard (token?.count ?? 1) <= 200 else { throw DomainError(.invalid, "Le jeton de préremplissage compte au plus 200 caractères.") }
    var dossier: DossierFollow?
    if f.has("dossier") { dossier = try decodeDossier(value["dossier"]) }
    return Receipt(channel: channel, reference: reference, url: try f.optionalString("url"), number: try f.optionalInt("number"), at: ms,
                   prefillToken: token, dossier: dossier)
}

/// A dossier's state as ``Outbound/writeDossier(_:to:)`` writes it.
public func decodeDossier(_ value: JSONValue?) throws -> DossierFollow {
    guard let value, case .object = value else { throw DomainError(.badRequest, "Le champ « dossier » doit être un objet.") }
    let f = Fields(value)
    let name = try f.string("state")
    guard let state = DossierState(rawValue: name) else {
        throw DomainError(.invalid, "État de dossier inconnu (attendu : \(DossierState.allCases.map(\.rawValue).joined(separator: ", "))).")
    }
    func date(_ key: String) throws -> Int64? {
        guard let text = try f.optionalString(key) else { return nil }
        guard let ms = milliseconds(fromTimestamp: text) else { throw DomainError(.invalid, "Le champ « \(key) » doit être une date ISO 8601 en UTC.") }
        return ms
    }
    return DossierFollow(state: state, submittedAt: try date("submittedAt"), processedAt: try date("processedAt"))
}

/// The inverse of ``timestamp(_:)``: `2026-11-28T10:02:11.120Z` to milliseconds since 1970.
public func milliseconds(fromTimestamp s: String) -> Int64? {
    let b = Array(s.utf8)
    guard b.count == 24, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
          b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "."), b[23] == UInt8(ascii: "Z") else { return nil }
    func number(_ from: Int, _ to: Int) -> Int64? {
        var n: Int64 = 0
        for i in from..<to {
            guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
            n = n * 10 + Int64(b[i] - 0x30)
        }
        return n
    }
    guard let year = number(0, 4), let month = number(5, 7), let day = number(8, 10), let hour = number(11, 13),
          let minute = number(14, 16), let second = number(17, 19), let milli = number(20, 23),
          (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60, year >= 1970 else { return nil }
    // A day the month does not have is refused, not carried into the next month.
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    let length: Int64 = switch month { case 2: leap ? 29 : 28; case 4, 6, 9, 11: 30; default: 31 }
    guard day <= length else { return nil }
    // Days from civil (H. Hinnant), the inverse of `timestamp`'s civil-from-days.
    let y = month <= 2 ? year - 1 : year
    let era = y / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146_097 + doe - 719_468
    return ((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) + milli
}
