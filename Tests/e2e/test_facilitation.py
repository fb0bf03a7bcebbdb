"""Facilitation through the real server: secrecy on raw frames, and a whole workshop run."""
import asyncio
import json

import pytest
import websockets
import websockets.exceptions  # websockets loads it lazily: a test run alone needs it imported

from conftest import ABSENT, Client, assert_matches, join_facilitator, join_participant, board_of, settle, settle_all


def run(coro):
    return asyncio.run(coro)


async def table_of_three(server):
    """A facilitator and three participants at the same table (A, B, C)."""
    f, wf = await join_facilitator(server)
    a, wa = await join_participant(server, "Alice Auteur", organisation="ACI Alpha")
    group = wa["you"]["group"]
    b, wb = await join_participant(server, "Bruno Bénévole", group=group, organisation="AI Beta")
    c, wc = await join_participant(server, "Chloé Cheffe", group=group, organisation="EI Gamma")
    await settle_all(f, a, b, c)
    return f, (a, wa), (b, wb), (c, wc), board_of(wa)["id"]


def raw_since(client, mark):
    return "".join(client.frames[mark:])


def messages_since(client, mark):
    """Every message of the raw frames since `mark`, batches flattened."""
    out = []
    for frame in client.frames[mark:]:
        data = json.loads(frame)
        out.extend(data if isinstance(data, list) else [data])
    return out


def test_votes_stay_secret_until_revealed(server):
    async def scenario():
        f, (a, wa), (b, wb), (c, wc), board = await table_of_three(server)
        assert (await f.request({"type": "phase.set", "phase": "ideas"}))["type"] == "ack"
        ack = await a.request({"type": "card.add", "board": board, "column": "ideas", "text": "Groupement d'employeurs"})
        card = ack["result"]["card"]
        await settle_all(b, c, f)
        marks = {x: len(x.frames) for x in (b, c, f)}
        for voter in (a, a, b):
            assert (await voter.request({"type": "vote.cast", "card": card}))["type"] == "ack"
        # A round trip on each: everything the votes caused has arrived before the pongs.
        await settle_all(b, c, f)
        # C never receives anything about the votes; the facilitator neither.
        assert "vote" not in raw_since(c, marks[c])
        assert "vote" not in raw_since(f, marks[f])
        # B sees only B's own vote event (by B, for this card, in this phase), never a count.
        own = [m for m in messages_since(b, marks[b]) if m.get("type", "").startswith("vote")]
        assert_matches(own, [{"type": "vote.cast", "card": card, "phase": "ideas", "by": wb["you"]["participant"], "votes": ABSENT}])
        assert '"votes"' not in raw_since(b, marks[b])
        # Nor in a fresh welcome.
        c2 = await Client.connect(server.ws_url)
        welcome = await c2.request({"type": "join", "token": wc["you"]["token"]})
        mine = next(x for x in welcome["workshop"]["cards"] if x["id"] == card)
        assert mine["votes"] is None and welcome["workshop"]["myVotes"] == {}
        a2 = await Client.connect(server.ws_url)
        wa2 = await a2.request({"type": "join", "token": wa["you"]["token"]})
        assert wa2["workshop"]["myVotes"] == {card: 2}
        # The reveal brings the count to everyone.
        assert (await f.request({"type": "votes.reveal"}))["type"] == "ack"
        revealed = await c2.event("votes.revealed")
        assert revealed["votes"][card] == 3
        for x in (f, a, b, c, c2, a2):
            await x.close()
    run(scenario())


