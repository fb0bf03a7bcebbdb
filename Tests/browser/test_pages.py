"""The main pages with a workshop in progress: accessibility (axe-core: no WCAG 2.0/2.1 A or AA
violation), no horizontal scrolling on a 360 px phone, and the screenshots: into a temporary
directory, or into $ATELIER_SCREENSHOTS (`scripts/screenshots` regenerates docs/screenshots/)."""
import importlib.util
import json
import os

import pytest
from selenium.webdriver.common.by import By

from .conftest import Client, create_workshop, facilitator_commands, run, snapshot
from .pages import card, card_action, click, find, join, open_console, open_projector, visible, wait, wait_card

WANTED_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True}
LAPTOP = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
WALL = {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False}
# A few cards for the other tables, so the projector's screenshot looks like a room at work.
OTHER_TABLES = {
    "cooperer": [("problems", "Chaque structure recrute seule ses encadrants techniques", "blue"),
                 ("ideas", "Mutualiser un poste de chargé de développement", "green")],
    "economie-classique": [("problems", "Les entreprises connaissent mal les clauses d'insertion", "pink"),
                           ("ideas", "Des visites croisées SIAE et entreprises du bassin", "yellow")],
    "structurer-secteur": [("ideas", "Un annuaire partagé des SIAE du département", "orange")],
    "partenariat-public": [("problems", "Des dialogues de gestion trop centrés sur les chiffres", "purple"),
                           ("ideas", "Un comité de pilotage annuel ouvert aux têtes de réseau", "blue")],
}


def axe_script():
    """axe-core from an installed pip package (axe-playwright-python ships 4.x), or AXE_SCRIPT."""
    if os.environ.get("AXE_SCRIPT"):
        return open(os.environ["AXE_SCRIPT"], encoding="utf-8").read()
    for package, relative in (("axe_playwright_python", "axe.min.js"),
                              ("axe_selenium_python", os.path.join("node_modules", "axe-core", "axe.min.js"))):
        spec = importlib.util.find_spec(package)
        if spec and spec.submodule_search_locations:
            path = os.path.join(list(spec.submodule_search_locations)[0], relative)
            if os.path.exists(path):
                return open(path, encoding="utf-8").read()
    pytest.fail("axe-core is missing: `pip install --no-deps axe-playwright-python`, or set AXE_SCRIPT to an axe.min.js")


def axe_violations(driver, what):
    """Runs axe on the current page; returns readable violations of the WCAG A/AA tags it knows."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_script())
    version = driver.execute_script("return axe.version")
    if int(version.split(".")[0]) < 4:
        # axe-core 3 counts a visually hidden <label> (the .sr-only pattern) as no label at all.
        pytest.fail(f"axe-core {version} is too old (4 or later needed): `pip install --no-deps axe-playwright-python`, "
                    "or set AXE_SCRIPT to a recent axe.min.js")
    result = driver.execute_async_script("""
        const [wanted, done] = arguments;
        const known = new Set(axe.getRules().flatMap((r) => r.tags));
        const tags = wanted.filter((t) => known.has(t));
        axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
          .then((r) => done({ version: axe.version, tags, violations: r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary) })) }))
          .catch((e) => done({ error: String(e) }));
    """, WANTED_TAGS)
    assert "error" not in result, result
    assert {"wcag2a", "wcag2aa"} <= set(result["tags"]), result
    return [f"{what}: {v['id']} ({v['impact']}) {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in result["violations"]]


def emulate(driver, metrics):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def no_horizontal_scroll(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture(scope="module")
def scene(live_server):
    """A workshop in progress: a table with cards, a cluster, a comment, a project, a timer."""
    w = create_workshop(live_server)

    async def seed():
        p = await Client.connect(live_server.ws_url)
        welcome = await p.request({"type": "join", "code": w["joinCode"], "name": "Camille Roux",
                                   "organisation": "AI Solidarité Bresse", "actor": "ai"})
        group = welcome["you"]["group"]
        board = next(b for b in welcome["workshop"]["boards"] if b["group"] == group)
        seeded = next(c["id"] for c in welcome["workshop"]["cards"] if c["board"] == board["id"])
        ids = []
        for text, color in (("Trésorerie tendue en fin d'année, faute d'avances sur subventions", "pink"),
                            ("Peu de fonds propres pour investir dans du matériel", "orange")):
            ack = await p.request({"type": "card.add", "board": board["id"], "column": "problems", "text": text, "color": color})
            ids.append(ack["result"]["card"])
        await p.request({"type": "cluster.create", "board": board["id"], "title": "Fragilité financière", "cards": [seeded, ids[0]]})
        await p.request({"type": "comment.add", "card": ids[1], "text": "Un fonds de garantie départemental ?"})
        await p.close()
        return group, board
    group, board = run(seed())
    facilitator_commands(live_server, w,
                         {"type": "project.create", "board": board["id"], "title": "Fonds d'avance mutualisé"},
                         {"type": "timer.start", "seconds": 900, "label": "Travail en table"})
    return {"workshop": w, "group": group, "board": board}


def fill_other_tables(live_server, w):
    boards = snapshot(live_server, w)["boards"]
    commands = []
    for board in boards:
        for suffix, cards in OTHER_TABLES.items():
            if board["id"].endswith(suffix):
                commands += [{"type": "card.add", "board": board["id"], "column": column, "text": text, "color": color}
                             for column, text, color in cards]
    facilitator_commands(live_server, w, *commands)


def seat(live_server, scene, name):
    """Moves the browser participant called `name` to the scene's table."""
    pid = next(p["id"] for p in snapshot(live_server, scene["workshop"])["participants"] if p["name"] == name)
    facilitator_commands(live_server, scene["workshop"], {"type": "participant.assign", "participant": pid, "group": scene["group"]})


