"""A missing, damaged or rebuilt index degrades to SearchUnavailable and recovers."""

import os
import shutil

import pytest
from whoosh.filedb.filestore import FileStorage

from diaspora.search import Clearance, ExpertIndex, ProjectIndex, SearchUnavailable
from diaspora.search.storage import CURRENT, MANIFEST

from .factories import expert, project

DOCS = [project(pid, title=f"Solar project {pid}") for pid in range(1, 21)]


@pytest.fixture
def index(tmp_path):
    search_index = ProjectIndex(tmp_path / "projects", procs=1)
    search_index.rebuild(DOCS)
    yield search_index
    search_index.close()


def generation(index) -> str:
    return (index.path / CURRENT).read_text()


def segment_files(index) -> list[str]:
    """Return the non-empty files of the live generation's segments."""
    path = index.path / generation(index)
    return sorted(
        name
        for name in os.listdir(path)
        if name.startswith("MAIN_")
        and not name.endswith("WRITELOCK")
        and os.path.getsize(path / name)
    )


def test_deleted_index_directory_is_unavailable_until_rebuilt(index):
    assert index.search("solar").total == 20
    shutil.rmtree(index.path)
    with pytest.raises(SearchUnavailable):
        index.search("solar")
    with pytest.raises(SearchUnavailable):
        index.update([project(99)])
    with pytest.raises(SearchUnavailable):
        index.doc_count()
    assert not index.is_healthy()
    index.rebuild(DOCS)
    assert index.is_healthy()
    assert index.search("solar").total == 20


def test_deleted_generation_directory_is_unavailable(index):
    shutil.rmtree(index.path / generation(index))
    with pytest.raises(SearchUnavailable):
        index.search("solar")


