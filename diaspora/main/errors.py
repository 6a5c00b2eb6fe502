"""Error pages that say what happened in plain words and show no internals.

A service's refusal (:mod:`diaspora.services.errors`) is rolled back, then answered by its
kind: a NotAllowed is the 403 page, a NotFound the 404 page; an Invalid or a Conflict of a
form posted from a page its view named (:func:`unit_of_work.unit_of_work`'s ``back``) is
flashed on that page, and is otherwise the 400 or 409 page. Each page shows the refusal's
own message when it has one.

A database that cannot be reached or used (stopped, restarting, out of connections, or an
SQLite file locked by another writer) is not a bug: it answers 503 with ``Retry-After``,
rendered without touching the database again, and logs one line per kind of failure
(repeats within :data:`LOG_WINDOW` seconds are counted, then summarised).
"""

import logging
import sqlite3
import threading
import time

import sqlalchemy as sa
from flask import Flask, current_app, flash, g, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import Pool
from werkzeug.exceptions import HTTPException, InternalServerError

from diaspora.api.problems import http_problem, is_api_request, problem
from diaspora.extensions import db, login_manager
from diaspora.forms import forget_forms_of_request
from diaspora.main.unit_of_work import (
    SHOWN_ON_FORMS,
    forget_form_page,
    forget_form_refusals,
    form_page,
)
from diaspora.security import is_safe_next
from diaspora.services.errors import ServiceError

log = logging.getLogger(__name__)

LOG_WINDOW = 60.0
UNAVAILABLE = "unavailable"
BUSY = "busy"

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Go back, reload the page and try again."),
    ),
    403: (_l("Not allowed"), _l("You do not have permission to do this.")),
    404: (_l("Not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("That change conflicts with the current data. Reload and try again.")),
    413: (_l("Too large"), _l("What you sent is too large. Shorten it and try again.")),
    414: (
        _l("Address too long"),
        _l("This address is too long. Shorten the search and try again."),
    ),
    429: (
        _l("Too many requests"),
        _l("Too many attempts in a short time. Wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An error happened on our side. It has been logged; please try again later."),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l(
            "The site cannot reach its database right now. Nothing you sent was saved; "
            "try again in a moment."
        ),
    ),
}
# What an API caller is told where the page's words speak of pages, forms and reloading.
API_MESSAGES = {
    400: _l(
        "The request could not be read: check that the body is valid JSON and the parameters "
        "are well formed."
    ),
    405: _l("This method is not allowed here: the Allow header lists those that are."),
    409: _l("That change conflicts with the current state: read it again, then retry."),
    414: _l("This address is too long: send fewer or shorter parameters."),
    415: _l("Send the body as JSON with Content-Type: application/json."),
    422: _l("Check the fields named in errors."),
    429: _l("Too many requests in a short time: wait as long as the Retry-After header says."),
}
BUSY_MESSAGE = (
    _l("Busy"),
    _l("The site is busy; try again in a moment. Nothing you sent was saved."),
)

# What a driver's message says, in the words the log uses (first match wins).
REASONS = (
    ("database is locked", "database is locked"),
    ("database table is locked", "database is locked"),
    ("connection refused", "connection refused"),
    ("timeout expired", "connection timed out"),
    ("timed out", "connection timed out"),
    ("server closed the connection", "server closed the connection"),
    ("terminating connection", "server closed the connection"),
    ("connection has been closed", "server closed the connection"),
    ("consuming input failed", "server closed the connection"),
    ("connection is closed", "connection closed"),
    ("connection is lost", "connection closed"),
    ("no connection to the server", "connection closed"),
    ("the database system is", "database starting up or shutting down"),
    ("too many clients", "too many connections"),
    ("remaining connection slots", "too many connections"),
    ("could not translate host name", "unknown host"),
    ("name or service not known", "unknown host"),
    ("unable to open database file", "cannot open database file"),
    ("disk i/o error", "disk i/o error"),
    ("could not serialize access", "serialization failure"),
    ("deadlock detected", "deadlock"),
    ("lock timeout", "lock timeout"),
    ("statement timeout", "statement timeout"),
)
SQLITE_OUTAGES = ("locked", "busy", "unable to open database file", "disk i/o error")


def api_message(code: int) -> str | None:
    """What an API caller is told of an error ``code`` in general words, or None."""
    text = API_MESSAGES.get(code) or MESSAGES.get(code, (None, None))[1]
    return str(text) if text else None


def render_error(code: int, detail: str | None = None):
    # An error page shows no form, nor a summary of what was wrong with one.
    forget_forms_of_request()
    forget_form_refusals()
    if is_api_request():
        return problem(code, detail or api_message(code))
    title, message = (str(text) for text in MESSAGES.get(code, MESSAGES[500]))
    if request.accept_mimetypes.best == "application/json":
        return {"error": title, "message": detail or message}, code
    return render_template(
        "errors/error.html", code=code, title=title, message=detail or message
    ), code


def database_failure(exc: BaseException) -> tuple[str, str] | None:
    """``(BUSY or UNAVAILABLE, kind)`` when ``exc`` means the database cannot be reached or
    used right now, else None (a bug in a query stays a 500). ``kind`` names the failure
    for the log, e.g. ``"OperationalError (connection refused)"``."""
    if isinstance(exc, PoolTimeout):
        return UNAVAILABLE, "TimeoutError (no free connection in the pool)"
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError):
        return None
    orig = exc.orig
    text = str(orig).lower()
    reason = next((said for phrase, said in REASONS if phrase in text), None)
    kind = f"{type(orig).__name__} ({reason or 'no detail'})"
    if isinstance(orig, sqlite3.Error):
        if not isinstance(orig, sqlite3.OperationalError) or not any(
            word in text for word in SQLITE_OUTAGES
        ):
            return None
        return (BUSY if "locked" in text or "busy" in text else UNAVAILABLE), kind
    if _is_retryable_conflict(orig):
        return BUSY, kind
    if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)):
        return UNAVAILABLE, kind
    return None


