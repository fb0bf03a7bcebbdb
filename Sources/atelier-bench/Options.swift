import ArgumentParser
import Foundation

/// What to measure, from the command line. The options live in one group per section of the help;
/// the rest of the bench reads them flat (`options.workshops`) through the member look-up below.
@dynamicMemberLookup
struct Options: ParsableCommand, Sendable {
    enum Mode: String, Sendable { case fanout, saturate, connections, journal, coldStart = "cold-start", replaySeek = "replay-seek", cluster }

    static let configuration = CommandConfiguration(
        commandName: "atelier-bench",
        abstract: "Load generator for Atelier (and the raw libwebsockets mirror baseline).",
        discussion: """
        Without a mode option: fan-out, W workshops × P participants, each sending R changes/s. \
        The servers are started and stopped by the tool, fresh for every run, on free loopback \
        ports. BENCHMARKS.md has the commands and the results.
        """
    )

    @OptionGroup(title: "Modes (one at most)") var modes: Modes
    @OptionGroup(title: "Shape") var shape: Shape
    @OptionGroup(title: "Saturate") var saturation: Saturation
    @OptionGroup(title: "Connections") var holding: Holding
    @OptionGroup(title: "Journal") var journaling: Journaling
    @OptionGroup(title: "Cold start") var coldStarting: ColdStarting
    @OptionGroup(title: "Cluster") var clustering: Clustering
    @OptionGroup(title: "Servers") var servers: Servers

    func validate() throws {
        if shape.idle > 0 && modes.mode != .fanout {
            throw ValidationError("--idle: fan-out mode only")
        }
        if modes.mode == .cluster && servers.database == nil {
            throw ValidationError("--cluster: the nodes share a PostgreSQL database: add --database postgres://…")
        }
    }

    subscript<T>(dynamicMember path: KeyPath<Modes, T>) -> T { modes[keyPath: path] }
    subscript<T>(dynamicMember path: KeyPath<Shape, T>) -> T { shape[keyPath: path] }
    subscript<T>(dynamicMember path: KeyPath<Saturation, T>) -> T { saturation[keyPath: path] }
    subscript<T>(dynamicMember path: KeyPath<Holding, T>) -> T { holding[keyPath: path] }
    subscript<T>(dynamicMember path: KeyPath<Journaling, T>) -> T { journaling[keyPath: path] }
    subscript<T>(dynamicMember path: KeyPath<ColdStarting, T>) -> T { coldStarting[keyPath: path] }
    subscript<T>(dynamicMember path: KeyPath<Clustering, T>) -> T { clustering[keyPath: path] }
    subscript<T>(dynamicMember path: KeyPath<Servers, T>) -> T { servers[keyPath: path] }
}

// Every value option takes the next argument whatever it looks like, so `--rate -1` is refused as
// a number rather than read as another option.

extension ParsableArguments {
    /// Counts on the command line are never negative.
    func requireNonNegative(_ counts: KeyValuePairs<String, Int>) throws {
        for (name, value) in counts where value < 0 { throw ValidationError("\(name): must be ≥ 0, not \(value)") }
    }

    /// Seconds, rates, factors and shares on the command line are finite and never negative.
    func requireNonNegative(_ numbers: KeyValuePairs<String, Double>) throws {
        for (name, value) in numbers where !(value.isFinite && value >= 0) {
            throw ValidationError("\(name): must be a finite number ≥ 0, not \(value)")
        }
    }
}

struct Modes: ParsableArguments, Sendable {
    @Flag(help: "Raise the rate step by step until p99 delivery > --p99-limit ms or loss appears; reports the best sustained deliveries/s.")
    var saturate = false

    @Option(name: .customLong("connections"), parsing: .unconditional, help: ArgumentHelp("Hold N idle joined connections; server RSS per connection.", valueName: "N"))
    var connectionsToHold: Int?

    @Flag(help: "Durable commands/s: senders keep --window commands in flight.")
    var journal = false

