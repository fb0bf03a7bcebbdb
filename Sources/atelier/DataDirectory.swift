import ArgumentParser
import AtelierDomain
import AtelierProtocol
import AtelierStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One writer per data directory (docs/architecture.md "One write path").
///
/// `atelier serve` holds an exclusive `flock` on `<data>/atelier.lock` for as long as it runs and
/// leaves `<data>/server.json` (mode 0600: its local address and admin token) beside it. A command
/// that writes takes the lock itself when no server runs, and otherwise sends its write to the
/// server's admin API, so that the journal has one writer and a live workshop's seq chain, clients
/// and rooms are never disturbed. The kernel drops the lock when the process ends, even on kill -9.
final class DataDirectoryLock {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    static func lockPath(_ directory: String) -> String { (directory as NSString).appendingPathComponent("atelier.lock") }
    static func serverInfoPath(_ directory: String) -> String { (directory as NSString).appendingPathComponent("server.json") }

    /// The directory's lock, or nil while another process holds it.
    static func acquire(_ directory: String) throws -> DataDirectoryLock? {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        // Data written by earlier versions, or a directory made by hand, become the owner's alone.
        chmod(directory, 0o700)
        for name in ["atelier.sqlite", "atelier.sqlite-wal", "atelier.sqlite-shm", "server.json"] {
            chmod((directory as NSString).appendingPathComponent(name), 0o600)
        }
        let fd = open(lockPath(directory), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ValidationError("\(directory) : impossible d'ouvrir le verrou du dossier de données") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return DataDirectoryLock(fd: fd)
    }
}

/// What a running server leaves in its data directory for the command line.
struct RunningServer: Codable {
    /// Where this machine reaches it (loopback).
    var url: String
    var adminToken: String
    var pid: Int32
    /// Where people reach it (`--public-url`), for the links the command line prints.
    var publicURL: String?

    func write(to directory: String) throws {
        let path = DataDirectoryLock.serverInfoPath(directory)
        let tmp = path + ".tmp"
        FileManager.default.createFile(atPath: tmp, contents: try JSONEncoder().encode(self), attributes: [.posixPermissions: 0o600])
        guard rename(tmp, path) == 0 else { throw ValidationError("\(path) : impossible d'écrire") }
    }

    static func read(from directory: String) -> RunningServer? {
        guard let data = FileManager.default.contents(atPath: DataDirectoryLock.serverInfoPath(directory)) else { return nil }
        return try? JSONDecoder().decode(RunningServer.self, from: data)
    }

    static func remove(from directory: String) {
        try? FileManager.default.removeItem(atPath: DataDirectoryLock.serverInfoPath(directory))
    }

    /// One admin API call: the status and the JSON answer. Errors are French sentences.
    func call(_ method: String, _ path: String, body: [UInt8]? = nil) throws -> (status: Int, body: JSONValue) {
        guard let url = URL(string: self.url + path) else { throw ValidationError("adresse du serveur invalide : \(self.url)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("Bearer \(adminToken)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = Data(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        request.timeoutInterval = 30
        let done = DispatchSemaphore(value: 0)
        let answer = Answer()
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { answer.error = error.localizedDescription }
            answer.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            answer.data = data ?? Data()
            done.signal()
        }.resume()
        done.wait()
        if let error = answer.error {
            throw ValidationError("le serveur qui tient le dossier de données (\(self.url), processus \(pid)) ne répond pas : \(error)")
        }
        let json = (try? JSONParser.parse(Array(answer.data))) ?? .null
        return (answer.status, json)
    }

    /// The French message of an error answer.
    static func message(_ body: JSONValue) -> String {
        if case .string(let m)? = body["error"]?["message"] { return m }
        return "réponse inattendue du serveur"
    }

    private final class Answer: @unchecked Sendable {
        // Written by the session's callback before the semaphore is signalled, read after.
        var status = 0
        var data = Data()
        var error: String?
    }
}

/// How a writing command reaches the journal.
enum WriteAccess {
    /// No server runs: this process holds the lock and writes itself.
    case direct(DataDirectoryLock)
    /// A server holds the lock: the write goes through its admin API.
    case server(RunningServer)

    static func open(_ directory: String) throws -> WriteAccess {
        if let lock = try DataDirectoryLock.acquire(directory) { return .direct(lock) }
        guard let server = RunningServer.read(from: directory) else {
            throw ValidationError("un autre processus écrit dans \(directory) (verrou \(DataDirectoryLock.lockPath(directory))) : réessayez quand il aura fini")
        }
        return .server(server)
    }
}

/// With the data directory's lock held (nothing else appends): decides `command` on the journal's
/// state and commits its events, as the hub's `perform` does with a server. The number of events.
func commitDirectly(_ command: Command, in workshop: WorkshopID, as actor: Actor, store: any EventStore) throws -> Int {
    guard let state = try store.loadWorkshop(id: workshop)?.state else { throw ValidationError("atelier inconnu : \(workshop)") }
    let bodies = try reduce(state, command, by: actor, context: ReduceContext(nextSeq: state.seq + 1, now: now()))
        .mapError { ValidationError($0.message) }.get()
    let by = actor == .system ? nil : actor.id
    let entries = bodies.enumerated().map {
        JournalEntry(workshop: workshop, event: Event(seq: state.seq + 1 + $0.offset, at: now(), by: by, body: $0.element))
    }
    if !entries.isEmpty { try commitDirectly(CommitBatch(entries: entries), to: store) }
    return entries.count
}

/// Commits a command line's batch itself (no server runs on its data directory). On PostgreSQL the
/// store also takes the database's writer lock: a server elsewhere on the same database refuses it.
func commitDirectly(_ batch: CommitBatch, to store: any EventStore) throws {
    do {
        try store.commit(batch)
    } catch let error as PostgresStoreError {
        throw ValidationError(error.description)
    }
}
