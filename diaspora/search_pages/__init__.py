"""Search pages: projects (everyone), experts (institutions and coordinators), saved searches."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from diaspora.search_pages import routes  # noqa: E402,F401
from diaspora.services.notifications import register_digest_source  # noqa: E402
from diaspora.services.search import digest_lines  # noqa: E402

register_digest_source(digest_lines)
