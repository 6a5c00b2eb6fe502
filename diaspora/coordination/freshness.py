"""Coordinators' page on network freshness: stale profiles and listings, what reminders
achieved, and one-click reminders that keep the daily jobs' pace."""

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from diaspora.coordination import bp
from diaspora.coordination.routes import coordinator_required
from diaspora.forms import EmptyForm
from diaspora.main.limits import paginate
from diaspora.main.unit_of_work import form_action
from diaspora.models.base import utcnow
from diaspora.services import freshness

PER_PAGE = 25
NOBODY_DUE = _l("Nobody was due a reminder: each was reminded in the last 60 days.")
NO_LISTING_DUE = _l("No listing was due a reminder: each was asked about in the last 30 days.")


@bp.route("/freshness")
@coordinator_required
def freshness_page():
    now = utcnow()
    figures = freshness.tables(now)[0]
    stale = freshness.counts(figures, "stale")
    return render_template(
        "coordination/freshness.html",
        figures=figures,
        profiles=paginate(
            freshness.stale_profiles(now), PER_PAGE, "profiles_page", stale["profiles"]
        ),
        listings=paginate(
            freshness.stale_listings(now), PER_PAGE, "listings_page", stale["listings"]
        ),
        due=freshness.counts(figures, "due"),
        freshness=freshness,
        now=now,
    )


def _back() -> str:
    return url_for("coordination.freshness_page")


@bp.post("/freshness/profiles/<int:profile_id>/remind")
@coordinator_required
def remind_profile(profile_id):
    return form_action(
        EmptyForm(),
        lambda: freshness.remind_profile(current_user, profile_id),
        done=lambda profile: _(
            "%(name)s is reminded to confirm their profile.", name=profile.display_name
        ),
        back=_back(),
    )


@bp.post("/freshness/profiles/remind-all")
@coordinator_required
def remind_all_profiles():
    return form_action(
        EmptyForm(),
        lambda: freshness.remind_all_profiles(current_user),
        done=lambda count: (
            ngettext(
                "%(num)d member reminded to confirm their profile.",
                "%(num)d members reminded to confirm their profile.",
                count,
            )
            if count
            else (str(NOBODY_DUE), "info")
        ),
        back=_back(),
    )


@bp.post("/freshness/listings/<int:project_id>/remind")
@coordinator_required
def remind_listing(project_id):
    return form_action(
        EmptyForm(),
        lambda: freshness.remind_listing(current_user, project_id),
        done=lambda project: _(
            "The institution is asked whether “%(title)s” is current.", title=project.title
        ),
        back=_back(),
    )


@bp.post("/freshness/listings/remind-all")
@coordinator_required
def remind_all_listings():
    return form_action(
        EmptyForm(),
        lambda: freshness.remind_all_listings(current_user),
        done=lambda count: (
            ngettext(
                "Institutions asked about %(num)d listing.",
                "Institutions asked about %(num)d listings.",
                count,
            )
            if count
            else (str(NO_LISTING_DUE), "info")
        ),
        back=_back(),
    )
