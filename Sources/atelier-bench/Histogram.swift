import Foundation

/// A latency histogram over microseconds, log-linear like HdrHistogram: exact below 2,048 µs,
/// then 1,024 sub-buckets per power of two (a relative error under 0.1 %). Fixed size, no
/// allocation when recording, so it can sit on the client's hot path.
struct LatencyHistogram: Sendable, Equatable {
    static let linearLimit: UInt64 = 2048          // values below are their own bucket
    static let subBuckets = 1024                    // per power of two above
    static let firstExponent = 11                   // 2^11 = linearLimit
    static let lastExponent = 40                    // 2^40 µs ≈ 12 days: anything above is clamped
    static let bucketCount = Int(linearLimit) + (lastExponent - firstExponent + 1) * subBuckets

    private(set) var counts: [UInt64]
    private(set) var count: UInt64 = 0
    private(set) var maxMicros: UInt64 = 0
    private(set) var minMicros: UInt64 = .max
    private(set) var sumMicros: Double = 0

    init() { counts = [UInt64](repeating: 0, count: Self.bucketCount) }

    static func bucket(of micros: UInt64) -> Int {
        if micros < linearLimit { return Int(micros) }
        let exponent = min(63 - micros.leadingZeroBitCount, lastExponent)
        let v = exponent == lastExponent && micros >= (1 << (lastExponent + 1)) ? (UInt64(1) << (lastExponent + 1)) - 1 : micros
        let sub = Int((v >> UInt64(exponent - 10)) & UInt64(subBuckets - 1))
        return Int(linearLimit) + (exponent - firstExponent) * subBuckets + sub
    }

    /// The smallest value that falls in `bucket`, and the bucket's width.
    static func range(of bucket: Int) -> (low: UInt64, width: UInt64) {
        if bucket < Int(linearLimit) { return (UInt64(bucket), 1) }
        let b = bucket - Int(linearLimit)
        let exponent = b / subBuckets + firstExponent
        let sub = UInt64(b % subBuckets)
        let width = UInt64(1) << UInt64(exponent - 10)
        return ((UInt64(1) << UInt64(exponent)) + sub * width, width)
    }

    mutating func record(micros: UInt64) {
        counts[Self.bucket(of: micros)] &+= 1
        count += 1
        if micros > maxMicros { maxMicros = micros }
        if micros < minMicros { minMicros = micros }
        sumMicros += Double(micros)
    }

    /// Records a latency given in nanoseconds (negative values, from clock reads on two threads
    /// racing, count as zero).
    mutating func record(nanos: Int64) { record(micros: UInt64(max(0, nanos) / 1000)) }

    mutating func merge(_ other: LatencyHistogram) {
        for i in 0..<counts.count where other.counts[i] != 0 { counts[i] &+= other.counts[i] }
        count += other.count
        maxMicros = max(maxMicros, other.maxMicros)
        minMicros = min(minMicros, other.minMicros)
        sumMicros += other.sumMicros
    }

    mutating func reset() { self = LatencyHistogram() }

    /// The value at percentile `p` (0...100), in microseconds: the midpoint of the bucket that
    /// holds the sample of rank ⌈p·n/100⌉, never above the largest value seen. Nil when empty.
    func percentile(_ p: Double) -> UInt64? {
        guard count > 0 else { return nil }
        let rank = max(1, UInt64((p / 100 * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c != 0 {
            seen += c
            if seen >= rank {
                let (low, width) = Self.range(of: i)
                return min(maxMicros, max(minMicros, low + width / 2))
            }
        }
        return maxMicros
    }

    /// Percentile in milliseconds, nil when empty.
    func millis(_ p: Double) -> Double? { percentile(p).map { Double($0) / 1000 } }
    var maxMillis: Double? { count > 0 ? Double(maxMicros) / 1000 : nil }
    var meanMillis: Double? { count > 0 ? sumMicros / Double(count) / 1000 : nil }
}
