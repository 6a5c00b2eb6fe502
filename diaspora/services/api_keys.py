"""API keys: made and revoked by their owner, checked on every API request.

A key reads ``dsp_<prefix>_<secret>``. The prefix (public) finds the row; the secret is
compared by its SHA-256 digest in constant time. The key acts as its owner, with the owner's
current roles and permissions: a representative who leaves an institution, or an account
that is suspended, takes its keys' powers with it.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from diaspora.extensions import db
from diaspora.models import ApiKey, ApiScope, User
from diaspora.models.api_key import NONCE_MAX, TOKEN_START
from diaspora.models.audit import record
from diaspora.models.base import utcnow
from diaspora.services import permissions
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound, ServiceError
from diaspora.validation import clean_line, strip_controls

# What a key made here looks like; anything else is refused before it reaches the database
# (a NUL byte or a 10,000-character prefix is no key, on PostgreSQL as on SQLite).
_PREFIX = re.compile(r"[0-9a-f]{12}")
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")
MAX_KEYS = 10
MAX_NAME = 80
# How stale ``last_used_at`` may be before a use writes it again.
LAST_USED_PRECISION = timedelta(minutes=1)


class AlreadyCreated(ServiceError):
    """The form that asks for a key was sent again (the page showing the key was reloaded):
    the key exists, and its secret cannot be shown again."""

    status = 409

    def __init__(self):
        super().__init__(
            _l(
                "This key was created already; its secret was shown once. If you did not "
                "copy it, revoke it and create another."
            )
        )


def new_form_nonce() -> str:
    """The one-time value a key's creation form carries (made when the form is shown)."""
    return secrets.token_urlsafe(24)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def why_no_keys(user) -> str | None:
    """Why ``user`` may not have API keys now, in words for them, or None when they may.

    Representatives of an institution and coordinators have something to do through the
    API beyond reading what is public; members do not. A representative who no longer
    represents any institution (or whose account is suspended) has nothing to manage, so
    their keys stop working with it."""
    if permissions.is_coordinator(user):
        return None
    if not permissions.is_institution_account(user):
        return str(_l("API keys are for institution representatives and coordinators."))
    if not user.is_confirmed:
        return str(_l("Confirm your email address before you create an API key."))
    if not permissions.represented_institution_ids(user):
        return str(
            _l("Register your institution, or accept an invitation to one, to use API keys.")
        )
    return None


def may_have_keys(user) -> bool:
    """May ``user`` create and use API keys? (See :func:`why_no_keys`.)"""
    return why_no_keys(user) is None


def keys_of(user: User) -> list[ApiKey]:
    return list(
        db.session.scalars(
            sa.select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.created_at.desc())
        )
    )


def create_key(
    user: User, name: str, scope: str, form_nonce: str | None = None
) -> tuple[ApiKey, str]:
    """A new key of ``user`` and its full token, which is shown once and never stored.

    ``form_nonce``, the one-time value of the form that asks, makes asking twice (a reload
    of the page that answered the form) create one key: the second time raises
    :class:`AlreadyCreated` (a unique constraint holds when both arrive at once)."""
    refusal = why_no_keys(user)
    if refusal is not None:
        raise NotAllowed(refusal)
    form_nonce = form_nonce or None
    if form_nonce is not None:
        if len(form_nonce) > NONCE_MAX:
            raise Invalid(
                _l(
                    "The form had expired or was not sent from this site. Reload the page and "
                    "try again."
                )
            )
        used = sa.select(ApiKey.id).where(
            ApiKey.user_id == user.id, ApiKey.form_nonce == form_nonce
        )
        if db.session.scalar(used) is not None:
            raise AlreadyCreated()
    name = clean_line(name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid(_l("Give the key a name of 1 to %(max)d characters.", max=MAX_NAME))
    if scope not in {s.value for s in ApiScope}:
        raise Invalid(_l("Choose what the key may do."))
    active = sum(1 for key in keys_of(user) if key.is_active)
    if active >= MAX_KEYS:
        raise Conflict(_l("You have %(max)d keys: revoke one first.", max=MAX_KEYS))
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        user=user,
        name=name,
        prefix=prefix,
        secret_hash=_digest(secret),
        scope=scope,
        form_nonce=form_nonce,
    )
    db.session.add(key)
    db.session.flush()
    record(user, "api_key.create", "api_key", key.id, reason=f"{prefix} ({scope})")
    return key, f"{TOKEN_START}{prefix}_{secret}"


def key_of(user: User, key_id: int) -> ApiKey:
    """One of ``user``'s own keys; anyone else's is not found."""
    key = db.session.get(ApiKey, key_id)
    if key is None or key.user_id != user.id:
        raise NotFound()
    return key


def revoke_key(user: User, key_id: int) -> ApiKey:
    """Revoke one of ``user``'s keys: it stops working at once. Revoking twice changes
    nothing."""
    key = key_of(user, key_id)
    if key.is_active:
        key.revoked_at = utcnow()
        record(user, "api_key.revoke", "api_key", key.id, reason=key.prefix)
    return key


def find_key(token: str) -> ApiKey | None:
    """The active key of an active account that ``token`` is, or None."""
    if not token.startswith(TOKEN_START) or len(token) > 200:
        return None
    prefix, _sep, secret = token[len(TOKEN_START) :].partition("_")
    if not _PREFIX.fullmatch(prefix) or not _SECRET.fullmatch(secret):
        return None
    key = db.session.scalar(sa.select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        _digest(secret)  # the same work whether or not the prefix exists
        return None
    if not hmac.compare_digest(key.secret_hash, _digest(secret)):
        return None
    if not key.is_active or not key.user.is_active or not may_have_keys(key.user):
        return None
    return key


def note_use(key: ApiKey, method: str, path: str, status: int) -> None:
    """Record a use of ``key`` in the audit log (who, which key, what, the answer), and
    when it was last used. The path is kept without control characters (a NUL byte in an
    address must not cost the log its entry)."""
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        key.last_used_at = now
    said = f"{key.prefix} {method} {strip_controls(path)} {status}"
    record(key.user, "api.use", "api_key", key.id, reason=said[:500])


def key_rows(user: User) -> list[dict]:
    """The person's keys as their data export lists them: never the secret nor its digest."""
    return [
        {
            "name": key.name,
            "prefix": key.prefix,
            "scope": key.scope,
            "created_at": key.created_at.isoformat(),
            "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
            "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        }
        for key in keys_of(user)
    ]


def delete_keys_of(user: User) -> None:
    """Delete every key of an account that is being deleted."""
    db.session.execute(sa.delete(ApiKey).where(ApiKey.user_id == user.id))
