"""Issue 13: a dossier prepared on Démarches Simplifiées is followed on the platform's index by
its prefill token: prefilled → brouillon → en_construction (filed) → en_instruction → a decision,
journaled as `dossier.followed` when it changes, from the console, the command line and a timer;
an unclaimed draft that the platform deleted shows as expired and is prepared again only when
the facilitator names it. The claim link and the token reach the facilitator alone: every frame a
participant receives during all of it is read, and so is every export."""
import asyncio
import os
import subprocess
import tempfile
import time
import urllib.request

from conftest import BINARY, ROOT, Server, free_port, join_facilitator, join_participant, settle
from pipeline_fakes import demarches_server
from test_projects import make_projects


def start(ds, data_dir, database, every=0):
    mapping = os.path.join(data_dir, "mapping.yaml")
    with open(mapping, "w") as f:
        f.write("champs:\n  title: Q2hhbXAtMQ==\n  summary: Q2hhbXAtMg==\n")
    return Server(data_dir, free_port(), database=database, extra_args=[
        "--demarches", ds.url, "--procedure", str(ds.procedure), "--mapping", mapping,
        "--demarches-follow-every", str(every)]).start()


def secrets_of(ds):
    """What must never reach a participant nor an export: every token and claim link."""
    out = ["prefill_token", "prefillToken", "/commencer/"]
    for d in ds.dossiers.values():
        out.append(d.token)
    return out


