"""Account deletion: the person leaves, and nothing of theirs stays behind.

One function, so later workflows (applications to anonymise, search documents to drop)
extend it in one place. Rows are deleted explicitly, so the deletion does not depend on
each table's ON DELETE rule.
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from diaspora.extensions import db
from diaspora.mail import purge_for_user
from diaspora.models import (
    Application,
    ApplicationMessage,
    AuditEntry,
    EngagementFeedback,
    FollowUp,
    FollowUpSide,
    Institution,
    InstitutionInvitation,
    InstitutionRepresentative,
    Invitation,
    MemberActivity,
    Notification,
    Project,
    SavedSearch,
    User,
)
from diaspora.services.api_keys import delete_keys_of
from diaspora.services.application_lists import applications_of
from diaspora.services.errors import Invalid
from diaspora.services.profiles import drop_unused_free_skills, profile_of

DELETED_NAME = "deleted account"


def delete_account(user: User, password: str) -> None:
    """Delete the account after checking its password: profile and every row that belongs
    to it, the free skills only this member used, its mail (outbox rows and the file
    mailbox's copies), and (with the user row) its session token, so every session ends."""
    if not user.check_password(password or ""):
        raise Invalid(_("Your password is not correct."))
    profile = profile_of(user)
    if profile is not None:
        skill_ids = [link.skill_id for link in profile.skill_links]
        db.session.delete(profile)
        drop_unused_free_skills(skill_ids)
    purge_for_user(user.id, addresses=(user.email, user.pending_email))
    db.session.execute(sa.delete(SavedSearch).where(SavedSearch.user_id == user.id))
    delete_keys_of(user)
    db.session.execute(sa.delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(sa.delete(MemberActivity).where(MemberActivity.user_id == user.id))
    db.session.execute(sa.delete(Invitation).where(Invitation.member_id == user.id))
    db.session.execute(
        sa.delete(InstitutionRepresentative).where(InstitutionRepresentative.user_id == user.id)
    )
    db.session.execute(
        sa.delete(InstitutionInvitation).where(InstitutionInvitation.email == user.email)
    )
    forget_applications(user)
    _forget_references(user.id)
    db.session.flush()
    db.session.delete(user)
    db.session.flush()


def _forget_references(user_id: int) -> None:
    """Keep other people's records (audit log, institutions, projects) without naming the
    deleted person."""
    updates = (
        (AuditEntry, AuditEntry.actor_id, {"actor_id": None, "actor_name": DELETED_NAME}),
        (AuditEntry, AuditEntry.subject_user_id, {"subject_user_id": None}),
        (Institution, Institution.created_by_id, {"created_by_id": None}),
        (Institution, Institution.decided_by_id, {"decided_by_id": None}),
        (InstitutionRepresentative, InstitutionRepresentative.added_by_id, {"added_by_id": None}),
        (InstitutionInvitation, InstitutionInvitation.invited_by_id, {"invited_by_id": None}),
        (Invitation, Invitation.invited_by_id, {"invited_by_id": None}),
        (Project, Project.created_by_id, {"created_by_id": None}),
    )
    for model, column, values in updates:
        db.session.execute(
            sa.update(model)
            .where(column == user_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def forget_applications(user: User) -> None:
    """Prepare the deletion of an account's applications (called by :func:`delete_account`).

    The member's undecided applications are deleted. Decided ones stay, anonymised: the
    member link, the motivation, the consent snapshot and the member's messages, feedback
    and follow-up words go; the status and dates stay as the institution's record. A deleted
    application's notifications go with it. References to a deleted representative are
    cleared.
    """
    for application in applications_of(user):
        if application.decided_at is None:
            db.session.execute(
                sa.delete(Notification).where(Notification.application_id == application.id)
            )
            db.session.delete(application)
            continue
        for message in list(application.messages):
            if not message.from_institution:
                application.messages.remove(message)
        for feedback in list(application.feedback):
            if not feedback.from_institution:
                application.feedback.remove(feedback)
        application.member_id = None
        application.motivation = ""
        application.shared_profile = {}
        # The member's own words about what the engagement changed go; the counted answers
        # stay, with no one named.
        db.session.execute(
            sa.update(FollowUp)
            .where(
                FollowUp.application_id == application.id,
                FollowUp.side == FollowUpSide.MEMBER,
            )
            .values(what_changed="")
        )
    db.session.flush()
    for model, column in (
        (Application, Application.decided_by_id),
        (ApplicationMessage, ApplicationMessage.author_id),
        (EngagementFeedback, EngagementFeedback.author_id),
    ):
        db.session.execute(
            sa.update(model)
            .where(column == user.id)
            .values({column.key: None})
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
