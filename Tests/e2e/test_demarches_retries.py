"""Issue 13: never two applications on Démarches Simplifiées, and the claim link is the
facilitator's alone. DS has no idempotency key and records a dossier before it applies the
values, so a POST that may have been processed is never sent again; one refused before anything
was recorded (503 with Retry-After) is."""
import asyncio
import json
import os
import tempfile
import urllib.request

import pytest

from conftest import Server, free_port, join_facilitator, settle
from pipeline_fakes import demarches_server
from test_projects import make_projects


def start(ds, data_dir, database):
    mapping = os.path.join(data_dir, "mapping.yaml")
    with open(mapping, "w") as f:
        f.write("champs:\n  title: Q2hhbXAtMQ==\n  summary: Q2hhbXAtMg==\n  support.methodological: Q2hhbXAtNQ==\n")
    return Server(data_dir, free_port(), database=database, extra_args=[
        "--demarches", ds.url, "--procedure", str(ds.procedure), "--mapping", mapping]).start()


def test_a_500_after_the_dossier_was_recorded_is_uncertain_and_never_sent_again(database):
    ds = demarches_server(script=["500-after-record"])
    with tempfile.TemporaryDirectory(prefix="atelier-ds-") as data_dir:
        server = start(ds, data_dir, database)
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                ack = await f.request({"type": "projects.submit", "channel": "demarches"})
                assert ack["type"] == "ack"
                failed = await f.expect(lambda m: m.get("type") == "submission.progress" and m["state"] in ("failed", "done"), timeout=30)
                assert failed["state"] == "failed" and failed["project"] == project
                assert "incertain" in failed["message"] and "vérifiez" in failed["message"], failed["message"]
                await asyncio.sleep(3)  # a retry, if there were one, would come within the backoff
                assert ds.recorder.attempts == 1, "a POST that may have created a dossier is not sent again"
                f2, wf2 = await join_facilitator(server)
                sheet = next(p for p in wf2["workshop"]["projects"] if p["id"] == project)
                assert sheet["status"] != "submitted" and sheet["receipts"] == []
                for x in (f, f2, *people):
                    await x.close()
            asyncio.run(scenario())
        finally:
            server.stop()
            ds.shutdown()


def test_a_503_with_retry_after_is_retried_and_the_claim_link_reaches_the_facilitator_only(database):
    ds = demarches_server(script=["503"])
    with tempfile.TemporaryDirectory(prefix="atelier-ds-") as data_dir:
        server = start(ds, data_dir, database)
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                ack = await f.request({"type": "projects.submit", "channel": "demarches"})
                assert ack["type"] == "ack"
                submitted = await f.expect(lambda m: m.get("type") == "project.submitted", timeout=30)
                claim = submitted["receipt"]["url"]
                assert claim and "prefill_token=" in claim, "the facilitator gets the claim link"
                assert ds.recorder.attempts == 2 and len(ds.recorder.requests) == 1
                # A yes/no goes as the string DS reads ("true"), not a JSON boolean (stored "t", shown "Non").
                assert ds.recorder.requests[0]["champ_Q2hhbXAtNQ=="] == "true"
                for p in people:
                    event = await p.event("project.submitted", timeout=10)
                    assert event["receipt"]["url"] is None and event["receipt"]["number"] == 1001
                    await settle(p)
                    assert not any("prefill_token" in frame for frame in p.frames), "no participant frame holds the claim link"
                # Neither does a participant's new snapshot, nor any export.
                f2, wf2 = await join_facilitator(server)
                assert next(p for p in wf2["workshop"]["projects"] if p["id"] == project)["receipts"][0]["url"] == claim
                key = server.info["key"]
                for fmt in ("json", "csv", "md", "html"):
                    req = urllib.request.Request(f"{server.url}/api/workshops/{server.info['workshop']}/export?format={fmt}",
                                                 headers={"Authorization": f"Bearer {key}"})
                    with urllib.request.urlopen(req, timeout=10) as r:
                        assert b"prefill_token" not in r.read(), f"the {fmt} export holds no claim link"
                for x in (f, f2, *people):
                    await x.close()
            asyncio.run(scenario())
        finally:
            server.stop()
            ds.shutdown()
