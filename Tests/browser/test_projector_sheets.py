"""The projector's project sheets drawn from the workshop's form (issue 13): each plan's own fields,
labels and values in the form's order, French then English, on a 1920 × 1080 wall, with no
contact details, no hidden card, and no accessibility violation."""
from selenium.webdriver.common.by import By

from .conftest import create_workshop, facilitator_commands, snapshot
from .pages import click, find, finds, js_errors, projector_url, text_of, visible, wait
from .test_full_room import assert_wall_fits
from .test_generic_plan_ui import create_generic
from .test_pages import axe_violations


def sheet_on_wall(wall, project):
    """[(label, value)] of the fields a sheet shows on the wall, and its "and N more" line."""
    li = find(wall, f'[data-testid="projector-sheet"][data-project="{project}"]')
    fields = [(text_of(f.find_element(By.CSS_SELECTOR, "dt")), text_of(f.find_element(By.CSS_SELECTOR, "dd")))
              for f in li.find_elements(By.CSS_SELECTOR, '[data-testid="projector-sheet-field"]')]
    more = li.find_elements(By.CSS_SELECTOR, '[data-testid="projector-sheet-more"]')
    return fields, (text_of(more[0]) if more else ""), text_of(li)


def a_sheet(server, workshop, title, fields):
    w = snapshot(server, workshop)
    board = w["boards"][0]
    values = fields(w, board)
    facilitator_commands(server, workshop, {"type": "phase.set", "phase": "projects"},
                         {"type": "project.create", "board": board["id"], "title": title})
    project = next(p["id"] for p in snapshot(server, workshop)["projects"] if p["title"] == title)
    facilitator_commands(server, workshop, {"type": "project.update", "project": project, "version": 1, "fields": values})
    return project


def show_sheets(browsers, workshop):
    wall = browsers.new(width=1920, height=1080)
    wall.get(projector_url(workshop) + "&mode=projects")
    wait(wall, lambda d: any(e.is_displayed() for e in finds(d, '[data-testid="projector-sheet"]')), message="no sheet on the wall")
    return wall


def to_english(wall):
    click(find(wall, '[data-testid="projector-tools-toggle"]'))
    click(visible(wall, '[data-testid="lang-switch"]'))
    wait(wall, lambda d: d.execute_script("return document.documentElement.lang") == "en")
    click(find(wall, '[data-testid="projector-tools-toggle"]'))


def test_the_default_plans_sheets_on_the_wall(live_server, browsers):
    workshop = create_workshop(live_server)

    def fields(w, board):
        # A hidden idea card linked to the sheet must not reach the wall.
        facilitator_commands(live_server, workshop, {"type": "card.add", "board": board["id"], "column": "problems", "text": "Carte modérée"})
        hidden = next(c["id"] for c in snapshot(live_server, workshop)["cards"] if c["text"] == "Carte modérée")
        facilitator_commands(live_server, workshop, {"type": "card.hide", "card": hidden})
        return {
            "summary": "Un poste de chargé de développement partagé entre trois SIAE.",
            "problems": [hidden],
            "constats": ["appetence-cooperation", "gouvernance"],
            "cooperation": "siae",
            "orientation": w["orientations"][1]["id"],
            "territory": "Bassin de Mâcon",
            "lead": {"name": "ACI Le Pont", "actor": "aci", "siret": "73282932000074"},
            "support": {"methodological": True, "methodologicalNeed": "Une aide au montage", "grant": 12500},
            "contact": {"name": "Marie Curie", "email": "marie@example.org", "phone": "+33 6 12 34 56 78"},
        }
    project = a_sheet(live_server, workshop, "Un poste partagé", fields)
    orientation = snapshot(live_server, workshop)["orientations"][1]["title"]

    wall = show_sheets(browsers, workshop)
    shown, more, text = sheet_on_wall(wall, project)
    assert shown == [
        ("Résumé", "Un poste de chargé de développement partagé entre trois SIAE."),
        ("Constats du diagnostic auxquels le projet répond",
         "Une appétence à la coopération peu concrétisée · Une gouvernance complexe et un pilotage stratégique à renforcer"),
        ("Type de coopération", "Coopération entre SIAE"),
        ("Orientation stratégique", orientation),
        ("Territoire (bassin d'emploi)", "Bassin de Mâcon"),
    ], shown
    assert more == "et 3 autres champs renseignés", more
    assert "Carte modérée" not in text and "marie@example.org" not in text and "+33 6" not in text
    assert_wall_fits(wall, "the default plan's sheet")
    problems = axe_violations(wall, "projector, the default plan's sheet")

    to_english(wall)
    wait(wall, lambda d: sheet_on_wall(d, project)[0][0][0] == "Summary")
    shown, more, _ = sheet_on_wall(wall, project)
    assert [label for label, _ in shown] == ["Summary", "Findings of the diagnosis it answers", "Kind of cooperation",
                                             "Strategic orientation", "Territory (employment area)"], shown
    assert shown[1][1] == "A wish to cooperate seldom realised · Complex governance, strategy to strengthen"
    assert shown[2][1] == "Between SIAE"
    assert more == "and 3 more fields filled in"
    problems += axe_violations(wall, "projector, the default plan's sheet in English")
    assert problems == [], "\n".join(problems)
    assert js_errors(wall) == []


def test_the_generic_plans_sheets_on_the_wall(live_server, browsers):
    workshop = create_generic(live_server)

    def fields(w, board):
        return {
            "pitch": "Un local partagé ouvert le soir pour les jeunes du quartier.",
            "theme": "education", "audiences": ["jeunes", "familles"],
            "structure": {"name": "Association Fictive", "siret": "73282932000074", "email": "contact@fictive.example"},
            "team": [{"person": "Ana", "role": "coordination", "hours": 20}, {"person": "Bo", "role": "animation", "volunteer": True}],
            "budget": 30000, "requested": 20000,
        }
    project = a_sheet(live_server, workshop, "La Maison du soir", fields)

    wall = show_sheets(browsers, workshop)
    shown, more, text = sheet_on_wall(wall, project)
    assert shown == [
        ("Le projet en quelques lignes", "Un local partagé ouvert le soir pour les jeunes du quartier."),
        ("Thème", "Éducation"),
        ("Publics visés", "Jeunes · Familles"),
        ("Structure qui dépose", "Association Fictive, 73282932000074"),
        ("Équipe", "Ana, coordination, 20 · Bo, animation, oui"),
    ], shown
    assert more == "et 2 autres champs renseignés", more
    assert "contact@fictive.example" not in text
    for legacy in ("Structure porteuse", "Partenaires", "Territoire", "Résumé"):
        assert legacy not in text, f"a line of the default plan's sheet: {legacy}"
    assert_wall_fits(wall, "the generic plan's sheet")
    problems = axe_violations(wall, "projector, the generic plan's sheet")

    to_english(wall)
    wait(wall, lambda d: sheet_on_wall(d, project)[0][0][0] == "The project in a few lines")
    shown, more, _ = sheet_on_wall(wall, project)
    assert shown[1:4] == [("Theme", "Education"), ("Audiences", "Young people · Families"),
                          ("Applying organisation", "Association Fictive, 73282932000074")], shown
    assert shown[4] == ("Team", "Ana, coordination, 20 · Bo, animation, yes"), shown
    assert more == "and 2 more fields filled in"
    problems += axe_violations(wall, "projector, the generic plan's sheet in English")
    assert problems == [], "\n".join(problems)
    assert js_errors(wall) == []
