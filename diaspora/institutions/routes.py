"""Views of the institution pages: each validates a form, hands one service call to the
unit of work, flashes and redirects."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.coordination.routes import coordinator_required
from diaspora.extensions import db
from diaspora.forms import EmptyForm
from diaspora.institutions import bp
from diaspora.institutions.forms import DecisionForm, InstitutionForm, InviteForm
from diaspora.main.unit_of_work import form_action, form_refusal, unit_of_work
from diaspora.models import Institution
from diaspora.services import application_stats, institutions, permissions


def _institution(institution_id: int) -> Institution:
    institution = db.get_or_404(Institution, institution_id)
    if not permissions.may_view_institution(current_user, institution):
        abort(404)
    return institution


def _represented(institution_id: int) -> Institution:
    """An institution the current user represents (coordinators too); others get 404/403."""
    institution = _institution(institution_id)
    if not permissions.may_manage_institution(current_user, institution):
        abort(403)
    return institution


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not permissions.is_institution_account(current_user):
        abort(403)
    form = InstitutionForm()
    if form.validate_on_submit():
        with form_refusal():
            institution = unit_of_work(lambda: institutions.register(current_user, form.data))
            flash(_("Registered. A coordinator will verify it; we will email you."), "success")
            return redirect(url_for("institutions.show", institution_id=institution.id))
    return render_template("institutions/form.html", form=form, institution=None)


@bp.route("/mine")
@login_required
def mine():
    if not permissions.is_institution_account(current_user):
        abort(403)
    items = permissions.represented_institutions(current_user)
    return render_template("institutions/mine.html", items=items)


@bp.route("/pending")
@coordinator_required
def pending():
    return render_template(
        "institutions/pending.html",
        items=institutions.pending(),
        changes=institutions.changes_to_review(),
    )


@bp.route("/<int:institution_id>")
def show(institution_id):
    institution = _institution(institution_id)
    return render_template(
        "institutions/show.html",
        institution=institution,
        projects=institutions.published_projects(institution),
        project_endpoints=current_app.view_functions,
        record=application_stats.institution_record(institution),
        can_edit=permissions.may_manage_institution(current_user, institution),
    )


@bp.route("/<int:institution_id>/edit", methods=["GET", "POST"])
@login_required
def edit(institution_id):
    institution = _represented(institution_id)
    form = InstitutionForm(data=institutions.form_values(institution))
    if form.validate_on_submit():
        with form_refusal():
            unit_of_work(lambda: institutions.update(current_user, institution, form.data))
            if institution.has_pending_change:
                flash(
                    _("Saved. The new name or website waits for a coordinator's review."), "success"
                )
            else:
                flash(_("Saved."), "success")
            return redirect(url_for("institutions.show", institution_id=institution.id))
    return render_template("institutions/form.html", form=form, institution=institution)


@bp.route("/<int:institution_id>/representatives")
@login_required
def representatives(institution_id):
    institution = _represented(institution_id)
    return render_template(
        "institutions/representatives.html",
        institution=institution,
        invite_form=InviteForm(),
        invitations=institutions.open_invitations(institution),
    )


@bp.post("/<int:institution_id>/invite")
@login_required
def invite(institution_id):
    institution = _represented(institution_id)
    form = InviteForm()
    return form_action(
        form,
        lambda: institutions.invite(current_user, institution, form.email.data),
        done=_("Invitation sent to %(email)s.", email=form.email.data),
        back=url_for("institutions.representatives", institution_id=institution.id),
        invalid=_("Enter a valid email address."),
    )


@bp.post("/<int:institution_id>/representatives/<int:rep_id>/remove")
@login_required
def remove_representative(institution_id, rep_id):
    institution = _represented(institution_id)
    back = url_for("institutions.representatives", institution_id=institution.id)
    if EmptyForm().validate_on_submit():
        unit_of_work(
            lambda: institutions.remove_representative(current_user, institution, rep_id),
            back=back,
        )
        flash(_("Representative removed."), "success")
    if not permissions.may_manage_institution(current_user, institution):
        return redirect(url_for("institutions.mine"))
    return redirect(back)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def accept_invitation(token):
    invitation = institutions.invitation_for(token)
    if invitation is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        with form_refusal():
            institution = unit_of_work(lambda: institutions.accept_invitation(current_user, token))
            flash(_("You now represent %(name)s.", name=institution.name), "success")
            return redirect(url_for("institutions.show", institution_id=institution.id))
    institution = db.session.get(Institution, invitation.institution_id)
    return render_template(
        "institutions/accept.html", institution=institution, invitation=invitation
    )


@bp.route("/<int:institution_id>/review")
@coordinator_required
def review(institution_id):
    institution = db.get_or_404(Institution, institution_id)
    return render_template("institutions/review.html", institution=institution, form=DecisionForm())


def _decide(institution_id: int, decide, done):
    """A coordinator's decision on an institution or on a change it asks for: ``decide`` is
    called with the institution and the reason given; ``done(name)`` is the message flashed
    after it, given the institution's name."""
    institution = db.get_or_404(Institution, institution_id)
    form = DecisionForm()
    if form.validate_on_submit():
        back = url_for("institutions.review", institution_id=institution.id)
        unit_of_work(lambda: decide(institution, form.reason.data), back=back)
        flash(done(institution.name), "success")
    return redirect(url_for("institutions.pending"))


@bp.post("/<int:institution_id>/verify")
@coordinator_required
def verify(institution_id):
    return _decide(
        institution_id,
        lambda institution, reason: institutions.verify(current_user, institution, reason),
        lambda name: _("%(name)s is verified; its representatives are told.", name=name),
    )


@bp.post("/<int:institution_id>/reject")
@coordinator_required
def reject(institution_id):
    return _decide(
        institution_id,
        lambda institution, reason: institutions.reject(current_user, institution, reason),
        lambda name: _("%(name)s is rejected; its representatives are told why.", name=name),
    )


@bp.post("/<int:institution_id>/change/approve")
@coordinator_required
def approve_change(institution_id):
    return _decide(
        institution_id,
        lambda institution, _reason: institutions.approve_change(current_user, institution),
        lambda name: _(
            "The change is approved: %(name)s; its representatives are told.", name=name
        ),
    )


@bp.post("/<int:institution_id>/change/reject")
@coordinator_required
def reject_change(institution_id):
    return _decide(
        institution_id,
        lambda institution, reason: institutions.reject_change(current_user, institution, reason),
        lambda name: _("The change is refused; the representatives are told why."),
    )
