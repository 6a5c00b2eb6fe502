"""Follow-ups after an engagement: 3, 6 and 12 months after a confirmed completion, each side
(the member, and the institution through its representatives) is asked a few short questions
about what the work left behind."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models.application import Application
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.models.institution import _enum

# Months after the completion at which each side is asked.
FOLLOW_UP_STEPS = (3, 6, 12)
WHAT_CHANGED_MAX = 2000


class FollowUpSide(enum.StrEnum):
    MEMBER = "member"
    INSTITUTION = "institution"


class FollowUpSkip(enum.StrEnum):
    """Why a follow-up was recorded without asking anyone."""

    LATER_STEP = "later_step"
    NOBODY = "nobody"

    @property
    def label(self) -> str:
        return {
            "later_step": _("A later follow-up was due at the same time"),
            "nobody": _("Nobody to ask (account deleted or suspended, no active representative)"),
        }[self.value]


class Transferred(enum.StrEnum):
    """Were knowledge or skills transferred?"""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"

    @property
    def label(self) -> str:
        return {"yes": _("Yes"), "partly": _("Partly"), "no": _("No")}[self.value]


class FollowOn(enum.StrEnum):
    """Is there a follow-on project?"""

    YES = "yes"
    PLANNED = "planned"
    NO = "no"

    @property
    def label(self) -> str:
        return {"yes": _("Yes"), "planned": _("Planned"), "no": _("No")}[self.value]


class FollowUp(db.Model):
    """One side's follow-up of one engagement at one step (3, 6 or 12 months after its
    completion): when it was due, sent (or skipped, and why) and answered, and the answers.

    ``asked_id`` is the member, or the first of the institution's representatives who were
    asked (every active one gets the link; the first answer counts for the institution);
    ``answered_by_id`` who answered. Both become NULL when that account is deleted; the
    answers stay, as the network's record of what the engagement achieved."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        sa.UniqueConstraint(
            "application_id", "side", "step", name="uq_follow_ups_application_side_step"
        ),
        sa.CheckConstraint("step IN (3, 6, 12)", name="step_known"),
        # The impact figures count follow-ups sent, and answers given, in a period: these
        # indexes hold every column those counts read, so neither reads the table.
        sa.Index("ix_follow_ups_sent_at_step", "sent_at", "step"),
        sa.Index(
            "ix_follow_ups_answers",
            "answered_at",
            "step",
            "in_contact",
            "transferred",
            "follow_on",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE")
    )
    side: Mapped[FollowUpSide] = mapped_column(_enum(FollowUpSide, length=12))
    step: Mapped[int] = mapped_column(sa.SmallInteger)
    asked_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skipped: Mapped[FollowUpSkip | None] = mapped_column(_enum(FollowUpSkip, length=12))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_contact: Mapped[bool | None]
    transferred: Mapped[Transferred | None] = mapped_column(_enum(Transferred, length=8))
    follow_on: Mapped[FollowOn | None] = mapped_column(_enum(FollowOn, length=8))
    what_changed: Mapped[str] = mapped_column(sa.String(WHAT_CHANGED_MAX), default="")

    application: Mapped[Application] = relationship()
    asked = relationship("User", foreign_keys=[asked_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
