#ifndef CLIBWEBSOCKETS_SHIM_H
#define CLIBWEBSOCKETS_SHIM_H

// libuv first: libwebsockets declares its libuv helpers (lws_uv_getloop…) only when uv.h is seen.
#include <uv.h>
#include <libwebsockets.h>

// Swift cannot import LWS_PRE: it is a function-like macro expression (_LWS_PAD(...)).
static inline size_t CLibWebSockets_LWS_PRE(void) { return LWS_PRE; }

// Swift cannot import LWS_ILLEGAL_HTTP_CONTENT_LEN (a cast expression macro).
static inline lws_filepos_t CLibWebSockets_illegalContentLength(void) { return LWS_ILLEGAL_HTTP_CONTENT_LEN; }

#endif
