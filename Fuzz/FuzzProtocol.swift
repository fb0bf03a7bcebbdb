import AtelierDomain
import AtelierProtocol

/// libFuzzer entry: any bytes go through the protocol decoder and, when they decode to a command,
/// through the reducer against a small workshop, as each of its actors. Nothing may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard case .success((_, let message)) = decodeClientMessage(bytes) else { return 0 }
    guard case .command(let command) = message else { return 0 }
    var state = FuzzFixture.workshop
    for actor in FuzzFixture.actors {
        if case .success(let events) = reduce(state, command, by: actor, context: ReduceContext(nextSeq: state.seq + 1, now: 1_000)) {
            for body in events {
                _ = state.audience(of: body, by: actor.id)
                state.apply(Event(seq: state.seq + 1, at: 1_000, by: actor.id, body: body))
                _ = Outbound.event(Event(seq: state.seq, at: 1_000, by: actor.id, body: body), sight: .anonymous, context: .init(revealed: true))
            }
        }
    }
    _ = Outbound.snapshot(state, for: FuzzFixture.actors[1]) { _ in true }
    return 0
}

enum FuzzFixture {
    static let actors = [Actor.facilitator, Actor(id: "p_10", role: .participant), Actor(id: "p_11", role: .participant)]
    static let workshop: Workshop = {
        let columns = [Column(id: "problems", title: "P", kind: .problem), Column(id: "ideas", title: "I", kind: .idea)]
        let blueprint = Blueprint(id: "w", title: "Fuzz", plan: "fuzz",
                                  groups: [Group(id: "g_a", title: "A", theme: ""), Group(id: "g_b", title: "B", theme: "")],
                                  boards: [Board(id: "b_a", title: "A", group: "g_a", columns: columns),
                                           Board(id: "b_b", title: "B", group: "g_b", columns: columns)],
                                  phases: [Phase(id: "problems", title: "P", open: [.problem]),
                                           Phase(id: "ideas", title: "I", open: [.idea], voting: true)],
                                  settings: Settings())
        var w = Workshop.replay(Workshop.creationEvents(blueprint, seeds: [SeedCard(board: "b_a", column: "problems", text: "x")])
            .enumerated().map { Event(seq: $0.offset + 1, at: 0, by: nil, body: $0.element) })!
        for (id, group) in [("p_10", "g_a"), ("p_11", "g_b")] {
            w.apply(Event(seq: w.seq + 1, at: 0, by: id, body: .participantJoined(
                Participant(id: id, role: .participant, actor: .aci, group: group, profile: Profile(name: id, organisation: "")))))
        }
        return w
    }()
}
