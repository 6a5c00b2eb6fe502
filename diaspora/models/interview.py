"""The optional interview step of an application: the representative proposes times, the
member picks one or asks for others. Times are stored in UTC; ``timezone`` is the zone the
times were proposed in, used to show them."""

import enum
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora import i18n
from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.models.institution import _enum


class InterviewStatus(enum.StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"
    OTHER_TIMES = "other_times"
    REPLACED = "replaced"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {
            "proposed": _("Waiting for the applicant to pick a time"),
            "agreed": _("Time agreed"),
            "other_times": _("The applicant asked for other times"),
            "replaced": _("Replaced by newer times"),
            "cancelled": _("Called off: the application has ended"),
        }[self.value]


class InterviewProposal(db.Model):
    """One set of interview times a representative proposed for one application."""

    __tablename__ = "interview_proposals"
    __table_args__ = (
        sa.CheckConstraint(
            "duration_minutes >= 15 AND duration_minutes <= 480", name="duration_in_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    proposed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    timezone: Mapped[str] = mapped_column(sa.String(64))
    duration_minutes: Mapped[int]
    place: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[InterviewStatus] = mapped_column(
        _enum(InterviewStatus), default=InterviewStatus.PROPOSED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application = relationship("Application", back_populates="interviews")
    slots: Mapped[list["InterviewSlot"]] = relationship(
        back_populates="proposal",
        cascade="all, delete-orphan",
        order_by="InterviewSlot.starts_at",
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def chosen(self) -> "InterviewSlot | None":
        return next((slot for slot in self.slots if slot.chosen), None)


class InterviewSlot(db.Model):
    """One proposed start time, in UTC."""

    __tablename__ = "interview_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("interview_proposals.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    chosen: Mapped[bool] = mapped_column(default=False)

    proposal: Mapped[InterviewProposal] = relationship(back_populates="slots")

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + self.proposal.duration

    @property
    def local_text(self) -> str:
        """The time as the site shows it, in the current language: in the proposal's zone,
        with the zone and its offset named, e.g. "Tue 02 Mar 2027, 10:00-11:00
        (Africa/Addis_Ababa, UTC+03:00)"."""
        return local_time_text(self.starts_at, self.ends_at, self.proposal.timezone)

    @property
    def when(self) -> "LocalTime":
        """The time as text written when it is read: in the reader's language."""
        return LocalTime(self)


def local_time_text(starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    """An interview time (UTC moments) as the site shows it, in the current language: in
    ``timezone``, with the zone and its offset named."""
    zone = ZoneInfo(timezone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    offset = start.strftime("%z")
    return (
        f"{i18n.format_date(start, '%a %d %b %Y, %H:%M')}-{i18n.format_date(end, '%H:%M')} "
        f"({i18n.zone_place(timezone)}, UTC{offset[:3]}:{offset[3:]})"
    )


class LocalTime:
    """An interview time that writes itself (``str``) in the current language, so that a
    notification and its email read it in their recipient's language."""

    def __init__(self, slot: InterviewSlot):
        self.slot = slot

    def __str__(self) -> str:
        return self.slot.local_text

    def __html__(self) -> str:
        return str(escape(str(self)))
