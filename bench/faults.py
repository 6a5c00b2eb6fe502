"""Benchmark what users see while a dependency fails: a stalled SMTP server, a PostgreSQL
outage, and simultaneous acceptances racing for the last places.

The app runs in this process behind a threaded WSGI server on 127.0.0.1 (which, like
gunicorn, closes each response once written) and is driven over HTTP:

- **SMTP stall**: the mail server accepts connections and never answers. Sign-ups (each
  queues a confirmation mail) are timed as the browser sees them; then one pass of the mail
  worker is timed, which must end within its ``MAIL_TIMEOUT`` and leave the mail queued.
- **Database outage** (PostgreSQL): the app reaches the database through a TCP forwarder
  that is cut for ``--outage-seconds`` while pages are requested from several threads, then
  restored. Counts the
  answers by status, the slowest answer, the time ``/healthz`` takes to say so, the time to
  the first good page after the restore, and the log lines the outage wrote.
- **Acceptance race** (PostgreSQL): rounds of simultaneous "accept" decisions on a project
  with fewer places than applicants; counts error pages and places over-filled.

The last lines are ``name: value`` pairs.

    python bench/faults.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from diaspora import create_app  # noqa: E402
from diaspora.extensions import db  # noqa: E402
from diaspora.main import errors  # noqa: E402
from diaspora.models import (  # noqa: E402
    Application,
    ApplicationStatus,
    Institution,
    OutboxMessage,
    OutboxStatus,
    Project,
    Role,
    User,
)
from diaspora.models.base import utcnow  # noqa: E402
from tests.conftest import StalledSMTP, _base_config  # noqa: E402
from tests.fault_tools import TcpProxy  # noqa: E402

PASSWORD = "a long enough phrase"  # noqa: S105 (the accounts the bench makes)
SIGNUP = {
    "name": "Bench Member",
    "password": PASSWORD,
    "confirm": PASSWORD,
    "role": "member",
    "accept_terms": "y",
}


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # every racing request is accepted, as behind a real server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class Served:
    """The app on a free port of 127.0.0.1 in a background thread."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, Server, QuietHandler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


class CountingHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def http(method, url, data=None, opener=None):
    """(status, seconds) of one request; error statuses are answers too."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method)
    started = time.perf_counter()
    try:
        with (opener or NO_REDIRECT).open(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return status, time.perf_counter() - started


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECT = urllib.request.build_opener(_NoRedirect)


def config_for(base: Path, url: str, **extra) -> dict:
    """The tests' base configuration, served on any host (requests come to 127.0.0.1)."""
    config = _base_config(base, url)
    del config["SERVER_NAME"]
    return {**config, **extra}


def migrated_app(config: dict):
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


def smtp_stall(base: Path, url: str, requests: int) -> dict:
    stalled = StalledSMTP()
    app = migrated_app(
        config_for(
            base / "smtp",
            url,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=stalled.port,
            MAIL_SUPPRESS_SEND=False,
        )
    )
    times, statuses = [], []
    try:
        with Served(app) as served:
            for n in range(requests):
                status, seconds = http(
                    "POST", served.base + "/signup", {**SIGNUP, "email": f"stall{n}@example.org"}
                )
                statuses.append(status)
                times.append(seconds)
            time.sleep(app.config["MAIL_REQUEST_TIMEOUT"] + 1)  # the first close callback
        with app.app_context():
            from diaspora.mail import deliver_due

            started = time.perf_counter()
            sent = deliver_due()
            worker_pass = time.perf_counter() - started
            queued = db.session.scalar(
                sa.select(sa.func.count(OutboxMessage.id)).where(
                    OutboxMessage.status == OutboxStatus.QUEUED
                )
            )
            db.engine.dispose()
    finally:
        stalled.stop()
    return {
        "smtp_stall_requests": requests,
        "smtp_stall_pages_200": statuses.count(200),  # "Check your inbox"
        "smtp_stall_request_median_s": statistics.median(times),
        "smtp_stall_request_max_s": max(times),
        "smtp_stall_worker_pass_s": worker_pass,
        "smtp_stall_worker_sent": sent,
        "smtp_stall_mail_still_queued": queued,
        "smtp_stall_worker_timeout_s": app.config["MAIL_TIMEOUT"],
    }


def database_outage(base: Path, url: str, seconds: float, threads: int) -> dict:
    target = make_url(url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432).start()
    host, port = proxy.address
    app = migrated_app(
        config_for(base / "outage", target.set(host=host, port=port).render_as_string(False))
    )
    errors.outages = errors.OutageLog()
    counter = CountingHandler()
    logging.getLogger().addHandler(counter)
    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    paths = ("/", "/projects/", "/experts/", "/login")
    try:
        with Served(app) as served:
            for _ in range(20):
                http("GET", served.base + "/")
            proxy.cut()

            deadline = time.perf_counter() + seconds

            def hammer(offset):
                n = 0
                while time.perf_counter() < deadline:
                    n += 1
                    result = http("GET", served.base + paths[(n + offset) % len(paths)])
                    with lock:
                        results.append(result)

            workers = [threading.Thread(target=hammer, args=(i,)) for i in range(threads)]
            started = time.perf_counter()
            for worker in workers:
                worker.start()
            _, health_seconds = http("GET", served.base + "/healthz")
            health_status, _ = http("GET", served.base + "/healthz")
            for worker in workers:
                worker.join()
            outage_seconds = time.perf_counter() - started
            proxy.restore()
            restored = time.perf_counter()
            while http("GET", served.base + "/")[0] != 200:
                time.sleep(0.05)
            recovery = time.perf_counter() - restored
            after = [http("GET", served.base + "/")[0] for _ in range(20)]
    finally:
        logging.getLogger().removeHandler(counter)
        proxy.stop()
        with app.app_context():
            db.engine.dispose()
    codes = [status for status, _ in results]
    tracebacks = sum(1 for record in counter.records if record.exc_info)
    return {
        "outage_requests": len(results),
        "outage_503": codes.count(503),
        "outage_200": codes.count(200),  # pages that need no database
        "outage_other": len(codes) - codes.count(503) - codes.count(200),  # 404 for guests
        "outage_answer_median_s": statistics.median(s for _, s in results),
        "outage_answer_max_s": max(s for _, s in results),
        "outage_wall_s": outage_seconds,
        "outage_healthz_status": health_status,
        "outage_healthz_s": health_seconds,
        "outage_log_lines": len(counter.records),
        "outage_tracebacks": tracebacks,
        "recovery_first_good_page_s": recovery,
        "recovery_next_20_ok": after.count(200),
    }


