"""The impact figures' summary rows: :mod:`diaspora.services.impact` recomputes them from the
live tables (``flask report refresh``, every 10 minutes) and the dashboard, the public page
and ``flask report impact`` read them, so no page scans a million applications.

A fact is one count (and, for some figures, one sum) at the finest grain any filter needs:
which ``figure``, which ``month``, which institution, country and sector, and a ``key``
(a funnel stage, a work mode) or a ``bucket`` (an answer time in hours). Facts about members
carry an empty ``sector`` for the member once, and one row more per sector the member works
in, so that a total over every sector counts each member once.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime


class ImpactFact(db.Model):
    __tablename__ = "impact_facts"
    __table_args__ = (
        sa.Index("ix_impact_facts_figure_month", "figure", "month"),
        sa.Index("ix_impact_facts_figure_country", "figure", "country"),
        sa.Index("ix_impact_facts_figure_sector", "figure", "sector"),
        sa.Index("ix_impact_facts_figure_institution", "figure", "institution_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    figure: Mapped[str] = mapped_column(sa.String(40))
    month: Mapped[date | None] = mapped_column(sa.Date)
    # Active members: the member's previous active month (None: the first), so that the
    # members active in a period are counted exactly by summing months.
    previous_month: Mapped[date | None] = mapped_column(sa.Date)
    institution_id: Mapped[int | None] = mapped_column(sa.Integer)
    country: Mapped[str] = mapped_column(sa.String(2), default="")
    sector: Mapped[str] = mapped_column(sa.String(40), default="")
    key: Mapped[str] = mapped_column(sa.String(40), default="")
    bucket: Mapped[int | None] = mapped_column(sa.Integer)
    count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class ImpactState(db.Model):
    """One row (``id`` 1): when the facts were computed (None: never), and the public
    figures of that moment, ready to show. A refresh locks this row first, so two refreshes
    run one after the other."""

    __tablename__ = "impact_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    public: Mapped[str] = mapped_column(sa.Text, default="")
