"""Applications to projects: apply, decide, the thread, the team, completion, feedback."""

from flask import Blueprint

bp = Blueprint("applications", __name__)


@bp.record_once
def _grant_applied_clearance(state):
    """Give the reps of institutions a member applied to that audience level (privacy)."""
    from diaspora.services.applications import applied_institution_ids
    from diaspora.services.privacy import register_applied_source

    register_applied_source(applied_institution_ids)


from diaspora.applications import commands, routes  # noqa: E402,F401
