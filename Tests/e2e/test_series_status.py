"""Where a series' projects stand (docs/protocol.md "Where our projects stand"): one status line per
project across the series, keyed by its series-wide identity, that follows the Démarches
Simplifiées test double through prepared, filed (en_construction), under review and accepted —
after the sheet was carried into the next workshop (one line, not two). Read by the organiser
(`GET /api/series/{id}/projects`), the facilitator of any workshop of the series (its key), the
command line; never a claim link, a prefill token or a contact in it; a participant is refused."""
import asyncio
import json
import subprocess
import tempfile
import urllib.error
import urllib.request

from conftest import BINARY, ROOT
from test_demarches_follow import secrets_of, start
from test_projects import make_projects
from pipeline_fakes import demarches_server


def get(server, path, secret):
    request = urllib.request.Request(server.url + path, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post(server, path, body):
    request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def test_a_project_status_follows_its_dossier_across_the_series(database):
    ds = demarches_server()
    with tempfile.TemporaryDirectory(prefix="atelier-status-") as data_dir:
        server = start(ds, data_dir, database)
        try:
            series = post(server, "/api/admin/series", {"title": "Ateliers IAE 2027"})
            sid = series["id"]
            w1 = post(server, f"/api/admin/series/{sid}/workshops", {"title": "Projets"})
            # The conftest helpers join the server's workshop: point them at the series' first one.
            server.info.update(code=w1["joinCode"], workshop=w1["id"], key=w1["facilitatorKey"])

            def lines(expect_count=1):
                status, raw = get(server, f"/api/series/{sid}/projects", server.admin_token)
                assert status == 200, raw
                for secret in secrets_of(ds) + ["marie.dupont@example.org", "03 85 00 00 00"]:
                    assert secret.encode() not in raw, f"the status lines hold {secret!r}"
                body = json.loads(raw)
                assert body["series"] == {"id": sid, "title": "Ateliers IAE 2027"} and body["unread"] == []
                assert len(body["projects"]) == expect_count, body
                return body["projects"]

            async def first():
                f, people, project = await make_projects(server)
                [line] = lines()
                assert line["status"] == "ready" and line["identity"] == f"{w1['id']}/{project}"
                assert line["nextSteps"] == [{"action": "Réunir les trois directions", "owner": "Marie Dupont", "due": "2027-01-15"}]
                assert (await f.request({"type": "projects.submit", "channel": "demarches"}))["type"] == "ack"
                submitted = await f.expect(lambda m: m.get("type") == "project.submitted", timeout=30)
                number = submitted["receipt"]["number"]
                [line] = lines()
                assert line["status"] == "prepared" and line["dates"]["prepared"] and line["dates"]["filed"] is None

                async def follow():
                    ack = await f.request({"type": "projects.follow"}, timeout=30)
                    assert ack["type"] == "ack" and ack["result"]["changed"] == "1", ack

                ds.claim(number)
                await follow()
                assert lines()[0]["status"] == "prepared"  # brouillon: still the lead's draft
                ds.file(number)
                await follow()
                [line] = lines()
                assert line["status"] == "filed" and line["dates"]["filed"] and line["since"] == line["dates"]["filed"]
                for c in (f, *people):
                    await c.close()
                return project, number, follow

            project, number, _ = asyncio.run(first())

            # Carried into the next workshop: still one line, through both workshops.
            w2 = post(server, f"/api/admin/series/{sid}/workshops", {"title": "Suivi", "carry": {"from": w1["id"], "projects": [project]}})
            [line] = lines()
            assert line["workshops"] == [w1["id"], w2["id"]] and line["workshop"] == w2["id"] and line["workshopTitle"] == "Suivi"
            assert line["identity"] == f"{w1['id']}/{project}" and line["status"] == "filed"

            async def decided():
                server.info.update(code=w1["joinCode"], workshop=w1["id"], key=w1["facilitatorKey"])
                from conftest import join_facilitator
                f, _ = await join_facilitator(server)
                for act, expected in [(lambda: ds.instruct(number), "under_review"), (lambda: ds.decide(number, "accepte"), "accepted")]:
                    act()
                    ack = await f.request({"type": "projects.follow"}, timeout=30)
                    assert ack["type"] == "ack" and ack["result"]["changed"] == "1", ack
                    [line] = lines()
                    assert line["status"] == expected, line
                assert line["dates"]["decided"] and line["since"] == line["dates"]["decided"]
                await f.close()
            asyncio.run(decided())

            # The second workshop's facilitator reads the same line with its own key; a participant cannot.
            status, raw = get(server, f"/api/workshops/{w2['id']}/series/projects", w2["facilitatorKey"])
            assert status == 200 and [p["status"] for p in json.loads(raw)["projects"]] == ["accepted"], raw
            status, raw = get(server, f"/api/workshops/{w2['id']}/series/projects", w1["facilitatorKey"])
            assert status == 403 and "Clé d'animation invalide" in json.loads(raw)["error"]["message"]
            status, raw = get(server, f"/api/series/{sid}/projects", "not-the-admin-token")
            assert status == 403

            out = subprocess.run([BINARY, "series", "projects", sid, *server.storage_args], cwd=ROOT,
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            assert "Poste partagé — accepté" in out.stdout and "Prochaine étape : Réunir les trois directions — Marie Dupont, pour le 2027-01-15" in out.stdout, out.stdout
        finally:
            server.stop()
            ds.shutdown()
