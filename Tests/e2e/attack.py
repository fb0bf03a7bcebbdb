"""Helpers for the hostile tests (issue 11): raw HTTP and WebSocket by hand, the server's memory,
a light protocol client that never lets its inbox grow, and the attackers of the hostile room.

The attackers also run as their own processes (`python3 attack.py ROLE JSON`), so that their load
does not slow the test's own event loop, which measures the honest participants' latency.
Each prints one JSON line of counts on stdout when it ends (SIGTERM or its duration)."""
import asyncio
import base64
import json
import os
import random
import selectors
import signal
import socket
import string
import sys
import time

import websockets
import websockets.exceptions  # loaded lazily by websockets: a test run alone needs it imported

SUBPROTOCOL = "atelier.v1"
ERROR_CODES = {"bad_request", "unknown_type", "unauthenticated", "forbidden", "not_found", "invalid",
               "conflict", "phase", "locked", "budget", "closed", "rate_limited", "internal"}


# ---------------------------------------------------------------------------------------------
# The server's memory

def rss_bytes(pid):
    """The resident set (VmRSS) of a process, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


MIB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Raw HTTP

def tcp(port, src=None, rcvbuf=None, timeout=5.0):
    """A TCP connection to the server on loopback, from source address `src` (127.0.0.x)."""
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def read_until_closed(sock, timeout):
    """Everything the socket gives within `timeout` s, and whether the server closed it by then
    (end of stream, or a reset) and when (seconds from the call)."""
    started = time.monotonic()
    data = b""
    while True:
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            return data, False, None
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return data, True, time.monotonic() - started
        except socket.timeout:
            return data, False, None
        if not chunk:
            return data, True, time.monotonic() - started
        data += chunk


def send_quietly(sock, data):
    """Sends, ignoring a connection the server already closed (it may hang up before reading all)."""
    try:
        sock.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def http_exchange(port, request, src=None, timeout=3.0):
    """Sends `request` (bytes) on a fresh connection and reads until the server closes it or
    `timeout` passes: (bytes received, closed, seconds until closed)."""
    with tcp(port, src) as s:
        send_quietly(s, request)
        return read_until_closed(s, timeout)


class Response:
    def __init__(self, status_line, status, headers, body):
        self.status_line, self.status, self.headers, self.body = status_line, status, headers, body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status_line} {self.headers} {self.body[:300]!r}>"


def parse_response(data):
    """The first HTTP response in `data` (status, lower-case headers, body by content-length),
    or None when there is none."""
    if b"\r\n\r\n" not in data:
        return None
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        return None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", len(rest)))
    return Response(lines[0], int(parts[1]), headers, rest[:n])


def http_request(method, path, headers=(), body=None, port=None, host="127.0.0.1"):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"] + list(headers)
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return raw + (body or b"")


def healthz(port, src=None, timeout=3.0):
    """`GET /healthz` on a fresh connection from `src`: the response's status, or None."""
    try:
        with tcp(port, src, timeout=timeout) as s:
            s.sendall(http_request("GET", "/healthz", ["Connection: close"], port=port))
            data, _, _ = read_until_closed(s, timeout)
    except OSError:
        return None
    r = parse_response(data)
    return r.status if r else None


def assert_json_error(r, status, code=None):
    """`r` is the JSON error the spec asks for: that status, `{"error":{"code","message"}}` with a
    French sentence, content-type application/json."""
    assert r is not None, "no HTTP response at all"
    assert r.status == status, f"expected {status}, got {r!r}"
    assert r.headers.get("content-type", "").startswith("application/json"), r
    err = r.json()["error"]
    assert isinstance(err.get("message"), str) and len(err["message"]) > 3, r
    assert err["message"].rstrip().endswith((".", "…", "!", "?")), f"not a sentence: {err['message']!r}"
    assert err.get("code") in ERROR_CODES, r
    if code:
        assert err["code"] == code, r
    return err


# ---------------------------------------------------------------------------------------------
# Raw WebSocket (RFC 6455 by hand)

def handshake_bytes(port):
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {SUBPROTOCOL}\r\n\r\n").encode()


def raw_websocket(port, src=None, rcvbuf=None, timeout=10.0):
    """A WebSocket by hand: the handshake, then only what the caller does (no automatic pong, no
    reading). Bytes that came with the 101 are kept in `sock.early`."""
    s = tcp(port, src, rcvbuf, timeout)
    s.sendall(handshake_bytes(port))
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            raise AssertionError(f"handshake closed: {head!r}")
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def frame(opcode, payload=b"", fin=True, rsv=0, masked=True):
    """One client frame: `rsv` is the 3 RSV bits (0–7), `masked` whether the mask bit is set."""
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    if n < 126:
        head = bytes([b0, (0x80 if masked else 0) | n])
    elif n < 65536:
        head = bytes([b0, (0x80 if masked else 0) | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, (0x80 if masked else 0) | 127]) + n.to_bytes(8, "big")
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def text_frame(text):
    return frame(0x1, text)


