"""Notifications: one call records an event for a person on the site and, at the pace they
chose, by email.

Workflows tell people through :func:`diaspora.services.events.tell`, which words each event
from one registry and calls ``notify(user, kind, message, link)`` here: one row per person
and event, in the one list the site shows (the notification list and, for events about an
application, the applications dashboards). Security mail (password reset, confirmation) does
not come through here: it is always sent and cannot be switched off.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from diaspora import i18n
from diaspora.extensions import db
from diaspora.mail import queue_email
from diaspora.models import (
    DigestEntry,
    DigestRun,
    Frequency,
    Notification,
    NotificationPreference,
    User,
)
from diaspora.models.base import utcnow
from diaspora.security import make_token, read_token
from diaspora.services.errors import Invalid

UNSUBSCRIBE_SALT = "unsubscribe"
UNSUBSCRIBE_MAX_AGE = 400 * 24 * 3600
WEEKLY_DAY = 0  # Monday


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # a lazy string: written in the language of the page or email showing it
    default: Frequency
    audience: frozenset  # roles that can receive it, for the settings page
    digest_only: bool = False  # gathered when a digest is composed, never sent on its own

    @property
    def choices(self) -> list[Frequency]:
        if self.digest_only:
            return [Frequency.DAILY, Frequency.WEEKLY, Frequency.OFF]
        return list(Frequency)


_MEMBER, _REP = "member", "institution"
_COORD = frozenset({"coordinator", "admin"})
KINDS = {
    k.key: k
    for k in (
        Kind(
            "application_update",
            _l("Decisions and changes on my applications"),
            Frequency.IMMEDIATE,
            frozenset({_MEMBER}),
        ),
        Kind(
            "new_application",
            _l("New applications to my institution's projects"),
            Frequency.IMMEDIATE,
            frozenset({_REP}),
        ),
        Kind(
            "message",
            _l("New messages about an application"),
            Frequency.IMMEDIATE,
            frozenset({_MEMBER, _REP}),
        ),
        Kind(
            "moderation",
            _l("Review decisions on my institution and its projects"),
            Frequency.IMMEDIATE,
            frozenset({_REP}),
        ),
        Kind(
            "reminder",
            _l("Reminders about applications waiting for an answer"),
            Frequency.IMMEDIATE,
            frozenset({_REP}),
        ),
        Kind(
            "invitation",
            _l("Institutions inviting me to apply to a project"),
            Frequency.IMMEDIATE,
            frozenset({_MEMBER}),
        ),
        Kind(
            "deadline",
            _l("Deadlines of projects I saved"),
            Frequency.IMMEDIATE,
            frozenset({_MEMBER}),
        ),
        Kind(
            "profile_reminder",
            _l("Reminders to keep my profile current"),
            Frequency.IMMEDIATE,
            frozenset({_MEMBER}),
        ),
        Kind(
            "saved_search",
            _l("New projects matching my saved searches"),
            Frequency.WEEKLY,
            frozenset({_MEMBER, _REP}),
            digest_only=True,
        ),
        Kind(
            "projects_for_you",
            _l("New projects that match my profile"),
            Frequency.WEEKLY,
            frozenset({_MEMBER}),
            digest_only=True,
        ),
        Kind(
            "team",
            _l("News about projects I am part of"),
            Frequency.IMMEDIATE,
            frozenset({_MEMBER, _REP}),
        ),
        Kind(
            "coordination", _l("Items waiting in the coordinators' queue"), Frequency.DAILY, _COORD
        ),
    )
}


class UnknownKind(ValueError):
    """A notification kind that is not declared in KINDS: a mistake in the code, not a
    refusal (every kind a person can choose or unsubscribe from is read from KINDS)."""


def kinds_for(user: User) -> list[Kind]:
    return [k for k in KINDS.values() if user.role.value in k.audience]


def frequency_for(user: User, kind: str) -> Frequency:
    if kind not in KINDS:
        raise UnknownKind(kind)
    chosen = db.session.scalar(
        sa.select(NotificationPreference.frequency).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return chosen or KINDS[kind].default


def preferences(user: User) -> dict[str, Frequency]:
    return {k.key: frequency_for(user, k.key) for k in kinds_for(user)}


def set_preference(user: User, kind: str, frequency: Frequency) -> None:
    if kind not in KINDS:
        raise UnknownKind(kind)
    if frequency not in KINDS[kind].choices:
        raise Invalid(
            _(
                "%(frequency)s is not offered for %(kind)s",
                frequency=frequency.label,
                kind=str(KINDS[kind].label).lower(),
            )
        )
    row = db.session.scalar(
        sa.select(NotificationPreference).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    if row is None:
        db.session.add(NotificationPreference(user_id=user.id, kind=kind, frequency=frequency))
    else:
        row.frequency = frequency


def unsubscribe_token(user: User, kind: str) -> str:
    """A signed, login-free token that stops one kind of email (or one digest)."""
    return make_token(UNSUBSCRIBE_SALT, {"u": user.id, "k": kind})


def unsubscribe_url(user: User, kind: str) -> str:
    return url_for("notifications.unsubscribe", token=unsubscribe_token(user, kind), _external=True)


def set_preferences(user: User, chosen: dict[str, Frequency]) -> None:
    """Save how often ``user`` hears of each kind in ``chosen`` (the settings page)."""
    for kind, frequency in chosen.items():
        set_preference(user, kind, frequency)


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """The person and kind a signed unsubscribe token names, or None if it was tampered with."""
    data = read_token(UNSUBSCRIBE_SALT, token, UNSUBSCRIBE_MAX_AGE)
    if not data or (data.get("k") not in KINDS and data.get("k") not in DIGESTS):
        return None
    user = db.session.get(User, data.get("u"))
    return (user, data["k"]) if user is not None else None


DIGESTS = {"digest-daily": Frequency.DAILY, "digest-weekly": Frequency.WEEKLY}


def unsubscribe_question(key: str) -> str:
    """The question the unsubscribe page asks before stopping ``key``'s email."""
    if key == "digest-daily":
        return _("Stop the daily digest?")
    if key == "digest-weekly":
        return _("Stop the weekly digest?")
    # Translators: followed by the kind of notification, as in the notification settings.
    return _("Stop email about: %(kind)s?", kind=str(KINDS[key].label).lower())


