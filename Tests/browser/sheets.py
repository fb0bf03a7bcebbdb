"""Project sheets in browser tests: a sheet the default plan's call accepts, and filling any
plan's sheet in the editor the way a person does, from the workshop's form (`workshop.form`)."""
from selenium.webdriver.support.ui import Select

from .pages import click, find

EDITOR = '[data-testid="project-editor"]'

# Input names of today's sheet that pages keep (web/js/project-form.js, LEGACY_INPUTS).
LEGACY_INPUTS = {
    "lead.name": "leadName", "lead.actor": "leadActor", "lead.siret": "leadSiret",
    "contact.name": "contactName", "contact.email": "contactEmail", "contact.phone": "contactPhone",
    "support.methodological": "methodological", "support.expertise": "expertise", "support.grant": "grant",
    "outcomes.insertionJobs": "insertionJobs", "outcomes.peopleSupported": "peopleSupported", "outcomes.other": "outcomesOther",
}


def part_input(field, part):
    return LEGACY_INPUTS.get(f"{field}.{part}", f"{field}.{part}")


def complete_default(w, board):
    """Every field and rule of the default plan's call met, in the wire shape of project.update."""
    problem = next(c for c in w["cards"] if c["board"] == board["id"])
    return {
        "summary": "Un garage qui répare les voitures des salariés en insertion.",
        "problems": [problem["id"]], "constats": ["fragilite-financiere"], "cooperation": "siae",
        "orientation": w["orientations"][0]["id"], "territory": "Le Creusot-Montceau",
        "lead": {"name": "ACI Le Pont", "actor": "aci"},
        "partners": [{"name": "EI Bâtir", "actor": "ei", "role": "atelier"}],
        "totalBudget": 40000, "cofinancing": [{"funder": "Région", "amount": 10000, "status": "requested"}],
        "support": {"methodological": True, "methodologicalNeed": "Structurer le partenariat."},
        "durationMonths": 12, "startDate": "2027-03-01",
        "outcomes": {"insertionJobs": 2},
        "nextActions": [{"action": "Signer la convention", "owner": "Alice Martin", "due": "2027-02-01"}],
        "contact": {"name": "Alice Martin", "email": "alice@exemple.fr", "phone": ""},
    }


def put(driver, element, field, value):
    """One value into its control, as a person would (a date through the control's value)."""
    kind = field["type"]
    if kind in ("choice", "orientations"):
        Select(element).select_by_value(value)
    elif kind == "yesNo" and element.tag_name == "select":
        Select(element).select_by_value("true" if value else "false")
    elif kind == "yesNo":
        if element.is_selected() != bool(value):
            click(element)
    elif kind == "date":
        driver.execute_script("arguments[0].value = arguments[1];"
                              "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
                              "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", element, value)
    else:
        element.clear()
        element.send_keys(str(value))


def fill_sheet(driver, form, values, scope=EDITOR):
    """Fills the open editor from `values` (field id → value, project.update's shape)."""
    for f in form["fields"]:
        if f["id"] not in values:
            continue
        v, kind = values[f["id"]], f["type"]
        if kind == "group" and f.get("repeated") is not False:
            for i, row in enumerate(v):
                click(find(driver, f'{scope} [data-action="row-add"][data-group="{f["id"]}"]'))
                base = f'{scope} [data-group="{f["id"]}"] > fieldset[data-row="{i}"]'
                for c in f["fields"]:
                    if c["id"] in row:
                        put(driver, find(driver, f'{base} [data-part="{c["id"]}"]'), c, row[c["id"]])
        elif kind == "group":
            for c in f["fields"]:
                if c["id"] in v and v[c["id"]] not in (None, ""):
                    put(driver, find(driver, f'{scope} [data-testid="project-{part_input(f["id"], c["id"])}"]'), c, v[c["id"]])
        elif kind in ("choices", "problemCards", "ideaCards", "constats"):
            for x in v:
                box = find(driver, f'{scope} [data-cards="{f["id"]}"] input[value="{x}"]')
                if not box.is_selected():
                    click(box)
        else:
            put(driver, find(driver, f'{scope} [data-testid="project-{f["id"]}"]'), f, v)
