"""Recovery of the engine: a killed rebuild (real processes and signals) and recorded damage."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diaspora.search import ProjectIndex, SearchUnavailable
from diaspora.search.storage import CURRENT, DAMAGED, REBUILD_LOCK_FILE, IndexDamaged, Store
from tests.fault_tools import wait_until

from .factories import project

DOCS = [project(pid, title=f"Solar project {pid}") for pid in range(1, 21)]
ROOT = Path(__file__).resolve().parents[2]

# A rebuild with writer subprocesses that feeds 500 documents, says so, then waits for ever
# (as if reading a slow database) until it is killed.
_STALLED_REBUILD = """
import sys, threading
from diaspora.search import ProjectIndex
from tests.search.factories import project

def documents():
    for pid in range(1, 501):
        yield project(pid, title=f"Wind project {pid}")
    print("fed", flush=True)
    threading.Event().wait()

ProjectIndex(sys.argv[1], procs=2).rebuild(documents())
"""


def process_state(pid: int) -> tuple[str, int] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        state = process_state(int(entry)) if entry.isdigit() else None
        if state is not None and state[1] == pid and state[0] != "Z":
            found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    state = process_state(pid)
    return state is not None and state[0] != "Z"


def generations(path: Path) -> set[str]:
    return {p.name for p in path.iterdir() if p.is_dir() and p.name.startswith("gen-")}


@pytest.fixture
def index(tmp_path):
    search_index = ProjectIndex(tmp_path / "projects", procs=1)
    search_index.rebuild(DOCS)
    yield search_index
    search_index.close()


# --------------------------------------------------------------------------- killed rebuild


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from /proc")
def test_a_killed_rebuild_frees_its_lock_and_its_writers_die(index):
    live = (index.path / CURRENT).read_text()
    stalled = subprocess.Popen(
        [sys.executable, "-c", _STALLED_REBUILD, str(index.path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert stalled.stdout.readline().strip() == "fed"
        writers = wait_until(lambda: children(stalled.pid), 30, "the writer subprocesses")
        with pytest.raises(SearchUnavailable, match="busy"):
            index.rebuild(DOCS)
        stalled.send_signal(signal.SIGKILL)
        stalled.wait(timeout=30)
    finally:
        if stalled.poll() is None:
            stalled.kill()
            stalled.wait(timeout=30)
        stalled.stdout.close()
    with Store(index.path).write_lock(0.0, REBUILD_LOCK_FILE):
        pass  # free at once: no surviving writer holds it
    wait_until(lambda: not any(alive(pid) for pid in writers), 10, "the writers to die")
    (partial,) = generations(index.path) - {live}
    assert index.search("solar").total == 20

    assert index.rebuild(DOCS[:5]) == 5
    assert partial not in generations(index.path)
    assert generations(index.path) == {(index.path / CURRENT).read_text()}
    assert index.search("solar").total == 5


def test_a_failed_rebuild_stops_its_writer_subprocesses(tmp_path):
    search_index = ProjectIndex(tmp_path / "projects", procs=2)

    def broken():
        for pid in range(1, 301):
            yield project(pid)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        search_index.rebuild(broken())
    assert multiprocessing.active_children() == []
    assert generations(search_index.path) == {(search_index.path / CURRENT).read_text()}
    assert search_index.rebuild(DOCS) == 20
    assert search_index.search("solar").total == 20
    search_index.close()


def test_an_update_removes_a_generation_left_by_a_killed_rebuild(index):
    live = (index.path / CURRENT).read_text()
    abandoned = index._store.new_generation()
    (abandoned / "MAIN_leftover.seg").write_bytes(b"partial")
    with index._store.write_lock(0.0, REBUILD_LOCK_FILE):
        index.update([project(99, title="Solar kiosk")])
        assert abandoned.exists()  # a running rebuild's generation is never touched
    index.update([project(100, title="Solar pump")])
    assert generations(index.path) == {live}
    assert index.search("solar").total == 22


# --------------------------------------------------------------------------- recorded damage


def truncate_largest_segment(index) -> None:
    generation = index.path / (index.path / CURRENT).read_text()
    victim = max(
        (p for p in generation.iterdir() if p.name.startswith("MAIN_")),
        key=lambda p: p.stat().st_size,
    )
    with open(victim, "r+b") as handle:
        handle.truncate(victim.stat().st_size // 2)


def test_damage_found_by_one_process_is_seen_by_a_warm_one(index):
    assert index.search("solar").total == 20  # warm snapshot
    truncate_largest_segment(index)
    assert index.search("solar").total == 20  # nothing recorded yet: Whoosh sees no change
    cold = ProjectIndex(index.path, procs=1)
    with pytest.raises(IndexDamaged, match="damaged.*flask search rebuild"):
        cold.search("solar")
    record = json.loads((index.path / DAMAGED).read_text())
    assert record["generation"] == (index.path / CURRENT).read_text()
    started = time.monotonic()
    with pytest.raises(IndexDamaged):
        index.search("solar")
    assert time.monotonic() - started < 5  # answered at once, not after retries
    with pytest.raises(IndexDamaged):
        index.update([project(99)], change_id=7)
    assert index.problem() == cold.problem() == "damaged"
    assert not index.is_healthy()

    cold.rebuild(DOCS, change_id=5)
    assert not (index.path / DAMAGED).exists()
    assert index.search("solar").total == 20
    assert index.problem() is None
    assert index.last_change_id() == 5
    cold.close()


def test_an_update_on_a_damaged_index_records_the_damage(index):
    truncate_largest_segment(index)
    with pytest.raises(IndexDamaged):
        index.update([project(99)])
    assert "damaged" in json.loads((index.path / DAMAGED).read_text())["reason"]


def test_a_marker_for_another_generation_is_ignored(index):
    Store(index.path).record_damage(index.path / "gen-20000101T000000000000Z-00000000", "old")
    assert index.search("solar").total == 20
    assert index.problem() is None


def test_a_read_failure_while_the_writer_lock_is_held_records_nothing(index, monkeypatch):
    """Damage is confirmed under the writer lock; when it is busy nothing is recorded."""
    monkeypatch.setattr("diaspora.search.engine.VERIFY_TIMEOUT", 0.1)
    truncate_largest_segment(index)
    cold = ProjectIndex(index.path, procs=1)
    with index._store.write_lock(0.0), pytest.raises(SearchUnavailable) as raised:
        cold.search("solar")
    assert not isinstance(raised.value, IndexDamaged)
    assert not (index.path / DAMAGED).exists()
    with pytest.raises(IndexDamaged):
        cold.search("solar")
    cold.close()


def test_problem_names_a_missing_index(tmp_path, index):
    assert ProjectIndex(tmp_path / "nowhere", create=False).problem() == "missing"
    assert index.problem() is None


def test_a_never_built_index_is_missing_at_once(tmp_path, monkeypatch):
    """No live generation is no race with a swap: reads give up without waiting, so a site
    without an index does not slow down every page that reads or applies to it."""
    from diaspora.search import engine

    waits = []
    monkeypatch.setattr(engine.time, "sleep", waits.append)
    missing = ProjectIndex(tmp_path / "nowhere", create=False)
    assert missing.problem() == "missing"
    with pytest.raises(SearchUnavailable, match="missing"):
        missing.last_change_id()
    assert waits == []


def test_a_rebuild_whose_writer_subprocess_dies_is_refused(tmp_path, monkeypatch):
    from diaspora.search import engine

    search_index = ProjectIndex(tmp_path / "projects", procs=2)
    assert search_index.rebuild(DOCS) == 20
    live = (search_index.path / CURRENT).read_text()
    # Whoosh's multiprocessing writer commits without the segment of a subprocess that died.
    monkeypatch.setattr(engine._SubWriterTask, "run", lambda self: os._exit(1))
    more = [project(pid, title=f"Wind project {pid}") for pid in range(1, 501)]
    with pytest.raises(SearchUnavailable, match="the live index is unchanged"):
        search_index.rebuild(more)
    monkeypatch.undo()
    assert (search_index.path / CURRENT).read_text() == live
    assert generations(search_index.path) == {live}
    assert search_index.search("solar").total == 20
    assert multiprocessing.active_children() == []
    search_index.close()
