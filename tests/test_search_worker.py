"""The search worker (`flask search apply --loop`) and the worker loops' resilience.

With ``SEARCH_APPLY_IN_REQUESTS`` off, a commit leaves the index behind and a search reads it
as it is; the worker brings it forward, builds missing or damaged indexes from the database,
stops cleanly on SIGTERM (a real process, a real signal), and waits out a database outage, as
the mail worker does.
"""

import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from diaspora.config import ROOT
from diaspora.mail import queue_email
from diaspora.models import OutboxMessage, OutboxStatus, ProjectStatus, Role
from diaspora.services.indexing import indexer
from diaspora.workers import MAX_BACKOFF, DatabaseOutage, Stop, stop_on_signals
from tests.conftest import PG_URL
from tests.factories import make_institution, make_project, new_user
from tests.fault_tools import TcpProxy, wait_until

TITLE = "Solar irrigation for smallholder farms"


def in_index(text: str) -> list[int]:
    """Ids the projects index returns, read as a search reads it (no catch-up)."""
    return indexer.get_index(indexer.PROJECTS).search(text, per_page=100).ids


def publish(title: str = TITLE) -> int:
    """Publish a project (committed); return its id."""
    rep = new_user(Role.INSTITUTION)
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED, title=title).id


def link(project_id: int) -> str:
    return f'href="/projects/{project_id}"'


def run_worker(runner, *options: str):
    return runner.invoke(args=["search", "apply", "--loop", "--interval", "0.01", *options])


@pytest.fixture
def worker_node(app):
    """This process as a web node of a cluster whose search worker applies the changes."""
    app.config["SEARCH_APPLY_IN_REQUESTS"] = False
    return app


def no_tracebacks(caplog):
    return [record for record in caplog.records if record.exc_info or record.stack_info]


def worker_lines(caplog, worker: str) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "diaspora.workers" and record.getMessage().startswith(worker)
    ]


# --------------------------------------------------------------------------- requests


@pytest.mark.search_index
def test_with_apply_in_requests_off_requests_leave_the_work_to_the_worker(
    worker_node, client, runner
):
    project = publish()
    indexer.apply_after_commit()  # what the end of a request runs: here it only forgets
    response = client.get("/search", query_string={"q": "irrigation"})
    assert response.status_code == 200 and link(project) not in response.get_data(as_text=True)
    assert in_index("irrigation") == []
    lag = client.get("/healthz").json["search_lag"]
    assert lag["projects"] >= 1 and lag["experts"] == 0 and lag["shared"] == 0

    result = run_worker(runner, "--max-passes", "1")
    assert result.exit_code == 0, result.output
    assert in_index("irrigation") == [project]
    page = client.get("/search", query_string={"q": "irrigation"}).get_data(as_text=True)
    assert link(project) in page
    assert client.get("/healthz").json["search_lag"] == {"projects": 0, "experts": 0, "shared": 0}


@pytest.mark.search_index
def test_by_default_a_search_still_catches_up_by_itself(app, client):
    project = publish()
    assert app.config["SEARCH_APPLY_IN_REQUESTS"] is True
    page = client.get("/search", query_string={"q": "irrigation"}).get_data(as_text=True)
    assert link(project) in page
    assert in_index("irrigation") == [project]


@pytest.mark.search_index
def test_one_shot_apply_is_unchanged(worker_node, runner):
    project = publish()
    result = runner.invoke(args=["search", "apply"])
    assert result.exit_code == 0 and "Refreshed 1 search document(s)." in result.output
    assert in_index("irrigation") == [project]


# --------------------------------------------------------------------------- building


def test_a_new_node_builds_its_missing_indexes_at_start(worker_node, runner):
    project = publish()
    assert indexer.health() == dict.fromkeys(indexer.INDEXES, "missing")

    result = run_worker(runner, "--max-passes", "2")
    assert result.exit_code == 0, result.output
    for name in indexer.INDEXES:
        assert f"{name}: index missing; built from the database" in result.output
    assert "projects: index missing; built from the database (1 documents)." in result.output
    assert indexer.health() == dict.fromkeys(indexer.INDEXES)
    assert in_index("irrigation") == [project]


