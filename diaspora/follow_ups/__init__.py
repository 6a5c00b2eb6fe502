"""Follow-ups after an engagement: the page a one-click link opens, and a signed-in
person's follow-ups waiting for an answer."""

from flask import Blueprint

bp = Blueprint("follow_ups", __name__, url_prefix="/follow-ups")

from diaspora.follow_ups import routes  # noqa: E402,F401
