#!/usr/bin/env python3
"""Crash test (Jepsen-style): acknowledged means on disk.

Drives many clients across several workshops against the real server, kill -9's the server at
random moments, restarts it each time, and checks at the end that:
  - every acknowledged card is present, exactly once (clients re-send unacknowledged commands
    with the same message id after reconnecting, so a retry must never duplicate);
  - `seq` is contiguous from 1 in every workshop's journal;
  - the database is sound: SQLite's `PRAGMA integrity_check` says ok, or, on PostgreSQL, amcheck
    finds nothing wrong in the tables and the journal's primary key index, and each workshop's
    `last_seq` is its journal's last seq.
Clients reconnect and resume by themselves (token + since).

Short form (run by the test command, on both stores):   python3 Tests/reliability/crash_test.py --kills 20
Long form (docs/reliability.md):        python3 Tests/reliability/crash_test.py --kills 100 --clients 40
On PostgreSQL:                          python3 Tests/reliability/crash_test.py --database postgres://…
  (the URL of an empty schema, e.g. in the cluster of scripts/pg)
"""
import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from conftest import Server, free_port, psql  # noqa: E402

import websockets  # noqa: E402


def create_workshop(server, title):
    req = urllib.request.Request(server.url + "/api/workshops", method="POST",
                                 data=json.dumps({"plan": "iae-saone-et-loire", "title": title}).encode(),
                                 headers={"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


class Writer:
    """A participant who keeps adding cards, and survives any number of server deaths."""

    def __init__(self, name, workshop, server, rng):
        self.name, self.workshop, self.server, self.rng = name, workshop, server, rng
        self.token = None
        self.board = None
        self.seq = 0
        self.counter = 0
        self.acked = {}          # card id -> text
        self.pending = None      # (message id, message) not yet answered
        self.reconnects = 0
        self.errors = []

    async def run(self, stop):
        while not stop.is_set():
            try:
                async with websockets.connect(self.server.ws_url, subprotocols=["atelier.v1"],
                                              open_timeout=2, max_queue=None) as ws:
                    await self.session(ws, stop)
            except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError):
                pass
            if not stop.is_set():
                self.reconnects += 1
                await asyncio.sleep(self.rng.uniform(0.02, 0.15))

    async def recv(self, ws, timeout=3):
        data = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        return data if isinstance(data, list) else [data]

    async def session(self, ws, stop):
        if self.token is None:
            join = {"id": "join", "type": "join", "code": self.workshop["joinCode"], "name": self.name,
                    "organisation": "Crash test", "actor": "other"}
        else:
            join = {"id": f"resume{self.reconnects}", "type": "join", "token": self.token, "since": self.seq}
        await ws.send(json.dumps(join))
        welcome = None
        while welcome is None:
            for m in await self.recv(ws):
                if m.get("type") == "welcome":
                    welcome = m
                elif m.get("type") == "error":
                    raise AssertionError(f"{self.name}: join refused: {m}")
        if self.token is None:
            self.token = welcome["you"]["token"]
            group = welcome["you"]["group"]
            self.board = next(b["id"] for b in welcome["workshop"]["boards"] if b["group"] == group)
        events = welcome.get("events", [])
        if events:
            seqs = [e["seq"] for e in events]
            if seqs[0] != self.seq + 1 or seqs != list(range(seqs[0], seqs[0] + len(seqs))):
                self.errors.append(f"resume from {self.seq} gave seqs {seqs[:5]}…")
        self.seq = welcome["seq"]
        while not stop.is_set():
            if self.pending is None:
                self.counter += 1
                msg_id = f"{self.name}-{self.counter}"
                text = f"{self.name} carte {self.counter}"
                self.pending = (msg_id, {"id": msg_id, "type": "card.add", "board": self.board, "column": "problems", "text": text})
            msg_id, msg = self.pending
            await ws.send(json.dumps(msg))
            answered = False
            while not answered:
                for m in await self.recv(ws):
                    if "seq" in m and m.get("type") not in ("ack", "welcome"):
                        self.seq = max(self.seq, m["seq"])
                    if m.get("re") == msg_id:
                        answered = True
                        if m["type"] == "ack":
                            card = m["result"]["card"]
                            if card in self.acked and self.acked[card] != msg["text"]:
                                self.errors.append(f"card {card} acked for two texts")
                            self.acked[card] = msg["text"]
                            self.seq = max(self.seq, m["seq"])
                        elif m.get("code") == "rate_limited":
                            await asyncio.sleep(0.05)
                            break  # send the same message again
                        else:
                            self.errors.append(f"{msg_id}: {m}")
                        if m["type"] == "ack" or m.get("code") != "rate_limited":
                            self.pending = None
            await asyncio.sleep(self.rng.uniform(0, 0.01))


async def facilitator_cards(server, workshop):
    async with websockets.connect(server.ws_url, subprotocols=["atelier.v1"], max_queue=None) as ws:
        await ws.send(json.dumps({"id": "f", "type": "join", "workshop": workshop["id"], "facilitatorKey": workshop["facilitatorKey"]}))
        while True:
            data = json.loads(await asyncio.wait_for(ws.recv(), 10))
            for m in data if isinstance(data, list) else [data]:
                if m.get("type") == "welcome":
                    return m["workshop"]["cards"]


def database_checks(data_dir, database):
    """(integrity, gaps, events): whether the database is sound ("ok" if so), the workshops whose
    journal is not contiguous from 1, and how many events it holds."""
    if database:
        psql(database, "CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public")
        problems = []
        for table in ("workshop", "event", "person"):
            problems += psql(database, f"SELECT '{table}', blkno, offnum, msg FROM public.verify_heapam('{table}')")
        for index in ("event_pkey", "person_pkey", "person_token_key", "workshop_pkey", "workshop_join_code_key"):
            psql(database, f"SELECT public.bt_index_check('{index}', true)")  # raises if the index is corrupt
        stale = psql(database, "SELECT w.id FROM workshop w WHERE w.last_seq <> (SELECT coalesce(max(seq), 0) FROM event e WHERE e.workshop_id = w.id)")
        integrity = "ok" if not problems and not stale else f"heap: {problems[:3]}, last_seq: {stale[:3]}"
        rows = [(w, int(n), int(lo), int(hi)) for w, n, lo, hi in
                psql(database, "SELECT workshop_id, COUNT(*), MIN(seq), MAX(seq) FROM event GROUP BY workshop_id")]
        events = int(psql(database, "SELECT COUNT(*) FROM event")[0][0])
    else:
        db = sqlite3.connect(os.path.join(data_dir, "atelier.sqlite"))
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = db.execute("SELECT workshop_id, COUNT(*), MIN(seq), MAX(seq) FROM event GROUP BY workshop_id").fetchall()
        events = db.execute("SELECT COUNT(*) FROM event").fetchone()[0]
        db.close()
    gaps = [(w, n, lo, hi) for w, n, lo, hi in rows if not (lo == 1 and hi == n)]
    return integrity, gaps, events


def crash_test(kills=20, clients=24, workshops=3, seed=None, verbose=True, database=None):
    seed = seed if seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    log = print if verbose else (lambda *a, **k: None)
    with tempfile.TemporaryDirectory(prefix="atelier-crash-") as data_dir:
        # The writers add more cards than one person may (200): this test is about durability.
        server = Server(data_dir, free_port(), extra_args=["--capacity-factor", "100"], database=database).start()
        shops = [create_workshop(server, f"Crash {i}") for i in range(workshops)]
        writers = [Writer(f"W{i}", shops[i % workshops], server, random.Random(rng.random())) for i in range(clients)]
        started = time.time()

        async def drive():
            stop = asyncio.Event()
            tasks = [asyncio.create_task(w.run(stop)) for w in writers]
            for k in range(kills):
                await asyncio.sleep(rng.uniform(0.15, 0.6))
                server.kill9()
                await asyncio.sleep(rng.uniform(0, 0.1))
                await asyncio.get_running_loop().run_in_executor(None, server.start)
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run(drive())
        # Card ids are per workshop: key everything by (workshop, card).
        acked = {}
        for w in writers:
            for card, text in w.acked.items():
                acked[(w.workshop["id"], card)] = text
        problems = [e for w in writers for e in w.errors]

        async def collect():
            return {s["id"]: await facilitator_cards(server, s) for s in shops}
        by_workshop = asyncio.run(collect())
        server.stop()

        present = {(w, c["id"]): c["text"] for w, cards in by_workshop.items() for c in cards}
        missing = [key for key in acked if key not in present]
        wrong = [key for key, text in acked.items() if key in present and present[key] != text]
        texts = [c["text"] for cards in by_workshop.values() for c in cards if c["author"] is not None]
        duplicated = sorted({t for t in texts if texts.count(t) > 1})

        integrity, gaps, events = database_checks(data_dir, database)

        report = {
            "store": "postgres" if database else "sqlite", "seed": seed, "kills": kills, "clients": clients, "workshops": workshops,
            "seconds": round(time.time() - started, 1), "acknowledged": len(acked), "journaled_events": events,
            "reconnects": sum(w.reconnects for w in writers), "missing": len(missing), "wrong_text": len(wrong),
            "duplicated": len(duplicated), "seq_gaps": len(gaps), "integrity": integrity, "client_errors": len(problems),
        }
        log(json.dumps(report))
        for p in problems[:10]:
            log("  client error:", p)
        ok = not missing and not wrong and not duplicated and not gaps and integrity == "ok" and not problems and len(acked) > kills
        return ok, report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--clients", type=int, default=24)
    ap.add_argument("--workshops", type=int, default=3)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--database", help="postgres://… URL of an empty schema (default: SQLite in a temporary directory)")
    args = ap.parse_args()
    ok, _ = crash_test(args.kills, args.clients, args.workshops, args.seed, database=args.database)
    print("OK: nothing acknowledged was lost" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
