"""Attacks on the additions of issue 14 (working groups, statuses sent back, carrying work,
series status lines), on the real server: each test is a defect found by a hostile or careless
use, kept so that it does not come back."""
import asyncio
import base64
import hashlib
import hmac
import json
import tempfile
import time
import urllib.error
import urllib.request

from conftest import Server, board_of, free_port, join_facilitator, join_participant, settle
from pipeline_fakes import webhook_server
from test_projects import COMPLETE, make_projects
from test_working_groups import iso, join_invited, server_now

SECRET = "whsec_" + base64.b64encode(b"atelier-test-signing-key-32bytes").decode()
KEY = base64.b64decode(SECRET[len("whsec_"):])


def test_an_invited_person_cannot_back_another_tables_sheet_while_the_session_runs(server):
    """A group opened before `workshop.close` takes invited people during the session: they are
    confined to their table, so another table's sheet does not exist for them (`not_found`), as
    another table's card; backing it must not reach that sheet's count."""
    async def scenario():
        f, fw = await join_facilitator(server)
        groups = [g["id"] for g in fw["workshop"]["groups"]]
        a, wa = await join_participant(server, "Alice Groupe", group=groups[0])
        c, wc = await join_participant(server, "Chloé Autre", group=groups[1])
        board_c = board_of(wc)["id"]
        sheet = await f.request({"type": "project.create", "board": board_c, "title": "Fiche de l'autre table"})
        assert sheet["type"] == "ack", sheet
        other = sheet["result"]["project"]
        now = await server_now(f)
        opened = await f.request({"type": "group.open", "group": groups[0], "endsAt": iso(now + 86_400_000)})
        assert opened["type"] == "ack", opened
        invite = await f.request({"type": "group.invite", "group": groups[0]})
        d, wd = await join_invited(server, invite["result"]["secret"], "Dana Invitée")
        assert wd["type"] == "welcome", wd
        assert other not in {p["id"] for p in wd["workshop"]["projects"]}

        backed = await d.request({"type": "project.support", "project": other})
        assert backed["type"] == "error" and backed["code"] == "not_found", backed
        # Nobody saw a supporter appear on the other table's sheet.
        for x in (f, c):
            assert not any(m.get("type") == "project.supported" for m in await settle(x))
        f2, fw2 = await join_facilitator(server)
        [seen] = [p for p in fw2["workshop"]["projects"] if p["id"] == other]
        assert seen.get("supportCount", 0) == 0 and not seen.get("supporters"), seen
        for x in (f, f2, a, c, d):
            await x.close()
    asyncio.run(scenario())



def test_an_invited_person_cannot_show_themselves_editing_another_tables_sheet(server):
    """Co-editing presence (`presence` with a project) is relayed to the room: for someone invited
    into a working group, another table's sheet does not exist (`not_found`), and nobody of that
    table is shown a stranger editing their sheet."""
    async def scenario():
        f, fw = await join_facilitator(server)
        groups = [g["id"] for g in fw["workshop"]["groups"]]
        a, wa = await join_participant(server, "Alice Groupe", group=groups[0])
        c, wc = await join_participant(server, "Chloé Autre", group=groups[1])
        sheet = await f.request({"type": "project.create", "board": board_of(wc)["id"], "title": "Fiche de l'autre table"})
        other = sheet["result"]["project"]
        own = (await f.request({"type": "project.create", "board": board_of(wa)["id"], "title": "Fiche du groupe"}))["result"]["project"]
        now = await server_now(f)
        assert (await f.request({"type": "group.open", "group": groups[0], "endsAt": iso(now + 86_400_000)}))["type"] == "ack"
        invite = await f.request({"type": "group.invite", "group": groups[0]})
        d, wd = await join_invited(server, invite["result"]["secret"], "Dana Invitée")
        assert wd["type"] == "welcome", wd
        guest = wd["you"]["participant"]
        await settle(c)

        editing = await d.request({"type": "presence", "project": other, "field": "title"})
        assert editing["type"] == "error" and editing["code"] == "not_found", editing
        assert not any(m.get("type") == "presence" and m.get("participant") == guest and m.get("editing")
                       for m in await settle(c))
        # On their own table's sheet, the table sees them editing.
        assert (await d.request({"type": "presence", "project": own, "field": "title"}))["type"] == "ack"
        shown = await a.expect(lambda m: m.get("type") == "presence" and m.get("participant") == guest and m.get("editing"))
        assert shown["editing"]["project"] == own
        for x in (f, a, c, d):
            await x.close()
    asyncio.run(scenario())



