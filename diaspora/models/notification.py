"""Notifications: what the site shows in a person's list, and how often they want email."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.models.institution import _enum


class Frequency(enum.StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"

    @property
    def label(self) -> str:
        """How often, in words, in the current language."""
        if self is Frequency.IMMEDIATE:
            # Translators: how often a kind of notification is emailed.
            return _("Right away")
        if self is Frequency.DAILY:
            return _("Daily digest")
        if self is Frequency.WEEKLY:
            return _("Weekly digest")
        # Translators: a kind of notification is not emailed at all.
        return _("Off")


class Notification(db.Model):
    """One event told to one person: the only record of it on the site.

    ``kind`` is the notification category whose preference decides the email; ``event`` is
    the event kind that worded it (a key of ``services.events.EVENTS``; NULL on rows
    written before events were named). An event about an application carries
    ``application_id``: it shows on the applications dashboards too, and goes with the
    application.

    ``message`` is the line as written for the person when it happened, in their language
    then (the email repeats it). ``params`` holds the values the event's pattern shows, as
    plain data, so that :attr:`line` words it again in the language of the page reading it;
    rows without them (written before, or not worded from an event) show ``message``.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    event: Mapped[str | None] = mapped_column(sa.String(40))
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[str] = mapped_column(sa.String(300))
    params: Mapped[dict | None] = mapped_column(sa.JSON)
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def line(self) -> str:
        """The line in the current language (the stored ``message`` when it cannot be
        worded again)."""
        from diaspora.services.events import line_of

        return line_of(self)


class NotificationPreference(db.Model):
    """How often a person wants email about one kind of notification."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    frequency: Mapped[Frequency] = mapped_column(_enum(Frequency, 12))


class DigestEntry(db.Model):
    """A notification waiting for its daily or weekly digest email."""

    __tablename__ = "digest_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    frequency: Mapped[Frequency] = mapped_column(_enum(Frequency, 12))
    message: Mapped[str] = mapped_column(sa.String(300))
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("digest_runs.id", ondelete="SET NULL"), index=True
    )


class DigestRun(db.Model):
    """One digest for one person and period. The unique key makes sending idempotent:
    a second run for the same period finds the row and sends nothing."""

    __tablename__ = "digest_runs"
    __table_args__ = (sa.UniqueConstraint("user_id", "frequency", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    frequency: Mapped[Frequency] = mapped_column(_enum(Frequency, 12))
    period: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    items: Mapped[int] = mapped_column(default=0)


class SavedProject(db.Model):
    """A project a person keeps an eye on; they are reminded before its deadline."""

    __tablename__ = "saved_projects"
    __table_args__ = (sa.UniqueConstraint("user_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
