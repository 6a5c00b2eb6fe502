"""Running the jobs that are due, each slot once across every runner of the cluster.

A runner claims a job's slot in the ``job_runs`` table before running it: one UPDATE that
sets a new claim token where the row still has the token the runner read, committed before
the work starts. Two runners that read the same row race on that UPDATE and only one
matches it (PostgreSQL re-reads the row after the other's commit; SQLite lets one writer
at a time), so the loser skips the job.

A claim still marked "running" blocks the job while its holder lives. Another runner takes
it over when the holder is gone (same host, process no longer there; or this very process,
which no longer has that job in hand) or when the claim is older than ``STALE_CLAIM``
(another host's runner is not visible from here). Every job is idempotent, so running a
slot again after a holder died halfway is safe.
"""

import logging
import os
import re
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from diaspora.cli import with_site_url
from diaspora.extensions import db
from diaspora.jobs import JOBS, Job
from diaspora.mail.outbox import _holder_gone, claimer_id
from diaspora.models import JobRun
from diaspora.models.base import utcnow
from diaspora.services import retry

log = logging.getLogger(__name__)

RUNNING, OK, FAILED = "running", "ok", "failed"
# A claim this old is taken over whoever holds it: far longer than any job takes.
STALE_CLAIM = timedelta(hours=1)
ERROR_LENGTH = 200
_ADDRESS = re.compile(r"[^\s@<>()\"',;]+@[^\s@<>()\"',;]+")

# Claim tokens whose job this process is running now: a claim by this process that is not
# among them was left by a pass that stopped halfway (the database went away).
_in_hand: set[str] = set()
_in_hand_lock = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    """What happened to one job in a pass: "ok", "failed" or "held" (claimed elsewhere)."""

    job: Job
    status: str
    text: str

    def line(self) -> str:
        if self.status == OK:
            said = "".join(f"\n  {line}" for line in self.text.splitlines())
            return f"{self.job.name}: ok{said}"
        if self.status == FAILED:
            return f"{self.job.name}: failed ({self.text})"
        return f"{self.job.name}: not run, {self.text}"


def describe_error(exc: BaseException) -> str:
    """The exception's class and a short message, without personal data.

    A database error says only which kind it was (its text can quote the row's values);
    other messages keep their first line, addresses masked, cut to ``ERROR_LENGTH``.
    """
    if isinstance(exc, DBAPIError):
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        kind = type(exc.orig).__name__
        parts = [kind] if kind != type(exc).__name__ else []
        if code:
            parts.append(f"SQLSTATE {code}")
        detail = " ".join(parts)
    else:
        lines = str(exc).strip().splitlines()
        detail = _ADDRESS.sub("[address]", lines[0]) if lines else ""
    text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 1] + "…"


def ensure_rows(jobs: tuple[Job, ...]) -> None:
    """Create the row of each job that has none (runners racing to do so create one)."""
    known = set(db.session.scalars(sa.select(JobRun.name)))
    for job in jobs:
        if job.name in known:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(JobRun(name=job.name))
        except IntegrityError:
            pass  # another runner created it meanwhile
    db.session.commit()


def _abandoned(row) -> bool:
    """Whether a "running" claim may be taken over: its holder died, or it is too old."""
    if row.started_at is None or row.started_at < utcnow() - STALE_CLAIM:
        return True
    host, _, pid = (row.claimed_by or "").rpartition(":")
    if host == socket.gethostname() and pid == str(os.getpid()):
        with _in_hand_lock:
            return row.claim_token not in _in_hand
    return _holder_gone(row.claimed_by)


