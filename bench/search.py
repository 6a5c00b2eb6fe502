"""Benchmark search through the app: rebuild, queries, change-to-searchable, the page under load.

Creates a temporary instance (SQLite file and index directory in a temporary directory),
inserts N published projects in bulk, rebuilds the index as ``flask search rebuild`` does,
then measures queries (the engine's query with facets and highlighting, then the whole search
service, which also loads the page's projects from the database),
how long one edited project takes to become searchable, and the search page served by
gunicorn (2 sync workers on 127.0.0.1) under load: ``wrk`` when installed
(``apt-get install -y wrk``), a bounded threaded Python client otherwise. The last lines are
``name: value`` pairs.

    python bench/search.py --docs 10000
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_engine import generate_projects, query_plan  # noqa: E402
from diaspora import create_app  # noqa: E402
from diaspora.extensions import db  # noqa: E402
from diaspora.models import (  # noqa: E402
    Institution,
    InstitutionStatus,
    InstitutionType,
    Project,
    ProjectStatus,
    Skill,
)
from diaspora.models.project import project_skills  # noqa: E402
from diaspora.services import discovery  # noqa: E402
from diaspora.services.indexing import indexer  # noqa: E402

# The engine benchmark's vocabulary, mapped onto the app's engagement modes.
ENGAGEMENT = {"long_term": "return", "research_collaboration": "research"}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(base: Path) -> dict:
    return {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{base / 'bench.sqlite'}",
        "SEARCH_INDEX_DIR": str(base / "search"),
        "MAIL_FILE_DIR": str(base / "mail"),
        "SERVER_NAME": None,
    }


def insert_projects(n: int, seed: int) -> None:
    """Insert ``n`` published projects, their institutions and skills, in bulk."""
    institutions: dict[str, int] = {}
    skills: dict[str, int] = {}
    rows, links = [], []
    for doc in generate_projects(n, seed=seed, today=date.today()):
        name = doc["institution"]
        if name not in institutions:
            institution = Institution(
                name=name,
                kind=InstitutionType.UNIVERSITY,
                country=doc["country"],
                status=InstitutionStatus.VERIFIED,
            )
            db.session.add(institution)
            db.session.flush()
            institutions[name] = institution.id
        for skill_name in doc["skills"]:
            key = Skill.key_for(skill_name)
            if key not in skills:
                skill = Skill(name=skill_name, key=key)
                db.session.add(skill)
                db.session.flush()
                skills[key] = skill.id
            links.append({"project_id": doc["id"], "skill_id": skills[key]})
        rows.append(
            {
                "id": doc["id"],
                "institution_id": institutions[name],
                "title": doc["title"][:200],
                "summary": doc["summary"][:500],
                "description": doc["description"],
                "country": doc["country"],
                "region": doc["region"][:120],
                "sector": doc["sector"],
                "engagement_mode": ENGAGEMENT.get(doc["engagement_mode"], doc["engagement_mode"]),
                "work_mode": doc["work_mode"],
                "compensation": doc["compensation"],
                "languages": doc["languages"],
                "published_at": doc["published_at"],
                "deadline": doc["deadline"],
                "status": ProjectStatus.PUBLISHED,
                "places": 3,
            }
        )
        if len(rows) >= 2000:
            db.session.execute(sa.insert(Project), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(Project), rows)
    unique_links = list({(link["project_id"], link["skill_id"]): link for link in links}.values())
    for start in range(0, len(unique_links), 5000):
        db.session.execute(project_skills.insert(), unique_links[start : start + 5000])
    db.session.commit()


def _plan() -> list:
    return [
        discovery.ProjectSearch(
            query=call["text"],
            filters=call["filters"],
            sort=call["sort"],
            within=call.get("deadline_within_days"),
        )
        for call in query_plan(200)
    ]


def page_paths() -> list[str]:
    """The search page for each search of the plan: the page is timed on the same searches
    as the engine's query, so the two figures compare."""
    return [
        f"/search?{urllib.parse.urlencode(search.params(), doseq=True)}"
        if search.params()
        else "/search"
        for search in _plan()
    ]


