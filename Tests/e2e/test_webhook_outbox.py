"""Issue 13: the webhook outbox is durable. A delivery is journaled before it is sent and retried
from the journal with exponential backoff (its base made small here with
`--webhook-retry-base-ms`), across a kill -9 and a restart; it keeps one `webhook-id` on every
attempt, and each attempt is visible in the console, with a manual "Relancer". No timed
assertion: the test waits for what it expects to happen, however long the machine takes."""
import asyncio
import base64
import datetime
import os
import tempfile
import time

from conftest import Server, free_port, join_facilitator
from pipeline_fakes import webhook_server
from test_projects import COMPLETE, make_projects

SECRET = "whsec_" + base64.b64encode(b"atelier-outbox-signing-key-32byt").decode()


def wait_for(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.05)


async def another_project(f, welcome, taken_board):
    """A second ready sheet, written by the facilitator on another table's board."""
    board = next(b["id"] for b in welcome["workshop"]["boards"] if b["id"] != taken_board)
    problem = next(c["id"] for c in welcome["workshop"]["cards"] if c["board"] == board)
    created = await f.request({"type": "project.create", "board": board, "title": "Atelier vélo partagé"})
    assert created["type"] == "ack", created
    project = created["result"]["project"]
    done = await f.request({"type": "project.update", "project": project, "version": 1, "fields": dict(COMPLETE, problems=[problem])})
    assert done["type"] == "ack", done
    assert (await f.request({"type": "project.ready", "project": project}))["type"] == "ack"
    return project


def ms(timestamp):
    return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000


def test_deliveries_survive_a_kill_and_arrive_once_per_webhook_id(database):
    port = free_port()  # nobody listens there yet: every attempt is refused
    url = f"http://127.0.0.1:{port}/hook"
    with tempfile.TemporaryDirectory(prefix="atelier-outbox-") as data_dir:
        server = Server(data_dir, free_port(), database=database, extra_args=[
            "--webhook", url, "--webhook-secret", SECRET, "--webhook-retry-base-ms", "200"]).start()
        hook = None
        try:
            async def before_the_kill():
                f, people, project = await make_projects(server)
                f0, welcome = await join_facilitator(server)
                await f0.close()
                mine = next(p["board"] for p in welcome["workshop"]["projects"] if p["id"] == project)
                other = await another_project(f, welcome, mine)
                ack = await f.request({"type": "projects.submit", "channel": "webhook"})
                assert ack["type"] == "ack" and ack["result"]["submissions"] == "2"
                deliveries = {}
                for _ in range(2):
                    queued = (await f.event("webhook.queued", timeout=10))["delivery"]
                    deliveries[queued["project"]] = queued["id"]
                assert set(deliveries) == {project, other}
                for p, d in deliveries.items():
                    assert d.startswith(f"atelier-{server.info['workshop']}-{p}-v")
                # Attempts fail (refused), each journaled with its error and its next try.
                failed = set()
                while len(failed) < 2:
                    attempted = await f.event("webhook.attempted", timeout=60)
                    a = attempted["attempt"]
                    assert attempted["delivery"] in deliveries.values() and a["status"] is None and a["error"] and a["nextAt"]
                    assert ms(a["nextAt"]) > ms(a["at"])
                    failed.add(attempted["delivery"])
                retrying = await f.expect(lambda m: m.get("type") == "submission.progress" and m["state"] == "retrying", timeout=10)
                assert "nouvel essai" in retrying["message"]
                # Participants see none of it.
                for p in people:
                    assert not any("webhook" in frame for frame in p.frames)
                for x in (f, *people):
                    await x.close()
                return project, deliveries
            project, deliveries = asyncio.run(before_the_kill())
            delivery = deliveries[project]

            server.kill9()
            server.start()
            hook = webhook_server(fail_first=0, secret=SECRET, port=port)
            wait_for(lambda: set(deliveries.values()) <= {r["webhook_id"] for r in hook.recorder.requests}, "the deliveries after the restart")

            async def after_the_restart():
                f, wf = await join_facilitator(server)
                # The receipt is journaled once delivered; wait for it if it is not there yet.
                missing = {p for p in deliveries if not next(x for x in wf["workshop"]["projects"] if x["id"] == p)["receipts"]}
                while missing:
                    missing.discard((await f.event("project.submitted", timeout=30))["project"])
                await f.close()
                f, wf = await join_facilitator(server)
                for p, d in deliveries.items():
                    sheet = next(x for x in wf["workshop"]["projects"] if x["id"] == p)
                    assert sheet["status"] == "submitted" and [r["channel"] for r in sheet["receipts"]] == ["webhook"]
                    entry = next(e for e in wf["workshop"]["outbox"] if e["id"] == d)
                    assert entry["state"] == "delivered" and entry["nextAt"] is None
                    assert entry["attemptCount"] >= 2 and entry["attempts"][-1]["status"] == 201
                    assert all(a["status"] is None and a["error"] for a in entry["attempts"][:-1])

                # "Relancer": the same delivery again, with the same webhook-id.
                before = len(hook.recorder.requests)
                # (a message id of its own: the facilitator's earlier ids are remembered with their answers)
                ack = await f.request({"id": "relancer-1", "type": "webhook.redeliver", "delivery": delivery})
                assert ack["type"] == "ack", ack
                await f.event("webhook.redelivered", timeout=10)
                attempted = await f.event("webhook.attempted", timeout=60)
                assert attempted["attempt"]["status"] == 201
                assert len(hook.recorder.requests) == before + 1
                await f.close()
            asyncio.run(after_the_restart())
        finally:
            server.stop()
            if hook:
                hook.shutdown()
    requests = hook.recorder.requests
    assert {r["webhook_id"] for r in requests} == set(deliveries.values()), "each delivery arrives, under its own id"
    assert all(r["verified"] is True for r in requests), "each attempt verifies with the reference package"
    assert len(hook.unique_keys) == 2, "the receiver, deduplicating by id, has each delivery exactly once"
    for r in requests:
        assert deliveries[r["body"]["project"]["id"]] == r["webhook_id"] == r["key"], "one id per delivery, on every attempt"


def test_retry_after_is_honoured_and_a_refusal_stops_the_retries(database):
    hook = webhook_server(fail_first=1, fail_status=429, retry_after=2, secret=SECRET)
    with tempfile.TemporaryDirectory(prefix="atelier-outbox-") as data_dir:
        server = Server(data_dir, free_port(), database=database, extra_args=[
            "--webhook", hook.url, "--webhook-secret", SECRET, "--webhook-retry-base-ms", "50"]).start()
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                assert (await f.request({"type": "projects.submit", "channel": "webhook"}))["type"] == "ack"
                first = (await f.event("webhook.attempted", timeout=60))["attempt"]
                assert first["status"] == 429
                # The base is 50 ms; the receiver asked for 2 s, and gets them.
                assert ms(first["nextAt"]) - ms(first["at"]) >= 2000
                second = (await f.event("webhook.attempted", timeout=60))["attempt"]
                assert second["status"] == 201 and second["nextAt"] is None
                await f.event("project.submitted", timeout=30)
                for x in (f, *people):
                    await x.close()
            asyncio.run(scenario())
        finally:
            server.stop()
            hook.shutdown()