def _claim(job: Job, now: datetime, force: bool) -> tuple[str | None, str]:
    """Claim the job's slot current at ``now`` if it is due (or at once with ``force``);
    return the new claim token, or None and why not. The caller commits."""
    row = db.session.execute(
        sa.select(
            JobRun.last_slot,
            JobRun.claim_token,
            JobRun.claimed_by,
            JobRun.started_at,
            JobRun.outcome,
        ).where(JobRun.name == job.name)
    ).one()
    held = row.outcome == RUNNING
    if held and not _abandoned(row):
        return None, f"running on {row.claimed_by} since {row.started_at:%Y-%m-%d %H:%M} UTC"
    if not (held or force or job.schedule.due(row.last_slot, now)):
        return None, "not due"
    current = job.schedule.slot(now)
    slot = current if row.last_slot is None else max(row.last_slot, current)
    token = secrets.token_hex(16)
    same_claim = (
        JobRun.claim_token.is_(None)
        if row.claim_token is None
        else JobRun.claim_token == row.claim_token
    )
    with _in_hand_lock:
        _in_hand.add(token)
    result = db.session.execute(
        sa.update(JobRun)
        .where(JobRun.name == job.name, same_claim)
        .values(
            last_slot=slot,
            claim_token=token,
            claimed_by=claimer_id(),
            started_at=utcnow(),
            finished_at=None,
            outcome=RUNNING,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        _release(token)
        return None, "claimed by another runner"
    if held:
        log.warning("%s: taking over the claim of %s, which stopped", job.name, row.claimed_by)
    return token, ""


def _release(token: str) -> None:
    with _in_hand_lock:
        _in_hand.discard(token)


def _record(job: Job, token: str, status: str, error: str | None) -> bool:
    """Record how the run ended, if the claim is still ours. The caller commits."""
    result = db.session.execute(
        sa.update(JobRun)
        .where(JobRun.name == job.name, JobRun.claim_token == token)
        .values(outcome=status, error=error, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def run_job(job: Job, now: datetime | None = None, force: bool = False) -> Outcome | None:
    """Run ``job`` if its slot is due and this runner wins the claim (with ``force``: now,
    whatever its schedule, but never beside a live claim). A failure of the job is recorded
    and returned; a database error while claiming or recording propagates.

    Returns None when the job was not due or another runner won the slot.
    """
    token, reason = retry.transaction(lambda: _claim(job, now or utcnow(), force))
    if token is None:
        return Outcome(job, "held", reason) if force else None
    try:
        try:
            text = (with_site_url(job.run) if job.site_url else job.run)()
        except Exception as exc:
            db.session.rollback()
            error = describe_error(exc)
            log.error("scheduled job %s failed: %s", job.name, error)
            log.debug("scheduled job %s failed", job.name, exc_info=True)
            outcome = Outcome(job, FAILED, error)
        else:
            outcome = Outcome(job, OK, text)
        error = outcome.text if outcome.status == FAILED else None
        recorded = retry.transaction(lambda: _record(job, token, outcome.status, error))
    finally:
        _release(token)
    if not recorded:
        log.warning("%s finished after another runner took its claim over", job.name)
    return outcome


def run_due(
    jobs: tuple[Job, ...] | None = None,
    now: datetime | None = None,
    should_stop=lambda: False,
) -> list[Outcome]:
    """One pass: run every due job (of ``JOBS`` unless given) in schedule order, each in
    its own transactions; a failing job is recorded and the others still run. Stops
    between jobs once ``should_stop()`` is true."""
    jobs = JOBS if jobs is None else jobs
    ensure_rows(jobs)
    outcomes = []
    for job in jobs:
        if should_stop():
            break
        outcome = run_job(job, now)
        db.session.remove()
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def run_now(job: Job) -> Outcome:
    """Run one job now (``jobs run --only``), claimed and recorded like a scheduled run."""
    ensure_rows((job,))
    return run_job(job, force=True)


@dataclass(frozen=True)
class JobStatus:
    job: Job
    run: JobRun | None
    next_due: datetime


def status(jobs: tuple[Job, ...] | None = None, now: datetime | None = None) -> list[JobStatus]:
    """Each job with its last run (None before the first) and when it is next due."""
    jobs = JOBS if jobs is None else jobs
    now = now or utcnow()
    runs = {run.name: run for run in db.session.scalars(sa.select(JobRun))}
    entries = []
    for job in jobs:
        run = runs.get(job.name)
        last_slot = run.last_slot if run else None
        entries.append(JobStatus(job, run, job.schedule.next_due(last_slot, now)))
    return entries