    @Option(name: .customLong("cold-start"), parsing: .unconditional, help: ArgumentHelp("Journal EVENTS events through the server, restart it, and time exec → /healthz 200 → a join's welcome.", valueName: "EVENTS"))
    var coldStartEventsToJournal: Int?

    @Option(name: .customLong("replay-seek"), parsing: .unconditional, help: ArgumentHelp("Journal EVENTS events in one workshop through the server, restart it, and time the replay's first timeline (its index) and --seeks random seeks (GET …/replay/{seq}).", valueName: "EVENTS"))
    var replaySeekEvents: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("--replay-seek: random seeks per run.", valueName: "N"))
    var seeks: Int = 200

    @Flag(help: "Three nodes on --database behind HAProxy, a writer per workshop; kill -9 the owner of a workshop --kills times: takeover time (kill → first ack on the new owner) p50/p99, nothing lost or applied twice.")
    var cluster = false

    var mode: Options.Mode {
        if saturate { .saturate }
        else if connectionsToHold != nil { .connections }
        else if journal { .journal }
        else if coldStartEventsToJournal != nil { .coldStart }
        else if replaySeekEvents != nil { .replaySeek }
        else if cluster { .cluster }
        else { .fanout }
    }
    /// Connections to hold (--connections), 0 in the other modes.
    var connections: Int { connectionsToHold ?? 0 }
    /// Events to journal before the restarts (--cold-start), 0 in the other modes.
    var coldStartEvents: Int { coldStartEventsToJournal ?? replaySeekEvents ?? 0 }

    func validate() throws {
        let chosen = [saturate, connectionsToHold != nil, journal, coldStartEventsToJournal != nil, replaySeekEvents != nil, cluster].filter { $0 }.count
        guard chosen <= 1 else { throw ValidationError("one mode at most: --saturate, --connections, --journal, --cold-start, --replay-seek or --cluster") }
        if mode == .connections && connections < 1 { throw ValidationError("--connections: at least 1") }
        if mode == .coldStart && coldStartEvents < 1 { throw ValidationError("--cold-start: at least 1 event") }
        if mode == .replaySeek && coldStartEvents < 1 { throw ValidationError("--replay-seek: at least 1 event") }
        if !(1...100_000).contains(seeks) { throw ValidationError("--seeks: from 1 to 100000, not \(seeks)") }
    }
}

struct Shape: ParsableArguments, Sendable {
    @Option(parsing: .unconditional, help: ArgumentHelp("Workshops (mirror instances: at most 3).", valueName: "W"))
    var workshops: Int = 3

    @Option(parsing: .unconditional, help: ArgumentHelp("Participants per workshop.", valueName: "P"))
    var participants: Int = 100

    /// Changes per second and participant (fan-out), or the first step (saturate).
    @Option(parsing: .unconditional, help: ArgumentHelp("Changes per second and participant (saturate: the first step).", valueName: "R"))
    var rate: Double = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Measured seconds (at most 600).", valueName: "S"))
    var duration: Double = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds sent before measuring (at most 60).", valueName: "S"))
    var warmup: Double = 2

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds allowed for the last deliveries (at most 60).", valueName: "S"))
    var drain: Double = 5

    @Option(parsing: .unconditional, help: ArgumentHelp("Repeat N times (fresh servers) and report the median (1 to 20).", valueName: "N"))
    var runs: Int = 1

    /// Fan-out: joined connections held idle in other workshops while the load runs.
    @Option(parsing: .unconditional, help: ArgumentHelp("Fan-out: also hold N idle joined connections in other workshops (beside the mirror: N WebSockets on its http-only protocol).", valueName: "N"))
    var idle: Int = 0

    @Flag(help: "Run the same shape against libwebsockets-test-server.")
    var baseline = false

    @Flag(help: "One JSON object on stdout.")
    var json = false

