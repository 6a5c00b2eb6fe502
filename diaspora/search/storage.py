"""Index directories on disk: generations, locks, manifests and the Whoosh codec used.

Layout of an index directory (one per index, e.g. ``instance/search/projects``)::

    CURRENT                 name of the live generation, replaced atomically by a rebuild
    write.lock              fcntl lock: one writer at a time across processes and threads
    rebuild.lock            fcntl lock: one rebuild at a time
    DAMAGED                 present when a generation was found damaged (JSON: which, why)
    gen-<time>-<random>/    a Whoosh index (non-compound segments) + manifest.json

``manifest.json`` holds the size of every file of the last commit, so a truncated file is
detected when a searcher opens, before Whoosh reads it.

``DAMAGED`` is how one process tells every other one that the live generation cannot be read:
each checks it (a ``stat``) before serving from a snapshot it already has open, so warm
workers stop answering from stale data and all of them say "unavailable" alike. It names the
generation it was written for; a rebuild swaps in a new generation, which it does not concern,
and then deletes it.

Locks are only ever held by a live process: the kernel drops an flock when the last
descriptor of it closes, and :func:`release_inherited_locks` lets a forked writer subprocess
drop the copies it inherited, so a killed rebuild leaves no lock behind in its children.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3PerDocReader,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.columns import NumericColumn
from whoosh.filedb.filestore import FileStorage
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool

log = logging.getLogger(__name__)

# Read Whoosh's private structures directly where that is much faster (posting blocks, column
# bytes, pickled positions); False takes Whoosh's public API everywhere, with the same
# results. The suite runs both ways; tests/search/test_whoosh_contract.py pins the internals.
WHOOSH_INTERNALS = True

CURRENT = "CURRENT"
LOCK_FILE = "write.lock"
REBUILD_LOCK_FILE = "rebuild.lock"
MANIFEST = "manifest.json"
DAMAGED = "DAMAGED"
INDEX_NAME = "MAIN"
_GENERATION = re.compile(r"^gen-[0-9TZ]+-[0-9a-f]+$")
# Descriptors of the index locks this process holds now (see release_inherited_locks).
_held_locks: set[int] = set()


class SearchUnavailable(Exception):
    """The index is missing, damaged or busy: show "search is temporarily unavailable"."""


class IndexDamaged(SearchUnavailable):
    """The live generation's files are damaged: only a rebuild repairs it."""


class FilesReplaced(SearchUnavailable):
    """A file vanished while a commit was being opened: another writer committed and cleaned
    up meanwhile. Opening again finds the newer commit."""


