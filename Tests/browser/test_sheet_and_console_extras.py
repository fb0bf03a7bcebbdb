"""Issue 12, the sheet's errors at the field and the console's extras: a refused "ready" marks each
missing field (aria-invalid, a message tied by aria-describedby, the focus on the first one) and the
table sees the checklist; editing a ready sheet asks first; a conflict shows what differs, field by
field; the console's "Projecteur" control drives a projector page in another browser; several
people move to a table at once, landing at the board the menu names. axe on each page touched."""
import datetime
import os
import re
import zoneinfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .conftest import ADMIN_TOKEN, ROOT, Client, Server, create_workshop, facilitator_commands, free_port, run, snapshot
from .sheets import complete_default, fill_sheet
from .pages import (BOARD, active, click, confirm, find, finds, gone, join, js_errors, open_console, open_projector,
                    participant_row, text_of, visible, wait)
from .test_pages import axe_violations

EDITOR = '[data-testid="project-editor"]'


def field(driver, name):
    return find(driver, f'{EDITOR} [data-testid="project-{name}"]')


def scene_with_sheet(live_server, workshop, title="Garage solidaire"):
    """The project phase, one sheet on the first board (title only): (snapshot, board, sheet id)."""
    w = snapshot(live_server, workshop)
    board = w["boards"][0]
    facilitator_commands(live_server, workshop, {"type": "phase.set", "phase": "projects"})
    [ack] = facilitator_commands(live_server, workshop, {"type": "project.create", "board": board["id"], "title": title})
    return w, board, ack["result"]["project"]


def complete_fields(w, board):
    """Every field and rule "ready" needs under the default plan's call."""
    return complete_default(w, board)


# The default plan's required fields, in its form's order (sessions/iae-saone-et-loire.yaml).
READY = ("summary", "problems", "constats", "cooperation", "orientation", "territory", "lead", "totalBudget", "cofinancing",
         "durationMonths", "startDate", "nextActions", "contact")


def sheet(live_server, workshop, project):
    return next(p for p in snapshot(live_server, workshop)["projects"] if p["id"] == project)


def open_participant_sheet(driver):
    item = visible(driver, '[data-testid="project-item"]')
    click(item.find_element(By.CSS_SELECTOR, '[data-testid="project-open"]'))
    return visible(driver, EDITOR)


def invalid_controls(driver):
    """{field: [(testid or tag, describedby texts)]} of the controls marked aria-invalid in the editor."""
    return driver.execute_script("""
        const out = {};
        for (const c of document.querySelectorAll('[data-testid=project-editor] [aria-invalid=true]')) {
          const f = c.closest('[data-field]').dataset.field;
          const texts = (c.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
            .map((id) => document.getElementById(id)).filter((n) => n && !n.hidden && n.offsetParent !== null)
            .map((n) => n.textContent);
          (out[f] ??= []).push([c.dataset.testid || c.tagName.toLowerCase(), texts]);
        }
        return out;
    """)


