"""Benchmark several web nodes on one PostgreSQL: throughput, visibility across nodes, catch-up.

Makes a throwaway database on the given PostgreSQL server, migrates it and seeds a realistic
dataset (published projects of several institutions, listed member profiles, a coordinator and
a representative). Then runs nodes as a cluster runs them (:mod:`tests.nodes`): each node a
gunicorn process (``--workers`` sync workers) and its search worker
(``flask search apply --loop``, a pass every ``--interval`` seconds, 0.2 by default as in
production), with its own index directory, which the worker builds from the database at
start. It measures:

- **throughput**: ``--connections`` client threads (``http.client``, keeping the connection
  when the server does) request ``/search?q=<word>`` and a project page for ``--seconds``
  each, against one node, then against two nodes in turn (round-robin); requests/s, p50 and
  p95 latency, the web processes' CPU time per request, and where the machine's CPU time
  went (web, search workers, PostgreSQL when it runs on this machine, client, the rest);
- **commit to visible**: a coordinator approves a submitted project through node A's
  moderation page (a real form POST); the time from A's answer until node B's ``/search``
  shows it (polled every 20 ms), p50/p95 over ``--trials`` projects;
- **catch-up**: node B's search worker is stopped (SIGTERM), ``--changes`` committed edits
  are made through the app's session (each its own transaction, so each writes a change-log
  row), the worker is started again: the time until B's index has applied the last change,
  next to the time the worker command takes to start with nothing to do.

The client runs on the same cores as the servers, the database and the workers, so figures
are lower than an outside client would see. The last lines are ``name: value`` pairs.

    python bench/nodes.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

import argparse
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.faults import throwaway_database  # noqa: E402
from bench.search import insert_projects  # noqa: E402
from bench.search_engine import QUERY_MIX  # noqa: E402
from diaspora import create_app  # noqa: E402
from diaspora.extensions import db  # noqa: E402
from diaspora.models import (  # noqa: E402
    Institution,
    InstitutionRepresentative,
    Profile,
    Project,
    ProjectStatus,
    Role,
    SearchChange,
    User,
)
from diaspora.models.base import utcnow  # noqa: E402
from diaspora.search import ProjectIndex  # noqa: E402
from diaspora.services import accounts  # noqa: E402
from diaspora.services.indexing import indexer  # noqa: E402
from tests.factories import make_project  # noqa: E402
from tests.nodes import Browser, Node, wait_until  # noqa: E402

PASSWORD = "a long enough phrase"  # noqa: S105 (the accounts the bench makes)
SEARCH_WORDS = [text for text in QUERY_MIX if text.isalpha()]
COUNTRIES = ["GH", "SN", "KE", "NG", "ET", "MA", "LB", "HT", "PH", "VN"]
SECTORS = ["health", "education", "energy", "agriculture", "water", "finance"]
#: Deadline of anything that should take seconds: only there so a broken cluster ends the run.
PATIENCE = 180.0


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --------------------------------------------------------------------------- the data


def seed(projects: int, members: int, trials: int) -> dict:
    """Published projects in bulk, listed members, and the people and submitted projects the
    visibility trials use; everything committed."""
    insert_projects(projects, seed=42)
    if db.engine.dialect.name == "postgresql":  # the bulk insert gave the ids itself
        db.session.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('projects', 'id'), max(id)) FROM projects"
            )
        )
    sample = User(name="x", email="x@x", role=Role.MEMBER)
    sample.set_password(PASSWORD)  # one hash for every member: they never sign in here
    for number in range(members):
        user = User(
            name=f"Member {number}",
            email=f"member{number}@bench.example",
            role=Role.MEMBER,
            password_hash=sample.password_hash,
            email_confirmed_at=utcnow(),
            terms_accepted_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        db.session.add(
            Profile(
                user_id=user.id,
                display_name=user.name,
                headline=f"{SECTORS[number % len(SECTORS)].title()} specialist",
                origin_country=COUNTRIES[number % len(COUNTRIES)],
                residence_country="FR",
                sectors=[SECTORS[number % len(SECTORS)]],
                years_experience=5 + number % 30,
                listed=True,
            )
        )
    coordinator = accounts.create_user(
        "Coordinator", "coordinator@bench.example", PASSWORD, Role.COORDINATOR
    )
    rep = accounts.create_user("Rep", "rep@bench.example", PASSWORD, Role.INSTITUTION)
    institution = db.session.scalar(sa.select(Institution).order_by(Institution.id).limit(1))
    db.session.add(InstitutionRepresentative(institution_id=institution.id, user_id=rep.id))
    db.session.commit()
    pending = [
        make_project(
            institution, status=ProjectStatus.PENDING, title=f"Field visit zqtrial{_word(n)}"
        ).id
        for n in range(trials)
    ]
    page_ids = list(
        db.session.scalars(
            sa.select(Project.id)
            .where(Project.status == ProjectStatus.PUBLISHED)
            .order_by(Project.id)
            .limit(200)
        )
    )
    return {
        "coordinator": coordinator.email,
        "pending": pending,
        "pages": [f"/projects/{pid}" for pid in page_ids],
    }


def _word(number: int) -> str:
    """A letters-only word per number (``ab``, ``ac``...): one title each, found by search."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[number // 26 % 26] + letters[number % 26]


