"""The open-data feeds of published projects: /feeds/projects.atom and /feeds/projects.json."""

from flask import Blueprint

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

from diaspora.feeds import routes  # noqa: E402,F401
