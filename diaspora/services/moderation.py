"""Moderation: reports about projects, the coordinators' queue and the audit log.

Project decisions themselves are transitions in :mod:`diaspora.services.projects`; this
module holds what surrounds them. Functions take plain values and model objects and leave
the commit to the caller.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from diaspora.extensions import db
from diaspora.models import (
    AuditEntry,
    Institution,
    InstitutionStatus,
    Project,
    ProjectReport,
    ProjectStatus,
    ReportReason,
    ReportStatus,
    audit,
)
from diaspora.models.base import utcnow
from diaspora.services import permissions, projects
from diaspora.services.errors import Conflict, Invalid, NotAllowed

COMMENT_MAX = 2000


def _require_coordinator(actor) -> None:
    if not permissions.is_coordinator(actor):
        raise NotAllowed


# --------------------------------------------------------------------------- reports


def has_reported(user, project: Project) -> bool:
    return (
        db.session.scalar(
            sa.select(ProjectReport.id).where(
                ProjectReport.project_id == project.id, ProjectReport.reporter_id == user.id
            )
        )
        is not None
    )


def report_project(actor, project: Project, reason: str, comment: str = "") -> ProjectReport:
    """File a report about a project the actor can see; once per person and project."""
    if not (permissions.is_active(actor) and permissions.may_view_project(actor, project)):
        raise NotAllowed
    try:
        reason_value = ReportReason(reason)
    except ValueError as exc:
        raise Invalid(_("Choose a reason from the list.")) from exc
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise Invalid(_("Keep the comment under %(num)d characters.", num=COMMENT_MAX))
    if has_reported(actor, project):
        raise Conflict(_("You have already reported this project; coordinators will look."))
    report = ProjectReport(
        project=project, reporter_id=actor.id, reason=reason_value, comment=comment
    )
    db.session.add(report)
    return report


RESOLUTIONS = {"dismiss": ReportStatus.DISMISSED, "act": ReportStatus.ACTIONED}


def resolve_report(
    actor, report: ProjectReport, outcome: str, note: str, unpublish: bool = False
) -> ProjectReport:
    """Close an open report as dismissed or acted on, with a note; optionally unpublish."""
    _require_coordinator(actor)
    if report.status != ReportStatus.OPEN:
        raise Conflict(_("This report was already resolved."))
    if outcome not in RESOLUTIONS:
        raise Invalid(_("Choose dismiss or act."))
    note = (note or "").strip()
    if not note:
        raise Invalid(_("Write a note saying what was decided."))
    if unpublish:
        if outcome != "act":
            raise Invalid(_("Unpublishing a project means acting on the report."))
        projects.unpublish(actor, report.project, note)
    report.status = RESOLUTIONS[outcome]
    report.resolution_note = note
    report.resolved_by_id = actor.id
    report.resolved_at = utcnow()
    audit.record(actor, f"report.{outcome}", "report", report.id, note)
    return report


# --------------------------------------------------------------------------- the queue


@dataclasses.dataclass
class Queue:
    institutions: list[Institution]
    projects: list[Project]
    reports: list[ProjectReport]

    @property
    def total(self) -> int:
        return len(self.institutions) + len(self.projects) + len(self.reports)


def _institution_waits():
    """An institution to verify, or a verified one whose new name or website waits."""
    return sa.or_(
        Institution.status == InstitutionStatus.PENDING, Institution.pending_since.is_not(None)
    )


def queue(actor) -> Queue:
    """What awaits coordinators, oldest first; flagged listings before clean ones."""
    _require_coordinator(actor)
    return Queue(
        institutions=list(
            db.session.scalars(
                sa.select(Institution)
                .where(_institution_waits())
                .order_by(
                    sa.func.coalesce(Institution.pending_since, Institution.created_at),
                    Institution.id,
                )
            )
        ),
        projects=list(
            db.session.scalars(
                sa.select(Project)
                .where(Project.status == ProjectStatus.PENDING)
                .order_by(Project.flagged.desc(), Project.submitted_at, Project.id)
            )
        ),
        reports=list(
            db.session.scalars(
                sa.select(ProjectReport)
                .where(ProjectReport.status == ReportStatus.OPEN)
                .order_by(ProjectReport.created_at, ProjectReport.id)
            )
        ),
    )


def queue_count() -> int:
    """How many items await coordinators, in one cheap query (for the navigation)."""
    return db.session.scalar(
        sa.select(
            sa.select(sa.func.count(Institution.id)).where(_institution_waits()).scalar_subquery()
            + sa.select(sa.func.count(Project.id))
            .where(Project.status == ProjectStatus.PENDING)
            .scalar_subquery()
            + sa.select(sa.func.count(ProjectReport.id))
            .where(ProjectReport.status == ReportStatus.OPEN)
            .scalar_subquery()
        )
    )


# --------------------------------------------------------------------------- audit log


@dataclasses.dataclass
class AuditFilter:
    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None


def audit_actions() -> list[str]:
    """The actions present in the log, for the filter's choices."""
    return list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by("action")))


def audit_query(actor, filters: AuditFilter) -> sa.Select:
    """Audit entries matching ``filters``, newest first. Coordinators only."""
    _require_coordinator(actor)
    query = sa.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.actor:
        like = "%" + filters.actor.strip().lower().replace("%", "").replace("_", "") + "%"
        query = query.where(sa.func.lower(AuditEntry.actor_name).like(like))
    if filters.since:
        query = query.where(
            AuditEntry.created_at >= datetime.combine(filters.since, time.min, tzinfo=UTC)
        )
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=UTC)
        query = query.where(AuditEntry.created_at < end)
    return query
