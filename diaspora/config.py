"""Configuration classes. Every setting can come from the environment.

The embedded default needs nothing: SQLite and the search index under ``instance/``, a secret
key generated once into ``instance/``, and mail written to ``instance/mail/``.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from argon2.profiles import RFC_9106_LOW_MEMORY

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("DIASPORA_INSTANCE_PATH", ROOT / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _list(name: str) -> list[str]:
    """A comma-separated environment variable as a list (empty when unset)."""
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


def development_secret_key(instance: Path) -> str:
    """Return the secret key kept in ``instance/secret_key``, creating it once."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Defaults for a local installation; each can be overridden from the environment."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'diaspora.sqlite'}"
    )
    # Database errors are logged without their parameters (password hashes, tokens, personal
    # data); SQL_LOG_PARAMETERS=1 shows them, for debugging on one's own machine only.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {
        "pool_pre_ping": True,
        "hide_parameters": not _bool("SQL_LOG_PARAMETERS", False),
    }
    # Waiting on the database is bounded: a connection attempt to PostgreSQL gives up after
    # DATABASE_CONNECT_TIMEOUT seconds, a request waiting for a free pooled connection after
    # DATABASE_POOL_TIMEOUT, and SQLite waits SQLITE_BUSY_TIMEOUT for another writer's lock.
    # Past these the request gets a 503 with Retry-After (DATABASE_RETRY_AFTER seconds).
    DATABASE_CONNECT_TIMEOUT = _int("DATABASE_CONNECT_TIMEOUT", 5)
    DATABASE_POOL_TIMEOUT = _float("DATABASE_POOL_TIMEOUT", 10)
    SQLITE_BUSY_TIMEOUT = _float("SQLITE_BUSY_TIMEOUT", 15)
    DATABASE_RETRY_AFTER = _int("DATABASE_RETRY_AFTER", 10)
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(INSTANCE / "search"))
    SEARCH_ENABLED = _bool("SEARCH_ENABLED", True)
    # Web requests (and other commands) apply the search changes they commit, and catch up
    # before a search. Set it false where every node runs its search worker
    # (`flask search apply --loop`): no request then pays for indexing.
    SEARCH_APPLY_IN_REQUESTS = _bool("SEARCH_APPLY_IN_REQUESTS", True)
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE / "mail"))

    SERVER_NAME = os.environ.get("SERVER_NAME")
    # The public address of the site (scheme and host), for the links in mail that commands
    # send outside any request; mail sent while answering a request links to its host.
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000")
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    SITE_NAME = os.environ.get("SITE_NAME", "Diaspora")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Diaspora <no-reply@localhost>")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
    MAIL_DELIVER_AFTER_COMMIT = _bool("MAIL_DELIVER_AFTER_COMMIT", True)
    # Mail a request committed is sent after its response, each SMTP step bounded by this;
    # after a failure the process leaves sending to the worker for MAIL_REQUEST_PAUSE seconds.
    MAIL_REQUEST_TIMEOUT = _int("MAIL_REQUEST_TIMEOUT", 3)
    MAIL_REQUEST_PAUSE = _int("MAIL_REQUEST_PAUSE", 60)

    SESSION_COOKIE_NAME = "diaspora_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_NAME = "diaspora_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(days=_int("REMEMBER_DAYS", 14))
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=_int("SESSION_IDLE_MINUTES", 120))
    SESSION_ABSOLUTE_HOURS = _int("SESSION_ABSOLUTE_HOURS", 24)
    SESSION_REFRESH_EACH_REQUEST = True

    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 256 * 1024)
    MAX_FORM_PARTS = _int("MAX_FORM_PARTS", 500)
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_ENABLED = True

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # How many reverse proxies in front of the app set X-Forwarded-For (0: trust none).
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    # Web worker processes on this node; with more than one, limits need a shared store.
    WEB_CONCURRENCY = _int("WEB_CONCURRENCY", 1)
    RATE_LIMIT_LOGIN = os.environ.get("RATE_LIMIT_LOGIN", "25 per 5 minutes")
    RATE_LIMIT_SIGNUP = os.environ.get("RATE_LIMIT_SIGNUP", "5 per 30 minutes")
    RATE_LIMIT_RESET = os.environ.get("RATE_LIMIT_RESET", "5 per 15 minutes")
    # The JSON API: per key, and per client address for calls without a key.
    API_RATE_LIMIT_KEY = os.environ.get("API_RATE_LIMIT_KEY", "600 per minute")
    API_RATE_LIMIT_ANONYMOUS = os.environ.get("API_RATE_LIMIT_ANONYMOUS", "120 per minute")

    # The cost of an Argon2 password hash. The defaults are RFC 9106's low-memory profile
    # (about a third of a second per hash); production refuses anything cheaper.
    ARGON2_TIME_COST = _int("ARGON2_TIME_COST", RFC_9106_LOW_MEMORY.time_cost)
    ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", RFC_9106_LOW_MEMORY.memory_cost)  # KiB
    ARGON2_PARALLELISM = _int("ARGON2_PARALLELISM", RFC_9106_LOW_MEMORY.parallelism)

    CONFIRM_TOKEN_MAX_AGE = _int("CONFIRM_TOKEN_MAX_AGE", 3 * 24 * 3600)
    RESET_TOKEN_MAX_AGE = _int("RESET_TOKEN_MAX_AGE", 3600)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    # Following other networks' project feeds. A feed's server must be on the public
    # internet unless its address is inside FEDERATION_ALLOWED_NETWORKS (CIDRs, comma
    # separated, e.g. "10.1.0.0/16"); a whole read (every page) takes at most
    # FEDERATION_TIMEOUT seconds, each page at most FEDERATION_MAX_BYTES bytes, and at most
    # FEDERATION_MAX_ITEMS projects are kept per network. Projects of a network not read for
    # FEDERATION_STALE_DAYS days are removed (the network stays followed).
    FEDERATION_ALLOWED_NETWORKS = _list("FEDERATION_ALLOWED_NETWORKS")
    FEDERATION_TIMEOUT = _float("FEDERATION_TIMEOUT", 10)
    FEDERATION_MAX_BYTES = _int("FEDERATION_MAX_BYTES", 2 * 1024 * 1024)
    FEDERATION_MAX_ITEMS = _int("FEDERATION_MAX_ITEMS", 1000)
    FEDERATION_STALE_DAYS = _int("FEDERATION_STALE_DAYS", 7)

    # Compress text responses (HTML, CSS, JSON, SVG) for clients that accept it: on in
    # production, unless a proxy in front already does it.
    COMPRESS_RESPONSES = _bool("COMPRESS_RESPONSES", False)


