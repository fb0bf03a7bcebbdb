"""Submitting ready projects from the console to local stand-ins of the pipeline (the e2e suite's
fakes): live progress (retries included), receipts, and the Démarches Simplifiées link."""
import importlib.util
import os
import tempfile

import pytest
from selenium.webdriver.common.by import By

from .conftest import HERE, Server, create_workshop, facilitator_commands, free_port, require_binary, snapshot
from .sheets import complete_default
from .pages import click, confirm, find, finds, join, js_errors, open_console, text_of, visible, wait

_spec = importlib.util.spec_from_file_location("atelier_pipeline_fakes", os.path.join(HERE, "..", "e2e", "pipeline_fakes.py"))
fakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fakes)



@pytest.fixture
def pipeline_server():
    require_binary()
    hook, ds = fakes.webhook_server(fail_first=1), fakes.demarches_server()
    with tempfile.TemporaryDirectory(prefix="atelier-browser-submit-") as data_dir:
        mapping = os.path.join(data_dir, "mapping.yaml")
        with open(mapping, "w") as f:
            f.write("champs:\n  title: Q2hhbXAtMQ==\n  summary: Q2hhbXAtMg==\n")
        server = Server(data_dir, free_port(), admin_token="submit-admin", extra_args=[
            "--webhook", hook.url, "--demarches", ds.url, "--procedure", str(ds.procedure), "--mapping", mapping,
            "--webhook-retry-base-ms", "50", "--demarches-follow-every", "0"]).start()
        server.ds = ds
        try:
            yield server
        finally:
            server.stop()
            hook.shutdown()
            ds.shutdown()


def test_submission_progress_and_receipts(pipeline_server, browsers):
    server = pipeline_server
    workshop = create_workshop(server)
    w = snapshot(server, workshop)
    board = w["boards"][0]
    problem = next(c["id"] for c in w["cards"] if c["board"] == board["id"])
    fields = dict(complete_default(w, board), lead={"name": "ACI Le Pont", "actor": "aci", "siret": "73282932000074"},
                  contact={"name": "Marie Dupont", "email": "marie.dupont@example.org", "phone": ""})
    assert fields["problems"] == [problem]
    project = facilitator_commands(server, workshop, {"type": "project.create", "board": board["id"], "title": "Poste partagé"})[0]["result"]["project"]
    facilitator_commands(server, workshop,
                         {"type": "project.update", "project": project, "version": 1, "fields": fields},
                         {"type": "project.ready", "project": project})

    fac, page = browsers.new(), browsers.new()
    open_console(fac, workshop)
    join(page, workshop, "Alice Martin")  # the first table: the project's
    row = visible(fac, '[data-testid="console-project"]')
    assert text_of(row.find_element(By.CSS_SELECTOR, '[data-testid="project-status"]')) == "Prête"

    click(find(fac, '[data-testid="submit-webhook"]'))
    confirm(fac)
    # The fake answers 503 first: the retry shows, then the success and the receipt.
    wait(fac, lambda d: any(e.get_attribute("data-state") == "retrying" for e in finds(d, '[data-testid="submission-progress"]')))
    wait(fac, lambda d: any(e.get_attribute("data-state") == "done" for e in finds(d, '[data-testid="submission-progress"]')))
    wait(fac, lambda d: "WH-1" in text_of(find(d, '[data-testid="console-project"] [data-testid="receipt"]')))
    wait(fac, lambda d: text_of(find(d, '[data-testid="console-project"] [data-testid="project-status"]')) == "Déposée")

    click(find(fac, '[data-testid="submit-demarches"]'))
    confirm(fac)
    link = wait(fac, lambda d: next(iter(finds(d, '[data-testid="console-project"] [data-testid="receipt-link"]')), None))
    assert "prefill_token" in link.get_attribute("href") and link.get_attribute("rel") == "noopener noreferrer"
    assert "n° 1001" in text_of(link)
    # The table sees the receipt too.
    wait(page, lambda d: "n° 1001" in text_of(find(d, '[data-testid="project-item"]')))
    # Sending again deposits nothing twice: the server says so, the console shows it.
    click(find(fac, '[data-testid="submit-webhook"]'))
    confirm(fac)
    assert "deux fois" in text_of(visible(fac, '[data-testid="submit-error-text"]'))

    for d in (fac, page):
        assert js_errors(d) == []


