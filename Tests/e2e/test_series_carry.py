"""Carrying work forward in a series (docs/protocol.md "Carrying work forward"): a three-workshop
series carries a table, its cluster and its sheet from the first workshop to the second (HTTP API),
then from the second to the third (the command line, through the running server); the sheet keeps
one identity and its history shows all three workshops; a participant of the third workshop gets
the carried cards, never a private card that was not revealed, nor who voted; the carried events
are journaled with the workshop's creation; carrying across series, unknown or private items and
oversized selections are refused in French."""
import asyncio
import json
import os
import subprocess
import urllib.error
import urllib.request

import jsonschema

from conftest import BINARY, ROOT, Client, settle

SCHEMA = json.load(open(os.path.join(ROOT, "schemas", "workshop-export.v2.json")))


def api(server, method, path, body=None, secret=None):
    """(status, parsed JSON) of an HTTP call with the admin token (or `secret`) as bearer."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {secret or server.admin_token}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if r.headers.get_content_type() == "application/json" else raw)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


async def facilitator(server, w):
    c = await Client.connect(server.ws_url)
    welcome = await c.request({"type": "join", "workshop": w["id"], "facilitatorKey": w["facilitatorKey"]})
    assert welcome["type"] == "welcome", welcome
    return c, welcome


async def participant(server, w, name, group=None):
    c = await Client.connect(server.ws_url)
    msg = {"type": "join", "code": w["joinCode"], "name": name, "organisation": "ACI Le Pont", "actor": "aci"}
    if group:
        msg["group"] = group
    welcome = await c.request(msg)
    assert welcome["type"] == "welcome", welcome
    return c, welcome


def first_workshop(server, w1):
    """Alice's revealed problem and idea (voted on by Bruno), clustered, and a sheet from them, on
    one table; Bruno's private problem on the same table, never revealed; a hidden card."""
    async def run():
        f, _ = await facilitator(server, w1)
        assert (await f.request({"type": "settings.update", "privateWriting": True}))["type"] == "ack"
        a, wa = await participant(server, w1, "Alice Série")
        group = wa["you"]["group"]
        b, wb = await participant(server, w1, "Bruno Série", group=group)
        board = next(x for x in wa["workshop"]["boards"] if x["group"] == group)["id"]
        problem = (await a.request({"type": "card.add", "board": board, "column": "problems", "text": "Pas de garage solidaire"}))["result"]["card"]
        assert (await f.request({"type": "cards.reveal"}))["type"] == "ack"
        secret = (await b.request({"type": "card.add", "board": board, "column": "problems", "text": "secret de Bruno jamais révélé"}))["result"]["card"]
        await f.request({"type": "settings.update", "privateWriting": False})
        await f.request({"type": "phase.set", "phase": "ideas"})
        idea = (await a.request({"type": "card.add", "board": board, "column": "ideas", "text": "Un garage associatif"}))["result"]["card"]
        hidden = (await a.request({"type": "card.add", "board": board, "column": "ideas", "text": "carte masquée par l'animation"}))["result"]["card"]
        assert (await f.request({"type": "card.hide", "card": hidden}))["type"] == "ack"
        assert (await b.request({"type": "vote.cast", "card": idea}))["type"] == "ack"
        assert (await f.request({"type": "votes.reveal"}))["type"] == "ack"
        cluster = (await f.request({"type": "cluster.create", "board": board, "title": "Mobilité", "cards": [problem, idea]}))["result"]["cluster"]
        await f.request({"type": "phase.set", "phase": "projects"})
        created = await a.request({"type": "project.create", "board": board, "title": "Garage solidaire", "cluster": cluster, "cards": [problem, idea]})
        assert created["type"] == "ack", created
        project = created["result"]["project"]
        assert (await a.request({"type": "project.update", "project": project, "version": 1, "fields": {"summary": "Réparer des voitures"}}))["type"] == "ack"
        for c in (a, b, f):
            await c.close()
        table = next(x for x in wa["workshop"]["boards"] if x["id"] == board)["title"]
        return {"board": board, "table": table, "problem": problem, "idea": idea, "secret": secret, "hidden": hidden,
                "cluster": cluster, "project": project}
    return asyncio.run(run())


