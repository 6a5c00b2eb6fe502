"""Institutions: registration, verification by coordinators, and their representatives.

Functions take the acting user and plain values, check permissions, queue mail in the same
transaction, and leave the commit to the caller.
"""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from diaspora.extensions import db
from diaspora.geo import is_country
from diaspora.mail import queue_email
from diaspora.models import (
    Institution,
    InstitutionInvitation,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
    Project,
    ProjectStatus,
    User,
    audit,
)
from diaspora.models.base import utcnow
from diaspora.security import make_token, read_token
from diaspora.services import permissions
from diaspora.services.accounts import normalize_email
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from diaspora.services.events import tell
from diaspora.validation import is_http_url

INVITATION_MAX_AGE = timedelta(days=7)
INVITATION_SALT = "institution-invitation"


def _clean(data: dict) -> dict:
    name = (data.get("name") or "").strip()
    if not name or len(name) > 200:
        raise Invalid(_("Give the institution's name (up to 200 characters)."))
    try:
        kind = InstitutionType(data.get("kind"))
    except ValueError as exc:
        raise Invalid(_("Choose the kind of institution.")) from exc
    country = (data.get("country") or "").upper()
    if not is_country(country):
        raise Invalid(_("Choose a country from the list."))
    website = (data.get("website") or "").strip()
    if website and not is_http_url(website):
        raise Invalid(_("The website must start with http:// or https://."))
    domain = (data.get("email_domain") or "").strip().lower().lstrip("@")
    if domain and ("." not in domain or any(ch in domain for ch in " /:@")):
        raise Invalid(_("Give the email domain only, like university.example."))
    return {
        "name": name,
        "kind": kind,
        "country": country,
        "city": (data.get("city") or "").strip()[:120],
        "website": website,
        "email_domain": domain[:253],
        "description": (data.get("description") or "").strip()[:5000],
    }


def register(user: User, data: dict) -> Institution:
    """Register a pending institution; the registering representative represents it."""
    if not permissions.is_institution_account(user):
        raise NotAllowed
    if not permissions.may_represent(user):
        raise Conflict(_("Confirm your email address before registering an institution."))
    institution = Institution(**_clean(data), created_by_id=user.id)
    institution.representatives.append(InstitutionRepresentative(user_id=user.id))
    db.session.add(institution)
    db.session.flush()
    audit.record(user, "institution.register", "institution", institution.id)
    return institution


# What identifies an institution: once it is verified, a representative's change of these
# waits for a coordinator, so a verified badge never covers a name nobody checked.
REVIEWED_FIELDS = ("name", "website")


def update(user: User, institution: Institution, data: dict) -> Institution:
    """Edit the institution's details (its representatives and coordinators).

    On a verified institution a representative's new name or website is held for review
    (see ``REVIEWED_FIELDS``); the other details apply at once. Before verification the
    whole record is reviewed anyway, so every field applies at once."""
    _require_manager(user, institution)
    cleaned = _clean(data)
    if institution.is_verified and not permissions.is_coordinator(user):
        _propose(user, institution, {key: cleaned.pop(key) for key in REVIEWED_FIELDS})
    for key, value in cleaned.items():
        setattr(institution, key, value)
    return institution


def _propose(user: User, institution: Institution, proposed: dict) -> None:
    """Hold the changed reviewed fields; a new proposal replaces the one waiting, and
    proposing the current values again withdraws it."""
    changed = {key: value for key, value in proposed.items() if value != getattr(institution, key)}
    had_pending = institution.has_pending_change
    institution.pending_name = changed.get("name")
    institution.pending_website = changed.get("website")
    if changed:
        institution.pending_since = utcnow()
        detail = "; ".join(f"{key}: {value}" for key, value in changed.items())
        audit.record(user, "institution.change_requested", "institution", institution.id, detail)
    elif had_pending:
        institution.pending_since = None
        audit.record(user, "institution.change_withdrawn", "institution", institution.id)


