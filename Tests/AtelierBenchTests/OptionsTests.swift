import ArgumentParser
import Foundation
import Testing
@testable import atelier_bench

/// The command lines of BENCHMARKS.md and scripts/bench, read by the bench's parser.
struct OptionsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let benchmarks = try! String(contentsOf: root.appendingPathComponent("BENCHMARKS.md"), encoding: .utf8)
    static let script = try! String(contentsOf: root.appendingPathComponent("scripts/bench"), encoding: .utf8)

    /// Splits a command line as sh does for what these files use: blanks, '…', "…", \ + newline.
    static func words(_ line: String) -> [String] {
        var words: [String] = [], word: String?, quote: Character?, escaped = false
        for c in line {
            if escaped { escaped = false; if c != "\n" { word = (word ?? "") + String(c) }; continue }
            if let q = quote {
                if c == q { quote = nil } else { word! += String(c) }
            } else if c == "'" || c == "\"" {
                quote = c; word = word ?? ""
            } else if c == "\\" {
                escaped = true
            } else if c == " " || c == "\n" || c == "\t" {
                if let w = word { words.append(w); word = nil }
            } else {
                word = (word ?? "") + String(c)
            }
        }
        if let w = word { words.append(w) }
        return words
    }

    /// The arguments of a `scripts/bench …` command of BENCHMARKS.md, checked to be in the file.
    static func documented(_ command: String) throws -> Options {
        #expect(benchmarks.contains(command), "not in BENCHMARKS.md: \(command)")
        let arguments = words(command)
        #expect(arguments.first == "scripts/bench")
        return try Options.parse(Array(arguments.dropFirst()))
    }

    /// The message and exit code the bench would print for these arguments.
    static func refusal(_ arguments: [String]) -> (message: String, code: ExitCode)? {
        do {
            _ = try Options.parse(arguments)
            return nil
        } catch {
            return (Options.message(for: error), Options.exitCode(for: error))
        }
    }

    @Test func defaultsAreTheBenchsDefaults() throws {
        let o = try Options.parse([])
        #expect(o.mode == .fanout)
        #expect((o.workshops, o.participants, o.runs) == (3, 100, 1))
        #expect((o.rate, o.duration, o.warmup, o.drain) == (1, 10, 2, 5))
        #expect(!o.baseline && !o.json && !o.verbose)
        #expect((o.stepFactor, o.maxRate, o.stepDuration, o.p99LimitMs, o.sustainShare) == (1.25, 200, 4, 100, 0.95))
        #expect((o.connections, o.idle, o.settle, o.noJoin, o.pingOnce) == (0, 0, 3, false, false))
        #expect((o.window, o.coldStartEvents) == (8, 0))
        #expect(o.reuseData == nil && o.serverCommand == nil && o.baselineCommand == nil && o.maxQueuedBytes == nil)
        #expect(o.atelierBinary == ".build-bench/release/atelier")
        #expect(o.baselineBinary == "libwebsockets-test-server")
        #expect((o.plans, o.web, o.plan) == ("./sessions", "./web", "iae-saone-et-loire"))
        #expect((o.group, o.board, o.column) == ("g_consolider", "b_consolider", "problems"))
        #expect((o.baselinePayload, o.connectConcurrency, o.quietWait) == (240, 64, 120))
    }

    /// What a row of BENCHMARKS.md sets; everything else keeps its default.
    struct Row: Equatable, CustomStringConvertible {
        var mode = Options.Mode.fanout, workshops = 3, participants = 100, rate = 1.0, duration = 10.0, runs = 1
        var baseline = false, stepFactor = 1.25, stepDuration = 4.0, connections = 0, window = 8, coldStartEvents = 0, idle = 0

        var description: String { "\(mode) \(workshops)×\(participants) rate \(rate) \(duration) s ×\(runs) baseline \(baseline) steps \(stepFactor)/\(stepDuration) s connections \(connections) window \(window) events \(coldStartEvents) idle \(idle)" }
    }

    @Test(arguments: [
        ("scripts/bench --saturate --workshops 3 --participants 100 --rate 3 --step-factor 1.25 --step-duration 4 --runs 3 --baseline",
         Row(mode: .saturate, participants: 100, rate: 3, runs: 3, baseline: true)),
        ("scripts/bench --workshops 3 --participants 100 --rate 1 --duration 10 --runs 3 --baseline",
         Row(participants: 100, runs: 3, baseline: true)),
        ("scripts/bench --workshops 1 --participants 200 --rate 1 --duration 10 --runs 3 --baseline",
         Row(workshops: 1, participants: 200, runs: 3, baseline: true)),
        ("scripts/bench --connections 19900 --participants 100 --runs 3 --baseline",
         Row(mode: .connections, participants: 100, runs: 3, baseline: true, connections: 19900)),
        ("scripts/bench --journal --workshops 100 --participants 1 --window 8 --duration 10 --runs 3 --baseline",
         Row(mode: .journal, workshops: 100, participants: 1, runs: 3, baseline: true)),
        ("scripts/bench --cold-start 1000000 --workshops 100 --participants 2 --window 8 --runs 3",
         Row(mode: .coldStart, workshops: 100, participants: 2, runs: 3, coldStartEvents: 1_000_000)),
        ("scripts/bench --replay-seek 1000000 --workshops 1 --participants 20 --window 8 --runs 3",
         Row(mode: .replaySeek, workshops: 1, participants: 20, runs: 3, coldStartEvents: 1_000_000)),
        ("scripts/bench --workshops 3 --participants 100 --rate 1 --duration 10 --idle 19600 --runs 3\n",
         Row(participants: 100, runs: 3, idle: 19600)),
        ("scripts/bench --workshops 3 --participants 100 --rate 1 --duration 10 --idle 19600 --runs 3 --baseline",
         Row(participants: 100, runs: 3, baseline: true, idle: 19600)),
    ])
    func documentedRow(command: String, expected: Row) throws {
        let o = try Self.documented(command)
        #expect(Row(o) == expected)
        #expect(o.serverCommand == nil && o.reuseData == nil && !o.noJoin && !o.json)
    }

    @Test func idleUnderLoadWithAServerCommand() throws {
        let serverCommand = ".build-bench/release/atelier serve --host 127.0.0.1 --port {port} --data {data} --plans ./sessions --web ./web --admin-token {token} --messages-per-second 1000000 --max-connections-per-address 1000000 --joins-per-address-per-minute 1000000 --capacity-factor 10000 --ping-after 3600 --drop-after 7200"
        let o = try Self.documented("""
        scripts/bench --workshops 3 --participants 100 --rate 1 --duration 10 --idle 19600 --runs 3 \\
          --server-cmd '\(serverCommand)'
        """)
        #expect((o.mode, o.workshops, o.participants, o.idle, o.runs) == (.fanout, 3, 100, 19600, 3))
        // The server's own options stay inside the command: the bench's --plans and --web keep their defaults.
        #expect(o.serverCommand == serverCommand)
        #expect((o.plans, o.web) == ("./sessions", "./web"))
    }

    /// Every `scripts/bench` command in BENCHMARKS.md's sh blocks, and every row `scripts/bench --all` runs.
    @Test func everyDocumentedCommandParses() throws {
        var commands: [[String]] = []
        for (index, block) in Self.benchmarks.components(separatedBy: "```").enumerated() where index % 2 == 1 && block.hasPrefix("sh\n") {
            for line in block.dropFirst(3).replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n") {
                let command = Self.words(String(line.split(separator: "#", maxSplits: 1)[0]))
                guard command.first == "scripts/bench" && command.dropFirst().first != "--all" else { continue }
                // scripts/bench --pg starts a throwaway PostgreSQL and passes its URL as --database.
                commands.append(command.dropFirst().first == "--pg" ? Array(command.dropFirst(2)) + Self.database : Array(command.dropFirst()))
            }
        }
        for line in Self.script.split(separator: "\n") where line.hasPrefix("\"$bench\" ") {
            let command = Self.words(line.replacingOccurrences(of: "$runs", with: "3"))
            commands.append(command.dropFirst().flatMap { $0 == "${pg_args[@]}" ? Self.database : [$0] }.filter { $0 != "$@" } + ["--json"])
        }
        #expect(commands.count == 24)
        for arguments in commands {
            if arguments == ["--help"] {
                #expect(Self.refusal(arguments)?.code == .success)
            } else {
                #expect(Self.refusal(arguments) == nil, "\(arguments)")
            }
        }
    }

    static let database = ["--database", "postgres://atelier@127.0.0.1:5432/atelier_test"]

    @Test func boundsAreApplied() throws {
        let high = try Options.parse(["--runs", "50", "--duration", "1000", "--warmup", "99", "--drain", "99", "--step-duration", "500",
                                      "--baseline-payload", "9000", "--quiet-wait", "9999"])
        #expect((high.runs, high.duration, high.warmup, high.drain, high.stepDuration) == (20, 600, 60, 60, 120))
        #expect((high.baselinePayload, high.quietWait) == (4000, 3600))
        let low = try Options.parse(["--runs", "0", "--window", "0", "--connect-concurrency", "0", "--baseline-payload", "1"])
        #expect((low.runs, low.window, low.connectConcurrency, low.baselinePayload) == (1, 1, 1, 48))
    }

    @Test func flagsAndRepeats() throws {
        let o = try Options.parse(["--connections", "10", "--ping-once", "-v", "--rate", "2", "--rate", "0.5", "--max-queued-bytes", "1024"])
        #expect(o.mode == .connections && o.noJoin && o.pingOnce && o.verbose)
        #expect(o.rate == 0.5)
        #expect(o.maxQueuedBytes == 1024)
        let noJoin = try Options.parse(["--connections", "10", "--no-join"])
        #expect(noJoin.noJoin && !noJoin.pingOnce)
    }

    @Test(arguments: [
        (["--rate", "-1"], "--rate: must be a finite number ≥ 0, not -1.0"),
        (["--duration", "inf"], "--duration: must be a finite number ≥ 0, not inf"),
        (["--runs", "-2"], "--runs: must be ≥ 0, not -2"),
        (["--rate", "fast"], "The value 'fast' is invalid for '--rate <R>'"),
        (["--workshops"], "Missing value for '--workshops <W>'"),
        (["--server-cmd"], "Missing value for '--server-cmd <CMD>'"),
        (["--bogus"], "Unknown option '--bogus'"),
        (["--workshops", "0"], "--workshops and --participants: at least 1"),
        (["--participants", "0"], "--workshops and --participants: at least 1"),
        (["--step-factor", "1"], "--step-factor: must be above 1"),
        (["--journal", "--idle", "5"], "--idle: fan-out mode only"),
        (["--saturate", "--idle", "5"], "--idle: fan-out mode only"),
        (["--connections", "0"], "--connections: at least 1"),
        (["--connections", "-5"], "--connections: at least 1"),
        (["--cold-start", "0"], "--cold-start: at least 1 event"),
        (["--saturate", "--journal"], "one mode at most: --saturate, --connections, --journal, --cold-start, --replay-seek or --cluster"),
        (["--cluster"], "--cluster: the nodes share a PostgreSQL database: add --database postgres://…"),
        (["--cluster", "--kills", "0", "--database", "postgres://x@127.0.0.1/y"], "--kills: 1 to 200"),
        (["--cluster", "--lease-seconds", "3", "--database", "postgres://x@127.0.0.1/y"], "--lease-seconds: 6 to 3600"),
    ])
    func badCommandLinesAreRefused(arguments: [String], message: String) throws {
        let refused = try #require(Self.refusal(arguments))
        #expect(refused.message.hasPrefix(message), "\(refused.message)")
        #expect(refused.code == .validationFailure)
    }

    @Test func valuesAreTakenAsGiven() throws {
        // As before: an option's value is the next argument, even when it starts with a dash.
        let o = try Options.parse(["--baseline-cmd", "--weird", "--plan", "-p"])
        #expect(o.baselineCommand == "--weird" && o.plan == "-p")
    }
}

extension OptionsTests.Row {
    init(_ o: Options) {
        (mode, workshops, participants, rate, duration, runs) = (o.mode, o.workshops, o.participants, o.rate, o.duration, o.runs)
        (baseline, stepFactor, stepDuration, connections) = (o.baseline, o.stepFactor, o.stepDuration, o.connections)
        (window, coldStartEvents, idle) = (o.window, o.coldStartEvents, o.idle)
    }
}
