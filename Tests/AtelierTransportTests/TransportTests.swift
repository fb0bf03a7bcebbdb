import Foundation
import Synchronization
import Testing
@testable import AtelierTransport

/// Echoes text messages and answers HTTP routes with what it received: enough to see the transport
/// deliver and send, on the real libwebsockets server.
final class EchoDelegate: TransportDelegate, @unchecked Sendable {
    weak var server: WebSocketServer?
    let events = Mutex<[String]>([])
    func transportOpened(_ connection: ConnectionID, peer: String) { events.withLock { $0.append("open \(peer)") } }
    func transportReceived(_ connection: ConnectionID, message: [UInt8]) {
        events.withLock { $0.append("message \(message.count)") }
        server?.send(OutboundFrame(Array("echo:".utf8) + message), to: connection)
    }
    func transportClosed(_ connection: ConnectionID) { events.withLock { $0.append("closed") } }
    func transportHTTP(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void) {
        let text = "\(request.method) \(request.path) \(request.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")) \(request.bearerToken ?? "-") \(String(decoding: request.body, as: UTF8.self))"
        respond(HTTPResponse(status: 200, contentType: "text/plain", body: Array(text.utf8)))
    }
    func transportTurnEnded() {}
}

/// A minimal blocking TCP client for loopback tests.
final class TCPClient {
    let fd: Int32
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard r == 0 else { throw POSIXError(.ECONNREFUSED) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }
    deinit { Glibc.close(fd) }
    func write(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }
    func write(_ s: String) { write(Array(s.utf8)) }
    /// Reads until `done` says the bytes so far are enough, or the peer closes or times out.
    func read(until done: ([UInt8]) -> Bool = { _ in false }) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while !done(out) {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }
    func readHTTP() -> String {
        String(decoding: read { bytes in
            guard let text = String(bytes: bytes, encoding: .utf8), let headEnd = text.range(of: "\r\n\r\n") else { return false }
            let head = text[..<headEnd.lowerBound].lowercased()
            guard let cl = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }) else { return true }
            let length = Int(cl.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            return bytes.count - text[..<headEnd.upperBound].utf8.count >= length
        }, as: UTF8.self)
    }

    /// A masked client frame (RFC 6455 §5.3).
    static func frame(opcode: UInt8, _ payload: [UInt8], final: Bool = true) -> [UInt8] {
        var f: [UInt8] = [(final ? 0x80 : 0) | opcode]
        if payload.count < 126 { f.append(0x80 | UInt8(payload.count)) }
        else if payload.count < 65536 { f.append(0x80 | 126); f += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] }
        else { f.append(0x80 | 127); f += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) } }
        let mask: [UInt8] = [1, 2, 3, 4]
        f += mask
        f += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return f
    }
}

func upgradeRequest(origin: String?, path: String = "/ws", protocols: String = "atelier.v1", port: Int) -> String {
    var r = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    r += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: \(protocols)\r\n"
    if let origin { r += "Origin: \(origin)\r\n" }
    return r + "\r\n"
}

/// The close code in a server close frame, if the bytes end with one.
func closeCode(in bytes: [UInt8]) -> UInt16? {
    var i = 0
    while i + 2 <= bytes.count {
        let opcode = bytes[i] & 0x0F
        var len = Int(bytes[i + 1] & 0x7F)
        var header = 2
        if len == 126 { len = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]); header = 4 }
        if opcode == 0x8 && len >= 2 { return UInt16(bytes[i + header]) << 8 | UInt16(bytes[i + header + 1]) }
        i += header + len
    }
    return nil
}

@Suite("libwebsockets transport", .serialized)
final class TransportTests {
    let server: WebSocketServer
    let delegate = EchoDelegate()
    let webRoot: String

