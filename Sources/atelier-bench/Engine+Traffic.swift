import CLibWebSockets
import Foundation

/// Appends ASCII to a send buffer without allocating.
struct ByteWriter {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0

    mutating func append(_ s: StaticString) {
        let n = min(s.utf8CodeUnitCount, capacity - count)
        (base + count).update(from: s.utf8Start, count: n)
        count += n
    }
    mutating func append(_ bytes: [UInt8]) {
        let n = min(bytes.count, capacity - count)
        bytes.withUnsafeBufferPointer { (base + count).update(from: $0.baseAddress!, count: n) }
        count += n
    }
    mutating func append(_ n: Int64) {
        var v = n < 0 ? 0 : UInt64(n)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var k = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[k] = UInt8(48 + v % 10); v /= 10; k += 1 } while v > 0
            while k > 0, count < capacity { k -= 1; base[count] = d[k]; count += 1 }
        }
    }
    mutating func append(_ n: Int) { append(Int64(n)) }
    mutating func pad(to total: Int, with byte: UInt8) {
        while count < min(total, capacity) { base[count] = byte; count += 1 }
    }
}

extension Engine {
    // MARK: - Load control (service thread)

    /// Starts (or changes) the load: resets the counters of the window to come.
    func startLoad(_ newPlan: LoadPlan) {
        plan = newPlan
        stats = Measurements()
        stats.windowSeconds = newPlan.measureEnd == .max ? 0 : Double(newPlan.measureEnd - newPlan.measureStart) / 1e9
        let now = monotonicNanos()
        for c in connections where c.state == .joined {
            if case .mirror = target, c.expected.isEmpty {
                c.expected = [Int32](repeating: 0, count: rooms[c.room].count)
            }
            if case .open(let perSecond) = newPlan.pacing, perSecond > 0 {
                // Each sender on its own phase (golden-ratio spread), so a room's senders do not
                // fire together.
                let interval = 1e9 / perSecond
                let phase = (Double(c.index) * 0.618_033_988_75).truncatingRemainder(dividingBy: 1)
                c.nextDue = now + Int64(phase * interval)
            }
        }
        scheduleTick(afterMicros: 200)
    }

    /// Requests a write for every sender that has something due. Returns whether sending is on.
    func sendTick(now: Int64) -> Bool {
        guard plan.pacing != .none, now < plan.sendStop, totalSent < plan.totalLimit else { return false }
        switch plan.pacing {
        case .none:
            return false
        case .open:
            for c in connections where c.active && c.state == .joined && !c.writeRequested && c.nextDue <= now { requestWrite(c) }
        case .closed(let window):
            for c in connections where c.active && c.state == .joined && !c.writeRequested && c.inFlight < window { requestWrite(c) }
        }
        return true
    }

    /// LWS_CALLBACK_CLIENT_WRITEABLE: the join, or the next message if one is due.
    func write(_ c: Connection) -> Int32 {
        if c.joinPending {
            c.joinPending = false
            return writeJoin(c)
        }
        guard c.state == .joined, c.active, plan.pacing != .none else { return 0 }
        let now = monotonicNanos()
        guard now < plan.sendStop, totalSent < plan.totalLimit else { return 0 }
        switch plan.pacing {
        case .none:
            return 0
        case .open(let perSecond):
            guard c.nextDue <= now else { return 0 }
            let interval = Int64(1e9 / perSecond)
            let lag = now - c.nextDue
            if now >= plan.measureStart && now < plan.measureEnd {
                if lag > 10_000_000 { stats.lateSends += 1 }
                stats.maxSendLagMs = max(stats.maxSendLagMs, Double(lag) / 1e6)
            }
            // A sender more than half a second behind skips what it missed rather than
            // bursting: the shortfall shows as sent/s below the offered rate.
            c.nextDue = lag > 500_000_000 ? now + interval : c.nextDue + interval
            let (rc, _) = sendMessage(c, now: now)
            if c.nextDue <= now { requestWrite(c) }
            return rc
        case .closed(let window):
            guard c.inFlight < window else { return 0 }
            let (rc, sent) = sendMessage(c, now: now)
            if sent && c.inFlight < window { requestWrite(c) }
            return rc
        }
    }

