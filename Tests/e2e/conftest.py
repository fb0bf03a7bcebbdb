"""End-to-end fixtures: the real `atelier` binary on a loopback port, a real database, and the
independent Python `websockets` client.

Every test that starts a server through the `server` fixture (or takes `database`) runs twice:
on SQLite (a file in the server's data directory) and on PostgreSQL (a schema of its own in the
test cluster of `scripts/pg`, named by ATELIER_TEST_POSTGRES_URL). Without that variable the
PostgreSQL cases fail under CI (CI=true) and are skipped elsewhere."""
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import pytest
import websockets

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("ATELIER_BINARY", os.path.join(ROOT, ".build", "debug", "atelier"))


def free_port():
    """A free loopback port below the kernel's ephemeral range (32768 and up on Debian): tests
    restart servers on the same port, and a port of the ephemeral range can be handed to an
    outgoing connection (the browser's, the client's) while the server is down."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


POSTGRES_URL = os.environ.get("ATELIER_TEST_POSTGRES_URL", "")
STORES = ["sqlite", "postgres"]


def psql(url, sql):
    """Rows of a query, run by psql (PostgreSQL's own client), as lists of strings."""
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                         capture_output=True, text=True, check=True, timeout=60)
    return [line.split("\t") for line in out.stdout.splitlines()]


def with_search_path(url, schema):
    return url + ("&" if "?" in url else "?") + "options=" + urllib.parse.quote(f"-c search_path={schema}")


def postgres_database():
    """A new schema in the test cluster; the `--database` URL that puts Atelier in it."""
    if not POSTGRES_URL:
        how = "ATELIER_TEST_POSTGRES_URL is not set: run scripts/test, or eval \"$(scripts/pg start)\" first"
        if os.environ.get("CI") == "true":
            pytest.fail(how)
        pytest.skip(how)
    schema = "e2e_" + uuid.uuid4().hex
    psql(POSTGRES_URL, f"CREATE SCHEMA {schema}")
    return with_search_path(POSTGRES_URL, schema)


@pytest.fixture(params=STORES)
def store_kind(request):
    return request.param


@pytest.fixture
def database(store_kind):
    """The `--database` of a test's servers: None for SQLite in the data directory, or the URL of
    a fresh PostgreSQL schema."""
    return postgres_database() if store_kind == "postgres" else None


class Server:
    """One `atelier serve` process; restartable on the same data directory, database and port."""

    def __init__(self, data_dir, port, admin_token="e2e-admin-token", extra_args=(), database=None):
        self.extra_args = list(extra_args)
        self.database = database
        self.data_dir = data_dir
        self.port = port
        self.admin_token = admin_token
        self.proc = None
        self.output = ""
        self.info = {}

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def storage_args(self):
        """What the command line needs to reach this server's data: `--data`, and `--database`."""
        return ["--data", self.data_dir] + (["--database", self.database] if self.database else [])

    def journal(self, workshop):
        """The (seq, type) rows of a workshop's journal, read beside the server."""
        if self.database:
            return [(int(seq), kind) for seq, kind in
                    psql(self.database, f"SELECT seq, type FROM event WHERE workshop_id = '{workshop}' ORDER BY seq")]
        db = sqlite3.connect(f"file:{os.path.join(self.data_dir, 'atelier.sqlite')}?mode=ro", uri=True)
        try:
            return db.execute("SELECT seq, type FROM event WHERE workshop_id = ? ORDER BY seq", (workshop,)).fetchall()
        finally:
            db.close()

    def start(self):
        log = open(os.path.join(self.data_dir, "server.log"), "a+")
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--port", str(self.port), *self.storage_args,
             "--plans", os.path.join(ROOT, "sessions"), "--web", os.path.join(ROOT, "web"),
             "--admin-token", self.admin_token, *self.extra_args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
        lines = []
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Atelier écoute"):
                break  # the last line of the banner
        self.output = "".join(lines)
        for key, pattern in [("code", r"Code pour rejoindre : (\S+)"),
                             ("join_url", r"Lien participants : (\S+)"),
                             ("facilitator_url", r"Lien animateur\s+: (\S+)")]:
            m = re.search(pattern, self.output)
            if m:
                self.info[key] = m.group(1)
        if "facilitator_url" in self.info:
            m = re.search(r"workshop=([^&]+)&key=([^&\s]+)", self.info["facilitator_url"])
            self.info["workshop"], self.info["key"] = m.group(1), m.group(2)
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not become healthy:\n" + self.output)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def server(database):
    if not os.path.exists(BINARY):
        pytest.fail(f"{BINARY} is missing: build with `swift build` first")
    with tempfile.TemporaryDirectory(prefix="atelier-e2e-") as data_dir:
        s = Server(data_dir, free_port(), database=database).start()
        try:
            yield s
        finally:
            s.stop()


