"""Search pages: projects (everyone), experts (institutions and coordinators), saved searches."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from diaspora.search_pages import routes  # noqa: E402,F401
