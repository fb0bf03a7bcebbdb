"""Browser fixtures: the real `atelier` binary (the e2e suite's Server class), headless Debian
Chromium driven by Selenium, and a protocol client for setting the scene quickly.

One server serves the whole session; each test creates its own workshop through the admin API,
so tests never see each other's cards. Tests that stop the server start their own.
"""
import asyncio
import importlib.util
import json
import os
import tempfile
import urllib.request
import uuid

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN_TOKEN = "browser-admin-token"

# The e2e fixtures module, loaded under its own name: both directories have a `conftest.py`, and
# importing it as `conftest` would shadow one with the other.
_spec = importlib.util.spec_from_file_location("atelier_e2e_fixtures", os.path.join(HERE, "..", "e2e", "conftest.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)
Server, Client, free_port, BINARY, ROOT = e2e.Server, e2e.Client, e2e.free_port, e2e.BINARY, e2e.ROOT

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# Where test_pages.py saves its screenshots: a temporary directory, so that a test run leaves the
# repository untouched, unless ATELIER_SCREENSHOTS names one (`scripts/screenshots` sets it to
# docs/screenshots to regenerate the README's images on purpose).
SCREENSHOTS_ENV = "ATELIER_SCREENSHOTS"


def require_binary():
    if not os.path.exists(BINARY):
        pytest.fail(f"{BINARY} is missing: build with `swift build` first")


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    """The directory for screenshots (see SCREENSHOTS_ENV)."""
    chosen = os.environ.get(SCREENSHOTS_ENV)
    if chosen:
        path = os.path.abspath(chosen)
        os.makedirs(path, exist_ok=True)
        return path
    return str(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture(scope="session")
def live_server():
    """One server for the session (tests that restart a server make their own)."""
    require_binary()
    with tempfile.TemporaryDirectory(prefix="atelier-browser-") as data_dir:
        s = Server(data_dir, free_port(), admin_token=ADMIN_TOKEN).start()
        try:
            yield s
        finally:
            s.stop()


def create_workshop(server, title=None):
    """A fresh workshop on `server`: {id, joinCode, facilitatorKey, joinUrl, facilitatorUrl}."""
    body = json.dumps({"title": title} if title else {}).encode()
    request = urllib.request.Request(server.url + "/api/workshops", data=body, method="POST", headers={
        "Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 201
        return json.load(r)


@pytest.fixture
def workshop(live_server):
    return create_workshop(live_server)


def chrome_options(width=1280, height=800):
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=fr-FR",
                f"--window-size={width},{height}", "--disable-gpu", "--hide-scrollbars",
                "--disable-features=Translate,MediaRouter", "--no-first-run"):
        options.add_argument(arg)
    # Leave any alert() open so a test can see it (the XSS test asserts there is none).
    options.set_capability("unhandledPromptBehavior", "ignore")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


class Browsers:
    """Starts Chromium sessions on demand and quits them all at the end of the test."""

    def __init__(self, download_dir):
        self.drivers = []
        self.download_dir = download_dir

    def new(self, width=1280, height=800):
        try:
            driver = webdriver.Chrome(options=chrome_options(width, height), service=Service(CHROMEDRIVER))
        except WebDriverException as e:
            pytest.fail(f"Chromium could not start ({CHROMIUM}, {CHROMEDRIVER}): {e.msg}")
        driver.set_script_timeout(30)
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.download_dir})
        self.drivers.append(driver)
        return driver

    def quit(self):
        for d in self.drivers:
            try:
                d.quit()
            except WebDriverException:
                pass


@pytest.fixture
def browsers(tmp_path):
    b = Browsers(str(tmp_path))
    try:
        yield b
    finally:
        b.quit()


# --- Protocol helpers (to set a scene without clicking through it) ------------------------------

def run(coro):
    return asyncio.run(coro)


async def facilitator_client(server, workshop):
    c = await Client.connect(server.ws_url)
    welcome = await c.request({"type": "join", "workshop": workshop["id"], "facilitatorKey": workshop["facilitatorKey"]})
    assert welcome["type"] == "welcome", welcome
    return c, welcome


def facilitator_commands(server, workshop, *commands):
    """Sends commands as the facilitator; returns their answers (each must be an ack)."""
    async def go():
        c, _ = await facilitator_client(server, workshop)
        answers = []
        # Ids must be unique per facilitator across connections: the server answers a repeated
        # id from its memory without doing anything (idempotent commands).
        prefix = uuid.uuid4().hex[:10]
        for n, command in enumerate(commands):
            answer = await c.request({"id": f"{prefix}-{n}", **command}, timeout=10)
            # More than the burst the server allows one connection (docs/protocol.md, "Limits"):
            # as the web client does, wait and send the refused command again with its id.
            for _ in range(10):
                if answer.get("code") != "rate_limited":
                    break
                await asyncio.sleep(0.5)
                answer = await c.request({"id": f"{prefix}-{n}", **command}, timeout=10)
            assert answer["type"] == "ack", (command, answer)
            answers.append(answer)
        await c.close()
        return answers
    return run(go())


def snapshot(server, workshop):
    """The workshop as the facilitator sees it now."""
    async def go():
        c, welcome = await facilitator_client(server, workshop)
        await c.close()
        return welcome["workshop"]
    return run(go())
