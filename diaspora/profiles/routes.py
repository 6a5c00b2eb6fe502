"""Views of the member's profile: each validates a form, hands one service call to the unit
of work, flashes and redirects."""

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from diaspora import catalog
from diaspora.coordination.routes import coordinator_required
from diaspora.extensions import db
from diaspora.forms import EmptyForm
from diaspora.geo import country_name, language_name
from diaspora.main.helpers import download_json
from diaspora.main.unit_of_work import form_action, form_refusal, unit_of_work
from diaspora.models import FIELD_GROUPS, EngagementMode, Profile, SkillKind, User
from diaspora.profiles import bp
from diaspora.profiles.forms import (
    DeleteAccountForm,
    EducationForm,
    LanguageForm,
    MergeSkillForm,
    PrivacyForm,
    ProfileForm,
    RestrictedViewForm,
    SkillForm,
    SkillLabelForm,
    TravelForm,
    select_choices,
)
from diaspora.security import is_safe_next
from diaspora.services import application_stats, permissions, profiles
from diaspora.services.deletion import delete_account as delete_account_service
from diaspora.services.export import export_user_data
from diaspora.services.privacy import PREVIEWS, ProfileView
from diaspora.skill_names import skill_name
from diaspora.validation import INT_MAX


def member_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not permissions.is_member(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _editor(profile_form=None, status=200, **forms):
    profile = profiles.profile_or_draft(current_user)
    sectors = catalog.sector_names()
    percent, missing = profiles.completeness(profile)
    return render_template(
        "profiles/edit.html",
        next_path=_next_page(),
        profile=profile,
        form=profile_form or ProfileForm(obj=profile, sectors=sectors),
        education_form=forms.get("education_form") or EducationForm(),
        sectors=sectors,
        percent=percent,
        missing=missing,
        SkillKind=SkillKind,
    ), status


def _next_page() -> str | None:
    """Where the member goes after saving the profile (the application form that asked for
    it), when the address names a page on this site; else None."""
    target = request.args.get("next")
    return target if is_safe_next(target) else None


@bp.route("/profile")
@member_required
def edit():
    return _editor()


@bp.post("/profile")
@member_required
def save():
    form = ProfileForm(sectors=catalog.sector_names())
    if form.validate_on_submit():
        with form_refusal():
            unit_of_work(lambda: profiles.update_profile(current_user, form.data))
            flash(_("Your profile is saved."), "success")
            return redirect(_next_page() or url_for("profiles.edit"))
    return _editor(form, 400)


def _section_action(form, action, success: str, anchor: str):
    """Run one service call for a section form, then return to that section of the editor."""
    return form_action(form, action, done=success, back=url_for("profiles.edit", _anchor=anchor))


def _remove(action, back: str, done: str | None = None):
    """Run a removal pressed on one row of a list (404 when the row is not the member's)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    unit_of_work(action, back=back)
    flash(done or _("Removed."), "success")
    return redirect(back)


@bp.route("/profile/languages", methods=["GET", "POST"])
@member_required
def languages():
    """The languages the member speaks, each with its remove button, and the form to add one
    (a page of its own: the choice of some 180 languages would weigh down the editor)."""
    form = LanguageForm()
    if form.validate_on_submit():
        with form_refusal(form.code):
            unit_of_work(
                lambda: profiles.add_language(current_user, form.code.data, form.proficiency.data)
            )
            flash(_("Language saved."), "success")
            return redirect(url_for("profiles.languages"))
    profile = profiles.profile_or_draft(current_user)
    status = 400 if form.errors else 200
    return render_template("profiles/languages.html", profile=profile, form=form), status


@bp.post("/profile/languages/<int:language_id>/delete")
@member_required
def remove_language(language_id):
    return _remove(
        lambda: profiles.remove_language(current_user, language_id),
        url_for("profiles.languages"),
        _("Language removed."),
    )


@bp.route("/profile/skills", methods=["GET", "POST"])
@member_required
def skills():
    """The member's skills, each with its remove button, and the form to add one with the
    curated skills to pick from (a page of its own: the list would weigh down the editor)."""
    form = SkillForm()
    if form.validate_on_submit():
        with form_refusal(form.name):
            unit_of_work(lambda: profiles.add_skill(current_user, form.name.data, form.kind.data))
            flash(_("Skill added."), "success")
            return redirect(url_for("profiles.skills"))
    profile = profiles.profile_or_draft(current_user)
    status = 400 if form.errors else 200
    return render_template(
        "profiles/skills.html",
        profile=profile,
        form=form,
        curated=profiles.curated_skills(),
        SkillKind=SkillKind,
    ), status


@bp.post("/profile/skills/<int:skill_id>/<kind>/delete")
@member_required
def remove_skill(skill_id, kind):
    return _remove(
        lambda: profiles.remove_skill(current_user, skill_id, kind),
        url_for("profiles.skills"),
        _("Skill removed."),
    )


@bp.post("/profile/education")
@member_required
def add_education():
    form = EducationForm()
    return _section_action(
        form,
        lambda: profiles.add_education(
            current_user, form.degree.data, form.field.data, form.institution.data, form.year.data
        ),
        _("Education added."),
        "education",
    )


@bp.post("/profile/education/<int:entry_id>/delete")
@member_required
def remove_education(entry_id):
    return _remove(
        lambda: profiles.remove_education(current_user, entry_id),
        url_for("profiles.edit", _anchor="education"),
    )


@bp.post("/profile/confirm")
@member_required
def confirm():
    return form_action(
        EmptyForm(),
        lambda: profiles.confirm_up_to_date(current_user),
        done=_("Thank you: your profile is marked as up to date."),
        back=url_for("profiles.edit"),
    )


@bp.route("/profile/travel", methods=["GET", "POST"])
@member_required
def travel():
    profile = profiles.profile_or_draft(current_user)
    form = TravelForm()
    if form.validate_on_submit():
        with form_refusal(form.end):
            unit_of_work(
                lambda: profiles.add_travel_window(
                    current_user, form.country.data, form.start.data, form.end.data
                )
            )
            flash(_("Travel window added."), "success")
            return redirect(url_for("profiles.travel"))
    return render_template("profiles/travel.html", profile=profile, form=form)


@bp.post("/profile/travel/<int:window_id>/delete")
@member_required
def remove_travel(window_id):
    return _remove(
        lambda: profiles.remove_travel_window(current_user, window_id),
        url_for("profiles.travel"),
        _("Travel window removed."),
    )


@bp.route("/profile/privacy", methods=["GET", "POST"])
@member_required
def privacy():
    profile = profiles.profile_or_draft(current_user)
    form = PrivacyForm.of(profile)
    if form.validate_on_submit():
        with form_refusal():
            unit_of_work(
                lambda: profiles.set_privacy(
                    current_user,
                    form.audiences(),
                    form.listed.data,
                    form.public.data,
                    form.invitations_open.data,
                )
            )
            flash(_("Your privacy settings are saved."), "success")
            return redirect(url_for("profiles.privacy"))
    return render_template("profiles/privacy.html", profile=profile, form=form, groups=FIELD_GROUPS)


@bp.post("/profile/hide")
@member_required
def hide():
    if EmptyForm().validate_on_submit():
        hidden = request.form.get("hidden") == "1"
        unit_of_work(lambda: profiles.set_hidden(current_user, hidden))
        if hidden:
            flash(_("You are hidden everywhere."), "success")
        else:
            flash(_("You are visible again, as you chose."), "success")
    return redirect(url_for("profiles.privacy"))


@bp.route("/profile/preview")
@member_required
def preview():
    kind = request.args.get("as", "public")
    if kind not in PREVIEWS:
        abort(404)
    view = ProfileView.preview(profiles.profile_or_draft(current_user), kind)
    return render_template("profiles/preview.html", view=view, kind=kind, previews=PREVIEWS)


@bp.route("/profile/export")
@login_required
def export():
    return download_json(export_user_data(current_user), "my-diaspora-data.json")


@bp.route("/profile/access-log")
@member_required
def access_log():
    return render_template(
        "profiles/access_log.html",
        entries=profiles.access_log(current_user),
        access_labels=profiles.ACCESS_LOG_LABELS,
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        with form_refusal(form.password):
            unit_of_work(lambda: delete_account_service(current_user, form.password.data))
            logout_user()
            flash(_("Your account and everything in it are deleted. Goodbye."), "success")
            return redirect(url_for("main.index"))
    return render_template("profiles/delete.html", form=form), 400 if form.errors else 200


def _member_profile(user_id: int) -> Profile:
    profile = profiles.profile_of(db.session.get(User, user_id))
    if profile is None:
        abort(404)
    return profile


def _record_coordinator_view(profile: Profile, action: str = profiles.COORDINATOR_VIEW) -> None:
    """Record a coordinator's look at a member's page, on the GET that shows it: the member
    sees it in their access log. The one write a GET makes (a member's own look, or anyone
    else's, records nothing)."""
    if current_user.is_authenticated:
        unit_of_work(lambda: profiles.record_coordinator_view(current_user, profile, action))


@bp.route("/members/<int:user_id>")
def show(user_id):
    view = ProfileView.for_viewer(_member_profile(user_id), current_user)
    if not view.visible:
        abort(404)
    _record_coordinator_view(view.profile)
    return render_template(
        "profiles/show.html",
        view=view,
        restricted=False,
        completed=application_stats.completed_for_member(user_id),
    )


@bp.route("/members/<int:user_id>/restricted", methods=["GET", "POST"])
@coordinator_required
def restricted(user_id):
    profile = _member_profile(user_id)
    form = RestrictedViewForm()
    if form.validate_on_submit():
        with form_refusal(form.reason):
            unit_of_work(
                lambda: profiles.record_restricted_view(current_user, profile, form.reason.data)
            )
            view = ProfileView.for_viewer(profile, current_user, restricted=True)
            return render_template("profiles/show.html", view=view, restricted=True)
    elif request.method == "GET":
        _record_coordinator_view(profile, profiles.RESTRICTED_FORM)
    return render_template("profiles/restricted.html", reference=profile.user_id, form=form)


@bp.route("/skills/free", methods=["GET", "POST"])
@coordinator_required
def free_skills():
    form = MergeSkillForm()
    form.free_id.choices = select_choices((s.id, s.name) for s in profiles.free_skills())
    curated = profiles.curated_skills()
    form.curated_id.choices = select_choices((s.id, skill_name(s)) for s in curated)
    if form.validate_on_submit():
        with form_refusal():
            result = unit_of_work(
                lambda: profiles.merge_skill(current_user, form.free_id.data, form.curated_id.data)
            )
            moved = ngettext(
                "Merged: %(num)d profile moved over.",
                "Merged: %(num)d profiles moved over.",
                result.profiles_moved,
            )
            if result.label:
                moved = _(
                    "%(merged)s Search now reads “%(label)s” as this skill.",
                    merged=moved,
                    label=result.label,
                )
            flash(moved, "success")
            return redirect(url_for("profiles.free_skills"))
    return render_template("profiles/free_skills.html", form=form, skills=profiles.free_skills())


@bp.route("/skills/labels", methods=["GET", "POST"])
@coordinator_required
def skill_labels():
    """The curated skills with their other names; coordinators add and remove names."""
    skills = profiles.skill_labels()
    form = SkillLabelForm()
    form.skill_id.choices = select_choices((s.id, skill_name(s)) for s in skills)
    if request.method == "GET" and request.args.get("skill", "").isdigit():
        form.skill_id.data = int(request.args["skill"])
    if form.validate_on_submit():
        with form_refusal(form.label):
            entry = unit_of_work(
                lambda: profiles.add_skill_label(current_user, form.skill_id.data, form.label.data)
            )
            flash(
                _(
                    "Search now reads “%(label)s” as %(skill)s.",
                    label=entry.label,
                    skill=skill_name(entry.skill),
                ),
                "success",
            )
            return redirect(url_for("profiles.skill_labels", _anchor=f"skill-{entry.skill_id}"))
    # The names in the site's other languages (skill_names.csv, loaded as labels with the
    # source "translation") come from the file and are not edited here.
    named = [
        (skill, [entry for entry in skill.labels if entry.source != "translation"])
        for skill in skills
    ]
    return render_template(
        "profiles/skill_labels.html",
        form=form,
        named=[(skill, labels) for skill, labels in named if labels],
        remove_form=EmptyForm(),
    )


@bp.route("/skills/labels/remove", methods=["POST"])
@coordinator_required
def remove_skill_label():
    """Remove the label whose button was pressed (one form holds every label's button)."""
    form = EmptyForm()
    raw = request.form.get("label_id", "")
    if not form.validate_on_submit() or not raw.isdigit() or int(raw) > INT_MAX:
        abort(400)

    def remove():
        entry = profiles.remove_skill_label(current_user, int(raw))
        return entry.skill_id, entry.label, skill_name(entry.skill)  # gone from the database after

    skill_id, label, name = unit_of_work(remove)
    flash(_("“%(label)s” is no longer read as %(skill)s.", label=label, skill=name), "success")
    return redirect(url_for("profiles.skill_labels", _anchor=f"skill-{skill_id}"))


@bp.app_template_filter("country_name")
def country_name_filter(code):
    return country_name(code)


@bp.app_template_filter("language_name")
def language_name_filter(code):
    return language_name(code)


@bp.app_context_processor
def profile_helpers():
    return {
        "skill_kinds": SkillKind,
        "sector_names": catalog.sector_names(),
        "engagement_labels": {m.value: m.label for m in EngagementMode},
    }
