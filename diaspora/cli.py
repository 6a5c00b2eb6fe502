"""``flask`` commands: users, demo data, mail delivery, reports."""

import functools
import json

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from diaspora import workers
from diaspora.extensions import db
from diaspora.models import Role, User
from diaspora.services import accounts
from diaspora.services.errors import ServiceError

users_cli = AppGroup("users", help="Manage accounts.")
mail_cli = AppGroup("mail", help="Deliver queued mail.")
demo_cli = AppGroup("demo", help="Demonstration data.")
skills_cli = AppGroup("skills", help="The skills taxonomy.")
projects_cli = AppGroup("projects", help="Keep project listings current.")
notify_cli = AppGroup("notify", help="Notification digests.")
search_cli = AppGroup("search", help="The search indexes.")
engagements_cli = AppGroup("engagements", help="What engagements leave behind.")
report_cli = AppGroup("report", help="Figures for scripts: what the network achieves.")
profiles_cli = AppGroup("profiles", help="Keep member profiles current.")
networks_cli = AppGroup("networks", help="Other Diaspora networks whose projects this one shows.")
SEARCH_INDEXES = ("projects", "experts", "shared")


def with_site_url(command):
    """Run ``command`` as if it answered a request to ``SITE_URL``.

    A command has no request, and outside one Flask builds links only from SERVER_NAME,
    which would also restrict routing if set for the whole app. Inside a request made up
    for the public address, every ``url_for(..., _external=True)`` in the mail the command
    sends points at the site, on a fresh install too.
    """

    @functools.wraps(command)
    def run(*args, **kwargs):
        app = current_app._get_current_object()
        with app.test_request_context(base_url=app.config["SITE_URL"]):
            return command(*args, **kwargs)

    return run


@users_cli.command("create")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(role, email, name, password):
    """Create a confirmed account (coordinators and administrators)."""
    try:
        user = accounts.create_user(name, email, password, Role(role))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@users_cli.command("list")
@click.option("--role", type=click.Choice([r.value for r in Role]))
def list_users(role):
    """List accounts: id, role, status, email, name."""
    query = sa.select(User).order_by(User.id)
    if role:
        query = query.where(User.role == Role(role))
    for user in db.session.scalars(query):
        status = (
            "suspended" if user.suspended_at else ("active" if user.is_confirmed else "unconfirmed")
        )
        click.echo(f"{user.id:>5}  {user.role.value:<12} {status:<11} {user.email}  {user.name}")


@mail_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep running as a worker process.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
@click.option("--max-passes", default=0, hidden=True)
def deliver(loop, interval, max_passes):
    """Deliver every queued message that is due (retries with backoff).

    On SIGTERM or SIGINT the message in hand is finished and recorded, the rest stay queued,
    and the command exits cleanly. With --loop, a database outage is waited out.
    """
    from diaspora.mail import deliver_due

    stop = workers.Stop()

    def deliver_pass():
        sent = deliver_due(should_stop=stop.is_set)
        if sent or not loop:
            click.echo(f"Delivered {sent} message(s).")

    if loop:
        click.echo(f"Mail worker: delivering queued mail every {interval:g} s.")
    with workers.stop_on_signals(stop):
        workers.run_passes(
            deliver_pass,
            worker="mail worker",
            stop=stop,
            loop=loop,
            interval=interval,
            max_passes=max_passes,
        )
    if stop.is_set():
        click.echo(f"Stopped on {stop.signal_name}; undelivered mail stays queued.")


@mail_cli.command("status")
def mail_status():
    """Messages per state, and whether mail is going out (what coordinators are shown)."""
    from diaspora.mail import outage_notice, status_counts

    counts = status_counts()
    click.echo(", ".join(f"{status.value}: {count}" for status, count in counts.items()))
    notice = outage_notice()
    click.echo(notice.text if notice else "Mail is going out: no queued message has failed.")


@demo_cli.command("load")
@with_site_url
def load_demo():
    """Create demonstration accounts and data (safe to run again)."""
    from diaspora.demo import load

    for line in load():
        click.echo(line)


