"""Issue 13: `atelier submit --webhook` goes through the durable outbox, as the console does. With no
server running, the command line journals the deliveries in the data directory and the next
`atelier serve --webhook` delivers them (retried while the receiver is down); with a server
running, the server queues and delivers them. Either way each delivery arrives once, signed
(verified with the reference `standardwebhooks` package). No timed assertion: the test waits for
what it expects to happen."""
import asyncio
import base64
import os
import re
import subprocess
import tempfile
import time

from conftest import BINARY, ROOT, Server, free_port, join_facilitator
from pipeline_fakes import webhook_server
from test_projects import make_projects
from test_webhook_outbox import another_project

SECRET = "whsec_" + base64.b64encode(b"atelier-cli-outbox-signing-key32").decode()


def wait_for(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.05)


def submit(server, url, *extra):
    return subprocess.run([BINARY, "submit", server.info["workshop"], "--webhook", url, "--webhook-secret", SECRET,
                           *server.storage_args, "--plans", os.path.join(ROOT, "sessions"), *extra],
                          capture_output=True, text=True, timeout=60)


def two_ready_projects(server):
    async def go():
        f, people, project = await make_projects(server)
        f0, welcome = await join_facilitator(server)
        await f0.close()
        mine = next(p["board"] for p in welcome["workshop"]["projects"] if p["id"] == project)
        other = await another_project(f, welcome, mine)
        for x in (f, *people):
            await x.close()
        return {project, other}
    return asyncio.run(go())


def outbox(server):
    async def go():
        f, welcome = await join_facilitator(server)
        await f.close()
        return welcome["workshop"]
    return asyncio.run(go())


def done(w, projects):
    return all(e["state"] == "delivered" for e in w["outbox"]) and all(
        x["receipts"] for x in w["projects"] if x["id"] in projects)


def check_arrivals(hook, projects, w, printed):
    """Each project's delivery arrived, verified, under one webhook-id (the one the command line
    printed); the journal says delivered."""
    requests = hook.recorder.requests
    ids = {r["body"]["project"]["id"]: r["webhook_id"] for r in requests}
    assert set(ids) == projects, requests
    assert set(re.findall(r"livraison (\S+)\)", printed)) == set(ids.values()), printed
    assert all(r["verified"] is True for r in requests), "each attempt verifies with the reference package"
    assert all(r["webhook_id"] == r["key"] == ids[r["body"]["project"]["id"]] for r in requests), "one id per delivery"
    assert len(hook.unique_keys) == len(projects), "the receiver, deduplicating by id, has each delivery once"
    for p in projects:
        entry = next(e for e in w["outbox"] if e["project"] == p)
        assert entry["id"] == ids[p] and entry["state"] == "delivered"
        sheet = next(x for x in w["projects"] if x["id"] == p)
        assert [r["channel"] for r in sheet["receipts"]] == ["webhook"]


def test_with_no_server_the_cli_queues_and_the_next_server_delivers(database):
    port = free_port()  # the receiver is down until the server has tried
    url = f"http://127.0.0.1:{port}/hook"
    with tempfile.TemporaryDirectory(prefix="atelier-cli-outbox-") as data_dir:
        server = Server(data_dir, free_port(), database=database).start()
        hook = None
        try:
            projects = two_ready_projects(server)
            server.stop()

            # No server: the deliveries go into the journal, nothing is sent.
            run = submit(server, url)
            assert run.returncode == 0, run.stdout + run.stderr
            assert run.stdout.count("en file d'envoi") == 2 and "atelier serve --webhook" in run.stdout, run.stdout
            kinds = [kind for _, kind in server.journal(server.info["workshop"])]
            assert kinds.count("webhook.queued") == 2 and "webhook.attempted" not in kinds, kinds
            # Asked again, the command line queues nothing twice.
            again = submit(server, url)
            assert again.returncode == 0 and "aucun projet prêt" in again.stdout, again.stdout

            # The next server delivers them: refused while the receiver is down, retried, then received.
            server.extra_args = ["--webhook", url, "--webhook-secret", SECRET, "--webhook-retry-base-ms", "200"]
            server.start()
            wait_for(lambda: any(kind == "webhook.attempted" for _, kind in server.journal(server.info["workshop"])),
                     "a failed attempt while the receiver is down")
            hook = webhook_server(fail_first=0, secret=SECRET, port=port)
            wait_for(lambda: {r["body"]["project"]["id"] for r in hook.recorder.requests} >= projects, "the deliveries")
            wait_for(lambda: done(outbox(server), projects), "the deliveries journaled as delivered, with their receipts")
            check_arrivals(hook, projects, outbox(server), run.stdout)
        finally:
            server.stop()
            if hook:
                hook.shutdown()


def test_with_a_server_running_the_cli_queues_through_it(database):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    with tempfile.TemporaryDirectory(prefix="atelier-cli-outbox-") as data_dir:
        server = Server(data_dir, free_port(), database=database, extra_args=[
            "--webhook", url, "--webhook-secret", SECRET, "--webhook-retry-base-ms", "200"]).start()
        hook = None
        try:
            projects = two_ready_projects(server)
            # Another address than the server's: refused, nothing queued.
            wrong = submit(server, f"http://127.0.0.1:{port}/other")
            assert wrong.returncode == 1 and wrong.stdout.count("NON mis en file") == 2, wrong.stdout
            assert "pas à" in wrong.stdout
            assert "webhook.queued" not in [kind for _, kind in server.journal(server.info["workshop"])]

            run = submit(server, url)
            assert run.returncode == 0, run.stdout + run.stderr
            assert run.stdout.count("en file d'envoi") == 2 and "Le serveur en cours livre" in run.stdout, run.stdout
            wait_for(lambda: any(kind == "webhook.attempted" for _, kind in server.journal(server.info["workshop"])),
                     "a failed attempt while the receiver is down")
            hook = webhook_server(fail_first=0, secret=SECRET, port=port)
            wait_for(lambda: {r["body"]["project"]["id"] for r in hook.recorder.requests} >= projects, "the deliveries")
            wait_for(lambda: done(outbox(server), projects), "the deliveries journaled as delivered, with their receipts")
            check_arrivals(hook, projects, outbox(server), run.stdout)
            again = submit(server, url)
            assert again.returncode == 0 and "aucun projet prêt" in again.stdout, again.stdout
        finally:
            server.stop()
            if hook:
                hook.shutdown()
