import ArgumentParser
import AtelierDomain
import AtelierExport
import AtelierProtocol
import AtelierStore
import Foundation

/// Options naming where ready projects go (for `serve`'s console button and for `submit`).
struct PipelineOptions: ParsableArguments {
    @Option(help: "URL du webhook qui reçoit chaque projet prêt (JSON) ; https, sauf vers cette machine.") var webhook: String?
    @Option(help: "Secret de signature du webhook (Standard Webhooks : whsec_…) ; sinon ATELIER_WEBHOOK_SECRET.")
    var webhookSecret: String?
    @Option(help: "Adresse de Démarches Simplifiées (ex. https://www.demarches-simplifiees.fr).") var demarches: String?
    @Option(help: "Numéro de la démarche (procédure) Démarches Simplifiées.") var procedure: Int?
    @Option(help: "Fichier YAML qui relie les champs du projet aux champs de la démarche.") var mapping: String?
    @Option(help: "Chemin de la démarche (son adresse …/commencer/CHEMIN), pour lire sa description (--describe, --check).")
    var procedurePath: String?

    func targets() throws -> [Receipt.Channel: SubmissionTarget] {
        var targets: [Receipt.Channel: SubmissionTarget] = [:]
        if let webhook {
            guard let url = URL(string: webhook), ["http", "https"].contains(url.scheme ?? "") else {
                throw ValidationError("--webhook : adresse http(s) invalide")
            }
            // Projects carry names and contacts: in clear only to this machine.
            if url.scheme == "http", !["127.0.0.1", "localhost", "::1", "[::1]"].contains(url.host ?? "") {
                throw ValidationError("--webhook : https requis (http seulement vers cette machine)")
            }
            var secret: WebhookSecret?
            if let text = webhookSecret ?? ProcessInfo.processInfo.environment["ATELIER_WEBHOOK_SECRET"] {
                guard let parsed = WebhookSecret(text) else {
                    throw ValidationError("--webhook-secret : attendu whsec_ suivi d'une clé en base64 (16 octets au moins)")
                }
                secret = parsed
            }
            targets[.webhook] = .webhook(url, secret: secret)
        }
        if demarches != nil || procedure != nil || mapping != nil {
            let url = try demarchesURL()
            guard let mapping else { throw ValidationError("--mapping : le fichier de correspondance des champs est requis") }
            let read = try loadMapping(path: mapping)
            // The number: given, or recorded by --describe in the mapping.
            guard let number = procedure ?? read.procedure, number > 0 else {
                throw ValidationError("--procedure : le numéro de la démarche est requis (ou « demarche: numero: » dans la correspondance)")
            }
            if let procedure, let recorded = read.procedure, procedure != recorded {
                throw ValidationError("--procedure \(procedure) : la correspondance \(mapping) est écrite pour la démarche n° \(recorded)")
            }
            targets[.demarches] = .demarches(base: url, procedure: number, mapping: read)
        }
        return targets
    }

    func demarchesURL() throws -> URL {
        guard let demarches, let url = URL(string: demarches), ["http", "https"].contains(url.scheme ?? "") else {
            throw ValidationError("--demarches : l'adresse http(s) de Démarches Simplifiées est requise (avec --mapping pour déposer, avec --procedure-path pour --describe)")
        }
        return url
    }
}

