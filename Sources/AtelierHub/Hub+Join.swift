import AtelierDomain
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation

extension Hub {
    /// Wrong codes allowed per address and minute. A whole room often shares one address (the
    /// venue's Wi-Fi), and people mistype; guessing an 8-character code at this pace is hopeless.
    static let maxCodeFailures = 30
    static let codeFailureWindowMs: Int64 = 60_000
    /// Joins by code that may wait out the delay at once from one address.
    static let maxDelayedJoins = 4

    func join(_ connection: ConnectionID, id: String, _ request: JoinRequest) {
        guard let session = sessions[connection] else { return }
        guard case .awaitingJoin = session.state else {
            reply(connection, Outbound.error(re: id, DomainError(.invalid, "Cette connexion a déjà rejoint un atelier.")))
            return
        }
        switch request {
        case let .code(code, profile, kind, group, clientKey):
            if codeFailuresExceeded(session.peer) {
                delayJoin(connection, id: id, peer: session.peer, request)
            } else {
                joinByCode(connection, id: id, peer: session.peer, code: code, profile: profile, kind: kind, group: group,
                           clientKey: clientKey)
            }
        case let .token(token, since):
            guard let (workshop, participant) = lookUp(token: token), let room = room(workshop),
                  let p = room.state.participants[participant], !p.removed else {
                reply(connection, Outbound.error(re: id, DomainError(.unauthenticated, "Jeton inconnu ou expiré : rejoignez l'atelier avec son code.")))
                return
            }
            welcome(connection, id: id, room: room, actor: Actor(id: p.id, role: p.role),
                    you: You(participant: p.id, token: token, role: p.role, group: p.group), since: since)
        case let .facilitator(workshop, key, since):
            guard let room = room(workshop), Secrets.constantTimeEquals(key, room.record.facilitatorKey) else {
                reply(connection, Outbound.error(re: id, DomainError(.unauthenticated, "Atelier inconnu ou clé d'animation invalide.")))
                return
            }
            welcome(connection, id: id, room: room, actor: .facilitator,
                    you: You(participant: Actor.facilitatorID, token: nil, role: .facilitator, group: nil,
                             joinCode: room.record.joinCode), since: since)
        }
    }

    func lookUp(token: String) -> (WorkshopID, ActorID)? {
        if let t = tokens[token] { return (t.workshop, t.participant) }
        guard let c = try? store.credential(token: token) else { return nil }
        return (c.workshop, c.participant)
    }

    /// Whether `peer` sent its allowance of wrong codes within the minute.
    func codeFailuresExceeded(_ peer: String) -> Bool {
        guard let f = codeFailures[peer] else { return false }
        return clock() - f.since < Self.codeFailureWindowMs && f.count >= Self.maxCodeFailures
    }