def measure_queries(passes: int = 2) -> list[float]:
    """The search service: the engine's query, then the result page's projects loaded from
    the database."""
    timings = []
    for _ in range(passes):
        for search in _plan():
            started = time.perf_counter()
            discovery.search_projects(search)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure_engine_queries(passes: int = 2) -> list[float]:
    """The query alone, as the service makes it: matching, ranking, facets, highlights,
    spelling suggestion and fallbacks, with the skill thesaurus."""
    index = indexer.get_index(indexer.PROJECTS)
    words = discovery.thesaurus()
    timings = []
    for _ in range(passes):
        for search in _plan():
            started = time.perf_counter()
            index.search(
                search.query,
                search.filters,
                deadline_within_days=search.within,
                sort=search.sort,
                thesaurus=words if search.query else None,
            )
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def measure_change_latency(samples: int = 20) -> list[float]:
    """Edit a project and commit, then time until a search for the new word finds it."""
    ids = list(db.session.scalars(sa.select(Project.id).order_by(Project.id).limit(samples)))
    timings = []
    for number, project_id in enumerate(ids):
        word = f"zqbench{chr(97 + number % 26)}{number}"
        project = db.session.get(Project, project_id)
        started = time.perf_counter()
        project.title = f"{project.title[:150]} {word}"
        db.session.commit()
        indexer.apply_after_commit()
        while True:
            page = discovery.search_projects(discovery.ProjectSearch(query=word))
            if any(p.id == project_id for p, _, _ in page.items):
                break
            if time.perf_counter() - started > 30:
                raise RuntimeError(f"project {project_id} never became searchable")
            time.sleep(0.005)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def start_gunicorn(base: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DIASPORA_ENV="development",
        DIASPORA_INSTANCE_PATH=str(base),
        DATABASE_URL=f"sqlite:///{base / 'bench.sqlite'}",
        SEARCH_INDEX_DIR=str(base / "search"),
        MAIL_FILE_DIR=str(base / "mail"),
        RATELIMIT_ENABLED="0",
        LOG_LEVEL="WARNING",
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn) if gunicorn.exists() else "gunicorn",
        "--no-control-socket",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def _python_load(
    base: str, paths: list[str], seconds: float, connections: int, headers: dict | None = None
) -> tuple[float, float, float]:
    """A bounded threaded client: returns requests/s, p50 and p95 latency (ms). A 304 (Not
    Modified) answer to a conditional request counts as an answer."""
    timings: list[float] = []
    lock = threading.Lock()
    errors = []
    stop_at = time.monotonic() + seconds

    def run(number: int) -> None:
        local = []
        i = number
        while time.monotonic() < stop_at:
            target = urllib.request.Request(base + paths[i % len(paths)], headers=headers or {})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(target, timeout=10) as response:
                    response.read()
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code != 304:
                    errors.append(exc)
                    continue
            except OSError as exc:
                errors.append(exc)
                continue
            local.append((time.perf_counter() - started) * 1000)
            i += 1
        with lock:
            timings.extend(local)

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if not timings:
        raise RuntimeError(f"no successful request: {errors[:1]}")
    return len(timings) / elapsed, _percentile(timings, 0.5), _percentile(timings, 0.95)


