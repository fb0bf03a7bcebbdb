import ArgumentParser
import AtelierDomain
import AtelierExport
import AtelierHub
import AtelierProtocol
import AtelierStore
import AtelierTransport
import Foundation
import Logging

@main
struct Atelier: ParsableCommand {
    /// Everything Atelier creates (the data directory, the database and its journal files, the
    /// lock, server.json, exports written with --out) is its owner's alone: 0700 and 0600.
    /// The database holds join codes, facilitator keys and resume tokens.
    static func main() {
        umask(0o077)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "atelier",
        abstract: "Atelier : un serveur d'ateliers collaboratifs en direct (du problème à l'idée, de l'idée au projet).",
        subcommands: [Serve.self, WorkshopCommand.self, SeriesCommand.self, PlanCommand.self, ExportCommand.self, SubmitCommand.self, FollowCommand.self, ParticipantCommand.self,
                      BackupCommand.self, RestoreCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// Options shared by the commands that open the data directory.
struct StorageOptions: ParsableArguments {
    @Option(help: "Dossier des données : la base SQLite par défaut, le verrou du serveur et server.json.")
    var data: String = "./data"

    @Option(help: ArgumentHelp("Base de données : sqlite:FICHIER, ou postgres://utilisateur@hôte:port/base (par défaut : SQLite dans --data).",
                               valueName: "url"))
    var database: String?

    @Option(help: "Dossier des programmes d'atelier (YAML).")
    var plans: String = "./sessions"

    func catalog() throws -> PlanCatalog {
        do {
            return try PlanCatalog.load(directory: plans)
        } catch {
            throw ValidationError("programmes d'atelier invalides :\n\(error.description)")
        }
    }

    func address() throws -> DatabaseAddress {
        do {
            return try DatabaseAddress.parse(database, dataDirectory: data)
        } catch let error as DatabaseAddress.Invalid {
            throw ValidationError(error.description)
        }
    }

    /// The store `--database` names, opened and migrated; a French sentence if it cannot be.
    func openStore(node: String? = nil, leaseSeconds: Int = 30) throws -> any EventStore {
        try openDatabase(try address(), node: node, leaseSeconds: leaseSeconds)
    }
}

/// Opens a store for the command line: any failure (unreachable server, refused settings, a file
/// that is not a database) becomes a French sentence and a non-zero exit, never a crash.
func openDatabase(_ address: DatabaseAddress, node: String? = nil, leaseSeconds: Int = 30) throws -> any EventStore {
    do {
        return try address.open(node: node, leaseSeconds: leaseSeconds)
    } catch let error as PostgresStoreError {
        throw ValidationError(error.description)
    } catch let error as PostgresError {
        throw ValidationError("base PostgreSQL \(address.description) : \(error.description)")
    } catch {
        throw ValidationError("base de données \(address.description) inutilisable : \(error)")
    }
}

let defaultPlanID = "iae-saone-et-loire"

func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

/// A workshop's links; the facilitator's only when its key is known (just created or replaced:
/// the data directory keeps the key's digest only).
func printLinks(_ record: WorkshopRecord, facilitatorKey: String?, base: String) {
    let links = WorkshopLinks(record: record, facilitatorKey: facilitatorKey ?? "", base: base)
    print("  Atelier           : \(record.title) (\(record.id))")
    print("  Code pour rejoindre : \(record.joinCode)")
    print("  Lien participants : \(links.join)")
    if facilitatorKey != nil {
        print("  Lien animateur    : \(links.facilitator)")
        print("  Vue projecteur    : \(links.facilitator.replacingOccurrences(of: "/facilitator.html#", with: "/projector.html#"))")
        print("                      (ces deux liens contiennent la clé d'animation : ne les partagez qu'avec l'animateur)")
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Démarre le serveur.")

    @Option(help: "Adresse d'écoute.") var host: String = "127.0.0.1"
    @Option(help: "Port d'écoute (0 : un port libre).") var port: Int = 8080
    @OptionGroup var storage: StorageOptions
    @Option(help: "Dossier des pages web servies.") var web: String = "./web"
    @Option(help: "Jeton d'administration (sinon ATELIER_ADMIN_TOKEN, sinon généré).") var adminToken: String?
    @Option(help: "Adresse publique du serveur, pour les liens et les codes QR (par défaut http://HÔTE:PORT).")
    var publicURL: String?
    @Option(help: "Origine autorisée à ouvrir /ws en plus du serveur lui-même (répétable).")
    var allowedOrigin: [String] = []
    @Option(help: "Connexions simultanées admises depuis une même adresse.") var maxConnectionsPerAddress: Int = 256
    @Option(help: "Messages par seconde admis par connexion (en continu).") var messagesPerSecond: Double = 20
    @Option(help: "Nouveaux participants admis par minute depuis une même adresse (une salle derrière un même Wi-Fi).")
    var joinsPerAddressPerMinute: Int = 120
    @Option(help: "Multiplie les limites de ce que contient un atelier (cartes, commentaires, participants…) ; 1 en production.")
    var capacityFactor: Int = 1
    @Option(help: "Octets en attente d'envoi au-delà desquels un client trop lent est déconnecté (4001).")
    var maxQueuedBytes: Int = 8 << 20
    @Option(help: "Secondes de silence avant qu'un client soit sondé (ping).") var pingAfter: Int = 20
    @Option(help: "Secondes sans trame valide avant qu'un client muet soit libéré.") var dropAfter: Int = 50
    @Option(help: "Connexions TCP admises depuis une même adresse, quoi qu'elles portent (par défaut : --max-connections-per-address + 64).")
    var maxSocketsPerAddress: Int?
    @Option(help: "Secondes accordées au corps d'une requête HTTP pour arriver (sinon 408).") var httpRequestSeconds: Int = 15
    @Option(help: "Octets d'accueil (instantanés) en attente d'envoi admis pour une même adresse (au-delà : 1013, nouvelle tentative).")
    var welcomeBytesPerAddress: Int = 32 << 20
    @Option(help: "Secondes sans rien lire au bout desquelles un client qui a des messages en attente est déconnecté (4001).")
    var stallSeconds: Int = 30
    @Option(help: "Adresse d'un mandataire inverse (nginx) dont l'en-tête X-Forwarded-For désigne le vrai client (répétable).")
    var trustedProxy: [String] = []
    @Option(help: "Boucle d'événements : libuv (epoll, par défaut) ou poll (celle de libwebsockets).")
    var eventLoop: String = EventLoop.libuv.rawValue
    @Option(help: "Format du journal sur la sortie d'erreur : text ou json (un objet JSON par ligne).")
    var logFormat: String = "text"
    @Option(help: "Niveau du journal : debug, info, notice, warning, error.")
    var logLevel: String = "info"
    @OptionGroup var pipeline: PipelineOptions
    @Option(help: "Jours après la clôture d'un atelier au bout desquels les données personnelles sont effacées.")
    var retentionDays: Int = 365
    @Option(help: "Nom de ce nœud, quand plusieurs serveurs partagent une base PostgreSQL (chacun sert les ateliers dont il tient le bail).")
    var node: String?
    @Option(help: "Secondes d'un bail d'atelier sans renouvellement (avec --node) ; renouvelé au tiers de cette durée.")
    var leaseSeconds: Int = 30
    @Option(help: "Secondes entre deux suivis des dossiers Démarches Simplifiées (0 : jamais ; seulement avec --demarches).")
    var demarchesFollowEvery: Int = 600
    @Option(help: "Millisecondes avant le premier nouvel essai d'un webhook, doublées à chaque essai (au plus 360 fois), pendant 24 h.")
    var webhookRetryBaseMs: Int = 10_000

    func validate() throws {
        guard EventLoop(rawValue: eventLoop) != nil else { throw ValidationError("--event-loop : libuv ou poll") }
        guard LogFormat(rawValue: logFormat) != nil else { throw ValidationError("--log-format : text ou json") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level : trace, debug, info, notice, warning, error ou critical") }
        if let node {
            guard !node.isEmpty, node.utf8.count <= 64, node.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw ValidationError("--node : un nom de 1 à 64 caractères ASCII visibles, sans espace")
            }
            guard storage.database?.hasPrefix("postgres") == true else {
                throw ValidationError("--node : plusieurs nœuds partagent une base PostgreSQL ; ajoutez --database postgres://…")
            }
        }
        guard (6...3600).contains(leaseSeconds) else { throw ValidationError("--lease-seconds : entre 6 et 3600") }
    }

    func run() throws {
        LogFormat(rawValue: logFormat)!.bootstrap(level: Logger.Level(rawValue: logLevel)!)
        let logger = Logger(label: "atelier.server")
        let catalog = try storage.catalog()
        guard catalog.plans[defaultPlanID] != nil || !catalog.plans.isEmpty else {
            throw ValidationError("aucun programme d'atelier dans \(storage.plans)")
        }
        let defaultPlan = catalog.plans[defaultPlanID] != nil ? defaultPlanID : catalog.plans.keys.sorted()[0]
        guard FileManager.default.fileExists(atPath: (web as NSString).appendingPathComponent("index.html")) else {
            throw ValidationError("dossier web introuvable : \(web) (lancez depuis la racine du projet ou passez --web)")
        }
        raiseFileLimit()
        // One writer per data directory: held until the process ends.
        guard let lock = try DataDirectoryLock.acquire(storage.data) else {
            throw ValidationError("un autre processus utilise déjà le dossier de données \(storage.data) (un serveur Atelier, ou une commande en cours)")
        }
        let store = try storage.openStore(node: node, leaseSeconds: leaseSeconds)
        if let postgres = store as? PostgresStore {
            do {
                guard try postgres.claimWriter(wait: true) else {
                    throw ValidationError(PostgresStoreError.anotherWriter(postgres.location).description)
                }
            } catch let error as PostgresStoreError {
                throw ValidationError(error.description)
            }
        }

        var token = adminToken ?? ProcessInfo.processInfo.environment["ATELIER_ADMIN_TOKEN"]
        var generatedToken = false
        if token?.isEmpty ?? true { token = Secrets.token(); generatedToken = true }

        // Retention (GDPR): at start, then every hour.
        let retentionMs = Int64(retentionDays) * 86_400_000
        let purge: @Sendable () -> Void = {
            if let n = try? store.purgePersonalData(closedBefore: now() - retentionMs), n > 0 {
                print("Rétention : données personnelles effacées pour \(n) participant(s) d'ateliers clos depuis plus de \(retentionDays) jours.")
                logger.info("retention purge", metadata: ["participants": "\(n)", "days": "\(retentionDays)"])
            }
        }
        purge()
        let retentionTimer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "atelier.retention"))
        retentionTimer.schedule(deadline: .now() + 3600, repeating: 3600)
        retentionTimer.setEventHandler(handler: purge)
        retentionTimer.resume()

        var firstWorkshop: NewWorkshop?
        if try store.workshopCount() == 0 {
            let created = NewWorkshop(plan: catalog.plans[defaultPlan]!, title: nil, now: now())
            try store.commit(created.batch)
            firstWorkshop = created
        }

        var serverConfiguration = ServerConfiguration(host: host, port: port, webRoot: web, subprotocol: AtelierProtocol.subprotocol,
                                                                        allowedOrigins: allowedOrigin, maxQueuedBytes: maxQueuedBytes,
                                                                        routes: Hub.httpPrefixes,
                                                                        pingAfterSeconds: pingAfter, dropAfterSeconds: dropAfter,
                                                                        maxSocketsPerAddress: maxSocketsPerAddress ?? maxConnectionsPerAddress + 64,
                                                                        httpRequestSeconds: httpRequestSeconds,
                                                                        welcomeBytesPerAddress: welcomeBytesPerAddress, stallSeconds: stallSeconds)
        serverConfiguration.trustedProxies = trustedProxy
        serverConfiguration.eventLoop = EventLoop(rawValue: eventLoop)!
        let server = WebSocketServer(configuration: serverConfiguration)
        try server.start()
        let displayHost = ["0.0.0.0", "::", ""].contains(host) ? "localhost" : host
        let listening = "http://\(displayHost):\(server.port)"
        var base = listening
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                server.stop()
                throw ValidationError("--public-url : adresse http(s) invalide (par exemple https://atelier.exemple.fr)")
            }
            base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        }
        var hubConfiguration = HubConfiguration(adminToken: token!, plans: catalog, defaultPlan: defaultPlan,
                                                publicURL: base, maxConnectionsPerAddress: maxConnectionsPerAddress,
                                                messagesPerSecond: messagesPerSecond, messageBurst: messagesPerSecond * 3)
        hubConfiguration.submissionTargets = try pipeline.targets()
        if case let .demarches(_, _, mapping)? = hubConfiguration.submissionTargets[.demarches], mapping.isLegacy {
            // Still read and sent as before; each workshop's form checks it before every submission.
            FileHandle.standardError.write(Data("avertissement : \(mapping.file) ne note pas les types des champs de la démarche : valeurs envoyées sans conversion par type ; mettez-la à jour avec « atelier submit ID --demarches URL --procedure-path CHEMIN --describe » (docs/export.md)\n".utf8))
        }
        guard joinsPerAddressPerMinute >= 1 else { throw ValidationError("--joins-per-address-per-minute : au moins 1") }
        hubConfiguration.joinsPerAddressPerMinute = joinsPerAddressPerMinute
        guard (1...10_000).contains(capacityFactor) else { throw ValidationError("--capacity-factor : entre 1 et 10000") }
        hubConfiguration.capacityFactor = capacityFactor
        guard (1...3_600_000).contains(webhookRetryBaseMs) else { throw ValidationError("--webhook-retry-base-ms : entre 1 et 3600000") }
        hubConfiguration.webhookRetryBaseMs = Int64(webhookRetryBaseMs)
        guard demarchesFollowEvery >= 0 else { throw ValidationError("--demarches-follow-every : 0 ou plus") }
        let hub = try Hub(configuration: hubConfiguration,
                          store: store, transport: server)
        server.delegate = hub
        let leaseTimer = store.isShared ? hub.startLeaseRenewal(every: Double(leaseSeconds) / 3) : nil
        let followTimer = hub.startDossierFollowing(every: Double(demarchesFollowEvery))
        // For the command line: writes while this server runs go through its admin API.
        let loopback = ["0.0.0.0", "::", ""].contains(host) ? "127.0.0.1" : (host.contains(":") ? "[\(host)]" : host)
        try RunningServer(url: "http://\(loopback):\(server.port)", adminToken: token!, pid: getpid(), publicURL: base).write(to: storage.data)

        // Graceful stop: finish the commit in flight, close sockets with 1001, then exit. Set up
        // before the banner: a signal sent as soon as the banner is read (a script, a test) must
        // find its handler, not SIG_IGN (it would be lost, and the server would never stop).
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let queue = DispatchQueue(label: "atelier.signals")
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                print("Arrêt en cours…")
                logger.info("stopping")
                let drained = DispatchSemaphore(value: 0)
                server.post { hub.drain { drained.signal() } }
                _ = drained.wait(timeout: .now() + 10)
                // Several nodes: the workshops are free for another node at once.
                try? store.releaseLeases()
                server.stop()
                RunningServer.remove(from: storage.data)
                print("Arrêté.")
                fflush(nil)
                Foundation.exit(0)
            }
            source.resume()
            sources.append(source)
        }
        if generatedToken {
            print("Jeton d'administration (généré pour cette exécution) : \(token!)")
        }
        print("Espace organisation (séries, ateliers ; connexion avec le jeton d'administration) : \(base)/organiser.html")
        if let first = firstWorkshop {
            print("Premier démarrage : un atelier a été créé avec le programme « \(defaultPlan) ».")
            printLinks(first.record, facilitatorKey: first.facilitatorKey, base: base)
        } else {
            for record in try store.listWorkshops() where !record.closed {
                printLinks(record, facilitatorKey: nil, base: base)
            }
            print("  (lien animateur perdu ? atelier workshop new-key ID en donne un nouveau)")
        }
        // Last line of the banner: scripts wait for it.
        print("Atelier écoute sur \(listening)\(base == listening ? "" : " (adresse publique : \(base))")  (données : \(store.location))")
        logger.info("listening", metadata: ["address": "\(listening)", "public": "\(base)", "data": "\(store.location)"])
        fflush(nil)

