"""``flask applications remind``'s job: remind representatives of unanswered applications."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import Application, ApplicationStatus, Project
from diaspora.models.base import utcnow
from diaspora.services.application_notices import notify_reminder

S = ApplicationStatus

REMIND_AFTER = timedelta(days=5)


def send_reminders(now: datetime | None = None) -> int:
    """Remind reps of applications unanswered for more than 5 days, at most every 5 days."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Application)
        .join(Project, Project.id == Application.project_id)
        .where(
            Application.status == S.APPLIED,
            Application.first_answered_at.is_(None),
            Application.created_at <= now - REMIND_AFTER,
            sa.or_(
                Application.reminded_at.is_(None), Application.reminded_at <= now - REMIND_AFTER
            ),
        )
        .order_by(Application.id)
    ).all()
    for application in due:
        application.reminded_at = now
        notify_reminder(application)
    return len(due)
