import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--cold-start`: fill a data directory through the server, then time restarts on it.
extension Runner {
    struct FillRecord: Codable { var events: Int; var codes: [String]; var fillSeconds: Double }

    /// The journal `data` holds, filled now unless an earlier fill (its `bench-fill.json`) has at
    /// least `--cold-start` events and satisfies `reusable`.
    func filledData(_ data: String, reusable: (FillRecord) -> Bool = { _ in true }) throws -> FillRecord {
        let markerPath = "\(data)/bench-fill.json"
        if let d = FileManager.default.contents(atPath: markerPath), let r = try? JSONDecoder().decode(FillRecord.self, from: d),
           r.events >= o.coldStartEvents, reusable(r) {
            say("reusing \(data): \(r.events) events journaled earlier")
            return r
        }
        try? FileManager.default.removeItem(atPath: data)
        let record = try fill(data: data)
        try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: markerPath))
        return record
    }

    func coldStart() throws -> Report {
        let data = o.reuseData ?? "\(workspace)/cold"
        let record = try filledData(data)
        var runs: [RunResult] = []
        for run in 1...o.runs {
            waitForQuietMachine()
            var r = try restart(data: data, code: record.codes[0], run: run)
            r.events = record.events
            r.fillSeconds = record.fillSeconds
            runs.append(r)
            say(String(format: "  restart %d: /healthz after %.0f ms, welcome after %.0f ms", run, r.healthzMs ?? -1, r.welcomeMs ?? -1))
        }
        var atelier = RunResult.median(runs)
        if o.reuseData == nil { atelier.note = "data directory removed after the run (keep it with --reuse-data DIR)" }
        return Report(title: "cold start: \(record.events) journaled events in \(record.codes.count) workshops, restart → /healthz → welcome",
                      mode: .coldStart, shape: shape, atelier: atelier, atelierRuns: runs, baseline: nil, baselineRuns: [])
    }

    /// Journals `--cold-start` events through a running server: each sender adds a few cards,
    /// then moves them (a workshop's journal is mostly moves and edits of a few hundred cards).
    func fill(data: String) throws -> FillRecord {
        let sizes = [Int](repeating: o.participants, count: o.workshops)
        let setup = try startServer(.atelier, rooms: o.workshops, run: 0, data: data)
        defer { setup.server.stop() }
        guard case .atelier(let codes) = setup.target else { throw BenchError.failed("no workshops") }
        let engine = try Engine(target: setup.target, port: setup.server.port, options: o, roomSizes: sizes)
        defer { engine.shutdown() }
        try connectAll(engine, timeout: 300)
        _ = waitQuiet(engine, timeout: 10)
        let initial = engine.sync { $0.roomSeq.reduce(0, +) }
        var plan = LoadPlan()
        plan.pacing = .closed(window: o.window)
        plan.command = .fill(cardsPerSender: 5)
        plan.totalLimit = max(0, o.coldStartEvents - Int(initial))
        let start = monotonicNanos()
        plan.measureStart = start
        plan.measureEnd = start + 86_400_000_000_000
        let p = plan
        engine.sync { $0.startLoad(p) }
        let limitSeconds = max(600, Double(o.coldStartEvents) / 500)
        var lastLog = start
        while true {
            let (sent, missing, unanswered) = engine.sync { e -> (Int, Int64, Int) in
                let (m, u) = e.outstanding()
                return (e.totalSent, m, u)
            }
            if sent >= plan.totalLimit && missing == 0 && unanswered == 0 { break }
            let now = monotonicNanos()
            if Double(now - start) / 1e9 > limitSeconds { throw BenchError.failed("fill: only \(sent) events after \(Int(limitSeconds)) s") }
            if !setup.server.isRunning { throw BenchError.failed("fill: the server exited:\n\(setup.server.logTail)") }
            if now - lastLog > 5_000_000_000 {
                say(String(format: "  fill: %d/%d (%.0f/s)", sent, plan.totalLimit, Double(sent) / (Double(now - start) / 1e9)))
                lastLog = now
            }
            usleep(50_000)
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let m = engine.sync { $0.finish(drained: true) }
        let events = engine.sync { Int($0.roomSeq.reduce(0, +)) }
        if m.errors > 0 { throw BenchError.failed("fill: \(m.errors) errors \(m.errorCodes)") }
        say(String(format: "  filled %d events in %.1f s (%.0f commands/s)", events, seconds, Double(plan.totalLimit) / seconds))
        return FillRecord(events: events, codes: codes, fillSeconds: seconds)
    }

    /// Starts the server on a filled data directory and times exec → /healthz 200 → a welcome.
    func restart(data: String, code: String, run: Int) throws -> RunResult {
        let token = "bench-" + UUID().uuidString
        // The client context is ready before the exec, so only the server's start is timed.
        let port = try freeLoopbackPort()
        let engine = try Engine(target: .atelier(joinCodes: [code]), port: port, options: o, roomSizes: [1])
        defer { engine.shutdown() }
        let server = try ServerProcess.startAtelier(o, data: data, token: token, logPath: "\(workspace)/restart-\(run).log", port: port)
        defer { server.stop(grace: 60) }
        let healthy = try server.waitReady(timeout: 300, pollMicros: 1000)
        engine.post { $0.beginConnecting() }
        var welcomed: Int64 = 0
        let deadline = monotonicNanos() + 120_000_000_000
        while monotonicNanos() < deadline {
            let p = engine.sync { $0.progress() }
            if p.joined == 1 { welcomed = monotonicNanos(); break }
            if p.failed > 0 { throw BenchError.failed("join after restart failed: \(p.firstError ?? "?")") }
            usleep(500)
        }
        guard welcomed > 0 else { throw BenchError.failed("no welcome 120 s after the restart") }
        var r = RunResult(server: "atelier")
        r.healthzMs = Double(healthy - server.spawnedAt) / 1e6
        r.welcomeMs = Double(welcomed - server.spawnedAt) / 1e6
        if let s = server.sample() { r.rssBytes = s.rssBytes; r.peakRSSBytes = s.peakRSSBytes; r.cpuPercent = nil }
        return r
    }
}
