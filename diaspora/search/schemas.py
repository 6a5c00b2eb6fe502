"""The two index schemas and the conversion of the app's plain dicts into index documents.

Languages
    A project or profile is analysed in the language it is written in (``written_in``, see
    ``analysis.LANGUAGES``; anything else is read as English). Each text field exists once per
    language: ``content`` holds English text, ``content_fr`` French text, ``headline_l3_ar``
    Arabic headlines... (``analysis.language_field``), each with its language's stemmer and
    stop words, and a document fills only the fields of its own language. The stored ``lang``
    field says which, for highlighting and title ranking. Member names and skill names (the
    skill catalogue is English) stay in English fields for every member.

Projects
    One weighted ``content`` field (per language) holds every searchable text of a project
    (BM25F: title and skills weigh more than the description, see :data:`PROJECT_WEIGHTS`).
    Facet fields hold
    exact keys. Publication and deadline live in numeric columns for sorting. Only what
    snippets need (title, summary, the start of the description) is stored. A separate
    ``spell`` field holds the unstemmed, folded words of the short texts (everything but the
    description): the vocabulary of "did you mean" and of prefix searches.

Experts
    Each group of a member's profile has an audience level (:data:`ONLY_ME` .. :data:`PUBLIC`).
    A group is indexed only into the fields of its level (``headline_l3``, ``skills_l1``...) and
    a level-0 group is not indexed at all, so a search only ever reads the fields its clearance
    allows (see ``diaspora.search.engine.Clearance``). Nothing outside the listed keys is
    indexed: an ``email`` key in the dict is ignored.

Both indexes also hold one metadata document (``uid == META_UID``) recording the last change-log
id applied, committed atomically with the changes themselves.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from whoosh import columns
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

from .analysis import (
    ENGLISH,
    LANGUAGES,
    WeightedPositions,
    clean_text,
    fold,
    language_field,
    language_of,
    spelling_analyzer,
    spelling_words,
    text_analyzer,
    weighted_text,
)

META_UID = "__meta__"
NO_DEADLINE = 2**31 - 1
EXCERPT_CHARS = 1200
MAX_LIST_ITEMS = 100
MAX_VALUE_CHARS = 200

PROJECT_WEIGHTS = {
    "title": 4.0,
    "skills": 3.0,
    "summary": 2.0,
    "institution": 1.5,
    "description": 1.0,
    "country_name": 1.0,
    "region": 1.0,
    "sector_name": 1.0,
}
PROJECT_FACETS = ("country", "sector", "engagement_mode", "work_mode", "compensation", "skills")
PROJECT_FILTERS = (*PROJECT_FACETS, "languages", "institution_id")

ONLY_ME, COORDINATORS, APPLIED_INSTITUTIONS, SIGNED_IN, PUBLIC = range(5)
LEVELS = (COORDINATORS, APPLIED_INSTITUTIONS, SIGNED_IN, PUBLIC)
EXPERT_GROUPS = (
    "headline",
    "bio",
    "skills",
    "sectors",
    "languages",
    "location",
    "engagement",
    "travel",
)
EXPERT_TEXT_FIELDS = ("headline", "bio", "skills")
# The expert text fields written in the member's language; names and skills stay English.
EXPERT_WRITTEN_FIELDS = ("headline", "bio")
EXPERT_FILTERS = {
    "skills": ("skills", "skillset"),
    "sectors": ("sectors", "sectors"),
    "languages": ("languages", "languages"),
    "origin_country": ("location", "origin"),
    "residence_country": ("location", "residence"),
    "engagement_modes": ("engagement", "engagement"),
}
MAX_TRIPS = 20
MAX_TRIP_MONTHS = 24
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def level_field(name: str, level: int) -> str:
    """Return the name of the expert field holding ``name`` at audience ``level``."""
    return f"{name}_l{level}"


def _weighted_text_field(language: str = ENGLISH) -> TEXT:
    """A positional text field indexed through the fast weighted-sections path."""
    field = TEXT(analyzer=text_analyzer(language), phrase=True)
    field.format = WeightedPositions(field_boost=field.format.field_boost)
    return field


def project_schema() -> Schema:
    """Return the schema of the projects index."""
    texts = {language_field("content", lang): _weighted_text_field(lang) for lang in LANGUAGES}
    return Schema(
        uid=ID(unique=True, stored=True),
        lang=ID(stored=True),
        **texts,
        spell=KEYWORD(analyzer=spelling_analyzer()),
        title=STORED(),
        summary=STORED(),
        excerpt=STORED(),
        country=ID(),
        sector=ID(),
        engagement_mode=ID(),
        work_mode=ID(),
        compensation=ID(),
        skills=KEYWORD(),
        languages=KEYWORD(),
        institution_id=ID(),
        published=COLUMN(columns.NumericColumn("q", default=0)),
        deadline=COLUMN(columns.NumericColumn("i", default=NO_DEADLINE)),
        change_id=STORED(),
    )


def expert_schema() -> Schema:
    """Return the schema of the experts index: one field per group part and audience level."""
    fields = {
        "uid": ID(unique=True, stored=True),
        "name": TEXT(analyzer=text_analyzer()),
        "display_name": STORED(),
        "sortname": COLUMN(columns.VarBytesColumn()),
        "applied": KEYWORD(),
        # The widest audience of any group: who may open the member's page at all.
        "widest": ID(),
        "lang": ID(stored=True),
        "change_id": STORED(),
    }
    for level in LEVELS:
        for lang in LANGUAGES:
            for name in EXPERT_WRITTEN_FIELDS:
                field = language_field(level_field(name, level), lang)
                fields[field] = TEXT(analyzer=text_analyzer(lang), stored=True)
        fields[level_field("skills", level)] = TEXT(analyzer=text_analyzer())
        fields[level_field("skillset", level)] = KEYWORD(stored=True)
        fields[level_field("wanted", level)] = KEYWORD(stored=True)
        fields[level_field("sectors", level)] = KEYWORD(stored=True)
        fields[level_field("languages", level)] = KEYWORD(stored=True)
        fields[level_field("origin", level)] = ID(stored=True)
        fields[level_field("residence", level)] = ID(stored=True)
        fields[level_field("engagement", level)] = KEYWORD(stored=True)
        fields[level_field("travel", level)] = KEYWORD()
        fields[level_field("trips", level)] = STORED()
    return Schema(**fields)


def meta_document(change_id: int | None) -> dict:
    """Return the metadata document recording the last applied change-log id."""
    return {"uid": META_UID, "change_id": change_id}


def _text(value, limit: int | None = None) -> str:
    text = clean_text(value).strip()
    return text[:limit] if limit else text


def _values(values, normalize=str.strip) -> list[str]:
    """Return up to ``MAX_LIST_ITEMS`` distinct cleaned values of a list (or a single value)."""
    if values is None:
        return []
    if isinstance(values, str | int):
        values = [values]
    result = []
    for value in list(values)[:MAX_LIST_ITEMS]:
        text = normalize(_text(value, MAX_VALUE_CHARS))
        if text and text not in result:
            result.append(text)
    return result


def country_code(value) -> str:
    """Normalize an ISO 3166 alpha-2 code."""
    return _text(value, 3).upper()


def key(value) -> str:
    """Normalize a vocabulary key (sector, mode, compensation, language)."""
    return _text(value, MAX_VALUE_CHARS).lower()


FILTER_NORMALIZERS = {
    "country": country_code,
    "origin_country": country_code,
    "residence_country": country_code,
    "sector": key,
    "sectors": key,
    "engagement_mode": key,
    "engagement_modes": key,
    "work_mode": key,
    "compensation": key,
    "languages": key,
    "institution_id": lambda value: _text(value, 20),
    "skills": lambda value: _text(value, MAX_VALUE_CHARS),
}


def _epoch(value) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    if isinstance(value, date):
        return int(datetime.combine(value, datetime.min.time(), tzinfo=UTC).timestamp())
    return 0


def day_number(value) -> int:
    """Return the proleptic ordinal of a date (or a datetime's date)."""
    if isinstance(value, datetime):
        return value.date().toordinal()
    return value.toordinal()


def project_document(project: dict) -> dict:
    """Convert the app's project dict into an index document."""
    title = _text(project.get("title"), 500)
    summary = _text(project.get("summary"), 2000)
    description = _text(project.get("description"))
    skills = _values(project.get("skills"))
    labels = _values(project.get("skill_labels"))
    texts = {
        "title": title,
        "skills": ", ".join(skills + labels),
        "summary": summary,
        "institution": _text(project.get("institution"), 500),
        "description": description,
        "country_name": _text(project.get("country_name"), 200),
        "region": _text(project.get("region"), 200),
        "sector_name": _text(project.get("sector_name"), 200),
    }
    spelling_source = " ".join(text for name, text in texts.items() if name != "description")
    deadline = project.get("deadline")
    lang = language_of(project.get("written_in"))
    content = weighted_text((PROJECT_WEIGHTS[name], text) for name, text in texts.items())
    document = {
        "uid": str(int(project["id"])),
        "lang": lang,
        language_field("content", lang): content,
        "spell": spelling_words(spelling_source, lang),
        "title": title,
        "summary": summary,
        "excerpt": description[:EXCERPT_CHARS],
        "skills": skills,
        "languages": _values(project.get("languages"), key),
        "published": _epoch(project.get("published_at")),
        "deadline": day_number(deadline) if deadline else NO_DEADLINE,
    }
    for name in ("country", "sector", "engagement_mode", "work_mode", "compensation"):
        value = FILTER_NORMALIZERS[name](project.get(name) or "")
        if value:
            document[name] = value
    if project.get("institution_id") is not None:
        document["institution_id"] = str(int(project["institution_id"]))
    return document


def audience_level(audience: dict | None, group: str) -> int:
    """Return the audience level of ``group``; anything missing or invalid means "only me"."""
    level = (audience or {}).get(group, ONLY_ME)
    if isinstance(level, bool) or not isinstance(level, int) or level not in LEVELS:
        return ONLY_ME
    return level


def widest_level(expert: dict) -> int:
    """The widest audience of any group of the member, indexed or not (``widest_audience``
    covers the groups the index leaves out): the searchers who may open the member's page."""
    audience = expert.get("audience") or {}
    levels = [audience_level(audience, group) for group in audience]
    levels.append(audience_level({"widest": expert.get("widest_audience")}, "widest"))
    return max(levels)


def _months(start: date, end: date) -> list[str]:
    """Return the months ``YYYY-MM`` from ``start`` to ``end`` inclusive (bounded)."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month) and len(months) < MAX_TRIP_MONTHS:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def travel_tokens(travel) -> tuple[list[str], list[list[str]]]:
    """Return the ``CC:YYYY-MM`` tokens and the stored trips of a travel list."""
    tokens: list[str] = []
    trips: list[list[str]] = []
    for trip in list(travel or [])[:MAX_TRIPS]:
        try:
            country, start, end = trip
        except (TypeError, ValueError):
            continue
        code, start, end = country_code(country), _as_date(start), _as_date(end)
        if not code or start is None or end is None or end < start:
            continue
        trips.append([code, start.isoformat(), end.isoformat()])
        for month in _months(start, end):
            token = f"{code}:{month}"
            if token not in tokens:
                tokens.append(token)
    return tokens, trips


def travel_token(country, month) -> str | None:
    """Return the token for "in ``country`` during ``month`` (YYYY-MM)", or None if invalid."""
    code, month = country_code(country), _text(month, 7)
    if not code or not _MONTH.match(month):
        return None
    return f"{code}:{month}"


def expert_document(expert: dict) -> dict:
    """Convert the app's expert dict into an index document, honouring each group's audience.

    A group at level 0 ("only me") is left out entirely; the others go into the fields of their
    own level only.
    """
    audience = expert.get("audience") or {}
    name = _text(expert.get("display_name"), 200)
    document = {
        "uid": str(int(expert["user_id"])),
        "name": name,
        "display_name": name,
        "sortname": fold(name).encode("utf-8")[:200],
        "applied": [str(int(i)) for i in list(expert.get("applied_institution_ids") or [])],
        "widest": str(widest_level(expert)),
    }
    lang = language_of(expert.get("written_in"))

    def put(group: str, field: str, value, lang: str = ENGLISH) -> None:
        level = audience_level(audience, group)
        if level != ONLY_ME and value:
            document[language_field(level_field(field, level), lang)] = value

    put("headline", "headline", _text(expert.get("headline"), 500), lang)
    put("bio", "bio", _text(expert.get("bio"), 20000), lang)
    if any(field.startswith(EXPERT_WRITTEN_FIELDS) for field in document):
        # Which fields hold the headline and bio; said only when one of them is indexed.
        document["lang"] = lang
    skills = _values(expert.get("skills"))
    wanted = _values(expert.get("skills_wanted"))
    labels = _values(expert.get("skill_labels"))
    put("skills", "skills", ", ".join(skills + wanted + labels))
    put("skills", "skillset", skills)
    put("skills", "wanted", wanted)
    put("sectors", "sectors", _values(expert.get("sectors"), key))
    put("languages", "languages", _values(expert.get("languages"), key))
    put("location", "origin", country_code(expert.get("origin_country") or ""))
    put("location", "residence", country_code(expert.get("residence_country") or ""))
    put("engagement", "engagement", _values(expert.get("engagement_modes"), key))
    tokens, trips = travel_tokens(expert.get("travel"))
    put("travel", "travel", tokens)
    put("travel", "trips", trips)
    return document
