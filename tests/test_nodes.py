"""Several web nodes on one database, each with its own search index fed by its own worker
from the change log: what one node commits, every other node's search shows within seconds;
a node that was down catches up, a new node builds its index itself, and concurrent writes
through two nodes leave every index equal to the database, applied in order.

Each node is a real gunicorn process and a real ``flask search apply --loop`` worker
(:mod:`tests.nodes`), driven over HTTP with real form posts and CSRF tokens. The test process
only writes the starting data (committed) and reads the indexes' files to check them.
"""

import re
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import Project, ProjectStatus, Role, SearchChange
from diaspora.search import ExpertIndex, ProjectIndex
from diaspora.services.indexing import indexer
from tests.conftest import PASSWORD
from tests.factories import filled_profile, form_data, make_institution, make_project, new_user
from tests.nodes import Browser, Node, stop_all, wait_until

pytestmark = pytest.mark.slow

#: What a change committed on one node takes at most to be found on another.
VISIBLE_WITHIN = 2.0
#: Deadlines for things that are not promised to be quick (a process starting, an index
#: being built on a busy machine): generous, only there so a broken cluster fails the test.
GENEROUS = 90.0
RESULT = re.compile(r'<h3><a href="/projects/(\d+)" dir="auto">(.*?)</a></h3>', re.S)
EXPERT = re.compile(r'<a href="/members/(\d+)">')
TAG = re.compile(r"<[^>]+>")


@pytest.fixture
def app_config(app_config):
    """The test process writes the starting data and applies no search change itself: the
    nodes' workers do."""
    app_config.update(SEARCH_ENABLED=False)
    return app_config


@pytest.fixture
def cluster(app, tmp_path):
    """``cluster(name)`` makes a node on the test's database; every node is stopped after."""
    made: list[Node] = []
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]

    def make(name: str, **options) -> Node:
        node = Node(name, tmp_path / name, database_url, **options)
        made.append(node)
        return node

    yield make
    stop_all(made)


# --------------------------------------------------------------------------- reading nodes


def search(node: Node, words: str, browser: Browser | None = None) -> dict[int, str]:
    """The projects ``node``'s /search shows for ``words``: id -> title as the index holds it
    (the result titles come from the index, highlighting removed)."""
    page = (browser or Browser()).get(node.url, f"/search?q={quote(words)}")
    assert page.status == 200, f"{node.name} /search answered {page.status}"
    return {
        int(pid): " ".join(TAG.sub("", title).split()) for pid, title in RESULT.findall(page.text)
    }


def experts(node: Node, browser: Browser, words: str) -> set[int]:
    page = browser.get(node.url, f"/experts?q={quote(words)}")
    assert page.status == 200, f"{node.name} /experts answered {page.status}"
    return {int(uid) for uid in EXPERT.findall(page.text)}


def ready(node: Node) -> bool:
    """The node serves searches from a built index (not 'temporarily unavailable')."""
    return Browser(timeout=GENEROUS).get(node.url, "/search?q=ready").status == 200


def start(*nodes: Node) -> None:
    """Start the nodes at once; return when each serves searches."""
    for node in nodes:
        node.start(wait=False)
    for node in nodes:
        node.wait_listening()
        wait_until(lambda node=node: ready(node), GENEROUS, what=f"{node.name} search ready")


def read_index(node: Node, kind=ProjectIndex, name: str = indexer.PROJECTS):
    """Open ``node``'s index files from this process (read only; the worker writes)."""
    return kind(str(Path(node.index_dir) / name), create=False)


def indexed(node: Node, words: str) -> list[int]:
    index = read_index(node)
    try:
        return index.search(words).ids
    finally:
        index.close()


def expert_count(node: Node) -> int:
    index = read_index(node, ExpertIndex, indexer.EXPERTS)
    try:
        return index.doc_count()
    finally:
        index.close()


def marks(node: Node) -> dict[str, int]:
    """The change id each of the node's indexes recorded as applied."""
    found = {}
    for name, kind in indexer.INDEXES.items():
        index = read_index(node, kind, name)
        try:
            found[name] = index.last_change_id() or 0
        finally:
            index.close()
    return found


def last_change(name: str | None = None) -> int:
    """The last id of the change log (of index ``name`` only, if given)."""
    db.session.rollback()  # a new snapshot: the nodes committed since
    query = sa.select(sa.func.max(SearchChange.id))
    if name is not None:
        query = query.where(SearchChange.index == name)
    return db.session.scalar(query) or 0


