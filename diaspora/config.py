"""Configuration classes. Every setting can come from the environment.

The embedded default needs nothing: SQLite and the search index under ``instance/``, a secret
key generated once into ``instance/``, and mail written to ``instance/mail/``.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("DIASPORA_INSTANCE_PATH", ROOT / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


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
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(INSTANCE / "search"))
    SEARCH_ENABLED = _bool("SEARCH_ENABLED", True)
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE / "mail"))

    SERVER_NAME = os.environ.get("SERVER_NAME")
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
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 8)
    MAIL_DELIVER_AFTER_COMMIT = _bool("MAIL_DELIVER_AFTER_COMMIT", True)

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

    CONFIRM_TOKEN_MAX_AGE = _int("CONFIRM_TOKEN_MAX_AGE", 3 * 24 * 3600)
    RESET_TOKEN_MAX_AGE = _int("RESET_TOKEN_MAX_AGE", 3600)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")


class DevelopmentConfig(Config):
    """Local development: everything embedded."""


class TestingConfig(Config):
    """Base for tests; the suite gives its own paths on top of this."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105
    RATELIMIT_ENABLED = False
    MAIL_SUPPRESS_SEND = True


class ProductionConfig(Config):
    """Production: refuses to start without a real secret, database and secure cookies."""

    ENV_NAME = "production"
    DEBUG = False
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


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
    if problems:
        raise ConfigurationError("Unsafe production configuration: " + "; ".join(problems))