def acceptance_race(base: Path, url: str, rounds: int, applicants: int, places: int) -> dict:
    from diaspora.services import applications as service
    from diaspora.services.applications import Engagement
    from tests.factories import MOTIVATION, make_institution, make_project, with_profile

    app = migrated_app(config_for(base / "race", url))
    errors_seen = over = filled = 0
    answers = []
    with app.app_context():

        def user(email, role=Role.MEMBER):
            person = User(
                name=email.split("@")[0],
                email=email,
                role=role,
                email_confirmed_at=utcnow(),
                terms_accepted_at=utcnow(),
            )
            person.set_password(PASSWORD)
            db.session.add(person)
            db.session.commit()
            return person

        rep = user("rep@race.example", Role.INSTITUTION)
        institution_id = make_institution(rep).id
        members = [with_profile(user(f"m{n}@race.example")) for n in range(applicants)]
        with Served(app) as served:
            openers = []
            for _ in range(applicants):
                jar = urllib.request.HTTPCookieProcessor()
                opener = urllib.request.build_opener(_NoRedirect, jar)
                status, _ = http(
                    "POST",
                    served.base + "/login",
                    {"email": rep.email, "password": PASSWORD},
                    opener,
                )
                assert status == 302, status
                openers.append(opener)
            for round_ in range(rounds):
                with app.test_request_context():  # the mail it queues holds links
                    project = make_project(
                        db.session.get(Institution, institution_id),
                        title=f"Race {round_}",
                        places=places,
                    )
                    project_id = project.id
                    ids = []
                    for member in members:
                        member = db.session.get(User, member.id)
                        application, _ = service.apply(member, project, MOTIVATION, Engagement())
                        ids.append(application.id)
                    db.session.commit()
                barrier = threading.Barrier(applicants)
                outcomes = [None] * applicants

                def decide(index, ids=ids, barrier=barrier, outcomes=outcomes):
                    barrier.wait()
                    outcomes[index] = http(
                        "POST",
                        f"{served.base}/applications/{ids[index]}/decide",
                        {"decision": "accept"},
                        openers[index],
                    )

                workers = [threading.Thread(target=decide, args=(i,)) for i in range(applicants)]
                for worker in workers:
                    worker.start()
                for worker in workers:
                    worker.join()
                errors_seen += sum(1 for status, _ in outcomes if status != 302)
                answers.extend(seconds for _, seconds in outcomes)
                db.session.expire_all()
                accepted = db.session.scalar(
                    sa.select(sa.func.count(Application.id)).where(
                        Application.project_id == project_id,
                        Application.status == ApplicationStatus.ACCEPTED,
                    )
                )
                filled += accepted
                over += max(0, accepted - places)
                assert db.session.get(Project, project_id).places_filled == accepted
        db.engine.dispose()
    return {
        "race_decisions": rounds * applicants,
        "race_error_pages": errors_seen,
        "race_places_filled": filled,
        "race_places_offered": rounds * places,
        "race_over_filled": over,
        "race_answer_median_s": statistics.median(answers),
        "race_answer_max_s": max(answers),
    }


def throwaway_database(server_url: str, name: str):
    """Create database ``name`` on the server of ``server_url``; return its URL and a
    function that drops it."""
    url = make_url(server_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url.set(database=name).render_as_string(False), drop


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL", ""),
        help="a PostgreSQL server (any database on it); throwaway databases are made there",
    )
    parser.add_argument("--outage-seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--signups", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--applicants", type=int, default=20)
    parser.add_argument("--places", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)
    base = Path(tempfile.mkdtemp(prefix="faults-bench-"))
    figures: dict = {}
    drops = []
    try:
        if args.database_url:
            smtp_url, drop = throwaway_database(args.database_url, "diaspora_bench_smtp")
            drops.append(drop)
        else:
            smtp_url = f"sqlite:///{base / 'smtp.sqlite'}"
        figures.update(smtp_stall(base, smtp_url, args.signups))
        if args.database_url:
            outage_url, drop = throwaway_database(args.database_url, "diaspora_bench_outage")
            drops.append(drop)
            figures.update(database_outage(base, outage_url, args.outage_seconds, args.threads))
            race_url, drop = throwaway_database(args.database_url, "diaspora_bench_race")
            drops.append(drop)
            figures.update(
                acceptance_race(base, race_url, args.rounds, args.applicants, args.places)
            )
        else:
            print("database outage and acceptance race: need --database-url (PostgreSQL)")
    finally:
        for drop in drops:
            drop()
        shutil.rmtree(base, ignore_errors=True)
    for name, value in figures.items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")


if __name__ == "__main__":
    main()
