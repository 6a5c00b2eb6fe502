"""Fixture chain: app -> db -> client / runner / smtp; factories for test data.

The database is built by the migrations once per run (SQLite: a template file copied for
each app and put back after each test; PostgreSQL, when ``TEST_DATABASE_URL`` is set: tables
emptied after each test). Tests that take the configuration as it is share one app per
module (see ``app``); matrices build their people once in ``module_app``.
"""

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import g
from flask.testing import FlaskClient

from diaspora import create_app
from diaspora.extensions import db as _db
from diaspora.models import Role
from diaspora.services.indexing.indexer import close_indexes, create_missing

_SUITE_START = pytest.StashKey[float]()

PASSWORD = "correct horse battery staple"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
_OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


def pytest_sessionstart(session):
    session.config.stash[_SUITE_START] = time.monotonic()
    if not hasattr(session.config, "workerinput"):  # once, before any worker starts
        compile_catalogs()


def compile_catalogs() -> None:
    """Compile every translation whose compiled catalog is missing or older (what `make
    install` does), so a suite run straight with pytest reads the current translations."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).parent.parent / "diaspora" / "translations").glob(
        "*/LC_MESSAGES/messages.po"
    ):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source)
        partial = mo.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as target:
            write_mo(target, catalog)
        partial.replace(mo)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line: how many tests ran, on which database, in how long (wall time)."""
    start = config.stash.get(_SUITE_START, None)
    if start is None or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    count = sum(len(terminalreporter.stats.get(outcome, [])) for outcome in _OUTCOMES)
    database = "postgresql" if PG_URL else "sqlite"
    terminalreporter.write_line(
        f"suite: {count} tests on {database} in {time.monotonic() - start:.1f} s"
    )


def _worker_database(url: str) -> str:
    """Under pytest-xdist, give each worker its own fresh PostgreSQL database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _base_config(tmp_path: Path, database_url: str) -> dict:
    return {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SEARCH_INDEX_DIR": str(tmp_path / "search"),
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "diaspora.test",
        "MAIL_SERVER": "",
    }


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Upgrade an empty database to head with the migrations, once per run."""
    from flask_migrate import upgrade

    if PG_URL:
        url = _worker_database(PG_URL)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite'}"
    app = create_app(_base_config(tmp_path_factory.mktemp("migrate"), url))
    with app.app_context():
        upgrade()
        if not PG_URL:  # WAL: move every page into the file, so copying the file is enough
            with _db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        _db.engine.dispose()
    if not PG_URL:
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0, "template left a WAL behind"
    return url


def _empty_tables():
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


def _database_copy(directory: Path, migrated_database: str) -> str:
    """A database at the migrations' head for one app (on PostgreSQL, the worker's own)."""
    if PG_URL:
        return migrated_database
    path = directory / "test.sqlite"
    shutil.copyfile(migrated_database.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


def _restore_database(url: str, migrated_database: str) -> None:
    """Put the app's database back to the migrations' head (SQLite: the template file again,
    swapped in whole; PostgreSQL: every table emptied)."""
    if PG_URL:
        _empty_tables()
        return
    _db.engine.dispose()
    path = Path(url.removeprefix("sqlite:///"))
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    fresh = path.with_name(path.name + ".fresh")
    shutil.copyfile(migrated_database.removeprefix("sqlite:///"), fresh)
    fresh.replace(path)


@pytest.fixture
def app_config(tmp_path, migrated_database):
    """The configuration of an app of the test's own; tests may update it before ``app``."""
    return _base_config(tmp_path, _database_copy(tmp_path, migrated_database))


def _forget_previous_request():
    """Tests keep one app context open, which Flask reuses for every request and so shares
    ``g`` between them; drop the user Flask-Login and the language Flask-Babel cached there
    by an earlier request."""
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)


class ServerLikeClient(FlaskClient):
    """A test client that, like a real server, reads the whole body and then closes the
    response before returning it, so callbacks run on close (mail sent after the response)
    have run when a test looks."""

    def open(self, *args, buffered=True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


def _new_app(config: dict):
    app = create_app(config)
    app.test_client_class = ServerLikeClient
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_request)
    return app


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory, migrated_database):
    """The app that the tests of one module share when they take the configuration as it
    is; ``app`` puts it back as it was after each test."""
    directory = tmp_path_factory.mktemp("shared")
    app = _new_app(_base_config(directory, _database_copy(directory, migrated_database)))
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def app(request, migrated_database):
    """The app under test, its context pushed for the whole test.

    A test that asks for ``app_config`` (itself or through a fixture such as ``mail_config``)
    gets an app of its own, built from that configuration. The others share their module's
    app, which starts each test as a new one would: the migrated database, the configuration
    as built, nothing in ``app.extensions`` beyond the extensions, no mail files.

    There is no search index unless the test is marked ``search_index``: then every index
    exists, empty, as after ``flask search rebuild`` on an empty database. Without one, search
    answers that it is unavailable and committed changes wait in the change log.
    """
    own = "app_config" in request.fixturenames
    app = (
        _new_app(request.getfixturevalue("app_config"))
        if own
        else request.getfixturevalue("shared_app")
    )
    config = dict(app.config)
    extensions = set(app.extensions)
    if request.node.get_closest_marker("search_index"):
        create_missing(app)
    with app.app_context():
        yield app
        close_indexes(app)
        _db.session.remove()
        if own:
            if PG_URL:
                _empty_tables()
            _db.engine.dispose()
            return
        app.config.clear()
        app.config.update(config)
        for name in set(app.extensions) - extensions:
            del app.extensions[name]
        for folder in ("SEARCH_INDEX_DIR", "MAIL_FILE_DIR"):
            shutil.rmtree(app.config[folder], ignore_errors=True)
        _restore_database(app.config["SQLALCHEMY_DATABASE_URI"], migrated_database)


