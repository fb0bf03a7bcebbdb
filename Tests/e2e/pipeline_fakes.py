"""Local servers that implement the contracts Atelier submits to (no network here):
a webhook receiver that fails its first tries, and Démarches Simplifiées' documented prefill API
(`POST /api/public/v1/demarches/{N}/dossiers`, JSON body of `champ_<id>` pairs, answered 201 with
`dossier_url`, `dossier_number`, `dossier_id`, `state` "prefilled"; 400 without the JSON content type)."""
import base64
import datetime
import json
import re
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


def typed_id(stable_id):
    """A champ's id as the platform gives it: GraphQL's UniqueWithinType, base64 of `Champ-<stable id>`."""
    return base64.b64encode(f"Champ-{stable_id}".encode()).decode()


def stable_id(key):
    """`Champ.stable_id_from_typed_id`: `champ_<typed id>` → the stable id, None when it is not one
    (the platform's decoding is lenient about the base64 padding, which `to_typed_id_for_query` drops)."""
    if not isinstance(key, str) or not key.startswith("champ_"):
        return None
    raw = key[len("champ_"):]
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4)).decode()
        return int(decoded.split("-")[1])
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


TYPENAMES = {"text": "Text", "textarea": "Textarea", "integer_number": "IntegerNumber", "decimal_number": "DecimalNumber",
             "date": "Date", "yes_no": "YesNo", "checkbox": "Checkbox", "drop_down_list": "DropDownList",
             "multiple_drop_down_list": "MultipleDropDownList", "repetition": "Repetition", "siret": "Siret",
             "email": "Email", "phone": "Phone", "header_section": "HeaderSection", "explication": "Explication",
             "piece_justificative": "PieceJustificative", "address": "Address"}


def champ(n, type_champ, label, required=False, options=None, other=False, children=()):
    """One champ of a procedure (a type de champ): its stable id, type, label, options, children."""
    return {"stable_id": n, "type": type_champ, "label": label, "required": required, "options": options,
            "other": other, "children": list(children)}


def descriptor(c):
    """The champ as the schema endpoint describes it (the stored query's ChampDescriptorFragment)."""
    d = {"__typename": TYPENAMES[c["type"]] + "ChampDescriptor", "id": typed_id(c["stable_id"]), "label": c["label"],
         "description": None, "required": c["required"]}
    if c["type"] == "drop_down_list":
        d.update(options=c["options"], otherOption=c["other"])
    elif c["type"] == "multiple_drop_down_list":
        d["options"] = c["options"]
    elif c["type"] == "repetition":
        d["champDescriptors"] = [descriptor(x) for x in c["children"]]
    return d


# What the tests of the follow-up, the retries and the fixed mappings send to (ids 1 to 8).
DEFAULT_CHAMPS = [champ(1, "text", "Titre"), champ(2, "textarea", "Description"), champ(3, "siret", "SIRET"),
                  champ(4, "integer_number", "Montant"), champ(5, "yes_no", "Accompagnement"), champ(6, "date", "Début"),
                  champ(7, "textarea", "Équipe"), champ(8, "date", "Date de l'atelier")]


def ruby_string(v):
    """What a string column holds once Rails has cast a JSON value into it: true is "t", false "f"."""
    if v is True:
        return "t"
    if v is False:
        return "f"
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def blank(v):
    """Ruby's `blank?`: nil, false, a text of spaces, an empty array or hash."""
    return v is None or v is False or (isinstance(v, str) and v.strip() == "") or (isinstance(v, (list, dict)) and not v)


def prefill_value(c, value):
    """A top-level value as `PrefillChamps` applies it: the stored value, or None when dropped. Only
    some types are validated (NEED_VALIDATION_TYPES_DE_CHAMPS); an invalid value is dropped
    silently; the stored value is what was sent (the validation's normalisation is not kept)."""
    t = c["type"]
    if t in ("text", "textarea", "email", "phone", "siret", "drop_down_list"):
        # Not validated: a drop-down value outside the options is kept, and fails when filing.
        return ruby_string(value)
    if t == "integer_number":
        s = re.sub(r"\s", "", ruby_string(value))
        return ruby_string(value) if re.fullmatch(r"[+-]?\d+", s) else None
    if t == "decimal_number":
        s = re.sub(r"\s", "", ruby_string(value)).replace(",", ".")
        return ruby_string(value) if re.fullmatch(r"-?[0-9]+([.,][0-9]{1,3})?", s) else None
    if t == "date":
        s = ruby_string(value)
        try:
            datetime.date.fromisoformat(s)
            return s
        except ValueError:
            # `22/12/2022` is kept, and read as the year 22.
            return s if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", s) else None
    if t in ("yes_no", "checkbox"):
        # Anything not blank passes (the model turns it into "false" before validating), and is
        # stored as sent: a JSON true as "t", shown "Non".
        return ruby_string(value)
    if t == "multiple_drop_down_list":
        values = value if isinstance(value, list) else [value]
        values = [v for i, v in enumerate(values) if v != "" and v not in values[:i]]
        if not values or any(not isinstance(v, str) or v not in c["options"] for v in values):
            return None
        return values
    if t == "repetition":
        if not isinstance(value, list):
            return None
        children = {x["stable_id"]: x for x in c["children"]}
        rows = []
        for row in value:
            if not isinstance(row, dict):
                continue
            # Inside a row nothing is validated: each child's value is stored as sent.
            kept = {typed_id(children[sid]["stable_id"]): (None if v is None else ruby_string(v))
                    for k, v in row.items() if (sid := stable_id(k)) in children}
            if kept:
                rows.append(kept)
        return rows or None
    return None  # not prefillable (attachments, addresses…)


