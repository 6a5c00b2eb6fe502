"""Session sync: record which search documents a transaction touches, in that transaction.

Models register a function that names the documents an instance affects. Changes are
recorded at every flush (autoflushed ones included) and written as :class:`SearchChange`
rows just before commit; a rollback forgets them. After commit, the indexer applies them.
"""

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession

from diaspora.models import SearchChange

PENDING = "search_pending"
COMMITTED = "search_committed"

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


def _after_flush(session, flush_context):
    pending = session.info.setdefault(PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, SearchChange):
            continue
        for index, doc_id in _keys_for(obj):
            if doc_id is not None:
                pending.add((index, int(doc_id)))


def _before_commit(session):
    if session.info.get(PENDING) is None and not (session.new or session.dirty or session.deleted):
        return
    session.flush()
    pending = session.info.pop(PENDING, set())
    if pending:
        session.add_all(SearchChange(index=i, doc_id=d) for i, d in sorted(pending))
        session.info[COMMITTED] = True


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
