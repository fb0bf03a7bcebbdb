import CLibWebSockets
import Foundation
import Synchronization

/// The load generator's libwebsockets client: one context, one service thread, every
/// connection and counter confined to that thread. The main thread drives it with ``sync(_:)``.
final class Engine: @unchecked Sendable {
    enum Target: Sendable {
        /// Atelier's `/ws`: each room is a workshop, joined with its code.
        case atelier(joinCodes: [String])
        /// libwebsockets-test-server's mirror protocol: each room is a `?mirror=` instance.
        case mirror(payloadBytes: Int)
        /// Idle WebSockets beside the mirror: on the test server's first protocol (`http-only`),
        /// which never writes to them, so they hold their place as joined idle Atelier
        /// connections do, without receiving the mirror's traffic.
        case holder
    }

    let target: Target
    let port: Int
    let options: Options
    var connections: [Connection] = []
    var rooms: [[Int]] = []
    /// Atelier: the highest seq known per workshop (from acks and events).
    var roomSeq: [Int64] = []

    private var context: OpaquePointer?
    private var thread: Thread?
    private let jobs = Mutex<[@Sendable (Engine) -> Void]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private var cStrings: [UnsafeMutablePointer<CChar>] = []
    private var protocols: UnsafeMutablePointer<lws_protocols>?
    /// The libuv loop the client context runs on (a foreign loop, as in the server).
    private var uvLoop: UnsafeMutablePointer<uv_loop_t>!
    private let uvLoops = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
    private let tickTimer: UnsafeMutableRawPointer
    private let sendBuffer: UnsafeMutablePointer<UInt8>
    static let sendCapacity = 8192
    let pre = CLibWebSockets_LWS_PRE()

    // Service-thread state.
    var plan = LoadPlan()
    var stats = Measurements()
    var connectingEnabled = false
    var nextToConnect = 0
    var connecting = 0
    var retries: [Int] = []
    var joinedCount = 0
    var failedCount = 0
    var shuttingDown = false
    var totalSent = 0
    var firstError: String?
    var verifiedGroup: [Bool] = []

