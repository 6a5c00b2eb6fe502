"""The search indexes: writing, rebuilding, and the project and expert searches.

Every update takes the index's writer lock, applies a whole batch in one Whoosh commit and
records the last applied change-log id in the same commit (a metadata document). A rebuild
writes a new generation next to the live one and swaps it in when complete; searches keep
using the old generation until then (see :mod:`diaspora.search.storage` for the layout).

Each process keeps one searcher open and checks before every query, with a directory listing,
whether another process committed since; only then does it open a new one. Per-segment data
(:mod:`diaspora.search.segments`) survives that, because segments never change.

Whatever goes wrong below this module (missing directory, corrupt or truncated files, a busy
lock) reaches callers as :class:`SearchUnavailable`, never as a Whoosh exception.

Damage is decided once, under the writer lock (so a commit in progress elsewhere is never
mistaken for it), and recorded in the index directory: from then on every process, warm or
not, answers :class:`IndexDamaged` until a rebuild swaps in a new generation.
"""

from __future__ import annotations

import ctypes
import logging
import math
import os
import shutil
import signal
import sys
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from heapq import merge, nsmallest
from itertools import islice, takewhile
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.codec.base import Automata
from whoosh.index import LockError
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import SegmentReader
from whoosh.writing import MERGE_SMALL, SegmentWriter

from . import bits as B
from .analysis import (
    ENGLISH,
    LANGUAGES,
    fold,
    language_field,
    language_of,
    stemmer,
    text_analyzer,
)
from .highlight import mark_all, snippet
from .query import LANGUAGE_FIELD, MAX_TERMS, QUERY_FIELD, ParsedQuery, parse, positive_leaves
from .schemas import (
    APPLIED_INSTITUTIONS,
    EXPERT_FILTERS,
    EXPERT_TEXT_FIELDS,
    EXPERT_WRITTEN_FIELDS,
    FILTER_NORMALIZERS,
    LEVELS,
    META_UID,
    NO_DEADLINE,
    PROJECT_FACETS,
    PROJECT_FILTERS,
    PUBLIC,
    SIGNED_IN,
    day_number,
    expert_document,
    expert_schema,
    level_field,
    meta_document,
    project_document,
    project_schema,
    travel_token,
)
from .segments import Budget, ByteCache, QueryTerms, SegmentData, SegmentView, TimeUp
from .storage import (
    INDEX_NAME,
    REBUILD_LOCK_FILE,
    Codec,
    FilesReplaced,
    GroupingPool,
    IndexDamaged,
    SearchUnavailable,
    Storage,
    Store,
    check_manifest,
    release_inherited_locks,
    write_manifest,
)
from .synonyms import SynonymMatch, Thesaurus

log = logging.getLogger(__name__)

SORTS = ("relevance", "newest", "deadline")
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 2000
MAX_FILTER_VALUES = 50
MAX_FACET_VALUES = 30
MAX_PREFIX_TERMS = 30
MAX_INSTITUTIONS = 500
SUGGEST_BELOW = 3
# The best this many matches by relevance are ordered again by how well their title matches.
TITLE_RERANK = 50
# How long a failed read waits for the writer lock to confirm the damage before recording it.
VERIFY_TIMEOUT = 2.0
# Opening a commit whose files a concurrent commit cleaned up is tried again this many times.
OPEN_ATTEMPTS = 10
REPAIR = "run `flask search rebuild`"


def _clamp(value, low: int, high: int, default):
    """Return ``value`` as an int within ``[low, high]``, or ``default`` if it is not a number."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return max(low, min(high, number))


class _WordCursor:
    """The cursor Whoosh's Levenshtein automata walk, over a sorted list of words."""

    def __init__(self, words: list[str]):
        self.words = words
        self.index = 0

    def text(self) -> str | None:
        return self.words[self.index] if self.index < len(self.words) else None

    def find(self, term: str) -> None:
        self.index = bisect_left(self.words, term)


_UNREAD = object()


class _Snapshot:
    """An open searcher on one commit of one generation."""

    def __init__(self, path: Path, ix, searcher, views: list[SegmentView]):
        self.path = path
        self.ix = ix
        self.searcher = searcher
        self.generation = searcher.reader().generation()
        self.views = views
        self.corrections: dict[str, str | None] = {}
        self._vocabulary: list[str] | None = None
        self._languages: tuple[str, ...] | None = None
        self._title_terms: dict[int, tuple[str, tuple[str, ...]]] = {}
        self._change_id: int | None | object = _UNREAD

    def change_id(self) -> int | None:
        """The last change-log id this commit holds (read once: a commit never changes)."""
        if self._change_id is _UNREAD:
            meta = self.searcher.document(uid=META_UID) or {}
            self._change_id = meta.get("change_id")
        return self._change_id

    def title_terms(self, docnum: int) -> tuple[str, tuple[str, ...]]:
        """The language of a document and the analysed words (folded, stemmed in that
        language, no stop words) of its title."""
        terms = self._title_terms.get(docnum)
        if terms is None:
            stored = self.searcher.stored_fields(docnum)
            language = language_of(stored.get("lang"))
            analyzer = _title_analyzer(language)
            words = tuple(token.text for token in analyzer(stored.get("title", "")))
            terms = self._title_terms[docnum] = (language, words)
        return terms

    def languages(self) -> tuple[str, ...]:
        """The languages the indexed texts are written in (English always counts: names and
        skills of members are English fields)."""
        if self._languages is None:
            found = {t.decode("utf-8") for t in self.searcher.reader().lexicon(LANGUAGE_FIELD)}
            self._languages = tuple(code for code in LANGUAGES if code in found or code == ENGLISH)
        return self._languages

    def reading(self, parsed: ParsedQuery) -> tuple[ParsedQuery, tuple[str, ...]]:
        """``parsed`` read only in those of its languages that some text is written in, and
        those languages: reading a query in a language no text is in finds nothing."""
        present = self.languages()
        if parsed.languages is None:
            return parsed, present
        reading = tuple(code for code in parsed.languages if code in present) or (ENGLISH,)
        if reading != parsed.languages:
            parsed = parsed.in_languages(reading)
        return parsed, present

    def vocabulary(self) -> list[str]:
        """Return the sorted spelling vocabulary of the whole index."""
        if self._vocabulary is None:
            words = set()
            for view in self.views:
                words.update(view.data.spelling_words(view.reader))
            self._vocabulary = sorted(words)
        return self._vocabulary

    def close(self) -> None:
        try:
            self.searcher.close()
        except Exception:  # noqa: BLE001 - closing a damaged index must not fail
            log.debug("closing a searcher failed", exc_info=True)


