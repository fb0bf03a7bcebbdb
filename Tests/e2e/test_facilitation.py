"""Facilitation through the real server: secrecy on raw frames, and a whole workshop run."""
import asyncio
import json
import urllib.request

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


def split_progress(messages, who="?"):
    """The voter counts of the `votes.progress` messages among `messages`, and every other message.
    docs/protocol.md, Votes: `votes.progress {voters}` tells the room how many have voted, never
    where: a `votes.progress` of any other shape (a card, a voter, a seq…) fails here."""
    counts, rest = [], []
    for m in messages:
        if m.get("type") == "votes.progress":
            for key in ("card", "by", "participant", "seq", "phase"):
                assert key not in m, f"{who}: votes.progress carries {key!r}: {m!r}"
            assert set(m) == {"type", "voters"}, f"{who}: votes.progress carries more than the count: {m!r}"
            assert type(m["voters"]) is int and m["voters"] >= 0, f"{who}: {m!r}"
            counts.append(m["voters"])
        else:
            rest.append(m)
    return counts, rest


def dotted(counts):
    """The cards of a `votes.revealed` that have dots (whether cards without any are listed, with 0,
    is not the protocol's concern)."""
    return {card: n for card, n in counts.items() if n}


def no_vote_news(client, mark, who):
    """What `client` received since `mark`, votes.progress aside: the voter counts, and the raw
    text of everything else (re-serialized message by message, for substring checks)."""
    counts, rest = split_progress(messages_since(client, mark), who)
    return counts, rest, json.dumps(rest, ensure_ascii=False)


def test_votes_stay_secret_until_revealed(server):
    """Before the reveal a dot reaches its voter only: not the card's author, not a table-mate, not
    the facilitator; the room learns how many have voted (`votes.progress`), never where."""
    async def scenario():
        f, (a, wa), (b, wb), (c, wc), board = await table_of_three(server)
        assert (await f.request({"type": "phase.set", "phase": "ideas"}))["type"] == "ack"
        # C's card: A and B vote for it (nobody votes for their own card), C only watches.
        ack = await c.request({"type": "card.add", "board": board, "column": "ideas", "text": "Groupement d'employeurs"})
        card = ack["result"]["card"]
        await settle_all(a, b, c, f)
        marks = {x: len(x.frames) for x in (b, c, f)}
        for voter in (a, a, b):
            assert (await voter.request({"type": "vote.cast", "card": card}))["type"] == "ack"
        # A round trip on each: everything the votes caused has arrived before the pongs.
        await settle_all(b, c, f)
        # C (the card's author) never receives anything about the votes; the facilitator neither:
        # only the number of people who voted (A's second dot changes nothing), and the pong.
        for x, who in ((c, "author"), (f, "facilitator")):
            counts, rest, raw = no_vote_news(x, marks[x], who)
            assert counts == [1, 2], f"{who}: votes.progress {counts}"
            assert [m["type"] for m in rest] == ["pong"], f"{who} received {rest}"
            assert "vote" not in raw and card not in raw, f"{who} received {raw}"
        # B sees only B's own vote event (by B, for this card, in this phase), never a count.
        counts, rest, raw = no_vote_news(b, marks[b], "B")
        assert counts == [1, 2], f"B: votes.progress {counts}"
        own = [m for m in rest if m.get("type", "").startswith("vote")]
        assert_matches(own, [{"type": "vote.cast", "card": card, "phase": "ideas", "by": wb["you"]["participant"], "votes": ABSENT}])
        assert '"votes"' not in raw and json.dumps(wa["you"]["participant"]) not in raw, "B learns nothing of A's dots"
        # Nor in a fresh welcome: the author's snapshot has no count and no dot of theirs.
        c2 = await Client.connect(server.ws_url)
        welcome = await c2.request({"type": "join", "token": wc["you"]["token"]})
        mine = next(x for x in welcome["workshop"]["cards"] if x["id"] == card)
        assert mine["votes"] is None and welcome["workshop"]["myVotes"] == {}
        assert welcome["workshop"]["voters"] == 2 and welcome["workshop"]["votesClosed"] is False
        a2 = await Client.connect(server.ws_url)
        wa2 = await a2.request({"type": "join", "token": wa["you"]["token"]})
        assert wa2["workshop"]["myVotes"] == {card: 2}
        assert next(x for x in wa2["workshop"]["cards"] if x["id"] == card)["votes"] is None
        # The reveal brings the count to everyone.
        assert (await f.request({"type": "votes.reveal"}))["type"] == "ack"
        revealed = await c2.event("votes.revealed")
        assert dotted(revealed["votes"]) == {card: 3}
        for x in (f, a, b, c, c2, a2):
            await x.close()
    run(scenario())