/// Reads a mapping file (docs/export.md, "The mapping file"); each fault with the file and line.
func loadMapping(path: String) throws -> AtelierExport.DemarchesMapping {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw ValidationError("\(path) : fichier illisible")
    }
    do { return try AtelierExport.DemarchesMapping.parse(yaml: text, file: path) } catch {
        throw ValidationError(error.description)
    }
}

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Dépose les projets prêts d'un atelier (webhook ou Démarches Simplifiées).",
        discussion: "Un projet déjà déposé sur un canal ne l'est pas une seconde fois. Si un serveur utilise le dossier de données, les accusés de dépôt sont enregistrés par lui. Webhook : les envois vont dans la file durable du journal ; le serveur en cours les livre, ou, sans serveur, le prochain « atelier serve --webhook ».")
    @Argument(help: "Identifiant de l'atelier.") var workshop: String
    @OptionGroup var pipeline: PipelineOptions
    @OptionGroup var storage: StorageOptions
    @Option(help: "Prépare à nouveau sur Démarches Simplifiées ce projet, dont le dossier a expiré sans être repris (un nouveau dossier ; répétable).")
    var again: [String] = []
    @Flag(help: "Lit la description de la démarche (--demarches, --procedure-path) et écrit un squelette de correspondance pour le formulaire de cet atelier ; n'envoie rien.")
    var describe = false
    @Flag(help: "Vérifie la correspondance (--mapping) contre le formulaire de cet atelier et la description de la démarche (ou les types et options qu'elle note) ; n'envoie rien.")
    var check = false
    @Option(help: "Avec --describe : le fichier où écrire le squelette (sinon la sortie standard).") var out: String?

    func run() throws {
        if describe { return try runDescribe() }
        if check { return try runCheck() }
        if out != nil { throw ValidationError("--out : seulement avec --describe") }
        let targets = try pipeline.targets()
        if !again.isEmpty && targets[.demarches] == nil { throw ValidationError("--again : avec --demarches, --procedure et --mapping") }
        guard !targets.isEmpty else { throw ValidationError("indiquez --webhook, ou --demarches avec --procedure et --mapping") }
        // Receipts are written by this process when no server runs, by the server otherwise.
        let access = try WriteAccess.open(storage.data)
        let store = try storage.openStore()
        var failures = 0
        for (channel, target) in targets.sorted(by: { $0.key.rawValue > $1.key.rawValue }) {
            guard let state = try store.loadWorkshop(id: workshop)?.state else { throw ValidationError("atelier inconnu : \(workshop)") }
            if case let .demarches(_, _, mapping) = target {
                // The mapping is checked first, against this workshop's form: a wrong one sends nothing.
                let issues = DemarchesCheck.check(mapping, form: state.form, orientations: state.orientations)
                let errors = issues.filter { !$0.warning }
                for issue in issues { print(issue.text(file: mapping.file)) }
                if !errors.isEmpty {
                    print("demarches : correspondance fausse (\(errors.count) erreur\(errors.count > 1 ? "s" : "")), rien n'est envoyé.")
                    failures += 1
                    continue
                }
            }
            // Ready, or already deposited on another channel; never twice on the same one.
            let chosen = Outcome(state).projects.filter { p in
                if !again.isEmpty {
                    // Only the named sheets whose dossier expired unclaimed: a new POST, asked for by name.
                    return channel == .demarches && again.contains(p.sheet.id) && state.dossierReceipt(of: p.sheet.id)?.dossier?.state == .expired
                }
                // Nor what the server's webhook outbox holds: it delivers and retries it itself.
                return p.sheet.status != .draft && !p.sheet.receipts.contains { $0.channel == channel }
                    && !(channel == .webhook && state.outbox.values.contains { $0.delivery.project == p.sheet.id && $0.state != .abandoned })
            }
            if chosen.isEmpty { print("\(channel.rawValue) : aucun projet prêt à déposer."); continue }
            if channel == .webhook {
                // The durable outbox, as the console's submissions: journaled first, then
                // delivered, signed and retried by a server (docs/export.md "The webhook outbox").
                for project in chosen {
                    do {
                        let id = try queue(project, of: state, access: access, store: store)
                        print("  \(project.sheet.id) « \(project.sheet.title) » : en file d'envoi (livraison \(id)).")
                    } catch let error as ValidationError {
                        failures += 1
                        print("  \(project.sheet.id) NON mis en file : \(error.message)")
                    }
                }
                if case .direct = access {
                    print("Aucun serveur n'utilise ce dossier de données : les envois sont dans le journal, livrés par le prochain « atelier serve --webhook \(pipeline.webhook ?? "") » (avec --webhook-secret pour les signer), relancés jusqu'à 24 h.")
                } else {
                    print("Le serveur en cours livre les envois (console : « Envois au service de l'appel à projets »).")
                }
                continue
            }
            let submitter = Submitter(target: target)
            for project in chosen {
                let result = submitter.submit(project, of: state, now: now) { progress in
                    print("  \(project.sheet.id) « \(project.sheet.title) » : \(progress.message)")
                }
                switch result {
                case .success(let receipt):
                    try record(receipt, project: project.sheet, access: access, store: store)
                    if channel == .demarches {
                        print("  \(project.sheet.id) préparé sur Démarches Simplifiées (dossier n° \(receipt.number.map(String.init) ?? receipt.reference)), à reprendre par le porteur : \(receipt.url ?? "")")
                    } else {
                        print("  \(project.sheet.id) déposé (\(channel.rawValue), référence \(receipt.reference))")
                    }
                case .failure(let error):
                    failures += 1
                    print("  \(project.sheet.id) NON déposé : \(error.message)")
                }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// The workshop's form and orientations (read only).
    func form() throws -> (CallForm, [Orientation]) {
        let store = try storage.openStore()
        guard let state = try store.loadWorkshop(id: workshop)?.state else { throw ValidationError("atelier inconnu : \(workshop)") }
        return (state.form, state.orientations)
    }

    func runDescribe() throws {
        guard !check else { throw ValidationError("--describe et --check : l'un ou l'autre") }
        let url = try pipeline.demarchesURL()
        guard let path = pipeline.procedurePath else { throw ValidationError("--describe : --procedure-path CHEMIN est requis") }
        let description: ProcedureDescription
        switch DemarchesSkeleton.fetch(base: url, path: path) {
        case .success(let d): description = d
        case .failure(let e): print(e.message); throw ExitCode(1)
        }
        let (form, orientations) = try form()
        let text = DemarchesSkeleton.yaml(description, form: form, orientations: orientations, base: url)
        if let out {
            do { try text.write(toFile: out, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("--out \(out) : écriture impossible")
            }
            print("Squelette de correspondance écrit dans \(out) (démarche n° \(description.number), \(description.champs.count) champs). Vérifiez-le : atelier submit \(workshop) --mapping \(out) --check")
        } else {
            print(text, terminator: "")
        }
    }

    func runCheck() throws {
        if out != nil { throw ValidationError("--out : seulement avec --describe") }
        guard let path = pipeline.mapping else { throw ValidationError("--check : --mapping FICHIER est requis") }
        let mapping = try loadMapping(path: path)
        var description: ProcedureDescription?
        if pipeline.demarches != nil, let procedurePath = pipeline.procedurePath ?? mapping.path {
            switch DemarchesSkeleton.fetch(base: try pipeline.demarchesURL(), path: procedurePath) {
            case .success(let d): description = d
            case .failure(let e):
                print("\(e.message)\nVérification contre les types et options notés dans la correspondance.")
            }
        } else if mapping.isLegacy == false {
            print("Sans description de la démarche (--demarches et --procedure-path) : vérification contre les types et options notés dans la correspondance.")
        }
        let (form, orientations) = try form()
        let issues = DemarchesCheck.check(mapping, form: form, orientations: orientations, description: description)
        for issue in issues { print(issue.text(file: path)) }
        let errors = issues.filter { !$0.warning }.count
        if errors > 0 {
            print("\(errors) erreur\(errors > 1 ? "s" : "") : aucun dossier ne sera créé avec cette correspondance.")
            throw ExitCode(1)
        }
        print("Correspondance valide\(description.map { " pour la démarche n° \($0.number)" } ?? "") (\(mapping.champs.count) champs).")
    }

    /// Queues a webhook delivery in the workshop's outbox: through the running server if there is
    /// one (it builds the delivery from its own state and delivers it), else directly in the
    /// journal, for the next `atelier serve --webhook` to deliver. Returns the delivery's id.
    func queue(_ project: Outcome.ProjectView, of state: Workshop, access: WriteAccess, store: any EventStore) throws -> String {
        switch access {
        case .direct:
            let delivery = Submitter.webhookDelivery(project, of: state, now: now())
            _ = try commitDirectly(.webhookQueue(delivery), in: workshop, as: .system, store: store)
            return delivery.id
        case .server(let server):
            var w = JSONWriter()
            w.beginObject()
            w.key("project"); w.string(project.sheet.id)
            w.key("url"); w.string(pipeline.webhook ?? "")
            w.endObject()
            let (status, body) = try server.call("POST", "/api/admin/workshops/\(escape(workshop))/webhooks", body: w.bytes)
            guard status == 200, case .string(let id)? = body["delivery"] else {
                throw ValidationError("refusé par le serveur : \(RunningServer.message(body))")
            }
            return id
        }
    }

    /// Journals the receipt: through the running server if there is one, else directly (this
    /// process holds the data directory's lock, so nothing else appends meanwhile).
    func record(_ receipt: Receipt, project: ProjectSheet, access: WriteAccess, store: any EventStore) throws {
        switch access {
        case .direct:
            _ = try commitDirectly(.projectSubmit(project: project.id, version: project.version, receipt: receipt),
                                   in: workshop, as: .system, store: store)
        case .server(let server):
            var w = JSONWriter()
            w.beginObject()
            w.key("project"); w.string(project.id)
            w.key("version"); w.int(project.version)
            w.key("receipt"); Outbound.writeReceipt(receipt, withClaimLink: true, to: &w)
            w.endObject()
            let (status, body) = try server.call("POST", "/api/admin/workshops/\(escape(workshop))/receipts", body: w.bytes)
            guard status == 200 else {
                throw ValidationError("dépôt fait (référence \(receipt.reference)) mais non enregistré par le serveur : \(RunningServer.message(body))")
            }
        }
    }
}

/// `atelier follow ID --demarches URL --procedure N`: where each prepared dossier is now on
/// Démarches Simplifiées (the index by prefill token), journaled when it changed.
struct FollowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow", abstract: "Suit les dossiers préparés sur Démarches Simplifiées (brouillon, déposé, en instruction, décision, expiré).",
        discussion: "Les changements sont enregistrés dans le journal (par le serveur s'il tourne). Les liens et jetons des dossiers ne sont montrés qu'avec --show-links.")
    @Argument(help: "Identifiant de l'atelier.") var workshop: String
    @Option(help: "Adresse de Démarches Simplifiées (ex. https://www.demarches-simplifiees.fr).") var demarches: String
    @Option(help: "Numéro de la démarche (procédure) Démarches Simplifiées.") var procedure: Int
    @Flag(help: "Affiche aussi le lien de reprise de chaque dossier non encore repris (un secret : à remettre au seul porteur).")
    var showLinks = false
    @OptionGroup var storage: StorageOptions

    func run() throws {
        guard let url = URL(string: demarches), ["http", "https"].contains(url.scheme ?? "") else {
            throw ValidationError("--demarches : adresse http(s) invalide")
        }
        guard procedure > 0 else { throw ValidationError("--procedure : le numéro de la démarche est requis") }
        let access = try WriteAccess.open(storage.data)
        let store = try storage.openStore()
        guard let state = try store.loadWorkshop(id: workshop)?.state else { throw ValidationError("atelier inconnu : \(workshop)") }
        let followed = state.followedDossiers
        if followed.isEmpty { print("Aucun dossier à suivre."); return }
        let found: [String: DossierFollow]
        switch DemarchesFollower(base: url, procedure: procedure).follow(followed.compactMap(\.receipt.prefillToken)) {
        case .success(let f): found = f
        case .failure(let error): print(error.message); throw ExitCode(1)
        }
        for (project, receipt) in followed {
            guard let token = receipt.prefillToken, let dossier = found[token] else { continue }
            let changed = dossier != receipt.dossier
            if changed { try record(project: project, reference: receipt.reference, dossier: dossier, access: access, store: store) }
            let title = state.projects[project]?.title ?? ""
            var line = "  \(project) « \(title) » : dossier n° \(receipt.number.map(String.init) ?? receipt.reference) \(Labels.dossier(dossier.state))"
            if changed { line += " (nouveau)" }
            if showLinks, dossier.state == .prefilled, let link = receipt.url { line += " — \(link)" }
            print(line)
        }
    }

    func record(project: ProjectID, reference: String, dossier: DossierFollow, access: WriteAccess, store: any EventStore) throws {
        switch access {
        case .direct:
            _ = try commitDirectly(.dossierFollow(project: project, reference: reference, dossier: dossier), in: workshop, as: .system, store: store)
        case .server(let server):
            var w = JSONWriter()
            w.beginObject()
            w.key("project"); w.string(project)
            w.key("reference"); w.string(reference)
            w.key("dossier"); Outbound.writeDossier(dossier, to: &w)
            w.endObject()
            let (status, body) = try server.call("POST", "/api/admin/workshops/\(escape(workshop))/dossiers", body: w.bytes)
            guard status == 200 else { throw ValidationError("suivi non enregistré par le serveur : \(RunningServer.message(body))") }
        }
    }
}
