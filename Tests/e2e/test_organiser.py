"""The organiser's session and series over HTTP (docs/protocol.md "Organiser session", "Series"):
the admin token exchanged for an HttpOnly, SameSite=Strict cookie; CSRF refused (a cross-site
POST, a missing or wrong CSRF header); logging out ends the session on the server; wrong tokens
count as wrong join codes do; the bearer API still works; series through the API and the CLI."""
import asyncio
import http.client
import json
import os
import subprocess
import tempfile

from conftest import BINARY, ROOT, Client, Server, free_port

FRENCH_CSRF = "Requête refusée : elle ne vient pas de la page d'organisation de ce site"


def call(server, method, path, body=None, headers=None, form=False):
    """(status, headers as a list of pairs, parsed JSON or raw bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    h = dict(headers or {})
    data = None
    if body is not None:
        if form:
            data = body.encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    raw = r.read()
    pairs = r.getheaders()
    conn.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw
    return r.status, pairs, parsed


def set_cookie(pairs):
    values = [v for k, v in pairs if k.lower() == "set-cookie"]
    assert len(values) == 1, pairs
    return values[0]


def login(server, headers=None):
    """A session: (cookie header value, csrf token, the Set-Cookie line)."""
    status, pairs, body = call(server, "POST", "/api/admin/login", {"token": server.admin_token}, headers)
    assert status == 200, body
    line = set_cookie(pairs)
    pair = line.split(";")[0]
    return pair, body["csrf"], line


def same_origin(server, cookie, csrf=None):
    h = {"Cookie": cookie, "Origin": server.url, "Sec-Fetch-Site": "same-origin"}
    if csrf is not None:
        h["X-Atelier-CSRF"] = csrf
    return h


def bearer(server):
    return {"Authorization": f"Bearer {server.admin_token}"}


def test_login_sets_an_httponly_strict_cookie_and_never_echoes_the_token(server):
    status, pairs, body = call(server, "POST", "/api/admin/login", {"token": "not-the-token"})
    assert status == 403 and body["error"]["message"] == "Jeton d'administration invalide."
    assert not [v for k, v in pairs if k.lower() == "set-cookie"]
    status, _, body = call(server, "POST", "/api/admin/login", {})
    assert status == 400 and "jeton" in body["error"]["message"]

    cookie, csrf, line = login(server)
    flags = [f.strip() for f in line.split(";")[1:]]
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/" in flags
    assert "Secure" not in flags  # plain http, no trusted proxy
    session_id = cookie.split("=", 1)[1]
    assert len(session_id) >= 32 and server.admin_token not in line and session_id != csrf
    # An X-Forwarded-Proto from a client that is not a trusted proxy is not believed.
    _, _, line = login(server, {"X-Forwarded-Proto": "https"})
    assert "Secure" not in line

    # The page, loaded again, gets its CSRF token back from the cookie alone.
    status, _, body = call(server, "GET", "/api/admin/session", headers={"Cookie": cookie})
    assert status == 200 and body["csrf"] == csrf and body["idleMinutes"] == 720
    assert call(server, "GET", "/api/admin/session")[0] == 401
    assert call(server, "GET", "/api/admin/session", headers={"Cookie": "atelier_admin=forged"})[0] == 401
    # The cookie opens the admin API for reading.
    status, _, body = call(server, "GET", "/api/admin/workshops", headers={"Cookie": cookie})
    assert status == 200 and len(body["workshops"]) == 1

    # A form (no script) is sent on to the home page with the same cookie.
    status, pairs, _ = call(server, "POST", "/api/admin/login", f"token={server.admin_token}", form=True)
    assert status == 303 and dict((k.lower(), v) for k, v in pairs)["location"] == "/organiser.html"
    assert "HttpOnly" in set_cookie(pairs)


def test_cross_site_and_csrf_less_writes_are_refused_with_403(server):
    cookie, csrf, _ = login(server)
    refused = [
        {"Cookie": cookie, "Origin": "https://evil.example", "X-Atelier-CSRF": csrf},       # another origin
        {"Cookie": cookie, "Sec-Fetch-Site": "cross-site", "X-Atelier-CSRF": csrf},         # the browser says so
        {"Cookie": cookie, "Origin": server.url, "Sec-Fetch-Site": "same-site", "X-Atelier-CSRF": csrf},
        {"Cookie": cookie, "Origin": "null", "X-Atelier-CSRF": csrf},
        same_origin(server, cookie),                                                        # no CSRF header
        same_origin(server, cookie, "not-the-csrf-token"),                                  # a wrong one
        same_origin(server, cookie, ""),
    ]
    for headers in refused:
        status, _, body = call(server, "POST", "/api/admin/series", {"title": "Série piégée"}, headers)
        assert status == 403, (headers, body)
        assert body["error"]["code"] == "forbidden"
        message = body["error"]["message"]
        assert message.startswith(FRENCH_CSRF) or "Jeton anti-falsification (X-Atelier-CSRF)" in message, message
    # A cross-site login is refused too (login CSRF), whatever the token.
    status, _, body = call(server, "POST", "/api/admin/login", {"token": server.admin_token}, {"Origin": "https://evil.example"})
    assert status == 403 and body["error"]["message"].startswith(FRENCH_CSRF)
    # Nothing was created; the same request from the page is accepted.
    assert call(server, "GET", "/api/admin/series", headers={"Cookie": cookie})[2]["series"] == []
    status, _, body = call(server, "POST", "/api/admin/series", {"title": "Ateliers IAE 2027"}, same_origin(server, cookie, csrf))
    assert status == 201 and body["title"] == "Ateliers IAE 2027"
    # Without Origin and Sec-Fetch-Site (not a browser), the CSRF token alone decides.
    status, _, _ = call(server, "POST", "/api/admin/series", {"title": "Deux"}, {"Cookie": cookie, "X-Atelier-CSRF": csrf})
    assert status == 201
    # A workshop closed cross-site stays open.
    workshop = server.info["workshop"]
    status, _, _ = call(server, "POST", f"/api/admin/workshops/{workshop}/close", None,
                        {"Cookie": cookie, "Origin": "https://evil.example", "X-Atelier-CSRF": csrf})
    assert status == 403
    listed = call(server, "GET", "/api/admin/workshops", headers={"Cookie": cookie})[2]["workshops"]
    assert [w["closed"] for w in listed] == [False]


def test_logging_out_ends_the_session_on_the_server(server):
    cookie, csrf, _ = login(server)
    other, _, _ = login(server)
    # Logging out is a write: it needs the CSRF token too.
    assert call(server, "POST", "/api/admin/logout", None, same_origin(server, cookie))[0] == 403
    status, pairs, body = call(server, "POST", "/api/admin/logout", None, same_origin(server, cookie, csrf))
    assert status == 200 and body == {"loggedOut": True}
    assert "Max-Age=0" in set_cookie(pairs)
    # The old cookie, replayed, opens nothing any more; another session is untouched.
    for method, path in [("GET", "/api/admin/series"), ("GET", "/api/admin/session"), ("GET", "/api/admin/workshops")]:
        status, _, body = call(server, method, path, headers={"Cookie": cookie})
        assert status == 401, (path, body)
    status, _, body = call(server, "POST", "/api/admin/series", {"title": "Après"}, same_origin(server, cookie, csrf))
    assert status == 401 and "reconnectez-vous" in body["error"]["message"]
    assert call(server, "GET", "/api/admin/series", headers={"Cookie": other})[0] == 200


def test_wrong_tokens_count_against_the_address_like_wrong_join_codes(server):
    statuses = [call(server, "POST", "/api/admin/login", {"token": f"guess-{n}"})[0] for n in range(31)]
    assert statuses[:30] == [403] * 30 and statuses[30] == 429
    status, _, body = call(server, "POST", "/api/admin/login", {"token": server.admin_token})
    assert status == 429 and "patientez" in body["error"]["message"]
    # Join codes from this address are slowed as well: the same allowance.
    status, _, _ = call(server, "GET", "/api/codes/ZZZZ-ZZZZ")
    assert status in (404, 429)
    # The bearer API does not depend on the login's allowance.
    assert call(server, "GET", "/api/admin/series", headers=bearer(server))[0] == 200


def test_the_bearer_api_works_without_cookie_or_csrf(server):
    status, _, created = call(server, "POST", "/api/admin/series", {"title": "Par script", "description": "Créée par l'API"}, bearer(server))
    assert status == 201 and created["description"] == "Créée par l'API" and created["archived"] is False
    status, _, w = call(server, "POST", f"/api/admin/series/{created['id']}/workshops", {"title": "Premier"}, bearer(server))
    assert status == 201 and w["series"] == created["id"] and w["facilitatorKey"]
    status, _, _ = call(server, "POST", "/api/workshops", {"title": "Hors série"}, bearer(server))
    assert status == 201
    assert call(server, "GET", "/api/admin/series", headers={"Authorization": "Bearer wrong"})[0] == 403
    assert call(server, "GET", "/api/admin/series")[0] == 401
    # A bearer request carrying someone's cookie is judged on its token, not on the cookie.
    cookie, _, _ = login(server)
    assert call(server, "GET", "/api/admin/series", headers={"Authorization": "Bearer wrong", "Cookie": cookie})[0] == 403


def test_series_lifecycle_state_and_export(server):
    cookie, csrf, _ = login(server)
    page = same_origin(server, cookie, csrf)
    status, _, series = call(server, "POST", "/api/admin/series", {"title": "  Ateliers IAE 2027 ", "description": "Diagnostic, idées, projets"}, page)
    assert status == 201 and series["title"] == "Ateliers IAE 2027"
    sid = series["id"]
    for bad, message in [({"title": ""}, "entre 1 et 200"), ({"title": "x" * 201}, "entre 1 et 200"), ({"title": 3}, "chaîne"),
                         ({"title": "ok", "description": "y" * 2001}, "2000")]:
        status, _, body = call(server, "POST", "/api/admin/series", bad, page)
        assert status == 400 and message in body["error"]["message"], (bad, body)
    status, _, body = call(server, "POST", f"/api/admin/series/{sid}/workshops", {"plan": "no-such-plan"}, page)
    assert status == 404 and "Programme d'atelier inconnu" in body["error"]["message"]

    plans = call(server, "GET", "/api/admin/plans", headers={"Cookie": cookie})[2]
    assert plans["default"] in [p["id"] for p in plans["plans"]]
    first = call(server, "POST", f"/api/admin/series/{sid}/workshops", {"plan": plans["default"], "title": "Diagnostic"}, page)[2]
    second = call(server, "POST", f"/api/admin/series/{sid}/workshops", {"title": "Idées"}, page)[2]
    assert first["series"] == sid and first["joinCode"] != second["joinCode"]

    # A participant and a card in the first: the series shows them.
    async def scene():
        c = await Client.connect(server.ws_url)
        welcome = await c.request({"type": "join", "code": first["joinCode"], "name": "Camille", "organisation": "ACI", "actor": "aci"})
        assert welcome["type"] == "welcome", welcome
        board = next(b for b in welcome["workshop"]["boards"] if b["group"] == welcome["you"]["group"])
        ack = await c.request({"type": "card.add", "board": board["id"], "column": "problems", "text": "Trésorerie tendue"})
        assert ack["type"] == "ack", ack
        await c.close()
        return len(welcome["workshop"]["cards"]) + 1
    cards = asyncio.run(scene())

    status, _, shown = call(server, "GET", f"/api/admin/series/{sid}", headers={"Cookie": cookie})
    assert status == 200 and [w["title"] for w in shown["workshops"]] == ["Diagnostic", "Idées"]
    d = shown["workshops"][0]
    assert d["participants"] == 1 and d["cards"] == cards and d["projects"] == 0 and d["closed"] is False
    assert d["phase"] and d["phaseTitle"] and d["series"] == sid and d["joinCode"] == first["joinCode"]
    listed = call(server, "GET", "/api/admin/workshops", headers={"Cookie": cookie})[2]["workshops"]
    assert {w["id"]: w["series"] for w in listed} == {server.info["workshop"]: None, first["id"]: sid, second["id"]: sid}

    status, _, renamed = call(server, "POST", f"/api/admin/series/{sid}", {"title": "Ateliers IAE 2027 (Saône-et-Loire)"}, page)
    assert status == 200 and renamed["title"] == "Ateliers IAE 2027 (Saône-et-Loire)" and renamed["description"] == "Diagnostic, idées, projets"
    assert renamed["workshops"] == [first["id"], second["id"]]

    # The whole series in one JSON document: each workshop's own JSON export.
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", f"/api/admin/series/{sid}/export", headers={"Cookie": cookie})
    r = conn.getresponse()
    exported = json.loads(r.read())
    assert r.status == 200 and "attachment" in r.getheader("content-disposition")
    conn.close()
    assert exported["format"] == "atelier-series-export" and exported["series"]["id"] == sid
    assert [w["workshop"]["title"] for w in exported["workshops"]] == ["Diagnostic", "Idées"]
    # One workshop's export for the organiser, as the facilitator's.
    status, _, one = call(server, "GET", f"/api/admin/workshops/{first['id']}/export?format=json", headers={"Cookie": cookie})
    assert status == 200 and one["workshop"]["title"] == "Diagnostic"

    # Closing a workshop (archive), then the series: no new workshop in an archived series.
    status, _, _ = call(server, "POST", f"/api/admin/workshops/{second['id']}/close", None, page)
    assert status == 200
    assert call(server, "GET", f"/api/admin/series/{sid}", headers={"Cookie": cookie})[2]["workshops"][1]["closed"] is True
    status, _, archived = call(server, "POST", f"/api/admin/series/{sid}/archive", {}, page)
    assert status == 200 and archived["archived"] is True
    status, _, body = call(server, "POST", f"/api/admin/series/{sid}/workshops", {}, page)
    assert status == 409 and "archivée" in body["error"]["message"]
    assert call(server, "POST", f"/api/admin/series/{sid}/archive", {"archived": False}, page)[2]["archived"] is False
    assert call(server, "GET", "/api/admin/series/s_unknown", headers={"Cookie": cookie})[0] == 404

    # Kept across a restart.
    server.stop()
    server.start()
    cookie, csrf, _ = login(server)  # sessions live in memory: a restart ends them
    again = call(server, "GET", f"/api/admin/series/{sid}", headers={"Cookie": cookie})[2]
    assert again["title"] == "Ateliers IAE 2027 (Saône-et-Loire)" and [w["id"] for w in again["workshops"]] == [first["id"], second["id"]]


def test_the_console_opens_with_the_organisers_key_and_a_new_facilitator_key_revokes_it(server):
    cookie, csrf, _ = login(server)
    workshop = server.info["workshop"]
    status, _, cred = call(server, "POST", f"/api/admin/workshops/{workshop}/console", None, same_origin(server, cookie, csrf))
    assert status == 200 and cred["workshop"] == workshop and cred["code"] == server.info["code"]
    assert cred["key"] != server.info["key"]
    assert call(server, "POST", f"/api/admin/workshops/{workshop}/console", None, same_origin(server, cookie))[0] == 403

    async def join(key):
        c = await Client.connect(server.ws_url)
        answer = await c.request({"type": "join", "workshop": workshop, "facilitatorKey": key})
        await c.close()
        return answer
    assert asyncio.run(join(cred["key"]))["type"] == "welcome"
    assert asyncio.run(join(server.info["key"]))["type"] == "welcome"  # the facilitator's own key still works
    status, _, _ = call(server, "GET", f"/api/workshops/{workshop}/export", headers={"Authorization": f"Bearer {cred['key']}"})
    assert status == 200
    # A new facilitator key (a lost link) revokes the organiser's derived key as well.
    assert call(server, "POST", f"/api/admin/workshops/{workshop}/facilitator-key", None, bearer(server))[0] == 200
    assert asyncio.run(join(cred["key"]))["type"] == "error"
    fresh = call(server, "POST", f"/api/admin/workshops/{workshop}/console", None, same_origin(server, cookie, csrf))[2]
    assert fresh["key"] != cred["key"] and asyncio.run(join(fresh["key"]))["type"] == "welcome"


def test_the_cookie_is_secure_behind_a_trusted_https_proxy():
    with tempfile.TemporaryDirectory(prefix="atelier-e2e-") as data_dir:
        s = Server(data_dir, free_port(), extra_args=["--trusted-proxy", "127.0.0.1"]).start()
        try:
            _, _, line = login(s, {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
            assert "Secure" in [f.strip() for f in line.split(";")]
            _, _, line = login(s, {"X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.7"})
            assert "Secure" not in line
        finally:
            s.stop()


def atelier(server, *args):
    out = subprocess.run([BINARY, *args, *server.storage_args, "--plans", os.path.join(ROOT, "sessions")],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_command_line_manages_series_through_the_running_server(server):
    out = atelier(server, "series", "new", "Ateliers IAE 2027", "--description", "Quatre sessions")
    assert "par le serveur en cours d'exécution" in out
    sid = out.split("(")[-1].split(")")[0]
    assert sid.startswith("s_")
    out = atelier(server, "workshop", "new", "--series", sid, "--title", "Diagnostic")
    assert "Atelier créé (par le serveur" in out and "Lien animateur" in out
    listed = atelier(server, "series", "list")
    assert f"{sid}  Ateliers IAE 2027  (1 atelier(s))" in listed
    shown = atelier(server, "series", "show", sid)
    assert "1. Diagnostic" in shown and "Quatre sessions" in shown
    atelier(server, "series", "archive", sid)
    assert "[archivée]" in atelier(server, "series", "list")
    failed = subprocess.run([BINARY, "workshop", "new", "--series", sid, *server.storage_args, "--plans", os.path.join(ROOT, "sessions")],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert failed.returncode != 0 and "archivée" in failed.stderr
    # The server saw every change: its API shows the same.
    series = call(server, "GET", f"/api/admin/series/{sid}", headers=bearer(server))[2]
    assert series["archived"] is True and [w["title"] for w in series["workshops"]] == ["Diagnostic"]


def test_the_command_line_manages_series_without_a_server():
    with tempfile.TemporaryDirectory(prefix="atelier-cli-") as data_dir:
        def run(*args, ok=True):
            out = subprocess.run([BINARY, *args, "--data", data_dir, "--plans", os.path.join(ROOT, "sessions")],
                                 capture_output=True, text=True, timeout=60, cwd=ROOT)
            assert (out.returncode == 0) == ok, out.stderr
            return out.stdout + out.stderr
        assert "Aucune série." in run("series", "list")
        sid = run("series", "new", "Groupe mobilité").split("(")[-1].split(")")[0]
        run("workshop", "new", "--series", sid, "--title", "Session 1")
        run("workshop", "new", "--series", sid, "--title", "Session 2")
        shown = run("series", "show", sid)
        assert shown.index("1. Session 1") < shown.index("2. Session 2")
        assert "série inconnue" in run("workshop", "new", "--series", "s_nope", ok=False)
        run("series", "archive", sid)
        run("series", "archive", sid, "--restore")
        assert "[archivée]" not in run("series", "list")