@pytest.fixture(scope="module")
def module_app(tmp_path_factory, migrated_database):
    """An app whose database lasts as long as the module, its context pushed for all of it:
    for a matrix that builds its people once and gives each case records of its own. A module
    that uses it uses no ``app``: on PostgreSQL both are on the worker's one database, which
    ``app`` empties after each test."""
    directory = tmp_path_factory.mktemp("module")
    app = _new_app(_base_config(directory, _database_copy(directory, migrated_database)))
    with app.app_context():
        yield app
        close_indexes(app)
        _db.session.remove()
        if PG_URL:
            _empty_tables()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class SMTPSink:
    """Collects what a real SMTP server on 127.0.0.1 receives.

    ``rcpt_reply`` (e.g. ``"550 5.1.1 No such user"``) makes it refuse every recipient with
    that reply. With ``hold`` set, each message is recorded as received and then not
    answered until ``release`` is set (``in_data`` tells that one is being held).
    """

    def __init__(self, port: int):
        self.port = port
        self.messages = []
        self.lock = threading.Lock()
        self.controller = None
        self.rcpt_reply = None
        self.hold = False
        self.in_data = threading.Event()
        self.release = threading.Event()

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.release.set()
            self.controller.stop()
            self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append({"to": list(envelope.rcpt_tos), "message": message})
        if self.hold:
            self.in_data.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        return "250 Message accepted for delivery"

    def clear(self):
        with self.lock:
            self.messages.clear()

    def to(self, address):
        with self.lock:
            return [m["message"] for m in self.messages if address in m["to"]]

    def wait_for(self, address, subject_prefix="", timeout=30.0):
        """The messages to ``address`` whose subject starts with ``subject_prefix``, waiting
        until at least one arrived: a live server sends mail after its response is out."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.to(address) if m["Subject"].startswith(subject_prefix)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


class StalledSMTP:
    """A server on 127.0.0.1 that accepts connections and never says a word."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = []
        self.connected = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            self.connected.set()

    def stop(self):
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.listener.close()
        for conn in self.connections:
            conn.close()
        self.thread.join(timeout=10)


@pytest.fixture
def stalled_smtp():
    server = StalledSMTP()
    yield server
    server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp_server(smtp_port):
    """A real SMTP server on 127.0.0.1; ``.stop()`` and ``.start()`` simulate an outage."""
    sink = SMTPSink(smtp_port)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_config(app_config, smtp_port):
    """Configure the app to deliver through the test SMTP server."""
    app_config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port, MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=5
    )
    return app_config


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def first_link(message, pattern: str) -> str:
    """The first link in a message's text whose path matches ``pattern``."""
    match = re.search(r"https?://[^\s]*" + pattern + r"[^\s]*", text_of(message))
    assert match, f"no link matching {pattern!r} in: {text_of(message)}"
    return match.group(0)


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    from tests.factories import new_user  # factories imports PASSWORD from here

    def make(role=Role.MEMBER, confirmed=True, email=None, name=None, password=PASSWORD):
        counter["n"] += 1
        return new_user(
            role,
            email=email or f"user{counter['n']}@example.org",
            name=name or f"User {counter['n']}",
            confirmed=confirmed,
            password=password,
        )

    return make


def login(client, email, password=PASSWORD, remember=False, next_url=""):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    if next_url:
        data["next"] = next_url
    return client.post("/login", data=data)


@pytest.fixture
def auth(client):
    """Log the test client in and out."""

    class Auth:
        def login(self, user_or_email, password=PASSWORD, **kwargs):
            email = getattr(user_or_email, "email", user_or_email)
            return login(client, email, password, **kwargs)

        def logout(self):
            return client.post("/logout")

    return Auth()


@pytest.fixture
def redis_url(tmp_path):
    """A real Redis server on a free port, without persistence, for shared counters.

    Skipped where redis-server is not installed, unless DIASPORA_REQUIRE_BROWSER (the CI
    flag that requires every external program) is set: then its absence fails."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("DIASPORA_REQUIRE_BROWSER"):
            pytest.fail("redis-server is required here (DIASPORA_REQUIRE_BROWSER is set)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    yield f"redis://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")