def _is_retryable_conflict(orig) -> bool:
    """A serialization failure or deadlock still failing after the service's retries (SQL
    state class 40), a lock not available (55P03) or a statement timeout (57014): the server
    works, it is only too busy for this request now."""
    state = getattr(orig, "sqlstate", None) or ""
    return state.startswith("40") or state in {"55P03", "57014"}


class OutageLog:
    """One log line per kind of database failure per :data:`LOG_WINDOW` seconds.

    The first failure of a kind is logged at once; the repeats that follow within the window
    are counted, and the first failure after it logs how many there were. When a connection
    is made again, what an outage left uncounted is logged with the recovery, so a short
    outage under load costs a handful of lines, not one traceback per request.
    """

    def __init__(self, window: float = LOG_WINDOW, clock=time.monotonic):
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._kinds: dict[str, list] = {}  # kind -> [state, window start, repeats not logged]

    def failed(self, state: str, kind: str) -> None:
        now = self.clock()
        with self._lock:
            entry = self._kinds.get(kind)
            if entry is not None and now - entry[1] < self.window:
                entry[2] += 1
                return
            repeats = entry[2] if entry else 0
            self._kinds[kind] = [state, now, 0]
        label = "database busy" if state == BUSY else "database unavailable"
        if repeats:
            log.warning("%s: %s (%d more in the last %d s)", label, kind, repeats, self.window)
        else:
            log.warning("%s: %s", label, kind)

    def connected(self) -> None:
        """A new connection was made: an outage (not a busy database) is over."""
        if not self._kinds:  # the common case, on every new connection: no lock
            return
        with self._lock:
            ended = {k: e for k, e in self._kinds.items() if e[0] == UNAVAILABLE}
            for kind in ended:
                del self._kinds[kind]
        for kind, (_state, _start, repeats) in ended.items():
            more = f"; {repeats} more since the last line" if repeats else ""
            log.warning("database reachable again (it failed with %s%s)", kind, more)


