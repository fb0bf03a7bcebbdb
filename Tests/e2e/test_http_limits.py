"""HTTP that lets go (issue 11): every request gets an answer or the door, as a JSON error, and no
connection is held open by one that never finishes. Raw sockets, the real server."""
import contextlib
import json
import socket
import tempfile
import time

import pytest

from attack import (assert_json_error, healthz, http_exchange, http_request, parse_response,
                    read_until_closed, send_quietly, tcp)
from conftest import Server, free_port


@contextlib.contextmanager
def running(extra_args=(), database=None):
    with tempfile.TemporaryDirectory(prefix="atelier-http-") as data_dir:
        s = Server(data_dir, free_port(), database=database, extra_args=list(extra_args)).start()
        try:
            yield s
        finally:
            s.stop()


# ---------------------------------------------------------------------------------------------
# 1. Methods nobody serves: 405, and the door.

@pytest.mark.parametrize("request_line", ["CONNECT example.com:443 HTTP/1.1", "TRACE / HTTP/1.1", "FOO / HTTP/1.1"])
def test_an_unsupported_method_is_answered_405_and_the_connection_closed(server, request_line):
    """Today `CONNECT` gets no answer at all and the connection is held forever (issue 11, finding
    3: 20,000 of them exhausted the descriptors); `TRACE`/`FOO` get libwebsockets' HTML 403."""
    host = request_line.split()[1] if request_line.startswith("CONNECT") else f"127.0.0.1:{server.port}"
    data, closed, _ = http_exchange(server.port, f"{request_line}\r\nHost: {host}\r\n\r\n".encode(), timeout=3)
    r = parse_response(data)
    assert r is not None and r.status_line.startswith("HTTP/1.1 405"), f"{request_line!r}: {data[:300]!r}"
    assert "allow" in r.headers, r
    assert_json_error(r, 405, "bad_request")
    assert closed, f"{request_line!r}: answered, but the connection was still open 3 s later"


@pytest.mark.parametrize("method, path", [("POST", "/index.html"), ("DELETE", "/"), ("PUT", "/js/home.js")])
def test_a_static_path_answers_only_get_and_head(server, method, path):
    """Today `POST /index.html` returns the page (200) and `DELETE /` the HTML 404."""
    data, _, _ = http_exchange(server.port, http_request(method, path, ["Content-Length: 0", "Connection: close"],
                                                          port=server.port), timeout=3)
    r = parse_response(data)
    assert_json_error(r, 405)
    assert "allow" in r.headers, r


def test_api_paths_keep_their_405_and_404(server):
    """Regression guard: the route table answers a known path's other methods with 405 and
    `allow`, an unknown `/api/…` with a JSON 404."""
    data, _, _ = http_exchange(server.port, http_request("DELETE", "/healthz", ["Connection: close"], port=server.port))
    r = parse_response(data)
    assert_json_error(r, 405, "bad_request")
    assert "GET" in r.headers.get("allow", ""), r
    data, _, _ = http_exchange(server.port, http_request("GET", "/api/nope", ["Connection: close"], port=server.port))
    assert_json_error(parse_response(data), 404, "not_found")


# ---------------------------------------------------------------------------------------------
# 3. Headers: 431 over 8 KiB, the door over 16 KiB.

def test_headers_over_8_kib_are_answered_431(server):
    """Today any header block over ~4 KB is dropped without a status."""
    req = http_request("GET", "/healthz", ["X-Big: " + "a" * 10240, "Connection: close"], port=server.port)
    data, _, _ = http_exchange(server.port, req, timeout=3)
    assert_json_error(parse_response(data), 431, "bad_request")


def test_many_headers_totalling_over_8_kib_are_answered_431(server):
    """The bound is on the whole header block, not on one header: nine headers of 1 KiB."""
    headers = [f"X-Part-{i}: " + "c" * 1024 for i in range(9)] + ["Connection: close"]
    data, _, _ = http_exchange(server.port, http_request("GET", "/healthz", headers, port=server.port), timeout=3)
    assert_json_error(parse_response(data), 431, "bad_request")


def test_headers_over_16_kib_close_the_connection_without_a_success(server):
    req = http_request("GET", "/healthz", ["X-Big: " + "a" * (20 * 1024), "Connection: close"], port=server.port)
    data, closed, _ = http_exchange(server.port, req, timeout=3)
    assert not data.startswith(b"HTTP/1.1 2"), data[:300]
    assert closed, "a 20 KiB header block: the connection was still open 3 s later"
    if data:
        r = parse_response(data)
        assert r is not None and r.status >= 400, data[:300]


def test_headers_just_under_8_kib_are_served(server):
    """The limit is not lower than it says: a 7 KiB header still gets `/healthz`."""
    req = http_request("GET", "/healthz", ["X-Big: " + "a" * (7 * 1024), "Connection: close"], port=server.port)
    data, _, _ = http_exchange(server.port, req, timeout=3)
    r = parse_response(data)
    assert r is not None and r.status == 200, data[:300]


