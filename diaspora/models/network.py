"""Other Diaspora networks this one follows, and the published projects read from their
feeds. Nothing about members crosses: a remote project is a listing with a link back."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.validation import shown_host


class FollowedNetwork(db.Model):
    """A feed of another network that a coordinator chose to follow.

    ``fetched_at`` is the last complete read; ``checked_at`` the last attempt, whose problem
    (if any) is ``last_error``; ``failures`` counts attempts failed in a row. Removing the row
    removes its projects (and their search documents)."""

    __tablename__ = "followed_networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_url: Mapped[str] = mapped_column(sa.String(500), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    home_url: Mapped[str] = mapped_column(sa.String(500), default="")
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    failures: Mapped[int] = mapped_column(default=0)
    etag: Mapped[str] = mapped_column(sa.String(200), default="")
    item_count: Mapped[int] = mapped_column(default=0)

    projects: Mapped[list["RemoteProject"]] = relationship(
        back_populates="network", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def host(self) -> str:
        """The network's host as people tell networks apart: with its port when that is not
        the scheme's default (two networks on one machine differ only by their ports)."""
        return shown_host(self.home_url or self.feed_url)

    @property
    def label(self) -> str:
        """What people read for the network: its name, else its feed's host."""
        return self.name or shown_host(self.feed_url) or self.feed_url


class RemoteProject(db.Model):
    """A published project of a followed network, as its feed describes it (sanitised plain
    text, keys checked against this site's lists). ``remote_id`` is the feed item's stable
    id; ``url`` is where people read and apply, on the other network."""

    __tablename__ = "remote_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        sa.ForeignKey("followed_networks.id", ondelete="CASCADE"), index=True
    )
    remote_id: Mapped[str] = mapped_column(sa.String(300))
    url: Mapped[str] = mapped_column(sa.String(500))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    institution_name: Mapped[str] = mapped_column(sa.String(200), default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="")
    region: Mapped[str] = mapped_column(sa.String(120), default="")
    sector: Mapped[str] = mapped_column(sa.String(40), default="")
    engagement_mode: Mapped[str] = mapped_column(sa.String(30), default="")
    work_mode: Mapped[str] = mapped_column(sa.String(20), default="")
    compensation: Mapped[str] = mapped_column(sa.String(20), default="")
    skills: Mapped[list] = mapped_column(sa.JSON, default=list)
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    written_in: Mapped[str] = mapped_column(sa.String(8), default="en")
    deadline: Mapped[date | None]
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    network: Mapped[FollowedNetwork] = relationship(back_populates="projects")

    __table_args__ = (sa.UniqueConstraint("network_id", "remote_id"),)