class Client:
    """A protocol client that flattens batched frames and matches replies by id."""

    def __init__(self, ws):
        self.ws = ws
        self.inbox = []
        self.frames = []  # raw frames, for secrecy checks
        self.counter = 0

    @classmethod
    async def connect(cls, url, **kw):
        # An unbounded queue: a test client that reads late must not stop reading its socket
        # (it would then miss pongs and close handshakes).
        kw.setdefault("max_queue", None)
        ws = await websockets.connect(url, subprotocols=["atelier.v1"], **kw)
        return cls(ws)

    def next_id(self):
        self.counter += 1
        return f"m{self.counter}"

    async def send(self, message):
        if "id" not in message:
            message = {"id": self.next_id(), **message}
        await self.ws.send(json.dumps(message))
        return message["id"]

    async def _pull(self, timeout):
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        self.frames.append(raw)
        data = json.loads(raw)
        self.inbox.extend(data if isinstance(data, list) else [data])

    async def expect(self, predicate, timeout=5.0):
        """The first message (in order) that matches; it leaves the inbox, the others stay."""
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.inbox):
                if predicate(m):
                    del self.inbox[i]
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching message; inbox: {self.inbox}")
            await self._pull(left)

    async def reply(self, msg_id, timeout=5.0):
        return await self.expect(lambda m: m.get("re") == msg_id, timeout)

    async def event(self, type_, timeout=5.0):
        return await self.expect(lambda m: m.get("type") == type_ and "seq" in m and "re" not in m, timeout)

    async def request(self, message, timeout=5.0):
        msg_id = await self.send(message)
        return await self.reply(msg_id, timeout)

    async def silence(self, seconds=0.3):
        """Everything that arrives within `seconds`."""
        try:
            while True:
                await self._pull(seconds)
        except asyncio.TimeoutError:
            pass
        got, self.inbox = self.inbox, []
        return got

    async def close(self):
        await self.ws.close()


async def join_participant(server, name, group=None, actor="aci", organisation="ACI Le Pont"):
    c = await Client.connect(server.ws_url)
    msg = {"type": "join", "code": server.info["code"], "name": name, "organisation": organisation, "actor": actor}
    if group:
        msg["group"] = group
    welcome = await c.request(msg)
    assert welcome["type"] == "welcome", welcome
    return c, welcome


async def join_facilitator(server, since=None):
    c = await Client.connect(server.ws_url)
    msg = {"type": "join", "workshop": server.info["workshop"], "facilitatorKey": server.info["key"]}
    if since is not None:
        msg["since"] = since
    welcome = await c.request(msg)
    assert welcome["type"] == "welcome", welcome
    return c, welcome


def board_of(welcome):
    group = welcome["you"]["group"]
    return next(b for b in welcome["workshop"]["boards"] if b["group"] == group)


# ---------------------------------------------------------------------------------------------
# Round trips instead of sleeps (issue 17). The server answers each connection in order: a `pong`
# is queued after everything queued to that connection before the `ping` was read (events of
# commands already acknowledged to anyone included). So the frames received before the pong are
# everything the server had sent: a "nothing leaked" check that ends with `settle` cannot be
# passed by a leak that arrives late, and never waits longer than one round trip.

_settle_counter = 0


async def settle(client, timeout=5.0):
    """Sends a `ping` with a fresh id and returns, in order, every message received before its
    `pong` (the inbox not yet consumed included); the inbox keeps only what came after the pong.
    `client.frames` then holds every raw frame the server sent before the pong."""
    global _settle_counter
    _settle_counter += 1
    ping_id = f"settle-{_settle_counter}-{id(client):x}"
    await client.ws.send(json.dumps({"id": ping_id, "type": "ping"}))
    deadline = time.monotonic() + timeout
    while True:
        for i, m in enumerate(client.inbox):
            if m.get("type") == "pong" and m.get("re") == ping_id:
                before, client.inbox = client.inbox[:i], client.inbox[i + 1:]
                return before
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no pong for {ping_id} within {timeout} s; inbox: {client.inbox}")
        await client._pull(left)


