"""The search worker's pass (`flask search apply --loop`): one per node, for its own indexes.

Each pass asks the database for the last change id (one query) and compares it with each
index's mark; an index that is behind gets the changes, in order. An index that cannot be read
because it is missing (a new node, a deleted directory), damaged or of an older schema is
rebuilt from the database first, so a node with an empty ``SEARCH_INDEX_DIR`` builds itself.
So is an index whose mark is below how far its change log has been pruned (the node was gone
longer than the retention window, or the index is an old copy): the changes it lacks are
gone from the log. That is checked before applying and again after, since a prune may commit
in between. What cannot be done now (the index busy, a rebuild already running) is logged
once, tried again on every pass, and logged once more when it works again.

The worker records the node's marks (``indexer.record_marks``) when they move, a few seconds
apart at most, and now and then while they do not: an idle pass writes nothing.
"""

import logging
from collections.abc import Callable

from diaspora.extensions import db
from diaspora.search import SearchUnavailable
from diaspora.services.indexing import indexer

log = logging.getLogger(__name__)

# What an index that cannot be read is rebuilt for (others, such as busy, are waited out).
REBUILT_WHEN = ("missing", "damaged", "schema outdated")
PRUNED = "behind the pruned change log"


class SearchWorker:
    """Keeps this node's indexes current; ``say`` reports what it did (the command's output)."""

    def __init__(self, say: Callable[[str], None], should_stop: Callable[[], bool]):
        self.say = say
        self.should_stop = should_stop
        self._problems: set[str] = set()
        self._marks_loaded = False
        self._outrun: set[str] = set()  # found behind the pruned log, not rebuilt yet

    def run_pass(self) -> int:
        """Bring every index up to the change log; return the documents refreshed."""
        if not self._marks_loaded:
            indexer.load_marks()
            self._marks_loaded = True
        problems: set[str] = set()
        lagging, unreadable = indexer.behind()
        for name in unreadable:
            if self.should_stop():
                break
            reason = indexer.get_index(name).problem()
            if reason not in REBUILT_WHEN:
                problems.add(f"search index {name} cannot be read ({reason}); retrying")
                continue
            if self._rebuild(name, reason, problems):
                lagging.append(name)  # the changes committed while it was built
        refreshed = 0
        if (lagging or self._outrun) and not self.should_stop():
            starts = self._starts(lagging)
            self._rebuild_outrun(starts, problems)
            try:
                refreshed = indexer.apply_pending(lagging, should_stop=self.should_stop)
            except SearchUnavailable as exc:
                problems.add(f"search changes stay queued: {exc}")
            self._rebuild_outrun(starts, problems)  # a prune committed meanwhile
        if refreshed:
            log.info("applied search changes: %d document(s) refreshed", refreshed)
        if indexer.record_marks():
            db.session.commit()
        self._report(problems)
        return refreshed

    def _starts(self, names: list[str]) -> dict[str, int]:
        """How far each index has applied the log before this pass applies anything."""
        starts = {}
        for name in dict.fromkeys([*names, *self._outrun]):
            try:
                starts[name] = indexer.applied_through(name)
            except SearchUnavailable:
                continue
        return starts

    def _rebuild_outrun(self, starts: dict[str, int], problems: set[str]) -> None:
        """Rebuild each index whose starting mark is below how far its log is pruned (or
        that an earlier pass found so): it cannot catch up from what is left."""
        if self.should_stop():
            return
        pruned = indexer.pruned_through()
        for name, start in list(starts.items()):
            through = pruned.get(name, 0)
            if name not in self._outrun and start >= through:
                continue
            del starts[name]
            if name not in self._outrun:
                log.warning(
                    "search index %s has applied changes through %d, but its change log is "
                    "pruned through %d: rebuilding it from the database",
                    name,
                    start,
                    through,
                )
            self._outrun.add(name)
            if self._rebuild(name, PRUNED, problems):
                self._outrun.discard(name)

    def _rebuild(self, name: str, reason: str, problems: set[str]) -> bool:
        """Build index ``name`` from the database; say so, or note why it cannot be."""
        try:
            count = indexer.rebuild(name)
        except SearchUnavailable as exc:
            problems.add(f"search index {name} was {reason} and cannot be rebuilt: {exc}")
            return False
        self.say(f"{name}: index {reason}; built from the database ({count} documents).")
        return True

    def _report(self, problems: set[str]) -> None:
        """Log each problem when it appears, and a line when none is left."""
        for problem in sorted(problems - self._problems):
            log.warning(problem)
        if self._problems and not problems:
            log.warning("search indexes current again")
        self._problems = problems
