import AtelierDomain
import AtelierProtocol
import Foundation
import Testing
@testable import AtelierExport

/// The webhook outbox's schedule: exponential backoff with jitter, capped, for at least 24 h,
/// `Retry-After` honoured; and the dates of Démarches Simplifiées' index.
@Suite("Webhook retry policy and dossier dates")
struct OutboxPolicyTests {
    let policy = WebhookRetryPolicy()  // 10 s, doubled, at most 1 h, for 24 h

    @Test func delaysDoubleWithJitterUpToTheCap() {
        for attempt in 1...12 {
            let full = min(policy.capMs, 10_000 << Int64(attempt - 1))
            let low = policy.next(afterAttempt: attempt, since: 0, now: 0, retryAfterSeconds: nil, random: 0)!
            let high = policy.next(afterAttempt: attempt, since: 0, now: 0, retryAfterSeconds: nil, random: 0.999_999)!
            #expect(low == full / 2, "attempt \(attempt)")
            #expect(high <= full && high >= full - full / 1000, "attempt \(attempt)")
        }
        #expect(policy.capMs == 3_600_000)
        #expect(policy.next(afterAttempt: 500, since: 0, now: 0, retryAfterSeconds: nil, random: 1)! == policy.capMs)
    }

    @Test func retriesLastAtLeastADayThenStop() {
        // Failing every time at the latest moment the schedule allows: tries go on past 24 h, then stop.
        var now: Int64 = 0, attempts = 0
        while let next = policy.next(afterAttempt: attempts + 1, since: 0, now: now, retryAfterSeconds: nil, random: 0) {
            attempts += 1
            now = next
            #expect(attempts < 200)
        }
        #expect(now >= WebhookRetryPolicy.day)
        #expect(attempts > 20)
    }

    @Test func retryAfterIsHonouredWhenLonger() {
        let base = WebhookRetryPolicy(baseMs: 50)
        #expect(base.next(afterAttempt: 1, since: 0, now: 1000, retryAfterSeconds: 2, random: 0) == 3000)
        // Shorter than the backoff: the backoff stands.
        #expect(policy.next(afterAttempt: 3, since: 0, now: 0, retryAfterSeconds: 1, random: 0) == 20_000)
        #expect(Submitter.retryAfter(" 120 ") == 120)
        let inAMinute = Date().addingTimeInterval(60)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let seconds = Submitter.retryAfter(f.string(from: inAMinute)) ?? -1
        #expect(seconds > 50 && seconds <= 60)
        #expect(Submitter.retryAfter("bientôt") == nil)
        // Another service's header: "nan" or "inf" parse as numbers but are no delay (a NaN pause
        // reached Thread.sleep; an infinite one never ends).
        for text in ["nan", "NaN", "inf", "-inf", "infinity", "1e999"] {
            #expect(Submitter.retryAfter(text) == nil, "\(text)")
        }
        #expect(WebhookRetryPolicy(baseMs: 50).next(afterAttempt: 1, since: 0, now: 1000, retryAfterSeconds: .nan, random: 0)
                == WebhookRetryPolicy(baseMs: 50).next(afterAttempt: 1, since: 0, now: 1000, retryAfterSeconds: nil, random: 0))
    }

    @Test func theIndexDatesAreReadWithTheirOffset() {
        #expect(DemarchesFollower.date(.string("2026-01-05T10:00:00+01:00")) == 1_767_603_600_000)
        #expect(DemarchesFollower.date(.string("2026-01-05T09:00:00.250Z")) == 1_767_603_600_250)
        #expect(DemarchesFollower.date(.string("hier")) == nil)
        #expect(DemarchesFollower.date(nil) == nil)
    }

    @Test func aDeliveryKeepsItsIdAndBody() {
        let delivery = WebhookDelivery(id: "atelier-w-j-v2", project: "j", version: 2, body: "{\"a\":1}", queuedAt: 1)
        let secret = WebhookSecret("whsec_" + Data("atelier-test-signing-key-32bytes".utf8).base64EncodedString())!
        // Signed per attempt: the id and body stay, the timestamp moves.
        let one = secret.signature(id: delivery.id, timestamp: 100, body: Array(delivery.body.utf8))
        let two = secret.signature(id: delivery.id, timestamp: 200, body: Array(delivery.body.utf8))
        #expect(one != two && one.hasPrefix("v1,"))
    }
}
