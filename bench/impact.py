"""Benchmark the impact figures on a generated network: the refresh that recomputes the
summary rows, then the coordinators' dashboard for the last 12 months (no filter, then each
filter), the coordinators' page through the test client, the public figures and the
follow-up and freshness tables, against the 1-second target.

Builds a throwaway database through the migrations (a temporary SQLite file, or with
``--database-url`` a new database on that PostgreSQL server, dropped at the end), generates
a year of history with :func:`diaspora.demo_history.generate`, prints how long that took,
then times each figure over ``--runs`` runs (p50 and p95, milliseconds). The slowest
queries of the slowest figure are printed with their plan. The last lines are
``name: value`` pairs.

    python bench/impact.py --members 100000 --applications 1000000
    python bench/impact.py --members 5000 --applications 50000 --runs 5
    python bench/impact.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from diaspora import create_app  # noqa: E402
from diaspora.demo_history import generate  # noqa: E402
from diaspora.extensions import db  # noqa: E402
from diaspora.models import ImpactFact, Institution, Project, Role, User  # noqa: E402
from diaspora.models.base import utcnow  # noqa: E402
from diaspora.security import password_hasher  # noqa: E402
from diaspora.services import follow_ups, freshness, impact  # noqa: E402

TARGET_MS = 1000.0
PAGE = "/coordination/impact"


@contextmanager
def throwaway_database(url: str, tmp: Path):
    """A URL to a new, empty database: a SQLite file in ``tmp``, or a database created on
    the server ``url`` names and dropped afterwards."""
    if not url:
        yield f"sqlite:///{tmp / 'impact.sqlite'}"
        return
    server = sa.make_url(url)
    name = f"diaspora_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class QueryClock:
    """Times every statement the engine runs while it is on."""

    def __init__(self, engine):
        self.engine = engine
        self.times: Counter = Counter()
        self.statements: dict[str, tuple] = {}
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        started = conn.info.pop("bench_started", None)
        if started is not None:
            self.times[statement] += time.perf_counter() - started
            self.statements[statement] = parameters

    def reset(self) -> None:
        self.times.clear()
        self.statements.clear()

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)


def timed(action, runs: int) -> tuple[float, float]:
    """p50 and p95 of ``action`` in milliseconds (one warm-up run first)."""
    action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def plan_of(statement: str, parameters) -> str:
    """The database's plan of one statement (SQLite's query plan, PostgreSQL's EXPLAIN
    ANALYZE)."""
    connection = db.session.connection().connection.driver_connection
    postgresql = db.engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgresql else "EXPLAIN QUERY PLAN "
    cursor = connection.cursor()
    cursor.execute(prefix + statement, parameters)
    rows = cursor.fetchall()
    cursor.close()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def slowest_queries(clock: QueryClock, figure, count: int = 3) -> list[str]:
    clock.reset()
    figure()
    total = sum(clock.times.values()) * 1000
    lines = [f"{len(clock.times)} distinct statements, {total:.0f} ms in the database"]
    for statement, seconds in clock.times.most_common(count):
        lines.append(f"--- {seconds * 1000:.0f} ms: {' '.join(statement.split())[:400]}")
        lines.append(plan_of(statement, clock.statements[statement]))
    db.session.rollback()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--institutions", type=int, default=0, help="default: members / 200")
    parser.add_argument("--projects", type=int, default=0, help="default: applications / 50")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server to use")
    parser.add_argument("--plans", action="store_true", help="print the slowest queries' plans")
    args = parser.parse_args()
    institutions = args.institutions or max(10, args.members // 200)
    projects = args.projects or max(20, args.applications // 50)
    figures: dict[str, object] = {}
    with (
        tempfile.TemporaryDirectory(prefix="diaspora-bench-") as tmp,
        throwaway_database(args.database_url, Path(tmp)) as url,
    ):
        app = create_app(
            {
                "ENV_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": url,
                "SEARCH_INDEX_DIR": str(Path(tmp) / "search"),
                "MAIL_FILE_DIR": str(Path(tmp) / "mail"),
                "SERVER_NAME": "bench.example",
                "MAIL_SERVER": "",
            }
        )
        with app.app_context():
            upgrade()
            dialect = db.engine.dialect.name
            now = utcnow()
            started = time.perf_counter()
            generated = generate(
                members=args.members,
                institutions=institutions,
                projects=projects,
                applications=args.applications,
                seed=args.seed,
                now=now,
            )
            db.session.commit()
            seconds = time.perf_counter() - started
            print(f"generated on {dialect} in {seconds:.1f} s: {generated}")
            figures["generate_s"] = round(seconds, 1)
            started = time.perf_counter()
            with db.engine.connect() as connection:
                connection.execute(sa.text("ANALYZE"))
                connection.commit()
            print(f"ANALYZE in {time.perf_counter() - started:.1f} s (as autovacuum would)")

            started = time.perf_counter()
            impact.refresh(now)
            db.session.commit()
            seconds = time.perf_counter() - started
            facts = db.session.scalar(sa.select(sa.func.count()).select_from(ImpactFact))
            print(f"refresh in {seconds:.1f} s: {facts} facts")
            figures["refresh_s"] = round(seconds, 1)
            figures["facts"] = facts
            with db.engine.connect() as connection:
                connection.execute(sa.text("ANALYZE"))
                connection.commit()

            period = impact.Period.last_twelve_months(now.date())
            busiest = db.session.execute(
                sa.select(Project.institution_id, Institution.country, Project.sector)
                .join(Institution, Institution.id == Project.institution_id)
                .group_by(Project.institution_id, Institution.country, Project.sector)
                .order_by(sa.func.count(Project.id).desc(), Project.institution_id)
                .limit(1)
            ).one()
            filters = {
                "dashboard": impact.Filters(),
                "dashboard_country": impact.Filters(country=busiest.country),
                "dashboard_sector": impact.Filters(sector=busiest.sector),
                "dashboard_institution": impact.Filters(institution_id=busiest.institution_id),
            }
            actions = {
                name: (lambda f=f: impact.dashboard(period, f)) for name, f in filters.items()
            }
            actions["public_figures"] = impact.public_figures
            actions["follow_ups_table"] = lambda: follow_ups.impact_table(period)
            actions["freshness_tables"] = lambda: freshness.tables(now)
            if any(rule.rule == PAGE for rule in app.url_map.iter_rules()):
                coordinator = User(
                    name="Bench coordinator",
                    email="coordinator@bench.example",
                    role=Role.COORDINATOR,
                    password_hash=password_hasher().hash(secrets.token_urlsafe(16)),
                    email_confirmed_at=now,
                )
                db.session.add(coordinator)
                db.session.commit()
                client = app.test_client()
                with client.session_transaction() as session:
                    session["_user_id"] = coordinator.session_token
                    session["_fresh"] = True
                    session["login_at"] = utcnow().timestamp()

                def page():
                    response = client.get(PAGE)
                    assert response.status_code == 200, response.status_code

                actions["coordinator_page"] = page
            else:
                print(f"{PAGE}: no such page on this branch; not timed")

            clock = QueryClock(db.engine)
            results = {}
            for name, action in actions.items():
                results[name] = timed(action, args.runs)
            print()
            print(f"{'figure':<24}{'p50 ms':>10}{'p95 ms':>10}   target 1000 ms")
            for name, (p50, p95) in results.items():
                verdict = "within" if p95 <= TARGET_MS else "OVER"
                print(f"{name:<24}{p50:>10.0f}{p95:>10.0f}   {verdict}")
                figures[f"{name}_p50_ms"] = round(p50)
                figures[f"{name}_p95_ms"] = round(p95)
            slowest = max(results, key=lambda n: results[n][1])
            if args.plans or results[slowest][1] > TARGET_MS:
                print(f"\nslowest queries of {slowest}:")
                print("\n".join(slowest_queries(clock, actions[slowest])))
            clock.close()
            db.session.remove()
            db.engine.dispose()
    for name, value in figures.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
