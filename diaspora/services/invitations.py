"""Invitations: a representative asks a member who fits a project to apply to it.

Only an active representative of a verified institution invites, to a published project
open to applications, a listed member they may see who takes invitations (the switch on the
member's privacy page). Inviting shows the representative nothing more of the member than
the member already shows them. Against spam: one invitation per member and project, ever;
at most :data:`MAX_OPEN_PER_PROJECT` unanswered invitations per project and
:data:`MAX_PER_INSTITUTION_WEEK` invitations per institution in seven days.

The member is told by a notification and an email (no private content, a link); they apply
through the ordinary form (applying marks the invitation applied, see :func:`mark_applied`)
or decline.
"""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from diaspora.extensions import db
from diaspora.models import (
    Application,
    Invitation,
    InvitationStatus,
    Project,
    ProjectStatus,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import permissions, privacy, recommendations
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from diaspora.services.events import tell
from diaspora.services.locks import lock_institution, lock_project
from diaspora.services.profiles import profile_of

MESSAGE_MAX = 500
MAX_OPEN_PER_PROJECT = 20
MAX_PER_INSTITUTION_WEEK = 30


def _invitable_member(rep: User, member_id: int) -> User:
    """The member ``rep`` may invite, or NotFound for anyone they may not see listed (the
    same answer whether or not such a member exists)."""
    member = db.session.get(User, member_id)
    profile = profile_of(member) if member is not None else None
    if (
        profile is None
        or not permissions.is_member(member)
        or not member.is_confirmed
        or not privacy.is_listed(profile)
        or not privacy.may_see_member(profile, rep)
    ):
        raise NotFound
    return member


def _check_inviter(rep: User, project: Project) -> None:
    if not permissions.represents(rep, project.institution_id):
        raise NotAllowed
    if not project.institution.is_verified:
        raise Conflict(_("Your institution must be verified before it invites anyone."))
    if project.status != ProjectStatus.PUBLISHED or not project.is_open():
        raise Conflict(_("Only a published project open to applications can invite members."))


def _check_limits(project: Project) -> None:
    waiting = db.session.scalar(
        sa.select(sa.func.count(Invitation.id)).where(
            Invitation.project_id == project.id, Invitation.status == InvitationStatus.SENT
        )
    )
    if waiting >= MAX_OPEN_PER_PROJECT:
        raise Conflict(
            _(
                "This project already has %(num)d invitations waiting for an answer. Wait "
                "for some answers before inviting more people.",
                num=MAX_OPEN_PER_PROJECT,
            )
        )
    week_ago = utcnow() - timedelta(days=7)
    this_week = db.session.scalar(
        sa.select(sa.func.count(Invitation.id))
        .join(Project, Project.id == Invitation.project_id)
        .where(Project.institution_id == project.institution_id, Invitation.created_at >= week_ago)
    )
    if this_week >= MAX_PER_INSTITUTION_WEEK:
        raise Conflict(
            _(
                "Your institution has sent %(num)d invitations in the last seven days, the "
                "most it may send. Try again in a few days.",
                num=MAX_PER_INSTITUTION_WEEK,
            )
        )


def invite(rep: User, project: Project, member_id: int, message: str = "") -> Invitation:
    """``rep`` invites the member to apply to ``project``; the member is told."""
    _check_inviter(rep, project)
    member = _invitable_member(rep, member_id)
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX:
        raise Invalid(_("Keep the message under %(num)d characters.", num=MESSAGE_MAX))
    if "\x00" in message:
        raise Invalid(_("The message contains a character that is not allowed."))
    lock_institution(project.institution_id)
    project = lock_project(project)
    if not takes_invitations(member):
        raise Conflict(_("This member does not take invitations. They may still find the project."))
    if _existing(project.id, member.id) is not None:
        raise Conflict(_("This member was already invited to this project."))
    applied = db.session.scalar(
        sa.select(Application.id).where(
            Application.project_id == project.id, Application.member_id == member.id
        )
    )
    if applied is not None:
        raise Conflict(_("This member has already applied to this project."))
    _check_limits(project)
    invitation = Invitation(
        project_id=project.id, member_id=member.id, invited_by_id=rep.id, message=message
    )
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
    except IntegrityError as exc:
        raise Conflict(_("This member was already invited to this project.")) from exc
    tell(
        member,
        "invited",
        url_for("invitations.mine"),
        project=project,
        institution=project.institution,
    )
    return invitation


def takes_invitations(member: User) -> bool:
    """Does the member let institutions invite them (a member without a profile yet does,
    by default)?"""
    profile = profile_of(member)
    return profile is None or profile.invitations_open


def _existing(project_id: int, member_id: int) -> Invitation | None:
    return db.session.scalar(
        sa.select(Invitation).where(
            Invitation.project_id == project_id, Invitation.member_id == member_id
        )
    )


def decline(member: User, invitation_id: int) -> Invitation:
    """The member says no to an invitation still waiting for their answer."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not permissions.is_active(member) or invitation.member_id != member.id:
        raise NotFound
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status == InvitationStatus.SENT)
        .values(status=InvitationStatus.DECLINED, answered_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("You have already answered this invitation."))
    db.session.refresh(invitation)
    return invitation


def mark_applied(member: User, project: Project) -> None:
    """The member applied to ``project``: an invitation to it counts as answered. The apply
    workflow calls this once, when it records a new application."""
    db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.project_id == project.id,
            Invitation.member_id == member.id,
            Invitation.status != InvitationStatus.APPLIED,
        )
        .values(status=InvitationStatus.APPLIED, answered_at=utcnow())
        .execution_options(synchronize_session=False)
    )


@dataclass
class Received:
    """An invitation as its member sees it: the reasons are computed from what the member
    shows the inviting institution."""

    invitation: Invitation
    reasons: list[str]

    @property
    def project(self) -> Project:
        return self.invitation.project


def _institution_viewer(invitation: Invitation) -> User | None:
    """Whose eyes the reasons are seen through: the inviting representative, or while they
    no longer represent the institution, another of its representatives."""
    institution_id = invitation.project.institution_id
    if invitation.invited_by is not None and permissions.represents(
        invitation.invited_by, institution_id
    ):
        return invitation.invited_by
    others = permissions.representatives(institution_id)
    return others[0] if others else None


def received_by(member: User) -> list[Received]:
    """The member's invitations, newest first, with the reasons they were invited."""
    if not permissions.is_member(member):
        return []
    rows = db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.member_id == member.id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).all()
    profile = profile_of(member)
    received = []
    for invitation in rows:
        viewer = _institution_viewer(invitation)
        reasons = (
            recommendations.institution_reasons_for(profile, invitation.project, viewer)
            if profile is not None and viewer is not None
            else []
        )
        received.append(Received(invitation, reasons))
    return received


def waiting_count(member: User) -> int:
    """How many invitations wait for the member's answer."""
    return db.session.scalar(
        sa.select(sa.func.count(Invitation.id)).where(
            Invitation.member_id == member.id, Invitation.status == InvitationStatus.SENT
        )
    )


def sent_for(rep: User, project: Project) -> list[tuple[Invitation, str]]:
    """The invitations sent for ``project`` with each member's name as the representative may
    see it, for its representatives; nobody else gets any."""
    if not permissions.represents(rep, project.institution_id):
        return []
    rows = db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.project_id == project.id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ).all()
    return [
        (
            row,
            privacy.member_name(profile_of(row.member), rep, _("A member who is no longer listed")),
        )
        for row in rows
    ]
