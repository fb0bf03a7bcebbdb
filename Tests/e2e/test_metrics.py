"""Issue 16, "metrics": `GET /metrics` in Prometheus' text format, behind the admin token, read
with the reference parser (PyPI `prometheus-client`)."""
import asyncio
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from conftest import board_of, join_participant


def scrape(server, token):
    req = urllib.request.Request(server.url + "/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def samples(text):
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_parse_count_what_happened_and_need_the_admin_token(server):
    for token in (None, "wrong"):
        req = urllib.request.Request(server.url + "/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
        try:
            urllib.request.urlopen(req, timeout=5)
            raise AssertionError("metrics without the admin token")
        except urllib.error.HTTPError as e:
            assert e.code in (401, 403)

    async def scenario():
        c, w = await join_participant(server, "Mesurée")
        board = board_of(w)["id"]
        for n in range(3):
            assert (await c.request({"type": "card.add", "board": board, "column": "problems", "text": f"Carte {n}"}))["type"] == "ack"
        assert (await c.request({"type": "card.add", "board": "b_nope", "column": "problems", "text": "x"}))["type"] == "error"
        # Scraped while the participant is still connected.
        text = await asyncio.to_thread(scrape, server, server.admin_token)
        await c.close()
        return text
    s = samples(asyncio.run(scenario()))
    assert s[("atelier_commands_total", (("result", "ack"), ("type", "card.add")))] == 3
    assert s[("atelier_commands_total", (("result", "not_found"), ("type", "card.add")))] == 1
    assert s[("atelier_commands_total", (("result", "received"), ("type", "join")))] >= 1
    assert s[("atelier_websocket_connections", ())] >= 1
    assert s[("atelier_tcp_connections", ())] >= 1
    assert s[("atelier_rooms", ())] >= 1
    assert s[("atelier_commit_batch_events_count", ())] >= 1
    assert s[("atelier_commit_seconds_count", ())] >= 1
    assert s[("atelier_journal_bytes", ())] > 0
    assert s[("process_resident_memory_bytes", ())] > 1_000_000
    for name in ("atelier_delivery_queue_bytes", "atelier_slow_readers_dropped", "atelier_rate_limited_total",
                 "atelier_refused_connections"):
        assert any(key[0] == name for key in s), f"{name} is reported"
