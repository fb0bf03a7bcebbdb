import AtelierDomain
import AtelierProtocol
import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where ready projects go: a webhook, or France's Démarches Simplifiées prefill API.
public enum SubmissionTarget: Sendable {
    /// `secret`: the endpoint's signing key (Standard Webhooks), if it has one.
    case webhook(URL, secret: WebhookSecret? = nil)
    /// `mapping`: which field of the sheet fills which champ of the procedure, with each champ's
    /// type and options (the mapping file, docs/export.md).
    case demarches(base: URL, procedure: Int, mapping: DemarchesMapping)

    public var channel: Receipt.Channel {
        switch self {
        case .webhook: .webhook
        case .demarches: .demarches
        }
    }
}

/// A webhook endpoint's signing secret, as Standard Webhooks gives it: `whsec_` then the key in
/// base64. Each delivery is signed `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
public struct WebhookSecret: Sendable {
    let key: [UInt8]
    public init?(_ text: String) {
        let encoded = text.hasPrefix("whsec_") ? String(text.dropFirst(6)) : text
        guard let bytes = Data(base64Encoded: encoded), bytes.count >= 16 else { return nil }
        key = Array(bytes)
    }

    /// Whether `header` (`v1,<base64>`, or several separated by spaces) holds the signature of
    /// `body` alone with this key: how the call's platform signs a status it sends back
    /// (docs/export.md "Statuses sent back"). Compared in constant time.
    public func verifies(_ header: String, body: [UInt8]) -> Bool {
        for candidate in header.split(separator: " ") where candidate.hasPrefix("v1,") {
            guard let mac = Data(base64Encoded: String(candidate.dropFirst(3))) else { continue }
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: key)) { return true }
        }
        return false
    }

    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        var signed = Array("\(id).\(timestamp).".utf8)
        signed.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// How one submission went, step by step (for the console and the CLI).
public struct SubmissionProgress: Sendable {
    public enum State: String, Sendable { case pending, retrying, done, failed }
    public var project: ProjectID
    public var state: State
    public var message: String
    public init(project: ProjectID, state: State, message: String) { self.project = project; self.state = state; self.message = message }
}

/// Sends project sheets to the pipeline; gives up with a French explanation on a 4xx or after
/// `maxAttempts`. Blocking: run it off the service thread.
///
/// Retries differ by channel. A webhook gets an `Idempotency-Key`, so it is retried with
/// exponential backoff on 5xx, timeouts and lost connections. Démarches Simplifiées has no such
/// key and records a dossier before it applies the values, so a POST that may have been processed
/// is never sent again: it is retried only when it cannot have been (the connection was refused,
/// or 429 / 503, waiting `Retry-After`); after a timeout or another 5xx the result is *uncertain*,
/// and the facilitator checks on the platform before sending again.
public struct Submitter: Sendable {
    public var target: SubmissionTarget
    public var maxAttempts: Int
    /// Seconds before the first retry, doubled at each.
    public var backoff: Double
    public var timeout: Double

    public init(target: SubmissionTarget, maxAttempts: Int = 5, backoff: Double = 0.5, timeout: Double = 10) {
        self.target = target; self.maxAttempts = maxAttempts; self.backoff = backoff; self.timeout = timeout
    }

    /// Stable per project version: a receiver that saw it already can answer without doing it twice.
    public static func idempotencyKey(workshop: WorkshopID, project: ProjectSheet) -> String {
        "atelier-\(workshop)-\(project.id)-v\(project.version)"
    }