WRK_SCRIPT = """
paths = {%s}
counter = 0
request = function()
  counter = counter %% #paths + 1
  return wrk.format("GET", paths[counter])
end
done = function(summary, latency, requests)
  io.write(string.format("p50_us %%d\\n", latency:percentile(50)))
  io.write(string.format("p95_us %%d\\n", latency:percentile(95)))
  io.write(string.format("rps %%.1f\\n", summary.requests / (summary.duration / 1e6)))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrk_load(
    base: str, paths: list[str], seconds: float, connections: int, headers: dict | None = None
) -> tuple[float, float, float]:
    """wrk, each connection going through ``paths`` in turn."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(_lua_string(path) for path in paths))
    header_options = [
        option for name, value in (headers or {}).items() for option in ("-H", f"{name}: {value}")
    ]
    try:
        output = subprocess.run(
            [
                "wrk",
                f"-t{min(connections, 2)}",
                f"-c{connections}",
                f"-d{int(seconds)}s",
                *header_options,
                "-s",
                script.name,
                base + paths[0],
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    values = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("p50_us", "p95_us", "rps"):
            values[parts[0]] = float(parts[1])
    return values["rps"], values["p50_us"] / 1000, values["p95_us"] / 1000


def load(
    base: str, paths: list[str], seconds: float, connections: int, headers: dict | None = None
):
    """Requests/s, p50 and p95 (ms) of ``connections`` clients requesting ``paths`` in turn,
    each request with ``headers``."""
    if shutil.which("wrk"):
        return _wrk_load(base, paths, seconds, connections, headers)
    return _python_load(base, paths, seconds, connections, headers)


def run(n: int, seed: int, seconds: float) -> dict:
    base = Path(tempfile.mkdtemp(prefix="diaspora-bench-"))
    results: dict = {"docs": n}
    try:
        app = create_app(_config(base))
        with app.app_context():
            from flask_migrate import upgrade

            upgrade(directory=str(ROOT / "migrations"))
            started = time.perf_counter()
            insert_projects(n, seed)
            print(f"inserted {n} projects in {time.perf_counter() - started:.1f} s", flush=True)
            started = time.perf_counter()
            count = indexer.rebuild(indexer.PROJECTS)
            indexer.rebuild(indexer.EXPERTS)
            elapsed = time.perf_counter() - started
            results["rebuild_docs_per_s"] = round(count / elapsed)
            measure_queries(passes=1)
            queries = measure_engine_queries(passes=2)
            results["query_p50_ms"] = round(statistics.median(queries), 2)
            results["query_p95_ms"] = round(_percentile(queries, 0.95), 2)
            service = measure_queries(passes=2)
            results["service_p50_ms"] = round(statistics.median(service), 2)
            results["service_p95_ms"] = round(_percentile(service, 0.95), 2)
            changes = measure_change_latency()
            results["change_searchable_p95_ms"] = round(_percentile(changes, 0.95), 2)
            indexer.close_indexes(app)
            db.session.remove()
            db.engine.dispose()
        port = _free_port()
        server = start_gunicorn(base, port)
        try:
            site = f"http://127.0.0.1:{port}"
            paths = page_paths()
            load(site, paths, 2, 2)
            # Latency as one person searching sees it (one request at a time), on the same
            # searches as the engine's query above; then two clients, one per core.
            _, p50, p95 = load(site, paths, seconds, 1)
            results.update(page_p50_ms=round(p50, 2), page_p95_ms=round(p95, 2))
            results["page_over_query_p50_ms"] = round(p50 - results["query_p50_ms"], 2)
            rps, p50, _ = load(site, paths, seconds, 2)
            results["page_rps"] = round(rps, 1)
            results["page_p50_ms_2c"] = round(p50, 2)
            rps16, _, p95_16 = load(site, paths, seconds, 16)
            results["page_rps_16c"] = round(rps16, 1)
            results["page_p95_ms_16c"] = round(p95_16, 2)
            bare, _, _ = load(site, ["/healthz"], seconds, 16)
            results["bare_page_rps"] = round(bare, 1)
            results["load_client"] = "wrk" if shutil.which("wrk") else "python-threads"
        finally:
            stop(server)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--seconds", type=float, default=10.0, help="per load phase")
    args = parser.parse_args(argv)
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, cpus {os.cpu_count()}", flush=True)
    for name, value in run(args.docs, args.seed, args.seconds).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