class SearchIndex:
    """One Whoosh index directory: open-or-create, updates, rebuilds, health, change id.

    Subclasses give ``schema_factory`` and ``_document`` (the app's dict to an index
    document). Create one instance per process and keep it: it holds the open searcher and the
    per-segment caches. Instances are thread-safe; searches in one process run one at a time.
    """

    schema_factory: Callable
    # Rewrite the segments of a removed document at once, so its bytes leave the disk.
    erase_removed = False
    # Documents per segment written by a rebuild (an erasure rewrites at most such segments).
    rebuild_batch = 25_000

    def __init__(
        self,
        path,
        *,
        create: bool = True,
        time_limit: float = 1.0,
        writer_timeout: float = 60.0,
        cache_mb: int = 128,
        procs: int | None = None,
        rebuild_batch: int | None = None,
    ):
        self.path = Path(path)
        self.time_limit = time_limit
        self.writer_timeout = writer_timeout
        self.procs = procs or min(2, os.cpu_count() or 1)
        self.rebuild_batch = rebuild_batch or self.rebuild_batch
        self._store = Store(self.path)
        self._lock = threading.RLock()
        self._snapshot: _Snapshot | None = None
        self._segments: dict[str, SegmentData] = {}
        self._cache = ByteCache(cache_mb * 1024 * 1024)
        if create and self._store.current() is None:
            try:
                self._create_empty()
            except Exception:  # noqa: BLE001 - searches will report it as unavailable
                log.exception("cannot create search index %s", self.path)

    # Documents

    def _document(self, doc: dict) -> dict:
        raise NotImplementedError

    # Opening

    def _create_empty(self) -> None:
        with self._store.write_lock(self.writer_timeout):
            if self._store.current() is not None:
                return
            generation = self._store.new_generation()
            ix = whoosh_index.create_in(str(generation), self.schema_factory(), INDEX_NAME)
            writer = ix.writer(compound=False, codec=Codec())
            writer.add_document(**meta_document(None))
            writer.commit()
            write_manifest(generation, ix)
            ix.close()
            self._store.switch(generation)

    def _open_ix(self, path: Path):
        if not path.is_dir():
            raise SearchUnavailable("the search index is missing")
        storage = Storage(path)
        with storage.closing_on_failure():
            return storage.open_index(INDEX_NAME)

    def _fresh_snapshot(self) -> _Snapshot:
        """Return a snapshot of the latest commit, reopening only when something changed.

        A warm snapshot is served only while no process has recorded the live generation as
        damaged (one ``stat`` of the marker per query).
        """
        self._raise_if_damaged()
        path = self._store.current()
        if path is None:
            raise SearchUnavailable("the search index is missing")
        snap = self._snapshot
        if (
            snap is not None
            and snap.path == path
            and path.is_dir()
            and snap.ix.latest_generation() == snap.generation
        ):
            return snap
        ix, searcher = self._open_searcher(path)
        try:
            views = []
            keep = set()
            for reader, offset in searcher.reader().leaf_readers():
                if reader.doc_count_all() == 0 or not hasattr(reader, "segment"):
                    continue
                segment_id = reader.segment().segment_id()
                data = self._segments.get(segment_id)
                if data is None or data.n != reader.doc_count_all():
                    data = self._segments[segment_id] = SegmentData(
                        segment_id, reader.doc_count_all(), self._cache
                    )
                keep.add(segment_id)
                views.append(SegmentView(reader, data, offset))
        except Exception:
            searcher.close()
            raise
        for segment_id in set(self._segments) - keep:
            del self._segments[segment_id]
        self._cache.discard_segments(keep)
        if snap is not None:
            snap.close()
        self._snapshot = _Snapshot(path, ix, searcher, views)
        return self._snapshot

    def _open_searcher(self, path: Path):
        """Open the latest commit of ``path``; a commit that another writer replaced while
        it was being opened (its files cleaned up) is opened again, a few times."""
        attempt = 1
        while True:
            if not path.is_dir():
                raise SearchUnavailable("the search index is missing")
            storage = Storage(path)
            try:
                with storage.closing_on_failure():
                    ix = storage.open_index(INDEX_NAME)
                    check_manifest(path, ix.latest_generation())
                    self._check_schema(ix)
                    return ix, ix.searcher()
            except FilesReplaced:
                if attempt == OPEN_ATTEMPTS:
                    raise
            time.sleep(0.01 * attempt)
            attempt += 1

    def _check_schema(self, ix) -> None:
        """An index built before a field was added cannot answer correctly: say so, so the
        operator rebuilds it, rather than leave out what the new field decides."""
        missing = set(self.schema_factory().names()) - set(ix.schema.names())
        if missing:
            raise SearchUnavailable(
                "the search index was built by an older version; run `flask search rebuild`"
            )

    def _raise_if_damaged(self) -> None:
        reason = self._store.damage()
        if reason is not None:
            raise IndexDamaged(f"the search index is damaged ({reason}); {REPAIR}")

    def damage(self) -> str | None:
        """The recorded reason the live generation is damaged, or None."""
        return self._store.damage()

    def _verify(self, locked: bool = False) -> None:
        """Check the live generation under the writer lock; record and raise if damaged.

        With the lock held no commit is under way, so a file that is missing from the
        manifest, has another size, or fails to read is damage, not a race. Returns quietly
        when the index is intact, missing (not damage: a rebuild creates it) or outdated.
        """
        if not locked:
            try:
                with self._store.write_lock(VERIFY_TIMEOUT):
                    return self._verify(locked=True)
            except IndexDamaged:
                raise
            except SearchUnavailable:  # busy: the next failure looks again
                return None
        path = self._store.current()
        if path is None or not path.is_dir():
            return None
        reason = _damage_of(path)
        if reason is None:
            return None
        if self._store.damage() is None:
            log.error("search index %s is damaged: %s", path, reason)
            self._store.record_damage(path, reason)
        raise IndexDamaged(f"the search index is damaged ({reason}); {REPAIR}")

    def _drop_snapshot(self) -> None:
        if self._snapshot is not None:
            self._snapshot.close()
            self._snapshot = None

    def _read(self, work: Callable[[_Snapshot], object]):
        """Run ``work`` on a fresh snapshot; any failure becomes SearchUnavailable.

        Another process may commit (and clean up the files of the generation being opened)
        or swap generations while this one opens the index, so a failure is retried a few
        times on a reopened snapshot before the index is declared unavailable.
        """
        attempts = 3
        with self._lock:
            for attempt in range(1, attempts + 1):
                try:
                    return work(self._fresh_snapshot())
                except IndexDamaged:
                    self._drop_snapshot()
                    raise
                except SearchUnavailable as exc:
                    self._drop_snapshot()
                    # No live generation at all is no race to wait out (a swap replaces the
                    # pointer, never removes it): the index was never built or was deleted.
                    if attempt == attempts or self._store.current() is None:
                        if _short_reason(exc) not in ("missing", "schema outdated"):
                            self._verify()
                        raise
                except Exception as exc:
                    self._drop_snapshot()
                    if attempt == attempts:
                        log.exception("search index %s failed", self.path)
                        self._verify()
                        raise SearchUnavailable("the search index cannot be read") from exc
                time.sleep(0.05 * attempt)
            raise SearchUnavailable("the search index cannot be read")

    def close(self) -> None:
        """Close the open searcher (a later call reopens one)."""
        with self._lock:
            self._drop_snapshot()

    # Health and metadata

    def is_healthy(self) -> bool:
        """Return True if the live index opens, its files are intact and its documents read."""

        def check(snap: _Snapshot) -> bool:
            snap.searcher.document(uid=META_UID)
            for view in snap.views:
                view.live()
                snap.searcher.stored_fields(view.offset + view.n - 1)
            return True

        try:
            return self._read(check)
        except SearchUnavailable:
            return False

    def problem(self) -> str | None:
        """None if the index answers, else a short reason: damaged, missing, schema outdated,
        busy or unavailable. Cheap: a warm process checks the marker and a directory listing.
        """
        if self._store.damage() is not None:
            return "damaged"
        try:
            self._read(lambda snap: None)
        except SearchUnavailable as exc:
            return _short_reason(exc)
        return None

    def doc_count(self) -> int:
        """Return the number of documents (the metadata document not counted)."""

        def count(snap: _Snapshot) -> int:
            has_meta = snap.searcher.document_number(uid=META_UID) is not None
            return snap.searcher.doc_count() - int(has_meta)

        return self._read(count)

    def last_change_id(self) -> int | None:
        """Return the last change-log id applied to the index (None for a fresh index)."""

        return self._read(_Snapshot.change_id)

    # Writing

    def _writer(self, ix, **kwargs):
        deadline = time.monotonic() + self.writer_timeout
        while True:
            try:
                return ix.writer(timeout=1.0, compound=False, codec=Codec(), **kwargs)
            except LockError:
                if time.monotonic() > deadline:
                    raise SearchUnavailable("the search index is busy") from None
                time.sleep(0.05)

    def update(self, docs: Iterable[dict] = (), deletes: Iterable = (), change_id=None) -> None:
        """Apply a batch of upserts and deletions in one commit, one writer at a time.

        ``docs`` are the app's dicts (the current state of each record), ``deletes`` their ids.
        An id both updated and deleted is deleted. ``change_id`` is the highest change-log id
        the batch covers; the index keeps the highest it has seen, in the same commit.

        With ``erase_removed`` (the expert index), the segments that hold any version of a
        removed document are rewritten without it in the same commit, so its stored fields,
        terms and spelling words leave the disk: a deleted or hidden member leaves nothing
        behind. That costs a rewrite of those segments (bounded by ``rebuild_batch``); upserts
        alone never trigger it. Elsewhere a removed document's bytes go at a later merge.
        """
        documents, removed = self._prepared(docs, deletes)
        if not documents and not removed and change_id is None:
            return
        with self._writing():
            self._write_locked(documents, removed, change_id)

    def apply_changes(self, batches: Callable[[int], Iterable[tuple]]) -> int:
        """Apply what ``batches(applied)`` yields, holding the writer lock throughout.

        ``applied`` is the change id the index holds (0 for none); ``batches`` yields
        ``(docs, deletes, change_id)`` tuples as :meth:`update` takes, read from the database
        only now. Every process applies under the same lock, so a batch read later is always
        written later: an older copy of a document never overwrites a newer one. Returns the
        number of documents and deletions written. An exception raised by ``batches`` (the
        database went away, say) leaves what was committed and reaches the caller unchanged.
        """
        written = 0
        failure = None
        with self._writing():
            source = iter(batches(self.last_change_id() or 0))
            while True:
                try:
                    docs, deletes, change_id = next(source)
                except StopIteration:
                    break
                except Exception as exc:  # the caller's reading failed (its database): not
                    failure = exc  # the index's fault, so raised as it is, after the lock
                    break
                documents, removed = self._prepared(docs, deletes)
                if documents or removed or change_id is not None:
                    self._write_locked(documents, removed, change_id)
                written += len(documents) + len(removed)
        if failure is not None:
            raise failure
        return written

    def _prepared(self, docs, deletes) -> tuple[dict, set]:
        documents = {}
        for doc in docs:
            document = self._document(doc)
            documents[document["uid"]] = document
        removed = {str(int(value)) for value in deletes}
        for uid in removed:
            documents.pop(uid, None)
        return documents, removed

    @contextmanager
    def _writing(self):
        """Hold the writer lock; failures other than SearchUnavailable are logged, checked
        for damage and raised as SearchUnavailable."""
        try:
            with self._store.write_lock(self.writer_timeout):
                yield
        except SearchUnavailable:
            raise
        except Exception as exc:
            log.exception("updating search index %s failed", self.path)
            self._verify()
            raise SearchUnavailable("the search index cannot be updated") from exc

    def _write_locked(self, documents: dict, removed: set, change_id) -> None:
        """One Whoosh commit of ``documents`` and ``removed`` (the writer lock is held)."""
        self._raise_if_damaged()
        path = self._store.current()
        if path is None:
            raise SearchUnavailable("the search index is missing")
        self._remove_abandoned(path)
        try:
            ix = self._open_ix(path)
            check_manifest(path, ix.latest_generation())
        except SearchUnavailable:
            if path.is_dir():
                self._verify(locked=True)
            raise
        except Exception:
            self._verify(locked=True)
            raise
        try:
            writer = self._writer(ix)
            try:
                purge = _segments_holding(writer, removed) if self.erase_removed else set()
                for uid in removed:
                    writer.delete_by_term("uid", uid)
                for document in documents.values():
                    writer.update_document(**document)
                if change_id is not None:
                    with writer.searcher() as searcher:
                        meta = searcher.document(uid=META_UID) or {}
                    previous = meta.get("change_id")
                    latest = change_id if previous is None else max(previous, change_id)
                    writer.update_document(**meta_document(latest))
            except BaseException:
                writer.cancel()
                raise
            largest = self.rebuild_batch if self.erase_removed else None
            writer.commit(mergetype=_purging(purge, largest))
            write_manifest(path, ix)
        finally:
            ix.close()

    def _remove_abandoned(self, live: Path) -> None:
        """Remove what a killed rebuild left (a generation newer than the live one), if no
        rebuild is running now; cheap (a listing) when there is nothing to remove."""
        if not any(entry.name > live.name for entry in self._store.generations()):
            return
        try:
            with self._store.write_lock(0.0, REBUILD_LOCK_FILE):
                self._store.remove_abandoned()
        except SearchUnavailable:  # a rebuild is writing it
            pass

    def rebuild(
        self,
        docs: Iterable[dict],
        total: int | None = None,
        progress: Callable[[int, int | None], None] | None = None,
        change_id=None,
    ) -> int:
        """Index ``docs`` into a new generation and swap it in atomically; return the count.

        Searches use the old generation until the swap. ``change_id`` should be the last
        change-log id committed before ``docs`` were read: changes after it (including those
        applied to the old generation during the rebuild) are then replayed by the app's
        catch-up, since :meth:`last_change_id` reports it. Only one rebuild runs at a time;
        another one started meanwhile raises SearchUnavailable at once. What an earlier,
        killed rebuild left is removed first; a successful one clears recorded damage.
        """
        with self._store.write_lock(0.0, REBUILD_LOCK_FILE):
            self._store.remove_abandoned()
            return self._rebuild(docs, total, progress, change_id)

    def _rebuild(self, docs, total, progress, change_id) -> int:
        generation = self._store.new_generation()
        count = 0
        done = False
        try:
            schema = self.schema_factory()
            ix = self._guarded(whoosh_index.create_in, str(generation), schema, INDEX_NAME)
            writer = None
            try:
                for doc in docs:
                    document = self._document(doc)
                    if writer is None:
                        writer = self._guarded(self._bulk_writer, ix)
                    self._guarded(writer.add_document, **document)
                    count += 1
                    if progress is not None and count % 1000 == 0:
                        progress(count, total)
                    if count % self.rebuild_batch == 0:
                        self._guarded(writer.commit, merge=False)
                        writer = None
                if writer is None:
                    writer = self._guarded(self._writer, ix)
                self._guarded(writer.add_document, **meta_document(change_id))
                self._guarded(writer.commit, merge=False)
                writer = None
                self._guarded(write_manifest, generation, ix)
            finally:
                if writer is not None:
                    writer.cancel()
                ix.close()
            self._check_written(generation, count + 1)
            with self._store.write_lock(self.writer_timeout):
                self._store.switch(generation)
                self._store.clear_damage()
            done = True
        finally:
            if not done:
                shutil.rmtree(generation, ignore_errors=True)
        with self._lock:
            self._drop_snapshot()
        self._store.remove_older_generations(generation)
        if progress is not None:
            progress(count, total)
        return count

    def _check_written(self, generation: Path, expected: int) -> None:
        """Refuse a generation that lacks documents: Whoosh's multiprocessing writer commits
        without the segment of a writer subprocess that died, so a rebuild could otherwise
        swap in a partial index and report success."""
        ix = self._guarded(self._open_ix, generation)
        try:
            written = ix.doc_count_all()
        finally:
            ix.close()
        if written != expected:
            raise SearchUnavailable(
                f"the rebuild wrote {written} of {expected} documents; the live index is unchanged"
            )

    def _guarded(self, function, *args, **kwargs):
        """Call into Whoosh, turning its failures into SearchUnavailable."""
        try:
            return function(*args, **kwargs)
        except SearchUnavailable:
            raise
        except Exception as exc:
            log.exception("writing search index %s failed", self.path)
            raise SearchUnavailable("the search index cannot be written") from exc

    def _bulk_writer(self, ix):
        if self.procs > 1:
            return _MpWriter(
                ix,
                procs=self.procs,
                multisegment=True,
                limitmb=512,
                compound=False,
                codec=Codec(),
            )
        writer = ix.writer(limitmb=512, compound=False, codec=Codec())
        GroupingPool.replacing(writer)
        return writer


