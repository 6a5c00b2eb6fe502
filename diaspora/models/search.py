"""The search change log: which documents to refresh, written with the change itself."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow


class SearchChange(db.Model):
    """One document of one index to refresh from the database.

    Rows are added in the transaction of the change that causes them, so a rollback leaves
    none and a crash after commit leaves them for the next indexing run. Every node applies
    them in id order to its own index; the database is the replication log.
    """

    __tablename__ = "search_changes"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    index: Mapped[str] = mapped_column(sa.String(20))
    doc_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SavedSearch(db.Model):
    """A project search a person keeps: new matches reach them in their digest.

    How often is the person's "saved_search" notification preference (daily or weekly),
    shared by all their saved searches.
    """

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    query: Mapped[str] = mapped_column(sa.String(200), default="")
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