def unsubscribed_text(key: str) -> str:
    """What the unsubscribe page says once ``key``'s email is stopped."""
    if key == "digest-daily":
        return _("We will no longer send the daily digest.")
    if key == "digest-weekly":
        return _("We will no longer send the weekly digest.")
    return _("We will no longer send email about: %(kind)s.", kind=str(KINDS[key].label).lower())


def unsubscribe(user: User, key: str) -> None:
    """Stop email for one kind, or for every kind a digest gathers."""
    if key in DIGESTS:
        for kind, frequency in preferences(user).items():
            if frequency == DIGESTS[key]:
                set_preference(user, kind, Frequency.OFF)
    else:
        set_preference(user, key, Frequency.OFF)


def list_headers(user: User, kind: str) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers for one-click unsubscribe."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(user, kind)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def notify(
    user: User,
    kind: str,
    message: str,
    link: str = "",
    *,
    subject: str | None = None,
    email_template: str = "notification",
    event: str | None = None,
    application_id: int | None = None,
    params: dict | None = None,
    **context,
) -> Notification:
    """Record ``message`` in the person's list and email it as they chose.

    ``message`` and ``subject`` may be lazy strings: they are written in the recipient's
    language, as the email is.

    ``message`` is one short line that says what happened, never private content; ``link``
    is a path on the site. ``event`` names the event kind and ``application_id`` the
    application it is about, if any; ``params`` are the values its line shows, as plain
    data, to word it again in the language of whoever reads it later (see
    :func:`diaspora.services.events.line_of`).
    """
    if kind not in KINDS:
        raise UnknownKind(kind)
    with i18n.recipient_locale(user):
        message = str(message)
        if subject is not None:
            subject = str(subject)
        kind_label = str(KINDS[kind].label)
    note = Notification(
        user_id=user.id,
        kind=kind,
        event=event,
        application_id=application_id,
        message=message[:300],
        params=params,
        link=link[:300],
    )
    db.session.add(note)
    frequency = frequency_for(user, kind)
    if frequency == Frequency.IMMEDIATE:
        queue_email(
            user.email,
            email_template,
            subject or message[:120],
            user=user,
            essential=False,
            headers=list_headers(user, kind),
            message=message,
            link=_external(link),
            unsubscribe_url=unsubscribe_url(user, kind),
            kind_label=kind_label,
            **context,
        )
    elif frequency in (Frequency.DAILY, Frequency.WEEKLY):
        db.session.add(
            DigestEntry(
                user_id=user.id,
                kind=kind,
                frequency=frequency,
                message=message[:300],
                link=link[:300],
            )
        )
    return note


