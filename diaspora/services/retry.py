"""Re-running a unit of work that lost a race with another transaction.

PostgreSQL ends one of two transactions that wait on each other's row locks (deadlock),
and may refuse one that read what a concurrent one changed (serialization failure, or a
lock not granted within ``lock_timeout``). Neither is the user's fault, and the same work
usually succeeds a moment later, so the whole transaction is rolled back and run again
from the start: the work reloads what it needs inside the new transaction, because what
the failed attempt read may be out of date. Mail and notifications queued by a failed
attempt are rows of that transaction and go with its rollback, so each committed outcome
is told once.

SQLite answers "database is locked" when another connection holds the write lock past
the busy timeout; that is retried too.

After the last attempt the error is raised again, for the caller's error handling (a
database that stays busy answers "try again", never a crash page).
"""

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from diaspora.extensions import db

log = logging.getLogger(__name__)

T = TypeVar("T")

# 40P01 deadlock detected, 40001 serialization failure, 55P03 lock not available.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
ATTEMPTS = 4
BASE_DELAY = 0.02  # seconds; doubled after each failed attempt, with full jitter


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` is a lost race that the same transaction may win if run again."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)


def backoff(attempt: int, base: float = BASE_DELAY) -> float:
    """A random pause before attempt ``attempt + 1``, so racing workers do not meet again."""
    return random.uniform(0, base * 2 ** (attempt - 1))  # noqa: S311 (not a secret)


def transaction(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run ``work()`` and commit; on a lost race roll back and run it again.

    ``work`` must do all of its reading inside the call (load by id, lock, check, write),
    so that each attempt decides on fresh data. Exceptions other than a lost race roll
    back and propagate at once; so does the last lost race.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
        except DBAPIError as exc:
            db.session.rollback()
            if attempt == attempts or not is_retryable(exc):
                raise
            log.info("transaction lost a race (attempt %d of %d); retrying", attempt, attempts)
            time.sleep(backoff(attempt))
        except BaseException:
            db.session.rollback()
            raise
        else:
            return result
    raise AssertionError("unreachable")  # pragma: no cover