# --------------------------------------------------------------------------- load


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the machine's CPUs, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _process_tree_ticks(roots: list[int]) -> int:
    """CPU clock ticks (user + system) used so far by ``roots`` and their descendants."""
    parents, ticks = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = text.rsplit(")", 1)[1].split()
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    tree, grew = set(roots), True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(ticks.get(pid, 0) for pid in tree)


def postmaster_pid() -> int | None:
    """The PostgreSQL server's main process when it runs on this machine (the parent of
    this connection's backend), else None."""
    backend = db.session.scalar(sa.select(sa.func.pg_backend_pid()))
    db.session.rollback()
    try:
        parent = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        name = Path(f"/proc/{parent}/comm").read_text().strip()
    except (OSError, ValueError, IndexError):
        return None
    return parent if name.startswith("postgres") else None


def cpu_use(nodes: list[Node], database: int | None) -> dict[str, float]:
    """CPU seconds used so far by the nodes' web processes, their search workers, this
    process (the load client), the PostgreSQL server (when local) and the whole machine."""
    hertz = os.sysconf("SC_CLK_TCK")
    busy, _total = cpu_times()
    return {
        "database": _process_tree_ticks([database] if database else []) / hertz,
        "web": _process_tree_ticks([n.web.pid for n in nodes if n.web]) / hertz,
        "search_workers": _process_tree_ticks([n.worker.pid for n in nodes if n.worker]) / hertz,
        "client": time.process_time(),
        "machine": busy / hertz,
    }


