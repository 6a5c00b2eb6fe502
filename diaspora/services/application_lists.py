"""Lists of applications: a member's, a project's applicants, a representative's inbox, and
the dashboard updates (notifications about applications)."""

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationStatus,
    Notification,
    Project,
    User,
)
from diaspora.models.application import WAITING
from diaspora.services import permissions
from diaspora.services.errors import NotFound
from diaspora.services.notifications import mark_read

S = ApplicationStatus


def applications_of(member: User) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(Application.member_id == member.id)
            .order_by(Application.created_at.desc())
        )
    )


def applicants_of(rep: User, project: Project) -> list[Application]:
    if not permissions.represents(rep, project.institution_id):
        raise NotFound  # to anyone else its applicants are not there
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(Application.project_id == project.id, Application.status != S.WITHDRAWN)
            .order_by(Application.created_at)
        )
    )


def inbox_of(rep: User) -> list[Application]:
    """Applications waiting on every project of the institutions ``rep`` represents."""
    return list(
        db.session.scalars(
            sa.select(Application)
            .join(Project, Project.id == Application.project_id)
            .where(
                Project.institution_id.in_(permissions.represented_institution_ids(rep)),
                Application.status.in_(WAITING),
            )
            .order_by(Application.created_at)
        )
    )


def updates_for(user: User, limit: int = 20) -> list[Notification]:
    """The latest of ``user``'s notifications about applications, newest first: the
    applications dashboards show these rows of the one notification list."""
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id, Notification.application_id.is_not(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_updates_read(user: User) -> None:
    """Mark ``user``'s notifications about applications read: the same rows, and the same
    state, the notification list marks."""
    mark_read(user, about_applications=True)
