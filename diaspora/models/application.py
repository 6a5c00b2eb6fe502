"""Applications to projects: the member's request, the institution's answer, the thread
between them, and the feedback after the work. What each side is told about an application
is a :class:`~diaspora.models.notification.Notification`."""

import enum
import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora import i18n
from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.models.institution import _enum
from diaspora.models.project import Project, WorkMode


class ApplicationStatus(enum.StrEnum):
    APPLIED = "applied"
    SHORTLISTED = "shortlisted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        """Wording that never lets waiting look like being selected, in the current
        language."""
        return {
            "applied": _("Applied, waiting for an answer"),
            "shortlisted": _("Shortlisted, not yet decided"),
            # Translators: an application's status (the institution accepted the applicant).
            "accepted": _("Accepted"),
            "declined": _("Not selected"),
            # Translators: an application's status (the member took it back).
            "withdrawn": _("Withdrawn"),
            "closed": _("Project closed before a decision"),
            "completed": _("Engagement completed"),
        }[self.value]

    @property
    def badge(self) -> str:
        """The badge CSS class: waiting states are neutral, only acceptance is green."""
        return {
            "applied": "badge-wait",
            "shortlisted": "badge-short",
            "accepted": "badge-ok",
            "declined": "badge-bad",
            "withdrawn": "badge-muted",
            "closed": "badge-muted",
            "completed": "badge-done",
        }[self.value]


class MessageKind(enum.StrEnum):
    """What an entry of an application's history is: a message, a decision (named by the
    status it set) or a step of the interview."""

    MESSAGE = "message"
    SHORTLISTED = "shortlisted"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    INTERVIEW_PROPOSED = "interview_proposed"
    INTERVIEW_AGREED = "interview_agreed"
    INTERVIEW_OTHER_TIMES = "interview_other_times"

    @property
    def label(self) -> str:
        """The line that introduces the entry in the history ("" for a plain message), in the
        current language."""
        if self.value == "message":
            return ""
        return {
            "shortlisted": _("Answer: shortlisted, not yet decided"),
            "accepted": _("Answer: accepted"),
            "declined": _("Answer: not selected"),
            "interview_proposed": _("Interview times proposed"),
            "interview_agreed": _("Interview time agreed"),
            "interview_other_times": _("Other interview times asked for"),
        }[self.value]


WAITING = (ApplicationStatus.APPLIED, ApplicationStatus.SHORTLISTED)
TEAM = (ApplicationStatus.ACCEPTED, ApplicationStatus.COMPLETED)

# Once one side marks an engagement completed, the other side may dispute it for this long;
# after that, without a dispute, the completion counts as confirmed.
DISPUTE_PERIOD = timedelta(days=14)
# When neither the member's proposal nor the project gives a start date, the engagement is
# taken to start this long after the acceptance.
START_AFTER_ACCEPTANCE = timedelta(days=7)


class Application(db.Model):
    """One member's application to one project.

    ``member_id`` becomes NULL when the member deletes their account: a decided application
    stays, anonymised, as the institution's record that it existed.
    """

    __tablename__ = "applications"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "member_id", name="uq_applications_project_member"),
        sa.CheckConstraint(
            "hours_per_month IS NULL OR (hours_per_month >= 1 AND hours_per_month <= 200)",
            name="hours_in_range",
        ),
        # The impact figures read applications by the month they were made, with their
        # status, project and first answer: from this index alone, never the wide rows.
        sa.Index(
            "ix_applications_figures",
            "created_at",
            "status",
            "project_id",
            "first_answered_at",
            "decided_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ApplicationStatus] = mapped_column(
        _enum(ApplicationStatus), default=ApplicationStatus.APPLIED, index=True
    )
    motivation: Mapped[str] = mapped_column(sa.Text, default="")
    available_from: Mapped[date | None]
    available_until: Mapped[date | None]
    hours_per_month: Mapped[int | None]
    work_mode: Mapped[WorkMode | None] = mapped_column(_enum(WorkMode))
    shared_profile: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    first_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the first side marked the engagement completed (the status becomes COMPLETED),
    # and when each side did; a dispute clears them and sends it back to ACCEPTED.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    member_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    institution_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completion_disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    member = relationship("User", foreign_keys=[member_id])
    messages: Mapped[list["ApplicationMessage"]] = relationship(
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="ApplicationMessage.created_at",
    )
    feedback: Mapped[list["EngagementFeedback"]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    interviews = relationship(
        "InterviewProposal",
        back_populates="application",
        cascade="all, delete-orphan",
        order_by="InterviewProposal.created_at",
    )

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING

    @property
    def is_team(self) -> bool:
        return self.status in TEAM

    @property
    def engagement_starts(self) -> date | None:
        """The day the engagement starts: the later of the member's proposed start and the
        project's start date, else a week after the acceptance (None before any
        acceptance); never before the acceptance itself, whatever dates were proposed."""
        known = [
            day
            for day in (self.available_from, self.project and self.project.start_date)
            if day is not None
        ]
        if not known:
            if self.decided_at is None:
                return None
            return (self.decided_at + START_AFTER_ACCEPTANCE).date()
        if self.decided_at is not None and self.status in TEAM:
            known.append(self.decided_at.date())
        return max(known)

    def has_started(self, today: date | None = None) -> bool:
        """Whether the engagement has started (on ``today``), so it may be marked completed."""
        starts = self.engagement_starts
        return starts is None or (today or utcnow().date()) >= starts

    @property
    def dispute_until(self) -> datetime | None:
        """Until when the other side may dispute a one-sided completion."""
        return self.completed_at + DISPUTE_PERIOD if self.completed_at else None

    def completion_confirmed(self, now: datetime | None = None) -> bool:
        """Completed and confirmed: both sides marked it, or one did and the other let the
        dispute period pass. Only confirmed engagements count publicly and open feedback."""
        if self.status != ApplicationStatus.COMPLETED:
            return False
        if self.member_completed_at and self.institution_completed_at:
            return True
        return self.completed_at is not None and self.completed_at + DISPUTE_PERIOD <= (
            now or utcnow()
        )

    @classmethod
    def completion_confirmed_condition(cls, now: datetime | None = None) -> sa.ColumnElement[bool]:
        """:meth:`completion_confirmed` as a query condition, checked at read time."""
        return sa.and_(
            cls.status == ApplicationStatus.COMPLETED,
            sa.or_(
                sa.and_(
                    cls.member_completed_at.is_not(None),
                    cls.institution_completed_at.is_not(None),
                ),
                cls.completed_at <= (now or utcnow()) - DISPUTE_PERIOD,
            ),
        )


class ApplicationMessage(db.Model):
    """An entry in the history between a member and an institution's reps: a plain-text
    message, or a decision or interview step (``kind``) with the message sent with it,
    if any. Entries are never overwritten: the history keeps every one, in order."""

    __tablename__ = "application_messages"
    # Which applications were ever shortlisted (the history keeps each decision).
    __table_args__ = (sa.Index("ix_application_messages_kind", "kind", "application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    from_institution: Mapped[bool] = mapped_column(default=False)
    kind: Mapped[MessageKind] = mapped_column(
        _enum(MessageKind), default=MessageKind.MESSAGE, server_default=MessageKind.MESSAGE.value
    )
    body: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="messages")
    author = relationship("User", foreign_keys=[author_id])

    @property
    def display_body(self) -> str:
        """The entry as the page shows it, in the current language. The words the platform
        adds to an entry (the times proposed, the place, a disputed completion) are stored
        in English and translated here; what a person wrote is shown as written."""
        return history_text(self.kind, self.body or "")


# The words the platform writes into an application's history, stored in English.
TIMES_PROPOSED = "Times proposed:"
PLACE = "Place: "
COMPLETION_DISPUTED = "Completion disputed: "
_TIME_TEXT = re.compile(
    r"^(?P<start>\w{3} \d{2} \w{3} \d{4}, \d{2}:\d{2})-(?P<end>\d{2}:\d{2}) "
    r"\((?P<zone>[^,()]+), (?P<offset>UTC[^)]*)\)$"
)


def local_time_text(text: str) -> str:
    """An interview time as stored in the history ("Tue 02 Mar 2027, 10:00-11:00
    (Africa/Addis_Ababa, UTC+03:00)", in English) written in the current language."""
    found = _TIME_TEXT.match(text.strip())
    if found is None:
        return text
    try:
        start = datetime.strptime(found["start"], "%a %d %b %Y, %H:%M")
        end = datetime.strptime(found["end"], "%H:%M")
    except ValueError:
        return text
    return (
        f"{i18n.format_date(start, '%a %d %b %Y, %H:%M')}-{i18n.format_date(end, '%H:%M')} "
        f"({i18n.zone_place(found['zone'])}, {found['offset']})"
    )


def history_text(kind: "MessageKind", body: str) -> str:
    """A history entry's stored body in the current language (see ``display_body``)."""
    if kind == MessageKind.INTERVIEW_AGREED:
        return local_time_text(body)
    if kind == MessageKind.INTERVIEW_PROPOSED:
        lines = body.split("\n")
        out, in_times = [], False
        for number, line in enumerate(lines):
            if number == 0 and line == TIMES_PROPOSED:
                out.append(_("Times proposed:"))
                in_times = True
            elif in_times and line.startswith("- "):
                out.append("- " + local_time_text(line[2:]))
            elif in_times and line.startswith(PLACE):
                out.append(_("Place: %(place)s", place=line[len(PLACE) :]))
                out.extend(lines[number + 1 :])
                break
            else:
                out.extend(lines[number:])
                break
        return "\n".join(out)
    if kind == MessageKind.MESSAGE and body.startswith(COMPLETION_DISPUTED):
        return _("Completion disputed: %(note)s", note=body[len(COMPLETION_DISPUTED) :])
    return body


class EngagementFeedback(db.Model):
    """Short feedback after completed work, one per side (member or institution)."""

    __tablename__ = "engagement_feedback"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "from_institution", name="uq_feedback_side"),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_1_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_institution: Mapped[bool] = mapped_column(default=False)
    rating: Mapped[int | None]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="feedback")