@pytest.mark.parametrize("pick", range(6))
def test_a_truncated_segment_file_is_unavailable_then_rebuilt(index, pick):
    index.close()
    files = segment_files(index)
    victim = index.path / generation(index) / files[pick % len(files)]
    with open(victim, "r+b") as handle:
        handle.truncate(os.path.getsize(victim) // 2)
    fresh = ProjectIndex(index.path, procs=1)
    with pytest.raises(SearchUnavailable):
        fresh.search("solar")
    assert not fresh.is_healthy()
    fresh.rebuild(DOCS)
    assert fresh.search("solar").total == 20
    fresh.close()


def test_a_truncated_table_of_contents_is_unavailable(index):
    index.close()
    path = index.path / generation(index)
    (path / MANIFEST).unlink()
    toc = next(name for name in os.listdir(path) if name.endswith(".toc"))
    (path / toc).write_bytes((path / toc).read_bytes()[:20])
    fresh = ProjectIndex(index.path)
    with pytest.raises(SearchUnavailable):
        fresh.search("solar")
    fresh.close()


def test_garbage_current_pointer_is_unavailable(index):
    (index.path / CURRENT).write_text("../../etc")
    with pytest.raises(SearchUnavailable):
        index.search("solar")


def test_rebuild_swaps_while_a_searcher_is_open(index):
    other = ProjectIndex(index.path, procs=1)
    assert index.search("solar").total == 20
    old_generation = generation(index)
    seen_during_rebuild = []

    def replacement():
        for pid in range(1, 6):
            if pid == 3:
                seen_during_rebuild.append(index.search("solar").total)
            yield project(pid, title=f"Wind project {pid}")

    other.rebuild(replacement(), change_id=42)
    assert seen_during_rebuild == [20]
    assert index.search("solar").total == 0
    assert index.search("wind").total == 5
    assert index.last_change_id() == 42
    assert not (index.path / old_generation).exists()
    other.close()


def test_a_failed_rebuild_leaves_the_live_index_alone(index):
    def broken():
        yield project(1, title="Wind")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        index.rebuild(broken())
    assert index.search("solar").total == 20
    generations = [p for p in index.path.iterdir() if p.name.startswith("gen-")]
    assert len(generations) == 1


def test_expert_index_faults_are_unavailable_too(tmp_path):
    experts = ExpertIndex(tmp_path / "experts")
    experts.update([expert(1, {"headline": 4})])
    assert experts.search(Clearance.member(), "headlinemarker").total == 1
    shutil.rmtree(experts.path)
    with pytest.raises(SearchUnavailable):
        experts.search(Clearance.member(), "headlinemarker")
    experts.close()


def test_a_second_rebuild_at_the_same_time_is_refused(index):
    from diaspora.search.storage import REBUILD_LOCK_FILE

    with index._store.write_lock(0.0, REBUILD_LOCK_FILE), pytest.raises(SearchUnavailable):
        index.rebuild(DOCS)
    assert index.search("solar").total == 20


# Erasure: a removed document leaves the files, not only the results.

EVERYONE = dict.fromkeys(("headline", "bio", "skills", "languages", "location", "engagement"), 3)
MARKERS = (b"qorvathsdottir", b"quetzalmancy", b"zanzibarist")


def index_bytes(index) -> bytes:
    """Every byte of every file under the index directory, all generations, lowercased."""
    chunks = []
    for root, _dirs, files in os.walk(index.path):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                chunks.append(handle.read())
    return b"".join(chunks).lower()


def private_expert(user_id: int, **overrides) -> dict:
    fields = {
        "display_name": "Amina Qorvathsdottir",
        "headline": "Zanzibarist hydrologist",
        "skills": ["Quetzalmancy"],
    }
    fields.update(overrides)
    return expert(user_id, EVERYONE, **fields)


@pytest.fixture
def experts(tmp_path):
    search_index = ExpertIndex(tmp_path / "experts", procs=1)
    yield search_index
    search_index.close()


@pytest.mark.parametrize("added", ["rebuild", "update"])
def test_a_removed_expert_is_gone_from_every_index_file(experts, added):
    others = [expert(uid, EVERYONE) for uid in range(1, 60)]
    if added == "rebuild":
        experts.rebuild([*others[:30], private_expert(500), *others[30:]])
    else:
        experts.rebuild(others)
        experts.update([private_expert(500)])
        experts.update([expert(900, EVERYONE)])
    assert all(marker in index_bytes(experts) for marker in MARKERS)

    experts.update(deletes=[500], change_id=7)

    data = index_bytes(experts)
    assert [marker for marker in MARKERS if marker in data] == []
    assert experts.search(Clearance.coordinator(), "Quetzalmancy").total == 0
    assert experts.search(Clearance.coordinator(), "Qorvathsdottir").total == 0
    assert experts.doc_count() == 59 + (added == "update")
    assert experts.last_change_id() == 7
    assert experts.search(Clearance.member(), "Skillmarker").total == experts.doc_count()


def test_a_removed_expert_leaves_no_earlier_version_in_the_files(experts):
    experts.rebuild([expert(uid, EVERYONE) for uid in range(1, 40)] + [private_expert(500)])
    experts.update([private_expert(500, headline="Retired teacher", skills=["Teaching"])])
    experts.update([expert(900, EVERYONE)])
    assert b"zanzibarist" in index_bytes(experts)

    experts.update(deletes=[500])

    data = index_bytes(experts)
    assert [marker for marker in (*MARKERS, b"retired") if marker in data] == []
    assert experts.doc_count() == 40


def test_removing_an_unknown_expert_rewrites_nothing(experts):
    experts.rebuild([expert(uid, EVERYONE) for uid in range(1, 40)])
    before = set(segment_files(experts))
    experts.update(deletes=[12345])
    assert set(segment_files(experts)) == before


def test_an_erasure_rewrites_only_the_segment_that_held_the_member(tmp_path):
    experts = ExpertIndex(tmp_path / "experts", procs=1, rebuild_batch=20)
    members = [expert(uid, EVERYONE) for uid in range(1, 60)]
    experts.rebuild([*members[:25], private_expert(500), *members[25:]])
    before = set(segment_files(experts))
    segments = {name.split(".")[0] for name in before}
    assert len(segments) == 4  # three of 20 documents, and the metadata document's

    experts.update(deletes=[500])
    experts.update([expert(uid, EVERYONE, headline="Edited") for uid in (1, 2, 3)])

    after = set(segment_files(experts))
    kept = {name.split(".")[0] for name in before & after}
    assert len(kept) == len(segments) - 1
    assert b"quetzalmancy" not in index_bytes(experts)
    assert experts.search(Clearance.member(), "Skillmarker").total == 59
    experts.close()


def test_project_removals_and_edits_keep_the_large_segment(index):
    largest = max(
        segment_files(index), key=lambda n: os.path.getsize(index.path / generation(index) / n)
    )
    index.update([project(3, title="Solar project 3, edited")])
    index.update(deletes=[7])
    assert largest in segment_files(index)
    assert index.search("solar").total == 19


def test_a_commit_replaced_while_it_opens_is_reopened_and_leaves_no_file_open(
    tmp_path, monkeypatch
):
    """Another writer may commit and clean up segment files while a searcher opens the
    previous commit. The open is retried, and whatever the failed attempt had opened is
    closed (Whoosh's own retry would drop those segments' files unclosed)."""
    index = ProjectIndex(tmp_path / "projects", procs=1, rebuild_batch=5)
    index.rebuild(DOCS)
    names = segment_files(index)
    postings = sorted(name for name in names if name.endswith(".pst"))
    assert len(postings) >= 3
    vanishing = postings[1]
    opened = []
    failures = []
    original = FileStorage.open_file

    def open_file(self, name, **kwargs):
        if name == vanishing and not failures:
            failures.append(name)
            raise FileNotFoundError(name)
        handle = original(self, name, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr(FileStorage, "open_file", open_file)
    assert index.search("solar").total == 20
    assert failures == [vanishing]
    index.close()
    assert opened and all(handle.is_closed for handle in opened)


def test_a_commit_that_keeps_vanishing_is_unavailable_with_nothing_left_open(index, monkeypatch):
    """A file still missing when checked under the writer lock is damage, as before: a
    rebuild repairs it. Neither the attempts nor the check leave a file open."""
    index.close()
    opened = []
    original = FileStorage.open_file
    vanishing = next(name for name in segment_files(index) if name.endswith(".pst"))

    def open_file(self, name, **kwargs):
        if name == vanishing:
            raise FileNotFoundError(name)
        handle = original(self, name, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr(FileStorage, "open_file", open_file)
    with pytest.raises(SearchUnavailable, match="damaged"):
        index.search("solar")
    assert opened and all(handle.is_closed for handle in opened)
    monkeypatch.undo()
    assert "FileNotFoundError" in index.damage()
    index.rebuild(DOCS)
    assert index.search("solar").total == 20
