/// What the receivers and senders counted during one measured window (service thread only while
/// it runs; copied out at the end).
struct Measurements: Sendable {
    var windowSeconds: Double = 0
    /// Timestamped messages received during the window (each copy of a message counts once).
    var deliveries = 0
    /// WebSocket messages (frames) received during the window: Atelier coalesces what is queued
    /// for a connection into one JSON array, the mirror sends one frame per message.
    var frames = 0
    var latency = LatencyHistogram()
    var ackLatency = LatencyHistogram()
    var sentInWindow = 0
    var acksInWindow = 0
    /// Messages a receiver should have got and did not (gaps in `seq`, or per sender counters,
    /// plus what was still missing when the drain ended).
    var lost: Int64 = 0
    var duplicated: Int64 = 0
    var errors = 0
    var errorCodes: [String: Int] = [:]
    var unexpectedCloses = 0
    var closeCodes: [Int: Int] = [:]
    /// Bytes of one timestamped message as received (the payload the server fans out).
    var messageBytes = 0
    /// Whether every receiver caught up with every sender before the drain timed out.
    var drained = true
    /// Sends later than their schedule by more than 10 ms (open loop): the offered rate was not met.
    var lateSends = 0
    var maxSendLagMs = 0.0
    /// Per second of the window: deliveries, how many took over 50 and 100 ms, and the slowest.
    var timeline: [Second] = []

    struct Second: Sendable {
        var deliveries = 0
        var over50ms = 0
        var over100ms = 0
        var maxMicros: UInt64 = 0
    }

    /// Records one delivery received `index` whole seconds into the window.
    mutating func recordDelivery(latencyNanos: Int64, second index: Int) {
        deliveries += 1
        latency.record(nanos: latencyNanos)
        guard index >= 0, index < 3600 else { return }
        if timeline.count <= index { timeline.append(contentsOf: repeatElement(Second(), count: index + 1 - timeline.count)) }
        let micros = UInt64(max(0, latencyNanos) / 1000)
        timeline[index].deliveries += 1
        if micros > 50_000 { timeline[index].over50ms += 1 }
        if micros > 100_000 { timeline[index].over100ms += 1 }
        if micros > timeline[index].maxMicros { timeline[index].maxMicros = micros }
    }

    var deliveriesPerSecond: Double { windowSeconds > 0 ? Double(deliveries) / windowSeconds : 0 }
    var sentPerSecond: Double { windowSeconds > 0 ? Double(sentInWindow) / windowSeconds : 0 }
    var acksPerSecond: Double { windowSeconds > 0 ? Double(acksInWindow) / windowSeconds : 0 }
    var messagesPerFrame: Double? { frames > 0 ? Double(deliveries + acksInWindow) / Double(frames) : nil }
}
