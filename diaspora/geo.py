"""Countries (ISO 3166) and languages (ISO 639) through pycountry: names, choices, checks.

Names are in the language of the page (or of the mail being written): pycountry ships the
ISO names' translations as gettext catalogs, the same source as the English names.
"""

import gettext
import unicodedata
from functools import cache

import pycountry
from babel import Locale

from diaspora import i18n


@cache
def _names(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language], fallback=True)


def _translated(domain: str, name: str, code: str = "") -> str:
    """``name`` (the ISO English name of ``code``) in the current language: the CLDR name
    Babel has for ``code``, else pycountry's translation of the ISO name, else the English
    name. CLDR comes first as it names more of them, and in their readers' usual form
    (pycountry leaves "Yoruba" untranslated in Arabic, calls the Vatican "the Holy See
    (Vatican City State)")."""
    language = i18n.current()
    if language == i18n.DEFAULT:
        return name
    cldr = _cldr_names(domain, language).get(code) if code else None
    if cldr:
        return cldr[:1].upper() + cldr[1:]  # a list item, not a word within a sentence
    return _names(domain, language).gettext(name)


@cache
def _cldr_names(domain: str, language: str) -> dict:
    names = Locale.parse(language)
    return dict(names.territories if domain == "iso3166-1" else names.languages)


def _sort_key(pair: tuple[str, str]) -> str:
    """Alphabetical whatever the accents ("Égypte" among the E's)."""
    text = unicodedata.normalize("NFKD", pair[1])
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def country_name(code: str | None) -> str:
    """The common name of an ISO 3166 alpha-2 code in the current language, or the code
    itself if unknown."""
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    common = getattr(country, "common_name", None)
    return _translated("iso3166-1", common or country.name, country.alpha_2)


def is_country(code: str | None) -> bool:
    return (
        bool(code) and len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None
    )


def country_codes() -> list[str]:
    """The codes of :func:`country_choices`, sorted: what a country field accepts."""
    return sorted(c.alpha_2 for c in pycountry.countries)


def language_codes() -> list[str]:
    """The codes of :func:`language_choices`, sorted: what a language field accepts."""
    return sorted(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


def country_choices() -> tuple[tuple[str, str], ...]:
    return _country_choices(i18n.current())


@cache
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        sorted(((c.alpha_2, country_name(c.alpha_2)) for c in pycountry.countries), key=_sort_key)
    )


def _language(code: str):
    if not code:
        return None
    code = code.lower()
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code)
    if len(code) == 3:
        return pycountry.languages.get(alpha_3=code)
    return None


def language_name(code: str | None) -> str:
    """The name of an ISO 639-1 or 639-3 code in the current language, or the code itself if
    unknown."""
    language = _language(code or "")
    if language is None:
        return code or ""
    return _translated("iso639-3", language.name, getattr(language, "alpha_2", ""))


def is_language(code: str | None) -> bool:
    return _language(code or "") is not None


def language_choices() -> tuple[tuple[str, str], ...]:
    """Languages with a two-letter code: the ones people name when they list what they speak."""
    return _language_choices(i18n.current())


@cache
def _language_choices(language: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        sorted(
            (
                (lang.alpha_2, language_name(lang.alpha_2))
                for lang in pycountry.languages
                if hasattr(lang, "alpha_2")
            ),
            key=_sort_key,
        )
    )