def test_private_writing_reaches_only_author_and_facilitator_until_reveal(server):
    async def scenario():
        f, (a, wa), (b, wb), (c, wc), board = await table_of_three(server)
        assert (await f.request({"type": "settings.update", "privateWriting": True}))["type"] == "ack"
        await b.event("settings.updated")
        mark = len(b.frames)
        secret = "Idée très confidentielle 7f3a"
        ack = await a.request({"type": "card.add", "board": board, "column": "problems", "text": secret})
        card = ack["result"]["card"]
        got = await f.event("card.added")
        assert got["card"]["text"] == secret and got["card"].get("private") is True
        await a.request({"type": "card.edit", "card": card, "text": secret + " bis", "version": 1})
        await settle(b)
        assert secret not in raw_since(b, mark) and card not in raw_since(b, mark)
        # B cannot act on it: it does not exist for B.
        err = await b.request({"type": "comment.add", "card": card, "text": "?"})
        assert err["code"] == "not_found"
        b2 = await Client.connect(server.ws_url)
        wb2 = await b2.request({"type": "join", "token": wb["you"]["token"]})
        assert secret not in json.dumps(wb2)
        assert (await f.request({"type": "cards.reveal"}))["type"] == "ack"
        revealed = await b.event("cards.revealed")
        assert [x["text"] for x in revealed["cards"]] == [secret + " bis"]
        for x in (f, a, b, c, b2):
            await x.close()
    run(scenario())


def test_anonymous_mode_sends_no_author_to_others(server):
    async def scenario():
        f, (a, wa), (b, wb), (c, wc), board = await table_of_three(server)
        assert (await f.request({"type": "settings.update", "anonymous": True, "facilitatorSeesAuthors": False}))["type"] == "ack"
        await b.event("settings.updated"); await settle(f)
        mark_b, mark_f = len(b.frames), len(f.frames)
        author = wa["you"]["participant"]
        ack = await a.request({"type": "card.add", "board": board, "column": "problems", "text": "Sans nom"})
        mine = await a.event("card.added")
        assert mine["card"]["author"] == author, "the author still knows their card"
        others = await b.event("card.added")
        assert others["card"]["author"] is None and others["by"] is None
        await a.request({"type": "card.edit", "card": ack["result"]["card"], "text": "Sans nom, modifié", "version": 1})
        await a.request({"type": "comment.add", "card": ack["result"]["card"], "text": "Mon commentaire"})
        await settle_all(b, f)
        assert f'"{author}"' not in raw_since(b, mark_b)
        assert f'"{author}"' not in raw_since(f, mark_f), "facilitatorSeesAuthors is off"
        b2 = await Client.connect(server.ws_url)
        wb2 = await b2.request({"type": "join", "token": wb["you"]["token"]})
        card = next(x for x in wb2["workshop"]["cards"] if x["id"] == ack["result"]["card"])
        assert card["author"] is None
        assert all(cm["author"] is None for cm in wb2["workshop"]["comments"])
        for x in (f, a, b, c, b2):
            await x.close()
    run(scenario())


def test_removed_participant_is_told_why_and_cannot_come_back(server):
    async def scenario():
        f, (a, wa), (b, wb), (c, wc), board = await table_of_three(server)
        assert (await f.request({"type": "participant.remove", "participant": wb["you"]["participant"]}))["type"] == "ack"
        with pytest.raises(websockets.exceptions.ConnectionClosed) as e:
            while True:
                await asyncio.wait_for(b.ws.recv(), 5)
        assert e.value.rcvd.code == 4000  # docs/protocol.md: removed, do not reconnect
        assert "retiré" in e.value.rcvd.reason
        b2 = await Client.connect(server.ws_url)
        err = await b2.request({"type": "join", "token": wb["you"]["token"]})
        assert err["type"] == "error" and err["code"] == "unauthenticated"
        removed = await a.event("participant.removed")
        assert removed["participant"] == wb["you"]["participant"]
        for x in (f, a, c, b2):
            await x.close()
    run(scenario())


def test_timer_ends_for_everyone(server):
    async def scenario():
        f, (a, wa), (b, wb), (c, wc), board = await table_of_three(server)
        started = await f.request({"type": "timer.start", "seconds": 1, "label": "Écriture"})
        assert started["type"] == "ack"
        timer = (await a.event("timer.started"))["timer"]
        assert timer["label"] == "Écriture" and timer["running"] and timer["endsAt"]
        ended = await a.event("timer.ended", timeout=5)
        assert ended["by"] is None
        await b.event("timer.ended", timeout=5)
        for x in (f, a, b, c):
            await x.close()
    run(scenario())