@pytest.mark.search_index
def test_an_index_deleted_or_damaged_later_is_rebuilt(worker_node, runner):
    project = publish()
    assert run_worker(runner, "--max-passes", "1").exit_code == 0
    shutil.rmtree(Path(worker_node.config["SEARCH_INDEX_DIR"]) / "projects")
    experts = indexer.get_index(indexer.EXPERTS)
    experts._store.record_damage(experts._store.current(), "a segment cannot be read: OSError")
    assert indexer.get_index(indexer.EXPERTS).problem() == "damaged"

    result = run_worker(runner, "--max-passes", "1")
    assert result.exit_code == 0, result.output
    assert "projects: index missing; built from the database (1 documents)." in result.output
    assert "experts: index damaged; built from the database" in result.output
    assert indexer.health() == dict.fromkeys(indexer.INDEXES)
    assert in_index("irrigation") == [project]


# --------------------------------------------------------------------------- database outage


class FailingDatabase:
    """Every statement fails as an unreachable database does, ``times`` times over."""

    def __init__(self, engine, times: int):
        self.engine = engine
        self.left = times
        driver = engine.dialect.loaded_dbapi
        said = "connection refused" if engine.dialect.name == "postgresql" else "disk I/O error"
        self.error = lambda: driver.OperationalError(said)

    def fail(self, *args):
        if self.left > 0:
            self.left -= 1
            raise self.error()
        return False  # let the driver run the statement

    def __enter__(self):
        for name in ("do_execute", "do_execute_no_params"):
            sa.event.listen(self.engine, name, self.fail)
        return self

    def __exit__(self, *exc):
        for name in ("do_execute", "do_execute_no_params"):
            sa.event.remove(self.engine, name, self.fail)


@pytest.mark.search_index
def test_the_search_worker_waits_out_a_database_outage(worker_node, db, runner, caplog):
    caplog.set_level(logging.INFO)
    project = publish()
    with FailingDatabase(db.engine, times=3) as outage:
        result = run_worker(runner, "--max-passes", "6")
    assert outage.left == 0
    assert result.exit_code == 0, result.output
    assert in_index("irrigation") == [project]
    first, back = worker_lines(caplog, "search worker")
    assert first.startswith("search worker: database unavailable: OperationalError (")
    assert first.endswith("; retrying")
    assert back.startswith("search worker: database reachable again after ")
    assert back.endswith("(3 failed attempt(s))")
    assert no_tracebacks(caplog) == []


def test_the_mail_worker_waits_out_a_database_outage(app, db, runner, caplog):
    caplog.set_level(logging.INFO)
    user = new_user(email="waiting@example.org")
    queue_email(user.email, "confirm", "After the outage", user=user, confirm_url="http://x/c")
    db.session.commit()
    with FailingDatabase(db.engine, times=2) as outage:
        result = runner.invoke(
            args=["mail", "deliver", "--loop", "--interval", "0.01", "--max-passes", "4"]
        )
    assert outage.left == 0
    assert result.exit_code == 0, result.output
    assert "Delivered 1 message(s)." in result.output
    db.session.expire_all()
    (message,) = db.session.scalars(sa.select(OutboxMessage)).all()
    assert message.status == OutboxStatus.SENT
    first, back = worker_lines(caplog, "mail worker")
    assert first.startswith("mail worker: database unavailable: ")
    assert back.endswith("(2 failed attempt(s))")
    assert no_tracebacks(caplog) == []


def test_without_loop_a_database_failure_fails_the_command(app, db, runner):
    with FailingDatabase(db.engine, times=1):
        result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: Database unavailable: OperationalError"), result.output
    assert len(result.output.splitlines()) == 1


def test_waits_grow_to_a_bound_and_one_line_each_way(caplog):
    now = [0.0]
    outage = DatabaseOutage("search worker", interval=0.2, clock=lambda: now[0])
    waits = [outage.failed("unavailable", "OperationalError (connection refused)")]
    for _ in range(8):
        now[0] += 1
        waits.append(outage.failed("unavailable", "OperationalError (connection refused)"))
    assert waits[:4] == [0.2, 0.4, 0.8, 1.6]
    assert max(waits) == MAX_BACKOFF and waits == sorted(waits)
    outage.answered()
    outage.answered()
    assert [r.getMessage() for r in caplog.records] == [
        "search worker: database unavailable: OperationalError (connection refused); retrying",
        "search worker: database reachable again after 8.0 s (9 failed attempt(s))",
    ]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_ask_the_loop_to_stop_and_are_given_back(signum):
    before = signal.getsignal(signum)
    stop = Stop()
    with stop_on_signals(stop):
        os.kill(os.getpid(), signum)
        assert stop.wait(10)
    assert stop.signal_name == signum.name
    assert signal.getsignal(signum) is before


