import Foundation

/// One measurement of one server (or the median of several).
struct RunResult: Sendable {
    var server: String
    var rate: Double?
    var offeredPerSecond: Double?
    var deliveriesPerSecond: Double?
    var sentPerSecond: Double?
    var p50Ms: Double?
    var p99Ms: Double?
    var maxMs: Double?
    var ackP50Ms: Double?
    var ackP99Ms: Double?
    var commandsPerSecond: Double?
    var lost: Int64 = 0
    var duplicated: Int64 = 0
    var errors = 0
    var closes = 0
    var drained = true
    var rssBytes: Int?
    var peakRSSBytes: Int?
    var cpuPercent: Double?
    /// Server CPU time per 10,000 deliveries (ms): what a delivery costs, whatever the rate.
    var cpuMsPer10kDeliveries: Double? {
        guard let rate = deliveriesPerSecond, rate > 0, let c = cpuPercent else { return nil }
        return c / 100 / rate * 10_000 * 1000
    }
    var clientCPUPercent: Double?
    /// CPU used by other processes of the machine during the window.
    var otherCPUPercent: Double?
    var messageBytes: Int?
    var messagesPerFrame: Double?
    // --connections
    var connections: Int?
    var rssBeforeBytes: Int?
    var rssPerConnectionBytes: Double?
    // --cold-start
    var events: Int?
    var healthzMs: Double?
    var welcomeMs: Double?
    var fillSeconds: Double?
    // --replay-seek
    var indexMs: Double?
    var seekP50Ms: Double?
    var seekP99Ms: Double?
    var seekMaxMs: Double?
    var seekCount: Int?
    // --cluster: milliseconds from each kill -9 to the first ack on the node that took over
    var takeovers: [Double] = []
    var takeoverP50Ms: Double?
    var takeoverP99Ms: Double?
    // --saturate
    var steps: [RunResult] = []
    var sustained: Bool?
    var stopReason: String?
    var note: String?

    init(server: String) { self.server = server }

    /// Fills the delivery fields from a window's counters.
    mutating func take(_ m: Measurements) {
        deliveriesPerSecond = m.deliveriesPerSecond
        sentPerSecond = m.sentPerSecond
        p50Ms = m.latency.millis(50)
        p99Ms = m.latency.millis(99)
        maxMs = m.latency.maxMillis
        ackP50Ms = m.ackLatency.millis(50)
        ackP99Ms = m.ackLatency.millis(99)
        if m.acksInWindow > 0 { commandsPerSecond = m.acksPerSecond }
        lost = m.lost
        duplicated = m.duplicated
        errors = m.errors
        closes = m.unexpectedCloses
        drained = m.drained
        messageBytes = m.messageBytes > 0 ? m.messageBytes : nil
        messagesPerFrame = m.messagesPerFrame
    }

    /// The median of each measured value over runs; counts of lost, duplicated, errors and closes
    /// are summed (any of them in any run matters).
    static func median(_ runs: [RunResult]) -> RunResult {
        guard var out = runs.first else { return RunResult(server: "?") }
        if runs.count == 1 { return out }
        func med(_ f: (RunResult) -> Double?) -> Double? { Statistics.median(runs.compactMap(f)) }
        func medInt(_ f: (RunResult) -> Int?) -> Int? { med { f($0).map(Double.init) }.map { Int($0.rounded()) } }
        out.rate = med(\.rate)
        out.offeredPerSecond = med(\.offeredPerSecond)
        out.deliveriesPerSecond = med(\.deliveriesPerSecond)
        out.sentPerSecond = med(\.sentPerSecond)
        out.p50Ms = med(\.p50Ms)
        out.p99Ms = med(\.p99Ms)
        out.maxMs = med(\.maxMs)
        out.ackP50Ms = med(\.ackP50Ms)
        out.ackP99Ms = med(\.ackP99Ms)
        out.commandsPerSecond = med(\.commandsPerSecond)
        out.rssBytes = medInt(\.rssBytes)
        out.peakRSSBytes = medInt(\.peakRSSBytes)
        out.cpuPercent = med(\.cpuPercent)
        out.clientCPUPercent = med(\.clientCPUPercent)
        out.otherCPUPercent = med(\.otherCPUPercent)
        out.messageBytes = medInt(\.messageBytes)
        out.messagesPerFrame = med(\.messagesPerFrame)
        out.rssBeforeBytes = medInt(\.rssBeforeBytes)
        out.rssPerConnectionBytes = med(\.rssPerConnectionBytes)
        out.events = medInt(\.events)
        out.healthzMs = med(\.healthzMs)
        out.welcomeMs = med(\.welcomeMs)
        out.fillSeconds = med(\.fillSeconds)
        out.indexMs = med(\.indexMs)
        out.seekP50Ms = med(\.seekP50Ms)
        out.seekP99Ms = med(\.seekP99Ms)
        out.seekMaxMs = med(\.seekMaxMs)
        out.seekCount = medInt(\.seekCount)
        out.lost = runs.reduce(0) { $0 + $1.lost }
        out.duplicated = runs.reduce(0) { $0 + $1.duplicated }
        out.errors = runs.reduce(0) { $0 + $1.errors }
        out.closes = runs.reduce(0) { $0 + $1.closes }
        out.drained = runs.allSatisfy(\.drained)
        out.steps = []
        out.stopReason = nil
        return out
    }

