"""Issue 13, item 4: Démarches Simplifiées as it really behaves. Each champ type gets its value in
the form the platform reads (the test double applies the platform's own acceptance rules, and
the tests read back what it stored, so a wrong conversion fails them); the procedure's
description gives a mapping skeleton (`--describe`) that `--check` accepts and that submits;
`--check` names each fault of a broken mapping with its line; a broken mapping creates no dossier."""
import asyncio
import json
import os
import subprocess
import tempfile
import urllib.request

import pytest

from conftest import BINARY, ROOT, Client, Server, free_port
from pipeline_fakes import champ, demarches_server, shown, typed_id
from test_projects import COMPLETE as IAE_COMPLETE, make_projects
from test_generic_plan import COMPLETE as GENERIC_COMPLETE

# The default plan's call, as a procedure of its own whose labels and options are the
# platform's, not Atelier's (sessions/iae-saone-et-loire.yaml).
IAE_CHAMPS = [
    champ(1, "header_section", "Le projet"),
    champ(2, "text", "Intitulé", required=True),
    champ(3, "textarea", "Présentation du projet"),
    champ(4, "drop_down_list", "Nature du projet", options=["Coopération entre structures d'insertion",
                                                            "Développement avec les entreprises", "Autre nature"]),
    champ(5, "multiple_drop_down_list", "Constats", options=["Fragilité financière", "Outils d'accompagnement",
                                                             "Coopération peu concrétisée", "Parcours complexes"]),
    champ(6, "siret", "SIRET du porteur"),
    champ(7, "repetition", "Partenaires", children=[
        champ(71, "text", "Nom du partenaire"),
        champ(72, "drop_down_list", "Type de structure", options=["ACI", "AI", "EI", "ETTI", "Entreprise", "Autre"]),
        champ(73, "siret", "SIRET du partenaire")]),
    champ(8, "integer_number", "Budget total"),
    champ(9, "repetition", "Cofinancements", children=[
        champ(91, "text", "Financeur"), champ(92, "decimal_number", "Montant"),
        champ(93, "drop_down_list", "État", options=["Acquis", "Sollicité", "Prévu"])]),
    champ(10, "yes_no", "Accompagnement méthodologique"),
    champ(11, "integer_number", "Subvention"),
    champ(12, "decimal_number", "Expertise"),
    champ(13, "date", "Date de démarrage"),
    champ(14, "integer_number", "Durée"),
    champ(15, "email", "Courriel"),
    champ(16, "phone", "Téléphone"),
    champ(17, "date", "Date de l'atelier"),
    champ(18, "piece_justificative", "Budget détaillé", required=True),
]


def i(n):
    return typed_id(n)


# Written by hand for a procedure whose description is not public: each champ's type and options.
IAE_MAPPING = f"""\
demarche:
  numero: 4242
champs:
  title: {{champ: "{i(2)}", type: text}}
  summary: {{champ: "{i(3)}", type: textarea}}
  cooperation:
    champ: "{i(4)}"
    type: drop_down_list
    options: ["Coopération entre structures d'insertion", "Développement avec les entreprises", "Autre nature"]
    valeurs: {{siae: "Coopération entre structures d'insertion", business: "Développement avec les entreprises", other: "Autre nature"}}
  constats:
    champ: "{i(5)}"
    type: multiple_drop_down_list
    options: ["Fragilité financière", "Outils d'accompagnement", "Coopération peu concrétisée", "Parcours complexes"]
    valeurs:
      fragilite-financiere: "Fragilité financière"
      outils-accompagnement: "Outils d'accompagnement"
      appetence-cooperation: "Coopération peu concrétisée"
      parcours-complexes: "Parcours complexes"
      repositionnement-economique: "Fragilité financière"
      changement-echelle: "Fragilité financière"
      gouvernance: "Outils d'accompagnement"
  lead.siret: {{champ: "{i(6)}", type: siret}}
  partners:
    champ: "{i(7)}"
    type: repetition
    enfants:
      name: {{champ: "{i(71)}", type: text}}
      actor:
        champ: "{i(72)}"
        type: drop_down_list
        options: [ACI, AI, EI, ETTI, Entreprise, Autre]
        valeurs: {{aci: ACI, ai: AI, ei: EI, etti: ETTI, business: Entreprise, public: Autre, network: Autre, other: Autre}}
      siret: {{champ: "{i(73)}", type: siret}}
  totalBudget: {{champ: "{i(8)}", type: integer_number}}
  cofinancing:
    champ: "{i(9)}"
    type: repetition
    enfants:
      funder: {{champ: "{i(91)}", type: text}}
      amount: {{champ: "{i(92)}", type: decimal_number}}
      status:
        champ: "{i(93)}"
        type: drop_down_list
        options: [Acquis, Sollicité, Prévu]
        valeurs: {{obtained: Acquis, requested: Sollicité, planned: Prévu}}
  support.methodological: {{champ: "{i(10)}", type: yes_no}}
  support.grant: {{champ: "{i(11)}", type: integer_number}}
  support.expertise: {{champ: "{i(12)}", type: decimal_number}}
  startDate: {{champ: "{i(13)}", type: date}}
  durationMonths: {{champ: "{i(14)}", type: integer_number}}
  contact.email: {{champ: "{i(15)}", type: email}}
  contact.phone: {{champ: "{i(16)}", type: phone}}
  workshop.date: {{champ: "{i(17)}", type: date}}
identite:
  nom: contact.name
"""