def _damage_of(path: Path) -> str | None:
    """Why the latest commit in ``path`` cannot be read, or None if it reads.

    Opens the commit, compares its files with the manifest and reads every segment's last
    stored document and the metadata document. An index of an older schema is not damage.
    """
    storage = Storage(path)
    try:
        with storage.closing_on_failure():
            ix = storage.open_index(INDEX_NAME)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the answer
        return f"the table of contents cannot be read: {type(exc).__name__}"
    try:
        try:
            check_manifest(path, ix.latest_generation())
        except SearchUnavailable as exc:
            return str(exc)
        try:
            with storage.closing_on_failure():
                searcher = ix.searcher()
            with searcher:
                searcher.document(uid=META_UID)
                for reader, offset in searcher.reader().leaf_readers():
                    if reader.doc_count_all():
                        searcher.stored_fields(offset + reader.doc_count_all() - 1)
        except Exception as exc:  # noqa: BLE001 - any failure to read is the answer
            cause = exc.__cause__ if isinstance(exc, FilesReplaced) else exc
            return f"a segment cannot be read: {type(cause).__name__}"
        return None
    finally:
        ix.close()


_SHORT_REASONS = (
    ("damaged", "damaged"),
    ("missing", "missing"),
    ("older version", "schema outdated"),
    ("busy", "busy"),
)


