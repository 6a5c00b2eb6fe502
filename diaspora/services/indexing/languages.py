"""The languages a searcher reads, which decide how a search reads its words.

Projects and profiles are indexed in the language they are written in (``written_in``), each
with its own stemmer; a query is read in every language the searcher reads, each on the texts
written in that language with that language's stemmer (see :mod:`diaspora.search.query`).

The rule:

* a signed-in account: the languages of its member profile (``ProfileLanguage`` rows, ISO
  639-1 codes) that content can be written in, plus its interface language; an account
  without any such profile language reads like a visitor, its interface language and English;
* a visitor: the page's language plus English;
* outside a request (digests, commands): every language.

Every language the content is written in is searched when the searcher reads it, and only
those: a French reader's "formations" finds "formation des infirmières" through the French
stemmer, an English-only reader's words are never stemmed as French. A query that finds
nothing in those languages is then read in all of them (the search says so), so a word typed
in a language still finds the texts written in it. Browsing and filters ignore languages.
"""

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user

from diaspora import i18n
from diaspora.extensions import db
from diaspora.models import Profile, ProfileLanguage
from diaspora.search.analysis import ENGLISH, LANGUAGES


def _ordered(codes) -> tuple[str, ...]:
    wanted = set(codes)
    return tuple(code for code in LANGUAGES if code in wanted)


def profile_languages(user) -> set[str]:
    """The languages of ``user``'s member profile that content can be written in."""
    rows = db.session.scalars(
        sa.select(ProfileLanguage.code)
        .join(Profile, Profile.id == ProfileLanguage.profile_id)
        .where(Profile.user_id == user.id)
    )
    return {str(code).strip().lower() for code in rows} & set(LANGUAGES)


def reader_languages(user=None, page_language: str | None = None) -> tuple[str, ...]:
    """The languages ``user`` reads (a visitor when None or anonymous), per the module's rule.

    ``page_language`` is the language of the page being shown (the current one by default).
    """
    page = page_language or (i18n.current() if has_request_context() else ENGLISH)
    if user is not None and getattr(user, "is_authenticated", False) and user.id is not None:
        interface = i18n.locale_of(user)
        read = profile_languages(user)
        if read:
            return _ordered(read | {interface})
        return _ordered({interface, ENGLISH})
    return _ordered({i18n.supported(page) or ENGLISH, ENGLISH})


def searcher_languages() -> tuple[str, ...] | None:
    """The languages of whoever is searching now: the signed-in account or the visitor of
    this request; None (every language) outside a request."""
    if not has_request_context():
        return None
    return reader_languages(current_user)
