"""Who may see and act on an application: its member, and the representatives of the
project's institution."""

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import Application, InstitutionRepresentative, Project
from diaspora.services.errors import NotFound


def is_rep_of(user, institution_id: int) -> bool:
    """True when ``user`` is an active, signed-in representative of that institution."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    return (
        db.session.scalar(
            sa.select(InstitutionRepresentative.id).where(
                InstitutionRepresentative.institution_id == institution_id,
                InstitutionRepresentative.user_id == user.id,
            )
        )
        is not None
    )


def is_applicant(user, application: Application) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and application.member_id is not None
        and application.member_id == user.id
    )


def side_of(user, application: Application) -> str | None:
    """``"member"``, ``"institution"`` or None: the part ``user`` plays in an application."""
    if is_applicant(user, application):
        return "member"
    if is_rep_of(user, application.project.institution_id):
        return "institution"
    return None


def get_application(user, application_id: int) -> Application:
    """The application if ``user`` is its member or a rep of its institution.

    Anyone else gets NotFound, whether or not it exists.
    """
    application = db.session.get(Application, application_id)
    if application is None or side_of(user, application) is None:
        raise NotFound
    return application


def require_rep_of_project(user, project: Project) -> None:
    """NotFound unless ``user`` represents the project's institution: to anyone else its
    applicants are not there."""
    if not is_rep_of(user, project.institution_id):
        raise NotFound
