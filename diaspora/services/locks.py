"""Row locks of an institution, a project and its applications, in the one order every
writer takes them: institution, then project, then application; and rows claimed for a
reminder by one UPDATE.

The project workflows (:mod:`diaspora.services.projects`) and the application workflow
(:mod:`diaspora.services.applications`) both change applications; both lock through here.
"""

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import Application, Institution, Project


def lock_institution(institution_id: int) -> None:
    """Lock the institution's row until the transaction ends: writers that count what the
    whole institution did (its invitations this week) queue here, so two of them never both
    pass a limit. Taken before any of its projects' rows."""
    db.session.execute(
        sa.select(Institution.id)
        .where(Institution.id == institution_id)
        .with_for_update(key_share=True)
    )


def lock_project(project: Project) -> Project:
    """Lock the project's row until the transaction ends and reload it.

    Every writer that changes the applications of a project (apply, withdraw, decide, and
    a close, which closes every waiting application) takes this lock FIRST and only then
    touches application rows. With one order everywhere, two writers never hold a row the
    other waits for, so they queue instead of deadlocking. ``FOR NO KEY UPDATE`` still lets
    rows that merely reference the project be inserted meanwhile. SQLite, which locks the
    whole database on write, ignores it; the workflows' conditional updates guard it instead.
    """
    if project.id is None:
        db.session.flush()
    return db.session.execute(
        sa.select(Project)
        .where(Project.id == project.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()


def lock_application(application: Application) -> Application:
    """Lock the application's project (:func:`lock_project`), then the application's own row,
    in that order, and reload both: a decision is taken on its status as it is now, not as
    first read."""
    lock_project(application.project)
    return db.session.execute(
        sa.select(Application)
        .where(Application.id == application.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()


def claim_for_reminder(model, now, *conditions, ids=None) -> list[int]:
    """Mark the ``model`` rows that meet ``conditions`` (and are among ``ids`` when given) as
    reminded ``now``, and return their ids: one UPDATE that checks the rule again as it
    writes, so two runs at once (a daily job and a coordinator, or two coordinators) claim
    each row once. A reminder is not a change of the row: ``updated_at`` keeps its value."""
    claim = sa.update(model).where(*conditions)
    if ids is not None:
        claim = claim.where(model.id.in_(list(ids)))
    return (
        db.session.execute(
            claim.values(reminder_sent_at=now, updated_at=model.updated_at).returning(model.id),
            execution_options={"synchronize_session": False},
        )
        .scalars()
        .all()
    )
