"""One write path (docs/architecture.md): while a server runs, the command line's writes go
through it, so a live workshop's clients stay connected and its seq chain never breaks."""
import asyncio
import json
import os
import subprocess
import tempfile

import pytest

from conftest import BINARY, ROOT, Client, Server, free_port, postgres_database
from pipeline_fakes import webhook_server
from test_projects import make_projects


def cli(*args, data_dir, database=None):
    return [BINARY, *args, "--data", data_dir, "--plans", os.path.join(ROOT, "sessions"),
            *(["--database", database] if database else [])]


async def run(cmd):
    """Runs a command without blocking the event loop (clients keep reading meanwhile)."""
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
def live(database):
    hook = webhook_server()
    with tempfile.TemporaryDirectory(prefix="atelier-one-writer-") as data_dir:
        # The command line's webhooks go through the running server's outbox (docs/export.md).
        server = Server(data_dir, free_port(), database=database,
                        extra_args=["--webhook", hook.url, "--webhook-retry-base-ms", "50"]).start()
        try:
            yield server, hook
        finally:
            server.stop()
            hook.shutdown()


def test_cli_submit_and_erase_during_a_live_workshop_disconnect_nobody(live):
    server, hook = live
    workshop = server.info["workshop"]

    async def scenario():
        f, (a, b), project = await make_projects(server)
        # The facilitator saw Bruno join and the sheet being created (still in its inbox).
        bruno = (await f.expect(lambda m: m.get("type") == "participant.joined" and m["participant"]["name"] == "Bruno"))["participant"]["id"]
        created = (await f.event("project.created"))["project"]
        card = created["problems"][0]  # in the project phase people comment on cards
        # A participant keeps writing while the command line submits and erases.
        async def keep_writing():
            acks = []
            for n in range(30):
                r = await a.request({"type": "comment.add", "card": card, "text": f"Piste {n}"})
                assert r["type"] == "ack", r
                acks.append(r["seq"])
                await asyncio.sleep(0.02)
            return acks

        writer = asyncio.create_task(keep_writing())
        code, out, err = await run(cli("submit", workshop, "--webhook", hook.url, data_dir=server.data_dir, database=server.database))
        assert code == 0, (out, err)
        assert "en file d'envoi" in out and "Le serveur en cours livre" in out, out
        submitted = await f.event("project.submitted", timeout=30)
        assert submitted["project"] == project and submitted["receipt"]["channel"] == "webhook"
        assert submitted["by"] is None

        code, out, err = await run(cli("participant", "erase", workshop, bruno, data_dir=server.data_dir, database=server.database))
        assert code == 0, (out, err)
        assert "effacées" in out
        erased = await f.event("participant.erased", timeout=10)
        assert erased["participant"] == bruno and erased["by"] == "facilitator"
        await a.event("participant.erased", timeout=10)

        acks = await writer
        # Nobody was disconnected: each client still gets its pong, and can still write.
        for c in (f, a, b):
            assert (await c.request({"type": "ping"}))["type"] == "pong"
            assert c.ws.close_code is None
        last = await b.request({"type": "comment.add", "card": card, "text": "Après l'effacement"})
        assert last["type"] == "ack"
        assert acks == sorted(acks) and last["seq"] > acks[-1]
        for c in (f, a, b):
            await c.close()
        return submitted["seq"], erased["seq"], last["seq"]

    submitted_seq, erased_seq, last_seq = asyncio.run(scenario())

    # The journal is one contiguous chain, with each write once, where the clients saw it.
    rows = server.journal(workshop)
    assert [seq for seq, _ in rows] == list(range(1, len(rows) + 1))
    assert rows[-1][0] == last_seq
    assert [t for _, t in rows].count("project.submitted") == 1
    assert [t for _, t in rows].count("participant.erased") == 1
    assert dict(rows)[submitted_seq] == "project.submitted" and dict(rows)[erased_seq] == "participant.erased"
    assert len(hook.unique_keys) == 1
    log = open(os.path.join(server.data_dir, "server.log")).read()
    assert "commit failed" not in log


def test_cli_creates_a_workshop_through_the_running_server(live):
    server, _ = live
    code, out, err = asyncio.run(run(cli("workshop", "create", "--title", "Deuxième atelier", data_dir=server.data_dir, database=server.database)))
    assert code == 0, (out, err)
    assert "par le serveur" in out
    join_code = next(line.split(":", 1)[1].strip() for line in out.splitlines() if "Code pour rejoindre" in line)

    async def scenario():
        c = await Client.connect(server.ws_url)
        welcome = await c.request({"type": "join", "code": join_code, "name": "Zoé", "actor": "ei"})
        assert welcome["type"] == "welcome", welcome
        assert welcome["workshop"]["title"] == "Deuxième atelier"
        await c.close()

    asyncio.run(scenario())


