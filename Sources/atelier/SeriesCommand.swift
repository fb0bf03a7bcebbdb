import ArgumentParser
import AtelierDomain
import AtelierJSON
import AtelierProtocol
import AtelierStore
import Foundation

/// `atelier series …`: series of workshops (docs/protocol.md "Series"). Writes go through the
/// running server's admin API when one holds the data directory, as `atelier workshop new` does.
struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "series", abstract: "Gère les séries d'ateliers.",
                                                    subcommands: [New.self, List.self, Show.self, Archive.self, Projects.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Crée une série d'ateliers.")
        @Argument(help: "Titre de la série (par exemple « Ateliers IAE 2027 »).") var title: String
        @Option(help: "Description de la série.") var description: String = ""
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let title = Limits.normalized(self.title), description = Limits.normalized(self.description)
            guard SeriesRecord.titleLength.contains(title.count) else { throw ValidationError("le titre doit compter entre 1 et 200 caractères") }
            guard SeriesRecord.descriptionLength.contains(description.count) else {
                throw ValidationError("la description doit compter au plus 2000 caractères")
            }
            switch try WriteAccess.open(storage.data) {
            case .direct(let lock):
                defer { withExtendedLifetime(lock) {} }
                let store = try storage.openStore()
                guard try store.listSeries().count < SeriesRecord.maxSeries else {
                    throw ValidationError("nombre maximal de séries atteint (\(SeriesRecord.maxSeries))")
                }
                let record = SeriesRecord(id: Secrets.seriesID(), title: title, description: description, createdAt: now())
                try commitDirectly(CommitBatch(series: [record]), to: store)
                print("Série créée : \(record.title) (\(record.id))")
            case .server(let server):
                var w = JSONWriter()
                w.beginObject(); w.key("title"); w.string(title); w.key("description"); w.string(description); w.endObject()
                let (status, body) = try server.call("POST", "/api/admin/series", body: w.bytes)
                guard status == 201, case .string(let id)? = body["id"] else { throw ValidationError(RunningServer.message(body)) }
                print("Série créée (par le serveur en cours d'exécution) : \(title) (\(id))")
            }
            print("  Ajoutez-y un atelier : atelier workshop new --series ID --plan PROGRAMME")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Liste les séries.")
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let all = try storage.openStore().listSeries()
            if all.isEmpty { print("Aucune série."); return }
            for s in all {
                print("\(s.archived ? "[archivée] " : "")\(s.id)  \(s.title)  (\(s.workshops.count) atelier(s))")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Montre une série et ses ateliers, dans l'ordre.")
        @Argument(help: "Identifiant de la série.") var series: String
        @OptionGroup var storage: StorageOptions

        func run() throws {
            let store = try storage.openStore()
            guard let s = try store.listSeries().first(where: { $0.id == series }) else { throw ValidationError("série inconnue : \(series)") }
            print("\(s.title) (\(s.id))\(s.archived ? " — archivée" : "")")
            if !s.description.isEmpty { print("  \(s.description)") }
            let records = Dictionary(try store.listWorkshops().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            if s.workshops.isEmpty { print("  Aucun atelier.") }
            for (i, id) in s.workshops.enumerated() {
                guard let r = records[id] else { continue }
                print("  \(i + 1). \(r.closed ? "[clos] " : "")\(r.title) (\(r.id)) — code \(r.joinCode), programme \(r.plan)")
            }
        }
    }

    /// `atelier series projects ID`: where the series' projects stand, one line each (read from
    /// the journals, so it works beside a running server; docs/protocol.md "Where our projects stand").
    struct Projects: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Où en sont les projets de la série : une ligne par projet.")
        @Argument(help: "Identifiant de la série.") var series: String
        @Flag(help: "Sortie JSON (comme GET /api/series/ID/projects).") var json = false
        @OptionGroup var storage: StorageOptions

        static let labels: [ProjectStatusLine.Stage: String] = [
            .draft: "brouillon de fiche", .ready: "fiche prête", .prepared: "préparé sur la plateforme", .filed: "déposé",
            .underReview: "en instruction", .accepted: "accepté", .refused: "refusé", .sansSuite: "classé sans suite",
        ]

        func run() throws {
            let store = try storage.openStore()
            guard let s = try store.listSeries().first(where: { $0.id == series }) else { throw ValidationError("série inconnue : \(series)") }
            var states: [Workshop] = []
            for id in s.workshops {
                if let w = Workshop.replay(try store.loadWorkshop(id: id)?.entries.map(\.event) ?? []) { states.append(w) }
            }
            let lines = ProjectStatusLine.lines(states)
            if json {
                var w = JSONWriter()
                w.beginObject()
                w.key("series"); w.beginObject(); w.key("id"); w.string(s.id); w.key("title"); w.string(s.title); w.endObject()
                w.key("projects"); w.beginArray()
                for line in lines { Outbound.writeStatusLine(line, to: &w) }
                w.endArray()
                w.endObject()
                print(String(decoding: w.bytes, as: UTF8.self))
                return
            }
            print("\(s.title) (\(s.id)) — où en sont nos projets")
            if lines.isEmpty { print("  Aucun projet."); return }
            for line in lines {
                var text = "  \(line.title) — \(Self.labels[line.stage] ?? line.stage.rawValue)"
                if let since = line.since { text += " depuis le \(timestamp(since).prefix(10))" }
                text += " (atelier « \(line.workshopTitle) », table « \(line.table) »)"
                print(text)
                if let next = line.nextSteps.first {
                    print("    Prochaine étape : \(next.action) — \(next.owner)\(next.due.map { ", pour le \($0)" } ?? "")")
                }
            }
        }
    }

    struct Archive: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Archive une série (ou la désarchive avec --restore).")
        @Argument(help: "Identifiant de la série.") var series: String
        @Flag(help: "Désarchiver la série.") var restore = false
        @OptionGroup var storage: StorageOptions

        func run() throws {
            switch try WriteAccess.open(storage.data) {
            case .direct(let lock):
                defer { withExtendedLifetime(lock) {} }
                let store = try storage.openStore()
                guard var record = try store.listSeries().first(where: { $0.id == series }) else {
                    throw ValidationError("série inconnue : \(series)")
                }
                record.archived = !restore
                try commitDirectly(CommitBatch(series: [record]), to: store)
            case .server(let server):
                var w = JSONWriter()
                w.beginObject(); w.key("archived"); w.bool(!restore); w.endObject()
                let (status, body) = try server.call("POST", "/api/admin/series/\(escape(series))/archive", body: w.bytes)
                guard status == 200 else { throw ValidationError(RunningServer.message(body)) }
            }
            print(restore ? "Série désarchivée : \(series)" : "Série archivée : \(series)")
        }
    }
}
