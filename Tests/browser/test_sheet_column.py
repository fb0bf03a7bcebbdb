"""Issue 12, "One idea of a project" and "Sheet errors at the field". A board's project column is
the table's project sheets: live, with "Nouvelle fiche projet" (no card form) while the table may
write them, each sheet's editor opening right under its item; the console's mini boards and the
projector show the sheets there too; cards an older journal left in the column stay, read-only.
A refused project.update marks each faulty input (the server's `fieldErrors`), in French or in
English. axe on each page."""
import os
import sqlite3
import tempfile

from selenium.webdriver.common.by import By

from .conftest import ADMIN_TOKEN, Client, Server, create_workshop, facilitator_commands, free_port, run, snapshot
from .pages import (active, click, confirm, find, finds, join, js_errors, open_console, open_projector, text_of,
                    visible, wait)
from .test_pages import axe_violations

PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True}
PROJECTS = 'section[data-column="projects"]'
EDITOR = '[data-testid="project-editor"]'


def emulate_phone(driver):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})


def seat_of(server, workshop, name):
    """(participant, board) of the person called `name`."""
    w = snapshot(server, workshop)
    person = next(p for p in w["participants"] if p["name"] == name)
    return person, next(b for b in w["boards"] if b["group"] == person["group"])


def sheet_titles(driver, scope):
    return [text_of(e) for e in finds(driver, f'{scope} [data-testid="sheet-title"]')]


def tab_count(driver, column):
    return text_of(find(driver, f'[data-tab-column="{column}"] .column-tab__count'))


def test_the_project_column_is_the_tables_sheets(live_server, workshop, browsers):
    phone = browsers.new(width=360, height=740)
    emulate_phone(phone)
    join(phone, workshop, "Alice Martin")
    alice, board = seat_of(live_server, workshop, "Alice Martin")

    # Before the project phase the column only reads: no sheet yet, and when they are written.
    click(find(phone, '[data-tab-column="projects"]'))
    column = visible(phone, PROJECTS)
    wait(phone, lambda d: "Aucune fiche projet pour l’instant." in text_of(find(d, PROJECTS)))
    assert "De l'idée au projet" in text_of(find(phone, f'{PROJECTS} [data-testid="sheets-closed"]'))
    assert not finds(phone, f'{PROJECTS} [data-testid="project-new"]')

    # The project phase: the column comes first on the phone, with "Nouvelle fiche projet" and no card form.
    facilitator_commands(live_server, workshop, {"type": "phase.set", "phase": "projects"})
    new = visible(phone, f'{PROJECTS} [data-testid="project-new"]')
    assert text_of(new) == "Nouvelle fiche projet"
    assert find(phone, '[data-tab-column="projects"]').get_attribute("aria-pressed") == "true"
    column = find(phone, PROJECTS)
    assert column.find_elements(By.CSS_SELECTOR, '[data-testid="add-card-form"], textarea') == []
    assert "Écrivez une idée" not in phone.execute_script(
        "return [...arguments[0].querySelectorAll('[placeholder]')].map((e) => e.placeholder).join(' ')", column)
    assert tab_count(phone, "projects") == "0"

    # Bruno, at the same table, creates a sheet from his own device: it shows at once.
    async def bruno_creates():
        bruno = await Client.connect(live_server.ws_url)
        welcome = await bruno.request({"type": "join", "code": workshop["joinCode"], "name": "Bruno Petit",
                                       "actor": "ei", "group": alice["group"]})
        assert welcome["you"]["group"] == alice["group"], welcome["you"]
        created = await bruno.request({"type": "project.create", "board": board["id"], "title": "Garage solidaire"})
        assert created["type"] == "ack", created
        await bruno.close()
    run(bruno_creates())
    wait(phone, lambda d: sheet_titles(d, PROJECTS) == ["Garage solidaire"], message="Bruno's sheet is not in the column")
    item = find(phone, f'{PROJECTS} [data-testid="project-item"]')
    assert text_of(item.find_element(By.CSS_SELECTOR, '[data-testid="project-status"]')) == "Brouillon"
    assert "0 soutien" in text_of(item) and "Bruno Petit" in text_of(item)
    assert tab_count(phone, "projects") == "1"

    # "Nouvelle fiche projet": the new sheet opens right under its item, the focus on its editor.
    click(find(phone, f'{PROJECTS} [data-testid="project-new"]'))
    visible(phone, 'dialog[open] [data-testid="dialog-title"]').send_keys("Épicerie mobile")
    confirm(phone)
    editor = visible(phone, f'{PROJECTS} [data-testid="project-item"] {EDITOR}')
    owner = phone.execute_script("return arguments[0].closest('[data-testid=project-item]').querySelector('[data-testid=sheet-title]').textContent", editor)
    assert owner == "Épicerie mobile"
    wait(phone, lambda d: "project-editor__title" in (active(d).get_attribute("class") or ""), message="the focus is not on the sheet's editor")
    assert "Épicerie mobile" in text_of(active(phone))
    wait(phone, lambda d: tab_count(d, "projects") == "2")
    assert sheet_titles(phone, PROJECTS) == ["Garage solidaire", "Épicerie mobile"]
    opened = find(phone, f'{PROJECTS} [data-project="{editor.get_attribute("data-project")}"] [data-testid="project-open"]')
    assert opened.get_attribute("aria-expanded") == "true"
    assert phone.execute_script("return document.documentElement.scrollWidth <= innerWidth + 1"), "the phone scrolls sideways"
    problems = axe_violations(phone, "phone, the project column with a sheet open")
    # The sheets are the table's: the panel below the board does not list them again.
    assert not finds(phone, '[data-testid="projects-panel"] [data-testid="project-item"]')
    assert not find(phone, '[data-testid="projects-panel"]').is_displayed()

    # The console's mini board and the projector show the sheets in the project column.
    fac = browsers.new(width=1440, height=900)
    open_console(fac, workshop)
    mini = f'[data-testid="mini-board"][data-board="{board["id"]}"] {PROJECTS}'
    wait(fac, lambda d: sheet_titles(d, mini) == ["Garage solidaire Brouillon", "Épicerie mobile Brouillon"],
         message="the console's mini board does not list the sheets")
    assert not finds(fac, f'{mini} [data-testid="card"]')
    problems += axe_violations(fac, "console with sheets in a mini board")
    wall = browsers.new(width=1920, height=1080)
    open_projector(wall, workshop)
    column_on_wall = f'[data-testid="projector-board"][data-board="{board["id"]}"] {PROJECTS}'
    wait(wall, lambda d: [text_of(e) for e in finds(d, f'{column_on_wall} [data-testid="projector-sheet-title"]')]
         == ["Garage solidaire", "Épicerie mobile"], message="the projector does not show the sheets")
    assert [text_of(e) for e in finds(wall, f'{column_on_wall} [data-testid="projector-sheet-status"]')] == ["Brouillon", "Brouillon"]
    problems += axe_violations(wall, "projector with sheets in a project column")
    assert problems == [], "\n".join(problems)
    for d in (phone, fac, wall):
        assert js_errors(d) == []


