"""The notification list, email preferences and one-click unsubscribe."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from diaspora.notifications import routes  # noqa: E402,F401
