"""Account workflows: sign-up, confirmation, login, password and email changes, suspension.

Functions here take plain values and model objects, never request objects, and leave the
commit to the caller.
"""

import secrets

import sqlalchemy as sa
from flask import current_app, has_app_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from diaspora import i18n
from diaspora.extensions import db
from diaspora.mail import queue_email
from diaspora.models import Role, User, audit
from diaspora.models.activity import record_activity
from diaspora.models.base import utcnow
from diaspora.models.user import burn_password_check, burn_password_hash
from diaspora.security import is_safe_next, make_token, read_token
from diaspora.services import permissions
from diaspora.services.errors import Conflict, Invalid, NotAllowed

PASSWORD_MIN = 8
PASSWORD_MAX = 128
SIGNUP_ROLES = (Role.MEMBER, Role.INSTITUTION)
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


def load_user(session_token: str) -> User | None:
    """Flask-Login loader: the account whose *current* session token this is."""
    if not session_token:
        return None
    user = db.session.scalar(sa.select(User).where(User.session_token == session_token))
    if user is None or not user.is_active:
        return None
    return user


def normalize_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why a password is refused, or None. Accepts any characters, as typed."""
    if len(password) < PASSWORD_MIN:
        return _("Use at least %(num)d characters.", num=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        return _("Use at most %(num)d characters.", num=PASSWORD_MAX)
    lowered = password.lower()
    if lowered in _COMMON or len(set(password)) < 3:
        return _("This password is too common. Choose another.")
    address = normalize_email(email)
    own = {address, address.split("@")[0], name.strip().lower()}
    if lowered.strip() in own - {""}:
        return _("Do not use your name or email address as your password.")
    if has_app_context() and lowered.strip() == current_app.config["SITE_NAME"].lower():
        return _("Do not use the name of this site as your password.")
    return None


def find_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def sign_up(
    name: str,
    email: str,
    password: str,
    role: Role,
    next_path: str | None = None,
    language: str | None = None,
) -> User | None:
    """Create an unconfirmed account and queue its confirmation mail.

    ``next_path`` is the page on this site the person was going to (the project they
    wanted to apply to): the confirmation link carries it, signed, so that confirming and
    logging in ends there. Anything but a path on this site is dropped. ``language`` is the
    one the person signed up in (the page's): the account keeps it, so the confirmation and
    every later mail come in it.

    If the address is taken, nothing is created and the owner is told someone tried:
    the caller answers the same way in both cases, and both cost the same (a password hash
    and one mail), so neither the reply nor its time tells whether the address has an account.
    """
    if role not in SIGNUP_ROLES:
        raise Invalid(_("Choose member or institution representative."))
    problem = password_problem(password, email, name)
    if problem:
        raise Invalid(problem)
    email = normalize_email(email)
    existing = find_by_email(email)
    if existing is not None:
        burn_password_hash(password)
        queue_email(
            existing.email,
            "signup_existing",
            _l("Someone tried to sign up with your address"),
            user=existing,
            login_url=url_for("auth.login", next=_on_site(next_path), _external=True),
            reset_url=url_for("auth.forgot", _external=True),
        )
        return None
    user = User(
        name=name.strip(),
        email=email,
        role=role,
        terms_accepted_at=utcnow(),
        language=i18n.supported(language) or i18n.DEFAULT,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    send_confirmation(user, next_path)
    return user


def _on_site(path: str | None) -> str | None:
    return path if is_safe_next(path) else None


def send_confirmation(user: User, next_path: str | None = None) -> None:
    """Queue a confirmation link for the account's address; a safe ``next_path`` rides in
    the signed token (:func:`confirmation_next`)."""
    payload = {"uid": user.id, "email": user.email}
    if _on_site(next_path):
        payload["next"] = next_path
    token = make_token("confirm", payload)
    queue_email(
        user.email,
        "confirm",
        _l("Confirm your email address"),
        user=user,
        confirm_url=url_for("auth.confirm", token=token, _external=True),
    )


def user_to_confirm(token: str) -> User | None:
    """The account whose address a confirmation token may confirm now; None if the token is
    invalid, expired or stale. Reads only."""
    data = read_token("confirm", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    if not data:
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email") or user.email_confirmed_at is not None:
        return None  # a link works once: not after the address it confirms is confirmed
    return user


def confirmation_next(token: str) -> str | None:
    """The page on this site that a confirmation token says the person was going to, or
    None. The token's signature is checked and the path checked again, so a forged or
    tampered link leads nowhere else."""
    data = read_token("confirm", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    return _on_site(data.get("next")) if data else None


def confirm_email(token: str) -> User | None:
    """Confirm the address a token was issued for; None if invalid, expired or stale."""
    user = user_to_confirm(token)
    if user is not None:
        user.email_confirmed_at = utcnow()
    return user


def authenticate(email: str, password: str, language: str | None = None) -> User | None:
    """The account for these credentials, or None for unknown, wrong or suspended alike.

    An account that never chose a language (one older than the site's languages) takes
    ``language``, the page's, so its mail follows the language its owner reads."""
    user = find_by_email(email)
    if user is None:
        burn_password_check(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    record_activity(user.id, user.last_login_at)
    if user.language is None and i18n.supported(language):
        user.language = language
    return user


def end_sessions(user: User) -> None:
    """Log the account out everywhere (every session and remember-me cookie)."""
    user.end_all_sessions()


def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists, else a notice that no account uses the
    address: one mail either way, so the reply and its time are the same for both."""
    user = find_by_email(email)
    if user is None or not user.is_active:
        queue_email(
            normalize_email(email),
            "reset_no_account",
            _l("Password reset requested"),
            user=user,
            signup_url=url_for("auth.signup", _external=True),
        )
        return
    user.reset_nonce = secrets.token_hex(8)
    token = make_token("reset", {"uid": user.id, "n": user.reset_nonce})
    queue_email(
        user.email,
        "reset_password",
        _l("Reset your password"),
        user=user,
        reset_url=url_for("auth.reset", token=token, _external=True),
    )


def user_for_reset_token(token: str) -> User | None:
    """The account a reset token is for, if it is unexpired, unused and the newest one."""
    data = read_token("reset", token, current_app.config["RESET_TOKEN_MAX_AGE"])
    if not data:
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.is_active or not user.reset_nonce:
        return None
    if not secrets.compare_digest(user.reset_nonce, str(data.get("n", ""))):
        return None
    return user


def reset_password(token: str, password: str) -> User:
    user = user_for_reset_token(token)
    if user is None:
        raise Invalid(_("This reset link is invalid or has expired. Ask for a new one."))
    _set_new_password(user, password)
    user.reset_nonce = None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise Invalid(_("Your current password is not correct."))
    _set_new_password(user, new)


def _set_new_password(user: User, password: str) -> None:
    problem = password_problem(password, user.email, user.name)
    if problem:
        raise Invalid(problem)
    user.set_password(password)
    user.end_all_sessions()
    queue_email(
        user.email,
        "password_changed",
        _l("Your password was changed"),
        user=user,
        reset_url=url_for("auth.forgot", _external=True),
    )


def request_email_change(user: User, current_password: str, new_email: str) -> None:
    """Send a confirmation link to the new address; the change happens when it is used."""
    if not user.check_password(current_password):
        raise Invalid(_("Your current password is not correct."))
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise Invalid(_("That is already your address."))
    user.pending_email = new_email
    if find_by_email(new_email) is not None:
        return
    token = make_token(
        "email-change", {"uid": user.id, "email": new_email, "at": _confirmed_stamp(user)}
    )
    queue_email(
        new_email,
        "confirm_email_change",
        _l("Confirm your new email address"),
        user=user,
        confirm_url=url_for("auth.confirm_email_change", token=token, _external=True),
    )
    queue_email(
        user.email,
        "email_change_requested",
        _l("Your email address is being changed"),
        user=user,
    )


def _confirmed_stamp(user: User) -> str:
    """When the current address was confirmed; every address change moves it."""
    return user.email_confirmed_at.isoformat() if user.email_confirmed_at else ""


def user_changing_email(token: str) -> User | None:
    """The account an email-change token may move to its ``pending_email`` now; None if the
    token is invalid, expired, stale, or the new address has been taken since. Reads only."""
    data = read_token("email-change", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"])
    if not data:
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.pending_email != data.get("email"):
        return None
    if data.get("at") != _confirmed_stamp(user):
        return None  # issued before the address last changed: a link works once
    if find_by_email(data["email"]) is not None:
        return None
    return user


def confirm_email_change(token: str) -> User | None:
    """Move the account to the new address a token confirms; None if it may not."""
    user = user_changing_email(token)
    if user is None:
        return None
    user.email = user.pending_email
    user.pending_email = None
    user.email_confirmed_at = utcnow()
    user.email_failures = 0
    user.email_bouncing_since = None
    return user


def create_user(name: str, email: str, password: str, role: Role) -> User:
    """Create a confirmed account directly (administration commands, demo data)."""
    if find_by_email(email) is not None:
        raise Conflict(f"An account with {normalize_email(email)} already exists.")
    problem = password_problem(password, email, name)
    if problem:
        raise Invalid(problem)
    user = User(
        name=name,
        email=normalize_email(email),
        role=role,
        email_confirmed_at=utcnow(),
        terms_accepted_at=utcnow(),
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def suspend(actor: User, user: User, reason: str) -> None:
    """Suspend an account and end all its sessions. Coordinators only."""
    if not permissions.is_coordinator(actor):
        raise NotAllowed
    if user.id == actor.id:
        raise Invalid(_("You cannot suspend your own account."))
    if user.is_admin and not actor.is_admin:
        raise NotAllowed
    user.suspended_at = utcnow()
    user.suspended_reason = reason.strip()[:500]
    user.end_all_sessions()
    audit.record(actor, "account.suspend", "user", user.id, reason, subject_user_id=user.id)


def reactivate(actor: User, user: User) -> None:
    if not permissions.is_coordinator(actor):
        raise NotAllowed
    user.suspended_at = None
    user.suspended_reason = None
    audit.record(actor, "account.reactivate", "user", user.id, subject_user_id=user.id)


def set_language(user: User, code: str) -> None:
    """Remember the language ``user`` reads the site and their mail in."""
    from diaspora import i18n

    if i18n.supported(code) is None:
        raise ValueError(code)
    user.language = code