def form_values(institution: Institution) -> dict:
    """The values the edit form starts from: a change waiting for review shows as asked."""
    return {
        "name": institution.pending_name or institution.name,
        "kind": institution.kind.value,
        "country": institution.country,
        "city": institution.city,
        "website": (
            institution.website
            if institution.pending_website is None
            else institution.pending_website
        ),
        "email_domain": institution.email_domain,
        "description": institution.description,
    }


def approve_change(actor: User, institution: Institution) -> None:
    """A coordinator accepts the waiting change of name or website: it becomes public."""
    _require_pending_change(actor, institution)
    detail = _change_detail(institution)
    if institution.pending_name is not None:
        institution.name = institution.pending_name
    if institution.pending_website is not None:
        institution.website = institution.pending_website
    _clear_change(institution)
    audit.record(actor, "institution.change_approved", "institution", institution.id, detail)
    _tell_representatives(institution, "institution_change_approved")


def reject_change(actor: User, institution: Institution, reason: str) -> None:
    """A coordinator refuses the waiting change, with a reason the representatives receive;
    the current name and website stay."""
    _require_pending_change(actor, institution)
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise Invalid(_("Give the reason for refusing the change."))
    detail = _change_detail(institution)
    proposed_name, proposed_website = institution.pending_name, institution.pending_website
    _clear_change(institution)
    audit.record(
        actor, "institution.change_rejected", "institution", institution.id, f"{reason} ({detail})"
    )
    _tell_representatives(
        institution,
        "institution_change_rejected",
        reason=reason,
        proposed_name=proposed_name,
        proposed_website=proposed_website,
    )


def _require_pending_change(actor: User, institution: Institution) -> None:
    if not permissions.is_coordinator(actor):
        raise NotAllowed
    if not institution.has_pending_change:
        raise Conflict(_("No change of this institution is waiting for review."))


def _change_detail(institution: Institution) -> str:
    parts = []
    if institution.pending_name is not None:
        parts.append(f"name: {institution.name} -> {institution.pending_name}")
    if institution.pending_website is not None:
        parts.append(f"website: {institution.website} -> {institution.pending_website}")
    return "; ".join(parts)


def _clear_change(institution: Institution) -> None:
    institution.pending_name = None
    institution.pending_website = None
    institution.pending_since = None


def _require_manager(user: User, institution: Institution) -> None:
    if not permissions.may_manage_institution(user, institution):
        raise NotAllowed


def pending() -> list[Institution]:
    return list(
        db.session.scalars(
            sa.select(Institution)
            .where(Institution.status == InstitutionStatus.PENDING)
            .order_by(Institution.created_at)
        )
    )


def changes_to_review() -> list[Institution]:
    """Verified institutions whose new name or website waits for a coordinator."""
    return list(
        db.session.scalars(
            sa.select(Institution)
            .where(Institution.pending_since.is_not(None))
            .order_by(Institution.pending_since, Institution.id)
        )
    )


def verified_query(country: str | None = None) -> sa.Select:
    """Verified institutions (the public ones), by name; of ``country`` when given."""
    query = sa.select(Institution).where(Institution.status == InstitutionStatus.VERIFIED)
    if country:
        query = query.where(Institution.country == country.strip().upper())
    return query.order_by(Institution.name, Institution.id)


def verified_institution(institution_id: int) -> Institution | None:
    """The institution ``institution_id`` if it is verified, else None."""
    return db.session.scalar(verified_query().where(Institution.id == institution_id))


def published_projects(institution: Institution) -> list[Project]:
    return list(
        db.session.scalars(
            sa.select(Project)
            .where(Project.institution_id == institution.id)
            .where(Project.status == ProjectStatus.PUBLISHED)
            .order_by(Project.published_at.desc())
        )
    )


def _tell_representatives(institution: Institution, event: str, **context) -> None:
    """Tell every active representative on the site and, as they chose, by email."""
    path = url_for("institutions.show", institution_id=institution.id)
    link = url_for("institutions.show", institution_id=institution.id, _external=True)
    for rep in permissions.representatives(institution.id):
        tell(rep, event, path, institution=institution, institution_url=link, **context)


def verify(actor: User, institution: Institution, reason: str = "") -> None:
    """A coordinator verifies an institution: it may now post projects."""
    _decide(actor, institution, InstitutionStatus.VERIFIED, reason)
    _tell_representatives(institution, "institution_verified")


