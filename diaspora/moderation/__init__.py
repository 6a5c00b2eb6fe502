"""Moderation by coordinators: the queue, project reviews, reports and the audit log."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/coordination")

from diaspora.moderation import routes  # noqa: E402,F401
