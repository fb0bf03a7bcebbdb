import AtelierDomain
import AtelierProtocol
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Follows prefilled dossiers on Démarches Simplifiées' index:
/// `GET {base}/api/public/v1/demarches/{N}/dossiers?prefill_token=a,b,…`. The platform answers a
/// JSON array with one object per dossier it still has: `state` "prefilled" while nobody claimed
/// it, else its state with `submitted_at` / `processed_at` (ISO 8601); `dossier_prefill_token`
/// says which. A token missing from the answer is a dossier the platform deleted: an unclaimed
/// prefilled draft is deleted 5 days after its last change, so it is `expired`.
public struct DemarchesFollower: Sendable {
    public var base: URL
    public var procedure: Int
    public var timeout: Double
    /// Tokens per request (the URL stays short).
    public static let batch = 40

    public init(base: URL, procedure: Int, timeout: Double = 15) {
        self.base = base; self.procedure = procedure; self.timeout = timeout
    }

    public init?(_ target: SubmissionTarget?) {
        guard case let .demarches(base, procedure, _)? = target else { return nil }
        self.init(base: base, procedure: procedure)
    }

    /// Where each dossier is, by prefill token; fails as a whole with a French explanation.
    public func follow(_ tokens: [String]) -> Result<[String: DossierFollow], SubmissionError> {
        var out: [String: DossierFollow] = [:]
        var start = 0
        while start < tokens.count {
            let chunk = Array(tokens[start..<min(tokens.count, start + Self.batch)])
            start += Self.batch
            switch fetch(chunk) {
            case .failure(let error): return .failure(error)
            case .success(let found):
                for token in chunk { out[token] = found[token] ?? DossierFollow(state: .expired) }
            }
        }
        return .success(out)
    }

    func fetch(_ tokens: [String]) -> Result<[String: DossierFollow], SubmissionError> {
        var components = URLComponents(url: base.appendingPathComponent("api/public/v1/demarches/\(procedure)/dossiers"), resolvingAgainstBaseURL: false)
        components?.queryItems = [URLQueryItem(name: "prefill_token", value: tokens.joined(separator: ","))]
        guard let url = components?.url else { return .failure(SubmissionError(message: "Adresse de Démarches Simplifiées invalide.")) }
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue("Atelier/1", forHTTPHeaderField: "User-Agent")
        switch Submitter.send(request, timeout: timeout) {
        case .failure(let error):
            return .failure(SubmissionError(message: "Démarches Simplifiées injoignable (\(error.message)) : suivi non mis à jour."))
        case .success(let (status, body, _)):
            let json = try? JSONParser.parse(Array(body))
            guard status == 200, case .array(let items)? = json else {
                var detail = String(decoding: body.prefix(200), as: UTF8.self)
                if case .string(let e)? = json?["error"] { detail = e }
                return .failure(SubmissionError(message: "Démarches Simplifiées refuse le suivi (HTTP \(status)) : \(detail)"))
            }
            var found: [String: DossierFollow] = [:]
            for item in items {
                guard case .string(let token)? = item["dossier_prefill_token"], case .string(let name)? = item["state"],
                      let state = DossierState(rawValue: name), state != .expired else { continue }
                found[token] = DossierFollow(state: state, submittedAt: Self.date(item["submitted_at"]), processedAt: Self.date(item["processed_at"]))
            }
            return .success(found)
        }
    }

    /// An ISO 8601 date (Rails' `iso8601`: `2026-01-05T10:00:00+01:00`) in milliseconds.
    static func date(_ value: JSONValue?) -> Int64? {
        guard case .string(let text)? = value else { return nil }
        let f = ISO8601DateFormatter()
        if let d = f.date(from: text) { return Int64(d.timeIntervalSince1970 * 1000) }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text).map { Int64($0.timeIntervalSince1970 * 1000) }
    }
}