def reject(actor: User, institution: Institution, reason: str) -> None:
    """A coordinator rejects an institution with a reason the representatives receive."""
    if not (reason or "").strip():
        raise Invalid(_("Give the reason for the rejection."))
    _decide(actor, institution, InstitutionStatus.REJECTED, reason)
    _tell_representatives(institution, "institution_rejected")


def _decide(actor: User, institution: Institution, status: InstitutionStatus, reason: str):
    if not permissions.is_coordinator(actor):
        raise NotAllowed
    institution.status = status
    institution.status_reason = (reason or "").strip()[:2000]
    institution.decided_at = utcnow()
    institution.decided_by_id = actor.id
    audit.record(actor, f"institution.{status.value}", "institution", institution.id, reason)


# Representatives and invitations.


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(actor: User, institution: Institution, email: str) -> InstitutionInvitation:
    """Email a signed one-time link to represent the institution; only its hash is stored.

    The email names the institution, not the person inviting: a mail to someone else must
    not keep a member's name where deleting the member's account cannot reach it."""
    _require_manager(actor, institution)
    email = normalize_email(email)
    if any(rep.user.email == email for rep in institution.representatives):
        raise Conflict(_("This person already represents the institution."))
    token = make_token(INVITATION_SALT, {"i": institution.id, "n": secrets.token_hex(16)})
    invitation = InstitutionInvitation(
        institution_id=institution.id, email=email, token_hash=_hash(token), invited_by_id=actor.id
    )
    db.session.add(invitation)
    queue_email(
        email,
        "institution_invitation",
        _l("You are invited to represent %(name)s on the platform", name=institution.name),
        institution=institution,
        accept_url=url_for("institutions.accept_invitation", token=token, _external=True),
    )
    return invitation


def invitation_for(token: str) -> InstitutionInvitation | None:
    """The open, unexpired invitation this token belongs to, or None."""
    max_age = int(INVITATION_MAX_AGE.total_seconds())
    if read_token(INVITATION_SALT, token, max_age) is None:
        return None
    invitation = db.session.scalar(
        sa.select(InstitutionInvitation).where(InstitutionInvitation.token_hash == _hash(token))
    )
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        return None
    if invitation.created_at < utcnow() - INVITATION_MAX_AGE:
        return None
    return invitation


def accept_invitation(user: User, token: str) -> Institution:
    """The invited person, signed in as a confirmed representative, joins the institution."""
    invitation = invitation_for(token)
    if invitation is None:
        raise Conflict(_("This invitation is invalid, used or expired."))
    if not permissions.may_represent(user):
        raise NotAllowed(_("Sign in with a confirmed institution representative account."))
    if user.email != invitation.email:
        raise NotAllowed(_("This invitation was sent to another email address."))
    institution = db.session.get(Institution, invitation.institution_id)
    if not institution.has_representative(user):
        institution.representatives.append(
            InstitutionRepresentative(user_id=user.id, added_by_id=invitation.invited_by_id)
        )
    invitation.accepted_at = utcnow()
    audit.record(user, "institution.join", "institution", institution.id)
    return institution


def remove_representative(actor: User, institution: Institution, rep_id: int) -> None:
    """Remove a representative; the last one cannot be removed."""
    _require_manager(actor, institution)
    rep = next((r for r in institution.representatives if r.id == rep_id), None)
    if rep is None:
        raise NotFound(_("This person does not represent the institution."))
    if len(institution.representatives) <= 1:
        raise Conflict(_("An institution keeps at least one representative."))
    institution.representatives.remove(rep)
    audit.record(actor, "institution.remove_representative", "institution", institution.id)


def open_invitations(institution: Institution) -> list[InstitutionInvitation]:
    return list(
        db.session.scalars(
            sa.select(InstitutionInvitation)
            .where(
                InstitutionInvitation.institution_id == institution.id,
                InstitutionInvitation.accepted_at.is_(None),
                InstitutionInvitation.revoked_at.is_(None),
            )
            .order_by(InstitutionInvitation.created_at.desc())
        )
    )
