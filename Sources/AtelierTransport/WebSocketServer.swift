import CLibWebSockets
import Foundation
import Logging
import Synchronization

/// How the server listens and what it lets in.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 asks the kernel for a free port (tests); ``WebSocketServer/port`` tells which.
    public var port: Int
    /// The directory served as static files at `/`.
    public var webRoot: String
    /// Origins allowed to open `/ws` besides the server's own (the request's `Host`).
    public var allowedOrigins: [String]
    /// Largest client message (bytes); over it the connection is closed with 1009.
    public var maxMessageBytes: Int
    /// Largest HTTP request body (bytes); over it the answer is 413.
    public var maxBodyBytes: Int
    /// A connection whose queue holds more than this many bytes is closed with 4001 (``CloseCode/tooSlow``).
    public var maxQueuedBytes: Int
    /// The WebSocket subprotocol clients must ask for (the application's: `AtelierProtocol.subprotocol`).
    public var subprotocol: String
    /// The route prefixes handled by the application rather than the static mount.
    public var routes: [String]
    /// A connection silent this long is pinged…
    public var pingAfterSeconds: Int
    /// …and dropped when nothing valid came for this long (a dead peer is freed within it).
    public var dropAfterSeconds: Int
    /// Open TCP connections allowed from one address, whatever they carry (HTTP, WebSocket, or
    /// nothing yet); one more is closed as soon as it is accepted. Above the application's own
    /// WebSocket cap, so that the WebSocket over that cap still hears why (4003).
    public var maxSocketsPerAddress: Int
    /// Largest request head (request line and headers), in bytes: over it, 431.
    /// (libwebsockets' own header buffer is twice this; a head over that is cut without answer.)
    public var maxHeaderBytes: Int
    /// A request's body must have arrived this many seconds after its head (else 408).
    public var httpRequestSeconds: Int
    /// Unsent welcome bytes held for one address (its connections' welcomes, until written);
    /// a welcome over it is refused with 1013.
    public var welcomeBytesPerAddress: Int
    /// A connection with frames waiting that has taken none for this long is closed (4001).
    public var stallSeconds: Int
    /// Addresses of reverse proxies (nginx) whose `X-Forwarded-For` names the real client: their
    /// own connections are not capped per address (the proxy carries everyone's), and a request
    /// through them is counted under the client's address.
    public var trustedProxies: [String] = []
    /// Frames larger than this go out as WebSocket fragments of this size, one per writable turn,
    /// so libwebsockets never holds a copy of more than one fragment for a peer that reads slowly.
    public var fragmentBytes: Int
    /// What waits for the sockets: libuv (epoll, the default) or libwebsockets' own `poll(2)`.
    public var eventLoop: EventLoop = .libuv

    public init(host: String = "127.0.0.1", port: Int = 8080, webRoot: String, subprotocol: String, allowedOrigins: [String] = [],
                maxMessageBytes: Int = 64 * 1024, maxBodyBytes: Int = 1 << 20, maxQueuedBytes: Int = 8 << 20,
                routes: [String] = ["/api", "/healthz"], pingAfterSeconds: Int = 20, dropAfterSeconds: Int = 50,
                maxSocketsPerAddress: Int = 320, maxHeaderBytes: Int = 8 * 1024, httpRequestSeconds: Int = 15,
                welcomeBytesPerAddress: Int = 32 << 20, stallSeconds: Int = 30, fragmentBytes: Int = 64 * 1024) {
        self.host = host; self.port = port; self.webRoot = webRoot; self.subprotocol = subprotocol
        self.allowedOrigins = allowedOrigins
        self.maxMessageBytes = maxMessageBytes; self.maxBodyBytes = maxBodyBytes
        self.maxQueuedBytes = maxQueuedBytes; self.routes = routes
        self.pingAfterSeconds = pingAfterSeconds; self.dropAfterSeconds = dropAfterSeconds
        self.maxSocketsPerAddress = maxSocketsPerAddress; self.maxHeaderBytes = maxHeaderBytes
        self.httpRequestSeconds = httpRequestSeconds; self.welcomeBytesPerAddress = welcomeBytesPerAddress
        self.stallSeconds = stallSeconds; self.fragmentBytes = fragmentBytes
    }
}

