"""Who is calling the API: an API key in ``Authorization: Bearer <key>``, or nobody.

The API never reads the site's session cookie, so a page on another site cannot make a
signed-in visitor's browser act through it. A request with a key acts as the key's owner
(``current_user`` for the request only: nothing is written to a session), is limited per
key, and is written to the audit log with its key, method, path and answer. A read key may
only read (GET, HEAD, OPTIONS).
"""

import logging
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import AnonymousUserMixin
from flask_smorest import Blueprint, abort

from diaspora.api.problems import is_api_request
from diaspora.extensions import db, limiter, login_manager
from diaspora.main.errors import counts_against_limit
from diaspora.models import ApiKey
from diaspora.services import api_keys

log = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BEARER = "bearer "


def current_key() -> ApiKey | None:
    return g.get("api_key")


def _challenge(error: str, description: str) -> dict:
    return {
        "WWW-Authenticate": f'Bearer realm="api", error="{error}", '
        f'error_description="{description}"'
    }


def authenticate() -> None:
    """Before anything else of an API request (rate limits count per key): find the key, or
    refuse a bad one (401), or a read key asked to change something (403)."""
    if not is_api_request():
        return
    g._login_user = login_manager.anonymous_user()
    g.api_key = None
    header = request.headers.get("Authorization", "")
    if not header:
        return
    if not header.lower().startswith(BEARER):
        abort(
            401,
            message=_("Send the API key as: Authorization: Bearer <key>."),
            headers=_challenge("invalid_request", "Bearer token expected"),
        )
    key = api_keys.find_key(header[len(BEARER) :].strip())
    if key is None:
        abort(
            401,
            message=_("This API key is unknown or revoked."),
            headers=_challenge("invalid_token", "Unknown or revoked key"),
        )
    g.api_key = key
    g._login_user = key.user
    if request.method not in SAFE_METHODS and not key.may_write:
        abort(
            403,
            message=_("This key may only read. Create a key that may write."),
            headers=_challenge("insufficient_scope", "Write scope needed"),
        )


def note_use(response):
    """after_request of the app: the audit log entry of every request made with a key (an
    address that matches no endpoint too), in a transaction of its own (after the
    view's)."""
    key = current_key()
    if key is None:
        return response
    try:
        db.session.rollback()  # whatever the view left unfinished is not ours to commit
        key = db.session.merge(key)
        api_keys.note_use(key, request.method, request.path, response.status_code)
        db.session.commit()
    except Exception:  # an outage already answered; the request's own answer stands
        db.session.rollback()
        log.warning("could not record a use of API key %s", getattr(key, "prefix", "?"))
    return response


def rate_key() -> str:
    """Limits count per key when there is one, else per client address."""
    key = current_key()
    return f"api-key:{key.prefix}" if key is not None else f"api:{get_remote_address()}"


def _rate_limit() -> str:
    config = current_app.config
    if current_key() is not None:
        return config["API_RATE_LIMIT_KEY"]
    return config["API_RATE_LIMIT_ANONYMOUS"]


def init_app(app) -> None:
    """Authenticate API requests first of all (before the rate limits, which count per
    key)."""
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate)
    app.after_request(note_use)


def protect(blueprint: Blueprint) -> None:
    """Rate limit every request to ``blueprint`` (per key, or per address without one)."""
    limiter.limit(_rate_limit, key_func=rate_key, deduct_when=counts_against_limit)(blueprint)


def json_bodies_only() -> None:
    """Refuse (415) a write whose body is not JSON: curl's default form type would
    otherwise read as an empty object, and every field as missing. A write without a body
    (submit, close) needs no type."""
    if request.method in WRITE_METHODS and not request.is_json and request.get_data(cache=True):
        abort(415, message=_("Send the body as JSON with Content-Type: application/json."))


def key_required(view):
    """The view needs an API key (401 without one); a write sends its body as JSON (415
    otherwise), checked once the key is known and before the body is read."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_key() is None:
            abort(
                401,
                message=_("This needs an API key: Authorization: Bearer <key>."),
                headers={"WWW-Authenticate": 'Bearer realm="api"'},
            )
        json_bodies_only()
        return view(*args, **kwargs)

    return wrapper


def caller():
    """The key's owner, or an anonymous visitor."""
    key = current_key()
    return key.user if key is not None else AnonymousUserMixin()