def test_a_refused_ready_marks_each_missing_field_and_focuses_the_first(live_server, workshop, browsers):
    fac, alice = browsers.new(width=1440, height=900), browsers.new(width=390, height=844)
    w, board, project = scene_with_sheet(live_server, workshop)
    join(alice, workshop, "Alice Martin")
    alice_id = next(p["id"] for p in snapshot(live_server, workshop)["participants"] if p["name"] == "Alice Martin")
    facilitator_commands(live_server, workshop, {"type": "participant.assign", "participant": alice_id, "group": board["group"]})

    # The table sees what "ready" needs while editing, ticked as it fills the sheet in.
    open_participant_sheet(alice)
    checklist = visible(alice, '[data-testid="ready-checklist"]')
    states = lambda d: {li.get_attribute("data-ready"): li.get_attribute("data-state")
                        for li in finds(d, '[data-testid="ready-checklist"] [data-ready]')}
    assert states(alice) == {f: "todo" for f in READY}
    assert f"0 sur {len(READY)}" in text_of(checklist)
    field(alice, "summary").send_keys("Un garage solidaire.")
    wait(alice, lambda d: states(d)["summary"] == "done" and f"1 sur {len(READY)}" in text_of(find(d, '[data-testid="ready-checklist"]')))
    click(find(alice, '[data-testid="project-save"]'))
    wait(alice, lambda d: sheet(live_server, workshop, project)["summary"] == "Un garage solidaire.")
    problems = axe_violations(alice, "phone, a sheet with its ready checklist")

    # A wrong SIRET and an e-mail without a domain: marked at their fields before anything is sent.
    field(alice, "leadName").send_keys("ACI Le Pont")
    field(alice, "leadSiret").send_keys("123456789")
    field(alice, "contactEmail").send_keys("alice@exemple")
    click(find(alice, '[data-testid="project-save"]'))
    wait(alice, lambda d: active(d).get_attribute("data-testid") == "project-leadSiret", message="the focus is not on the SIRET")
    marked = invalid_controls(alice)
    assert [c for c, _ in marked["lead"]] == ["project-leadSiret"] and [c for c, _ in marked["contact"]] == ["project-contactEmail"], marked
    assert any("14 chiffres" in t for t in marked["lead"][0][1]), marked
    assert any("nom@domaine" in t for t in marked["contact"][0][1]), marked
    # Each message sits right under its input; the SIRET keeps its hint too.
    assert alice.execute_script("""return ['leadSiret', 'contactEmail'].every((n) => {
        const input = document.querySelector(`[data-testid=project-editor] [data-testid=project-${n}]`);
        const next = input.nextElementSibling;
        return next && next.dataset.testid === 'project-field-error' && input.getAttribute('aria-describedby').split(' ').includes(next.id);
    })""")
    assert "siret" in field(alice, "leadSiret").get_attribute("aria-describedby").lower()
    assert sheet(live_server, workshop, project)["lead"] is None, "a refused sheet was sent"
    problems += axe_violations(alice, "phone, a sheet with two faulty fields")

    # What only the server checks (a duration outside the plan's 1–60 months): its refusal lands at the field too.
    field(alice, "leadSiret").clear()
    field(alice, "contactEmail").clear()
    field(alice, "durationMonths").send_keys("99")
    click(find(alice, '[data-testid="project-save"]'))
    wait(alice, lambda d: list(invalid_controls(d)) == ["durationMonths"], message="the duration is not marked")
    assert "entre 1 et 60" in " ".join(invalid_controls(alice)["durationMonths"][0][1]), invalid_controls(alice)
    wait(alice, lambda d: active(d).get_attribute("data-testid") == "project-durationMonths")
    field(alice, "durationMonths").clear()
    click(find(alice, '[data-testid="project-save"]'))
    wait(alice, lambda d: (sheet(live_server, workshop, project)["lead"] or {}).get("name") == "ACI Le Pont")
    wait(alice, lambda d: invalid_controls(d) == {})

    # The facilitator marks it ready: refused; the sheet opens with each missing field marked.
    open_console(fac, workshop)
    row = visible(fac, f'[data-testid="console-project"][data-project="{project}"]')
    click(row.find_element(By.CSS_SELECTOR, '[data-testid="project-ready"]'))
    visible(fac, EDITOR)
    # Each missing field, and the fields of each rule not met (some support, some outcome, a way
    # to reach the contact); the lead has a name but no kind of structure yet.
    expected = {"problems", "constats", "cooperation", "orientation", "territory", "lead", "totalBudget", "cofinancing",
                "durationMonths", "startDate", "nextActions", "contact", "support", "outcomes"}
    try:
        wait(fac, lambda d: set(invalid_controls(d)) == expected)
    except Exception:
        raise AssertionError(f"the missing fields are not all marked: {sorted(invalid_controls(fac))}")
    marked = invalid_controls(fac)
    for name, controls in marked.items():
        for control, texts in controls:
            assert texts and any(t.strip() for t in texts), f"{name} ({control}) is not described by a visible message"
    assert "Type de coopération." in marked["cooperation"][0][1]
    assert any("Au moins un soutien est demandé" in t for t in marked["support"][0][1]), marked["support"]
    assert "summary" not in marked, "the summary is filled in"
    # The focus is on the first faulty field in the form's order (the problem cards come first).
    wait(fac, lambda d: active(d).get_attribute("aria-invalid") == "true", message="the focus is not on a faulty field")
    focused = fac.execute_script("return document.activeElement.closest('[data-field]').dataset.field")
    assert focused == "problems", focused
    assert "n’est pas encore prête" in text_of(find(fac, '[data-testid="project-missing"]')) or \
        "type de coopération" in text_of(find(fac, '[data-testid="project-missing"]')).lower()
    problems += axe_violations(fac, "console, a sheet refused as ready with its fields marked")

    # Filled in through the editor (rows added for the groups, dates, choices) and saved, then
    # ready: the marks go with the next save.
    fields = complete_fields(w, board)
    fields.pop("summary")
    fields["lead"] = {"actor": "aci"}
    fill_sheet(fac, w["form"], fields)
    click(find(fac, '[data-testid="project-save"]'))
    wait(fac, lambda d: invalid_controls(d) == {})
    wait(fac, lambda d: sheet(live_server, workshop, project)["territory"] == "Le Creusot-Montceau")
    saved = sheet(live_server, workshop, project)
    assert saved["cofinancing"] == [{"funder": "Région", "amount": 10000, "status": "requested"}], saved["cofinancing"]
    assert saved["nextActions"][0]["due"] == "2027-02-01" and saved["startDate"] == "2027-03-01"
    assert saved["lead"] == {"name": "ACI Le Pont", "actor": "aci"}
    click(find(fac, f'[data-testid="console-project"][data-project="{project}"] [data-testid="project-ready"]'))
    wait(fac, lambda d: sheet(live_server, workshop, project)["status"] == "ready")
    assert problems == [], "\n".join(problems)
    assert js_errors(fac) == [] and js_errors(alice) == []


