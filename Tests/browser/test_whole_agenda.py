"""The full room (issue 12, "Done when"): the default plan's whole agenda with 6 browsers and 65
WebSocket participants, every view checked at every step.

Browsers: the facilitator's console (1440 × 900), the projector (1920 × 1080), three phones
(360 × 740, touch) and a laptop (1280 × 800); the phones and the laptop join by typing the code on
the home page, as a person would. 65 more people join over the WebSocket (Python `websockets`), seated
by the server (the table with the fewest people).

Agenda: problems (cards from phones and the crowd) → "Faire tourner les groupes" from the console →
ideas (cards, then votes on other people's ideas, "Clore le vote", the reveal) → projects (two sheets
written by table members, one marked ready from the console) → the synthesis export.

What the test expects is computed from what it sent (the plan's seeds, the acknowledged cards, the
plan's rotation order, the acknowledged votes), never read back from the server and compared with
itself. Every wait is on a condition, with a generous timeout; nothing is timed.
"""
import asyncio
import json
import os
import tempfile
import threading
import time
import unicodedata
import urllib.request
import uuid

import pytest
import websockets
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .conftest import ADMIN_TOKEN, Server, create_workshop, free_port, require_binary, snapshot
from .pages import BOARD, click, confirm, find, finds, js_errors, open_console, open_projector, text_of, visible, wait
from .test_full_room import CLIPPED, OUTSIDE
from .test_pages import emulate

CONSOLE = {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False}
WALL = {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True}
LAPTOP = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}

# The default plan's world-café order (sessions/iae-saone-et-loire.yaml, `rotation`).
ROTATION = ["consolider", "cooperer", "economie-classique", "structurer-secteur", "partenariat-public"]
CROWD = 65
SLOW = 90  # seconds: generous, for conditions that involve 70 clients on 2 cores

BROWSER_PEOPLE = [  # (name, actor, organisation, device)
    ("Sébastien Morel", "aci", "ACI Le Pont", "phone"),
    ("Nadia Benali", "ai", "AI Solidarité Bresse", "phone"),
    ("Olivier Charrier", "ei", "EI Recyclerie du Creusot", "phone"),
    ("Claire Dumont", "public", "Département de Saône-et-Loire", "laptop"),
]
FIRST = ["Camille", "Dominique", "Élise", "Farid", "Gaëlle", "Hugo", "Inès", "Jules", "Karim", "Léa", "Malik", "Nadia", "Pascal"]
ORGS = ["ACI Le Pont", "AI Solidarité Bresse", "EI Recyclerie du Creusot", "ETTI Chalon Intérim", "Pôle emploi", "Têtes de réseau 71"]
PROBLEMS = ["Trésorerie tendue en fin d'année", "Des financements trop courts pour investir", "Peu de liens avec les entreprises du bassin",
            "Des parcours trop morcelés", "Les encadrants techniques sont isolés", "Des clauses d'insertion mal connues"]
IDEAS = ["Un fonds d'avance mutualisé", "Un groupement d'employeurs inclusif", "Des visites croisées entre SIAE",
         "Un annuaire partagé des SIAE", "Former les encadrants ensemble", "Un guichet unique pour les entreprises"]


def norm(s):
    """Text as compared: typographic apostrophes and non-breaking spaces made plain."""
    return unicodedata.normalize("NFC", s).replace("’", "'").replace("\u202f", " ").replace("\xa0", " ")


def until(driver, observe, expected, what, timeout=SLOW):
    """Waits until observe(driver) == expected; on timeout fails with what was last seen."""
    seen = [None]

    def check(d):
        try:
            seen[0] = observe(d)
        except (NoSuchElementException, StaleElementReferenceException) as e:
            seen[0] = f"({type(e).__name__})"
            return False
        return seen[0] == expected
    try:
        wait(driver, check, timeout)
    except Exception:
        raise AssertionError(f"{what}\n  expected: {expected!r}\n  last seen: {seen[0]!r}") from None


def seconds_shown(driver, css):
    """The countdown's time left, in seconds (m:ss or h:mm:ss)."""
    parts = [int(x) for x in text_of(find(driver, f'{css} [data-testid="timer-time"]')).strip().split(":")]
    return sum(v * 60 ** i for i, v in enumerate(reversed(parts)))