        withExtendedLifetime((sources, retentionTimer, leaseTimer, followTimer, lock)) { dispatchMain() }
    }

    /// Each connection is a file descriptor: take the hard limit, not the default soft 1024.
    func raiseFileLimit() {
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }
}

struct WorkshopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workshop", abstract: "Gère les ateliers.",
                                                    subcommands: [Create.self, List.self, NewKey.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Crée un atelier à partir d'un programme (aussi : atelier workshop new).",
                                                        aliases: ["new"])
        @Option(help: "Identifiant du programme (voir sessions/).") var plan: String = defaultPlanID
        @Option(help: "Titre de l'atelier (sinon celui du programme).") var title: String?
        @Option(help: "Série à laquelle ajouter l'atelier, à la fin (voir atelier series list).") var series: String?
        @Option(help: "Atelier de la même série dont reporter du travail (avec --series).") var carryFrom: String?
        @Option(help: "Tables à reporter entières (identifiants de tableaux, séparés par des virgules).") var carryBoards: String = ""
        @Option(help: "Regroupements à reporter, avec leurs cartes (identifiants séparés par des virgules).") var carryClusters: String = ""
        @Option(help: "Cartes à reporter (identifiants séparés par des virgules).") var carryCards: String = ""
        @Option(help: "Fiches projet à reporter (identifiants séparés par des virgules).") var carryProjects: String = ""
        static let defaultBaseURL = "http://127.0.0.1:8080"
        @Option(help: "Adresse publique du serveur, pour les liens.") var baseURL: String = defaultBaseURL
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let catalog = try storage.catalog()
            guard let plan = catalog.plans[plan] else {
                throw ValidationError("programme inconnu « \(self.plan) » (disponibles : \(catalog.plans.keys.sorted().joined(separator: ", ")))")
            }
            if let title, !(1...200).contains(Limits.normalized(title).count) {
                throw ValidationError("le titre doit compter entre 1 et 200 caractères")
            }
            func list(_ s: String) -> [String] { s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            let carry = carryFrom.map { CarrySelection(source: $0, boards: list(carryBoards), clusters: list(carryClusters),
                                                       cards: list(carryCards), projects: list(carryProjects)) }
            if let carry {
                guard series != nil else { throw ValidationError("--carry-from demande --series : on ne reporte qu'au sein d'une série") }
                guard !carry.isEmpty else { throw ValidationError("rien à reporter : donnez --carry-boards, --carry-clusters, --carry-cards ou --carry-projects") }
            }
            switch try WriteAccess.open(storage.data) {
            case .direct(let lock):
                let store = try storage.openStore()
                var created = NewWorkshop(plan: plan, title: title.map(Limits.normalized), now: now())
                var brought: [GroupID] = []
                if let carry, let series {
                    guard let record = try store.listSeries().first(where: { $0.id == series }) else {
                        throw ValidationError("série inconnue : \(series)")
                    }
                    guard record.workshops.contains(carry.source) else {
                        throw ValidationError("l'atelier \(carry.source) ne fait pas partie de la série \(series) : on ne reporte qu'au sein d'une même série")
                    }
                    let events = try store.loadWorkshop(id: carry.source)?.entries.map(\.event) ?? []
                    guard let source = Workshop.replay(events) else { throw ValidationError("atelier source illisible : \(carry.source)") }
                    do { try created.carry(carry, from: source, log: ProvenanceLog(events)) } catch { throw ValidationError(error.message) }
                    brought = source.groupsBrought(by: carry)
                }
                var batch = created.batch
                if let series {
                    guard var record = try store.listSeries().first(where: { $0.id == series }) else {
                        throw ValidationError("série inconnue : \(series)")
                    }
                    guard !record.archived else { throw ValidationError("la série \(series) est archivée") }
                    guard record.workshops.count < SeriesRecord.maxWorkshops else {
                        throw ValidationError("la série \(series) compte déjà \(SeriesRecord.maxWorkshops) ateliers")
                    }
                    record.workshops.append(created.record.id)
                    batch.series = [record]
                }
                try commitDirectly(batch, to: store)
                // Working groups whose table was carried whole end, brought into the new workshop.
                for group in brought {
                    _ = try commitDirectly(.groupClose(group: group, into: created.record.id), in: carry!.source, as: .facilitator, store: store)
                    print("Groupe de travail \(group) de l'atelier \(carry!.source) : repris dans le nouvel atelier.")
                }
                withExtendedLifetime(lock) {}
                print("Atelier créé.")
                printLinks(created.record, facilitatorKey: created.facilitatorKey, base: baseURL)
            case .server(let server):
                var w = JSONWriter()
                w.beginObject()
                w.key("plan"); w.string(self.plan)
                if let title { w.key("title"); w.string(title) }
                if let carry {
                    w.key("carry"); w.beginObject()
                    w.key("from"); w.string(carry.source)
                    for (key, ids) in [("boards", carry.boards), ("clusters", carry.clusters), ("cards", carry.cards), ("projects", carry.projects)] {
                        w.key(key); w.beginArray(); ids.forEach { w.string($0) }; w.endArray()
                    }
                    w.endObject()
                }
                w.endObject()
                let path = series.map { "/api/admin/series/\(escape($0))/workshops" } ?? "/api/workshops"
                let (status, body) = try server.call("POST", path, body: w.bytes)
                guard status == 201, case .string(let id)? = body["id"], case .string(let code)? = body["joinCode"],
                      case .string(let key)? = body["facilitatorKey"], case .string(let created)? = body["title"] else {
                    throw ValidationError(RunningServer.message(body))
                }
                print("Atelier créé (par le serveur en cours d'exécution).")
                // The running server's address, unless another public address was given.
                let base = baseURL == Self.defaultBaseURL ? (server.publicURL ?? server.url) : baseURL
                printLinks(WorkshopRecord(id: id, title: created, plan: self.plan, joinCode: code, facilitatorKeyDigest: Secrets.digest(key), createdAt: now()),
                           facilitatorKey: key, base: base)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Liste les ateliers.")
        @Option(help: "Adresse publique du serveur, pour les liens.") var baseURL: String = "http://127.0.0.1:8080"
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let store = try storage.openStore()
            let all = try store.listWorkshops()
            if all.isEmpty { print("Aucun atelier."); return }
            for record in all {
                print("\(record.closed ? "[clos] " : "")\(record.id)")
                printLinks(record, facilitatorKey: nil, base: baseURL)
            }
            print("(Les clés d'animation ne sont pas conservées en clair : atelier workshop new-key ID en donne une nouvelle.)")
        }
    }

    struct NewKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new-key",
            abstract: "Donne une nouvelle clé d'animation à un atelier (lien animateur perdu) ; l'ancienne ne fonctionne plus.",
            discussion: "Seule l'empreinte (SHA-256) des clés est conservée : une clé perdue ne peut pas être retrouvée, seulement remplacée. Si un serveur utilise le dossier de données, la clé est remplacée par lui.")
        @Argument(help: "Identifiant de l'atelier.") var workshop: String
        @Option(help: "Adresse publique du serveur, pour les liens.") var baseURL: String = WorkshopCommand.Create.defaultBaseURL
        @OptionGroup var storage: StorageOptions

        func run() throws {
            switch try WriteAccess.open(storage.data) {
            case .direct(let lock):
                defer { withExtendedLifetime(lock) {} }
                let store = try storage.openStore()
                guard let record = try store.listWorkshops().first(where: { $0.id == workshop }) else {
                    throw ValidationError("atelier inconnu : \(workshop)")
                }
                let key = Secrets.token()
                try commitDirectly(CommitBatch(facilitatorKeys: [workshop: Secrets.digest(key)]), to: store)
                print("Nouvelle clé d'animation (l'ancienne ne fonctionne plus) :")
                printLinks(record, facilitatorKey: key, base: baseURL)
            case .server(let server):
                let (status, body) = try server.call("POST", "/api/admin/workshops/\(escape(workshop))/facilitator-key")
                guard status == 200, case .string(let url)? = body["facilitatorUrl"] else { throw ValidationError(RunningServer.message(body)) }
                print("Nouvelle clé d'animation, donnée par le serveur en cours d'exécution (l'ancienne ne fonctionne plus) :")
                print("  Lien animateur    : \(url)")
                print("  Vue projecteur    : \(url.replacingOccurrences(of: "/facilitator.html#", with: "/projector.html#"))")
            }
        }
    }
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Programmes d'atelier.",
                                                    subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Vérifie un ou plusieurs fichiers de programme.")
        @Argument(help: "Fichiers YAML à vérifier.") var files: [String]

        func run() throws {
            var failed = false
            for file in files {
                do {
                    let plan = try SessionPlan.load(path: file)
                    print("\(file) : valide — « \(plan.id) », \(plan.groups.count) tables, \(plan.phases.count) phases, \(plan.seeds.count) cartes de départ" + (plan.call.map { "; appel à projets : \($0.fields.count) champs, \($0.rules.count) règles" } ?? "; fiche projet : formulaire d'origine"))
                } catch {
                    failed = true
                    FileHandle.standardError.write(Data((error.description + "\n").utf8))
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Exporte le résultat d'un atelier.")
    @Argument(help: "Identifiant de l'atelier.") var workshop: String
    @Option(help: "Format : json, csv, md, html ou xlsx (xlsx : avec --out).") var format: String = "json"
    @Option(help: "Dialecte CSV : excel-fr (point-virgule, BOM, virgule décimale) ou rfc4180.") var csvDialect: String = "excel-fr"
    @Option(help: "Fichier de sortie (sinon la sortie standard).") var out: String?
    @OptionGroup var storage: StorageOptions

    func run() throws {
        guard let format = ExportFormat(rawValue: format) else {
            throw ValidationError("format non pris en charge : \(format) (disponibles : \(ExportFormat.names))")
        }
        guard let dialect = CSVExport.Dialect(rawValue: csvDialect) else {
            throw ValidationError("dialecte CSV inconnu : \(csvDialect) (disponibles : excel-fr, rfc4180)")
        }
        if format.isBinary, out == nil || out == "-" {
            throw ValidationError("le format \(format.rawValue) est binaire : indiquez le fichier à écrire avec --out (par exemple --out atelier.\(format.rawValue))")
        }
        let store = try storage.openStore()
        guard let stored = try store.loadWorkshop(id: workshop), let state = stored.state else {
            throw ValidationError("atelier inconnu : \(workshop)")
        }
        let bytes = format.document(state, generatedAt: now(), dialect: dialect, provenance: ProvenanceLog(stored.entries.lazy.map(\.event)))
        if let out {
            try Data(bytes).write(to: URL(fileURLWithPath: out))
        } else {
            FileHandle.standardOutput.write(Data(bytes))  // byte-exact (a CSV ends with its own CRLF)
        }
    }
}

struct ParticipantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "participant", abstract: "Données personnelles des participants (RGPD).",
                                                    subcommands: [Erase.self, Export.self])

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Efface le nom et la structure d'un participant ; ses contributions restent.",
            discussion: "Si un serveur utilise le dossier de données, l'effacement passe par lui : les participants connectés ne sont pas déconnectés.")
        @Argument(help: "Identifiant de l'atelier.") var workshop: String
        @Argument(help: "Identifiant du participant (p_…).") var participant: String
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let erased: Bool
            switch try WriteAccess.open(storage.data) {
            case .direct(let lock):
                defer { withExtendedLifetime(lock) {} }
                let store = try storage.openStore()
                erased = try commitDirectly(.participantErase(participant: participant), in: workshop, as: .facilitator, store: store) > 0
            case .server(let server):
                let (status, body) = try server.call("POST", "/api/admin/workshops/\(escape(workshop))/participants/\(escape(participant))/erase")
                guard status == 200, case .number(let events)? = body["events"] else { throw ValidationError(RunningServer.message(body)) }
                erased = events > 0
            }
            if erased {
                print("Données personnelles de \(participant) effacées ; ses contributions restent, sans son nom.")
            } else {
                print("Rien à effacer : ces données sont déjà effacées.")
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Donne à une personne ses données (JSON).")
        @Argument(help: "Identifiant de l'atelier.") var workshop: String
        @Argument(help: "Identifiant du participant (p_…).") var participant: String
        @Option(help: "Fichier de sortie (sinon la sortie standard).") var out: String?
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let store = try storage.openStore()
            guard let stored = try store.loadWorkshop(id: workshop), let state = stored.state else {
                throw ValidationError("atelier inconnu : \(workshop)")
            }
            guard state.participants[participant] != nil else { throw ValidationError("participant inconnu : \(participant)") }
            let bytes = PersonalDataExport.document(state, participant: participant, joinedAt: stored.entries.first {
                if case .participantJoined(let p) = $0.event.body { return p.id == participant }
                return false
            }?.event.at, generatedAt: now())
            if let out {
                try Data(bytes).write(to: URL(fileURLWithPath: out))
            } else {
                FileHandle.standardOutput.write(Data(bytes))  // byte-exact
            }
        }
    }
}

