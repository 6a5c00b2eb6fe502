"""Screening of project listings for signs of exploitative or trafficking-risk recruitment.

Fake "opportunities" are a known route into trafficking, so every listing an institution
submits is screened before a coordinator reviews it. The rules (fees asked of applicants,
passport retention, "visa guaranteed", payment by money transfer...) live in a JSON data
file, ``diaspora/data/screening_rules.json``, so that coordinators can adjust them without
touching code; operators may point at their own file.

Matching runs on a normalised copy of the text (Unicode NFKC, case folding, Latin accents
and Arabic diacritics removed, typographic quotes and dashes unified), while every reported
span refers to the original text, so that highlights land exactly on what was written.
Screening never decides anything: it tells a human reviewer where to look and why.

The rules' titles and explanations are English in the rules file and in what a screening
stores; :data:`RULE_TEXTS` puts those of the bundled rules in the translation catalogs and
:func:`translate` shows them in the reader's language.
"""

from __future__ import annotations

import dataclasses
import gettext
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from markupsafe import Markup, escape

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "data" / "screening_rules.json"

SEVERITIES = ("high", "medium")
PERIODS = ("hour", "day", "week", "month", "year")
KINDS = ("patterns", "pay", "third_country")

_COMMON_KEYS = frozenset({"id", "title", "explanation", "severity", "patterns"})
_OPTIONAL_KEYS = {
    "patterns": frozenset({"kind", "exceptions", "notes"}),
    "pay": frozenset({"kind", "exceptions", "notes", "currencies", "periods", "thresholds"}),
    "third_country": frozenset(
        {
            "kind",
            "exceptions",
            "notes",
            "triggers",
            "suffixes",
            "languages",
            "regions",
            "aliases",
            "cities",
        }
    ),
}
_REQUIRED_KEYS = {
    "patterns": frozenset(),
    "pay": frozenset({"currencies", "periods", "thresholds"}),
    "third_country": frozenset({"triggers"}),
}
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SEVERITY_ORDER = {severity: index for index, severity in enumerate(SEVERITIES)}