# ---------------------------------------------------------------------------------------------
# 4, 5. Bodies: none announced (400), the wrong type (415).

@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_body_method_without_length_or_encoding_gets_400_at_once(server, method):
    """Today a POST without `Content-Length` waits ~5 s and is closed without an answer. The 400
    comes before any routing: without a length the server cannot tell where the body ends."""
    req = http_request(method, "/api/workshops", [f"Authorization: Bearer {server.admin_token}",
                                                   "Content-Type: application/json"], port=server.port)
    started = time.monotonic()
    with tcp(server.port) as s:
        s.sendall(req)
        data = b""
        s.settimeout(0.5)
        while parse_response(data) is None and time.monotonic() - started < 3:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    elapsed = time.monotonic() - started
    r = parse_response(data)
    assert r is not None, f"{method} without a body length: no answer within {elapsed:.1f} s"
    assert_json_error(r, 400, "bad_request")
    assert elapsed < 2, f"answered after {elapsed:.1f} s, not at once"


@pytest.mark.parametrize("headers, body, status", [
    (["Transfer-Encoding: chunked"], b"2\r\n{}\r\n0\r\n\r\n", 411),
    (["Content-Length: abc"], b"{}", 400),
    (["Content-Length: -5"], b"{}", 400),
    (["Content-Length: 99999999999"], b"{}", 413),
], ids=["chunked", "unreadable-length", "negative-length", "length-over-1-MiB"])
def test_a_body_libwebsockets_cannot_read_is_answered_at_once(server, headers, body, status):
    """libwebsockets 4.1 reads a body by its length only: these were waited for ~5 s and dropped
    without an answer."""
    req = http_request("POST", "/api/workshops", [f"Authorization: Bearer {server.admin_token}",
                                                   "Content-Type: application/json", *headers], body, port=server.port)
    started = time.monotonic()
    data, _, _ = http_exchange(server.port, req, timeout=4)
    assert_json_error(parse_response(data), status)
    assert time.monotonic() - started < 2


def test_a_body_that_stops_coming_gets_408_before_it_is_dropped(server):
    """A body announced longer than what is sent: libwebsockets would drop the connection after
    5 s of silence without a word; the 408 comes first."""
    req = http_request("POST", "/api/workshops", [f"Authorization: Bearer {server.admin_token}",
                                                   "Content-Type: application/json", "Content-Length: 10"], b"{}", port=server.port)
    data, _, _ = http_exchange(server.port, req, timeout=8)
    assert_json_error(parse_response(data), 408)


def test_a_body_of_another_type_than_json_gets_415(server):
    body = json.dumps({"title": "Texte brut"}).encode()
    req = http_request("POST", "/api/workshops", [f"Authorization: Bearer {server.admin_token}",
                                                   "Content-Type: text/plain", f"Content-Length: {len(body)}",
                                                   "Connection: close"], body, port=server.port)
    data, _, _ = http_exchange(server.port, req, timeout=5)
    assert_json_error(parse_response(data), 415)


def test_the_same_body_as_json_creates_the_workshop(server):
    """The control of the 415 test: same request, the right type."""
    body = json.dumps({"title": "En JSON"}).encode()
    req = http_request("POST", "/api/workshops", [f"Authorization: Bearer {server.admin_token}",
                                                   "Content-Type: application/json; charset=utf-8",
                                                   f"Content-Length: {len(body)}", "Connection: close"], body, port=server.port)
    data, _, _ = http_exchange(server.port, req, timeout=5)
    r = parse_response(data)
    assert r is not None and r.status == 201, data[:300]


# ---------------------------------------------------------------------------------------------
# 6. A body trickled: 408 and the door.

def test_a_body_trickled_byte_by_byte_gets_408_and_is_closed():
    """Headers announcing 100 bytes, then one byte a second: with `--http-request-seconds 3` the
    server answers 408 and closes within a few seconds (default 15 s). Today the trickle keeps the
    connection forever."""
    with running(["--http-request-seconds", "3"]) as server:
        head = http_request("POST", "/api/workshops", [f"Authorization: Bearer {server.admin_token}",
                                                        "Content-Type: application/json", "Content-Length: 100"],
                            port=server.port)
        with tcp(server.port) as s:
            s.sendall(head)
            started = time.monotonic()
            data, closed = b"", False
            while time.monotonic() - started < 8 and not closed:
                send_quietly(s, b" ")
                chunk, closed, _ = read_until_closed(s, 1.0)
                data += chunk
            elapsed = time.monotonic() - started
        r = parse_response(data)
        assert closed, f"still open {elapsed:.1f} s after the headers; received {data[:200]!r}"
        assert_json_error(r, 408)


# ---------------------------------------------------------------------------------------------
# 7. Timeouts libwebsockets already keeps (regression guards).

