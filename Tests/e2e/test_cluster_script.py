"""scripts/cluster (issue 15, item 5): PostgreSQL, three nodes and HAProxy on loopback in one
command. Started as an operator would, its links answer through HAProxy (pages, the code check, a
WebSocket join by the facilitator's link), and SIGINT (Ctrl-C) stops every process it started and
removes its files."""
import asyncio
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import tempfile
import time
import types
import urllib.parse
import urllib.request

from conftest import BINARY, ROOT, haproxy_or_skip, join_through


def read_until(proc, marker, timeout):
    """The script's stdout up to the line `marker`, read from the descriptor itself (a buffered
    reader would hold lines that `select` no longer sees), within `timeout`."""
    data = b""
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = data.decode("utf-8", "replace")
        if marker + "\n" in text:
            return text
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
    raise AssertionError("scripts/cluster did not get ready:\n" + data.decode("utf-8", "replace"))


def gone(pid):
    """No such process, or a zombie (ended, not yet reaped by whoever is its parent now)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def four_free_ports():
    """A port p with p..p+3 free (HAProxy and the three nodes), below the ephemeral range."""
    for _ in range(200):
        base = random.randrange(20000, 31990)
        socks = []
        try:
            for p in range(base, base + 4):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError("no four free ports in a row")


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read()


def test_scripts_cluster_serves_through_haproxy_and_stops_everything_on_ctrl_c():
    haproxy_or_skip()
    port = four_free_ports()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([os.path.join(ROOT, "scripts", "cluster"), "--port", str(port), "--lease-seconds", "6"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=err,
                                env={**os.environ, "ATELIER_BINARY": BINARY})
        pids = []
        try:
            try:
                banner = read_until(proc, "Cluster prêt.", 180)
            except AssertionError:
                err.seek(0)
                raise AssertionError(err.read())
            front = f"http://127.0.0.1:{port}"
            assert f"Entrée (HAProxy)   : {front}/" in banner, banner
            pids = [int(p) for p in re.findall(r"pid (\d+)", banner)]
            assert len(pids) == 5, banner  # three nodes, HAProxy, PostgreSQL
            work = re.search(r"configuration (\S+)/haproxy\.cfg", banner).group(1)
            join_url = re.search(r"Lien participants  : (\S+)", banner).group(1)
            facilitator_url = re.search(r"Lien animateur     : (\S+)", banner).group(1)
            code = re.search(r"Code pour rejoindre : (\S+)", banner).group(1)
            # The links go through HAProxy, and every node answers on its own port too.
            assert join_url.startswith(front + "/") and facilitator_url.startswith(front + "/"), banner
            for n in (1, 2, 3):
                assert get(f"http://127.0.0.1:{port + n}/healthz")[0] == 200
            assert get(front + "/healthz")[0] == 200
            status, page = get(join_url)
            assert status == 200 and b"<html" in page.lower()
            status, page = get(facilitator_url.split("#")[0])
            assert status == 200 and b"<html" in page.lower()
            status, body = get(f"{front}/api/codes/{urllib.parse.quote(code)}")
            workshop = json.loads(body)["workshop"]
            assert status == 200 and workshop in facilitator_url
            # The facilitator's link opens the workshop over a WebSocket through HAProxy.
            key = re.search(r"key=([^&\s]+)", facilitator_url).group(1)

            async def join():
                c, welcome, _ = await join_through(types.SimpleNamespace(port=port), workshop,
                                                   {"type": "join", "workshop": workshop, "facilitatorKey": key},
                                                   time.monotonic() + 60)
                assert welcome["you"]["role"] == "facilitator", welcome["you"]
                await c.close()
            asyncio.run(join())

            proc.send_signal(signal.SIGINT)  # to the script alone, as a harder case than Ctrl-C's whole group
            assert proc.wait(timeout=120) == 130
            deadline = time.monotonic() + 30
            while not all(gone(p) for p in pids):
                assert time.monotonic() < deadline, [p for p in pids if not gone(p)]
                time.sleep(0.1)
            assert not os.path.exists(work), f"{work} left behind"
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
            for p in pids:
                if not gone(p):
                    os.kill(p, signal.SIGKILL)
