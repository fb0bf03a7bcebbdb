"""From idea to project, and out to the call-for-projects pipeline, through the real server."""
import asyncio
import csv
import io
import json
import os
import subprocess
import tempfile
import urllib.request

import jsonschema
import pytest

from conftest import BINARY, ROOT, Server, free_port, join_facilitator, join_participant, board_of, settle
from pipeline_fakes import demarches_server, webhook_server

SCHEMA = json.load(open(os.path.join(ROOT, "schemas", "workshop-export.v2.json")))

# A sheet the default plan's call accepts (its form and rules: sessions/iae-saone-et-loire.yaml).
COMPLETE = {
    "summary": "Créer un poste de chargé d'insertion partagé entre trois SIAE du bassin.",
    "cooperation": "siae", "orientation": "g_cooperer",
    "constats": ["appetence-cooperation", "parcours-complexes"],
    "lead": {"name": "ACI Le Pont", "actor": "aci", "siret": "73282932000074"},
    "partners": [{"name": "EI Bâtir", "actor": "ei", "role": "co-employeur", "siret": "35600000049837"}],
    "territory": "Le Creusot-Montceau",
    "totalBudget": 60000,
    "cofinancing": [{"funder": "Région Bourgogne-Franche-Comté", "amount": 20000, "status": "requested"},
                    {"funder": "Fondation Fictive", "amount": 5000, "status": "obtained"}],
    "support": {"methodological": True, "methodologicalNeed": "Animer la gouvernance à trois.",
                "expertise": 5000, "expertisePurpose": "Une étude juridique du groupement d'employeurs.", "grant": 12500},
    "durationMonths": 24, "startDate": "2027-01-04",
    "outcomes": {"insertionJobs": 3, "peopleSupported": 40, "other": ""},
    "nextActions": [{"action": "Réunir les trois directions", "owner": "Marie Dupont", "due": "2027-01-15"}],
    "nextSteps": "Réunir les trois directions en janvier.",
    "contact": {"name": "Marie Dupont", "email": "marie.dupont@example.org", "phone": "03 85 00 00 00"},
}


@pytest.fixture
def pipeline(database):
    hook, ds = webhook_server(fail_first=2), demarches_server()
    with tempfile.TemporaryDirectory(prefix="atelier-projects-") as data_dir:
        mapping = os.path.join(data_dir, "mapping.yaml")
        with open(mapping, "w") as f:
            f.write("champs:\n  title: Q2hhbXAtMQ==\n  summary: Q2hhbXAtMg==\n  lead.siret: Q2hhbXAtMw==\n  support.grant: Q2hhbXAtNA==\n")
        server = Server(data_dir, free_port(), database=database, extra_args=[
            "--webhook", hook.url, "--demarches", ds.url, "--procedure", str(ds.procedure), "--mapping", mapping,
            "--webhook-retry-base-ms", "50"]).start()
        try:
            yield server, hook, ds, mapping
        finally:
            server.stop()
            hook.shutdown(); ds.shutdown()


