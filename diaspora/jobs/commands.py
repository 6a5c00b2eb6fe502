"""``flask jobs``: run the scheduled jobs that are due, and show their schedule and runs."""

import click
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError

from diaspora import workers
from diaspora.jobs import JOB_NAMES, JOBS_BY_NAME, runner

jobs_cli = AppGroup("jobs", help="The scheduled jobs: run those that are due, list them.")


@jobs_cli.command("run")
@click.option("--loop", is_flag=True, help="Keep running, a pass every --interval seconds.")
@click.option(
    "--interval",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between passes.",
)
@click.option("--only", type=click.Choice(JOB_NAMES), help="Run this job now, due or not.")
@click.option("--max-passes", default=0, hidden=True)
def run(loop, interval, only, max_passes):
    """Run every scheduled job that is due, in schedule order; each due slot runs once
    however many runners there are. A failing job is reported and recorded, and the others
    still run; the exit status is 0 unless the database cannot be reached.

    With --loop: on SIGTERM or SIGINT the job in hand is finished and the runner exits 0;
    while the database is unreachable it says so once and keeps retrying.
    """
    if only and loop:
        raise click.UsageError("--only runs one job once; it does not go with --loop.")
    stop = workers.Stop()

    def run_pass():
        if only:
            outcomes = [runner.run_now(JOBS_BY_NAME[only])]
        else:
            outcomes = runner.run_due(should_stop=stop.is_set)
        for outcome in outcomes:
            click.echo(outcome.line())

    if loop:
        click.echo(f"Jobs runner: running the jobs that are due every {interval:g} s.")
    try:
        with workers.stop_on_signals(stop):
            workers.run_passes(
                run_pass,
                worker="jobs runner",
                stop=stop,
                loop=loop,
                interval=interval,
                max_passes=max_passes,
            )
    except DBAPIError as exc:
        if loop:  # not an outage: a bug, shown as one
            raise
        raise click.ClickException(f"Database unavailable ({runner.describe_error(exc)}).") from exc
    if stop.is_set():
        click.echo(f"Stopped on {stop.signal_name}; jobs not yet run wait for the next pass.")


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "never"


def _last_run(run) -> str:
    if run is None or run.outcome is None:
        return "never run"
    if run.outcome == runner.RUNNING:
        return f"running since {run.started_at:%Y-%m-%d %H:%M:%S} on {run.claimed_by}"
    said = f"{run.outcome} {run.finished_at:%Y-%m-%d %H:%M:%S} on {run.claimed_by}"
    return f"{said}: {run.error}" if run.error else said


@jobs_cli.command("list")
def list_jobs():
    """Each job: its schedule, the slot it last ran for, how that went, and when it is
    next due ("now" when it is due; times in UTC)."""
    from diaspora.models.base import utcnow

    now = utcnow()
    rows = [("JOB", "SCHEDULE", "LAST SLOT", "NEXT DUE", "LAST RUN")]
    for entry in runner.status(now=now):
        last_slot = entry.run.last_slot if entry.run else None
        due = "now" if entry.next_due <= now else _when(entry.next_due)
        rows.append(
            (
                entry.job.name,
                entry.job.schedule.describe(),
                _when(last_slot),
                due,
                _last_run(entry.run),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[4]]).rstrip())
