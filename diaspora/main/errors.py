"""Error pages that say what happened in plain words and show no internals."""

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from diaspora.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        "Bad request",
        "The request could not be understood. Go back, reload the page and try again.",
    ),
    403: ("Not allowed", "You do not have permission to do this."),
    404: ("Not found", "There is nothing at this address."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    409: ("Conflict", "That change conflicts with the current data. Reload and try again."),
    413: ("Too large", "What you sent is too large. Shorten it and try again."),
    414: ("Address too long", "This address is too long. Shorten the search and try again."),
    429: (
        "Too many requests",
        "Too many attempts in a short time. Wait a few minutes and try again.",
    ),
    500: (
        "Something went wrong",
        "An error happened on our side. It has been logged; please try again later.",
    ),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    if request.accept_mimetypes.best == "application/json":
        return {"error": title, "message": detail or message}, code
    return render_template(
        "errors/error.html", code=code, title=title, message=detail or message
    ), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(
            400,
            "The form had expired or was not sent from this site. Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code is None or exc.code < 400:
            return exc
        return render_error(exc.code)

    @app.errorhandler(IntegrityError)
    def integrity_error(exc):
        db.session.rollback()
        log.warning("constraint violation: %s", type(exc.orig).__name__)
        return render_error(409)

    @app.errorhandler(InternalServerError)
    def server_error(exc):
        db.session.rollback()
        return render_error(500)