    mutating func validate() throws {
        try requireNonNegative(["--workshops": workshops, "--participants": participants, "--runs": runs, "--idle": idle])
        try requireNonNegative(["--rate": rate, "--duration": duration, "--warmup": warmup, "--drain": drain])
        guard workshops >= 1, participants >= 1 else { throw ValidationError("--workshops and --participants: at least 1") }
        // Bounded runs: every loop of the tool ends in time.
        duration = min(duration, 600)
        warmup = min(warmup, 60)
        drain = min(drain, 60)
        runs = min(max(1, runs), 20)
    }
}

struct Saturation: ParsableArguments, Sendable {
    @Option(parsing: .unconditional, help: ArgumentHelp("Rate factor from one step to the next (above 1).", valueName: "F"))
    var stepFactor: Double = 1.25

    @Option(parsing: .unconditional, help: ArgumentHelp("Highest rate tried.", valueName: "R"))
    var maxRate: Double = 200

    @Option(parsing: .unconditional, help: ArgumentHelp("Measured seconds per step (at most 120).", valueName: "S"))
    var stepDuration: Double = 4

    @Option(name: .customLong("p99-limit"), parsing: .unconditional, help: ArgumentHelp("A step above this p99 delivery latency is not sustained.", valueName: "MS"))
    var p99LimitMs: Double = 100

    /// A step is sustained when it delivers at least this share of what was offered.
    @Option(parsing: .unconditional, help: ArgumentHelp("A step is sustained when it delivers at least this share of what it offered.", valueName: "X"))
    var sustainShare: Double = 0.95

    mutating func validate() throws {
        try requireNonNegative(["--step-factor": stepFactor, "--max-rate": maxRate, "--step-duration": stepDuration,
                                "--p99-limit": p99LimitMs, "--sustain-share": sustainShare])
        guard stepFactor > 1 else { throw ValidationError("--step-factor: must be above 1") }
        stepDuration = min(stepDuration, 120)
    }
}

struct Holding: ParsableArguments, Sendable {
    @Option(parsing: .unconditional, help: ArgumentHelp("Wait after the last join before reading RSS.", valueName: "S"))
    var settle: Double = 3

    @Flag(name: .customLong("no-join"), help: "Open the WebSockets but never join: the transport's share alone.")
    var noJoinAsked = false

    /// With --no-join: each connection sends one `ping` (and gets its `pong`), so the transport
    /// has read and written one frame.
    @Flag(help: "As --no-join, but each connection exchanges one ping/pong.")
    var pingOnce = false

    /// Hold WebSocket connections that never send `join`: the transport's share of the memory.
    var noJoin: Bool { noJoinAsked || pingOnce }

    func validate() throws { try requireNonNegative(["--settle": settle]) }
}

struct Journaling: ParsableArguments, Sendable {
    @Option(parsing: .unconditional, help: ArgumentHelp("Commands in flight per sender (at least 1).", valueName: "N"))
    var window: Int = 8

    mutating func validate() throws {
        try requireNonNegative(["--window": window])
        window = max(1, window)
    }
}

struct ColdStarting: ParsableArguments, Sendable {
    /// A data directory to fill once and reuse across invocations (kept after the run).
    @Option(parsing: .unconditional, help: ArgumentHelp("Fill this data directory once, keep it, reuse it on later runs.", valueName: "DIR"))
    var reuseData: String?
}

struct Clustering: ParsableArguments, Sendable {
    @Option(parsing: .unconditional, help: ArgumentHelp("Owners killed with -9, one after the other (1 to 200).", valueName: "N"))
    var kills: Int = 20

    @Option(parsing: .unconditional, help: ArgumentHelp("--lease-seconds of the nodes (6 to 3600; a node killed is taken over without waiting for it).", valueName: "S"))
    var leaseSeconds: Int = 30

    @Option(name: .customLong("haproxy-bin"), parsing: .unconditional, help: ArgumentHelp("HAProxy.", valueName: "PATH"))
    var haproxyBinary = "haproxy"

    @Option(parsing: .unconditional, help: ArgumentHelp("The HAProxy configuration whose listening address and server lines are replaced.", valueName: "FILE"))
    var haproxyConfig = "deploy/haproxy.cfg"