def ready_project(server, workshop, title, board_index=0):
    w = snapshot(server, workshop)
    board = w["boards"][board_index]
    fields = complete_default(w, board)  # a sheet the default plan's call accepts
    project = facilitator_commands(server, workshop, {"type": "project.create", "board": board["id"], "title": title})[0]["result"]["project"]
    facilitator_commands(server, workshop,
                         {"type": "project.update", "project": project, "version": 1, "fields": fields},
                         {"type": "project.ready", "project": project})
    return project


def test_the_console_follows_dossiers_shows_the_outbox_and_prepares_an_expired_dossier_again(pipeline_server, browsers):
    server = pipeline_server
    ds = server.ds
    workshop = create_workshop(server)
    first = ready_project(server, workshop, "Poste partagé")
    second = ready_project(server, workshop, "Atelier vélo", board_index=1)

    fac = browsers.new()
    open_console(fac, workshop)

    def row(project):
        return find(fac, f'[data-testid="console-project"][data-project="{project}"]')

    def dossier_states(project):
        return [e.get_attribute("data-state") for e in row(project).find_elements(By.CSS_SELECTOR, '[data-testid="dossier-state"]')]

    def follow():
        before = len(finds(fac, '[data-testid="follow-result"]'))
        click(find(fac, '[data-testid="follow-dossiers"]'))
        wait(fac, lambda d: len(finds(d, '[data-testid="follow-result"]')) > before)

    click(find(fac, '[data-testid="submit-demarches"]'))
    confirm(fac)
    wait(fac, lambda d: dossier_states(first) == ["prefilled"] and dossier_states(second) == ["prefilled"])
    # The status and the dossier's state say it together: prepared, to be taken over by the project lead.
    status = text_of(row(first).find_element(By.CSS_SELECTOR, '[data-testid="project-status"]'))
    assert status == "Préparée sur Démarches Simplifiées"
    assert "à reprendre par le porteur" in text_of(row(first).find_element(By.CSS_SELECTOR, '[data-testid="dossier-state"]'))
    # Which dossier is whose, from the receipts (the server may prepare the two in either order).
    sheets = {p["id"]: p for p in snapshot(server, workshop)["projects"]}
    mine = {p: sheets[p]["receipts"][-1]["number"] for p in (first, second)}
    assert sorted(mine.values()) == sorted(ds.dossiers)

    # The first is taken over, then filed; the second is never opened and the platform deletes it.
    ds.claim(mine[first])
    follow()
    wait(fac, lambda d: dossier_states(first) == ["brouillon"])
    assert "repris en brouillon" in text_of(row(first))
    ds.file(mine[first])
    ds.expire(mine[second])
    follow()
    wait(fac, lambda d: dossier_states(first) == ["en_construction"] and dossier_states(second) == ["expired"])
    assert text_of(row(first).find_element(By.CSS_SELECTOR, '[data-testid="project-status"]')) == "Déposée"
    assert "Déposé le" in text_of(row(first))
    assert not row(first).find_elements(By.CSS_SELECTOR, '[data-testid="prepare-again"]')

    # "Préparer à nouveau", confirmed: a new dossier for the expired one only.
    click(row(second).find_element(By.CSS_SELECTOR, '[data-testid="prepare-again"]'))
    assert "expiré" in text_of(visible(fac, "dialog[open]"))
    confirm(fac)
    wait(fac, lambda d: dossier_states(second) == ["expired", "prefilled"])
    assert len(ds.recorder.requests) == 3
    link = row(second).find_elements(By.CSS_SELECTOR, '[data-testid="receipt-link"]')[-1]
    assert "n° 1003" in text_of(link)

    # The webhook outbox: the delivery with its attempts (a 503, then the 201), and "Relancer".
    click(find(fac, '[data-testid="submit-webhook"]'))
    confirm(fac)

    def delivery(project):
        return next((e for e in finds(fac, '[data-testid="outbox-delivery"]') if f"-{project}-v" in e.get_attribute("data-delivery")), None)
    wait(fac, lambda d: delivery(first) is not None and delivery(first).get_attribute("data-state") == "delivered")
    wait(fac, lambda d: delivery(second) is not None and delivery(second).get_attribute("data-state") == "delivered")
    texts = text_of(delivery(first)) + text_of(delivery(second))
    assert "HTTP 503" in texts and "HTTP 201" in texts
    count = text_of(delivery(first))
    click(delivery(first).find_element(By.CSS_SELECTOR, '[data-testid="outbox-retry"]'))
    wait(fac, lambda d: text_of(delivery(first)) != count and delivery(first).get_attribute("data-state") == "delivered")
    assert js_errors(fac) == []