def test_accessibility(live_server, scene, browsers):
    w = scene["workshop"]
    driver = browsers.new()
    problems = []
    driver.get(live_server.url + "/")
    visible(driver, '[data-testid="code-input"]')
    problems += axe_violations(driver, "home")
    driver.get(w["joinUrl"])
    visible(driver, '[data-testid="join-form"]')
    click(find(driver, '[data-testid="join-submit"]'))  # with its error messages shown
    visible(driver, "#join-name-error")
    problems += axe_violations(driver, "join (errors shown)")

    join(driver, w, "Dominique Lefèvre")
    seat(live_server, scene, "Dominique Lefèvre")
    wait(driver, lambda d: find(d, '[data-testid="board-title"]').text == scene["board"]["title"])
    wait(driver, lambda d: find(d, '[data-testid="timer"]').is_displayed())
    visible(driver, '[data-testid="cluster"]')
    for summary in driver.find_elements(By.CSS_SELECTOR, '[data-testid="board"] details summary'):
        click(summary)
    problems += axe_violations(driver, "board (laptop)")
    click(visible(driver, '[data-testid="project-open"]'))
    visible(driver, '[data-testid="project-form"]')
    problems += axe_violations(driver, "board with a project sheet open")
    card_action(driver, card(driver, "Peu de fonds propres pour investir dans du matériel"), "card-regroup")
    visible(driver, "dialog[open]")
    problems += axe_violations(driver, "board with the regroup dialog")
    click(find(driver, 'dialog[open] [data-testid="dialog-cancel"]'))
    emulate(driver, PHONE)
    problems += axe_violations(driver, "board (phone)")
    emulate(driver, LAPTOP)

    console = browsers.new()
    open_console(console, w)
    wait_card(console, "Peu de fonds propres pour investir dans du matériel", scope='[data-testid="mini-boards"]')
    problems += axe_violations(console, "console")
    click(visible(console, '[data-testid="console-project"] [data-testid="project-open"]'))
    visible(console, '[data-testid="project-form"]')
    click(visible(console, '[data-testid="project-code"]'))
    visible(console, '[data-testid="projection"]')
    problems += axe_violations(console, "console with the projected code")
    click(find(console, '[data-testid="projection-close"]'))

    # The projector view (the console's link opens it) and the accessibility statement.
    wall = browsers.new()
    open_projector(wall, w)
    wait(wall, lambda d: d.execute_script("return document.querySelector('[data-testid=projector-qr]').naturalWidth > 0"))
    visible(wall, '[data-testid="projector-timer"]')
    facilitator_commands(live_server, w, {"type": "announce", "text": "Pause café à 10 h 30"})
    visible(wall, '[data-testid="projector-announcement"]')
    problems += axe_violations(wall, "projector")
    wall.get(live_server.url + "/accessibilite.html")
    visible(wall, '[data-testid="a11y-state"]')
    problems += axe_violations(wall, "accessibility statement")

    # The printable report, as the export gives it (fetched with the facilitator key).
    html = console.execute_async_script("""
        const [id, key, done] = arguments;
        fetch(`/api/workshops/${id}/export?format=html`, { headers: { Authorization: `Bearer ${key}` } })
          .then((r) => r.ok ? r.text() : `status ${r.status}`).then(done, (e) => done(String(e)));
    """, w["id"], w["facilitatorKey"])
    assert html.lstrip().lower().startswith("<!doctype html"), html[:200]
    console.get(live_server.url + "/healthz")
    console.execute_script("document.open(); document.write(arguments[0]); document.close();", html)
    wait(console, lambda d: d.execute_script("return document.readyState") == "complete")
    problems += axe_violations(console, "report (HTML export)")

    assert problems == [], "\n".join(problems)


