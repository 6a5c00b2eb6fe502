"""What the project pages show about applications: the applying panel and the team."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from diaspora.extensions import db
from diaspora.models import Application, Project, User
from diaspora.models.application import TEAM, WAITING
from diaspora.services import permissions
from diaspora.services.application_stats import institution_record
from diaspora.services.applications import existing_application
from diaspora.services.privacy import may_see_member
from diaspora.services.profiles import profile_of

TEAM_MEMBER = _l("A team member")


def team(project: Project, viewer) -> list[str] | None:
    """The names of the project's team as ``viewer`` may see them.

    A name shows only to a viewer who may see that member's profile page
    (:func:`privacy.member_name`). Team members and the institution's reps see every other
    member as "A team member"; anyone else sees only the names they may see, and None means
    there is nothing to show them.
    """
    members = db.session.scalars(
        sa.select(User)
        .join(Application, Application.member_id == User.id)
        .where(Application.project_id == project.id, Application.status.in_(TEAM))
        .order_by(Application.decided_at, Application.id)
    ).all()
    viewer_id = viewer.id if permissions.is_active(viewer) else None
    insider = viewer_id in {m.id for m in members} or permissions.represents(
        viewer, project.institution_id
    )
    names = []
    for member in members:
        profile = profile_of(member)
        if may_see_member(profile, viewer):
            names.append(profile.display_name)
        elif insider:
            names.append(str(TEAM_MEMBER))
    return names or None


def ends_with_last_place(application: Application) -> int | None:
    """When accepting ``application`` would take its project's last place: how many other
    applications still wait (they end when the project closes); None otherwise."""
    project = application.project
    if not application.is_waiting or project.places_left != 1:
        return None
    return db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.project_id == project.id,
            Application.status.in_(WAITING),
            Application.id != application.id,
        )
    )


def project_panel(viewer, project: Project) -> dict:
    """What the project page shows about applying: the viewer's own application or whether
    they may apply, the team as they may see it, how the institution answers, and for its
    reps how many applications wait."""
    mine = None
    if permissions.is_member(viewer):
        mine = existing_application(viewer, project)
    rep = permissions.represents(viewer, project.institution_id)
    waiting = None
    if rep:
        waiting = db.session.scalar(
            sa.select(sa.func.count(Application.id)).where(
                Application.project_id == project.id, Application.status.in_(WAITING)
            )
        )
    return {
        "mine": mine,
        "may_apply": mine is None
        and project.is_open()
        and not permissions.is_institution_account(viewer)
        and not permissions.is_coordinator(viewer),
        "is_rep": rep,
        "waiting": waiting,
        "team": team(project, viewer),
        "record": institution_record(project.institution),
    }
