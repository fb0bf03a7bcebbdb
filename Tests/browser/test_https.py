"""Issue 16, "TLS the way operators do it": nginx (Debian) terminating TLS in front of Atelier
with the shipped `deploy/nginx.conf`, a throwaway self-signed certificate, and a real browser
session over https and wss; Atelier counts WebSockets per client from nginx's X-Forwarded-For."""
import asyncio
import json
import ssl
import tempfile
import urllib.error
import urllib.request

import pytest
import websockets

from .conftest import ADMIN_TOKEN, CHROMEDRIVER, Server, chrome_options, free_port, require_binary
from .nginx_proxy import Nginx
from . import pages

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


@pytest.fixture
def behind_nginx():
    require_binary()
    with tempfile.TemporaryDirectory(prefix="atelier-tls-") as tmp:
        port = free_port()
        proxy = Nginx(tmp, port)
        server = Server(tmp, port, admin_token=ADMIN_TOKEN, extra_args=[
            "--trusted-proxy", "127.0.0.1", "--max-connections-per-address", "2",
            "--public-url", f"https://127.0.0.1:{proxy.https_port}"]).start()
        try:
            proxy.start()
            yield server, proxy
        finally:
            proxy.stop()
            server.stop()


def insecure():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def test_a_browser_session_over_https_and_wss(behind_nginx):
    server, proxy = behind_nginx
    with urllib.request.urlopen(proxy.url + "/healthz", context=insecure(), timeout=5) as r:
        assert r.status == 200
    # Plain http is sent to https.
    req = urllib.request.Request(f"http://127.0.0.1:{proxy.http_port}/join.html")
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    try:
        urllib.request.build_opener(NoRedirect).open(req, timeout=5)
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as e:
        assert e.code == 301 and e.headers["Location"].startswith("https://")

    options = chrome_options(390, 800)
    options.add_argument("--ignore-certificate-errors")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        workshop = {"joinUrl": f"{proxy.url}/join.html?code={server.info['code']}"}
        pages.join(driver, workshop, "Camille Chiffrée")
        assert driver.execute_script("return location.protocol") == "https:"
        pages.add_card(driver, "problems", "Écrit à travers nginx")
        pages.wait_card(driver, "Écrit à travers nginx")
        assert not pages.js_errors(driver)
    finally:
        driver.quit()

    async def check():
        f = await websockets.connect(proxy.url.replace("https", "wss") + "/ws", subprotocols=["atelier.v1"], ssl=insecure())
        await f.send(json.dumps({"id": "f", "type": "join", "workshop": server.info["workshop"], "facilitatorKey": server.info["key"]}))
        while True:
            m = json.loads(await f.recv())
            if isinstance(m, dict) and m.get("re") == "f":
                break
        assert any(c["text"] == "Écrit à travers nginx" for c in m["workshop"]["cards"])
        await f.close()
    asyncio.run(check())


def test_websockets_are_counted_per_client_behind_the_proxy(behind_nginx):
    """`--max-connections-per-address 2`: two WebSockets from one client through nginx are let in,
    a third is closed with 4003 even if it claims another address in X-Forwarded-For; another
    client, through the same nginx, is not affected."""
    server, proxy = behind_nginx
    url = proxy.url.replace("https", "wss") + "/ws"

    async def open_from(source, headers=None):
        return await websockets.connect(url, subprotocols=["atelier.v1"], ssl=insecure(),
                                        local_addr=(source, 0), additional_headers=headers or {})

    async def scenario():
        first = [await open_from("127.0.0.2") for _ in range(2)]
        third = await open_from("127.0.0.2", {"X-Forwarded-For": "10.9.9.9"})
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(third.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4003
        other = await open_from("127.0.0.3")
        await other.send(json.dumps({"id": "p", "type": "ping"}))
        assert json.loads(await asyncio.wait_for(other.recv(), 10))["type"] == "pong"
        for ws in (*first, other):
            await ws.close()
    asyncio.run(scenario())
