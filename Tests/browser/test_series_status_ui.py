""""Où en sont nos projets" in the console of a workshop of a series, and on the projector when the
facilitator shows it (docs/protocol.md "Where our projects stand"): the carried project has one
line with its stage and next step, French labels; axe reports no violation in the console (laptop
and phone width, no sideways scrolling at 360 px) nor on the projector."""
from .conftest import ADMIN_TOKEN
from .pages import click, find, finds, js_errors, open_console, projector_url, text_of, visible, wait, wait_card
from .test_pages import LAPTOP, PHONE, axe_violations, emulate, no_horizontal_scroll
from .test_series_carry_ui import api, fill


def status_lines(driver, testid):
    return [(text_of(row.find_element("css selector", "th")), row.get_attribute("data-status"))
            for row in finds(driver, f'[data-testid="{testid}-line"]')]


def test_the_console_and_the_projector_show_where_the_series_projects_stand(live_server, browsers):
    series = api(live_server, "POST", "/api/admin/series", {"title": "Série suivie"})
    first = api(live_server, "POST", f"/api/admin/series/{series['id']}/workshops", {"title": "Atelier un"})
    fill(live_server, first)
    offer = api(live_server, "GET", f"/api/admin/workshops/{first['id']}/carry")
    second = api(live_server, "POST", f"/api/admin/series/{series['id']}/workshops",
                 {"title": "Atelier deux", "carry": {"from": first["id"], "projects": [offer["projects"][0]["id"]]}})

    console = browsers.new()
    open_console(console, second)
    panel = visible(console, '[data-testid="console-series-status"]')
    wait(console, lambda d: status_lines(d, "series-status") == [("Garage reporté", "draft")], message="no status line")
    assert text_of(find(console, "#series-status-title")) == "Où en sont nos projets"
    headers = [text_of(h) for h in panel.find_elements("css selector", "thead th")]
    assert headers == ["Projet", "Où il en est", "Depuis le", "Prochaine étape", "Atelier et table"], headers
    row = find(console, '[data-testid="series-status-line"]')
    assert "Fiche en cours" in text_of(row) and "Atelier deux" in text_of(row)
    # "Comment ce projet est né" continues from the first workshop.
    details = find(console, '[data-testid="console-project-list"] [data-testid="provenance"]')
    click(details.find_element("css selector", "summary"))
    stage = wait(console, lambda d: next(iter(finds(d, '[data-testid="provenance-stage"]')), None), message="no earlier stage")
    assert stage.get_attribute("data-workshop") == first["id"] and stage.get_attribute("data-entry") == "created"
    assert text_of(stage).startswith("Fiche créée dans l’atelier « Atelier un »") and "à partir de 1 problème(s) et 1 idée(s)" in text_of(stage)
    assert text_of(find(console, '[data-testid="provenance-carried"]')).startswith("Reportée dans cet atelier le")
    problems = axe_violations(console, "console with the series' status lines")
    # The sheet brought the cards it names, written by "the previous workshop" and its table.
    carried = wait_card(console, "Pas de garage", scope='[data-testid="mini-boards"]')
    table = offer["projects"][0]["table"]
    assert text_of(carried.find_element("css selector", ".card__author")) == f"Par l’atelier précédent (table « {table} »)"

    wall = browsers.new()
    wall.get(projector_url(second))
    wait(wall, lambda d: find(d, '[data-testid="connection-state"]').get_attribute("data-state") == "online")
    click(find(console, '[data-testid="series-status-project"]'))
    wait(wall, lambda d: status_lines(d, "projector-status") == [("Garage reporté", "draft")], message="not on the wall")
    assert find(wall, '[data-testid="projector-status"]').is_displayed()
    assert not find(wall, '[data-testid="projector-boards"]').is_displayed()
    assert text_of(find(wall, '[data-testid="projector-view-title"]')) == "Où en sont nos projets"
    wait(console, lambda d: "Où en sont nos projets" in text_of(find(d, '[data-testid="projector-now"]')))
    problems += axe_violations(wall, "projector showing the series' status lines")

    emulate(console, PHONE)
    console.refresh()
    wait(console, lambda d: status_lines(d, "series-status") == [("Garage reporté", "draft")], message="no status line at 360 px")
    find(console, '[data-testid="console-series-status"]').location_once_scrolled_into_view
    assert no_horizontal_scroll(console)
    problems += axe_violations(console, "console with the series' status lines at 360 px")
    emulate(console, LAPTOP)

    # A workshop outside any series has no such panel.
    lone = api(live_server, "POST", "/api/workshops", {"title": "Atelier seul"})
    open_console(console, lone)
    wait(console, lambda d: finds(d, '[data-testid="series-status-empty"]'), message="the panel never read its answer")
    assert not find(console, '[data-testid="console-series-status"]').is_displayed()
    assert problems == [], "\n".join(problems)
    assert js_errors(console) == [] and js_errors(wall) == []
