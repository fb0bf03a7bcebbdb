import Foundation

/// What to measure, from the command line (parsed by hand: this target depends on
/// CLibWebSockets only).
struct Options: Sendable {
    enum Mode: String, Sendable { case fanout, saturate, connections, journal, coldStart = "cold-start" }

    var mode: Mode = .fanout
    var workshops = 3
    var participants = 100
    /// Changes per second and participant (fan-out), or the first step (saturate).
    var rate = 1.0
    var duration = 10.0
    var warmup = 2.0
    var drain = 5.0
    var runs = 1
    var baseline = false
    var json = false
    var verbose = false

    // --saturate
    var stepFactor = 1.25
    var maxRate = 200.0
    var stepDuration = 4.0
    var p99LimitMs = 100.0
    /// A step is sustained when it delivers at least this share of what was offered.
    var sustainShare = 0.95

    // --connections
    var connections = 0
    /// Fan-out: joined connections held idle in other workshops while the load runs.
    var idle = 0
    var settle = 3.0
    /// Hold WebSocket connections that never send `join`: the transport's share of the memory.
    var noJoin = false
    /// With --no-join: each connection sends one `ping` (and gets its `pong`), so the transport
    /// has read and written one frame.
    var pingOnce = false

    // --journal
    var window = 8

    // --cold-start
    var coldStartEvents = 0
    /// A data directory to fill once and reuse across invocations (kept after the run).
    var reuseData: String?

    // Servers
    var atelierBinary = ".build-bench/release/atelier"
    var serverCommand: String?
    var baselineBinary = "libwebsockets-test-server"
    var baselineCommand: String?
    var plans = "./sessions"
    var web = "./web"
    var plan = "iae-saone-et-loire"
    var group = "g_consolider"
    var board = "b_consolider"
    var column = "problems"
    /// Bytes of each mirror message (the timestamp padded), to match the size of Atelier's event.
    var baselinePayload = 240
    /// Handshakes allowed in flight at once while connecting.
    var connectConcurrency = 64
    var maxQueuedBytes: Int?
    /// Seconds to wait for other processes to leave the CPU before each run.
    var quietWait = 120.0

    static let usage = """
    atelier-bench: load generator for Atelier (and the raw libwebsockets mirror baseline).

    Modes (one):
      (default)                 fan-out: W workshops × P participants, each sending R changes/s
      --saturate                raise the rate step by step until p99 delivery > --p99-limit ms or
                                loss appears; reports the best sustained deliveries/s
      --connections N           hold N idle joined connections; server RSS per connection
      --journal                 durable commands/s: senders keep --window commands in flight
      --cold-start EVENTS       journal EVENTS events through the server, restart it, and time
                                exec → /healthz 200 → a join's welcome

    Shape:
      --workshops W             workshops (mirror instances: at most 3)       [3]
      --participants P          participants per workshop                      [100]
      --rate R                  changes per second and participant             [1]
      --duration S              measured seconds                               [10]
      --warmup S                seconds sent before measuring                  [2]
      --drain S                 seconds allowed for the last deliveries        [5]
      --runs N                  repeat N times (fresh servers) and report the median [1]
      --idle N                  fan-out: also hold N idle joined connections in other workshops
                                (Atelier only: the mirror has no room for them)
      --baseline                run the same shape against libwebsockets-test-server
      --json                    one JSON object on stdout

    Saturate:   --step-factor F [1.25]  --max-rate R [200]  --step-duration S [4]
                --p99-limit MS [100]  --sustain-share X [0.95]
    Connections: --settle S [3] (wait after the last join before reading RSS)
                --no-join (open the WebSockets but never join: the transport's share alone)
                --ping-once (as --no-join, but each connection exchanges one ping/pong)
    Journal:    --window N [8] (commands in flight per sender)
    Cold start: --reuse-data DIR (fill once, keep, reuse on later runs)

    Servers (started and stopped by the tool, on free loopback ports):
      --atelier-bin PATH        [.build-bench/release/atelier]
      --server-cmd 'CMD'        start Atelier with this shell command instead; {port} {data}
                                {token} are replaced
      --baseline-bin PATH       [libwebsockets-test-server]
      --baseline-cmd 'CMD'      start the baseline with this command; {port} is replaced
      --plans DIR [./sessions]  --web DIR [./web]  --plan ID [iae-saone-et-loire]
      --group ID [g_consolider] --board ID [b_consolider]  --column ID [problems]
      --baseline-payload BYTES  size of each mirror message [240]
      --connect-concurrency N   handshakes in flight while connecting [64]
      --max-queued-bytes N      passed to atelier serve
      --quiet-wait S            before each run, wait up to S s for other processes to use
                                under 15 % CPU [120]; every window also reports "other CPU %"
      --verbose                 progress on stderr
    """

