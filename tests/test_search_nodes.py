"""Several nodes on one database, each with its own indexes: the marks each node records,
pruning that keeps what a node seen lately still lacks, and a node that cannot catch up from
the pruned log rebuilding itself.

Each node here is an app of its own (its own ``SEARCH_INDEX_DIR``) on the test's database;
the test's app is node A.
"""

import logging
import shutil
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from diaspora import create_app
from diaspora.extensions import db as _db
from diaspora.models import ProjectStatus, Role, SearchChange, SearchNodeMark, SearchPruneMark
from diaspora.models.base import utcnow
from diaspora.services.indexing import indexer
from diaspora.services.indexing.worker import SearchWorker
from tests.conftest import _base_config
from tests.factories import make_institution, make_project, new_user
from tests.test_migrations import empty_database  # noqa: F401 (fixture)

pytestmark = pytest.mark.search_index


def publish(title: str) -> int:
    """Publish a project (committed); return its id."""
    rep = new_user(Role.INSTITUTION)
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED, title=title).id


def found(node, text: str) -> list[int]:
    """What node's projects index returns for ``text``, read as a search reads it."""
    with node.app_context():
        return indexer.get_index(indexer.PROJECTS).search(text, per_page=100).ids


class Node:
    """A node: an app with its own index directory, on the test's database."""

    def __init__(self, app):
        self.app = app
        self.said: list[str] = []
        self.worker = None

    def run_pass(self) -> list[str]:
        """One pass of this node's search worker (kept between calls, as a process keeps
        it); what it said."""
        _db.session.commit()  # the caller's node leaves nothing open (SQLite: one writer)
        start = len(self.said)
        with self.app.app_context():
            if self.worker is None:
                self.worker = SearchWorker(say=self.said.append, should_stop=lambda: False)
            self.worker.run_pass()
        return self.said[start:]

    def invoke(self, *args: str):
        _db.session.commit()
        return self.app.test_cli_runner().invoke(args=list(args))

    @property
    def name(self) -> str:
        return indexer.node_name(self.app)

    def close(self) -> None:
        with self.app.app_context():
            indexer.close_indexes(self.app)
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture
def nodes(app, tmp_path, monkeypatch):
    """Node A (the test's app, with empty indexes) and nodes B and C (no index yet), which
    record their marks whenever they move."""
    monkeypatch.setattr(indexer, "MARK_INTERVAL", 0.0)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    others = [Node(create_app(_base_config(tmp_path / name, url))) for name in "bc"]
    yield Node(app), *others
    for node in others:
        node.close()


def marks_of(node) -> dict[str, int]:
    rows = _db.session.execute(
        sa.select(SearchNodeMark.index, SearchNodeMark.applied_through).where(
            SearchNodeMark.node == node.name
        )
    )
    return dict(rows.all())


def change_ids() -> list[int]:
    _db.session.expire_all()
    return list(_db.session.scalars(sa.select(SearchChange.id).order_by(SearchChange.id)))


def age_changes(days: int) -> None:
    """Make every change in the log ``days`` old."""
    _db.session.execute(sa.update(SearchChange).values(created_at=utcnow() - timedelta(days=days)))
    _db.session.commit()


def leave(node, days: int) -> None:
    """Make the node last seen ``days`` ago, as if it had been down since."""
    _db.session.execute(
        sa.update(SearchNodeMark)
        .where(SearchNodeMark.node == node.name)
        .values(seen_at=utcnow() - timedelta(days=days))
    )
    _db.session.commit()


def test_a_prune_keeps_the_changes_a_node_behind_still_needs(nodes):
    a, b, _c = nodes
    first = publish("Solar irrigation for smallholder farms")
    a.run_pass()
    assert b.run_pass() == [
        f"{name}: index missing; built from the database ({count} documents)."
        for name, count in (("projects", 1), ("experts", 0), ("shared", 0))
    ]
    b_mark = marks_of(b)[indexer.PROJECTS]
    assert b_mark == indexer.last_change_id()
    second = publish("Irrigation canal survey")
    third = publish("Irrigation pumps maintenance")
    age_changes(40)
    before = change_ids()

    result = a.invoke("search", "prune", "--days", "30")
    assert result.exit_code == 0, result.output
    left = change_ids()
    # What B has applied goes (the newest row always stays); what it lacks stays.
    assert [i for i in before if i > b_mark] == [i for i in left if i > b_mark]
    assert [i for i in left if i <= b_mark] == []
    assert result.output == f"Pruned {len(before) - len(left)} search change(s).\n"
    assert indexer.pruned_through()[indexer.PROJECTS] <= b_mark

    assert b.run_pass() == []  # caught up from the log, nothing rebuilt
    assert sorted(found(b.app, "irrigation")) == sorted([first, second, third])
    assert marks_of(b) == marks_of(a) == dict.fromkeys(indexer.INDEXES, indexer.last_change_id())


