import CLibWebSockets
import Foundation

/// Liveness of WebSocket connections, kept by the transport rather than by libwebsockets.
///
/// libwebsockets' own validity timers (`retry_and_idle_policy`) are one sorted-list timer per
/// connection, re-inserted on every ping and pong: at 20,000 connections that insertion walk cost
/// a whole core while idle (BENCHMARKS.md). Here a connection only records the second of its last
/// valid frame (two stores, no list touched), and one timer a second sweeps a wheel of 64 buckets
/// keyed by the second each connection is due to be looked at. A connection is visited when it
/// may need a ping (`pingAfter` seconds after it was last heard) and when it may need dropping
/// (`dropAfter`), so the cost is O(connections / pingAfter) a second.
///
/// - silent ≥ `pingAfter` seconds: one ping (`LWS_WRITE_PING`, written from WRITEABLE);
/// - silent ≥ `dropAfter` seconds: the connection is closed (libwebsockets kills it at once,
///   as its validity hang-up did: a dead peer reads nothing, not even a close frame).
///
/// Any complete frame counts as valid: a message, a fragment, a pong.
struct LivenessWheel {
    static let size = 64
    private var buckets = [[ConnectionID]](repeating: [], count: LivenessWheel.size)

    mutating func schedule(_ id: ConnectionID, at second: Int64) {
        buckets[Int(second % Int64(Self.size))].append(id)
    }

    /// Empties and returns the bucket of `second`: what is due then (and what wrapped around to it).
    mutating func take(_ second: Int64) -> [ConnectionID] {
        let i = Int(second % Int64(Self.size))
        let due = buckets[i]
        buckets[i] = []
        return due
    }
}

/// Monotonic seconds (coarse clock: a few nanoseconds, good to a few milliseconds).
func monotonicSecond() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
    return Int64(ts.tv_sec)
}

extension WebSocketServer {
    /// A new connection: heard now, looked at again once it may need a ping.
    func startLiveness(_ c: Connection) {
        let now = monotonicSecond()
        c.lastHeard = now
        scheduleCheck(c, now: now)
    }

    /// A valid frame came: the peer is alive.
    @inline(__always)
    func heard(_ c: Connection) {
        c.lastHeard = monotonicSecond()
        c.pinged = false
    }

    private func scheduleCheck(_ c: Connection, now: Int64) {
        let ping = Int64(configuration.pingAfterSeconds), drop = Int64(configuration.dropAfterSeconds)
        var next = c.lastHeard + drop
        if ping < drop && !c.pinged { next = c.lastHeard + ping }
        c.checkAt = max(next, now + 1)
        liveness.schedule(c.id, at: c.checkAt)
    }

    /// Once a second, on the service thread: pings and drops what is due.
    /// At the end of a turn: the once-a-second sweep, if its timer fired.
    func sweepLivenessIfDue() {
        guard livenessDue else { return }
        livenessDue = false
        sweepLiveness()
    }

    func sweepLiveness() {
        let now = monotonicSecond()
        // Seconds the loop could not sweep (a long turn) are swept now, in order.
        let from = lastSweep.map { min($0 + 1, now) } ?? now
        for second in from...now {
            for id in liveness.take(second) {
                guard let c = connections[id] else { continue }  // closed meanwhile
                if c.checkAt > now { liveness.schedule(id, at: c.checkAt); continue }  // not yet: wrapped around
                let silent = now - c.lastHeard
                if silent >= Int64(configuration.dropAfterSeconds) {
                    lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
                    continue
                }
                if silent >= Int64(configuration.pingAfterSeconds) && !c.pinged {
                    c.pinged = true
                    c.pingWanted = true
                    listForFlush(c)
                }
                scheduleCheck(c, now: now)
            }
            for id in stallWheel.take(second) { checkStall(id, now: now) }
        }
        lastSweep = now
        sweepExchanges(now: now)
    }

    /// Frames started waiting for this connection: its progress will be looked at.
    func watchStall(_ c: Connection) {
        guard !c.stallWatched else { return }
        c.stallWatched = true
        stallWheel.schedule(c.id, at: max(c.progressAt + Int64(configuration.stallSeconds), monotonicSecond() + 1))
    }

    /// A peer that takes nothing of what waits for it holds that memory: after `stallSeconds`
    /// without a write going out it is dropped like a slow reader (4001), and cut 5 s later if
    /// even the close cannot go out. Any progress, however slow, keeps it.
    private func checkStall(_ id: ConnectionID, now: Int64) {
        guard let c = connections[id] else { return }
        guard c.pendingBytes > 0, c.closing == nil else { c.stallWatched = false; return }
        let due = c.progressAt + Int64(configuration.stallSeconds)
        if now < due {
            stallWheel.schedule(id, at: due)
            return
        }
        c.stallWatched = false
        dropSlowReader(c)
    }

    /// Writes the ping a sweep asked for (from WRITEABLE, where writes belong).
    func writePing(_ c: Connection) -> Int32 {
        c.pingWanted = false
        // One byte of payload: libwebsockets 4.1 does not call back for an empty pong.
        pingBuffer[LWS.pre] = UInt8(ascii: "p")
        let written = lws_write(c.wsi, pingBuffer + LWS.pre, 1, LWS_WRITE_PING)
        return written < 0 ? -1 : 0
    }

    func scheduleLivenessTimer() {
        guard let context, let livenessTimer else { return }
        livenessTimer.withMemoryRebound(to: lws_sorted_usec_list_t.self, capacity: 1) { sul in
            lws_sul_schedule(context, 0, sul, atelierLivenessTick, lws_usec_t(1_000_000))
        }
    }
}

/// The liveness timer: the server pointer is stored just after the `lws_sorted_usec_list_t`.
func atelierLivenessTick(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    guard let sul else { return }
    let slot = UnsafeMutableRawPointer(sul) + MemoryLayout<lws_sorted_usec_list_t>.stride
    let server = Unmanaged<WebSocketServer>.fromOpaque(slot.load(as: UnsafeRawPointer.self)).takeUnretainedValue()
    // The sweep itself runs at the end of the turn (`sweepLivenessIfDue`), after the turn's input
    // is read: a loop running late sees the pongs and messages that came meanwhile before it
    // decides that a peer went silent (libuv runs timers before it polls for input). The wake-up
    // makes sure that end of turn comes now rather than at the next input.
    server.livenessDue = true
    if let context = server.context { lws_cancel_service(context) }
    server.scheduleLivenessTimer()
}