outages = OutageLog()


@sa.event.listens_for(Pool, "connect")
def _connected(dbapi_connection, connection_record):
    outages.connected()


def counts_against_limit(response) -> bool:
    """Rate limits' ``deduct_when``: an attempt the database could not serve costs nothing."""
    return not g.get("database_unavailable")


def keep_outage_headers(response):
    """after_request, run after the rate limiter's (registered before it): an answer the
    database could not serve keeps its own ``Retry-After`` and shows no rate-limit headers,
    since nothing was counted. (The limiter would merge in its window's reset time.)"""
    if g.get("database_unavailable") and response.status_code == 503:
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            response.headers.pop(name, None)
        response.headers["Retry-After"] = str(current_app.config.get("DATABASE_RETRY_AFTER", 10))
    return response


def render_database_error(state: str, kind: str):
    """The 503 page or JSON, made without the database: the layout sees an anonymous
    visitor and ``g.database_unavailable``, so it loads no account and counts nothing."""
    g.database_unavailable = True
    # Where Flask-Login keeps this request's user: an anonymous one means nothing that
    # asks for current_user (the layout, the security headers) goes to the database.
    g._login_user = login_manager.anonymous_user()
    outages.failed(state, kind)
    title, message = (str(text) for text in (BUSY_MESSAGE if state == BUSY else MESSAGES[503]))
    retry = str(current_app.config.get("DATABASE_RETRY_AFTER", 10))
    if is_api_request():
        return problem(503, message, headers={"Retry-After": retry})
    if request.accept_mimetypes.best == "application/json":
        body = {"error": title, "message": message}
    else:
        body = render_template("errors/error.html", code=503, title=title, message=message)
    return body, 503, {"Retry-After": retry, "Cache-Control": "no-store"}


def forget_transaction(state: str) -> None:
    """Undo this request's work. A busy database is healthy: roll back and keep the
    connection. An unreachable one is not: drop its connections without a rollback (the
    server undoes an unfinished transaction when its connection goes), so none is reused."""
    try:
        if state == BUSY:
            db.session.rollback()
        else:
            db.session.invalidate()
    except Exception:  # the connection may already be gone; what matters is the session
        db.session.close()


def _reset_request_flags() -> None:
    g.pop("database_unavailable", None)
    forget_form_page()
    forget_form_refusals()
    forget_forms_of_request()


def refusal(exc: ServiceError):
    """Answer a service's refusal, after rolling back what the request had written."""
    db.session.rollback()
    back = form_page()
    if request.method == "POST" and isinstance(exc, SHOWN_ON_FORMS) and is_safe_next(back):
        flash(exc.message or str(MESSAGES[exc.status][1]), "error")
        return redirect(back)
    return render_error(exc.status, exc.message or None)


def register(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _reset_request_flags)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_error(exc):
        failure = database_failure(exc)
        if failure is None:
            raise exc
        forget_transaction(failure[0])
        return render_database_error(*failure)

    app.register_error_handler(ServiceError, refusal)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(
            400,
            _(
                "The form had expired or was not sent from this site. Reload the page and try "
                "again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code is None or exc.code < 400:
            return exc
        if is_api_request():
            return http_problem(exc, api_message(exc.code))
        return render_error(exc.code)

    @app.errorhandler(IntegrityError)
    def integrity_error(exc):
        db.session.rollback()
        log.warning("constraint violation: %s", type(exc.orig).__name__)
        return render_error(409)

    @app.errorhandler(InternalServerError)
    def server_error(exc):
        # A database failure inside another error's page (its navigation counts) is still
        # an outage, not a bug.
        failure = database_failure(exc.original_exception) if exc.original_exception else None
        if failure is not None:
            forget_transaction(failure[0])
            return render_database_error(*failure)
        db.session.rollback()
        return render_error(500)
