"""Projects that verified institutions post, and their life from draft to archive."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.models.institution import Institution, _enum
from diaspora.models.skill import Skill


class ProjectStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING = "pending_review"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    PUBLISHED = "published"
    CLOSED = "closed"
    COMPLETED = "completed"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return {
            "draft": _("Draft"),
            "pending_review": _("Awaiting review"),
            "changes_requested": _("Changes requested"),
            "rejected": _("Rejected"),
            "published": _("Published"),
            "closed": _("Closed"),
            "completed": _("Completed"),
            "archived": _("Archived"),
        }[self.value]


class EngagementMode(enum.StrEnum):
    REMOTE_ADVICE = "remote_advice"
    SHORT_MISSION = "short_mission"
    TEACHING = "teaching"
    MENTORING = "mentoring"
    RESEARCH = "research"
    INVESTMENT = "investment"
    RETURN = "return"

    @property
    def label(self) -> str:
        return {
            "remote_advice": _("Remote advice"),
            "short_mission": _("Short mission in the country"),
            "teaching": _("Teaching or lecturing"),
            "mentoring": _("Mentoring"),
            "research": _("Research collaboration"),
            "investment": _("Investment or entrepreneurship"),
            "return": _("Permanent return"),
        }[self.value]


class WorkMode(enum.StrEnum):
    REMOTE = "remote"
    ONSITE = "onsite"
    HYBRID = "hybrid"

    @property
    def label(self) -> str:
        return {"remote": _("Remote"), "onsite": _("On site"), "hybrid": _("Hybrid")}[self.value]


class Compensation(enum.StrEnum):
    VOLUNTEER = "volunteer"
    EXPENSES = "expenses"
    STIPEND = "stipend"
    PAID = "paid"

    @property
    def label(self) -> str:
        return {
            "volunteer": _("Volunteer"),
            "expenses": _("Expenses covered"),
            "stipend": _("Stipend"),
            "paid": _("Paid"),
        }[self.value]


project_skills = sa.Table(
    "project_skills",
    db.Model.metadata,
    sa.Column("project_id", sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("skill_id", sa.ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True),
)


class Project(db.Model):
    """A project an institution posts. Only published, current projects are public."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        sa.ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text)
    country: Mapped[str] = mapped_column(sa.String(2), index=True)
    region: Mapped[str] = mapped_column(sa.String(120), default="")
    sector: Mapped[str] = mapped_column(sa.String(40), index=True)
    engagement_mode: Mapped[EngagementMode] = mapped_column(_enum(EngagementMode))
    work_mode: Mapped[WorkMode] = mapped_column(_enum(WorkMode))
    start_date: Mapped[date | None]
    duration_weeks: Mapped[int | None]
    deadline: Mapped[date | None] = mapped_column(index=True)
    places: Mapped[int] = mapped_column(default=1)
    places_filled: Mapped[int] = mapped_column(default=0)
    compensation: Mapped[Compensation] = mapped_column(_enum(Compensation))
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: The language the listing is written in (a key of i18n.LANGUAGES): search analyses
    #: its text with that language's stemming.
    written_in: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    contact_name: Mapped[str] = mapped_column(sa.String(120), default="")
    contact_role: Mapped[str] = mapped_column(sa.String(120), default="")
    info_url: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    status: Mapped[ProjectStatus] = mapped_column(
        _enum(ProjectStatus), default=ProjectStatus.DRAFT, index=True
    )
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    screening: Mapped[list] = mapped_column(sa.JSON, default=list)
    flagged: Mapped[bool] = mapped_column(default=False, server_default=sa.false(), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_current_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    institution: Mapped[Institution] = relationship()
    skills: Mapped[list[Skill]] = relationship(secondary=project_skills, order_by=Skill.name)

    __table_args__ = (
        sa.CheckConstraint("places >= 1", name="places_positive"),
        sa.CheckConstraint(
            "places_filled >= 0 AND places_filled <= places", name="places_within_bounds"
        ),
    )

    @property
    def is_editable(self) -> bool:
        """Representatives may edit a draft, or a listing sent back for changes."""
        return self.status in (ProjectStatus.DRAFT, ProjectStatus.CHANGES_REQUESTED)

    @property
    def places_left(self) -> int:
        return max(self.places - self.places_filled, 0)

    @hybrid_method
    def is_open(self, today: date | None = None) -> bool:
        """Published, not past its deadline (checked on ``today``), with places left: open to
        applications and listed. ``Project.is_open(today)`` is the same rule as a SQL
        condition, which the listings and the search index select with."""
        today = today or utcnow().date()
        return (
            self.status == ProjectStatus.PUBLISHED
            and (self.deadline is None or self.deadline >= today)
            and self.places_filled < self.places
        )

    @is_open.inplace.expression
    @classmethod
    def _is_open_condition(cls, today: date | None = None) -> sa.ColumnElement[bool]:
        today = today or utcnow().date()
        return sa.and_(
            cls.status == ProjectStatus.PUBLISHED,
            sa.or_(cls.deadline.is_(None), cls.deadline >= today),
            cls.places_filled < cls.places,
        )
