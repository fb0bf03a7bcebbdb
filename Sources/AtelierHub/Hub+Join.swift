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
            if let (workshop, _) = lookUp(token: token), case .elsewhere = lookUpRoom(workshop) {
                return closeServedElsewhere(connection)
            }
            guard let (workshop, participant) = lookUp(token: token), let room = room(workshop),
                  let p = room.state.participants[participant], !p.removed else {
                reply(connection, Outbound.error(re: id, DomainError(.unauthenticated, "Jeton inconnu ou expiré : rejoignez l'atelier avec son code.")))
                return
            }
            welcome(connection, id: id, room: room, actor: room.state.actor(for: p),
                    you: You(participant: p.id, token: token, role: p.role, group: p.group), since: since)
        case let .invitation(workshop, secret, profile, kind, clientKey):
            if codeFailuresExceeded(session.peer) {
                reply(connection, Outbound.error(re: id, DomainError(.rateLimited, "Trop de tentatives erronées depuis cette adresse : patientez une minute avant de réessayer.")))
                return
            }
            joinByInvitation(connection, id: id, peer: session.peer, workshop: workshop, secret: secret, profile: profile,
                             kind: kind, clientKey: clientKey)
        case let .facilitator(workshop, key, since):
            if case .elsewhere = lookUpRoom(workshop) { return closeServedElsewhere(connection) }
            guard let room = room(workshop), facilitatorKeyOpens(key, room.record) else {
                reply(connection, Outbound.error(re: id, DomainError(.unauthenticated, "Atelier inconnu ou clé d'animation invalide.")))
                return
            }
            welcome(connection, id: id, room: room, actor: .facilitator,
                    you: You(participant: Actor.facilitatorID, token: nil, role: .facilitator, group: nil,
                             joinCode: room.record.joinCode), since: since)
        }
    }

    /// Whom a resume token opens: tokens are held, like in the database, by their digest.
    func lookUp(token: String) -> (WorkshopID, ActorID)? {
        if let t = tokens[Secrets.digest(token)] { return (t.workshop, t.participant) }
        guard let c = try? store.credential(token: token) else { return nil }
        return (c.workshop, c.participant)
    }

    /// One more wrong code from `peer` this minute.
    func recordCodeFailure(_ peer: String) {
        let now = clock()
        if codeFailures.count > 10_000 { codeFailures = codeFailures.filter { now - $0.value.since < Self.codeFailureWindowMs } }
        var f = codeFailures[peer] ?? (0, now)
        if now - f.since >= Self.codeFailureWindowMs { f = (0, now) }
        f.count += 1
        codeFailures[peer] = f
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
        if let workshop, case .elsewhere = lookUpRoom(workshop) { return closeServedElsewhere(connection) }
        guard let workshop, let room = room(workshop) else {
            recordCodeFailure(peer)
            reply(connection, Outbound.error(re: id, DomainError(.notFound, "Aucun atelier ouvert avec ce code. Vérifiez-le auprès de l'animateur.")))
            return
        }
        // A join retried after a lost welcome (same client key) is the same person, not a new one.
        // It gets the token it was given (held in memory for this; only its digest is stored), or
        // after a restart a new one, which replaces the first.
        if let clientKey, let participant = room.joinKeys[clientKey], let p = room.state.participants[participant], !p.removed {
            let token = room.issuedTokens[participant] ?? issueToken(for: participant, in: room)
            welcome(connection, id: id, room: room, actor: room.state.actor(for: p),
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
            append(bodies, to: room, by: p.id, message: clientKey.map { Room.joinKeyPrefix + $0 })
            if let clientKey { room.joinKeys[clientKey] = p.id }
            let token = issueToken(for: p.id, in: room)
            welcome(connection, id: id, room: room, actor: Actor(id: p.id, role: .participant),
                    you: You(participant: p.id, token: token, role: .participant, group: p.group), since: nil)
        }
    }

    /// Someone invited into a working group: the secret is matched, by its digest, against the
    /// live invitations of the workshop's groups; they join the group's table, confined to it.
    func joinByInvitation(_ connection: ConnectionID, id: String, peer: String, workshop: WorkshopID, secret: String,
                          profile: Profile, kind: ActorKind, clientKey: String?) {
        if case .elsewhere = lookUpRoom(workshop) { return closeServedElsewhere(connection) }
        let digest = Secrets.digest(secret)
        guard let room = room(workshop),
              let (group, invitation) = room.state.workingGroups.values.lazy.compactMap({ g in
                  g.invitations.values.first { Secrets.constantTimeEquals($0.digest, digest) }.map { (g.group.group, $0.id) }
              }).first else {
            recordCodeFailure(peer)
            reply(connection, Outbound.error(re: id, DomainError(.unauthenticated, "Ce lien d'invitation n'est pas (ou plus) valable : demandez-en un nouveau à l'animateur.")))
            return
        }
        if let clientKey, let participant = room.joinKeys[clientKey], let p = room.state.participants[participant], !p.removed,
           p.guestOf == group {
            let token = room.issuedTokens[participant] ?? issueToken(for: participant, in: room)
            welcome(connection, id: id, room: room, actor: room.state.actor(for: p),
                    you: You(participant: p.id, token: token, role: p.role, group: p.group), since: nil)
            return
        }
        switch decide(.joinAsGuest(profile: profile, actor: kind, group: group, invitation: invitation), in: room, by: .newcomer) {
        case .failure(let error):
            reply(connection, Outbound.error(re: id, error))
        case .success(let bodies):
            guard case .participantJoined(let p)? = bodies.first else { return }
            append(bodies, to: room, by: p.id, message: clientKey.map { Room.joinKeyPrefix + $0 })
            if let clientKey { room.joinKeys[clientKey] = p.id }
            let token = issueToken(for: p.id, in: room)
            welcome(connection, id: id, room: room, actor: room.state.actor(for: p),
                    you: You(participant: p.id, token: token, role: .participant, group: p.group), since: nil)
        }
    }

    /// `group.invite`: a new invitation link for a working group. Its secret is drawn here, only
    /// its digest is journaled; the secret goes once, in the ack, to the facilitator who asked.
    func inviteToGroup(_ group: GroupID, id: String, from connection: ConnectionID) {
        guard let (room, actor) = joinedRoom(connection, id: id) else { return }
        if let previous = room.answer(for: id, by: actor.id) { return reply(connection, previous) }
        let secret = Secrets.token()
        switch decide(.groupInvite(group: group, digest: Secrets.digest(secret)), in: room, by: actor) {
        case .failure(let error):
            reply(connection, Outbound.error(re: id, error))
        case .success(let bodies):
            append(bodies, to: room, by: actor.id, message: id)
            let ack = Outbound.ack(re: id, seq: room.state.seq, result: ackResult(for: bodies) + [("secret", secret)])
            room.remember(ack, for: id, by: actor.id)
            let frame = OutboundFrame(ack)
            pipeline.afterCommit { [unowned self] committed in
                guard sessions[connection] != nil else { return }
                transport.send(committed ? frame : OutboundFrame(Outbound.error(re: id, Self.commitError)), to: connection)
            }
        }
    }

    /// Answers a join. The welcome is built now, from the state the connection joins at, and sent
    /// once that state is durable; only then does the connection start receiving broadcasts, so it
    /// gets every later event exactly once.
    func welcome(_ connection: ConnectionID, id: String, room: Room, actor: Actor, you: You, since: Int?) {
        // Welcomes waiting for this address already fill its budget (readers that read nothing):
        // no snapshot is built for a connection that would be refused it.
        guard transport.admitsWelcome(connection) else {
            sessions[connection]?.state = .closing
            transport.close(connection, code: CloseCode.tryAgainLater, reason: "Serveur occupé : nouvelle tentative dans un instant.")
            return
        }
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
        let frame = OutboundFrame(Outbound.welcome(re: id, seq: room.state.seq, you: you, snapshot: snapshot, events: events, now: clock(),
                                                   voters: room.state.voterCount))
        pipeline.afterCommit { [unowned self, unowned room] committed in
            guard case .joined? = sessions[connection]?.state else { return }
            guard committed else {
                transport.send(OutboundFrame(Outbound.error(re: id, Self.commitError)), to: connection)
                return
            }
            room.members[connection] = actor
            room.online[actor.id, default: 0] += 1
            logger.info("joined", metadata: ["workshop": "\(workshop)", "participant": "\(actor.id)",
                                             "role": "\(actor.role)", "resume": "\(since != nil)"])
            transport.sendWelcome(frame, to: connection)
            if room.online[actor.id] == 1 { announcePresence(of: actor.id, online: true, in: room, except: connection) }
        }
    }

    /// A fresh resume token for a participant: stored as its digest (replacing any earlier one),
    /// sent to the participant once, in clear, in the welcome.
    func issueToken(for participant: ActorID, in room: Room) -> String {
        let token = Secrets.token()
        let digest = Secrets.digest(token)
        tokens = tokens.filter { !($0.value.workshop == room.record.id && $0.value.participant == participant) }
        pipeline.remember(Credential(workshop: room.record.id, participant: participant, tokenDigest: digest))
        tokens[digest] = (room.record.id, participant)
        room.issuedTokens[participant] = token
        return token
    }

    /// A new facilitator key for a workshop whose link was lost: the old key stops working at
    /// once (connections already open stay), the new one is given once, to whoever asked.
    func replaceFacilitatorKey(of room: Room) -> String {
        let key = Secrets.token()
        room.record.facilitatorKeyDigest = Secrets.digest(key)
        pipeline.replaceFacilitatorKey(of: room.record.id, digest: room.record.facilitatorKeyDigest)
        return key
    }
}