def invalid_inputs(driver):
    """[(testid, [visible texts of what aria-describedby names])] of the editor's controls marked aria-invalid."""
    return driver.execute_script("""
        return [...document.querySelectorAll('[data-testid=project-editor] [aria-invalid=true]')].map((c) => [
          c.dataset.testid || c.tagName.toLowerCase(),
          (c.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean).map((id) => document.getElementById(id))
            .filter((n) => n && !n.hidden && n.offsetParent !== null).map((n) => n.textContent)]);
    """)


def message_beside(driver, testid):
    """The text of the error right after an input, when aria-describedby names it."""
    return driver.execute_script("""
        const input = document.querySelector(`[data-testid=project-editor] [data-testid=${arguments[0]}]`);
        const next = input.nextElementSibling;
        return next && next.dataset.testid === 'project-field-error'
          && (input.getAttribute('aria-describedby') || '').split(' ').includes(next.id) ? next.textContent : null;
    """, testid)


def field(driver, name):
    return find(driver, f'{EDITOR} [data-testid="project-{name}"]')


def sheet(server, workshop, project):
    return next(p for p in snapshot(server, workshop)["projects"] if p["id"] == project)


def open_sheet(driver):
    click(visible(driver, f'{PROJECTS} [data-testid="project-open"]'))
    return visible(driver, EDITOR)