def run(*args):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def iae(database):
    ds = demarches_server(champs=IAE_CHAMPS, opendata=False, for_individual=True, path="cooperation-iae")
    with tempfile.TemporaryDirectory(prefix="atelier-ds-map-") as data_dir:
        mapping = os.path.join(data_dir, "mapping.yaml")
        with open(mapping, "w") as f:
            f.write(IAE_MAPPING)
        server = Server(data_dir, free_port(), database=database, extra_args=[
            "--demarches", ds.url, "--mapping", mapping]).start()
        try:
            yield server, ds, mapping
        finally:
            server.stop()
            ds.shutdown()


def test_every_champ_type_reaches_the_dossier_as_the_platform_reads_it(iae):
    """The default plan's sheet through the console, read back from what the double stored."""
    server, ds, mapping = iae
    # A non-public procedure: its description cannot be read, the mapping's own types are checked.
    out = run("submit", server.info["workshop"], "--mapping", mapping, "--check", "--demarches", ds.url,
              "--procedure-path", "cooperation-iae", *server.storage_args)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "n'est pas publique" in out.stdout and "Correspondance valide" in out.stdout

    async def scenario():
        f, people, project = await make_projects(server)
        assert (await f.request({"type": "projects.submit", "channel": "demarches"}))["type"] == "ack"
        submitted = await f.expect(lambda m: m.get("type") == "project.submitted", timeout=30)
        for x in (f, *people):
            await x.close()
        return submitted["receipt"]["number"]
    number = asyncio.run(scenario())
    stored = ds.dossiers[number].champs
    sent = ds.recorder.requests[0]
    s = IAE_COMPLETE
    assert stored[i(2)] == "Poste partagé"
    assert stored[i(3)] == s["summary"]
    # A drop-down gets the procedure's own option, never Atelier's label (kept as sent, unchecked).
    assert stored[i(4)] == "Coopération entre structures d'insertion"
    # Several choices: an array, translated (outside the options, the platform would drop it).
    assert stored[i(5)] == ["Coopération peu concrétisée", "Parcours complexes"]
    assert stored[i(6)] == "73282932000074"
    # Repetitions: one object per row, keyed by the children's ids.
    assert stored[i(7)] == [{i(71): "EI Bâtir", i(72): "EI", i(73): "35600000049837"}]
    assert sent[f"champ_{i(7)}"] == [{f"champ_{i(71)}": "EI Bâtir", f"champ_{i(72)}": "EI", f"champ_{i(73)}": "35600000049837"}]
    assert stored[i(9)] == [{i(91): "Région Bourgogne-Franche-Comté", i(92): "20000", i(93): "Sollicité"},
                            {i(91): "Fondation Fictive", i(92): "5000", i(93): "Acquis"}]
    assert stored[i(8)] == "60000" and stored[i(11)] == "12500" and stored[i(12)] == "5000" and stored[i(14)] == "24"
    # Yes/no: the string "true", shown "Oui" (a JSON true would be stored "t" and shown "Non").
    assert stored[i(10)] == "true" and shown(ds.champs[10], stored[i(10)]) == "Oui"
    assert stored[i(13)] == "2027-01-04"
    assert stored[i(15)] == "marie.dupont@example.org" and stored[i(16)] == "03 85 00 00 00"
    assert len(stored[i(17)]) == 10 and stored[i(17)][4] == "-"
    assert ds.dossiers[number].identity == {"nom": "Marie Dupont"}
    assert set(stored) == {i(n) for n in (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)}