@notify_cli.command("deadlines")
@with_site_url
def remind_deadlines():
    """Remind people of saved projects whose deadline is within three days. Safe to rerun."""
    from diaspora.jobs import tasks

    click.echo(tasks.remind_deadlines())


@skills_cli.command("load")
def load_skills():
    """Load the curated skills and their other names from diaspora/data (safe to run again)."""
    from diaspora.services.profiles import load_skills_taxonomy

    loaded = load_skills_taxonomy()
    db.session.commit()
    click.echo(
        f"Skills loaded: {loaded.created} new, {loaded.updated} updated, "
        f"{loaded.labels} new label(s), {loaded.translations} new translated name(s)."
    )


@projects_cli.command("close-expired")
@with_site_url
def close_expired():
    """Close published projects whose application deadline has passed (safe to repeat)."""
    from diaspora.jobs import tasks

    click.echo(tasks.close_expired_projects())


@projects_cli.command("remind-stale")
@with_site_url
def remind_stale():
    """Ask institutions to confirm projects open for over 60 days (once per 30 days each)."""
    from diaspora.jobs import tasks

    click.echo(tasks.remind_stale_projects())


@profiles_cli.command("remind-stale")
@with_site_url
def remind_stale_profiles():
    """Ask members to confirm listed or public profiles untouched for six months (once per
    60 days each; safe to repeat)."""
    from diaspora.jobs import tasks

    click.echo(tasks.remind_stale_profiles())


@notify_cli.command("digests")
@with_site_url
def send_digests():
    """Queue every daily (and, on Mondays, weekly) digest that is due. Safe to run again."""
    from diaspora.jobs import tasks

    click.echo(tasks.send_digests())


@search_cli.command("rebuild")
@click.option(
    "--index",
    "which",
    type=click.Choice([*SEARCH_INDEXES, "all"]),
    default="all",
    show_default=True,
)
def search_rebuild(which):
    """Rebuild indexes from the database into a new directory, swapped in when complete."""
    from diaspora.search import SearchUnavailable
    from diaspora.services.indexing import indexer

    for name in SEARCH_INDEXES if which == "all" else (which,):
        total = indexer.expected_count(name)
        with click.progressbar(length=total, label=f"Indexing {name}") as bar:
            done = {"n": 0}

            def progress(count, _total, bar=bar, done=done):
                bar.update(count - done["n"])
                done["n"] = count

            try:
                count = indexer.rebuild(name, progress=progress)
            except SearchUnavailable as exc:
                raise click.ClickException(f"{name}: {exc}") from exc
        click.echo(f"{name}: {count} document(s) indexed.")
    try:
        indexer.apply_pending()
    except SearchUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    indexer.record_marks(force=True)
    db.session.commit()


@search_cli.command("apply")
@click.option("--loop", is_flag=True, help="Keep running as this node's search worker.")
@click.option("--interval", default=0.2, show_default=True, help="Seconds between passes.")
@click.option("--max-passes", default=0, hidden=True)
def search_apply(loop, interval, max_passes):
    """Apply pending search changes once, or, with --loop, as this node's search worker:
    build any missing index from the database, then apply the change log as it grows.
    SIGTERM or SIGINT: the Whoosh commit in hand is finished and the worker exits cleanly."""
    from diaspora.search import SearchUnavailable
    from diaspora.services.indexing import indexer
    from diaspora.services.indexing.worker import SearchWorker

    if not loop:
        try:
            count = indexer.apply_pending()
        except SearchUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
        indexer.record_marks(force=True)
        db.session.commit()
        click.echo(f"Refreshed {count} search document(s).")
        return
    stop = workers.Stop()
    worker = SearchWorker(say=click.echo, should_stop=stop.is_set)
    click.echo(
        f"Search worker: indexes in {current_app.config['SEARCH_INDEX_DIR']}, "
        f"checking for changes every {interval:g} s."
    )
    with workers.stop_on_signals(stop):
        workers.run_passes(
            worker.run_pass,
            worker="search worker",
            stop=stop,
            loop=True,
            interval=interval,
            max_passes=max_passes,
        )
    if stop.is_set():
        click.echo(f"Stopped on {stop.signal_name}; the indexes are consistent.")