@pytest.mark.search_index
def test_a_stop_asked_mid_pass_ends_it_after_the_commit_in_hand(worker_node, runner):
    first, second = publish(), publish("Irrigation canal survey")
    asked = []

    def stop_after_first_commit():  # asked before the index, then after each commit
        asked.append(True)
        return len(asked) > 1

    # One document per Whoosh commit: the pass stops after the first one.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("diaspora.services.indexing.indexer.BATCH", 1)
        indexer.apply_pending([indexer.PROJECTS], should_stop=stop_after_first_commit)
    assert len(asked) == 2 and in_index("irrigation") == [first]
    assert indexer.lag()["projects"] >= 1  # what was left stays pending

    assert run_worker(runner, "--max-passes", "1").exit_code == 0
    assert sorted(in_index("irrigation")) == sorted([first, second])


# --------------------------------------------------------------------------- a real process


def worker_env(app, tmp_path: Path, database_url: str | None = None) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAIL_", "DIASPORA_", "DATABASE_", "SEARCH_"))
    }
    env.update(
        DIASPORA_ENV="development",
        DIASPORA_INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY=app.config["SECRET_KEY"],
        DATABASE_URL=database_url or app.config["SQLALCHEMY_DATABASE_URI"],
        SEARCH_INDEX_DIR=app.config["SEARCH_INDEX_DIR"],
        MAIL_FILE_DIR=app.config["MAIL_FILE_DIR"],
        SEARCH_APPLY_IN_REQUESTS="0",
        DATABASE_CONNECT_TIMEOUT="2",
        LOG_LEVEL="INFO",
    )
    return env


def start_worker(env: dict, log_file: Path) -> subprocess.Popen:
    """``flask --app wsgi search apply --loop`` as its own process, as systemd runs it; its
    log goes to ``log_file``, which the test reads while it runs."""
    with log_file.open("w") as log:  # the process keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "search", "apply", "--loop"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )


def stop(worker: subprocess.Popen) -> str:
    """SIGTERM, then what the worker printed."""
    try:
        worker.send_signal(signal.SIGTERM)
        return worker.communicate(timeout=60)[0]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate(timeout=10)


def all_built() -> bool:
    return all(reason is None for reason in indexer.health().values())


@pytest.mark.slow
def test_the_worker_process_builds_applies_and_stops_on_sigterm(worker_node, tmp_path):
    first = publish()
    log_file = tmp_path / "worker.log"
    worker = start_worker(worker_env(worker_node, tmp_path), log_file)
    try:
        wait_until(all_built, timeout=60, what="the worker to build the indexes")
        wait_until(lambda: in_index("irrigation") == [first], 30, "the first project")
        second = publish("Irrigation pumps maintenance")
        wait_until(
            lambda: sorted(in_index("irrigation")) == sorted([first, second]),
            30,
            "the project committed while the worker runs",
        )
    finally:
        out = stop(worker)
    assert worker.returncode == 0, log_file.read_text()
    assert "projects: index missing; built from the database (1 documents)." in out
    assert "Stopped on SIGTERM; the indexes are consistent." in out
    assert "Traceback" not in log_file.read_text()
    assert indexer.lag() == {"projects": 0, "experts": 0, "shared": 0}


@pytest.fixture
def proxied_database(app):
    """A database address that reaches the PostgreSQL server through a proxy the test
    controls (the test's own process keeps reaching it directly)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    forwarder = TcpProxy(url.host, url.port).start()
    yield (
        forwarder,
        url.set(host="127.0.0.1", port=forwarder.port).render_as_string(hide_password=False),
    )
    forwarder.stop()


@pytest.mark.slow
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_the_worker_process_rides_out_a_postgresql_outage(worker_node, proxied_database, tmp_path):
    proxy, url = proxied_database
    log_file = tmp_path / "worker.log"
    worker = start_worker(worker_env(worker_node, tmp_path, database_url=url), log_file)
    try:
        wait_until(all_built, timeout=60, what="the worker to build the indexes")
        proxy.cut()
        wait_until(lambda: "database unavailable" in log_file.read_text(), 30, "the outage line")
        project = publish()  # committed while the worker cannot reach the database
        proxy.restore()
        wait_until(lambda: in_index("irrigation") == [project], 60, "the change after")
        wait_until(lambda: "reachable again" in log_file.read_text(), 30, "the recovery line")
    finally:
        out = stop(worker)
    log = log_file.read_text()
    assert worker.returncode == 0, log
    assert "Stopped on SIGTERM" in out
    assert "Traceback" not in log
    assert log.count("search worker: database unavailable") == 1
    assert log.count("search worker: database reachable again") == 1
