import CLibWebSockets
import Foundation

/// One WebSocket connection's state on the service thread.
final class Connection {
    let id: ConnectionID
    let wsi: OpaquePointer
    /// The peer's address, as the network filter saw it (the key of per-address budgets).
    let address: String
    /// The message being reassembled from fragments.
    var incoming: [UInt8] = []
    /// The frame waiting when it is the only one, which is most turns for most connections: kept
    /// here, `queue`'s buffer (another cache line per delivery) is touched only when several wait.
    /// When set, it is the oldest frame and `queue` holds nothing unwritten.
    private var lone: OutboundFrame?
    private var queue: [OutboundFrame] = []
    private var head = 0
    /// Frames waiting (`lone` and `queue` from `head`).
    private var waiting = 0
    private(set) var queuedBytes = 0
    /// The frame being written in fragments, and how much of it is out.
    var writing: OutboundFrame?
    /// Listed for the end of this loop turn (``WebSocketServer/flushWrites()``).
    var flushListed = false
    /// Closed and forgotten by the server (a listed flush skips it).
    var gone = false
    var writtenOfCurrent = 0
    /// Bytes of the welcome charged to the address's budget, until everything queued is written.
    var welcomeCharge = 0
    /// The monotonic second frames last went out (or started waiting), and whether the stall
    /// wheel holds this connection.
    var progressAt: Int64 = 0
    var stallWatched = false
    /// Set once a close was asked: the code goes out after what is queued.
    var closing: (code: UInt16, reason: String)?
    /// Liveness (see `Liveness.swift`): the monotonic second of the last valid frame received,
    /// whether a ping went out since, whether one waits for the next WRITEABLE, and the second
    /// the liveness sweep looks at this connection again.
    var lastHeard: Int64 = 0
    var pinged = false
    var pingWanted = false
    var checkAt: Int64 = 0

    init(id: ConnectionID, wsi: OpaquePointer, address: String) { self.id = id; self.wsi = wsi; self.address = address }

    var hasQueued: Bool { waiting > 0 || writing != nil }

    /// Everything not yet handed to libwebsockets.
    var pendingBytes: Int { queuedBytes + (writing.map { $0.count - writtenOfCurrent } ?? 0) }

    /// Drops what waits. A frame half written stays, so that the peer is never sent half a message
    /// followed by another one.
    func dropQueue() {
        lone = nil
        queue.removeAll()
        head = 0
        waiting = 0
        queuedBytes = 0
    }

    func enqueue(_ frame: OutboundFrame) {
        if waiting == 0 {
            lone = frame
        } else {
            if let first = lone { lone = nil; queue.append(first) }
            queue.append(frame)
        }
        waiting += 1
        queuedBytes += frame.count
    }

    /// The next frame to write. When several wait, they are coalesced into one JSON array frame
    /// (docs/protocol.md allows it): fewer writes and syscalls for a client that fell behind.
    func nextFrame(coalescingUpTo limit: Int) -> OutboundFrame? {
        if let frame = lone {
            lone = nil
            waiting -= 1
            queuedBytes -= frame.count
            return frame
        }
        guard head < queue.count else { return nil }
        let first = queue[head]
        var end = head + 1
        var total = first.count
        while end < queue.count, total + queue[end].count + 1 <= limit { total += queue[end].count + 1; end += 1 }
        let frame: OutboundFrame
        if end - head == 1 {
            frame = first
        } else {
            var bytes: [UInt8] = [UInt8(ascii: "[")]
            bytes.reserveCapacity(total + 2)
            for i in head..<end {
                if i > head { bytes.append(UInt8(ascii: ",")) }
                let f = queue[i]
                bytes.append(contentsOf: UnsafeRawBufferPointer(start: f.payload, count: f.count))
            }
            bytes.append(UInt8(ascii: "]"))
            frame = OutboundFrame(bytes)
        }
        for i in head..<end { queuedBytes -= queue[i].count }
        waiting -= end - head
        head = end
        if head == queue.count {
            // Drained: let go of the frames written at once (a quiet connection would otherwise
            // keep its welcome and the last frames it was sent alive for nothing).
            queue.removeAll(keepingCapacity: queue.capacity <= 16)
            head = 0
        } else if head > 64 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return frame
    }
}

/// One HTTP request/response on the service thread.
final class HTTPExchange {
    let id: UInt64
    let wsi: OpaquePointer
    var request: HTTPRequest
    var response: HTTPResponse?
    var headersSent = false
    var bodyOffset = 0
    var tooLarge = false
    /// The monotonic second the head arrived, and the one by which its body must have.
    let startedAt = monotonicSecond()
    var bodyDeadline: Int64?
    /// The monotonic second the last bytes of the body came.
    var lastBodyAt = monotonicSecond()

    init(id: UInt64, wsi: OpaquePointer, request: HTTPRequest) {
        self.id = id; self.wsi = wsi; self.request = request
    }
}