@search_cli.command("status")
def search_status():
    """Documents per index, rows that should be indexed, pending and last applied changes;
    then how far the change log is pruned, and each node's marks (the change id each of its
    indexes has applied through) and when it last recorded them."""
    from diaspora.services.indexing import indexer

    for entry in indexer.status():
        if entry["damaged"]:
            click.echo(f"{entry['index']}: DAMAGED ({entry['damaged']})")
            click.echo(
                "  searches answer 'temporarily unavailable' and changes stay queued; "
                "repair with `flask --app wsgi search rebuild`"
            )
        elif entry["error"]:
            click.echo(f"{entry['index']}: UNAVAILABLE ({entry['error']})")
        else:
            click.echo(
                f"{entry['index']}: {entry['documents']} document(s) in the index, "
                f"{entry['expected']} in the database"
            )
        click.echo(
            f"  pending changes: {entry['pending']}, last applied change: {entry['last_applied']}"
        )
    pruned = indexer.pruned_through()
    click.echo(
        "change log pruned through: "
        + ", ".join(f"{name} {pruned.get(name, 0)}" for name in SEARCH_INDEXES)
    )
    known = indexer.nodes()
    click.echo(f"nodes: {len(known)}" + ("" if known else " (no search worker has run yet)"))
    for node in known:
        here = " (this node)" if node["here"] else ""
        marks = ", ".join(f"{name} {mark}" for name, mark in node["marks"].items())
        click.echo(f"  {node['node']}{here}: seen {node['seen_at']:%Y-%m-%d %H:%M} UTC; {marks}")


@search_cli.command("prune")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=0))
def search_prune(days):
    """Delete change-log rows older than N days that every node seen within N days has
    applied; nodes not seen for N days are forgotten (they rebuild when they return)."""
    from diaspora.jobs import tasks

    click.echo(tasks.prune_search_changes(days))


@engagements_cli.command("follow-up")
@with_site_url
def follow_up():
    """Ask both sides of confirmed engagements the follow-up due 3, 6 or 12 months after
    completion (daily; safe to run twice, or in two processes at once)."""
    from diaspora.jobs import tasks

    click.echo(tasks.send_follow_ups())


def _period(ctx, param, value):
    from diaspora.models.base import utcnow
    from diaspora.services.impact import Period

    if value is None:
        return Period.last_twelve_months(utcnow().date())
    try:
        return Period.parse(value)
    except ServiceError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from exc


def _country(ctx, param, value):
    from diaspora.geo import is_country

    value = (value or "").strip().upper()
    if value and not is_country(value):
        raise click.BadParameter(
            f"{value!r} is not a country code (ISO 3166 alpha-2, such as GH).",
            ctx=ctx,
            param=param,
        )
    return value


def _sector(ctx, param, value):
    from diaspora import catalog

    value = (value or "").strip()
    if value and value not in catalog.sectors():
        known = ", ".join(catalog.sectors())
        raise click.BadParameter(
            f"{value!r} is not a sector: one of {known}.", ctx=ctx, param=param
        )
    return value


def _institution(ctx, param, value):
    from diaspora.models import Institution

    if value is not None and db.session.get(Institution, value) is None:
        raise click.BadParameter(f"there is no institution {value}.", ctx=ctx, param=param)
    return value


def _print_report(report, output_format):
    if output_format == "json":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    blocks = [f"# {key}: {table.title}\n{table.to_csv()}" for key, table in report.tables.items()]
    click.echo("\n".join(blocks), nl=False)


FORMAT_OPTION = click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
)


@report_cli.command("impact")
@click.option(
    "--period",
    callback=_period,
    help="Whole months, YYYY-MM:YYYY-MM (default: the last 12 months).",
)
@FORMAT_OPTION
@click.option("--country", callback=_country, help="Country served (ISO code, such as GH).")
@click.option("--sector", callback=_sector, help="Sector key, such as health.")
@click.option("--institution", type=int, callback=_institution, help="Institution number.")
def report_impact(period, output_format, country, sector, institution):
    """Print every figure of the coordinators' impact dashboard, as CSV (each table headed by
    a "# key: title" line) or JSON, as of the last ``flask report refresh``. Figures are not
    suppressed: keep them among coordinators."""
    from diaspora.services.impact import Filters, dashboard

    filters = Filters(country=country, sector=sector, institution_id=institution)
    try:
        report = dashboard(period, filters)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_report(report, output_format)


