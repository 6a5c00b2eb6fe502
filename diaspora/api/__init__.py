"""The JSON API under ``/api/v1/``, described by the OpenAPI document at
``/api/v1/openapi.json``.

Endpoints are flask-smorest blueprints: their marshmallow schemas validate what comes in and
shape what goes out, and the same schemas write the OpenAPI document, so it cannot drift from
the code. ``public`` serves what anyone may read; ``manage`` what an API key's owner may do
through the same services as the site's pages. Authentication is by API key only (never the
site's session cookie, so the API needs no CSRF token); see :mod:`.auth`. Errors are problem
details (:mod:`.problems`).
"""

from flask import Flask
from flask_smorest import Api as SmorestApi

from diaspora.api.problems import PROBLEM_JSON, ProblemSchema

VERSION = "1"
PREFIX = "/api/v1"
#: The security scheme of endpoints that need a key: ``@bp.doc(security=KEY_NEEDED)``.
SECURITY_SCHEME = "apiKey"
KEY_NEEDED = [{SECURITY_SCHEME: []}]


class Api(SmorestApi):
    """flask-smorest's Api, with problem details as the documented error body. Errors are
    answered by the app's own handlers (they know the API's paths), not by flask-smorest's,
    which would take over every page's errors."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        """The error responses flask-smorest documents, with the type they are sent with."""
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_JSON
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE


def init_app(app: Flask) -> Api:
    """Serve the API and its document on ``app`` (one Api object per app: flask-smorest's
    keeps the app's spec)."""
    from diaspora import security
    from diaspora.api import auth, manage, problems, public, reference
    from diaspora.extensions import csrf

    app.config.setdefault("API_TITLE", "Diaspora API")
    app.config.setdefault("API_VERSION", VERSION)
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app)
    api.spec.components.security_scheme(
        SECURITY_SCHEME,
        {"type": "http", "scheme": "bearer", "description": "An API key from your account."},
    )
    auth.init_app(app)
    security.without_session(app, problems.API_PREFIX)
    for blueprint in (public.bp, manage.bp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.extensions[reference.API_EXTENSION] = api
    app.register_blueprint(reference.bp)
    return api
