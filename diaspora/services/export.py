"""Export of one's own data (GDPR article 20): everything held about the person, nothing
about anyone else."""

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import (
    FIELD_GROUPS,
    Application,
    AuditEntry,
    InstitutionRepresentative,
    Invitation,
    MemberActivity,
    Notification,
    NotificationPreference,
    OutboxMessage,
    Profile,
    SkillKind,
    User,
)
from diaspora.models.base import utcnow
from diaspora.models.search import SavedSearch
from diaspora.services.api_keys import key_rows
from diaspora.services.profiles import profile_of
from diaspora.services.saved_projects import saved_by

ACCOUNT_FIELDS = (
    "id",
    "email",
    "name",
    "role",
    "created_at",
    "terms_accepted_at",
    "email_confirmed_at",
    "pending_email",
    "password_changed_at",
    "last_login_at",
    "suspended_at",
    "suspended_reason",
    "email_failures",
    "email_bouncing_since",
)


def _value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def _profile(profile: Profile) -> dict:
    return {
        "display_name": profile.display_name,
        "headline": profile.headline,
        "bio": profile.bio,
        "written_in": profile.written_in,
        "origin_country": profile.origin_country,
        "residence_country": profile.residence_country,
        "city": profile.city,
        "sectors": list(profile.sectors or []),
        "years_experience": profile.years_experience,
        "engagement_modes": list(profile.engagement_modes or []),
        "availability_hours": profile.availability_hours,
        "website": profile.website,
        "orcid": profile.orcid,
        "professional_url": profile.professional_url,
        "audiences": {g: int(profile.audience_of(g)) for g in FIELD_GROUPS},
        "listed": profile.listed,
        "public": profile.public,
        "hidden": profile.hidden,
        "invitations_open": profile.invitations_open,
        "confirmed_at": _value(profile.confirmed_at),
        "reminder_sent_at": _value(profile.reminder_sent_at),
        "created_at": _value(profile.created_at),
        "updated_at": _value(profile.updated_at),
        "languages": [
            {"code": lang.code, "proficiency": lang.proficiency.value} for lang in profile.languages
        ],
        "skills": [s.name for s in profile.skills_of(SkillKind.HAVE)],
        "skills_to_develop": [s.name for s in profile.skills_of(SkillKind.DEVELOP)],
        "education": [
            {"degree": e.degree, "field": e.field, "institution": e.institution, "year": e.year}
            for e in profile.education
        ],
        "travel_windows": [
            {"country": w.country, "start": w.start.isoformat(), "end": w.end.isoformat()}
            for w in profile.travel_windows
        ],
    }


def _actor(entry: AuditEntry) -> dict:
    """Who acted, by role and name only: never another person's address."""
    if entry.actor_id is None:
        return {"role": "system", "name": entry.actor_name}
    if entry.actor_id == entry.subject_user_id:
        return {"role": "you", "name": entry.actor_name}
    actor = db.session.get(User, entry.actor_id)
    return {"role": actor.role.label if actor else "unknown", "name": entry.actor_name}


def _applications(user: User) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application).where(Application.member_id == user.id).order_by(Application.id)
        )
    )


def _application(application: Application, user: User) -> dict:
    """One of the member's applications: what they wrote and what was decided. Messages and
    feedback written by the institution's people are theirs, so only their count is given."""
    return {
        "project": application.project.title,
        "institution": application.project.institution.name,
        "status": application.status.value,
        "motivation": application.motivation,
        "available_from": _value(application.available_from),
        "available_until": _value(application.available_until),
        "hours_per_month": application.hours_per_month,
        "work_mode": _value(application.work_mode),
        "shared_profile": application.shared_profile,
        "consented_at": _value(application.consented_at),
        "applied_at": application.created_at.isoformat(),
        "decided_at": _value(application.decided_at),
        "completed_at": _value(application.completed_at),
        "i_marked_completed_at": _value(application.member_completed_at),
        "institution_marked_completed_at": _value(application.institution_completed_at),
        "completion_disputed_at": _value(application.completion_disputed_at),
        "my_messages": [
            {"at": m.created_at.isoformat(), "kind": m.kind.value, "body": m.body}
            for m in application.messages
            if m.author_id == user.id
        ],
        "messages_from_institution": sum(1 for m in application.messages if m.from_institution),
        "my_feedback": [
            {"rating": f.rating, "comment": f.comment, "at": f.created_at.isoformat()}
            for f in application.feedback
            if f.author_id == user.id
        ],
    }


def export_user_data(user: User) -> dict:
    """Everything the platform holds about ``user`` as JSON-ready data."""
    profile = profile_of(user)
    audit_rows = db.session.scalars(
        sa.select(AuditEntry)
        .where(sa.or_(AuditEntry.subject_user_id == user.id, AuditEntry.actor_id == user.id))
        .order_by(AuditEntry.created_at)
    )
    mail = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(OutboxMessage.id)
    )
    reps = db.session.scalars(
        sa.select(InstitutionRepresentative).where(InstitutionRepresentative.user_id == user.id)
    )
    return {
        "exported_at": utcnow().isoformat(),
        "account": {name: _value(getattr(user, name)) for name in ACCOUNT_FIELDS},
        "profile": _profile(profile) if profile is not None else None,
        "institutions_represented": [
            {
                "institution_id": r.institution_id,
                "name": r.institution.name,
                "added_at": r.added_at.isoformat(),
            }
            for r in reps
        ],
        "audit_entries": [
            {
                "action": e.action,
                "at": e.created_at.isoformat(),
                "by": _actor(e),
                "target": e.target_type,
                "reason": e.reason if e.subject_user_id == user.id else "",
            }
            for e in audit_rows
        ],
        "applications": [_application(a, user) for a in _applications(user)],
        "api_keys": key_rows(user),
        "notifications": [
            {
                "kind": n.kind,
                "message": n.line,
                "at": n.created_at.isoformat(),
                "read_at": _value(n.read_at),
            }
            for n in db.session.scalars(
                sa.select(Notification)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            )
        ],
        "saved_searches": [
            {"query": q.query, "filters": q.filters, "created_at": q.created_at.isoformat()}
            for q in db.session.scalars(
                sa.select(SavedSearch)
                .where(SavedSearch.user_id == user.id)
                .order_by(SavedSearch.id)
            )
        ],
        "saved_projects": [{"project": p.title, "project_id": p.id} for p in saved_by(user)],
        "invitations_received": [
            {
                "project": i.project.title,
                "project_id": i.project_id,
                "institution": i.project.institution.name,
                "message": i.message,
                "status": i.status.value,
                "at": i.created_at.isoformat(),
                "answered_at": _value(i.answered_at),
            }
            for i in db.session.scalars(
                sa.select(Invitation).where(Invitation.member_id == user.id).order_by(Invitation.id)
            )
        ],
        "months_active": [
            f"{month:%Y-%m}"
            for month in db.session.scalars(
                sa.select(MemberActivity.month)
                .where(MemberActivity.user_id == user.id)
                .order_by(MemberActivity.month)
            )
        ],
        "notification_preferences": {
            p.kind: p.frequency.value
            for p in db.session.scalars(
                sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
            )
        },
        "mail": [
            {
                "subject": m.subject,
                "to": m.recipient,
                "status": m.status.value,
                "queued_at": m.created_at.isoformat(),
                "sent_at": _value(m.sent_at),
            }
            for m in mail
        ],
    }