@report_cli.command("public")
@FORMAT_OPTION
def report_public(output_format):
    """Print the public impact figures (the open-data download), small groups hidden, as of
    the last ``flask report refresh``."""
    from diaspora.services.impact import open_data, public_figures

    try:
        report = open_data(public_figures())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_report(report, output_format)


@report_cli.command("refresh")
def report_refresh():
    """Recompute the impact figures from the whole network (every 10 minutes: the dashboard,
    the public page and the reports read what this computed; two at once run one after
    the other)."""
    from diaspora.jobs import tasks

    click.echo(tasks.refresh_report())


def _network_line(network, count: int) -> str:
    """One network as ``networks list`` prints it; its problem in the words the
    coordinators' page uses, in English."""
    from diaspora.services import federation

    read = f"{network.fetched_at:%Y-%m-%d %H:%M} UTC" if network.fetched_at else "never"
    with force_locale("en"):
        said = federation.problem_text(network)
    problem = f"; problem: {said}" if said else ""
    return (
        f"{network.id}\t{network.label}\t{network.feed_url}\t"
        f"{count} project(s), read {read}{problem}"
    )


@networks_cli.command("refresh")
def networks_refresh():
    """Read every followed network's feed and update its projects (every hour; safe to
    repeat; a feed that is down is reported and the others are still read)."""
    from diaspora.jobs import tasks

    lines = tasks.refresh_networks()
    if lines:
        click.echo(lines)


@networks_cli.command("list")
def networks_list():
    """List the followed networks: id, name, feed, projects, last read, last problem."""
    from diaspora.services import federation

    counts = federation.project_counts()
    for network in federation.networks():
        click.echo(_network_line(network, counts.get(network.id, 0)))


@networks_cli.command("follow")
@click.argument("url")
def networks_follow(url):
    """Follow another network's project feed: its address, or its /feeds/projects.json
    address (an Atom feed's address is read as the JSON Feed beside it)."""
    from diaspora.services import federation

    try:
        network = retry_transaction(lambda: federation.follow(federation.OPERATOR, url))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Following {network.feed_url} (id {network.id}); run `flask networks refresh`.")


@networks_cli.command("unfollow")
@click.argument("network_id", type=click.IntRange(1, 2**31 - 1))
def networks_unfollow(network_id):
    """Stop following a network and remove all of its projects."""
    from diaspora.services import federation

    try:
        removed = retry_transaction(lambda: federation.unfollow(federation.OPERATOR, network_id))
    except ServiceError as exc:
        raise click.ClickException(str(exc) or f"No followed network {network_id}.") from exc
    click.echo(f"No longer following network {network_id}; {removed} project(s) removed.")


def retry_transaction(work):
    from diaspora.services import retry

    return retry.transaction(work)


def _database_outage_is_one_line(command: click.Command) -> None:
    """A command that finds the database down or busy ends with one line and exit status 1
    ("Error: Database unavailable: OperationalError (connection refused)."), not a
    traceback; any other error is still shown whole. Applied once per command."""
    if command.callback is None or getattr(command.callback, "database_outage_guarded", False):
        return
    callback = command.callback

    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        from diaspora.main.errors import BUSY, database_failure

        try:
            return callback(*args, **kwargs)
        except Exception as exc:
            failure = database_failure(exc)
            if failure is None:
                raise
            state, kind = failure
            said = "Database busy" if state == BUSY else "Database unavailable"
            raise click.ClickException(f"{said}: {kind}.") from exc

    guarded.database_outage_guarded = True
    command.callback = guarded


def register(app: Flask) -> None:
    from diaspora.jobs.commands import jobs_cli

    groups = (
        users_cli,
        mail_cli,
        demo_cli,
        skills_cli,
        notify_cli,
        projects_cli,
        search_cli,
        report_cli,
        engagements_cli,
        profiles_cli,
        networks_cli,
        jobs_cli,
    )
    for group in groups:
        for command in group.commands.values():
            _database_outage_is_one_line(command)
        app.cli.add_command(group)
