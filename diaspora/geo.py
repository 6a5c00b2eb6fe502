"""Countries (ISO 3166) and languages (ISO 639) through pycountry: names, choices, checks."""

from functools import cache

import pycountry


def country_name(code: str | None) -> str:
    """The common name of an ISO 3166 alpha-2 code, or the code itself if unknown."""
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def is_country(code: str | None) -> bool:
    return (
        bool(code) and len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None
    )


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    return tuple(
        sorted(
            ((c.alpha_2, country_name(c.alpha_2)) for c in pycountry.countries),
            key=lambda pair: pair[1],
        )
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
    """The English name of an ISO 639-1 or 639-3 code, or the code itself if unknown."""
    language = _language(code or "")
    return language.name if language is not None else (code or "")


def is_language(code: str | None) -> bool:
    return _language(code or "") is not None


@cache
def language_choices() -> tuple[tuple[str, str], ...]:
    """Languages with a two-letter code: the ones people name when they list what they speak."""
    return tuple(
        sorted(
            ((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2")),
            key=lambda pair: pair[1],
        )
    )
