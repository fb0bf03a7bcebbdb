import Testing
@testable import atelier_bench

/// The bench's numbers are only as good as its histogram, its medians and its reading of the
/// server's frames: these check them against exact computations.
struct LatencyHistogramTests {
    /// The exact percentile by rank ⌈p·n/100⌉ of sorted values.
    func exact(_ values: [UInt64], _ p: Double) -> UInt64 {
        let sorted = values.sorted()
        let rank = max(1, Int((p / 100 * Double(sorted.count)).rounded(.up)))
        return sorted[rank - 1]
    }

    @Test func exactBelowTwoMilliseconds() {
        var h = LatencyHistogram()
        for v in 1...1000 { h.record(micros: UInt64(v)) }
        #expect(h.count == 1000)
        #expect(h.percentile(50) == 500)
        #expect(h.percentile(99) == 990)
        #expect(h.percentile(100) == 1000)
        #expect(h.maxMicros == 1000)
    }

    @Test func withinATenthOfAPercentAbove() {
        // A spread from 1 µs to about 17 minutes, deterministic.
        var values: [UInt64] = []
        var x: UInt64 = 12345
        for _ in 0..<20_000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let magnitude = (x >> 33) % 30
            values.append(1 + (x >> 7) % (UInt64(1) << magnitude))
        }
        var h = LatencyHistogram()
        values.forEach { h.record(micros: $0) }
        for p in [1.0, 25, 50, 90, 99, 99.9, 100] {
            let want = Double(exact(values, p))
            let got = Double(h.percentile(p)!)
            #expect(abs(got - want) <= max(1, want * 0.001), "p\(p): \(got) vs \(want)")
        }
        #expect(h.maxMicros == values.max())
    }

    @Test func bucketsCoverEveryValueOnce() {
        for v: UInt64 in [0, 1, 2047, 2048, 2049, 4095, 4096, 1_000_000, 123_456_789, UInt64(1) << 40, UInt64.max] {
            let b = LatencyHistogram.bucket(of: v)
            #expect(b >= 0 && b < LatencyHistogram.bucketCount)
            let (low, width) = LatencyHistogram.range(of: b)
            if v < UInt64(1) << 41 { #expect(low <= v && v < low + width, "\(v) in [\(low), \(low + width))") }
        }
    }

    @Test func mergeAddsCounts() {
        var a = LatencyHistogram(), b = LatencyHistogram()
        for v in 0..<100 { a.record(micros: UInt64(v)) }
        for v in 100..<300 { b.record(micros: UInt64(v * 1000)) }
        a.merge(b)
        #expect(a.count == 300)
        #expect(a.maxMicros == 299_000)
        #expect(a.percentile(1) == 2)
    }

    @Test func emptyAndNegative() {
        var h = LatencyHistogram()
        #expect(h.percentile(50) == nil)
        #expect(h.maxMillis == nil)
        h.record(nanos: -5)
        #expect(h.percentile(50) == 0)
    }
}

struct StatisticsTests {
    @Test func median() {
        #expect(Statistics.median([]) == nil)
        #expect(Statistics.median([3]) == 3)
        #expect(Statistics.median([5, 1, 3]) == 3)
        #expect(Statistics.median([4, 1, 3, 2]) == 2.5)
        #expect(Statistics.median([1, .nan, 3, 2]) == 2)
    }

    @Test func medianOfRunsSumsLosses() {
        var a = RunResult(server: "atelier"), b = RunResult(server: "atelier"), c = RunResult(server: "atelier")
        a.deliveriesPerSecond = 100; b.deliveriesPerSecond = 300; c.deliveriesPerSecond = 200
        a.p99Ms = 9; b.p99Ms = 1; c.p99Ms = 5
        a.lost = 1; c.lost = 2
        let m = RunResult.median([a, b, c])
        #expect(m.deliveriesPerSecond == 200)
        #expect(m.p99Ms == 5)
        #expect(m.lost == 3)
    }
}

struct FrameScannerTests {
    func messages(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var out: [String] = []
        bytes.withUnsafeBufferPointer { b in
            _ = FrameScanner.forEachMessage(b.baseAddress!, count: b.count) { out.append($0.string) }
        }
        return out
    }

    @Test func oneObjectOrAnArray() {
        #expect(messages(#"{"type":"ack","re":"a1","seq":3}"#) == [#"{"type":"ack","re":"a1","seq":3}"#])
        #expect(messages(#"[{"a":"}"},{"b":[1,{"c":"]"}]} , {"d":"\"{"}]"#) == [#"{"a":"}"}"#, #"{"b":[1,{"c":"]"}]}"#, #"{"d":"\"{"}"#])
        #expect(messages("[]").isEmpty)
        #expect(messages("nonsense").isEmpty)
    }

    func parse(_ text: String) -> (ServerMessage.Kind, Int64?, String?, String?, String?) {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { b in
            let m = ServerMessage.parse(ByteSlice(base: b.baseAddress!, start: 0, end: b.count))
            return (m.kind, m.seq, m.re?.string, m.cardText?.string, m.resultCard?.string)
        }
    }

    @Test func readsTheBenchsFields() {
        let added = #"{"type":"card.added","seq":42,"at":"2026-11-28T10:02:11.120Z","by":"p_3","card":{"id":"c_9","board":"b_consolider","column":"problems","text":"t=123456789 s=7 k=3","x":0,"y":0,"color":"yellow","author":"p_3","version":1,"cluster":null,"votes":null}}"#
        let (kind, seq, _, text, _) = parse(added)
        #expect(kind == .event)
        #expect(seq == 42)
        #expect(text == "t=123456789 s=7 k=3")
        let ack = parse(#"{"type":"ack","re":"a987","seq":43,"result":{"card":"c_10"}}"#)
        #expect(ack.0 == .ack && ack.1 == 43 && ack.2 == "a987" && ack.4 == "c_10")
        let moved = parse(#"{"type":"card.moved","seq":44,"at":"x","by":"p_1","card":"c_9","x":1,"y":2,"column":"problems","board":"b"}"#)
        #expect(moved.0 == .event && moved.1 == 44 && moved.3 == nil)
        let welcome = parse(#"{"type":"welcome","re":"j","seq":7,"at":"x","you":{"group":"g_consolider"},"workshop":{"seq":99},"events":[]}"#)
        #expect(welcome.0 == .welcome && welcome.1 == 7)
        #expect(parse(#"{"type":"presence","participant":"p_1","online":true}"#).0 == .presence)
    }

    @Test func numbersInText() {
        let bytes = Array("t=123 s=4 k=56 xxxx".utf8)
        bytes.withUnsafeBufferPointer { b in
            let s = ByteSlice(base: b.baseAddress!, start: 0, end: b.count)
            #expect(s.number(after: "t=") == 123)
            #expect(s.number(after: " s=") == 4)
            #expect(s.number(after: " k=") == 56)
            #expect(s.number(after: " z=") == nil)
        }
    }
}
