"""Coordinators' page of followed networks: which other Diaspora networks' projects this
one shows, how their last read went, and following, refreshing and dropping one."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from diaspora.coordination import bp
from diaspora.coordination.forms import FollowNetworkForm
from diaspora.coordination.routes import coordinator_required
from diaspora.forms import EmptyForm
from diaspora.main.unit_of_work import form_action, form_refusal, unit_of_work
from diaspora.services import federation


def _page(form: FollowNetworkForm):
    return render_template(
        "coordination/networks.html",
        networks=federation.networks(),
        counts=federation.project_counts(),
        form=form,
        problem_text=federation.problem_text,
    )


@bp.route("/networks")
@coordinator_required
def networks():
    return _page(FollowNetworkForm())


@bp.post("/networks")
@coordinator_required
def follow_network():
    """Follow the feed, then read it at once (two transactions: the first read may fail
    and the network stays followed)."""
    form = FollowNetworkForm()
    if form.validate_on_submit():
        with form_refusal(form.url):
            network = unit_of_work(lambda: federation.follow(current_user, form.url.data))
            result = unit_of_work(lambda: federation.refresh(federation.get(network.id)))
            said = _refresh_message(result)
            message, category = said if isinstance(said, tuple) else (said, "success")
            flash(message, category)
            return redirect(url_for("coordination.networks"))
    return _page(form), 400


@bp.post("/networks/<int:network_id>/refresh")
@coordinator_required
def refresh_network(network_id):
    return form_action(
        EmptyForm(),
        lambda: federation.refresh(federation.get(network_id)),
        done=_refresh_message,
        back=url_for("coordination.networks"),
    )


def _refresh_message(result: federation.Refreshed):
    if result.problem:
        return (
            _(
                "%(name)s could not be read: %(problem)s",
                name=result.network.label,
                problem=federation.problem_text(result.network),
            ),
            "error",
        )
    if result.unchanged:
        return _("%(name)s has not changed since its last read.", name=result.network.label), "info"
    return ngettext(
        "%(name)s was read: %(num)d project is shown from it.",
        "%(name)s was read: %(num)d projects are shown from it.",
        result.network.item_count,
        name=result.network.label,
    )


@bp.route("/networks/<int:network_id>/unfollow", methods=["GET", "POST"])
@coordinator_required
def unfollow_network(network_id):
    """GET asks to confirm, saying how many projects go; POST stops following."""
    if request.method == "GET":
        network = federation.get(network_id)
        return render_template(
            "coordination/network_unfollow.html",
            network=network,
            count=federation.project_counts().get(network.id, 0),
            form=EmptyForm(),
        )
    return form_action(
        EmptyForm(),
        lambda: federation.unfollow(current_user, network_id),
        done=lambda removed: ngettext(
            "The network is no longer followed; %(num)d project was removed from search.",
            "The network is no longer followed; %(num)d projects were removed from search.",
            removed,
        ),
        back=url_for("coordination.networks"),
    )
