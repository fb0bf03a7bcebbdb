"""The XLSX export through the real server, read back with openpyxl and converted by LibreOffice."""
import asyncio
import csv
import datetime
import io
import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request

import openpyxl
import pytest

from conftest import ROOT
from test_one_writer import cli
from test_projects import COMPLETE, make_projects, pipeline  # noqa: F401 (pipeline is a fixture)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SIRET = "73282932000074"
PHONE = "+33 6 12 34 56 78"
# The projects, one sheet per repeated group of the default plan's form, the ideas, the constats.
SHEETS = ["Projets", "Partenaires", "Cofinancements", "Prochaines étapes", "Idées et votes", "Couverture des constats"]
LEAD_SIRET, PHONE_COLUMN = "Structure porteuse — SIRET", "Personne à contacter — Téléphone"
GRANT, EXPERTISE = "Soutiens demandés à l'appel à projets — Subvention (montant)", "Soutiens demandés à l'appel à projets — Financement d'expertise (montant)"


def get(server, path, key):
    req = urllib.request.Request(server.url + path, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.headers, r.read()


def rows(ws):
    """The sheet as dicts keyed by the header row."""
    values = list(ws.iter_rows())
    header = [c.value for c in values[0]]
    return [{h: c for h, c in zip(header, row)} for row in values[1:]]


def soffice():
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        message = "LibreOffice (soffice) is not installed: scripts/setup --test installs libreoffice-calc-nogui"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def test_xlsx_export_is_typed_and_readable(pipeline):  # noqa: F811
    server, _, _, _ = pipeline
    fields = dict(COMPLETE, contact={"name": "Marie Dupont", "email": "marie.dupont@example.org", "phone": PHONE})

    async def scenario():
        f, people, project = await make_projects(server, fields)
        assert (await f.request({"type": "votes.reveal"}))["type"] == "ack"
        # A prepared Démarches Simplifiées file: its number and day are shown, its claim link never.
        assert (await f.request({"type": "projects.submit", "channel": "demarches"}))["type"] == "ack"
        await f.expect(lambda m: m.get("type") == "project.submitted" and m["receipt"]["channel"] == "demarches", timeout=30)
        for x in (f, *people):
            await x.close()
        return project
    project = asyncio.run(scenario())
    key, workshop = server.info["key"], server.info["workshop"]

    status, headers, body = get(server, f"/api/workshops/{workshop}/export?format=xlsx", key)
    assert status == 200 and headers.get("Content-Type") == XLSX
    assert re.fullmatch(r'attachment; filename="atelier-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.xlsx"', headers.get("Content-Disposition")), \
        headers.get("Content-Disposition")
    assert body.startswith(b"PK\x03\x04")
    assert get(server, f"/api/workshops/{workshop}/export?format=xlsx", key)[2] == body, "same workshop, same bytes"

    book = openpyxl.load_workbook(io.BytesIO(body))
    assert book.sheetnames == SHEETS
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}", ws.title
    every = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None)
    assert "Carte modérée" not in every, "hidden cards are left out"
    assert "Alice" not in every and "Bruno" not in every, "no participant's name"
    assert "<script>alert(1)</script>" in every, "people's words as they wrote them, escaped in the XML"
    assert "/commencer/" not in every and "/commencer/" not in body.decode("utf-8", errors="replace"), "no claim link"

    projects = rows(book["Projets"])
    p = next(r for r in projects if r["Identifiant"].value == project)
    assert p[LEAD_SIRET].data_type == "s" and p[LEAD_SIRET].value == SIRET
    assert isinstance(p[PHONE_COLUMN].value, str) and p[PHONE_COLUMN].value == PHONE
    for column, amount in ((GRANT, 12500), (EXPERTISE, 5000), ("Budget total du projet", 60000)):
        cell = p[column]
        assert isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool) and cell.value == amount
        assert "€" in cell.number_format, cell.number_format
    assert type(p["Votes"].value) is int and p["Votes"].value == 1
    assert type(p["Soutiens"].value) is int and p["Soutiens"].value == 1
    assert type(p["Résultats attendus — Emplois d'insertion créés"].value) is int
    assert type(p["Durée (mois)"].value) is int and p["Durée (mois)"].value == 24
    start = p["Date de démarrage"]
    assert start.is_date and start.value == datetime.datetime(2027, 1, 4) and start.number_format == "dd/mm/yyyy", start.number_format
    assert p["Numéro de dossier"].value == "1001" and p["Dossier Démarches Simplifiées"].value == "préparé"
    submitted = p["Déposé le"]
    assert isinstance(submitted.value, datetime.datetime) and submitted.is_date, submitted.value
    assert abs(submitted.value - datetime.datetime.now()) < datetime.timedelta(days=1)

    # Each repeated group of the form is a sheet of its own, one row per row of the group.
    partners = rows(book["Partenaires"])
    assert [(r["Projet"].value, r["Ligne"].value, r["Nom"].value, r["Rôle"].value, r["SIRET"].value) for r in partners] == \
        [(project, 1, "EI Bâtir", "co-employeur", "35600000049837")]
    assert partners[0]["SIRET"].data_type == "s"
    money = rows(book["Cofinancements"])
    assert [(r["Financeur"].value, r["Montant"].value, r["État"].value) for r in money] == \
        [("Région Bourgogne-Franche-Comté", 20000, "Demandé"), ("Fondation Fictive", 5000, "Obtenu")]
    assert "€" in money[0]["Montant"].number_format
    steps = rows(book["Prochaines étapes"])
    assert steps[0]["Responsable"].value == "Marie Dupont" and steps[0]["Échéance"].value == datetime.datetime(2027, 1, 15)

    ideas = rows(book["Idées et votes"])
    voted = next(r for r in ideas if "Un poste partagé" in r["Idée"].value)
    assert type(voted["Votes"].value) is int and voted["Votes"].value == 1
    assert voted["Fiches projet"].value == project

    constats = rows(book["Couverture des constats"])
    assert constats, "the plan's problem cards are listed"
    linked = [r for r in constats if r["Fiches projet liées"].value]
    assert linked and all(type(r["Fiches projet liées"].value) is int for r in constats)
    assert linked[0]["Idées liées"].value == 1 and linked[0]["Fiches projet"].value == project

    # LibreOffice reads it as a spreadsheet: the SIRET stays 14 digits, the phone keeps its "+".
    with tempfile.TemporaryDirectory(prefix="atelier-xlsx-") as tmp:
        path = os.path.join(tmp, "export.xlsx")
        with open(path, "wb") as f:
            f.write(body)
        run = subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                              "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76,1', "--outdir", tmp, path],
                             capture_output=True, timeout=180)
        converted = os.path.join(tmp, "export.csv")
        assert run.returncode == 0 and os.path.exists(converted), run.stderr.decode(errors="replace")
        with open(converted, encoding="utf-8-sig") as f:
            table = list(csv.reader(f))
        header, row = table[0], next(r for r in table[1:] if r and r[0] == project)
        assert row[header.index(LEAD_SIRET)] == SIRET
        assert re.fullmatch(r"\d{14}", row[header.index(LEAD_SIRET)])
        assert row[header.index(PHONE_COLUMN)] == PHONE

    # The CLI writes the same workbook, to a file only.
    refused = subprocess.run(cli("export", workshop, "--format", "xlsx", data_dir=server.data_dir, database=server.database),
                             capture_output=True)
    assert refused.returncode != 0 and not refused.stdout
    assert "--out" in refused.stderr.decode() and "binaire" in refused.stderr.decode()
    with tempfile.TemporaryDirectory(prefix="atelier-xlsx-cli-") as tmp:
        out = os.path.join(tmp, "atelier.xlsx")
        subprocess.run(cli("export", workshop, "--format", "xlsx", "--out", out, data_dir=server.data_dir,
                           database=server.database), capture_output=True, check=True)
        with open(out, "rb") as f:
            assert f.read() == body


def test_unknown_export_format_lists_xlsx(pipeline):  # noqa: F811
    server, _, _, _ = pipeline
    key, workshop = server.info["key"], server.info["workshop"]
    with pytest.raises(urllib.error.HTTPError) as e:
        get(server, f"/api/workshops/{workshop}/export?format=ods", key)
    assert e.value.code == 400 and "xlsx" in e.value.read().decode()