def test_votes_close_ends_voting_and_the_room_learns_how_many_voted_never_where(server):
    """docs/protocol.md, Votes: a dot goes only on a column the phase votes on (`phase`), never on
    one's own card (`forbidden`); `votes.progress {voters}` counts people, not dots, and reaches
    everyone, someone at another table who has not voted included; the snapshot carries `voters`
    and `votesClosed`; `votes.close` reaches everyone as `votes.closed`, then a vote or a retraction
    is refused with `phase` and a French reason."""
    async def scenario():
        f, (a, wa), (b, wb), (c, wc), board = await table_of_three(server)
        d, wd = await join_participant(server, "Denis Distant", organisation="ETTI Delta")  # the emptiest table
        assert wd["you"]["group"] != wa["you"]["group"], "D sits at another table"
        assert wd["workshop"]["voters"] == 0 and wd["workshop"]["votesClosed"] is False
        problem = (await a.request({"type": "card.add", "board": board, "column": "problems", "text": "Mobilité difficile"}))["result"]["card"]
        assert (await f.request({"type": "phase.set", "phase": "ideas"}))["type"] == "ack"
        idea_a = (await a.request({"type": "card.add", "board": board, "column": "ideas", "text": "Garage solidaire"}))["result"]["card"]
        idea_b = (await b.request({"type": "card.add", "board": board, "column": "ideas", "text": "Covoiturage"}))["result"]["card"]
        everyone = {"facilitator": f, "A": a, "B": b, "C": c, "D": d}
        await settle_all(*everyone.values())
        marks = {who: len(x.frames) for who, x in everyone.items()}

        def progress_since(who):
            """The voter counts `who` received since the last call, and every other message that
            answers no request of theirs (replies and pongs aside)."""
            counts, rest = split_progress(messages_since(everyone[who], marks[who]), who)
            marks[who] = len(everyone[who].frames)
            return counts, [m for m in rest if "re" not in m]

        # Refused, each saying why, and nobody hears of it.
        own = await a.request({"type": "vote.cast", "card": idea_a})
        assert own["type"] == "error" and own["code"] == "forbidden" and own["message"], own
        column = await b.request({"type": "vote.cast", "card": problem})  # A's problem card, in the ideas phase
        assert column["type"] == "error" and column["code"] == "phase" and column["message"], column
        await settle_all(*everyone.values())
        for who in everyone:
            counts, rest = progress_since(who)
            assert counts == [] and rest == [], (who, counts, rest)
        # Two dots by A: one voter. The room learns "1", once.
        for _ in range(2):
            assert (await a.request({"type": "vote.cast", "card": idea_b}))["type"] == "ack"
        await settle_all(*everyone.values())
        for who in everyone:
            counts, news = progress_since(who)
            assert counts == [1], (who, counts)
            if who == "A":
                assert_matches(news, [{"type": "vote.cast", "card": idea_b, "by": wa["you"]["participant"]}] * 2)
            else:
                assert news == [], f"{who} received {news}"
        # B votes too: two voters, and C and D, who have not voted, know it.
        assert (await b.request({"type": "vote.cast", "card": idea_a}))["type"] == "ack"
        await settle_all(*everyone.values())
        for who in everyone:
            counts, news = progress_since(who)
            assert counts == [2], (who, counts)
            if who == "B":
                assert_matches(news, [{"type": "vote.cast", "card": idea_a, "by": wb["you"]["participant"]}])
            else:
                assert news == [], f"{who} received {news}"
        # A fresh join's snapshot: how many voted, not where.
        e, we = await join_participant(server, "Émilie Entrante", organisation="AI Epsilon")
        assert we["workshop"]["voters"] == 2 and we["workshop"]["votesClosed"] is False
        assert we["workshop"]["myVotes"] == {} and all(x["votes"] is None for x in we["workshop"]["cards"])
        # A resume (no snapshot) is told the count too: `votes.progress` is not journaled.
        fr, wfr = await join_facilitator(server, since=we["seq"])
        assert "workshop" not in wfr and wfr["voters"] == 2
        await fr.close()
        # Only the facilitator closes the vote.
        refused = await c.request({"type": "votes.close"})
        assert refused["type"] == "error" and refused["code"] == "forbidden", refused
        everyone["E"] = e
        await settle_all(*everyone.values())
        marks = {who: len(x.frames) for who, x in everyone.items()}
        assert (await f.request({"type": "votes.close"}))["type"] == "ack"
        await settle_all(*everyone.values())
        for who in everyone:
            counts, news = progress_since(who)
            assert counts == [], (who, counts)
            assert_matches(news, [{"type": "votes.closed", "by": "facilitator"}])
            assert set(news[0]) == {"type", "seq", "at", "by"}, (who, news)
        # From then on nothing moves, and the refusal says why, in French.
        for who, x, message in (("A", a, {"type": "vote.cast", "card": idea_b}),
                                ("A", a, {"type": "vote.retract", "card": idea_b}),
                                ("C", c, {"type": "vote.cast", "card": idea_a}),
                                ("B", b, {"type": "vote.retract", "card": idea_a})):
            err = await x.request(message)
            assert err["type"] == "error" and err["code"] == "phase", (who, message, err)
            assert "Le vote est clos" in err["message"], (who, message, err)
        await settle_all(*everyone.values())
        for who in everyone:
            counts, rest = progress_since(who)
            assert counts == [] and rest == [], (who, counts, rest)
        # The snapshot says the vote is closed, with the same count, and A's dots unchanged.
        a2 = await Client.connect(server.ws_url)
        wa2 = await a2.request({"type": "join", "token": wa["you"]["token"]})
        assert wa2["workshop"]["voters"] == 2 and wa2["workshop"]["votesClosed"] is True
        assert wa2["workshop"]["myVotes"] == {idea_b: 2} and wa2["workshop"]["settings"]["votesRevealed"] is False
        f2, wf2 = await join_facilitator(server)
        assert wf2["workshop"]["voters"] == 2 and wf2["workshop"]["votesClosed"] is True
        assert all(x["votes"] is None for x in wf2["workshop"]["cards"]), "closed is not revealed"
        for x in (*everyone.values(), a2, f2):
            await x.close()
    run(scenario())


