"""GDPR: a person gets their data, and erasure removes their name everywhere, content staying."""
import asyncio
import glob
import json
import subprocess

from conftest import BINARY, ROOT, join_facilitator, join_participant, board_of, psql


def cli(server, *args):
    return subprocess.run([BINARY, *args, *server.storage_args, "--plans", ROOT + "/sessions"],
                          capture_output=True, text=True, check=True).stdout


def test_export_then_erase_a_participant(server):
    name, org = "Zébulon Effaçable", "Association Très Secrète"

    async def write():
        c, w = await join_participant(server, name, organisation=org)
        ack = await c.request({"type": "card.add", "board": board_of(w)["id"], "column": "problems", "text": "Ma contribution reste"})
        await c.close()
        return w["you"]["participant"], ack["result"]["card"]
    participant, card = asyncio.run(write())
    workshop = server.info["workshop"]
    server.stop()

    exported = json.loads(cli(server, "participant", "export", workshop, participant))
    assert exported["participant"]["name"] == name
    assert exported["participant"]["organisation"] == org
    assert [c["text"] for c in exported["cards"]] == ["Ma contribution reste"]

    out = cli(server, "participant", "erase", workshop, participant)
    assert "effacées" in out

    server.start()

    async def check():
        f, wf = await join_facilitator(server)
        person = next(p for p in wf["workshop"]["participants"] if p["id"] == participant)
        assert person["name"] is None and person["organisation"] is None
        assert any(c["id"] == card and c["text"] == "Ma contribution reste" for c in wf["workshop"]["cards"])
        assert name not in json.dumps(wf, ensure_ascii=False)
        await f.close()
    asyncio.run(check())
    server.stop()
    if server.database:
        # In no table: the person's row was emptied, and the journal never held the name.
        # (PostgreSQL keeps the old row version until VACUUM: docs/reliability.md "Privacy".)
        rows = psql(server.database, "SELECT concat(name, '|', organisation) FROM person UNION ALL SELECT payload FROM event"
                                     " UNION ALL SELECT title FROM workshop")
        assert len(rows) > 10
        assert not any(name in r[0] or org in r[0] for r in rows)
        assert psql(server.database, f"SELECT count(*) FROM person WHERE participant_id = '{participant}' AND name IS NULL"
                                     " AND organisation IS NULL") == [["1"]]
    else:
        # Not even in the file: secure_delete overwrote it.
        paths = glob.glob(server.data_dir + "/atelier.sqlite*")
        assert paths
        for path in paths:
            data = open(path, "rb").read()
            assert name.encode() not in data, path
            assert org.encode() not in data, path


def test_erasure_from_the_console_is_live(server):
    async def scenario():
        c, w = await join_participant(server, "Camille Provisoire")
        f, _ = await join_facilitator(server)
        ack = await f.request({"type": "participant.erase", "participant": w["you"]["participant"]})
        assert ack["type"] == "ack"
        erased = await c.event("participant.erased")
        assert erased["participant"] == w["you"]["participant"]
        c2, w2 = await join_participant(server, "Autre")
        person = next(p for p in w2["workshop"]["participants"] if p["id"] == w["you"]["participant"])
        assert person["name"] is None
        for x in (c, f, c2):
            await x.close()
    asyncio.run(scenario())
