"""Reports that signed-in people file about a project, for coordinators to resolve."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.models.institution import _enum
from diaspora.models.project import Project


class ReportReason(enum.StrEnum):
    FEES = "fees"
    EXPLOITATION = "exploitation"
    SCAM = "scam"
    MISLEADING = "misleading"
    DISCRIMINATION = "discrimination"
    OTHER = "other"

    @property
    def label(self) -> str:
        # Lazy: a form's choices may be built when the module is imported.
        return {
            "fees": _l("Asks applicants for money (fees, deposits, training costs)"),
            "exploitation": _l("Exploitative conditions (passports kept, unpaid overtime, debts)"),
            "scam": _l("Looks like a scam or a fake institution"),
            "misleading": _l("Misleading or false information"),
            "discrimination": _l("Discriminatory or offensive content"),
            "other": _l("Something else"),
        }[self.value]


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    ACTIONED = "actioned"

    @property
    def label(self) -> str:
        return {"open": _("Open"), "dismissed": _("Dismissed"), "actioned": _("Acted on")}[
            self.value
        ]


class ProjectReport(db.Model):
    """A report about a project. One per person and project."""

    __tablename__ = "project_reports"
    __table_args__ = (sa.UniqueConstraint("project_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[ReportReason] = mapped_column(_enum(ReportReason))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus), default=ReportStatus.OPEN, index=True
    )
    resolution_note: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    project: Mapped[Project] = relationship()
    reporter = relationship("User", foreign_keys=[reporter_id])
