"""Invitations and recommendations: the experts a project's representatives may invite, the
member's invitations, and the projects that need the member's expertise."""

from flask import Blueprint

bp = Blueprint("invitations", __name__)

from diaspora.invitations import routes  # noqa: E402,F401
