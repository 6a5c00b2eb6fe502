"""The scheduled jobs runner: when each job is due, one run per slot however many runners,
failures recorded without stopping the others, claims of dead runners taken over, the
``flask jobs`` commands and the ``--loop`` process."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from diaspora import create_app
from diaspora.extensions import db as _db
from diaspora.jobs import JOBS, Job, runner
from diaspora.jobs.schedule import Schedule, daily, every
from diaspora.models import JobRun
from diaspora.models.base import utcnow
from tests.conftest import PG_URL, _base_config
from tests.test_migrations import empty_database  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
HOST = socket.gethostname()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- when a job is due -------------------------------------------------------------------


def test_a_daily_job_is_due_once_its_time_has_come_each_day():
    schedule = daily("07:00")
    assert schedule.slot(at("2026-12-07 06:59")) == at("2026-12-06 07:00")
    assert schedule.slot(at("2026-12-07 07:00")) == at("2026-12-07 07:00")
    assert schedule.slot(at("2026-12-07 23:59")) == at("2026-12-07 07:00")
    last = at("2026-12-06 07:00")
    assert schedule.due(last, at("2026-12-07 06:59")) is None
    assert schedule.due(last, at("2026-12-07 07:00")) == at("2026-12-07 07:00")
    assert schedule.next_due(last, at("2026-12-07 06:59")) == at("2026-12-07 07:00")
    assert schedule.next_due(at("2026-12-07 07:00"), at("2026-12-07 08:00")) == at(
        "2026-12-08 07:00"
    )
    assert schedule.describe() == "daily at 07:00 UTC"


def test_a_job_every_n_minutes_is_due_at_each_multiple_from_midnight():
    schedule = every(10)
    assert schedule.slot(at("2026-12-07 14:49:59")) == at("2026-12-07 14:40")
    assert schedule.slot(at("2026-12-07 00:00")) == at("2026-12-07 00:00")
    assert schedule.due(at("2026-12-07 14:40"), at("2026-12-07 14:49")) is None
    assert schedule.due(at("2026-12-07 14:40"), at("2026-12-07 14:50")) == at("2026-12-07 14:50")
    assert schedule.describe() == "every 10 min"

    hourly = every(60, at=40)
    assert hourly.slot(at("2026-12-07 00:10")) == at("2026-12-06 23:40")
    assert hourly.slot(at("2026-12-07 14:40")) == at("2026-12-07 14:40")
    assert hourly.next_due(at("2026-12-07 14:40"), at("2026-12-07 15:00")) == at("2026-12-07 15:40")
    assert hourly.describe() == "hourly at :40"


def test_missed_slots_collapse_into_one_run():
    schedule = daily("07:00")
    # The runner was down from the 3rd to the 7th at 09:00: one run, for the 7th.
    now = at("2026-12-07 09:00")
    assert schedule.due(at("2026-12-03 07:00"), now) == at("2026-12-07 07:00")
    assert schedule.due(at("2026-12-07 07:00"), now) is None
    assert schedule.due(None, now) == at("2026-12-07 07:00")
    assert every(10).due(at("2026-12-07 08:00"), now) == at("2026-12-07 09:00")


def test_a_schedule_that_does_not_divide_a_day_is_refused():
    for period, offset in ((7, 0), (0, 0), (10, 10), (10, -1)):
        with pytest.raises(ValueError):
            Schedule(period, offset)
    with pytest.raises(ValueError):
        daily("24:00")


def test_the_schedule_holds_every_scheduled_command_once_in_order():
    assert [job.command.split(" --")[0] for job in JOBS] == [
        "projects close-expired",
        "projects remind-stale",
        "profiles remind-stale",
        "applications remind",
        "notify deadlines",
        "engagements follow-up",
        "search prune",
        "notify digests",
        "report refresh",
        "networks refresh",
    ]
    assert len({job.name for job in JOBS}) == len(JOBS)
    mail_senders = {job.name for job in JOBS if job.site_url}
    assert "notify-digests" in mail_senders and "report-refresh" not in mail_senders


# --- running the jobs that are due -------------------------------------------------------


class Counter:
    """A job body that counts its runs (optionally taking some time, or failing)."""

    def __init__(self, pause: float = 0.0, error: Exception | None = None):
        self.runs = 0
        self.pause = pause
        self.error = error
        self.lock = threading.Lock()

    def __call__(self) -> str:
        with self.lock:
            self.runs += 1
        time.sleep(self.pause)
        if self.error is not None:
            raise self.error
        return "done"


def make_jobs(*bodies, schedule=None):
    return tuple(
        Job(f"test-job-{n}", f"test job {n}", schedule or daily("07:00"), body)
        for n, body in enumerate(bodies)
    )


def row(name: str) -> JobRun:
    _db.session.expire_all()
    return _db.session.get(JobRun, name)


def test_a_due_job_runs_once_per_slot_and_again_at_the_next(app):
    body = Counter()
    jobs = make_jobs(body)
    assert [o.status for o in runner.run_due(jobs, now=at("2026-12-07 07:30"))] == ["ok"]
    assert runner.run_due(jobs, now=at("2026-12-07 07:31")) == []
    assert runner.run_due(jobs, now=at("2026-12-08 06:59")) == []
    assert body.runs == 1
    # Down for three days: one run when back, for the current slot.
    runner.run_due(jobs, now=at("2026-12-11 12:00"))
    runner.run_due(jobs, now=at("2026-12-11 12:01"))
    assert body.runs == 2
    recorded = row("test-job-0")
    assert recorded.last_slot == at("2026-12-11 07:00")
    assert recorded.outcome == "ok" and recorded.error is None
    assert recorded.claimed_by == f"{HOST}:{os.getpid()}"
    assert recorded.started_at <= recorded.finished_at


def test_a_failing_job_is_recorded_and_the_others_still_run(app):
    first, second = Counter(), Counter()
    failing = Counter(error=ValueError("no reply from ama@example.org\nsecond line"))
    jobs = make_jobs(first, failing, second)
    outcomes = runner.run_due(jobs, now=at("2026-12-07 07:30"))
    assert [o.status for o in outcomes] == ["ok", "failed", "ok"]
    assert (first.runs, failing.runs, second.runs) == (1, 1, 1)
    failed = row("test-job-1")
    assert failed.outcome == "failed"
    assert failed.error == "ValueError: no reply from [address]"
    assert failed.last_slot == at("2026-12-07 07:00")
    assert "test-job-1: failed (ValueError: no reply from [address])" in [
        o.line() for o in outcomes
    ]
    # A failed slot is not retried before the next one (the jobs are idempotent and daily).
    assert runner.run_due(jobs, now=at("2026-12-07 08:00")) == []


def test_a_database_error_is_recorded_without_the_values_it_quotes():
    orig = Exception("duplicate key; DETAIL: Key (email)=(ama@example.org) already exists")
    exc = sa.exc.IntegrityError("INSERT INTO users ...", {"email": "ama@example.org"}, orig)
    assert runner.describe_error(exc) == "IntegrityError: Exception"
    same = sa.exc.OperationalError("SELECT 1", {}, sa.exc.OperationalError("x", {}, Exception()))
    assert runner.describe_error(same) == "OperationalError"
    assert runner.describe_error(KeyError()) == "KeyError"
    assert runner.describe_error(ValueError(" \n ")) == "ValueError"
    assert len(runner.describe_error(RuntimeError("x" * 1000))) == runner.ERROR_LENGTH


def test_two_runners_at_once_run_each_slot_once(app):
    """Four runners, each with its own app context (its own session and connection), start
    the same pass at the same moment: every job runs once."""
    bodies = [Counter(pause=0.2) for _ in range(3)]
    jobs = make_jobs(*bodies)
    runner.ensure_rows(jobs)
    now = at("2026-12-07 07:30")
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcomes.extend(runner.run_due(jobs, now=now))
            except Exception as exc:  # reported below, with the thread's other failures
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert [body.runs for body in bodies] == [1, 1, 1]
    assert sorted(o.job.name for o in outcomes) == [job.name for job in jobs]
    assert all(row(job.name).outcome == "ok" for job in jobs)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    return process.pid


def leave_claim(name: str, claimed_by: str, started_at: datetime, slot: datetime):
    _db.session.execute(
        sa.update(JobRun)
        .where(JobRun.name == name)
        .values(
            last_slot=slot,
            claim_token="0" * 32,
            claimed_by=claimed_by,
            started_at=started_at,
            finished_at=None,
            outcome="running",
        )
    )
    _db.session.commit()


@pytest.mark.parametrize(
    ("holder", "age", "taken_over"),
    [
        ("dead process on this host", timedelta(0), True),
        ("this process, no longer running it", timedelta(0), True),
        ("live process on this host", timedelta(0), False),
        ("another host", timedelta(minutes=5), False),
        ("another host", runner.STALE_CLAIM + timedelta(minutes=1), True),
    ],
)
def test_a_claim_whose_holder_died_is_taken_over(app, holder, age, taken_over):
    body = Counter()
    jobs = make_jobs(body)
    runner.ensure_rows(jobs)
    claimed_by = {
        "dead process on this host": f"{HOST}:{dead_pid()}",
        "this process, no longer running it": f"{HOST}:{os.getpid()}",
        "live process on this host": f"{HOST}:{os.getppid()}",
        "another host": "elsewhere.example:4242",
    }[holder]
    slot = at("2026-12-07 07:00")
    leave_claim("test-job-0", claimed_by, utcnow() - age, slot)

    runner.run_due(jobs, now=at("2026-12-07 07:30"))
    recorded = row("test-job-0")
    if taken_over:
        assert body.runs == 1
        assert recorded.outcome == "ok" and recorded.claimed_by == f"{HOST}:{os.getpid()}"
        assert recorded.last_slot == slot
    else:
        assert body.runs == 0
        assert recorded.outcome == "running" and recorded.claimed_by == claimed_by
    # Nor does a live claim of an older slot let a second run start beside it.
    runner.run_due(jobs, now=at("2026-12-08 07:30"))
    assert body.runs == (2 if taken_over else 0)


def test_a_runner_stopped_halfway_does_not_block_the_next_slot(app):
    """A claim left by this process when the database went away mid-job is retaken, for
    the slot current now."""
    body = Counter()
    jobs = make_jobs(body, schedule=every(10))
    runner.ensure_rows(jobs)
    leave_claim("test-job-0", f"{HOST}:{os.getpid()}", utcnow(), at("2026-12-07 07:20"))
    runner.run_due(jobs, now=at("2026-12-07 07:35"))
    assert body.runs == 1 and row("test-job-0").last_slot == at("2026-12-07 07:30")


def test_a_runner_asked_to_stop_starts_no_further_job(app):
    bodies = [Counter(), Counter()]
    jobs = make_jobs(*bodies)
    asked = iter([False, True])
    runner.run_due(jobs, now=at("2026-12-07 07:30"), should_stop=lambda: next(asked))
    assert [body.runs for body in bodies] == [1, 0]
    assert row("test-job-1").outcome is None


# --- the commands --------------------------------------------------------------------------


def test_jobs_run_runs_every_due_job_and_a_failure_does_not_change_the_exit_status(
    app, runner_cli, monkeypatch
):
    broken = Counter(error=RuntimeError("the feed reader broke"))
    jobs = tuple(
        replace(job, run=broken) if job.name == "networks-refresh" else job for job in JOBS
    )
    monkeypatch.setattr(runner, "JOBS", jobs)
    result = runner_cli.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "networks-refresh: failed (RuntimeError: the feed reader broke)" in result.output
    assert "notify-digests: ok\n  Queued 0 digest(s)." in result.output
    # This machine has no search index: the prune goes by the marks nodes recorded.
    assert "search-prune: ok\n  Pruned 0 search change(s)." in result.output
    outcomes = {run.name: run.outcome for run in _db.session.scalars(sa.select(JobRun))}
    assert outcomes == {
        job.name: ("failed" if job.name == "networks-refresh" else "ok") for job in JOBS
    }
    # Nothing is due any more.
    again = runner_cli.invoke(args=["jobs", "run"])
    assert again.exit_code == 0
    assert "search-prune" not in again.output and "notify-digests" not in again.output


def test_jobs_run_only_runs_one_job_now_claimed_and_recorded(app, runner_cli):
    result = runner_cli.invoke(args=["jobs", "run", "--only", "report-refresh"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("report-refresh: ok\n  Impact figures computed as of ")
    assert row("report-refresh").outcome == "ok"
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 1
    # Due or not, --only runs it again; beside a live claim it does not.
    assert runner_cli.invoke(args=["jobs", "run", "--only", "report-refresh"]).exit_code == 0
    leave_claim(
        "report-refresh", "elsewhere.example:4242", utcnow(), row("report-refresh").last_slot
    )
    held = runner_cli.invoke(args=["jobs", "run", "--only", "report-refresh"])
    assert "report-refresh: not run, running on elsewhere.example:4242 since" in held.output
    unknown = runner_cli.invoke(args=["jobs", "run", "--only", "nothing"])
    assert unknown.exit_code == 2


def test_jobs_list_shows_schedule_last_slot_outcome_and_next_due(app, runner_cli):
    runner_cli.invoke(args=["jobs", "run", "--only", "report-refresh"])
    runner_cli.invoke(args=["jobs", "run", "--only", "search-prune"])
    result = runner_cli.invoke(args=["jobs", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["JOB", "SCHEDULE", "LAST", "SLOT", "NEXT", "DUE", "LAST", "RUN"]
    assert [line.split()[0] for line in lines[1:]] == [job.name for job in JOBS]
    by_name = {line.split()[0]: line for line in lines[1:]}
    assert "daily at 06:15 UTC" in by_name["projects-close-expired"]
    assert by_name["projects-close-expired"].split()[-3:] == ["now", "never", "run"]
    refresh = by_name["report-refresh"]
    assert "every 10 min" in refresh and f"ok {utcnow():%Y-%m-%d}" in refresh
    assert refresh.endswith(f"on {HOST}:{os.getpid()}")
    slot = row("report-refresh").last_slot
    assert f"{slot:%Y-%m-%d %H:%M}" in refresh
    # Next due ten minutes after the slot ("now" if that has come meanwhile).
    assert f"{slot + timedelta(minutes=10):%Y-%m-%d %H:%M}" in refresh or " now " in refresh
    assert "hourly at :40" in by_name["networks-refresh"]
    assert f"ok {utcnow():%Y-%m-%d}" in by_name["search-prune"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_lets_the_job_in_hand_finish_and_starts_no_other(
    app, runner_cli, monkeypatch, signum
):
    def signalled():
        os.kill(os.getpid(), signum)
        return "finished all the same"

    later = Counter()
    monkeypatch.setattr(runner, "JOBS", make_jobs(signalled, later))
    handlers = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    result = runner_cli.invoke(args=["jobs", "run", "--loop", "--interval", "60"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Jobs runner: running the jobs that are due every 60 s.\n"
        "test-job-0: ok\n  finished all the same\n"
        f"Stopped on {signum.name}; jobs not yet run wait for the next pass.\n"
    )
    assert row("test-job-0").outcome == "ok"
    assert later.runs == 0 and row("test-job-1").outcome is None
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == handlers


@pytest.fixture
def runner_cli(app):
    return app.test_cli_runner()


# --- the runner as a process -----------------------------------------------------------------


def runner_env(database_url: str, tmp_path: Path, secret: str = "jobs-test-secret") -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAIL_", "DIASPORA_", "DATABASE_", "SEARCH_"))
    }
    env.update(
        DIASPORA_ENV="development",
        DIASPORA_INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY=secret,
        DATABASE_URL=database_url,
        DATABASE_CONNECT_TIMEOUT="2",
        SEARCH_INDEX_DIR=str(tmp_path / "search"),
        MAIL_FILE_DIR=str(tmp_path / "mail"),
        LOG_LEVEL="WARNING",
    )
    return env


def start_runner(env: dict, tmp_path: Path, *args: str) -> subprocess.Popen:
    """``flask --app wsgi jobs run --loop`` as its own process, as systemd runs it; its
    output goes to files the test can read while it runs."""
    with (tmp_path / "out.txt").open("w") as out, (tmp_path / "err.txt").open("w") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )


def wait_until(condition, what: str, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting: {what}")


def stop(process: subprocess.Popen, signum: int) -> int:
    try:
        process.send_signal(signum)
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_loop_runs_the_due_jobs_and_exits_0_on_a_stop_signal(app_config, app, tmp_path, signum):
    env = runner_env(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    process = start_runner(env, tmp_path, "--loop", "--interval", "0.2")

    def all_ran():
        _db.session.remove()
        runs = _db.session.scalars(sa.select(JobRun)).all()
        return len(runs) == len(JOBS) and all(run.outcome in ("ok", "failed") for run in runs)

    try:
        wait_until(all_ran, "the runner's first pass")
    finally:
        code = stop(process, signum)
    out = (tmp_path / "out.txt").read_text()
    assert code == 0, (tmp_path / "err.txt").read_text()
    assert "report-refresh: ok" in out
    assert out.rstrip().endswith(
        f"Stopped on {signum.name}; jobs not yet run wait for the next pass."
    )
    assert row("report-refresh").claimed_by == f"{HOST}:{process.pid}"


@pytest.mark.slow
def test_two_runner_processes_started_together_run_each_job_once(app_config, app, tmp_path):
    env = runner_env(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run"]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=180)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    # One line per job run ("name: ok" or "name: failed (...)"), what it said indented.
    ran = [line.split(":")[0] for out in outputs for line in out.splitlines() if line[:1] != " "]
    assert sorted(ran) == sorted(job.name for job in JOBS), outputs
    holders = {run.claimed_by for run in _db.session.scalars(sa.select(JobRun))}
    assert holders <= {f"{HOST}:{process.pid}" for process in processes}


def database_at_head(path: Path, migrated_database: str, tmp_path: Path) -> None:
    """Put a SQLite database at the migrations' head at ``path``."""
    if not PG_URL:
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), path)
        return
    fresh = create_app(_base_config(tmp_path / "fresh", f"sqlite:///{path}"))
    with fresh.app_context():
        upgrade()
        _db.engine.dispose()


