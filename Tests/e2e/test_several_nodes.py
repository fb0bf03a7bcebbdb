"""Several nodes on one PostgreSQL database (issue 15, part 2; docs/architecture.md "Several
nodes"): two real `atelier serve --node` processes on one schema. A workshop is served by the node
holding its lease; the other closes its connections with 4004; a node that stops, or is killed
with -9, hands its workshops over at once, with everything it acknowledged."""
import asyncio
import json
import os
import subprocess
import tempfile
import time
import urllib.request

import websockets
import websockets.exceptions  # websockets loads it lazily: a test run alone needs it imported

from conftest import (BINARY, ROOT, Client, HAProxy, Server, board_of, free_port, haproxy_or_skip, join_facilitator,
                      join_through, post_workshop, postgres_database, psql)

SERVED_ELSEWHERE = 4004


async def closed_with(server, join):
    """Sends a join to `server` and returns the close code it answers with (None if welcomed)."""
    c = await Client.connect(server.ws_url)
    await c.send(join)
    try:
        while True:
            await c._pull(10)
            if any(m.get("type") == "welcome" for m in c.inbox):
                await c.close()
                return None
    except websockets.exceptions.ConnectionClosed as e:
        return e.rcvd.code if e.rcvd else None


def nodes(database, a_dir, b_dir, lease="30"):
    a = Server(a_dir, free_port(), database=database, extra_args=["--node", "a", "--lease-seconds", lease]).start()
    b = Server(b_dir, free_port(), database=database, extra_args=["--node", "b", "--lease-seconds", lease]).start()
    return a, b


def test_a_workshop_is_served_by_one_node_and_handed_over_when_it_stops():
    database = postgres_database()
    with tempfile.TemporaryDirectory(prefix="atelier-node-a-") as a_dir, tempfile.TemporaryDirectory(prefix="atelier-node-b-") as b_dir:
        a, b = nodes(database, a_dir, b_dir)  # a started on the empty database: it created the workshop
        try:
            workshop, key, code = a.info["workshop"], a.info["key"], a.info["code"]

            async def before():
                c = await Client.connect(a.ws_url)
                w = await c.request({"type": "join", "code": code, "name": "Marie", "organisation": "ACI", "actor": "aci"})
                assert w["type"] == "welcome", w
                ack = await c.request({"type": "card.add", "board": board_of(w)["id"], "column": "problems", "text": "Chez le nœud a"})
                assert ack["type"] == "ack"
                # A countdown runs when a stops: b, taking the workshop over, ends it.
                f, _ = await join_facilitator(a)
                started = await f.request({"type": "timer.start", "seconds": 3, "label": "Relais"})
                assert started["type"] == "ack", started
                await f.close()
                # On b, every way in is closed with 4004, with no welcome.
                assert await closed_with(b, {"type": "join", "code": code, "name": "Paul", "actor": "aci"}) == SERVED_ELSEWHERE
                assert await closed_with(b, {"type": "join", "workshop": workshop, "facilitatorKey": key}) == SERVED_ELSEWHERE
                assert await closed_with(b, {"type": "join", "token": w["you"]["token"]}) == SERVED_ELSEWHERE
                await c.close()
                return w
            w = asyncio.run(before())

            a.stop()  # a graceful stop gives the lease back

            async def after():
                c = await Client.connect(b.ws_url)
                again = await c.request({"type": "join", "token": w["you"]["token"], "since": 0})
                assert again["type"] == "welcome", again
                # A new id: the same one would be a retry, answered from the journal (what a said).
                ack = await c.request({"id": "on-b", "type": "card.add", "board": board_of(w)["id"], "column": "problems",
                                       "text": "Chez le nœud b"})
                assert ack["type"] == "ack"
                f, wf = await join_facilitator(a_info_on(b, workshop, key))
                texts = {card["text"] for card in wf["workshop"]["cards"]}
                assert {"Chez le nœud a", "Chez le nœud b"} <= texts
                ended = await c.event("timer.ended", timeout=15)
                assert ended["by"] is None
                await c.close(); await f.close()
            asyncio.run(after())
            rows = b.journal(workshop)
            assert [seq for seq, _ in rows] == list(range(1, len(rows) + 1))
        finally:
            a.stop(); b.stop()


def a_info_on(server, workshop, key):
    """`server` with the workshop and facilitator key another node printed (for join_facilitator)."""
    server.info["workshop"], server.info["key"] = workshop, key
    return server


