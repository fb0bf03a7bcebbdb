import AtelierDomain
@_exported import AtelierExport
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation
import Logging

/// What the hub needs to know at start.
public struct HubConfiguration: Sendable {
    public var adminToken: String
    public var plans: PlanCatalog
    public var defaultPlan: String
    /// The address people reach the server at (`--public-url`): every link and QR code is built from it.
    public var publicURL: String
    /// Open connections allowed from one address. A venue's participants often share one public
    /// address (the conference Wi-Fi), so this stays well above a workshop's size.
    public var maxConnectionsPerAddress: Int
    /// Sustained and burst messages per second and connection.
    /// How long a join by code waits, from an address past its wrong codes of the minute: the
    /// right code still joins, a guesser is slowed down.
    public var codeFailureDelayMs = 2000
    /// Multiplies the limits on what a workshop holds (docs/reliability.md "Limits"): 1 in
    /// production; load tests raise it.
    public var capacityFactor = 1
    /// New participants a minute from one address (a room behind one Wi-Fi joins within it).
    public var joinsPerAddressPerMinute = 120
    public var messagesPerSecond: Double
    public var messageBurst: Double
    /// Where `projects.submit` sends ready projects, by channel.
    public var submissionTargets: [Receipt.Channel: SubmissionTarget] = [:]
    /// The webhook outbox's first retry delay, doubled at each (`--webhook-retry-base-ms`).
    public var webhookRetryBaseMs: Int64 = WebhookRetryPolicy.defaultBaseMs
    public init(adminToken: String, plans: PlanCatalog, defaultPlan: String, publicURL: String,
                maxConnectionsPerAddress: Int = 256, messagesPerSecond: Double = 20, messageBurst: Double = 60) {
        self.adminToken = adminToken; self.plans = plans; self.defaultPlan = defaultPlan; self.publicURL = publicURL
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.messagesPerSecond = messagesPerSecond; self.messageBurst = messageBurst
    }
}

/// Milliseconds since 1970: the hub's only clock, injectable for tests.
public typealias Clock = @Sendable () -> Int64
public let systemClock: Clock = { Int64(Date().timeIntervalSince1970 * 1000) }

/// Rooms, participant sessions, the durability pipeline and fan-out.
///
/// Thread confinement (docs/architecture.md "One loop owns the state"): every method runs on the transport's
/// service thread: the transport calls the delegate methods there, and other threads reach the
/// hub only through ``TransportControl/post(_:)``. So there is no lock anywhere in here.
public final class Hub: TransportDelegate, @unchecked Sendable {
    let configuration: HubConfiguration
    let store: EventStore
    let clock: Clock
    unowned let transport: TransportControl
    let pipeline: Pipeline
    let metrics = HubMetrics()
    let logger = Logger(label: "atelier.hub")
    /// The HTTP API, its own routes table (`HTTP/HTTPAPI.swift`).
    private(set) var http: HTTPAPI!
    /// Replay's snapshots, off the loop (`Replay.swift`).
    let replay: ReplayCache

    /// The path prefixes the HTTP API answers (the rest is the static mount of `web/`).
    public static var httpPrefixes: [String] { HTTPAPI.prefixes }

