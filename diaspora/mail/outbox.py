"""Outbox writing, claiming and delivery with retries."""

import base64
import functools
import hashlib
import hmac
import logging
import os
import re
import secrets
import smtplib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy as email_policy
from email.parser import BytesHeaderParser
from email.utils import formataddr, getaddresses, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_mail import Connection, Message
from flask_sqlalchemy.session import Session as FlaskSession

from diaspora import i18n
from diaspora.extensions import db
from diaspora.models import OutboxMessage, OutboxStatus, User
from diaspora.models.base import utcnow
from diaspora.validation import clean_line, has_line_break

log = logging.getLogger(__name__)

SESSION_KEY = "outbox_new_ids"
PURGE_KEY = "mailbox_purge_addresses"
STALE_CLAIM = timedelta(minutes=30)
MAX_BACKOFF = timedelta(hours=6)
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
    attachments: list[dict] | None = None,
    **context,
) -> OutboxMessage:
    """Render ``email/<template>.txt|.html`` and queue it in the current transaction.

    It is written in ``user``'s language (the current page's when there is no account yet);
    ``subject`` may be a lazy string, translated in that language.

    ``attachments`` are files sent with it, each ``{"filename", "content_type", "data"}``
    with ``data`` as text (a calendar file, say); they are stored with the message.
    """
    check_header_value(recipient)
    headers = _header_values(headers)
    context.setdefault("user", user)
    with i18n.recipient_locale(user):
        subject = _fit(header_text(str(subject)), OutboxMessage.subject.type.length)
        context.setdefault("subject", subject)
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", **context)
    message = OutboxMessage(
        user_id=user.id if user is not None else None,
        template=template,
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        headers=headers,
        attachments=[_attachment(item) for item in attachments or ()] or None,
        essential=essential,
    )
    db.session.add(message)
    return message


def _attachment(item: dict) -> dict:
    """An attachment as stored: its file name and type made safe for a MIME header."""
    return {
        "filename": header_text(item["filename"]),
        "content_type": check_header_value(item["content_type"]),
        "data": item["data"],
    }


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
    """Deliver the messages committed during this request or command now, if configured to
    (``MAIL_DELIVER_AFTER_COMMIT``), with the worker's SMTP timeout."""
    ids = db.session.info.pop(SESSION_KEY, [])
    if not ids or not current_app.config.get("MAIL_DELIVER_AFTER_COMMIT", True):
        return 0
    return _deliver(ids, current_app.config["MAIL_TIMEOUT"]).sent


def deliver_after_response(response):
    """Arrange delivery of the request's committed mail for when its response is complete.

    The file mailbox is written at once, as it cannot stall. An SMTP server can, so its
    delivery runs when the server closes the response (after the last byte is sent), with
    the short ``MAIL_REQUEST_TIMEOUT`` on each operation; after a failure this process only
    queues for ``MAIL_REQUEST_PAUSE`` seconds and leaves sending to the worker, so a stalled
    server cannot hold the web workers one request after another.
    """
    ids = db.session.info.pop(SESSION_KEY, [])
    config = current_app.config
    if not ids or not config.get("MAIL_DELIVER_AFTER_COMMIT", True):
        return response
    if not config.get("MAIL_SERVER"):
        _deliver(ids, None)
    elif not request_pause_active():
        app = current_app._get_current_object()
        response.call_on_close(functools.partial(_deliver_after_close, app, ids))
    return response


def _deliver_after_close(app, ids: list[int]) -> None:
    with app.app_context():
        try:
            result = _deliver(ids, app.config["MAIL_REQUEST_TIMEOUT"])
        except Exception:  # the outbox keeps the message; the response is already sent
            log.exception("mail delivery after the response failed")
            outage = True
        else:
            outage = result.outage is not None
        if outage:
            _pause_requests(app, app.config["MAIL_REQUEST_PAUSE"])


PAUSE_KEY = "diaspora_mail_request_pause"
_pause_lock = threading.Lock()


def request_pause_active(app=None) -> bool:
    """Whether this process (its app) recently failed to reach the SMTP server from a
    request, and so leaves sending to the worker for now."""
    app = app or current_app
    with _pause_lock:
        return time.monotonic() < app.extensions.get(PAUSE_KEY, 0.0)