def test_b_editing_a_ready_sheet_asks_first(live_server, workshop, browsers):
    alice = browsers.new(width=390, height=844)
    w, board, project = scene_with_sheet(live_server, workshop)
    facilitator_commands(live_server, workshop, {"type": "project.update", "project": project, "version": 1, "fields": complete_fields(w, board)})
    facilitator_commands(live_server, workshop, {"type": "project.ready", "project": project})
    join(alice, workshop, "Alice Martin")
    alice_id = next(p["id"] for p in snapshot(live_server, workshop)["participants"] if p["name"] == "Alice Martin")
    facilitator_commands(live_server, workshop, {"type": "participant.assign", "participant": alice_id, "group": board["group"]})

    open_participant_sheet(alice)
    notice = visible(alice, '[data-testid="project-ready-notice"]')
    assert "prête" in text_of(notice)
    field(alice, "territory").send_keys(" Sud")
    click(find(alice, '[data-testid="project-save"]'))
    dialog = visible(alice, "dialog[open]")
    assert "Cette fiche est prête : la modifier la repasse en brouillon. Continuer ?" in text_of(dialog)
    problems = axe_violations(alice, "phone, editing a ready sheet asks first")
    # Cancelled: nothing sent, still ready.
    click(find(alice, 'dialog[open] [data-testid="dialog-cancel"]'))
    gone(alice, "dialog[open]")
    current = sheet(live_server, workshop, project)
    assert current["status"] == "ready" and current["territory"] == "Le Creusot-Montceau"
    # Confirmed: saved, back to draft.
    click(find(alice, '[data-testid="project-save"]'))
    confirm(alice)
    wait(alice, lambda d: sheet(live_server, workshop, project)["territory"] == "Le Creusot-Montceau Sud")
    assert sheet(live_server, workshop, project)["status"] == "draft"
    wait(alice, lambda d: not find(d, '[data-testid="project-ready-notice"]').is_displayed())
    # A draft saves without asking.
    field(alice, "territory").send_keys(" Est")
    click(find(alice, '[data-testid="project-save"]'))
    wait(alice, lambda d: sheet(live_server, workshop, project)["territory"] == "Le Creusot-Montceau Sud Est")
    assert not finds(alice, "dialog[open]")
    assert problems == [], "\n".join(problems)
    assert js_errors(alice) == []


