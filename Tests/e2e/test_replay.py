"""Replay (docs/protocol.md "Replay"): the raw HTTP answers each role gets for the timeline, the
workshop at a seq, and a sheet's provenance; and the export's `provenance.history`."""
import asyncio
import json
import os
import urllib.error
import urllib.request

import jsonschema

from conftest import ROOT, join_facilitator, join_participant, board_of

SCHEMA = json.load(open(os.path.join(ROOT, "schemas", "workshop-export.v2.json")))


def get(server, path, secret):
    """(status, raw body bytes) of a GET with the secret as a bearer token (None: no header)."""
    headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
    request = urllib.request.Request(server.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def play(server):
    """A workshop: private problems (A's and B's), revealed; an idea of A voted on by B, the votes
    revealed; a sheet from A's cards, edited; the workshop closed. Returns what the test needs."""
    async def run():
        f, _ = await join_facilitator(server)
        assert (await f.request({"type": "settings.update", "privateWriting": True}))["type"] == "ack"
        a, wa = await join_participant(server, "Alice Revue")
        b, wb = await join_participant(server, "Bruno Revue")
        board_a, board_b = board_of(wa)["id"], board_of(wb)["id"]
        problem = (await a.request({"type": "card.add", "board": board_a, "column": "problems", "text": "secret de Alice"}))["result"]["card"]
        mine = await b.request({"type": "card.add", "board": board_b, "column": "problems", "text": "secret de Bruno"})
        private_seq = mine["seq"]
        assert (await f.request({"type": "cards.reveal"}))["type"] == "ack"
        await f.request({"type": "settings.update", "privateWriting": False})
        await f.request({"type": "phase.set", "phase": "ideas"})
        idea = (await a.request({"type": "card.add", "board": board_a, "column": "ideas", "text": "idée de Alice"}))["result"]["card"]
        vote = await b.request({"type": "vote.cast", "card": idea})
        assert vote["type"] == "ack", vote
        secret_vote_seq = vote["seq"]
        revealed_seq = (await f.request({"type": "votes.reveal"}))["seq"]
        cluster = (await f.request({"type": "cluster.create", "board": board_a, "title": "Mobilité", "cards": [problem, idea]}))["result"]["cluster"]
        await f.request({"type": "phase.set", "phase": "projects"})
        created = await a.request({"type": "project.create", "board": board_a, "title": "Garage solidaire", "cluster": cluster, "cards": [problem, idea]})
        assert created["type"] == "ack", created
        project = created["result"]["project"]
        edit = await a.request({"type": "project.update", "project": project, "version": 1, "fields": {"summary": "Réparer des voitures"}})
        assert edit["type"] == "ack", edit
        closed = await f.request({"type": "workshop.close"})
        for c in (a, b, f):
            await c.close()
        return {"a": wa["you"]["token"], "b": wb["you"]["token"], "private_seq": private_seq, "secret_vote_seq": secret_vote_seq,
                "revealed_seq": revealed_seq, "last": closed["seq"], "project": project, "problem": problem, "idea": idea,
                "a_group": wa["you"]["group"]}
    return asyncio.run(run())


def test_each_role_replays_what_it_could_see_then(server):
    w = play(server)
    workshop, key = server.info["workshop"], server.info["key"]
    base = f"/api/workshops/{workshop}"

    status, raw = get(server, base + "/replay", key)
    assert status == 200, raw
    timeline = json.loads(raw)
    assert timeline["first"] == 1 and timeline["last"] == w["last"] and timeline["closed"] is True
    assert timeline["you"] == {"role": "facilitator", "participant": "facilitator"}
    kinds = [m["kind"] for m in timeline["markers"]]
    assert kinds == ["phase", "votes.revealed", "phase", "project", "closed"], kinds
    assert timeline["markers"][1]["seq"] == w["revealed_seq"]
    assert [m.get("title") for m in timeline["markers"] if m["kind"] == "project"] == ["Garage solidaire"]
    seqs = [p[0] for p in timeline["points"]]
    assert seqs[0] == 1 and seqs[-1] == w["last"] and seqs == sorted(seqs)
    # A participant gets the same timeline (markers are public facts), as themself.
    status, raw = get(server, base + "/replay", w["b"])
    assert status == 200 and json.loads(raw)["markers"] == timeline["markers"]

    # Before the reveal of cards: Bruno's replay has his private card, never Alice's (not one byte).
    status, raw = get(server, f"{base}/replay/{w['private_seq']}", w["b"])
    assert status == 200, raw
    assert b"secret de Bruno" in raw and b"secret de Alice" not in raw
    moment = json.loads(raw)
    assert moment["seq"] == w["private_seq"] and moment["you"]["role"] == "participant"
    # The facilitator saw both, as the console did.
    status, raw = get(server, f"{base}/replay/{w['private_seq']}", key)
    assert b"secret de Bruno" in raw and b"secret de Alice" in raw

    # After the vote, before its reveal: no count anywhere, for anyone; Bruno's own dot is his.
    for secret in (w["a"], w["b"], key):
        status, raw = get(server, f"{base}/replay/{w['secret_vote_seq']}", secret)
        assert status == 200
        m = json.loads(raw)
        assert m["workshop"]["settings"]["votesRevealed"] is False
        assert all(c["votes"] is None for c in m["workshop"]["cards"]), m["workshop"]["cards"]
        assert m["workshop"]["myVotes"] == ({w["idea"]: 1} if secret == w["b"] else {})
    # At the reveal: the count, for everyone.
    for secret in (w["a"], key):
        m = json.loads(get(server, f"{base}/replay/{w['revealed_seq']}", secret)[1])
        assert next(c for c in m["workshop"]["cards"] if c["id"] == w["idea"])["votes"] == 1

    # The last moment is the workshop as it ended.
    m = json.loads(get(server, f"{base}/replay/{w['last']}", w["a"])[1])
    assert m["workshop"]["closed"] is True and m["last"] == w["last"]


def test_bad_requests_get_a_code_and_a_french_sentence(server):
    w = play(server)
    workshop, key = server.info["workshop"], server.info["key"]
    base = f"/api/workshops/{workshop}"
    for path in (f"{base}/replay/0", f"{base}/replay/{w['last'] + 1}", f"{base}/replay/abc", f"{base}/replay/-3",
                 f"{base}/replay/99999999999999999999"):
        status, raw = get(server, path, key)
        assert status == 400, (path, raw)
        error = json.loads(raw)["error"]
        assert error["code"] == "invalid" and f"entre 1 et {w['last']}" in error["message"]
    status, raw = get(server, base + "/replay", None)
    assert status == 401 and json.loads(raw)["error"]["code"] == "unauthenticated"
    for wrong in ("not-a-token", key[:-2] + "xx"):
        status, raw = get(server, f"{base}/replay/1", wrong)
        assert status == 403 and json.loads(raw)["error"]["code"] == "forbidden"
        assert "n'ouvre pas cet atelier" in json.loads(raw)["error"]["message"]
    status, raw = get(server, "/api/workshops/w_nope/replay", key)
    assert status == 404 and json.loads(raw)["error"]["message"] == "Atelier inconnu."
    status, raw = get(server, f"{base}/projects/j_nope/provenance", key)
    assert status == 404 and json.loads(raw)["error"]["code"] == "not_found"


def test_provenance_of_a_sheet_and_in_the_export(server):
    w = play(server)
    workshop, key = server.info["workshop"], server.info["key"]
    status, raw = get(server, f"/api/workshops/{workshop}/projects/{w['project']}/provenance", w["b"])
    assert status == 200, raw
    p = json.loads(raw)
    assert p["title"] == "Garage solidaire"
    assert [(c["card"], c["role"]) for c in p["cards"]] == [(w["problem"], "problem"), (w["idea"], "idea")]
    assert [c["text"] for c in p["cards"]] == ["secret de Alice", "idée de Alice"]  # revealed: Bruno may read it
    assert p["cards"][0]["written"]["phaseTitle"] and p["cards"][0]["written"]["table"] == w["a_group"]
    assert p["cards"][1]["written"]["phase"] == "ideas"
    assert p["cluster"]["title"] == "Mobilité" and p["cluster"]["made"]["phase"] == "ideas"
    assert [s["kind"] for s in p["steps"]] == ["created", "updated"]
    assert p["steps"][1]["fields"] == ["summary"] and p["steps"][0]["moment"]["phase"] == "projects"
    assert [t["id"] for t in p["tables"]] == [w["a_group"]]
    assert b"Alice Revue" not in raw and b"Bruno Revue" not in raw  # tables, never people

    status, raw = get(server, f"/api/workshops/{workshop}/export?format=json", key)
    assert status == 200
    doc = json.loads(raw)
    jsonschema.validate(doc, SCHEMA)
    history = doc["projects"][0]["provenance"]["history"]
    assert [c["card"] for c in history["cards"]] == [w["problem"], w["idea"]]
    assert [s["kind"] for s in history["steps"]] == ["created", "updated"]
    assert history["tables"] == [w["a_group"]]
    status, raw = get(server, f"/api/workshops/{workshop}/export?format=md", key)
    assert status == 200 and "Comment ce projet est né" in raw.decode() and "Fiche créée le" in raw.decode()