    mutating func validate() throws {
        guard (1...200).contains(kills) else { throw ValidationError("--kills: 1 to 200") }
        guard (6...3600).contains(leaseSeconds) else { throw ValidationError("--lease-seconds: 6 to 3600") }
    }
}

struct Servers: ParsableArguments, Sendable {
    /// Atelier on PostgreSQL: each run in a schema of its own, made (and dropped) with `psql`.
    @Option(parsing: .unconditional, help: ArgumentHelp("--journal: Atelier on this PostgreSQL database too, next to SQLite in the same run; --cluster: the nodes' database. A fresh schema per run, made and dropped with psql.", valueName: "postgres://…"))
    var database: String?

    @Option(name: .customLong("atelier-bin"), parsing: .unconditional, help: ArgumentHelp("The Atelier server to start.", valueName: "PATH"))
    var atelierBinary = ".build-bench/release/atelier"

    @Option(name: .customLong("server-cmd"), parsing: .unconditional, help: ArgumentHelp("Start Atelier with this shell command instead; {port} {data} {token} are replaced.", valueName: "CMD"))
    var serverCommand: String?

    @Option(name: .customLong("baseline-bin"), parsing: .unconditional, help: ArgumentHelp("The baseline server to start.", valueName: "PATH"))
    var baselineBinary = "libwebsockets-test-server"

    @Option(name: .customLong("baseline-cmd"), parsing: .unconditional, help: ArgumentHelp("Start the baseline with this shell command instead; {port} is replaced.", valueName: "CMD"))
    var baselineCommand: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Session plans directory, passed to atelier serve.", valueName: "DIR"))
    var plans = "./sessions"

    @Option(parsing: .unconditional, help: ArgumentHelp("Web pages directory, passed to atelier serve.", valueName: "DIR"))
    var web = "./web"

    @Option(parsing: .unconditional, help: ArgumentHelp("Session plan of the workshops created.", valueName: "ID"))
    var plan = "iae-saone-et-loire"

    @Option(parsing: .unconditional, help: ArgumentHelp("Group the participants join.", valueName: "ID"))
    var group = "g_consolider"

    @Option(parsing: .unconditional, help: ArgumentHelp("Board the cards are added to.", valueName: "ID"))
    var board = "b_consolider"

    @Option(parsing: .unconditional, help: ArgumentHelp("Column the cards are added to.", valueName: "ID"))
    var column = "problems"

    /// Bytes of each mirror message (the timestamp padded), to match the size of Atelier's event.
    @Option(parsing: .unconditional, help: ArgumentHelp("Size of each mirror message (48 to 4000).", valueName: "BYTES"))
    var baselinePayload: Int = 240

    /// Handshakes allowed in flight at once while connecting.
    @Option(parsing: .unconditional, help: ArgumentHelp("Handshakes in flight while connecting (at least 1).", valueName: "N"))
    var connectConcurrency: Int = 64

    @Option(parsing: .unconditional, help: ArgumentHelp("Passed to atelier serve.", valueName: "N"))
    var maxQueuedBytes: Int?

    /// Seconds to wait for other processes to leave the CPU before each run.
    @Option(parsing: .unconditional, help: ArgumentHelp("Before each run, wait up to S s for other processes to use under 15 % CPU (at most 3600); every window also reports \"other CPU %\".", valueName: "S"))
    var quietWait: Double = 120

    @Flag(name: [.long, .short], help: "Progress on stderr.")
    var verbose = false

    mutating func validate() throws {
        try requireNonNegative(["--baseline-payload": baselinePayload, "--connect-concurrency": connectConcurrency,
                                "--max-queued-bytes": maxQueuedBytes ?? 0])
        try requireNonNegative(["--quiet-wait": quietWait])
        baselinePayload = min(4000, max(48, baselinePayload))
        connectConcurrency = max(1, connectConcurrency)
        quietWait = min(3600, quietWait)
    }
}

enum BenchError: Error, CustomStringConvertible {
    case failed(String)
    var description: String {
        switch self {
        case .failed(let why): why
        }
    }
}