    func json(includeSteps: Bool = true) -> [String: Any] {
        var d: [String: Any] = ["server": server]
        func put(_ key: String, _ v: Double?, digits: Int = 3) {
            if let v, v.isFinite { d[key] = (v * pow(10, Double(digits))).rounded() / pow(10, Double(digits)) } else { d[key] = NSNull() }
        }
        func put(_ key: String, _ v: Int?) { if let v { d[key] = v } else { d[key] = NSNull() } }
        put("deliveries_per_s", deliveriesPerSecond, digits: 1)
        put("offered_per_s", offeredPerSecond, digits: 1)
        put("sent_per_s", sentPerSecond, digits: 1)
        put("rate_per_participant", rate)
        put("p50_ms", p50Ms)
        put("p99_ms", p99Ms)
        put("max_ms", maxMs)
        put("ack_p50_ms", ackP50Ms)
        put("ack_p99_ms", ackP99Ms)
        put("commands_per_s", commandsPerSecond, digits: 1)
        d["lost"] = lost
        d["duplicated"] = duplicated
        d["errors"] = errors
        d["closes"] = closes
        d["drained"] = drained
        put("rss_bytes", rssBytes)
        put("peak_rss_bytes", peakRSSBytes)
        put("cpu_percent", cpuPercent, digits: 1)
        put("client_cpu_percent", clientCPUPercent, digits: 1)
        put("other_cpu_percent", otherCPUPercent, digits: 1)
        if let rate = deliveriesPerSecond, let c = cpuPercent, c > 0 { d["deliveries_per_cpu_s"] = (rate / (c / 100)).rounded() }
        if let ms = cpuMsPer10kDeliveries { d["cpu_ms_per_10k_deliveries"] = (ms * 100).rounded() / 100 }
        put("message_bytes", messageBytes)
        put("messages_per_frame", messagesPerFrame)
        if connections != nil {
            put("connections", connections)
            put("rss_before_bytes", rssBeforeBytes)
            put("rss_per_connection_bytes", rssPerConnectionBytes, digits: 0)
        }
        if events != nil || healthzMs != nil {
            put("events", events)
            put("healthz_ms", healthzMs, digits: 1)
            put("welcome_ms", welcomeMs, digits: 1)
            put("fill_s", fillSeconds, digits: 1)
        }
        if seekCount != nil {
            put("index_ms", indexMs, digits: 1)
            put("seeks", seekCount)
            put("seek_p50_ms", seekP50Ms, digits: 2)
            put("seek_p99_ms", seekP99Ms, digits: 2)
            put("seek_max_ms", seekMaxMs, digits: 2)
        }
        if !takeovers.isEmpty {
            put("takeover_p50_ms", takeoverP50Ms, digits: 1)
            put("takeover_p99_ms", takeoverP99Ms, digits: 1)
            d["takeovers_ms"] = takeovers.map { ($0 * 10).rounded() / 10 }
        }
        if let sustained { d["sustained"] = sustained }
        if let stopReason { d["stop_reason"] = stopReason }
        if let note { d["note"] = note }
        if includeSteps && !steps.isEmpty { d["steps"] = steps.map { $0.json(includeSteps: false) } }
        return d
    }
}

enum Statistics {
    /// The median (mean of the two middle values for an even count); nil when empty.
    static func median(_ values: [Double]) -> Double? {
        let v = values.filter(\.isFinite).sorted()
        guard !v.isEmpty else { return nil }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }
}

/// What one invocation prints: a table, or one JSON object.
struct Report {
    var title: String
    var mode: Options.Mode
    var shape: [String: Any]
    var atelier: RunResult
    var atelierRuns: [RunResult]
    var baseline: RunResult?
    var baselineRuns: [RunResult]
    var baselineLabel = "lws mirror (raw)"

