"""The foundation's end-to-end behaviour, through the real server and an independent client."""
import asyncio
import json
import random
import urllib.error
import urllib.request

import pytest
import websockets
import websockets.exceptions  # websockets loads it lazily: a test run alone needs it imported

from conftest import Client, join_facilitator, join_participant, board_of, settle


def run(coro):
    return asyncio.run(coro)


def http(server, method, path, body=None, token=None):
    req = urllib.request.Request(server.url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_first_start_prints_links(server):
    assert server.info["code"]
    assert "/join.html?code=" in server.info["join_url"]
    assert server.info["key"]


def test_two_participants_see_each_others_cards(server):
    async def scenario():
        a, wa = await join_participant(server, "Marie Dupont")
        b, wb = await join_participant(server, "Paul Martin", group=wa["you"]["group"])
        f, wf = await join_facilitator(server)
        assert wf["you"]["role"] == "facilitator"
        assert "token" not in wf["you"]
        # The seeded findings are there.
        assert any(c["author"] is None for c in wa["workshop"]["cards"])
        board = board_of(wa)
        ack = await a.request({"type": "card.add", "board": board["id"], "column": "problems",
                               "text": "Mutualiser un poste de chargé d'insertion"})
        assert ack["type"] == "ack"
        card_id = ack["result"]["card"]
        seen = await b.event("card.added")
        assert seen["card"]["id"] == card_id
        assert seen["card"]["text"] == "Mutualiser un poste de chargé d'insertion"
        assert seen["card"]["author"] == wa["you"]["participant"]
        assert seen["seq"] == ack["seq"]
        assert (await f.event("card.added"))["card"]["id"] == card_id
        for c in (a, b, f):
            await c.close()
    run(scenario())


def test_participant_cannot_change_phase_but_facilitator_can(server):
    async def scenario():
        a, _ = await join_participant(server, "Marie")
        err = await a.request({"type": "phase.set", "phase": "ideas"})
        assert err["type"] == "error" and err["code"] == "forbidden"
        assert err["message"]
        f, _ = await join_facilitator(server)
        ack = await f.request({"type": "phase.set", "phase": "ideas"})
        assert ack["type"] == "ack"
        assert (await a.event("phase.changed"))["phase"] == "ideas"
        await a.close(); await f.close()
    run(scenario())


def test_resent_message_is_answered_again_and_changes_nothing(server):
    async def scenario():
        a, wa = await join_participant(server, "Marie")
        add = {"id": "same-id", "type": "card.add", "board": board_of(wa)["id"], "column": "problems", "text": "Une seule fois"}
        first = await a.request(add)
        second = await a.request(add)
        assert first == second
        f, wf = await join_facilitator(server)
        assert [c["text"] for c in wf["workshop"]["cards"]].count("Une seule fois") == 1
        # And after a reconnect with the token, still once.
        a2 = await Client.connect(server.ws_url)
        await a2.request({"type": "join", "token": wa["you"]["token"]})
        third = await a2.request(add)
        assert third == first
        await a.close(); await a2.close(); await f.close()
    run(scenario())


def test_dropped_client_resumes_with_exactly_the_missed_events(server):
    async def scenario():
        a, wa = await join_participant(server, "Marie")
        b, wb = await join_participant(server, "Paul", group=wa["you"]["group"])
        board = board_of(wa)["id"]
        # B has seen everything up to here.
        last_seen = wb["seq"]
        for m in await settle(b):
            last_seen = max(last_seen, m.get("seq", 0))
        await b.ws.close()
        missed = []
        for n in range(5):
            ack = await a.request({"type": "card.add", "board": board, "column": "problems", "text": f"Pendant l'absence {n}"})
            missed.append(ack["result"]["card"])
        b2 = await Client.connect(server.ws_url)
        welcome = await b2.request({"type": "join", "token": wb["you"]["token"], "since": last_seen})
        assert "workshop" not in welcome
        seqs = [e["seq"] for e in welcome["events"]]
        assert seqs == list(range(last_seen + 1, welcome["seq"] + 1)), "contiguous, none twice, none missing"
        assert [e["card"]["id"] for e in welcome["events"] if e["type"] == "card.added"] == missed
        # Nothing arrives twice after the welcome.
        assert not [m for m in await settle(b2) if m.get("seq", 0) <= welcome["seq"]]
        await a.close(); await b2.close()
    run(scenario())


def test_foreign_origin_is_refused_with_403(server):
    async def scenario():
        with pytest.raises(websockets.exceptions.InvalidStatus) as e:
            await websockets.connect(server.ws_url, subprotocols=["atelier.v1"], origin="http://evil.example")
        assert e.value.response.status_code == 403
        # The server's own origin is fine.
        ws = await websockets.connect(server.ws_url, subprotocols=["atelier.v1"], origin=f"http://127.0.0.1:{server.port}")
        await ws.close()
    run(scenario())


def test_protocol_limits_close_with_the_right_codes(server):
    async def scenario():
        c = await Client.connect(server.ws_url)
        await c.ws.send(b"\x00\x01binary")
        with pytest.raises(websockets.exceptions.ConnectionClosed) as e:
            await asyncio.wait_for(c.ws.recv(), 5)
        assert e.value.rcvd.code == 1003
        c = await Client.connect(server.ws_url, max_size=None)
        await c.ws.send(json.dumps({"id": "big", "type": "ping", "pad": "x" * (64 * 1024)}))
        with pytest.raises(websockets.exceptions.ConnectionClosed) as e:
            await asyncio.wait_for(c.ws.recv(), 5)
        assert e.value.rcvd.code == 1009
        # Bad input that is still a text frame gets an error and the connection lives on.
        c = await Client.connect(server.ws_url)
        await c.ws.send("pas du json")
        err = await c.expect(lambda m: m["type"] == "error")
        assert err["code"] == "bad_request"
        pong = await c.request({"type": "ping"})
        assert pong["type"] == "pong"
        err = await c.request({"type": "card.delete", "card": "c_1"})
        assert err["code"] == "unauthenticated"
        await c.close()
    run(scenario())


def test_http_api(server):
    status, body, headers = http(server, "GET", "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert "content-security-policy" in {k.lower() for k in headers}
    status, body, _ = http(server, "POST", "/api/workshops", {"plan": "iae-saone-et-loire"})
    assert status == 401 and json.loads(body)["error"]["code"] == "unauthenticated"
    status, body, _ = http(server, "POST", "/api/workshops", {"plan": "iae-saone-et-loire"}, token="wrong")
    assert status == 403
    status, body, _ = http(server, "POST", "/api/workshops", {"plan": "inconnu"}, token=server.admin_token)
    assert status == 404
    status, body, _ = http(server, "POST", "/api/workshops", {"plan": "iae-saone-et-loire", "title": "Atelier de mars"},
                           token=server.admin_token)
    assert status == 201
    created = json.loads(body)
    assert set(created) >= {"id", "joinCode", "facilitatorKey", "joinUrl", "facilitatorUrl"}
    status, body, headers = http(server, "GET", f"/api/workshops/{created['id']}/export?format=json", token=created["facilitatorKey"])
    assert status == 200
    doc = json.loads(body)
    assert doc["schemaVersion"] == 2 and doc["workshop"]["title"] == "Atelier de mars"
    assert len(doc["tables"]) == 5
    status, _, _ = http(server, "GET", f"/api/workshops/{created['id']}/export?format=json", token=server.info["key"])
    assert status == 403
    status, _, _ = http(server, "GET", "/api/nothing")
    assert status == 404

    # The new workshop is joinable right away.
    async def scenario():
        c = await Client.connect(server.ws_url)
        welcome = await c.request({"type": "join", "code": created["joinCode"].lower(), "name": "Léa", "actor": "public"})
        assert welcome["workshop"]["id"] == created["id"]
        await c.close()
    run(scenario())


def test_kill_9_loses_nothing_acknowledged(server):
    """Several clients write; the server is killed with SIGKILL mid-stream; after a restart every
    acknowledged card is in the facilitator's welcome."""
    acked = set()

    async def writer(name, stop):
        c, w = await join_participant(server, name)
        board = board_of(w)["id"]
        n = 0
        try:
            while not stop.is_set():
                msg_id = await c.send({"type": "card.add", "board": board, "column": "problems", "text": f"{name} {n}"})
                n += 1
                m = await c.reply(msg_id, timeout=5)
                if m["type"] == "ack":
                    acked.add(m["result"]["card"])
        except (websockets.exceptions.ConnectionClosed, AssertionError, asyncio.TimeoutError, OSError):
            pass

    async def scenario():
        stop = asyncio.Event()
        tasks = [asyncio.create_task(writer(f"Auteur{i}", stop)) for i in range(6)]
        await asyncio.sleep(random.uniform(0.6, 1.2))
        server.kill9()
        stop.set()
        await asyncio.gather(*tasks)

    run(scenario())
    assert len(acked) > 20, "the load produced acknowledged cards before the kill"
    server.start()

    async def check():
        f, wf = await join_facilitator(server)
        present = {c["id"] for c in wf["workshop"]["cards"]}
        missing = acked - present
        assert not missing, f"{len(missing)} acknowledged cards lost"
        await f.close()
    run(check())


def test_sigterm_closes_connections_with_1001_and_keeps_everything(server):
    async def scenario():
        a, wa = await join_participant(server, "Marie")
        ack = await a.request({"type": "card.add", "board": board_of(wa)["id"], "column": "problems", "text": "Avant l'arrêt"})
        server.stop()
        with pytest.raises(websockets.exceptions.ConnectionClosed) as e:
            while True:
                await asyncio.wait_for(a.ws.recv(), 10)
        assert e.value.rcvd is not None and e.value.rcvd.code == 1001
        assert server.proc.returncode == 0
        server.start()
        f, wf = await join_facilitator(server)
        assert ack["result"]["card"] in {c["id"] for c in wf["workshop"]["cards"]}
        await f.close()
    run(scenario())


def test_workshop_created_by_the_cli_is_joinable_while_running(server):
    import subprocess
    from conftest import BINARY, ROOT
    out = subprocess.run([BINARY, "workshop", "create", "--plan", "iae-saone-et-loire", "--title", "Atelier CLI",
                          *server.storage_args, "--plans", ROOT + "/sessions"],
                         capture_output=True, text=True, check=True).stdout
    code = next(line.split(":")[-1].strip() for line in out.splitlines() if "Code pour rejoindre" in line)

    async def scenario():
        c = await Client.connect(server.ws_url)
        welcome = await c.request({"type": "join", "code": code, "name": "Léa", "actor": "network"})
        assert welcome["type"] == "welcome"
        assert welcome["workshop"]["title"] == "Atelier CLI"
        await c.close()
    run(scenario())


def test_a_rate_limited_message_is_named_and_can_be_sent_again(server):
    """More than the burst at once (docs/protocol.md, "Limits"): each refused message gets
    `rate_limited` with its own id in `re`, so a client knows which to send again, and sending it
    again with the same id a moment later is answered."""
    async def scenario():
        c, _ = await join_participant(server, "Pressée")
        ids = [await c.send({"id": f"p{n}", "type": "ping"}) for n in range(75)]
        answers = {}
        while len(answers) < len(ids):
            m = await c.expect(lambda m: m.get("re") in ids and m["re"] not in answers, timeout=10)
            answers[m["re"]] = m
        refused = [i for i in ids if answers[i].get("code") == "rate_limited"]
        assert refused, "75 at once is over the burst"
        assert all(answers[i]["type"] == "pong" for i in ids if i not in refused)
        assert all(answers[i]["message"] for i in refused)
        await asyncio.sleep(1.5)
        for i in refused[:10]:
            assert (await c.request({"id": i, "type": "ping"}, timeout=10))["type"] == "pong"
        await c.close()
    run(scenario())


def test_flooding_is_rate_limited_then_closed_and_others_are_fine(server):
    """A burst well over the limit (60 at once, then 20/s): `rate_limited` errors, then 4002.
    Sent by hand in one write, so the server has read everything when it closes (a client that
    goes on writing into a closed connection gets a TCP reset, which would hide the close frame)."""
    import os
    from test_peers import raw_websocket, close_code

    def frame(text):
        payload, mask = text.encode(), os.urandom(4)
        return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    async def scenario():
        calm, wc = await join_participant(server, "Calme")
        flood = raw_websocket(server)
        flood.sendall(b"".join(frame(json.dumps({"id": f"f{n}", "type": "ping"})) for n in range(150)))
        flood.settimeout(10)
        data = b""
        while True:
            chunk = flood.recv(65536)
            if not chunk:
                break
            data += chunk
        assert b'"code":"rate_limited"' in data
        assert close_code(data) == 4002  # docs/protocol.md: too many messages
        assert (await calm.request({"type": "ping"}))["type"] == "pong"
        await calm.close()
    run(scenario())