    init(target: Target, port: Int, options: Options, roomSizes: [Int], activeRooms: Int? = nil) throws {
        self.target = target
        self.port = port
        self.options = options
        var index = 0
        for (room, size) in roomSizes.enumerated() {
            var members: [Int] = []
            for member in 0..<size {
                let c = Connection(index: index, room: room, member: member)
                c.active = room < (activeRooms ?? roomSizes.count)
                connections.append(c)
                members.append(index)
                index += 1
            }
            rooms.append(members)
        }
        roomSeq = [Int64](repeating: 0, count: roomSizes.count)
        verifiedGroup = [Bool](repeating: false, count: roomSizes.count)
        let timerBytes = MemoryLayout<lws_sorted_usec_list_t>.stride + MemoryLayout<UnsafeRawPointer>.stride
        tickTimer = UnsafeMutableRawPointer.allocate(byteCount: timerBytes, alignment: 16)
        tickTimer.initializeMemory(as: UInt8.self, repeating: 0, count: timerBytes)
        sendBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: pre + Self.sendCapacity)
        try start()
    }

    deinit {
        cStrings.forEach { free($0) }
        protocols?.deallocate()
        tickTimer.deallocate()
        sendBuffer.deallocate()
        uvLoops.deallocate()
    }

    func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        cStrings.append(p)
        return p
    }

    private func start() throws {
        lws_set_log_level(Int32(LLL_ERR), nil)
        let protos = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 2)
        protos.initialize(repeating: lws_protocols(), count: 2)
        protos[0].name = UnsafePointer(cString("bench"))
        protos[0].callback = benchCallback
        protos[0].per_session_data_size = 0
        protos[0].rx_buffer_size = 65536
        protocols = protos

        var info = lws_context_creation_info()
        info.port = CONTEXT_PORT_NO_LISTEN
        info.protocols = UnsafePointer(protos)
        info.gid = -1
        info.uid = -1
        info.timeout_secs = 30
        info.user = Unmanaged.passUnretained(self).toOpaque()
        // On libuv (epoll), like the server: with lws' own loop, an engine holding 19,600 idle
        // connections poll(2)ed all of them on every wake-up (each ping it answered), which took
        // most of a core on a two-core box and disturbed the measured servers alike.
        let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        guard uv_loop_init(loop) == 0 else { loop.deallocate(); throw BenchError.failed("uv_loop_init failed") }
        uvLoop = loop
        uvLoops.initialize(to: UnsafeMutableRawPointer(loop))
        info.options |= UInt64(LWS_SERVER_OPTION_LIBUV)
        info.foreign_loops = uvLoops
        guard let ctx = lws_create_context(&info) else { throw BenchError.failed("lws_create_context (client) failed") }
        context = ctx
        tickTimer.storeBytes(of: UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()),
                             toByteOffset: MemoryLayout<lws_sorted_usec_list_t>.stride, as: UnsafeRawPointer.self)
        let thread = Thread { [self] in self.serviceLoop() }
        thread.name = "bench-lws"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    private func serviceLoop() {
        scheduleTick(afterMicros: 1000)
        while !stopping.load(ordering: .acquiring) { _ = uv_run(uvLoop, UV_RUN_DEFAULT) }
        shuttingDown = true
        lws_context_destroy(context)
        context = nil
        // libuv closes the handles on its next turns; then the loop can go.
        for _ in 0..<10_000 where uv_run(uvLoop, UV_RUN_NOWAIT) != 0 {}
        if uv_loop_close(uvLoop) == 0 { uvLoop.deallocate() }
        finished.signal()
    }

    /// Stops the service thread and closes every connection. Blocks until done.
    func shutdown() {
        guard thread != nil else { return }
        post { $0.shuttingDown = true }
        stopping.store(true, ordering: .releasing)
        if let context { lws_cancel_service(context) }
        finished.wait()
        thread = nil
    }

    // MARK: - Jobs from the main thread

    /// Stops `uv_run` once ``shutdown()`` asked for it (called on the service thread).
    func stopLoopIfAsked() {
        if stopping.load(ordering: .acquiring) { uv_stop(uvLoop) }
    }

    func post(_ job: @escaping @Sendable (Engine) -> Void) {
        jobs.withLock { $0.append(job) }
        if let context { lws_cancel_service(context) }
    }

    func drainJobs() {
        let batch = jobs.withLock { q -> [@Sendable (Engine) -> Void] in
            let taken = q
            q.removeAll(keepingCapacity: true)
            return taken
        }
        batch.forEach { $0(self) }
    }

    /// Runs `body` on the service thread and returns its result (main thread only).
    func sync<T>(_ body: @escaping (Engine) -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        let unchecked = UncheckedBody(body)
        post { engine in
            box.value = unchecked.body(engine)
            done.signal()
        }
        done.wait()
        return box.value!
    }

    // MARK: - Timer

    func scheduleTick(afterMicros us: Int64) {
        tickTimer.withMemoryRebound(to: lws_sorted_usec_list_t.self, capacity: 1) { sul in
            lws_sul_schedule(context, 0, sul, benchTick, lws_usec_t(us))
        }
    }

    /// Every millisecond while sending or connecting (50 ms otherwise): paces connections and sends.
    func tick() {
        drainJobs()
        guard !shuttingDown else { return }
        let now = monotonicNanos()
        openConnections(now: now)
        let sending = sendTick(now: now)
        scheduleTick(afterMicros: sending || connecting > 0 ? 1000 : 50_000)
    }

    // MARK: - Connecting

    /// Starts connecting every connection, `connectConcurrency` handshakes (and joins) at a time.
    func beginConnecting() {
        connectingEnabled = true
        scheduleTick(afterMicros: 100)
    }

    private func openConnections(now: Int64) {
        guard connectingEnabled else { return }
        while connecting < options.connectConcurrency {
            var index: Int?
            if let r = retries.first, connections[r].retryAt <= now {
                retries.removeFirst()
                index = r
            } else if nextToConnect < connections.count {
                index = nextToConnect
                nextToConnect += 1
            }
            guard let i = index else { return }
            connect(connections[i])
        }
    }

    private func connect(_ c: Connection) {
        c.state = .connecting
        c.attempts += 1
        c.rx.removeAll()
        connecting += 1
        var ci = lws_client_connect_info()
        ci.context = context
        ci.address = UnsafePointer(addressString)
        ci.port = Int32(port)
        ci.host = UnsafePointer(hostString)
        ci.ietf_version_or_minus_one = -1
        ci.local_protocol_name = UnsafePointer(benchName)
        ci.opaque_user_data = UnsafeMutableRawPointer(bitPattern: c.index + 1)
        switch target {
        case .atelier:
            ci.path = UnsafePointer(wsPath)
            ci.protocol = UnsafePointer(atelierProtocol)
        case .mirror:
            ci.path = UnsafePointer(mirrorPaths[c.room % mirrorPaths.count])
            ci.protocol = UnsafePointer(mirrorProtocol)
        case .holder:
            ci.path = UnsafePointer(rootPath)
            ci.protocol = UnsafePointer(holderProtocol)
        }
        let wsi = lws_client_connect_via_info(&ci)
        if wsi == nil, c.state == .connecting { connectFailed(c, why: "lws_client_connect_via_info returned NULL") }
        else if c.state == .connecting || c.state == .open { c.wsi = wsi }
    }

    func connectFailed(_ c: Connection, why: String) {
        if c.state == .connecting || c.state == .open { connecting -= 1 }
        c.wsi = nil
        if c.attempts < 5 && !shuttingDown {
            c.state = .idle
            c.retryAt = monotonicNanos() + Int64(c.attempts) * 200_000_000
            retries.append(c.index)
        } else {
            c.state = .failed
            failedCount += 1
            if firstError == nil { firstError = why }
        }
    }

    private lazy var addressString = cString("127.0.0.1")
    private lazy var hostString = cString("127.0.0.1:\(port)")
    private lazy var benchName = cString("bench")
    private lazy var wsPath = cString("/ws")
    private lazy var atelierProtocol = cString("atelier.v1")
    private lazy var mirrorProtocol = cString("lws-mirror-protocol")
    private lazy var holderProtocol = cString("http-only")
    private lazy var rootPath = cString("/")
    private lazy var mirrorPaths = (0..<max(1, rooms.count)).map { cString("/?mirror=bench\($0)") }

    // MARK: - lws callback

    func handle(_ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ input: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
        if reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED {
            drainJobs()
            stopLoopIfAsked()
            return 0
        }
        guard let raw = lws_get_opaque_user_data(wsi) else { return 0 }
        let index = Int(bitPattern: raw) - 1
        guard index >= 0, index < connections.count else { return 0 }
        let c = connections[index]
        switch reason {
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let why = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "connection error"
            connectFailed(c, why: why)
            return 0
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            c.wsi = wsi
            c.state = .open
            switch target {
            case .atelier where !options.noJoin:
                c.joinPending = true
                requestWrite(c)
            case .atelier, .mirror, .holder:
                joined(c, seq: 0)
                if options.pingOnce { c.joinPending = true; requestWrite(c) }
            }
            return 0
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            c.writeRequested = false
            if shuttingDown { return -1 }
            return write(c)
        case LWS_CALLBACK_CLIENT_RECEIVE:
            return receive(c, input, len)
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if let input, len >= 2 {
                let b = input.assumingMemoryBound(to: UInt8.self)
                let code = Int(b[0]) << 8 | Int(b[1])
                if !shuttingDown { stats.closeCodes[code, default: 0] += 1 }
            }
            return 0
        case LWS_CALLBACK_CLIENT_CLOSED:
            switch c.state {
            case .connecting:
                connectFailed(c, why: "closed during the handshake")
            case .open:
                // Closed before its welcome (a refused join): not retried.
                connecting -= 1
                c.state = .failed
                failedCount += 1
                if firstError == nil { firstError = "closed before its welcome" }
            case .joined:
                c.state = .closed
                if !shuttingDown { stats.unexpectedCloses += 1 }
            default:
                break
            }
            c.wsi = nil
            return 0
        default:
            return 0
        }
    }

    func requestWrite(_ c: Connection) {
        guard !c.writeRequested, let wsi = c.wsi else { return }
        c.writeRequested = true
        lws_callback_on_writable(wsi)
    }

    func joined(_ c: Connection, seq: Int64) {
        guard c.state == .open else { return }
        c.state = .joined
        c.nextSeq = seq + 1
        connecting -= 1
        joinedCount += 1
        if seq > roomSeq[c.room] { roomSeq[c.room] = seq }
    }

    /// Writes one message; lws wants `LWS_PRE` bytes free before it.
    func writeBytes(_ c: Connection, _ fill: (UnsafeMutablePointer<UInt8>, Int) -> Int) -> Int32 {
        guard let wsi = c.wsi else { return 0 }
        let payload = sendBuffer + pre
        let n = fill(payload, Self.sendCapacity)
        guard n > 0 else { return 0 }
        let written = lws_write(wsi, payload, n, LWS_WRITE_TEXT)
        return written < 0 ? -1 : 0
    }
}

/// The C callback for the client context: finds the engine from the context's user pointer.
func benchCallback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                   _ input: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let raw = lws_context_user(context) else {
        return lws_callback_http_dummy(wsi, reason, user, input, len)
    }
    let engine = Unmanaged<Engine>.fromOpaque(raw).takeUnretainedValue()
    return engine.handle(wsi, reason, input, len)
}

/// The engine's timer: the engine pointer is stored just after the `lws_sorted_usec_list_t`.
func benchTick(_ sul: UnsafeMutablePointer<lws_sorted_usec_list_t>?) {
    guard let sul else { return }
    let slot = UnsafeMutableRawPointer(sul) + MemoryLayout<lws_sorted_usec_list_t>.stride
    let engine = Unmanaged<Engine>.fromOpaque(slot.load(as: UnsafeRawPointer.self)).takeUnretainedValue()
    engine.tick()
}

/// Carries a result back from the service thread (written there, read after the semaphore).
final class Box<T>: @unchecked Sendable { var value: T? }
struct UncheckedBody<T>: @unchecked Sendable {
    let body: (Engine) -> T
    init(_ body: @escaping (Engine) -> T) { self.body = body }
}
