"""Several processes, each with its own app on the same database and index directory,
create and edit projects at once: every change is searchable afterwards and no lock error
reaches the code that committed."""

import multiprocessing
import threading
import traceback

import pytest

from diaspora.extensions import db
from diaspora.models import Institution, ProjectStatus
from diaspora.services import discovery
from diaspora.services.discovery import ProjectSearch
from diaspora.services.indexing import indexer
from tests.factories import make_institution, make_project, new_user

pytestmark = pytest.mark.search_index

WORKERS = 3
EACH = 4
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]


def _word(worker: int, number: int) -> str:
    return f"zq{WORDS[worker]}{WORDS[number]}"


def _work(config: dict, institution_id: int, worker: int, queue) -> None:
    """One process: create projects, rename each, apply after each commit, search."""
    from diaspora import create_app

    try:
        app = create_app(config)
        with app.app_context():
            institution = db.session.get(Institution, institution_id)
            for number in range(EACH):
                project = make_project(
                    institution,
                    status=ProjectStatus.PUBLISHED,
                    title=f"Draft title {worker} {number}",
                )
                indexer.apply_pending()
                project.title = f"Project {_word(worker, number)}"
                db.session.commit()
                indexer.apply_pending()
                discovery.search_projects(ProjectSearch(query="project"))
            indexer.close_indexes(app)
        queue.put(None)
    except Exception:  # reported to the parent test, which fails with it
        queue.put(traceback.format_exc())


def test_processes_creating_and_editing_projects_at_once(app, app_config):
    institution = make_institution(new_user(), name="Concurrent Institute")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_work, args=(app_config, institution.id, worker, queue))
        for worker in range(WORKERS)
    ]
    for process in processes:
        process.start()
    errors = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert errors == [None] * WORKERS
    index = indexer.get_index(indexer.PROJECTS)
    for worker in range(WORKERS):
        for number in range(EACH):
            assert len(index.search(_word(worker, number)).ids) == 1, _word(worker, number)
    assert index.search("draft").ids == []
    assert index.doc_count() == WORKERS * EACH


def test_threads_asking_for_an_index_at_once_share_one_object(app):
    """Threads of one process (a threaded server) get the same index object, so no second
    searcher is opened and then dropped unclosed."""
    indexer.close_indexes(app)
    count = 8
    barrier = threading.Barrier(count)
    objects = [None] * count

    def target(slot):
        barrier.wait()
        objects[slot] = indexer.get_index(indexer.PROJECTS, app)

    threads = [threading.Thread(target=target, args=(slot,)) for slot in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert objects[0] is not None
    assert all(index is objects[0] for index in objects)
    assert indexer.get_index(indexer.PROJECTS, app) is objects[0]