@pytest.mark.slow
def test_without_its_database_one_pass_fails_and_the_loop_waits_for_it(tmp_path, migrated_database):
    folder = tmp_path / "later"
    env = runner_env(f"sqlite:///{folder / 'diaspora.sqlite'}", tmp_path)
    once = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert once.returncode == 1
    assert "Error: Database unavailable (OperationalError)." in once.stderr

    process = start_runner(env, tmp_path, "--loop", "--interval", "0.1")
    err = tmp_path / "err.txt"
    try:
        wait_until(lambda: "database unavailable" in err.read_text(), "the outage line")
        time.sleep(1)  # several more passes against the missing database
        assert process.poll() is None
        # Put in place whole: the runner finds no folder, or the database at head.
        staging = tmp_path / "staging"
        staging.mkdir()
        database_at_head(staging / "diaspora.sqlite", migrated_database, tmp_path)
        staging.rename(folder)
        wait_until(lambda: "report-refresh: ok" in (tmp_path / "out.txt").read_text(), "a pass")
    finally:
        code = stop(process, signal.SIGTERM)
    assert code == 0
    said = err.read_text()
    assert said.count("jobs runner: database unavailable: OperationalError") == 1, said
    assert said.count("jobs runner: database reachable again after ") == 1, said
    assert "Traceback" not in said


# --- the migration -----------------------------------------------------------------------------


def test_the_job_runs_migration_applies_and_reverts(tmp_path, empty_database):  # noqa: F811
    app = create_app(_base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0025")
        assert "job_runs" in sa.inspect(_db.engine).get_table_names()
        downgrade(revision="0024")
        assert "job_runs" not in sa.inspect(_db.engine).get_table_names()
        upgrade()
        _db.session.add(JobRun(name="report-refresh", last_slot=at("2026-12-07 07:00")))
        _db.session.commit()
        assert _db.session.get(JobRun, "report-refresh").last_slot == at("2026-12-07 07:00")
        _db.session.remove()
        _db.engine.dispose()
