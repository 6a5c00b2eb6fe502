"""Security plumbing shared by every area: headers, sessions, safe redirects, tokens,
the password hasher."""

from datetime import UTC, datetime
from functools import cache
from urllib.parse import unquote, urlsplit

from argon2 import PasswordHasher
from flask import Flask, current_app, g, has_app_context, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, logout_user, user_loaded_from_cookie, user_logged_in
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from diaspora.extensions import login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def is_safe_next(target: str | None) -> bool:
    """True when ``target`` is a path on this site (no scheme, host, backslash, space or
    control character).

    The path is checked once more percent-decoded (``/%2F/evil.example``,
    ``/%5Cevil.example``, ``/%09/evil.example``), for whatever decodes it again on the way.
    """
    if not _plain_path(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and _plain_path(unquote(parts.path))


def _plain_path(target: str | None) -> bool:
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    return "\\" not in target and not any(ch.isspace() or not ch.isprintable() for ch in target)


def safe_next(target: str | None, default_endpoint: str = "main.index") -> str:
    """``target`` if it stays on the site, else the default page."""
    return target if is_safe_next(target) else url_for(default_endpoint)


def password_hasher() -> PasswordHasher:
    """The Argon2 hasher at the configured cost (``ARGON2_*``); outside an app, the default
    cost."""
    if not has_app_context():
        return _hasher(None, None, None)
    config = current_app.config
    return _hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )


@cache
def _hasher(time_cost: int | None, memory_cost: int | None, parallelism: int | None):
    costs = {"time_cost": time_cost, "memory_cost": memory_cost, "parallelism": parallelism}
    return PasswordHasher(**{name: value for name, value in costs.items() if value is not None})


def serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_token(salt: str, payload: dict) -> str:
    return serializer(salt).dumps(payload)


def read_token(salt: str, token: str, max_age: int) -> dict | None:
    """The payload of a valid, unexpired token, or None."""
    try:
        data = serializer(salt).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None


def _set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user and current_user.is_authenticated:
        headers.setdefault("Cache-Control", "no-store")
    return response


def _mark_login(*args, **kwargs):
    session["login_at"] = datetime.now(UTC).timestamp()
    session.permanent = True


def _enforce_absolute_limit():
    """End a session that is older than the absolute limit, whatever its activity (where
    people are signed in by a session: an API key is not)."""
    if not current_user.is_authenticated or _under(current_app, WITHOUT_SESSION, request.path):
        return
    login_at = session.get("login_at")
    limit = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    now = datetime.now(UTC).timestamp()
    if login_at is None or now - float(login_at) > limit:
        logout_user()
        session.clear()


WITHOUT_SESSION = "diaspora.without_session"
SAME_FOR_EVERYONE = "diaspora.same_for_everyone"


def without_session(app: Flask, prefix: str) -> None:
    """Addresses under ``prefix`` neither read nor write the site's session (the JSON API,
    which knows its callers by their keys; the open feeds): no session cookie is read or
    set there, and a session's age limits do not apply."""
    app.extensions.setdefault(WITHOUT_SESSION, set()).add(prefix)


def same_for_everyone(app: Flask, prefix: str) -> None:
    """Answers under ``prefix`` are the same for everyone and cacheable by anyone (the open
    feeds): no session, and nobody is signed in, so a signed-in person gets exactly the
    public answer and no cookie."""
    without_session(app, prefix)
    app.extensions.setdefault(SAME_FOR_EVERYONE, set()).add(prefix)


def _under(app: Flask, registry: str, path: str) -> bool:
    return path.startswith(tuple(app.extensions.get(registry, ())))


class SessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, and none at all on the addresses of
    :func:`without_session` (Flask then neither reads the cookie nor sets one)."""

    def open_session(self, app, request):
        if _under(app, WITHOUT_SESSION, request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)


def _visitor_on_public_answers() -> None:
    """First of all on the addresses of :func:`same_for_everyone`: the request is a
    visitor's, whatever cookie came with it (a remember-me cookie is not even read)."""
    if _under(current_app, SAME_FOR_EVERYONE, request.path):
        g._login_user = login_manager.anonymous_user()


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.before_request_funcs.setdefault(None, []).insert(0, _visitor_on_public_answers)
    app.after_request(_set_headers)
    app.before_request(_enforce_absolute_limit)
    user_logged_in.connect(_mark_login, app)
    user_loaded_from_cookie.connect(_mark_login, app)


def client_ip() -> str:
    return request.remote_addr or "unknown"
