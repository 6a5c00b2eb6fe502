"""The coordinators' area: accounts, mail delivery health, and (later) moderation."""

from flask import Blueprint

bp = Blueprint("coordination", __name__, url_prefix="/coordination")

from diaspora.coordination import freshness, routes  # noqa: E402,F401