    public func submit(_ project: Outcome.ProjectView, of workshop: Workshop, now: @Sendable () -> Int64,
                       progress: (SubmissionProgress) -> Void) -> Result<Receipt, SubmissionError> {
        let request: URLRequest
        switch target {
        case let .webhook(url, secret):
            var r = URLRequest(url: url)
            r.httpMethod = "POST"
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
            r.setValue("Atelier/1", forHTTPHeaderField: "User-Agent")
            let key = Self.idempotencyKey(workshop: workshop.id, project: project.sheet)
            r.setValue(key, forHTTPHeaderField: "Idempotency-Key")
            let body = Self.webhookBody(project, workshop: workshop, now: now())
            if let secret {
                // Standard Webhooks: the id is the same for every attempt of one delivery.
                let timestamp = now() / 1000
                r.setValue(key, forHTTPHeaderField: "webhook-id")
                r.setValue(String(timestamp), forHTTPHeaderField: "webhook-timestamp")
                r.setValue(secret.signature(id: key, timestamp: timestamp, body: body), forHTTPHeaderField: "webhook-signature")
            }
            r.httpBody = Data(body)
            request = r
        case let .demarches(base, procedure, mapping):
            // Checked first, every time: no dossier is created from a wrong mapping.
            let errors = DemarchesCheck.check(mapping, form: workshop.form, orientations: workshop.orientations).filter { !$0.warning }
            guard errors.isEmpty else {
                return .failure(SubmissionError(message: "La correspondance Démarches Simplifiées est fausse, rien n'est envoyé : "
                    + errors.map { $0.text(file: mapping.file) }.joined(separator: " ; ")))
            }
            var r = URLRequest(url: base.appendingPathComponent("api/public/v1/demarches/\(procedure)/dossiers"))
            r.httpMethod = "POST"
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
            r.httpBody = Data(DemarchesValues.body(project.sheet, workshop: workshop, mapping: mapping))
            request = r
        }
        var wait = backoff
        for attempt in 1...maxAttempts {
            progress(SubmissionProgress(project: project.sheet.id, state: attempt == 1 ? .pending : .retrying,
                                        message: attempt == 1 ? "Envoi en cours…" : "Nouvel essai (\(attempt)/\(maxAttempts))…"))
            let idempotent = target.channel == .webhook
            var pause = wait
            switch Self.send(request, timeout: timeout) {
            case .success(let (status, body, _)) where (200..<300).contains(status):
                return receipt(status: status, body: body, project: project.sheet, workshop: workshop, at: now())
            case .success(let (status, body, _)) where (400..<500).contains(status) && status != 408 && status != 429:
                let detail = String(decoding: body.prefix(300), as: UTF8.self)
                return .failure(SubmissionError(message: "Refusé par le destinataire (HTTP \(status)) : \(detail)"))
            case .success(let (status, _, retryAfter)):
                if !idempotent && status != 429 && status != 503 {
                    return .failure(SubmissionError(message: Self.uncertain("Démarches Simplifiées a répondu HTTP \(status)"), uncertain: true))
                }
                if attempt == maxAttempts { return .failure(SubmissionError(message: "Le destinataire répond HTTP \(status) : abandon après \(maxAttempts) essais.")) }
                if let retryAfter { pause = min(max(retryAfter, 0), 60) }
            case .failure(let error):
                if !idempotent && !error.notSent {
                    return .failure(SubmissionError(message: Self.uncertain("pas de réponse de Démarches Simplifiées (\(error.message))"), uncertain: true))
                }
                if attempt == maxAttempts { return .failure(SubmissionError(message: "Destinataire injoignable (\(error.message)) : abandon après \(maxAttempts) essais.")) }
            }
            Thread.sleep(forTimeInterval: pause)
            wait *= 2
        }
        return .failure(SubmissionError(message: "Abandon."))
    }

    func receipt(status: Int, body: Data, project: ProjectSheet, workshop: Workshop, at: Int64) -> Result<Receipt, SubmissionError> {
        let json = try? JSONParser.parse(Array(body))
        switch target {
        case .webhook:
            let reference = Self.webhookReference(in: json) ?? Self.idempotencyKey(workshop: workshop.id, project: project)
            return .success(Receipt(channel: .webhook, reference: reference, at: at))
        case .demarches:
            guard status == 201, case .string(let url)? = json?["dossier_url"] else {
                return .failure(SubmissionError(message: "Réponse inattendue de Démarches Simplifiées (HTTP \(status), sans dossier_url)."))
            }
            var number: Int?
            if case .number(let n)? = json?["dossier_number"] { number = Int(exactly: n) }
            let id = Self.identifier(json?["dossier_id"]) ?? ""
            var token: String?
            if case .string(let t)? = json?["dossier_prefill_token"], !t.isEmpty, t.count <= 200 { token = t }
            return .success(Receipt(channel: .demarches, reference: id.isEmpty ? url : id, url: url, number: number, at: at,
                                    prefillToken: token, dossier: DossierFollow(state: .prefilled)))
        }
    }

    static func webhookBody(_ p: Outcome.ProjectView, workshop: Workshop, now: Int64) -> [UInt8] {
        var w = JSONWriter(reserving: 2048)
        w.beginObject()
        w.key("schemaVersion"); w.int(JSONExport.schemaVersion)
        w.key("sentAt"); w.string(timestamp(now))
        w.key("workshop"); w.beginObject()
        w.key("id"); w.string(workshop.id)
        w.key("title"); w.string(workshop.title)
        w.endObject()
        w.key("project"); JSONExport.writeProject(p, &w)
        w.endObject()
        return w.bytes
    }

    /// The French explanation of a submission whose fate is unknown.
    static func uncertain(_ what: String) -> String {
        "Résultat incertain : \(what). Le dossier a peut-être été créé : vérifiez sur la plateforme avant de renvoyer cette fiche, pour ne pas en créer un second."
    }