def test_c_a_conflict_shows_which_fields_differ(live_server, workshop, browsers):
    bruno = browsers.new(width=1280, height=900)
    w, board, project = scene_with_sheet(live_server, workshop)
    facilitator_commands(live_server, workshop, {"type": "project.update", "project": project, "version": 1,
                                                 "fields": {"summary": "Le résumé de départ.", "territory": "Autun"}})
    join(bruno, workshop, "Bruno Petit")
    bruno_id = next(p["id"] for p in snapshot(live_server, workshop)["participants"] if p["name"] == "Bruno Petit")
    facilitator_commands(live_server, workshop, {"type": "participant.assign", "participant": bruno_id, "group": board["group"]})
    open_participant_sheet(bruno)
    wait(bruno, lambda d: field(d, "summary").get_attribute("value") == "Le résumé de départ.")

    # Bruno rewrites the summary and the territory; meanwhile the facilitator saves another summary
    # and a type of cooperation.
    field(bruno, "summary").clear()
    field(bruno, "summary").send_keys("La version de Bruno.")
    field(bruno, "territory").clear()
    field(bruno, "territory").send_keys("Chalon-sur-Saône")
    facilitator_commands(live_server, workshop, {"type": "project.update", "project": project, "version": 2,
                                                 "fields": {"summary": "La version de l'animatrice.", "cooperation": "business"}})
    wait(bruno, lambda d: "Modifié entre-temps" in text_of(find(d, f'{EDITOR} [data-field="summary"]')))
    click(find(bruno, '[data-testid="project-save"]'))
    merge = visible(bruno, '[data-testid="project-merge"]')
    diff = merge.find_element(By.CSS_SELECTOR, '[data-testid="merge-diff"]')
    rows = {r.get_attribute("data-diff-field"): (r.get_attribute("data-changed-by"), [text_of(c) for c in r.find_elements(By.CSS_SELECTOR, "th, td")])
            for r in diff.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert set(rows) == {"summary", "territory", "cooperation"}, rows
    assert rows["summary"][0] == "both" and rows["territory"][0] == "me" and rows["cooperation"][0] == "them", rows
    # Field, who, at the start, mine, now.
    assert rows["summary"][1][2:] == ["Le résumé de départ.", "La version de Bruno.", "La version de l'animatrice."], rows["summary"]
    assert rows["territory"][1][2:] == ["Autun", "Chalon-sur-Saône", "Autun"], rows["territory"]
    assert rows["cooperation"][1][3] != rows["cooperation"][1][4]
    assert text_of(diff.find_element(By.CSS_SELECTOR, "caption")).startswith("Ce qui diffère")
    # The choice is still offered for the field both changed, and nothing was overwritten.
    assert field(bruno, "summary").get_attribute("value") == "La version de Bruno."
    assert len(merge.find_elements(By.CSS_SELECTOR, '[data-merge-field]')) == 1
    problems = axe_violations(bruno, "a conflict's differences")
    click(merge.find_element(By.CSS_SELECTOR, '[data-testid="merge-mine"]'))
    click(merge.find_element(By.CSS_SELECTOR, '[data-testid="merge-apply"]'))
    wait(bruno, lambda d: sheet(live_server, workshop, project)["summary"] == "La version de Bruno.")
    current = sheet(live_server, workshop, project)
    assert current["territory"] == "Chalon-sur-Saône" and current["cooperation"] == "business"
    assert problems == [], "\n".join(problems)
    assert js_errors(bruno) == []


def test_d_the_console_drives_the_projector(live_server, workshop, browsers):
    fac, wall = browsers.new(width=1440, height=900), browsers.new(width=1920, height=1080)
    open_console(fac, workshop)
    open_projector(wall, workshop)
    view = lambda d: find(d, "#proj-boards").get_attribute("data-view")
    assert view(wall) == "all"
    control = visible(fac, '[data-testid="projector-control"]')
    assert "Toutes les tables" in text_of(find(fac, '[data-testid="projector-now"]'))

    Select(find(fac, '[data-testid="projector-mode"]')).select_by_value("projects")
    click(find(fac, '[data-testid="projector-show"]'))
    wait(wall, lambda d: view(d) == "projects", message="the projector did not switch to the project sheets")
    assert find(wall, '[data-testid="mode-projects"]').get_attribute("aria-pressed") == "true"
    assert "mode=projects" in wall.current_url
    wait(fac, lambda d: "Fiches projet" in text_of(find(d, '[data-testid="projector-now"]')))
    assert snapshot(live_server, workshop)["projector"]["mode"] == "projects"
    problems = axe_violations(fac, "console with the projector control")
    problems += axe_violations(wall, "projector showing the project sheets")

    # One table at a time, every 10 s: the wall follows the period too.
    Select(find(fac, '[data-testid="projector-mode"]')).select_by_value("rotation")
    Select(visible(fac, '[data-testid="projector-every"]')).select_by_value("10")
    click(find(fac, '[data-testid="projector-show"]'))
    wait(wall, lambda d: view(d) == "rotation")
    assert find(wall, '[data-testid="rotation-every"]').get_attribute("value") == "10"

    # The wall's own toolbar still changes this screen...
    click(find(wall, '[data-testid="projector-tools-toggle"]'))
    click(visible(wall, '[data-testid="mode-results"]'))
    wait(wall, lambda d: view(d) == "results")
    # ...until the console chooses again; and back to every table.
    Select(find(fac, '[data-testid="projector-mode"]')).select_by_value("all")
    click(find(fac, '[data-testid="projector-show"]'))
    wait(wall, lambda d: view(d) == "all", message="the projector did not come back to every table")
    wait(wall, lambda d: len(finds(d, f'{BOARD} [data-testid="projector-board"]')) == len(snapshot(live_server, workshop)["boards"]))

    # A projector opened later starts on the console's choice.
    facilitator_commands(live_server, workshop, {"type": "projector.show", "mode": "projects"})
    wait(wall, lambda d: view(d) == "projects")
    late = browsers.new(width=1920, height=1080)
    # (even one bookmarked on another mode)
    late.get(workshop["facilitatorUrl"].replace("/facilitator.html#", "/projector.html#") + "&mode=all")
    wait(late, lambda d: view(d) == "projects", message="a projector opened later did not show the console's choice")
    sent = wall.execute_script("return window.__atelierSent")
    assert set(sent) <= {"join", "ping"}, f"the projector sent {sent}"
    assert problems == [], "\n".join(problems)
    for d in (fac, wall, late):
        assert js_errors(d) == []


def test_e_bulk_move_lands_people_at_the_board_the_menu_names(live_server, workshop, browsers):
    names = ["Chloé Bulk", "David Bulk", "Emma Bulk", "Farid Reste"]

    async def crowd():
        for i, name in enumerate(names):
            c = await Client.connect(live_server.ws_url)
            welcome = await c.request({"id": f"bulk-{i}", "type": "join", "code": workshop["joinCode"], "name": name, "actor": "ei"})
            assert welcome["type"] == "welcome", welcome
            await c.close()
    run(crowd())
    # After a rotation, groups sit at other boards: the menu names the board each group sits at.
    facilitator_commands(live_server, workshop, {"type": "rotation.advance"})
    w = snapshot(live_server, workshop)
    people = {p["name"]: p for p in w["participants"]}
    target = next(b for b in w["boards"] if b["group"] and b["group"] != people["Chloé Bulk"]["group"])

    fac = browsers.new(width=1440, height=900)
    open_console(fac, workshop)
    wait(fac, lambda d: all(participant_row(d, n) for n in names))
    assert "Cochez des personnes" in text_of(find(fac, '[data-testid="bulk-count"]'))
    assert not find(fac, '[data-testid="bulk-move"]').is_enabled()
    # The destination starts on a table, never on "Sans table" (which would unassign people).
    assert Select(find(fac, '[data-testid="bulk-table"]')).first_selected_option.get_attribute("value") != ""
    for name in names[:3]:
        box = participant_row(fac, name).find_element(By.CSS_SELECTOR, '[data-testid="select-person"]')
        label = fac.execute_script("return document.querySelector(`label[for='${arguments[0].id}']`).textContent", box)
        assert label == f"Sélectionner {name}", label
        click(box)
    wait(fac, lambda d: "3 personnes sélectionnées" in text_of(find(d, '[data-testid="bulk-count"]')))
    Select(find(fac, '[data-testid="bulk-table"]')).select_by_visible_text(target["title"])
    problems = axe_violations(fac, "console, three people selected to move")
    click(find(fac, '[data-testid="bulk-move"]'))

    def landed(_):
        now = {p["name"]: p for p in snapshot(live_server, workshop)["participants"]}
        return all(now[n]["group"] == target["group"] for n in names[:3])
    wait(fac, landed, message="the three people did not land at the board the menu named")
    after = snapshot(live_server, workshop)
    assert {p["name"]: p["group"] for p in after["participants"]}["Farid Reste"] == people["Farid Reste"]["group"]
    board_of = {b["group"]: b["title"] for b in after["boards"] if b["group"]}
    for n in names[:3]:
        assert board_of[target["group"]] == target["title"]
        # Each line's menu now names that board too.
        wait(fac, lambda d, n=n: Select(participant_row(d, n).find_element(By.CSS_SELECTOR, '[data-testid="assign-select"]'))
             .first_selected_option.text == target["title"])
    assert all(not b.is_selected() for b in finds(fac, '[data-testid="select-person"]'))
    assert "Cochez des personnes" in text_of(find(fac, '[data-testid="bulk-count"]'))
    # Select all ticks the lines shown (the search narrows them).
    search = find(fac, '[data-testid="people-search"]')
    search.send_keys("bulk")
    wait(fac, lambda d: len([r for r in finds(d, '[data-testid="participant-row"]') if r.is_displayed()]) == 3)
    click(find(fac, '[data-testid="select-all"]'))
    wait(fac, lambda d: "3 personnes sélectionnées" in text_of(find(d, '[data-testid="bulk-count"]')))
    problems += axe_violations(fac, "console, select all")
    assert problems == [], "\n".join(problems)
    assert js_errors(fac) == []


PLAN_IN_CAYENNE = "America/Cayenne"


@pytest.fixture
def cayenne_server(tmp_path):
    """A server whose only plan is the default one with `timeZone: America/Cayenne` (UTC-3)."""
    plans = tmp_path / "plans"
    plans.mkdir()
    with open(os.path.join(ROOT, "sessions", "iae-saone-et-loire.yaml"), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"^id: .*$", f"id: fuseau-cayenne\ntimeZone: {PLAN_IN_CAYENNE}", text, count=1, flags=re.M)
    (plans / "fuseau.yaml").write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    s = Server(str(data), free_port(), admin_token=ADMIN_TOKEN, extra_args=["--plans", str(plans)]).start()
    try:
        yield s
    finally:
        s.stop()


def test_f_times_in_the_workshops_time_zone(cayenne_server, browsers):
    """The console shows times in the snapshot's timeZone, not in Paris time."""
    workshop = create_workshop(cayenne_server)
    w = snapshot(cayenne_server, workshop)
    assert w["timeZone"] == PLAN_IN_CAYENNE
    fac = browsers.new(width=1440, height=900)
    open_console(fac, workshop)
    board = w["boards"][0]["id"]
    facilitator_commands(cayenne_server, workshop, {"type": "card.add", "board": board, "column": "problems", "text": "Une carte à l'heure de Cayenne"})
    cell = f'[data-testid="overview-row"][data-board="{board}"] [data-testid="overview-activity"]'
    wait(fac, lambda d: ":" in text_of(find(d, cell)))
    shown = text_of(find(fac, cell))
    now = datetime.datetime.now(datetime.timezone.utc)
    expected = {(now - datetime.timedelta(minutes=m)).astimezone(zoneinfo.ZoneInfo(PLAN_IN_CAYENNE)).strftime("%H:%M") for m in (0, 1)}
    paris = {(now - datetime.timedelta(minutes=m)).astimezone(zoneinfo.ZoneInfo("Europe/Paris")).strftime("%H:%M") for m in (0, 1)}
    assert shown in expected and shown not in paris, f"{shown}: not Cayenne time {expected}"
    # An unknown zone falls back to Paris time.
    fallback = fac.execute_async_script("""
        const done = arguments[0];
        import(new URL('js/ui.js', location.href).href).then((ui) => {
          ui.setTimeZone('Not/AZone');
          const zone = ui.TIME_ZONE;
          ui.setTimeZone('America/Cayenne');
          done(zone);
        });
    """)
    assert fallback == "Europe/Paris"
    assert js_errors(fac) == []
