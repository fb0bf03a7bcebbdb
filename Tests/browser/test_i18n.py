"""Every string the interface shows comes from web/js/i18n.js, in French and in English."""
import glob
import os
import re

from .conftest import ROOT

WEB = os.path.join(ROOT, "web")
I18N = open(os.path.join(WEB, "js", "i18n.js"), encoding="utf-8").read()
# Namespaces of catalogue keys: a string literal `'ns.rest'` in the code is a key to check.
NAMESPACES = sorted({k.split(".")[0] for k in re.findall(r"^\s*'([a-z]+\.[^']+)':", I18N, re.M)})


def catalogue(name):
    start = I18N.index(f"const {name} = {{")
    end = I18N.index("\n};", start)
    return set(re.findall(r"^\s*'([^']+)':", I18N[start:end], re.M))


def test_french_and_english_have_the_same_keys():
    fr, en = catalogue("fr"), catalogue("en")
    assert fr - en == set(), f"missing in English: {sorted(fr - en)}"
    assert en - fr == set(), f"missing in French: {sorted(en - fr)}"


def protocol_names():
    """Message and event types (`card.add`, `timer.started`…): they look like keys but are not."""
    doc = open(os.path.join(ROOT, "docs", "protocol.md"), encoding="utf-8").read()
    return set(re.findall(r"`([a-z]+\.[a-zA-Z.]+)", doc))


def test_every_key_the_code_uses_exists():
    fr = catalogue("fr")
    pattern = re.compile(r"'((?:%s)\.[A-Za-z0-9_.]+)'" % "|".join(NAMESPACES))
    used = set()
    for path in glob.glob(os.path.join(WEB, "js", "*.js")):
        if not path.endswith("i18n.js"):
            used |= set(pattern.findall(open(path, encoding="utf-8").read()))
    for path in glob.glob(os.path.join(WEB, "*.html")):
        html = open(path, encoding="utf-8").read()
        used |= set(re.findall(r'data-i18n="([^"]+)"', html))
        used |= {pair.split(":")[1] for attr in re.findall(r'data-i18n-attr="([^"]+)"', html) for pair in attr.split(";")}
    used -= protocol_names()
    assert len(used) > 100, "few keys found: the pattern is wrong"
    assert used - fr == set(), f"keys used but not in the catalogue: {sorted(used - fr)}"


def test_no_user_text_through_innerhtml():
    """User text only ever goes through textContent: no innerHTML/outerHTML/insertAdjacentHTML."""
    offenders = [os.path.basename(p) for p in glob.glob(os.path.join(WEB, "js", "*.js"))
                 if re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write", open(p, encoding="utf-8").read())]
    assert offenders == []


def test_no_inline_script_or_style_in_pages():
    """The CSP forbids them; a page that needs one would break silently."""
    for path in glob.glob(os.path.join(WEB, "*.html")):
        html = open(path, encoding="utf-8").read()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script in {path}"
        assert "<style" not in html and " style=" not in html, f"inline style in {path}"
        assert not re.search(r"\son[a-z]+=", html), f"inline handler in {path}"