    init() throws {
        webRoot = NSTemporaryDirectory() + "atelier-web-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: webRoot, withIntermediateDirectories: true)
        try "<!doctype html><title>Atelier</title>".write(toFile: webRoot + "/index.html", atomically: true, encoding: .utf8)
        try "export const x = 1;".write(toFile: webRoot + "/app.js", atomically: true, encoding: .utf8)
        server = WebSocketServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0, webRoot: webRoot, subprotocol: "atelier.v1",
                                                                    allowedOrigins: ["https://atelier.example"], maxMessageBytes: 1024))
        server.delegate = delegate
        delegate.server = server
        try server.start()
    }

    deinit { server.stop() }

    @Test func servesStaticFilesWithSecurityHeaders() throws {
        let c = try TCPClient(port: server.port)
        c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = c.readHTTP()
        #expect(r.hasPrefix("HTTP/1.1 200"))
        #expect(r.contains("<title>Atelier</title>"))
        #expect(r.lowercased().contains("content-security-policy:"))
        #expect(r.lowercased().contains("x-content-type-options: nosniff"))
        let js = try TCPClient(port: server.port)
        js.write("GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(js.readHTTP().lowercased().contains("javascript"), "ES modules need a JavaScript MIME type")
    }

    @Test func refusesPathTraversal() throws {
        // A file right beside the web root must never be reachable through it.
        let secretName = "secret-\(UUID().uuidString).txt"
        try "TOP-SECRET".write(toFile: webRoot + "/../" + secretName, atomically: true, encoding: .utf8)
        for path in ["/../\(secretName)", "/%2e%2e/\(secretName)", "/..%2f\(secretName)", "/../../../../etc/passwd"] {
            let c = try TCPClient(port: server.port)
            c.write("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = c.readHTTP()
            #expect(!r.contains("TOP-SECRET"), "\(path)")
            #expect(!r.contains("root:"), "\(path)")
        }
    }

    @Test func routesReachTheDelegateWithBodyAndQuery() throws {
        let c = try TCPClient(port: server.port)
        c.write("POST /api/workshops?format=json HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\nContent-Length: 7\r\n\r\n{\"a\":1}")
        let r = c.readHTTP()
        #expect(r.hasPrefix("HTTP/1.1 200"))
        #expect(r.hasSuffix("POST /api/workshops format=json tok {\"a\":1}"))
        let g = try TCPClient(port: server.port)
        g.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(g.readHTTP().hasSuffix("GET /healthz  - "))
    }

    @Test func oversizedBodyGets413() throws {
        let c = try TCPClient(port: server.port)
        let body = String(repeating: "x", count: (1 << 20) + 10)
        c.write("POST /api/workshops HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        #expect(c.readHTTP().hasPrefix("HTTP/1.1 413"))
    }

    @Test func upgradeChecksOriginPathAndSubprotocol() throws {
        for (origin, path, protocols, expected) in [
            ("http://evil.example", "/ws", "atelier.v1", "403"),
            ("https://atelier.example", "/ws", "atelier.v1", "101"),
            ("http://127.0.0.1:\(server.port)", "/ws", "atelier.v1", "101"),
            (nil, "/ws", "atelier.v1", "101"),
            (nil, "/elsewhere", "atelier.v1", "404"),
            (nil, "/wsx", "atelier.v1", "404"),  // the path is exactly /ws, not a prefix (mutant trn-path)
            (nil, "/ws/extra", "atelier.v1", "404"),
            (nil, "/ws", "chat", "400"),
        ] as [(String?, String, String, String)] {
            let c = try TCPClient(port: server.port)
            c.write(upgradeRequest(origin: origin, path: path, protocols: protocols, port: server.port))
            let r = String(decoding: c.read { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }, as: UTF8.self)
            #expect(r.hasPrefix("HTTP/1.") && r.dropFirst(9).hasPrefix(expected), "\(origin ?? "no origin") \(path) \(protocols): \(r.prefix(40))")
        }
    }

    func openWebSocket() throws -> TCPClient {
        let c = try TCPClient(port: server.port)
        c.write(upgradeRequest(origin: nil, port: server.port))
        let r = String(decoding: c.read { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }, as: UTF8.self)
        try #require(r.hasPrefix("HTTP/1.1 101"))
        return c
    }

    @Test func echoesTextMessagesIncludingFragmented() throws {
        let c = try openWebSocket()
        c.write(TCPClient.frame(opcode: 0x1, Array("bonjour".utf8)))
        let reply = c.read { $0.count >= 2 + 12 }
        #expect(String(decoding: reply.dropFirst(2), as: UTF8.self) == "echo:bonjour")
        c.write(TCPClient.frame(opcode: 0x1, Array("en ".utf8), final: false))
        c.write(TCPClient.frame(opcode: 0x0, Array("deux".utf8)))
        let reply2 = c.read { $0.count >= 2 + 12 }
        #expect(String(decoding: reply2.dropFirst(2), as: UTF8.self) == "echo:en deux")
    }

    @Test func binaryFrameCloses1003() throws {
        let c = try openWebSocket()
        c.write(TCPClient.frame(opcode: 0x2, [1, 2, 3]))
        #expect(closeCode(in: c.read { closeCode(in: $0) != nil }) == 1003)
    }

    @Test func oversizedMessageCloses1009() throws {
        let c = try openWebSocket()
        c.write(TCPClient.frame(opcode: 0x1, [UInt8](repeating: 0x61, count: 1025)))
        #expect(closeCode(in: c.read { closeCode(in: $0) != nil }) == 1009)
    }

    @Test func invalidUTF8Closes1007() throws {
        let c = try openWebSocket()
        c.write(TCPClient.frame(opcode: 0x1, [0x61, 0xC3, 0x28]))
        #expect(closeCode(in: c.read { closeCode(in: $0) != nil }) == 1007)
    }

    @Test func closeFromTheApplicationCarriesItsCode() throws {
        let c = try openWebSocket()
        c.write(TCPClient.frame(opcode: 0x1, Array("x".utf8)))
        _ = c.read { $0.count >= 2 + 6 }
        closeEveryConnection(of: server, code: CloseCode.tooSlow)
        #expect(closeCode(in: c.read { closeCode(in: $0) != nil }) == 4001)
    }
}

/// Liveness with short timings (ping after 1 s, drop after 3 s): checked by what the peer sees,
/// with no timing asserted (socket reads wait up to 15 s for each expected frame).
@Suite("transport liveness", .serialized)
final class LivenessTests {
    let server: WebSocketServer
    let delegate = EchoDelegate()

    init() throws {
        let webRoot = NSTemporaryDirectory() + "atelier-web-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: webRoot, withIntermediateDirectories: true)
        server = WebSocketServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0, webRoot: webRoot, subprotocol: "atelier.v1",
                                                                    pingAfterSeconds: 1, dropAfterSeconds: 3))
        server.delegate = delegate
        delegate.server = server
        try server.start()
    }

    deinit { server.stop() }

    func openWebSocket() throws -> TCPClient { try openPatientWebSocket(port: server.port) }

    /// Reads one whole server frame (unmasked, short payloads): opcode and payload, nil once closed.
    func readFrame(_ c: TCPClient) -> (opcode: UInt8, payload: [UInt8])? {
        var head = [UInt8](repeating: 0, count: 2)
        guard recv(c.fd, &head, 2, Int32(MSG_WAITALL)) == 2 else { return nil }
        var length = Int(head[1] & 0x7F)
        if length == 126 {
            var ext = [UInt8](repeating: 0, count: 2)
            guard recv(c.fd, &ext, 2, Int32(MSG_WAITALL)) == 2 else { return nil }
            length = Int(ext[0]) << 8 | Int(ext[1])
        }
        var payload = [UInt8](repeating: 0, count: length)
        if length > 0 { guard recv(c.fd, &payload, length, Int32(MSG_WAITALL)) == length else { return nil } }
        return (head[0] & 0x0F, payload)
    }

    func connectionCount() -> Int {
        let count = Mutex(0)
        let done = DispatchSemaphore(value: 0)
        server.post { [server] in count.withLock { $0 = server.connections.count }; done.signal() }
        done.wait()
        return count.withLock { $0 }
    }

    @Test func aSilentPeerIsPingedThenDropped() throws {
        let c = try openWebSocket()
        let first = readFrame(c)
        #expect(first?.opcode == 0x9, "a silent peer is pinged first")
        // It answers nothing: the next thing it sees is the end of the connection (at most one
        // ping per silence, so no second ping comes first).
        var after: [UInt8] = []
        while let frame = readFrame(c) { after.append(frame.opcode) }
        #expect(after.isEmpty, "nothing but the end after the ping: \(after)")
        var probe = [UInt8](repeating: 0, count: 1)
        #expect(recv(c.fd, &probe, 1, 0) == 0, "the server closed the connection")
        #expect(delegate.events.withLock { $0.contains("closed") })
    }

    @Test func aPeerThatAnswersPingsIsKept() throws {
        let c = try openWebSocket()
        // Answer five pings: longer than the 3 s after which a silent peer is dropped.
        for _ in 0..<5 {
            let frame = try #require(readFrame(c), "still connected")
            #expect(frame.opcode == 0x9)
            c.write(TCPClient.frame(opcode: 0xA, frame.payload))
        }
        c.write(TCPClient.frame(opcode: 0x1, Array("toujours là".utf8)))
        var reply = readFrame(c)
        while reply?.opcode == 0x9 { c.write(TCPClient.frame(opcode: 0xA, reply!.payload)); reply = readFrame(c) }
        #expect(reply?.opcode == 0x1)
        #expect(reply.map { String(decoding: $0.payload, as: UTF8.self) } == "echo:toujours là")
        #expect(connectionCount() == 1)
    }

    /// A loop running late (here: held for 3.5 s, past the 3 s after which silence drops a peer)
    /// reads what its peers sent meanwhile before it judges their silence.
    @Test func aLateLoopReadsBeforeItJudgesSilence() throws {
        let c = try openWebSocket()
        let ping = try #require(readFrame(c))
        #expect(ping.opcode == 0x9)
        c.write(TCPClient.frame(opcode: 0xA, ping.payload))
        let held = DispatchSemaphore(value: 0)
        server.post { held.signal(); usleep(3_500_000) }
        held.wait()
        c.write(TCPClient.frame(opcode: 0x1, Array("vivant".utf8)))
        var reply = readFrame(c)
        while reply?.opcode == 0x9 { c.write(TCPClient.frame(opcode: 0xA, reply!.payload)); reply = readFrame(c) }
        #expect(reply.map { String(decoding: $0.payload, as: UTF8.self) } == "echo:vivant", "the peer was dropped: \(String(describing: reply))")
        // Not dropped a moment later either (a drop decided late would still come).
        usleep(500_000)
        c.write(TCPClient.frame(opcode: 0x1, Array("encore".utf8)))
        reply = readFrame(c)
        while reply?.opcode == 0x9 { c.write(TCPClient.frame(opcode: 0xA, reply!.payload)); reply = readFrame(c) }
        #expect(reply.map { String(decoding: $0.payload, as: UTF8.self) } == "echo:encore", "the peer was dropped: \(String(describing: reply))")
        #expect(connectionCount() == 1)
    }

    @Test func aPeerThatSendsMessagesButNeverAnswersPingsIsKept() throws {
        let c = try openWebSocket()
        // A message every ~0.3 s for 4.5 s, pings left unanswered: any valid frame proves the peer
        // alive, so it is never dropped (it may be pinged at a second's boundary).
        for i in 0..<15 {
            c.write(TCPClient.frame(opcode: 0x1, Array("m\(i)".utf8)))
            var reply = readFrame(c)
            while reply?.opcode == 0x9 { reply = readFrame(c) }
            #expect(reply?.opcode == 0x1, "still connected, echoed")
            usleep(300_000)
        }
        #expect(connectionCount() == 1)
    }
}

