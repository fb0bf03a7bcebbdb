"""Local servers that implement the contracts Atelier submits to (no network here):
a webhook receiver that fails its first tries, and Démarches Simplifiées' documented prefill API
(`POST /api/public/v1/demarches/{N}/dossiers`, JSON body of `champ_<id>` pairs, answered 201 with
`dossier_url`, `dossier_number`, `dossier_id`, `state` "prefilled"; 400 without the JSON content type)."""
import base64
import datetime
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorder:
    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()


def _serve(handler_class, port=0):
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def webhook_server(fail_first=2, secret=None, port=0, fail_status=503, retry_after=None):
    """Answers `fail_status` (with `Retry-After: retry_after` if given) to its first `fail_first`
    requests, then 201; a repeated Idempotency-Key gets the same answer again without being
    counted twice (a receiver that dedupes by id). With `secret` (whsec_…), a receiver as the
    Standard Webhooks reference package makes it: a delivery whose signature does not verify gets
    401 and is recorded with `verified: False`. `port`: a given one (to bring a receiver up where
    the server has been failing to reach one)."""
    rec = Recorder()
    seen = {}
    verifier = None
    if secret:
        from standardwebhooks.webhooks import Webhook
        verifier = Webhook(secret)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            key = self.headers.get("Idempotency-Key")
            verified = None
            if verifier:
                try:
                    verifier.verify(body, {k.lower(): v for k, v in self.headers.items()})
                    verified = True
                except Exception:
                    verified = False
            with rec.lock:
                rec.requests.append({"key": key, "type": self.headers.get("Content-Type"), "body": json.loads(body),
                                     "verified": verified, "webhook_id": self.headers.get("webhook-id"),
                                     "agent": self.headers.get("User-Agent")})
                n = len(rec.requests)
                if verified is False:
                    status, answer = 401, {"error": "signature invalide"}
                elif n <= fail_first:
                    status, answer = fail_status, {"error": "indisponible"}
                else:
                    if key not in seen:
                        seen[key] = f"WH-{len(seen) + 1}"
                    status, answer = 201, {"reference": seen[key]}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if retry_after is not None and status != 201:
                self.send_header("Retry-After", str(retry_after))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = _serve(Handler, port)
    server.recorder = rec
    server.unique_keys = seen
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    return server


class Dossier:
    """A dossier as the platform keeps it: created prefilled with no owner; claimed by the first
    signed-in person who opens its link (then `brouillon`), filed (`en_construction`), instructed,
    decided; an unclaimed prefilled draft is deleted after 5 days by a cron job."""

    def __init__(self, number, token, created):
        self.number, self.token, self.created = number, token, created
        self.owner = None
        self.state = "brouillon"
        self.depose_at = None
        self.processed_at = None
        self.deleted = False