def _pause_requests(app, seconds: float) -> None:
    with _pause_lock:
        app.extensions[PAUSE_KEY] = time.monotonic() + seconds
    log.warning("mail server unreachable from a request; the worker sends for %s s", seconds)


def deliver_due(limit: int = 100, should_stop: Callable[[], bool] | None = None) -> int:
    """Deliver every queued message whose time has come; return how many were sent.

    Claims left by dead processes are resolved first. A failure of the server itself (down,
    stalled, refusing our login or sender) ends the pass: the rest wait, untouched, for the
    next one. ``should_stop`` is asked before each message (a worker told to stop finishes
    the message in hand and leaves the rest queued).
    """
    resolve_interrupted_claims()
    now = utcnow()
    ids = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    return _deliver(list(ids), current_app.config["MAIL_TIMEOUT"], should_stop).sent


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


def claimer_id() -> str:
    """Who holds a claim: this host and process, so a dead holder can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim(message_id: int) -> str | None:
    """Atomically move one row from queued to sending; return the claim token if we won."""
    token = secrets.token_hex(16)
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.QUEUED)
        .values(
            status=OutboxStatus.SENDING,
            claim_token=token,
            claimed_at=utcnow(),
            claimed_by=claimer_id(),
            handed_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return token if result.rowcount == 1 else None


class ClaimLost(RuntimeError):
    """The claim was resolved by another process before the message was handed over."""


def _hand_over(message_id: int, token: str) -> None:
    """Commit that the message is about to be given to the SMTP server: from here on a
    crash leaves it unknown whether it was delivered, so it is never resent by itself."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.claim_token == token,
            OutboxMessage.status == OutboxStatus.SENDING,
        )
        .values(handed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        raise ClaimLost(message_id)


@dataclass(frozen=True)
class Failure:
    """What a failed attempt says: a short kind for people, and whom it is about.

    Only a permanent refusal of the address by the receiving server (``refuses_recipient``)
    counts against it. ``outage`` failures are the server's or our own (down, stalled,
    refusing our login or sender): they end a delivery pass and pause requests.
    """

    kind: str
    refuses_recipient: bool = False
    outage: bool = True


@dataclass
class DeliveryPass:
    sent: int = 0
    outage: Failure | None = None


def _refusal(kind: str) -> Failure:
    return Failure(kind, refuses_recipient=True, outage=False)


def _deferral(kind: str) -> Failure:
    return Failure(kind, outage=False)


def classify(exc: Exception) -> Failure:
    """Sort an SMTP or network error into a :class:`Failure`."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()] or [0]
        if all(500 <= code < 600 for code in codes):
            return _refusal(f"recipient refused ({min(codes)})")
        return _deferral(f"recipient deferred ({min(codes)})")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return Failure(f"sender refused ({exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return Failure("authentication failed")
    if isinstance(exc, smtplib.SMTPDataError):
        if 500 <= exc.smtp_code < 600:
            return _refusal(f"message refused ({exc.smtp_code})")
        return _deferral(f"message deferred ({exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPResponseException):
        return Failure(f"server error ({exc.smtp_code})")
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return Failure("timeout")
    if isinstance(exc, ConnectionRefusedError):
        return Failure("connection refused")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Failure("connection lost")
    if isinstance(exc, OSError):
        return Failure("connection failed")
    return Failure("SMTP error")


def _deliver(
    ids: list[int], timeout: float | None, should_stop: Callable[[], bool] | None = None
) -> DeliveryPass:
    result = DeliveryPass()
    for message_id in ids:
        if should_stop is not None and should_stop():
            break
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
            _send(message, timeout, functools.partial(_hand_over, message_id, token))
        except ClaimLost:
            continue
        except (OSError, smtplib.SMTPException) as exc:
            failure = _record_failure(message, exc)
            db.session.commit()
            if failure.outage:
                result.outage = failure
                break
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = message.last_attempt_at = utcnow()
            message.attempts += 1
            message.last_error = None
            _record_success(message)
            result.sent += 1
            db.session.commit()
    return result


def _recipient_blocked(message: OutboxMessage) -> bool:
    if message.essential or message.user_id is None:
        return False
    user = db.session.get(User, message.user_id)
    return user is not None and user.email_bouncing_since is not None


def _record_failure(message: OutboxMessage, exc: Exception) -> Failure:
    """A permanent refusal of the address fails the message and counts against the address;
    anything else leaves it queued, retried with a backoff capped at six hours."""
    failure = classify(exc)
    now = utcnow()
    message.attempts += 1
    message.last_attempt_at = now
    message.last_error = f"{failure.kind}: {type(exc).__name__}: {exc}"[:500]
    if failure.refuses_recipient:
        message.status = OutboxStatus.FAILED
        if message.user_id is not None:
            _note_bounce(message.user_id)
    else:
        message.status = OutboxStatus.QUEUED
        delay = min(timedelta(seconds=30 * 2 ** min(message.attempts - 1, 20)), MAX_BACKOFF)
        message.next_attempt_at = now + delay
    message.claim_token = None
    message.handed_at = None
    log.warning(
        "mail %s not delivered (attempt %s): %s", message.id, message.attempts, failure.kind
    )
    return failure


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


def _process_gone(pid: int) -> bool:
    """Whether no live process of this host has this id (a zombie counts as gone)."""
    if pid <= 0 or pid == os.getpid():
        return pid <= 0
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state in {"Z", "X"}


def _holder_gone(claimed_by: str | None) -> bool:
    host, _, pid = (claimed_by or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return _process_gone(int(pid))


INTERRUPTED = "delivery interrupted; check before retry"
REQUEUED = "worker stopped before handing the message over; queued again"


def resolve_interrupted_claims() -> int:
    """Settle claims whose holder died: at once when it ran on this host and its process is
    gone, after ``STALE_CLAIM`` otherwise. A claim never handed to the SMTP server goes back
    to the queue (it surely was not sent); a handed-over one might have been delivered, so it
    is marked failed for a person to check. Claims from before claims were staged count as
    handed over. Returns how many claims were settled."""
    stale_before = utcnow() - STALE_CLAIM
    claims = db.session.execute(
        sa.select(
            OutboxMessage.id,
            OutboxMessage.claim_token,
            OutboxMessage.claimed_by,
            OutboxMessage.claimed_at,
            OutboxMessage.handed_at,
        ).where(OutboxMessage.status == OutboxStatus.SENDING)
    ).all()
    settled = 0
    for claim in claims:
        stale = claim.claimed_at is None or claim.claimed_at < stale_before
        if not (stale or _holder_gone(claim.claimed_by)):
            continue
        if claim.handed_at is None and claim.claimed_by is not None:
            values = {"status": OutboxStatus.QUEUED, "last_error": REQUEUED}
        else:
            values = {"status": OutboxStatus.FAILED, "last_error": INTERRUPTED}
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == claim.id,
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claim_token == claim.claim_token,
            )
            .values(claim_token=None, **values)
            .execution_options(synchronize_session=False)
        )
        settled += result.rowcount or 0
    db.session.commit()
    if settled:
        log.warning("settled %s mail claim(s) left by stopped workers", settled)
    return settled


class _Message(Message):
    """Flask-Mail's message with a non-ASCII subject encoded so that no space is lost.

    Flask-Mail (``email.header.Header``) and the email package's own folding both cut a long
    subject into encoded words at a space and leave that space outside them, where readers
    drop it ("صحة الأم" arrives as "صحةالأم"). Here the subject is cut by length into UTF-8
    pieces that keep their spaces inside, one encoded word per folded line."""

    def _message(self):
        built = super()._message()
        if self.subject and not self.subject.isascii():
            del built["Subject"]
            built.set_raw("Subject", encoded_words(self.subject))
        return built


def encoded_words(text: str, piece_bytes: int = 39) -> str:
    """``text`` as RFC 2047 base64 encoded words, each of at most ``piece_bytes`` UTF-8
    bytes (never a character cut), one per folded line (each line under 78 characters)."""
    pieces, piece = [], ""
    for char in text:
        if piece and len((piece + char).encode()) > piece_bytes:
            pieces.append(piece)
            piece = ""
        piece += char
    pieces.append(piece)
    return "\r\n ".join(
        "=?utf-8?b?" + base64.b64encode(p.encode()).decode("ascii") + "?=" for p in pieces
    )


def _build(message: OutboxMessage) -> Message:
    msg = _Message(
        subject=header_text(message.subject),
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
        sender=_sender(),
        extra_headers=_header_values(message.headers),
    )
    for item in message.attachments or ():
        msg.attach(item["filename"], item["content_type"], item["data"].encode("utf-8"))
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


class TimedConnection(Connection):
    """Flask-Mail's connection with a bound on every socket operation.

    Flask-Mail opens ``smtplib.SMTP(server, port)`` without a timeout, so a server that
    accepts and never answers would hold the caller forever; this one passes ``timeout``
    and finishes the greeting (EHLO, STARTTLS, login) before the message is handed over.
    """

    def __init__(self, state, timeout: float | None):
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        factory = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = factory(self.mail.server, self.mail.port, timeout=self.timeout)
        try:
            host.set_debuglevel(int(self.mail.debug))
            if self.mail.use_tls:
                host.starttls()
            host.ehlo_or_helo_if_needed()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def close(self) -> None:
        """Say goodbye if the server still listens; a failed QUIT changes nothing."""
        if self.host is None:
            return
        try:
            self.host.quit()
        except (OSError, smtplib.SMTPException):
            self.host.close()
        self.host = None


def _send(message: OutboxMessage, timeout: float | None, hand_over: Callable[[], None]) -> None:
    """Build and send one message; ``hand_over`` runs (and commits) just before its data
    goes to the SMTP server or the file mailbox."""
    msg = _build(message)
    if current_app.config.get("MAIL_SERVER"):
        connection = TimedConnection(current_app.extensions["mail"], timeout)
        if not connection.mail.suppress:
            connection.host = connection.configure_host()
        try:
            hand_over()
            connection.send(msg)
        finally:
            connection.close()
        return
    folder = Path(current_app.config["MAIL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{message.id:06d}-{mailbox_tag(message.recipient)}.eml"
    hand_over()
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


@dataclass(frozen=True)
class OutageNotice:
    """Mail waiting because delivery keeps failing, as coordinators are told of it."""

    waiting: int
    since: datetime
    last_error: str

    @property
    def text(self) -> str:
        since = i18n.format_date(self.since, "%d %b %Y %H:%M")
        error = FAILURE_LABELS.get(self.last_error, self.last_error)
        return ngettext(
            "Mail is not going out: %(num)d message waiting since %(since)s UTC; "
            "last error: %(error)s",
            "Mail is not going out: %(num)d messages waiting since %(since)s UTC; "
            "last error: %(error)s",
            self.waiting,
            since=since,
            error=str(error),
        )


#: The kinds of failure an outage notice names, as coordinators read them.
FAILURE_LABELS = {
    "timeout": _l("timeout"),
    "connection refused": _l("connection refused"),
    "connection lost": _l("connection lost"),
    "connection failed": _l("connection failed"),
    "SMTP error": _l("SMTP error"),
    "authentication failed": _l("authentication failed"),
}


def outage_notice() -> OutageNotice | None:
    """The notice for coordinators when the latest attempt on a queued message failed.

    Counts every queued message (they all wait behind the failure), dates the wait from the
    oldest one, and names the kind of the most recent failure, never a recipient.
    """
    latest = db.session.execute(
        sa.select(OutboxMessage.last_error)
        .where(
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.last_attempt_at.is_not(None),
            OutboxMessage.last_error.is_not(None),
        )
        .order_by(OutboxMessage.last_attempt_at.desc(), OutboxMessage.id.desc())
        .limit(1)
    ).scalar()
    if latest is None:
        return None
    waiting, since = db.session.execute(
        sa.select(sa.func.count(OutboxMessage.id), sa.func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status == OutboxStatus.QUEUED
        )
    ).one()
    return OutageNotice(waiting=waiting, since=since, last_error=latest.partition(":")[0])


def status_counts() -> dict[OutboxStatus, int]:
    """How many messages are in each state."""
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = dict.fromkeys(OutboxStatus, 0)
    counts.update(dict(rows))
    return counts


def requeue_failed(message: OutboxMessage) -> bool:
    """Queue a failed message again from its first attempt (a coordinator's retry); False
    when it is not failed any more. The caller commits."""
    if message.status != OutboxStatus.FAILED:
        return False
    message.status = OutboxStatus.QUEUED
    message.next_attempt_at = utcnow()
    message.attempts = 0
    return True