/// The real default limit (64 KiB, docs/protocol.md "Transport"): the suite above uses 1 KiB to
/// keep its frames small; this one checks the number the server runs with.
@Suite("Transport default limits", .serialized)
final class TransportDefaultLimitTests {
    let server: WebSocketServer
    let delegate = EchoDelegate()

    init() throws {
        let webRoot = NSTemporaryDirectory() + "atelier-web-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: webRoot, withIntermediateDirectories: true)
        try "<!doctype html><title>Atelier</title>".write(toFile: webRoot + "/index.html", atomically: true, encoding: .utf8)
        server = WebSocketServer(configuration: ServerConfiguration(host: "127.0.0.1", port: 0, webRoot: webRoot, subprotocol: "atelier.v1"))
        server.delegate = delegate
        delegate.server = server
        try server.start()
    }

    deinit { server.stop() }

    func openWebSocket() throws -> TCPClient { try openPatientWebSocket(port: server.port) }

    @Test func aMessageOfExactly64KiBIsDelivered() throws {
        let c = try openWebSocket()
        c.write(TCPClient.frame(opcode: 0x1, [UInt8](repeating: 0x61, count: 65_536)))
        // The echo ("echo:" + 65,536 bytes) is over the 64 KiB fragment size: it comes back as a
        // text fragment of 65,536 bytes (64-bit length: 2 + 8 header bytes), then a final
        // continuation of 5 (2 header bytes).
        let reply = c.read { $0.count >= 10 + 65_536 + 2 + 5 }
        let frames = serverFrames(reply)
        #expect(frames.map(\.fin) == [false, true])
        #expect(frames.map(\.opcode) == [0x1, 0x0])
        #expect(frames.map(\.payload.count) == [65_536, 5])
        #expect(frames.flatMap(\.payload) == Array("echo:".utf8) + [UInt8](repeating: 0x61, count: 65_536))
        #expect(delegate.events.withLock { $0.contains("message 65536") })
    }

