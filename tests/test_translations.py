"""The German translations (django-topi's and the example shop's) are complete, and each compiled
catalogue matches its source."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

import django_topi

LOCALE = Path(django_topi.__file__).parent / "locale" / "de" / "LC_MESSAGES"
SHOP_LOCALE = Path(__file__).resolve().parent.parent / "example_project/shop/locale/de/LC_MESSAGES"
#: Each catalogue, with the fewest strings it has (a catalogue that loses its strings fails).
CATALOGUES = pytest.mark.parametrize(
    ("locale", "at_least"), [(LOCALE, 150), (SHOP_LOCALE, 35)], ids=["django_topi", "example_shop"]
)


def po_entries(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file (no plurals or contexts are used in django-topi)."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    field = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ")):
            field, _, literal = line.partition(" ")
            current[field] = ast.literal_eval(literal)
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
        elif not line.strip() and current:
            if current.get("msgid"):
                entries[current["msgid"]] = current.get("msgstr", "")
            current, field = {}, ""
    return entries


@CATALOGUES
def test_every_string_is_translated(locale, at_least):
    entries = po_entries(locale / "django.po")
    assert len(entries) > at_least
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []


@CATALOGUES
def test_the_compiled_catalogue_matches_the_source(locale, at_least):
    with (locale / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, msgstr in po_entries(locale / "django.po").items():
        assert compiled.gettext(msgid) == msgstr, msgid


def test_staff_sentences_are_whole_in_german():
    """Each operation has its own sentences, so German needs no verb or participle fragments."""
    from django.utils import translation

    from django_topi import fulfilment

    with translation.override("de"):
        too_late = str(fulfilment.REJECT_TOO_LATE_HERE) % {
            "name": "SO-1", "status": "bestätigt", "support": "support@topi.eu"}  # fmt: skip
        not_yet = str(fulfilment.ACKNOWLEDGE.words.not_allowed) % {
            "name": "SO-1", "status": "bestätigt", "allowed": "erstellt"}  # fmt: skip

    assert too_late == (
        "Bestellung SO-1 hat den Status bestätigt: Eine bestätigte Bestellung kann nicht mehr "
        "zurückgewiesen werden. Um sie zu stornieren, wenden Sie sich an den topi-Support "
        "(support@topi.eu)."
    )
    assert not_yet == (
        "Bestellung SO-1 hat hier den Status bestätigt; nur bei Bestellungen mit dem Status "
        "erstellt kann die Erfüllbarkeit bestätigt werden."
    )


def test_no_staff_sentence_is_built_from_a_verb_or_participle():
    entries = po_entries(LOCALE / "django.po")
    assert [msgid for msgid in entries if "%(verb)s" in msgid or "%(done)s" in msgid] == []
