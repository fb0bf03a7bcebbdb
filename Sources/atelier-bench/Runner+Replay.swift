import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--replay-seek`: fill one workshop's journal through the server (as `--cold-start` does), then,
/// on a fresh server, time the replay's first timeline (which builds its index from the whole
/// journal) and random seeks to any seq (docs/architecture.md "Replay").
extension Runner {
    func replaySeek() throws -> Report {
        guard o.workshops == 1 else { throw BenchError.failed("--replay-seek measures one workshop: use --workshops 1") }
        let data = o.reuseData ?? "\(workspace)/replay"
        let record = try filledData(data) { $0.codes.count == 1 }
        var runs: [RunResult] = []
        for run in 1...o.runs {
            waitForQuietMachine()
            var r = try seekRun(data: data, code: record.codes[0], run: run)
            r.events = record.events
            r.fillSeconds = record.fillSeconds
            runs.append(r)
            say(String(format: "  run %d: first timeline %.0f ms, %d seeks p50 %.1f ms p99 %.1f ms max %.1f ms", run,
                       r.indexMs ?? -1, r.seekCount ?? 0, r.seekP50Ms ?? -1, r.seekP99Ms ?? -1, r.seekMaxMs ?? -1))
        }
        var atelier = RunResult.median(runs)
        if o.reuseData == nil { atelier.note = "data directory removed after the run (keep it with --reuse-data DIR)" }
        return Report(title: "replay: \(record.events) journaled events in one workshop, restart, first timeline, \(o.seeks) random seeks",
                      mode: .replaySeek, shape: shape, atelier: atelier, atelierRuns: runs, baseline: nil, baselineRuns: [])
    }

    private func json(_ r: HTTP.Response, _ what: String) throws -> [String: Any] {
        guard (200..<300).contains(r.status), let o = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else {
            throw BenchError.failed("\(what) → \(r.status) \(String(decoding: r.body.prefix(300), as: UTF8.self))")
        }
        return o
    }

    func seekRun(data: String, code: String, run: Int) throws -> RunResult {
        let token = "bench-" + UUID().uuidString
        let server = try ServerProcess.startAtelier(o, data: data, token: token, logPath: "\(workspace)/replay-\(run).log")
        defer { server.stop(grace: 60) }
        _ = try server.waitReady(timeout: 300, pollMicros: 1000)
        // The workshop (its code names it) and a facilitator key (the admin API makes a new one).
        let found = try json(try HTTP.request(port: server.port, method: "GET", path: "/api/codes/\(code)"), "GET /api/codes")
        guard let id = found["workshop"] as? String else { throw BenchError.failed("no workshop for code \(code)") }
        let keyed = try json(try HTTP.request(port: server.port, method: "POST", path: "/api/admin/workshops/\(id)/facilitator-key",
                                              headers: ["Authorization": "Bearer \(token)"]), "POST facilitator-key")
        guard let key = keyed["facilitatorKey"] as? String else { throw BenchError.failed("no facilitator key") }
        let auth = ["Authorization": "Bearer \(key)"]
        let started = monotonicNanos()
        let timeline = try json(try HTTP.request(port: server.port, method: "GET", path: "/api/workshops/\(id)/replay",
                                                 headers: auth, timeout: 600), "GET …/replay")
        let indexNanos = monotonicNanos() - started
        guard let last = timeline["last"] as? Int, last >= 1 else { throw BenchError.failed("timeline without events") }
        var rng = SystemRandomNumberGenerator()
        var latencies: [Double] = []
        for _ in 0..<o.seeks {
            let seq = Int.random(in: 1...last, using: &rng)
            let t0 = monotonicNanos()
            let r = try HTTP.request(port: server.port, method: "GET", path: "/api/workshops/\(id)/replay/\(seq)", headers: auth, timeout: 60)
            let ms = Double(monotonicNanos() - t0) / 1e6
            guard r.status == 200, r.body.count > 100 else {
                throw BenchError.failed("seek to \(seq) → \(r.status) \(String(decoding: r.body.prefix(300), as: UTF8.self))")
            }
            latencies.append(ms)
        }
        latencies.sort()
        func pct(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((p / 100 * Double(latencies.count)).rounded(.up)) - 1)] }
        var r = RunResult(server: "atelier")
        r.indexMs = Double(indexNanos) / 1e6
        r.seekCount = latencies.count
        r.seekP50Ms = pct(50)
        r.seekP99Ms = pct(99)
        r.seekMaxMs = latencies.last
        if let s = server.sample() { r.rssBytes = s.rssBytes; r.peakRSSBytes = s.peakRSSBytes; r.cpuPercent = nil }
        return r
    }
}
