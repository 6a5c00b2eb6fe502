"""Saved projects: a member keeps a project in view and is reminded before its deadline."""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from diaspora.extensions import db
from diaspora.models import Project, SavedProject, User
from diaspora.models.base import utcnow
from diaspora.services import permissions
from diaspora.services.events import tell

REMIND_DAYS_BEFORE = 3


def is_saved(user: User, project: Project) -> bool:
    return (
        db.session.scalar(
            sa.select(SavedProject.id).where(
                SavedProject.user_id == user.id, SavedProject.project_id == project.id
            )
        )
        is not None
    )


def save(user: User, project: Project) -> None:
    """Keep a listed project in the person's saved list (saving twice changes nothing)."""
    if not permissions.may_view_project(user, project) or is_saved(user, project):
        return
    db.session.add(SavedProject(user_id=user.id, project_id=project.id))


def unsave(user: User, project: Project) -> None:
    db.session.execute(
        sa.delete(SavedProject).where(
            SavedProject.user_id == user.id, SavedProject.project_id == project.id
        )
    )


def saved_by(user: User) -> list[Project]:
    return list(
        db.session.scalars(
            sa.select(Project)
            .join(SavedProject, SavedProject.project_id == Project.id)
            .where(SavedProject.user_id == user.id)
            .order_by(Project.deadline.is_(None), Project.deadline, SavedProject.id.desc())
        )
    )


def remind_deadlines(today: date | None = None) -> int:
    """Tell people whose saved project closes within a few days; once per saved project."""
    today = today or utcnow().date()
    rows = db.session.execute(
        sa.select(SavedProject, Project, User)
        .join(Project, Project.id == SavedProject.project_id)
        .join(User, User.id == SavedProject.user_id)
        .where(
            SavedProject.reminded_at.is_(None),
            Project.is_open(today),
            Project.deadline.isnot(None),
            Project.deadline <= today + timedelta(days=REMIND_DAYS_BEFORE),
            User.is_active,
        )
    ).all()
    for saved, project, user in rows:
        days = (project.deadline - today).days
        # Lazy: written in the recipient's language, and again in the reader's on the site.
        # Translators: completes "Applications for <project> close ...".
        today_word = _l("today")
        when = today_word if days == 0 else lazy_ngettext("in %(num)d day", "in %(num)d days", days)
        tell(
            user,
            "saved_project_deadline",
            url_for("projects.show", project_id=project.id),
            project=project,
            when=when,
        )
        saved.reminded_at = utcnow()
    return len(rows)