def shown(c, stored):
    """How the platform shows a stored yes/no: "Oui" only for the string "true"."""
    if c["type"] in ("yes_no", "checkbox"):
        return "Oui" if stored == "true" else "Non"
    return stored


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
        self.champs = {}    # typed id → the stored value
        self.identity = {}


def iso(t):
    """Rails' `iso8601` of a time in Paris (winter): `2026-11-29T17:00:00+01:00`."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone(datetime.timedelta(hours=1))).isoformat(timespec="seconds")


def demarches_server(procedure=4242, script=(), champs=None, path="appel-a-projets", opendata=True, for_individual=False,
                     title="Appel à projets"):
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
    - `GET /preremplir/{path}/schema`: the procedure's description (the GraphQL `demarcheDescriptor`
      with its revision's `champDescriptors`), only when it is published as open data; else 404.
    - Values are applied as `PrefillChamps` does (`prefill_value`): blanks dropped, invalid values of
      the validated types dropped silently, a drop-down's value kept as sent, a multiple drop-down's
      values outside the options dropped, repetition rows keyed by the children's ids; `identite_*`
      only for a procedure whose applicants are individuals. `dossiers[n].champs` holds what was stored.

    `champs`: the procedure's champs (`champ(...)`), `DEFAULT_CHAMPS` when not given.

    The test drives the dossiers: `claim(n)`, `file(n)`, `instruct(n)`, `decide(n, "accepte")`,
    `expire(n)` (the deletion job, for an unclaimed draft).

    `script`: what the first POSTs meet, in order, before the normal 201: "500-after-record"
    (the dossier is recorded, then the answer is a 500, as when DS fails after saving it), or
    "503" (refused before anything is recorded, with `Retry-After: 1`)."""
    rec = Recorder()
    plan = list(script)
    revision = list(DEFAULT_CHAMPS if champs is None else champs)
    by_id = {c["stable_id"]: c for c in revision}
    rec.schema_queries = []
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
            parts = url.path.split("/")
            if len(parts) == 4 and parts[1] == "preremplir" and parts[3] == "schema":
                rec.schema_queries.append(parts[2])
                if parts[2] != path or not opendata:
                    return self.reply(404, {"error": f"procedure {parts[2]} is not found"})
                return self.reply(200, {
                    "id": base64.b64encode(f"Procedure-{procedure}".encode()).decode(), "number": procedure, "title": title,
                    "description": "Une démarche de test.", "state": "publiee", "declarative": None,
                    "dateCreation": "2026-01-05T10:00:00+01:00", "datePublication": "2026-01-06T10:00:00+01:00",
                    "dateDerniereModification": "2026-01-06T10:00:00+01:00", "dateDepublication": None, "dateFermeture": None,
                    "notice": None, "deliberation": None, "demarcheURL": f"http://127.0.0.1:{self.server.server_address[1]}/commencer/{path}",
                    "cadreJuridiqueURL": None,
                    "revision": {"id": base64.b64encode(b"ProcedureRevision-1").decode(), "datePublication": "2026-01-06T10:00:00+01:00",
                                 "champDescriptors": [descriptor(c) for c in revision], "annotationDescriptors": []}})
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
                    # It failed while applying the values: the dossier stays, empty.
                    return self.reply(500, {"error": "Internal Server Error"})
                for key, value in champs.items():
                    c = by_id.get(stable_id(key))
                    if c is None or blank(value):
                        continue  # unknown keys ignored, blanks dropped
                    stored = prefill_value(c, value)
                    if stored is not None:
                        d.champs[typed_id(c["stable_id"])] = stored
                if for_individual:
                    for item in ("prenom", "nom"):
                        if not blank(champs.get(f"identite_{item}")):
                            d.identity[item] = ruby_string(champs[f"identite_{item}"])
                    if champs.get("identite_genre") in ("M.", "Mme"):
                        d.identity["genre"] = champs["identite_genre"]
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
    server.path = path
    server.champs = by_id
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