    /// Past its wrong codes, an address is slowed, not shut out: a venue's whole room shares one
    /// address, so the right code must still work. Each join by code waits `codeFailureDelayMs`,
    /// a few at a time; more at once are `rate_limited`.
    func delayJoin(_ connection: ConnectionID, id: String, peer: String, _ request: JoinRequest) {
        guard case let .code(code, profile, kind, group, clientKey) = request else { return }
        guard delayedJoins[peer, default: 0] < Self.maxDelayedJoins else {
            reply(connection, Outbound.error(re: id, DomainError(.rateLimited, "Trop de codes erronés depuis cette adresse : patientez quelques secondes avant de réessayer.")))
            return
        }
        delayedJoins[peer, default: 0] += 1
        let transport = self.transport
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(configuration.codeFailureDelayMs)) { [weak self] in
            guard let hub = self else { return }
            transport.post {
                let left = hub.delayedJoins[peer, default: 1] - 1
                hub.delayedJoins[peer] = left > 0 ? left : nil
                guard case .awaitingJoin? = hub.sessions[connection]?.state else { return }
                hub.joinByCode(connection, id: id, peer: peer, code: code, profile: profile, kind: kind, group: group,
                               clientKey: clientKey)
            }
        }
    }

    func joinByCode(_ connection: ConnectionID, id: String, peer: String, code: String, profile: Profile,
                    kind: ActorKind, group: GroupID?, clientKey: String?) {
        let now = clock()
        let normalized = Secrets.normalizeJoinCode(code)
        let workshop = roomsByCode[normalized] ?? (try? store.workshopID(joinCode: normalized)) ?? nil
        guard let workshop, let room = room(workshop) else {
            if codeFailures.count > 10_000 { codeFailures = codeFailures.filter { now - $0.value.since < Self.codeFailureWindowMs } }
            var f = codeFailures[peer] ?? (0, now)
            if now - f.since >= Self.codeFailureWindowMs { f = (0, now) }
            f.count += 1
            codeFailures[peer] = f
            reply(connection, Outbound.error(re: id, DomainError(.notFound, "Aucun atelier ouvert avec ce code. Vérifiez-le auprès de l'animateur.")))
            return
        }
        // A join retried after a lost welcome (same client key) is the same person, not a new one.
        if let clientKey, let participant = room.joinKeys[clientKey], let p = room.state.participants[participant], !p.removed,
           let token = tokens.first(where: { $0.value.workshop == room.record.id && $0.value.participant == participant })?.key {
            welcome(connection, id: id, room: room, actor: Actor(id: p.id, role: p.role),
                    you: You(participant: p.id, token: token, role: p.role, group: p.group), since: nil)
            return
        }
        if let j = joinsPerAddress[peer], now - j.since < Self.codeFailureWindowMs, j.count >= configuration.joinsPerAddressPerMinute {
            reply(connection, Outbound.error(re: id, DomainError(.rateLimited, "Trop d'inscriptions depuis cette adresse : patientez une minute avant de réessayer.")))
            return
        }
        switch reduce(room.state, .joinAsParticipant(profile: profile, actor: kind, group: group), by: .newcomer,
                      context: ReduceContext(nextSeq: room.state.seq + 1, now: now, capacityFactor: configuration.capacityFactor)) {
        case .failure(let error):
            reply(connection, Outbound.error(re: id, error))
        case .success(let bodies):
            guard case .participantJoined(let p)? = bodies.first else { return }
            if joinsPerAddress.count > 10_000 { joinsPerAddress = joinsPerAddress.filter { now - $0.value.since < Self.codeFailureWindowMs } }
            var j = joinsPerAddress[peer] ?? (0, now)
            if now - j.since >= Self.codeFailureWindowMs { j = (0, now) }
            j.count += 1
            joinsPerAddress[peer] = j
            let token = Secrets.token()
            append(bodies, to: room, by: p.id, message: clientKey.map { Room.joinKeyPrefix + $0 })
            if let clientKey { room.joinKeys[clientKey] = p.id }
            pipeline.remember(Credential(workshop: room.record.id, participant: p.id, token: token))
            tokens[token] = (room.record.id, p.id)
            welcome(connection, id: id, room: room, actor: Actor(id: p.id, role: .participant),
                    you: You(participant: p.id, token: token, role: .participant, group: p.group), since: nil)
        }
    }

    /// Answers a join. The welcome is built now, from the state the connection joins at, and sent
    /// once that state is durable; only then does the connection start receiving broadcasts, so it
    /// gets every later event exactly once.
    func welcome(_ connection: ConnectionID, id: String, room: Room, actor: Actor, you: You, since: Int?) {
        let workshop = room.record.id
        sessions[connection]?.state = .joined(workshop: workshop, actor: actor)
        let snapshot: [UInt8]?
        var events: [[UInt8]] = []
        if let since, let missed = room.events(after: since) {
            snapshot = nil
            for recorded in missed {
                let sight = recorded.audience.sight(for: actor)
                if sight != .hidden { events.append(recorded.encoded(for: sight)) }
            }
        } else {
            snapshot = Outbound.snapshot(room.state, for: actor) { [room] in $0 == actor.id || room.isOnline($0) }
        }
        let frame = OutboundFrame(Outbound.welcome(re: id, seq: room.state.seq, you: you, snapshot: snapshot, events: events, now: clock()))
        pipeline.afterCommit { [unowned self, unowned room] committed in
            guard case .joined? = sessions[connection]?.state else { return }
            guard committed else {
                transport.send(OutboundFrame(Outbound.error(re: id, Self.commitError)), to: connection)
                return
            }
            room.members[connection] = actor
            room.online[actor.id, default: 0] += 1
            transport.send(frame, to: connection)
            if room.online[actor.id] == 1 { announcePresence(of: actor.id, online: true, in: room, except: connection) }
        }
    }
}
