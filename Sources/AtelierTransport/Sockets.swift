import AtelierJSON
import CLibWebSockets
import Foundation

/// One accepted TCP connection, whatever it carries (docs/reliability.md "Limits").
final class SocketRecord {
    let address: String
    /// The client's address when the connection comes through a trusted proxy (from its
    /// `X-Forwarded-For`, read with each request head).
    var forwardedFor: String?
    /// Bytes the kernel had received on this connection when its last request began (or its body
    /// ended): what came since is the next request.
    var mark: UInt64 = 0
    init(address: String) { self.address = address }
}

/// The network-level guards, below HTTP and WebSocket: how many connections one address holds,
/// which methods are answered, how big a request head may be, how long a body may take.
///
/// libwebsockets 4.1 (Debian) has no per-address limit, answers nothing to `CONNECT` (it turns
/// the connection into a raw socket and keeps it, with no timeout) and gives a trickled body all
/// the time it wants. So the transport counts every connection from the moment it is accepted
/// (`FILTER_NETWORK_CONNECTION`, then `WSI_CREATE` for its wsi, `WSI_DESTROY` when it goes),
/// answers what it will not serve itself, and holds each request to a deadline from its sweep.
extension WebSocketServer {
    // MARK: - Counting connections

    /// A connection was just accepted: refused (closed at once, with no answer: answering would
    /// take the very descriptor the limit protects) when its address holds its share already.
    func admitNetworkConnection(_ args: UnsafeMutableRawPointer?) -> Int32 {
        guard let args else { return 0 }
        let filter = args.assumingMemoryBound(to: lws_filter_network_conn_args.self)
        let address = Self.addressString(&filter.pointee.cli_addr)
        if !configuration.trustedProxies.contains(address),
           socketsPerAddress[address, default: 0] >= configuration.maxSocketsPerAddress {
            refusedSockets += 1
            return 1
        }
        admittedAddress = address
        return 0
    }

    /// The wsi of the connection just admitted (libwebsockets creates it right after the filter).
    func socketCreated(_ wsi: OpaquePointer) {
        guard let address = admittedAddress else { return }
        admittedAddress = nil
        sockets[wsi] = SocketRecord(address: address)
        socketsPerAddress[address, default: 0] += 1
    }

    func socketDestroyed(_ wsi: OpaquePointer) {
        guard let record = sockets.removeValue(forKey: wsi) else { return }
        let left = socketsPerAddress[record.address, default: 1] - 1
        socketsPerAddress[record.address] = left > 0 ? left : nil
    }

    /// The address a connection stands for: its peer's, or behind a trusted proxy the client's.
    func address(of wsi: OpaquePointer) -> String {
        guard let record = sockets[wsi] else { return peerAddress(wsi) }
        return record.forwardedFor ?? record.address
    }

    /// Whether the connection comes from one of the trusted proxies (`--trusted-proxy`).
    func fromTrustedProxy(_ wsi: OpaquePointer) -> Bool {
        guard let record = sockets[wsi] else { return false }
        return configuration.trustedProxies.contains(record.address)
    }

    /// With a request head: through a trusted proxy, the client is the last address of
    /// `X-Forwarded-For` (the one the proxy itself appended; earlier ones are the client's say).
    func noteForwardedFor(_ wsi: OpaquePointer) {
        guard let record = sockets[wsi], configuration.trustedProxies.contains(record.address) else { return }
        record.forwardedFor = nil
        guard let header = header(wsi, WSI_TOKEN_X_FORWARDED_FOR),
              let last = header.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
              Self.isIPAddress(last) else { return }
        record.forwardedFor = last
    }

    static func isIPAddress(_ s: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }

