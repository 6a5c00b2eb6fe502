"""Applications to projects: apply, decide, the thread, the team, completion, feedback."""

from flask import Blueprint

bp = Blueprint("applications", __name__)

from diaspora.applications import commands, routes  # noqa: E402,F401
