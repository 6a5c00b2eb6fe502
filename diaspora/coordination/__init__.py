"""The coordinators' area: accounts, mail delivery health, moderation and the impact dashboard."""

from flask import Blueprint

bp = Blueprint("coordination", __name__, url_prefix="/coordination")

from diaspora.coordination import impact, routes  # noqa: E402,F401
