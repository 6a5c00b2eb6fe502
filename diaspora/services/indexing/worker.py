"""The search worker's pass (`flask search apply --loop`): one per node, for its own indexes.

Each pass asks the database for the last change id (one query) and compares it with each
index's mark; an index that is behind gets the changes, in order. An index that cannot be read
because it is missing (a new node, a deleted directory), damaged or of an older schema is
rebuilt from the database first, so a node with an empty ``SEARCH_INDEX_DIR`` builds itself.
What cannot be done now (the index busy, a rebuild already running) is logged once, tried
again on every pass, and logged once more when it works again.
"""

import logging
from collections.abc import Callable

from diaspora.search import SearchUnavailable
from diaspora.services.indexing import indexer

log = logging.getLogger(__name__)

# What an index that cannot be read is rebuilt for (others, such as busy, are waited out).
REBUILT_WHEN = ("missing", "damaged", "schema outdated")


class SearchWorker:
    """Keeps this node's indexes current; ``say`` reports what it did (the command's output)."""

    def __init__(self, say: Callable[[str], None], should_stop: Callable[[], bool]):
        self.say = say
        self.should_stop = should_stop
        self._problems: set[str] = set()

    def run_pass(self) -> int:
        """Bring every index up to the change log; return the documents refreshed."""
        problems: set[str] = set()
        lagging, unreadable = indexer.behind()
        for name in unreadable:
            if self.should_stop():
                break
            reason = indexer.get_index(name).problem()
            if reason not in REBUILT_WHEN:
                problems.add(f"search index {name} cannot be read ({reason}); retrying")
                continue
            try:
                count = indexer.rebuild(name)
            except SearchUnavailable as exc:
                problems.add(f"search index {name} was {reason} and cannot be rebuilt: {exc}")
                continue
            self.say(f"{name}: index {reason}; built from the database ({count} documents).")
            lagging.append(name)  # the changes committed while it was built
        refreshed = 0
        if lagging and not self.should_stop():
            try:
                refreshed = indexer.apply_pending(lagging, should_stop=self.should_stop)
            except SearchUnavailable as exc:
                problems.add(f"search changes stay queued: {exc}")
        if refreshed:
            log.info("applied search changes: %d document(s) refreshed", refreshed)
        self._report(problems)
        return refreshed

    def _report(self, problems: set[str]) -> None:
        """Log each problem when it appears, and a line when none is left."""
        for problem in sorted(problems - self._problems):
            log.warning(problem)
        if self._problems and not problems:
            log.warning("search indexes current again")
        self._problems = problems
