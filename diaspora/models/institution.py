"""Institutions in countries of origin, and the people who represent them."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow


def _enum(cls, length=24):
    return sa.Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class InstitutionType(enum.StrEnum):
    UNIVERSITY = "university"
    HOSPITAL = "hospital"
    MINISTRY = "ministry"
    NGO = "ngo"
    COMPANY = "company"
    RESEARCH = "research"
    INTERNATIONAL = "international"

    @property
    def label(self) -> str:
        return {
            "university": _("University"),
            "hospital": _("Hospital or clinic"),
            "ministry": _("Ministry or public agency"),
            "ngo": _("NGO"),
            "company": _("Company"),
            "research": _("Research centre"),
            "international": _("International organisation"),
        }[self.value]


class InstitutionStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Institution(db.Model):
    """An organisation that posts projects once a coordinator has verified it."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[InstitutionType] = mapped_column(_enum(InstitutionType))
    country: Mapped[str] = mapped_column(sa.String(2), index=True)
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    email_domain: Mapped[str] = mapped_column(sa.String(253), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[InstitutionStatus] = mapped_column(
        _enum(InstitutionStatus), default=InstitutionStatus.PENDING, index=True
    )
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # A verified institution's new name or website waits here for a coordinator; the
    # current ones stay public meanwhile. None means "no change asked for this field".
    pending_name: Mapped[str | None] = mapped_column(sa.String(200))
    pending_website: Mapped[str | None] = mapped_column(sa.String(300))
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    representatives: Mapped[list["InstitutionRepresentative"]] = relationship(
        back_populates="institution", cascade="all, delete-orphan"
    )

    @property
    def is_verified(self) -> bool:
        return self.status == InstitutionStatus.VERIFIED

    @property
    def has_pending_change(self) -> bool:
        return self.pending_since is not None

    def has_representative(self, user) -> bool:
        """Is ``user`` on the list of representatives, whatever the account's state? For
        adding someone once; who may act for the institution is
        ``permissions.represents``."""
        return any(rep.user_id == getattr(user, "id", None) for rep in self.representatives)


class InstitutionRepresentative(db.Model):
    """A user who may act for an institution."""

    __tablename__ = "institution_representatives"
    __table_args__ = (sa.UniqueConstraint("institution_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        sa.ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    institution: Mapped[Institution] = relationship(back_populates="representatives")
    user = relationship("User", foreign_keys=[user_id])


class InstitutionInvitation(db.Model):
    """An emailed invitation to represent an institution; the token is stored hashed."""

    __tablename__ = "institution_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        sa.ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
