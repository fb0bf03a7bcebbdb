import AtelierDomain
import AtelierExport
import AtelierProtocol
import AtelierTransport
import Foundation

/// Statuses sent back by the call's platform for the sheets Atelier delivered to it by webhook
/// (docs/export.md "Statuses sent back"): the same stages as a Démarches Simplifiées dossier, so a
/// series' status lines follow a project to its funding whichever way it left.
extension HTTPAPI {
    /// How far a status's `timestamp` may be from the server's clock: an older message is refused,
    /// so a recorded one cannot be replayed later to move a decided project back.
    static let statusTolerance: Int64 = 300

    /// `POST /api/workshops/{id}/projects/{project}/status`, `Authorization: Signature v1,<base64
    /// HMAC-SHA256 of the body>` with the webhook's secret (`--webhook-secret`), and a body
    /// `{"workshop": "w_…", "project": "j_…", "timestamp": <seconds>, "state": "en_instruction",
    /// "submittedAt"?: …, "processedAt"?: …}` (the workshop and project those of the address).
    /// Journaled as `dossier.followed` on the sheet's webhook receipt, only when it changed.
    func statusSentBack(_ request: HTTPRequest, _ captures: [String], respond: @escaping Respond) {
        guard case let .webhook(_, secret?)? = hub.configuration.submissionTargets[.webhook] else {
            return respond(Self.error(404, .notFound, "Ce serveur ne reçoit pas de statut : il n'a pas de webhook signé (--webhook et --webhook-secret)."))
        }
        let header = request.authorization ?? ""
        guard header.lowercased().hasPrefix("signature "),
              secret.verifies(String(header.dropFirst("signature ".count)), body: request.body) else {
            return respond(Self.error(401, .unauthenticated, "Signature absente ou invalide : signez le corps avec le secret du webhook (Authorization: Signature v1,…)."))
        }
        let (workshop, project) = (captures[0], captures[1])
        let dossier: DossierFollow, stamp: Int64
        do {
            let body = try object(request)
            // The signature covers the body alone: the body names the sheet, so that a status signed
            // for one sheet cannot be posted, within the tolerance, to another sheet's address.
            guard case .string(let named)? = body["workshop"], case .string(let sheet)? = body["project"] else {
                return respond(Self.error(400, .badRequest, "Attendu dans le corps signé : « workshop » et « project » (l'atelier et la fiche du statut), « timestamp » et « state »."))
            }
            guard named == workshop, sheet == project else {
                return respond(Self.error(400, .invalid, "Ce statut est signé pour une autre fiche (« workshop » et « project » du corps) que celle de l'adresse : il n'est pas appliqué."))
            }
            guard case .number(let t)? = body["timestamp"], let seconds = Int64(exactly: t.rounded()) else {
                return respond(Self.error(400, .badRequest, "Attendu : « timestamp » (secondes depuis 1970) et « state »."))
            }
            // Compared without a subtraction from `seconds`: a timestamp near the ends of 64 bits
            // must be refused, not overflow.
            let now = hub.clock() / 1000
            guard seconds >= now - Self.statusTolerance, seconds <= now + Self.statusTolerance else {
                return respond(Self.error(400, .invalid, "Horodatage trop éloigné de l'heure du serveur (plus de \(Self.statusTolerance) s) : envoyez un statut frais."))
            }
            dossier = try decodeDossier(body)
            stamp = seconds
        } catch let refusal as Refusal {
            return respond(refusal.response)
        } catch let error as DomainError {
            return respond(Self.error(400, error.code, error.message))
        } catch {
            return respond(Self.error(400, .badRequest, "Requête invalide."))
        }
        if let refusal = misdirected(workshop) { return respond(refusal) }
        guard let room = hub.room(workshop) else { return respond(Self.error(404, .notFound, "Atelier inconnu.")) }
        guard let sheet = room.state.projects[project] else { return respond(Self.error(404, .notFound, "Projet inconnu.")) }
        guard let receipt = sheet.receipts.last(where: { $0.channel == .webhook }) else {
            return respond(Self.error(409, .conflict, "Ce projet n'a pas été livré par webhook : il n'a pas de statut à recevoir."))
        }
        // What the platform leaves out, the sheet keeps (the filing date once it is under review).
        // A status older than one already taken for this receipt is a replay (or arrives out of
        // order): it would move the sheet back, so it is refused; the same one again is a retry.
        // The newest stamp is the one journaled with the last change (it survives a restart), or a
        // later one taken since for the same status (kept in memory: it changed nothing).
        let key = "\(workshop)/\(project)/\(receipt.reference)"
        if let newest = [hub.statusTimestamps[key], receipt.dossier?.statusAt].compactMap({ $0 }).max(), stamp < newest {
            return respond(Self.error(409, .conflict, "Statut plus ancien que le dernier reçu pour ce projet : il n'est pas appliqué (envoyez l'état actuel du dossier, horodaté maintenant)."))
        }
        var followed = dossier
        followed.submittedAt = dossier.submittedAt ?? receipt.dossier?.submittedAt
        followed.statusAt = stamp
        run(.dossierFollow(project: project, reference: receipt.reference, dossier: followed), in: workshop, as: .system) { [hub] response in
            if response.status == 200 {
                // Only what could still be replayed is kept (older stamps are refused by the tolerance anyway).
                if hub.statusTimestamps.count > 10_000 {
                    let horizon = hub.clock() / 1000 - Self.statusTolerance
                    hub.statusTimestamps = hub.statusTimestamps.filter { $0.value >= horizon }
                }
                hub.statusTimestamps[key] = max(hub.statusTimestamps[key] ?? stamp, stamp)
            }
            respond(response)
        }
    }
}