def test_a_whole_workshop_with_twelve_participants_at_three_tables(server):
    """Problems, next phase, ideas, clusters, votes within budget (the 6th gets `budget`),
    reveal, rotation, close."""
    async def scenario():
        f, wf = await join_facilitator(server)
        groups = [g["id"] for g in wf["workshop"]["groups"][:3]]
        people = []
        for i in range(12):
            group = groups[i % 3]
            c, w = await join_participant(server, f"Participant {i}", group=group, actor=["aci", "ai", "ei", "etti"][i % 4])
            people.append((c, w))
        boards = {g: next(b["id"] for b in wf["workshop"]["boards"] if b["group"] == g) for g in groups}
        # Problems.
        for i, (c, w) in enumerate(people):
            ack = await c.request({"type": "card.add", "board": boards[w["you"]["group"]], "column": "problems", "text": f"Constat {i}"})
            assert ack["type"] == "ack"
        # An idea is refused during the problems phase.
        err = await people[0][0].request({"type": "card.add", "board": boards[groups[0]], "column": "ideas", "text": "trop tôt"})
        assert err["code"] == "phase"
        assert (await f.request({"type": "phase.set", "phase": "ideas"}))["type"] == "ack"
        ideas = {}
        for i, (c, w) in enumerate(people):
            ack = await c.request({"type": "card.add", "board": boards[w["you"]["group"]], "column": "ideas", "text": f"Idée {i}"})
            ideas.setdefault(w["you"]["group"], []).append(ack["result"]["card"])
        # Each table clusters its first two ideas.
        for g in groups:
            member = next(c for c, w in people if w["you"]["group"] == g)
            ack = await member.request({"type": "cluster.create", "board": boards[g], "title": f"Regroupement {g}", "cards": ideas[g][:2]})
            assert ack["type"] == "ack" and ack["result"]["cluster"]
        # Votes: 5 within budget, the 6th refused.
        voter = people[0][0]
        target = ideas[groups[0]]
        plan = [target[0], target[0], target[0], target[1], target[2]]
        for card in plan:
            assert (await voter.request({"type": "vote.cast", "card": card}))["type"] == "ack"
        assert (await voter.request({"type": "vote.cast", "card": target[3]}))["code"] == "budget"
        assert (await people[1][0].request({"type": "vote.cast", "card": target[0]}))["type"] == "ack"
        assert (await f.request({"type": "votes.reveal"}))["type"] == "ack"
        revealed = await people[5][0].event("votes.revealed")
        assert revealed["votes"][target[0]] == 4
        # Rotation: every group moves to the next board, boards keep their cards.
        assert (await f.request({"type": "rotation.advance"}))["type"] == "ack"
        rotated = await people[0][0].event("rotation.advanced")
        new_board = {p["group"]: p["board"] for p in rotated["boards"]}
        assert new_board[groups[0]] != boards[groups[0]]
        c0, w0 = people[0]
        ack = await c0.request({"type": "card.add", "board": new_board[groups[0]], "column": "ideas", "text": "Après rotation"})
        assert ack["type"] == "ack"
        assert (await c0.request({"type": "card.add", "board": boards[groups[0]], "column": "ideas", "text": "Ancien tableau"}))["code"] == "forbidden"
        # Close: read-only, still exportable.
        assert (await f.request({"type": "workshop.close"}))["type"] == "ack"
        assert (await c0.request({"type": "card.add", "board": new_board[groups[0]], "column": "ideas", "text": "Trop tard"}))["code"] == "closed"
        for c, _ in people:
            await c.close()
        await f.close()
    run(scenario())