async def settle_all(*clients):
    """`settle` on each client; the messages each received before its pong, in the same order."""
    return [await settle(c) for c in clients]


def seq_events(messages):
    """The journaled events among messages (they carry a `seq` and answer nobody)."""
    return [m for m in messages if "seq" in m and "re" not in m and m.get("type") not in ("ack", "welcome")]


ABSENT = object()


def assert_matches(actual, expected, path="$"):
    """`expected` is a subset of `actual`: dicts key by key (a value `ABSENT` means the key must not
    be there), lists element by element with the same length, anything else equal."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        for k, v in expected.items():
            if v is ABSENT:
                assert k not in actual, f"{path}.{k} must be absent, got {actual.get(k)!r}"
            else:
                assert k in actual, f"{path}.{k} missing in {actual!r}"
                assert_matches(actual[k], v, f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        assert len(actual) == len(expected), (
            f"{path}: {len(actual)} items, expected {len(expected)}:\n  got      {actual!r}\n  expected {expected!r}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_matches(a, e, f"{path}[{i}]")
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


Client.settle = settle


# ---------------------------------------------------------------------------------------------
# Several nodes behind HAProxy (deploy/haproxy.cfg; docs/deploy.md "Several nodes").

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


class HAProxy:
    """The shipped deploy/haproxy.cfg in front of the nodes listening on `ports`: its listening
    address replaced, its `server` lines replaced by one per node (node-a, node-b, …)."""

    def __init__(self, tmp, *ports):
        self.port = free_port()
        self.ports = ports
        cfg = open(os.path.join(ROOT, "deploy", "haproxy.cfg"), encoding="utf-8").read()
        cfg = cfg.replace("bind 127.0.0.1:8080", f"bind 127.0.0.1:{self.port}")
        servers = "".join(f"    server node-{chr(ord('a') + i)} 127.0.0.1:{p}\n" for i, p in enumerate(ports))
        cfg, n = re.subn(r"(?m)^    server node-\S+ \S+\n", "", cfg)
        assert n >= 2, "deploy/haproxy.cfg: no server lines to replace"
        cfg = cfg.rstrip("\n") + "\n" + servers
        self.path = os.path.join(tmp, "haproxy.cfg")
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(cfg)
        self.log = open(os.path.join(tmp, "haproxy.log"), "w")
        self.proc = subprocess.Popen([HAPROXY, "-f", self.path, "-db"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:  # listening, and passing requests to a node
            assert self.proc.poll() is None, open(os.path.join(tmp, "haproxy.log")).read()
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                assert time.monotonic() < deadline, open(os.path.join(tmp, "haproxy.log")).read()
                time.sleep(0.1)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


def haproxy_or_skip():
    if not os.path.exists(HAPROXY):
        if os.environ.get("CI") == "true":
            pytest.fail("haproxy is missing: scripts/setup --test installs it")
        pytest.skip("haproxy is missing: scripts/setup --test installs it")


def post_workshop(proxy, title, admin_token):
    req = urllib.request.Request(proxy.url("/api/workshops"), method="POST",
                                 data=json.dumps({"plan": "iae-saone-et-loire", "title": title}).encode(),
                                 headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 201
        return json.loads(r.read())


async def join_through(proxy, workshop, message, deadline):
    """Joins through the proxy with `/ws?workshop=`, again after each 4004 or refused connection
    (a node not yet taking over, a node down), until `deadline`. Returns (client, welcome, codes)."""
    codes = []
    while time.monotonic() < deadline:
        try:
            c = await Client.connect(f"ws://127.0.0.1:{proxy.port}/ws?workshop={workshop}")
            welcome = await c.request(dict(message))
            if welcome.get("type") == "welcome":
                return c, welcome, codes
            codes.append(welcome.get("code"))
            await c.close()
        except websockets.exceptions.ConnectionClosed as e:
            codes.append(e.rcvd.code if e.rcvd else None)
        except (OSError, websockets.exceptions.InvalidStatus, asyncio.TimeoutError) as e:
            codes.append(type(e).__name__)
        await asyncio.sleep(0.3)
    raise AssertionError(f"never welcomed through the proxy: {codes}")
