"""The organiser's home page (web/organiser.html): the admin token typed once for a session
cookie, a series and two workshops created from the page without the command line, listed with
their state, a console and a projector opened from it; axe reports no violation on the login page nor the home
page, at laptop and phone width."""
import json
import urllib.request

from selenium.webdriver.support.ui import Select

from .conftest import ADMIN_TOKEN
from .pages import click, confirm, find, finds, js_errors, text_of, visible, wait
from .test_pages import LAPTOP, PHONE, axe_violations, emulate, no_horizontal_scroll


def series_panel(driver, title):
    for panel in finds(driver, '[data-testid="series"]'):
        if text_of(panel.find_element("css selector", '[data-testid="series-title"]')) == title:
            return panel
    return None


def workshop_titles(panel):
    return [text_of(e) for e in panel.find_elements("css selector", '[data-testid="workshop-name"]')]


def create_in(driver, series_title, plan_index, title):
    panel = wait(driver, lambda d: series_panel(d, series_title))
    select = Select(panel.find_element("css selector", '[data-testid="workshop-plan"]'))
    select.select_by_index(plan_index)
    field = panel.find_element("css selector", '[data-testid="workshop-title-input"]')
    field.send_keys(title)
    click(panel.find_element("css selector", '[data-testid="workshop-create"]'))
    wait(driver, lambda d: title in workshop_titles(series_panel(d, series_title)), message=f"{title} never listed")
    # The list was drawn again: the focus is back on the button that created it, in the same series.
    focused = driver.switch_to.active_element
    assert focused.get_attribute("data-testid") == "workshop-create"
    assert focused.find_element("xpath", "ancestor::*[@data-testid='series']").get_attribute("data-series") == \
        series_panel(driver, series_title).get_attribute("data-series")


