"""Who receives what, checked on the frames the real server sends (docs/protocol.md, "What the server
hides"), for every kind of viewer: the author, a table-mate, a participant of another table and the
facilitator, with and without anonymity, live and on a resume with `since`.

Each "nothing else arrived" check ends with a round trip (`settle`: a ping, and every frame before
its pong), never with a sleep. Expected values are written here, from the protocol, never read from
the server's code. Each test names, in its docstring, the planted bug of issue 17 it catches.
"""
import asyncio
import json
import tempfile
import time

import pytest
import websockets
import websockets.exceptions  # websockets loads it lazily: a test run alone needs it imported

from conftest import (ABSENT, Client, Server, assert_matches, free_port, join_facilitator, join_participant,
                      seq_events, settle, settle_all)

VIEWERS = ("author", "mate", "other", "facilitator")

# The three ways a workshop can treat authors (settings), and who sees the author's id in each:
# docs/protocol.md "Anonymous mode": `author` and `by` are null for everyone but the author (and the
# facilitator when `facilitatorSeesAuthors`).
MODES = {
    "open": {"anonymous": False, "facilitatorSeesAuthors": True},
    "anonymous": {"anonymous": True, "facilitatorSeesAuthors": True},
    "anonymous-blind-facilitator": {"anonymous": True, "facilitatorSeesAuthors": False},
}
SEES_AUTHOR = {
    "open": {"author": True, "mate": True, "other": True, "facilitator": True},
    "anonymous": {"author": True, "mate": False, "other": False, "facilitator": True},
    "anonymous-blind-facilitator": {"author": True, "mate": False, "other": False, "facilitator": False},
}


def run(coro):
    return asyncio.run(coro)


class Room:
    """A facilitator and three participants: the author and a table-mate at the first table, and
    someone at the second table. `clients[v]`, `welcomes[v]` by viewer name."""

    def __init__(self, server):
        self.server = server
        self.clients = {}
        self.welcomes = {}
        self.extra = []

    async def open(self, mode, **settings):
        f, wf = await join_facilitator(self.server)
        groups = [g["id"] for g in wf["workshop"]["groups"]]
        a, wa = await join_participant(self.server, "Alice Autrice", group=groups[0], organisation="ACI Alpha")
        m, wm = await join_participant(self.server, "Marc Voisin", group=groups[0], organisation="AI Beta")
        o, wo = await join_participant(self.server, "Olga Ailleurs", group=groups[1], organisation="EI Gamma")
        self.clients = {"author": a, "mate": m, "other": o, "facilitator": f}
        self.welcomes = {"author": wa, "mate": wm, "other": wo, "facilitator": wf}
        self.board = next(b["id"] for b in wf["workshop"]["boards"] if b["group"] == groups[0])
        self.other_board = next(b["id"] for b in wf["workshop"]["boards"] if b["group"] == groups[1])
        ack = await f.request({"type": "settings.update", **MODES[mode], **settings})
        assert ack["type"] == "ack", ack
        await self.settle()
        return self

    @property
    def a(self):
        return self.clients["author"]

    @property
    def m(self):
        return self.clients["mate"]

    @property
    def o(self):
        return self.clients["other"]

    @property
    def f(self):
        return self.clients["facilitator"]

    def id(self, viewer):
        return self.welcomes[viewer]["you"]["participant"]

    async def ok(self, viewer, message):
        reply = await self.clients[viewer].request(message)
        assert reply["type"] == "ack", (viewer, message, reply)
        return reply

    async def settle(self):
        """Every client has received everything sent to it so far; returns it, by viewer."""
        got = await settle_all(*(self.clients[v] for v in VIEWERS))
        return dict(zip(VIEWERS, got))

    def marks(self):
        return {v: len(self.clients[v].frames) for v in VIEWERS}

    def raw_since(self, viewer, marks):
        return "".join(self.clients[viewer].frames[marks[viewer]:])

    async def resume(self, viewer, since):
        """A second connection of `viewer` resuming with `since`: the events of its welcome, and the
        welcome's raw frame."""
        if viewer == "facilitator":
            c, welcome = await join_facilitator(self.server, since=since)
        else:
            c = await Client.connect(self.server.ws_url)
            welcome = await c.request({"type": "join", "token": self.welcomes[viewer]["you"]["token"], "since": since})
            assert welcome["type"] == "welcome", welcome
        self.extra.append(c)
        assert "workshop" not in welcome, "the events after `since` are at hand: no snapshot"
        return welcome["events"], c.frames[-1]

    async def observe(self, since, live):
        """For each viewer, the events it received live (from `live`, the result of `settle`) and those
        a resume with `since` replays, which must be the same, byte for byte."""
        seen = {}
        for v in VIEWERS:
            events = seq_events(live[v])
            resumed, raw = await self.resume(v, since)
            assert resumed == events, f"{v}: a resume replays exactly what was seen live\n live {events}\n resume {resumed}"
            seen[v] = (events, raw)
        return seen

    async def close(self):
        for c in [*self.clients.values(), *self.extra]:
            await c.close()


def expect_each(seen, expected):
    """`expected[v]`: the events viewer v must have received (live and on resume), in order."""
    for v in VIEWERS:
        events, _ = seen[v]
        try:
            assert_matches(events, expected[v])
        except AssertionError as e:
            raise AssertionError(f"{v}: {e}") from None


