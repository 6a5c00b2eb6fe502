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


class SearchNodeMark(db.Model):
    """How far one node's copy of one index has applied the change log, and when it last
    said so.

    ``applied_through``: every change of the index up to this id is in the node's copy.
    ``index_mark``: the mark the copy itself held then; ``applied_through`` can be further
    when no change in between concerned the index. Pruning deletes only what every node
    seen lately has applied; a node not seen within the retention window is forgotten.
    """

    __tablename__ = "search_node_marks"

    node: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    index: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    applied_through: Mapped[int] = mapped_column(sa.BigInteger)
    index_mark: Mapped[int] = mapped_column(sa.BigInteger)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SearchPruneMark(db.Model):
    """How far the change log of one index has been pruned: a copy of the index whose mark
    is below ``pruned_through`` may lack changes that are gone, and is rebuilt."""

    __tablename__ = "search_prune_marks"

    index: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    pruned_through: Mapped[int] = mapped_column(sa.BigInteger)
    pruned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