/// When the outbox tries a delivery again: exponential backoff from `baseMs` (doubled at each
/// attempt, at most `baseMs × 360`: one hour for the default 10 s), with jitter (each delay drawn
/// between half and all of it), a receiver's `Retry-After` honoured when it asks for longer, and
/// no new try once `window` has passed since the delivery was queued or redelivered by hand.
public struct WebhookRetryPolicy: Sendable {
    public var baseMs: Int64
    public var windowMs: Int64
    public static let defaultBaseMs: Int64 = 10_000
    public static let day: Int64 = 24 * 3600 * 1000

    public init(baseMs: Int64 = defaultBaseMs, windowMs: Int64 = day) {
        self.baseMs = max(1, baseMs); self.windowMs = windowMs
    }

    public var capMs: Int64 { baseMs * 360 }

    /// The time of the next attempt after the `attempts`-th failed one; nil: give up.
    /// `random` in [0, 1) (the jitter).
    public func next(afterAttempt attempts: Int, since: Int64, now: Int64, retryAfterSeconds: Double?, random: Double) -> Int64? {
        let exponent = min(max(attempts - 1, 0), 40)
        let full = exponent >= 30 ? capMs : min(capMs, baseMs << Int64(exponent))
        var delay = full / 2 + Int64(Double(full - full / 2) * min(max(random, 0), 1))
        if let retryAfterSeconds, retryAfterSeconds > 0 {
            delay = max(delay, Int64(min(retryAfterSeconds, Double(Self.day / 1000)) * 1000))
        }
        let at = now + delay
        // Retries last at least `window`: the last one falls at or after its end.
        return now - since >= windowMs ? nil : at
    }
}

/// One attempt at a webhook delivery (blocking: off the service thread).
public struct WebhookAttemptResult: Sendable {
    public var status: Int?
    public var error: String?
    public var retryAfter: Double?
    /// A 4xx other than 408 and 429: the receiver refuses this delivery; retrying would not help.
    public var refused: Bool { status.map { (400..<500).contains($0) && $0 != 408 && $0 != 429 } ?? false }
    public var delivered: Bool { status.map { (200..<300).contains($0) } ?? false }
    public var reference: String?
}

extension Submitter {
    /// The delivery of a project to the webhook, built once: its body and its id stay the same
    /// on every attempt.
    public static func webhookDelivery(_ project: Outcome.ProjectView, of workshop: Workshop, now: Int64) -> WebhookDelivery {
        WebhookDelivery(id: idempotencyKey(workshop: workshop.id, project: project.sheet), project: project.sheet.id,
                        version: project.sheet.version, body: String(decoding: webhookBody(project, workshop: workshop, now: now), as: UTF8.self),
                        queuedAt: now)
    }

    /// Sends one attempt of `delivery`, signed at `now` (Standard Webhooks: `webhook-id` is the
    /// delivery's, `webhook-timestamp` this attempt's).
    public static func attempt(_ delivery: WebhookDelivery, to url: URL, secret: WebhookSecret?, now: Int64, timeout: Double = 10) -> WebhookAttemptResult {
        var r = URLRequest(url: url)
        r.httpMethod = "POST"
        r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        r.setValue("Atelier/1", forHTTPHeaderField: "User-Agent")
        r.setValue(delivery.id, forHTTPHeaderField: "Idempotency-Key")
        let body = Array(delivery.body.utf8)
        if let secret {
            let timestamp = now / 1000
            r.setValue(delivery.id, forHTTPHeaderField: "webhook-id")
            r.setValue(String(timestamp), forHTTPHeaderField: "webhook-timestamp")
            r.setValue(secret.signature(id: delivery.id, timestamp: timestamp, body: body), forHTTPHeaderField: "webhook-signature")
        }
        r.httpBody = Data(body)
        switch send(r, timeout: timeout) {
        case .failure(let error):
            return WebhookAttemptResult(status: nil, error: error.message, retryAfter: nil)
        case .success(let (status, answer, retryAfter)):
            var result = WebhookAttemptResult(status: status, error: nil, retryAfter: retryAfter)
            let json = try? JSONParser.parse(Array(answer))
            if result.delivered {
                result.reference = Self.webhookReference(in: json)
            } else {
                result.error = String(decoding: answer.prefix(200), as: UTF8.self)
            }
            return result
        }
    }
}