def split_progress(messages, who):
    """The voter counts of the `votes.progress` messages among `messages`, and every other message.
    docs/protocol.md, Votes: the room is told how many people have voted (`{"type": "votes.progress",
    "voters": n}`, no seq, not journaled), never where nor who: any other shape fails here."""
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


def expect_live_extras(live, progress):
    """What each viewer received live besides journaled events: exactly the `votes.progress` counts
    `progress` (the same for everyone: the room is told), nothing else (no stray message)."""
    for v in VIEWERS:
        counts, rest = split_progress(live[v], v)
        assert counts == progress, f"{v}: votes.progress {counts}, expected {progress}"
        stray = [m for m in rest if m not in seq_events(rest)]
        assert stray == [], f"{v} received {stray}"


# --------------------------------------------------------------------------------------------
# Mutant 1: `cards.revealed` with authors in an anonymous workshop.

@pytest.mark.parametrize("mode", MODES)
def test_revealed_cards_name_their_author_only_to_whom_anonymity_allows(server, mode):
    """Kills mutant 1 (Outbound.swift, `event(...)` case `.cardsRevealed`: `showAuthor: !anonymous`
    → `showAuthor: true`): in an anonymous workshop the private cards `cards.reveal` makes public
    reach the table-mate and the other table without author, and the facilitator with one only when
    `facilitatorSeesAuthors`; live and on resume."""
    async def scenario():
        r = await Room(server).open(mode, privateWriting=True)
        text = "Idée privée 1c0d"
        card = (await r.ok("author", {"type": "card.add", "board": r.board, "column": "problems", "text": text}))["result"]["card"]
        before = await r.settle()
        # While private: the author and the facilitator only.
        assert [e["type"] for e in seq_events(before["mate"]) + seq_events(before["other"])] == []
        mark = (await r.ok("facilitator", {"type": "settings.update", **MODES[mode]}))["seq"]  # changes nothing: the seq now
        marks = r.marks()
        await r.ok("facilitator", {"type": "cards.reveal"})
        seen = await r.observe(mark, await r.settle())
        author = r.id("author")
        sees = SEES_AUTHOR[mode]
        revealed = {v: [{"type": "cards.revealed",
                         "cards": [{"id": card, "text": text, "private": ABSENT,
                                    "author": author if sees[v] else None}]}] for v in ("mate", "other", "facilitator")}
        # The author's own `author` field is checked by the xfail test below (it is null today).
        revealed["author"] = [{"type": "cards.revealed", "cards": [{"id": card, "text": text, "private": ABSENT}]}]
        expect_each(seen, revealed)
        for v in ("mate", "other"):
            if not sees[v]:
                assert f'"{author}"' not in r.raw_since(v, marks) + seen[v][1], f"{v} got the author's id"
        await r.close()
    run(scenario())


def test_the_author_keeps_their_name_on_their_own_revealed_card(server):
    """docs/protocol.md: `author` is null for everyone *but the author*, a revealed card included
    (`cards.reveal` makes one `cards.revealed` per author)."""
    async def scenario():
        r = await Room(server).open("anonymous-blind-facilitator", privateWriting=True)
        card = (await r.ok("author", {"type": "card.add", "board": r.board, "column": "problems", "text": "La mienne"}))["result"]["card"]
        await r.settle()
        await r.ok("facilitator", {"type": "cards.reveal"})
        got = seq_events((await r.settle())["author"])
        assert_matches(got, [{"type": "cards.revealed", "cards": [{"id": card, "author": r.id("author")}]}])
        await r.close()
    run(scenario())


def test_a_hidden_private_card_stays_hidden_when_cards_are_revealed(server):
    """Moderation: hidden cards disappear for participants, their author too. A private card the
    facilitator hid must not come back through `cards.reveal`."""
    async def scenario():
        r = await Room(server).open("open", privateWriting=True)
        secret = "Carte privée puis masquée 5e1f"
        card = (await r.ok("author", {"type": "card.add", "board": r.board, "column": "problems", "text": secret}))["result"]["card"]
        # Another private card of the same author, not hidden: revealed in the same command (and in
        # the same author's event), to everyone.
        shown = (await r.ok("author", {"type": "card.add", "board": r.board, "column": "problems", "text": "Révélée"}))["result"]["card"]
        await r.ok("facilitator", {"type": "card.hide", "card": card})
        await r.settle()
        marks = r.marks()
        await r.ok("facilitator", {"type": "cards.reveal"})
        await r.settle()
        for v in ("author", "mate", "other"):
            raw = r.raw_since(v, marks)
            assert secret not in raw and f'"{card}"' not in raw, f"{v} received the hidden card"
            assert f'"{shown}"' in raw, f"{v} did not get the revealed card"
        assert secret in r.raw_since("facilitator", marks), "the facilitator learns the hidden card is no longer private"
        await r.close()
    run(scenario())


# --------------------------------------------------------------------------------------------
# Mutant 2: a resume with `since` replaying events the participant must not see.