def _short_reason(exc: SearchUnavailable) -> str:
    if isinstance(exc, IndexDamaged):
        return "damaged"
    message = str(exc)
    return next((short for phrase, short in _SHORT_REASONS if phrase in message), "unavailable")


# Writer subprocesses of a rebuild (Whoosh's multiprocessing writer).

_PR_SET_PDEATHSIG = 1


class _SubWriterTask(SubWriterTask):
    """Whoosh's writer subprocess, bound to the life of the process that started it.

    Whoosh's subprocess waits on its job queue for ever: when the rebuild is killed, it
    would live on, holding (through the forked descriptor) the rebuild lock. This one drops
    the inherited locks at once and dies with its parent: Linux delivers SIGKILL when the
    parent exits (``PR_SET_PDEATHSIG``), and a watcher thread covers other systems and the
    moment before the request took effect.
    """

    def __init__(self, *args):
        super().__init__(*args)
        self.parent_pid = os.getpid()

    def run(self):
        release_inherited_locks()
        _die_with_parent(self.parent_pid)
        super().run()

    def _process_file(self, filename, doc_count):
        GroupingPool.replacing(self.writer)
        super()._process_file(filename, doc_count)


def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            log.debug("prctl is not available", exc_info=True)
    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int, interval: float = 0.5) -> None:
    """Exit this process once its parent is gone (it was then adopted by another)."""
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(1)


class _MpWriter(MpWriter):
    """Whoosh's multiprocessing writer with subprocesses that die with the rebuild, and a
    cancel that stops them (Whoosh's only flags its own copy of each process object)."""

    def _new_task(self):
        task = _SubWriterTask(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self):
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.kill()
            for task in self.tasks:
                task.join(timeout=10)
        finally:
            SegmentWriter.cancel(self)


def _segments_holding(writer, uids: set[str]) -> set[str]:
    """The segments whose term dictionary has one of ``uids``: a live document, or an older
    version already marked deleted but still on disk."""
    if not uids:
        return set()
    holding = set()
    for segment in writer.segments:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        try:
            if any(("uid", uid) in reader for uid in uids):
                holding.add(segment.segment_id())
        finally:
            reader.close()
    return holding


def _purging(segment_ids: set[str], largest: int | None = None):
    """A merge policy that rewrites the segments ``segment_ids`` without their deleted
    documents, then merges small segments as usual (only those under ``largest`` documents,
    when given, so that no later erasure has to rewrite a huge segment).

    Whoosh only marks a deleted document as deleted; its stored fields, terms and spelling
    words stay in the segment files until the segment is merged. Rewriting the segments that
    held a removed document drops those bytes, and the commit deletes the old files.
    """

    def policy(writer, segments):
        kept = []
        for segment in segments:
            if segment.segment_id() in segment_ids:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                try:
                    writer.add_reader(reader)
                finally:
                    reader.close()
            else:
                kept.append(segment)
        if largest is None:
            return MERGE_SMALL(writer, kept)
        large = [segment for segment in kept if segment.doc_count_all() >= largest]
        small = [segment for segment in kept if segment.doc_count_all() < largest]
        return large + MERGE_SMALL(writer, small)

    return policy


@dataclass(frozen=True)
class ProjectHit:
    """One project in a result page; ``title`` and ``snippet`` are safe HTML."""

    id: int
    title: str
    snippet: str
    score: float | None = None


