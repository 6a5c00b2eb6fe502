"""Accounts: who someone is, how they sign in, and what role they hold."""

import contextlib
import enum
import secrets
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.extensions import db
from diaspora.models.base import UTCDateTime, utcnow
from diaspora.security import password_hasher


class Role(enum.StrEnum):
    MEMBER = "member"
    INSTITUTION = "institution"
    COORDINATOR = "coordinator"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "member": _("Diaspora member"),
            "institution": _("Institution representative"),
            "coordinator": _("Coordinator"),
            "admin": _("Administrator"),
        }[self.value]


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """An account. ``session_token`` is what the session cookie carries: rotating it ends
    every session and remember-me cookie of the account at once."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_email: Mapped[str | None] = mapped_column(sa.String(254))
    reset_nonce: Mapped[str | None] = mapped_column(sa.String(32))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_reason: Mapped[str | None] = mapped_column(sa.String(500))
    email_failures: Mapped[int] = mapped_column(default=0)
    email_bouncing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The language the person reads the site and their mail in (a key of i18n.LANGUAGES).
    #: Empty until the person chooses one, signs up or signs in (then the page's language).
    language: Mapped[str | None] = mapped_column(sa.String(8))

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"

    # Flask-Login: the session identifies the account by its current token, not its id.
    def get_id(self) -> str:
        return self.session_token

    @hybrid_property
    def is_active(self) -> bool:
        """Not suspended. ``User.is_active`` is the same rule as a SQL condition."""
        return self.suspended_at is None

    @is_active.inplace.expression
    @classmethod
    def _is_active_condition(cls) -> sa.ColumnElement[bool]:
        return cls.suspended_at.is_(None)

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_coordinator(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_member(self) -> bool:
        return self.role == Role.MEMBER

    @property
    def is_institution_rep(self) -> bool:
        return self.role == Role.INSTITUTION

    def set_password(self, password: str) -> None:
        self.password_hash = password_hasher().hash(password)
        self.password_changed_at = utcnow()

    def check_password(self, password: str) -> bool:
        hasher = password_hasher()
        try:
            ok = hasher.verify(self.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        if ok and hasher.check_needs_rehash(self.password_hash):
            self.password_hash = hasher.hash(password)
        return ok

    def end_all_sessions(self) -> None:
        """Invalidate every session and remember-me cookie of this account."""
        self.session_token = new_session_token()


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("timing-equaliser-not-a-password")


def burn_password_check(password: str) -> None:
    """Spend the time of a real hash check, so unknown accounts answer as slowly as known."""
    hasher = password_hasher()
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        hasher.verify(_dummy_hash(hasher), password)


def burn_password_hash(password: str) -> None:
    """Spend the time of hashing a new password, for paths that must cost what sign-up costs."""
    password_hasher().hash(password)