def test_another_tables_cluster_does_not_exist_for_an_invited_person(server):
    """Clusters are ids in sequence (`k_<seq>`): for someone invited into a working group, another
    table's cluster must answer as an unknown one (`not_found`), not `forbidden` or "on another
    board", which told them it exists and where."""
    async def scenario():
        f, fw = await join_facilitator(server)
        groups = [g["id"] for g in fw["workshop"]["groups"]]
        a, wa = await join_participant(server, "Alice Groupe", group=groups[0])
        c, wc = await join_participant(server, "Chloé Autre", group=groups[1])
        theirs = (await c.request({"type": "card.add", "board": board_of(wc)["id"], "column": "problems", "text": "Autre table"}))["result"]["card"]
        cluster = (await f.request({"type": "cluster.create", "board": board_of(wc)["id"], "title": "Leur regroupement", "cards": [theirs]}))["result"]["cluster"]
        now = await server_now(f)
        assert (await f.request({"type": "group.open", "group": groups[0], "endsAt": iso(now + 86_400_000)}))["type"] == "ack"
        invite = await f.request({"type": "group.invite", "group": groups[0]})
        d, wd = await join_invited(server, invite["result"]["secret"], "Dana Invitée")
        mine = (await d.request({"type": "card.add", "board": board_of(wa)["id"], "column": "problems", "text": "Ma carte"}))["result"]["card"]
        unknown = "k_999999"
        for message in ({"type": "cluster.rename", "cluster": cluster, "title": "Renommé"},
                        {"type": "card.cluster", "card": mine, "cluster": cluster}):
            answer = await d.request(message)
            missing = await d.request({**message, "cluster": unknown})
            assert answer["type"] == "error" and answer["code"] == "not_found", (message, answer)
            assert (answer["code"], answer["message"]) == (missing["code"], missing["message"]), (answer, missing)
        for x in (f, a, c, d):
            await x.close()
    asyncio.run(scenario())


