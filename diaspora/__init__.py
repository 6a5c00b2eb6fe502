"""Diaspora: diaspora professionals putting their expertise at the service of their
countries of origin."""

import logging
import os
from pathlib import Path

from flask import Flask, request
from flask_babel import lazy_gettext

from diaspora.config import (
    CONFIGS,
    INSTANCE,
    ROOT,
    check_production,
    development_secret_key,
    engine_options,
    limiter_storage_options,
)


def create_app(config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, services' wiring, blueprints, errors,
    commands."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure(app, config)
    register_extensions(app)
    register_services(app)
    register_request_limits(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure(app: Flask, config: dict | None) -> None:
    env_name = (config or {}).get("ENV_NAME") or os.environ.get("DIASPORA_ENV", "development")
    app.config.from_object(CONFIGS[env_name])
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    app.config["RATELIMIT_STORAGE_OPTIONS"] = limiter_storage_options(app.config)
    if env_name == "production":
        check_production(app.config)
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = development_secret_key(Path(app.instance_path))
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    # Alembic names each of its plugins as it loads them, at every command's start: noise.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _read_static_whole(response):
    """Turn a static file's stream into bytes (closing the file), so it can be compressed;
    runs before compression, as it is registered after it."""
    if request.endpoint == "static" and response.status_code == 200:
        response.make_sequence()
    return response


def register_extensions(app: Flask) -> None:
    from diaspora import i18n, security
    from diaspora.extensions import (
        compress,
        csrf,
        db,
        limiter,
        login_manager,
        mail,
        migrate,
        register_sqlite_pragmas,
    )
    from diaspora.mail import register_session_hooks
    from diaspora.main.errors import keep_outage_headers

    register_sqlite_pragmas()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    # Registered before the limiter's own after_request, so it runs after it.
    app.after_request(keep_outage_headers)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    security.init_app(app)
    i18n.init_app(app)
    register_session_hooks()
    app.after_request(_deliver_committed_mail)
    if app.config["COMPRESS_RESPONSES"]:
        # Flask-Compress's streaming path leaves the file of a streamed response open, so
        # streams are not compressed; static files are read whole first (they are small).
        app.config.setdefault("COMPRESS_STREAMS", False)
        compress.init_app(app)
        app.after_request(_read_static_whole)

    from diaspora.services.accounts import load_user

    login_manager.user_loader(load_user)


def register_services(app: Flask) -> None:
    """Connect the parts that report to one another, here and nowhere else (importing a module
    registers nothing): the search change log and its after-commit indexing, and the extra
    lines of the notification digests (projects for you, then saved searches)."""
    from diaspora.services import discovery, recommendations
    from diaspora.services.indexing import indexer
    from diaspora.services.notifications import register_digest_source

    indexer.init_app(app)
    register_digest_source(recommendations.digest_lines)
    register_digest_source(discovery.digest_lines)


def _deliver_committed_mail(response):
    """Send the mail committed by this request once its response is complete; what fails
    stays queued for the worker, and nothing about mail ever fails the user's request."""
    from diaspora.mail import deliver_after_response

    try:
        return deliver_after_response(response)
    except Exception:  # the outbox keeps the message; never fail the user's request for it
        logging.getLogger(__name__).exception("mail delivery after commit failed")
    return response


def register_request_limits(app: Flask) -> None:
    """Id and address-length limits; the id converter must exist before any route."""
    from diaspora.main import limits

    limits.init_app(app)


def register_blueprints(app: Flask) -> None:
    from diaspora.applications import bp as applications_bp
    from diaspora.auth import bp as auth_bp
    from diaspora.coordination import bp as coordination_bp
    from diaspora.discovery import bp as discovery_bp
    from diaspora.feeds import bp as feeds_bp
    from diaspora.follow_ups import bp as follow_ups_bp
    from diaspora.institutions import bp as institutions_bp
    from diaspora.invitations import bp as invitations_bp
    from diaspora.main import bp as main_bp
    from diaspora.moderation import bp as moderation_bp
    from diaspora.notifications import bp as notifications_bp
    from diaspora.profiles import bp as profiles_bp
    from diaspora.projects import bp as projects_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(coordination_bp)
    app.register_blueprint(profiles_bp)
    app.register_blueprint(institutions_bp)
    app.register_blueprint(applications_bp)
    app.register_blueprint(projects_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(discovery_bp)
    app.register_blueprint(invitations_bp)
    app.register_blueprint(follow_ups_bp)
    app.register_blueprint(feeds_bp)

    from diaspora import api

    api.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from diaspora.main.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from diaspora.main.helpers import register

    register(app)


def register_commands(app: Flask) -> None:
    from diaspora.cli import register

    register(app)