def export(server, fmt):
    """The workshop's export in `fmt`, as the facilitator downloads it (text)."""
    request = urllib.request.Request(f"{server.url}/api/workshops/{server.info['workshop']}/export?format={fmt}",
                                     headers={"Authorization": f"Bearer {server.info['key']}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return r.read().decode()


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
        # Nor does it leave the room in an export before the reveal (docs/export.md).
        assert all(secret not in export(server, fmt) for fmt in ("json", "csv", "md", "html"))
        assert (await f.request({"type": "cards.reveal"}))["type"] == "ack"
        revealed = await b.event("cards.revealed")
        assert [x["text"] for x in revealed["cards"]] == [secret + " bis"]
        assert secret + " bis" in export(server, "json")
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
    """Problems, next phase, ideas, clusters, votes within budget (the 6th gets `budget`) on
    others' ideas only (a problem card gets `phase`, one's own idea `forbidden`), the room told
    how many voted, reveal (no vote after it), rotation, close."""
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
        problems = []
        for i, (c, w) in enumerate(people):
            ack = await c.request({"type": "card.add", "board": boards[w["you"]["group"]], "column": "problems", "text": f"Constat {i}"})
            assert ack["type"] == "ack"
            problems.append(ack["result"]["card"])
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
        # Votes, in the ideas column (a problem card is not voted on in the ideas phase), never on
        # one's own card: 5 within budget, the 6th refused.
        voter, own = people[0][0], ideas[groups[0]][0]  # people 0, 3, 6, 9 sit at the first table
        assert (await voter.request({"type": "vote.cast", "card": problems[3]}))["code"] == "phase"
        assert (await voter.request({"type": "vote.cast", "card": own}))["code"] == "forbidden"
        target = ideas[groups[0]][1:]  # the ideas of participants 3, 6 and 9
        plan = [target[0], target[0], target[0], target[1], target[2]]
        for card in plan:
            assert (await voter.request({"type": "vote.cast", "card": card}))["type"] == "ack"
        assert (await voter.request({"type": "vote.cast", "card": target[1]}))["code"] == "budget"
        assert (await people[1][0].request({"type": "vote.cast", "card": target[0]}))["type"] == "ack"
        # Someone who has not voted knows how many have (two people), not where.
        counts, _ = split_progress(await settle(people[5][0]), "participant 5")
        assert counts == [1, 2], counts
        assert (await f.request({"type": "votes.reveal"}))["type"] == "ack"
        revealed = await people[5][0].event("votes.revealed")
        assert dotted(revealed["votes"]) == {target[0]: 4, target[1]: 1, target[2]: 1}
        # The reveal ends the vote, for everyone.
        for c, _ in people[:3]:  # participant 4's idea: nobody's own
            assert (await c.request({"type": "vote.cast", "card": ideas[groups[1]][1]}))["code"] == "phase"
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
        for voter in (c, b, b):  # A's card: A does not vote for it
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