    @Test func oneByteMoreCloses1009() throws {
        let c = try openWebSocket()
        c.write(TCPClient.frame(opcode: 0x1, [UInt8](repeating: 0x61, count: 65_537)))
        #expect(closeCode(in: c.read { closeCode(in: $0) != nil }) == 1009)
        #expect(!delegate.events.withLock { $0.contains("message 65537") })
    }
}

/// An upgraded connection whose reads wait up to 15 s for each expected frame.
/// The unmasked frames a server wrote, in order.
func serverFrames(_ bytes: [UInt8]) -> [(fin: Bool, opcode: UInt8, payload: [UInt8])] {
    var frames: [(fin: Bool, opcode: UInt8, payload: [UInt8])] = []
    var i = 0
    while i + 2 <= bytes.count {
        var length = Int(bytes[i + 1] & 0x7f)
        var start = i + 2
        if length == 126 { length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]); start = i + 4 }
        else if length == 127 { length = (0..<8).reduce(0) { $0 << 8 | Int(bytes[i + 2 + $1]) }; start = i + 10 }
        guard start + length <= bytes.count else { break }
        frames.append((bytes[i] & 0x80 != 0, bytes[i] & 0x0f, Array(bytes[start..<start + length])))
        i = start + length
    }
    return frames
}

