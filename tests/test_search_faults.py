"""The search index under faults, with real processes: a rebuild killed mid-feed leaves nothing
that blocks the next one, and a damaged index is reported the same way by every worker until
a rebuild repairs it, losing no queued change."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from diaspora import create_app
from diaspora.extensions import db
from diaspora.models import (
    Compensation,
    EngagementMode,
    Project,
    ProjectStatus,
    Role,
    SearchChange,
    WorkMode,
)
from diaspora.models.base import utcnow
from diaspora.search import SearchUnavailable
from diaspora.search.storage import CURRENT, DAMAGED, REBUILD_LOCK_FILE, Store
from diaspora.services.indexing import indexer
from tests.factories import make_institution, make_project, new_user, sign_in
from tests.fault_tools import wait_until

pytestmark = pytest.mark.search_index

ROOT = Path(__file__).resolve().parent.parent
# Enough projects that a rebuild is still feeding its writer subprocesses (started after the
# first hundred documents) for seconds when it is killed.
MANY = 4_000


def children(pid: int) -> set[int]:
    """Live (not zombie) processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            state = process_state(int(entry))
            if state is not None and state[1] == pid and state[0] != "Z":
                found.add(int(entry))
    return found


def process_state(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) of a process, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    state = process_state(pid)
    return state is not None and state[0] != "Z"


def bulk_projects(institution, count: int) -> None:
    """Insert ``count`` published projects in one statement (faster than the ORM)."""
    now = utcnow()
    rows = [
        {
            "institution_id": institution.id,
            "title": f"Borehole survey {n}",
            "summary": "Mapping groundwater for the district.",
            "description": "Hydrology, drilling records and a report for the water board.",
            "country": "GH",
            "region": "Tamale",
            "sector": "water",
            "engagement_mode": EngagementMode.REMOTE_ADVICE,
            "work_mode": WorkMode.REMOTE,
            "compensation": Compensation.VOLUNTEER,
            "places": 1,
            "places_filled": 0,
            "languages": ["en"],
            "status": ProjectStatus.PUBLISHED,
            "published_at": now,
            "submitted_at": now,
        }
        for n in range(count)
    ]
    db.session.execute(sa.insert(Project), rows)
    db.session.commit()


def generations(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir() and p.name.startswith("gen-")}


def in_index(app, text: str) -> int:
    return indexer.get_index(indexer.PROJECTS, app).search(text, per_page=1).total


