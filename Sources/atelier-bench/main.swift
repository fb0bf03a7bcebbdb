import ArgumentParser
import Foundation

// atelier-bench: measures Atelier's fan-out, latency, memory, durable throughput and cold start,
// next to the raw libwebsockets mirror (see BENCHMARKS.md for the commands and the results).

ChildRegistry.installSignalHandlers()


let options: Options
do {
    options = try Options.parse()
} catch {
    // --help prints the help and exits 0; a bad command line exits 2, as the bench always did.
    if Options.exitCode(for: error) == .success { Options.exit(withError: error) }
    log(Options.fullMessage(for: error))
    exit(2)
}

// Every connection is a descriptor in the bench and another in the server: raise the limit
// (children inherit it).
let wantedFiles = max(65_536, options.connections * 2 + 8192)
let gotFiles = raiseFileLimit(to: wantedFiles)
if options.mode == .connections && gotFiles < options.connections + 16 {
    // Without CAP_SYS_RESOURCE the hard limit cannot be raised, and the bench and each server
    // are bound by it separately: a few descriptors stay for their own files.
    log("atelier-bench: RLIMIT_NOFILE is \(gotFiles) (hard limit), too low for \(options.connections) connections: use at most \(gotFiles - 16)")
    exit(1)
}

do {
    let runner = try Runner(options: options)
    defer { runner.cleanUp() }
    let report = try runner.run()
    print(options.json ? report.jsonString() : report.table())
} catch {
    log("atelier-bench: \(error)")
    exit(1)
}
