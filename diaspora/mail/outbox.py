"""Outbox writing, claiming and delivery with retries."""

import hashlib
import hmac
import logging
import re
import secrets
import smtplib
import time
from collections.abc import Iterable
from datetime import timedelta
from email import policy as email_policy
from email.parser import BytesHeaderParser
from email.utils import formataddr, getaddresses, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mail import Message
from flask_sqlalchemy.session import Session as FlaskSession

from diaspora.extensions import db, mail
from diaspora.models import OutboxMessage, OutboxStatus, User
from diaspora.models.base import utcnow
from diaspora.validation import clean_line, has_line_break

log = logging.getLogger(__name__)

SESSION_KEY = "outbox_new_ids"
PURGE_KEY = "mailbox_purge_addresses"
STALE_CLAIM = timedelta(minutes=30)
MAILBOX_TAG = 16
MAILBOX_NAME = re.compile(r"\d{8}T\d{6}-\d+-(?P<tag>[0-9a-f]{16})\.eml")


class HeaderInjectionError(ValueError):
    """An address or header name that would reach an email header contains a line break."""


def check_header_value(value: str) -> str:
    """Refuse CR, LF and other line separators where rewriting would change the meaning
    (addresses, header names)."""
    if has_line_break(value):
        raise HeaderInjectionError("line breaks are not allowed here")
    return value


def header_text(value: str) -> str:
    """Text for a header (subject, display name): line breaks, separators and control
    characters become spaces or go, so no stored value can add a header or stop sending."""
    return " ".join(clean_line(value).split())


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _header_values(headers: dict | None) -> dict:
    return {check_header_value(name): header_text(value) for name, value in (headers or {}).items()}


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
    subject = _fit(header_text(subject), OutboxMessage.subject.type.length)
    headers = _header_values(headers)
    context.setdefault("user", user)
    context.setdefault("subject", subject)
    message = OutboxMessage(
        user_id=user.id if user is not None else None,
        template=template,
        recipient=recipient,
        subject=subject,
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
        headers=headers,
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
    addresses = session.info.pop(PURGE_KEY, None)
    if addresses:
        purge_mailbox(addresses)


def _rolled_back(session, previous_transaction):
    if not previous_transaction.nested:
        session.info.pop("outbox_flushed", None)
        session.info.pop(PURGE_KEY, None)


def register_session_hooks() -> None:
    """Remember outbox rows written in a transaction, to deliver them right after commit, and
    the addresses whose file mailbox copies an account deletion purges after its commit.

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


def purge_for_user(user_id: int, addresses: Iterable[str] = ()) -> int:
    """Delete every outbox row of a user, queued or sent (account deletion): sent rows still
    hold the address and what was said. Rows sent to one of ``addresses`` without being
    linked to the account (an invitation) go too, and so do, once the transaction commits,
    the copies in the file mailbox of everything sent to any of these addresses."""
    recipients = {address for address in addresses if address}
    recipients.update(
        db.session.scalars(
            sa.select(OutboxMessage.recipient).where(OutboxMessage.user_id == user_id).distinct()
        )
    )
    condition = OutboxMessage.user_id == user_id
    if recipients:
        condition = sa.or_(condition, OutboxMessage.recipient.in_(sorted(recipients)))
    result = db.session.execute(sa.delete(OutboxMessage).where(condition))
    db.session.info.setdefault(PURGE_KEY, set()).update(recipients)
    return result.rowcount or 0


def mailbox_tag(address: str) -> str:
    """The keyed hash that names an address in the file mailbox without revealing it."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode("utf-8") if isinstance(key, str) else key
    normalized = address.strip().casefold().encode("utf-8")
    return hmac.new(key, b"mail-file:" + normalized, hashlib.sha256).hexdigest()[:MAILBOX_TAG]


def purge_mailbox(addresses: Iterable[str]) -> int:
    """Delete the file mailbox's copies of every mail sent to one of ``addresses``.

    Files are found by the keyed hash in their name; files written before names carried it
    are matched on their ``To`` header. Returns how many files were deleted.
    """
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    wanted = {address.strip().casefold() for address in addresses if address}
    if not wanted or not folder.is_dir():
        return 0
    tags = {mailbox_tag(address) for address in wanted}
    removed = 0
    for path in folder.glob("*.eml"):
        named = MAILBOX_NAME.fullmatch(path.name)
        if named["tag"] in tags if named else _addressed_to(path, wanted):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                log.warning("mail file %s could not be deleted", path.name, exc_info=True)
                continue
            removed += 1
    return removed


def _addressed_to(path: Path, wanted: set[str]) -> bool:
    try:
        with path.open("rb") as handle:
            headers = BytesHeaderParser(policy=email_policy.default).parse(handle)
    except OSError:
        return False
    found = getaddresses(str(value) for value in headers.get_all("To", []))
    return any(address.casefold() in wanted for _name, address in found)


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
        subject=header_text(message.subject),
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
        sender=_sender(),
        extra_headers=_header_values(message.headers),
    )
    msg.msgId = make_msgid(idstring=f"outbox{message.id}", domain="diaspora.local")
    msg.date = time.time()
    return msg


def _sender() -> str | None:
    """The configured sender, its display name made safe (and quoted) for the From header."""
    sender = current_app.config.get("MAIL_DEFAULT_SENDER")
    if isinstance(sender, (tuple, list)) and len(sender) == 2:
        name, address = sender
    elif isinstance(sender, str):
        name, _, rest = sender.rpartition("<")
        address = rest.removesuffix(">") if rest.endswith(">") else sender
        name = name if rest.endswith(">") else ""
    else:
        return sender
    return formataddr((header_text(name).strip('" '), check_header_value(address.strip())))


def _send(message: OutboxMessage) -> None:
    msg = _build(message)
    if current_app.config.get("MAIL_SERVER"):
        mail.send(msg)
        return
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{message.id:06d}-{mailbox_tag(message.recipient)}.eml"
    path.write_bytes(msg.as_bytes())
    announce_file_mail(message, path)


def announce_file_mail(message: OutboxMessage, path: Path) -> None:
    """Say on the console that a mail was written to the file mailbox, and where.

    The one place mail reaches the console. Only in development, where a developer follows
    confirmation links from the terminal, is the message itself printed; everywhere else the
    console names the message and its file, never the recipient, the subject or the body
    (names, addresses and links live in the file, which account deletion removes).
    """
    if current_app.config.get("ENV_NAME") == "development":
        print(
            f"\n--- mail to {message.recipient}: {message.subject} (saved as {path})\n"
            f"{message.body_text}\n---",
            flush=True,
        )
        return
    print(f"--- mail {message.id} ({message.template}) saved as {path}", flush=True)
