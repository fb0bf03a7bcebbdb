"""Issue 13: webhooks as receivers expect them — signed per the Standard Webhooks specification
(`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,…` with the endpoint's secret), checked
by the reference `standardwebhooks` package; the same id on every attempt; https required except
to this machine."""
import asyncio
import base64
import os
import subprocess
import tempfile

from conftest import BINARY, ROOT, Server, free_port
from pipeline_fakes import webhook_server
from test_projects import make_projects

SECRET = "whsec_" + base64.b64encode(b"atelier-test-signing-key-32bytes").decode()


def test_deliveries_are_signed_and_verified_by_the_reference_package(database):
    hook = webhook_server(fail_first=1, secret=SECRET)
    with tempfile.TemporaryDirectory(prefix="atelier-signed-") as data_dir:
        server = Server(data_dir, free_port(), database=database, extra_args=["--webhook", hook.url, "--webhook-secret", SECRET,
                                                                             "--webhook-retry-base-ms", "50"]).start()
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                ack = await f.request({"type": "projects.submit", "channel": "webhook"})
                assert ack["type"] == "ack"
                submitted = await f.event("project.submitted", timeout=30)
                assert submitted["project"] == project
                for x in (f, *people):
                    await x.close()
            asyncio.run(scenario())
        finally:
            server.stop()
            hook.shutdown()
    attempts = hook.recorder.requests
    assert len(attempts) == 2, "a 503, then the retry"
    assert all(a["verified"] is True for a in attempts), "every attempt verifies with the reference package"
    assert len({a["webhook_id"] for a in attempts}) == 1, "one webhook-id for every attempt of a delivery"
    assert all((a["agent"] or "").startswith("Atelier/") for a in attempts)


def test_a_wrong_secret_is_refused_by_the_receiver_and_http_is_for_this_machine_only(database):
    hook = webhook_server(fail_first=0, secret=SECRET)
    other = "whsec_" + base64.b64encode(b"another-key-entirely-32-bytes!!!").decode()
    with tempfile.TemporaryDirectory(prefix="atelier-signed-") as data_dir:
        server = Server(data_dir, free_port(), database=database, extra_args=["--webhook", hook.url, "--webhook-secret", other]).start()
        try:
            async def scenario():
                f, people, _ = await make_projects(server)
                await f.request({"type": "projects.submit", "channel": "webhook"})
                failed = await f.expect(lambda m: m.get("type") == "submission.progress" and m["state"] == "failed", timeout=30)
                assert "401" in failed["message"]
                for x in (f, *people):
                    await x.close()
            asyncio.run(scenario())
        finally:
            server.stop()
            hook.shutdown()
        assert hook.recorder.requests and all(a["verified"] is False for a in hook.recorder.requests)
        out = subprocess.run([BINARY, "submit", "w_x", "--webhook", "http://exemple.fr/hook", "--data", data_dir,
                              "--plans", os.path.join(ROOT, "sessions")], capture_output=True, text=True)
        assert out.returncode != 0 and "https requis" in out.stderr