/// The event loop under libwebsockets.
public enum EventLoop: String, Sendable, CaseIterable {
    /// libuv (Debian's `libwebsockets-evlib-uv` plugin) on a loop the server owns: epoll, so a
    /// turn costs what is ready, not what is open; the end of each turn is a `uv_check` hook.
    case libuv
    /// libwebsockets' built-in loop: `poll(2)` over every descriptor on every turn.
    case poll
}

public enum TransportError: Error, CustomStringConvertible {
    case cannotStart(String)
    public var description: String {
        switch self { case .cannotStart(let why): "le serveur n'a pas pu démarrer : \(why)" }
    }
}

/// libwebsockets' warnings, at most 20 lines a second: a peer sending malformed requests (an
/// oversized head, an unknown method) makes it warn once per request, and must not fill the log.
private let logBudget = Mutex<(second: Int, lines: Int)>((0, 0))
private let lwsLogger = Logger(label: "atelier.libwebsockets")
func atelierLWSLog(_ level: Int32, _ line: UnsafePointer<CChar>?) {
    guard let line else { return }
    let now = Int(Date().timeIntervalSince1970)
    let (print, dropped) = logBudget.withLock { b -> (Bool, Int) in
        if b.second != now {
            let dropped = max(0, b.lines - 20)
            b = (now, 1)
            return (true, dropped)
        }
        b.lines += 1
        return (b.lines <= 20, 0)
    }
    if dropped > 0 { lwsLogger.warning("libwebsockets log lines dropped", metadata: ["dropped": "\(dropped)"]) }
    if print {
        let text = String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
        if level & Int32(LLL_ERR) != 0 { lwsLogger.error("\(text)") } else { lwsLogger.warning("\(text)") }
    }
}

/// The libwebsockets server: one context, one vhost, one service thread.
///
/// Thread confinement: everything but the job queue is touched only on the service thread
/// (libwebsockets' callbacks run there; Debian builds it with `LWS_MAX_SMP 1`). Other threads
/// reach it only through ``post(_:)``, which wakes the loop with `lws_cancel_service`.
public final class WebSocketServer: TransportControl, @unchecked Sendable {
    public let configuration: ServerConfiguration
    public weak var delegate: TransportDelegate?

    private(set) var context: OpaquePointer?
    private var thread: Thread?
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private var serviceThreadID: pthread_t?

