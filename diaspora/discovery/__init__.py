"""Discovery pages: project search (everyone), expert search (institutions and coordinators),
saved searches. The URLs stay /search, /experts and /search/saved."""

from flask import Blueprint

bp = Blueprint("discovery", __name__)

from diaspora.discovery import routes  # noqa: E402,F401