def iso(t):
    """Rails' `iso8601` of a time in Paris (winter): `2026-11-29T17:00:00+01:00`."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone(datetime.timedelta(hours=1))).isoformat(timespec="seconds")


def demarches_server(procedure=4242, script=()):
    """Démarches Simplifiées' public API as its code behaves (`app/controllers/api/public/v1/`):

    - `POST /api/public/v1/demarches/{N}/dossiers`: the Content-Type must be exactly
      `application/json`, else 400 `{"error": "Content-Type should be json"}`; an unknown
      procedure is 404 `{"error": "procedure N is not found"}`; unknown keys are ignored; 201
      with `dossier_url`, `state` "prefilled", `dossier_id`, `dossier_number`, `dossier_prefill_token`.
    - `GET /api/public/v1/demarches/{N}/dossiers?prefill_token=a,b`: a JSON array of the dossiers
      it still has with those tokens: an unclaimed one as at creation, a claimed one as `state`,
      `submitted_at`, `processed_at` (absent when null), `dossier_id`, `dossier_number`,
      `dossier_prefill_token`. A deleted dossier is simply not in it.
    - Answers are `application/json; charset=utf-8`, as Rails renders them.

    The test drives the dossiers: `claim(n)`, `file(n)`, `instruct(n)`, `decide(n, "accepte")`,
    `expire(n)` (the deletion job, for an unclaimed draft).

    `script`: what the first POSTs meet, in order, before the normal 201: "500-after-record"
    (the dossier is recorded, then the answer is a 500, as when DS fails after saving it), or
    "503" (refused before anything is recorded, with `Retry-After: 1`)."""
    rec = Recorder()
    plan = list(script)
    rec.attempts = 0
    rec.index_queries = []
    dossiers = {}  # number → Dossier

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, status, answer, headers=()):
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def procedure_of(self, path):
            parts = path.split("/")
            if len(parts) != 7 or parts[1:5] != ["api", "public", "v1", "demarches"] or parts[6] != "dossiers":
                return None, (404, {"error": "not found"})
            if parts[5] != str(procedure):
                return None, (404, {"error": f"procedure {parts[5]} is not found"})
            return parts[5], None

        def serialize(self, d):
            port = self.server.server_address[1]
            if d.owner is None:
                out = {"dossier_url": f"http://127.0.0.1:{port}/commencer/demarche-{procedure}?prefill_token={d.token}", "state": "prefilled"}
            else:
                out = {"state": d.state, "submitted_at": d.depose_at and iso(d.depose_at),
                       "processed_at": d.processed_at and iso(d.processed_at)}
            out.update({"dossier_id": base64.b64encode(f"Dossier-{d.number}".encode()).decode(), "dossier_number": d.number,
                        "dossier_prefill_token": d.token})
            return {k: v for k, v in out.items() if v is not None}

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            _, refusal = self.procedure_of(url.path)
            if refusal:
                return self.reply(*refusal)
            tokens = [t for v in urllib.parse.parse_qs(url.query).get("prefill_token", []) for t in v.split(",")]
            with rec.lock:
                rec.index_queries.append(tokens)
                found = [d for d in sorted(dossiers.values(), key=lambda d: d.created) if not d.deleted and d.token in tokens]
                self.reply(200, [self.serialize(d) for d in found])

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Type") != "application/json":
                return self.reply(400, {"error": "Content-Type should be json"})
            _, refusal = self.procedure_of(self.path)
            if refusal:
                return self.reply(*refusal)
            try:
                champs = json.loads(body)
            except ValueError:
                return self.reply(400, {"error": "JSON invalide"})
            if not isinstance(champs, dict):
                return self.reply(400, {"error": "JSON invalide"})
            with rec.lock:
                rec.attempts += 1
                step = plan.pop(0) if plan else None
                if step == "503":
                    return self.reply(503, {"error": "Service indisponible"}, headers=[("Retry-After", "1")])
                # Saved first, then the values applied (a 500 here leaves the dossier behind).
                rec.requests.append(champs)
                n = 1000 + len(rec.requests)
                d = Dossier(n, secrets.token_urlsafe(18), time.time() + len(rec.requests) * 1e-6)
                dossiers[n] = d
                if step == "500-after-record":
                    return self.reply(500, {"error": "Internal Server Error"})
                self.reply(201, dict(self.serialize(d)))

    def change(number, **fields):
        with rec.lock:
            d = dossiers[number]
            for k, v in fields.items():
                setattr(d, k, v)

    server = _serve(Handler)
    server.recorder = rec
    server.dossiers = dossiers
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.procedure = procedure
    server.claim = lambda n: change(n, owner="porteur@example.org", state="brouillon")
    server.file = lambda n: change(n, state="en_construction", depose_at=time.time())
    server.instruct = lambda n: change(n, state="en_instruction")
    server.decide = lambda n, state: change(n, state=state, processed_at=time.time())

    def expire(n):
        with rec.lock:
            d = dossiers[n]
            assert d.owner is None and d.state == "brouillon", "only unclaimed prefilled drafts are deleted"
            d.deleted = True
    server.expire = expire
    return server