def test_faulty_values_are_marked_at_their_inputs(live_server, workshop, browsers):
    laptop = browsers.new(width=1280, height=800)
    join(laptop, workshop, "Alice Martin")
    _, board = seat_of(live_server, workshop, "Alice Martin")
    facilitator_commands(live_server, workshop, {"type": "phase.set", "phase": "projects"})
    [ack] = facilitator_commands(live_server, workshop, {"type": "project.create", "board": board["id"], "title": "Garage solidaire"})
    project = ack["result"]["project"]
    before = sheet(live_server, workshop, project)
    open_sheet(laptop)

    # A 9-digit SIRET and an e-mail without a domain: exactly those two inputs, each with its message beside it.
    field(laptop, "leadName").send_keys("ACI Le Pont")
    field(laptop, "leadSiret").send_keys("123456789")
    field(laptop, "contactEmail").send_keys("alice@exemple")
    click(find(laptop, '[data-testid="project-save"]'))
    wait(laptop, lambda d: len(invalid_inputs(d)) == 2, message="the two faulty inputs are not marked")
    marked = dict(invalid_inputs(laptop))
    assert set(marked) == {"project-leadSiret", "project-contactEmail"}, marked
    assert any("14 chiffres" in text for text in marked["project-leadSiret"]), marked
    assert any("nom@domaine" in text for text in marked["project-contactEmail"]), marked
    assert "14 chiffres" in message_beside(laptop, "project-leadSiret")
    assert "nom@domaine" in message_beside(laptop, "project-contactEmail")
    assert active(laptop).get_attribute("data-testid") == "project-leadSiret"
    assert sheet(live_server, workshop, project) == before, "the sheet changed on the server"
    problems = axe_violations(laptop, "laptop, a sheet with two faulty inputs")

    # What only the server checks (amounts out of range): its fieldErrors land at the two inputs, in French.
    field(laptop, "leadSiret").clear()
    field(laptop, "contactEmail").clear()
    field(laptop, "expertise").send_keys("999999999")
    field(laptop, "insertionJobs").send_keys("9999999")
    click(find(laptop, '[data-testid="project-save"]'))
    wait(laptop, lambda d: {c for c, _ in invalid_inputs(d)} == {"project-expertise", "project-insertionJobs"},
         message=f"the server's faults are not at their inputs: {invalid_inputs(laptop)}")
    marked = dict(invalid_inputs(laptop))
    assert marked["project-expertise"] == ["« Soutiens demandés à l'appel à projets — Financement d'expertise (montant) » : un nombre entre 0 et 10000000 euros est attendu."], marked
    assert marked["project-insertionJobs"] == ["« Résultats attendus — Emplois d'insertion créés » : un nombre entre 0 et 100000 est attendu."], marked
    assert message_beside(laptop, "project-expertise") and message_beside(laptop, "project-insertionJobs")
    assert "2 champs sont à corriger" in text_of(find(laptop, f'{EDITOR} [data-testid="project-errors"]'))
    assert sheet(live_server, workshop, project) == before, "the sheet changed on the server"
    problems += axe_violations(laptop, "laptop, a sheet refused by the server")

    # In English, the same faults in English.
    click(find(laptop, f'{EDITOR} [data-testid="project-close"]'))
    click(find(laptop, '[data-testid="lang-switch"]'))
    wait(laptop, lambda d: text_of(find(d, f'{PROJECTS} [data-testid="project-open"]')) == "Open the sheet")
    open_sheet(laptop)
    field(laptop, "grant").send_keys("99999999")
    field(laptop, "peopleSupported").send_keys("1000001")
    click(find(laptop, '[data-testid="project-save"]'))
    wait(laptop, lambda d: {c for c, _ in invalid_inputs(d)} == {"project-grant", "project-peopleSupported"},
         message=f"the server's faults are not at their inputs: {invalid_inputs(laptop)}")
    marked = dict(invalid_inputs(laptop))
    assert marked["project-grant"] == ["“Support requested from the call — Grant (amount)”: an amount between 0 and 10,000,000 euros is expected."], marked
    assert marked["project-peopleSupported"] == ["“Expected outcomes — People supported”: a number between 0 and 100,000 is expected."], marked
    assert sheet(live_server, workshop, project) == before
    assert problems == [], "\n".join(problems)
    assert js_errors(laptop) == []


