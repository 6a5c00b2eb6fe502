"""Recommended experts and invitations (representatives), the member's invitations and
recommended projects."""

from flask import abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.extensions import db, limiter
from diaspora.forms import EmptyForm
from diaspora.invitations import bp
from diaspora.invitations.forms import InviteForm
from diaspora.main.unit_of_work import form_action
from diaspora.models import Project
from diaspora.services import invitations, permissions, recommendations


def _represented_project(project_id: int) -> Project:
    """The project, for its institution's active representatives only (404 for an unknown
    id, 403 for anyone else)."""
    project = db.get_or_404(Project, project_id)
    if not permissions.represents(current_user, project.institution_id):
        abort(403)
    return project


@bp.app_template_global()
def projects_for_member(user, limit: int = 3):
    """The open projects that fit the signed-in member, with the reasons (empty for anyone
    else): what the member's pages offer next."""
    if not permissions.is_member(user):
        return []
    return recommendations.recommended_projects(user, limit)


@bp.app_template_global()
def invitations_waiting(user) -> int:
    """How many invitations wait for the signed-in member's answer (0 for anyone else)."""
    return invitations.waiting_count(user) if permissions.is_member(user) else 0


@bp.route("/projects/<int:project_id>/experts")
@login_required
def experts(project_id):
    project = _represented_project(project_id)
    return render_template(
        "invitations/experts.html",
        project=project,
        experts=recommendations.experts_for(current_user, project),
        sent=invitations.sent_for(current_user, project),
        form=InviteForm(formdata=None),
        open_to_invite=project.is_open() and project.institution.is_verified,
    )


@bp.post("/projects/<int:project_id>/experts/<int:member_id>/invite")
@login_required
@limiter.limit("60 per hour")
def invite(project_id, member_id):
    project = _represented_project(project_id)
    form = InviteForm()
    return form_action(
        form,
        lambda: invitations.invite(
            current_user, db.session.get(Project, project.id), member_id, form.message.data
        ),
        done=_("Invitation sent. The member decides whether to apply."),
        back=url_for("invitations.experts", project_id=project.id),
    )


@bp.route("/invitations")
@login_required
def mine():
    if not permissions.is_member(current_user):
        abort(403)
    return render_template(
        "invitations/mine.html",
        received=invitations.received_by(current_user),
        recommended=recommendations.recommended_projects(current_user, without_invitations=True),
        decline_form=EmptyForm(formdata=None),
        taking_invitations=invitations.takes_invitations(current_user),
    )


@bp.post("/invitations/<int:invitation_id>/decline")
@login_required
def decline(invitation_id):
    return form_action(
        EmptyForm(),
        lambda: invitations.decline(current_user, invitation_id),
        done=_("Invitation declined. The institution sees that you declined, never why."),
        back=url_for("invitations.mine"),
    )