    func jsonString() -> String {
        var d = atelier.json()
        d["mode"] = mode.rawValue
        d["shape"] = shape
        d["runs"] = atelierRuns.count
        if atelierRuns.count > 1 { d["each_run"] = atelierRuns.map { $0.json(includeSteps: false) } }
        if let baseline {
            var b = baseline.json()
            if baselineRuns.count > 1 { b["each_run"] = baselineRuns.map { $0.json(includeSteps: false) } }
            d["baseline"] = b
            var ratio: [String: Any] = [:]
            if let a = atelier.deliveriesPerSecond, let r = baseline.deliveriesPerSecond, r > 0 { ratio["deliveries_per_s"] = (a / r * 1000).rounded() / 1000 }
            if let a = atelier.p99Ms, let r = baseline.p99Ms, r > 0 { ratio["p99_ms"] = (a / r * 1000).rounded() / 1000 }
            if let a = atelier.rssPerConnectionBytes, let r = baseline.rssPerConnectionBytes, r > 0 { ratio["rss_per_connection_bytes"] = (a / r * 1000).rounded() / 1000 }
            if let a = atelier.commandsPerSecond, let r = baseline.commandsPerSecond, r > 0 { ratio["commands_per_s"] = (a / r * 1000).rounded() / 1000 }
            d["ratio"] = ratio
        } else {
            d["baseline"] = NSNull()
        }
        let data = (try? JSONSerialization.data(withJSONObject: d, options: [.sortedKeys, .prettyPrinted])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    func table() -> String {
        var lines = [title]
        let runsNote = atelierRuns.count > 1 ? " (median of \(atelierRuns.count) runs; lost/dup/errors summed)" : ""
        switch mode {
        case .fanout, .saturate:
            var header = ["server", "rate/p", "offered/s", "deliv/s", "p50 ms", "p99 ms", "max ms", "ack p50", "ack p99",
                          "lost", "dup", "err", "closes", "msg/frame", "RSS MiB", "CPU %", "CPU ms/10k deliv", "bench CPU %", "other CPU %"]
            var rows: [[String]] = []
            func row(_ name: String, _ r: RunResult) -> [String] {
                [name, f(r.rate, 2), f(r.offeredPerSecond, 0), f(r.deliveriesPerSecond, 0), f(r.p50Ms, 2), f(r.p99Ms, 2), f(r.maxMs, 1),
                 f(r.ackP50Ms, 2), f(r.ackP99Ms, 2), "\(r.lost)", "\(r.duplicated)", "\(r.errors)", "\(r.closes)",
                 f(r.messagesPerFrame, 1), mib(r.rssBytes), f(r.cpuPercent, 0), f(r.cpuMsPer10kDeliveries, 1), f(r.clientCPUPercent, 0), f(r.otherCPUPercent, 0)]
            }
            if mode == .saturate {
                header[0] = "step"
                for s in atelierRuns.first?.steps ?? [] { rows.append(row("atelier" + (s.sustained == true ? "" : " ✗"), s)) }
                for s in baselineRuns.first?.steps ?? [] { rows.append(row("mirror" + (s.sustained == true ? "" : " ✗"), s)) }
                if !rows.isEmpty { lines.append("steps of the first run (✗: not sustained):"); lines.append(render([header] + rows)); rows = [] }
                header[0] = "best sustained"
                lines.append("best sustained step\(runsNote):")
            } else if !runsNote.isEmpty {
                lines.append(runsNote.trimmingCharacters(in: .whitespaces))
            }
            rows.append(row("atelier", atelier))
            if let baseline { rows.append(row(baselineLabel, baseline)) }
            lines.append(render([header] + rows))
            if let baseline {
                lines.append("atelier ÷ raw: deliveries/s \(ratio(atelier.deliveriesPerSecond, baseline.deliveriesPerSecond)), p99 \(ratio(atelier.p99Ms, baseline.p99Ms)), RSS \(ratio(atelier.rssBytes.map(Double.init), baseline.rssBytes.map(Double.init))), CPU per delivery \(ratio(atelier.cpuMsPer10kDeliveries, baseline.cpuMsPer10kDeliveries))")
            }
            if let m = atelier.messageBytes { lines.append("atelier card.added message: \(m) bytes; mirror message: \(baseline?.messageBytes.map(String.init) ?? "-") bytes") }
        case .connections:
            let header = ["server", "connections", "RSS before MiB", "RSS after MiB", "per connection KiB", "CPU %"]
            var rows: [[String]] = []
            func row(_ name: String, _ r: RunResult) -> [String] {
                [name, "\(r.connections ?? 0)", mib(r.rssBeforeBytes), mib(r.rssBytes), f(r.rssPerConnectionBytes.map { $0 / 1024 }, 2), f(r.cpuPercent, 0)]
            }
            if !runsNote.isEmpty { lines.append(runsNote.trimmingCharacters(in: .whitespaces)) }
            rows.append(row("atelier", atelier))
            if let baseline { rows.append(row(baselineLabel, baseline)) }
            lines.append(render([header] + rows))
            if let baseline { lines.append("atelier ÷ raw per connection: \(ratio(atelier.rssPerConnectionBytes, baseline.rssPerConnectionBytes))") }
        case .journal:
            let header = ["server", "commands/s", "ack p50 ms", "ack p99 ms", "deliv/s", "lost", "err", "RSS MiB", "CPU %", "bench CPU %"]
            var rows: [[String]] = []
            if !runsNote.isEmpty { lines.append(runsNote.trimmingCharacters(in: .whitespaces)) }
            rows.append([atelier.server, f(atelier.commandsPerSecond, 0), f(atelier.ackP50Ms, 2), f(atelier.ackP99Ms, 2), f(atelier.deliveriesPerSecond, 0),
                         "\(atelier.lost)", "\(atelier.errors)", mib(atelier.rssBytes), f(atelier.cpuPercent, 0), f(atelier.clientCPUPercent, 0)])
            if let baseline, baselineLabel == "atelier on SQLite" {
                rows.append([baselineLabel, f(baseline.commandsPerSecond, 0), f(baseline.ackP50Ms, 2), f(baseline.ackP99Ms, 2), f(baseline.deliveriesPerSecond, 0),
                             "\(baseline.lost)", "\(baseline.errors)", mib(baseline.rssBytes), f(baseline.cpuPercent, 0), f(baseline.clientCPUPercent, 0)])
            } else if let baseline {
                rows.append([baselineLabel, f(baseline.commandsPerSecond, 0), f(baseline.ackP50Ms, 3), f(baseline.ackP99Ms, 3), "-", "-", "-", "-", "-", "-"])
            }
            lines.append(render([header] + rows))
            if let baseline {
                let against = baselineLabel == "atelier on SQLite" ? "PostgreSQL ÷ SQLite" : "atelier ÷ unbatched fdatasync ceiling"
                lines.append("\(against): \(ratio(atelier.commandsPerSecond, baseline.commandsPerSecond))")
            }
        case .cluster:
            let header = ["servers", "kills", "takeover p50 ms", "takeover p99 ms", "max ms", "lost", "dup"]
            lines.append(render([header, [atelier.server, "\(atelier.takeovers.count)", f(atelier.takeoverP50Ms, 0), f(atelier.takeoverP99Ms, 0),
                                          f(atelier.maxMs, 0), "\(atelier.lost)", "\(atelier.duplicated)"]]))
            lines.append("each takeover, ms: " + atelier.takeovers.map { f($0, 0) }.joined(separator: ", "))
        case .replaySeek:
            let header = ["server", "events", "first timeline (index) ms", "seeks", "seek p50 ms", "seek p99 ms", "seek max ms", "RSS MiB", "fill s"]
            if !runsNote.isEmpty { lines.append(runsNote.trimmingCharacters(in: .whitespaces)) }
            lines.append(render([header, ["atelier", "\(atelier.events ?? 0)", f(atelier.indexMs, 0), "\(atelier.seekCount ?? 0)",
                                          f(atelier.seekP50Ms, 1), f(atelier.seekP99Ms, 1), f(atelier.seekMaxMs, 1),
                                          mib(atelier.rssBytes), f(atelier.fillSeconds, 1)]]))
        case .coldStart:
            let header = ["server", "events", "exec → /healthz ms", "exec → welcome ms", "RSS MiB", "fill s"]
            if !runsNote.isEmpty { lines.append(runsNote.trimmingCharacters(in: .whitespaces)) }
            lines.append(render([header, ["atelier", "\(atelier.events ?? 0)", f(atelier.healthzMs, 0), f(atelier.welcomeMs, 0),
                                          mib(atelier.rssBytes), f(atelier.fillSeconds, 1)]]))
        }
        if let note = atelier.note { lines.append("note: \(note)") }
        if let reason = atelier.stopReason { lines.append("atelier stopped: \(reason)") }
        if let reason = baseline?.stopReason { lines.append("mirror stopped: \(reason)") }
        return lines.joined(separator: "\n")
    }

    func f(_ v: Double?, _ digits: Int) -> String {
        guard let v, v.isFinite else { return "-" }
        return String(format: "%.\(digits)f", v)
    }
    func mib(_ v: Int?) -> String { v.map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "-" }
    func ratio(_ a: Double?, _ b: Double?) -> String {
        guard let a, let b, b > 0 else { return "-" }
        return String(format: "%.2f×", a / b)
    }

    func render(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { i in rows.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