def test_a_node_killed_hands_its_workshops_over_at_once_with_everything_acknowledged():
    """A node killed with -9 leaves no session, so no node lock: b takes its workshop over without
    waiting for the lease (an hour here, longer than the test may take)."""
    database = postgres_database()
    with tempfile.TemporaryDirectory(prefix="atelier-node-a-") as a_dir, tempfile.TemporaryDirectory(prefix="atelier-node-b-") as b_dir:
        a, b = nodes(database, a_dir, b_dir, lease="3600")
        try:
            workshop, key, code = a.info["workshop"], a.info["key"], a.info["code"]

            async def write():
                c = await Client.connect(a.ws_url)
                w = await c.request({"type": "join", "code": code, "name": "Marie", "actor": "aci"})
                acked = []
                for n in range(20):
                    ack = await c.request({"type": "card.add", "board": board_of(w)["id"], "column": "problems", "text": f"carte {n}"})
                    assert ack["type"] == "ack"
                    acked.append(f"carte {n}")
                return w, acked
            w, acked = asyncio.run(write())
            a.kill9()

            async def take_over():
                # b may refuse (4004) while the database ends a's session, then serves the
                # workshop: bounded retries.
                deadline = time.monotonic() + 60
                codes = []
                while time.monotonic() < deadline:
                    code_ = await closed_with(b, {"type": "join", "workshop": workshop, "facilitatorKey": key})
                    codes.append(code_)
                    if code_ is None:
                        break
                    await asyncio.sleep(0.5)
                assert codes[-1] is None, codes
                assert set(codes[:-1]) <= {SERVED_ELSEWHERE}, codes
                f, wf = await join_facilitator(a_info_on(b, workshop, key))
                texts = {card["text"] for card in wf["workshop"]["cards"]}
                assert set(acked) <= texts, sorted(set(acked) - texts)
                await f.close()
            asyncio.run(take_over())
        finally:
            a.stop(); b.stop()