    // Service-thread state.
    var connections: [ConnectionID: Connection] = [:]
    var exchanges: [UInt64: HTTPExchange] = [:]
    /// Every accepted TCP connection (``Sockets.swift``): its address, by wsi, and the count per address.
    var sockets: [OpaquePointer: SocketRecord] = [:]
    var socketsPerAddress: [String: Int] = [:]
    /// Counted for `/metrics`.
    var slowReadersDropped = 0
    var refusedSockets = 0
    /// The address of the connection just let in by the network filter, until its wsi exists.
    var admittedAddress: String?
    /// Connections given frames during this loop turn, written at its end (``flushWrites()``).
    /// Connections written to this turn (the objects themselves: no second look-up per delivery).
    var toFlush: [Connection] = []
    /// Unsent welcome bytes per address (``sendWelcome(_:to:)``).
    var welcomeBytes: [String: Int] = [:]
    /// Connections with frames waiting, by the second their progress is looked at (``Liveness.swift``).
    var stallWheel = LivenessWheel()
    /// One fragment with its `LWS_PRE` headroom: a shared frame is never written in place past its
    /// start (libwebsockets writes the header just before what it sends).
    let fragmentBuffer: UnsafeMutablePointer<UInt8>
    var nextID: UInt64 = 1
    /// Liveness (`Liveness.swift`): connections by the second they are due to be looked at, the
    /// last second swept, the once-a-second timer (an `lws_sorted_usec_list_t` followed by a
    /// pointer to this server), and the ping frame with its `LWS_PRE` headroom.
    var liveness = LivenessWheel()
    var lastSweep: Int64?
    /// The liveness timer fired: sweep at the end of this turn.
    var livenessDue = false
    private(set) var livenessTimer: UnsafeMutableRawPointer?
    let pingBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: LWS.pre + 16)
    /// C memory handed to libwebsockets for the context's lifetime.
    private var cStrings: [UnsafeMutablePointer<CChar>] = []
    private var protocols: UnsafeMutablePointer<lws_protocols>?
    private var mounts: UnsafeMutablePointer<lws_http_mount>?
    private var retry: UnsafeMutablePointer<lws_retry_bo_t>?
    /// With ``EventLoop/libuv``: the loop (handed to libwebsockets as a foreign loop), the array
    /// libwebsockets reads it from, and the check handle that ends each turn.
    private var uvLoop: UnsafeMutablePointer<uv_loop_t>?
    private var uvLoops: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    private var turnHook: UnsafeMutablePointer<uv_check_t>?

    /// The port actually listened on.
    public private(set) var port: Int = 0

    public init(configuration: ServerConfiguration) {
        self.configuration = configuration
        fragmentBuffer = .allocate(capacity: LWS.pre + max(configuration.fragmentBytes, 125))
    }

    deinit {
        cStrings.forEach { free($0) }
        protocols?.deallocate(); mounts?.deallocate(); retry?.deallocate()
        livenessTimer?.deallocate(); pingBuffer.deallocate(); fragmentBuffer.deallocate()
        uvLoops?.deallocate()
        // The loop and the hook are freed by the service thread once libuv lets go of them.
    }

    private func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        cStrings.append(p)
        return p
    }

    /// Creates the context and starts the service thread.
    public func start() throws {
        lws_set_log_level(Int32(LLL_ERR) | Int32(LLL_WARN), atelierLWSLog)

        let protos = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 3)
        protos.initialize(repeating: lws_protocols(), count: 3)
        protos[0].name = UnsafePointer(cString("http"))
        protos[0].callback = atelierLWSCallback
        protos[0].per_session_data_size = MemoryLayout<UInt64>.size
        protos[1].name = UnsafePointer(cString(configuration.subprotocol))
        protos[1].callback = atelierLWSCallback
        protos[1].per_session_data_size = MemoryLayout<UInt64>.size
        // libwebsockets allocates this receive buffer for every connection: 2 KiB, not 16, took
        // the RSS of an idle joined connection from 13.1 to 5.3 KiB (BENCHMARKS.md). A larger
        // message arrives in several callbacks and is put together in `receive`. Sends would be
        // cut to the same size unless `tx_packet_size` says otherwise: one fragment per send.
        protos[1].rx_buffer_size = 2048
        protos[1].tx_packet_size = configuration.fragmentBytes + 16
        protocols = protos

        // Routes first (longest-prefix match wins), then the static files at "/".
        let routeCount = configuration.routes.count
        let mountArray = UnsafeMutablePointer<lws_http_mount>.allocate(capacity: routeCount + 1)
        mountArray.initialize(repeating: lws_http_mount(), count: routeCount + 1)
        for (i, route) in configuration.routes.enumerated() {
            mountArray[i].mountpoint = UnsafePointer(cString(route))
            mountArray[i].mountpoint_len = UInt8(route.utf8.count)
            mountArray[i].protocol = UnsafePointer(cString("http"))
            mountArray[i].origin_protocol = UInt8(LWSMPRO_CALLBACK.rawValue)
            mountArray[i].mount_next = UnsafePointer(mountArray + i + 1)
        }
        let web = mountArray + routeCount
        web.pointee.mountpoint = UnsafePointer(cString("/"))
        web.pointee.mountpoint_len = 1
        web.pointee.origin = UnsafePointer(cString(URL(fileURLWithPath: configuration.webRoot).standardizedFileURL.path))
        web.pointee.def = UnsafePointer(cString("index.html"))
        web.pointee.origin_protocol = UInt8(LWSMPRO_FILE.rawValue)
        web.pointee.cache_max_age = 0
        mounts = mountArray

        // A silent peer is pinged, then dropped without a valid frame (defaults: 20 s, 50 s), by
        // the transport's own sweep (`Liveness.swift`). libwebsockets' per-connection validity
        // timers are turned off (a hang-up of 0 disables them; without a policy it would use its
        // default one): at 20,000 connections their sorted-list upkeep cost a whole core.
        let policy = UnsafeMutablePointer<lws_retry_bo_t>.allocate(capacity: 1)
        policy.initialize(to: lws_retry_bo_t(retry_ms_table: nil, retry_ms_table_count: 0, conceal_count: 0,
                                             secs_since_valid_ping: 0, secs_since_valid_hangup: 0,
                                             jitter_percent: 0))
        retry = policy

        var info = lws_context_creation_info()
        info.port = Int32(configuration.port)
        if !["", "0.0.0.0", "::", "*"].contains(configuration.host) {
            info.iface = UnsafePointer(cString(configuration.host == "localhost" ? "127.0.0.1" : configuration.host))
        }
        info.protocols = UnsafePointer(protos)
        info.mounts = UnsafePointer(mountArray)
        // An unknown method falls back to the raw role, so that it reaches `RAW_ADOPT` and is
        // answered 405 like CONNECT (rather than an HTTP/1.0 403 page).
        info.options = UInt64(LWS_SERVER_OPTION_VALIDATE_UTF8)
            | UInt64(LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE)
            | UInt64(LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG)
        info.max_http_header_data = UInt16(min(2 * configuration.maxHeaderBytes, 65_535))
        info.gid = -1
        info.uid = -1
        info.retry_and_idle_policy = UnsafePointer(policy)
        info.user = Unmanaged.passUnretained(self).toOpaque()
        info.vhost_name = UnsafePointer(cString("atelier"))
        if configuration.eventLoop == .libuv {
            let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
            guard uv_loop_init(loop) == 0 else {
                loop.deallocate()
                throw TransportError.cannotStart("libuv n'a pas pu créer sa boucle d'événements")
            }
            let loops = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
            loops.initialize(to: UnsafeMutableRawPointer(loop))
            uvLoop = loop; uvLoops = loops
            info.options |= UInt64(LWS_SERVER_OPTION_LIBUV)
            info.foreign_loops = loops
        }

        guard let ctx = lws_create_context(&info) else {
            if let loop = uvLoop { uv_loop_close(loop); loop.deallocate(); uvLoop = nil }
            throw TransportError.cannotStart("impossible d'écouter sur \(configuration.host):\(configuration.port) (port déjà pris ?)")
        }
        context = ctx
        pingBuffer.initialize(repeating: 0, count: LWS.pre + 16)
        let timer = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<lws_sorted_usec_list_t>.stride + MemoryLayout<UnsafeRawPointer>.size,
                                                     alignment: 16)
        timer.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<lws_sorted_usec_list_t>.stride)
        (timer + MemoryLayout<lws_sorted_usec_list_t>.stride).storeBytes(of: UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()),
                                                                          as: UnsafeRawPointer.self)
        livenessTimer = timer
        if let vhost = lws_get_vhost_by_name(ctx, "atelier") {
            port = Int(lws_get_vhost_listen_port(vhost))
        } else {
            port = configuration.port
        }
        let thread = Thread { [self] in self.serviceLoop() }
        thread.name = "atelier-lws"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    private func serviceLoop() {
        serviceThreadID = pthread_self()
        scheduleLivenessTimer()
        if let loop = uvLoop {
            runLibUV(loop)
        } else {
            while !stopped.load(ordering: .acquiring) {
                if lws_service(context, 0) < 0 { break }
                endTurn()
            }
            // Give closing handshakes a moment to go out, then tear everything down on this thread.
            let deadline = Date().addingTimeInterval(1.5)
            while !connections.isEmpty && Date() < deadline { _ = lws_service(context, 0) }
            lws_context_destroy(context)
            context = nil
        }
        finished.signal()
    }

    /// The libuv loop: runs until ``stop()``; a `uv_check` handle (run right after each turn's
    /// I/O callbacks) plays the part of the line after `lws_service` in the poll loop.
    private func runLibUV(_ loop: UnsafeMutablePointer<uv_loop_t>) {
        let hook = UnsafeMutablePointer<uv_check_t>.allocate(capacity: 1)
        uv_check_init(loop, hook)
        hook.withMemoryRebound(to: uv_handle_t.self, capacity: 1) { $0.pointee.data = Unmanaged.passUnretained(self).toOpaque() }
        uv_check_start(hook) { handle in
            guard let data = handle?.withMemoryRebound(to: uv_handle_t.self, capacity: 1, { $0.pointee.data }) else { return }
            let server = Unmanaged<WebSocketServer>.fromOpaque(data).takeUnretainedValue()
            server.endTurn()
            if server.stopped.load(ordering: .acquiring) { uv_stop(handle!.pointee.loop) }
        }
        turnHook = hook
        while !stopped.load(ordering: .acquiring) { _ = uv_run(loop, UV_RUN_DEFAULT) }
        // Give closing handshakes a moment to go out, then tear everything down on this thread.
        let deadline = Date().addingTimeInterval(1.5)
        while !connections.isEmpty && Date() < deadline {
            if uv_run(loop, UV_RUN_NOWAIT) == 0 { break }
            usleep(1000)
        }
        uv_check_stop(hook)
        hook.withMemoryRebound(to: uv_handle_t.self, capacity: 1) { uv_close($0, nil) }
        lws_context_destroy(context)
        context = nil
        // libuv closes handles on its next turns: let it finish, then free the loop.
        for _ in 0..<10_000 where uv_run(loop, UV_RUN_NOWAIT) != 0 {}
        if uv_loop_close(loop) == 0 {
            loop.deallocate(); hook.deallocate()
        } else {
            lwsLogger.error("libuv loop still busy after shutdown; left allocated")
        }
        turnHook = nil; uvLoop = nil
    }

    /// The end of a loop turn, on either loop: the application's (the group commit), the liveness
    /// sweep if its second came, then the writes the turn produced.
    func endTurn() {
        delegate?.transportTurnEnded()
        sweepLivenessIfDue()
        flushWrites()
    }

    /// Whether the caller runs on the service thread.
    public var isServiceThread: Bool {
        guard let id = serviceThreadID else { return false }
        return pthread_equal(id, pthread_self()) != 0
    }

    public func post(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        if let context { lws_cancel_service(context) }
    }

    func drainJobs() {
        let batch = jobs.withLock { queue -> [@Sendable () -> Void] in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        batch.forEach { $0() }
    }

    /// Closes every connection with 1001 (going away), then stops the loop. Blocks until done.
    public func stop() {
        post { [self] in
            for id in Array(connections.keys) { close(id, code: CloseCode.goingAway, reason: "Arrêt du serveur") }
            stopped.store(true, ordering: .releasing)
            if let loop = uvLoop { uv_stop(loop) }
        }
        if thread != nil { finished.wait() }
        thread = nil
    }

    // MARK: - TransportControl

    public func send(_ frame: OutboundFrame, to connection: ConnectionID) {
        guard let c = connections[connection], c.closing == nil else { return }
        // A welcome still waiting is its address's budget's business, not the queue's.
        if c.pendingBytes - c.welcomeCharge + frame.count > configuration.maxQueuedBytes {
            dropSlowReader(c)
            return
        }
        enqueue(frame, on: c)
    }

    public func sendWelcome(_ frame: OutboundFrame, to connection: ConnectionID) {
        guard let c = connections[connection], c.closing == nil else { return }
        guard c.welcomeCharge == 0 else { return send(frame, to: connection) }
        guard admitsWelcome(connection) else {
            close(connection, code: CloseCode.tryAgainLater, reason: "Serveur occupé : nouvelle tentative dans un instant.")
            return
        }
        c.welcomeCharge = frame.count
        welcomeBytes[c.address, default: 0] += frame.count
        enqueue(frame, on: c)
    }

    public func admitsWelcome(_ connection: ConnectionID) -> Bool {
        guard let c = connections[connection] else { return false }
        return welcomeBytes[c.address, default: 0] < configuration.welcomeBytesPerAddress
    }

    private func enqueue(_ frame: OutboundFrame, on c: Connection) {
        if c.pendingBytes == 0 { c.progressAt = monotonicSecond(); watchStall(c) }
        c.enqueue(frame)
        listForFlush(c)
    }

    /// Has `c` written to at the end of this turn (``flushWrites()``).
    func listForFlush(_ c: Connection) {
        guard !c.flushListed else { return }
        c.flushListed = true
        toFlush.append(c)
    }

    /// The end of a loop turn: what this turn gave each connection is written now, coalesced,
    /// straight to its socket when nothing of it is still waiting there. Asking libwebsockets for
    /// a writable callback instead costs, on libuv, four `epoll_ctl` calls per delivery (a watch
    /// changed is removed and added again, once to add POLLOUT and once to take it off), which
    /// was most of the cost of a delivery. A frame libwebsockets could not send whole is kept by
    /// it and finished on writable turns, as are fragments, pings and closes.
    func flushWrites() {
        guard !toFlush.isEmpty else { return }
        let listed = toFlush
        toFlush.removeAll(keepingCapacity: true)
        for c in listed {
            c.flushListed = false
            guard !c.gone else { continue }
            guard c.closing == nil, c.writing == nil, lws_partial_buffered(c.wsi) == 0 else {
                if c.hasQueued || c.closing != nil || c.pingWanted { lws_callback_on_writable(c.wsi) }
                continue
            }
            if c.pingWanted, writePing(c) < 0 {
                lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
                continue
            }
            switch takeNextFrame(c) {
            case .failed:
                lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
                continue
            case .written:
                noteWritten(c)
            case .none, .fragmented:
                break
            }
            if c.hasQueued || lws_partial_buffered(c.wsi) != 0 { lws_callback_on_writable(c.wsi) }
        }
    }

    /// Frames waiting for one connection are coalesced into one JSON array up to this size.
    static let coalescingLimit = 256 * 1024

    /// A reader this far behind (or stalled) would hold memory for everyone: drop what it has not
    /// read (it resumes with `since`), send the close first (4001), and if even that cannot go out
    /// because it reads nothing at all, cut the connection after a few seconds.
    func dropSlowReader(_ c: Connection) {
        c.dropQueue()
        slowReadersDropped += 1
        close(c.id, code: CloseCode.tooSlow, reason: "Client trop lent : reconnectez-vous.")
        lws_set_timeout(c.wsi, PENDING_TIMEOUT_USER_OK, 5)
    }

    /// The welcome is written (or its connection gone): its bytes leave the address's budget.
    func releaseWelcome(_ c: Connection) {
        guard c.welcomeCharge > 0 else { return }
        let left = welcomeBytes[c.address, default: 0] - c.welcomeCharge
        welcomeBytes[c.address] = left > 0 ? left : nil
        c.welcomeCharge = 0
    }

    public func close(_ connection: ConnectionID, code: UInt16, reason: String) {
        guard let c = connections[connection], c.closing == nil else { return }
        c.closing = (code, reason)
        lws_callback_on_writable(c.wsi)
    }

    /// Number of open WebSocket connections (service thread).
    public var connectionCount: Int { connections.count }

    /// Counters for `/metrics` (service thread). The queued bytes are summed now: a scrape is
    /// rare, a running total would cost every send.
    public func statistics() -> TransportStatistics {
        var s = TransportStatistics()
        s.webSockets = connections.count
        s.sockets = sockets.count
        s.queuedBytes = connections.values.reduce(0) { $0 + $1.pendingBytes }
        s.slowReadersDropped = slowReadersDropped
        s.refusedSockets = refusedSockets
        return s
    }

    func makeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }
}
