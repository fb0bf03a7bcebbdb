"""Slow and dead peers, through the real server: they are let go, and nobody else waits for them."""
import asyncio
import base64
import json
import os
import socket
import tempfile
import time

import pytest

from conftest import Client, Server, free_port, join_facilitator, join_participant, board_of


@pytest.fixture
def tight_server():
    """A server with small limits, so the tests run in seconds."""
    with tempfile.TemporaryDirectory(prefix="atelier-peers-") as data_dir:
        s = Server(data_dir, free_port(), extra_args=[
            "--max-queued-bytes", "65536", "--messages-per-second", "2000",
            "--ping-after", "1", "--drop-after", "3"]).start()
        try:
            yield s
        finally:
            s.stop()


def raw_websocket(server, rcvbuf=None):
    """A WebSocket by hand: it completes the handshake, then does only what the test says
    (a library client would answer pings and read its socket)."""
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: atelier.v1\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def send_text(sock, text):
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    n = len(payload)
    header += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def test_a_reader_that_stops_is_closed_1008_without_slowing_the_others(tight_server):
    server = tight_server
    slow = raw_websocket(server, rcvbuf=4096)
    send_text(slow, json.dumps({"id": "j", "type": "join", "code": server.info["code"], "name": "Lent", "actor": "other"}))
    sent = 0

    async def scenario():
        nonlocal sent
        writer, w = await join_participant(server, "Rapide")
        reader, _ = await join_participant(server, "Lecteur", group=w["you"]["group"])
        board = board_of(w)["id"]
        for n in range(2500):
            text = f"{n} " + "x" * 900
            ack = await writer.request({"type": "card.add", "board": board, "column": "problems", "text": text})
            assert ack["type"] == "ack"
            # The reader who keeps up gets every card meanwhile.
            await reader.expect(lambda m: m.get("type") == "card.added" and m["card"]["id"] == ack["result"]["card"])
            sent += len(text)

    asyncio.run(scenario())
    # The stalled reader, reading at last, finds the end of its stream: a close with 1008, then
    # the end of the connection, and much less than everything that was broadcast.
    data, ended = drain(slow)
    assert ended, "the server let go of the connection"
    assert close_code(data) == 1008
    assert len(data) < sent


def drain(sock, timeout=10):
    """Everything the socket still gives, and whether it reached the end (the server closed)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except (socket.timeout, ConnectionResetError):
        return data, False


def close_code(data):
    """The status code of the close frame among the server's frames."""
    i = 0
    while i + 2 <= len(data):
        opcode = data[i] & 0x0F
        n = data[i + 1] & 0x7F
        h = 2
        if n == 126:
            n = int.from_bytes(data[i + 2:i + 4], "big"); h = 4
        elif n == 127:
            n = int.from_bytes(data[i + 2:i + 10], "big"); h = 10
        if opcode == 0x8:
            return int.from_bytes(data[i + h:i + h + 2], "big")
        i += h + n
    return None


def test_a_silent_peer_is_freed(tight_server):
    server = tight_server
    dead = raw_websocket(server)
    started = time.monotonic()
    # A functional bound, not a timing measure: with --drop-after 3 it must go long before 30 s.
    data = drain_until_closed(dead, 30)
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"freed after {elapsed:.1f}s with --drop-after 3"
    assert data[:1] == b"\x89", "it was pinged first"


def drain_until_closed(sock, timeout):
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
