import Foundation

/// Per-connection flood control: a token bucket. A pure value; the hub acts on its verdict.
struct RateLimiter {
    enum Verdict: Equatable {
        case allow
        /// Answer `rate_limited`, change nothing.
        case refuse
        /// It goes on: close the connection with 4002 (``CloseCode/tooManyMessages``).
        case close
    }

    struct Policy: Sendable {
        /// Sustained messages per second.
        var rate: Double = 20
        /// Messages allowed in a burst.
        var burst: Double = 60
        /// Refusals (net of allowed messages) before the connection is closed.
        var strikes: Int = 40
    }

    private var tokens: Double
    private var last: Int64
    private var strikes = 0

    init(policy: Policy, now: Int64) {
        tokens = policy.burst
        last = now
    }

    mutating func admit(now: Int64, policy: Policy) -> Verdict {
        let elapsed = Double(max(0, now - last)) / 1000
        last = now
        tokens = min(policy.burst, tokens + elapsed * policy.rate)
        if tokens >= 1 {
            tokens -= 1
            strikes = max(0, strikes - 1)
            return .allow
        }
        strikes += 1
        return strikes >= policy.strikes ? .close : .refuse
    }
}
