import CLibWebSockets

/// Constants libwebsockets defines as macros Swift cannot see (see `shim.h`).
enum LWS {
    static let pre = Int(CLibWebSockets_LWS_PRE())
}
