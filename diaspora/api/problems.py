"""Errors of the JSON API as problem details (RFC 9457), never an HTML page.

Every error under ``/api/`` (a refusal of a service, a validation error, an unknown address,
a rate limit, an outage of the database) answers ``application/problem+json`` with the same
members: ``type``, ``title``, ``status``, ``detail``, ``instance`` and, for invalid input,
``errors`` (field name to messages, grouped by where the field was sent: ``json``,
``query``). The app's error handlers (:mod:`diaspora.main.errors`) call :func:`problem`
when :func:`is_api_request`.
"""

import json

import marshmallow as ma
from flask import current_app, request
from werkzeug.http import HTTP_STATUS_CODES

API_PREFIX = "/api/"
PROBLEM_JSON = "application/problem+json"


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def problem(status: int, detail: str | None = None, *, errors=None, headers=None):
    """A problem-details response: ``status``'s standard title, ``detail`` in words for
    the caller (in the language of ``Accept-Language``) and ``errors`` by field."""
    body: dict = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = str(detail)
    body["instance"] = request.path
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON
    )
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_problem(exc, detail: str | None = None):
    """The problem for an ``HTTPException``: flask-smorest's ``abort(message=, errors=)``
    and webargs' validation messages become ``detail`` and ``errors``; headers the
    exception carries (``Allow`` on 405, ``WWW-Authenticate`` on 401) are kept."""
    data = getattr(exc, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    detail = data.get("message") or detail
    headers = {
        name: value
        for name, value in exc.get_headers()
        if name.lower() not in ("content-type", "content-length")
    }
    headers.update(data.get("headers") or {})
    return problem(exc.code or 500, detail, errors=errors, headers=headers)


class ProblemSchema(ma.Schema):
    """The body of every error response (RFC 9457 problem details)."""

    type = ma.fields.String(
        required=True, metadata={"description": "A URI naming the kind of problem."}
    )
    title = ma.fields.String(required=True, metadata={"description": "The status, in words."})
    status = ma.fields.Integer(required=True, metadata={"description": "The HTTP status."})
    detail = ma.fields.String(metadata={"description": "What went wrong, for a person."})
    instance = ma.fields.String(metadata={"description": "The path that was asked for."})
    errors = ma.fields.Dict(
        metadata={"description": "For invalid input: messages by location (json, query) and field."}
    )