@pytest.mark.parametrize("mode", MODES)
def test_a_resume_replays_only_what_the_viewer_could_see_live(server, mode):
    """Kills mutant 2 (Hub+Join.swift, `welcome`: the sight filter of the replayed events): others'
    secret votes, others' private cards and edits of hidden cards are not in a resume's `events`;
    each viewer's resume equals, byte for byte, what it received live, and both are what the
    protocol says it sees. The workshop lets people vote for their own card (`voteOwnCards`), so
    that each of the three participants, the author included, casts a dot on the same card; the
    room is told how many voted (`votes.progress`) and nothing more."""
    async def scenario():
        r = await Room(server).open(mode, voteOwnCards=True)
        await r.ok("facilitator", {"type": "phase.set", "phase": "ideas"})
        public = (await r.ok("author", {"type": "card.add", "board": r.board, "column": "ideas", "text": "Idée publique"}))["result"]["card"]
        mark = (await r.ok("facilitator", {"type": "settings.update", **MODES[mode]}))["seq"]
        await r.settle()
        marks = r.marks()
        secret, edited, moderated = "Idée privée 9a7b", "Idée privée 9a7b, revue", "Texte modéré 3c2d"
        await r.ok("mate", {"type": "vote.cast", "card": public})
        await r.ok("other", {"type": "vote.cast", "card": public})
        await r.ok("author", {"type": "vote.cast", "card": public})
        await r.ok("facilitator", {"type": "settings.update", "privateWriting": True})
        private = (await r.ok("author", {"type": "card.add", "board": r.board, "column": "ideas", "text": secret}))["result"]["card"]
        await r.ok("author", {"type": "card.edit", "card": private, "text": edited, "version": 1})
        await r.ok("mate", {"type": "vote.retract", "card": public})
        await r.ok("facilitator", {"type": "card.hide", "card": public})
        await r.ok("facilitator", {"type": "card.edit", "card": public, "text": moderated, "version": 1})
        live = await r.settle()
        # Three voters, then two once the mate takes back their only dot: told to everyone, the
        # facilitator included; never which card nor who (a resume does not replay them: no seq).
        expect_live_extras(live, [1, 2, 3, 2])
        seen = await r.observe(mark, live)
        author, mate, other = r.id("author"), r.id("mate"), r.id("other")
        sees = SEES_AUTHOR[mode]["facilitator"]
        settings = {"type": "settings.updated", "settings": {"privateWriting": True, "votesRevealed": False, "voteOwnCards": True}}
        hidden = {"type": "card.hidden", "card": public}
        # Before the reveal a dot reaches its voter only (not even the facilitator), with no count.
        expect_each(seen, {
            "author": [{"type": "vote.cast", "card": public, "by": author, "votes": ABSENT}, settings,
                       {"type": "card.added", "by": author, "card": {"id": private, "text": secret, "author": author, "private": True}},
                       {"type": "card.edited", "by": author, "card": private, "text": edited}, hidden],
            "mate": [{"type": "vote.cast", "card": public, "by": mate, "votes": ABSENT}, settings,
                     {"type": "vote.retracted", "card": public, "by": mate, "votes": ABSENT}, hidden],
            "other": [{"type": "vote.cast", "card": public, "by": other, "votes": ABSENT}, settings, hidden],
            "facilitator": [settings,
                            {"type": "card.added", "by": author if sees else None,
                             "card": {"id": private, "text": secret, "author": author if sees else None, "private": True}},
                            {"type": "card.edited", "by": author if sees else None, "card": private, "text": edited},
                            hidden, {"type": "card.edited", "card": public, "text": moderated}],
        })
        q = lambda pid: f'"{pid}"'  # an id as it appears in JSON
        for v, forbidden in (("mate", [secret, moderated, q(author), q(other)]), ("other", [secret, moderated, q(author), q(mate)]),
                             ("author", [moderated, q(mate), q(other)])):
            raw = r.raw_since(v, marks) + seen[v][1]
            for s in forbidden:
                assert s not in raw, f"{v} received {s!r}"
        raw = r.raw_since("facilitator", marks) + seen["facilitator"][1]
        assert '"vote.' not in raw and q(mate) not in raw and q(other) not in raw, "the facilitator learns no dot before the reveal"
        await r.close()
    run(scenario())


