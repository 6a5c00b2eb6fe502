"""Public pages: home, about, terms and privacy notice."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from diaspora.main import routes  # noqa: E402,F401