    static func send(_ request: URLRequest, timeout: Double) -> Result<(Int, Data, Double?), SubmissionError> {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        session.dataTask(with: request) { data, response, error in
            if let error {
                // Refused or unresolvable: the request never reached a server that could act on it.
                let code = (error as? URLError)?.code
                let notSent = [.cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet].contains(code)
                box.result = .failure(SubmissionError(message: error.localizedDescription, notSent: notSent))
            } else if let http = response as? HTTPURLResponse {
                let retryAfter = http.value(forHTTPHeaderField: "Retry-After").flatMap(Self.retryAfter)
                box.result = .success((http.statusCode, data ?? Data(), retryAfter))
            } else {
                box.result = .failure(SubmissionError(message: "réponse illisible"))
            }
            done.signal()
        }.resume()
        if done.wait(timeout: .now() + timeout + 2) == .timedOut {
            return .failure(SubmissionError(message: "délai dépassé"))
        }
        return box.result ?? .failure(SubmissionError(message: "pas de réponse"))
    }
}

extension Submitter {
    /// An identifier in another organisation's answer: a string, or a whole number within 64 bits
    /// (one beyond them, or not whole, is none).
    static func identifier(_ value: JSONValue?) -> String? {
        if case .string(let s)? = value { return s }
        if case .number(let n)? = value, let i = Int64(exactly: n) { return String(i) }
        return nil
    }

    /// The reference a webhook receiver's answer gives the delivery: its `reference`, `id` or
    /// `receipt`, the first that is an identifier.
    static func webhookReference(in json: JSONValue?) -> String? {
        ["reference", "id", "receipt"].lazy.compactMap { identifier(json?[$0]) }.first
    }

    /// `Retry-After`: seconds, or an HTTP date (RFC 9110), as seconds from now.
    static func retryAfter(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        // "nan" and "inf" read as numbers, but are no delay (a NaN pause would reach Thread.sleep).
        if let seconds = Double(t) { return seconds.isFinite ? seconds : nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: t).map { max(0, $0.timeIntervalSinceNow) }
    }
}

final class ResultBox: @unchecked Sendable {
    // Written once by the session's callback before the semaphore is signalled, read after.
    var result: Result<(Int, Data, Double?), SubmissionError>?
}

public struct SubmissionError: Error, Sendable, Equatable {
    public var message: String
    /// The request certainly reached nothing that could act on it (it may be sent again).
    public var notSent = false
    /// It may have been processed: not to be sent again without a person checking.
    public var uncertain = false
    public init(message: String, notSent: Bool = false, uncertain: Bool = false) {
        self.message = message; self.notSent = notSent; self.uncertain = uncertain
    }
}

/// The project fields a Démarches Simplifiées mapping may name: the sheet's `id` and `status`,
/// (`value` is how a mapping written before types were recorded sends them: `DemarchesValues`
/// converts by the champ's type);
/// `workshop.title`, `workshop.date` (the workshop's day, `YYYY-MM-DD`), and the form's fields by id (`grant`), a single group's parts
/// (`lead.siret`), a repeated group (its rows summed up in one text).
public enum DemarchesFields {
    public static let fixed = ["id", "status", "workshop.title", "workshop.date"]

    /// Whether a mapping's key has the shape of a field path (checked against a form later).
    public static func isPath(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 40 && p.first!.isLetter && p.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
        }
    }

    /// The paths of a form a mapping may name.
    public static func names(_ form: CallForm) -> [String] {
        fixed + form.fields.flatMap { f -> [String] in
            f.type == .group && !f.isRepeatedGroup ? (f.fields ?? []).map { "\(f.id).\($0.id)" } : [f.id]
        }
    }

    public static func value(_ field: String, of s: ProjectSheet, in w: Workshop) -> JSONValue? {
        func text(_ x: String?) -> JSONValue? { x.map { .string($0) } }
        switch field {
        case "id": return text(s.id)
        case "status": return text(s.status.rawValue)
        case "workshop.title": return text(w.title)
        case "workshop.date": return text(FormExport.day(of: w))
        default: break
        }
        let parts = field.split(separator: ".").map(String.init)
        guard let f = w.form.field(parts[0]) else { return nil }
        var def = f
        var v = s.values[f.id]
        if parts.count == 2 {
            guard let c = f.child(parts[1]) else { return nil }
            def = c; v = v?[c.id]
        }
        guard let v, v != .null else { return nil }
        switch def.type {
        case .integer, .euros: return v.int.map { .number(Double($0)) }
        // yes_no / checkbox take the strings "true" / "false": a JSON true is stored as "t" and
        // shown as "Non", a JSON false is dropped as blank (docs/export.md).
        case .yesNo: return v.bool.map { .string($0 ? "true" : "false") }
        case .choices: return .array((v.list ?? []).compactMap(\.string).map { id in .string(def.options?.first { $0.id == id }?.label.fr ?? id) })
        default:
            let t = FormExport.text(v, def, in: w)
            return t.isEmpty ? nil : .string(t)
        }
    }
}