    static func parse(_ arguments: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func value(_ name: String) throws -> String {
            i += 1
            guard i < arguments.count else { throw BenchError.usage("\(name) needs a value") }
            return arguments[i]
        }
        func number(_ name: String) throws -> Double {
            let v = try value(name)
            guard let d = Double(v), d.isFinite, d >= 0 else { throw BenchError.usage("\(name): not a number '\(v)'") }
            return d
        }
        func integer(_ name: String) throws -> Int {
            let v = try value(name)
            guard let n = Int(v), n >= 0 else { throw BenchError.usage("\(name): not an integer '\(v)'") }
            return n
        }
        while i < arguments.count {
            let a = arguments[i]
            switch a {
            case "-h", "--help": throw BenchError.help
            case "--saturate": o.mode = .saturate
            case "--connections": o.mode = .connections; o.connections = try integer(a)
            case "--journal": o.mode = .journal
            case "--cold-start": o.mode = .coldStart; o.coldStartEvents = try integer(a)
            case "--workshops": o.workshops = try integer(a)
            case "--idle": o.idle = try integer(a)
            case "--participants": o.participants = try integer(a)
            case "--rate": o.rate = try number(a)
            case "--duration": o.duration = try number(a)
            case "--warmup": o.warmup = try number(a)
            case "--drain": o.drain = try number(a)
            case "--runs": o.runs = max(1, try integer(a))
            case "--baseline": o.baseline = true
            case "--json": o.json = true
            case "--verbose", "-v": o.verbose = true
            case "--step-factor": o.stepFactor = try number(a)
            case "--max-rate": o.maxRate = try number(a)
            case "--step-duration": o.stepDuration = try number(a)
            case "--p99-limit": o.p99LimitMs = try number(a)
            case "--sustain-share": o.sustainShare = try number(a)
            case "--settle": o.settle = try number(a)
            case "--no-join": o.noJoin = true
            case "--ping-once": o.noJoin = true; o.pingOnce = true
            case "--window": o.window = max(1, try integer(a))
            case "--reuse-data": o.reuseData = try value(a)
            case "--atelier-bin": o.atelierBinary = try value(a)
            case "--server-cmd": o.serverCommand = try value(a)
            case "--baseline-bin": o.baselineBinary = try value(a)
            case "--baseline-cmd": o.baselineCommand = try value(a)
            case "--plans": o.plans = try value(a)
            case "--web": o.web = try value(a)
            case "--plan": o.plan = try value(a)
            case "--group": o.group = try value(a)
            case "--board": o.board = try value(a)
            case "--column": o.column = try value(a)
            case "--baseline-payload": o.baselinePayload = min(4000, max(48, try integer(a)))
            case "--connect-concurrency": o.connectConcurrency = max(1, try integer(a))
            case "--max-queued-bytes": o.maxQueuedBytes = try integer(a)
            case "--quiet-wait": o.quietWait = min(3600, try number(a))
            default: throw BenchError.usage("unknown option: \(a)")
            }
            i += 1
        }
        guard o.workshops >= 1, o.participants >= 1 else { throw BenchError.usage("--workshops and --participants: at least 1") }
        guard o.stepFactor > 1 else { throw BenchError.usage("--step-factor: must be above 1") }
        if o.idle > 0 && (o.mode != .fanout || o.baseline) { throw BenchError.usage("--idle: fan-out mode only, without --baseline (the mirror holds 3 instances)") }
        if o.mode == .connections && o.connections < 1 { throw BenchError.usage("--connections: at least 1") }
        if o.mode == .coldStart && o.coldStartEvents < 1 { throw BenchError.usage("--cold-start: at least 1 event") }
        // Bounded runs: every loop of the tool ends in time.
        o.duration = min(o.duration, 600)
        o.warmup = min(o.warmup, 60)
        o.drain = min(o.drain, 60)
        o.stepDuration = min(o.stepDuration, 120)
        o.runs = min(o.runs, 20)
        return o
    }
}

enum BenchError: Error, CustomStringConvertible {
    case help
    case usage(String)
    case failed(String)
    var description: String {
        switch self {
        case .help: Options.usage
        case .usage(let why): "\(why)\n\n\(Options.usage)"
        case .failed(let why): why
        }
    }
}
