"""The Arabic and English catalogues are complete: every string of the project's pages,
templates and Python modules has a translation that is neither empty nor fuzzy, the
catalogues are up to date with the sources, and the compiled .mo files match them."""

import ast
import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ar", "en")
SOURCES = ("config", "artisanat", "strategy", "contracts", "portal", "opendata", "templates", "manage.py")


def parse_po(path):
    """Entries of a .po file: {(msgctxt, msgid, msgid_plural): (msgstrs, flags)}.
    Obsolete entries (``#~``) and the header are left out."""
    entries, current, key = {}, None, None

    def flush():
        nonlocal current
        if current and current.get("msgid"):
            entry_key = (current.get("msgctxt"), current["msgid"], current.get("msgid_plural"))
            entries[entry_key] = (current["msgstr"], current["flags"])
        current = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if current and "msgid" in current:
                flush()
            current = current or {"flags": set(), "msgstr": {}}
            if line.startswith("#,"):
                current["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            continue
        current = current or {"flags": set(), "msgstr": {}}
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if key[0] == "msgstr":
                current["msgstr"][key[1]] += value
            else:
                current[key[0]] += value
            continue
        word, _, rest = line.partition(" ")
        value = ast.literal_eval(rest)
        if word.startswith("msgstr"):
            index = int(word[7:-1]) if word.startswith("msgstr[") else 0
            key = ("msgstr", index)
            current["msgstr"][index] = value
        else:
            key = (word, None)
            current[word] = value
    flush()
    return entries


def catalogue(lang):
    return ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_is_translated_and_not_fuzzy(lang):
    entries = parse_po(catalogue(lang))
    assert len(entries) > 100
    untranslated = [k[1] for k, (msgstrs, _flags) in entries.items() if not msgstrs or not all(msgstrs.values())]
    fuzzy = [k[1] for k, (_msgstrs, flags) in entries.items() if "fuzzy" in flags]
    assert not untranslated, f"{lang}: {len(untranslated)} chaînes sans traduction, dont {untranslated[:10]}"
    assert not fuzzy, f"{lang}: {len(fuzzy)} traductions « fuzzy », dont {fuzzy[:10]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_are_not_copies_of_the_french(lang):
    entries = parse_po(catalogue(lang))
    same = [k[1] for k, (msgstrs, _f) in entries.items() if msgstrs.get(0) == k[1] and any(c.isalpha() for c in k[1])]
    allowed = {"Français", "العربية", "English", "Artisanat 2030", "Administration", "Transformation", "Phase", "Date"}
    allowed |= {"Relance", "Association", "Type", "Source", "Code", "version", "source", "date", "type", "description"}
    allowed |= {"action", "Action", "programme", "Programme", "phase", "places", "artisans", "note", "Note", "Pages"}
    suspicious = [s for s in same if s not in allowed]
    assert len(suspicious) <= (0 if lang == "ar" else 25), f"{lang}: {suspicious[:20]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po(lang):
    mo = catalogue(lang).with_suffix(".mo")
    assert mo.exists(), f"lancez compilemessages : {mo} manque"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for (context, msgid, plural), (msgstrs, _flags) in parse_po(catalogue(lang)).items():
        if plural:
            got = compiled.npgettext(context, msgid, plural, 1) if context else compiled.ngettext(msgid, plural, 1)
            wanted = msgstrs[compiled.plural(1)] if hasattr(compiled, "plural") else msgstrs[1]
        else:
            got = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
            wanted = msgstrs[0]
        if got != wanted:
            stale.append(msgid)
    assert not stale, f"{lang}: .mo périmé, relancez compilemessages ({stale[:5]})"


def test_catalogues_are_up_to_date_with_the_sources(tmp_path):
    """makemessages run on a copy of the sources finds no string missing from the
    committed catalogues."""
    if not shutil.which("xgettext"):
        pytest.skip("xgettext absent (paquet gettext) : vérification de fraîcheur des catalogues sautée")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ar", "--no-location", "-v", "0"],
        cwd=tmp_path,
        check=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(tmp_path),
        },
        timeout=120,
    )
    fresh = set(parse_po(tmp_path / "locale" / "ar" / "LC_MESSAGES" / "django.po"))
    for lang in LANGUAGES:
        missing = sorted(fresh - set(parse_po(catalogue(lang))), key=str)
        assert not missing, (
            f"{lang}: {len(missing)} chaînes absentes du catalogue — lancez "
            f"`manage.py makemessages -l ar -l en -l fr --ignore=.venv` puis traduisez-les : {missing[:10]}"
        )