def within_promise(check, what: str):
    """Poll every 0.1 s; the answer must come within VISIBLE_WITHIN seconds."""
    return wait_until(check, VISIBLE_WITHIN, interval=0.1, what=what)


# --------------------------------------------------------------------------- acting on nodes


def approve(browser: Browser, node: Node, project_id: int) -> None:
    answer = browser.post(
        node.url, f"/coordination/projects/{project_id}/review", {"decision": "approve"}
    )
    assert answer.status == 302, f"approving {project_id} on {node.name}: {answer.status}"


def unpublish(browser: Browser, node: Node, project_id: int) -> None:
    answer = browser.post(
        node.url,
        f"/coordination/projects/{project_id}/unpublish",
        {"reason": "The dates are changing."},
    )
    assert answer.status == 302, f"unpublishing {project_id} on {node.name}: {answer.status}"


def retitle_and_submit(browser: Browser, node: Node, project_id: int, title: str) -> None:
    """The representative edits the title of a listing sent back for changes and submits it."""
    answer = browser.post(node.url, f"/projects/{project_id}/edit", form_data(title=title))
    assert answer.status == 302, f"editing {project_id} on {node.name}: {answer.status}"
    answer = browser.post(node.url, f"/projects/{project_id}/status/submit")
    assert answer.status == 302, f"submitting {project_id} on {node.name}: {answer.status}"


def seed_people():
    coordinator = new_user(Role.COORDINATOR, email="coordinator@nodes.example")
    rep = new_user(Role.INSTITUTION, email="rep@nodes.example", name="Efua Mensah")
    institution = make_institution(rep, name="Tamale Teaching Hospital")
    return coordinator, rep, institution


# --------------------------------------------------------------------------- the tests


def test_what_one_node_commits_the_others_find(app, cluster):
    coordinator, rep, institution = seed_people()
    other_coordinator = new_user(Role.COORDINATOR, email="second@nodes.example")
    member = new_user(Role.MEMBER, email="zephyrine@nodes.example", name="Zephyrine Adeyemi")
    filled_profile(member, listed=True)
    solar = make_project(
        institution, status=ProjectStatus.PENDING, title="Solar kiosks for Quokkaville clinics"
    )
    mangrove = make_project(
        institution, status=ProjectStatus.PENDING, title="Mangrove nursery at Zanzibarine"
    )
    published = [
        make_project(institution, status=ProjectStatus.PUBLISHED, title=title).id
        for title in ("Baobabique seed bank", "Harmattanic dust monitoring")
    ]
    a, b = cluster("a"), cluster("b")
    start(a, b)  # each worker builds its node's index from the database

    coord = Browser()
    coord.sign_in(a.url, coordinator.email, PASSWORD)
    for node in (a, b):
        assert set(search(node, "Baobabique")) == {published[0]}
        assert experts(node, coord, "Zephyrine") == {member.id}

    # Approved through A's moderation page: B's search finds it within the promise.
    approve(coord, a, solar.id)
    within_promise(lambda: solar.id in search(b, "Quokkaville"), "approved project on B")

    # Unpublished through A: gone from B's page and from B's index.
    unpublish(coord, a, solar.id)
    within_promise(lambda: solar.id not in search(b, "Quokkaville"), "unpublished on B")
    wait_until(lambda: indexed(b, "Quokkaville") == [], GENEROUS, what="B's index drops it")

    # The representative edits the title through A and resubmits; approved again, B's search
    # finds the new title and not the old one.
    rep_browser = Browser()
    rep_browser.sign_in(a.url, rep.email, PASSWORD)
    retitle_and_submit(rep_browser, a, solar.id, "Solar kiosks for Wombatine clinics")
    approve(coord, a, solar.id)
    found, _seconds = within_promise(
        lambda: search(b, "Wombatine").get(solar.id), "edited title on B"
    )
    assert found == "Solar kiosks for Wombatine clinics"
    assert search(b, "Quokkaville") == {} and indexed(b, "Quokkaville") == []

    # A member deletes their account through A: gone from both nodes' expert search.
    person = Browser()
    person.sign_in(a.url, member.email, PASSWORD)
    person.get(a.url, "/account/delete")
    answer = person.post(a.url, "/account/delete", {"password": PASSWORD, "confirm": "y"})
    assert answer.status == 302
    for node in (a, b):
        within_promise(lambda node=node: not experts(node, coord, "Zephyrine"), node.name)
        wait_until(lambda node=node: expert_count(node) == 0, GENEROUS, what="expert index")

    # A session made on A works on B (signed cookie, shared secret key); signing out on A
    # ends it on B too (the session token is rotated in the database).
    signed_in = Browser()
    signed_in.sign_in(a.url, other_coordinator.email, PASSWORD)
    copied = signed_in.copy()
    assert copied.get(b.url, "/coordination/queue", follow=False).status == 200
    signed_in.sign_out(a.url)
    after = copied.get(b.url, "/coordination/queue", follow=False)
    assert after.status == 302 and "/login" in after.location

    # B goes down (web and worker, gracefully); changes are made through A meanwhile.
    assert b.stop() == {"web": 0, "worker": 0}
    approve(coord, a, mangrove.id)
    unpublish(coord, a, solar.id)
    within_promise(lambda: mangrove.id in search(a, "Zanzibarine"), "approved on A")

    # B comes back and catches up; a new node C, with an empty index directory, builds its
    # index from the database.
    c = cluster("c")
    assert not c.index_dir.exists()
    start(b, c)
    top = last_change(indexer.PROJECTS)
    for node in (b, c):
        wait_until(
            lambda node=node: marks(node)[indexer.PROJECTS] >= top,
            GENEROUS,
            what=f"{node.name} catches up",
        )
        assert set(search(node, "Zanzibarine")) == {mangrove.id}
        assert set(search(node, "Baobabique")) == {published[0]}
        assert set(search(node, "Harmattanic")) == {published[1]}
        assert search(node, "Wombatine") == {} and indexed(node, "Wombatine") == []
        assert experts(node, coord, "Zephyrine") == set() and expert_count(node) == 0
        index = read_index(node)
        try:
            assert index.doc_count() == 3 == indexer.expected_count(indexer.PROJECTS)
        finally:
            index.close()
    for node in (a, b, c):
        assert node.alive() == {"web": True, "worker": True}, node.log()