/// A path segment for the admin API (ids are printable ASCII; anything else is escaped).
func escape(_ segment: String) -> String {
    segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? segment
}

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copie la base de données, même pendant que le serveur tourne.",
        discussion: "La copie (API de sauvegarde en ligne de SQLite) est cohérente : c'est le journal tel qu'après un enregistrement, vérifié ensuite (integrity_check). Elle contient des données personnelles : gardez-la comme le dossier de données.")
    @Option(help: "Dossier des données (base SQLite).") var data: String = "./data"
    @Option(help: ArgumentHelp("Base SQLite à copier : sqlite:FICHIER (par défaut : celle de --data).", valueName: "url")) var database: String?
    @Option(help: "Fichier de la copie (il ne doit pas exister).") var out: String

    func run() throws {
        let path = try sqliteFile(database, data: data, command: "backup")
        guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("le fichier \(out) existe déjà") }
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("aucune base dans \(data)") }
        do {
            try SQLiteStore.copyDatabase(from: path, to: out)
        } catch {
            try? FileManager.default.removeItem(atPath: out)
            throw ValidationError("copie impossible : \(error)")
        }
        chmod(out, 0o600)
        print("Copie faite et vérifiée : \(out).")
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Remet une copie (atelier backup) en place dans un dossier de données.",
        discussion: "Le serveur doit être arrêté : le dossier est verrouillé pendant la restauration. Une base déjà présente n'est remplacée qu'avec --replace (elle est alors gardée à côté, en .avant-restauration).")
    @Option(help: "Fichier de la copie.") var from: String
    @Option(help: "Dossier des données (base SQLite).") var data: String = "./data"
    @Option(help: ArgumentHelp("Base SQLite à remplacer : sqlite:FICHIER (par défaut : celle de --data).", valueName: "url")) var database: String?
    @Flag(help: "Remplacer la base présente.") var replace = false

    func run() throws {
        let path = try sqliteFile(database, data: data, command: "restore")
        guard let lock = try DataDirectoryLock.acquire(data) else {
            throw ValidationError("un serveur utilise le dossier \(data) : arrêtez-le avant de restaurer")
        }
        defer { withExtendedLifetime(lock) {} }
        guard FileManager.default.fileExists(atPath: from) else { throw ValidationError("copie introuvable : \(from)") }
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            guard replace else { throw ValidationError("une base existe déjà dans \(data) : ajoutez --replace pour la remplacer") }
            let aside = path + ".avant-restauration"
            try? fm.removeItem(atPath: aside)
            // A consistent copy of the current base first (its WAL included), then it goes.
            try SQLiteStore.copyDatabase(from: path, to: aside)
            for suffix in ["", "-wal", "-shm"] { try? fm.removeItem(atPath: path + suffix) }
        }
        try SQLiteStore.copyDatabase(from: from, to: path)
        chmod(path, 0o600)
        // Opening it migrates a copy made by an earlier version, and says what it holds.
        let count = try SQLiteStore(path: path).listWorkshops().count
        print("Restauré : \(count) atelier(s) dans \(data).")
    }
}

/// The SQLite file `backup` and `restore` work on. They copy a database file with SQLite's online
/// backup API: a PostgreSQL database is saved and restored with PostgreSQL's own tools.
func sqliteFile(_ database: String?, data: String, command: String) throws -> String {
    let address: DatabaseAddress
    do {
        address = try DatabaseAddress.parse(database, dataDirectory: data)
    } catch let error as DatabaseAddress.Invalid {
        throw ValidationError(error.description)
    }
    switch address {
    case .sqlite(let file):
        return file
    case .postgres:
        throw ValidationError("atelier \(command) ne s'applique qu'à une base SQLite ; une base PostgreSQL se sauvegarde et se restaure avec pg_dump et pg_restore (docs/deploy.md, « PostgreSQL »)")
    }
}
