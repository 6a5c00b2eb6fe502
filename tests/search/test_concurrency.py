"""Several worker processes updating one index at the same time lose nothing."""

import multiprocessing

import pytest

from diaspora.search import ProjectIndex

from .factories import project

WORKERS = 4
BATCHES = 5
PER_BATCH = 6


def update_worker(path: str, worker: int, start, errors) -> None:
    """Apply this worker's batches as fast as possible once every worker is ready."""
    try:
        index = ProjectIndex(path, writer_timeout=120)
        start.wait(timeout=60)
        for batch in range(BATCHES):
            first = worker * 1000 + batch * PER_BATCH
            docs = [
                project(pid, title=f"Worker{worker} item")
                for pid in range(first, first + PER_BATCH)
            ]
            index.update(docs, change_id=worker * 100 + batch)
        index.close()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent process
        errors.put(f"{worker}: {exc!r}")
        raise


@pytest.mark.slow
def test_parallel_updates_from_separate_processes_all_land(tmp_path):
    path = str(tmp_path / "projects")
    index = ProjectIndex(path)
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    errors = context.Queue()
    workers = [
        context.Process(target=update_worker, args=(path, worker, start, errors))
        for worker in range(WORKERS)
    ]
    for process in workers:
        process.start()
    start.set()
    for process in workers:
        process.join(timeout=180)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    assert [process.exitcode for process in workers] == [0] * WORKERS

    assert index.doc_count() == WORKERS * BATCHES * PER_BATCH
    for worker in range(WORKERS):
        assert index.search(f"worker{worker}", per_page=100).total == BATCHES * PER_BATCH
    assert index.last_change_id() == (WORKERS - 1) * 100 + BATCHES - 1
    index.close()
    errors.close()
    errors.join_thread()
