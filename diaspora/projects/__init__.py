"""Projects: the public listing, project pages, and the institutions' own projects."""

from flask import Blueprint

bp = Blueprint("projects", __name__, url_prefix="/projects")

from diaspora.projects import routes  # noqa: E402,F401
