"""The coordinators' impact dashboard: every figure of a period, narrowed by country, sector or
institution, each table with its chart where one reads better, each downloadable as CSV, and
the whole report as JSON. The figures are read from the summary rows of the last refresh;
only the "Compute the figures now" button (before the first refresh) writes."""

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_babel import gettext as _

from diaspora.coordination import bp
from diaspora.coordination.forms import ImpactFilterForm
from diaspora.coordination.routes import coordinator_required
from diaspora.extensions import db
from diaspora.forms import EmptyForm
from diaspora.main.helpers import download_csv, download_json
from diaspora.main.unit_of_work import form_action
from diaspora.models import Institution, InstitutionStatus
from diaspora.models.base import utcnow
from diaspora.services import follow_ups
from diaspora.services import impact as figures
from diaspora.services.errors import Invalid, NotFound

# How many "what changed" answers of follow-ups the dashboard quotes.
CHANGES_SHOWN = 10

# Tables that count today (as of the figures) whatever the period: their CSV is named by the
# day, not the period.
TODAY_ONLY = frozenset({"freshness", "coverage_countries", "coverage_sectors"})

# Tables drawn as well as listed (besides every month-by-month table).
CHARTED = frozenset({"funnel", "coverage_countries", "coverage_sectors"})


def charted(table: figures.Table) -> bool:
    """Whether people would rather look at ``table`` than read it: trends over months,
    stages and categories."""
    return table.key in CHARTED or bool(table.columns and table.columns[0].kind == "month")


def is_summary(table: figures.Table) -> bool:
    """A short list of measures (a label and a count each): shown at the top of the page."""
    kinds = [c.kind for c in table.columns]
    return kinds == ["text", "count"] and table.columns[0].key == "measure"


def _filter_form() -> ImpactFilterForm:
    """The filters, offering the verified institutions and the countries the network has
    someone or something in (members' origin, institutions, projects)."""

    institutions = db.session.execute(
        sa.select(Institution.id, Institution.name)
        .where(Institution.status == InstitutionStatus.VERIFIED)
        .order_by(Institution.name)
    ).all()
    return ImpactFilterForm(
        request.args,
        today=utcnow().date(),
        institutions=institutions,
        countries=figures.countries(),
    )


def _filtered_report() -> figures.Report:
    """The report the request's filters ask for; bad filters are refused with the reason."""
    form = _filter_form()
    if not form.validate():
        reasons = [
            _("%(field)s: %(message)s", field=field.label.text, message=message)
            for field in form
            for message in field.errors
        ]
        raise Invalid(" ".join(reasons))
    return figures.dashboard(form.chosen_period, form.filters)


@bp.route("/impact")
@coordinator_required
def impact():
    form = _filter_form()
    if not form.validate():
        return render_template("coordination/impact.html", form=form, report=None), 400
    if figures.computed_at() is None:
        return render_template(
            "coordination/impact.html", form=form, report=None, not_computed=True
        )
    report = figures.dashboard(form.chosen_period, form.filters)
    tables = list(report.tables.values())
    return render_template(
        "coordination/impact.html",
        form=form,
        report=report,
        summary=[t for t in tables if is_summary(t)],
        details=[t for t in tables if not is_summary(t)],
        charted=charted,
        changes=follow_ups.changes(report.period, report.filters, limit=CHANGES_SHOWN),
        query=form.query(),
    )


@bp.route("/impact/<key>.csv")
@coordinator_required
def impact_csv(key):
    report = _filtered_report()
    table = report.tables.get(key)
    if table is None:
        raise NotFound(_("There is no such table on the impact dashboard."))
    if key in TODAY_ONLY:
        name = f"impact-{key}-{report.generated_at:%Y-%m-%d}.csv"
    else:
        name = f"impact-{key}-{report.period.first:%Y-%m}-to-{report.period.last:%Y-%m}.csv"
    return download_csv(table.to_csv(), name)


@bp.route("/impact.json")
@coordinator_required
def impact_json():
    report = _filtered_report()
    name = f"impact-{report.period.first:%Y-%m}-to-{report.period.last:%Y-%m}.json"
    return download_json(report.to_json(), name)


@bp.post("/impact/refresh")
@coordinator_required
def impact_refresh():
    """Compute the figures now (the button shown before the first refresh; the scheduled
    ``flask report refresh`` keeps them current after)."""
    return form_action(
        EmptyForm(),
        figures.refresh,
        done=_("The figures are computed."),
        back=url_for("coordination.impact"),
    )
