"""The sheet editor of a workshop made from the second plan (sessions/appel-generique.yaml): its own
fields, sections, help texts, choices and repeated group, filled in by a participant, in French
and in English, with no code of its own (issue 13)."""
import json
import urllib.request

from selenium.webdriver.common.by import By

from .conftest import facilitator_commands, snapshot
from .pages import click, find, finds, join, js_errors, text_of, visible, wait
from .sheets import EDITOR, fill_sheet
from .test_pages import axe_violations


def create_generic(server):
    body = json.dumps({"plan": "appel-generique", "title": "Innovation sociale"}).encode()
    request = urllib.request.Request(server.url + "/api/workshops", data=body, method="POST", headers={
        "Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 201
        return json.load(r)


def test_a_participant_fills_the_second_plans_sheet(live_server, browsers):
    workshop = create_generic(live_server)
    w = snapshot(live_server, workshop)
    board = w["boards"][0]
    facilitator_commands(live_server, workshop, {"type": "phase.set", "phase": "ideas"})
    facilitator_commands(live_server, workshop, {"type": "card.add", "board": board["id"], "column": "idees", "text": "Un local ouvert le soir"})
    idea = next(c["id"] for c in snapshot(live_server, workshop)["cards"] if c["text"] == "Un local ouvert le soir")
    facilitator_commands(live_server, workshop, {"type": "phase.set", "phase": "projects"},
                         {"type": "project.create", "board": board["id"], "title": "La Maison du soir"})
    project = snapshot(live_server, workshop)["projects"][0]["id"]

    alice = browsers.new(width=390, height=844)
    join(alice, workshop, "Alice Martin", actor="other", organisation="Association Fictive")
    alice_id = next(p["id"] for p in snapshot(live_server, workshop)["participants"] if p["name"] == "Alice Martin")
    facilitator_commands(live_server, workshop, {"type": "participant.assign", "participant": alice_id, "group": board["group"]})
    item = visible(alice, '[data-testid="project-item"]')
    click(item.find_element(By.CSS_SELECTOR, '[data-testid="project-open"]'))
    editor = visible(alice, EDITOR)

    # The plan's form: its sections, labels, help text and required marks; none of today's sheet.
    sections = [text_of(e) for e in finds(alice, f"{EDITOR} .project-section__title")]
    assert sections == ["L'idée", "L'équipe", "Le budget"], sections
    assert "600 caractères au plus." in text_of(editor)
    assert not finds(alice, f'{EDITOR} [data-field="cooperation"]') and not finds(alice, f'{EDITOR} [data-field="lead"]')
    checklist = [li.get_attribute("data-ready") for li in finds(alice, '[data-testid="ready-checklist"] [data-ready]')]
    assert checklist == ["pitch", "theme", "audiences", "structure", "budget", "requested", "start", "insured"], checklist
    problems = axe_violations(alice, "phone, the second plan's sheet")

    values = {
        "pitch": "Un local partagé ouvert le soir pour les jeunes du quartier.",
        "theme": "education", "audiences": ["jeunes", "familles"], "ideas": [idea],
        "structure": {"name": "Association Fictive", "siret": "73282932000074", "email": "contact@fictive.example"},
        "team": [{"person": "Ana", "role": "coordination", "hours": 20}, {"person": "Bo", "role": "animation", "volunteer": True}],
        "budget": 30000, "requested": 20000, "start": "2027-09-01", "insured": False,
    }
    fill_sheet(alice, w["form"], values)
    wait(alice, lambda d: all(li.get_attribute("data-state") == "done" for li in finds(d, '[data-testid="ready-checklist"] [data-ready]')),
         message="the checklist does not follow the form")
    problems += axe_violations(alice, "phone, the second plan's sheet filled in, two rows of its group")
    click(find(alice, '[data-testid="project-save"]'))
    wait(alice, lambda d: snapshot(live_server, workshop)["projects"][0].get("start") == "2027-09-01")
    sheet = snapshot(live_server, workshop)["projects"][0]
    assert sheet["insured"] is False, "a required yes/no answered no"
    assert sheet["theme"] == "education" and sheet["audiences"] == ["jeunes", "familles"] and sheet["ideas"] == [idea]
    assert sheet["team"] == [{"person": "Ana", "role": "coordination", "hours": 20}, {"person": "Bo", "role": "animation", "volunteer": True}]
    assert sheet["structure"] == {"name": "Association Fictive", "siret": "73282932000074", "email": "contact@fictive.example"}
    facilitator_commands(live_server, workshop, {"type": "project.ready", "project": project})

    # In English, the plan's English labels.
    click(find(alice, f'{EDITOR} [data-testid="project-close"]'))
    click(find(alice, '[data-testid="lang-switch"]'))
    item = visible(alice, '[data-testid="project-item"]')
    click(item.find_element(By.CSS_SELECTOR, '[data-testid="project-open"]'))
    editor = visible(alice, EDITOR)
    try:
        wait(alice, lambda d: "Amount requested" in text_of(find(d, EDITOR)) and "Hours a week" in text_of(find(d, EDITOR)))
    except Exception:
        raise AssertionError(text_of(find(alice, EDITOR))[:1500])
    assert find(alice, f'{EDITOR} [data-testid="project-requested"]').get_attribute("value") == "20000"
    assert problems == [], "\n".join(problems)
    assert js_errors(alice) == []
