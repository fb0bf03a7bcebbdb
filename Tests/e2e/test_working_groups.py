"""Working groups between sessions (issue 14, item 2; docs/protocol.md "Working groups"): a table
stays open after `workshop.close`, an invited person joins it by a link and writes, the rest of the
workshop stays closed, the facilitator sees what changed since the session; the raw frames each
role receives; the end date and the facilitator's close; a restart in between."""
import asyncio
import datetime
import hashlib
import json
import os
import time
import urllib.error
import urllib.request

import jsonschema

from conftest import ROOT, Client, board_of, join_facilitator, join_participant, settle


SCHEMA = json.load(open(os.path.join(ROOT, "schemas", "workshop-export.v2.json")))


def iso(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def ms(text):
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


async def server_now(client):
    """The server's clock (`pong.at`), never the test's."""
    return ms((await client.request({"type": "ping"}))["at"])


def get(server, path, secret):
    request = urllib.request.Request(server.url + path, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


async def join_invited(server, secret, name, workshop=None):
    c = await Client.connect(server.ws_url)
    welcome = await c.request({"type": "join", "workshop": workshop or server.info["workshop"], "invitation": secret,
                               "name": name, "organisation": "Mission locale"})
    return c, welcome


async def resume(server, token):
    c = await Client.connect(server.ws_url)
    c.counter = 1000  # message ids are unique per participant, across connections and restarts
    welcome = await c.request({"type": "join", "token": token})
    assert welcome["type"] == "welcome", welcome
    return c, welcome


def test_a_table_stays_open_as_a_working_group_after_the_session(server):
    workshop = server.info["workshop"]

    async def session():
        f, fw = await join_facilitator(server)
        groups = [g["id"] for g in fw["workshop"]["groups"]]
        a, wa = await join_participant(server, "Alice Groupe", group=groups[0])
        c, wc = await join_participant(server, "Chloé Autre", group=groups[1])
        board_a, board_c = board_of(wa)["id"], board_of(wc)["id"]
        live = await a.request({"type": "card.add", "board": board_a, "column": "problems", "text": "Pendant la séance"})
        assert live["type"] == "ack", live
        other = await c.request({"type": "card.add", "board": board_c, "column": "problems", "text": "Carte de l'autre table"})
        assert other["type"] == "ack", other
        now = await server_now(f)
        # Bounded: an end date beyond 90 days is refused, in French.
        too_far = await f.request({"type": "group.open", "group": groups[0], "endsAt": iso(now + 91 * 86_400_000)})
        assert too_far["type"] == "error" and too_far["code"] == "invalid" and "90 jours" in too_far["message"], too_far
        opened = await f.request({"type": "group.open", "group": groups[0], "endsAt": iso(now + 30 * 86_400_000),
                                  "purpose": "Monter le garage solidaire"})
        assert opened["type"] == "ack", opened
        event = await a.event("group.opened")
        assert event["group"]["purpose"] == "Monter le garage solidaire" and event["group"]["board"] == board_a
        assert (await f.request({"type": "workshop.close"}))["type"] == "ack"
        invite = await f.request({"type": "group.invite", "group": groups[0]})
        assert invite["type"] == "ack", invite
        secret, invitation = invite["result"]["secret"], invite["result"]["invitation"]
        assert len(secret) >= 32
        # A participant is not even told that an invitation exists.
        await settle(a)
        await settle(c)
        assert not any("group.invited" in frame or secret in frame for frame in a.frames + c.frames)
        return f, a, c, wa, wc, board_a, board_c, groups, secret, invitation

    async def scenario():
        f, a, c, wa, wc, board_a, board_c, groups, secret, invitation = await session()
        digest = hashlib.sha256(secret.encode()).hexdigest()

        # A wrong link is refused, in French.
        bad, refused = await join_invited(server, secret[:-2] + "xx", "Intrus")
        assert refused["type"] == "error" and refused["code"] == "unauthenticated" and "invitation" in refused["message"], refused
        await bad.close()

        # The invited person joins with a display name, and sees that table only.
        d, wd = await join_invited(server, secret, "Dana Invitée")
        assert wd["type"] == "welcome", wd
        assert wd["you"]["group"] == groups[0] and wd["you"]["token"]
        snap = wd["workshop"]
        assert [b["id"] for b in snap["boards"]] == [board_a]
        assert [g["id"] for g in snap["groups"]] == [groups[0]]
        assert all(card["board"] == board_a for card in snap["cards"])
        assert {p["name"] for p in snap["participants"]} == {"Alice Groupe", "Dana Invitée"}
        assert [g["group"] for g in snap["workingGroups"]] == [groups[0]]
        assert "invitations" not in snap["workingGroups"][0] and "since" not in snap["workingGroups"][0]

        # Members write on the group's table: the invited person's cards, a sheet and its edits.
        card = await d.request({"type": "card.add", "board": board_a, "column": "ideas", "text": "Un atelier de réparation"})
        assert card["type"] == "ack", card
        added = await a.event("card.added")
        assert added["card"]["text"] == "Un atelier de réparation"
        sheet = await a.request({"type": "project.create", "board": board_a, "title": "Garage solidaire"})
        assert sheet["type"] == "ack", sheet
        project = sheet["result"]["project"]
        edit = await d.request({"type": "project.update", "project": project, "version": 1, "fields": {"summary": "Réparer des voitures"}})
        assert edit["type"] == "ack", edit
        comment = await a.request({"type": "comment.add", "card": card["result"]["card"], "text": "Bonne idée"})
        assert comment["type"] == "ack", comment

        # Anyone else: nothing reopens.
        elsewhere = await c.request({"type": "card.add", "board": board_a, "column": "ideas", "text": "Je m'invite"})
        assert elsewhere["type"] == "error" and elsewhere["code"] == "forbidden", elsewhere
        own = await c.request({"type": "card.add", "board": board_c, "column": "ideas", "text": "Ma table"})
        assert own["type"] == "error" and own["code"] == "closed" and "clos" in own["message"], own
        phase = await f.request({"type": "phase.set", "phase": "ideas"})
        assert phase["type"] == "error" and phase["code"] == "closed", phase
        away = await d.request({"type": "card.add", "board": board_c, "column": "ideas", "text": "Ailleurs"})
        assert away["type"] == "error" and away["code"] in ("forbidden", "not_found"), away
        # Another table opens as a working group too: its work never reaches the invited person.
        now = await server_now(f)
        assert (await f.request({"type": "group.open", "group": groups[1], "endsAt": iso(now + 86_400_000)}))["type"] == "ack"
        second = await c.request({"type": "card.add", "board": board_c, "column": "ideas", "text": "Deuxième groupe"})
        assert second["type"] == "ack", second
        await a.expect(lambda m: m.get("type") == "card.added" and m["card"]["text"] == "Deuxième groupe")
        other_sheet = await c.request({"type": "project.create", "board": board_c, "title": "Projet de l'autre table"})
        assert other_sheet["type"] == "ack", other_sheet
        await a.expect(lambda m: m.get("type") == "project.created" and m["project"]["board"] == board_c)

        # The facilitator's view, since the session: the invited person's card, one sheet edit, one
        # new member (the card written during the session is not counted).
        await settle(f)
        f2, fw2 = await join_facilitator(server)
        wg = fw2["workshop"]["workingGroups"][0]
        assert wg["group"] == groups[0] and wg["ended"] is None and wg["purpose"] == "Monter le garage solidaire"
        assert [i["id"] for i in wg["invitations"]] == [invitation]
        assert (wg["since"]["cards"], wg["since"]["sheetEdits"], wg["since"]["members"]) == (1, 1, 1), wg["since"]
        assert [ch["kind"] for ch in wg["since"]["changes"]] == ["member", "card", "sheet"]
        assert wg["since"]["changes"][1]["id"] == card["result"]["card"]

        # Raw frames: no secret nor digest anywhere but the facilitator's own ack; the invited
        # person's frames carry their token, never the invitation's secret or digest, and nothing
        # of the other table.
        for client in (a, c, d, f2):
            await settle(client)
        for frame in a.frames + c.frames + d.frames + f2.frames:
            assert secret not in frame and digest not in frame
        # Another table's member going offline is not even a presence message for the invited person.
        other_id = wc["you"]["participant"]
        await c.close()
        # Alice (a plain participant) is told; once she is,
        # whatever was sent for it to the invited person is before the pong of `settle`.
        await a.expect(lambda m: m.get("type") == "presence" and m.get("participant") == other_id and m.get("online") is False)
        await settle(d)
        assert not any("Carte de l'autre table" in frame or "Deuxième groupe" in frame or "Projet de l'autre table" in frame
                       or board_c in frame or "Chloé" in frame
                       or f'"{other_id}"' in frame for frame in d.frames)
        assert sum(secret in frame for frame in f.frames) == 1

        # Replay: the invited person replays only what they could see.
        status, body = get(server, f"/api/workshops/{workshop}/replay/{card['seq']}", wd["you"]["token"])
        assert status == 200, body
        moment = json.loads(body)
        seen = moment.get("workshop", moment)
        assert [b["id"] for b in seen["boards"]] == [board_a]
        assert b"Carte de l'autre table" not in body and secret.encode() not in body and digest.encode() not in body

        # Its timeline names no other table's sheet (the facilitator's does).
        status, body = get(server, f"/api/workshops/{workshop}/replay", wd["you"]["token"])
        assert status == 200 and b"Garage solidaire" in body and "Projet de l'autre table".encode() not in body, body
        status, body = get(server, f"/api/workshops/{workshop}/replay", server.info["key"])
        assert status == 200 and "Projet de l'autre table".encode() in body

        # The export has the group's work, never an invitation's secret nor its digest.
        status, export = get(server, f"/api/workshops/{workshop}/export?format=json", server.info["key"])
        assert status == 200
        assert b"Un atelier de r" in export and secret.encode() not in export and digest.encode() not in export
        jsonschema.validate(json.loads(export), SCHEMA)
        for client in (a, d, f, f2):
            await client.close()
        return wa["you"]["token"], wd["you"]["token"], wc["you"]["token"], board_a, groups, invitation

    token_a, token_d, token_c, board_a, groups, invitation = asyncio.run(scenario())

    # The group survives a restart: members come back with their tokens and go on.
    server.stop()
    server.start()

    # A closed workshop with an open working group is loaded at start (its end date comes on time):
    # the organiser's list counts its cards before anyone comes back.
    status, body = get(server, "/api/admin/workshops", server.admin_token)
    summary = next(x for x in json.loads(body)["workshops"] if x["id"] == workshop)
    assert status == 200 and summary["closed"] is True and summary["cards"] is not None, summary

    async def after_restart():
        a, wa = await resume(server, token_a)
        assert wa["workshop"]["closed"] is True and wa["workshop"]["workingGroups"][0]["ended"] is None
        d, wd = await resume(server, token_d)
        assert [b["id"] for b in wd["workshop"]["boards"]] == [board_a]
        again = await d.request({"type": "card.add", "board": board_a, "column": "ideas", "text": "Après le redémarrage"})
        assert again["type"] == "ack", again
        f, _ = await join_facilitator(server)
        revoked = await f.request({"type": "group.revoke", "group": groups[0], "invitation": invitation})
        assert revoked["type"] == "ack", revoked
        # The facilitator closes the group: every write is refused, in French; the reason is recorded.
        closed = await f.request({"type": "group.close", "group": groups[0]})
        assert closed["type"] == "ack", closed
        ended = await a.event("group.ended")
        assert ended["reason"] == "closed" and ended["into"] is None
        late = await a.request({"type": "card.add", "board": board_a, "column": "ideas", "text": "Trop tard"})
        assert late["type"] == "error" and late["code"] == "closed" and "clos par l'animateur" in late["message"], late
        late = await d.request({"type": "card.add", "board": board_a, "column": "ideas", "text": "Trop tard"})
        assert late["type"] == "error" and late["code"] == "closed", late
        for client in (a, d, f):
            await client.close()

    asyncio.run(after_restart())


def test_a_group_ends_at_its_end_date_and_can_be_brought_into_another_workshop(server):
    async def scenario():
        f, fw = await join_facilitator(server)
        groups = [g["id"] for g in fw["workshop"]["groups"]]
        a, wa = await join_participant(server, "Alice Échéance", group=groups[0])
        b, wb = await join_participant(server, "Bruno Report", group=groups[1])
        board_a, board_b = board_of(wa)["id"], board_of(wb)["id"]
        now = await server_now(f)
        ends = now + 2000
        assert (await f.request({"type": "group.open", "group": groups[0], "endsAt": iso(ends)}))["type"] == "ack"
        assert (await f.request({"type": "group.open", "group": groups[1], "endsAt": iso(now + 86_400_000)}))["type"] == "ack"
        assert (await f.request({"type": "workshop.close"}))["type"] == "ack"
        # Wait for the server's clock to pass the end date (round trips, no timed assertion).
        while await server_now(a) < ends:
            await asyncio.sleep(0.2)
        late = await a.request({"type": "card.add", "board": board_a, "column": "ideas", "text": "Hors délai"})
        assert late["type"] == "error" and late["code"] == "closed" and "a pris fin le" in late["message"], late
        ended = await a.event("group.ended", timeout=30)
        assert ended["reason"] == "expired"
        # The other group is brought into the next workshop (what the series' carry sends).
        still = await b.request({"type": "card.add", "board": board_b, "column": "ideas", "text": "Encore ouvert"})
        assert still["type"] == "ack", still
        brought = await f.request({"type": "group.close", "group": groups[1], "into": "w_suivant"})
        assert brought["type"] == "ack", brought
        event = await b.expect(lambda m: m.get("type") == "group.ended" and m.get("group") == groups[1])
        assert event["reason"] == "brought" and event["into"] == "w_suivant"
        refused = await b.request({"type": "card.add", "board": board_b, "column": "ideas", "text": "Après"})
        assert refused["type"] == "error" and refused["code"] == "closed" and "repris dans un autre atelier" in refused["message"], refused
        for client in (a, b, f):
            await client.close()

    asyncio.run(scenario())