def signed_status(server, project, raw, key=KEY):
    """(status, JSON answer) of a raw status body, signed `Signature v1,<base64 HMAC-SHA256>`."""
    signature = base64.b64encode(hmac.new(key, raw, hashlib.sha256).digest()).decode()
    request = urllib.request.Request(f"{server.url}/api/workshops/{server.info['workshop']}/projects/{project}/status",
                                     data=raw, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Signature v1,{signature}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def status_body(server, project, timestamp, state, workshop=None, **more):
    return json.dumps({"workshop": workshop or server.info["workshop"], "project": project,
                       "timestamp": timestamp, "state": state, **more}).encode()


def healthy(server):
    with urllib.request.urlopen(server.url + "/healthz", timeout=10) as r:
        return r.status == 200


def delivered_by_webhook(scenario):
    """Runs `scenario(server, f, people, project)` on a server with a signed webhook, once a ready
    sheet was delivered by it."""
    hook = webhook_server(fail_first=0, secret=SECRET)
    with tempfile.TemporaryDirectory(prefix="atelier-attack-status-") as data_dir:
        server = Server(data_dir, free_port(), extra_args=["--webhook", hook.url, "--webhook-secret", SECRET]).start()
        try:
            async def run():
                f, people, project = await make_projects(server)
                assert (await f.request({"type": "projects.submit", "channel": "webhook"}))["type"] == "ack"
                await f.event("project.submitted", timeout=30)
                await scenario(server, f, people, project)
                for x in (f, *people):
                    await x.close()
            asyncio.run(run())
        finally:
            server.stop()
            hook.shutdown()


def test_a_status_sent_back_with_a_timestamp_at_the_edge_of_64_bits_is_refused_not_a_crash():
    """Whoever holds the secret must not crash the server with a timestamp near the ends of 64
    bits (the freshness check subtracted it from the clock and overflowed): each is `400`."""
    async def scenario(server, f, people, project):
        for stamp in ("-9223372036854775808", "-9.2233720368547e18", "9223372036854775807", "1e400",
                      "-1e19", "\"1806307200\"", "null", "1.5e9"):
            raw = ('{"workshop": "%s", "project": "%s", "timestamp": %s, "state": "en_instruction"}'
                   % (server.info["workshop"], project, stamp)).encode()
            status, body = signed_status(server, project, raw)
            assert status == 400 and body["error"]["code"] in ("bad_request", "invalid"), (stamp, status, body)
            assert body["error"]["message"], body
            assert healthy(server), stamp
        status, body = signed_status(server, project, status_body(server, project, int(time.time()), "en_instruction"))
        assert status == 200 and body["events"] == 1, body
    delivered_by_webhook(scenario)


def test_an_earlier_status_replayed_within_the_tolerance_does_not_move_a_decided_project_back():
    """A recorded signed status (under review), replayed after the decision but within the 5
    minutes' tolerance, must not bring the decided project back under review."""
    async def scenario(server, f, people, project):
        now = int(time.time())
        earlier = status_body(server, project, now - 60, "en_instruction")
        later = status_body(server, project, now - 30, "accepte", processedAt="2027-04-15T14:00:00.000Z")
        status, body = signed_status(server, project, earlier)
        assert status == 200 and body["events"] == 1, body
        status, body = signed_status(server, project, later)
        assert status == 200 and body["events"] == 1, body
        # The same message again (a retry) changes nothing and is not an error.
        status, body = signed_status(server, project, later)
        assert status == 200 and body["events"] == 0, body
        # The recording of the earlier one, replayed: refused, the project stays decided.
        status, body = signed_status(server, project, earlier)
        assert status == 409 and body["error"]["code"] == "conflict" and "plus ancien" in body["error"]["message"], (status, body)
        f2, fw2 = await join_facilitator(server)
        [sheet] = [p for p in fw2["workshop"]["projects"] if p["id"] == project]
        assert [r["dossier"]["state"] for r in sheet["receipts"] if r["channel"] == "webhook"] == ["accepte"], sheet
        await f2.close()
    delivered_by_webhook(scenario)


def test_a_status_signed_for_one_sheet_cannot_be_posted_to_another_sheets_address():
    """The signature covers the body alone and the webhook's secret is the server's: a body that
    did not name its sheet, recorded for one project, could be posted (within the tolerance) to any
    other sheet of any workshop of the server and decide it. The body names its workshop and
    project, and they must be those of the address."""
    async def scenario(server, f, people, project):
        now = int(time.time())
        # Another sheet of the room, delivered too.
        f1, fw1 = await join_facilitator(server)
        board = next(p["board"] for p in fw1["workshop"]["projects"] if p["id"] == project)
        problem = next(c["id"] for c in fw1["workshop"]["cards"] if c["board"] == board and c["column"] == "problems")
        await f1.close()
        second = await f.request({"type": "project.create", "board": board, "title": "Deuxième fiche", "cards": [problem]})
        other = second["result"]["project"]
        assert (await f.request({"type": "project.update", "project": other, "version": 1, "fields": COMPLETE}))["type"] == "ack"
        ready = await f.request({"type": "project.ready", "project": other})
        assert ready["type"] == "ack", ready
        assert (await f.request({"type": "projects.submit", "channel": "webhook", "projects": [other]}))["type"] == "ack"
        await f.expect(lambda m: m.get("type") == "project.submitted" and m.get("project") == other, timeout=30)

        accepted = status_body(server, project, now, "accepte", processedAt="2027-04-15T14:00:00.000Z")
        status, body = signed_status(server, project, accepted)
        assert status == 200 and body["events"] == 1, body
        # The same signed body, posted to the other sheet's address: refused, nothing changes.
        status, body = signed_status(server, other, accepted)
        assert status == 400 and body["error"]["code"] == "invalid" and "autre fiche" in body["error"]["message"], (status, body)
        # A body that does not name its sheet is refused too, in French.
        bare = json.dumps({"timestamp": now, "state": "accepte"}).encode()
        status, body = signed_status(server, other, bare)
        assert status == 400 and "« workshop » et « project »" in body["error"]["message"], (status, body)
        f2, fw2 = await join_facilitator(server)
        [sheet] = [p for p in fw2["workshop"]["projects"] if p["id"] == other]
        assert all(r.get("dossier") is None or r["dossier"]["state"] != "accepte" for r in sheet["receipts"]), sheet
        await f2.close()
    delivered_by_webhook(scenario)


def test_a_kill_right_after_a_carrys_answer_loses_neither_the_carry_nor_the_groups_end(database):
    """kill -9 as soon as the organiser has the 201 of a workshop that brings an open working
    group: after a restart the new workshop has its carried cards, the group has ended (brought
    into it) in the first one, and both journals have no gap."""
    from test_series_carry import api, facilitator, participant
    with tempfile.TemporaryDirectory(prefix="atelier-attack-carry-") as data_dir:
        server = Server(data_dir, free_port(), database=database).start()
        try:
            status, series = api(server, "POST", "/api/admin/series", {"title": "Série"})
            assert status == 201, series
            status, w1 = api(server, "POST", f"/api/admin/series/{series['id']}/workshops", {"title": "Idées"})
            assert status == 201, w1

            async def before():
                f, fw = await facilitator(server, w1)
                groups = [g["id"] for g in fw["workshop"]["groups"]]
                a, wa = await participant(server, w1, "Alice Groupe", group=groups[0])
                board = next(b for b in wa["workshop"]["boards"] if b["group"] == groups[0])["id"]
                for i in range(3):
                    assert (await a.request({"type": "card.add", "board": board, "column": "problems", "text": f"Constat {i}"}))["type"] == "ack"
                assert (await f.request({"type": "workshop.close"}))["type"] == "ack"
                now = await server_now(f)
                assert (await f.request({"type": "group.open", "group": groups[0], "endsAt": iso(now + 86_400_000)}))["type"] == "ack"
                for c in (f, a):
                    await c.close()
                return groups[0], board
            group, board = asyncio.run(before())

            status, w2 = api(server, "POST", f"/api/admin/series/{series['id']}/workshops",
                             {"title": "Projets", "carry": {"from": w1["id"], "boards": [board]}})
            assert status == 201, w2
            server.kill9()
            server.start()

            for w in (w1, w2):
                seqs = [seq for seq, _ in server.journal(w["id"])]
                assert seqs == list(range(1, len(seqs) + 1)), (w["id"], seqs)
            kinds = [kind for _, kind in server.journal(w2["id"])]
            assert "workshop.carried" in kinds and kinds.count("card.added") >= 3, kinds

            async def after():
                f1, fw1 = await facilitator(server, w1)
                [g] = [g for g in fw1["workshop"]["workingGroups"] if g["group"] == group]
                assert g["ended"] and g["ended"]["reason"] == "brought" and g["ended"]["into"] == w2["id"], g
                f2, fw2 = await facilitator(server, w2)
                carried = sorted(c["text"] for c in fw2["workshop"]["cards"] if c["id"] in fw2["workshop"]["carried"])
                assert [t for t in carried if t.startswith("Constat")] == ["Constat 0", "Constat 1", "Constat 2"], carried
                for c in (f1, f2):
                    await c.close()
            asyncio.run(after())
        finally:
            server.stop()


def test_a_receiver_answering_an_enormous_number_as_its_reference_does_not_kill_the_server():
    """The webhook's receiver is another organisation's service: a 201 whose `reference` is a
    number beyond 64 bits (`1e300`) was converted with a trapping `Int(…)` and killed the server.
    The sheet is delivered; its receipt keeps the delivery's own reference."""
    from http.server import BaseHTTPRequestHandler
    from pipeline_fakes import _serve

    class Odd(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            data = b'{"reference": 1e300, "id": -1e30}'
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    hook = _serve(Odd)
    with tempfile.TemporaryDirectory(prefix="atelier-attack-receiver-") as data_dir:
        server = Server(data_dir, free_port(), extra_args=["--webhook", f"http://127.0.0.1:{hook.server_address[1]}/hook"]).start()
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                assert (await f.request({"type": "projects.submit", "channel": "webhook"}))["type"] == "ack"
                submitted = await f.event("project.submitted", timeout=30)
                assert submitted["project"] == project and submitted["receipt"]["reference"], submitted
                assert "e+" not in submitted["receipt"]["reference"], submitted
                assert healthy(server)
                for x in (f, *people):
                    await x.close()
            asyncio.run(scenario())
        finally:
            server.stop()
            hook.shutdown()


def test_a_receipt_recorded_with_an_enormous_version_is_refused_not_a_crash(server):
    """`POST /api/admin/workshops/{id}/receipts` converted `version` with a trapping `Int(…)`: a
    careless script sending `1e300` killed the server. It is `400`, in French."""
    for version in ("1e300", "-1e300", "1.5"):
        raw = ('{"project": "j_1", "version": %s, "receipt": {"channel": "webhook", "reference": "R-1", "at": "2026-11-28T10:00:00.000Z"}}'
               % version).encode()
        request = urllib.request.Request(f"{server.url}/api/admin/workshops/{server.info['workshop']}/receipts", data=raw, method="POST",
                                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {server.admin_token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, body = r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            status, body = e.code, json.loads(e.read())
        assert status == 400 and "« version »" in body["error"]["message"], (version, status, body)
        assert healthy(server), version


def test_a_card_never_revealed_does_not_leave_with_its_sheet_by_webhook():
    """A sheet can link a card still private (its author's, or any card for the facilitator, who
    sees them all): its author was told nobody but the facilitator would read it, and every export
    leaves it out. The webhook's body (another organisation's service) must leave it out too."""
    hook = webhook_server(fail_first=0)
    with tempfile.TemporaryDirectory(prefix="atelier-attack-private-") as data_dir:
        server = Server(data_dir, free_port(), extra_args=["--webhook", hook.url]).start()
        try:
            async def scenario():
                f, fw = await join_facilitator(server)
                assert (await f.request({"type": "settings.update", "privateWriting": True}))["type"] == "ack"
                a, wa = await join_participant(server, "Alice", group="g_cooperer")
                board = board_of(wa)["id"]
                secret = (await a.request({"type": "card.add", "board": board, "column": "problems",
                                           "text": "secret d'Alice jamais révélé"}))["result"]["card"]
                created = await f.request({"type": "project.create", "board": board, "title": "Garage solidaire", "cards": [secret]})
                assert created["type"] == "ack", created
                project = created["result"]["project"]
                assert (await f.request({"type": "project.update", "project": project, "version": 1, "fields": COMPLETE}))["type"] == "ack"
                ready = await f.request({"type": "project.ready", "project": project})
                assert ready["type"] == "ack", ready
                assert (await f.request({"type": "projects.submit", "channel": "webhook"}))["type"] == "ack"
                await f.event("project.submitted", timeout=30)
                bodies = [json.dumps(r["body"], ensure_ascii=False) for r in hook.recorder.requests]
                assert bodies and any("Garage solidaire" in b for b in bodies), bodies
                assert not any("jamais révélé" in b for b in bodies), bodies
                for x in (f, a):
                    await x.close()
            asyncio.run(scenario())
        finally:
            server.stop()
            hook.shutdown()