def test_node_options_are_checked_in_french():
    out = subprocess.run([BINARY, "serve", "--node", "a", "--plans", ROOT + "/sessions"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "--node : plusieurs nœuds partagent une base PostgreSQL" in out.stderr, out.stderr
    out = subprocess.run([BINARY, "serve", "--node", "a b", "--database", "postgres://x@127.0.0.1/y"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "--node : un nom" in out.stderr, out.stderr
    # A server without --node on a database nodes are using is refused, and the other way round.
    database = postgres_database()
    with tempfile.TemporaryDirectory() as a_dir, tempfile.TemporaryDirectory() as single_dir:
        a = Server(a_dir, free_port(), database=database, extra_args=["--node", "a"]).start()
        try:
            out = subprocess.run([BINARY, "serve", "--port", str(free_port()), "--data", single_dir, "--database", database,
                                  "--plans", ROOT + "/sessions", "--web", ROOT + "/web"], capture_output=True, text=True, timeout=60)
            assert out.returncode != 0 and "écrit déjà dans la base PostgreSQL" in out.stderr, out.stderr
            # Two processes with one node name would share its leases: the second is refused.
            out = subprocess.run([BINARY, "serve", "--port", str(free_port()), "--data", single_dir, "--database", database,
                                  "--node", "a", "--plans", ROOT + "/sessions", "--web", ROOT + "/web"],
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode != 0 and "un autre nœud nommé « a » est déjà en marche" in out.stderr, out.stderr
        finally:
            a.stop()


# --- Behind HAProxy (deploy/haproxy.cfg; conftest.HAProxy) -----------------------------------


def test_behind_haproxy_every_client_of_a_workshop_reaches_the_node_that_serves_it():
    haproxy_or_skip()
    database = postgres_database()
    with tempfile.TemporaryDirectory(prefix="atelier-haproxy-") as tmp:
        a_dir, b_dir = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        os.makedirs(a_dir); os.makedirs(b_dir)
        args = ["--lease-seconds", "6", "--trusted-proxy", "127.0.0.1"]
        a = Server(a_dir, free_port(), database=database, extra_args=["--node", "a", *args]).start()
        b = Server(b_dir, free_port(), database=database, extra_args=["--node", "b", *args]).start()
        proxy = HAProxy(tmp, a.port, b.port)
        try:
            # Workshops created through the proxy land on either node (no workshop in the request).
            shops = [{"id": a.info["workshop"], "joinCode": a.info["code"]}]
            shops += [post_workshop(proxy, f"Atelier {n}", a.admin_token) for n in range(3)]

            async def scenario():
                deadline = time.monotonic() + 90
                people = {}
                for shop in shops:
                    # The first one in may meet the node that created it, still holding it: 4004,
                    # until that node lets go of a workshop nobody is connected to there.
                    first, w1, _ = await join_through(proxy, shop["id"], {"type": "join", "code": shop["joinCode"], "name": "Un",
                                                                          "actor": "aci"}, deadline)
                    # Once served, everyone else of the workshop goes to the same node at once.
                    others = []
                    for name in ("Deux", "Trois"):
                        c, w, codes = await join_through(proxy, shop["id"], {"type": "join", "code": shop["joinCode"], "name": name,
                                                                            "actor": "aci", "group": w1["you"]["group"]}, deadline)
                        assert codes == [], f"{shop['id']}: {name} was sent elsewhere first: {codes}"
                        others.append((c, w))
                    ack = await first.request({"id": "card-1", "type": "card.add", "board": board_of(w1)["id"], "column": "problems",
                                               "text": f"Carte de {shop['id']}"})
                    assert ack["type"] == "ack", ack
                    for c, _ in others:
                        assert (await c.event("card.added"))["card"]["text"] == f"Carte de {shop['id']}"
                    people[shop["id"]] = (first, w1, others)
                owners = dict(psql(database, "SELECT id, owner_node FROM workshop"))
                assert all(owners[s["id"]] in ("a", "b") for s in shops), owners
                # The node serving the first workshop stops: its clients come back through the
                # proxy (token and since) to the other node, with everything acknowledged.
                gone = owners[shops[0]["id"]]
                (a if gone == "a" else b).stop()
                for shop in shops:
                    first, w1, others = people[shop["id"]]
                    if owners[shop["id"]] != gone:
                        continue
                    await first.close()
                    for c, _ in others:
                        await c.close()
                    c, w, _ = await join_through(proxy, shop["id"], {"type": "join", "token": w1["you"]["token"]}, deadline)
                    texts = {card["text"] for card in w["workshop"]["cards"]}
                    assert f"Carte de {shop['id']}" in texts
                    await c.close()
                after = dict(psql(database, "SELECT id, owner_node FROM workshop"))
                assert after[shops[0]["id"]] == ("b" if gone == "a" else "a"), after
                for shop in shops:
                    if owners[shop["id"]] != gone:
                        first, _, others = people[shop["id"]]
                        await first.close()
                        for c, _ in others:
                            await c.close()
            asyncio.run(scenario())
        finally:
            proxy.stop()
            a.stop(); b.stop()


def test_a_series_written_on_one_node_is_seen_and_extended_on_the_other():
    """Series are in the database: a node reads them again before each use (docs/deploy.md "The
    organiser's login"), so what node a wrote, node b lists, and b's addition is seen on a."""
    database = postgres_database()
    with tempfile.TemporaryDirectory(prefix="atelier-node-a-") as a_dir, tempfile.TemporaryDirectory(prefix="atelier-node-b-") as b_dir:
        a, b = nodes(database, a_dir, b_dir)
        try:
            def call(server, method, path, body=None):
                request = urllib.request.Request(server.url + path, method=method,
                                                 data=None if body is None else json.dumps(body).encode(),
                                                 headers={"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=10) as r:
                    return json.load(r)
            created = call(a, "POST", "/api/admin/series", {"title": "Ateliers IAE 2027"})
            assert [s["id"] for s in call(b, "GET", "/api/admin/series")["series"]] == [created["id"]]
            w = call(b, "POST", f"/api/admin/series/{created['id']}/workshops", {"title": "Sur le nœud b"})
            shown = call(a, "GET", f"/api/admin/series/{created['id']}")
            assert [x["id"] for x in shown["workshops"]] == [w["id"]]
            # a does not serve it: its counts are unknown there, not invented.
            assert shown["workshops"][0]["participants"] is None
            assert call(b, "GET", f"/api/admin/series/{created['id']}")["workshops"][0]["participants"] == 0
        finally:
            a.stop()
            b.stop()


def test_an_organiser_session_opened_on_one_node_works_and_ends_on_every_node():
    """With several nodes the organiser's sessions are in the database: a cookie from node a opens
    node b (reads, and writes with the CSRF token), and logging out on b ends it on a too."""
    import http.client

    def call(server, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        h = dict(headers or {})
        if body is not None:
            h["Content-Type"] = "application/json"
        conn.request(method, path, body=None if body is None else json.dumps(body).encode(), headers=h)
        r = conn.getresponse()
        raw = r.read()
        result = r.status, r.getheaders(), (json.loads(raw) if raw else None)
        conn.close()
        return result

    database = postgres_database()
    with tempfile.TemporaryDirectory(prefix="atelier-node-a-") as a_dir, tempfile.TemporaryDirectory(prefix="atelier-node-b-") as b_dir:
        a, b = nodes(database, a_dir, b_dir)
        try:
            status, pairs, body = call(a, "POST", "/api/admin/login", {"token": a.admin_token})
            assert status == 200, body
            cookie = next(v for k, v in pairs if k.lower() == "set-cookie").split(";")[0]
            csrf = body["csrf"]
            assert call(b, "GET", "/api/admin/session", headers={"Cookie": cookie})[2]["csrf"] == csrf
            page_b = {"Cookie": cookie, "Origin": b.url, "Sec-Fetch-Site": "same-origin", "X-Atelier-CSRF": csrf}
            assert call(b, "POST", "/api/admin/series", {"title": "Sans"}, {**page_b, "X-Atelier-CSRF": "wrong"})[0] == 403
            status, _, created = call(b, "POST", "/api/admin/series", {"title": "Par le nœud b"}, page_b)
            assert status == 201, created
            # The workshop a serves: its console key comes from a, with the session opened there.
            workshop = a.info["workshop"]
            status, _, cred = call(a, "POST", f"/api/admin/workshops/{workshop}/console", None,
                                   {"Cookie": cookie, "Origin": a.url, "Sec-Fetch-Site": "same-origin", "X-Atelier-CSRF": csrf})
            assert status == 200 and cred["workshop"] == workshop
            assert call(b, "POST", "/api/admin/logout", None, page_b)[0] == 200
            for server in (a, b):
                assert call(server, "GET", "/api/admin/series", headers={"Cookie": cookie})[0] == 401
        finally:
            a.stop()
            b.stop()