def test_three_workshops_carry_a_cluster_and_a_sheet_whose_history_spans_them(server):
    status, series = api(server, "POST", "/api/admin/series", {"title": "Ateliers IAE 2027"})
    assert status == 201, series
    sid = series["id"]
    status, w1 = api(server, "POST", f"/api/admin/series/{sid}/workshops", {"title": "Diagnostic"})
    assert status == 201, w1
    one = first_workshop(server, w1)

    # Refusals, each with a French sentence and nothing created.
    status, other = api(server, "POST", "/api/admin/series", {"title": "Une autre série"})
    assert status == 201
    status, body = api(server, "POST", f"/api/admin/series/{other['id']}/workshops",
                       {"carry": {"from": w1["id"], "clusters": [one["cluster"]]}})
    assert status == 409 and "même série" in body["error"]["message"], body
    status, body = api(server, "POST", f"/api/admin/series/{sid}/workshops", {"carry": {"from": w1["id"], "cards": [one["secret"]]}})
    assert status == 403 and "privée ou masquée" in body["error"]["message"], body
    status, body = api(server, "POST", f"/api/admin/series/{sid}/workshops", {"carry": {"from": w1["id"], "clusters": ["k_nope"]}})
    assert status == 404 and "Regroupement inconnu" in body["error"]["message"], body
    status, body = api(server, "POST", f"/api/admin/series/{sid}/workshops", {"carry": {"from": w1["id"]}})
    assert status == 400 and "ne choisit rien" in body["error"]["message"], body
    status, body = api(server, "POST", f"/api/admin/series/{sid}/workshops", {"carry": {"from": w1["id"], "cards": [f"c_{i}" for i in range(1001)]}})
    assert status == 400 and "au plus 1000" in body["error"]["message"], body
    status, body = api(server, "GET", f"/api/admin/series/{sid}")
    assert [w["id"] for w in body["workshops"]] == [w1["id"]], body

    # Second workshop: the whole table (its cluster and sheet with it), through the HTTP API.
    status, w2 = api(server, "POST", f"/api/admin/series/{sid}/workshops",
                     {"title": "Idées", "carry": {"from": w1["id"], "boards": [one["board"]]}})
    assert status == 201, w2
    journal = server.journal(w2["id"])
    kinds = [k for _, k in journal]
    assert kinds[0] == "workshop.created" and kinds.count("workshop.carried") == 1
    carried_at = kinds.index("workshop.carried")
    assert set(kinds[1:carried_at]) <= {"card.added"}  # the plan's seeds, then the carry
    assert {"card.added", "cluster.created", "card.clustered", "project.created"} <= set(kinds[carried_at + 1:])

    async def second():
        f, welcome = await facilitator(server, w2)
        ws = welcome["workshop"]
        texts = sorted(c["text"] for c in ws["cards"] if c["id"] in ws["carried"])
        assert texts == ["Pas de garage solidaire", "Un garage associatif"], texts
        assert all(c["author"] is None and c.get("votes") in (None, 0) for c in ws["cards"] if c["id"] in ws["carried"])
        [cluster] = [k for k in ws["clusters"] if k["id"] in ws["carried"]]
        assert cluster["title"] == "Mobilité" and ws["carried"][cluster["id"]] == {"kind": "cluster", "from": one["cluster"], "table": one["table"]}
        [sheet] = ws["projects"]
        assert sheet["title"] == "Garage solidaire" and sheet["cluster"] == cluster["id"]
        assert ws["carried"][sheet["id"]]["from"] == one["project"]
        # The sheet goes on living in the second workshop.
        await f.request({"type": "phase.set", "phase": "projects"})
        edit = await f.request({"type": "project.update", "project": sheet["id"], "version": sheet["version"],
                                "fields": {"summary": "Réparer des voitures, à Chalon"}})
        assert edit["type"] == "ack", edit
        await f.close()
        return cluster["id"], sheet["id"]
    cluster2, project2 = asyncio.run(second())

    # Third workshop: the second one's cluster and sheet, through the command line and the running server.
    out = subprocess.run([BINARY, "workshop", "new", "--series", sid, "--title", "Projets", "--carry-from", w2["id"],
                          "--carry-clusters", cluster2, "--carry-projects", project2, *server.storage_args],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    status, body = api(server, "GET", f"/api/admin/series/{sid}")
    assert [w["title"] for w in body["workshops"]] == ["Diagnostic", "Idées", "Projets"]
    w3_id = body["workshops"][2]["id"]
    w3 = {"id": w3_id, "joinCode": body["workshops"][2]["joinCode"]}

    async def third():
        p, welcome = await participant(server, w3, "Chloé Suite")
        await settle(p)
        ws = welcome["workshop"]
        texts = sorted(c["text"] for c in ws["cards"])
        assert "Pas de garage solidaire" in texts and "Un garage associatif" in texts, texts
        assert all(c["author"] is None for c in ws["cards"] if c["id"] in ws["carried"])
        raw = "".join(p.frames)
        for leaked in ("secret de Bruno", "carte masquée", "Alice Série", "Bruno Série"):
            assert leaked not in raw, leaked
        [sheet] = ws["projects"]
        token = welcome["you"]["token"]
        await p.close()
        return sheet["id"], token
    project3, token = asyncio.run(third())

    # One identity across the series; the history shows all three workshops.
    status, p = api(server, "GET", f"/api/workshops/{w3_id}/projects/{project3}/provenance", secret=token)
    assert status == 200, p
    assert p["series"] == f"{w1['id']}/{one['project']}"
    assert p["carriedFrom"]["project"] == project2
    stages = p["earlier"]
    assert [(s["workshop"], s["workshopTitle"], s["entry"]) for s in stages] == [
        (w1["id"], "Diagnostic", "created"), (w2["id"], "Idées", "carried")]
    assert stages[0]["table"] == one["table"] and stages[0]["problems"] == [one["problem"]] and stages[0]["ideas"] == [one["idea"]]
    assert stages[0]["cluster"] == "Mobilité" and [s["kind"] for s in stages[0]["steps"]] == ["created", "updated"]
    assert [s["kind"] for s in stages[1]["steps"]] == ["created", "updated"]
    assert sorted(c["text"] for c in p["cards"]) == ["Pas de garage solidaire", "Un garage associatif"]

    status, doc = api(server, "GET", f"/api/admin/workshops/{w3_id}/export?format=json")
    assert status == 200
    jsonschema.validate(doc, SCHEMA)
    history = doc["projects"][0]["provenance"]["history"]
    assert history["series"] == f"{w1['id']}/{one['project']}"
    assert [s["workshop"] for s in history["earlier"]] == [w1["id"], w2["id"]]
    status, md = api(server, "GET", f"/api/admin/workshops/{w3_id}/export?format=md")
    text = md.decode()
    assert "Fiche créée dans l'atelier « Diagnostic »" in text and "Fiche reportée dans l'atelier « Idées »" in text, text

    # Durable: after a restart the third workshop still has what it carried. While the server is
    # stopped, the command line writes a fourth workshop directly, carrying the third one's sheet.
    server.stop()
    out = subprocess.run([BINARY, "workshop", "new", "--series", sid, "--title", "Suivi", "--carry-from", w3_id,
                          "--carry-projects", project3, *server.storage_args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr + out.stdout
    refused = subprocess.run([BINARY, "workshop", "new", "--series", other["id"], "--carry-from", w3_id,
                              "--carry-projects", project3, *server.storage_args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "même série" in refused.stderr, refused.stderr
    server.start()
    status, body = api(server, "GET", f"/api/admin/series/{sid}")
    w4_id = body["workshops"][3]["id"]
    status, offer = api(server, "GET", f"/api/admin/workshops/{w4_id}/carry")
    [sheet4] = offer["projects"]
    status, p4 = api(server, "GET", f"/api/workshops/{w4_id}/projects/{sheet4['id']}/provenance", secret=token)
    assert status == 403  # a participant's token opens its own workshop only
    status, doc = api(server, "GET", f"/api/admin/workshops/{w4_id}/export?format=json")
    history = doc["projects"][0]["provenance"]["history"]
    assert history["series"] == f"{w1['id']}/{one['project']}"
    assert [s["workshop"] for s in history["earlier"]] == [w1["id"], w2["id"], w3_id]

    async def after_restart():
        p, welcome = await participant(server, w3, "Chloé Retour")
        ws = welcome["workshop"]
        assert ws["projects"][0]["id"] == project3 and len(ws["carried"]) >= 3
        await p.close()
    asyncio.run(after_restart())
