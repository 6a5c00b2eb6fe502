"""The home page, the static information pages and the public impact page."""

import csv
import io
import logging

import sqlalchemy as sa
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from diaspora import charts, i18n
from diaspora.extensions import csrf, db, limiter
from diaspora.main import bp
from diaspora.main.errors import UNAVAILABLE, database_failure, forget_transaction
from diaspora.main.helpers import download_csv, download_json
from diaspora.security import is_safe_next
from diaspora.services import accounts, projects
from diaspora.services import impact as figures
from diaspora.services.indexing import indexer

log = logging.getLogger(__name__)

bp.add_app_template_global(charts.chart, "chart")
bp.add_app_template_filter(charts.format_value, "figure")

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


@bp.route("/")
def index():
    return render_template("main/index.html", newest=projects.newest(3))


@bp.post("/language")
@csrf.exempt
def set_language():
    """The language switcher: remembered in a cookie, and in the account of a signed-in
    person (whose form carries the CSRF token; the switcher works without JavaScript)."""
    code = i18n.supported(request.form.get("language"))
    if code is None:
        abort(400)
    if current_user.is_authenticated:
        if current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()  # what the exemption skipped, for signed-in people only
        accounts.set_language(current_user, code)
        db.session.commit()
    target = request.form.get("next")
    return i18n.remember(redirect(target if is_safe_next(target) else url_for("main.index")), code)


@bp.route("/about")
def about():
    return render_template("main/about.html")


@bp.route("/terms")
def terms():
    return render_template("main/terms.html")


@bp.route("/privacy")
def privacy():
    return render_template("main/privacy.html")


@bp.route("/developers")
def developers():
    """Open data and the API: the feeds, the API reference, keys, sharing with networks."""
    return render_template("main/developers.html")


@bp.route("/impact")
def impact():
    """The public figures as of the last refresh (a cheap read of one row)."""
    try:
        report = figures.in_reader_order(figures.public_figures())
    except figures.NotComputed:
        report = None
    return render_template(
        "main/impact.html",
        report=report,
        licence=LICENCE,
        answering_minimum=figures.ANSWERING_MINIMUM,
    )


@bp.route("/impact/data.csv")
def impact_data_csv():
    """The public figures as one long CSV: a line per cell (table, row, column, value);
    a hidden cell is empty. Rows are named in English (a country by its English name, with
    its code as the cell of column ``country_code``): see :func:`figures.open_data`."""
    report = figures.open_data(figures.public_figures())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["table", "row", "column", "value"])
    for table in report.tables.values():
        # Read back from the table's own CSV, so values are written exactly as there.
        for cells in list(csv.reader(io.StringIO(table.to_csv())))[1:]:
            for column, value in zip(table.columns[1:], cells[1:], strict=True):
                writer.writerow([table.key, cells[0], column.key, value])
    return download_csv(out.getvalue(), _filename(report, "csv"))


@bp.route("/impact/data.json")
def impact_data_json():
    report = figures.open_data(figures.public_figures())
    data = {"licence": LICENCE, "licence_url": LICENCE_URL, **report.to_json()}
    return download_json(data, _filename(report, "json"))


def _filename(report: figures.Report, extension: str) -> str:
    return f"diaspora-impact-{report.generated_at:%Y-%m-%d}.{extension}"


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """What a load balancer or monitor asks: can this process serve pages right now?

    200 while the database answers (``degraded`` if search is down: the site works without
    it), 503 with Retry-After when it does not. Bounded by the database timeouts, never
    cached, never rate limited; it reads no account, so it works with any cookie or none.
    """
    database = _database_health()
    try:
        search = {name: reason or "ok" for name, reason in indexer.health().items()}
    except Exception as exc:  # the health check reports; it never fails itself
        search = {"all": f"search check failed: {type(exc).__name__}"}
    if database != "ok":
        status, code = "unavailable", 503
    elif any(value != "ok" for value in search.values()):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    headers = {"Cache-Control": "no-store"}
    if code == 503:
        headers["Retry-After"] = str(current_app.config.get("DATABASE_RETRY_AFTER", 10))
    body = {"status": status, "database": database, "search": search}
    body["search_lag"] = _search_lag() if database == "ok" else dict.fromkeys(indexer.INDEXES)
    return body, code, headers


def _search_lag() -> dict[str, int | None]:
    """Per index, the changes of the log it has not applied yet (None: it cannot be read): a
    node whose search worker stopped shows a growing number."""
    try:
        return indexer.lag()
    except (sa.exc.DBAPIError, sa.exc.TimeoutError) as exc:
        failure = database_failure(exc)
        forget_transaction(failure[0] if failure else UNAVAILABLE)
        log.warning("search lag not measured: %s", failure[1] if failure else type(exc).__name__)
    except Exception:  # the health check reports; it never fails itself
        log.exception("measuring the search lag failed")
    return dict.fromkeys(indexer.INDEXES)


def _database_health() -> str:
    """``"ok"`` when ``SELECT 1`` answers on a fresh checkout, else the kind of failure."""
    try:
        with db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                timeout_ms = int(current_app.config["DATABASE_CONNECT_TIMEOUT"]) * 1000
                conn.execute(sa.text(f"SET LOCAL statement_timeout = {timeout_ms}"))
            conn.execute(sa.text("SELECT 1"))
    except (sa.exc.DBAPIError, sa.exc.TimeoutError) as exc:
        failure = database_failure(exc)
        return failure[1] if failure else f"{type(exc).__name__}"
    return "ok"


@bp.route("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)