def test_screenshots_and_phone_layout(live_server, scene, browsers, screenshots):
    w = scene["workshop"]
    phone = browsers.new(width=360, height=740)
    emulate(phone, PHONE)
    phone.get(live_server.url + "/")
    visible(phone, '[data-testid="code-input"]')
    assert no_horizontal_scroll(phone), "home scrolls sideways at 360 px"
    phone.save_screenshot(os.path.join(screenshots, "home.png"))
    phone.get(w["joinUrl"])
    visible(phone, '[data-testid="join-form"]')
    assert no_horizontal_scroll(phone), "join scrolls sideways at 360 px"
    phone.save_screenshot(os.path.join(screenshots, "join.png"))
    join(phone, w, "Élise Garnier", actor="public", organisation="Département")
    seat(live_server, scene, "Élise Garnier")
    wait(phone, lambda d: find(d, '[data-testid="board-title"]').text == scene["board"]["title"])
    visible(phone, '[data-testid="cluster"]')
    facilitator_commands(live_server, w, {"type": "announce", "text": "Pause café à 10 h 30 : reprise à 10 h 45."})
    visible(phone, '[data-testid="announcement"]')
    assert no_horizontal_scroll(phone), "the board scrolls sideways at 360 px"
    phone.execute_script("window.scrollTo(0, 0)")
    phone.save_screenshot(os.path.join(screenshots, "board-phone.png"))

    laptop = browsers.new()
    emulate(laptop, LAPTOP)
    join(laptop, w, "Farid Benali", actor="etti", organisation="ETTI Chalon Intérim")
    seat(live_server, scene, "Farid Benali")
    wait(laptop, lambda d: find(d, '[data-testid="board-title"]').text == scene["board"]["title"])
    visible(laptop, '[data-testid="cluster"]')
    laptop.execute_script("document.querySelectorAll('[data-testid=board] details').forEach((d) => { d.open = true; })")
    laptop.execute_script("window.scrollTo(0, 0)")
    laptop.save_screenshot(os.path.join(screenshots, "board-laptop.png"))

    console = browsers.new()
    emulate(console, LAPTOP)
    open_console(console, w)
    wait_card(console, "Peu de fonds propres pour investir dans du matériel", scope='[data-testid="mini-boards"]')
    console.execute_script("window.scrollTo(0, 0)")
    console.save_screenshot(os.path.join(screenshots, "console-laptop.png"))

    # The projector on a 1920 × 1080 wall, with cards on every table and a message to the room.
    fill_other_tables(live_server, w)
    wall = browsers.new(width=1920, height=1080)
    emulate(wall, WALL)
    open_projector(wall, w)
    facilitator_commands(live_server, w, {"type": "announce", "text": "Pause café à 10 h 30 : reprise à 10 h 45."})
    visible(wall, '[data-testid="projector-announcement"]')
    wait(wall, lambda d: d.execute_script("return document.querySelector('[data-testid=projector-qr]').naturalWidth > 0"))
    wait(wall, lambda d: "Mutualiser un poste de chargé de développement" in d.execute_script(
        "return document.querySelector('[data-testid=projector-boards]').textContent"))
    wall.execute_script("return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    assert wall.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"), "the wall scrolls sideways"
    wall.save_screenshot(os.path.join(screenshots, "projector.png"))
    for name in ("home", "join", "board-phone", "board-laptop", "console-laptop", "projector"):
        assert os.path.getsize(os.path.join(screenshots, f"{name}.png")) > 10_000
