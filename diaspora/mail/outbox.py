"""Outbox writing, claiming and delivery with retries."""

import logging
import secrets
import smtplib
import time
from datetime import timedelta
from email.utils import make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mail import Message
from flask_sqlalchemy.session import Session as FlaskSession

from diaspora.extensions import db, mail
from diaspora.models import OutboxMessage, OutboxStatus, User
from diaspora.models.base import utcnow

log = logging.getLogger(__name__)

SESSION_KEY = "outbox_new_ids"
STALE_CLAIM = timedelta(minutes=30)


class HeaderInjectionError(ValueError):
    """A value that would reach an email header contains a line break."""


def check_header_value(value: str) -> str:
    """Refuse CR, LF and other line separators in anything that becomes a header."""
    if any(ch in value for ch in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        raise HeaderInjectionError("line breaks are not allowed here")
    return value


def queue_email(
    recipient: str,
    template: str,
    subject: str,
    user: User | None = None,
    essential: bool = True,
    headers: dict | None = None,
    **context,
) -> OutboxMessage:
    """Render ``email/<template>.txt|.html`` and queue it in the current transaction."""
    check_header_value(recipient)
    check_header_value(subject)
    for name, value in (headers or {}).items():
        check_header_value(name)
        check_header_value(value)
    context.setdefault("user", user)
    context.setdefault("subject", subject)
    message = OutboxMessage(
        user_id=user.id if user is not None else None,
        template=template,
        recipient=recipient,
        subject=subject,
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
        headers=dict(headers or {}),
        essential=essential,
    )
    db.session.add(message)
    return message


def _record(session, flush_context):
    new = [obj for obj in session.new if isinstance(obj, OutboxMessage)]
    if new:
        session.info.setdefault("outbox_flushed", []).extend(new)


def _committed(session):
    flushed = session.info.pop("outbox_flushed", [])
    ids = [obj.id for obj in flushed if obj.id is not None]
    if ids:
        session.info.setdefault(SESSION_KEY, []).extend(ids)


def _rolled_back(session, previous_transaction):
    if not previous_transaction.nested:
        session.info.pop("outbox_flushed", None)


def register_session_hooks() -> None:
    """Remember outbox rows written in a transaction, to deliver them right after commit.

    Rows are recorded at flush (autoflushed ones included) and forgotten on rollback.
    Registered once on Flask-SQLAlchemy's session class, however many apps are built.
    """
    for name, fn in (
        ("after_flush", _record),
        ("after_commit", _committed),
        ("after_soft_rollback", _rolled_back),
    ):
        if not sa.event.contains(FlaskSession, name, fn):
            sa.event.listen(FlaskSession, name, fn)


def deliver_pending() -> int:
    """Deliver the messages committed during this request or command, if configured to."""
    ids = db.session.info.pop(SESSION_KEY, [])
    if not ids or not current_app.config.get("MAIL_DELIVER_AFTER_COMMIT", True):
        return 0
    return _deliver(ids)


def deliver_due(limit: int = 100) -> int:
    """Deliver every queued message whose time has come; return how many were sent."""
    _fail_stale_claims()
    now = utcnow()
    ids = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    return _deliver(list(ids))


def purge_for_user(user_id: int) -> int:
    """Delete every outbox row of a user, queued or sent (account deletion): sent rows still
    hold the address and what was said."""
    result = db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.user_id == user_id))
    return result.rowcount or 0


def _claim(message_id: int) -> str | None:
    """Atomically move one row from queued to sending; return the claim token if we won."""
    token = secrets.token_hex(16)
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.SENDING, claim_token=token, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return token if result.rowcount == 1 else None


def _deliver(ids: list[int]) -> int:
    sent = 0
    for message_id in ids:
        token = _claim(message_id)
        if token is None:
            continue
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None or message.claim_token != token:
            continue
        if _recipient_blocked(message):
            message.status = OutboxStatus.FAILED
            message.last_error = "address marked as bouncing; delivery stopped"
            db.session.commit()
            continue
        try:
            _send(message)
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            _record_failure(message, exc)
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = utcnow()
            message.attempts += 1
            message.last_error = None
            _record_success(message)
            sent += 1
        db.session.commit()
    return sent


def _recipient_blocked(message: OutboxMessage) -> bool:
    if message.essential or message.user_id is None:
        return False
    user = db.session.get(User, message.user_id)
    return user is not None and user.email_bouncing_since is not None


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    message.attempts += 1
    message.last_error = f"{type(exc).__name__}: {exc}"[:500]
    permanent = isinstance(exc, smtplib.SMTPRecipientsRefused)
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    if permanent or message.attempts >= max_attempts:
        message.status = OutboxStatus.FAILED
        if message.user_id is not None:
            _note_bounce(message.user_id)
    else:
        message.status = OutboxStatus.QUEUED
        delay = min(timedelta(seconds=30 * 2 ** (message.attempts - 1)), timedelta(hours=6))
        message.next_attempt_at = utcnow() + delay
    message.claim_token = None
    log.warning(
        "mail %s not delivered (attempt %s): %s", message.id, message.attempts, type(exc).__name__
    )


def _note_bounce(user_id: int) -> None:
    user = db.session.get(User, user_id)
    if user is None:
        return
    user.email_failures += 1
    if user.email_failures >= 3 and user.email_bouncing_since is None:
        user.email_bouncing_since = utcnow()


def _record_success(message: OutboxMessage) -> None:
    if message.user_id is None:
        return
    user = db.session.get(User, message.user_id)
    if user is not None and user.email == message.recipient:
        user.email_failures = 0
        user.email_bouncing_since = None


def _fail_stale_claims() -> None:
    """A claim left by a worker that died mid-send might have been delivered: never resend
    it automatically; mark it failed so a coordinator can decide."""
    db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < utcnow() - STALE_CLAIM,
        )
        .values(status=OutboxStatus.FAILED, last_error="delivery interrupted; check before retry")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _build(message: OutboxMessage) -> Message:
    msg = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
        extra_headers=dict(message.headers or {}),
    )
    msg.msgId = make_msgid(idstring=f"outbox{message.id}", domain="diaspora.local")
    msg.date = time.time()
    return msg


def _send(message: OutboxMessage) -> None:
    msg = _build(message)
    if current_app.config.get("MAIL_SERVER"):
        mail.send(msg)
        return
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{message.id:06d}.eml"
    path.write_bytes(msg.as_bytes())
    if current_app.config.get("ENV_NAME") != "development":
        return  # bodies hold reset and confirmation links: only a developer's console shows them
    print(
        f"\n--- mail to {message.recipient}: {message.subject} (saved as {path})\n"
        f"{message.body_text}\n---",
        flush=True,
    )
