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
            "--webhook", hook.url, "--demarches", ds.url, "--procedure", str(ds.procedure), "--mapping", mapping]).start()
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