@pytest.mark.parametrize("mode", MODES)
def test_after_the_reveal_dots_reach_everyone_with_the_count_and_never_the_voter(server, mode):
    """The vote audience around `votes.reveal` (Visibility.swift, `.voteCast`/`.voteRetracted`):
    dots cast before the reveal reach their voter only, live and on a resume made after the reveal
    (it replays what was seen live, not what the reveal would now allow); the reveal gives every
    viewer each card's count and never a voter, in every mode, the facilitator included; so do the
    snapshots afterwards, with each viewer's own dots. The reveal ends the vote: a late dot or
    retraction gets `phase` for every participant, and changes nothing for anyone."""
    async def scenario():
        r = await Room(server).open(mode)
        await r.ok("facilitator", {"type": "phase.set", "phase": "ideas"})
        card = (await r.ok("author", {"type": "card.add", "board": r.board, "column": "ideas", "text": "À voter"}))["result"]["card"]
        # The facilitator's idea: nobody's own, so the author votes for it.
        spare = (await r.ok("facilitator", {"type": "card.add", "board": r.board, "column": "ideas", "text": "Aussi à voter"}))["result"]["card"]
        mark = (await r.ok("facilitator", {"type": "settings.update", **MODES[mode]}))["seq"]
        await r.settle()
        marks = r.marks()
        await r.ok("mate", {"type": "vote.cast", "card": card})
        await r.ok("mate", {"type": "vote.cast", "card": card})
        await r.ok("other", {"type": "vote.cast", "card": card})
        await r.ok("mate", {"type": "vote.retract", "card": card})
        await r.ok("author", {"type": "vote.cast", "card": spare})
        await r.ok("facilitator", {"type": "votes.reveal"})
        live = await r.settle()
        # One voter, the same one again, a second, the first keeping a dot, a third.
        expect_live_extras(live, [1, 2, 3])
        seen = await r.observe(mark, live)
        author, mate, other = r.id("author"), r.id("mate"), r.id("other")
        counts = {card: 2, spare: 1}
        revealed = {"type": "votes.revealed", "votes": counts, "card": ABSENT}
        expect_each(seen, {
            "author": [{"type": "vote.cast", "card": spare, "by": author, "votes": ABSENT}, revealed],
            "mate": [{"type": "vote.cast", "card": card, "by": mate, "votes": ABSENT},
                     {"type": "vote.cast", "card": card, "by": mate, "votes": ABSENT},
                     {"type": "vote.retracted", "card": card, "by": mate, "votes": ABSENT}, revealed],
            "other": [{"type": "vote.cast", "card": card, "by": other, "votes": ABSENT}, revealed],
            "facilitator": [revealed],
        })
        for v in VIEWERS:
            got = seen[v][0][-1]["votes"]
            assert {k: n for k, n in got.items() if n} == counts, f"{v}: the reveal counts {got}"
            raw = r.raw_since(v, marks) + seen[v][1]
            for voter, pid in (("author", author), ("mate", mate), ("other", other)):
                if v != voter:
                    assert f'"{pid}"' not in raw, f"{v} learns that {voter} voted"

        # The vote is over: every participant's late dot or retraction is refused, nothing moves.
        for v, message in (("author", {"type": "vote.cast", "card": spare}),
                           ("author", {"type": "vote.retract", "card": spare}),
                           ("mate", {"type": "vote.cast", "card": card}),
                           ("mate", {"type": "vote.retract", "card": card}),
                           ("other", {"type": "vote.cast", "card": spare})):
            err = await r.clients[v].request(message)
            assert err["type"] == "error" and err["code"] == "phase", (v, message, err)
        quiet = await r.settle()
        for v in VIEWERS:
            assert quiet[v] == [], f"{v} received {quiet[v]} after a refused vote"
        # The snapshots after the reveal: the counts for everyone, each viewer's own dots only.
        mine = {"author": {spare: 1}, "mate": {card: 1}, "other": {card: 1}, "facilitator": {}}
        for v in VIEWERS:
            if v == "facilitator":
                c, welcome = await join_facilitator(r.server)
            else:
                c = await Client.connect(r.server.ws_url)
                welcome = await c.request({"type": "join", "token": r.welcomes[v]["you"]["token"]})
            r.extra.append(c)
            w = welcome["workshop"]
            assert {x["id"]: x["votes"] for x in w["cards"] if x["id"] in counts} == counts, f"{v}'s snapshot"
            assert w["myVotes"] == mine[v], f"{v}'s snapshot: myVotes {w['myVotes']}"
            assert w["voters"] == 3 and w["votesClosed"] is True and w["settings"]["votesRevealed"] is True, v
        await r.close()
    run(scenario())


# --------------------------------------------------------------------------------------------
# Mutant 3: events of a hidden card still sent to participants.

