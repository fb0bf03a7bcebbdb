"""A working group brought into the next workshop of its series (issue 14, items 1 and 2;
docs/protocol.md "Working groups" and "Carrying work forward"): a table stays open after the
session, a person invited by a link adds cards to it, and the organiser creates the next workshop
carrying that table whole. The new workshop has the group's work, cards added after the session
included; the group ends in the first workshop with the reason "brought" and the new workshop's
id, and takes no more writes there."""
import asyncio

from conftest import Client
from test_series_carry import api, facilitator, participant
from test_working_groups import iso, join_invited, server_now


def test_a_working_group_is_brought_into_the_next_workshop(server):
    status, series = api(server, "POST", "/api/admin/series", {"title": "Ateliers IAE 2027"})
    assert status == 201, series
    status, w1 = api(server, "POST", f"/api/admin/series/{series['id']}/workshops", {"title": "Idées"})
    assert status == 201, w1

    async def after_the_session():
        f, fw = await facilitator(server, w1)
        groups = [g["id"] for g in fw["workshop"]["groups"]]
        a, wa = await participant(server, w1, "Alice Groupe", group=groups[0])
        board = next(b for b in wa["workshop"]["boards"] if b["group"] == groups[0])["id"]
        live = await a.request({"type": "card.add", "board": board, "column": "problems", "text": "Dit pendant la séance"})
        assert live["type"] == "ack", live
        assert (await f.request({"type": "workshop.close"}))["type"] == "ack"
        now = await server_now(f)
        opened = await f.request({"type": "group.open", "group": groups[0], "endsAt": iso(now + 30 * 86_400_000),
                                  "purpose": "Monter le garage solidaire"})
        assert opened["type"] == "ack", opened
        invite = await f.request({"type": "group.invite", "group": groups[0]})
        assert invite["type"] == "ack", invite
        guest, welcome = await join_invited(server, invite["result"]["secret"], "Gaëlle Invitée", workshop=w1["id"])
        assert welcome["type"] == "welcome", welcome
        added = await guest.request({"type": "card.add", "board": board, "column": "problems",
                                     "text": "Ajouté après la séance : le garage de Montceau est d'accord"})
        assert added["type"] == "ack", added
        return f, a, guest, groups[0], board

    async def bring(f, a, guest, group, board):
        status, w2 = api(server, "POST", f"/api/admin/series/{series['id']}/workshops",
                         {"title": "Projets", "carry": {"from": w1["id"], "boards": [board]}})
        assert status == 201, w2
        # The group ends in the first workshop, brought into the second.
        ended = await f.expect(lambda m: m.get("type") == "group.ended" and m.get("group") == group, timeout=15)
        assert ended["reason"] == "brought" and ended["into"] == w2["id"], ended
        for member in (a, guest):
            seen = await member.expect(lambda m: m.get("type") == "group.ended", timeout=15)
            assert seen["reason"] == "brought", seen
        refused = await guest.request({"type": "card.add", "board": board, "column": "problems", "text": "Trop tard"})
        assert refused["type"] == "error" and refused["code"] == "closed" and "repris dans un autre atelier" in refused["message"], refused
        # The second workshop has the group's work, what was added after the session included.
        f2, w2welcome = await facilitator(server, w2)
        ws = w2welcome["workshop"]
        carried = sorted(c["text"] for c in ws["cards"] if c["id"] in ws["carried"])
        assert carried == ["Ajouté après la séance : le garage de Montceau est d'accord", "Dit pendant la séance"], carried
        assert all(c["author"] is None for c in ws["cards"] if c["id"] in ws["carried"])
        for c in (f, a, guest, f2):
            await c.close()

    async def scenario():
        await bring(*(await after_the_session()))

    asyncio.run(scenario())