# --------------------------------------------------------------------------- a killed rebuild


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from /proc")
def test_a_killed_rebuild_leaves_nothing_that_blocks_the_next(app, app_config, runner, tmp_path):
    institution = make_institution(new_user(Role.INSTITUTION), name="Northern Water Board")
    bulk_projects(institution, MANY)
    root = Path(app.config["SEARCH_INDEX_DIR"]) / indexer.PROJECTS
    live = (root / CURRENT).read_text()
    env = {
        **os.environ,
        "DIASPORA_ENV": "testing",
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": app_config["SEARCH_INDEX_DIR"],
        "DIASPORA_INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "search", "rebuild"]
    rebuild = subprocess.Popen(
        [*command, "--index", "projects"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # Mid-feed: the new generation exists and writer subprocesses are running.
        wait_until(lambda: generations(root) - {live}, 60, "the new generation")
        writers = wait_until(lambda: children(rebuild.pid), 60, "the writer subprocesses")
        with (
            pytest.raises(SearchUnavailable, match="busy"),
            Store(root).write_lock(0.0, REBUILD_LOCK_FILE),
        ):
            pass
        assert rebuild.poll() is None, rebuild.stderr.read().decode()
        rebuild.send_signal(signal.SIGKILL)
        rebuild.wait(timeout=30)
    finally:
        if rebuild.poll() is None:
            rebuild.kill()
            rebuild.wait(timeout=30)
        rebuild.stderr.close()
    assert rebuild.returncode == -signal.SIGKILL
    wait_until(lambda: not any(alive(pid) for pid in writers), 10, "the writers to die")
    (partial,) = generations(root) - {live}

    # The next apply removes what the killed rebuild was writing, and serves on.
    make_project(institution, status=ProjectStatus.PUBLISHED, title="Rainwater cisterns")
    result = runner.invoke(args=["search", "apply"])
    assert result.exit_code == 0, result.output
    assert generations(root) == {live}
    assert in_index(app, "cisterns") == 1

    # And the next rebuild runs at once, with every document.
    result = runner.invoke(args=["search", "rebuild", "--index", "projects"])
    assert result.exit_code == 0, result.output
    assert f"projects: {MANY + 1} document(s) indexed" in result.output
    assert in_index(app, "borehole") == MANY
    assert in_index(app, "cisterns") == 1
    assert partial not in generations(root)
    assert generations(root) == {(root / CURRENT).read_text()}


# --------------------------------------------------------------------------- a damaged index


def live_files(app) -> tuple[Path, list[Path]]:
    """The live projects generation and its non-empty segment files (largest first)."""
    root = Path(app.config["SEARCH_INDEX_DIR"]) / indexer.PROJECTS
    generation = root / (root / CURRENT).read_text()
    files = [p for p in generation.iterdir() if p.name.startswith("MAIN_") and p.stat().st_size > 0]
    return generation, sorted(files, key=lambda p: -p.stat().st_size)


def damage(app, how: str) -> None:
    generation, files = live_files(app)
    if how == "truncated segment":
        victim = files[0]
        with open(victim, "r+b") as handle:
            handle.truncate(victim.stat().st_size // 2)
    else:
        (toc,) = generation.glob("*.toc")
        toc.write_bytes(bytes(toc.stat().st_size))


@pytest.fixture
def second_worker(app_config):
    """Another warm worker: a second app on the same database and index directory."""
    other = create_app(app_config)
    yield other
    indexer.close_indexes(other)
    with other.app_context():
        db.engine.dispose()


def unavailable(client) -> bool:
    page = client.get("/search?q=cistern")
    return page.status_code == 503 and "Search is temporarily unavailable" in page.get_data(
        as_text=True
    )


def marker(app) -> dict:
    path = Path(app.config["SEARCH_INDEX_DIR"]) / indexer.PROJECTS / DAMAGED
    return json.loads(path.read_text())


@pytest.mark.parametrize("how", ["truncated segment", "zeroed table of contents"])
def test_a_cold_worker_detects_damage_and_the_warm_one_stops_serving(
    app, client, second_worker, how
):
    institution = make_institution(new_user(Role.INSTITUTION), name="Volta Water")
    make_project(institution, status=ProjectStatus.PUBLISHED, title="Cistern repairs")
    assert client.get("/search?q=cistern").status_code == 200  # warm: snapshot open
    generation, _ = live_files(app)
    damage(app, how)
    with second_worker.test_client() as other:
        assert unavailable(other)
    assert marker(app)["generation"] == generation.name
    assert unavailable(client)
    assert indexer.health() == {
        indexer.PROJECTS: "damaged",
        indexer.EXPERTS: None,
        indexer.SHARED: None,
    }


@pytest.mark.parametrize("how", ["truncated segment", "zeroed table of contents"])
def test_apply_records_damage_every_worker_reports_it_and_a_rebuild_repairs(
    app, client, runner, second_worker, how, caplog
):
    institution = make_institution(new_user(Role.INSTITUTION), name="Volta Water")
    before = make_project(institution, status=ProjectStatus.PUBLISHED, title="Cistern repairs")
    with second_worker.test_client() as other:
        assert other.get("/search?q=cistern").status_code == 200
    assert client.get("/search?q=cistern").status_code == 200
    damage(app, how)

    # A change made now cannot reach the index: apply says why and what to do, keeps it.
    during = make_project(institution, status=ProjectStatus.PUBLISHED, title="Cistern liners")
    queued = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
    result = runner.invoke(args=["search", "apply"])
    assert result.exit_code != 0
    assert "projects: the search index is damaged" in result.output
    assert "flask search rebuild" in result.output
    assert "damaged" in marker(app)["reason"] or "cannot be read" in marker(app)["reason"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange)) == queued

    # Both warm workers now answer alike, and their catching up logs a line, no traceback.
    caplog.clear()
    assert unavailable(client)
    with second_worker.test_client() as other:
        assert unavailable(other)
    lines = [r for r in caplog.records if "could not catch up" in r.getMessage()]
    assert lines and not any(r.exc_info for r in caplog.records)
    assert all("search index is damaged" in r.getMessage() for r in lines)

    status = runner.invoke(args=["search", "status"]).output
    assert "projects: DAMAGED (" in status
    assert "repair with `flask --app wsgi search rebuild`" in status
    assert "experts: 0 document(s) in the index" in status

    sign_in(client, new_user(Role.COORDINATOR))
    page = client.get("/coordination/users").get_data(as_text=True)
    assert "The projects search index is damaged" in page
    assert "flask --app wsgi search rebuild" in page

    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert not (Path(app.config["SEARCH_INDEX_DIR"]) / indexer.PROJECTS / DAMAGED).exists()
    index = indexer.get_index(indexer.PROJECTS)
    assert sorted(index.search("cistern").ids) == [before.id, during.id]
    with second_worker.test_client() as other:
        assert other.get("/search?q=liners").status_code == 200
        with second_worker.app_context():
            assert indexer.get_index(indexer.PROJECTS).search("liners").ids == [during.id]
    assert indexer.health() == {indexer.PROJECTS: None, indexer.EXPERTS: None, indexer.SHARED: None}
    assert "DAMAGED" not in runner.invoke(args=["search", "status"]).output
    assert "search index is" not in client.get("/coordination/users").get_data(as_text=True)


def test_an_intact_index_after_a_failed_read_is_not_marked_damaged(app):
    """A read failing for another reason (a commit racing the open, say) is verified under
    the writer lock before anything is recorded."""
    institution = make_institution(new_user(Role.INSTITUTION), name="Volta Water")
    make_project(institution, status=ProjectStatus.PUBLISHED, title="Cistern repairs")
    indexer.apply_pending()
    index = indexer.get_index(indexer.PROJECTS)

    def flaky(snap):
        raise OSError("read interrupted")

    with pytest.raises(SearchUnavailable, match="cannot be read"):
        index._read(flaky)
    assert index.damage() is None
    assert in_index(app, "cistern") == 1