THREADS_PER_NODE = 2
PROJECTS_PER_THREAD = 2
ROUNDS = 3
WORDS = ["alder", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel"]


def token(project: int, round_: int) -> str:
    """A word found in one title only: the project's number and the round it was given in."""
    return f"zq{WORDS[project]}{WORDS[round_]}"


def test_concurrent_writes_through_two_nodes_leave_every_index_equal_to_the_database(app, cluster):
    coordinator, rep, institution = seed_people()
    count = 2 * THREADS_PER_NODE * PROJECTS_PER_THREAD
    ids = [
        make_project(institution, status=ProjectStatus.PENDING, title=f"Workshop {token(n, 0)}").id
        for n in range(count)
    ]
    a, b = cluster("a"), cluster("b")
    start(a, b)
    errors: list[str] = []
    emails = coordinator.email, rep.email  # threads have no application context

    def work(node: Node, numbers: list[int]) -> None:
        try:
            coord, rep_browser = Browser(timeout=60), Browser(timeout=60)
            coord.sign_in(node.url, emails[0], PASSWORD)
            rep_browser.sign_in(node.url, emails[1], PASSWORD)
            for n in numbers:
                approve(coord, node, ids[n])
            for round_ in range(1, ROUNDS):
                for n in numbers:
                    unpublish(coord, node, ids[n])
                    retitle_and_submit(rep_browser, node, ids[n], f"Workshop {token(n, round_)}")
                    approve(coord, node, ids[n])
        except Exception as exc:  # reported by the test below
            errors.append(f"{node.name}: {exc!r}")

    threads = []
    for number, node in enumerate([a, b] * THREADS_PER_NODE):
        mine = list(range(number * PROJECTS_PER_THREAD, (number + 1) * PROJECTS_PER_THREAD))
        threads.append(threading.Thread(target=work, args=(node, mine)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == [] and not any(t.is_alive() for t in threads)

    # Every index reaches the last change of the log, applied in order (one high-water mark).
    top = last_change()
    for node in (a, b):
        wait_until(
            lambda node=node: marks(node)[indexer.PROJECTS] == top,
            GENEROUS,
            what=f"{node.name} applies the change log to its end",
        )
    final = {ids[n]: f"Workshop {token(n, ROUNDS - 1)}" for n in range(count)}
    for node in (a, b):
        for n in range(count):
            assert search(node, token(n, ROUNDS - 1)) == {ids[n]: final[ids[n]]}, node.name
            for old in range(ROUNDS - 1):
                assert indexed(node, token(n, old)) == [], (node.name, token(n, old))
        index = read_index(node)
        try:
            assert index.doc_count() == count
        finally:
            index.close()
    db.session.rollback()
    assert dict(db.session.execute(sa.select(Project.id, Project.title)).tuples().all()) == final
