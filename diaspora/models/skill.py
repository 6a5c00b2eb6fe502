"""The skills taxonomy: curated skills with their sector and other names, and free skills
members add."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow


class Skill(db.Model):
    """A skill. Curated ones come from ``diaspora/data/skills.csv``; free ones are added by
    members and can be merged into a curated one by a coordinator."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    sector: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    curated: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    labels: Mapped[list["SkillLabel"]] = relationship(
        back_populates="skill",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SkillLabel.label",
    )

    @staticmethod
    def key_for(name: str) -> str:
        """The case- and space-insensitive identity of a skill name."""
        return " ".join(name.casefold().split())


class SkillLabel(db.Model):
    """Another name of a curated skill: an abbreviation ("GP"), a synonym, another spelling.

    Search reads a label as its skill: a project or member with the skill is found by the
    label, and a query with the label also looks for the skill's name and its other labels.
    ``source`` says where it came from: the bundled taxonomy, a coordinator, a merge of a
    free skill, an imported classification, or the skill's name in another of the site's
    languages (``diaspora/data/skill_names.csv``).
    """

    __tablename__ = "skill_labels"
    __table_args__ = (sa.UniqueConstraint("skill_id", "key"),)

    SOURCES = ("taxonomy", "coordinator", "merge", "import", "translation")

    id: Mapped[int] = mapped_column(primary_key=True)
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skills.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(sa.String(120))
    key: Mapped[str] = mapped_column(sa.String(120), index=True)
    source: Mapped[str] = mapped_column(sa.String(20), default="coordinator")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    skill: Mapped[Skill] = relationship(back_populates="labels")