func openPatientWebSocket(port: Int) throws -> TCPClient {
    let c = try TCPClient(port: port)
    var tv = timeval(tv_sec: 15, tv_usec: 0)
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    c.write(upgradeRequest(origin: nil, port: port))
    let r = String(decoding: c.read { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }, as: UTF8.self)
    try #require(r.hasPrefix("HTTP/1.1 101"))
    return c
}

/// The application closes every open WebSocket with `code` (on the service thread; returns once done).
func closeEveryConnection(of server: WebSocketServer, code: UInt16) {
    let done = DispatchSemaphore(value: 0)
    server.post { [server] in
        for id in Array(server.connections.keys) { server.close(id, code: code, reason: "test") }
        done.signal()
    }
    done.wait()
}

/// The same transport on libwebsockets' own `poll(2)` loop (`--event-loop poll`): the suites above
/// run on libuv, the default; these check that the other loop still echoes, fragments and closes
/// with the application's code.
@Suite("libwebsockets transport, poll loop", .serialized)
final class PollLoopTransportTests {
    let server: WebSocketServer
    let delegate = EchoDelegate()

    init() throws {
        let webRoot = NSTemporaryDirectory() + "atelier-web-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: webRoot, withIntermediateDirectories: true)
        try "<!doctype html><title>Atelier</title>".write(toFile: webRoot + "/index.html", atomically: true, encoding: .utf8)
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, webRoot: webRoot, subprotocol: "atelier.v1",
                                                maxMessageBytes: 80 * 1024)
        configuration.eventLoop = .poll
        server = WebSocketServer(configuration: configuration)
        server.delegate = delegate
        delegate.server = server
        try server.start()
    }

    deinit { server.stop() }

    @Test func echoesAndFragmentsLargeFrames() throws {
        let c = try openPatientWebSocket(port: server.port)
        c.write(TCPClient.frame(opcode: 0x1, Array("bonjour".utf8)))
        #expect(String(decoding: c.read { $0.count >= 2 + 12 }.dropFirst(2), as: UTF8.self) == "echo:bonjour")
        c.write(TCPClient.frame(opcode: 0x1, [UInt8](repeating: 0x61, count: 65_536)))
        let frames = serverFrames(c.read { $0.count >= 10 + 65_536 + 2 + 5 })
        #expect(frames.map(\.opcode) == [0x1, 0x0] && frames.map(\.payload.count) == [65_536, 5])
    }

    @Test func closeFromTheApplicationCarriesItsCode() throws {
        let c = try openPatientWebSocket(port: server.port)
        c.write(TCPClient.frame(opcode: 0x1, Array("x".utf8)))
        _ = c.read { $0.count >= 2 + 6 }
        closeEveryConnection(of: server, code: CloseCode.tooSlow)
        #expect(closeCode(in: c.read { closeCode(in: $0) != nil }) == 4001)
    }

    @Test func oversizedMessageCloses1009() throws {
        let c = try openPatientWebSocket(port: server.port)
        c.write(TCPClient.frame(opcode: 0x1, [UInt8](repeating: 0x61, count: 80 * 1024 + 1)))
        #expect(closeCode(in: c.read { closeCode(in: $0) != nil }) == 1009)
    }
}

