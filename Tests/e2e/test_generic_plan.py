"""A second plan with another form (sessions/appel-generique.yaml): a workshop made from it runs to a
ready, exported and submitted project through the real server, with no code of its own (issue 13)."""
import asyncio
import csv
import io
import json
import os
import re
import tempfile
import urllib.request

import jsonschema
import openpyxl
import pytest

from conftest import Client, Server, free_port
from pipeline_fakes import demarches_server, webhook_server

PLAN = "appel-generique"


def http(server, method, path, body=None, token=None):
    req = urllib.request.Request(server.url + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.headers, r.read()


@pytest.fixture
def generic(database):
    hook, ds = webhook_server(fail_first=0), demarches_server()
    with tempfile.TemporaryDirectory(prefix="atelier-generic-") as data_dir:
        mapping = os.path.join(data_dir, "mapping.yaml")
        with open(mapping, "w") as f:
            # The mapping names this form's fields: a part of a single group, several choices, a date.
            f.write("champs:\n  title: Q2hhbXAtMQ==\n  theme: Q2hhbXAtMg==\n  audiences: Q2hhbXAtMw==\n"
                    "  structure.siret: Q2hhbXAtNA==\n  requested: Q2hhbXAtNQ==\n  start: Q2hhbXAtNg==\n  team: Q2hhbXAtNw==\n"
                    "  workshop.date: Q2hhbXAtOA==\n")
        server = Server(data_dir, free_port(), database=database, extra_args=[
            "--webhook", hook.url, "--demarches", ds.url, "--procedure", str(ds.procedure), "--mapping", mapping]).start()
        try:
            status, _, body = http(server, "POST", "/api/workshops", {"plan": PLAN, "title": "Innovation sociale"}, token=server.admin_token)
            assert status == 201
            yield server, json.loads(body), hook, ds
        finally:
            server.stop()
            hook.shutdown(); ds.shutdown()


async def join(server, message):
    c = await Client.connect(server.ws_url)
    welcome = await c.request({"type": "join", **message})
    assert welcome["type"] == "welcome", welcome
    return c, welcome


COMPLETE = {
    "pitch": "Un local partagé ouvert le soir pour les jeunes du quartier.",
    "theme": "education", "audiences": ["jeunes", "familles"],
    "structure": {"name": "Association Fictive", "siret": "73282932000074", "email": "contact@fictive.example", "phone": "+33 3 85 00 00 00"},
    "team": [{"person": "Ana", "role": "coordination", "hours": 20, "volunteer": False},
             {"person": "Bo", "role": "animation", "hours": 6, "volunteer": True}],
    "budget": 30000, "requested": 20000, "start": "2027-09-01", "insured": False,
}


def test_a_second_plan_runs_to_a_submitted_project(generic):
    server, created, hook, ds = generic
    workshop, key = created["id"], created["facilitatorKey"]

    async def scenario():
        f, wf = await join(server, {"workshop": workshop, "facilitatorKey": key})
        form = wf["workshop"]["form"]
        assert [x["id"] for x in form["fields"]] == ["title", "pitch", "theme", "audiences", "ideas", "structure", "team", "budget", "requested", "start", "insured"]
        assert form["name"] == "Appel à projets « Innovation sociale »"
        board = wf["workshop"]["boards"][0]
        a, wa = await join(server, {"code": created["joinCode"], "name": "Alice", "organisation": "Association Fictive",
                                     "actor": "other", "group": board["group"]})
        assert (await f.request({"type": "phase.set", "phase": "ideas"}))["type"] == "ack"
        idea = (await a.request({"type": "card.add", "board": board["id"], "column": "idees", "text": "Un local ouvert le soir"}))["result"]["card"]
        assert (await f.request({"type": "phase.set", "phase": "projects"}))["type"] == "ack"
        created_ = await a.request({"type": "project.create", "board": board["id"], "title": "La Maison du soir", "cards": [idea]})
        project = created_["result"]["project"]
        # Today's sheet fields are not this form's: refused by name; this form's are checked by type.
        wrong = await a.request({"type": "project.update", "project": project, "version": 1, "fields": {"summary": "x", "requested": 90000, "theme": "sport"}})
        assert wrong["code"] == "invalid", wrong
        assert sorted((e["field"], e["message"]) for e in wrong["fieldErrors"]) == [
            ("requested", "« Montant demandé » : un nombre entre 0 et 50000 euros est attendu."),
            ("summary", "Champ de projet inconnu : « summary »."),
            ("theme", "« Thème » : choix inconnu « sport » (attendu : education, sante, environnement, culture)."),
        ], wrong
        partial = dict(COMPLETE, team=COMPLETE["team"][:1], requested=40000)
        assert (await a.request({"type": "project.update", "project": project, "version": 1, "fields": partial}))["type"] == "ack"
        refused = await f.request({"type": "project.ready", "project": project})
        assert refused["code"] == "invalid" and [r["rule"] for r in refused["rules"]] == ["equipe", "demande"], refused
        assert "L'équipe compte au moins deux personnes." in refused["message"]
        assert (await a.request({"type": "project.update", "project": project, "version": 2, "fields": COMPLETE}))["type"] == "ack"
        assert (await f.request({"type": "project.ready", "project": project}))["type"] == "ack"
        # The sheet as everyone sees it: this form's values.
        _, again = await join(server, {"workshop": workshop, "facilitatorKey": key})
        sheet = next(p for p in again["workshop"]["projects"] if p["id"] == project)
        assert sheet["status"] == "ready" and sheet["ideas"] == [idea] and sheet["team"][1]["volunteer"] is True
        assert sheet["structure"]["siret"] == "73282932000074" and sheet["start"] == "2027-09-01"

        # Submitted to both channels with this form's fields.
        assert (await f.request({"type": "projects.submit", "channel": "webhook"}))["type"] == "ack"
        await f.expect(lambda m: m.get("type") == "project.submitted" and m["receipt"]["channel"] == "webhook", timeout=30)
        assert (await f.request({"type": "projects.submit", "channel": "demarches"}))["type"] == "ack"
        await f.expect(lambda m: m.get("type") == "project.submitted" and m["receipt"]["channel"] == "demarches", timeout=30)
        for c in (f, a):
            await c.close()
        return project, idea
    project, idea = asyncio.run(scenario())

    body = hook.recorder.requests[-1]["body"]
    assert body["schemaVersion"] == 2 and body["project"]["id"] == project
    assert body["project"]["fields"]["team"][0] == {"person": "Ana", "role": "coordination", "hours": 20, "volunteer": False}
    assert body["project"]["fields"]["audiences"] == ["jeunes", "familles"]
    champs = ds.recorder.requests[0]
    assert champs["champ_Q2hhbXAtMQ=="] == "La Maison du soir"
    assert champs["champ_Q2hhbXAtMg=="] == "Éducation", "a choice goes out as its label"
    assert champs["champ_Q2hhbXAtMw=="] == ["Jeunes", "Familles"]
    assert champs["champ_Q2hhbXAtNA=="] == "73282932000074"
    assert champs["champ_Q2hhbXAtNQ=="] == 20000
    assert champs["champ_Q2hhbXAtNg=="] == "2027-09-01"
    assert champs["champ_Q2hhbXAtNw=="] == "Ana, coordination, 20, non | Bo, animation, 6, oui"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", champs["champ_Q2hhbXAtOA=="]), "the workshop's day"

    # Exports: the JSON against the schema of this workshop's form; CSV, XLSX and report follow it.
    _, _, raw = http(server, "GET", f"/api/workshops/{workshop}/export?format=schema", token=key)
    schema = json.loads(raw)
    _, _, raw = http(server, "GET", f"/api/workshops/{workshop}/export?format=json", token=key)
    doc = json.loads(raw)
    jsonschema.validate(doc, schema)
    p = next(x for x in doc["projects"] if x["id"] == project)
    assert p["fields"]["insured"] is False, "a required yes/no answered no is an answer"
    assert p["fields"]["requested"] == 20000 and p["fields"]["structure"]["email"] == "contact@fictive.example"
    assert doc["call"]["budget"] == 50000 and doc["workshop"]["date"] == champs["champ_Q2hhbXAtOA=="]
    bad = json.loads(json.dumps(doc))
    bad["projects"][0]["fields"]["theme"] = "sport"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)

    _, _, raw = http(server, "GET", f"/api/workshops/{workshop}/export?format=csv&dialect=rfc4180", token=key)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    header, row = rows[0], rows[1]
    assert header[:6] == ["Identifiant", "Statut", "Table", "Nom du projet", "Le projet en quelques lignes", "Thème"], header
    assert row[header.index("Montant demandé (€)")] == "20000.00"
    assert row[header.index("Publics visés")] == "Jeunes | Familles"
    assert row[header.index("Structure qui dépose — SIRET")] == "73282932000074"
    assert "Type de coopération" not in header, "no field of another form"

    _, _, raw = http(server, "GET", f"/api/workshops/{workshop}/export?format=xlsx", token=key)
    book = openpyxl.load_workbook(io.BytesIO(raw))
    assert book.sheetnames == ["Projets", "Équipe", "Idées et votes", "Couverture des constats"]
    team = list(book["Équipe"].iter_rows(values_only=True))
    assert team[0] == ("Projet", "Titre du projet", "Ligne", "Personne", "Rôle", "Heures par semaine", "Bénévole")
    assert team[1] == (project, "La Maison du soir", 1, "Ana", "coordination", 20, "non")
    ideas = list(book["Idées et votes"].iter_rows(values_only=True))
    assert any(r[3] == "Un local ouvert le soir" and r[6] == project for r in ideas[1:]), ideas

    _, _, raw = http(server, "GET", f"/api/workshops/{workshop}/export?format=md", token=key)
    md = raw.decode()
    assert "Publics visés : Jeunes \\| Familles" in md and "Montant demandé : 20" in md, md
    # The steering committee's synthesis follows this form: no constats, its own ask and budget.
    assert "ne relie pas les projets à des constats" in md
    assert "- Total demandé (1 fiche) : 20\u202f000 €\n" in md and "- Budget de l'appel : 50\u202f000 €\n" in md, md
    assert "Le total demandé tient dans le budget de l'appel : il reste 30\u202f000 €." in md
