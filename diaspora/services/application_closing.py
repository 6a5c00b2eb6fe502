"""What closing a project does to its applications: each one still waiting is closed and its
member told. The project workflows call it on every close (:mod:`diaspora.services.projects`).
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from diaspora.extensions import db
from diaspora.models import Application, ApplicationStatus, InterviewStatus, Project
from diaspora.models.application import WAITING
from diaspora.services.application_notices import notify_closed
from diaspora.services.interview_calendar import call_off

S = ApplicationStatus

# Who closed a project, as its waiting applicants are told.
BY_SYSTEM = "system"
BY_INSTITUTION = "institution"
BY_COORDINATORS = "coordinators"

# What the platform says when the last place is taken: no one chose to close the project.
# Kept in English (the project's history stores it) and written in each reader's language.
PLACES_FILLED = (
    "All places are filled: the institution has accepted as many people as the project has places."
)
_l("All places are filled: the institution has accepted as many people as the project has places.")


def close_waiting(project: Project, closed_by: str = BY_SYSTEM, reason: str = "") -> int:
    """Tell everyone still waiting on a project that has closed; return how many.

    The project lifecycle calls this on every close: deadline, places filled, or closed by
    the institution or a coordinator, with the project's row locked
    (:func:`diaspora.services.locks.lock_project`).
    The waiting rows are then locked in id order and read as they are now. Each member is
    told who closed it (``closed_by``: the platform, the institution or the coordinators)
    and the reason given or, for the platform, what happened.
    """
    waiting = db.session.scalars(
        sa.select(Application)
        .where(Application.project_id == project.id, Application.status.in_(WAITING))
        .order_by(Application.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    for application in waiting:
        application.status = S.CLOSED
        call_off(application, InterviewStatus.CANCELLED)
        notify_closed(application, closed_by=closed_by, reason=reason)
    return len(waiting)