    /// "192.0.2.1" or "2001:db8::1"; an IPv4 address mapped into IPv6 reads as IPv4.
    static func addressString(_ storage: UnsafeMutablePointer<sockaddr_storage>) -> String {
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let raw = UnsafeMutableRawPointer(storage)
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            var addr = raw.assumingMemoryBound(to: sockaddr_in.self).pointee.sin_addr
            inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
        case AF_INET6:
            var addr = raw.assumingMemoryBound(to: sockaddr_in6.self).pointee.sin6_addr
            let bytes = withUnsafeBytes(of: &addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                return bytes[12..<16].map(String.init).joined(separator: ".")
            }
            inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count))
        default:
            return "?"
        }
        return String(cString: buf)
    }

    // MARK: - Requests not served

    /// The methods a request may have; anything else (CONNECT, TRACE, …) is answered 405.
    static let methods: [(lws_token_indexes, String)] = [
        (WSI_TOKEN_GET_URI, "GET"), (WSI_TOKEN_POST_URI, "POST"), (WSI_TOKEN_PUT_URI, "PUT"),
        (WSI_TOKEN_PATCH_URI, "PATCH"), (WSI_TOKEN_DELETE_URI, "DELETE"), (WSI_TOKEN_OPTIONS_URI, "OPTIONS"),
        (WSI_TOKEN_HEAD_URI, "HEAD"),
    ]
    static let allowed = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

    func method(of wsi: OpaquePointer) -> (name: String, path: String)? {
        for (token, name) in Self.methods {
            if let path = header(wsi, token) { return (name, path) }
        }
        return nil
    }

    /// The size of the request head just parsed. libwebsockets keeps known headers where they can
    /// be measured, but not the others (it has no way to list them); so the head is also measured
    /// from the kernel's count of bytes received on the connection since the previous request,
    /// less the body that may already have come with it. The larger of the two is the head's size.
    func headBytes(_ wsi: OpaquePointer) -> Int {
        var known = 0
        for i in 0..<Int(WSI_TOKEN_COUNT.rawValue) {
            known += Int(lws_hdr_total_length(wsi, lws_token_indexes(rawValue: UInt32(i))))
        }
        guard let record = sockets[wsi], let received = Self.bytesReceived(wsi) else { return known }
        let since = Int(clamping: received &- min(record.mark, received))
        record.mark = received
        let body = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH).flatMap { Int($0) } ?? 0
        return max(known, since - min(max(body, 0), since))
    }

    /// A body ended: what comes next on the connection is the next request.
    func requestBodyEnded(_ wsi: OpaquePointer) {
        if let record = sockets[wsi], let received = Self.bytesReceived(wsi) { record.mark = received }
    }

    /// `tcpi_bytes_received` of Linux's `TCP_INFO` (offset 128 of `struct tcp_info` since Linux 4.1;
    /// glibc's copy of the struct stops before it, so it is read from the kernel's layout).
    static func bytesReceived(_ wsi: OpaquePointer) -> UInt64? {
        let fd = lws_get_socket_fd(wsi)
        guard fd >= 0 else { return nil }
        var info = [UInt8](repeating: 0, count: 256)
        var length = socklen_t(info.count)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0, length >= 136 else { return nil }
        return info.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 128, as: UInt64.self)) }
    }

    /// A request head is complete, before any route or file sees it. Nonzero: answered and closed.
    func filterHTTP(_ wsi: OpaquePointer) -> Int32 {
        noteForwardedFor(wsi)
        let head = method(of: wsi)
        let isHead = head?.name == "HEAD"
        if headBytes(wsi) > configuration.maxHeaderBytes {
            return answerAndClose(wsi, 431, "bad_request", "En-têtes de requête trop volumineux (\(configuration.maxHeaderBytes / 1024) Kio au plus).", bodyless: isHead)
        }
        guard let (name, path) = head else {
            return answerAndClose(wsi, 405, "bad_request", "Méthode HTTP non prise en charge.", allow: Self.allowed)
        }
        let routed = configuration.routes.contains { path == $0 || path.hasPrefix($0 + "/") || path.hasPrefix($0 + "?") }
        if routed {
            if name == "HEAD" {
                return answerAndClose(wsi, 405, "bad_request", "Méthode non prise en charge pour cette adresse.", allow: "GET", bodyless: true)
            }
            // libwebsockets 4.1 reads a request body by its length only: a chunked body, or a
            // length it cannot read, would be waited for and dropped without an answer.
            if lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0 {
                return answerAndClose(wsi, 411, "bad_request", "Corps en morceaux (chunked) non pris en charge : envoyez l'en-tête Content-Length.")
            }
            if let length = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) {
                guard !length.isEmpty, length.utf8.allSatisfy({ (0x30...0x39).contains($0) }), length.utf8.count <= 18, let n = Int(length) else {
                    return answerAndClose(wsi, 400, "bad_request", "En-tête Content-Length invalide.")
                }
                if n > configuration.maxBodyBytes {
                    return answerAndClose(wsi, 413, "invalid", "Requête trop volumineuse (\(configuration.maxBodyBytes / 1024) Kio au plus).")
                }
            } else if ["POST", "PUT", "PATCH"].contains(name) {
                return answerAndClose(wsi, 400, "bad_request", "Corps de requête manquant : l'en-tête Content-Length est requis.")
            }
        } else if name != "GET" && name != "HEAD" {
            return answerAndClose(wsi, 405, "bad_request", "Seules les méthodes GET et HEAD servent les pages.", allow: "GET, HEAD")
        }
        return 0
    }

    /// A method libwebsockets does not parse as HTTP (CONNECT, or an unknown one) turned the
    /// connection raw: it is answered 405 and closed rather than kept.
    func refuseRaw(_ wsi: OpaquePointer) -> Int32 {
        answerAndClose(wsi, 405, "bad_request", "Méthode HTTP non prise en charge.", allow: Self.allowed)
    }

    /// Writes a whole HTTP/1.1 answer with a JSON error and returns -1, which closes the connection.
    /// From a callback of this wsi only (libwebsockets keeps what the socket does not take at once).
    @discardableResult
    func answerAndClose(_ wsi: OpaquePointer, _ status: Int, _ code: String, _ message: String,
                        allow: String? = nil, bodyless: Bool = false) -> Int32 {
        var bytes = [UInt8](repeating: 0, count: LWS.pre) + Self.errorAnswer(status, code, message, allow: allow, bodyless: bodyless)
        let count = bytes.count - LWS.pre
        bytes.withUnsafeMutableBufferPointer { b in
            _ = lws_write(wsi, b.baseAddress! + LWS.pre, count, LWS_WRITE_HTTP)
        }
        return -1
    }

    static func errorAnswer(_ status: Int, _ code: String, _ message: String, allow: String? = nil, bodyless: Bool = false) -> [UInt8] {
        let reason = switch status {
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Payload Too Large"
        case 431: "Request Header Fields Too Large"
        default: "Error"
        }
        var w = JSONWriter(reserving: 160)
        w.beginObject(); w.key("error"); w.beginObject()
        w.key("code"); w.string(code)
        w.key("message"); w.string(message)
        w.endObject(); w.endObject()
        var head = "HTTP/1.1 \(status) \(reason)\r\ncontent-type: application/json; charset=utf-8\r\n"
            + "content-length: \(w.bytes.count)\r\ncache-control: no-store\r\nconnection: close\r\n"
        if let allow { head += "allow: \(allow)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (bodyless ? [] : w.bytes)
    }

    // MARK: - Deadlines

    /// Once a second: a request whose body is late is answered 408 and closed; an exchange whose
    /// answer the peer has not taken in `httpAnswerSeconds` is cut.
    func sweepExchanges(now: Int64) {
        for (id, ex) in exchanges {
            // A body must keep coming (libwebsockets drops one silent for 5 s without a word: the
            // 408 goes first) and be whole by its deadline.
            if let deadline = ex.bodyDeadline, now >= deadline || now - ex.lastBodyAt >= 3 {
                exchanges[id] = nil
                let answer = Self.errorAnswer(408, "bad_request", "Corps de requête trop lent à arriver.")
                let fd = lws_get_socket_fd(ex.wsi)
                if fd >= 0 { _ = answer.withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) } }
                lws_set_timeout(ex.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
            } else if now - ex.startedAt >= Int64(Self.httpAnswerSeconds) {
                exchanges[id] = nil
                lws_set_timeout(ex.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
            }
        }
    }

    /// Longest an HTTP exchange may last from its head to its answer's last byte (an export to a
    /// slow phone takes seconds; a peer that reads nothing holds the answer's memory until this).
    static let httpAnswerSeconds = 120
}