#: The titles and explanations of the bundled rules, for the translation catalogs. A
#: screening stores the English text; :func:`translate` gives it in the reader's language.
RULE_TEXTS = (
    _l("Fees charged to applicants"),
    _l(
        "The listing appears to ask applicants to pay money to apply, register, be trained, "
        "or secure a place (a fee, a charge or a deposit). Under the ILO General Principles "
        "and Operational Guidelines for Fair Recruitment, workers never pay recruitment fees "
        "or related costs: the employer or the institution bears them. On this platform "
        "members never pay to take part in a project. Please remove any fee, deposit or "
        "payment asked of applicants."
    ),
    _l("Passport or identity document retention"),
    _l(
        "The listing suggests that someone other than the member will take, hold or keep a "
        "passport, identity card or travel documents. Retaining identity documents is one of "
        "the ILO indicators of forced labour, and the ILO General Principles for Fair "
        "Recruitment say workers keep their own identity and travel documents. Members always "
        "keep their own papers. Please remove any request to hand over, surrender or leave "
        "documents with the institution, an employer or an agent."
    ),
    _l("Guaranteed visa or work permit"),
    _l(
        "The listing promises a visa or work permit. No one can guarantee one: only the "
        "authorities of the country concerned decide. A 'guaranteed visa' is a common lure in "
        "fraudulent and exploitative recruitment, usually followed by requests for fees, "
        "although workers never pay recruitment fees or related costs, visa costs included "
        "(ILO General Principles and Operational Guidelines for Fair Recruitment). The "
        "institution may describe the help it gives with a visa application, but should not "
        "promise the outcome."
    ),
    _l("Guaranteed job abroad"),
    _l(
        "The listing promises a guaranteed job or employment abroad. Such promises are a "
        "classic lure of traffickers and unscrupulous recruiters, and they are often followed "
        "by fees, debts or document retention. Projects on this platform are collaborations "
        "with institutions in the members' countries of origin; no one should promise "
        "employment in another country."
    ),
    _l("Payment by money transfer"),
    _l(
        "The listing asks for money to be sent through a money-transfer service, mobile money "
        "to a personal number, a personal account, gift cards or cryptocurrency. Such "
        "payments cannot be traced or refunded and are typical of advance-fee fraud and "
        "exploitative recruitment. Members never send money to take part in a project: "
        "workers never pay recruitment fees or related costs (ILO General Principles and "
        "Operational Guidelines for Fair Recruitment)."
    ),
    _l("Contact only through a personal channel"),
    _l(
        "The listing asks candidates to get in touch through a personal messaging app "
        "(WhatsApp, Telegram, Viber, Signal...) or a personal webmail address instead of the "
        "platform. Recruiters who avoid traceable, institutional channels are harder to hold "
        "to account, and moving the conversation off the platform is a frequent first step of "
        "fraud. Applications should go through the platform, and contacts should be the "
        "institution's own."
    ),
    _l("Pay far above the norm"),
    _l(
        "The listing promises pay far above what comparable work earns, or easy money. "
        "Unrealistic pay is a common lure in fraudulent and exploitative recruitment. If the "
        "figure is right, the coordinator can approve the listing; otherwise please state the "
        "real remuneration, stipend or allowance."
    ),
    _l("Recruitment for work in another country"),
    _l(
        "The listing appears to recruit people for work in a country other than the project's "
        "country (for example the Gulf, Europe or North America). Projects on this platform "
        "bring members' expertise to institutions in their countries of origin; recruiting "
        "for jobs in a third country falls outside the platform and is a known route into "
        "trafficking and exploitative labour migration. If the project really involves work "
        "elsewhere, please explain why."
    ),
    _l("Urgency or secrecy pressure"),
    _l(
        "The listing pressures candidates to decide or pay at once, or to keep the offer "
        "secret from their family or others. Pressure and secrecy stop people from checking "
        "an offer and are used by traffickers and fraudsters. Genuine projects give time to "
        "ask questions and encourage candidates to talk to family and colleagues."
    ),
    _l("Age or gender-only recruitment for domestic work"),
    _l(
        "The listing recruits for domestic or care work while restricting candidates by sex, "
        "age, marital status or looks. Young women recruited for domestic work are among the "
        "people most targeted by traffickers, and such restrictions are discriminatory under "
        "ILO Conventions No. 111 and No. 189 (Domestic Workers). Please remove the "
        "restriction or explain why it is needed."
    ),
)


def translate(text: str) -> str:
    """A rule's title or explanation in the current language (as it is if not translated)."""
    return _(text) if text else text


# --------------------------------------------------------------------------- normalisation