def test_the_double_applies_the_platforms_rules():
    """What a wrong conversion would meet: the double stores and drops as the platform does."""
    ds = demarches_server(champs=IAE_CHAMPS, for_individual=True)
    body = {f"champ_{i(10)}": True, f"champ_{i(5)}": ["Constats de l'atelier"], f"champ_{i(4)}": "Coopération entre SIAE",
            f"champ_{i(13)}": "le 4 janvier", f"champ_{i(8)}": "60 000 €", f"champ_{i(12)}": "3,14", f"champ_{i(14)}": False,
            f"champ_{i(7)}": "EI Bâtir, ei", f"champ_{i(9)}": [{f"champ_{i(92)}": True}], "champ_inconnu": "x",
            "identite_genre": "Madame", "identite_prenom": "Marie"}
    req = urllib.request.Request(f"{ds.url}/api/public/v1/demarches/{ds.procedure}/dossiers", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 201
        number = json.loads(r.read())["dossier_number"]
    d = ds.dossiers[number]
    assert d.champs[i(10)] == "t" and shown(ds.champs[10], "t") == "Non", "a JSON true is stored 't', shown 'Non'"
    assert i(5) not in d.champs, "a multiple drop-down value outside the options is dropped"
    assert d.champs[i(4)] == "Coopération entre SIAE", "a drop-down value outside the options is stored as sent"
    assert i(13) not in d.champs and i(8) not in d.champs and i(14) not in d.champs
    assert d.champs[i(12)] == "3,14", "kept raw"
    assert i(7) not in d.champs, "a repetition takes an array of rows"
    assert d.champs[i(9)] == [{i(92): "t"}], "nothing is checked inside a row"
    assert d.identity == {"prenom": "Marie"}
    ds.shutdown()


def test_a_broken_mapping_is_reported_line_by_line_and_creates_no_dossier(iae):
    server, ds, _ = iae
    broken = os.path.join(server.data_dir, "broken.yaml")
    lines = [
        "champs:",
        f'  title: {{champ: "{i(2)}", type: text}}',
        f'  summary: {{champ: "{i(14)}", type: integer_number}}',                         # 3: a text into a number
        f'  partners: {{champ: "{i(3)}", type: textarea}}',                               # 4: a repeated group into a text
        f'  territory: {{champ: "{i(99)}", type: text}}',                                 # 5: no such champ
        "  cooperation:",                                                               # 6: a value outside the options
        f'    champ: "{i(4)}"',
        "    type: drop_down_list",
        "    valeurs: {siae: Coopération}",
        f'  budget: {{champ: "{i(8)}", type: integer_number}}',                           # 10: not a field of this form
        "  cofinancing:",
        f'    champ: "{i(9)}"',
        "    type: repetition",
        "    enfants:",
        f'      funder: {{champ: "{i(91)}", type: text}}',
        f'      amount: {{champ: "{i(71)}", type: integer_number}}',                       # 16: not a child of this block
        f'  startDate: {{champ: "{i(13)}", type: yes_no}}',                               # 17: not the champ's type
    ]
    with open(broken, "w") as f:
        f.write("\n".join(lines) + "\n")
    # Against the procedure's description (made public for the check).
    public = demarches_server(champs=IAE_CHAMPS, path="cooperation-iae")
    try:
        out = run("submit", server.info["workshop"], "--mapping", broken, "--check", "--demarches", public.url,
                  "--procedure-path", "cooperation-iae", *server.storage_args)
    finally:
        public.shutdown()
    assert out.returncode == 1, out.stdout
    errors = [l for l in out.stdout.splitlines() if " : erreur : " in l]
    where = sorted({int(l.split(" : ")[0].rsplit(":", 1)[1]) for l in errors})
    assert where == [3, 4, 5, 6, 10, 16, 17], out.stdout
    text = out.stdout
    assert f"{broken}:3 : erreur : « summary » : un champ « texte long » du formulaire ne peut pas remplir un champ « integer_number »" in text
    assert f"{broken}:4 : erreur : « partners » : un champ « groupe répété »" in text
    assert f"{broken}:5 : erreur : « territory » : le champ « {i(99)} » n'existe pas dans la démarche n° 4242" in text
    assert "deviendrait « Coopération », qui n'est pas une option de la démarche" in text
    assert f"{broken}:10 : erreur : « budget » n'est pas un champ du formulaire" in text
    assert f"{broken}:16 : erreur : « cofinancing.amount » : le champ « {i(71)} » n'est pas un champ du bloc répété" in text
    assert f"{broken}:17 : erreur : « startDate » : le type noté « yes_no » n'est pas celui du champ de la démarche (« date »)" in text
    assert "aucun dossier ne sera créé" in text

    # Without the description, against what the mapping records: the types it notes.
    out = run("submit", server.info["workshop"], "--mapping", broken, "--check", *server.storage_args)
    assert out.returncode == 1
    assert f"{broken}:3 : erreur" in out.stdout and f"{broken}:4 : erreur" in out.stdout

    # Submitting with it: refused before any POST, from the command line and from a server.
    out = run("submit", server.info["workshop"], "--demarches", ds.url, "--procedure", str(ds.procedure),
              "--mapping", broken, *server.storage_args)
    assert out.returncode == 1 and "rien n'est envoyé" in out.stdout and f"{broken}:3" in out.stdout, out.stdout
    assert ds.recorder.attempts == 0 and not ds.dossiers


def test_the_server_refuses_to_submit_with_a_broken_mapping(database):
    ds = demarches_server(champs=IAE_CHAMPS)
    with tempfile.TemporaryDirectory(prefix="atelier-ds-broken-") as data_dir:
        mapping = os.path.join(data_dir, "mapping.yaml")
        with open(mapping, "w") as f:
            f.write(f'champs:\n  title: {{champ: "{i(2)}", type: text}}\n  partners: {{champ: "{i(3)}", type: textarea}}\n')
        server = Server(data_dir, free_port(), database=database, extra_args=[
            "--demarches", ds.url, "--procedure", str(ds.procedure), "--mapping", mapping]).start()
        try:
            async def scenario():
                f, people, project = await make_projects(server)
                refused = await f.request({"type": "projects.submit", "channel": "demarches"})
                assert refused["type"] == "error" and refused["code"] == "invalid", refused
                assert "rien n'est envoyé" in refused["message"] and f"{mapping}:3 : erreur : « partners »" in refused["message"], refused
                for x in (f, *people):
                    await x.close()
            asyncio.run(scenario())
        finally:
            server.stop()
            ds.shutdown()
    assert ds.recorder.attempts == 0 and not ds.dossiers


# The generic plan's call (sessions/appel-generique.yaml), published as open data.
GENERIC_CHAMPS = [
    champ(1, "header_section", "Présentation"),
    champ(2, "text", "Nom du projet", required=True),
    champ(3, "textarea", "Le projet en quelques lignes"),
    champ(4, "drop_down_list", "Thème", options=["Education", "Santé", "Environnement", "Culture", "Sport"]),
    champ(5, "multiple_drop_down_list", "Publics visés", options=["Jeunes", "Aînés", "Familles", "Demandeurs d'emploi"]),
    champ(6, "siret", "SIRET de la structure qui dépose"),
    champ(7, "email", "Courriel de la structure qui dépose"),
    champ(8, "repetition", "Équipe", children=[
        champ(81, "text", "Personne"), champ(82, "text", "Rôle"), champ(83, "integer_number", "Heures par semaine"),
        champ(84, "yes_no", "Bénévole")]),
    champ(9, "integer_number", "Budget du projet"),
    champ(10, "decimal_number", "Montant demandé"),
    champ(11, "date", "Début"),
    champ(12, "checkbox", "Assurance responsabilité civile souscrite"),
    champ(13, "date", "Date de l'atelier"),
    champ(14, "text", "Numéro RNA"),
    champ(15, "piece_justificative", "Statuts", required=True),
]


async def generic_ready_project(server, workshop, key, code):
    c = await Client.connect(server.ws_url)
    wf = await c.request({"type": "join", "workshop": workshop, "facilitatorKey": key})
    board = wf["workshop"]["boards"][0]
    a = await Client.connect(server.ws_url)
    await a.request({"type": "join", "code": code, "name": "Alice", "organisation": "Association Fictive", "actor": "other",
                     "group": board["group"]})
    assert (await c.request({"type": "phase.set", "phase": "projects"}))["type"] == "ack"
    project = (await a.request({"type": "project.create", "board": board["id"], "title": "La Maison du soir"}))["result"]["project"]
    assert (await a.request({"type": "project.update", "project": project, "version": 1, "fields": GENERIC_COMPLETE}))["type"] == "ack"
    assert (await c.request({"type": "project.ready", "project": project}))["type"] == "ack"
    await a.close(); await c.close()
    return project


def test_describe_writes_a_skeleton_that_checks_and_submits_with_the_second_plan(database):
    ds = demarches_server(procedure=777, champs=GENERIC_CHAMPS, path="innovation-sociale", title="Innovation sociale")
    with tempfile.TemporaryDirectory(prefix="atelier-ds-describe-") as data_dir:
        server = Server(data_dir, free_port(), database=database).start()
        try:
            req = urllib.request.Request(server.url + "/api/workshops", method="POST",
                                         data=json.dumps({"plan": "appel-generique", "title": "Innovation sociale"}).encode(),
                                         headers={"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                created = json.loads(r.read())
            workshop = created["id"]
            asyncio.run(generic_ready_project(server, workshop, created["facilitatorKey"], created["joinCode"]))

            skeleton = os.path.join(data_dir, "squelette.yaml")
            out = run("submit", workshop, "--demarches", ds.url, "--procedure-path", "innovation-sociale", "--describe",
                      "--out", skeleton, *server.storage_args)
            assert out.returncode == 0, out.stdout + out.stderr
            assert ds.recorder.schema_queries == ["innovation-sociale"]
            text = open(skeleton).read()
            # Every champ, with its type and options; the form's field guessed where the labels agree.
            for c in GENERIC_CHAMPS:
                if c["type"] != "header_section":
                    assert typed_id(c["stable_id"]) in text or c["label"] in text, c
            assert "numero: 777" in text and "type: multiple_drop_down_list" in text and "enfants:" in text
            assert "  theme:\n" in text and "  structure.siret:\n" in text and "  team:\n" in text and "  workshop.date:\n" in text
            assert '"education": "Education"' in text, "options matched without accents"
            assert "# ?:" in text and "Numéro RNA" in text, "no obvious field: left as a comment"
            assert "ne peut pas être prérempli" in text, "an attachment"
            # A procedure whose description is not public (or does not exist): said, nothing written.
            out = run("submit", workshop, "--demarches", ds.url, "--procedure-path", "inconnue", "--describe", *server.storage_args)
            assert out.returncode == 1 and "n'est pas publique" in out.stdout and "champs:" not in out.stdout, out.stdout
            # A mapping written before types were recorded: still valid, with how to update it.
            legacy = os.path.join(data_dir, "ancienne.yaml")
            with open(legacy, "w") as f:
                f.write(f"champs:\n  title: {i(2)}\n  team: {i(8)}\n")
            out = run("submit", workshop, "--mapping", legacy, "--check", *server.storage_args)
            assert out.returncode == 0 and f"{legacy}:2 : avertissement" in out.stdout and "--describe" in out.stdout, out.stdout
            # The same on stdout.
            assert run("submit", workshop, "--demarches", ds.url, "--procedure-path", "innovation-sociale", "--describe",
                       *server.storage_args).stdout == text

            out = run("submit", workshop, "--mapping", skeleton, "--check", "--demarches", ds.url, *server.storage_args)
            assert out.returncode == 0, out.stdout
            assert "Correspondance valide pour la démarche n° 777" in out.stdout
            assert "avertissement : le champ obligatoire « Statuts »" in out.stdout

            # Submitted with it, the procedure's number read from the skeleton.
            out = run("submit", workshop, "--demarches", ds.url, "--mapping", skeleton, *server.storage_args)
            assert out.returncode == 0, out.stdout + out.stderr
            number = next(iter(ds.dossiers))
            stored = ds.dossiers[number].champs
            assert stored[i(2)] == "La Maison du soir"
            assert stored[i(3)] == GENERIC_COMPLETE["pitch"]
            assert stored[i(4)] == "Education"
            assert stored[i(5)] == ["Jeunes", "Familles"]
            assert stored[i(6)] == "73282932000074" and stored[i(7)] == "contact@fictive.example"
            assert stored[i(8)] == [{i(81): "Ana", i(82): "coordination", i(83): "20", i(84): "false"},
                                    {i(81): "Bo", i(82): "animation", i(83): "6", i(84): "true"}]
            assert stored[i(9)] == "30000" and stored[i(10)] == "20000" and stored[i(11)] == "2027-09-01"
            # A "no" is the string "false" (a JSON false would be dropped as blank).
            assert stored[i(12)] == "false" and shown(ds.champs[12], stored[i(12)]) == "Non"
            assert len(stored[i(13)]) == 10
            assert i(14) not in stored
        finally:
            server.stop()
            ds.shutdown()