def test_a_node_gone_past_the_window_is_forgotten_and_rebuilds_when_it_returns(nodes, caplog):
    a, b, _c = nodes
    first = publish("Solar irrigation for smallholder farms")
    a.run_pass()
    b.run_pass()
    b_marks = marks_of(b)
    leave(b, days=40)
    later = [publish("Irrigation canal survey"), publish("Irrigation pumps maintenance")]
    age_changes(40)

    result = a.invoke("search", "prune", "--days", "30")
    assert result.exit_code == 0, result.output
    assert marks_of(b) == {}  # forgotten
    pruned = indexer.pruned_through()
    assert pruned[indexer.PROJECTS] > b_marks[indexer.PROJECTS]
    assert indexer.SHARED not in pruned  # no change of that index: nothing to prune

    caplog.set_level(logging.WARNING)
    said = b.run_pass()
    assert said[0].startswith(
        "projects: index behind the pruned change log; built from the database (3 documents)"
    )
    assert not any(line.startswith("shared:") for line in said)  # its log lost nothing
    warned = [r.getMessage() for r in caplog.records if "rebuilding it" in r.getMessage()]
    assert (
        f"search index projects has applied changes through {b_marks['projects']}, but its "
        f"change log is pruned through {pruned['projects']}: rebuilding it from the database"
    ) in warned
    assert sorted(found(b.app, "irrigation")) == sorted([first, *later])
    assert marks_of(b) == dict.fromkeys(indexer.INDEXES, indexer.last_change_id())

    assert b.run_pass() == []  # current: nothing more to build


def test_an_old_copy_of_an_index_is_rebuilt(nodes, tmp_path):
    a, b, _c = nodes
    publish("Solar irrigation for smallholder farms")
    a.run_pass()
    b.run_pass()
    folder = b.app.config["SEARCH_INDEX_DIR"]
    with b.app.app_context():
        indexer.close_indexes(b.app)
    shutil.copytree(folder, tmp_path / "copy")
    later = publish("Irrigation canal survey")
    publish("Mangrove restoration")  # the newest change, which pruning keeps
    b.run_pass()
    a.run_pass()
    age_changes(40)
    assert a.invoke("search", "prune", "--days", "30").exit_code == 0

    with b.app.app_context():  # the node's index is put back as it was before `later`
        indexer.close_indexes(b.app)
    shutil.rmtree(folder)
    shutil.copytree(tmp_path / "copy", folder)
    assert later not in found(b.app, "irrigation")
    said = b.run_pass()
    assert said[0].startswith("projects: index behind the pruned change log; built")
    assert later in found(b.app, "irrigation")


def test_a_prune_committed_while_a_node_applies_makes_it_rebuild(nodes, monkeypatch):
    a, b, _c = nodes
    publish("Solar irrigation for smallholder farms")
    b.run_pass()
    later = publish("Irrigation canal survey")
    top = indexer.last_change_id()
    applying = indexer.apply_pending

    def pruned_meanwhile(*args, **kwargs):
        """As if another node's prune, not knowing this one, committed just before this
        node read the log: what it is about to apply may lack deleted rows."""
        with a.app.app_context():
            _db.session.add(SearchPruneMark(index=indexer.PROJECTS, pruned_through=top))
            _db.session.commit()
        return applying(*args, **kwargs)

    monkeypatch.setattr(indexer, "apply_pending", pruned_meanwhile)
    said = b.run_pass()
    assert said == [
        "projects: index behind the pruned change log; built from the database (2 documents)."
    ]
    assert later in found(b.app, "irrigation")