@pytest.mark.parametrize("mode", MODES)
def test_what_happens_to_a_hidden_card_reaches_only_the_facilitator(server, mode):
    """Kills mutant 3 (Visibility.swift, `audience(of card:)`: `if card.hidden { a.participants = [] }`):
    once the facilitator hides a card, its edits, moves and comments reach the facilitator only, its
    author included in "participants"; everyone who saw it learns that it goes and that it comes
    back; live and on resume."""
    async def scenario():
        r = await Room(server).open(mode)
        card = (await r.ok("author", {"type": "card.add", "board": r.board, "column": "problems", "text": "Carte à modérer"}))["result"]["card"]
        await r.ok("mate", {"type": "comment.add", "card": card, "text": "Commentaire de Marc"})
        mark = (await r.ok("facilitator", {"type": "settings.update", **MODES[mode]}))["seq"]
        await r.settle()
        marks = r.marks()
        rewritten, note = "Carte réécrite par l'animateur 6b8e", "Note de modération 0f4a"
        await r.ok("facilitator", {"type": "card.hide", "card": card})
        await r.ok("facilitator", {"type": "card.edit", "card": card, "text": rewritten, "version": 1})
        await r.ok("facilitator", {"type": "card.move", "card": card, "x": 120, "y": 340})
        await r.ok("facilitator", {"type": "comment.add", "card": card, "text": note})
        # For participants the card no longer exists, its author included.
        for v in ("author", "mate"):
            err = await r.clients[v].request({"type": "card.edit", "card": card, "text": "Encore moi", "version": 2})
            assert err["type"] == "error" and err["code"] == "not_found", (v, err)
        while_hidden = await r.settle()
        hidden = {"type": "card.hidden", "card": card}
        for v in ("author", "mate", "other"):
            assert_matches(seq_events(while_hidden[v]), [hidden])
            raw = r.raw_since(v, marks)
            assert rewritten not in raw and note not in raw and '"card.moved"' not in raw, f"{v} learnt about the hidden card"
        assert_matches(seq_events(while_hidden["facilitator"]), [
            hidden, {"type": "card.edited", "card": card, "text": rewritten, "version": 2},
            {"type": "card.moved", "card": card, "x": 120, "y": 340},
            {"type": "comment.added", "comment": {"card": card, "text": note}}])
        # A fresh welcome (no `since`) shows neither the card nor its comments to participants; the
        # facilitator's shows it marked hidden, with both comments.
        for v in ("author", "mate"):
            c = await Client.connect(r.server.ws_url)
            r.extra.append(c)
            welcome = await c.request({"type": "join", "token": r.welcomes[v]["you"]["token"]})
            snapshot = json.dumps(welcome["workshop"], ensure_ascii=False)
            assert f'"{card}"' not in snapshot and rewritten not in snapshot and note not in snapshot, f"{v}'s snapshot"
            assert "Commentaire de Marc" not in snapshot, f"{v}'s snapshot shows a hidden card's comment"
        f2, wf2 = await join_facilitator(r.server)
        r.extra.append(f2)
        assert_matches([c for c in wf2["workshop"]["cards"] if c["id"] == card], [{"id": card, "text": rewritten, "hidden": True}])
        assert sorted(m["text"] for m in wf2["workshop"]["comments"] if m["card"] == card) == sorted(["Commentaire de Marc", note])
        await r.ok("facilitator", {"type": "card.restore", "card": card})
        after = await r.settle()
        author = r.id("author")
        sees = SEES_AUTHOR[mode]

        def restored(v):
            return {"type": "card.restored", "card": {"id": card, "text": rewritten, "x": 120, "y": 340, "version": 2,
                                                      "author": author if sees[v] else None, "hidden": ABSENT}}
        live = {v: while_hidden[v] + after[v] for v in VIEWERS}
        seen = await r.observe(mark, live)
        expect_each(seen, {
            "author": [hidden, restored("author")],
            "mate": [hidden, restored("mate")],
            "other": [hidden, restored("other")],
            "facilitator": [hidden, {"type": "card.edited", "card": card}, {"type": "card.moved", "card": card},
                            {"type": "comment.added", "comment": {"card": card, "text": note}}, restored("facilitator")],
        })
        for v in ("author", "mate", "other"):
            assert note not in seen[v][1], f"{v}'s resume carries the moderation note"
        await r.close()
    run(scenario())


# --------------------------------------------------------------------------------------------
# Mutant 4: another table allowed to edit a project sheet.

def test_only_the_sheets_table_and_the_facilitator_edit_a_project(server):
    """Kills mutant 4 (ProjectRules+Reducer.swift, `requireProjectEditor`): someone at another
    table gets `forbidden` and changes nothing (nobody receives a `project.updated`, the version
    stays); the table-mate and the facilitator may edit."""
    async def scenario():
        r = await Room(server).open("open")
        await r.ok("facilitator", {"type": "phase.set", "phase": "projects"})
        project = (await r.ok("author", {"type": "project.create", "board": r.board, "title": "Poste partagé"}))["result"]["project"]
        await r.settle()
        marks = r.marks()
        err = await r.o.request({"type": "project.update", "project": project, "version": 1,
                                 "fields": {"summary": "Réécrit par une autre table"}})
        assert err["type"] == "error" and err["code"] == "forbidden", err
        quiet = await r.settle()
        for v in VIEWERS:
            assert seq_events(quiet[v]) == [], f"{v} received {quiet[v]}"
            assert "Réécrit par une autre table" not in r.raw_since(v, marks)
        f2, wf2 = await join_facilitator(server)
        sheet = next(p for p in wf2["workshop"]["projects"] if p["id"] == project)
        assert sheet["version"] == 1 and sheet["summary"] == ""
        await f2.close()
        await r.ok("mate", {"type": "project.update", "project": project, "version": 1, "fields": {"summary": "Par la table"}})
        assert_matches(await r.o.event("project.updated"), {"project": project, "version": 2, "fields": {"summary": "Par la table"}})
        await r.ok("facilitator", {"type": "project.update", "project": project, "version": 2, "fields": {"summary": "Par l'animateur"}})
        assert_matches(await r.o.event("project.updated"), {"project": project, "version": 3, "fields": {"summary": "Par l'animateur"}})
        await r.close()
    run(scenario())


# --------------------------------------------------------------------------------------------
# Mutant 5: the Origin compared by prefix.

ALLOWED = "https://atelier.example.org"


@pytest.fixture
def origin_server(database):
    with tempfile.TemporaryDirectory(prefix="atelier-origin-") as data_dir:
        s = Server(data_dir, free_port(), database=database, extra_args=["--allowed-origin", ALLOWED]).start()
        try:
            yield s
        finally:
            s.stop()


async def upgrade_status(server, origin):
    try:
        ws = await websockets.connect(server.ws_url, subprotocols=["atelier.v1"], origin=origin)
    except websockets.exceptions.InvalidStatus as e:
        return e.response.status_code
    await ws.close()
    return 101


