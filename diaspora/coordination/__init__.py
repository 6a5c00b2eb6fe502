"""The coordinators' area: accounts, mail delivery health, moderation, the impact dashboard
and the network's freshness."""

from flask import Blueprint

bp = Blueprint("coordination", __name__, url_prefix="/coordination")

from diaspora.coordination import freshness, impact, networks, routes  # noqa: E402,F401