    var rooms: [WorkshopID: Room] = [:]
    var roomsByCode: [String: WorkshopID] = [:]
    var tokens: [String: (workshop: WorkshopID, participant: ActorID)] = [:]
    var sessions: [ConnectionID: Session] = [:]
    /// Several nodes: lease ticks each room has spent with nobody connected to it here.
    var idleTicks: [WorkshopID: Int] = [:]
    /// Failed join-code attempts per address, against guessing.
    var codeFailures: [String: (count: Int, since: Int64)] = [:]
    /// Joins by code waiting out the delay, per address (a few at a time; more are refused).
    var delayedJoins: [String: Int] = [:]
    /// The organiser's browser sessions (`AdminSessions`).
    var adminSessions = AdminSessions()
    /// Every series, by id, as last written (loaded at start; written through the pipeline).
    var series: [String: SeriesRecord] = [:]
    /// Statuses sent back: the newest `timestamp` taken per sheet's webhook receipt
    /// (`workshop/project/reference`), so that an earlier signed status, replayed within the
    /// tolerance, cannot move the sheet back (HTTPAPI+StatusBack.swift).
    var statusTimestamps: [String: Int64] = [:]
    /// New participants per address, against scripts that create people by the thousand.
    var joinsPerAddress: [String: (count: Int, since: Int64)] = [:]
    /// Open connections per address (Debian's libwebsockets has no per-IP limits).
    var connectionsPerAddress: [String: Int] = [:]
    var ratePolicy: RateLimiter.Policy {
        RateLimiter.Policy(rate: configuration.messagesPerSecond, burst: configuration.messageBurst,
                           strikes: Int(configuration.messageBurst))
    }

    public init(configuration: HubConfiguration, store: EventStore, transport: TransportControl,
                clock: @escaping Clock = systemClock) throws {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.transport = transport
        replay = ReplayCache(store: store)
        pipeline = Pipeline(store: store, toLoop: { [unowned transport] job in transport.post(job) }, metrics: metrics)
        pipeline.onFailure = { [unowned self] rooms, error in self.commitFailed(rooms, error) }
        http = HTTPAPI(hub: self)
        for s in try store.listSeries() { series[s.id] = s }
        // With several nodes, a room is loaded when this node claims its workshop (`lookUpRoom`).
        if !store.isShared {
            for (room, credentials) in try Self.loadOpenRooms(store) { adopt(room, credentials: credentials) }
            // Closed workshops whose hand-off is still under way: a pending webhook delivery, a
            // dossier still moving on Démarches Simplifiées; or with a working group still open
            // (its end comes on time).
            for (room, credentials) in try Self.loadOpenRooms(store, ids: store.closedWorkshopIDsWithHandOff())
            where room.state.outbox.values.contains(where: { $0.state == .pending }) || !room.state.followedDossiers.isEmpty
                || room.state.workingGroups.values.contains(where: \.isOpen) {
                adopt(room, credentials: credentials)
            }
        }
        resumeTimers()
        // The webhook outbox goes on from the journal; on the loop, the only thread that touches rooms.
        let hub = Unchecked(self)
        transport.post { for room in hub.value.rooms.values { hub.value.resumeOutbox(room) } }
    }

