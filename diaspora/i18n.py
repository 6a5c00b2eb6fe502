"""The languages the site speaks: which one a page is in, and the formats that follow it.

The interface is translated with gettext catalogs under ``diaspora/translations`` (Flask-Babel).
A page is in the language the signed-in person chose in their account; for visitors, the one
they picked with the switcher (a cookie), else the best match of their browser's
``Accept-Language``, else English. Mail and notifications are written in the recipient's
language, whoever triggers them (:func:`recipient_locale`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, current_app, has_request_context, request
from flask_babel import force_locale, get_locale, refresh
from flask_login import current_user

#: Interface languages, each named in itself (a reader finds their own language's name).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "pt": "Português",
}
DEFAULT = "en"
RIGHT_TO_LEFT = frozenset({"ar"})
#: The cookie that remembers a visitor's choice (a year; the account keeps a member's).
COOKIE = "language"
COOKIE_MAX_AGE = 365 * 24 * 3600


def supported(code: str | None) -> str | None:
    """``code`` if the site speaks it, else None."""
    return code if code in LANGUAGES else None


def select_locale() -> str:
    """The language of this request's page (Flask-Babel's locale selector)."""
    if not has_request_context():
        return DEFAULT
    if current_user.is_authenticated and supported(getattr(current_user, "language", None)):
        return current_user.language
    chosen = supported(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    return request.accept_languages.best_match(LANGUAGES.keys()) or DEFAULT


def current() -> str:
    """The language code the current page or message is being written in."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT


def direction(code: str | None = None) -> str:
    return "rtl" if (code or current()) in RIGHT_TO_LEFT else "ltr"


def remember(response, code: str | None):
    """``response`` with the cookie that keeps ``code`` as the language of the next pages
    (the switcher's; also written when a person signs in or out, so the pages before and
    after keep the account's language). An unsupported or empty ``code`` changes nothing."""
    if supported(code):
        response.set_cookie(
            COOKIE,
            code,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def locale_of(user) -> str:
    """The language ``user`` reads the site and their mail in."""
    return supported(getattr(user, "language", None)) or DEFAULT


@contextmanager
def recipient_locale(user) -> Iterator[str]:
    """Write what is inside for ``user``: their language, whoever's request this is (or a
    scheduled command's, or the mail worker's). ``user`` None keeps the current language."""
    code = locale_of(user) if user is not None else current()
    with force_locale(code):
        yield code


_PATTERNS = {
    "%-d": "d",
    "%d": "dd",
    "%b": "MMM",
    "%B": "MMMM",
    "%Y": "y",
    "%m": "MM",
    "%H": "HH",
    "%M": "mm",
    "%a": "EEE",
    "%A": "EEEE",
}


def _cldr_pattern(fmt: str) -> str:
    """A strftime-style pattern as a CLDR one (literal text quoted), so a page keeps its
    layout ("07 Dec 2026 14:05") while month names and digits follow the language."""
    out, literal, i = [], "", 0
    while i < len(fmt):
        token = next((t for t in _PATTERNS if fmt.startswith(t, i)), None)
        if token is None:
            literal += fmt[i]
            i += 1
            continue
        out.append(_quoted(literal) + _PATTERNS[token])
        literal = ""
        i += len(token)
    return "".join(out) + _quoted(literal)


def _quoted(literal: str) -> str:
    """Literal text in a CLDR pattern: letters are quoted, spaces and punctuation kept."""
    if not any(ch.isalpha() or ch == "'" for ch in literal):
        return literal
    return "'" + literal.replace("'", "''") + "'"


def format_date(value: date | datetime | str | None, fmt: str = "%d %b %Y") -> str:
    """A date (or date and time, UTC) in the current language: ``fmt`` is a strftime-style
    layout ("%d %b %Y %H:%M"); also takes an ISO date string, as the search index stores
    dates."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if not value:
        return ""
    locale = current()
    if locale != DEFAULT:  # "7 déc. 2026": only the English layout pads the day
        fmt = fmt.replace("%d", "%-d")
    pattern = _cldr_pattern(fmt)
    if isinstance(value, datetime):
        return babel_dates.format_datetime(value, pattern, tzinfo=None, locale=locale)
    return babel_dates.format_date(value, pattern, locale=locale)


def zone_place(timezone: str) -> str:
    """How an interview's time zone is named: its id in English ("Africa/Addis_Ababa"), its
    city in the reader's language elsewhere ("Addis-Abeba", "أديس أبابا")."""
    if current() == DEFAULT:
        return timezone
    try:
        return babel_dates.get_timezone_location(timezone, locale=current(), return_city=True)
    except LookupError:
        return timezone


def format_number(value: int | float | None, digits: int | None = None) -> str:
    """A number with the current language's separators (``digits`` after the point)."""
    if value is None:
        return ""
    if digits is None:
        return babel_numbers.format_decimal(value, locale=current())
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return babel_numbers.format_decimal(value, format=pattern, locale=current())


def language_label(code: str) -> str:
    """The name of a site language in the current language, as written within a sentence
    ("French"; "français", "francés", "francês", "الفرنسية")."""
    return Locale.parse(code).get_display_name(current()) or code


TRANSLATIONS = Path(__file__).parent / "translations"


def _say_language(response):
    """A page says its language, and that it depends on the browser's languages and the
    switcher's cookie, so no cache serves one reader's language to another."""
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Language", current())
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def init_app(app: Flask) -> None:
    from diaspora.extensions import babel

    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS)
    )

    # The locale is cached on the application context, which a request shares with the
    # context around it when one is already open (a command, a test): choose it afresh.
    app.add_template_filter(language_label)
    app.before_request(refresh)
    app.after_request(_say_language)

    from diaspora.skill_names import skill_name

    app.add_template_filter(skill_name, "skill_name")

    @app.context_processor
    def inject():
        code = current()
        return {
            "page_language": code,
            "page_direction": direction(code),
            "site_languages": LANGUAGES,
        }