# Marks dropped before matching: Latin combining accents and Arabic vowel signs (harakat,
# shadda, hamza above/below, superscript alef, Quranic annotations). NFKD turns أ إ آ ؤ ئ
# into a base letter plus one of these marks, so dropping them also unifies hamza spellings.
_DROPPED_MARKS = re.compile("[\u0300-\u036f\u064b-\u065f\u0670\u06d6-\u06ed]")
_FOLD_TABLE = str.maketrans(
    {
        "\u0640": None,  # Arabic tatweel (kashida), a purely visual stretch
        "\u0649": "\u064a",  # alef maksura -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u0671": "\u0627",  # alef wasla -> alef
        "\u2018": "'",
        "\u2019": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},  # Persian digits
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class NormalizedText:
    """Text prepared for matching, with a map from each of its characters to the original.

    ``starts[i]``/``ends[i]`` give the span of the original text that produced character
    ``i``; one original character may produce several (``"ß"`` -> ``"ss"``) or none (an
    Arabic vowel sign), so offsets are mapped explicitly rather than assumed equal.
    """

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a non-empty span of the normalised text back onto the original text."""
        return self.starts[start], self.ends[end - 1]


def _fold(segment: str) -> str:
    """Normalise one base character and its combining marks."""
    text = unicodedata.normalize("NFKD", segment).casefold()
    text = _DROPPED_MARKS.sub("", unicodedata.normalize("NFKD", text))
    return unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)


def normalize(text: str) -> NormalizedText:
    """Return the matching form of ``text`` (NFKC, casefolded, accents removed) and its map.

    The text is processed one base character (plus following combining marks) at a time, so
    each output character is attributed to the original characters it came from.
    """
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    index, length = 0, len(text)
    while index < length:
        stop = index + 1
        while stop < length and unicodedata.combining(text[stop]):
            stop += 1
        folded = _fold(text[index:stop])
        pieces.append(folded)
        starts.extend([index] * len(folded))
        ends.extend([stop] * len(folded))
        index = stop
    return NormalizedText("".join(pieces), tuple(starts), tuple(ends))


def _normalize_pattern(pattern: str) -> str:
    """Give a regular expression's literals the same accent and letter folding as the text.

    Case is left alone (``\\S`` must stay ``\\S``); patterns compile with IGNORECASE.
    """
    text = _DROPPED_MARKS.sub("", unicodedata.normalize("NFKD", pattern))
    return unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)


def _normalize_literal(text: str) -> str:
    """Normalise a plain name (currency, place) exactly as listing text is normalised."""
    return " ".join(normalize(text).text.split())


def _literal_regex(text: str) -> str:
    """Regex for a normalised literal, tolerant of any run of whitespace between words."""
    return r"\s+".join(re.escape(word) for word in text.split())


# --------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True, slots=True)
class Match:
    """One flagged span of one field of a listing, with the rule that flagged it."""

    rule_id: str
    title: str
    explanation: str
    severity: str
    field: str
    start: int
    end: int
    text: str

    @property
    def translated_title(self) -> str:
        """The rule's title in the current language."""
        return translate(self.title)

    @property
    def translated_explanation(self) -> str:
        """The rule's explanation in the current language."""
        return translate(self.explanation)

    @property
    def translated_severity(self) -> str:
        """The rule's severity ("high", "medium") in the current language."""
        if self.severity == "high":
            # Translators: the severity of a screening rule, on a badge next to its title
            return pgettext("screening severity", "high")
        if self.severity == "medium":
            # Translators: the severity of a screening rule, on a badge next to its title
            return pgettext("screening severity", "medium")
        return self.severity


# --------------------------------------------------------------------------- rules

Span = tuple[int, int]


def _merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sort spans and merge those that overlap."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Rule:
    """A screening rule flagging every match of its patterns.

    A match lying entirely inside a match of one of the rule's ``exceptions`` (for example
    "the institution covers the registration fee") is ignored.
    """

    id: str
    title: str
    explanation: str
    severity: str
    patterns: tuple[re.Pattern[str], ...]
    exceptions: tuple[re.Pattern[str], ...] = ()

    def find(self, text: str, country: str | None) -> list[Span]:
        """Merged spans of the normalised ``text`` that this rule flags."""
        allowed = [match.span() for pattern in self.exceptions for match in pattern.finditer(text)]
        return _merge_spans(
            (start, end)
            for start, end in self._candidates(text, country)
            if start < end and not any(a <= start and end <= b for a, b in allowed)
        )

    def _candidates(self, text: str, country: str | None) -> Iterator[Span]:
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                yield match.span()


_MULTIPLIERS = {
    "k": 1_000,
    "thousand": 1_000,
    "mil": 1_000,
    "mille": 1_000,
    "million": 1_000_000,
    "millions": 1_000_000,
}
_NUMBER = r"(?<![\d.,])(?:\d{1,3}(?:[,.' ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?!\d)"
_AMOUNT_PARTS = re.compile(r"(?P<int>\d[\d,.' ]*?)(?:[.,](?P<dec>\d{1,2}))?")


def _parse_amount(number: str) -> float:
    """Read "5,000", "5.000,50", "10 000" or "1.5" as a number (3-digit groups are thousands)."""
    parts = _AMOUNT_PARTS.fullmatch(number)
    if parts is None:
        raise ValueError(f"not an amount: {number!r}")
    value = float(re.sub(r"\D", "", parts["int"]))
    if parts["dec"]:
        value += int(parts["dec"]) / 10 ** len(parts["dec"])
    return value


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class PayRule(Rule):
    """Flags pay promises far above the norm.

    Besides its phrase patterns, it extracts amounts with a currency and a period
    ("$5,000 per week", "EUR 3000/week", "10 000 USD a month"), converts them with the rough
    rates of the rules file and flags those above the threshold for their period.
    """

    amounts: re.Pattern[str]
    rates: Mapping[str, float]
    thresholds: Mapping[str, float]

    def _candidates(self, text: str, country: str | None) -> Iterator[Span]:
        yield from super()._candidates(text, country)
        for match in self.amounts.finditer(text):
            period = next(p for p in self.thresholds if match.group(f"period_{p}") is not None)
            currency = " ".join((match["cur_a"] or match["cur_b"]).split())
            multiplier = match["mult_a"] or match["mult_b"]
            value = _parse_amount(match["num_a"] or match["num_b"])
            value *= _MULTIPLIERS.get(multiplier, 1) if multiplier else 1
            if value * self.rates[currency] > self.thresholds[period]:
                yield match.span()


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class ThirdCountryRule(Rule):
    """Flags recruitment for work in a country other than the project's.

    A trigger phrase ("jobs in", "placement in", "recruiting nurses for") followed by a
    known place, or a known place followed by a suffix phrase ("Dubai hotel jobs"), is
    flagged unless the place belongs to the project's country. Regions
    ("the Gulf", "Europe") belong to no single country and are always flagged. Without a
    project country every such mention is flagged, since none can be ruled out.
    """

    place_patterns: tuple[re.Pattern[str], ...]
    places: Mapping[str, frozenset[str]]

    def _candidates(self, text: str, country: str | None) -> Iterator[Span]:
        yield from super()._candidates(text, country)
        for pattern in self.place_patterns:
            for match in pattern.finditer(text):
                codes = self.places.get(" ".join(match["place"].split()), frozenset())
                if country is None or country not in codes:
                    yield match.span()


# --------------------------------------------------------------------------- loading


def _fail(rule_id: str, message: str) -> ValueError:
    return ValueError(f"screening rule {rule_id}: {message}")


def _compile(rule_id: str, pattern: object, what: str) -> re.Pattern[str]:
    """Compile one normalised, case-insensitive pattern, naming the rule on failure."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise _fail(rule_id, f"each of {what} must be a non-empty string, got {pattern!r}")
    try:
        compiled = re.compile(_normalize_pattern(pattern), re.IGNORECASE)
    except re.error as exc:
        raise _fail(rule_id, f"invalid regular expression in {what} {pattern!r}: {exc}") from exc
    if compiled.match("") is not None:
        raise _fail(rule_id, f"pattern in {what} {pattern!r} matches the empty string")
    return compiled


def _compile_list(
    rule_id: str, data: Mapping[str, Any], key: str, *, required: bool
) -> tuple[re.Pattern[str], ...]:
    patterns = data.get(key, [])
    if not isinstance(patterns, list) or (required and not patterns):
        raise _fail(rule_id, f"{key!r} must be a non-empty list of regular expressions")
    return tuple(_compile(rule_id, pattern, key) for pattern in patterns)


def _text(rule_id: str, data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise _fail(rule_id, f"{key!r} must be a non-empty string")
    return value


def _country_codes(rule_id: str, value: object, name: str) -> frozenset[str]:
    codes = [value] if isinstance(value, str) else value
    if not isinstance(codes, list) or not codes:
        raise _fail(rule_id, f"place {name!r} must map to a country code or a list of codes")
    for code in codes:
        if not isinstance(code, str) or pycountry.countries.get(alpha_2=code) is None:
            raise _fail(rule_id, f"place {name!r}: unknown ISO 3166 alpha-2 code {code!r}")
    return frozenset(codes)


@lru_cache(maxsize=8)
def _country_names(languages: tuple[str, ...]) -> dict[str, frozenset[str]]:
    """Normalised country names (English and ``languages``) mapped to alpha-2 codes.

    Names with a comma ("Korea, Republic of") are left out: they never occur in running
    text, and the rules file gives the usual forms as aliases.
    """
    translations = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        for language in languages
    ]
    names: dict[str, set[str]] = {}
    for country in pycountry.countries:
        english = [
            getattr(country, attribute, None)
            for attribute in ("name", "common_name", "official_name")
        ]
        variants = [name for name in english if name]
        for translation in translations:
            variants.extend(translation.gettext(name) for name in english if name)
        for variant in variants:
            if "," in variant or "\u060c" in variant:
                continue
            key = _normalize_literal(variant)
            key = key.removeprefix("the ")
            if len(key) > 2:
                names.setdefault(key, set()).add(country.alpha_2)
    return {name: frozenset(codes) for name, codes in names.items()}


def _third_country_rule(rule_id: str, data: Mapping[str, Any], common: dict[str, Any]) -> Rule:
    triggers = _compile_list(rule_id, data, "triggers", required=True)
    suffixes = _compile_list(rule_id, data, "suffixes", required=False)
    languages = data.get("languages", [])
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise _fail(rule_id, "'languages' must be a list of language codes")
    try:
        places: dict[str, frozenset[str]] = dict(_country_names(tuple(languages)))
    except OSError as exc:
        raise _fail(rule_id, f"no country name translations for {languages!r}: {exc}") from exc
    for key in ("aliases", "cities"):
        table = data.get(key, {})
        if not isinstance(table, dict):
            raise _fail(rule_id, f"{key!r} must map place names to country codes")
        for name, value in table.items():
            normalized = _normalize_literal(name)
            codes = _country_codes(rule_id, value, name)
            places[normalized] = places.get(normalized, frozenset()) | codes
    regions = data.get("regions", [])
    if not isinstance(regions, list) or not all(isinstance(x, str) and x for x in regions):
        raise _fail(rule_id, "'regions' must be a list of region names")
    for region in regions:
        places.setdefault(_normalize_literal(region), frozenset())
    names = sorted(places, key=len, reverse=True)
    place_regex = "|".join(_literal_regex(name) for name in names)
    trigger_regex = "|".join(pattern.pattern for pattern in triggers)
    place_patterns = [rf"(?:{trigger_regex})(?P<place>{place_regex})(?!\w)"]
    if suffixes:
        suffix_regex = "|".join(pattern.pattern for pattern in suffixes)
        place_patterns.append(rf"(?<!\w)(?P<place>{place_regex})(?:{suffix_regex})")
    return ThirdCountryRule(
        place_patterns=tuple(re.compile(regex, re.IGNORECASE) for regex in place_patterns),
        places=places,
        **common,
    )


def _pay_rule(rule_id: str, data: Mapping[str, Any], common: dict[str, Any]) -> Rule:
    currencies, periods, thresholds = data["currencies"], data["periods"], data["thresholds"]
    if not isinstance(currencies, dict) or not currencies:
        raise _fail(rule_id, "'currencies' must map currency symbols or codes to rates")
    rates: dict[str, float] = {}
    for token, rate in currencies.items():
        if not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0:
            raise _fail(rule_id, f"currency {token!r} needs a positive rate, got {rate!r}")
        rates[_normalize_literal(token)] = float(rate)
    if not isinstance(periods, dict) or not periods or not set(periods) <= set(PERIODS):
        raise _fail(rule_id, f"'periods' must map some of {', '.join(PERIODS)} to patterns")
    if not isinstance(thresholds, dict) or set(thresholds) != set(periods):
        raise _fail(rule_id, "'thresholds' must give one amount for each period in 'periods'")
    limits: dict[str, float] = {}
    for period in PERIODS:
        if period not in periods:
            continue
        limit = thresholds[period]
        if not isinstance(limit, int | float) or isinstance(limit, bool) or limit <= 0:
            raise _fail(rule_id, f"threshold for {period!r} must be a positive number")
        limits[period] = float(limit)
    period_regex = "|".join(
        rf"(?P<period_{period}>"
        + "|".join(
            pattern.pattern for pattern in _compile_list(rule_id, periods, period, required=True)
        )
        + ")"
        for period in limits
    )
    currency_regex = "|".join(
        _literal_regex(token) if not token[0].isalpha() else rf"(?<!\w){_literal_regex(token)}"
        for token in sorted(rates, key=len, reverse=True)
    )
    multiplier_regex = "|".join(sorted(_MULTIPLIERS, key=len, reverse=True))
    amounts = re.compile(
        rf"(?:(?P<cur_a>{currency_regex})\s?(?P<num_a>{_NUMBER})"
        rf"(?:\s?(?P<mult_a>{multiplier_regex})(?![^\W\d_]))?"
        rf"|(?P<num_b>{_NUMBER})(?:\s?(?P<mult_b>{multiplier_regex})(?![^\W\d_]))?"
        rf"\s?(?P<cur_b>{currency_regex})(?![^\W\d_]))"
        rf"(?:\s+[^\W\d_]+){{0,2}}?\s*(?:{period_regex})(?!\w)",
        re.IGNORECASE,
    )
    return PayRule(amounts=amounts, rates=rates, thresholds=limits, **common)


def _parse_rule(data: object, index: int) -> Rule:
    if not isinstance(data, dict):
        raise ValueError(f"screening rule #{index + 1}: must be a JSON object")
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not _SLUG.fullmatch(rule_id):
        raise ValueError(f"screening rule #{index + 1}: 'id' must be a slug, got {rule_id!r}")
    kind = data.get("kind", "patterns")
    if kind not in KINDS:
        raise _fail(rule_id, f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    missing = sorted((_COMMON_KEYS | _REQUIRED_KEYS[kind]) - data.keys())
    if missing:
        raise _fail(rule_id, f"missing key(s): {', '.join(missing)}")
    unknown = sorted(data.keys() - _COMMON_KEYS - _OPTIONAL_KEYS[kind])
    if unknown:
        raise _fail(rule_id, f"unknown key(s) for kind {kind!r}: {', '.join(unknown)}")
    if data["severity"] not in SEVERITIES:
        raise _fail(rule_id, f"severity must be one of {', '.join(SEVERITIES)}")
    common: dict[str, Any] = {
        "id": rule_id,
        "title": _text(rule_id, data, "title"),
        "explanation": _text(rule_id, data, "explanation"),
        "severity": data["severity"],
        "patterns": _compile_list(rule_id, data, "patterns", required=kind == "patterns"),
        "exceptions": _compile_list(rule_id, data, "exceptions", required=False),
    }
    if kind == "pay":
        return _pay_rule(rule_id, data, common)
    if kind == "third_country":
        return _third_country_rule(rule_id, data, common)
    return Rule(**common)


def parse_rules(data: object) -> tuple[Rule, ...]:
    """Validate and compile rules from decoded JSON; raise ValueError naming the bad rule."""
    if not isinstance(data, list):
        raise ValueError("screening rules must be a JSON list of rule objects")
    rules = tuple(_parse_rule(item, index) for index, item in enumerate(data))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise _fail(rule.id, "duplicate id")
        seen.add(rule.id)
    return rules


@lru_cache(maxsize=16)
def _load_file(path: Path) -> tuple[Rule, ...]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"screening rules file {path} is not valid JSON: {exc}") from exc
    return parse_rules(data)


def load_rules(path: str | os.PathLike[str] | None = None) -> tuple[Rule, ...]:
    """Load, validate and cache the rules file (the bundled one unless ``path`` is given)."""
    return _load_file(Path(path if path is not None else DEFAULT_RULES_PATH).resolve())


def clear_cache() -> None:
    """Forget loaded rules, so that an edited rules file is read again."""
    _load_file.cache_clear()


# --------------------------------------------------------------------------- screening


def _country(code: str | None) -> str | None:
    """Alpha-2 code for a project country given as alpha-2 or alpha-3 (None if unknown)."""
    if not code:
        return None
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if country is None and len(code) == 3:
        country = pycountry.countries.get(alpha_3=code.upper())
    if country is None:
        raise ValueError(f"unknown country code {code!r}")
    return country.alpha_2


def screen(
    fields: Mapping[str, str | None],
    project_country: str | None = None,
    *,
    rules_path: str | os.PathLike[str] | None = None,
) -> list[Match]:
    """Screen a listing's text fields and return every flagged span.

    ``fields`` maps a field name ("title", "description"...) to its text; ``project_country``
    is the ISO 3166 code of the project's country, used to tell recruitment for a third
    country from work in the project's own. Matches come field by field, in text order.
    """
    rules = load_rules(rules_path)
    country = _country(project_country)
    found: list[Match] = []
    for name, value in fields.items():
        if not value:
            continue
        normalized = normalize(value)
        field_matches: list[tuple[int, int, int, Match]] = []
        for order, rule in enumerate(rules):
            for start, end in rule.find(normalized.text, country):
                first, last = normalized.original_span(start, end)
                match = Match(
                    rule_id=rule.id,
                    title=rule.title,
                    explanation=rule.explanation,
                    severity=rule.severity,
                    field=name,
                    start=first,
                    end=last,
                    text=value[first:last],
                )
                field_matches.append((first, last, order, match))
        found.extend(match for *_, match in sorted(field_matches, key=lambda item: item[:3]))
    return found


def highlight(text: str, matches: Iterable[Match], field: str) -> Markup:
    """HTML-escape ``text`` and wrap the spans flagged in ``field`` in ``<mark>`` elements.

    Overlapping spans are merged into one element whose title lists every rule involved
    (in the current language).
    Matches that no longer fit the text (it was edited since screening) are skipped.
    Newlines are kept as they are; rendering them is left to the template.
    """
    spans = sorted(
        (match.start, match.end, translate(match.title))
        for match in matches
        if match.field == field
        and 0 <= match.start < match.end <= len(text)
        and text[match.start : match.end] == match.text
    )
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, title in spans:
        if merged and start < merged[-1][1]:
            first, last, titles = merged[-1]
            if title not in titles:
                titles.append(title)
            merged[-1] = (first, max(last, end), titles)
        else:
            merged.append((start, end, [title]))
    parts: list[Markup] = []
    position = 0
    for start, end, titles in merged:
        parts.append(escape(text[position:start]))
        parts.append(
            Markup('<mark class="flag" title="{}">{}</mark>').format(
                "; ".join(titles), text[start:end]
            )
        )
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def summarize(matches: Iterable[Match]) -> list[dict[str, Any]]:
    """Group matches by rule into JSON-ready dicts (high severity first) to store on a project."""
    groups: dict[str, dict[str, Any]] = {}
    for match in matches:
        group = groups.setdefault(
            match.rule_id,
            {
                "rule_id": match.rule_id,
                "title": match.title,
                "explanation": match.explanation,
                "severity": match.severity,
                "matches": [],
            },
        )
        group["matches"].append(
            {"field": match.field, "start": match.start, "end": match.end, "text": match.text}
        )
    return sorted(
        groups.values(), key=lambda group: _SEVERITY_ORDER.get(group["severity"], len(SEVERITIES))
    )


def matches_from_summary(summary: Sequence[Mapping[str, Any]]) -> list[Match]:
    """Rebuild Match objects from a stored summary, for highlighting a stored screening."""
    return [
        Match(
            rule_id=group["rule_id"],
            title=group["title"],
            explanation=group["explanation"],
            severity=group["severity"],
            field=item["field"],
            start=item["start"],
            end=item["end"],
            text=item["text"],
        )
        for group in summary
        for item in group["matches"]
    ]
