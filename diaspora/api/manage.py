"""What an API key's owner may do: an institution's representatives manage its projects
and answer its applications; a coordinator reads the moderation queue. Every endpoint calls
the service functions the site's pages call, with the key's owner as the actor."""

from flask_smorest import Blueprint

from diaspora.api import auth

bp = Blueprint(
    "api_manage",
    __name__,
    url_prefix="/api/v1",
    description="An institution's projects and applications, and the moderation queue: "
    "with an API key.",
)
auth.protect(bp)
