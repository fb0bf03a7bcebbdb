"""Text hygiene through the real server (docs/reliability.md "Bad input"): control characters and
characters that reorder or hide text never get in, text of nothing visible is refused as empty,
and text is stored composed (NFC), so every export stays clean."""
import asyncio
import json
import unicodedata
import urllib.request

from conftest import Client, board_of, join_facilitator, join_participant


def test_text_is_cleaned_where_it_enters_and_the_exports_stay_clean(server):
    async def scenario():
        c = await Client.connect(server.ws_url)
        for name in ("\u0000\u202e", "\ufeff\u00ad", "   "):
            refused = await c.request({"type": "join", "code": server.info["code"], "name": name, "actor": "aci"})
            assert refused["type"] == "error" and refused["code"] == "invalid", (repr(name), refused)
        await c.close()

        a, w = await join_participant(server, "Ren\u0065\u0301e\u0000 \u202eTest", organisation="ACI\r\nLe Pont")
        me = next(p for p in w["workshop"]["participants"] if p["id"] == w["you"]["participant"])
        assert me["name"] == "Renée Test" and unicodedata.is_normalized("NFC", me["name"])
        assert me["organisation"] == "ACI\nLe Pont"
        board = board_of(w)["id"]
        empty = await a.request({"type": "card.add", "board": board, "column": "problems", "text": "\u200b\u2060\u00ad"})
        assert empty["type"] == "error" and empty["code"] == "invalid", empty
        ack = await a.request({"type": "card.add", "board": board, "column": "problems",
                               "text": "Mobilit\u0065\u0301\u0000 rurale\rà \u001b[31mrevoir"})
        assert ack["type"] == "ack", ack
        added = await a.event("card.added")
        assert added["card"]["text"] == "Mobilité rurale\nà [31mrevoir"
        await a.close()

        f, _ = await join_facilitator(server)
        await f.close()

    asyncio.run(scenario())
    for fmt in ("md", "html", "csv", "json"):
        req = urllib.request.Request(f"{server.url}/api/workshops/{server.info['workshop']}/export?format={fmt}",
                                     headers={"Authorization": f"Bearer {server.info['key']}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read().decode("utf-8")
        assert "\u0000" not in body and "\u202e" not in body and "\u001b" not in body, fmt
        assert "\r" not in body.replace("\r\n", ""), f"{fmt}: a lone CR"
        if fmt != "csv":  # the CSV lists project sheets, not cards
            assert "Mobilité rurale" in body, fmt
