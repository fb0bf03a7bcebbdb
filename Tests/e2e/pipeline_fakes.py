"""Local servers that implement the contracts Atelier submits to (no network here):
a webhook receiver that fails its first tries, and Démarches Simplifiées' documented prefill API
(`POST /api/public/v1/demarches/{N}/dossiers`, JSON body of `champ_<id>` pairs, answered 201 with
`dossier_url`, `dossier_number`, `dossier_id`, `state` "prefilled"; 400 without the JSON content type)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorder:
    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()


def _serve(handler_class):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def webhook_server(fail_first=2, secret=None):
    """Answers 503 to its first `fail_first` requests, then 201; a repeated Idempotency-Key gets
    the same answer again without being counted twice. With `secret` (whsec_…), a receiver as the
    Standard Webhooks reference package makes it: a delivery whose signature does not verify gets
    401 and is recorded with `verified: False`."""
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
                    status, answer = 503, {"error": "indisponible"}
                else:
                    if key not in seen:
                        seen[key] = f"WH-{len(seen) + 1}"
                    status, answer = 201, {"reference": seen[key]}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = _serve(Handler)
    server.recorder = rec
    server.unique_keys = seen
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    return server


def demarches_server(procedure=4242, script=()):
    """`script`: what the first POSTs meet, in order, before the normal 201: "500-after-record"
    (the dossier is recorded, then the answer is a 500, as when DS fails after saving it), or
    "503" (refused before anything is recorded, with `Retry-After: 1`)."""
    rec = Recorder()
    plan = list(script)
    rec.attempts = 0

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, status, answer):
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != f"/api/public/v1/demarches/{procedure}/dossiers":
                return self.reply(404, {"errors": ["not found"]})
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                return self.reply(400, {"errors": ["Content-Type application/json attendu"]})
            try:
                champs = json.loads(body)
            except ValueError:
                return self.reply(400, {"errors": ["JSON invalide"]})
            if not isinstance(champs, dict) or not all(k.startswith("champ_") for k in champs):
                return self.reply(400, {"errors": ["clés champ_<id> attendues"]})
            with rec.lock:
                rec.attempts += 1
                step = plan.pop(0) if plan else None
                if step != "503":
                    rec.requests.append(champs)
                n = len(rec.requests)
            if step == "503":
                data = json.dumps({"error": "Service indisponible"}).encode()
                self.send_response(503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if step == "500-after-record":
                return self.reply(500, {"error": "Internal Server Error"})
            port = self.server.server_address[1]
            self.reply(201, {"dossier_url": f"http://127.0.0.1:{port}/commencer/demarche-{procedure}?prefill_token=tok{n}",
                             "dossier_number": 1000 + n, "dossier_id": f"RG9zc2llci0{n}", "state": "prefilled"})

    server = _serve(Handler)
    server.recorder = rec
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.procedure = procedure
    return server