def test_a_connection_that_sends_nothing_is_closed_within_12_s(server):
    with tcp(server.port) as s:
        data, closed, after = read_until_closed(s, 12)
    assert closed, "a silent connection was still open after 12 s"
    assert not data.startswith(b"HTTP/1.1 2"), data[:200]


def test_headers_trickled_are_closed_within_12_s(server):
    req = http_request("GET", "/healthz", ["X-Slow: " + "b" * 200], port=server.port)
    with tcp(server.port) as s:
        started = time.monotonic()
        closed = False
        i = 0
        while time.monotonic() - started < 12 and not closed:
            if not send_quietly(s, req[i:i + 3]):
                closed = True
                break
            i += 3
            _, closed, _ = read_until_closed(s, 1.5)
        elapsed = time.monotonic() - started
    assert closed, f"headers trickled 3 bytes every 1.5 s: still open after {elapsed:.1f} s"


def test_an_idle_keep_alive_connection_is_closed_within_7_s(server):
    """Today libwebsockets keeps an idle keep-alive connection open about 5 s after its answer
    (issue 11 measured ~150 s on an earlier build)."""
    with tcp(server.port) as s:
        s.sendall(http_request("GET", "/healthz", port=server.port))
        data = b""
        s.settimeout(3)
        while parse_response(data) is None or len(parse_response(data).body) < int(parse_response(data).headers.get("content-length", 0)):
            chunk = s.recv(65536)
            assert chunk, "closed before the answer"
            data += chunk
        assert parse_response(data).status == 200
        rest, closed, after = read_until_closed(s, 7)
    assert closed, "an idle keep-alive connection was still open 7 s after its answer"


# ---------------------------------------------------------------------------------------------
# 8. Every connection counts in the per-address cap.

CAP_ARGS = ["--max-connections-per-address", "4", "--max-sockets-per-address", "8"]


def wait_healthz(port, src, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if healthz(port, src, timeout=2) == 200:
            return True
        time.sleep(0.2)
    return False


def still_open(sock):
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def hold_silent(port, n):
    """`n` silent connections that the server accepted and kept. The server counts a connection
    out when it sees it closed: one that just ended (the fixture's `/healthz` check) can still
    count for a moment and get one of the `n` refused, so that round is tried again."""
    for _ in range(10):
        held = [tcp(port) for _ in range(n)]
        time.sleep(0.3)  # the server accepted them all (it counts at accept)
        if all(still_open(s) for s in held):
            return held
        for s in held:
            s.close()
        time.sleep(0.5)
    raise AssertionError(f"the server never kept {n} silent connections from one address")


def test_silent_sockets_count_in_the_per_address_cap():
    """8 silent connections fill 127.0.0.1's 8 sockets: a 9th from it is closed at once without an
    answer, while another address is served; once the 8 close, 127.0.0.1 is served again."""
    with running(CAP_ARGS) as server:
        held = hold_silent(server.port, 8)
        try:
            with tcp(server.port) as ninth:
                send_quietly(ninth, http_request("GET", "/healthz", ["Connection: close"], port=server.port))
                data, closed, after = read_until_closed(ninth, 2)
            assert closed, "a 9th connection from 127.0.0.1 was still open 2 s later"
            assert data == b"", f"the 9th connection got an answer: {data[:200]!r}"
            assert healthz(server.port, "127.0.0.2") == 200, "another address is not served while 127.0.0.1 is full"
        finally:
            for s in held:
                s.close()
        assert wait_healthz(server.port, None, 5), "127.0.0.1 was not served again after its 8 connections closed"


def connect_round(port, n):
    """`n` connections at once, each sending `CONNECT`: what each received, and whether it was closed."""
    socks = [tcp(port) for _ in range(n)]
    try:
        for s in socks:
            send_quietly(s, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        return [read_until_closed(s, 3)[:2] for s in socks]
    finally:
        for s in socks:
            s.close()


def test_connect_requests_never_pin_a_slot():
    """Each `CONNECT` is answered 405 and closed: three rounds of 8 at once through a cap of 8
    sockets, then `/healthz` from the same address still works. The server counts a connection out
    once it has seen it end, a moment after the client closed it: a round that finds a slot still
    taken (a connection closed at once without an answer) is tried again, for 5 s at most."""
    with running(CAP_ARGS) as server:
        for round_ in range(3):
            deadline = time.monotonic() + 5
            while True:
                results = connect_round(server.port, 8)
                refused = sum(1 for data, closed in results if closed and data == b"")
                if not refused or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            for data, closed in results:
                r = parse_response(data)
                assert r is not None and r.status == 405, f"round {round_ + 1}: {data[:200]!r}"
                assert closed, f"round {round_ + 1}: a CONNECT was answered but its connection kept open"
        assert wait_healthz(server.port, None, 5), "/healthz from 127.0.0.1 refused after the CONNECTs"
