"""The synthesis for the steering committee printed to PDF (issue 13, item 9): the real server's HTML
report, saved as a file (self-contained: no external resource), printed by headless Chromium
(as the browser tests use it), then read back: A4 pages, a sensible number of them, and the text
holds the coverage matrix of constats × orientations and the totals asked against the budget."""
import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import urllib.request

import pytest

from conftest import Client, Server, free_port, join_facilitator, join_participant

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def needs(tool):
    path = shutil.which(tool)
    if not path:
        pytest.fail(f"{tool} is missing: run scripts/setup --test")
    return path


async def command(client, message):
    answer = await client.request(message)
    assert answer["type"] == "ack", (message, answer)
    return answer


async def room(server):
    """Two tables' ideas with votes revealed, three sheets answering constats under orientations,
    asking 320 000 € in all from a call of 300 000 €."""
    f, welcome = await join_facilitator(server)
    w = welcome["workshop"]
    boards, orientations = w["boards"], w["orientations"]
    await command(f, {"type": "phase.set", "phase": "ideas"})
    ideas = {}
    for board, texts in [(boards[0], ["Un fonds d'avance mutualisé", "Des achats groupés"]),
                         (boards[1], ["Un groupement d'employeurs", "Des visites croisées"])]:
        for text in texts:
            ack = await command(f, {"type": "card.add", "board": board["id"], "column": "ideas", "text": text})
            ideas[text] = ack["result"]["card"]
    p, _ = await join_participant(server, "Alice Martin")
    for text in ["Un fonds d'avance mutualisé", "Un fonds d'avance mutualisé", "Un groupement d'employeurs"]:
        answer = await p.request({"type": "vote.cast", "card": ideas[text]})
        assert answer["type"] == "ack", answer
    await command(f, {"type": "votes.reveal"})
    await command(f, {"type": "phase.set", "phase": "projects"})
    sheets = [
        ("Un fonds d'avance pour les SIAE", boards[0], ["fragilite-financiere"], orientations[0]["id"], {"grant": 150000}),
        ("Un groupement d'employeurs", boards[1], ["appetence-cooperation", "fragilite-financiere"], orientations[1]["id"],
         {"methodological": True, "methodologicalNeed": "Le montage juridique du groupement", "grant": 120000}),
        ("Une plateforme de parcours", boards[1], ["parcours-complexes"], orientations[1]["id"],
         {"expertise": 50000, "expertisePurpose": "Une étude des parcours"}),
    ]
    for title, board, constats, orientation, support in sheets:
        ack = await command(f, {"type": "project.create", "board": board["id"], "title": title})
        project = ack["result"]["project"]
        await command(f, {"type": "project.update", "project": project, "version": 1, "fields": {
            "summary": f"{title} : le projet en quelques phrases.", "constats": constats, "orientation": orientation,
            "support": support, "totalBudget": 400000}})
    await p.close()
    await f.close()
    return w


def test_the_synthesis_prints_to_a4_with_the_matrix_and_the_totals():
    needs("pdftotext")
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: run scripts/setup --test"
    with tempfile.TemporaryDirectory(prefix="atelier-pdf-") as data_dir:
        server = Server(data_dir, free_port()).start()
        try:
            w = asyncio.run(room(server))
            request = urllib.request.Request(f"{server.url}/api/workshops/{server.info['workshop']}/export?format=html",
                                             headers={"Authorization": f"Bearer {server.info['key']}"})
            with urllib.request.urlopen(request, timeout=10) as r:
                html = r.read()
        finally:
            server.stop()

        # Saved as a file, the report needs nothing else.
        text = html.decode()
        assert "@page { size: A4" in text
        for external in ("<link", "src=", "url(", "@import"):
            assert external not in text, f"an external resource: {external}"
        page = os.path.join(data_dir, "synthese.html")
        with open(page, "wb") as out:
            out.write(html)
        pdf = os.path.join(data_dir, "synthese.pdf")
        profile = os.path.join(data_dir, "chromium-profile")
        run = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                              f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                              "file://" + page], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and os.path.exists(pdf), run.stderr[-2000:]

        raw = open(pdf, "rb").read()
        assert raw.startswith(b"%PDF-")
        # Every page is A4: 595 × 842 points (210 × 297 mm).
        boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", raw)
        assert boxes, "no page in the PDF"
        for width, height in boxes:
            assert abs(float(width) - 595.28) < 1 and abs(float(height) - 841.89) < 1, (width, height)
        # The synthesis on its own pages, then one table per page at least: five tables.
        pages = len(boxes)
        assert 6 <= pages <= 20, f"{pages} pages"

        printed = subprocess.run([needs("pdftotext"), "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
        flat = " ".join(printed.split())
        assert "Couverture des constats par orientation" in flat
        # The matrix: each orientation heads a column, each constat is a row; those with no
        # project say so.
        for o in w["orientations"]:
            first_word = o["title"].split()[0]
            assert first_word in flat, o["title"]
        # (A constat's title wraps in its cell: its counts are on the row's first line.)
        lines = printed.splitlines()
        fragility = next(line for line in lines if line.strip().startswith("Une fragilité"))
        assert re.findall(r"\s(\d+)(?=\s|$)", fragility) == ["1", "1", "0", "0", "0", "2"], fragility
        cooperation = next(line for line in lines if line.strip().startswith("Une appétence"))
        assert re.findall(r"\s(\d+)(?=\s|$)", cooperation) == ["0", "1", "0", "0", "0", "1"], cooperation
        governance = next(line for line in lines if line.strip().startswith("Une gouvernance"))
        assert re.findall(r"\s(\d+)(?=\s|$)", governance) == ["0", "0", "0", "0", "0"] and "aucun" in governance, governance
        assert "Constats sans projet" in flat
        # The top ideas, each project's asks, the totals against the budget.
        assert "Un fonds d'avance mutualisé 2 votes" in flat, flat[:3000]
        assert "Total demandé (3 fiches) 320 000 €" in flat, flat
        assert "Budget de l'appel 300 000 €" in flat
        assert "Le total demandé dépasse le budget de l'appel de 20 000 €." in flat
        # The matrix is not cut across two pages: its caption, first and last rows on one page.
        pages_text = printed.split("\f")
        at = next(i for i, t in enumerate(pages_text) if "Nombre de fiches projet qui répondent" in t)
        assert "Une fragilité" in pages_text[at] and "Une gouvernance" in pages_text[at]