def http_get(server, path, key):
    req = urllib.request.Request(server.url + path, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read()


async def make_projects(server, fields=COMPLETE):
    """Two people of the cooperation table turn a cluster into a project; the facilitator marks it ready."""
    f, wf = await join_facilitator(server)
    a, wa = await join_participant(server, "Alice", group="g_cooperer", organisation="ACI Le Pont")
    b, wb = await join_participant(server, "Bruno", group="g_cooperer", organisation="EI Bâtir")
    board = board_of(wa)["id"]
    problem = next(c["id"] for c in wa["workshop"]["cards"] if c["board"] == board)
    assert (await f.request({"type": "phase.set", "phase": "ideas"}))["type"] == "ack"
    idea = (await a.request({"type": "card.add", "board": board, "column": "ideas", "text": "Un poste partagé <script>alert(1)</script>"}))["result"]["card"]
    hidden = (await b.request({"type": "card.add", "board": board, "column": "ideas", "text": "Carte modérée"}))["result"]["card"]
    await b.request({"type": "vote.cast", "card": idea})
    await f.request({"type": "card.hide", "card": hidden})
    cluster = (await a.request({"type": "cluster.create", "board": board, "title": "Mutualiser", "cards": [idea, problem]}))["result"]["cluster"]
    assert (await f.request({"type": "phase.set", "phase": "projects"}))["type"] == "ack"
    created = await a.request({"type": "project.create", "board": board, "title": "Poste partagé", "cluster": cluster})
    assert created["type"] == "ack", created
    project = created["result"]["project"]
    # Both edit from version 1: the second gets `conflict` with the current value.
    first = await b.request({"type": "project.update", "project": project, "version": 1, "fields": {"summary": "Version de Bruno"}})
    assert first["type"] == "ack"
    clash = await a.request({"type": "project.update", "project": project, "version": 1, "fields": {"summary": "Version d'Alice"}})
    assert clash["code"] == "conflict" and clash["current"]["summary"] == "Version de Bruno"
    bad = await a.request({"type": "project.update", "project": project, "version": 2, "fields": {"lead": {"name": "X", "actor": "aci", "siret": "12345678901234"}}})
    assert bad["code"] == "invalid" and "SIRET" in bad["message"]
    assert [(e["field"], e.get("part")) for e in bad["fieldErrors"]] == [("lead", "siret")], bad
    assert bad["fieldErrors"][0]["message"].startswith("« Structure porteuse — SIRET » : le SIRET doit compter 14 chiffres"), bad
    # The project column holds the sheets: no card goes there.
    card = await a.request({"type": "card.add", "board": board, "column": "projects", "text": "Une fiche ?"})
    assert card["code"] == "invalid" and "Nouvelle fiche projet" in card["message"], card
    early = await f.request({"type": "project.ready", "project": project})
    assert early["code"] == "invalid" and early["missing"]
    # The call's rules, each with its reason in French and its id.
    single = dict(fields, partners=[{"name": "Fonderie Fictive", "actor": "business"}], support=dict(fields["support"], grant=70000))
    single.pop("cofinancing", None)
    assert (await a.request({"type": "project.update", "project": project, "version": 2, "fields": single}))["type"] == "ack"
    refused = await f.request({"type": "project.ready", "project": project})
    assert refused["code"] == "invalid", refused
    assert [r["rule"] for r in refused["rules"]] == ["deux-siae", "montants"], refused
    assert refused["missingFields"][0] == "cofinancing" and "Cofinancements" in refused["missing"]
    assert "au moins deux SIAE distinctes" in refused["message"] and "ne dépassent pas le budget total" in refused["message"]
    done = await a.request({"type": "project.update", "project": project, "version": 3, "fields": fields})
    assert done["type"] == "ack", done
    assert (await f.request({"type": "project.ready", "project": project}))["type"] == "ack"
    assert (await b.request({"type": "project.support", "project": project}))["type"] == "ack"
    return f, (a, b), project


def test_projects_export_in_every_format(pipeline):
    server, hook, ds, _ = pipeline

    async def make_and_export():
        f, people, project = await make_projects(server)
        key, workshop = server.info["key"], server.info["workshop"]
        # Dots are secret until the reveal: the facilitator's export shows none (docs/protocol.md).
        status, ctype, body = http_get(server, f"/api/workshops/{workshop}/export?format=json", key)
        before = next(x for x in json.loads(body)["projects"] if x["id"] == project)
        assert before["provenance"]["votes"] is None, before["provenance"]
        assert all(c["votes"] is None for c in before["provenance"]["ideas"])
        assert (await f.request({"type": "votes.reveal"}))["type"] == "ack"
        for x in (f, *people):
            await x.close()
        return project
    project = asyncio.run(make_and_export())
    key = server.info["key"]
    workshop = server.info["workshop"]

    status, ctype, body = http_get(server, f"/api/workshops/{workshop}/export?format=json", key)
    doc = json.loads(body)
    jsonschema.validate(doc, SCHEMA)
    # The schema served for this workshop is the committed one (its form is the default plan's).
    assert json.loads(http_get(server, f"/api/workshops/{workshop}/export?format=schema", key)[2]) == SCHEMA
    p = next(x for x in doc["projects"] if x["id"] == project)
    assert p["status"] == "ready" and p["fields"]["lead"]["siret"] == "73282932000074"
    assert p["fields"]["cofinancing"][0] == {"funder": "Région Bourgogne-Franche-Comté", "amount": 20000, "status": "requested"}
    assert p["fields"]["startDate"] == "2027-01-04" and doc["call"]["budget"] == 300000
    assert p["provenance"]["cluster"] == "Mutualiser" and p["provenance"]["votes"] == 1
    assert p["provenance"]["problems"] and p["provenance"]["ideas"]
    assert "Carte modérée" not in body.decode(), "hidden cards are left out"

    status, ctype, body = http_get(server, f"/api/workshops/{workshop}/export?format=csv", key)
    assert ctype.startswith("text/csv") and body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    header, row = rows[0], rows[1]
    grant = "Soutiens demandés à l'appel à projets — Subvention (montant) (€)"
    assert row[header.index(grant)] == "12500,00"
    assert row[header.index("Structure porteuse — SIRET")] == "73282932000074"
    assert row[header.index("Cofinancements")] == "Région Bourgogne-Franche-Comté, 20000, Demandé | Fondation Fictive, 5000, Obtenu"
    status, ctype, body = http_get(server, f"/api/workshops/{workshop}/export?format=csv&dialect=rfc4180", key)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter=","))
    assert rows[1][rows[0].index(grant)] == "12500.00"

    status, ctype, body = http_get(server, f"/api/workshops/{workshop}/export?format=md", key)
    md = body.decode()
    assert "# Structurer" in md and "Poste partagé" in md and "Carte modérée" not in md
    assert "<script>" not in md, "markup in people's words is escaped"
    status, ctype, body = http_get(server, f"/api/workshops/{workshop}/export?format=html", key)
    html = body.decode()
    assert ctype.startswith("text/html") and "&lt;script&gt;" in html and "<script>" not in html
    assert "Alice" not in html and "Bruno" not in html, "no names in the report"

    # The CLI gives the same documents from the data directory.
    out = subprocess.run([BINARY, "export", workshop, "--format", "csv", "--csv-dialect", "rfc4180", *server.storage_args,
                          "--plans", ROOT + "/sessions"], capture_output=True, check=True).stdout
    assert b"12500.00" in out