def load(
    targets: list[tuple[str, str]],
    seconds: float,
    connections: int,
    nodes: list[Node],
    database: int | None = None,
) -> dict:
    """``connections`` threads request ``targets`` ((base URL, path), taken in turn) for
    ``seconds``; requests/s, p50/p95 latency (ms), errors, the CPUs' busy share and the
    share of the machine's CPU time each kind of process used (``other``: anything else
    running on the machine; PostgreSQL too when ``database``, its main process, is None)."""
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run(number: int) -> None:
        local, kept = [], {}
        i = number
        while time.monotonic() < stop_at:
            base, path = targets[i % len(targets)]
            i += connections
            parts = urllib.parse.urlsplit(base)
            key = (parts.hostname, parts.port)
            connection = kept.pop(key, None) or http.client.HTTPConnection(*key, timeout=30)
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                with lock:
                    errors.append(repr(exc))
                continue
            if response.status != 200:
                with lock:
                    errors.append(f"{response.status} {path}")
            local.append((time.perf_counter() - started) * 1000)
            if response.will_close:
                connection.close()
            else:
                kept[key] = connection
        for connection in kept.values():
            connection.close()
        with lock:
            timings.extend(local)

    busy_before, total_before = cpu_times()
    used_before = cpu_use(nodes, database)
    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    busy_after, total_after = cpu_times()
    used = {k: v - used_before[k] for k, v in cpu_use(nodes, database).items()}
    capacity = elapsed * (os.cpu_count() or 1)
    if not timings:
        raise RuntimeError(f"no request answered: {errors[:3]}")
    for error in sorted(set(errors))[:5]:
        print(f"  failed request: {error}", file=sys.stderr, flush=True)
    return {
        "rps": len(timings) / elapsed,
        "p50_ms": _percentile(timings, 0.5),
        "p95_ms": _percentile(timings, 0.95),
        "errors": len(errors),
        "web_cpu_ms_per_request": used["web"] * 1000 / len(timings),
        "database_cpu_ms_per_request": used["database"] * 1000 / len(timings),
        "cpu_busy": (busy_after - busy_before) / max(total_after - total_before, 1),
        "cpu_web": used["web"] / capacity,
        "cpu_search_workers": used["search_workers"] / capacity,
        "cpu_client": used["client"] / capacity,
        "cpu_database": used["database"] / capacity,
        "cpu_other": max(used["machine"] - sum(v for k, v in used.items() if k != "machine"), 0)
        / capacity,
    }


def targets(nodes: list[Node], paths: list[str]) -> list[tuple[str, str]]:
    """Each path in turn, sent to the nodes in turn (round-robin)."""
    return [(nodes[i % len(nodes)].url, path) for i, path in enumerate(paths)]


def warm(nodes: list[Node], paths: list[str]) -> None:
    for node in nodes:
        for path in paths[:20]:
            Browser(timeout=PATIENCE).get(node.url, path)


# --------------------------------------------------------------------------- cluster figures


def ready(node: Node) -> bool:
    return Browser(timeout=PATIENCE).get(node.url, "/search?q=ready").status == 200


def applied(node: Node) -> int:
    """The change id the node's project index recorded as applied (read from its files)."""
    index = ProjectIndex(str(node.index_dir / indexer.PROJECTS), create=False)
    try:
        return index.last_change_id() or 0
    finally:
        index.close()


def last_change() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.max(SearchChange.id))) or 0


def visibility(a: Node, b: Node, data: dict) -> list[float]:
    """Approve each submitted project through A; seconds until B's search shows it."""
    coordinator = Browser(timeout=PATIENCE)
    coordinator.sign_in(a.url, data["coordinator"], PASSWORD)
    observer = Browser(timeout=PATIENCE)
    seconds = []
    for number, project_id in enumerate(data["pending"]):
        answer = coordinator.post(
            a.url, f"/coordination/projects/{project_id}/review", {"decision": "approve"}
        )
        if answer.status != 302:
            raise RuntimeError(f"approving project {project_id} answered {answer.status}")
        path = f"/search?q=zqtrial{_word(number)}"
        _found, took = wait_until(
            lambda path=path, project_id=project_id: (
                f'href="/projects/{project_id}"' in observer.get(b.url, path).text
            ),
            PATIENCE,
            interval=0.02,
            what=f"project {project_id} on B",
        )
        seconds.append(took)
    return seconds


