"""The curated skills' names in the site's languages.

A curated skill is kept, indexed and submitted under its English name (``skills.csv``);
``diaspora/data/skill_names.csv`` (columns ``skill``, ``language``, ``name``) gives its name
in each other language. :func:`skill_name` shows a skill in the reader's language (a free
skill a member typed stays as typed), and :func:`curated_name` reads a name typed in any
language back as the curated skill's English name. ``flask skills load`` also keeps the
translations as labels of their skill (source ``translation``), so search finds a skill by
its name in any language.
"""

import csv
from functools import cache
from pathlib import Path

from diaspora import i18n
from diaspora.search.synonyms import label_tokens

NAMES_CSV = Path(__file__).resolve().parent / "data" / "skill_names.csv"


def _key(name: str) -> str:
    return " ".join(str(name).casefold().split())


def _loose_key(name: str) -> str:
    """A name's identity when typed: its words, without case, accents or punctuation."""
    return " ".join(label_tokens(name))


@cache
def table() -> dict[str, dict[str, str]]:
    """Language -> {key of the English name -> name in that language} (the file, read once)."""
    names: dict[str, dict[str, str]] = {}
    if not NAMES_CSV.exists():
        return names
    with NAMES_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            skill = " ".join((row.get("skill") or "").split())
            language = (row.get("language") or "").strip()
            name = " ".join((row.get("name") or "").split())
            if skill and name and language in i18n.LANGUAGES:
                names.setdefault(language, {})[_key(skill)] = name
    return names


@cache
def _english() -> dict[str, str]:
    """Loose key of every name in the file (English or translated) -> the English name."""
    found: dict[str, str] = {}
    for skill, _language, name in translations():
        for each in (skill, name):
            key = _loose_key(each)
            if key:
                found.setdefault(key, skill)
    return found


def skill_name(skill, language: str | None = None) -> str:
    """A skill (a ``Skill`` or its English name) as the reader of ``language`` (the page's by
    default) reads it; a name the file does not know, such as a free skill, as it is."""
    name = getattr(skill, "name", skill)
    if name is None:
        return ""
    if getattr(skill, "curated", True) is False:
        return name
    language = language or i18n.current()
    if language == i18n.DEFAULT:
        return name
    return table().get(language, {}).get(_key(name), name)


def curated_name(typed: str) -> str | None:
    """The English name of the curated skill ``typed`` names in any language (case, accents
    and punctuation aside), or None when it names none."""
    return _english().get(_loose_key(typed or ""))


def translations() -> list[tuple[str, str, str]]:
    """(English name, language, name) for every translated name in the file."""
    rows = []
    if NAMES_CSV.exists():
        with NAMES_CSV.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                skill = " ".join((row.get("skill") or "").split())
                name = " ".join((row.get("name") or "").split())
                if skill and name:
                    rows.append((skill, (row.get("language") or "").strip(), name))
    return rows