def test_a_machine_without_an_index_prunes_by_the_marks_nodes_recorded(nodes):
    a, b, c = nodes
    publish("Solar irrigation for smallholder farms")
    a.run_pass()
    b.run_pass()
    b_mark = marks_of(b)[indexer.PROJECTS]
    publish("Irrigation canal survey")
    a.run_pass()  # A is current; B is behind
    age_changes(40)
    before = change_ids()

    result = c.invoke("jobs", "run", "--only", "search-prune")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("search-prune: ok\n  Pruned ")
    assert [i for i in change_ids() if i > b_mark] == [i for i in before if i > b_mark]
    assert marks_of(c) == {}  # a machine without an index is no node
    with c.app.app_context():
        assert indexer.health() == dict.fromkeys(indexer.INDEXES, "missing")


def test_an_idle_worker_writes_no_marks_and_records_them_when_they_move(nodes, monkeypatch):
    a, b, _c = nodes
    b.run_pass()
    writes = []

    def count(conn, cursor, statement, *args):
        if "search_node_marks" in statement and statement.lstrip().upper().startswith("INSERT"):
            writes.append(statement)

    with b.app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            b.run_pass()
        assert writes == []
        monkeypatch.setattr(indexer, "MARK_INTERVAL", 0.0)
        publish("Solar irrigation for smallholder farms")
        b.run_pass()
        assert len(writes) == 1
        b.run_pass()
        assert len(writes) == 1
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert marks_of(b)[indexer.PROJECTS] == indexer.last_change_id()


def test_a_restarted_worker_takes_up_its_recorded_marks(nodes, tmp_path):
    """An index none of whose documents changed keeps an old mark of its own; what the node
    recorded says how far it is current, which a worker started again takes up."""
    _a, b, _c = nodes
    b.run_pass()
    publish("Solar irrigation for smallholder farms")
    b.run_pass()
    top = indexer.last_change_id()
    assert marks_of(b)[indexer.SHARED] == top

    again = Node(create_app(dict(b.app.config)))  # the same node, a new process
    try:
        with again.app.app_context():
            assert indexer.get_index(indexer.SHARED).last_change_id() < top
            assert indexer.applied_through(indexer.SHARED) < top
            indexer.load_marks()
            assert indexer.applied_through(indexer.SHARED) == top
            assert indexer.behind() == ([], [])
    finally:
        again.close()


def test_status_lists_the_nodes_and_their_marks(nodes):
    a, b, _c = nodes
    publish("Solar irrigation for smallholder farms")
    a.run_pass()
    b.run_pass()
    top = indexer.last_change_id()
    result = a.invoke("search", "status")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "change log pruned through: projects 0, experts 0, shared 0" in lines
    assert "nodes: 2" in lines
    marks = f"projects {top}, experts {top}, shared {top}"
    today = f"seen {utcnow():%Y-%m-%d}"
    (line_a,) = [line for line in lines if line.startswith(f"  {a.name} (this node): ")]
    (line_b,) = [line for line in lines if line.startswith(f"  {b.name}: ")]
    for line in (line_a, line_b):
        assert today in line and line.endswith(marks)


def test_prune_never_empties_the_log_so_ids_never_go_back(nodes):
    a, _b, _c = nodes
    publish("Solar irrigation for smallholder farms")
    a.run_pass()
    top = indexer.last_change_id()
    age_changes(40)
    assert a.invoke("search", "prune", "--days", "30").exit_code == 0
    assert change_ids() == [top]
    later = publish("Irrigation canal survey")
    assert indexer.last_change_id() > top
    a.run_pass()
    assert later in found(a.app, "irrigation")


def test_the_node_marks_migration_applies_and_reverts(tmp_path, empty_database):  # noqa: F811
    app = create_app(_base_config(tmp_path, empty_database))
    tables = {"search_node_marks", "search_prune_marks"}
    with app.app_context():
        upgrade(revision="0026")
        assert tables <= set(sa.inspect(_db.engine).get_table_names())
        downgrade(revision="0025")
        assert not tables & set(sa.inspect(_db.engine).get_table_names())
        upgrade()
        _db.session.add(
            SearchNodeMark(node="web-1", index="projects", applied_through=7, index_mark=5)
        )
        _db.session.add(SearchPruneMark(index="projects", pruned_through=3))
        _db.session.commit()
        assert _db.session.get(SearchNodeMark, ("web-1", "projects")).applied_through == 7
        _db.session.remove()
        _db.engine.dispose()
