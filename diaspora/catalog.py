"""Fixed lists shown in forms: sectors, and (through ``geo``) countries and languages.

Sector names come from ``diaspora/data/sectors.csv`` (columns ``key`` and ``name``) when the
file is there; the built-in names below keep the same keys. Names are kept in English and
translated where they are shown (:func:`sector_name`, :func:`sector_choices`).
"""

import csv
from functools import cache
from pathlib import Path

from flask_babel import gettext, lazy_pgettext, pgettext
from flask_babel import lazy_gettext as _l

from diaspora import geo

SECTORS_CSV = Path(__file__).resolve().parent / "data" / "sectors.csv"

DEFAULT_SECTORS = {
    "health": "Health",
    "engineering": "Engineering",
    "water_sanitation": "Water and sanitation",
    "energy": "Energy",
    "agriculture": "Agriculture",
    "ict": "Information and communication technology",
    "education": "Education",
    "research": "Research",
    "finance": "Finance",
    "law_governance": "Law and governance",
    "humanitarian": "Humanitarian work",
    "business": "Business",
}

#: The sector names of ``sectors.csv``, marked so the catalogs translate them; each is looked
#: up when shown (a name the catalogs do not know is shown as the file writes it).
TRANSLATED_SECTOR_NAMES = {
    "health": _l("Health"),
    "engineering": _l("Engineering"),
    "water_sanitation": _l("Water and sanitation"),
    "energy": _l("Energy"),
    "agriculture": _l("Agriculture and food"),
    # Translators: a sector, information and communication technology.
    "ict": _l("ICT"),
    # Translators: the sector (schools, universities), not a person's degrees.
    "education": lazy_pgettext("sector", "Education"),
    "research": _l("Research and science"),
    "finance": _l("Finance"),
    "law_governance": _l("Law and governance"),
    "humanitarian": _l("Humanitarian action"),
    "business": _l("Business and management"),
}


#: Sector names that are also other words of the interface ("Education" heads a profile's
#: degrees): translated with the context "sector".
SECTOR_NAMES_IN_CONTEXT = {"education": "Education"}


@cache
def sectors() -> dict[str, str]:
    """Sector key -> name in English, in file order (see :func:`sector_name` to show one)."""
    if not SECTORS_CSV.exists():
        return dict(DEFAULT_SECTORS)
    with SECTORS_CSV.open(newline="", encoding="utf-8") as handle:
        rows = {
            row["key"].strip(): (row.get("name") or row.get("label") or row["key"]).strip()
            for row in csv.DictReader(handle)
            if row.get("key")
        }
    return rows or dict(DEFAULT_SECTORS)


def sector_name(key: str) -> str:
    """The sector's name in the current language."""
    name = sectors().get(key, key)
    if not name:
        return name
    if SECTOR_NAMES_IN_CONTEXT.get(key) == name:
        return pgettext("sector", name)
    return gettext(name)


def sector_names() -> dict[str, str]:
    """Sector key -> name in the current language, in file order."""
    return dict(sector_choices())


def sector_choices() -> list[tuple[str, str]]:
    """(key, name in the current language) of every sector, in file order, for forms."""
    return [(key, sector_name(key)) for key in sectors()]


def countries() -> list[tuple[str, str]]:
    """(ISO 3166 alpha-2 code, name), sorted by name."""
    return list(geo.country_choices())


country_name = geo.country_name
language_name = geo.language_name


def languages() -> list[tuple[str, str]]:
    """(ISO 639-1 code, name) of the languages that have a two-letter code, sorted by name."""
    return list(geo.language_choices())
