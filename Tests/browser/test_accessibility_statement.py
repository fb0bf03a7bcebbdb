"""The accessibility statement (RGAA): its sections in French and English, and the mention of the
compliance status, linked to it, on every page."""
import glob
import os
import re

from .conftest import ROOT
from .pages import click, find, text_of, visible, wait

WEB = os.path.join(ROOT, "web")
SECTIONS_FR = ["État de conformité", "Résultats des tests", "Contenus non accessibles",
               "Établissement de cette déclaration", "Retour d’information et contact", "Voies de recours"]
SECTIONS_EN = ["Compliance status", "Test results", "Non-accessible content", "Preparation of this statement",
               "Feedback and contact", "Remedies"]


def test_every_page_links_to_the_statement_in_its_footer():
    for path in glob.glob(os.path.join(WEB, "*.html")):
        html = open(path, encoding="utf-8").read()
        footer = re.search(r"<footer\b.*?</footer>", html, re.S)
        assert footer, f"no footer in {os.path.basename(path)}"
        assert re.search(r'<a href="accessibilite\.html"[^>]*data-i18n="footer\.a11y"', footer.group(0)), \
            f"no accessibility mention in the footer of {os.path.basename(path)}"


def test_statement_in_french_then_english(live_server, browsers):
    driver = browsers.new()
    driver.get(live_server.url + "/")
    click(visible(driver, 'footer [data-testid="a11y-link"]'))
    wait(driver, lambda d: d.current_url.endswith("/accessibilite.html"))
    visible(driver, '[data-testid="a11y-state"]')
    headings = [text_of(h) for h in driver.find_elements("css selector", "main h2")]
    assert headings == SECTIONS_FR
    body = text_of(find(driver, "main"))
    assert "non conforme" in text_of(find(driver, '[data-testid="a11y-state"]'))
    assert "RGAA" in body and "axe-core" in body and "WAI-ARIA" in body and "Chromium" in body
    appeal = find(driver, '[data-testid="a11y-appeal"]')
    assert "09 69 39 00 00" in text_of(appeal)
    assert "Libre réponse 71120" in text_of(appeal) and "75342 Paris CEDEX 07" in text_of(appeal)
    assert appeal.find_element("css selector", 'a[href^="https://formulaire.defenseurdesdroits.fr"]')
    assert text_of(find(driver, 'footer [data-testid="a11y-link"]')) == "Accessibilité : non conforme"

    click(find(driver, '[data-testid="lang-switch"]'))
    wait(driver, lambda d: d.find_element("css selector", "html").get_attribute("lang") == "en")
    assert text_of(find(driver, "h1")) == "Accessibility statement"
    assert [text_of(h) for h in driver.find_elements("css selector", "main h2")] == SECTIONS_EN
    assert text_of(find(driver, 'footer [data-testid="a11y-link"]')) == "Accessibility: not compliant"
    assert driver.title == "Atelier — accessibility statement"
