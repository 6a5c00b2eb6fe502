"""The last run of each scheduled job, shared by every runner of the cluster."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime


class JobRun(db.Model):
    """One row per scheduled job: the slot last claimed and how that run went.

    A runner claims a slot by replacing ``claim_token`` with a new one in a single UPDATE
    that names the token it read, and commits before running the job, so each slot runs
    once however many runners race for it. ``claimed_by`` (``host:pid``) and ``started_at``
    let another runner recognise a claim whose holder died and take the job over.
    ``outcome`` is None before the first run, then "running", "ok" or "failed"; ``error``
    holds the exception's class and a short message without personal data.
    """

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    last_slot: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_by: Mapped[str | None] = mapped_column(sa.String(255))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(sa.String(10))
    error: Mapped[str | None] = mapped_column(sa.String(300))
