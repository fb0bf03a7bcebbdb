import CLibWebSockets
import Foundation

/// The one C callback for every protocol: it finds the server from the context's user pointer and
/// hands over. All `Unmanaged` use is here and in `WebSocketServer.start`.
func atelierLWSCallback(_ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                        _ input: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let raw = lws_context_user(context) else {
        return lws_callback_http_dummy(wsi, reason, user, input, len)
    }
    let server = Unmanaged<WebSocketServer>.fromOpaque(raw).takeUnretainedValue()
    return server.handle(wsi, reason, user, input, len)
}

extension WebSocketServer {
    func handle(_ wsi: OpaquePointer, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
                _ input: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            drainJobs()
            return 0

        // MARK: WebSocket
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return confirmUpgrade(wsi)
        case LWS_CALLBACK_ESTABLISHED:
            guard let user else { return -1 }
            let id = makeID()
            user.storeBytes(of: id, as: UInt64.self)
            let c = Connection(id: id, wsi: wsi, address: address(of: wsi))
            connections[id] = c
            startLiveness(c)
            delegate?.transportOpened(id, peer: c.address)
            return 0
        case LWS_CALLBACK_RECEIVE:
            guard let user, let c = connections[user.load(as: UInt64.self)] else { return -1 }
            heard(c)
            return receive(c, input, len)
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            // libwebsockets echoes the peer's close, turning most codes that may not be sent into
            // 1002 in place; it lets 5000 and up through, and a 1-byte payload (no whole code).
            guard let input, len > 0 else { return 0 }
            let payload = input.assumingMemoryBound(to: UInt8.self)
            if len == 1 { return closeNow(wsi, CloseCode.protocolError, "Fermeture mal formée.") }
            if (Int(payload[0]) << 8 | Int(payload[1])) >= 5000 {
                payload[0] = UInt8(CloseCode.protocolError >> 8); payload[1] = UInt8(CloseCode.protocolError & 0xff)
            }
            return 0
        case LWS_CALLBACK_RECEIVE_PONG:
            if let user, let c = connections[user.load(as: UInt64.self)] { heard(c) }
            return 0
        case LWS_CALLBACK_SERVER_WRITEABLE:
            guard let user, let c = connections[user.load(as: UInt64.self)] else { return -1 }
            return writeNext(c)
        case LWS_CALLBACK_CLOSED:
            if let user {
                let id = user.load(as: UInt64.self)
                if let c = connections.removeValue(forKey: id) {
                    c.gone = true
                    releaseWelcome(c)
                    delegate?.transportClosed(id)
                }
            }
            return 0

        // MARK: Every connection (Sockets.swift)
        case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
            return admitNetworkConnection(user)
        case LWS_CALLBACK_WSI_CREATE:
            socketCreated(wsi)
            return 0
        case LWS_CALLBACK_WSI_DESTROY:
            socketDestroyed(wsi)
            return lws_callback_http_dummy(wsi, reason, user, input, len)
        case LWS_CALLBACK_FILTER_HTTP_CONNECTION:
            return filterHTTP(wsi)
        case LWS_CALLBACK_RAW_ADOPT:
            return refuseRaw(wsi)
        case LWS_CALLBACK_RAW_RX, LWS_CALLBACK_RAW_WRITEABLE:
            return -1

        // MARK: HTTP routes
        case LWS_CALLBACK_HTTP:
            return beginHTTP(wsi, user)
        case LWS_CALLBACK_HTTP_BODY:
            guard let ex = exchange(user) else { return -1 }
            ex.lastBodyAt = monotonicSecond()
            if ex.request.body.count + len > configuration.maxBodyBytes { ex.tooLarge = true }
            if !ex.tooLarge, let input, len > 0 {
                ex.request.body.append(contentsOf: UnsafeRawBufferPointer(start: input, count: len))
            }
            return 0
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            guard let ex = exchange(user) else { return -1 }
            ex.bodyDeadline = nil
            requestBodyEnded(wsi)
            dispatch(ex)
            return 0
        case LWS_CALLBACK_HTTP_WRITEABLE:
            guard let ex = exchange(user) else { return lws_callback_http_dummy(wsi, reason, user, input, len) }
            return writeHTTP(ex)
        case LWS_CALLBACK_CLOSED_HTTP:
            if let user { exchanges[user.load(as: UInt64.self)] = nil }
            return lws_callback_http_dummy(wsi, reason, user, input, len)

        default:
            return lws_callback_http_dummy(wsi, reason, user, input, len)
        }
    }

    // MARK: - WebSocket

    /// A header libwebsockets has no index for (names lowercase, with their colon), up to 4 KiB.
    func customHeader(_ wsi: OpaquePointer, _ name: String) -> String? {
        let n = Array(name.utf8).map { CChar(bitPattern: $0) }
        let length = Int(lws_hdr_custom_length(wsi, n, Int32(n.count)))
        guard length >= 0, length < 4096 else { return nil }
        var buf = [CChar](repeating: 0, count: length + 1)
        guard lws_hdr_custom_copy(wsi, &buf, Int32(length + 1), n, Int32(n.count)) >= 0 else { return nil }
        return String(cString: buf)
    }

    func header(_ wsi: OpaquePointer, _ token: lws_token_indexes) -> String? {
        let n = Int(lws_hdr_total_length(wsi, token))
        guard n > 0 else { return nil }
        var buf = [CChar](repeating: 0, count: n + 1)
        guard lws_hdr_copy(wsi, &buf, Int32(n + 1), token) >= 0 else { return nil }
        return String(cString: buf)
    }

    /// The upgrade is checked before any WebSocket exists: path `/ws`, our subprotocol, an allowed
    /// Origin. Browsers always send Origin, so this stops cross-site pages; other clients send none.
    func confirmUpgrade(_ wsi: OpaquePointer) -> Int32 {
        noteForwardedFor(wsi)
        if headBytes(wsi) > configuration.maxHeaderBytes {
            return answerAndClose(wsi, 431, "bad_request", "En-têtes de requête trop volumineux (\(configuration.maxHeaderBytes / 1024) Kio au plus).")
        }
        let path = header(wsi, WSI_TOKEN_GET_URI) ?? ""
        if path != "/ws" { return reject(wsi, 404) }
        let protocols = (header(wsi, WSI_TOKEN_PROTOCOL) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if !protocols.contains(configuration.subprotocol) { return reject(wsi, 400) }
        if let origin = header(wsi, WSI_TOKEN_ORIGIN), !originAllowed(origin, host: header(wsi, WSI_TOKEN_HOST)) {
            return reject(wsi, 403)
        }
        return 0
    }

    func originAllowed(_ origin: String, host: String?) -> Bool {
        if configuration.allowedOrigins.contains(origin) { return true }
        guard let host else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// Answers a refused upgrade with an HTTP/1.1 status and a JSON error, then hangs up.
    /// Written by hand: at this point `lws_return_http_status` answers "HTTP/1.0", which strict
    /// WebSocket clients reject as not HTTP. Returning -1 (rather than >0) also keeps clear of the
    /// lws 4.1 code path of CVE-2025-11677.
    func reject(_ wsi: OpaquePointer, _ status: Int) -> Int32 {
        switch status {
        case 403: answerAndClose(wsi, 403, "forbidden", "Origine non autorisée.")
        case 404: answerAndClose(wsi, 404, "not_found", "Le WebSocket d'Atelier est à l'adresse /ws.")
        default: answerAndClose(wsi, 400, "bad_request", "Sous-protocole \(configuration.subprotocol) requis.")
        }
    }

    func receive(_ c: Connection, _ input: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
        if lws_frame_is_binary(c.wsi) != 0 {
            return closeNow(c.wsi, CloseCode.unsupportedData, "Seules les trames texte (JSON) sont acceptées.")
        }
        if c.incoming.count + len > configuration.maxMessageBytes {
            return closeNow(c.wsi, CloseCode.messageTooBig, "Message trop long (64 Kio au plus).")
        }
        if let input, len > 0 { c.incoming.append(contentsOf: UnsafeRawBufferPointer(start: input, count: len)) }
        if lws_is_final_fragment(c.wsi) != 0 && lws_remaining_packet_payload(c.wsi) == 0 {
            let message = c.incoming
            c.incoming = []
            delegate?.transportReceived(c.id, message: message)
        }
        return 0
    }

    func closeNow(_ wsi: OpaquePointer, _ code: UInt16, _ reason: String) -> Int32 {
        var bytes = Array(reason.utf8.prefix(120))
        lws_close_reason(wsi, lws_close_status(rawValue: UInt32(code)), &bytes, bytes.count)
        return -1
    }

    /// The application's close, once what was being written is out: the close frame (code and
    /// reason) is written here, then the connection is ended. Not with `lws_close_reason` and -1
    /// as elsewhere: from a writable callback, libwebsockets 4.1's libuv loop then stops watching
    /// the socket and cuts it without the frame (its poll loop sends it). 4 is libwebsockets'
    /// `LWS_WRITE_CLOSE` (private-lib-roles-ws.h; the public header leaves it out).
    func closeFromWriteable(_ wsi: OpaquePointer, _ code: UInt16, _ reason: String) -> Int32 {
        let payload = [UInt8(code >> 8), UInt8(code & 0xff)] + Array(reason.utf8.prefix(120))
        (fragmentBuffer + LWS.pre).update(from: payload, count: payload.count)
        _ = lws_write(wsi, fragmentBuffer + LWS.pre, payload.count, lws_write_protocol(rawValue: 4))
        return -1
    }

    func writeNext(_ c: Connection) -> Int32 {
        if c.pingWanted && c.closing == nil {
            if writePing(c) < 0 { return -1 }
            if c.hasQueued { lws_callback_on_writable(c.wsi) }
            return 0
        }
        if c.writing == nil {
            switch takeNextFrame(c) {
            case .failed: return -1
            case .written: return wrote(c)
            case .none, .fragmented: break
            }
        }
        if let frame = c.writing {
            // One fragment per writable turn, copied behind its own headroom (the frame may be
            // shared, and libwebsockets writes each fragment's header just before it).
            let offset = c.writtenOfCurrent
            let n = min(configuration.fragmentBytes, frame.count - offset)
            let last = offset + n == frame.count
            var flags = (offset == 0 ? LWS_WRITE_TEXT : LWS_WRITE_CONTINUATION).rawValue
            if !last { flags |= LWS_WRITE_NO_FIN.rawValue }
            (fragmentBuffer + LWS.pre).update(from: (frame.payload + offset).assumingMemoryBound(to: UInt8.self), count: n)
            if lws_write(c.wsi, fragmentBuffer + LWS.pre, n, lws_write_protocol(rawValue: flags)) < n { return -1 }
            c.writtenOfCurrent += n
            if last { c.writing = nil }
            return wrote(c)
        }
        if let (code, reason) = c.closing { return closeFromWriteable(c.wsi, code, reason) }
        return 0
    }

    enum FrameStep { case none, written, fragmented, failed }

    /// The connection's next frame (what waits, coalesced): written at once when it goes in one
    /// write, else kept in `c.writing` for the fragment path (one fragment per writable turn).
    func takeNextFrame(_ c: Connection) -> FrameStep {
        guard let frame = c.nextFrame(coalescingUpTo: Self.coalescingLimit) else { return .none }
        guard frame.count <= configuration.fragmentBytes else {
            c.writing = frame
            c.writtenOfCurrent = 0
            return .fragmented
        }
        let written = lws_write(c.wsi, frame.payload.assumingMemoryBound(to: UInt8.self), frame.count, LWS_WRITE_TEXT)
        return written < frame.count ? .failed : .written
    }

    /// After a write: progress noted, and the welcome's charge released once everything is out.
    func noteWritten(_ c: Connection) {
        c.progressAt = monotonicSecond()
        if c.pendingBytes == 0 { releaseWelcome(c) }
    }

    /// After a write in a writable callback: noted, and the next turn asked for if anything is left.
    private func wrote(_ c: Connection) -> Int32 {
        noteWritten(c)
        if c.hasQueued || c.closing != nil { lws_callback_on_writable(c.wsi) }
        return 0
    }

    func peerAddress(_ wsi: OpaquePointer) -> String {
        var buf = [CChar](repeating: 0, count: 128)
        lws_get_peer_simple(wsi, &buf, buf.count)
        return String(cString: buf)
    }

    // MARK: - HTTP

    func exchange(_ user: UnsafeMutableRawPointer?) -> HTTPExchange? {
        guard let user else { return nil }
        return exchanges[user.load(as: UInt64.self)]
    }

    func beginHTTP(_ wsi: OpaquePointer, _ user: UnsafeMutableRawPointer?) -> Int32 {
        guard let user else { return -1 }
        let method: String
        let path: String
        if let p = header(wsi, WSI_TOKEN_POST_URI) { method = "POST"; path = p }
        else if let p = header(wsi, WSI_TOKEN_GET_URI) { method = "GET"; path = p }
        else if let p = header(wsi, WSI_TOKEN_PUT_URI) { method = "PUT"; path = p }
        else if let p = header(wsi, WSI_TOKEN_PATCH_URI) { method = "PATCH"; path = p }
        else if let p = header(wsi, WSI_TOKEN_DELETE_URI) { method = "DELETE"; path = p }
        else if let p = header(wsi, WSI_TOKEN_OPTIONS_URI) { method = "OPTIONS"; path = p }
        else { method = "OTHER"; path = "" }
        var query: [String: String] = [:]
        var buf = [CChar](repeating: 0, count: 1024)
        var i: Int32 = 0
        while lws_hdr_copy_fragment(wsi, &buf, Int32(buf.count), WSI_TOKEN_HTTP_URI_ARGS, i) > 0 {
            let arg = String(cString: buf)
            if let eq = arg.firstIndex(of: "=") {
                query[String(arg[..<eq])] = String(arg[arg.index(after: eq)...])
            } else {
                query[arg] = ""
            }
            i += 1
        }
        let request = HTTPRequest(method: method, path: path, query: query,
                                  authorization: header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION),
                                  contentType: header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE), host: header(wsi, WSI_TOKEN_HOST),
                                  peer: address(of: wsi), cookie: header(wsi, WSI_TOKEN_HTTP_COOKIE),
                                  origin: header(wsi, WSI_TOKEN_ORIGIN), fetchSite: customHeader(wsi, "sec-fetch-site:"),
                                  csrfToken: customHeader(wsi, "x-atelier-csrf:"),
                                  forwardedProto: fromTrustedProxy(wsi) ? customHeader(wsi, "x-forwarded-proto:") : nil)
        let id = makeID()
        user.storeBytes(of: id, as: UInt64.self)
        let ex = HTTPExchange(id: id, wsi: wsi, request: request)
        exchanges[id] = ex
        if method == "POST" || method == "PUT" || method == "PATCH" {
            // The body comes in LWS_CALLBACK_HTTP_BODY, then BODY_COMPLETION, within its deadline.
            ex.bodyDeadline = ex.startedAt + Int64(configuration.httpRequestSeconds)
            return 0
        }
        dispatch(ex)
        return 0
    }

    func dispatch(_ ex: HTTPExchange) {
        if ex.tooLarge {
            respond(ex, HTTPResponse(status: 413, body: Array(#"{"error":{"code":"invalid","message":"Requête trop volumineuse."}}"#.utf8)))
            return
        }
        guard let delegate else {
            respond(ex, HTTPResponse(status: 503, body: Array(#"{"error":{"code":"internal","message":"Serveur indisponible."}}"#.utf8)))
            return
        }
        let id = ex.id
        // The request is whole: from here its deadline is the sweep's (`httpAnswerSeconds`), not
        // libwebsockets' own pending timeout (5 s), which cut answers that take longer to prepare
        // (replay's first timeline of a long journal, built off the loop).
        lws_set_timeout(ex.wsi, NO_PENDING_TIMEOUT, 0)
        delegate.transportHTTP(ex.request) { [weak self] response in
            guard let self, let ex = self.exchanges[id] else { return }
            self.respond(ex, response)
        }
    }

    func respond(_ ex: HTTPExchange, _ response: HTTPResponse) {
        guard ex.response == nil else { return }
        ex.response = response
        lws_callback_on_writable(ex.wsi)
    }

    func writeHTTP(_ ex: HTTPExchange) -> Int32 {
        guard let response = ex.response else { return 0 }
        let chunk = 16 * 1024
        var buf = [UInt8](repeating: 0, count: LWS.pre + max(chunk, 4096 + response.headers.count * 256))
        return buf.withUnsafeMutableBufferPointer { b -> Int32 in
            let start = b.baseAddress! + LWS.pre
            let end = b.baseAddress! + b.count - 1
            if !ex.headersSent {
                var p: UnsafeMutablePointer<UInt8>? = start
                let contentType = response.contentType
                if lws_add_http_common_headers(ex.wsi, UInt32(response.status), contentType,
                                               lws_filepos_t(response.body.count), &p, end) != 0 { return 1 }
                for (name, value) in response.headers {
                    let n = Array((name.lowercased() + ":").utf8) + [0]
                    let v = Array(value.utf8)
                    if lws_add_http_header_by_name(ex.wsi, n, v, Int32(v.count), &p, end) != 0 { return 1 }
                }
                if lws_finalize_write_http_header(ex.wsi, start, &p, end) != 0 { return 1 }
                ex.headersSent = true
                lws_callback_on_writable(ex.wsi)
                return 0
            }
            let remaining = response.body.count - ex.bodyOffset
            let n = min(chunk, remaining)
            let final = n == remaining
            response.body.withUnsafeBytes { src in
                if n > 0 { UnsafeMutableRawPointer(start).copyMemory(from: src.baseAddress! + ex.bodyOffset, byteCount: n) }
            }
            if lws_write(ex.wsi, start, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != n { return -1 }
            ex.bodyOffset += n
            if final {
                exchanges[ex.id] = nil
                return lws_http_transaction_completed(ex.wsi) != 0 ? -1 : 0
            }
            lws_callback_on_writable(ex.wsi)
            return 0
        }
    }
}
