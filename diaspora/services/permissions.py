"""Who may do what: every "may this person ..." and "who represents ..." question of the
platform, answered once, here. Services and views ask this module; none decides on its own.

The rules every answer follows:

- Only an active account acts: signed in and not suspended. A visitor, the platform's own
  scheduled actor and a suspended account hold no role and represent nothing.
- A suspended representative represents nothing: they are left out of every list of an
  institution's representatives (so they receive no notification meant for the institution),
  cannot act for it, see none of its private pages, and get no privacy clearance through it.
  Their representative row stays, so reactivating the account gives all of it back.
- The same holds for coordinators and administrators: a suspended coordinator is not a
  coordinator. They cannot moderate, verify, suspend, review, search experts, or see what
  only coordinators see.
- Confirming the email address is not part of representing or of holding a role; the steps
  that need it ask for it themselves (:func:`may_represent` for taking on an institution;
  submitting a project and applying check it in their workflows, with their own message).

Rules about one record alone live on the model (``Project.is_open``, ``User.is_active``,
``Institution.is_verified``); this module combines a person with a record. It answers and
never raises: the workflows turn a "no" into their own refusal.
"""

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationStatus,
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    Notification,
    Project,
    ProjectStatus,
    User,
)
from diaspora.models.application import TEAM

MEMBER_SIDE = "member"
INSTITUTION_SIDE = "institution"
RAN = (ProjectStatus.CLOSED, ProjectStatus.COMPLETED, ProjectStatus.ARCHIVED)


# --------------------------------------------------------------------------- accounts


def is_active(user) -> bool:
    """Signed in with an account that is not suspended (anyone else is no one here)."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def is_coordinator(user) -> bool:
    """An active coordinator or administrator."""
    return is_active(user) and user.is_coordinator


def is_member(user) -> bool:
    """An active diaspora member's account."""
    return is_active(user) and user.is_member


def is_institution_account(user) -> bool:
    """An active institution representative's account (whether or not it represents any)."""
    return is_active(user) and user.is_institution_rep


def may_represent(user) -> bool:
    """May ``user`` take on an institution (register one, or accept an invitation to one)?
    An active institution account whose email address is confirmed."""
    return is_institution_account(user) and user.is_confirmed


# --------------------------------------------------------------------------- representing


def _represented_ids(user_id: int) -> sa.Select:
    return sa.select(InstitutionRepresentative.institution_id).where(
        InstitutionRepresentative.user_id == user_id
    )


def represents(user, institution_id: int) -> bool:
    """Is ``user`` an active representative of that institution?"""
    if not is_active(user):
        return False
    query = _represented_ids(user.id).where(
        InstitutionRepresentative.institution_id == institution_id
    )
    return db.session.scalar(query) is not None


def represented_institution_ids(user, *, verified: bool = False) -> set[int]:
    """The institutions ``user`` represents (only the verified ones with ``verified``)."""
    if not is_active(user):
        return set()
    query = _represented_ids(user.id)
    if verified:
        query = query.join(
            Institution, Institution.id == InstitutionRepresentative.institution_id
        ).where(Institution.status == InstitutionStatus.VERIFIED)
    return set(db.session.scalars(query))


def represented_institutions(user) -> list[Institution]:
    """The institutions ``user`` represents, by name."""
    if not is_active(user):
        return []
    return list(
        db.session.scalars(
            sa.select(Institution)
            .where(Institution.id.in_(_represented_ids(user.id)))
            .order_by(Institution.name, Institution.id)
        )
    )


def representatives(institution_id: int) -> list[User]:
    """The institution's active representatives: whom it speaks through, and whom a message
    for the institution reaches."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(InstitutionRepresentative, InstitutionRepresentative.user_id == User.id)
            .where(InstitutionRepresentative.institution_id == institution_id, User.is_active)
            .order_by(User.id)
        )
    )


# --------------------------------------------------------------------------- institutions


def may_manage_institution(user, institution: Institution) -> bool:
    """Edit its details, invite and remove representatives: its representatives and
    coordinators."""
    return is_coordinator(user) or represents(user, institution.id)


def may_view_institution(user, institution: Institution) -> bool:
    """Verified institutions are public; the others only to those who manage them."""
    return institution.is_verified or may_manage_institution(user, institution)


# --------------------------------------------------------------------------- projects


def may_view_project(user, project: Project) -> bool:
    """Published projects are public; the others only to their institution's
    representatives and to coordinators, and a project that ran (closed, completed,
    archived) also to the members of its team."""
    if project.status == ProjectStatus.PUBLISHED:
        return True
    if is_coordinator(user) or represents(user, project.institution_id):
        return True
    return project.status in RAN and is_team_member(user, project)


def is_team_member(user, project: Project) -> bool:
    """Is ``user`` an active member accepted on ``project`` (or whose engagement there is
    completed)?"""
    if not is_member(user):
        return False
    return (
        db.session.scalar(
            sa.select(Application.id).where(
                Application.project_id == project.id,
                Application.member_id == user.id,
                Application.status.in_(TEAM),
            )
        )
        is not None
    )


# --------------------------------------------------------------------------- applications


def is_applicant(user, application: Application) -> bool:
    """Is ``user`` the (active) member who made this application?"""
    return (
        is_active(user) and application.member_id is not None and application.member_id == user.id
    )


def side_of(user, application: Application) -> str | None:
    """The side ``user`` takes in an application: ``MEMBER_SIDE`` for its member,
    ``INSTITUTION_SIDE`` for a representative of the project's institution, else None."""
    if is_applicant(user, application):
        return MEMBER_SIDE
    if represents(user, application.project.institution_id):
        return INSTITUTION_SIDE
    return None


def _applied_pairs(member_ids) -> sa.Select:
    """(member id, institution id) of every application not withdrawn by those members."""
    return (
        sa.select(Application.member_id, Project.institution_id)
        .join(Project, Project.id == Application.project_id)
        .where(
            Application.member_id.in_(member_ids),
            Application.status != ApplicationStatus.WITHDRAWN,
        )
    )


def applied_institution_ids_of(member_ids: list[int]) -> dict[int, set[int]]:
    """For each of the members, the institutions they applied to (withdrawn applications do
    not count). The representatives of these institutions have the "institutions I applied
    to" clearance on the member's profile."""
    applied: dict[int, set[int]] = {}
    for member_id, institution_id in db.session.execute(_applied_pairs(member_ids)):
        applied.setdefault(member_id, set()).add(institution_id)
    return applied


def applied_institution_ids(member_id: int) -> set[int]:
    """The institutions one member applied to (see :func:`applied_institution_ids_of`)."""
    return applied_institution_ids_of([member_id]).get(member_id, set())


def applied_to_institutions_of(user, member_ids) -> set[int]:
    """Of these members, those who applied to an institution ``user`` actively represents
    (asked for many members at once, as listings need)."""
    if not is_institution_account(user):
        return set()
    represented = represented_institution_ids(user)
    if not represented:
        return set()
    applied = applied_institution_ids_of(list(member_ids))
    return {member_id for member_id, ids in applied.items() if ids & represented}


def represents_institution_applied_to(user, member_id: int) -> bool:
    """Is ``user`` an active representative of an institution the member applied to? (The
    same rule as :func:`applied_to_institutions_of`, for one member.)"""
    if not is_institution_account(user):
        return False
    return bool(represented_institution_ids(user) & applied_institution_ids(member_id))


# --------------------------------------------------------------------------- notifications


def is_recipient(user, notification: Notification) -> bool:
    """Is this notification in ``user``'s own list?"""
    return is_active(user) and notification.user_id == user.id
