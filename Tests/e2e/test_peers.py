"""Slow and dead peers, through the real server: they are let go, and nobody else waits for them."""
import asyncio
import base64
import json
import os
import socket
import tempfile
import time

import pytest
import websockets
import websockets.exceptions  # websockets loads it lazily: a test run alone needs it imported

from conftest import Client, Server, free_port, join_facilitator, join_participant, board_of


@pytest.fixture
def tight_server():
    """A server with small limits, so the tests run in seconds."""
    with tempfile.TemporaryDirectory(prefix="atelier-peers-") as data_dir:
        s = Server(data_dir, free_port(), extra_args=[
            "--max-queued-bytes", "65536", "--messages-per-second", "2000",
            "--ping-after", "1", "--drop-after", "3", "--capacity-factor", "100"]).start()
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


@pytest.fixture
def queue_server():
    """A server whose only tight limit is the outbound queue (64 KiB): liveness keeps long delays,
    so a stalled reader can be let go only because its queue overflowed, not for its silence."""
    with tempfile.TemporaryDirectory(prefix="atelier-peers-") as data_dir:
        s = Server(data_dir, free_port(), extra_args=[
            "--max-queued-bytes", "65536", "--messages-per-second", "2000",
            "--ping-after", "600", "--drop-after", "1200",
            # Only the queue's bound may let the stalled reader go here: the stall timer (30 s
            # without progress) would also drop it, and hid a broken bound (trn-slow-reader-queue).
            "--stall-seconds", "3600",
            "--capacity-factor", "100"]).start()  # one writer adds thousands of cards
        try:
            yield s
        finally:
            s.stop()


# A generous bound, not a timing measure. Before the server can notice a stalled reader, the
# kernel buffers of both ends fill up (their sizes vary from machine to machine: on loopback the
# server's send buffer grows to megabytes); then the queue passes 64 KiB, the close 4001 is queued,
# and the connection is cut at most 5 s later.
LET_GO_WITHIN_S = 90
# The same bound in bytes: the kernel's buffers on loopback are at most a few MiB per direction
# (net.ipv4.tcp_wmem's maximum is 4 MiB on Debian; the stalled reader's receive buffer is 4 KiB),
# so once ~16 MiB of cards (16,000 of ~1 KB) were broadcast, a 64 KiB queue has long overflowed (runs here
# let go after 1,800 to 4,700 cards, the 5 s before the cut included).
# A queue bound that does not hold (the mutant trn-slow-reader-queue: 64 MiB) fails here, not at
# the time limit.
LET_GO_WITHIN_CARDS = 16000


