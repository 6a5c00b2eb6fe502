"""The audit log: who did what, to what, when and why."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow


class AuditEntry(db.Model):
    """A record of a sensitive action: moderation, suspension, access to restricted data.

    ``subject_user_id`` names the person the action concerns, so members can see who
    looked at their restricted fields.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_name: Mapped[str] = mapped_column(sa.String(120), default="")
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[int | None]
    subject_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def record(
    actor,
    action: str,
    target_type: str,
    target_id: int | None,
    reason: str = "",
    subject_user_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "name", "") or "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        subject_user_id=subject_user_id,
    )
    db.session.add(entry)
    return entry