def close_frame(code=None, reason=b""):
    return frame(0x8, b"" if code is None else code.to_bytes(2, "big") + reason)


def parse_frames(data):
    """The complete server frames in `data`, as (fin, opcode, payload); server frames are unmasked."""
    out = []
    i = 0
    while i + 2 <= len(data):
        fin = bool(data[i] & 0x80)
        opcode = data[i] & 0x0F
        n = data[i + 1] & 0x7F
        h = 2
        if n == 126:
            if i + 4 > len(data):
                break
            n = int.from_bytes(data[i + 2:i + 4], "big"); h = 4
        elif n == 127:
            if i + 10 > len(data):
                break
            n = int.from_bytes(data[i + 2:i + 10], "big"); h = 10
        if i + h + n > len(data):
            break
        out.append((fin, opcode, data[i + h:i + h + n]))
        i += h + n
    return out


def close_code_of(data):
    """The status code of the first close frame among the server's bytes: None when there is no
    close frame, 1005 for an empty one."""
    for _, opcode, payload in parse_frames(data):
        if opcode == 0x8:
            return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
    return None


def messages_of(data):
    """The protocol messages in the server's text frames (fragments reassembled)."""
    out, parts = [], None
    for fin, opcode, payload in parse_frames(data):
        if opcode == 0x1:
            parts = [payload]
        elif opcode == 0x0 and parts is not None:
            parts.append(payload)
        else:
            continue
        if fin:
            parsed = json.loads(b"".join(parts))
            out.extend(parsed if isinstance(parsed, list) else [parsed])
            parts = None
    return out


# ---------------------------------------------------------------------------------------------
# A light protocol client: replies matched to requests, everything else counted and dropped (or
# handed to a callback), so thousands of broadcast cards never pile up in an inbox.

class Wire:
    def __init__(self, ws, on_message=None):
        self.ws = ws
        self.pending = {}
        self.on_message = on_message
        self.counter = 0
        self.received = 0
        self.closed = None  # the close code once the connection ended (1006: no close frame)
        self.close_reason = None
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, url, src=None, on_message=None, open_timeout=10):
        kw = {"subprotocols": [SUBPROTOCOL], "max_queue": None, "max_size": None,
              "open_timeout": open_timeout, "ping_interval": None, "proxy": None, "compression": None}
        if src:
            kw["local_addr"] = (src, 0)
        ws = await websockets.connect(url, **kw)
        return cls(ws, on_message)

    async def _read(self):
        try:
            async for raw in self.ws:
                data = json.loads(raw)
                for m in data if isinstance(data, list) else [data]:
                    self.received += 1
                    fut = self.pending.pop(m.get("re"), None) if m.get("re") is not None else None
                    if fut is not None and not fut.done():
                        fut.set_result(m)
                    elif self.on_message:
                        self.on_message(m)
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            rcvd = self.ws.protocol.close_rcvd
            self.closed = rcvd.code if rcvd is not None else 1006
            self.close_reason = rcvd.reason if rcvd is not None else None
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(f"closed {self.closed}"))
            self.pending.clear()

    def next_id(self, prefix="m"):
        self.counter += 1
        return f"{prefix}{self.counter}"

    async def send(self, message):
        """Sends without waiting; returns a future for the reply."""
        message = {"id": self.next_id(), **message} if "id" not in message else message
        fut = asyncio.get_running_loop().create_future()
        self.pending[message["id"]] = fut
        await self.ws.send(json.dumps(message))
        return fut

    async def request(self, message, timeout=10.0):
        fut = await self.send(message)
        return await asyncio.wait_for(fut, timeout)

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), 5)
        except Exception:
            pass
        self.reader.cancel()


async def join_by_code(url, code, name, src=None, group=None, timeout=10.0, actor="other"):
    """A participant joined by code: (wire, welcome). Raises on a refusal (the error or the close)."""
    w = await Wire.connect(url, src)
    msg = {"type": "join", "code": code, "name": name, "actor": actor}
    if group:
        msg["group"] = group
    try:
        welcome = await w.request(msg, timeout)
    except BaseException:
        await w.close()
        raise
    if welcome.get("type") != "welcome":
        await w.close()
        raise AssertionError(f"join refused: {welcome}")
    return w, welcome