def test_cards_an_older_journal_left_in_the_project_column_stay_read_only(browsers):
    with tempfile.TemporaryDirectory(prefix="atelier-legacy-") as data_dir:
        server = Server(data_dir, free_port(), admin_token=ADMIN_TOKEN).start()
        try:
            workshop = create_workshop(server)
            board = snapshot(server, workshop)["boards"][0]
            facilitator_commands(server, workshop, {"type": "phase.set", "phase": "ideas"})
            facilitator_commands(server, workshop, {"type": "card.add", "board": board["id"], "column": "ideas", "text": "Une piste d'avant les fiches"})
        finally:
            server.stop()
        # Before this version a project column took cards: such a journal is written here by hand.
        db = sqlite3.connect(os.path.join(data_dir, "atelier.sqlite"))
        try:
            rows = db.execute("SELECT seq, payload FROM event WHERE workshop_id = ? AND type = 'card.added'", (workshop["id"],)).fetchall()
            [(seq, payload)] = [(s, p) for s, p in rows if "Une piste d'avant les fiches" in bytes(p).decode()]
            moved = bytes(payload).decode().replace('"column":"ideas"', '"column":"projects"')
            assert moved != bytes(payload).decode(), moved
            db.execute("UPDATE event SET payload = ? WHERE workshop_id = ? AND seq = ?",
                       (moved.encode() if isinstance(payload, bytes) else moved, workshop["id"], seq))
            db.commit()
        finally:
            db.close()
        server = Server(data_dir, server.port, admin_token=ADMIN_TOKEN).start()
        try:
            facilitator_commands(server, workshop, {"type": "phase.set", "phase": "projects"},
                                 {"type": "project.create", "board": board["id"], "title": "Garage solidaire"})
            cards = [c for c in snapshot(server, workshop)["cards"] if c["column"] == "projects"]
            assert [c["text"] for c in cards] == ["Une piste d'avant les fiches"]
            page = browsers.new(width=1280, height=800)
            join(page, workshop, "Alice Martin")
            alice = next(p for p in snapshot(server, workshop)["participants"] if p["name"] == "Alice Martin")
            facilitator_commands(server, workshop, {"type": "participant.assign", "participant": alice["id"], "group": board["group"]})
            wait(page, lambda d: sheet_titles(d, PROJECTS) == ["Garage solidaire"])
            legacy = wait(page, lambda d: next((li for li in finds(d, f'{PROJECTS} [data-testid="card"]')), None))
            assert text_of(legacy.find_element(By.CSS_SELECTOR, '[data-testid="card-text"]')) == "Une piste d'avant les fiches"
            # Read-only: no menu (no move, edit, delete), not draggable, below the sheets under its own heading.
            assert legacy.find_elements(By.CSS_SELECTOR, "button") == [], "a legacy card has actions"
            assert legacy.get_attribute("draggable") == "false"
            heading = find(page, f'{PROJECTS} [data-testid="legacy-cards"]')
            assert heading.is_displayed() and "lecture seule" in text_of(heading)
            assert page.execute_script("""const [sheet, card] = arguments;
                return !!(sheet.compareDocumentPosition(card) & Node.DOCUMENT_POSITION_FOLLOWING)""",
                                       find(page, f'{PROJECTS} [data-testid="project-item"]'), legacy)
            # The idea column's cards cannot be moved into the project column any more.
            facilitator_commands(server, workshop, {"type": "phase.set", "phase": "ideas"})
            facilitator_commands(server, workshop, {"type": "card.add", "board": board["id"], "column": "ideas", "text": "Une idée du jour"})
            idea = wait(page, lambda d: next((li for li in finds(d, 'section[data-column="ideas"] [data-testid="card"]')
                                              if "Une idée du jour" in text_of(li)), None))
            targets = page.execute_script("return [...arguments[0].querySelectorAll('[data-target]')].map((b) => b.dataset.target)", idea)
            assert "projects" not in targets, targets
            problems = axe_violations(page, "a board with a card left in its project column")
            fac = browsers.new(width=1440, height=900)
            open_console(fac, workshop)
            mini = f'[data-testid="mini-board"][data-board="{board["id"]}"] {PROJECTS}'
            wait(fac, lambda d: "Une piste d'avant les fiches" in text_of(find(d, mini)) and sheet_titles(d, mini) == ["Garage solidaire Brouillon"])
            wall = browsers.new(width=1920, height=1080)
            open_projector(wall, workshop)
            wait(wall, lambda d: "Une piste d'avant les fiches" in text_of(find(d, f'[data-testid="projector-board"][data-board="{board["id"]}"] {PROJECTS}')))
            assert problems == [], "\n".join(problems)
            for d in (page, fac, wall):
                assert js_errors(d) == []
        finally:
            server.stop()