def catch_up(b: Node, changes: int) -> dict:
    """Stop B's worker, commit ``changes`` edits, start it again: seconds until B's index
    holds the last change, and seconds the worker command takes when there is nothing to do."""
    b.worker.terminate()
    b.worker.wait(timeout=60)
    b.worker = None
    ids = list(
        db.session.scalars(sa.select(Project.id).where(Project.status == ProjectStatus.PUBLISHED))
    )
    started = time.perf_counter()
    for number in range(changes):
        project = db.session.get(Project, ids[number % len(ids)])
        project.summary = f"{project.summary.split(' · ')[0]} · revision {number}"
        db.session.commit()
    committing = time.perf_counter() - started
    top = last_change()
    behind = top - applied(b)
    started = time.perf_counter()
    b.start(web=False)
    wait_until(lambda: applied(b) >= top, PATIENCE, interval=0.05, what="B catches up")
    catching_up = time.perf_counter() - started
    started = time.perf_counter()
    b.flask("search", "apply")
    idle_start = time.perf_counter() - started
    return {
        "changes_committed_s": committing,
        "changes_behind": behind,
        "catch_up_s": catching_up,
        "worker_idle_start_s": idle_start,
    }


def run(args, database_url: str, base: Path) -> dict:
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SEARCH_INDEX_DIR": str(base / "bench-search"),
            "MAIL_FILE_DIR": str(base / "mail"),
            "SEARCH_ENABLED": False,  # this process writes; the nodes' workers index
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 8,
            "ARGON2_PARALLELISM": 1,
            "SERVER_NAME": None,
            "SITE_URL": "http://127.0.0.1",
        }
    )
    figures: dict = {}
    nodes: list[Node] = []
    with app.app_context():
        upgrade()
        data = seed(args.projects, args.members, args.trials)
        database = postmaster_pid()
        try:
            options = {"workers": args.workers, "interval": args.interval}
            a = Node("a", base / "a", database_url, **options)
            b = Node("b", base / "b", database_url, **options)
            nodes += [a, b]
            started = time.perf_counter()
            a.start()
            wait_until(lambda: ready(a), PATIENCE, what="node A")
            figures["node_start_with_index_build_s"] = time.perf_counter() - started
            searches = [f"/search?q={urllib.parse.quote(word)}" for word in SEARCH_WORDS]
            for label, paths in (("search", searches), ("project", data["pages"])):
                warm([a], paths)
                one = load(targets([a], paths), args.seconds, args.connections, [a], database)
                figures.update({f"{label}_1node_{k}": v for k, v in one.items()})
            b.start()
            wait_until(lambda: ready(b), PATIENCE, what="node B")
            for label, paths in (("search", searches), ("project", data["pages"])):
                warm([b], paths)
                two = load(targets([a, b], paths), args.seconds, args.connections, [a, b], database)
                figures.update({f"{label}_2nodes_{k}": v for k, v in two.items()})
            seconds = visibility(a, b, data)
            figures["visible_p50_s"] = statistics.median(seconds)
            figures["visible_p95_s"] = _percentile(seconds, 0.95)
            figures["visible_max_s"] = max(seconds)
            figures.update(catch_up(b, args.changes))
        finally:
            for node in nodes:
                node.stop()
        db.session.remove()
        db.engine.dispose()
    return figures


