"""Issue 11, finding 2: answers kept for retries are bounded. 20 participants each sending 1,024
stale `project.update`s (each answered `conflict` with the whole sheet, tens of KiB) once grew
the server by 617 MiB, kept after they left. The conflict's sheet is sent live but not kept, and
the answers of a workshop are bounded in bytes; a retried id is still answered the same way."""
import asyncio
import json
import tempfile

from attack import MIB, rss_bytes
from conftest import Server, board_of, free_port, join_facilitator, join_participant

PEOPLE = 20
STALE = 1024
LONG = ("Un résumé détaillé du projet de coopération entre structures éloignées. " * 27)[:2000]
PARTNERS = [{"name": f"Structure partenaire numéro {n} " + "é" * 80, "actor": "ei", "role": "co-employeur " + "è" * 180}
            for n in range(20)]


def test_a_thousand_stale_updates_each_from_twenty_people_leave_memory_bounded():
    with tempfile.TemporaryDirectory(prefix="atelier-answers-") as data_dir:
        server = Server(data_dir, free_port(), extra_args=["--messages-per-second", "5000",
                                                           "--joins-per-address-per-minute", "1000"]).start()
        try:
            async def scenario():
                f, _ = await join_facilitator(server)
                assert (await f.request({"type": "phase.set", "phase": "projects"}))["type"] == "ack"
                people = [await join_participant(server, f"Personne {n}", group="g_cooperer") for n in range(PEOPLE)]
                c0, w0 = people[0]
                board = board_of(w0)["id"]
                created = await c0.request({"type": "project.create", "board": board, "title": "Une fiche", "cards": []})
                sheet = created["result"]["project"]
                # A big sheet (~25 KiB as JSON): keeping it in every remembered conflict would cost
                # 20 x 1,024 x 25 KiB, about 500 MiB.
                fields = {"summary": LONG, "territory": "Saône-et-Loire", "nextSteps": LONG, "partners": PARTNERS}
                ok = await c0.request({"type": "project.update", "project": sheet, "version": 1, "fields": fields})
                assert ok["type"] == "ack", ok
                baseline = rss_bytes(server.proc.pid)

                async def stale(client, n):
                    # 16 in flight at a time: each live answer carries the whole sheet.
                    for start in range(0, STALE, 16):
                        ids = [f"s{n}-{k}" for k in range(start, min(start + 16, STALE))]
                        for i in ids:
                            await client.send({"id": i, "type": "project.update", "project": sheet, "version": 1,
                                               "fields": {"territory": f"Ailleurs {i}"}})
                        for i in ids:
                            m = await client.reply(i, timeout=60)
                            assert m["type"] == "error" and m["code"] == "conflict", m
                            assert m["current"]["version"] >= 2, "the live answer carries the sheet"
                        client.frames.clear()
                await asyncio.gather(*(stale(c, n) for n, (c, _) in enumerate(people)))
                grown = rss_bytes(server.proc.pid) - baseline
                # A retry of an id already answered gets the same refusal, without the sheet.
                again = await c0.request({"id": f"s0-{STALE - 1}", "type": "project.update", "project": sheet,
                                          "version": 1, "fields": {"territory": "Encore"}})
                assert again["type"] == "error" and again["code"] == "conflict" and "current" not in again, again
                for c, _ in people:
                    await c.close()
                await f.close()
                return grown
            grown = asyncio.run(scenario())
            print(f"\nremembered answers: RSS grew by {grown / MIB:.0f} MiB for {PEOPLE} x {STALE} stale updates")
            assert grown < 150 * MIB, f"RSS grew by {grown / MIB:.0f} MiB"
        finally:
            server.stop()
