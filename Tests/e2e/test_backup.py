"""Issue 16, "backups while serving": `atelier backup` copies the database while the server
writes, and `atelier restore` puts the copy in place; a server started on it serves every event
acknowledged before the backup began, with a contiguous journal."""
import asyncio
import os
import subprocess
import tempfile

from conftest import BINARY, ROOT, Server, board_of, free_port, join_facilitator, join_participant


def test_a_backup_taken_under_write_load_restores_everything_acknowledged_before_it():
    with tempfile.TemporaryDirectory(prefix="atelier-backup-") as tmp:
        live, restored_dir, copy = os.path.join(tmp, "live"), os.path.join(tmp, "restored"), os.path.join(tmp, "copy.sqlite")
        os.makedirs(live)
        server = Server(live, free_port(), extra_args=["--capacity-factor", "10"]).start()
        acked = []          # (card id, acked before the backup began?)
        state = {"backing_up": False}
        try:
            async def scenario():
                writers = [await join_participant(server, f"Écrivain {n}") for n in range(3)]
                stop = asyncio.Event()

                async def write(client, welcome, n):
                    board = board_of(welcome)["id"]
                    k = 0
                    while not stop.is_set():
                        before = not state["backing_up"]
                        reply = await client.request({"type": "card.add", "board": board, "column": "problems", "text": f"Carte {n}-{k}"})
                        assert reply["type"] == "ack", reply
                        acked.append((reply["result"]["card"], before))
                        k += 1
                        await asyncio.sleep(0.05)

                tasks = [asyncio.create_task(write(c, w, n)) for n, (c, w) in enumerate(writers)]
                await asyncio.sleep(1.5)
                state["backing_up"] = True
                out = await asyncio.to_thread(subprocess.run, [BINARY, "backup", "--data", live, "--out", copy],
                                              capture_output=True, text=True, timeout=60)
                assert out.returncode == 0, out.stderr
                assert "vérifiée" in out.stdout
                await asyncio.sleep(1.0)  # writes go on after the copy
                stop.set()
                await asyncio.gather(*tasks)
                for c, _ in writers:
                    await c.close()
            asyncio.run(scenario())
        finally:
            server.stop()
        assert oct(os.stat(copy).st_mode & 0o777) == "0o600", "a copy holds personal data: its owner's alone"
        before = {card for card, b in acked if b}
        assert len(before) >= 10 and len(acked) > len(before), "writes happened before, during and after the copy"

        # A running server's directory is refused; an empty one takes the copy.
        refused = subprocess.run([BINARY, "restore", "--from", copy, "--data", live], capture_output=True, text=True)
        assert refused.returncode != 0 and "--replace" in refused.stderr + refused.stdout
        out = subprocess.run([BINARY, "restore", "--from", copy, "--data", restored_dir], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        restored = Server(restored_dir, free_port())  # restore made the directory
        restored.info = dict(server.info)
        restored.start()
        try:
            async def check():
                f, welcome = await join_facilitator(restored)
                cards = {c["id"] for c in welcome["workshop"]["cards"]}
                missing = before - cards
                assert not missing, f"acknowledged before the backup and lost: {sorted(missing)[:5]}"
                # The restored journal is whole: a resume from 1 replays every seq once, in order.
                f2, w2 = await join_facilitator(restored, since=1)
                seqs = [e["seq"] for e in w2["events"]]
                assert seqs == list(range(2, w2["seq"] + 1))
                await f.close(); await f2.close()
            asyncio.run(check())
        finally:
            restored.stop()