def table(figures: dict, args) -> str:
    rows = [
        ("", "req/s", "p50 ms", "p95 ms", "web CPU ms/req", "CPU busy", "web", "search w.", "PG")
        + ("client", "other"),
    ]
    for label, name in (("search", "/search?q=word"), ("project", "/projects/<id>")):
        for nodes in ("1node", "2nodes"):
            key = f"{label}_{nodes}"
            rows.append(
                (
                    f"{name}, {nodes.replace('node', ' node')}",
                    f"{figures[key + '_rps']:.0f}",
                    f"{figures[key + '_p50_ms']:.0f}",
                    f"{figures[key + '_p95_ms']:.0f}",
                    f"{figures[key + '_web_cpu_ms_per_request']:.1f}",
                    f"{figures[key + '_cpu_busy']:.0%}",
                    f"{figures[key + '_cpu_web']:.0%}",
                    f"{figures[key + '_cpu_search_workers']:.0%}",
                    f"{figures[key + '_cpu_database']:.0%}",
                    f"{figures[key + '_cpu_client']:.0%}",
                    f"{figures[key + '_cpu_other']:.0%}",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines += [
        "(CPU: share of the machine's CPU time, busy in all and used by the nodes' gunicorn "
        "processes, their search workers, PostgreSQL, the load client, and anything else "
        "running on the machine; failed requests: "
        + ", ".join(str(figures[k]) for k in figures if k.endswith("_errors"))
        + ")",
        "",
        f"commit on A -> found by B's /search: p50 {figures['visible_p50_s']:.2f} s, "
        f"p95 {figures['visible_p95_s']:.2f} s, max {figures['visible_max_s']:.2f} s "
        f"({args.trials} approvals)",
        f"catch-up of B's worker after {figures['changes_behind']} changes: "
        f"{figures['catch_up_s']:.1f} s from its start "
        f"(the worker command alone starts in {figures['worker_idle_start_s']:.1f} s)",
    ]
    return "\n".join(lines)


def limit_line(figures: dict) -> str:
    """What limits scaling, from the load figures of the search page."""
    one = {k: figures[f"search_1node_cpu_{k}"] for k in ("web", "database", "other")}
    web_two = figures["search_2nodes_cpu_web"]
    web = [figures[f"search_{n}_web_cpu_ms_per_request"] for n in ("1node", "2nodes")]
    database = figures["search_1node_database_cpu_ms_per_request"]
    per_database_core = f"about {1000 / database:.0f}/s" if database else "(not measured)"
    share = (
        "what the nodes gained they took from the other processes"
        if web_two > one["web"] * 1.1
        else "the nodes' share did not grow"
    )
    cost = (
        ", and a page cost more CPU with two nodes (more processes on the same cores and caches)"
        if web[1] > web[0] * 1.1
        else ""
    )
    return (
        "scaling: two nodes gave "
        f"x{figures['search_2nodes_rps'] / figures['search_1node_rps']:.2f} the search "
        f"throughput of one on the same {os.cpu_count()} cores, all "
        f"{figures['search_1node_cpu_busy']:.0%} busy. The nodes' web processes had "
        f"{one['web']:.0%} of the machine's CPU time with one node and {web_two:.0%} with two "
        f"(PostgreSQL {one['database']:.0%}, other processes on the machine {one['other']:.0%}):"
        f" on one machine a second node adds processes, not cores; {share}{cost}. "
        f"A search page costs {web[0]:.1f} ms (one node) and {web[1]:.1f} ms (two) of web CPU "
        f"and {database:.1f} ms of PostgreSQL CPU: each core given to web nodes serves about "
        f"{2000 / sum(web):.0f} searches/s, one PostgreSQL core {per_database_core}, so nodes "
        "on machines of their own scale until the database's cores are busy."
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL", ""),
        help="a PostgreSQL server (any database on it); a throwaway database is made there",
    )
    parser.add_argument("--projects", type=int, default=400)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument(
        "--interval", type=float, default=0.2, help="seconds between the search workers' passes"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0, help="per load phase")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--changes", type=int, default=1000)
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must name a PostgreSQL server")
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, cpus {os.cpu_count()}, "
        f"load average before the run {load_average}",
        flush=True,
    )
    print(
        f"{args.projects} published projects, {args.members} listed members; "
        f"{args.workers} gunicorn workers per node, search workers every {args.interval} s; "
        f"{args.connections} connections, "
        f"{args.seconds:.0f} s per load phase",
        flush=True,
    )
    base = Path(tempfile.mkdtemp(prefix="diaspora-nodes-"))
    url, drop = throwaway_database(args.database_url, "diaspora_bench_nodes")
    try:
        figures = run(args, url, base)
    finally:
        drop()
        shutil.rmtree(base, ignore_errors=True)
    print(table(figures, args))
    print(limit_line(figures))
    for name, value in figures.items():
        print(f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}")


if __name__ == "__main__":
    main()
