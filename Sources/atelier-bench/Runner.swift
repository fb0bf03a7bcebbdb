import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one mode against Atelier (and the baseline when asked), `--runs` times, servers started
/// fresh for every run and interleaved (Atelier, baseline, Atelier, …) so drift hits both alike.
struct Runner {
    let o: Options
    let workspace: String

    init(options: Options) throws {
        o = options
        // A private scratch directory for the servers' data (mkdtemp fills in the X's).
        let tmp = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let template = tmp + "/atelier-bench-XXXXXX"
        var chars = Array(template.utf8CString)
        guard mkdtemp(&chars) != nil else { throw BenchError.failed("mkdtemp failed") }
        workspace = String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: workspace) }

    func say(_ s: String) { if o.verbose { log("[bench] " + s) } }

    func run() throws -> Report {
        switch o.mode {
        case .fanout: return try repeated(title: fanoutTitle) { try fanout(kind: $0, run: $1) }
        case .saturate: return try repeated(title: "saturation: \(o.workshops) × \(o.participants), rate from \(o.rate)/s ×\(o.stepFactor) per step, \(o.stepDuration) s steps, until p99 > \(o.p99LimitMs) ms or loss") { try saturate(kind: $0, run: $1) }
        case .connections: return try repeated(title: "idle connections: \(o.connections) \(o.noJoin ? "open WebSockets, never joined" : "joined (\(o.participants) per workshop)"), RSS per connection") { try connections(kind: $0, run: $1) }
        case .journal: return try repeated(title: "durable commands: \(o.workshops) × \(o.participants) senders, \(o.window) in flight each, \(o.duration) s"
                                           + (o.database != nil ? ", PostgreSQL then SQLite in each run" : "")) { try journal(kind: $0, run: $1) }
        case .coldStart: return try coldStart()
        case .replaySeek: return try replaySeek()
        case .cluster: return try cluster()
        }
    }

    var fanoutTitle: String {
        "fan-out: \(o.workshops) workshop(s) × \(o.participants) participants, \(o.rate) change/s each, \(o.duration) s (+\(o.warmup) s warm-up)"
            + (o.idle > 0 ? ", with \(o.idle) idle joined connections in other workshops" : "")
    }

    var shape: [String: Any] {
        ["workshops": o.workshops, "participants": o.participants, "rate": o.rate, "duration_s": o.duration,
         "warmup_s": o.warmup, "window": o.window, "connections": o.connections, "cold_start_events": o.coldStartEvents,
         "idle": o.idle]
    }

    private func repeated(title: String, _ one: (ServerProcess.Kind, Int) throws -> RunResult) throws -> Report {
        var atelierRuns: [RunResult] = []
        var baselineRuns: [RunResult] = []
        for run in 1...o.runs {
            waitForQuietMachine()
            say("run \(run)/\(o.runs): atelier")
            atelierRuns.append(try one(.atelier, run))
            if o.baseline || (o.mode == .journal && o.database != nil) {
                waitForQuietMachine()
                say("run \(run)/\(o.runs): baseline")
                baselineRuns.append(try one(.mirror, run))
            }
        }
        var atelier = RunResult.median(atelierRuns)
        var baseline = baselineRuns.isEmpty ? nil : RunResult.median(baselineRuns)
        if o.mode == .saturate {
            atelier.steps = atelierRuns.first?.steps ?? []
            atelier.stopReason = atelierRuns.first?.stopReason
            baseline?.steps = baselineRuns.first?.steps ?? []
            baseline?.stopReason = baselineRuns.first?.stopReason
        }
        var report = Report(title: title, mode: o.mode, shape: shape, atelier: atelier, atelierRuns: atelierRuns,
                            baseline: baseline, baselineRuns: baselineRuns)
        if o.mode == .journal { report.baselineLabel = o.database != nil ? "atelier on SQLite" : "fdatasync (unbatched)" }
        return report
    }

    /// The bench shares two cores with whatever else runs: before a run, wait (up to
    /// `--quiet-wait` s) until other processes use under 15 % of the machine for a second.
    func waitForQuietMachine() {
        let deadline = monotonicNanos() + Int64(o.quietWait * 1e9)
        var busy = 0.0
        repeat {
            guard let b0 = MachineCPU.busySeconds() else { return }
            let t0 = monotonicNanos()
            sleepSeconds(1)
            guard let b1 = MachineCPU.busySeconds() else { return }
            busy = (b1 - b0) / (Double(monotonicNanos() - t0) / 1e9) * 100
            if busy < 15 { return }
            say(String(format: "machine busy (%.0f%% CPU used by other processes): waiting", busy))
        } while monotonicNanos() < deadline
        log(String(format: "atelier-bench: warning: the machine stayed busy (%.0f%% CPU) for %.0f s; measuring anyway", busy, o.quietWait))
    }

    // MARK: - Servers and connections

    /// A started server and the rooms the engine will use on it.
    struct Setup {
        var server: ServerProcess
        var target: Engine.Target
        var data: String?
    }

    /// `database`: Atelier on this PostgreSQL URL (a schema of its own), else on SQLite.
    func startServer(_ kind: ServerProcess.Kind, rooms: Int, run: Int, data: String? = nil, database: String? = nil) throws -> Setup {
        switch kind {
        case .haproxy:
            throw BenchError.failed("HAProxy is started by --cluster only")
        case .atelier:
            let dir = data ?? "\(workspace)/data-\(run)-\(UUID().uuidString.prefix(8))"
            let token = "bench-" + UUID().uuidString
            let server = try ServerProcess.startAtelier(o, data: dir, token: token, logPath: "\(workspace)/atelier-\(run)\(database == nil ? "" : "-pg").log",
                                                        database: database)
            do {
                try server.waitReady()
                var codes: [String] = []
                for r in 0..<rooms {
                    codes.append(try AtelierAPI.createWorkshop(port: server.port, token: token, plan: o.plan, title: "bench \(r + 1)").joinCode)
                }
                return Setup(server: server, target: .atelier(joinCodes: codes), data: dir)
            } catch {
                server.stop()
                throw error
            }
        case .mirror:
            guard rooms <= 3 else {
                throw BenchError.failed("the lws mirror holds at most 3 instances (MAX_MIRROR_INSTANCES): use --workshops ≤ 3 with --baseline")
            }
            let server = try ServerProcess.startMirror(o, logPath: "\(workspace)/mirror-\(run).log")
            do { try server.waitReady() } catch { server.stop(); throw error }
            return Setup(server: server, target: .mirror(payloadBytes: o.baselinePayload), data: nil)
        }
    }

    /// Connects and joins every connection of the engine; fails on any refused connection.
    func connectAll(_ engine: Engine, timeout: Double) throws {
        let total = engine.connections.count
        engine.post { $0.beginConnecting() }
        let start = monotonicNanos()
        var lastLog = start
        while true {
            let p = engine.sync { $0.progress() }
            if p.joined + p.failed >= total {
                if p.failed > 0 { throw BenchError.failed("\(p.failed) of \(total) connections failed: \(p.firstError ?? "?")") }
                break
            }
            if let e = p.firstError, e.hasPrefix("join refused") || e.hasPrefix("joined group") { throw BenchError.failed(e) }
            let now = monotonicNanos()
            if Double(now - start) / 1e9 > timeout {
                throw BenchError.failed("only \(p.joined) of \(total) connections joined after \(Int(timeout)) s (\(p.failed) failed: \(p.firstError ?? "-"))")
            }
            if now - lastLog > 2_000_000_000 { say("  \(p.joined)/\(total) joined"); lastLog = now }
            usleep(20_000)
        }
        say("  \(total) joined in \(String(format: "%.1f", Double(monotonicNanos() - start) / 1e9)) s")
    }

    /// Waits until receivers have everything and commands are answered, up to `timeout` s.
    func waitQuiet(_ engine: Engine, timeout: Double) -> Bool {
        let deadline = monotonicNanos() + Int64(timeout * 1e9)
        while monotonicNanos() < deadline {
            let (missing, unanswered) = engine.sync { $0.outstanding() }
            if missing == 0 && unanswered == 0 { return true }
            usleep(20_000)
        }
        return false
    }

    func sleepUntil(_ t: Int64) {
        let now = monotonicNanos()
        if t > now { usleep(useconds_t(min(Int64(3_600_000_000), (t - now) / 1000))) }
    }

    /// One measured window: warm-up, measurement, drain. Server CPU and RSS come from /proc at
    /// the window's edges.
    func measure(_ engine: Engine, _ server: ServerProcess, pacing: LoadPlan.Pacing, warmup: Double, duration: Double) -> RunResult {
        var plan = LoadPlan()
        plan.pacing = pacing
        let t0 = monotonicNanos() + 20_000_000
        plan.measureStart = t0 + Int64(warmup * 1e9)
        plan.measureEnd = plan.measureStart + Int64(duration * 1e9)
        plan.sendStop = plan.measureEnd
        let p = plan
        engine.sync { $0.startLoad(p) }
        sleepUntil(plan.measureStart)
        let s0 = server.sample(), c0 = ProcessSample.selfCPUSeconds(), m0 = MachineCPU.busySeconds(), w0 = monotonicNanos()
        sleepUntil(plan.measureEnd)
        let s1 = server.sample(), c1 = ProcessSample.selfCPUSeconds(), m1 = MachineCPU.busySeconds(), w1 = monotonicNanos()
        let drained = waitQuiet(engine, timeout: o.drain)
        let m = engine.sync { $0.finish(drained: drained) }
        if o.verbose {
            for (i, s) in m.timeline.enumerated() {
                say(String(format: "    second %2d: %7d delivered, %6d over 50 ms, %6d over 100 ms, max %.1f ms",
                           i, s.deliveries, s.over50ms, s.over100ms, Double(s.maxMicros) / 1000))
            }
        }
        var r = RunResult(server: server.kind == .atelier ? "atelier" : "lws-mirror")
        r.take(m)
        let wall = Double(w1 - w0) / 1e9
        if let s0, let s1, wall > 0 {
            r.cpuPercent = (s1.cpuSeconds - s0.cpuSeconds) / wall * 100
            r.rssBytes = s1.rssBytes
            r.peakRSSBytes = s1.peakRSSBytes
        }
        if wall > 0 { r.clientCPUPercent = (c1 - c0) / wall * 100 }
        if let m0, let m1, let s0, let s1, wall > 0 {
            r.otherCPUPercent = max(0, ((m1 - m0) - (s1.cpuSeconds - s0.cpuSeconds) - (c1 - c0)) / wall * 100)
            if let other = r.otherCPUPercent, other > 15 {
                log(String(format: "atelier-bench: warning: other processes used %.0f%% CPU during the window (the box has 2 cores)", other))
            }
        }
        if !server.isRunning { r.note = "server exited during the run" }
        return r
    }

    func offered(rooms sizes: [Int], rate: Double) -> Double { sizes.reduce(0.0) { $0 + Double($1 * $1) } * rate }

    // MARK: - Modes

    func fanout(kind: ServerProcess.Kind, run: Int) throws -> RunResult {
        let sizes = [Int](repeating: o.participants, count: o.workshops)
        // Idle workshops (--idle): joined connections that only hold their place, on a second
        // client context and thread, so that the measured connections' poll(2) set stays small
        // (lws 4.1 polls every descriptor of a context on each turn).
        var idleSizes = [Int](repeating: o.participants, count: o.idle / o.participants)
        if o.idle % o.participants > 0 { idleSizes.append(o.idle % o.participants) }
        // The mirror's idle connections are holders on the test server's `http-only` protocol.
        let setup = try startServer(kind, rooms: kind == .atelier ? o.workshops + idleSizes.count : o.workshops, run: run)
        defer { setup.server.stop() }
        var activeTarget = setup.target
        var idleEngine: Engine?
        defer { idleEngine?.shutdown() }
        if !idleSizes.isEmpty {
            var idleTarget = Engine.Target.holder
            if case .atelier(let codes) = setup.target {
                activeTarget = .atelier(joinCodes: Array(codes.prefix(o.workshops)))
                idleTarget = .atelier(joinCodes: Array(codes.dropFirst(o.workshops)))
            }
            let idle = try Engine(target: idleTarget, port: setup.server.port, options: o, roomSizes: idleSizes, activeRooms: 0)
            idleEngine = idle
            try connectAll(idle, timeout: max(120, Double(o.idle) / 100))
            _ = waitQuiet(idle, timeout: 30)
        }
        let engine = try Engine(target: activeTarget, port: setup.server.port, options: o, roomSizes: sizes)
        defer { engine.shutdown() }
        try connectAll(engine, timeout: 120)
        _ = waitQuiet(engine, timeout: 5)
        var r = measure(engine, setup.server, pacing: .open(perSecond: o.rate), warmup: o.warmup, duration: o.duration)
        r.rate = o.rate
        r.offeredPerSecond = offered(rooms: sizes, rate: o.rate)
        say("  \(r.server): \(Int(r.deliveriesPerSecond ?? 0)) deliveries/s, p99 \(r.p99Ms.map { String(format: "%.1f", $0) } ?? "-") ms, lost \(r.lost)")
        return r
    }

    func saturate(kind: ServerProcess.Kind, run: Int) throws -> RunResult {
        let sizes = [Int](repeating: o.participants, count: o.workshops)
        let setup = try startServer(kind, rooms: o.workshops, run: run)
        defer { setup.server.stop() }
        let engine = try Engine(target: setup.target, port: setup.server.port, options: o, roomSizes: sizes)
        defer { engine.shutdown() }
        try connectAll(engine, timeout: 120)
        _ = waitQuiet(engine, timeout: 5)
        var steps: [RunResult] = []
        var rate = o.rate
        var stopReason = "reached --max-rate \(o.maxRate)"
        while rate <= o.maxRate {
            var r = measure(engine, setup.server, pacing: .open(perSecond: rate), warmup: min(o.warmup, 1), duration: o.stepDuration)
            r.rate = rate
            r.offeredPerSecond = offered(rooms: sizes, rate: rate)
            var why: [String] = []
            if r.lost > 0 { why.append("lost \(r.lost)") }
            if let p99 = r.p99Ms, p99 > o.p99LimitMs { why.append(String(format: "p99 %.1f ms > %.0f ms", p99, o.p99LimitMs)) }
            if let d = r.deliveriesPerSecond, let off = r.offeredPerSecond, d < o.sustainShare * off {
                why.append(String(format: "delivered %.0f%% of the offered %.0f/s", d / off * 100, off))
            }
            if r.closes > 0 { why.append("\(r.closes) connections closed") }
            if !r.drained { why.append("receivers had not caught up \(o.drain) s after the last send") }
            if r.duplicated > 0 { why.append("duplicated \(r.duplicated)") }
            r.sustained = why.isEmpty
            steps.append(r)
            say(String(format: "  %@ rate %.2f: %.0f/s (offered %.0f), p99 %@ ms, lost %lld%@", r.server, rate,
                       r.deliveriesPerSecond ?? 0, r.offeredPerSecond ?? 0, r.p99Ms.map { String(format: "%.1f", $0) } ?? "-",
                       r.lost, why.isEmpty ? "" : " ✗ " + why.joined(separator: "; ")))
            if !why.isEmpty {
                stopReason = String(format: "at %.2f changes/s per participant: ", rate) + why.joined(separator: "; ")
                break
            }
            rate *= o.stepFactor
            if !setup.server.isRunning { stopReason = "server exited"; break }
        }
        var best = steps.filter { $0.sustained == true }.max { ($0.deliveriesPerSecond ?? 0) < ($1.deliveriesPerSecond ?? 0) }
            ?? { var first = steps.first ?? RunResult(server: kind == .atelier ? "atelier" : "lws-mirror"); first.sustained = false; return first }()
        best.steps = steps
        best.stopReason = stopReason
        return best
    }

    func connections(kind: ServerProcess.Kind, run: Int) throws -> RunResult {
        let n = o.connections
        var sizes: [Int]
        switch kind {
        case .atelier:
            let per = max(1, o.participants)
            sizes = [Int](repeating: per, count: n / per)
            if n % per > 0 { sizes.append(n % per) }
        case .mirror, .haproxy:
            let rooms = min(3, n)
            sizes = (0..<rooms).map { n / rooms + ($0 < n % rooms ? 1 : 0) }
        }
        let setup = try startServer(kind, rooms: sizes.count, run: run)
        defer { setup.server.stop() }
        let engine = try Engine(target: setup.target, port: setup.server.port, options: o, roomSizes: sizes)
        defer { engine.shutdown() }
        sleepSeconds(0.5)
        guard let before = setup.server.sample() else { throw BenchError.failed("cannot read /proc for the server") }
        try connectAll(engine, timeout: max(120, Double(n) / 100))
        _ = waitQuiet(engine, timeout: 30)
        let c0 = setup.server.sample(), w0 = monotonicNanos()
        sleepSeconds(o.settle)
        guard let after = setup.server.sample() else { throw BenchError.failed("server gone after connecting") }
        let held = engine.sync { e in e.connections.filter { $0.state == .joined }.count }
        var r = RunResult(server: kind == .atelier ? "atelier" : "lws-mirror")
        r.connections = held
        r.rssBeforeBytes = before.rssBytes
        r.rssBytes = after.rssBytes
        r.peakRSSBytes = after.peakRSSBytes
        r.rssPerConnectionBytes = Double(after.rssBytes - before.rssBytes) / Double(max(1, held))
        if let c0 { r.cpuPercent = (after.cpuSeconds - c0.cpuSeconds) / (Double(monotonicNanos() - w0) / 1e9) * 100 }
        r.closes = n - held
        say("  \(r.server): \(held) held, \(Int(r.rssPerConnectionBytes ?? 0)) bytes each")
        return r
    }

    /// Durable commands/s. With `--database`: `kind` .atelier on PostgreSQL, .mirror on SQLite
    /// (the same shape, one after the other in each run); without it, the baseline is the disk's
    /// unbatched fdatasync ceiling.
    func journal(kind: ServerProcess.Kind, run: Int) throws -> RunResult {
        if kind == .mirror && o.database == nil { return try fsyncCeiling(run: run) }
        var schema: Postgres.Schema?
        if kind == .atelier, let url = o.database { schema = try Postgres.Schema(url: url) }
        defer { schema?.drop() }
        let sizes = [Int](repeating: o.participants, count: o.workshops)
        let setup = try startServer(.atelier, rooms: o.workshops, run: run, database: schema?.url)
        defer { setup.server.stop() }
        let engine = try Engine(target: setup.target, port: setup.server.port, options: o, roomSizes: sizes)
        defer { engine.shutdown() }
        try connectAll(engine, timeout: 120)
        _ = waitQuiet(engine, timeout: 5)
        var r = measure(engine, setup.server, pacing: .closed(window: o.window), warmup: o.warmup, duration: o.duration)
        if o.database != nil { r.server = schema != nil ? "atelier on PostgreSQL" : "atelier on SQLite" }
        say("  \(r.server): \(Int(r.commandsPerSecond ?? 0)) commands/s, ack p99 \(r.ackP99Ms.map { String(format: "%.1f", $0) } ?? "-") ms")
        return r
    }

    /// What a commit that is not batched cannot beat: appends of 128 bytes, each followed by
    /// fdatasync (SQLite's WAL with synchronous=FULL syncs once per commit), for two seconds, on
    /// the file system of the data directories.
    func fsyncCeiling(run: Int) throws -> RunResult {
        let path = "\(workspace)/fsync-probe-\(run)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BenchError.failed("cannot open \(path)") }
        defer { close(fd); unlink(path) }
        let block = [UInt8](repeating: 0x61, count: 128)
        var hist = LatencyHistogram()
        let start = monotonicNanos()
        var n = 0
        while monotonicNanos() - start < 2_000_000_000 && n < 1_000_000 {
            let t = monotonicNanos()
            _ = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            fdatasync(fd)
            hist.record(nanos: monotonicNanos() - t)
            n += 1
        }
        var r = RunResult(server: "fdatasync")
        r.commandsPerSecond = Double(n) / (Double(monotonicNanos() - start) / 1e9)
        r.ackP50Ms = hist.millis(50)
        r.ackP99Ms = hist.millis(99)
        say("  fdatasync: \(Int(r.commandsPerSecond ?? 0))/s")
        return r
    }
}