def test_an_origin_is_allowed_only_when_it_is_exactly_an_allowed_one(origin_server):
    """Kills mutant 5 (Callback.swift, `originAllowed`: Origin compared by prefix): an origin that
    merely starts with the server's own origin or with an `--allowed-origin` is refused with 403."""
    own = f"http://127.0.0.1:{origin_server.port}"
    expected = {
        own: 101,
        f"https://127.0.0.1:{origin_server.port}": 101,
        ALLOWED: 101,
        own + ".evil.example": 403,
        own + "0": 403,
        own + "@evil.example": 403,
        ALLOWED + ".evil.example": 403,
        ALLOWED + ":8443": 403,
        "http://atelier.example.org": 403,
        "https://evil.example": 403,
        "http://127.0.0.1": 403,
    }

    async def scenario():
        return {origin: await upgrade_status(origin_server, origin) for origin in expected}
    assert run(scenario()) == expected


def test_a_wrong_facilitator_key_or_token_gets_nothing(server):
    """Secrets are compared whole: a facilitator key or a resume token that is wrong, a prefix or
    empty gets `unauthenticated` and no welcome."""
    async def scenario():
        c, w = await join_participant(server, "Porteuse de jeton")
        key, token = server.info["key"], w["you"]["token"]
        attempts = [{"workshop": server.info["workshop"], "facilitatorKey": k} for k in (key[:-1], key[:8], "", key + "x")]
        attempts += [{"token": t} for t in (token[:-1], token[:8], token + "x")]
        for attempt in attempts:
            x = await Client.connect(server.ws_url)
            reply = await x.request({"type": "join", **attempt})
            assert reply["type"] == "error" and reply["code"] in ("unauthenticated", "bad_request", "invalid"), (attempt, reply)
            assert key not in "".join(x.frames) and token not in "".join(x.frames)
            await x.close()
        await c.close()
    run(scenario())


# --------------------------------------------------------------------------------------------
# Mutant 6: the SIRET check skipped for La Poste's establishments.

# Worked by hand. A SIRET's usual key (Luhn): from the left, digits at even positions (0, 2, …, 12)
# doubled (minus 9 when over 9), the sum a multiple of 10. La Poste's establishments (SIREN
# 356000000) instead have a digit sum that is a multiple of 5; their head office keeps the Luhn key.
#   73282932000074: 14+3+4+8+4+9+6+0+0+0+0+0+0+4 → Luhn 7→14→5, 3, 2→4, 8, 2→4, 9, 3→6, 2, 0, 0, 0, 0, 7→14→5, 4 = 50 → valid
#   73282932000075: Luhn sum 51                                   → invalid
#   35600000009075: digit sum 3+5+6+9+7+5 = 35, a multiple of 5    → valid (La Poste establishment)
#                   (Luhn: 6+5+3+0+…+0+9→18→9… = 33: not a Luhn number, so only La Poste's rule accepts it)
#   35600000049837: digit sum 14+4+9+8+3+7 = 45                     → valid (La Poste establishment)
#   35600000000049: digit sum 14+4+9 = 27                           → invalid (and not Luhn: 6+5+3+8+9 = 31)
#   35600000000014: digit sum 14+1+4 = 19                           → invalid, though a Luhn number (6+5+3+2+4 = 20)
#   35600000000048: La Poste's head office: digit sum 26, Luhn 6+5+3+8+8 = 30 → valid (see the xfail test)
SIRETS = [("73282932000074", True), ("73282932000075", False), ("35600000009075", True), ("35600000049837", True),
          ("35600000000049", False), ("35600000000014", False)]


async def project_for_siret(server):
    f, wf = await join_facilitator(server)
    board = wf["workshop"]["boards"][0]["id"]
    project = (await f.request({"type": "project.create", "board": board, "title": "Avec La Poste"}))["result"]["project"]
    return f, project


@pytest.mark.parametrize("siret,valid", SIRETS)
def test_a_siret_is_checked_with_its_own_rule(server, siret, valid):
    """Kills mutant 6 (Project.swift, `isValidSIRET`: La Poste's rule skipped): a La Poste number whose
    digits do not add up to a multiple of 5 is refused (`invalid`, nothing changes), one that does is
    accepted; other SIRETs follow the Luhn key."""
    async def scenario():
        f, project = await project_for_siret(server)
        reply = await f.request({"type": "project.update", "project": project, "version": 1,
                                 "fields": {"lead": {"name": "La Poste", "actor": "public", "siret": siret}}})
        if valid:
            assert reply["type"] == "ack", reply
        else:
            assert reply["type"] == "error" and reply["code"] == "invalid" and "SIRET" in reply["message"], reply
        f2, wf2 = await join_facilitator(server)
        sheet = next(p for p in wf2["workshop"]["projects"] if p["id"] == project)
        assert sheet["version"] == (2 if valid else 1)
        assert (sheet["lead"] or {}).get("siret") == (siret if valid else None)
        await f.close(); await f2.close()
    run(scenario())


def test_la_postes_head_office_siret_is_accepted(server):
    """La Poste's head office (35600000000048) keeps the Luhn key (6+5+3+8+8 = 30); only its other
    establishments use the digit-sum rule (its digit sum is 26)."""
    async def scenario():
        f, project = await project_for_siret(server)
        reply = await f.request({"type": "project.update", "project": project, "version": 1,
                                 "fields": {"lead": {"name": "La Poste (siège)", "actor": "public", "siret": "35600000000048"}}})
        await f.close()
        assert reply["type"] == "ack", reply
    run(scenario())


