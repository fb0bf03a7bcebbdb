import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A server the bench started (Atelier or libwebsockets-test-server), on a loopback port, with
/// its output in a log file. Stopped by its own pid only.
final class ServerProcess {
    enum Kind: String { case atelier, mirror, haproxy }

    let kind: Kind
    let pid: pid_t
    let port: Int
    let logPath: String
    /// Monotonic time just before the exec, for cold-start timing.
    let spawnedAt: Int64
    private var exited = false

    private init(kind: Kind, pid: pid_t, port: Int, logPath: String, spawnedAt: Int64) {
        self.kind = kind; self.pid = pid; self.port = port; self.logPath = logPath; self.spawnedAt = spawnedAt
    }

    /// Runs `/bin/sh -c 'exec …'` so that the pid is the server's own, stdout and stderr to `logPath`.
    static func spawn(kind: Kind, command: String, port: Int, logPath: String) throws -> ServerProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ["/bin/sh", "-c", "exec " + command]
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let start = monotonicNanos()
        let rc = posix_spawn(&pid, "/bin/sh", &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw BenchError.failed("cannot start: \(command) (errno \(rc))") }
        ChildRegistry.add(pid)
        return ServerProcess(kind: kind, pid: pid, port: port, logPath: logPath, spawnedAt: start)
    }

    /// Starts Atelier with the bench's limits lifted (rate and per-address connections).
    /// `database`: a `postgres://` URL (else SQLite in `data`); `extra`: more options of `serve`.
    static func startAtelier(_ o: Options, data: String, token: String, logPath: String, port chosen: Int? = nil,
                             database: String? = nil, extra: [String] = []) throws -> ServerProcess {
        let port = try chosen ?? freeLoopbackPort()
        var command: String
        if let template = o.serverCommand {
            command = template.replacingOccurrences(of: "{port}", with: "\(port)")
                .replacingOccurrences(of: "{data}", with: shellQuote(data))
                .replacingOccurrences(of: "{token}", with: token)
            let more = (database.map { ["--database", $0] } ?? []) + extra
            if !more.isEmpty { command += " " + more.map(shellQuote).joined(separator: " ") }
        } else {
            let arguments: [String] = [o.atelierBinary, "serve", "--host", "127.0.0.1", "--port", "\(port)", "--data", data,
                                       "--plans", o.plans, "--web", o.web, "--admin-token", token,
                                       "--messages-per-second", "1000000", "--max-connections-per-address", "1000000",
                                       "--joins-per-address-per-minute", "1000000", "--capacity-factor", "10000",
                                       "--welcome-bytes-per-address", "1000000000000"]
                + (database.map { ["--database", $0] } ?? []) + extra
            command = arguments.map(shellQuote).joined(separator: " ")
            if let q = o.maxQueuedBytes { command += " --max-queued-bytes \(q)" }
        }
        return try spawn(kind: .atelier, command: command, port: port, logPath: logPath)
    }

    /// Starts libwebsockets-test-server (its mirror protocol is the raw broadcast baseline).
    static func startMirror(_ o: Options, logPath: String) throws -> ServerProcess {
        let port = try freeLoopbackPort()
        let command: String
        if let template = o.baselineCommand {
            command = template.replacingOccurrences(of: "{port}", with: "\(port)")
        } else {
            // -i lo: loopback only; -d 3: errors and warnings (notices would log every join).
            command = [o.baselineBinary, "-p", "\(port)", "-i", "lo", "-d", "3"].map(shellQuote).joined(separator: " ")
        }
        return try spawn(kind: .mirror, command: command, port: port, logPath: logPath)
    }

    var isRunning: Bool {
        if exited { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { exited = true; ChildRegistry.remove(pid); return false }
        return true
    }

    var logTail: String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    /// Waits until the server answers: Atelier's `/healthz` 200, the mirror's HTTP port open.
    /// Returns the monotonic time it first answered.
    @discardableResult
    func waitReady(timeout: Double = 60, pollMicros: useconds_t = 2000) throws -> Int64 {
        let deadline = monotonicNanos() + Int64(timeout * 1e9)
        while monotonicNanos() < deadline {
            guard isRunning else { throw BenchError.failed("\(kind.rawValue) exited at start:\n\(logTail)") }
            switch kind {
            case .atelier, .haproxy:
                if let r = try? HTTP.request(port: port, method: "GET", path: "/healthz", timeout: 2), r.status == 200 {
                    return monotonicNanos()
                }
            case .mirror:
                if let r = try? HTTP.request(port: port, method: "GET", path: "/", timeout: 2), r.status > 0 {
                    return monotonicNanos()
                }
            }
            usleep(pollMicros)
        }
        throw BenchError.failed("\(kind.rawValue) not ready after \(Int(timeout)) s:\n\(logTail)")
    }

    func sample() -> ProcessSample? { ProcessSample.read(pid: pid) }

    /// SIGTERM (Atelier stops gracefully on it) or SIGINT (the test server's own handler), then
    /// SIGKILL after `grace` seconds. Only this pid is signalled.
    func stop(grace: Double = 15) {
        guard isRunning else { return }
        kill(pid, kind == .atelier ? SIGTERM : SIGINT)
        let deadline = monotonicNanos() + Int64(grace * 1e9)
        while monotonicNanos() < deadline {
            if !isRunning { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        exited = true
    }

    /// SIGKILL, and reaped at once (--cluster's failures).
    func killNow() {
        guard !exited else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        exited = true
        ChildRegistry.remove(pid)
    }

    deinit { stop(grace: 5) }
}

func shellQuote(_ s: String) -> String {
    if s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@".contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Atelier's HTTP API, for setup.
enum AtelierAPI {
    struct Workshop { var id: String; var joinCode: String }

    static func createWorkshop(port: Int, token: String, plan: String, title: String) throws -> Workshop {
        let body = try JSONSerialization.data(withJSONObject: ["plan": plan, "title": title])
        let r = try HTTP.request(port: port, method: "POST", path: "/api/workshops",
                                 headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
                                 body: Array(body))
        guard r.status == 201, let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let id = json["id"] as? String, let code = json["joinCode"] as? String else {
            throw BenchError.failed("POST /api/workshops → \(r.status) \(String(decoding: r.body, as: UTF8.self))")
        }
        return Workshop(id: id, joinCode: code)
    }
}

/// The servers this process started, so that an interrupted bench stops them (by pid) on its
/// way out. A fixed table: the signal handler may only read plain memory and call kill(2).
enum ChildRegistry {
    nonisolated(unsafe) static var pids = UnsafeMutablePointer<pid_t>.allocate(capacity: 16)
    nonisolated(unsafe) static var initialized = false

    static func add(_ pid: pid_t) {
        if !initialized { pids.initialize(repeating: 0, count: 16); initialized = true }
        for i in 0..<16 where pids[i] == 0 { pids[i] = pid; return }
    }

    static func remove(_ pid: pid_t) {
        guard initialized else { return }
        for i in 0..<16 where pids[i] == pid { pids[i] = 0 }
    }

    /// On SIGINT/SIGTERM: SIGKILL every registered child, then exit.
    static func installSignalHandlers() {
        if !initialized { pids.initialize(repeating: 0, count: 16); initialized = true }
        let handler: @convention(c) (Int32) -> Void = { sig in
            for i in 0..<16 where ChildRegistry.pids[i] > 0 { kill(ChildRegistry.pids[i], SIGKILL) }
            _exit(128 + sig)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        signal(SIGPIPE, SIG_IGN)
    }
}