def test_a_reader_that_stops_is_closed_4001_without_slowing_the_others(queue_server):
    """A participant whose socket is never read while cards pour in. The server lets go of it
    (its queue is dropped, a close 4001 is queued, and the connection is cut if even that cannot
    be written), and the reader who keeps up meanwhile gets every card, in order.

    Whether the stalled reader finds the 4001 close frame at the end of its stream depends on the
    kernel's socket buffers (the close is queued behind frames that may never fit), so the test
    asserts what must hold either way: the connection ended, a close frame if any says 4001, the
    dropped queue never reached it, nor anything broadcast after the server let it go."""
    server = queue_server
    slow = raw_websocket(server, rcvbuf=4096)
    broadcast = []  # card ids, in order
    let_go_at = None  # how many cards were broadcast when the server reported it gone

    async def scenario():
        nonlocal let_go_at
        writer, w = await join_participant(server, "Rapide")
        group = w["you"]["group"]
        reader, _ = await join_participant(server, "Lecteur", group=group)
        send_text(slow, json.dumps({"id": "j", "type": "join", "code": server.info["code"], "name": "Lent",
                                    "actor": "other", "group": group}))
        joined = await reader.expect(lambda m: m.get("type") == "participant.joined" and m["participant"]["name"] == "Lent")
        stalled = joined["participant"]["id"]
        board = board_of(w)["id"]

        def gone():
            # The server's own word that it closed the stalled connection: its presence goes offline.
            return any(m.get("type") == "presence" and m.get("participant") == stalled and m.get("online") is False
                       for m in reader.inbox)

        started = time.monotonic()
        # Once it is gone, as many cards again (at least 200): none of them may reach it.
        while let_go_at is None or len(broadcast) < 2 * max(let_go_at, 200):
            if let_go_at is None:
                assert time.monotonic() - started < LET_GO_WITHIN_S, (
                    f"the stalled reader was still connected after {len(broadcast)} cards and {LET_GO_WITHIN_S} s")
                assert len(broadcast) < LET_GO_WITHIN_CARDS, (
                    f"the stalled reader was still connected after {len(broadcast)} cards (~{len(broadcast)} KB)")
            text = f"{len(broadcast)} " + "x" * 900
            ack = await writer.request({"type": "card.add", "board": board, "column": "problems", "text": text})
            assert ack["type"] == "ack", ack
            broadcast.append(ack["result"]["card"])
            writer.inbox.clear()  # its own copies of the cards: nobody reads them
            # The reader who keeps up gets every card meanwhile, in order.
            got = await reader.expect(lambda m: m.get("type") == "card.added")
            assert got["card"]["id"] == broadcast[-1]
            if let_go_at is None and gone():
                let_go_at = len(broadcast)
        for x in (writer, reader):
            await x.close()

    asyncio.run(scenario())

    # The stalled reader, reading at last, finds what its socket still holds, then the end.
    data, ended = drain(slow)
    assert ended, "the server let go of the stalled connection (end of stream or reset)"
    code = close_code(data)
    assert code in (None, 4001), f"closed with {code}, not 4001"
    order = {card_id: i for i, card_id in enumerate(broadcast)}
    received = [order[m["card"]["id"]] for m in messages(data) if m.get("type") == "card.added"]
    assert received == sorted(set(received)), "in order, none twice"
    # The card that overflowed the queue, and the queue itself, were dropped before the server let
    # go: the stalled reader misses some of what came before, and everything after.
    assert len(received) < let_go_at, f"it got {len(received)} of the {let_go_at} cards broadcast before it was let go"
    assert all(i < let_go_at for i in received), "a card broadcast after the server let go reached the stalled reader"
    assert len(received) <= len(broadcast) // 2


def drain(sock, timeout=10):
    """Everything the socket still gives, and whether it reached the end (the server closed the
    connection: end of stream, or a reset, which may discard what the socket still held)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except ConnectionResetError:
        return data, True
    except socket.timeout:
        return data, False


def frames(data):
    """The complete frames among the server's bytes, as (opcode, payload); an unfinished last
    frame (the stream was cut) is left out. Server frames are never masked."""
    out = []
    i = 0
    while i + 2 <= len(data):
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
        out.append((opcode, data[i + h:i + h + n]))
        i += h + n
    return out


def messages(data):
    """The messages in the server's complete text frames (a frame holds one object or an array)."""
    out = []
    for opcode, payload in frames(data):
        if opcode == 0x1:
            parsed = json.loads(payload)
            out.extend(parsed if isinstance(parsed, list) else [parsed])
    return out


def close_code(data):
    """The status code of the close frame among the server's frames, or None if there is none."""
    for opcode, payload in frames(data):
        if opcode == 0x8 and len(payload) >= 2:
            return int.from_bytes(payload[:2], "big")
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


def test_too_many_connections_from_one_address_close_with_4003():
    """Over `--max-connections-per-address`, a new connection is closed with 4003 (try again
    later); the ones already open live on, and once one closes a new one is welcome again."""
    async def scenario(server):
        first = await Client.connect(server.ws_url)
        second = await Client.connect(server.ws_url)
        third = await Client.connect(server.ws_url)
        with pytest.raises(websockets.exceptions.ConnectionClosed) as e:
            await asyncio.wait_for(third.ws.recv(), 5)
        assert e.value.rcvd is not None and e.value.rcvd.code == 4003
        assert (await first.request({"type": "ping"}))["type"] == "pong"
        await second.close()
        # The server counts the closed one out when libwebsockets reports it closed: soon, not
        # necessarily before this client saw the end of its close handshake.
        deadline = time.monotonic() + 10
        while True:
            again = await Client.connect(server.ws_url)
            try:
                assert (await again.request({"type": "ping"}))["type"] == "pong"
                break
            except websockets.exceptions.ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 4003
                assert time.monotonic() < deadline, "a place never freed up after a connection closed"
                await asyncio.sleep(0.2)
        for x in (first, again):
            await x.close()

    with tempfile.TemporaryDirectory(prefix="atelier-peers-") as data_dir:
        server = Server(data_dir, free_port(), extra_args=["--max-connections-per-address", "2"]).start()
        try:
            asyncio.run(scenario(server))
        finally:
            server.stop()
