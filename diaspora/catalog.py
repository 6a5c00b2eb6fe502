"""Fixed lists shown in forms: sectors, and (through ``geo``) countries and languages.

Sector names come from ``diaspora/data/sectors.csv`` (columns ``key`` and ``name``) when the
file is there; the built-in names below keep the same keys.
"""

import csv
from functools import cache
from pathlib import Path

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


@cache
def sectors() -> dict[str, str]:
    """Sector key -> display name, in file order."""
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
    return sectors().get(key, key)


def countries() -> list[tuple[str, str]]:
    """(ISO 3166 alpha-2 code, name), sorted by name."""
    return list(geo.country_choices())


country_name = geo.country_name
language_name = geo.language_name


def languages() -> list[tuple[str, str]]:
    """(ISO 639-1 code, name) of the languages that have a two-letter code, sorted by name."""
    return list(geo.language_choices())
