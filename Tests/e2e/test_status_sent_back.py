"""Statuses sent back by the call's platform for a sheet delivered by webhook (issue 14 item 3;
docs/export.md "Statuses sent back"): signed with the webhook's secret over the body, fresh, and
one of the filed states. The facilitator sees the sheet under review, then accepted; a bad
signature, an old message, a state only Démarches Simplifiées has, a sheet never delivered and an
unknown project are refused, in French; the same status twice is journaled once."""
import asyncio
import base64
import hashlib
import hmac
import json
import tempfile
import time
import urllib.error
import urllib.request

from conftest import Server, free_port, join_facilitator
from pipeline_fakes import webhook_server
from test_projects import make_projects

SECRET = "whsec_" + base64.b64encode(b"atelier-test-signing-key-32bytes").decode()
KEY = base64.b64decode(SECRET[len("whsec_"):])


def send_status(server, project, body, key=KEY, timestamp=None):
    """(status, JSON answer) of a status sent back, signed `Signature v1,<base64 HMAC-SHA256>`."""
    raw = json.dumps({"workshop": server.info["workshop"], "project": project,
                      "timestamp": int(time.time()) if timestamp is None else timestamp, **body}).encode()
    signature = base64.b64encode(hmac.new(key, raw, hashlib.sha256).digest()).decode()
    request = urllib.request.Request(f"{server.url}/api/workshops/{server.info['workshop']}/projects/{project}/status",
                                     data=raw, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Signature v1,{signature}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_platform_sends_back_the_status_of_a_delivered_sheet(database):
    hook = webhook_server(fail_first=0, secret=SECRET)
    with tempfile.TemporaryDirectory(prefix="atelier-status-") as data_dir:
        server = Server(data_dir, free_port(), database=database,
                        extra_args=["--webhook", hook.url, "--webhook-secret", SECRET]).start()
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                # Before it is delivered, there is nothing to follow.
                status, body = send_status(server, project, {"state": "en_instruction"})
                assert status == 409 and "pas été livré par webhook" in body["error"]["message"], body
                assert (await f.request({"type": "projects.submit", "channel": "webhook"}))["type"] == "ack"
                await f.event("project.submitted", timeout=30)

                refusals = [
                    (send_status(server, project, {"state": "en_instruction"}, key=b"x" * 32), 401, "Signature"),
                    (send_status(server, project, {"state": "en_instruction"}, timestamp=int(time.time()) - 3600), 400, "Horodatage"),
                    (send_status(server, project, {"state": "prefilled"}), 400, "livré par webhook est déposé"),
                    (send_status(server, project, {"state": "approuvé"}), 400, "État de dossier inconnu"),
                    (send_status(server, "j_999999", {"state": "accepte"}), 404, "Projet inconnu"),
                ]
                for (status, body), expected, words in refusals:
                    assert status == expected and words in body["error"]["message"], (status, body)

                status, body = send_status(server, project, {"state": "en_instruction", "submittedAt": "2027-03-01T09:00:00.000Z"})
                assert status == 200 and body["events"] == 1, body
                followed = await f.event("dossier.followed")
                assert followed["project"] == project and followed["dossier"]["state"] == "en_instruction", followed
                decided = {"state": "accepte", "processedAt": "2027-04-15T14:00:00.000Z"}
                status, body = send_status(server, project, decided)
                assert status == 200 and body["events"] == 1, body
                followed = await f.event("dossier.followed")
                assert followed["dossier"] == {"state": "accepte", "submittedAt": "2027-03-01T09:00:00.000Z",
                                               "processedAt": "2027-04-15T14:00:00.000Z"}, followed
                status, body = send_status(server, project, decided)
                assert status == 200 and body["events"] == 0, "the same status twice is journaled once"
                for x in people:
                    seen = await x.expect(lambda m: m.get("type") == "dossier.followed" and m["dossier"]["state"] == "accepte")
                    assert seen["project"] == project
                f2 = await type(f).connect(server.ws_url)
                welcome = await f2.request({"type": "join", "workshop": server.info["workshop"], "facilitatorKey": server.info["key"]})
                [sheet] = [p for p in welcome["workshop"]["projects"] if p["id"] == project]
                assert sheet["status"] == "submitted"
                assert [r["dossier"]["state"] for r in sheet["receipts"] if r["channel"] == "webhook"] == ["accepte"], sheet["receipts"]
                for x in (f, f2, *people):
                    await x.close()
            asyncio.run(scenario())
        finally:
            server.stop()
            hook.shutdown()


def test_without_a_signing_secret_no_status_is_received(server):
    status, body = send_status(server, "j_1", {"state": "accepte"})
    assert status == 404 and "webhook signé" in body["error"]["message"], body


def test_an_older_status_is_still_refused_after_a_restart(database):
    """The stamp of the status that decided the sheet is journaled with it: once the server has
    restarted (its memory gone), a recorded older status, still within the 5 minutes' tolerance,
    cannot move the decided project back; the current status again is a retry."""
    hook = webhook_server(fail_first=0, secret=SECRET)
    with tempfile.TemporaryDirectory(prefix="atelier-status-") as data_dir:
        server = Server(data_dir, free_port(), database=database,
                        extra_args=["--webhook", hook.url, "--webhook-secret", SECRET]).start()
        try:
            now = int(time.time())

            async def deliver():
                f, people, project = await make_projects(server)
                assert (await f.request({"type": "projects.submit", "channel": "webhook"}))["type"] == "ack"
                await f.event("project.submitted", timeout=30)
                for x in (f, *people):
                    await x.close()
                return project
            project = asyncio.run(deliver())
            status, body = send_status(server, project, {"state": "en_instruction"}, timestamp=now - 20)
            assert status == 200 and body["events"] == 1, body
            status, body = send_status(server, project, {"state": "accepte"}, timestamp=now - 10)
            assert status == 200 and body["events"] == 1, body

            server.stop()
            server.start()
            status, body = send_status(server, project, {"state": "en_instruction"}, timestamp=now - 20)
            assert status == 409 and "plus ancien" in body["error"]["message"], (status, body)
            status, body = send_status(server, project, {"state": "accepte"}, timestamp=now - 10)
            assert status == 200 and body["events"] == 0, body
            status, body = send_status(server, project, {"state": "refuse"}, timestamp=now - 15)
            assert status == 409, (status, body)

            async def check():
                f, welcome = await join_facilitator(server)
                [sheet] = [p for p in welcome["workshop"]["projects"] if p["id"] == project]
                [receipt] = [r for r in sheet["receipts"] if r["channel"] == "webhook"]
                assert receipt["dossier"]["state"] == "accepte", receipt
                assert "statusAt" not in receipt["dossier"], "the stamp stays in the journal"
                await f.close()
            asyncio.run(check())
        finally:
            server.stop()
            hook.shutdown()
