"""The skills taxonomy: curated skills with their sector, and free skills members add."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

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

    @staticmethod
    def key_for(name: str) -> str:
        """The case- and space-insensitive identity of a skill name."""
        return " ".join(name.casefold().split())
