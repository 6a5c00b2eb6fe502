"""What the long-running worker commands share (`mail deliver --loop`, `search apply --loop`).

A worker runs passes a short interval apart. SIGTERM or SIGINT asks it to stop: the pass in
hand finishes its unit of work (a message, a Whoosh commit) and the loop ends, so the command
exits 0. A database that cannot be reached or used, as the web's error handling classifies it
(:func:`diaspora.main.errors.database_failure`), is not a crash: the pass is rolled back, one
line says so, the worker tries again with a wait that grows to :data:`MAX_BACKOFF` seconds,
and one line says when the database answers again. Any other error is a bug and is raised.
"""

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from diaspora.extensions import db
from diaspora.main.errors import BUSY, database_failure, forget_transaction

log = logging.getLogger(__name__)

MAX_BACKOFF = 5.0  # seconds between attempts while the database is down, at most
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stop(threading.Event):
    """Set when the worker should stop; ``signal_name`` names the signal that asked."""

    signal_name: str | None = None


@contextmanager
def stop_on_signals(stop: Stop) -> Iterator[None]:
    """Turn SIGTERM and SIGINT into ``stop`` for the time of the block (main thread only:
    elsewhere signals cannot be caught, and the block runs as it is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum, _frame):
        stop.signal_name = signal.Signals(signum).name
        stop.set()

    previous = {number: signal.signal(number, handle) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class DatabaseOutage:
    """The state of one worker's database: one line when it stops answering, one when it
    answers again, and how long to wait before the next attempt meanwhile."""

    def __init__(self, worker: str, interval: float, clock=time.monotonic):
        self.worker = worker
        self.interval = interval
        self.clock = clock
        self.since: float | None = None
        self.failures = 0

    def failed(self, state: str, kind: str) -> float:
        """Record a failed pass; return the seconds to wait before the next one."""
        self.failures += 1
        if self.since is None:
            self.since = self.clock()
            label = "database busy" if state == BUSY else "database unavailable"
            log.warning("%s: %s: %s; retrying", self.worker, label, kind)
        return min(max(self.interval, 0.1) * 2 ** (self.failures - 1), MAX_BACKOFF)

    def answered(self) -> None:
        """A pass went through: end the outage, if there was one, with a line."""
        if self.since is None:
            return
        log.warning(
            "%s: database reachable again after %.1f s (%d failed attempt(s))",
            self.worker,
            self.clock() - self.since,
            self.failures,
        )
        self.since = None
        self.failures = 0


def run_passes(
    work: Callable[[], None],
    *,
    worker: str,
    stop: Stop,
    loop: bool,
    interval: float,
    max_passes: int = 0,
) -> None:
    """Run ``work`` once, or with ``loop`` until ``stop`` is set (or ``max_passes`` passes
    ran), ``interval`` seconds apart, with a fresh session each pass. In a loop, a pass the
    database could not serve is rolled back and tried again (see :class:`DatabaseOutage`);
    a single pass raises, so a one-shot command fails visibly."""
    outage = DatabaseOutage(worker, interval)
    passes = 0
    while not stop.is_set():
        delay = interval
        try:
            work()
            if loop:  # giving the connection back rolls back: a dead server may show here
                db.session.remove()
        except (DBAPIError, PoolTimeout) as exc:
            failure = database_failure(exc)
            if failure is None or not loop:
                raise
            forget_transaction(failure[0])
            db.session.remove()
            delay = outage.failed(*failure)
        else:
            outage.answered()
        passes += 1
        if not loop or (max_passes and passes >= max_passes):
            break
        stop.wait(delay)