def test_the_organiser_logs_in_creates_a_series_and_two_workshops_and_opens_a_console(live_server, browsers):
    driver = browsers.new()
    driver.get(live_server.url + "/organiser.html")
    visible(driver, '[data-testid="login"]')
    problems = axe_violations(driver, "organiser login")

    # A wrong token is said next to the field.
    find(driver, '[data-testid="token-input"]').send_keys("not-the-token")
    click(find(driver, '[data-testid="login-submit"]'))
    wait(driver, lambda d: text_of(find(d, '[data-testid="login-error"]')) == "Ce jeton d’administration n’est pas le bon.")
    assert find(driver, '[data-testid="token-input"]').get_attribute("aria-invalid") == "true"
    problems += axe_violations(driver, "organiser login with an error")

    field = find(driver, '[data-testid="token-input"]')
    field.clear()
    field.send_keys(ADMIN_TOKEN)
    click(find(driver, '[data-testid="login-submit"]'))
    visible(driver, '[data-testid="organiser-home"]')
    # The token is in no URL, no storage, nothing the page keeps; the cookie is out of the script's reach.
    assert ADMIN_TOKEN not in driver.current_url
    assert ADMIN_TOKEN not in driver.execute_script("return JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie")
    assert "atelier_admin" not in driver.execute_script("return document.cookie")
    assert any(c["name"] == "atelier_admin" and c["httpOnly"] and c["sameSite"] == "Strict" for c in driver.get_cookies())

    # A series, then two workshops in it from two plans, without the command line.
    visible(driver, '[data-testid="series-form"]')
    find(driver, '#series-title').send_keys("Ateliers IAE 2027")
    find(driver, '[data-testid="series-description"]').send_keys("Diagnostic, idées, puis projets")
    click(find(driver, '[data-testid="series-create"]'))
    panel = wait(driver, lambda d: series_panel(d, "Ateliers IAE 2027"), message="the series was never listed")
    wait(driver, lambda d: "Série « Ateliers IAE 2027 » créée." in text_of(find(d, '[data-testid="announcer"]')))
    plans = len(Select(panel.find_element("css selector", '[data-testid="workshop-plan"]')).options)
    assert plans >= 1  # the plans of --plans (sessions/ has one)
    create_in(driver, "Ateliers IAE 2027", 0, "Diagnostic partagé")
    create_in(driver, "Ateliers IAE 2027", plans - 1, "Des idées aux projets")
    panel = series_panel(driver, "Ateliers IAE 2027")
    assert workshop_titles(panel) == ["Diagnostic partagé", "Des idées aux projets"]
    cards = panel.find_elements("css selector", '[data-testid="workshop"]')
    for card in cards:
        assert text_of(card.find_element("css selector", '[data-testid="workshop-participants"]')) == "0"
        assert text_of(card.find_element("css selector", '[data-testid="workshop-state"]')).strip()
        assert len(text_of(card.find_element("css selector", '[data-testid="workshop-code"]'))) == 9

    # The server holds what the page shows.
    request = urllib.request.Request(live_server.url + "/api/admin/series", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        stored = next(s for s in json.load(r)["series"] if s["title"] == "Ateliers IAE 2027")
    assert len(stored["workshops"]) == 2 and stored["description"] == "Diagnostic, idées, puis projets"
    problems += axe_violations(driver, "organiser home")

    # The console opens in a new tab, its key gone from the address bar at once.
    home = driver.current_window_handle
    click(cards[0].find_element("css selector", '[data-testid="workshop-console"]'))
    wait(driver, lambda d: len(d.window_handles) == 2, message="no console tab")
    driver.switch_to.window(next(h for h in driver.window_handles if h != home))
    visible(driver, "#fac-console")
    wait(driver, lambda d: find(d, '[data-testid="connection-state"]').get_attribute("data-state") == "online")
    assert text_of(find(driver, '[data-testid="workshop-title"]')) == "Diagnostic partagé"
    assert "key=" not in driver.current_url
    driver.close()
    driver.switch_to.window(home)

    # The projector too, for the second workshop: its join code on the wall.
    code = text_of(cards[1].find_element("css selector", '[data-testid="workshop-code"]'))
    click(cards[1].find_element("css selector", '[data-testid="workshop-projector"]'))
    wait(driver, lambda d: len(d.window_handles) == 2, message="no projector tab")
    driver.switch_to.window(next(h for h in driver.window_handles if h != home))
    wait(driver, lambda d: find(d, '[data-testid="connection-state"]').get_attribute("data-state") == "online")
    wait(driver, lambda d: text_of(find(d, '[data-testid="projector-code"]')) == code)
    assert "key=" not in driver.current_url
    driver.close()
    driver.switch_to.window(home)

    # At 360 px: one column, no horizontal scrolling.
    emulate(driver, PHONE)
    driver.refresh()
    visible(driver, '[data-testid="organiser-home"]')  # the session survives a reload
    wait(driver, lambda d: series_panel(d, "Ateliers IAE 2027"))
    assert no_horizontal_scroll(driver)
    problems += axe_violations(driver, "organiser home at 360 px")
    emulate(driver, LAPTOP)

    # Closing (archiving) a workshop asks first, then shows it closed, the focus on its heading.
    card = series_panel(driver, "Ateliers IAE 2027").find_elements("css selector", '[data-testid="workshop"]')[1]
    click(card.find_element("css selector", '[data-testid="workshop-close"]'))
    confirm(driver)
    wait(driver, lambda d: text_of(series_panel(d, "Ateliers IAE 2027").find_elements(
        "css selector", '[data-testid="workshop-state"]')[1]) == "Clos")
    assert driver.switch_to.active_element.get_attribute("data-testid") == "workshop-name"
    assert not series_panel(driver, "Ateliers IAE 2027").find_elements("css selector", '[data-testid="workshop"]')[1] \
        .find_elements("css selector", '[data-testid="workshop-close"]')

    # Logging out ends the session: a reload shows the login again.
    click(find(driver, '[data-testid="logout"]'))
    visible(driver, '[data-testid="login"]')
    driver.refresh()
    visible(driver, '[data-testid="login"]')
    assert not find(driver, '[data-testid="organiser-home"]').is_displayed()
    assert problems == [], "\n".join(problems)
    assert js_errors(driver) == []


def test_the_home_page_in_english(live_server, browsers):
    driver = browsers.new()
    driver.get(live_server.url + "/organiser.html")
    visible(driver, '[data-testid="login"]')
    click(find(driver, '[data-testid="lang-switch"]'))
    wait(driver, lambda d: find(d, "html").get_attribute("lang") == "en")
    assert text_of(find(driver, "#login-title")) == "Organiser’s area"
    find(driver, '[data-testid="token-input"]').send_keys(ADMIN_TOKEN)
    click(find(driver, '[data-testid="login-submit"]'))
    visible(driver, '[data-testid="organiser-home"]')
    assert text_of(find(driver, "#home-title")) == "Your workshops"
    assert text_of(find(driver, '[data-testid="series-create"]')) == "Create the series"
    click(find(driver, '[data-testid="lang-switch"]'))  # back to French for the other tests' sessions
    wait(driver, lambda d: find(d, "html").get_attribute("lang") == "fr")
