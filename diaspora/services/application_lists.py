"""Lists of applications: a member's, a project's applicants, a representative's inbox, and
the dashboard updates."""

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationStatus,
    ApplicationUpdate,
    Project,
    User,
)
from diaspora.models.application import WAITING
from diaspora.models.base import utcnow
from diaspora.services import permissions
from diaspora.services.application_notices import UPDATE_TEXT
from diaspora.services.errors import NotFound

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


def updates_for(user: User, limit: int = 20) -> list[tuple[ApplicationUpdate, str]]:
    """The latest dashboard updates of ``user`` with their text."""
    updates = db.session.scalars(
        sa.select(ApplicationUpdate)
        .where(ApplicationUpdate.recipient_id == user.id)
        .order_by(ApplicationUpdate.created_at.desc(), ApplicationUpdate.id.desc())
        .limit(limit)
    ).all()
    return [(u, UPDATE_TEXT[u.kind].format(title=u.application.project.title)) for u in updates]


def mark_updates_read(user: User) -> None:
    db.session.execute(
        sa.update(ApplicationUpdate)
        .where(ApplicationUpdate.recipient_id == user.id, ApplicationUpdate.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
