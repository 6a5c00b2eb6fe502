"""The audit log: who did what, to what, when and why, and the words people read for it."""

import re
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.models.project import ProjectStatus


class AuditEntry(db.Model):
    """A record of a sensitive action: moderation, suspension, access to restricted data.

    ``subject_user_id`` names the person the action concerns, so members can see who
    looked at their restricted fields.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_name: Mapped[str] = mapped_column(sa.String(120), default="")
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[int | None]
    subject_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def reason_text(self) -> str:
        """The reason as people read it: a status change in the labels shown everywhere
        else ("Draft to Awaiting review"), anything else as written."""
        change = status_change(self.reason) if self.target_type == "project" else None
        if change is None:
            return self.reason
        # Translators: a project's status change in the audit log, "Draft to Awaiting review".
        return _("%(before)s to %(after)s", before=change[0].label, after=change[1].label)

    @property
    def target_label(self) -> str:
        """What kind of thing the action was on, as people read it ("Project")."""
        label = TARGET_LABELS.get(self.target_type)
        return str(label) if label is not None else self.target_type.capitalize()


# What each action is called where people read the log (the coordinators' audit log, a
# project's history). An action missing here is shown from its name, without underscores.
ACTION_LABELS = {
    "account.suspend": _l("Account suspended"),
    "account.reactivate": _l("Account reactivated"),
    "institution.register": _l("Institution registered"),
    "institution.pending": _l("Institution sent back to waiting for verification"),
    "institution.verified": _l("Institution verified"),
    "institution.rejected": _l("Institution not verified"),
    "freshness.remind_profile": _l("Member reminded of a stale profile"),
    "freshness.remind_all_profiles": _l("Every member with a stale profile reminded"),
    "freshness.remind_listing": _l("Institution asked to confirm a stale listing"),
    "freshness.remind_all_listings": _l("Institutions asked to confirm every stale listing"),
    "institution.change_requested": _l("New name or website asked for"),
    "institution.change_withdrawn": _l("New name or website withdrawn"),
    "institution.change_approved": _l("New name or website approved"),
    "institution.change_rejected": _l("New name or website refused"),
    "institution.join": _l("Representative joined"),
    "institution.remove_representative": _l("Representative removed"),
    "network.follow": _l("Network followed"),
    "network.unfollow": _l("Network no longer followed, its projects removed"),
    "profile.coordinator_view": _l("Member's profile viewed"),
    "profile.restricted_form": _l("Restricted-view form opened"),
    "profile.restricted_view": _l("Member's restricted fields viewed"),
    "project.create": _l("Project created as a draft"),
    "project.submit": _l("Project submitted for review"),
    "project.approve": _l("Project published by a coordinator"),
    "project.request_changes": _l("Project sent back for changes"),
    "project.reject": _l("Project rejected"),
    "project.unpublish": _l("Project unpublished and sent back for changes"),
    "project.close": _l("Project closed to applications"),
    "project.complete": _l("Project marked completed"),
    "project.archive": _l("Project archived"),
    "report.dismiss": _l("Report dismissed"),
    "report.act": _l("Report acted on"),
    "api_key.create": _l("API key created"),
    "api_key.revoke": _l("API key revoked"),
    "api.use": _l("API used with a key"),
    "skill.merge": _l("Free skill merged into the taxonomy"),
    "skill.label_add": _l("Skill label added"),
    "skill.label_remove": _l("Skill label removed"),
}

# What each kind of target is called in the log.
TARGET_LABELS = {
    "project": _l("Project"),
    "profile": _l("Profile"),
    "institution": _l("Institution"),
    "report": _l("Report"),
    "user": _l("Account"),
    "skill": _l("Skill"),
    "api_key": _l("API key"),
    "network": _l("Followed network"),
}

# The reason recorded for a status change nobody explained: "draft -> pending_review".
_STATUS_CHANGE = re.compile(r"^([a-z_]+) -> ([a-z_]+)$")


def action_label(action: str) -> str:
    """The words for ``action`` (``"project.submit"``: "Project submitted for review")."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    return action.replace(".", ": ").replace("_", " ").capitalize()


def status_change(reason: str) -> tuple[str, str] | None:
    """The project statuses (before, after) of a recorded status change nobody gave a
    reason for, or None when ``reason`` is what someone wrote."""
    match = _STATUS_CHANGE.match(reason or "")
    values = {status.value for status in ProjectStatus}
    if match is None or not {match[1], match[2]} <= values:
        return None
    return ProjectStatus(match[1]), ProjectStatus(match[2])


def record(
    actor,
    action: str,
    target_type: str,
    target_id: int | None,
    reason: str = "",
    subject_user_id: int | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "name", "") or "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        subject_user_id=subject_user_id,
    )
    db.session.add(entry)
    return entry