    private func writeJoin(_ c: Connection) -> Int32 {
        guard case .atelier(let codes) = target else { return 0 }
        let code = codes[c.room % codes.count]
        let text = options.pingOnce ? #"{"id":"p","type":"ping"}"# : #"{"id":"j","type":"join","code":"\#(code)","name":"Bench \#(c.index + 1)","organisation":"","actor":"other","group":"\#(options.group)"}"#
        let bytes = Array(text.utf8)
        return writeBytes(c) { p, cap in
            var w = ByteWriter(base: p, capacity: cap)
            w.append(bytes)
            return w.count
        }
    }

    /// Writes the sender's next message; returns lws' verdict and whether a message went out.
    private func sendMessage(_ c: Connection, now: Int64) -> (Int32, Bool) {
        let member = c.member
        let k = c.sent
        var sentOne = true
        let rc: Int32
        switch target {
        case .atelier:
            let addPrefix = cardAddPrefix
            let movePrefix = cardMovePrefix
            var move: [UInt8]?
            if case .fill(let perSender) = plan.command, c.addsSent >= perSender {
                guard !c.cards.isEmpty else { return (0, false) }
                move = Array(c.cards[k % c.cards.count].utf8)
            }
            rc = writeBytes(c) { p, cap in
                var w = ByteWriter(base: p, capacity: cap)
                w.append(#"{"id":"a"#)
                w.append(now)
                if let move {
                    w.append(movePrefix)
                    w.append(move)
                    w.append(#"","x":"#)
                    w.append((k &* 7919) % 10_000)
                    w.append(#","y":"#)
                    w.append((k &* 104_729) % 10_000)
                    w.append("}")
                } else {
                    w.append(addPrefix)
                    w.append(now)
                    w.append(" s=")
                    w.append(member)
                    w.append(" k=")
                    w.append(k)
                    w.append(#""}"#)
                }
                return w.count
            }
            if move == nil, case .fill = plan.command { c.addsSent += 1 }
        case .mirror(let payloadBytes):
            rc = writeBytes(c) { p, cap in
                var w = ByteWriter(base: p, capacity: cap)
                w.append("t=")
                w.append(now)
                w.append(" s=")
                w.append(member)
                w.append(" k=")
                w.append(k)
                w.append(" ")
                w.pad(to: payloadBytes, with: UInt8(ascii: "x"))
                return w.count
            }
            // Nothing answers a mirror message but its copies: count it answered at once.
            c.answered += 1
        case .holder:
            return (0, false) // holders only hold their place
        }
        if rc < 0 { sentOne = false }
        if sentOne {
            c.sent += 1
            totalSent += 1
            if now >= plan.measureStart && now < plan.measureEnd { stats.sentInWindow += 1 }
        }
        return (rc, sentOne)
    }

    var cardAddPrefix: [UInt8] {
        Array(#"","type":"card.add","board":"\#(options.board)","column":"\#(options.column)","text":"t="#.utf8)
    }
    var cardMovePrefix: [UInt8] { Array(#"","type":"card.move","card":""#.utf8) }

    // MARK: - Receiving

    func receive(_ c: Connection, _ input: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
        guard let input, let wsi = c.wsi else { return 0 }
        let final = lws_is_final_fragment(wsi) != 0 && lws_remaining_packet_payload(wsi) == 0
        let bytes = UnsafePointer(input.assumingMemoryBound(to: UInt8.self))
        if c.rx.isEmpty && final {
            process(c, bytes, len)
            return 0
        }
        c.rx.append(contentsOf: UnsafeBufferPointer(start: bytes, count: len))
        if final {
            var message: [UInt8] = []
            swap(&message, &c.rx)
            message.withUnsafeBufferPointer { process(c, $0.baseAddress!, $0.count) }
        }
        return 0
    }

    private func process(_ c: Connection, _ p: UnsafePointer<UInt8>, _ n: Int) {
        let now = monotonicNanos()
        let inWindow = now >= plan.measureStart && now < plan.measureEnd
        if inWindow { stats.frames += 1 }
        switch target {
        case .holder:
            break
        case .mirror:
            processMirror(c, ByteSlice(base: p, start: 0, end: n), now: now, inWindow: inWindow)
        case .atelier:
            FrameScanner.forEachMessage(p, count: n) { object in
                processAtelier(c, object, now: now, inWindow: inWindow)
            }
        }
    }

    private func processAtelier(_ c: Connection, _ object: ByteSlice, now: Int64, inWindow: Bool) {
        let m = ServerMessage.parse(object)
        switch m.kind {
        case .event:
            guard let seq = m.seq else { return }
            if c.state == .joined {
                if seq == c.nextSeq { c.nextSeq += 1 }
                else if seq > c.nextSeq { stats.lost += seq - c.nextSeq; c.nextSeq = seq + 1 }
                else { stats.duplicated += 1 }
            }
            if seq > roomSeq[c.room] { roomSeq[c.room] = seq }
            if inWindow, let text = m.cardText, let t = text.number(after: "t=") {
                stats.recordDelivery(latencyNanos: now - t, second: Int((now - plan.measureStart) / 1_000_000_000))
                stats.messageBytes = object.count
            }
        case .ack:
            c.answered += 1
            if let seq = m.seq, seq > roomSeq[c.room] { roomSeq[c.room] = seq }
            if inWindow, let re = m.re, let t = re.number(after: "a") {
                stats.acksInWindow += 1
                stats.ackLatency.record(nanos: now - t)
            }
            if case .fill = plan.command, let card = m.resultCard { c.cards.append(card.string) }
            if case .closed = plan.pacing { requestWrite(c) }
        case .welcome:
            if !verifiedGroup[c.room] {
                verifiedGroup[c.room] = true
                if let you = FrameScanner.field("you", of: object), let group = FrameScanner.field("group", of: you)?.stringContents,
                   group.string != options.group, firstError == nil {
                    firstError = "joined group \(group.string), not \(options.group)"
                }
            }
            joined(c, seq: m.seq ?? 0)
        case .error:
            stats.errors += 1
            let code = m.code?.string ?? "?"
            stats.errorCodes[code, default: 0] += 1
            if c.state == .open {
                if firstError == nil { firstError = "join refused: \(code)" }
            } else {
                c.answered += 1
                if case .closed = plan.pacing { requestWrite(c) }
            }
        case .presence, .pong, .other:
            return
        }
    }

    private func processMirror(_ c: Connection, _ s: ByteSlice, now: Int64, inWindow: Bool) {
        guard c.state == .joined, let t = s.number(after: "t="), let sender = s.number(after: " s="),
              let k = s.number(after: " k=") else { return }
        let from = Int(sender)
        if from < c.expected.count {
            let e = Int64(c.expected[from])
            if k == e { c.expected[from] = Int32(e + 1) }
            else if k > e { stats.lost += k - e; c.expected[from] = Int32(k + 1) }
            else { stats.duplicated += 1 }
        }
        if inWindow {
            stats.recordDelivery(latencyNanos: now - t, second: Int((now - plan.measureStart) / 1_000_000_000))
            stats.messageBytes = s.count
        }
    }

    // MARK: - Progress and results

    struct Progress: Sendable {
        var joined: Int
        var failed: Int
        var connecting: Int
        var firstError: String?
        var totalSent: Int
    }

    func progress() -> Progress {
        Progress(joined: joinedCount, failed: failedCount, connecting: connecting, firstError: firstError, totalSent: totalSent)
    }

    /// Messages receivers still wait for, and commands still unanswered.
    func outstanding() -> (missing: Int64, unanswered: Int) {
        var missing: Int64 = 0
        var unanswered = 0
        for c in connections where c.state == .joined || c.state == .closed {
            unanswered += max(0, c.inFlight)
            switch target {
            case .atelier:
                let have = c.nextSeq - 1
                if roomSeq[c.room] > have { missing += roomSeq[c.room] - have }
            case .holder:
                break
            case .mirror:
                let members = rooms[c.room]
                for (s, idx) in members.enumerated() where s < c.expected.count {
                    let want = Int64(connections[idx].sent)
                    let have = Int64(c.expected[s])
                    if want > have { missing += want - have }
                }
            }
        }
        return (missing, unanswered)
    }

    /// Ends a window: whatever is still missing counts as lost, and receivers are moved past it
    /// so that a next step does not count it again.
    func finish(drained: Bool) -> Measurements {
        plan.pacing = .none
        let (missing, _) = outstanding()
        stats.lost += missing
        stats.drained = drained
        for c in connections where c.state == .joined || c.state == .closed {
            switch target {
            case .atelier:
                if roomSeq[c.room] >= c.nextSeq { c.nextSeq = roomSeq[c.room] + 1 }
            case .holder:
                break
            case .mirror:
                for (s, idx) in rooms[c.room].enumerated() where s < c.expected.count {
                    c.expected[s] = max(c.expected[s], Int32(connections[idx].sent))
                }
            }
            c.answered = max(c.answered, c.sent)
        }
        return stats
    }
}
