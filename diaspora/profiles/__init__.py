"""Member profiles: the editor, privacy settings, previews, export and deletion."""

from flask import Blueprint

bp = Blueprint("profiles", __name__)

from diaspora.profiles import routes  # noqa: E402,F401