class Codec(W3Codec):
    """Whoosh's codec with faster bookkeeping when a segment is written.

    The stock per-document reader checks the disk for each posting of an unscored field (a
    ``stat`` per posting) and reads each length through a column reader; this one remembers
    absent columns and reads each length column once. The postings writer skips per-posting
    type assertions. The segments written are ordinary, byte-identical Whoosh 3 segments.
    """

    def per_document_reader(self, storage, segment):
        return _PerDocReader(storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class _PerDocReader(W3PerDocReader):
    def _cached_reader(self, fieldname, column):
        if fieldname not in self._readers:
            has = self.has_column(fieldname)
            self._readers[fieldname] = self.column_reader(fieldname, column) if has else None
        return self._readers[fieldname]

    def doc_field_length(self, docnum, fieldname, default=0):
        cache = self.__dict__.setdefault("_length_bytes", {})
        lengths = cache.get(fieldname)
        if lengths is None:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if WHOOSH_INTERNALS and isinstance(reader, NumericColumn.Reader):
                lengths = reader._dbfile.get(reader._basepos, reader._count)
            else:
                lengths = bytes(reader[d] for d in range(self._doccount)) if reader else b""
            cache[fieldname] = lengths
        if docnum < len(lengths) and lengths[docnum]:
            return _BYTE_LENGTHS[lengths[docnum]]
        return default


_BYTE_LENGTHS = [byte_to_length(byte) for byte in range(256)]


class _PostingsWriter(W3PostingsWriter):
    def add_posting(self, id_, weight, vbytes, length=None):
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length


class GroupingPool(PostingPool):
    """Whoosh's posting pool, holding the postings of each term together.

    Whoosh's pool sorts every posting ``(field, term, document, weight, value)`` as one tuple
    before a segment is written, a tenth of a rebuild's time. Documents are added in order, so
    the postings of one term already come in order; this pool sorts the distinct terms only
    (and the postings of a term that came out of order, which a rebuild never gives). Past
    the memory limit it writes sorted runs, which Whoosh's pool merges as it does its own.
    """

    ITEM_BYTES = 160  # about what Whoosh's pool counts for one posting

    def __init__(self, tempstore, segment, limitmb=128, **kwargs):
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self._terms: dict[tuple, list] = {}
        self._unordered: set[tuple] = set()
        self._count = 0
        self._max_items = max(1, self.limit // self.ITEM_BYTES)

    @classmethod
    def replacing(cls, writer) -> None:
        """Give a new writer (nothing added yet) this pool instead of Whoosh's."""
        pool = writer.pool
        if type(pool) is PostingPool and not pool.current and not pool.runs:
            writer.pool = cls(pool.tempstore, pool.segment, limitmb=pool.limit / 2**20)

    def add(self, item):
        key = item[:2]
        postings = self._terms.get(key)
        if postings is None:
            self._terms[key] = [item]
            self.fieldnames.add(item[0])
        else:
            if item[2] < postings[-1][2]:
                self._unordered.add(key)
            postings.append(item)
        self._count += 1
        if self._count >= self._max_items:
            self.save()

    def _sorted(self):
        terms, unordered = self._terms, self._unordered
        for key in sorted(terms):
            postings = terms[key]
            if key in unordered:
                postings.sort()
            yield from postings

    def save(self):
        if self._terms:
            path, f = self._new_run()
            self._write_run(f, self._sorted())
            self._add_run(path)
            self._terms, self._unordered, self._count = {}, set(), 0

    def items(self, maxfiles=128):
        if not self.runs:
            return self._sorted()
        return super().items(maxfiles)


class Storage(FileStorage):
    """Whoosh file storage that reads without mmap and can undo a failed open.

    Without mmap, a file truncated under an open reader gives a read error (hence
    SearchUnavailable) instead of a SIGBUS that kills the worker. Whoosh leaves files open
    when opening a damaged index fails; :meth:`closing_on_failure` closes them. Inside that
    block a file that vanished raises :class:`FilesReplaced` rather than an ``OSError``:
    Whoosh's reader retries an ``OSError`` by itself and drops, unclosed, the segments it had
    already opened, whereas the caller retries cleanly.
    """

    def __init__(self, path: Path):
        super().__init__(str(path), supports_mmap=False)
        self._opened: list | None = None

    def open_file(self, name, **kwargs):
        if self._opened is None:
            return super().open_file(name, **kwargs)
        try:
            handle = super().open_file(name, **kwargs)
        except FileNotFoundError as exc:
            raise FilesReplaced(f"the search index changed while it was opened ({name})") from exc
        self._opened.append(handle)
        return handle

    def file_length(self, name):
        try:
            return super().file_length(name)
        except FileNotFoundError as exc:
            if self._opened is None:
                raise
            raise FilesReplaced(f"the search index changed while it was opened ({name})") from exc

    @contextmanager
    def closing_on_failure(self):
        self._opened = []
        try:
            yield
        except BaseException:
            for handle in self._opened:
                try:
                    handle.close()
                except Exception:  # noqa: BLE001 - best effort on a damaged index
                    log.debug("closing %r failed", handle, exc_info=True)
            raise
        finally:
            self._opened = None


class Store:
    """The directory of one index: generations, the CURRENT pointer and the writer lock."""

    def __init__(self, root: Path):
        self.root = root

    def current(self) -> Path | None:
        try:
            name = (self.root / CURRENT).read_text().strip()
        except OSError:
            return None
        if not _GENERATION.match(name):
            return None
        return self.root / name

    def new_generation(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.root / f"gen-{stamp}-{secrets.token_hex(4)}"
        path.mkdir(parents=True)
        return path

    def switch(self, path: Path) -> None:
        """Point CURRENT at ``path`` atomically (rename over the old pointer)."""
        temporary = self.root / f"{CURRENT}.{secrets.token_hex(4)}"
        with open(temporary, "w") as handle:
            handle.write(path.name)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.root / CURRENT)

    def remove_older_generations(self, keep: Path) -> None:
        """Delete the generations created before ``keep`` (names sort by creation time)."""
        for entry in self.generations():
            if entry.name < keep.name:
                shutil.rmtree(entry, ignore_errors=True)

    def generations(self) -> list[Path]:
        try:
            entries = list(self.root.iterdir())
        except OSError:
            return []
        return sorted(e for e in entries if e.is_dir() and _GENERATION.match(e.name))

    def remove_abandoned(self) -> list[str]:
        """Delete the generations newer than the live one: what a killed rebuild was writing.

        Call it only while holding the rebuild lock (no rebuild is writing one then). Readers
        and writers only ever use the live generation (or, for a moment after a swap, an older
        one), so nothing in use is removed. Returns the names removed.
        """
        current = self.current()
        if current is None:  # nothing to compare with: leave everything for the operator
            return []
        removed = []
        for entry in self.generations():
            if entry.name > current.name:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
                log.warning("removed %s, left by an interrupted rebuild", entry)
        return removed

    # Damage

    def damage(self) -> str | None:
        """The reason recorded for the live generation being damaged, or None (one stat when
        nothing is recorded)."""
        try:
            record = json.loads((self.root / DAMAGED).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return "the index is damaged"
        current = self.current()
        if not isinstance(record, dict) or current is None:
            return None
        if record.get("generation") != current.name:
            return None
        return str(record.get("reason") or "the index is damaged")

    def record_damage(self, generation: Path, reason: str) -> None:
        """Write the DAMAGED marker for ``generation`` atomically (every process sees it)."""
        record = {
            "generation": generation.name,
            "reason": reason,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        temporary = self.root / f"{DAMAGED}.{secrets.token_hex(4)}"
        temporary.write_text(json.dumps(record))
        os.replace(temporary, self.root / DAMAGED)

    def clear_damage(self) -> None:
        (self.root / DAMAGED).unlink(missing_ok=True)

    @contextmanager
    def write_lock(self, timeout: float, name: str = LOCK_FILE):
        """Hold an exclusive lock file of the index (shared by all processes and threads)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / name, "a+")  # noqa: SIM115 - held for the block
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SearchUnavailable("the search index is busy") from None
                    time.sleep(0.01)
            _held_locks.add(handle.fileno())
            try:
                yield
            finally:
                _held_locks.discard(handle.fileno())
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()


def release_inherited_locks() -> None:
    """In a forked child: let go of the index locks the parent held at the fork.

    An flock belongs to the open file, which a fork shares: a writer subprocess would keep
    the parent's rebuild lock alive after the parent died. Pointing the inherited descriptors
    at /dev/null drops the child's share and keeps the numbers valid for the objects that
    still name them (``flock(LOCK_UN)`` would release the parent's lock too).
    """
    if not _held_locks:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        for fd in list(_held_locks):
            os.dup2(null, fd)
        _held_locks.clear()
    finally:
        os.close(null)


def segment_files(path: Path, ix) -> dict[str, int]:
    """Return ``name -> size`` of the files making up the latest commit of ``ix``."""
    generation = ix.latest_generation()
    prefixes = [segment.segment_id() + "." for segment in ix._segments()]
    sizes = {}
    for entry in os.scandir(path):
        if entry.name == f"_{INDEX_NAME}_{generation}.toc" or any(
            entry.name.startswith(prefix) for prefix in prefixes
        ):
            sizes[entry.name] = entry.stat().st_size
    return sizes


def write_manifest(path: Path, ix) -> None:
    manifest = {"generation": ix.latest_generation(), "files": segment_files(path, ix)}
    temporary = path / f"{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest))
    os.replace(temporary, path / MANIFEST)


def check_manifest(path: Path, generation: int) -> None:
    """Raise if a file recorded for this commit is missing or has another size."""
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return
    if manifest.get("generation") != generation:
        return
    for name, size in manifest.get("files", {}).items():
        try:
            actual = os.stat(path / name).st_size
        except OSError:
            raise SearchUnavailable(f"index file {name} is missing") from None
        if actual != size:
            raise SearchUnavailable(f"index file {name} is damaged")
