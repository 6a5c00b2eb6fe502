"""Member activity: which months a person was active in (signed in, applied or wrote in an
application's thread), for the impact dashboard's count of active members. Every path that
makes someone active records it here (migration 0018 backfilled what came before), so this
table alone answers who was active when.

Only the month is kept, never the moment: the dashboard needs no more, and a row per month
says nothing about when or how often someone used the site.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.extensions import db
from diaspora.models.base import utcnow


class MemberActivity(db.Model):
    """That ``user_id`` was active in ``month`` (the first day of the month)."""

    __tablename__ = "member_activity"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "month", name="uq_member_activity_month"),
        # Who was active in which months: read by month, counted by person.
        sa.Index("ix_member_activity_month_user", "month", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(sa.Date)


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def month_of(moment: datetime | date) -> date:
    """The first day of the month ``moment`` falls in (UTC)."""
    return date(moment.year, moment.month, 1)


def record_activity(user_id: int, when: datetime | None = None) -> None:
    """Record that ``user_id`` was active in the month of ``when`` (now by default).

    One statement, INSERT ... ON CONFLICT DO NOTHING: two requests of the same person in the
    same month, even at the same instant, leave one row and neither fails.
    """
    insert = _INSERTS[db.session.get_bind().dialect.name]
    db.session.execute(
        insert(MemberActivity)
        .values(user_id=user_id, month=month_of(when or utcnow()))
        .on_conflict_do_nothing(index_elements=["user_id", "month"])
    )
