"""Carrying work forward from the organiser's home page (docs/protocol.md "Carrying work forward"):
the organiser picks an earlier workshop of the series, ticks a cluster and a sheet among what the
server offers (read from the workshop as it is now), and creates the next workshop with them;
the new workshop holds them. axe reports no violation with the choices open, at laptop and phone
width, and the page does not scroll sideways at 360 px."""
import asyncio
import json
import urllib.request

from selenium.webdriver.support.ui import Select

from .conftest import ADMIN_TOKEN, Client
from .pages import click, find, finds, js_errors, text_of, visible, wait
from .test_organiser_ui import series_panel, workshop_titles
from .test_pages import LAPTOP, PHONE, axe_violations, emulate, no_horizontal_scroll


def api(server, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def fill(server, w):
    """A participant's problem and idea, clustered, and a sheet from them."""
    async def run():
        f = await Client.connect(server.ws_url)
        assert (await f.request({"type": "join", "workshop": w["id"], "facilitatorKey": w["facilitatorKey"]}))["type"] == "welcome"
        a = await Client.connect(server.ws_url)
        welcome = await a.request({"type": "join", "code": w["joinCode"], "name": "Alice Report", "organisation": "ACI", "actor": "aci"})
        board = next(b for b in welcome["workshop"]["boards"] if b["group"] == welcome["you"]["group"])["id"]
        problem = (await a.request({"type": "card.add", "board": board, "column": "problems", "text": "Pas de garage"}))["result"]["card"]
        await f.request({"type": "phase.set", "phase": "ideas"})
        idea = (await a.request({"type": "card.add", "board": board, "column": "ideas", "text": "Un garage associatif"}))["result"]["card"]
        assert (await a.request({"type": "card.add", "board": board, "column": "ideas", "text": "Une carte seule"}))["type"] == "ack"
        assert (await f.request({"type": "cluster.create", "board": board, "title": "Mobilité reportée", "cards": [problem, idea]}))["type"] == "ack"
        await f.request({"type": "phase.set", "phase": "projects"})
        assert (await a.request({"type": "project.create", "board": board, "title": "Garage reporté", "cards": [problem, idea]}))["type"] == "ack"
        await a.close()
        await f.close()
    asyncio.run(run())


def test_the_organiser_creates_the_next_workshop_with_a_carry_selection(live_server, browsers):
    series = api(live_server, "POST", "/api/admin/series", {"title": "Série avec report"})
    first = api(live_server, "POST", f"/api/admin/series/{series['id']}/workshops", {"title": "Premier atelier"})
    fill(live_server, first)

    driver = browsers.new()
    driver.get(live_server.url + "/organiser.html")
    visible(driver, '[data-testid="login"]')
    find(driver, '[data-testid="token-input"]').send_keys(ADMIN_TOKEN)
    click(find(driver, '[data-testid="login-submit"]'))
    visible(driver, '[data-testid="organiser-home"]')
    panel = wait(driver, lambda d: series_panel(d, "Série avec report"), message="the series is not listed")

    Select(panel.find_element("css selector", '[data-testid="carry-from"]')).select_by_visible_text("Premier atelier")
    cluster = wait(driver, lambda d: next((c for c in series_panel(d, "Série avec report").find_elements(
        "css selector", '[data-testid="carry-cluster"]')), None), message="no cluster offered")
    panel = series_panel(driver, "Série avec report")
    labels = [text_of(l) for l in panel.find_elements("css selector", '[data-testid="carry-choices"] label')]
    assert any(l.startswith("Mobilité reportée") and "(2 cartes)" in l for l in labels), labels
    assert any(l.startswith("Garage reporté") for l in labels), labels
    problems = axe_violations(driver, "organiser home with the carry choices")
    click(cluster)
    click(panel.find_element("css selector", '[data-testid="carry-project"]'))
    # One card on its own, from the folded list.
    click(panel.find_element("css selector", '[data-testid="carry-cards"] summary'))
    single = next(c for c in panel.find_elements("css selector", '[data-testid="carry-card"]')
                  if text_of(panel.find_element("css selector", f'label[for="{c.get_attribute("id")}"]')).startswith("« Une carte seule »"))
    click(single)
    panel.find_element("css selector", '[data-testid="workshop-title-input"]').send_keys("Atelier suivant")
    click(panel.find_element("css selector", '[data-testid="workshop-create"]'))
    wait(driver, lambda d: "Atelier suivant" in workshop_titles(series_panel(d, "Série avec report")), message="never listed")
    wait(driver, lambda d: "avec le travail reporté" in text_of(find(d, '[data-testid="announcer"]')))

    # The server holds the carried cluster and sheet in the new workshop.
    stored = api(live_server, "GET", f"/api/admin/series/{series['id']}")
    new_id = stored["workshops"][1]["id"]
    offer = api(live_server, "GET", f"/api/admin/workshops/{new_id}/carry")
    assert [k["title"] for k in offer["clusters"]] == ["Mobilité reportée"] and offer["clusters"][0]["cards"] == 2
    assert [p["title"] for p in offer["projects"]] == ["Garage reporté"]
    assert {"Pas de garage", "Un garage associatif", "Une carte seule"} <= {c["text"] for c in offer["cards"]}
    card = next(c for c in series_panel(driver, "Série avec report").find_elements("css selector", '[data-testid="workshop"]')
                if c.get_attribute("data-workshop") == new_id)
    assert text_of(card.find_element("css selector", '[data-testid="workshop-projects"]')) == "1"

    emulate(driver, PHONE)
    panel = series_panel(driver, "Série avec report")
    Select(panel.find_element("css selector", '[data-testid="carry-from"]')).select_by_visible_text("Premier atelier")
    wait(driver, lambda d: series_panel(d, "Série avec report").find_elements("css selector", '[data-testid="carry-board"]'))
    assert no_horizontal_scroll(driver)
    problems += axe_violations(driver, "organiser home with the carry choices at 360 px")
    emulate(driver, LAPTOP)
    assert problems == [], "\n".join(problems)
    assert js_errors(driver) == []
