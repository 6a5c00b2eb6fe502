"""Member profiles: expertise, languages, education, travel windows and who may see each part."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.models.institution import _enum
from diaspora.models.skill import Skill


class Audience(enum.IntEnum):
    """Who may see a group of profile fields. A wider audience includes every narrower one."""

    ONLY_ME = 0
    COORDINATORS = 1
    APPLIED = 2
    SIGNED_IN = 3
    PUBLIC = 4

    @property
    def label(self) -> str:
        # Translators: who may see a part of a member's profile ("who sees what").
        return {
            0: _("Only me"),
            1: _("Coordinators"),
            2: _("Institutions I applied to (and coordinators)"),
            3: _("Signed-in users"),
            4: _("Public"),
        }[self.value]


FIELD_GROUPS = (
    "headline",
    "bio",
    "location",
    "languages",
    "skills",
    "education",
    "experience",
    "engagement",
    "links",
    "travel",
)

GROUP_LABELS = {
    "headline": _l("Headline"),
    "bio": _l("About me"),
    "location": _l("Origin, residence and city"),
    "languages": _l("Languages"),
    "skills": _l("Skills and sectors"),
    "education": _l("Education"),
    "experience": _l("Years of experience"),
    "engagement": _l("Ways to engage and availability"),
    "links": _l("Links (website, ORCID, professional profile)"),
    "travel": _l("Travel windows"),
}

DEFAULT_AUDIENCES = {
    "headline": Audience.APPLIED,
    "bio": Audience.APPLIED,
    "location": Audience.COORDINATORS,
    "languages": Audience.APPLIED,
    "skills": Audience.APPLIED,
    "education": Audience.APPLIED,
    "experience": Audience.APPLIED,
    "engagement": Audience.APPLIED,
    "links": Audience.COORDINATORS,
    "travel": Audience.COORDINATORS,
}


class Proficiency(enum.StrEnum):
    BASIC = "basic"
    CONVERSATIONAL = "conversational"
    PROFESSIONAL = "professional"
    NATIVE = "native"

    @property
    def label(self) -> str:
        return {
            # Translators: how well a member speaks a language.
            "basic": _("Basic"),
            "conversational": _("Conversational"),
            "professional": _("Professional working"),
            "native": _("Native or bilingual"),
        }[self.value]


class SkillKind(enum.StrEnum):
    HAVE = "have"
    DEVELOP = "develop"

    @property
    def label(self) -> str:
        return {
            "have": _("Skills I have"),
            "develop": _("Skills I want to use or develop"),
        }[self.value]


def _default_audiences() -> dict:
    return {group: int(level) for group, level in DEFAULT_AUDIENCES.items()}


class Profile(db.Model):
    """A member's professional profile. One per account; deleted with it."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    display_name: Mapped[str] = mapped_column(sa.String(120))
    headline: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The language the profile is written in (a key of i18n.LANGUAGES): search analyses
    #: its text with that language's stemming.
    written_in: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    origin_country: Mapped[str] = mapped_column(sa.String(2), default="", index=True)
    residence_country: Mapped[str] = mapped_column(sa.String(2), default="", index=True)
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    sectors: Mapped[list] = mapped_column(sa.JSON, default=list)
    years_experience: Mapped[int | None]
    engagement_modes: Mapped[list] = mapped_column(sa.JSON, default=list)
    availability_hours: Mapped[int | None]
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    orcid: Mapped[str] = mapped_column(sa.String(19), default="")
    professional_url: Mapped[str] = mapped_column(sa.String(300), default="")
    audiences: Mapped[dict] = mapped_column(sa.JSON, default=_default_audiences)
    listed: Mapped[bool] = mapped_column(default=False, index=True)
    public: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False, index=True)
    # May institutions invite the member to apply to their projects?
    invitations_open: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the member was last asked to confirm a stale profile (at most once per 60 days).
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user = relationship("User")
    languages: Mapped[list["ProfileLanguage"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ProfileLanguage.id"
    )
    skill_links: Mapped[list["ProfileSkill"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan"
    )
    education: Mapped[list["Education"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="Education.year.desc()"
    )
    travel_windows: Mapped[list["TravelWindow"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="TravelWindow.start"
    )

    def audience_of(self, group: str) -> Audience:
        """The audience of a field group; unknown or missing values fall back to the default."""
        try:
            return Audience(int((self.audiences or {}).get(group, DEFAULT_AUDIENCES[group])))
        except (ValueError, TypeError):
            return DEFAULT_AUDIENCES[group]

    def skills_of(self, kind: SkillKind) -> list[Skill]:
        return sorted(
            (link.skill for link in self.skill_links if link.kind == kind),
            key=lambda s: s.name.casefold(),
        )


class ProfileLanguage(db.Model):
    __tablename__ = "profile_languages"
    __table_args__ = (sa.UniqueConstraint("profile_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(3))
    proficiency: Mapped[Proficiency] = mapped_column(_enum(Proficiency))

    profile: Mapped[Profile] = relationship(back_populates="languages")


class ProfileSkill(db.Model):
    """A skill a member has, or wants to use or develop."""

    __tablename__ = "profile_skills"

    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        sa.ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[SkillKind] = mapped_column(_enum(SkillKind, length=10), primary_key=True)

    profile: Mapped[Profile] = relationship(back_populates="skill_links")
    skill: Mapped[Skill] = relationship()


class Education(db.Model):
    __tablename__ = "education_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    degree: Mapped[str] = mapped_column(sa.String(120))
    field: Mapped[str] = mapped_column(sa.String(120), default="")
    institution: Mapped[str] = mapped_column(sa.String(200))
    year: Mapped[int | None]

    profile: Mapped[Profile] = relationship(back_populates="education")


class TravelWindow(db.Model):
    """ "I will be in <country> from <start> to <end>": lets institutions plan short missions."""

    __tablename__ = "travel_windows"
    __table_args__ = (sa.CheckConstraint('"end" >= start', name="end_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    country: Mapped[str] = mapped_column(sa.String(2))
    start: Mapped[date]
    end: Mapped[date]

    profile: Mapped[Profile] = relationship(back_populates="travel_windows")