def exports(server):
    key = server.info["key"]
    for fmt in ("json", "csv", "md", "html", "xlsx"):
        req = urllib.request.Request(f"{server.url}/api/workshops/{server.info['workshop']}/export?format={fmt}",
                                     headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            yield fmt, r.read()


def test_a_dossier_is_followed_through_every_status_and_prepared_again_once_expired(database):
    ds = demarches_server()
    with tempfile.TemporaryDirectory(prefix="atelier-follow-") as data_dir:
        server = start(ds, data_dir, database)
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                # A participant who joins during the follow-up reads frames too.
                late, _ = await join_participant(server, "Chloé", group="g_cooperer", organisation="EI Bâtir")
                watchers = (*people, late)

                async def follow(expect_changed):
                    ack = await f.request({"type": "projects.follow"}, timeout=30)
                    assert ack["type"] == "ack", ack
                    assert ack["result"]["changed"] == str(expect_changed), ack
                    if expect_changed:
                        return await f.event("dossier.followed", timeout=10)

                async def sheet_seen_by(client):
                    ev = await client.event("dossier.followed", timeout=10)
                    assert ev["project"] == project and "url" not in ev and "prefillToken" not in ev["dossier"]
                    return ev

                # Prepared, not submitted: the project lead has to take it over.
                assert (await f.request({"type": "projects.submit", "channel": "demarches"}))["type"] == "ack"
                submitted = await f.expect(lambda m: m.get("type") == "project.submitted", timeout=30)
                number = submitted["receipt"]["number"]
                assert submitted["receipt"]["url"] and submitted["receipt"]["prefillToken"] == ds.dossiers[number].token
                assert submitted["receipt"]["dossier"]["state"] == "prefilled"
                progress = await f.expect(lambda m: m.get("type") == "submission.progress" and m["state"] == "done", timeout=10)
                assert "à reprendre par le porteur" in progress["message"]
                for p in watchers:
                    ev = await p.event("project.submitted", timeout=10)
                    assert ev["receipt"]["url"] is None and "prefillToken" not in ev["receipt"]
                _, wf = await join_facilitator(server)
                assert next(p for p in wf["workshop"]["projects"] if p["id"] == project)["status"] == "prepared"

                # Nothing moved: nothing journaled.
                await follow(0)
                assert ds.recorder.index_queries[-1] == [ds.dossiers[number].token]

                steps = [(lambda: ds.claim(number), "brouillon", "prepared"),
                         (lambda: ds.file(number), "en_construction", "submitted"),
                         (lambda: ds.instruct(number), "en_instruction", "submitted"),
                         (lambda: ds.decide(number, "accepte"), "accepte", "submitted")]
                for act, state, status in steps:
                    act()
                    ev = await follow(1)
                    assert ev["dossier"]["state"] == state and ev["reference"] == submitted["receipt"]["reference"]
                    for p in watchers:
                        assert (await sheet_seen_by(p))["dossier"]["state"] == state
                    f2, wf2 = await join_facilitator(server)
                    sheet = next(p for p in wf2["workshop"]["projects"] if p["id"] == project)
                    assert sheet["status"] == status and sheet["receipts"][-1]["dossier"]["state"] == state
                    await f2.close()
                assert ev["dossier"]["submittedAt"] and ev["dossier"]["processedAt"]
                # A decision is final: not asked again.
                queries = len(ds.recorder.index_queries)
                await follow(0)
                assert len(ds.recorder.index_queries) == queries

                # Preparing it again is refused while it lives.
                again = await f.request({"type": "projects.submit", "channel": "demarches", "projects": [project], "again": True})
                assert again["code"] == "invalid"

                for p in watchers:
                    await settle(p)
                    for frame in p.frames:
                        for secret in secrets_of(ds):
                            assert secret not in frame, f"a participant's frame holds {secret!r}"
                for x in (f, *watchers):
                    await x.close()
            asyncio.run(scenario())
            for fmt, data in exports(server):
                for secret in secrets_of(ds):
                    assert secret.encode() not in data, f"the {fmt} export holds {secret!r}"
        finally:
            server.stop()
            ds.shutdown()


def test_an_unclaimed_draft_expires_and_is_prepared_again_when_the_facilitator_says_so(database):
    ds = demarches_server()
    with tempfile.TemporaryDirectory(prefix="atelier-follow-") as data_dir:
        # Followed by the server's own timer as well (every second): the first follow-up finds the expiry.
        server = start(ds, data_dir, database, every=1)
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                assert (await f.request({"type": "projects.submit", "channel": "demarches"}))["type"] == "ack"
                first = (await f.expect(lambda m: m.get("type") == "project.submitted", timeout=30))["receipt"]
                # Five days later, nobody opened the link: the platform's job deletes the draft.
                ds.expire(first["number"])
                ev = await f.event("dossier.followed", timeout=30)
                assert ev["dossier"]["state"] == "expired"
                for p in people:
                    assert (await p.event("dossier.followed", timeout=10))["dossier"]["state"] == "expired"
                # Not sent again by itself, nor without naming it.
                plain = await f.request({"type": "projects.submit", "channel": "demarches"})
                assert plain["code"] == "invalid"
                unnamed = await f.request({"type": "projects.submit", "channel": "demarches", "again": True})
                assert unnamed["code"] == "invalid"
                assert len(ds.recorder.requests) == 1
                # The facilitator confirms: a new POST, a new dossier, followed from then on.
                ack = await f.request({"type": "projects.submit", "channel": "demarches", "projects": [project], "again": True})
                assert ack["type"] == "ack", ack
                second = (await f.expect(lambda m: m.get("type") == "project.submitted", timeout=30))["receipt"]
                assert second["number"] != first["number"] and len(ds.recorder.requests) == 2
                assert second["dossier"]["state"] == "prefilled"
                f2, wf2 = await join_facilitator(server)
                sheet = next(p for p in wf2["workshop"]["projects"] if p["id"] == project)
                assert sheet["status"] == "prepared"
                assert [r["dossier"]["state"] for r in sheet["receipts"]] == ["expired", "prefilled"]
                for p in people:
                    await settle(p)
                    assert not any(s in frame for frame in p.frames for s in secrets_of(ds))
                for x in (f, f2, *people):
                    await x.close()
            asyncio.run(scenario())
        finally:
            server.stop()
            ds.shutdown()


def test_the_command_line_follows_through_the_running_server_and_alone(database):
    ds = demarches_server()
    with tempfile.TemporaryDirectory(prefix="atelier-follow-") as data_dir:
        server = start(ds, data_dir, database)
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                assert (await f.request({"type": "projects.submit", "channel": "demarches"}))["type"] == "ack"
                receipt = (await f.expect(lambda m: m.get("type") == "project.submitted", timeout=30))["receipt"]
                for x in (f, *people):
                    await x.close()
                return project, receipt["number"]
            project, number = asyncio.run(scenario())
            follow = [BINARY, "follow", server.info["workshop"], "--demarches", ds.url, "--procedure", str(ds.procedure),
                      *server.storage_args, "--plans", os.path.join(ROOT, "sessions")]
            ds.claim(number)
            out = subprocess.run(follow, capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            assert "repris en brouillon (nouveau)" in out.stdout and ds.dossiers[number].token not in out.stdout
            kinds = [kind for _, kind in server.journal(server.info["workshop"])]
            assert kinds.count("dossier.followed") == 1
            server.stop()
            # Without a server: written by the command itself.
            ds.file(number)
            out = subprocess.run(follow, capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            assert "déposé (nouveau)" in out.stdout
            out = subprocess.run(follow, capture_output=True, text=True, timeout=60)
            assert "déposé" in out.stdout and "(nouveau)" not in out.stdout
            kinds = [kind for _, kind in server.journal(server.info["workshop"])]
            assert kinds.count("dossier.followed") == 2
            # An unknown procedure: the platform's 404 and its error, in French around it.
            bad = subprocess.run([*follow[:6], "9999", *follow[7:]], capture_output=True, text=True, timeout=60)
            assert bad.returncode != 0 and "procedure 9999 is not found" in bad.stdout
        finally:
            server.stop()
            ds.shutdown()


def test_a_closed_workshops_dossiers_are_still_followed_after_a_restart(database):
    """The workshop ends, the dossiers go on: a closed workshop with a dossier still moving is
    loaded at start and followed by the server's timer, with nobody connected."""
    ds = demarches_server()
    with tempfile.TemporaryDirectory(prefix="atelier-follow-") as data_dir:
        server = start(ds, data_dir, database, every=1)
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                assert (await f.request({"type": "projects.submit", "channel": "demarches"}))["type"] == "ack"
                receipt = (await f.expect(lambda m: m.get("type") == "project.submitted", timeout=30))["receipt"]
                assert (await f.request({"type": "workshop.close"}))["type"] == "ack"
                for x in (f, *people):
                    await x.close()
                return receipt["number"]
            number = asyncio.run(scenario())
            server.stop()
            ds.claim(number)
            server.start()
            deadline = time.monotonic() + 120
            while "dossier.followed" not in [kind for _, kind in server.journal(server.info["workshop"])]:
                assert time.monotonic() < deadline, "the closed workshop's dossier was never followed"
                time.sleep(0.1)
            # The hand-off goes on; the workshop itself stays closed.
            async def after():
                f, wf = await join_facilitator(server)
                sheet = wf["workshop"]["projects"][0]
                assert sheet["receipts"][-1]["dossier"]["state"] == "brouillon"
                refused = await f.request({"id": "apres-cloture-1", "type": "announce", "text": "Encore là ?"})
                assert refused["code"] == "closed"
                await f.close()
            asyncio.run(after())
        finally:
            server.stop()
            ds.shutdown()
