"""The notification list, email preferences and one-click unsubscribe."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from diaspora.notifications import routes  # noqa: E402,F401
from diaspora.services.notifications import register_digest_source  # noqa: E402
from diaspora.services.recommendations import digest_lines  # noqa: E402

register_digest_source(digest_lines)