async def join_facilitator_wire(url, workshop, key, src=None, timeout=10.0):
    w = await Wire.connect(url, src)
    welcome = await w.request({"type": "join", "workshop": workshop, "facilitatorKey": key}, timeout)
    assert welcome.get("type") == "welcome", welcome
    return w, welcome


def card_text(i, chars=900, alphabet="x"):
    """A card of about `chars` characters; with a multi-byte `alphabet` its bytes grow, its length not."""
    head = f"{i} "
    return head + (alphabet * chars)[: chars - len(head)]


async def fill_board(url, code, group, cards, writers=5, window=40, text=card_text, src=None):
    """Adds `cards` cards on the board of table `group` through `writers` participants, each keeping
    up to `window` commands in flight (the server's rate limit must allow it). Returns the ids."""
    ids = []

    async def writer(n, count):
        w, welcome = await join_by_code(url, code, f"Remplisseur {n}", src=src, group=group)
        board = next(b for b in welcome["workshop"]["boards"] if b["group"] == welcome["you"]["group"])
        column = board["columns"][0]["id"]
        in_flight = set()
        for i in range(count):
            fut = await w.send({"type": "card.add", "board": board["id"], "column": column, "text": text(n * 100000 + i)})
            in_flight.add(fut)
            if len(in_flight) >= window:
                done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                for d in done:
                    m = d.result()
                    assert m["type"] == "ack", m
                    ids.append(m["result"]["card"])
        for d in asyncio.as_completed(in_flight):
            m = await d
            assert m["type"] == "ack", m
            ids.append(m["result"]["card"])
        await w.close()

    per = [cards // writers + (1 if k < cards % writers else 0) for k in range(writers)]
    await asyncio.gather(*(writer(n, c) for n, c in enumerate(per) if c))
    return ids


# ---------------------------------------------------------------------------------------------
# The attackers of the hostile room, each its own process.

class Stop:
    def __init__(self, seconds):
        self.deadline = time.monotonic() + seconds
        self.flag = False
        signal.signal(signal.SIGTERM, self._stop)

    def _stop(self, *_):
        self.flag = True

    def __bool__(self):
        return self.flag or time.monotonic() > self.deadline


def big_text(i):
    """About 1,000 characters, under the card limit."""
    return (f"flood {i} " + "".join(random.choice(string.ascii_letters) for _ in range(40)) + "x" * 1000)[:990]


async def flooder(cfg, stop):
    """One participant, `connections` connections, each sending `card.add` faster than allowed;
    on `rate_limited` or a close (4002…) it reconnects and goes on."""
    url, code = cfg["url"], cfg["code"]
    stats = {"sent": 0, "acks": 0, "errors": {}, "closes": {}, "reconnects": 0}
    w, welcome = await join_by_code(url, code, "Inondeur", src=cfg["src"], actor="other")
    token = welcome["you"]["token"]
    board = next(b for b in welcome["workshop"]["boards"] if b["group"] == welcome["you"]["group"])
    await w.close()

    def count(m):
        if m.get("type") == "ack":
            stats["acks"] += 1
        elif m.get("type") == "error":
            stats["errors"][m.get("code")] = stats["errors"].get(m.get("code"), 0) + 1

    async def one(k):
        n = 0
        generation = 0
        while not stop:
            c = None
            generation += 1
            try:
                c = await Wire.connect(url, cfg["src"], on_message=count)
                r = await c.request({"type": "join", "token": token}, 10)
                if r.get("type") != "welcome":
                    count(r)
                    await c.close()
                    await asyncio.sleep(0.5)
                    continue
                while not stop and c.closed is None:
                    n += 1
                    # Ids unique across its connections: a re-used id would get the remembered
                    # answer, not a new card.
                    fut = await c.send({"id": f"f{k}-{generation}-{n}", "type": "card.add", "board": board["id"],
                                        "column": board["columns"][0]["id"],
                                        "text": big_text(k * 1000000 + n)})
                    fut.add_done_callback(lambda f: f.exception() or count(f.result()))
                    stats["sent"] += 1
                    await asyncio.sleep(1 / cfg.get("rate", 60))
                await c.close()
            except (websockets.exceptions.ConnectionClosed, ConnectionError, OSError, asyncio.TimeoutError):
                pass
            if c is not None and c.closed is not None:
                stats["closes"][str(c.closed)] = stats["closes"].get(str(c.closed), 0) + 1
            stats["reconnects"] += 1
            await asyncio.sleep(0.3)

    await asyncio.gather(*(one(k) for k in range(cfg.get("connections", 10))))
    return stats


async def non_reader(cfg, stop):
    """Joins, never reads, pings every `ping_every` s; when the server cuts it, joins again as the
    same participant (a new non-reading connection)."""
    stats = {"connections": 0, "pings": 0, "cut": 0}
    client_key = "nonreader-" + base64.b32encode(os.urandom(10)).decode().lower()
    sock = None
    last_ping = 0
    loop = asyncio.get_running_loop()
    while not stop:
        if sock is None:
            try:
                sock = await loop.run_in_executor(None, lambda: raw_websocket(cfg["port"], cfg["src"], rcvbuf=4096))
                stats["connections"] += 1
                # The same `clientKey` on every join: the same participant each time, without
                # ever reading a token.
                join = {"id": "j", "type": "join", "code": cfg["code"], "name": "Muet", "actor": "other",
                        "clientKey": client_key}
                sock.sendall(text_frame(json.dumps(join)))
                last_ping = time.monotonic()
            except (OSError, ConnectionError, AssertionError):
                sock = None
                await asyncio.sleep(1)
                continue
        if time.monotonic() - last_ping >= cfg.get("ping_every", 10):
            try:
                sock.setblocking(False)
                sock.send(text_frame(json.dumps({"id": f"p{stats['pings']}", "type": "ping"})))
                stats["pings"] += 1
            except (BlockingIOError, OSError):
                stats["cut"] += 1
                sock.close()
                sock = None
            last_ping = time.monotonic()
        await asyncio.sleep(0.2)
    if sock:
        sock.close()
    return stats


async def join_flooder(cfg, stop):
    """New participants as fast as the server answers (`parallel` at once), one in three with a
    wrong code."""
    stats = {"welcomes": 0, "errors": {}, "closes": 0}

    async def one(k):
        n = 0
        while not stop:
            n += 1
            wrong = n % 3 == 0
            code = "ZZZZ-" + "".join(random.choice("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(4)) if wrong else cfg["code"]
            try:
                w = await Wire.connect(cfg["url"], cfg["src"])
                try:
                    r = await w.request({"type": "join", "code": code, "name": f"Foule {k}-{n}", "actor": "other"}, 10)
                    if r.get("type") == "welcome":
                        stats["welcomes"] += 1
                    else:
                        stats["errors"][r.get("code")] = stats["errors"].get(r.get("code"), 0) + 1
                finally:
                    await w.close()
            except (ConnectionError, OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
                stats["closes"] += 1
                await asyncio.sleep(0.2)

    await asyncio.gather(*(one(k) for k in range(cfg.get("parallel", 4))))
    return stats


def connect_flooder(cfg, stop):
    """Keeps `sockets` connections each sending `CONNECT`, reopening each one the server closes."""
    sel = selectors.DefaultSelector()
    stats = {"opened": 0, "answered_405": 0, "other_answers": 0, "closed_unanswered": 0, "open_failures": 0}
    req = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
    bufs = {}

    def open_one():
        s = socket.socket()
        s.setblocking(False)
        try:
            s.bind((cfg["src"], 0))
            s.connect_ex(("127.0.0.1", cfg["port"]))
        except OSError:
            s.close()
            stats["open_failures"] += 1
            return
        sel.register(s, selectors.EVENT_WRITE)
        bufs[s] = None  # not yet sent
        stats["opened"] += 1

    for _ in range(cfg.get("sockets", 300)):
        open_one()
    while not stop:
        for key, ev in sel.select(0.2):
            s = key.fileobj
            try:
                if bufs[s] is None:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                        raise ConnectionError
                    s.send(req)
                    bufs[s] = b""
                    sel.modify(s, selectors.EVENT_READ)
                    continue
                chunk = s.recv(65536)
                if chunk:
                    bufs[s] += chunk
                    continue
            except (OSError, ConnectionError):
                pass
            data = bufs.pop(s) or b""
            sel.unregister(s)
            s.close()
            if data.startswith(b"HTTP/1.1 405"):
                stats["answered_405"] += 1
            elif data:
                stats["other_answers"] += 1
            else:
                stats["closed_unanswered"] += 1
            open_one()
        if len(bufs) < cfg.get("sockets", 300):
            open_one()
    stats["still_open"] = len(bufs)
    for s in list(bufs):
        s.close()
    return stats


def main():
    role, cfg = sys.argv[1], json.loads(sys.argv[2])
    stop = Stop(cfg.get("seconds", 60))
    if role == "connect":
        stats = connect_flooder(cfg, stop)
    else:
        fn = {"flood": flooder, "nonreader": non_reader, "joins": join_flooder}[role]
        stats = asyncio.run(fn(cfg, stop))
    print(json.dumps({"role": role, **stats}), flush=True)


if __name__ == "__main__":
    main()
