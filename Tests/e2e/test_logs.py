"""Issue 16, "structured logs": `--log-format json` writes one JSON object per line (level,
logger, message, request and workshop ids), never a secret or a personal name."""
import asyncio
import json
import os
import tempfile
import urllib.request

from conftest import Server, board_of, free_port, join_participant


def test_json_logs_are_one_object_per_line_with_ids_and_no_secret_or_name(database):
    with tempfile.TemporaryDirectory(prefix="atelier-logs-") as data_dir:
        server = Server(data_dir, free_port(), database=database, extra_args=["--log-format", "json"]).start()
        try:
            async def scenario():
                c, w = await join_participant(server, "Hortense Nommée", organisation="ACI Secrète")
                board = board_of(w)["id"]
                assert (await c.request({"type": "card.add", "board": board, "column": "problems", "text": "Une carte"}))["type"] == "ack"
                await c.close()
                return w["you"]["token"], w["you"]["participant"]
            token, participant = asyncio.run(scenario())
            req = urllib.request.Request(f"{server.url}/api/workshops/{server.info['workshop']}/export?format=json",
                                         headers={"Authorization": f"Bearer {server.info['key']}"})
            urllib.request.urlopen(req, timeout=5).read()
            urllib.request.urlopen(f"{server.url}/api/codes/{server.info['code']}", timeout=5).read()
        finally:
            server.stop()
        text = open(os.path.join(data_dir, "server.log"), encoding="utf-8").read()
    lines = [line for line in text.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "msg"} <= set(e) for e in entries)
    assert any(e["msg"] == "listening" for e in entries)
    export = [e for e in entries if e["msg"] == "http" and e.get("route") == "/api/workshops/{workshop}/export"]
    assert export and export[0]["workshop"] == server.info["workshop"] and export[0]["status"] == "200" and "request" in export[0]
    assert any(e["msg"] == "http" and e.get("route") == "/api/codes/{code}" for e in entries), "the code check is logged by its route"
    assert any(e["msg"] == "joined" and e.get("participant") == participant and e.get("workshop") == server.info["workshop"]
               for e in entries)
    for secret in (server.admin_token, server.info["key"], token, server.info["code"], "Hortense", "ACI Secrète"):
        assert secret not in text, f"the log holds {secret!r}"
