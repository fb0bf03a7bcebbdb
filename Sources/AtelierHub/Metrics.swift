import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation
import Prometheus

/// What `GET /metrics` reports (Prometheus text format, swift-prometheus), behind the admin token.
/// Counters are kept as things happen; gauges are read when scraped (docs/deploy.md "Metrics").
final class HubMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    /// By message type and result (`ack` or the error's code): both from closed lists, so the
    /// label sets stay bounded whatever clients send.
    private var commands: [String: [String: Counter]] = [:]
    let rateLimited: Counter
    let commitBatchEvents: ValueHistogram
    let commitSeconds: DurationHistogram
    let connections: Gauge, sockets: Gauge, rooms: Gauge, queuedBytes: Gauge
    let slowReadersDropped: Gauge, refusedSockets: Gauge, journalBytes: Gauge, residentBytes: Gauge

    init() {
        rateLimited = registry.makeCounter(name: "atelier_rate_limited_total", help: "Messages refused for going too fast (rate_limited).")
        commitBatchEvents = registry.makeValueHistogram(name: "atelier_commit_batch_events", buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
                                                        help: "Events written by one group commit.")
        commitSeconds = registry.makeDurationHistogram(name: "atelier_commit_seconds",
                                                       buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                                 .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                                 .milliseconds(500), .seconds(1)],
                                                       help: "Time of one group commit (one transaction, durable when it returns).")
        connections = registry.makeGauge(name: "atelier_websocket_connections", help: "Open WebSocket connections.")
        sockets = registry.makeGauge(name: "atelier_tcp_connections", help: "Open TCP connections (HTTP, WebSocket, not yet either).")
        rooms = registry.makeGauge(name: "atelier_rooms", help: "Workshops in memory.")
        queuedBytes = registry.makeGauge(name: "atelier_delivery_queue_bytes", help: "Bytes waiting to be written to clients.")
        slowReadersDropped = registry.makeGauge(name: "atelier_slow_readers_dropped", help: "Connections dropped for reading too slowly (4001), since start.")
        refusedSockets = registry.makeGauge(name: "atelier_refused_connections", help: "TCP connections refused by the per-address cap, since start.")
        journalBytes = registry.makeGauge(name: "atelier_journal_bytes", help: "Size of the journal: the SQLite database and its WAL, or the PostgreSQL tables.")
        residentBytes = registry.makeGauge(name: "process_resident_memory_bytes", help: "Resident memory of the server process.")
    }

    /// Counts one message (on the loop; no string is built on this path).
    func command(_ type: String, result: String) {
        if let c = commands[type]?[result] { c.increment(); return }
        let c = registry.makeCounter(name: "atelier_commands_total", labels: [("type", type), ("result", result)],
                                     help: "Client messages handled, by type and result.")
        commands[type, default: [:]][result] = c
        c.increment()
    }

    /// The text a scrape gets, with the gauges read now.
    func scrape(transport: TransportStatistics, rooms roomCount: Int, journalBytes journalSize: Int?) -> [UInt8] {
        connections.set(Double(transport.webSockets))
        sockets.set(Double(transport.sockets))
        queuedBytes.set(Double(transport.queuedBytes))
        slowReadersDropped.set(Double(transport.slowReadersDropped))
        refusedSockets.set(Double(transport.refusedSockets))
        rooms.set(Double(roomCount))
        if let journalSize { journalBytes.set(Double(journalSize)) }
        residentBytes.set(Double(Self.residentBytes()))
        return registry.emitToBuffer()
    }

    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return 0
    }
}