def test_secrets_never_reach_a_participant(server):
    """Through a whole run of facilitation, no frame a participant receives carries the admin
    token, the facilitator key, or another participant's resume token."""
    async def scenario():
        f, (a, wa), (b, wb), (c, wc), board = await table_of_three(server)
        await f.request({"type": "phase.set", "phase": "ideas"})
        ack = await a.request({"type": "card.add", "board": board, "column": "ideas", "text": "Une idée"})
        await b.request({"type": "vote.cast", "card": ack["result"]["card"]})
        await f.request({"type": "votes.reveal"})
        await f.request({"type": "announce", "text": "Bravo"})
        await f.request({"type": "timer.start", "seconds": 60})
        await f.request({"type": "rotation.advance"})
        await c.request({"type": "ping"})
        await settle_all(a, b, c)
        for client, others in ((a, [wb, wc]), (b, [wa, wc]), (c, [wa, wb])):
            seen = "".join(client.frames)
            assert server.admin_token not in seen
            assert server.info["key"] not in seen
            for other in others:
                assert other["you"]["token"] not in seen
        for x in (f, a, b, c):
            await x.close()
    run(scenario())


def test_anonymous_support_counts_and_restored_card_keeps_its_dots(server):
    """In an anonymous workshop others learn how many back a sheet, never who; a card hidden then
    restored after the reveal comes back with its dot count."""
    async def scenario():
        f, (a, wa), (b, wb), (c, wc), board = await table_of_three(server)
        assert (await f.request({"type": "phase.set", "phase": "ideas"}))["type"] == "ack"
        card = (await a.request({"type": "card.add", "board": board, "column": "ideas", "text": "Plateforme mobilité"}))["result"]["card"]
        for voter in (a, b, b):
            assert (await voter.request({"type": "vote.cast", "card": card}))["type"] == "ack"
        assert (await f.request({"type": "votes.reveal"}))["type"] == "ack"
        assert (await f.request({"type": "card.hide", "card": card}))["type"] == "ack"
        await c.event("card.hidden")
        assert (await f.request({"type": "card.restore", "card": card}))["type"] == "ack"
        restored = await c.event("card.restored")
        assert restored["card"]["votes"] == 3

        assert (await f.request({"type": "settings.update", "anonymous": True, "facilitatorSeesAuthors": False}))["type"] == "ack"
        assert (await f.request({"type": "phase.set", "phase": "projects"}))["type"] == "ack"
        project = (await a.request({"type": "project.create", "board": board, "title": "Covoiturage solidaire"}))["result"]["project"]
        await settle(c)
        supporter = wb["you"]["participant"]
        assert (await b.request({"type": "project.support", "project": project}))["type"] == "ack"
        mine = await b.event("project.supported")
        assert mine["supporter"] == supporter and mine["supportCount"] == 1
        theirs = await c.event("project.supported")
        assert theirs["supporter"] is None and theirs["supportCount"] == 1
        assert (await a.request({"type": "project.support", "project": project}))["type"] == "ack"
        assert (await c.event("project.supported"))["supportCount"] == 2
        assert (await b.request({"type": "project.support", "project": project, "support": False}))["type"] == "ack"
        assert (await c.event("project.supported"))["supportCount"] == 1
        c2 = await Client.connect(server.ws_url)
        wc2 = await c2.request({"type": "join", "token": wc["you"]["token"]})
        sheet = next(p for p in wc2["workshop"]["projects"] if p["id"] == project)
        assert sheet["supporters"] == [] and sheet["supportCount"] == 1
        a2 = await Client.connect(server.ws_url)
        wa2 = await a2.request({"type": "join", "token": wa["you"]["token"]})
        sheet = next(p for p in wa2["workshop"]["projects"] if p["id"] == project)
        assert sheet["supporters"] == [wa["you"]["participant"]] and sheet["supportCount"] == 1
        for x in (f, a, b, c, c2, a2):
            await x.close()
    run(scenario())


def test_the_latest_announcement_is_in_the_snapshot(server):
    async def scenario():
        f, wf = await join_facilitator(server)
        assert wf["workshop"]["announcement"] is None, "a new workshop has no announcement yet"
        for text in ("Première annonce", "Reprise à 14 h"):
            assert (await f.request({"type": "announce", "text": text}))["type"] == "ack"
        late, wl = await join_participant(server, "Arrivée tardive")
        latest = wl["workshop"]["announcement"]
        assert latest["text"] == "Reprise à 14 h" and latest["at"].endswith("Z") and latest["seq"] <= wl["seq"]
        for x in (f, late):
            await x.close()
    run(scenario())
