"""Session sync: record which search documents a transaction touches, in that transaction.

Models register a function that names the documents an instance affects. Changes are
recorded at every flush (autoflushed ones included) and written as :class:`SearchChange`
rows just before commit; a rollback forgets them. After commit, the indexer applies them.

Change ids follow commit order: on PostgreSQL a transaction takes the change-log lock (a
transaction-scoped advisory lock) just before writing its rows, after everything else it
changes is flushed, and keeps it until its commit; SQLite has one writer at a time anyway.
So once an id is visible, every smaller id is too, and the indexes can keep a plain
high-water mark: no change is skipped and none is applied twice.
"""

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession

from diaspora.models import SearchChange

PENDING = "search_pending"
COMMITTED = "search_committed"
# pg_advisory_xact_lock key of the change log ("diaspora" in ASCII, as a bigint).
CHANGE_LOG_LOCK = 0x6469617370_6F7261

DocKeys = Callable[[object], Iterable[tuple[str, int]]]
_tracked: dict[type, DocKeys] = {}


def track(model: type, doc_keys: DocKeys) -> None:
    """Declare that changes to ``model`` instances affect the documents ``doc_keys`` names."""
    _tracked[model] = doc_keys


def _keys_for(obj) -> Iterable[tuple[str, int]]:
    for cls in type(obj).__mro__:
        if cls in _tracked:
            return _tracked[cls](obj)
    return ()


#: Within one flush, what a lookup found for a key (``flush_memo``): a flush that adds many
#: labels of one skill asks once which documents have the skill.
FLUSH_MEMO = "search_flush_memo"


def flush_memo(session) -> dict:
    """A dict that lives for the flush being recorded (empty outside one)."""
    return session.info.get(FLUSH_MEMO, {})


def _after_flush(session, flush_context):
    pending = session.info.setdefault(PENDING, set())
    session.info[FLUSH_MEMO] = {}
    try:
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, SearchChange):
                continue
            for index, doc_id in _keys_for(obj):
                if doc_id is not None:
                    pending.add((index, int(doc_id)))
    finally:
        session.info.pop(FLUSH_MEMO, None)


def _before_commit(session):
    if session.info.get(PENDING) is None and not (session.new or session.dirty or session.deleted):
        return
    session.flush()
    pending = session.info.pop(PENDING, set())
    if pending:
        _hold_change_log_lock(session)
        session.add_all(SearchChange(index=i, doc_id=d) for i, d in sorted(pending))
        session.info[COMMITTED] = True


def _hold_change_log_lock(session) -> None:
    """Take the change-log lock until this transaction ends (PostgreSQL only). Nothing but
    change rows is written after it, so a holder never waits for another transaction."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(CHANGE_LOG_LOCK)))


def _after_soft_rollback(session, previous_transaction):
    if not previous_transaction.nested:
        session.info.pop(PENDING, None)
        session.info.pop(COMMITTED, None)


def register_session_hooks() -> None:
    """Install the hooks once on Flask-SQLAlchemy's session class."""
    for name, fn in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_soft_rollback", _after_soft_rollback),
    ):
        if not sa.event.contains(FlaskSession, name, fn):
            sa.event.listen(FlaskSession, name, fn)


def take_committed(session) -> bool:
    """True once after a commit that wrote search changes (the indexer should run)."""
    return bool(session.info.pop(COMMITTED, False))
