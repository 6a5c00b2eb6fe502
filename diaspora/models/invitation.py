"""An institution's invitation to a member to apply to one of its projects."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.models.institution import _enum
from diaspora.models.project import Project
from diaspora.models.user import User


class InvitationStatus(enum.StrEnum):
    SENT = "sent"
    APPLIED = "applied"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {
            "sent": _("Waiting for your answer"),
            "applied": _("You applied"),
            "declined": _("You declined"),
        }[self.value]


class Invitation(db.Model):
    """A representative asks a member to apply to a project. One per member and project,
    ever: declining does not make room for a second one. The member's row goes with their
    account; the representative's name goes with theirs."""

    __tablename__ = "invitations"
    __table_args__ = (sa.UniqueConstraint("project_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[InvitationStatus] = mapped_column(
        _enum(InvitationStatus, length=10), default=InvitationStatus.SENT, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    member: Mapped[User] = relationship(foreign_keys=[member_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
