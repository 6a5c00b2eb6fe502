"""How an institution treats applicants, and completed engagements: the public record."""

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import ngettext

from diaspora.extensions import db
from diaspora.models import Application, ApplicationStatus, Institution, Project
from diaspora.models.base import utcnow

S = ApplicationStatus

ANSWER_WINDOW = timedelta(days=365)
ANSWER_MIN_SAMPLE = 3
# An application waiting less than this is not yet counted as unanswered.
ANSWER_GRACE = timedelta(days=14)


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


@dataclass(frozen=True)
class AnswerTime:
    """How quickly an institution answers: the median time from an application to the
    first answer, and how many of the applications it received it answered."""

    median: timedelta
    answered: int
    received: int

    @property
    def days(self) -> int:
        """The median in whole days, rounded up, at least one."""
        return max(1, math.ceil(self.median / timedelta(days=1)))

    @property
    def within(self) -> str:
        """``"within a day"``, ``"within 4 days"``, in the current language."""
        return ngettext("within a day", "within %(num)d days", self.days)

    def describe(self) -> str:
        """``"Usually answers within 4 days; answered 9 of 10 applications"``, in the
        current language."""
        # Translators: "received" is always 3 or more.
        return ngettext(
            "Usually answers within a day; answered %(answered)d of %(received)d applications",
            "Usually answers within %(num)d days; answered %(answered)d of %(received)d "
            "applications",
            self.days,
            answered=self.answered,
            received=self.received,
        )

    __str__ = describe


def answered_at() -> sa.ColumnElement:
    """When an application was first answered: a representative wrote or decided."""
    return sa.func.coalesce(Application.first_answered_at, Application.decided_at)


def counts_for_answer_time(now: datetime) -> sa.ColumnElement[bool]:
    """The applications an answer time is computed over (the one rule, for the public
    record and the impact dashboard alike): answered ones, and those neither withdrawn
    before an answer (the member took them back) nor still waiting less than
    :data:`ANSWER_GRACE` (not late yet); one closed or still waiting after that counts as
    not answered."""
    return sa.or_(
        answered_at().is_not(None),
        sa.and_(
            Application.status != S.WITHDRAWN,
            Application.created_at <= now - ANSWER_GRACE,
        ),
    )


def answer_time(institution: Institution, now: datetime | None = None) -> AnswerTime | None:
    """How quickly ``institution`` answered applications received over the last 12 months,
    or None while fewer than 3 were answered (a figure must never point at one person).

    An application is answered once a representative wrote or decided (``first_answered_at``,
    or ``decided_at``); which applications count is :func:`counts_for_answer_time`.
    """
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Application.created_at, Application.first_answered_at, Application.decided_at)
        .join(Project, Project.id == Application.project_id)
        .where(
            Project.institution_id == institution.id,
            Application.created_at >= now - ANSWER_WINDOW,
            counts_for_answer_time(now),
        )
    ).all()
    waits = [(first or decided) - created for created, first, decided in rows if first or decided]
    if len(waits) < ANSWER_MIN_SAMPLE:
        return None
    return AnswerTime(median=statistics.median(waits), answered=len(waits), received=len(rows))


def institution_record(institution: Institution) -> dict:
    """What an institution's public page and projects show of how it treats applicants."""
    return {
        "answers": answer_time(institution),
        "completed": completed_for_institution(institution.id),
    }
