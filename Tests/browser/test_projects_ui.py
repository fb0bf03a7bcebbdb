"""From a cluster to a project sheet: co-editing with a conflict resolved side by side, support,
"mark ready" with what is missing, exports and submission from the console."""
import datetime
import json
import os
import zoneinfo

from selenium.webdriver.common.by import By

from .conftest import facilitator_commands, snapshot
from .pages import click, confirm, find, finds, join, js_errors, open_console, text_of, visible, wait


def editor_field(driver, name):
    return find(driver, f'[data-testid="project-editor"] [data-testid="project-{name}"]')


def test_project_sheet_from_cluster_to_console(live_server, workshop, browsers, tmp_path):
    fac, alice, bruno = browsers.new(), browsers.new(), browsers.new()
    open_console(fac, workshop)
    join(alice, workshop, "Alice Martin")
    join(bruno, workshop, "Bruno Petit")
    w = snapshot(live_server, workshop)
    people = {p["name"]: p for p in w["participants"]}
    group = people["Alice Martin"]["group"]
    board = next(b for b in w["boards"] if b["group"] == group)
    problem = next(c for c in w["cards"] if c["board"] == board["id"])
    facilitator_commands(live_server, workshop,
                         {"type": "participant.assign", "participant": people["Bruno Petit"]["id"], "group": group},
                         {"type": "phase.set", "phase": "ideas"})
    ideas = [a["result"]["card"] for a in facilitator_commands(
        live_server, workshop,
        {"type": "card.add", "board": board["id"], "column": "ideas", "text": "Fonds d'avance entre SIAE"},
        {"type": "card.add", "board": board["id"], "column": "ideas", "text": "Convention avec la Banque des territoires"})]
    facilitator_commands(live_server, workshop,
                         {"type": "cluster.create", "board": board["id"], "title": "Trésorerie partagée", "cards": ideas},
                         {"type": "phase.set", "phase": "projects"})

    # Alice turns the cluster into a sheet: it opens with the cluster's cards as its sources.
    click(visible(alice, '[data-testid="cluster-project"]'))
    title = visible(alice, 'dialog[open] [data-testid="dialog-title"]')
    assert title.get_attribute("value") == "Trésorerie partagée"
    confirm(alice)
    visible(alice, '[data-testid="project-editor"]')
    # The sheet is the board's "Projets" column: it opens right under its line there, and the
    # panel below the board does not list it a second time.
    assert alice.execute_script('''return !!document.querySelector(
        '[data-testid=board] section[data-column=projects] [data-testid=project-item] [data-testid=project-editor]')''')
    assert not finds(alice, '[data-testid="projects-panel"] [data-testid="project-item"]')
    checked = alice.execute_script("""return [...document.querySelectorAll('[data-testid=project-editor] [data-cards=sources] input:checked')]
        .map((i) => i.nextElementSibling.textContent)""")
    assert sorted(checked) == sorted(["Fonds d'avance entre SIAE", "Convention avec la Banque des territoires"])
    for box in finds(alice, '[data-testid="project-editor"] [data-cards="problems"] input'):
        if box.get_attribute("value") == problem["id"]:
            click(box)
    editor_field(alice, "summary").send_keys("Un fonds commun pour avancer la trésorerie des SIAE.")
    editor_field(alice, "territory").send_keys("Le Creusot-Montceau")
    click(find(alice, '[data-testid="project-save"]'))
    wait(alice, lambda d: "Fiche enregistrée" in text_of(find(d, '[data-testid="project-editor"]')))

    # Bruno sees who changed it and opens it; both change the summary; Alice saves first.
    item = visible(bruno, '[data-testid="board"] section[data-column="projects"] [data-testid="project-item"]')
    wait(bruno, lambda d: "modifiée par Alice Martin" in text_of(find(d, '[data-testid="project-item"]')))
    click(item.find_element(By.CSS_SELECTOR, '[data-testid="project-open"]'))
    visible(bruno, '[data-testid="project-editor"]')
    wait(bruno, lambda d: "trésorerie des SIAE" in editor_field(d, "summary").get_attribute("value"))
    for driver, text in ((alice, "Version d'Alice."), (bruno, "Version de Bruno.")):
        editor_field(driver, "summary").clear()
        editor_field(driver, "summary").send_keys(text)
    # Live presence: each sees that the other is in the summary too.
    wait(alice, lambda d: "Bruno Petit modifie ce champ" in text_of(find(d, '[data-testid="project-editor"] [data-field="summary"]')))
    click(find(alice, '[data-testid="project-save"]'))
    wait(alice, lambda d: find(d, '[data-testid="project-save"]').is_enabled())
    wait(bruno, lambda d: "Modifié entre-temps par Alice Martin" in text_of(find(d, '[data-field="summary"]')))
    click(find(bruno, '[data-testid="project-save"]'))
    merge = visible(bruno, '[data-testid="project-merge"]')
    assert "Version de Bruno." in text_of(merge) and "Version d'Alice." in text_of(merge)
    assert editor_field(bruno, "summary").get_attribute("value") == "Version de Bruno.", "Bruno's text was overwritten"
    click(merge.find_element(By.CSS_SELECTOR, '[data-testid="merge-mine"]'))
    click(merge.find_element(By.CSS_SELECTOR, '[data-testid="merge-apply"]'))
    wait(alice, lambda d: editor_field(d, "summary").get_attribute("value") == "Version de Bruno.")
    assert [p["summary"] for p in snapshot(live_server, workshop)["projects"]] == ["Version de Bruno."]

    # Support, seen by the others.
    click(find(bruno, '[data-testid="project-support"]'))
    wait(alice, lambda d: "1 soutien" in text_of(find(d, '[data-testid="project-item"]')))

    # The console: not ready yet (what is missing is listed); exports; submission without pipeline.
    row = visible(fac, '[data-testid="console-project"]')
    click(row.find_element(By.CSS_SELECTOR, '[data-testid="project-ready"]'))
    missing = visible(fac, '[data-testid="project-missing"]')
    assert "Type de coopération" in text_of(missing) and "Structure porteuse" in text_of(missing)
    assert "au moins un soutien est demandé" in text_of(missing).lower(), "the call's rules are listed too"
    click(find(fac, '[data-testid="export-json"]'))
    wait(fac, lambda d: find(d, '[data-testid="export-status"]').get_attribute("data-done") == "json")
    # Named after the workshop's title and the day (Paris time), not its id.
    day = datetime.datetime.now(zoneinfo.ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d")
    path = os.path.join(browsers.download_dir, f"atelier-structurer-et-developper-l-insertion-par-l-activite-economiq-{day}.json")
    wait(fac, lambda d: os.path.exists(path) and os.path.getsize(path) > 0,
         message=f"the JSON export was not downloaded as {path}: {os.listdir(browsers.download_dir)}")
    with open(path, encoding="utf-8") as f:
        assert "Version de Bruno." in json.dumps(json.load(f), ensure_ascii=False)
    click(find(fac, '[data-testid="export-md"]'))
    wait(fac, lambda d: find(d, '[data-testid="export-status"]').get_attribute("data-done") == "md"
         or finds(d, '[data-testid="export-error-text"]'))
    click(find(fac, '[data-testid="submit-webhook"]'))
    confirm(fac)
    error = visible(fac, '[data-testid="submit-error-text"]')
    assert "webhook" in text_of(error).lower()

    for d in (fac, alice, bruno):
        assert js_errors(d) == []