# --------------------------------------------------------------------------------------------
# Mutant 7: a reply allowed to overtake the ack of a command still committing.

@pytest.fixture
def fast_server(database):
    """Messages allowed at 1000/s, so one client can pipeline many requests."""
    with tempfile.TemporaryDirectory(prefix="atelier-order-") as data_dir:
        s = Server(data_dir, free_port(), database=database, extra_args=["--messages-per-second", "1000"]).start()
        try:
            yield s
        finally:
            s.stop()


def test_replies_come_in_the_order_of_the_requests_even_while_a_commit_is_running(fast_server):
    """Kills mutant 7 (Pipeline.swift, `afterCommit`: an action run at once while a commit is in
    flight): a client sends a `card.add`, then, without waiting, pings and failing commands spread
    over the next milliseconds (some arrive while the card's commit is being written). Every reply
    comes in the order of the requests: the ack first, and no pong or error before it."""
    async def scenario():
        a, wa = await join_participant(fast_server, "Pressée")
        group = wa["you"]["group"]
        board = next(b["id"] for b in wa["workshop"]["boards"] if b["group"] == group)
        sent, expected_types = [], {}
        for n in range(40):
            msg_id = await a.send({"id": f"add{n}", "type": "card.add", "board": board, "column": "problems", "text": f"Carte {n}"})
            sent.append(msg_id); expected_types[msg_id] = "ack"
            started = time.monotonic()
            k = 0
            while time.monotonic() - started < 0.004:
                if k % 2 == 0:
                    msg_id = await a.send({"id": f"ping{n}.{k}", "type": "ping"})
                    expected_types[msg_id] = "pong"
                else:
                    msg_id = await a.send({"id": f"bad{n}.{k}", "type": "card.delete", "card": "c_inexistante"})
                    expected_types[msg_id] = "error"
                sent.append(msg_id)
                k += 1
                await asyncio.sleep(0.0002)
        stream = await settle(a, timeout=20)  # everything answered before this round trip
        replies = [m for m in stream if "re" in m]
        assert [m["re"] for m in replies] == sent, "replies in the order of the requests"
        assert [m["type"] for m in replies] == [expected_types[i] for i in sent]
        assert all(m["code"] == "not_found" for m in replies if m["type"] == "error")
        # And a command's own event comes before its ack (the ack says "it is there").
        position = {("event", m["card"]["id"]): i for i, m in enumerate(stream) if m.get("type") == "card.added"}
        for i, m in enumerate(stream):
            if m.get("type") == "ack":
                assert position[("event", m["result"]["card"])] < i, f"the ack of {m['re']} came before its card.added"
        await a.close()
    run(scenario())


# --------------------------------------------------------------------------------------------
# Mutant 8: the join-code guessing limit raised from 30 to 55 a minute.

WRONG_CODES_ALLOWED_PER_MINUTE = 30  # docs/protocol.md "Joining"


def test_thirty_wrong_codes_a_minute_then_the_address_is_slowed_not_shut_out(server):
    """Kills mutant 8 (Hub+Join.swift, `maxCodeFailures`: 30 → 55): from one address, 30 wrong codes
    within a minute each get `not_found` at once; from then on joins by code wait (2 s), four at a
    time: of five sent together the fifth is `rate_limited` at once. The right code still joins, a
    room behind one address is never shut out (docs/protocol.md "Joining")."""
    async def scenario():
        c = await Client.connect(server.ws_url)
        right = server.info["code"]
        wrong = [f"ZZZZ-{n:04d}" for n in range(WRONG_CODES_ALLOWED_PER_MINUTE)]
        assert right.replace("-", "").upper() not in {w.replace("-", "") for w in wrong}
        for code in wrong:
            err = await c.request({"type": "join", "code": code, "name": "Devine", "actor": "other"})
            assert err["type"] == "error" and err["code"] == "not_found", (code, err)
        ids = [await c.send({"type": "join", "code": f"YYYY-{n:04d}", "name": "Devine", "actor": "other"}) for n in range(5)]
        first = await c.expect(lambda m: m.get("re") in ids, timeout=10)
        assert first["re"] == ids[4] and first["code"] == "rate_limited", first
        for i in ids[:4]:
            late = await c.reply(i, timeout=15)
            assert late["code"] == "not_found", late
        welcome = await c.request({"type": "join", "code": right, "name": "Devine", "actor": "other"}, timeout=15)
        assert welcome["type"] == "welcome", welcome
        await c.close()
    run(scenario())


def test_twenty_nine_wrong_codes_leave_the_right_one_open(server):
    """The other side of mutant 8's boundary (and of a limit lowered by mistake): after 29 wrong codes
    the right one still joins."""
    async def scenario():
        c = await Client.connect(server.ws_url)
        for n in range(WRONG_CODES_ALLOWED_PER_MINUTE - 1):
            err = await c.request({"type": "join", "code": f"ZZZZ-{n:04d}", "name": "Devine", "actor": "other"})
            assert err["code"] == "not_found", err
        welcome = await c.request({"type": "join", "code": server.info["code"], "name": "Devine", "actor": "other"})
        assert welcome["type"] == "welcome", welcome
        await c.close()
    run(scenario())


