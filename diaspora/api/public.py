"""What anyone may read through the API, without a key: published projects, verified
institutions, the skills taxonomy and the public impact figures."""

from flask_smorest import Blueprint

from diaspora.api import auth

bp = Blueprint(
    "api_public",
    __name__,
    url_prefix="/api/v1",
    description="Published projects, verified institutions, skills and impact: no key needed.",
)
auth.protect(bp)