def test_submission_to_webhook_and_demarches_never_twice(pipeline):
    server, hook, ds, mapping = pipeline

    async def scenario():
        f, people, project = await make_projects(server)
        ack = await f.request({"type": "projects.submit", "channel": "webhook"})
        assert ack["type"] == "ack" and ack["result"]["submissions"] == "1"
        submitted = await f.event("project.submitted", timeout=30)
        assert submitted["project"] == project and submitted["receipt"]["channel"] == "webhook"
        assert submitted["receipt"]["reference"] == "WH-1"
        done = await f.expect(lambda m: m.get("type") == "submission.progress" and m["state"] == "done", timeout=10)
        assert done["project"] == project
        # Retried twice after 503s, always with the same idempotency key, and sent once.
        keys = [r["key"] for r in hook.recorder.requests]
        assert len(keys) == 3 and len(set(keys)) == 1 and keys[0].startswith(f"atelier-{server.info['workshop']}-{project}-v")
        assert len(hook.unique_keys) == 1
        assert hook.recorder.requests[-1]["body"]["project"]["id"] == project
        again = await f.request({"type": "projects.submit", "channel": "webhook"})
        assert again["code"] == "invalid", "nothing is submitted twice"

        ack = await f.request({"type": "projects.submit", "channel": "demarches"})
        assert ack["type"] == "ack"
        dossier = await f.expect(lambda m: m.get("type") == "project.submitted" and m["receipt"]["channel"] == "demarches", timeout=30)
        receipt = dossier["receipt"]
        assert receipt["url"].startswith(ds.url + "/commencer/") and receipt["number"] == 1001
        champs = ds.recorder.requests[0]
        assert champs["champ_Q2hhbXAtMQ=="] == "Poste partagé"
        assert champs["champ_Q2hhbXAtMw=="] == "73282932000074"
        assert champs["champ_Q2hhbXAtNA=="] == 12500
        # A participant sees the receipt too, and reconnecting shows it in the snapshot.
        a = people[0]
        await a.event("project.submitted")
        f2, wf2 = await join_facilitator(server)
        sheet = next(p for p in wf2["workshop"]["projects"] if p["id"] == project)
        assert sheet["status"] == "submitted" and {r["channel"] for r in sheet["receipts"]} == {"webhook", "demarches"}
        for x in (f, f2, *people):
            await x.close()
        return project
    project = asyncio.run(scenario())

    # The CLI submits nothing twice either.
    server.stop()
    out = subprocess.run([BINARY, "submit", server.info["workshop"], "--webhook", hook.url, "--demarches", ds.url,
                          "--procedure", str(ds.procedure), "--mapping", mapping, *server.storage_args, "--plans", ROOT + "/sessions"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "aucun projet prêt" in out.stdout
    assert len(ds.recorder.requests) == 1


def test_a_receiver_that_keeps_failing_leaves_the_delivery_pending(pipeline):
    """A receiver that keeps failing: the console learns of each failed attempt and of the next
    one; nothing is recorded as submitted, and the delivery stays in the outbox (retried for 24 h,
    `test_webhook_outbox.py`)."""
    server, hook, ds, _ = pipeline
    hook.shutdown(); hook.server_close()  # nobody listens any more

    async def scenario():
        f, people, project = await make_projects(server)
        await f.request({"type": "projects.submit", "channel": "webhook"})
        retrying = await f.expect(lambda m: m.get("type") == "submission.progress" and m["state"] == "retrying", timeout=60)
        assert "Échec" in retrying["message"] and "nouvel essai" in retrying["message"]
        again = await f.request({"type": "projects.submit", "channel": "webhook"})
        assert again["code"] == "invalid", "a delivery under way is not queued twice"
        f2, wf2 = await join_facilitator(server)
        sheet = next(p for p in wf2["workshop"]["projects"] if p["id"] == project)
        assert sheet["status"] == "ready" and sheet["receipts"] == []
        entry = next(e for e in wf2["workshop"]["outbox"] if e["project"] == project)
        assert entry["state"] == "pending" and entry["attemptCount"] >= 1 and entry["nextAt"]
        for x in (f, f2, *people):
            await x.close()
    asyncio.run(scenario())


def test_who_edits_which_field_is_shown_live(pipeline):
    server = pipeline[0]

    async def scenario():
        f, (a, b), project = await make_projects(server)
        await settle(b)
        ack = await a.request({"type": "presence", "project": project, "field": "summary"})
        assert ack["type"] == "ack"
        seen = await b.expect(lambda m: m.get("type") == "presence" and m.get("editing"))
        assert seen["editing"] == {"project": project, "field": "summary"}
        assert seen["participant"].startswith("p_")
        assert (await a.request({"type": "presence", "project": project, "field": "budget"}))["code"] == "invalid"
        await a.request({"type": "presence"})
        left = await b.expect(lambda m: m.get("type") == "presence" and "editing" in m and m["editing"] is None)
        assert left["participant"] == seen["participant"]
        for x in (f, a, b):
            await x.close()
    asyncio.run(scenario())