# --------------------------------------------------------------------------------------------
# Also hidden: dots on a hidden card (found while writing the tests above).

def test_the_vote_reveal_does_not_name_a_hidden_card(server):
    """Moderation: a hidden card is absent for participants; the reveal's counts must not name it."""
    async def scenario():
        r = await Room(server).open("open")
        await r.ok("facilitator", {"type": "phase.set", "phase": "ideas"})
        card = (await r.ok("author", {"type": "card.add", "board": r.board, "column": "ideas", "text": "Bientôt masquée"}))["result"]["card"]
        await r.ok("mate", {"type": "vote.cast", "card": card})
        await r.ok("facilitator", {"type": "card.hide", "card": card})
        await r.settle()
        marks = r.marks()
        await r.ok("facilitator", {"type": "votes.reveal"})
        await r.settle()
        for v in ("author", "mate", "other"):
            assert f'"{card}"' not in r.raw_since(v, marks), f"{v} learns the hidden card's dots"
        await r.close()
    run(scenario())


def test_a_sheet_cannot_link_a_card_its_editor_cannot_see(server):
    """Private writing: for anyone but its author and the facilitator a private card does not exist
    (`not_found`). Linking it to a project sheet must be refused as for a card that does not exist."""
    async def scenario():
        r = await Room(server).open("open", privateWriting=True)
        private = (await r.ok("author", {"type": "card.add", "board": r.board, "column": "problems", "text": "Privée"}))["result"]["card"]
        await r.ok("facilitator", {"type": "phase.set", "phase": "projects"})
        project = (await r.ok("mate", {"type": "project.create", "board": r.board, "title": "Fiche"}))["result"]["project"]
        missing = await r.m.request({"type": "project.update", "project": project, "version": 1, "fields": {"problems": ["c_999999"]}})
        assert missing["type"] == "error", missing
        linked = await r.m.request({"type": "project.update", "project": project, "version": 1, "fields": {"problems": [private]}})
        assert linked["type"] == "error" and linked["code"] == missing["code"], linked
        await r.close()
    run(scenario())


# --------------------------------------------------------------------------------------------
# Things participants make in the open (clusters, sheets), and what a conflict answer shows.

@pytest.mark.parametrize("mode", MODES)
def test_clusters_and_sheets_name_their_author_only_to_whom_anonymity_allows(server, mode):
    """Anonymous mode covers what people make in the open too: `by` on `cluster.created`,
    `cluster.renamed`, `project.created` and `project.updated` is null for everyone but the author
    (and the facilitator when `facilitatorSeesAuthors`), live and on a resume."""
    async def scenario():
        r = await Room(server).open(mode)
        await r.ok("facilitator", {"type": "phase.set", "phase": "projects"})
        card = (await r.ok("facilitator", {"type": "card.add", "board": r.board, "column": "problems", "text": "Constat"}))["result"]["card"]
        live0 = await r.settle()
        since = max(m["seq"] for m in seq_events(live0["facilitator"]))
        cluster = (await r.ok("author", {"type": "cluster.create", "board": r.board, "title": "Mobilité", "cards": [card]}))["result"]["cluster"]
        await r.ok("author", {"type": "cluster.rename", "cluster": cluster, "title": "Mobilité rurale"})
        project = (await r.ok("author", {"type": "project.create", "board": r.board, "title": "Garage solidaire"}))["result"]["project"]
        await r.ok("author", {"type": "project.update", "project": project, "version": 1, "fields": {"summary": "Réparer"}})
        live = await r.settle()
        seen = await r.observe(since, live)
        author = r.id("author")
        for v in VIEWERS:
            events, raw = seen[v]
            made = [e for e in events if e["type"] in ("cluster.created", "cluster.renamed", "project.created", "project.updated")]
            assert [e["type"] for e in made] == ["cluster.created", "cluster.renamed", "project.created", "project.updated"], (v, made)
            expected_by = author if SEES_AUTHOR[mode][v] else None
            assert all(e["by"] == expected_by for e in made), (v, mode, [e["by"] for e in made])
        await r.close()
    run(scenario())


def test_a_conflict_answer_does_not_list_other_supporters_in_an_anonymous_workshop(server):
    """The `current` sheet of a `conflict` answer is shown as the snapshot shows it: in an
    anonymous workshop a participant sees how many back the sheet, not who."""
    async def scenario():
        r = await Room(server).open("anonymous")
        await r.ok("facilitator", {"type": "phase.set", "phase": "projects"})
        project = (await r.ok("author", {"type": "project.create", "board": r.board, "title": "Fiche"}))["result"]["project"]
        await r.ok("other", {"type": "project.support", "project": project})
        await r.ok("author", {"type": "project.update", "project": project, "version": 1, "fields": {"summary": "A"}})
        clash = await r.m.request({"type": "project.update", "project": project, "version": 1, "fields": {"summary": "B"}})
        assert clash["code"] == "conflict", clash
        assert clash["current"]["supportCount"] == 1
        assert clash["current"]["supporters"] == [], clash["current"]
        assert r.id("other") not in json.dumps(clash)
        await r.close()
    run(scenario())
