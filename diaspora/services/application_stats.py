"""How an institution treats applicants, and completed engagements: the public record."""

import math
import statistics
from datetime import datetime, timedelta

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import Application, ApplicationStatus, Institution, Project
from diaspora.models.base import utcnow

S = ApplicationStatus

ANSWER_WINDOW = timedelta(days=365)
ANSWER_MIN_SAMPLE = 3


def completed_for_institution(institution_id: int, now: datetime | None = None) -> int:
    """The institution's confirmed completed engagements (both sides agreed, or the dispute
    period passed): a one-sided mark does not count yet."""
    return db.session.scalar(
        sa.select(sa.func.count(Application.id))
        .join(Project, Project.id == Application.project_id)
        .where(
            Project.institution_id == institution_id,
            Application.completion_confirmed_condition(now),
        )
    )


def completed_for_member(member_id: int, now: datetime | None = None) -> int:
    """The member's confirmed completed engagements."""
    return db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.member_id == member_id, Application.completion_confirmed_condition(now)
        )
    )


def median_answer_time(institution_id: int, now: datetime | None = None) -> timedelta | None:
    """Median time to a first answer over the last 12 months; None below 3 answers."""
    since = (now or utcnow()) - ANSWER_WINDOW
    rows = db.session.execute(
        sa.select(Application.created_at, Application.first_answered_at)
        .join(Project, Project.id == Application.project_id)
        .where(
            Project.institution_id == institution_id,
            Application.first_answered_at.is_not(None),
            Application.created_at >= since,
        )
    ).all()
    if len(rows) < ANSWER_MIN_SAMPLE:
        return None
    return statistics.median(answered - created for created, answered in rows)


def answer_time_phrase(institution_id: int) -> str | None:
    """``"usually answers within 3 days"``, or None when there is too little to say."""
    median = median_answer_time(institution_id)
    if median is None:
        return None
    days = max(1, math.ceil(median / timedelta(days=1)))
    return "usually answers within a day" if days == 1 else f"usually answers within {days} days"


def institution_record(institution: Institution) -> dict:
    """What an institution's public page and projects show of how it treats applicants."""
    return {
        "answers": answer_time_phrase(institution.id),
        "completed": completed_for_institution(institution.id),
    }