def test_a_second_server_on_the_same_data_is_refused(live):
    server, _ = live
    out = subprocess.run(cli("serve", "--port", str(free_port()), "--web", os.path.join(ROOT, "web"), data_dir=server.data_dir, database=server.database),
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "utilise déjà le dossier de données" in out.stderr
    # The first one is untouched.
    import urllib.request
    with urllib.request.urlopen(server.url + "/healthz", timeout=5) as r:
        assert r.status == 200


def test_a_second_server_on_the_same_postgresql_database_is_refused():
    """On PostgreSQL the single writer is the database's, not only the data directory's: a
    server started on another data directory (or another machine) is refused, in French."""
    database = postgres_database()
    with tempfile.TemporaryDirectory(prefix="atelier-one-writer-") as first_dir, \
            tempfile.TemporaryDirectory(prefix="atelier-one-writer-") as second_dir:
        server = Server(first_dir, free_port(), database=database).start()
        try:
            out = subprocess.run(cli("serve", "--port", str(free_port()), "--web", os.path.join(ROOT, "web"),
                                     data_dir=second_dir, database=database), capture_output=True, text=True, timeout=60)
            assert out.returncode != 0
            assert "un autre serveur Atelier" in out.stderr and "écrit déjà dans la base PostgreSQL" in out.stderr, out.stderr
            # A writing command beside it, on another data directory, is refused the same way.
            out = subprocess.run(cli("workshop", "create", data_dir=second_dir, database=database), capture_output=True, text=True, timeout=60)
            assert out.returncode != 0 and "écrit déjà dans la base PostgreSQL" in out.stderr, out.stderr
            import urllib.request
            with urllib.request.urlopen(server.url + "/healthz", timeout=5) as r:
                assert r.status == 200
        finally:
            server.stop()
        # Once it has stopped, another server takes the database over, with everything in it.
        again = Server(second_dir, free_port(), database=database).start()
        try:
            assert server.info["code"] in again.output
        finally:
            again.stop()


def test_the_admin_api_refuses_without_the_admin_token(live):
    server, _ = live
    import urllib.error
    import urllib.request
    workshop = server.info["workshop"]
    for token in (None, "not-the-token"):
        req = urllib.request.Request(f"{server.url}/api/admin/workshops/{workshop}/participants/p_1/erase", method="POST", data=b"")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        assert e.value.code == (401 if token is None else 403)
        assert json.loads(e.value.read())["error"]["code"] in ("unauthenticated", "forbidden")
    # A known route with the wrong method is 405 with Allow.
    req = urllib.request.Request(f"{server.url}/api/workshops", method="GET")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 405 and "POST" in e.value.headers.get("Allow", "")


def test_links_come_from_the_public_url_never_from_the_host_header():
    """A forged `Host` never reaches a link: the 201's links and the join QR code are built from
    `--public-url` (by default the server's own address)."""
    import http.client
    with tempfile.TemporaryDirectory(prefix="atelier-public-url-") as data_dir:
        server = Server(data_dir, free_port(), extra_args=["--public-url", "https://atelier.exemple.fr/"]).start()
        try:
            assert "https://atelier.exemple.fr/join.html?code=" in server.output
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("POST", "/api/workshops", body=b"{}", headers={
                "Host": "evil.example", "Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/json"})
            r = conn.getresponse()
            created = json.loads(r.read())
            assert r.status == 201, created
            assert created["joinUrl"].startswith("https://atelier.exemple.fr/join.html?code=")
            assert created["facilitatorUrl"].startswith("https://atelier.exemple.fr/facilitator.html#")
            conn.request("GET", f"/api/qr.svg?code={created['joinCode']}", headers={"Host": "evil.example"})
            r = conn.getresponse()
            svg = r.read().decode()
            assert r.status == 200 and "https://atelier.exemple.fr/join.html" in svg and "evil.example" not in svg
            conn.close()
        finally:
            server.stop()
    with tempfile.TemporaryDirectory(prefix="atelier-public-url-") as data_dir:
        server = Server(data_dir, free_port()).start()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", f"/api/qr.svg?code={server.info['code']}", headers={"Host": "evil.example"})
            svg = conn.getresponse().read().decode()
            assert f"http://127.0.0.1:{server.port}/join.html" in svg and "evil.example" not in svg
            conn.close()
        finally:
            server.stop()


def test_the_data_directory_is_its_owners_alone():
    """The database holds join codes, facilitator keys and resume tokens: the data directory is
    0700 and every file in it 0600, whoever's umask started the server."""
    import stat
    with tempfile.TemporaryDirectory(prefix="atelier-modes-") as parent:
        data_dir = os.path.join(parent, "data")
        os.makedirs(data_dir)
        os.chmod(data_dir, 0o755)  # as an operator might have made it
        # A database an earlier version left readable by everyone (an empty file is an empty database).
        open(os.path.join(data_dir, "atelier.sqlite"), "wb").close()
        os.chmod(os.path.join(data_dir, "atelier.sqlite"), 0o644)
        server = Server(data_dir, free_port()).start()
        try:
            assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
            files = sorted(os.listdir(data_dir))
            assert "atelier.sqlite" in files and "server.json" in files, files
            for name in files:
                if name == "server.log":  # the test harness's own log, opened by this process
                    continue
                mode = stat.S_IMODE(os.stat(os.path.join(data_dir, name)).st_mode)
                assert mode & 0o077 == 0, f"{name} is {oct(mode)}"
        finally:
            server.stop()
    with tempfile.TemporaryDirectory(prefix="atelier-modes-") as parent:
        data_dir = os.path.join(parent, "fresh")
        code, out, err = asyncio.run(run(cli("workshop", "create", data_dir=data_dir)))
        assert code == 0, err
        assert stat.S_IMODE(os.stat(data_dir).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(os.path.join(data_dir, "atelier.sqlite")).st_mode) == 0o600