    /// Every open workshop rebuilt from the journal, on all cores: each worker loads and replays
    /// one workshop at a time (so only a few journals are in memory at once), in order of the
    /// store's list. The rooms are handed to the loop only once all are built.
    static func loadOpenRooms(_ store: EventStore, ids: [WorkshopID]? = nil) throws -> [(Room, [Credential])] {
        let ids = try ids ?? store.openWorkshopIDs()
        let results = LoadResults(count: ids.count)
        let workers = min(ids.count, max(1, ProcessInfo.processInfo.activeProcessorCount))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = results.claim() {
                do {
                    guard let stored = try store.loadWorkshop(id: ids[i]) else { continue }
                    if let room = Room(stored: stored) { results.set(i, .success((room, stored.credentials))) }
                } catch {
                    results.set(i, .failure(error))
                }
            }
        }
        return try results.collect()
    }

    @discardableResult
    func adopt(_ stored: StoredWorkshop) -> Room? {
        guard let room = Room(stored: stored) else { return nil }
        adopt(room, credentials: stored.credentials)
        // A room loaded after start (created by the command line, reloaded after a failed commit,
        // taken over from another node): its running timer goes on here, as `resumeTimers` does at start.
        if let endsAt = room.state.timer?.endsAt { schedule(timerEnd: endsAt, in: room) }
        resumeGroups(room)
        resumeOutbox(room)
        return room
    }

    func adopt(_ room: Room, credentials: [Credential]) {
        rooms[room.record.id] = room
        roomsByCode[room.record.joinCode] = room.record.id
        for c in credentials { tokens[c.tokenDigest] = (c.workshop, c.participant) }
    }

    /// A room in memory, or loaded from the store (a workshop created by the CLI while running).
    func room(_ id: WorkshopID) -> Room? {
        if case .here(let room) = lookUpRoom(id) { return room }
        return nil
    }

    enum RoomLookup {
        case here(Room)
        /// Several nodes: another node serves this workshop.
        case elsewhere(node: String)
        case none
    }

    /// A room in memory, or loaded from the store; with several nodes, only once this node holds
    /// the workshop's lease (`EventStore.claim`: a write to the database, on the loop, once per
    /// workshop and node).
    func lookUpRoom(_ id: WorkshopID) -> RoomLookup {
        if let r = rooms[id] { return .here(r) }
        switch try? store.claim(id) {
        case .elsewhere(let node)?: return .elsewhere(node: node)
        case .unknown?, nil: return .none
        case .here?: break
        }
        // Closed workshops load too: read-only, and exportable.
        guard let stored = try? store.loadWorkshop(id: id), let room = adopt(stored) else { return .none }
        return .here(room)
    }

    /// Closes a connection whose workshop another node serves: the client reconnects, and the load
    /// balancer (hashing on the workshop) takes it to that node.
    func closeServedElsewhere(_ connection: ConnectionID) {
        transport.close(connection, code: CloseCode.servedElsewhere, reason: "Cet atelier est servi par un autre nœud : reconnectez-vous.")
        sessions[connection]?.state = .closing
    }

    public var openRoomCount: Int { rooms.count }

    // MARK: - Transport events

    public func transportOpened(_ connection: ConnectionID, peer: String) {
        let count = connectionsPerAddress[peer, default: 0] + 1
        connectionsPerAddress[peer] = count
        sessions[connection] = Session(peer: peer, limiter: RateLimiter(policy: ratePolicy, now: clock()))
        if count > configuration.maxConnectionsPerAddress {
            sessions[connection]?.state = .closing
            transport.close(connection, code: CloseCode.tooManyConnections, reason: "Trop de connexions depuis cette adresse.")
        }
    }

    public func transportClosed(_ connection: ConnectionID) {
        guard let session = sessions.removeValue(forKey: connection) else { return }
        let left = connectionsPerAddress[session.peer, default: 1] - 1
        connectionsPerAddress[session.peer] = left > 0 ? left : nil
        if case .joined(let workshop, let actor) = session.state, let room = rooms[workshop] {
            if room.members.removeValue(forKey: connection) != nil {
                room.online[actor.id, default: 1] -= 1
                if room.online[actor.id] == 0 {
                    room.online[actor.id] = nil
                    pipeline.afterCommit { [unowned self, unowned room] _ in
                        if !room.isOnline(actor.id) { announcePresence(of: actor.id, online: false, in: room) }
                    }
                }
            }
        }
    }

    public func transportHTTP(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        http.handle(request, respond: respond)
    }

    public func transportTurnEnded() {
        pipeline.flush()
    }

    public func transportReceived(_ connection: ConnectionID, message: [UInt8]) {
        guard let session = sessions[connection] else { return }
        if case .closing = session.state { return }
        switch sessions[connection]!.limiter.admit(now: clock(), policy: ratePolicy) {
        case .allow:
            break
        case .refuse:
            metrics.rateLimited.increment()
            reply(connection, Outbound.error(re: clientMessageID(message), DomainError(.rateLimited, "Trop de messages : ralentissez un peu.")))
            return
        case .close:
            sessions[connection]?.state = .closing
            transport.close(connection, code: CloseCode.tooManyMessages, reason: "Trop de messages.")
            return
        }
        switch decodeTypedClientMessage(message) {
        case .failure(let e):
            metrics.command(e.type?.rawValue ?? "unreadable", result: e.error.code.rawValue)
            reply(connection, Outbound.error(re: e.re, e.error))
        case .success((let id, let type, .ping)):
            metrics.command(type.rawValue, result: "ack")
            reply(connection, Outbound.pong(re: id, now: clock()))
        case .success((let id, let type, .join(let request))):
            metrics.command(type.rawValue, result: "received")
            join(connection, id: id, request)
        case .success((let id, let type, .command(let command))):
            execute(command, id: id, type: type, from: connection)
        case .success((let id, let type, .submitProjects(let channel, let projects, let again))):
            metrics.command(type.rawValue, result: "received")
            submitProjects(channel: channel, only: projects, again: again, id: id, from: connection)
        case .success((let id, let type, .inviteToGroup(let group))):
            metrics.command(type.rawValue, result: "received")
            inviteToGroup(group, id: id, from: connection)
        case .success((let id, let type, .followDossiers)):
            metrics.command(type.rawValue, result: "received")
            followDossiers(id: id, from: connection)
        case .success((let id, let type, .editing(let project, let field))):
            metrics.command(type.rawValue, result: "received")
            // Co-editing presence: relayed to the room, never journaled, acked at once.
            guard let (room, actor) = joinedRoom(connection, id: id) else { return }
            // Someone invited into a working group sees their table's sheets only: another's does not exist.
            if let project, room.state.projects[project].map({ actor.board == nil || $0.board == actor.board }) != true {
                reply(connection, Outbound.error(re: id, DomainError(.notFound, "Ce projet n'existe pas.")))
                return
            }
            if let field, room.state.form.field(field) == nil {
                reply(connection, Outbound.error(re: id, DomainError(.invalid, "Champ de projet inconnu : « \(field.prefix(40)) ».")))
                return
            }
            let frame = OutboundFrame(Outbound.editing(participant: actor.id, project: project, field: field))
            pipeline.afterCommit { [unowned self, unowned room] _ in
                for (member, viewer) in room.members where member != connection && room.sees(actor.id, viewer) {
                    transport.send(frame, to: member)
                }
            }
            reply(connection, Outbound.ack(re: id, seq: room.state.seq, result: []))
        }
    }

    // MARK: - Replies and fan-out

    /// Sends a reply after everything journaled before it is durable (keeps per-client order).
    func reply(_ connection: ConnectionID, _ bytes: [UInt8]) {
        let frame = OutboundFrame(bytes)
        pipeline.afterCommit { [unowned self] _ in
            if sessions[connection] != nil { transport.send(frame, to: connection) }
        }
    }

    /// Gives events their seq, applies them, journals them, and broadcasts each once durable.
    func append(_ bodies: [EventBody], to room: Room, by actor: ActorID?, message: String?) {
        let now = clock()
        for body in bodies {
            let event = Event(seq: room.state.seq + 1, at: now, by: actor, body: body)
            let recorded = room.record(event)
            pipeline.journal(JournalEntry(workshop: room.record.id, event: event, message: message))
            pipeline.afterCommit { [unowned self, unowned room] committed in
                guard committed else { return }
                broadcast(recorded, in: room)
                followUp(event, in: room)
            }
        }
    }

    /// Encodes an event once per way of seeing it (at most two) and queues the same bytes to every
    /// member allowed to see it.
    func broadcast(_ recorded: Room.Recorded, in room: Room) {
        guard !room.members.isEmpty else { return }
        // One frame per sight, encoded the first time someone needs it (no dictionary: this loop
        // runs once per delivery).
        var full: OutboundFrame?, anonymous: OutboundFrame?
        for (connection, actor) in room.members {
            let frame: OutboundFrame
            switch recorded.audience.sight(for: actor) {
            case .hidden:
                continue
            case .full:
                frame = full ?? OutboundFrame(recorded.encoded(for: .full))
                full = frame
            case .anonymous:
                frame = anonymous ?? OutboundFrame(recorded.encoded(for: .anonymous))
                anonymous = frame
            }
            transport.send(frame, to: connection)
        }
    }

    /// Presence is never journaled: it goes to the room's members as it changes.
    func announcePresence(of actor: ActorID, online: Bool, in room: Room, except: ConnectionID? = nil) {
        let frame = OutboundFrame(Outbound.presence(participant: actor, online: online))
        for (connection, member) in room.members where connection != except && room.sees(actor, member) {
            transport.send(frame, to: connection)
        }
    }

    // MARK: - Commands

    /// The room and actor of a joined connection; otherwise answers `unauthenticated` and gives nil.
    func joinedRoom(_ connection: ConnectionID, id: String) -> (Room, Actor)? {
        guard case .joined(let workshop, let actor) = sessions[connection]?.state, let room = rooms[workshop] else {
            reply(connection, Outbound.error(re: id, DomainError(.unauthenticated, "Rejoignez d'abord un atelier (message « join »).")))
            return nil
        }
        return (room, actor)
    }

    /// The rules' answer to `command` in `room`, with the next seq and the hub's clock.
    func decide(_ command: Command, in room: Room, by actor: Actor) -> Result<[EventBody], DomainError> {
        reduce(room.state, command, by: actor,
               context: ReduceContext(nextSeq: room.state.seq + 1, now: clock(), capacityFactor: configuration.capacityFactor))
    }

    /// A command from inside the server (timers, submissions, the admin API): decided, appended,
    /// and `done` called on the loop once durable with the seq after it and the number of events.
    func perform(_ command: Command, in workshop: WorkshopID, as actor: Actor,
                 done: @escaping (Result<(seq: Int, events: Int), DomainError>) -> Void = { _ in }) {
        let room: Room
        switch lookUpRoom(workshop) {
        case .here(let r): room = r
        case .elsewhere(let node): return done(.failure(DomainError(.notFound, "Cet atelier est servi par un autre nœud (\(node)).")))
        case .none: return done(.failure(DomainError(.notFound, "Atelier inconnu.")))
        }
        switch decide(command, in: room, by: actor) {
        case .failure(let error):
            done(.failure(error))
        case .success(let bodies):
            append(bodies, to: room, by: actor == .system ? nil : actor.id, message: nil)
            let seq = room.state.seq
            pipeline.afterCommit { committed in
                done(committed ? .success((seq, bodies.count)) : .failure(Self.commitError))
            }
            pipeline.flush()
        }
    }

    /// Whether `key` opens `record`'s console: its facilitator key, or the key the organiser's home
    /// page derives from the admin token (`Secrets.consoleKey`).
    func facilitatorKeyOpens(_ key: String, _ record: WorkshopRecord) -> Bool {
        if Secrets.matches(key, digest: record.facilitatorKeyDigest) { return true }
        let derived = Secrets.consoleKey(adminToken: configuration.adminToken, workshop: record.id,
                                         facilitatorKeyDigest: record.facilitatorKeyDigest)
        return Secrets.constantTimeEquals(key, derived)
    }

    /// Writes a series (new, renamed, archived, a workshop added) in the open batch; what reads it
    /// sees it at once, the answer waits for the commit.
    func save(_ record: SeriesRecord) {
        series[record.id] = record
        pipeline.save(record)
    }

    /// A new workshop from a plan, journaled in the open batch (answer once it is durable).
    func createWorkshop(plan: SessionPlan, title: String?) -> NewWorkshop {
        createWorkshop(NewWorkshop(plan: plan, title: title, now: clock()), plan: plan, title: title)
    }

    /// A workshop prepared beforehand (with what it carries from an earlier one): its record and
    /// all its first events go in the same commit batch.
    func createWorkshop(_ created: NewWorkshop, plan: SessionPlan, title: String?) -> NewWorkshop {
        pipeline.create(created.record)
        let room = Room(record: created.record, state: Workshop(plan.blueprint(id: created.record.id, title: title)))
        for event in created.events {
            room.record(event)
            pipeline.journal(JournalEntry(workshop: room.record.id, event: event))
        }
        rooms[room.record.id] = room
        roomsByCode[room.record.joinCode] = room.record.id
        return created
    }

    func execute(_ command: Command, id: String, type: ClientMessageType, from connection: ConnectionID) {
        guard let (room, actor) = joinedRoom(connection, id: id) else {
            metrics.command(type.rawValue, result: ErrorCode.unauthenticated.rawValue)
            return
        }
        if let previous = room.answer(for: id, by: actor.id) {
            metrics.command(type.rawValue, result: "retry")
            reply(connection, previous)
            return
        }
        switch decide(command, in: room, by: actor) {
        case .failure(let error):
            metrics.command(type.rawValue, result: error.code.rawValue)
            let hidesSupporters = !room.state.showsAuthor(nil, to: actor)
            let bytes = Outbound.error(re: id, error, onlySupporter: hidesSupporters ? actor.id : nil)
            // A retry gets the same error back; the copy kept for it leaves out a conflict's current
            // sheet (it can weigh tens of KB), so remembered answers stay small whatever anyone sends.
            var compact = error
            compact.current = nil
            room.remember(bytes.count <= Room.maxRememberedBytes ? bytes : Outbound.error(re: id, compact), for: id, by: actor.id)
            reply(connection, bytes)
        case .success(let bodies):
            metrics.command(type.rawValue, result: "ack")
            append(bodies, to: room, by: actor.id, message: id)
            let ack = Outbound.ack(re: id, seq: room.state.seq, result: ackResult(for: bodies))
            room.remember(ack, for: id, by: actor.id)
            let frame = OutboundFrame(ack)
            pipeline.afterCommit { [unowned self] committed in
                guard sessions[connection] != nil else { return }
                transport.send(committed ? frame : OutboundFrame(Outbound.error(re: id, Self.commitError)), to: connection)
            }
        }
    }

    static let commitError = DomainError(.internal, "L'enregistrement a échoué : rien n'a été modifié. L'atelier redémarre, reconnectez-vous dans un instant.")

    /// Fail stop: rooms whose commit failed reload from the journal, and their clients reconnect.
    func commitFailed(_ failed: Set<WorkshopID>, _ error: Error) {
        // Several nodes: the workshops another node took over are left to it (fencing refused the
        // batch); the others reload what is durable.
        var lost: Set<WorkshopID> = []
        if case StoreError.notServedHere(let workshops) = error { lost = Set(workshops) }
        logger.error("commit failed; rooms reloaded from the journal",
                     metadata: ["error": "\(error)", "workshops": "\(failed.sorted().joined(separator: ","))"])
        for id in failed.sorted() {
            if lost.contains(id) {
                evict(id, code: CloseCode.servedElsewhere, reason: "Cet atelier est servi par un autre nœud : reconnectez-vous.")
            } else {
                evict(id, code: CloseCode.internalError, reason: "Erreur d'enregistrement : reconnectez-vous.")
                if let stored = try? store.loadWorkshop(id: id) { adopt(stored) }
            }
        }
        // A series written in the failed batch is known again as it is durably.
        reloadSeries()
    }

    /// Every series as the store holds it (after a failed commit; with several nodes, before each
    /// read, since another node may have written one). Kept as it was if the store cannot be read.
    func reloadSeries() {
        guard let all = try? store.listSeries() else { return }
        series = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Several nodes: the workshops whose lease another node took. Their clients are closed with
    /// 4004 (they reconnect to the node that serves them now) and their rooms leave memory.
    public func leasesLost(_ workshops: [WorkshopID]) {
        guard !workshops.isEmpty else { return }
        logger.warning("leases lost to another node", metadata: ["workshops": "\(workshops.joined(separator: ","))"])
        for id in workshops {
            evict(id, code: CloseCode.servedElsewhere, reason: "Cet atelier est servi par un autre nœud : reconnectez-vous.")
        }
    }

    /// Extends this node's leases (several nodes), and lets go of the workshops it lost. On the
    /// loop; `startLeaseRenewal` does it from a timer, off the loop.
    public func renewLeases() {
        do {
            leasesLost(try store.renewLeases())
        } catch {
            logger.warning("lease renewal failed", metadata: ["error": "\(error)"])
        }
    }

    /// Several nodes, on the loop, at each lease tick: a workshop nobody has been connected to on
    /// this node for two ticks in a row is let go (its room leaves memory, its lease is given
    /// back), so that the node the load balancer sends its people to can take it. Not while a
    /// commit is pending. A lease held for a workshop not in memory (the first workshop, created
    /// at start) is given back at once.
    public func releaseIdleRooms() {
        guard store.isShared else { return }
        let stray = store.leasedWorkshops().filter { rooms[$0] == nil }
        if !stray.isEmpty, pipeline.isIdle {
            do {
                try store.release(stray)
            } catch {
                logger.warning("lease release failed", metadata: ["error": "\(error)"])
            }
        }
        let busy = Set(sessions.values.compactMap(\.workshop))
        var idle: [WorkshopID] = []
        for id in rooms.keys.sorted() {
            if busy.contains(id) { idleTicks[id] = nil; continue }
            idleTicks[id, default: 0] += 1
            if idleTicks[id]! >= 2 { idle.append(id) }
        }
        idleTicks = idleTicks.filter { rooms[$0.key] != nil }
        guard !idle.isEmpty, pipeline.isIdle else { return }
        for id in idle {
            evict(id, code: CloseCode.servedElsewhere, reason: "")
            idleTicks[id] = nil
        }
        do {
            try store.release(idle)
        } catch {
            logger.warning("lease release failed", metadata: ["error": "\(error)"])
        }
    }

    /// Several nodes: every `seconds`, lets go of the idle workshops (on the loop) and renews the
    /// other leases (off the loop: a write to the database), handing the workshops lost to the loop.
    public func startLeaseRenewal(every seconds: Double) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "atelier.leases"))
        let store = self.store, transport = self.transport, logger = self.logger
        let hub = Unchecked(self)
        timer.schedule(deadline: .now() + seconds, repeating: seconds)
        timer.setEventHandler {
            transport.post { hub.value.releaseIdleRooms() }
            do {
                let lost = try store.renewLeases()
                if !lost.isEmpty { transport.post { hub.value.leasesLost(lost) } }
            } catch {
                logger.warning("lease renewal failed", metadata: ["error": "\(error)"])
            }
        }
        timer.resume()
        return timer
    }

    /// A room leaves memory: its connections closed with `code`, its tokens forgotten.
    private func evict(_ id: WorkshopID, code: UInt16, reason: String) {
        guard let room = rooms[id] else { return }
        for connection in sessions.keys where sessions[connection]?.workshop == id {
            transport.close(connection, code: code, reason: reason)
            sessions[connection]?.state = .closing
        }
        room.members.removeAll()
        room.online.removeAll()
        rooms[id] = nil
        roomsByCode[room.record.joinCode] = nil
        tokens = tokens.filter { $0.value.workshop != id }
    }

    // MARK: - Shutdown

    /// Finishes the commit in flight and anything pending, then calls `done` (on the loop).
    public func drain(_ done: @escaping () -> Void) {
        pipeline.whenDrained(done)
    }
}

/// One connection's standing with the hub (a small state machine, as in hummingbird-websocket).
struct Session {
    enum State {
        case awaitingJoin
        case joined(workshop: WorkshopID, actor: Actor)
        case closing
    }
    var peer: String
    var limiter: RateLimiter
    var state: State = .awaitingJoin

    var workshop: WorkshopID? {
        if case .joined(let w, _) = state { return w }
        return nil
    }
}

/// What the start-up workers built, slot by slot: the next index to claim and the results, under
/// one lock (claimed once per workshop, so never contended for long).
private final class LoadResults: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var slots: [Result<(Room, [Credential]), Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func claim() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < slots.count else { return nil }
        defer { next += 1 }
        return next
    }

    func set(_ i: Int, _ result: Result<(Room, [Credential]), Error>) {
        lock.lock(); defer { lock.unlock() }
        slots[i] = result
    }

    /// The rooms in the store's order; the first error, if any workshop failed to load.
    func collect() throws -> [(Room, [Credential])] {
        lock.lock(); defer { lock.unlock() }
        return try slots.compactMap { try $0?.get() }
    }
}
