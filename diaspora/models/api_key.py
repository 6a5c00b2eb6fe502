"""Keys that let another system use the JSON API as the person who created them."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.models.user import User

#: The public start of every key: ``dsp_<prefix>_<secret>``.
TOKEN_START = "dsp_"  # noqa: S105 - not a secret
#: The longest one-time value of a key's creation form that is kept.
NONCE_MAX = 64


class ApiScope(enum.StrEnum):
    """What a key may do: ``read`` answers GET requests only; ``write`` also changes things,
    within what its owner may do on the site."""

    READ = "read"
    WRITE = "write"


class ApiKey(db.Model):
    """One key of one person. The secret is shown once at creation and only its SHA-256
    digest is kept (a random 256-bit secret needs no slow hash); ``prefix`` is the public
    part of the key, which finds the row and names the key in lists and the audit log.
    ``form_nonce`` is the one-time value of the form that created it: the same form sent
    again (a reload of the page that showed the key) creates nothing."""

    __tablename__ = "api_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "form_nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    scope: Mapped[str] = mapped_column(sa.String(10), default=ApiScope.READ.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    form_nonce: Mapped[str | None] = mapped_column(sa.String(NONCE_MAX))

    user: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def shown(self) -> str:
        """The key as lists show it: its public part, the secret left out."""
        return f"{TOKEN_START}{self.prefix}_…"

    @property
    def may_write(self) -> bool:
        return self.scope == ApiScope.WRITE.value