/// A connection's queue: frames go out in order, one alone as it is, several waiting coalesced into
/// one JSON array (up to the limit), and the counts (`hasQueued`, `pendingBytes`) follow, whether
/// the frame waits alone (kept inline) or with others.
@Suite("Connection queue")
struct ConnectionQueueTests {
    func connection() -> Connection {
        Connection(id: 1, wsi: OpaquePointer(bitPattern: 0x1000)!, address: "127.0.0.1")
    }
    func frame(_ text: String) -> OutboundFrame { OutboundFrame(Array(text.utf8)) }
    func text(_ f: OutboundFrame?) -> String? { f.map { String(decoding: $0.bytes, as: UTF8.self) } }

    @Test func aLoneFrameGoesOutAsItIs() {
        let c = connection()
        #expect(!c.hasQueued && c.pendingBytes == 0)
        c.enqueue(frame("{\"a\":1}"))
        #expect(c.hasQueued && c.pendingBytes == 7)
        #expect(text(c.nextFrame(coalescingUpTo: 1 << 16)) == "{\"a\":1}")
        #expect(!c.hasQueued && c.pendingBytes == 0)
        #expect(c.nextFrame(coalescingUpTo: 1 << 16) == nil)
    }

    @Test func framesWaitingTogetherAreCoalescedInOrder() {
        let c = connection()
        for i in 1...3 { c.enqueue(frame("{\"n\":\(i)}")) }
        #expect(c.pendingBytes == 21)
        #expect(text(c.nextFrame(coalescingUpTo: 1 << 16)) == "[{\"n\":1},{\"n\":2},{\"n\":3}]")
        #expect(!c.hasQueued && c.pendingBytes == 0)
        // Alone again after a drain, then joined by another: still oldest first.
        c.enqueue(frame("{\"n\":4}"))
        c.enqueue(frame("{\"n\":5}"))
        #expect(text(c.nextFrame(coalescingUpTo: 14)) == "{\"n\":4}", "the limit leaves the second for the next write")
        #expect(c.hasQueued && c.pendingBytes == 7)
        c.enqueue(frame("{\"n\":6}"))
        #expect(text(c.nextFrame(coalescingUpTo: 1 << 16)) == "[{\"n\":5},{\"n\":6}]")
        #expect(!c.hasQueued)
    }

    @Test func droppingForgetsEverythingWaiting() {
        let c = connection()
        c.enqueue(frame("{\"n\":1}"))
        c.dropQueue()
        #expect(!c.hasQueued && c.pendingBytes == 0 && c.nextFrame(coalescingUpTo: 1 << 16) == nil)
        c.enqueue(frame("{\"n\":1}")); c.enqueue(frame("{\"n\":2}"))
        c.dropQueue()
        #expect(!c.hasQueued && c.pendingBytes == 0 && c.nextFrame(coalescingUpTo: 1 << 16) == nil)
        c.enqueue(frame("{\"n\":3}"))
        #expect(text(c.nextFrame(coalescingUpTo: 1 << 16)) == "{\"n\":3}")
    }
}
