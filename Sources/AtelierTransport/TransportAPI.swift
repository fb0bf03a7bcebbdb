import Foundation

/// Identifies one WebSocket connection for as long as it lives; never reused.
public typealias ConnectionID = UInt64

/// An HTTP request routed to the application (everything but static files and `/ws`).
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path, without the query string.
    public var path: String
    /// URL arguments, already URL-decoded by libwebsockets.
    public var query: [String: String]
    public var authorization: String?
    public var contentType: String?
    /// The `Host` header, to write absolute links back to this server.
    public var host: String?
    public var body: [UInt8]
    public var peer: String
    /// `Cookie` (the organiser's session, docs/protocol.md "Organiser session").
    public var cookie: String?
    /// `Origin` and `Sec-Fetch-Site`: where a browser says a request comes from (CSRF checks).
    public var origin: String?
    public var fetchSite: String?
    /// `X-Atelier-CSRF`: the session's CSRF token, set by the organiser's page on each write.
    public var csrfToken: String?
    /// `X-Forwarded-Proto`, only when the request came through a trusted proxy (nil otherwise):
    /// "https" when the browser reached the proxy over TLS.
    public var forwardedProto: String?
    public init(method: String, path: String, query: [String: String] = [:], authorization: String? = nil,
                contentType: String? = nil, host: String? = nil, body: [UInt8] = [], peer: String = "",
                cookie: String? = nil, origin: String? = nil, fetchSite: String? = nil, csrfToken: String? = nil,
                forwardedProto: String? = nil) {
        self.method = method; self.path = path; self.query = query; self.authorization = authorization
        self.contentType = contentType; self.host = host; self.body = body; self.peer = peer
        self.cookie = cookie; self.origin = origin; self.fetchSite = fetchSite; self.csrfToken = csrfToken
        self.forwardedProto = forwardedProto
    }

    /// The value of the cookie `name`, if the request carries it.
    public func cookie(named name: String) -> String? {
        guard let cookie else { return nil }
        for pair in cookie.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// The bearer token of `Authorization: Bearer …`, if any.
    public var bearerToken: String? {
        guard let a = authorization, a.lowercased().hasPrefix("bearer ") else { return nil }
        return String(a.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    public init(status: Int, contentType: String = "application/json; charset=utf-8",
                headers: [(String, String)] = [], body: [UInt8]) {
        self.status = status; self.contentType = contentType; self.headers = headers; self.body = body
    }
}

/// What the transport tells the application. Every call happens on the service thread.
public protocol TransportDelegate: AnyObject {
    func transportOpened(_ connection: ConnectionID, peer: String)
    /// One complete text message (already UTF-8-validated and within the size limit).
    func transportReceived(_ connection: ConnectionID, message: [UInt8])
    func transportClosed(_ connection: ConnectionID)
    /// An HTTP request; call `respond` exactly once, on the service thread, now or later.
    func transportHTTP(_ request: HTTPRequest, respond: @escaping (HTTPResponse) -> Void)
    /// The end of one turn of the service loop: the place to group work done during it.
    func transportTurnEnded()
}

/// What the application may ask of the transport (service thread only, except ``post(_:)``).
public protocol TransportControl: AnyObject, Sendable {
    /// Queues a frame; the same ``OutboundFrame`` may go to many connections.
    func send(_ frame: OutboundFrame, to connection: ConnectionID)
    /// Queues a connection's welcome: taken whatever the queue limit (a connection that just
    /// joined is never refused its welcome for its size), but charged to its address's welcome
    /// budget until written; over that budget the connection is closed with 1013 instead.
    func sendWelcome(_ frame: OutboundFrame, to connection: ConnectionID)
    /// Whether a welcome for this connection would be taken now: asked before building one, so a
    /// refused connection costs no snapshot.
    func admitsWelcome(_ connection: ConnectionID) -> Bool
    /// What the transport counts (for `/metrics`).
    func statistics() -> TransportStatistics
    /// Closes with a WebSocket close code after what is already queued.
    func close(_ connection: ConnectionID, code: UInt16, reason: String)
    /// Runs `job` on the service thread soon. Safe from any thread.
    func post(_ job: @escaping @Sendable () -> Void)
}

/// What the transport counts, for `/metrics` (read on the service thread).
public struct TransportStatistics: Sendable {
    public var webSockets = 0
    public var sockets = 0
    public var queuedBytes = 0
    public var slowReadersDropped = 0
    public var refusedSockets = 0
    public init() {}
}

extension TransportControl {
    public func statistics() -> TransportStatistics { TransportStatistics() }
    public func sendWelcome(_ frame: OutboundFrame, to connection: ConnectionID) { send(frame, to: connection) }
    public func admitsWelcome(_ connection: ConnectionID) -> Bool { true }
}

/// WebSocket close codes used by Atelier.
public enum CloseCode {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let unsupportedData: UInt16 = 1003
    public static let invalidPayload: UInt16 = 1007
    public static let policyViolation: UInt16 = 1008
    public static let messageTooBig: UInt16 = 1009
    public static let internalError: UInt16 = 1011
    /// The server is busy (its welcome budget for this address is spent): retry shortly.
    public static let tryAgainLater: UInt16 = 1013

    // Application codes (RFC 6455 §7.4.2: 4000–4999 are private use); docs/protocol.md "Closing".
    /// The facilitator removed this participant: do not reconnect.
    public static let removed: UInt16 = 4000
    /// The client read too slowly and its queue was dropped: reconnect and resume with `since`.
    public static let tooSlow: UInt16 = 4001
    /// The client kept sending too many messages: reconnect after a pause.
    public static let tooManyMessages: UInt16 = 4002
    /// Too many open connections from this address: try again later.
    public static let tooManyConnections: UInt16 = 4003
    /// Several nodes: another node serves this workshop (it holds its lease): reconnect, and the
    /// load balancer, hashing on the workshop, takes the client there.
    public static let servedElsewhere: UInt16 = 4004
}

/// The bytes of one text frame, with the headroom libwebsockets needs in front (`LWS_PRE`),
/// encoded once and shared by every recipient's queue.
public final class OutboundFrame: @unchecked Sendable {
    // Immutable after init, so sharing it across queues (and threads) is safe.
    let storage: UnsafeMutableRawPointer
    public let count: Int
    let headroom: Int

    public init(_ bytes: [UInt8]) {
        headroom = LWS.pre
        count = bytes.count
        storage = UnsafeMutableRawPointer.allocate(byteCount: headroom + max(count, 1), alignment: 16)
        bytes.withUnsafeBytes { src in
            if let base = src.baseAddress { (storage + headroom).copyMemory(from: base, byteCount: count) }
        }
    }

    deinit { storage.deallocate() }

    public var bytes: [UInt8] {
        Array(UnsafeRawBufferPointer(start: storage + headroom, count: count))
    }
    var payload: UnsafeMutableRawPointer { storage + headroom }
}
