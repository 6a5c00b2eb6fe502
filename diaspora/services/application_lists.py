"""Lists of applications: a member's, a project's applicants, a representative's inbox, and
the dashboard updates (notifications about applications)."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationStatus,
    Notification,
    Project,
    User,
)
from diaspora.models.application import WAITING
from diaspora.models.base import utcnow
from diaspora.services import permissions
from diaspora.services.application_profiles import applicant_name
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


def applicants_query(rep: User, project: Project, status: S | None = None) -> sa.Select:
    """The project's applications as its institution's representatives list them (a
    withdrawn one is not there), the oldest first; only those in ``status`` when given."""
    if not permissions.represents(rep, project.institution_id):
        raise NotFound  # to anyone else its applicants are not there
    query = (
        sa.select(Application)
        .where(Application.project_id == project.id, Application.status != S.WITHDRAWN)
        .order_by(Application.created_at, Application.id)
    )
    if status is not None:
        query = query.where(Application.status == status)
    return query


def applicants_of(rep: User, project: Project) -> list[Application]:
    return list(db.session.scalars(applicants_query(rep, project)))


def inbox_of(rep: User) -> list[Application]:
    """Applications waiting on every project of the institutions ``rep`` represents, the
    one waiting longest first."""
    return list(
        db.session.scalars(
            sa.select(Application)
            .join(Project, Project.id == Application.project_id)
            .where(
                Project.institution_id.in_(permissions.represented_institution_ids(rep)),
                Application.status.in_(WAITING),
            )
            .order_by(Application.created_at, Application.id)
        )
    )


@dataclass(frozen=True)
class InboxRow:
    """One application in a representative's inbox: the applicant named as far as the
    member shows it to that representative, and how long the application has waited."""

    application: Application
    name: str
    waited_days: int

    @property
    def waited(self) -> str:
        """How long it has waited, in the current language ("4 days")."""
        if self.waited_days < 1:
            return _("less than a day")
        return ngettext("%(num)d day", "%(num)d days", self.waited_days)


def inbox_rows(rep: User, now: datetime | None = None) -> list[InboxRow]:
    """The inbox as the page shows it: the longest-waiting application first."""
    now = now or utcnow()
    return [
        InboxRow(application, applicant_name(application, rep), (now - application.created_at).days)
        for application in inbox_of(rep)
    ]


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