class DevelopmentConfig(Config):
    """Local development: everything embedded."""


class TestingConfig(Config):
    """Base for tests; the suite gives its own paths on top of this."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105
    RATELIMIT_ENABLED = False
    MAIL_SUPPRESS_SEND = True
    # The cheapest Argon2 cost: a test signs in in well under a millisecond. Never in
    # production (check_production refuses it).
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    """Production: refuses to start without a real secret, database and secure cookies."""

    ENV_NAME = "production"
    DEBUG = False
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")
    SITE_URL = os.environ.get("SITE_URL", "")
    COMPRESS_RESPONSES = _bool("COMPRESS_RESPONSES", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def engine_options(config: dict) -> dict:
    """``SQLALCHEMY_ENGINE_OPTIONS`` with the timeouts that fit the database's driver.

    The configured options win over these defaults; the class's dict is never changed, so
    one app's settings cannot leak into another built in the same process.
    """
    uri = config.get("SQLALCHEMY_DATABASE_URI") or ""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    if uri.startswith("postgresql"):
        connect_args.setdefault("connect_timeout", int(config["DATABASE_CONNECT_TIMEOUT"]))
        options.setdefault("pool_timeout", float(config["DATABASE_POOL_TIMEOUT"]))
    elif uri.startswith("sqlite"):
        connect_args.setdefault("timeout", float(config["SQLITE_BUSY_TIMEOUT"]))
    if connect_args:
        options["connect_args"] = connect_args
    return options


class ConfigurationError(RuntimeError):
    """Raised when the production configuration is unsafe."""


def check_production(config: dict) -> None:
    """Refuse an unsafe production configuration with a clear message."""
    problems = []
    if not config.get("SECRET_KEY") or len(config["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY must be set (at least 32 characters)")
    if config.get("SQLALCHEMY_DATABASE_URI", "").startswith("sqlite"):
        problems.append("DATABASE_URL must point at a real database server (PostgreSQL)")
    if config.get("DEBUG"):
        problems.append("debug must be off")
    if not (config.get("SESSION_COOKIE_SECURE") and config.get("REMEMBER_COOKIE_SECURE")):
        problems.append("cookies must be Secure (SESSION_COOKIE_SECURE)")
    storage = config.get("RATELIMIT_STORAGE_URI", "memory://")
    if storage.startswith("memory://") and int(config.get("WEB_CONCURRENCY") or 1) > 1:
        problems.append(
            "RATELIMIT_STORAGE_URI must be a shared store (redis://...) with several "
            "workers (WEB_CONCURRENCY > 1)"
        )
    if (
        int(config.get("ARGON2_TIME_COST") or 0) < RFC_9106_LOW_MEMORY.time_cost
        or int(config.get("ARGON2_MEMORY_COST") or 0) < RFC_9106_LOW_MEMORY.memory_cost
    ):
        problems.append(
            "password hashing is too cheap: ARGON2_TIME_COST must be at least "
            f"{RFC_9106_LOW_MEMORY.time_cost} and ARGON2_MEMORY_COST at least "
            f"{RFC_9106_LOW_MEMORY.memory_cost} KiB (the testing profile is for tests only)"
        )
    site_url = _site_url_problem(config.get("SITE_URL") or "")
    if site_url:
        problems.append(site_url)
    if problems:
        raise ConfigurationError("Unsafe production configuration: " + "; ".join(problems))


def _site_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the public address of a production site, or None."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.path.strip("/"):
        return (
            "SITE_URL must be the public https address of the site, e.g. "
            "https://diaspora.example.org (it is used for links in mail sent by commands)"
        )
    return None
