"""Institutions: registration, public pages, representatives and coordinators' verification."""

from flask import Blueprint

bp = Blueprint("institutions", __name__, url_prefix="/institutions")

from diaspora.institutions import routes  # noqa: E402,F401
