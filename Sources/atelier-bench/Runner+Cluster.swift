import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// PostgreSQL for the bench: a schema of its own per run, through `psql` (PostgreSQL's client).
enum Postgres {
    /// Rows of `sql`, as strings (`psql -At`, tab-separated).
    static func psql(_ url: String, _ sql: String) throws -> [[String]] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw BenchError.failed("psql: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// A new schema, and the URL that puts Atelier in it (`options=-c search_path=…`).
    final class Schema {
        let name: String
        let url: String
        private let base: String

        init(url base: String) throws {
            self.base = base
            name = "bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            _ = try Postgres.psql(base, "CREATE SCHEMA \(name)")
            url = base + (base.contains("?") ? "&" : "?") + "options=-c%20search_path%3D\(name)"
        }

        func drop() { _ = try? Postgres.psql(base, "DROP SCHEMA IF EXISTS \(name) CASCADE") }
    }
}

/// A blocking WebSocket client (RFC 6455, text frames, masked as a client must) for the cluster
/// probes: one thread each, a few messages a second, so simplicity over speed.
final class ProbeSocket {
    enum Failure: Error { case refused, handshake(String), closed(UInt16?), timeout }
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, path: String, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.refused }
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)  // reads wake up often: deadlines are checked above
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw Failure.refused }
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: atelier.v1\r\n\r\n"
        do {
            try write(Array(head.utf8))
            let deadline = monotonicNanos() + Int64(timeout * 1e9)
            while true {
                if let end = Self.find([13, 10, 13, 10], in: buffer) {
                    let status = String(decoding: buffer[0..<end], as: UTF8.self)
                    buffer.removeFirst(end + 4)
                    guard status.hasPrefix("HTTP/1.1 101") else { throw Failure.handshake(String(status.prefix(40))) }
                    break
                }
                guard monotonicNanos() < deadline else { throw Failure.timeout }
                try fill()
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $1 ^ mask[$0 & 3] }
        try write(frame)
    }

    /// The next text message (fragments joined), answering pings; nil if nothing came by `deadline`.
    func receive(until deadline: Int64) throws -> [UInt8]? {
        var message: [UInt8] = []
        while true {
            if let (fin, opcode, payload) = try nextFrame(until: deadline) {
                switch opcode {
                case 0x8:
                    throw Failure.closed(payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil)
                case 0x9:
                    try control(0xA, payload)
                case 0xA:
                    break
                default:
                    message += payload
                    if fin { return message }
                }
            } else {
                return nil
            }
        }
    }

    private func control(_ opcode: UInt8, _ payload: [UInt8]) throws {
        let mask: [UInt8] = [1, 2, 3, 4]
        try write([0x80 | opcode, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $1 ^ mask[$0 & 3] })
    }

    private func nextFrame(until deadline: Int64) throws -> (Bool, UInt8, [UInt8])? {
        while true {
            if buffer.count >= 2 {
                var length = Int(buffer[1] & 0x7F)
                var offset = 2
                if length == 126, buffer.count >= 4 { length = Int(buffer[2]) << 8 | Int(buffer[3]); offset = 4 }
                else if length == 127, buffer.count >= 10 { length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }; offset = 10 }
                if length < 126 || offset > 2, buffer.count >= offset + length {
                    let fin = buffer[0] & 0x80 != 0, opcode = buffer[0] & 0x0F
                    let payload = Array(buffer[offset..<(offset + length)])
                    buffer.removeFirst(offset + length)
                    return (fin, opcode, payload)
                }
            }
            if monotonicNanos() >= deadline { return nil }
            try fill()
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 { buffer += chunk[0..<n]; return }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return }
        throw Failure.closed(nil)
    }

    private func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure.closed(nil) }
            sent += n
        }
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if Array(hay[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

/// One participant of a workshop writing cards through HAProxy, one at a time, as the web
/// client does: after any close it reconnects to `/ws?workshop=…`, resumes with its token and
/// `since`, and re-sends the unanswered command with the same id.
final class ClusterProbe: @unchecked Sendable {
    let workshop: String
    let code: String
    let port: Int
    let group: String
    private let lock = NSLock()
    private var stopped = false
    private var token: String?
    private var board: String?
    private var seq: Int64 = 0
    private var counter = 0
    private var pending: (id: String, text: String)?
    /// Monotonic times of each ack, with the time its connection was welcomed.
    private(set) var acks: [(at: Int64, welcomedAt: Int64)] = []
    private(set) var acked: [String] = []
    private(set) var reconnections = 0
    private var thread: Thread?

    init(workshop: String, code: String, port: Int, group: String) {
        self.workshop = workshop; self.code = code; self.port = port; self.group = group
    }

    func start() {
        let t = Thread { [self] in run() }
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    func stop() { lock.lock(); stopped = true; lock.unlock() }
    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// The first ack received on a connection welcomed after `time`, if any yet.
    func firstAck(after time: Int64) -> Int64? {
        lock.lock(); defer { lock.unlock() }
        return acks.first { $0.welcomedAt > time }?.at
    }

    var ackCount: Int { lock.lock(); defer { lock.unlock() }; return acks.count }
    var ackedTexts: [String] { lock.lock(); defer { lock.unlock() }; return acked }

    private func run() {
        while !isStopped {
            do {
                try session()
            } catch {
                usleep(100_000)
            }
        }
    }

    private func session() throws {
        let socket = try ProbeSocket(port: port, path: "/ws?workshop=\(workshop)")
        let join: [String: Any] = token.map { ["id": "join", "type": "join", "token": $0, "since": seq] }
            ?? ["id": "join", "type": "join", "code": code, "name": "Sonde", "organisation": "Banc d'essai", "actor": "aci", "group": group]
        try socket.send(json(join))
        guard let welcome = try reply(to: "join", on: socket), welcome["type"] as? String == "welcome" else { return }
        let welcomedAt = monotonicNanos()
        if token != nil { lock.lock(); reconnections += 1; lock.unlock() }
        if token == nil {
            let you = welcome["you"] as? [String: Any]
            token = you?["token"] as? String
            let boards = (welcome["workshop"] as? [String: Any])?["boards"] as? [[String: Any]] ?? []
            board = boards.first { $0["group"] as? String == you?["group"] as? String }?["id"] as? String
        }
        if let s = (welcome["seq"] as? NSNumber)?.int64Value { seq = max(seq, s) }
        while !isStopped {
            if pending == nil {
                counter += 1
                pending = ("probe-\(counter)", "\(workshop) carte \(counter)")
            }
            let (id, text) = pending!
            try socket.send(json(["id": id, "type": "card.add", "board": board ?? "", "column": "problems", "text": text]))
            guard let answer = try reply(to: id, on: socket) else { return }  // no answer in time: reconnect, re-send
            lock.lock()
            if answer["type"] as? String == "ack" {
                acks.append((monotonicNanos(), welcomedAt))
                acked.append(text)
            }
            lock.unlock()
            pending = nil
            usleep(50_000)
        }
    }

    /// The answer to `id` (events meanwhile move `since`); nil after 15 s without it.
    private func reply(to id: String, on socket: ProbeSocket) throws -> [String: Any]? {
        let deadline = monotonicNanos() + 15_000_000_000
        while monotonicNanos() < deadline {
            if isStopped { return nil }
            guard let bytes = try socket.receive(until: min(deadline, monotonicNanos() + 500_000_000)) else { continue }
            let parsed = try? JSONSerialization.jsonObject(with: Data(bytes))
            let messages = (parsed as? [[String: Any]]) ?? ((parsed as? [String: Any]).map { [$0] } ?? [])
            var found: [String: Any]?
            for m in messages {
                if m["re"] as? String == id { found = m; continue }
                if let s = (m["seq"] as? NSNumber)?.int64Value, m["re"] == nil { seq = max(seq, s) }
            }
            if let found { return found }
        }
        return nil
    }

    private func json(_ object: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
    }
}

extension Runner {
    /// `--cluster`: three nodes (a, b, c) on one PostgreSQL schema behind HAProxy, one probe
    /// writing in each workshop; `--kills` times, the owner of a workshop (each in turn) is killed
    /// with -9, timed from the kill to the first ack its probe gets on a new connection (the node
    /// that took over), then started again. At the end, every acknowledged card is in the journal
    /// once.
    func cluster() throws -> Report {
        guard let database = o.database else { throw BenchError.failed("--cluster needs --database") }
        let schema = try Postgres.Schema(url: database)
        defer { schema.drop() }
        let token = "bench-" + UUID().uuidString
        let names = ["a", "b", "c"]
        var ports: [String: Int] = [:]
        var nodes: [String: ServerProcess] = [:]
        defer { for n in nodes.values { n.stop() } }
        func start(_ name: String) throws {
            let node = try ServerProcess.startAtelier(o, data: "\(workspace)/node-\(name)", token: token,
                                                      logPath: "\(workspace)/node-\(name)-\(UUID().uuidString.prefix(4)).log",
                                                      port: ports[name], database: schema.url,
                                                      extra: ["--node", name, "--lease-seconds", "\(o.leaseSeconds)", "--trusted-proxy", "127.0.0.1"])
            nodes[name] = node
            try node.waitReady(timeout: 120)
        }
        for name in names {
            ports[name] = try freeLoopbackPort()
            try FileManager.default.createDirectory(atPath: "\(workspace)/node-\(name)", withIntermediateDirectories: true)
            try start(name)
        }
        // deploy/haproxy.cfg, its listening address and server lines replaced.
        let front = try freeLoopbackPort()
        guard let template = try? String(contentsOfFile: o.haproxyConfig, encoding: .utf8) else {
            throw BenchError.failed("cannot read \(o.haproxyConfig)")
        }
        var cfg = template.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("    server node-") }
            .map { $0.replacingOccurrences(of: "bind 127.0.0.1:8080", with: "bind 127.0.0.1:\(front)") }
            .joined(separator: "\n")
        while cfg.hasSuffix("\n") { cfg.removeLast() }
        cfg += "\n" + names.map { "    server node-\($0) 127.0.0.1:\(ports[$0]!)" }.joined(separator: "\n") + "\n"
        let cfgPath = "\(workspace)/haproxy.cfg"
        try cfg.write(toFile: cfgPath, atomically: true, encoding: .utf8)
        let haproxy = try ServerProcess.spawn(kind: .haproxy, command: [o.haproxyBinary, "-f", cfgPath, "-db"].map(shellQuote).joined(separator: " "),
                                              port: front, logPath: "\(workspace)/haproxy.log")
        defer { haproxy.stop() }
        try haproxy.waitReady(timeout: 30)

        var probes: [ClusterProbe] = []
        for w in 0..<o.workshops {
            let shop = try AtelierAPI.createWorkshop(port: front, token: token, plan: o.plan, title: "cluster \(w + 1)")
            probes.append(ClusterProbe(workshop: shop.id, code: shop.joinCode, port: front, group: o.group))
        }
        probes.forEach { $0.start() }
        defer { probes.forEach { $0.stop() } }
        let ready = monotonicNanos() + 120_000_000_000
        while probes.contains(where: { $0.ackCount < 3 }) {
            guard monotonicNanos() < ready else { throw BenchError.failed("the probes never wrote through HAProxy (\(workspace))") }
            usleep(50_000)
        }

        var takeovers: [Double] = []
        for k in 0..<o.kills {
            waitForQuietMachine()
            let probe = probes[k % probes.count]
            let owners = Dictionary(uniqueKeysWithValues: try Postgres.psql(schema.url, "SELECT id, coalesce(owner_node, '') FROM workshop")
                .compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil })
            guard let victim = owners[probe.workshop], let node = nodes[victim] else {
                throw BenchError.failed("kill \(k + 1): \(probe.workshop) has no owner (\(owners))")
            }
            let affected = probes.filter { owners[$0.workshop] == victim }
            let killedAt = monotonicNanos()
            node.killNow()
            let deadline = killedAt + 180_000_000_000
            for p in affected {
                while p.firstAck(after: killedAt) == nil {
                    guard monotonicNanos() < deadline else { throw BenchError.failed("kill \(k + 1): \(p.workshop) never came back") }
                    usleep(5_000)
                }
            }
            let t = Double(probe.firstAck(after: killedAt)! - killedAt) / 1e6
            takeovers.append(t)
            say(String(format: "  kill %d/%d: node %@ (%d workshop(s)); first ack on the new owner after %.0f ms", k + 1, o.kills, victim, affected.count, t))
            try start(victim)
            // HAProxy sees it up after `rise 2` checks 2 s apart: the next kill starts from three nodes.
            sleepSeconds(5)
        }
        probes.forEach { $0.stop() }
        sleepSeconds(1)

        // Nothing lost, nothing twice: the journal against what the probes were told.
        var lost = 0, duplicated = 0
        for p in probes {
            let texts = try Postgres.psql(schema.url, "SELECT payload::json->'cardAdded'->'_0'->>'text' FROM event WHERE workshop_id = '\(p.workshop)' AND type = 'card.added'")
                .map { $0.first ?? "" }
            var counts: [String: Int] = [:]
            for t in texts { counts[t, default: 0] += 1 }
            duplicated += counts.values.filter { $0 > 1 }.count
            lost += p.ackedTexts.filter { counts[$0] == nil }.count
        }
        let sorted = takeovers.sorted()
        func percentile(_ q: Double) -> Double? {
            sorted.isEmpty ? nil : sorted[min(sorted.count - 1, max(0, Int((q / 100 * Double(sorted.count)).rounded(.up)) - 1))]
        }
        var r = RunResult(server: "atelier × 3 + HAProxy")
        r.takeoverP50Ms = percentile(50)
        r.takeoverP99Ms = percentile(99)
        r.maxMs = sorted.last
        r.takeovers = takeovers
        r.lost = Int64(lost)
        r.duplicated = Int64(duplicated)
        r.commandsPerSecond = nil
        r.note = "lease \(o.leaseSeconds) s; \(probes.map(\.ackCount).reduce(0, +)) cards acknowledged, \(probes.map(\.reconnections).reduce(0, +)) reconnections; p99 is the nearest rank over \(sorted.count) kills"
        return Report(title: "cluster: 3 nodes + HAProxy on one PostgreSQL schema, \(o.workshops) workshop(s) with a writer each, \(o.kills) kill -9 of an owner",
                      mode: .cluster, shape: shape, atelier: r, atelierRuns: [r], baseline: nil, baselineRuns: [])
    }
}