def settle(driver):
    driver.execute_script("return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


# --- 65 people over the WebSocket ------------------------------------------------------------------

class Person:
    """One participant's connection: reads everything all the time (as a phone does), answers by id."""

    def __init__(self, name, ws):
        self.name, self.ws = name, ws
        self.prefix = uuid.uuid4().hex[:8]
        self.n = 0
        self.pending = {}
        self.events = []
        self.closed = None
        self.you = None
        self.reader = asyncio.get_running_loop().create_task(self.read())

    async def read(self):
        try:
            async for raw in self.ws:
                data = json.loads(raw)
                for m in data if isinstance(data, list) else [data]:
                    future = self.pending.pop(m.get("re"), None) if m.get("type") in ("ack", "error", "welcome") else None
                    if future is not None and not future.done():
                        future.set_result(m)
                    elif "seq" in m:
                        self.events.append(m)
        except websockets.ConnectionClosed as e:
            self.closed = e

    async def request(self, message, timeout=60):
        self.n += 1
        mid = f"{self.prefix}-{self.n}"
        future = asyncio.get_running_loop().create_future()
        self.pending[mid] = future
        await self.ws.send(json.dumps({"id": mid, **message}))
        answer = await asyncio.wait_for(future, timeout)
        await asyncio.sleep(0.06)  # paced: well under 20 messages a second per connection
        return answer


class Crowd:
    """The WebSocket participants, on an event loop of their own (a thread) for the whole test."""

    def __init__(self, server, workshop):
        self.server, self.workshop = server, workshop
        self.people = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def do(self, coro, timeout=180):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _join(self, i):
        ws = await websockets.connect(self.server.ws_url, subprotocols=["atelier.v1"], max_queue=None)
        person = Person(f"{FIRST[i % len(FIRST)]} Salle{i:02d}", ws)
        welcome = await person.request({"type": "join", "code": self.workshop["joinCode"], "name": person.name,
                                        "organisation": ORGS[i % len(ORGS)], "actor": ["aci", "ai", "ei", "etti", "business", "network"][i % 6],
                                        "clientKey": uuid.uuid4().hex})
        assert welcome["type"] == "welcome", welcome
        person.you = welcome["you"]
        return person

    def join(self, n):
        async def go():
            for start in range(0, n, 8):
                self.people += await asyncio.gather(*[self._join(i) for i in range(start, min(n, start + 8))])
        self.do(go())

    def each(self, make):
        """Runs make(person) for everyone at once; returns their results in order."""
        async def go():
            return await asyncio.gather(*[make(p) for p in self.people])
        return self.do(go())

    def close(self):
        async def go():
            for p in self.people:
                await p.ws.close()
        try:
            self.do(go(), timeout=60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


# --- The browsers ----------------------------------------------------------------------------------

def join_by_code(driver, server, code, name, actor, organisation, title, typo=None):
    """As a person: the home page, the code (first mistyped, if `typo`), then name, organisation
    and kind of structure, under the workshop's title."""
    driver.get(server.url + "/")
    field = visible(driver, '[data-testid="code-input"]')
    if typo:
        field.send_keys(typo)
        click(find(driver, '[data-testid="code-submit"]'))
        wait(driver, lambda d: "Aucun atelier" in text_of(find(d, '[data-testid="code-error"]')), SLOW,
             "a wrong code was not refused on the home page")
        assert not finds(driver, '[data-testid="join-name"]'), "the join form opened for a wrong code"
        field.clear()
    field.send_keys(code)
    click(find(driver, '[data-testid="code-submit"]'))
    visible(driver, '[data-testid="join-name"]').send_keys(name)
    wait(driver, lambda d: norm(title) in norm(text_of(find(d, '[data-testid="join-workshop"]'))), SLOW,
         "the join form does not show the workshop's title")
    find(driver, '[data-testid="join-organisation"]').send_keys(organisation)
    Select(find(driver, '[data-testid="join-actor"]')).select_by_value(actor)
    click(find(driver, '[data-testid="join-submit"]'))
    wait(driver, lambda d: text_of(find(d, '[data-testid="board-title"]')).strip(), SLOW, f"{name}: the board never showed")
    wait(driver, lambda d: find(d, '[data-testid="connection-state"]').get_attribute("data-state") == "online", SLOW)


def write_card(driver, column, text):
    """Opens the column (its tab on a phone), types the card and presses "Ajouter la carte"."""
    tabs = [b for b in finds(driver, f'[data-testid="column-tab"][data-tab-column="{column}"]') if b.is_displayed()]
    if tabs and tabs[0].get_attribute("aria-pressed") != "true":
        click(tabs[0])
    area = visible(driver, f'section[data-column="{column}"] [data-testid="add-card-text"]')
    click(area)
    area.send_keys(text)
    click(find(driver, f'section[data-column="{column}"] [data-testid="add-card-submit"]'))


def show_on_wall(fac, mode):
    """The console's "Projecteur" control: what the room's wall shows (the wall follows)."""
    Select(visible(fac, '[data-testid="projector-mode"]')).select_by_value(mode)
    click(find(fac, '[data-testid="projector-show"]'))


def board_card_texts(driver):
    """{column: sorted card texts} of the person's own board (all columns, shown or behind a tab)."""
    return driver.execute_script("""
        const out = {};
        for (const li of document.querySelectorAll('[data-testid="board"] [data-testid="card"]')) {
          if (li.classList.contains('card--pending')) continue;
          const col = li.closest('[data-column]').dataset.column;
          (out[col] = out[col] || []).push(li.querySelector('[data-testid="card-text"]').textContent);
        }
        for (const k of Object.keys(out)) out[k].sort();
        return out;
    """)


def card_li(driver, text):
    for li in finds(driver, '[data-testid="board"] [data-testid="card"]'):
        t = li.find_elements(By.CSS_SELECTOR, '[data-testid="card-text"]')
        if t and text_of(t[0]) == text:
            return li
    return None


def phase_button(driver, phase_title):
    for b in finds(driver, '[data-testid="phase-button"]'):
        if norm(phase_title) in norm(text_of(b)):
            return b
    raise AssertionError(f"no phase button {phase_title!r}")


def overview(driver):
    """{board: (people online, cards)} as the console's overview shows them."""
    return {row.get_attribute("data-board"): (text_of(row.find_element(By.CSS_SELECTOR, '[data-testid="overview-online"]')).strip(),
                                              text_of(row.find_element(By.CSS_SELECTOR, '[data-testid="overview-cards"]')).strip())
            for row in finds(driver, '[data-testid="overview-row"]')}


MINI_BOARDS = """
const out = {};
for (const s of document.querySelectorAll('[data-testid="mini-boards"] [data-testid="mini-board"]')) {
  out[s.dataset.board] = [s.querySelector('h3').textContent,
    [...s.querySelectorAll('[data-testid="card"] [data-testid="card-text"]')].map((e) => e.textContent)];
}
return out;
"""


def mini_boards(driver):
    """{board: (title, sorted card texts)} of the console's boards."""
    return {b: (norm(title), sorted(texts)) for b, (title, texts) in driver.execute_script(MINI_BOARDS).items()}


WALL_BOARDS = """
const out = {};
for (const s of document.querySelectorAll('[data-testid="projector-boards"] [data-testid="projector-board"]')) {
  const title = document.getElementById(s.getAttribute('aria-labelledby'));
  const cols = {};
  for (const c of s.querySelectorAll('section[data-column]')) {
    const cards = [...c.querySelectorAll('[data-testid="projector-card"]')];
    const more = c.querySelector('[data-testid="projector-more"]');
    const m = more && more.checkVisibility() ? more.textContent.match(/^\\+(\\d+)/) : null;
    cols[c.dataset.column] = {inDom: cards.length, shown: cards.filter((e) => e.checkVisibility()).length, more: m ? Number(m[1]) : 0};
  }
  out[s.dataset.board] = {title: title ? title.textContent : null, cols};
}
return out;
"""


def wall_boards(wall):
    settle(wall)
    return wall.execute_script(WALL_BOARDS)


def assert_wall_fits(wall, what):
    settle(wall)
    assert wall.execute_script(OUTSIDE) == [], f"{what}: elements outside the 1920 × 1080 wall: {wall.execute_script(OUTSIDE)}"
    assert wall.execute_script(CLIPPED) == [], f"{what}: items cut by their list: {wall.execute_script(CLIPPED)}"


def export_md(server, workshop):
    request = urllib.request.Request(f"{server.url}/api/workshops/{workshop['id']}/export?format=md",
                                     headers={"Authorization": f"Bearer {workshop['facilitatorKey']}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        assert r.status == 200
        return r.read().decode("utf-8")


def md_sections(md):
    """{"## heading" text: the lines under it, up to the next "## "}."""
    out, current = {}, None
    for line in md.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return out


def md_escape(s):
    return "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in s)


@pytest.fixture
def room_server():
    """A server of its own: 69 people join from one address (the room shares one on Wi-Fi too)."""
    require_binary()
    with tempfile.TemporaryDirectory(prefix="atelier-agenda-") as data_dir:
        s = Server(data_dir, free_port(), admin_token=ADMIN_TOKEN,
                   extra_args=["--joins-per-address-per-minute", "1000"]).start()
        try:
            yield s
        finally:
            s.stop()


def test_whole_agenda_with_six_browsers_and_65_participants(room_server, browsers):
    started = time.monotonic()
    server = room_server
    workshop = create_workshop(server, "Atelier collaboratif IAE : la salle entière")
    w0 = snapshot(server, workshop)
    phases = {p["id"]: p for p in w0["phases"]}
    board_by_table = {t: next(b for b in w0["boards"] if b["id"].endswith(t)) for t in ROTATION}
    order = [board_by_table[t]["id"] for t in ROTATION]
    boards = {b["id"]: b for b in w0["boards"]}
    assert sorted(order) == sorted(boards), "the plan's rotation does not name the five boards"
    seat = {b["group"]: b["id"] for b in w0["boards"]}  # group -> board it sits at
    # What each board holds, as sent: (column, text). The plan's seeded findings first.
    expected = {b: [(c["column"], c["text"]) for c in w0["cards"] if c["board"] == b] for b in boards}
    acked = {}  # card id -> (board, column, text): every card a WebSocket participant got an ack for

    # --- The room opens: console, projector, three phones and a laptop; 65 more over the WebSocket.
    fac = browsers.new(width=1440, height=900)
    emulate(fac, CONSOLE)
    open_console(fac, workshop)
    wall = browsers.new(width=1920, height=1080)
    emulate(wall, WALL)
    open_projector(wall, workshop)
    devices = {}
    for name, actor, organisation, device in BROWSER_PEOPLE:
        d = browsers.new(width=360, height=740) if device == "phone" else browsers.new(width=1280, height=800)
        if device == "phone":
            emulate(d, PHONE)
            d.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
        else:
            emulate(d, LAPTOP)
        join_by_code(d, server, workshop["joinCode"], name, actor, organisation, w0["title"],
                     typo="ZZZZ-9999" if not devices else None)
        devices[name] = d
    crowd = Crowd(server, workshop)
    try:
        crowd.join(CROWD)
        w = snapshot(server, workshop)
        group_of = {p["name"]: p["group"] for p in w["participants"] if p["role"] == "participant"}
        for p in crowd.people:
            assert group_of[p.name] == p.you["group"], f"{p.name}: welcome and snapshot disagree on the table"
        assert len(group_of) == CROWD + len(BROWSER_PEOPLE)
        members = {g: sorted(n for n, gg in group_of.items() if gg == g) for g in seat}
        sizes = sorted(len(m) for m in members.values())
        assert sizes[-1] - sizes[0] <= 1 and None not in group_of.values(), f"the tables are not balanced: {sizes}"

        def expect_console(what):
            people = {seat[g]: len(m) for g, m in members.items()}
            until(fac, overview, {b: (f"{people[b]} sur {people[b]}", str(len(expected[b]))) for b in boards},
                  f"{what}: the console's overview (people online, cards) is not what was sent")
            until(fac, mini_boards, {b: (norm(boards[b]["title"]), sorted(t for _, t in expected[b])) for b in boards},
                  f"{what}: the console's boards do not hold their cards under their own titles")

        def expect_wall(what):
            """The projector, all tables: the five boards by title, every card there, none cut."""
            def observe(d):
                got = wall_boards(d)
                return {b: (norm(v["title"] or ""), {c: x["inDom"] for c, x in v["cols"].items() if x["inDom"]}) for b, v in got.items()}
            want = {}
            for b in boards:
                counts = {}
                for column, _ in expected[b]:
                    counts[column] = counts.get(column, 0) + 1
                want[b] = (norm(boards[b]["title"]), counts)
            until(wall, observe, want, f"{what}: the projector does not show every board's cards under its title")
            assert [e.get_attribute("data-board") for e in finds(wall, f'{BOARD} [data-testid="projector-board"]')] == order
            assert_wall_fits(wall, what)
            open_kinds = set(phases[phase_now[0]]["open"])
            for b, v in wall_boards(wall).items():
                for column, x in v["cols"].items():
                    kind = next(c["kind"] for c in boards[b]["columns"] if c["id"] == column)
                    if kind in open_kinds and x["inDom"]:
                        assert x["shown"] >= 1 and x["shown"] + x["more"] == x["inDom"], \
                            f"{what}: {boards[b]['title']} / {column}: {x['shown']} shown + {x['more']} counted ≠ {x['inDom']} cards"

        def expect_devices(what, phase, moved=False):
            for name, d in devices.items():
                board = boards[seat[group_of[name]]]
                until(d, lambda d: (norm(text_of(find(d, '[data-testid="board-title"]')).strip()),
                                    norm(text_of(find(d, '[data-testid="board-theme"]')).strip()),
                                    find(d, '[data-testid="phase"]').get_attribute("data-phase")),
                      (norm(board["title"]), norm(board["theme"]), phase),
                      f"{what}: {name}'s screen does not show the board their group sits at (title, theme, phase)")
                until(d, lambda d: norm(text_of(find(d, '[data-testid="instructions-text"]'))), norm(phases[phase]["instructions"]),
                      f"{what}: {name}'s screen does not show the phase's instructions")
                want = {}
                for column, text in expected[board["id"]]:
                    want.setdefault(column, []).append(text)
                until(d, board_card_texts, {c: sorted(t) for c, t in want.items()},
                      f"{what}: {name}'s board does not hold exactly its board's cards")
                if moved:
                    until(d, lambda d: ("Vous avez changé de table" in norm(text_of(find(d, '[data-testid="moved-notice"]')))
                                        and norm(board["title"]) in norm(text_of(find(d, '[data-testid="moved-notice"]')))
                                        and find(d, '[data-testid="moved-notice"]').is_displayed()), True,
                          f"{what}: {name} was not told visibly \"Vous avez changé de table\" with the new board's title")

        phase_now = ["problems"]
        wait(fac, lambda d: len(finds(d, '[data-testid="participant-row"]')) == CROWD + len(BROWSER_PEOPLE), SLOW,
             "the console does not list the 69 people")
        expect_console("joined")
        expect_devices("joined", "problems")

        # --- Phase 1, problems: a card from each phone and the laptop, one from each of the 65.
        for i, (name, d) in enumerate(devices.items()):
            text = f"{PROBLEMS[i % len(PROBLEMS)]} (vu par {name})"
            write_card(d, "problems", text)
            expected[seat[group_of[name]]].append(("problems", text))

        async def problem(p):
            text = f"{PROBLEMS[crowd.people.index(p) % len(PROBLEMS)]} (constat de {p.name})"
            board = seat[p.you["group"]]
            answer = await p.request({"type": "card.add", "board": board, "column": "problems", "text": text})
            assert answer["type"] == "ack", (p.name, answer)
            return answer["result"]["card"], board, text
        for card_id, board, text in crowd.each(problem):
            acked[card_id] = (board, "problems", text)
            expected[board].append(("problems", text))
        expect_console("phase 1, problems written")
        expect_devices("phase 1, problems written", "problems")
        expect_wall("phase 1, problems written")

        # --- Rotation, from the console's button: each group to the next board of the plan's order.
        click(visible(fac, '[data-testid="rotation-advance"]'))
        confirm(fac)
        seat = {g: order[(order.index(b) + 1) % len(order)] for g, b in seat.items()}
        until(fac, lambda d: {b["group"]: b["id"] for b in snapshot(server, workshop)["boards"]}, seat,
              "the server did not seat each group at the next board of the plan's rotation")
        expect_devices("after the rotation", "problems", moved=True)
        expect_console("after the rotation")
        expect_wall("after the rotation")
        # The console's people list names each person's table by the board they sit at now.
        for name in devices:
            row = next(r for r in finds(fac, '[data-testid="participant-row"]') if name in text_of(r.find_element(By.CSS_SELECTOR, "th")))
            chosen = Select(row.find_element(By.CSS_SELECTOR, '[data-testid="assign-select"]')).first_selected_option.text
            assert norm(chosen) == norm(boards[seat[group_of[name]]]["title"]), f"the console seats {name} at {chosen!r}"

        # A countdown from the console, run out in phase 1: "temps écoulé" on every screen...
        click(visible(fac, '[data-testid="timer-minutes"]'))
        find(fac, '[data-testid="timer-minutes"]').clear()
        find(fac, '[data-testid="timer-minutes"]').send_keys("0")
        find(fac, '[data-testid="timer-seconds"]').clear()
        find(fac, '[data-testid="timer-seconds"]').send_keys("2")
        find(fac, '[data-testid="timer-label"]').send_keys("Écriture individuelle")
        click(find(fac, '[data-testid="timer-start"]'))
        timers = [(fac, '[data-testid="console-timer"]'), (wall, '[data-testid="projector-timer"]')] + \
                 [(d, '[data-testid="timer"]') for d in devices.values()]
        for d, css in timers:
            wait(d, lambda d: find(d, css).is_displayed() and "temps écoulé" in text_of(find(d, css)), SLOW,
                 f"{css}: the countdown's end is not shown")

        # --- Phase 2, ideas (from the console, confirmed): the ended countdown does not follow.
        click(phase_button(fac, phases["ideas"]["title"]))
        confirm(fac)
        phase_now[0] = "ideas"
        for d, css in timers:
            wait(d, lambda d: find(d, '[data-testid="phase"]').get_attribute("data-phase") == "ideas", SLOW)
            assert not find(d, css).is_displayed(), f"{css}: the phase 1 countdown follows the room into phase 2"
            assert "temps écoulé" not in d.find_element(By.TAG_NAME, "body").text
        assert snapshot(server, workshop)["timer"] is None

        # A message and a countdown for the ideas, from the console; "+1 min" lengthens it everywhere.
        message = "Votez pour les idées des autres : 5 votes chacun."
        click(visible(fac, '[data-testid="announce-text"]'))
        find(fac, '[data-testid="announce-text"]').send_keys(message)
        click(find(fac, '[data-testid="announce-send"]'))
        for d, css in [(wall, '[data-testid="projector-announcement"]')] + [(d, '[data-testid="announcement"]') for d in devices.values()]:
            wait(d, lambda d: find(d, css).is_displayed() and message in norm(text_of(find(d, css))), SLOW, f"{css}: the message is not shown")
        for field, value in (("timer-minutes", "5"), ("timer-seconds", "0")):
            find(fac, f'[data-testid="{field}"]').clear()
            find(fac, f'[data-testid="{field}"]').send_keys(value)
        find(fac, '[data-testid="timer-label"]').clear()
        find(fac, '[data-testid="timer-label"]').send_keys("Idées")
        click(find(fac, '[data-testid="timer-start"]'))
        for d, css in timers:
            wait(d, lambda d: 0 < seconds_shown(d, css) <= 300, SLOW, f"{css}: the 5-minute countdown is not shown")
        click(visible(fac, '[data-testid="timer-add"]'))
        for d, css in timers:
            wait(d, lambda d: seconds_shown(d, css) > 300, SLOW, f"{css}: \"+1 min\" did not lengthen the countdown")

        for i, (name, d) in enumerate(devices.items()):
            text = f"{IDEAS[i % len(IDEAS)]} (proposé par {name})"
            write_card(d, "ideas", text)
            expected[seat[group_of[name]]].append(("ideas", text))
        ideas_of = {}  # person's name -> their idea's card id

        async def idea(p):
            text = f"{IDEAS[crowd.people.index(p) % len(IDEAS)]} (idée de {p.name})"
            board = seat[p.you["group"]]
            answer = await p.request({"type": "card.add", "board": board, "column": "ideas", "text": text})
            assert answer["type"] == "ack", (p.name, answer)
            return p.name, answer["result"]["card"], board, text
        for name, card_id, board, text in crowd.each(idea):
            acked[card_id] = (board, "ideas", text)
            ideas_of[name] = card_id
            expected[board].append(("ideas", text))
        expect_console("phase 2, ideas written")
        expect_devices("phase 2, ideas written", "ideas")
        expect_wall("phase 2, ideas written")

        # The vote. At each board, the crowd's members in name order: member j puts one dot on the
        # ideas of members 0 … min(j, 5) - 1 (never their own), so the first ideas lead, distinctly.
        votes = {}  # card id -> acknowledged dots
        plan = {}
        for g, names in members.items():
            ws_names = [n for n in names if n in ideas_of]
            for j, n in enumerate(ws_names):
                plan[n] = [ideas_of[m] for m in ws_names[:min(j, 5)]]
        problem_card = next(c for c, (_, column, _) in acked.items() if column == "problems")

        async def vote(p):
            refused = []
            if p is crowd.people[0]:  # the server says no to a dot on one's own idea, and on a problem
                refused.append((await p.request({"type": "vote.cast", "card": ideas_of[p.name]}))["code"])
                refused.append((await p.request({"type": "vote.cast", "card": problem_card}))["code"])
            done = []
            for card_id in plan[p.name]:
                answer = await p.request({"type": "vote.cast", "card": card_id})
                assert answer["type"] == "ack", (p.name, answer)
                done.append(card_id)
            return refused, done
        results = crowd.each(vote)
        assert results[0][0] == ["forbidden", "phase"], f"refusals on one's own idea and on a problem card: {results[0][0]}"
        for _, done in results:
            for card_id in done:
                votes[card_id] = votes.get(card_id, 0) + 1
        voters = sum(1 for _, done in results if done)

        # A phone and the laptop vote from the screen: "Voter" only on other people's ideas.
        for name in ("Sébastien Morel", "Claire Dumont"):
            d = devices[name]
            own = next(t for c, t in expected[seat[group_of[name]]] if c == "ideas" and name in t)
            wait(d, lambda d: card_li(d, own) is not None and "card--pending" not in card_li(d, own).get_attribute("class"), SLOW)
            assert card_li(d, own).find_elements(By.CSS_SELECTOR, '[data-testid="card-vote"]') == [], f"{name}: a vote button on their own idea"
            assert d.find_elements(By.CSS_SELECTOR, 'section[data-column="problems"] [data-testid="card-vote"]') == [], \
                f"{name}: a vote button on a problem card in the ideas phase"
            group_names = [n for n in members[group_of[name]] if n in ideas_of]
            target_name = group_names[-1]  # the last of the table: no dot from the crowd
            target = acked[ideas_of[target_name]][2]
            click(wait(d, lambda d: card_li(d, target).find_element(By.CSS_SELECTOR, '[data-testid="card-vote"]'), SLOW))
            wait(d, lambda d: text_of(card_li(d, target).find_element(By.CSS_SELECTOR, '[data-testid="my-votes"]')).strip().endswith("1"), SLOW,
                 f"{name}: the dot is not shown as placed")
            votes[ideas_of[target_name]] = votes.get(ideas_of[target_name], 0) + 1
            voters += 1
        said = f"{voters} personnes ont voté"
        until(fac, lambda d: said in norm(text_of(find(d, '[data-testid="overview-voters"]'))), True,
              f"the console does not say {said!r}")
        for name, d in devices.items():
            until(d, lambda d: said in norm(text_of(find(d, '[data-testid="vote-status"]'))), True, f"{name}'s screen does not say {said!r}")

        # "Clore le vote" from the console: no more voting anywhere, a late dot is refused.
        click(visible(fac, '[data-testid="close-votes"]'))
        confirm(fac)
        for name, d in devices.items():
            until(d, lambda d: "Vote clos" in norm(text_of(find(d, '[data-testid="vote-status"]'))) and finds(d, '[data-testid="card-vote"]') == [],
                  True, f"{name}'s screen still offers a vote after the close")

        async def late(p):
            return (await p.request({"type": "vote.cast", "card": ideas_of[crowd.people[-1].name]}))
        late_answer = crowd.do(late(crowd.people[1]))
        assert late_answer["type"] == "error" and late_answer["code"] == "phase", late_answer

        # The vote is over: "Retirer le message" takes it off every screen; the countdown is stopped.
        click(visible(fac, '[data-testid="announcement-withdraw"]'))
        for d, css in [(wall, '[data-testid="projector-announcement"]')] + [(d, '[data-testid="announcement"]') for d in devices.values()]:
            wait(d, lambda d: not find(d, css).is_displayed(), SLOW, f"{css}: the withdrawn message is still shown")
        click(visible(fac, '[data-testid="timer-stop"]'))
        for d, css in timers:
            wait(d, lambda d: not find(d, css).is_displayed(), SLOW, f"{css}: the stopped countdown is still shown")

        # Until the reveal a dot reaches its voter alone (not even the count).
        for p in crowd.people:
            others = [e for e in p.events if e["type"] in ("vote.cast", "vote.retracted", "votes.revealed") and e.get("by") != p.you["participant"]]
            assert others == [], f"{p.name} was told of someone else's vote before the reveal: {others[:2]}"

        # The reveal from the console; the projector's results, ranked by the dots acknowledged.
        click(visible(fac, '[data-testid="reveal-votes"]'))
        confirm(fac)
        show_on_wall(fac, "results")
        ranked = sorted(votes.values(), reverse=True)

        def ranking(d):
            items = [e for e in finds(d, '[data-testid="projector-rank-item"]') if e.is_displayed()]
            return [(e.get_attribute("data-card"), int(e.get_attribute("data-votes"))) for e in items]
        wait(wall, lambda d: len(ranking(d)) >= 3, SLOW, "no ranked results on the projector after the reveal")
        shown = ranking(wall)
        assert [v for _, v in shown] == ranked[:len(shown)], f"the results are not ranked by votes: {shown}"
        for card_id, v in shown:
            assert votes.get(card_id) == v, f"{card_id}: {v} votes on the wall, {votes.get(card_id)} acknowledged"
        assert_wall_fits(wall, "results")
        # Each screen shows the revealed count on its board's cards.
        for name, d in devices.items():
            want = {acked[c][2]: v for c, v in votes.items() if acked[c][0] == seat[group_of[name]]}
            until(d, lambda d: {t: norm(text_of(card_li(d, t).find_element(By.CSS_SELECTOR, '[data-testid="vote-count"]'))) for t in want},
                  {t: f"{v} vote{'s' if v > 1 else ''}" for t, v in want.items()}, f"{name}'s screen does not show the revealed counts")
        final = snapshot(server, workshop)
        assert {c["id"]: c["votes"] for c in final["cards"] if c.get("votes")} == votes, "the revealed counts are not the dots acknowledged"
        show_on_wall(fac, "all")

        # --- Phase 3, projects: two sheets written at two tables, one marked ready from the console.
        click(phase_button(fac, phases["projects"]["title"]))
        confirm(fac)
        phase_now[0] = "projects"
        expect_devices("phase 3", "projects")
        expect_wall("phase 3")
        laptop, laptop_name = devices["Claire Dumont"], "Claire Dumont"
        sheet_a = "Une plateforme de recrutement partagée"
        click(visible(laptop, '[data-testid="project-new"]'))
        visible(laptop, 'dialog[open] [data-testid="dialog-title"]').send_keys(sheet_a)
        confirm(laptop)
        summary = visible(laptop, '[data-testid="project-editor"] [data-testid="project-summary"]')
        summary.send_keys("Les SIAE du bassin recrutent ensemble, avec les entreprises.")
        click(find(laptop, '[data-testid="project-save"]'))
        wait(laptop, lambda d: "Fiche enregistrée" in text_of(find(d, '[data-testid="project-editor"]')), SLOW, "the laptop's sheet was not saved")
        board_a = seat[group_of[laptop_name]]

        writer = next(p for p in crowd.people if seat[p.you["group"]] != board_a)
        board_b = seat[writer.you["group"]]
        sheet_b = "Un fonds d'avance entre SIAE"
        orientation = final["orientations"][0]["id"]
        problem_b = next(c for c, (b, column, _) in acked.items() if b == board_b and column == "problems")

        async def write_sheet(p):
            created = await p.request({"type": "project.create", "board": board_b, "title": sheet_b})
            assert created["type"] == "ack", created
            project = created["result"]["project"]
            fields = {"summary": "Avancer la trésorerie des SIAE en attendant les subventions.", "problems": [problem_b],
                      "cooperation": "siae", "orientation": orientation, "lead": {"name": "ACI Le Pont", "actor": "aci"},
                      "territory": "Le Creusot-Montceau", "support": {"methodological": True, "expertise": 8000},
                      "contact": {"name": "Camille Salle00", "email": "contact@aci-le-pont.fr", "phone": ""},
                      # What the default plan's call needs besides (sessions/iae-saone-et-loire.yaml).
                      "constats": ["fragilite-financiere"], "partners": [{"name": "EI Bâtir", "actor": "ei"}],
                      "totalBudget": 50000, "cofinancing": [{"funder": "Région", "amount": 10000, "status": "planned"}],
                      "durationMonths": 18, "startDate": "2027-01-04", "outcomes": {"peopleSupported": 30},
                      "nextActions": [{"action": "Réunir les trésoriers", "owner": "Camille Salle00", "due": "2027-01-10"}]}
            fields["support"] = dict(fields["support"], methodologicalNeed="Monter le fonds.", expertisePurpose="Une étude financière.")
            updated = await p.request({"type": "project.update", "project": project, "version": 1, "fields": fields})
            assert updated["type"] == "ack", updated
            return project
        project_b = crowd.do(write_sheet(writer))

        def console_sheets(d):
            return {norm(text_of(li.find_element(By.CSS_SELECTOR, "h3"))): norm(text_of(li.find_element(By.CSS_SELECTOR, '[data-testid="project-status"]')))
                    for li in finds(d, '[data-testid="console-project"]')}
        until(fac, console_sheets, {norm(sheet_a): "Brouillon", norm(sheet_b): "Brouillon"}, "the console does not list the two sheets")
        for li in finds(fac, '[data-testid="console-project"]'):
            title = norm(text_of(li.find_element(By.CSS_SELECTOR, "h3")))
            board = board_a if title == norm(sheet_a) else board_b
            assert norm(boards[board]["title"]) in norm(text_of(li)), f"the console does not name {title!r} by its board"
        ready = next(li for li in finds(fac, '[data-testid="console-project"]') if li.get_attribute("data-project") == project_b)
        click(ready.find_element(By.CSS_SELECTOR, '[data-testid="project-ready"]'))
        until(fac, console_sheets, {norm(sheet_a): "Brouillon", norm(sheet_b): "Prête"}, "the sheet was not marked ready")
        # Each screen: its table's sheet in the board's project column, the other table's below the board.
        def sheets_in_place(d, mine):
            column = {norm(text_of(e)) for e in finds(d, '[data-testid="board"] section[data-column="projects"] [data-testid="sheet-title"]')}
            panel = norm(text_of(find(d, '[data-testid="projects-panel"]')))
            return all(norm(s) in column if b == mine else norm(s) in panel and norm(s) not in column
                       for s, b in ((sheet_a, board_a), (sheet_b, board_b)))
        for name, d in devices.items():
            until(d, lambda d, mine=seat[group_of[name]]: sheets_in_place(d, mine), True,
                  f"{name} does not see both sheets, each in its place")

        # The projector, projects mode: both sheets, nothing cut.
        show_on_wall(fac, "projects")
        until(wall, lambda d: sorted(norm(text_of(e.find_element(By.CSS_SELECTOR, "h3"))) for e in finds(d, '[data-testid="projector-sheet"]') if e.is_displayed()),
              sorted([norm(sheet_a), norm(sheet_b)]), "the projector does not show the two sheets")
        assert_wall_fits(wall, "project sheets")
        expect_console("phase 3")

        # --- The synthesis: each board's cards under the board's own title, both sheets in it.
        md = export_md(server, workshop)
        sections = md_sections(md)
        for b in boards:
            heading = md_escape(boards[b]["title"])
            assert heading in sections, f"no section {heading!r} in the synthesis: {list(sections)}"
            lines = sections[heading]
            for column, text in expected[b]:
                assert any(line.startswith(f"- {md_escape(text)}") for line in lines), \
                    f"{text!r} is not under its board {boards[b]['title']!r} in the synthesis"
            for other in boards:
                if other != b:
                    for _, text in expected[other]:
                        if "(" in text:  # ours are unique; the plan's seeds may repeat a theme
                            assert not any(line.startswith(f"- {md_escape(text)}") for line in lines), \
                                f"{text!r} of {boards[other]['title']!r} is under {boards[b]['title']!r} in the synthesis"
        for title, board, status in ((sheet_a, board_a, "Brouillon"), (sheet_b, board_b, "Prête")):
            assert any(line.startswith(f"#### {md_escape(title)}") for line in sections[md_escape(boards[board]["title"])]), \
                f"the sheet {title!r} is not under its board in the synthesis"

        # --- Nothing acknowledged is lost: every card in a fresh facilitator snapshot, as sent.
        final = snapshot(server, workshop)
        there = {c["id"]: (c["board"], c["column"], c["text"]) for c in final["cards"]}
        lost = {c: v for c, v in acked.items() if there.get(c) != v}
        assert not lost, f"{len(lost)} acknowledged cards missing or changed: {list(lost.items())[:5]}"
        assert sorted((c["board"], c["column"], c["text"]) for c in final["cards"]) == \
            sorted((b, column, text) for b in boards for column, text in expected[b])
        assert {p["title"]: p["status"] for p in final["projects"]} == {sheet_a: "draft", sheet_b: "ready"}
        assert all(p.closed is None for p in crowd.people), "a participant's connection was closed"
        # ... and everyone connected was told of every card, live (the crowd joined before the first).
        everything = {c["id"] for c in final["cards"] if c["id"] not in {c["id"] for c in w0["cards"]}}
        for p in crowd.people:
            told = {e["card"]["id"] for e in p.events if e["type"] == "card.added"}
            assert told == everything, f"{p.name} was not told of {len(everything - told)} cards"
        for d in [fac, wall, *devices.values()]:
            assert js_errors(d) == []
    finally:
        crowd.close()
    print(f"whole agenda: {time.monotonic() - started:.1f} s")