@dataclass(frozen=True)
class ProjectResults:
    """A page of project results.

    ``total`` is exact. ``facets`` maps each facet field to ``value -> count`` (most frequent
    first, at most ``MAX_FACET_VALUES`` plus the selected values), each counted with every
    active filter except the field's own. ``partial`` is True when the time limit cut the
    search short. ``pages`` is capped at ``MAX_RESULT_WINDOW`` results deep.

    When the query as typed matches nothing, the results are those of a fallback: with
    ``shown_for`` set, of that corrected spelling ("Showing results for ..."); with
    ``some_words``, of the documents that have some of the words, most of them first. Before
    those, a query that matches nothing in the searcher's languages is read in every language
    (``other_languages``): a word typed in a language finds the texts written in it.
    """

    query: str
    sort: str
    page: int
    per_page: int
    total: int
    pages: int
    hits: list[ProjectHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    partial: bool = False
    shown_for: str | None = None
    some_words: bool = False
    # Skill labels found in the query (what was shown: the correction's, if it was shown).
    synonyms: tuple[SynonymMatch, ...] = ()
    # Nothing matched in the searcher's languages: these are matches in the other languages.
    other_languages: bool = False

    @property
    def ids(self) -> list[int]:
        return [hit.id for hit in self.hits]


_TITLE_ANALYZERS = {language: text_analyzer(language) for language in LANGUAGES}


def _title_analyzer(language: str):
    return _TITLE_ANALYZERS[language]


def _field_languages() -> dict[str, str]:
    return {language_field("content", language): language for language in LANGUAGES}


def searched_languages(languages) -> tuple[str, ...]:
    """The supported languages among ``languages`` (None: all of them), in a fixed order."""
    if languages is None:
        return LANGUAGES
    wanted = {language_of(code) for code in languages if code}
    return tuple(code for code in LANGUAGES if code in wanted) or (ENGLISH,)


def _leaf_words(node: wq.Query) -> list[tuple[str, bool]]:
    """The (term, is_prefix) words of a query's positive leaves, in order, once each."""
    words: list[tuple[str, bool]] = []
    for leaf in positive_leaves(node):
        if isinstance(leaf, wq.Phrase):
            words.extend((word, False) for word in leaf.words)
        elif isinstance(leaf, wq.Prefix):
            words.append((leaf.text, True))
        else:
            words.append((leaf.text, False))
    return list(dict.fromkeys(words))


def _title_slots(
    parsed: ParsedQuery, language: str = ENGLISH
) -> list[tuple[int, list[list[tuple[str, bool]]]]]:
    """What a title in ``language`` should hold: (weight, alternatives) per part of the query
    as read in that language.

    A word is a part of weight one. A skill label with its other names (see
    :mod:`diaspora.search.synonyms`) is one part: any one of its names will do, and it
    weighs as many words as the name that was typed.
    """
    node = parsed.in_language(language)
    if node is None or node is wq.NullQuery:
        return []
    children = node.subqueries if isinstance(node, wq.And) else [node]
    slots: list[tuple[int, list[list[tuple[str, bool]]]]] = []
    seen: set[tuple[str, bool]] = set()
    for child in children:
        if parsed.synonyms and isinstance(child, wq.Or):
            alternatives = [words for words in map(_leaf_words, child.subqueries) if words]
            if alternatives:
                slots.append((len(alternatives[0]), alternatives))
            continue
        for word in _leaf_words(child):
            if word not in seen:
                seen.add(word)
                slots.append((1, [[word]]))
    return slots


def _held(title: tuple[str, ...], words: list[tuple[str, bool]]) -> float:
    """The share of ``words`` (term, is_prefix) that ``title``'s terms hold."""
    found = sum(
        1
        for text, prefix in words
        if (any(t.startswith(text) for t in title) if prefix else text in title)
    )
    return found / len(words)


def _rerank_by_title(snap: _Snapshot, parsed: ParsedQuery, window: list) -> list:
    """Order the best ``TITLE_RERANK`` matches again, lifting those whose title has the
    query's words, the more so the fewer other words the title has.

    The documents are scored on one field that holds every part of a project, so a long
    project that mentions the words often can outrank the one whose title *is* the query.
    A title with all of the query's words and nothing else gains the best score in the
    window; one with half of them and twice as many words gains an eighth of it.
    """
    head = window[:TITLE_RERANK]
    by_language: dict[str, list] = {}
    best = max(-item[0] for item in head) or 1.0
    rescored = []
    for item in head:
        language, title = snap.title_terms(item[-1])
        slots = by_language.get(language)
        if slots is None:
            slots = by_language[language] = _title_slots(parsed, language)
        if not slots:
            rescored.append(item)
            continue
        total = sum(weight for weight, _ in slots)
        found = sum(
            weight * max(_held(title, words) for words in alternatives)
            for weight, alternatives in slots
        )
        coverage = found / total
        closeness = total / max(len(title), total)
        score = -item[0] + best * coverage * coverage * closeness
        rescored.append((-score, *item[1:]))
    return sorted(rescored)


def _normalize_filters(filters, allowed) -> dict[str, tuple[str, ...]]:
    result = {}
    for name, values in (filters or {}).items():
        if name not in allowed or values is None:
            continue
        if isinstance(values, str | int):
            values = [values]
        normalize = FILTER_NORMALIZERS[name]
        clean = tuple(dict.fromkeys(v for v in (normalize(value) for value in values) if v))[
            :MAX_FILTER_VALUES
        ]
        if clean:
            result[name] = clean
    return result


class ProjectIndex(SearchIndex):
    """The index of published projects."""

    schema_factory = staticmethod(project_schema)
    # Each query does fixed work per segment (facets, ranking): fewer, larger segments are
    # faster to search (100,000 projects: 11.5 ms with 2 segments, 16 ms with 8).
    rebuild_batch = 50_000

    def _document(self, doc: dict) -> dict:
        return project_document(doc)

    def warm(self, terms: int = 0) -> None:
        """Build the per-segment facet and sort data now rather than on the first query.

        With ``terms``, also precompute the most frequent ``content`` terms of each segment.
        """

        def prepare(snap: _Snapshot) -> None:
            for view in snap.views:
                view.live()
                for name in PROJECT_FACETS:
                    view.data.facet(view.reader, name)
                view.data.order(view.reader, "published", "q", 0, True)
                view.data.order(view.reader, "deadline", "i", NO_DEADLINE, False)
                view.data.norms(view.reader)
                for _, text in view.reader.most_frequent_terms("content", terms) if terms else ():
                    view.data.term(view.reader, text.decode("utf-8"))

        self._read(prepare)

    def _expand_prefix(self, snap: _Snapshot, fieldname: str, prefix: str) -> list[str]:
        """Return the stems (in ``fieldname``'s language) of the words starting with
        ``prefix``, most frequent first.

        Words come from the unstemmed spelling vocabulary ("voluntee*" finds "volunteering",
        whose stem "volunt" is shorter than the prefix) and from the stems themselves.
        """
        stem_of = stemmer(_field_languages().get(fieldname, ENGLISH))
        vocabulary = snap.vocabulary()
        start = bisect_left(vocabulary, prefix)
        words = islice(takewhile(lambda w: w.startswith(prefix), vocabulary[start:]), 200)
        stems = {stem_of(word) for word in words}
        reader = snap.searcher.reader()
        stems.update(t.decode("utf-8") for t in islice(reader.expand_prefix(fieldname, prefix), 50))
        frequency = snap.searcher.doc_frequency
        stems = {s for s in stems if frequency(fieldname, s)}
        ranked = sorted(stems, key=lambda s: (-frequency(fieldname, s), s))
        return ranked[:MAX_PREFIX_TERMS]

    def search(
        self,
        text: str = "",
        filters: dict | None = None,
        *,
        deadline_within_days: int | None = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 20,
        today: date | None = None,
        correct: bool = True,
        thesaurus: Thesaurus | None = None,
        languages: Iterable[str] | None = None,
    ) -> ProjectResults:
        """Search published projects.

        ``languages`` are those the searcher reads (None: every language): the words are read
        in each of them and matched in the texts written in them (see
        :mod:`diaspora.search.query`); a query that finds nothing there is read in every
        language. Browsing and filters alone list projects in every language.

        ``filters`` maps a field of ``PROJECT_FILTERS`` to accepted values (OR within a field,
        AND across fields; unknown fields are ignored). ``sort`` is one of ``SORTS`` (anything
        else means relevance); an empty query lists the newest first. Pages past the results
        (or past ``MAX_RESULT_WINDOW``) are empty. A query that matches nothing falls back to
        its spelling suggestion (unless ``correct`` is False: "search instead for" what was
        typed), then to any of its words (see :class:`ProjectResults`). With a ``thesaurus``,
        a skill's label also finds the skill's other names (:mod:`diaspora.search.synonyms`).
        """
        sort = sort if sort in SORTS else "relevance"
        per_page = _clamp(per_page, 1, MAX_PER_PAGE, 20)
        page = _clamp(page, 1, 10**9, 1)
        parsed = parse(text, "content", thesaurus, searched_languages(languages))
        if parsed.is_browse and sort == "relevance":
            sort = "newest"
        chosen = _normalize_filters(filters, PROJECT_FILTERS)
        window_end = page * per_page
        k = window_end if window_end <= MAX_RESULT_WINDOW else 0
        days = None
        if deadline_within_days not in (None, ""):
            days = _clamp(deadline_within_days, 0, 3650, None)
        today = today or datetime.now(UTC).date()

        def run(snap):
            def attempt(query: ParsedQuery) -> ProjectResults:
                return self._search(snap, query, chosen, days, today, sort, page, per_page, k)

            reading, present = snap.reading(parsed)
            results = attempt(reading)
            if results.total or results.partial or parsed.is_browse or parsed.matches_nothing:
                return results
            if set(reading.languages) != set(present):
                everywhere = attempt(reading.in_languages(present))
                if everywhere.total:
                    return replace(everywhere, other_languages=True)
            if correct and results.suggestion:
                corrected = attempt(reading.reparse(results.suggestion))
                if corrected.total:
                    return replace(corrected, query=parsed.text, shown_for=results.suggestion)
            some = reading.any_words()
            if some is not None:
                partial_match = attempt(some)
                if partial_match.total:
                    return replace(partial_match, some_words=True, suggestion=results.suggestion)
            return results

        return self._read(run)

    def _search(self, snap, parsed: ParsedQuery, chosen, days, today, sort, page, per_page, k):
        budget = Budget(self.time_limit)
        searcher = snap.searcher
        terms = None
        if not parsed.is_browse and not parsed.matches_nothing:
            terms = QueryTerms(searcher, parsed.query, partial_expander(self, snap))
        total = 0
        facets: dict[str, dict[str, int]] = {name: {} for name in PROJECT_FACETS}
        ranked: list[list] = []
        partial = False
        rerank = sort == "relevance" and terms is not None
        depth = max(k, TITLE_RERANK) if k and rerank else k
        for view in snap.views:
            try:
                matches, counts, best = self._search_segment(
                    view, parsed, terms, chosen, days, today, sort, depth, budget
                )
            except TimeUp:
                partial = True
                break
            total += matches
            for name, values in counts.items():
                bucket = facets[name]
                for value, count in values.items():
                    bucket[value] = bucket.get(value, 0) + count
            ranked.append(best)
        window = list(islice(merge(*ranked), depth))
        if rerank and window:
            window = _rerank_by_title(snap, parsed, window) + window[TITLE_RERANK:]
        window = window[:k]
        start = (page - 1) * per_page
        docnums = [item[-1] for item in window[start : start + per_page]]
        scores = [-item[0] if sort == "relevance" else None for item in window]
        highlights: dict[str, set[str]] = {}
        hits = []
        for docnum, score in zip(docnums, scores[start : start + per_page], strict=True):
            stored = searcher.stored_fields(docnum)
            lang = language_of(stored.get("lang"))
            highlight = highlights.get(lang)
            if highlight is None:
                fields = {language_field("content", lang)}
                highlight = highlights[lang] = terms.highlight_terms(fields) if terms else set()
            texts = [stored.get("summary", ""), stored.get("excerpt", "")]
            hits.append(
                ProjectHit(
                    id=int(stored["uid"]),
                    title=mark_all(stored.get("title", ""), highlight, lang),
                    snippet=snippet(texts, highlight, language=lang),
                    score=score,
                )
            )
        suggestion = None
        if terms and total < SUGGEST_BELOW and not partial:
            suggestion = self._suggest(snap, parsed, chosen, days, today, total)
        pages = math.ceil(min(total, MAX_RESULT_WINDOW) / per_page)
        return ProjectResults(
            query=parsed.text,
            sort=sort,
            page=page,
            per_page=per_page,
            total=total,
            pages=pages,
            hits=hits,
            facets={
                name: _top_values(values, chosen.get(name, ())) for name, values in facets.items()
            },
            suggestion=suggestion,
            partial=partial or budget.exhausted,
            synonyms=parsed.synonyms,
        )

    def _filter_bits(self, view: SegmentView, chosen, days, today) -> tuple[dict[str, int], int]:
        """Return each filtered field's accepted documents, and the deadline window's."""
        per_field = {}
        for name, values in chosen.items():
            accepted = 0
            for value in values:
                accepted |= view.data.value_bits(view.reader, name, value)
            per_field[name] = accepted
        window = B.full(view.n)
        if days is not None:
            first = day_number(today)
            window = view.deadline_bits(first, first + days)
        return per_field, window

    def _search_segment(self, view, parsed, terms, chosen, days, today, sort, k, budget):
        budget.check()
        live = view.live()
        if parsed.matches_nothing:
            text_bits = 0
        elif parsed.is_browse:
            text_bits = live
        else:
            text_bits = view.evaluate(parsed.query, terms, budget) & live
            text_bits &= _language_bits(view, parsed.languages)
        per_field, window = self._filter_bits(view, chosen, days, today)
        base = text_bits & window
        matches = base
        for accepted in per_field.values():
            matches &= accepted
        counts = {}
        for name in PROJECT_FACETS:
            facet_base = base
            for other, accepted in per_field.items():
                if other != name:
                    facet_base &= accepted
            counts[name] = view.facet_counts(name, facet_base) if facet_base else {}
        offset = view.offset
        if sort == "relevance":
            best = [
                (-score, -published, docnum + offset)
                for score, published, docnum in view.top_scored(matches, terms, k, budget)
            ]
        elif sort == "newest":
            best = [(key, d + offset) for key, d in view.top_sorted(matches, k, "published", True)]
        else:
            best = [(key, d + offset) for key, d in view.top_sorted(matches, k, "deadline", False)]
        return matches.bit_count(), counts, best

    def _count(self, snap, query, chosen, days, today) -> int:
        """Count the matches of a parsed query with the same filters (for suggestions)."""
        budget = Budget(self.time_limit / 2)
        terms = QueryTerms(snap.searcher, query.query, partial_expander(self, snap))
        total = 0
        for view in snap.views:
            bits = view.evaluate(query.query, terms, budget) & view.live()
            bits &= _language_bits(view, query.languages)
            per_field, window = self._filter_bits(view, chosen, days, today)
            bits &= window
            for accepted in per_field.values():
                bits &= accepted
            total += bits.bit_count()
        return total

    def _suggest(self, snap, parsed: ParsedQuery, chosen, days, today, total) -> str | None:
        """Return the query with each unknown word replaced by its best spelling, if better."""
        searcher = snap.searcher
        replacements = []
        languages = parsed.languages or (ENGLISH,)
        for word in parsed.words[:MAX_TERMS]:
            folded = fold(word.text)
            if len(folded) < 3 or len(folded) > 40:
                continue
            if any(
                searcher.doc_frequency(language_field("content", lang), stemmer(lang)(folded))
                for lang in languages
            ):
                continue
            best = self._correction(snap, folded)
            if best:
                replacements.append((word, best))
        if not replacements:
            return None
        text = parsed.text
        for word, best in sorted(replacements, key=lambda item: -item[0].start):
            text = text[: word.start] + best + text[word.end :]
        corrected = parsed.reparse(text)
        if corrected.is_browse or corrected.matches_nothing:
            return None
        try:
            better = self._count(snap, corrected, chosen, days, today) > total
        except TimeUp:
            return None
        return text if better else None

    def _correction(self, snap: _Snapshot, word: str) -> str | None:
        """Return the most frequent vocabulary word closest to ``word`` (same first letter)."""
        if word in snap.corrections:
            return snap.corrections[word]
        vocabulary = snap.vocabulary()
        best = None
        for distance in range(1, (1 if len(word) <= 4 else 2) + 1):
            automaton = Automata.levenshtein_dfa(word, distance, 1)
            found = list(islice(Automata.find_matches(automaton, _WordCursor(vocabulary)), 50))
            if found:
                frequency = snap.searcher.doc_frequency
                best = max(found, key=lambda candidate: frequency("spell", candidate))
                break
        snap.corrections[word] = best
        return best


def partial_expander(index: ProjectIndex, snap: _Snapshot):
    """The prefix expansion of ``index`` on ``snap``, as :class:`QueryTerms` calls it."""
    return lambda fieldname, prefix: index._expand_prefix(snap, fieldname, prefix)


def _language_bits(view: SegmentView, languages) -> int:
    """The documents of a segment written in one of ``languages`` (all when None or all)."""
    if languages is None or set(languages) >= set(LANGUAGES):
        return B.full(view.n)
    bits = 0
    for language in languages:
        bits |= view.data.value_bits(view.reader, LANGUAGE_FIELD, language)
    return bits


def _top_values(values: dict[str, int], selected) -> dict[str, int]:
    top = nsmallest(MAX_FACET_VALUES, values.items(), key=lambda item: (-item[1], item[0]))
    result = dict(top)
    for value in selected:
        result.setdefault(value, values.get(value, 0))
    return result


@dataclass(frozen=True)
class Clearance:
    """What a searcher may see of members: the audience levels visible unconditionally, and
    the institutions whose applicants' level-2 ("institutions I applied to") fields they see.
    """

    levels: frozenset[int]
    institution_ids: frozenset[int] = frozenset()

    @classmethod
    def coordinator(cls) -> Clearance:
        return cls(frozenset(LEVELS))

    @classmethod
    def institution(cls, institution_ids: Iterable[int]) -> Clearance:
        ids = frozenset(int(i) for i in institution_ids)
        return cls(frozenset({SIGNED_IN, PUBLIC}), ids)

    @classmethod
    def member(cls) -> Clearance:
        return cls(frozenset({SIGNED_IN, PUBLIC}))

    @classmethod
    def visitor(cls) -> Clearance:
        return cls(frozenset({PUBLIC}))

    @property
    def gated(self) -> bool:
        """True if level-2 fields are visible only for members who applied to us."""
        return APPLIED_INSTITUTIONS not in self.levels and bool(self.institution_ids)

    def gate(self) -> wq.Query | None:
        if not self.gated:
            return None
        ids = sorted(self.institution_ids)[:MAX_INSTITUTIONS]
        return wq.Or([wq.Term("applied", str(i)) for i in ids])


@dataclass(frozen=True)
class ExpertHit:
    """One member in a result page. ``snippets`` are safe HTML; ``fields`` holds plain values
    of the groups this searcher may see (nothing else is ever read from the index)."""

    user_id: int
    display_name: str
    snippets: dict[str, str]
    fields: dict[str, object]


@dataclass(frozen=True)
class ExpertResults:
    query: str
    page: int
    per_page: int
    total: int
    pages: int
    hits: list[ExpertHit]
    partial: bool = False
    some_words: bool = False
    synonyms: tuple[SynonymMatch, ...] = ()

    @property
    def ids(self) -> list[int]:
        return [hit.user_id for hit in self.hits]


_EXPERT_VALUES = (
    ("headline", "headline"),
    ("bio", "bio"),
    ("skills", "skillset"),
    ("skills_wanted", "wanted"),
    ("sectors", "sectors"),
    ("languages", "languages"),
    ("origin_country", "origin"),
    ("residence_country", "residence"),
    ("engagement_modes", "engagement"),
    ("travel", "trips"),
)


_QUERY_LANGUAGES = {language_field(QUERY_FIELD, language): language for language in LANGUAGES}
_ENGLISH_EXPERT_FIELDS = frozenset({"name"} | {level_field("skills", level) for level in LEVELS})


def _written_expert_fields(language: str) -> frozenset[str]:
    return frozenset(
        language_field(level_field(group, level), language)
        for group in EXPERT_WRITTEN_FIELDS
        for level in LEVELS
    )


class ExpertIndex(SearchIndex):
    """The index of members who chose to be listed, searched under a :class:`Clearance`."""

    schema_factory = staticmethod(expert_schema)
    # Each document is a person: removing one (account deleted, hidden, unlisted, suspended)
    # erases it from the files, and segments stay small enough for that to be quick.
    erase_removed = True
    rebuild_batch = 2_000

    def _document(self, doc: dict) -> dict:
        return expert_document(doc)

    @staticmethod
    def _page_visible(clearance: Clearance) -> wq.Query | None:
        """Members whose page this searcher may open (the profile page's own rule): some group
        at a level the searcher sees unconditionally, or an application to one of the
        searcher's institutions. None when every member qualifies (coordinators)."""
        if APPLIED_INSTITUTIONS in clearance.levels:
            return None
        options: list[wq.Query] = [
            wq.Term("widest", str(level)) for level in sorted(clearance.levels)
        ]
        gate = clearance.gate()
        if gate is not None:
            options.append(gate)
        return wq.Or(options) if options else wq.NullQuery

    def _alternatives(self, clearance: Clearance, base: str, make) -> wq.Query:
        """OR of ``make(field)`` over the visible levels of ``base``, level 2 behind the gate."""
        options = [make(level_field(base, level)) for level in sorted(clearance.levels)]
        gate = clearance.gate()
        if gate is not None:
            options.append(wq.And([make(level_field(base, APPLIED_INSTITUTIONS)), gate]))
        return wq.Or(options)

    def _expand(self, node, clearance: Clearance, reader) -> wq.Query:
        """Rewrite a query parsed on the generic fields (one per language) onto the fields
        visible to us: English words also look in names and skills, every language's words
        in headlines and bios written in it."""
        language = _QUERY_LANGUAGES.get(getattr(node, "fieldname", None))
        if isinstance(node, wq.Term | wq.Phrase | wq.Prefix) and language is not None:

            def leaf(fieldname: str) -> wq.Query:
                if isinstance(node, wq.Term):
                    return wq.Term(fieldname, node.text)
                if isinstance(node, wq.Phrase):
                    return wq.Phrase(fieldname, list(node.words), slop=node.slop)
                expanded = list(
                    islice(reader.expand_prefix(fieldname, node.text), MAX_PREFIX_TERMS)
                )
                stemmed = stemmer(language)(node.text)
                if stemmed != node.text:
                    expanded += list(islice(reader.expand_prefix(fieldname, stemmed), 5))
                terms = [wq.Term(fieldname, t.decode("utf-8")) for t in dict.fromkeys(expanded)]
                return wq.Or(terms) if terms else wq.NullQuery

            def written(fieldname: str) -> wq.Query:
                return leaf(language_field(fieldname, language))

            options = [leaf("name")] if language == ENGLISH else []
            for group in EXPERT_TEXT_FIELDS:
                if group in EXPERT_WRITTEN_FIELDS:
                    options.append(self._alternatives(clearance, group, written))
                elif language == ENGLISH:
                    options.append(self._alternatives(clearance, group, leaf))
            return wq.Or(options)
        return node.apply(lambda child: self._expand(child, clearance, reader))

    def search(
        self,
        clearance: Clearance,
        text: str = "",
        filters: dict | None = None,
        *,
        travel: tuple[str, str] | None = None,
        page: int = 1,
        per_page: int = 20,
        thesaurus: Thesaurus | None = None,
        languages: Iterable[str] | None = None,
    ) -> ExpertResults:
        """Search listed members with what ``clearance`` allows, and nothing more.

        ``languages`` as for projects: headlines and bios are searched in the languages the
        searcher reads (None: every language). Names and skills are English fields, so
        English is always one of them.

        ``filters`` maps ``skills``, ``sectors``, ``languages``, ``origin_country``,
        ``residence_country`` or ``engagement_modes`` to accepted values; ``travel`` is
        ``(country, "YYYY-MM")``: in that country during that month. A filter, like a word,
        only matches a group this searcher may see. ``thesaurus`` as for projects.
        """
        if not isinstance(clearance, Clearance):
            raise TypeError("clearance must be a Clearance")
        per_page = _clamp(per_page, 1, MAX_PER_PAGE, 20)
        page = _clamp(page, 1, 10**9, 1)
        read = searched_languages(languages)
        if ENGLISH not in read:
            read = searched_languages((ENGLISH, *read))
        parsed = parse(text, QUERY_FIELD, thesaurus, read)
        chosen = _normalize_filters(filters, EXPERT_FILTERS)
        window_end = page * per_page
        empty = ExpertResults(parsed.text, page, per_page, 0, 0, [])
        if parsed.matches_nothing:
            return empty

        def run(snap):
            def attempt(query: ParsedQuery) -> ExpertResults:
                return self._search(
                    snap, clearance, query, chosen, travel, page, per_page, window_end
                )

            reading, present = snap.reading(parsed)
            results = attempt(reading)
            if not results.total and not results.partial and set(reading.languages) != set(present):
                everywhere = attempt(reading.in_languages(present))
                if everywhere.total:
                    return everywhere
            some = None if results.total or results.partial else reading.any_words()
            if some is not None:
                partial_match = attempt(some)
                if partial_match.total:
                    return replace(partial_match, some_words=True)
            return results

        return self._read(run)

    def _search(self, snap, clearance, parsed, chosen, travel, page, per_page, window_end):
        """Evaluate on the segments as project searches do: document sets per term, each
        text field scored with its own lengths (BM25 per field, summed), browsing by name."""
        searcher = snap.searcher
        reader = searcher.reader()
        empty = ExpertResults(parsed.text, page, per_page, 0, 0, [])
        if searcher.doc_count() <= 1:  # only the meta document: nobody is listed yet
            return empty
        parts = []
        terms = None
        if not parsed.is_browse:
            text = self._expand(parsed.query, clearance, reader)
            parts.append(text)
            terms = QueryTerms(searcher, text)
        for name, values in chosen.items():
            group_field = EXPERT_FILTERS[name][1]
            options = [
                self._alternatives(clearance, group_field, lambda f, v=value: wq.Term(f, v))
                for value in values
            ]
            parts.append(wq.Or(options))
        if travel is not None:
            token = travel_token(*travel) if len(travel) == 2 else None
            if token is None:
                return empty
            parts.append(self._alternatives(clearance, "travel", lambda f: wq.Term(f, token)))
        seen = self._page_visible(clearance)
        if seen is not None:
            parts.append(seen)
        query = wq.And(parts) if parts else wq.Every()
        k = window_end if window_end <= MAX_RESULT_WINDOW else 0
        budget = Budget(self.time_limit)
        total = 0
        ranked: list[list] = []
        partial = False
        for view in snap.views:
            try:
                budget.check()
                matches = view.evaluate(query, terms, budget) & view.live()
                total += matches.bit_count()
                offset = view.offset
                if terms is not None:
                    top = view.top_scored(matches, terms, k, budget, newest=False)
                    ranked.append([(-score, -tie, d + offset) for score, tie, d in top])
                else:
                    top = view.top_by_bytes(matches, k, "sortname")
                    ranked.append([(key, d + offset) for key, d in top])
            except TimeUp:
                partial = True
                break
        window = list(islice(merge(*ranked), k))
        start = (page - 1) * per_page
        docnums = [item[-1] for item in window[start:window_end]]
        applied = self._applied(snap, clearance, docnums, budget)
        hits = [self._hit(searcher, d, clearance, d in applied, terms) for d in docnums]
        pages = math.ceil(min(total, MAX_RESULT_WINDOW) / per_page)
        return ExpertResults(
            parsed.text,
            page,
            per_page,
            total,
            pages,
            hits,
            partial or budget.exhausted,
            synonyms=parsed.synonyms,
        )

    @staticmethod
    def _applied(snap, clearance: Clearance, docnums: list[int], budget: Budget) -> set[int]:
        """Which of ``docnums`` applied to one of the searcher's institutions."""
        gate = clearance.gate()
        if gate is None or not docnums:
            return set()
        applied = set()
        for view in snap.views:
            local = [d - view.offset for d in docnums if 0 <= d - view.offset < view.n]
            if local:
                bits = view.evaluate(gate, None, budget)
                applied.update(d + view.offset for d in local if bits >> d & 1)
        return applied

    def _hit(
        self, searcher, docnum: int, clearance: Clearance, applied: bool, query_terms
    ) -> ExpertHit:
        stored = searcher.stored_fields(docnum)
        lang = language_of(stored.get("lang"))
        levels = set(clearance.levels)
        if applied and clearance.gated:
            levels.add(APPLIED_INSTITUTIONS)
        values: dict[str, object] = {}
        for name, base in _EXPERT_VALUES:
            for level in sorted(levels, reverse=True):
                field = level_field(base, level)
                if base in EXPERT_WRITTEN_FIELDS:
                    field = language_field(field, lang)
                value = stored.get(field)
                if value:
                    values[name] = value
                    break
        terms, written = set(), set()
        if query_terms is not None:
            # Names and skills are English fields; headlines and bios are in the member's.
            terms = query_terms.highlight_terms(_ENGLISH_EXPERT_FIELDS)
            written = query_terms.highlight_terms(_written_expert_fields(lang))
        snippets = {"name": mark_all(stored.get("display_name", ""), terms)}
        if values.get("headline"):
            snippets["headline"] = mark_all(values["headline"], written, lang)
        if values.get("bio"):
            snippets["bio"] = snippet([values["bio"]], written, language=lang)
        # Skills a member has and skills they want to develop are never run together.
        for name in ("skills", "skills_wanted"):
            if values.get(name):
                snippets[name] = mark_all(", ".join(values[name]), terms)
        return ExpertHit(
            user_id=int(stored["uid"]),
            display_name=stored.get("display_name", ""),
            snippets=snippets,
            fields=values,
        )