def _external(link: str) -> str:
    if not link:
        return url_for("notifications.index", _external=True)
    if link.startswith("/"):
        return url_for("main.index", _external=True).rstrip("/") + link
    return link


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(
    user: User, notification_id: int | None = None, *, about_applications: bool = False
) -> int:
    """Mark one of the person's notifications (or all of them, or all of those about an
    application, which the applications dashboards show) read."""
    query = sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    if about_applications:
        query = query.where(Notification.application_id.is_not(None))
    return db.session.execute(query.values(read_at=utcnow())).rowcount or 0


def period_key(frequency: Frequency, now: datetime) -> str:
    if frequency == Frequency.DAILY:
        return now.strftime("%Y-%m-%d")
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


_extra_sources: list = []


def register_digest_source(source) -> None:
    """Add a function that contributes digest lines (saved searches, projects for you).

    It is called as ``source(user, frequency, since)`` and returns ``(kind, message, link)``
    tuples for that person. The app factory registers them (``diaspora.register_services``).
    """
    if source not in _extra_sources:
        _extra_sources.append(source)


def _dialect_insert():
    """The INSERT construct of the database in use, for ``on_conflict_do_nothing``."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


def send_digests(now: datetime | None = None, weekly_day: int = WEEKLY_DAY) -> int:
    """Queue every digest that is due; return how many. The caller commits.

    Idempotent: each (person, frequency, period) gets one DigestRun row, written with the
    digest email, so running twice sends nothing twice. A run another process wrote for
    the same person and period at the same moment is skipped, not an error.
    """
    now = now or utcnow()
    due = [Frequency.DAILY] + ([Frequency.WEEKLY] if now.weekday() == weekly_day else [])
    sent = 0
    for frequency in due:
        period = period_key(frequency, now)
        users = db.session.scalars(
            sa.select(User).where(User.is_active, User.email_confirmed_at.isnot(None))
        )
        for user in users.all():
            with i18n.recipient_locale(user):
                sent += _send_one(user, frequency, period, now)
    return sent


def _send_one(user: User, frequency: Frequency, period: str, now: datetime) -> int:
    exists = db.session.scalar(
        sa.select(DigestRun.id).where(
            DigestRun.user_id == user.id,
            DigestRun.frequency == frequency,
            DigestRun.period == period,
        )
    )
    if exists:
        return 0
    entries = db.session.scalars(
        sa.select(DigestEntry)
        .where(
            DigestEntry.user_id == user.id,
            DigestEntry.frequency == frequency,
            DigestEntry.run_id.is_(None),
        )
        .order_by(DigestEntry.created_at)
    ).all()
    since = now - (timedelta(days=1) if frequency == Frequency.DAILY else timedelta(days=7))
    lines = [(e.kind, e.message, e.link) for e in entries]
    for source in _extra_sources:
        for kind, message, link in source(user, frequency, since):
            if frequency_for(user, kind) == frequency:
                lines.append((kind, message, link))
    if not lines:
        return 0
    run_id = db.session.scalar(
        _dialect_insert()(DigestRun)
        .values(user_id=user.id, frequency=frequency, period=period, items=len(lines))
        .on_conflict_do_nothing(index_elements=["user_id", "frequency", "period"])
        .returning(DigestRun.id)
    )
    if run_id is None:
        return 0  # another run wrote this digest meanwhile; it sends it
    for entry in entries:
        entry.run_id = run_id
    groups: dict[str, list] = {}
    for kind, message, link in lines:
        groups.setdefault(kind, []).append((message, _external(link)))
    title, subject = _digest_title(frequency, len(lines))
    queue_email(
        user.email,
        "digest",
        subject,
        user=user,
        essential=False,
        headers=list_headers(user, f"digest-{frequency.value}"),
        groups=[
            (str(KINDS[k].label), items, unsubscribe_url(user, k)) for k, items in groups.items()
        ],
        settings_url=url_for("notifications.settings", _external=True),
        title=title,
        unsubscribe_url=unsubscribe_url(user, f"digest-{frequency.value}"),
        kind_label=frequency.label.lower(),
    )
    return 1


def _digest_title(frequency: Frequency, count: int) -> tuple[str, str]:
    """The heading and the subject of a digest of ``count`` lines, in the current language
    (the recipient's: :func:`send_digests` writes each digest in its reader's language)."""
    if frequency == Frequency.DAILY:
        title = _("Your daily digest")
        subject = ngettext(
            "Your daily digest: %(num)d update", "Your daily digest: %(num)d updates", count
        )
    else:
        title = _("Your weekly digest")
        subject = ngettext(
            "Your weekly digest: %(num)d update", "Your weekly digest: %(num)d updates", count
        )
    return title, subject
