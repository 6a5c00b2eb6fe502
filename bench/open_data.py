"""Benchmark the open interfaces: the JSON API and the feeds under load, and following another
network's feed.

Creates a temporary instance as ``bench/search.py`` does (SQLite file and index directory in a
temporary directory) with N published projects, then:

- follows another network whose JSON Feed of 1,000 projects (10 pages of 100 linked by
  ``next_url``, in the format of the site's own ``/feeds/projects.json``) is served by an
  ``http.server`` thread on 127.0.0.1 (allowed through ``FEDERATION_ALLOWED_NETWORKS``), and
  times ``services.federation.refresh`` in one committed transaction, as
  ``flask networks refresh`` runs it: the first import; a second read of the same content
  (a feed of several pages is read whole: its first page's ETag says nothing of the
  others); a read where 100 items changed. After the import and after the change it times,
  from the commit, how long until the partner search finds every new or changed project
  (the change log applied after commit, as the app does). A last read changes 100 items
  beyond the first page only, and says how many the refresh saw;
- serves the app with gunicorn (2 sync workers on 127.0.0.1, rate limits off) and loads it with
  8 connections: ``GET /api/v1/projects?q=<word>``, ``/api/v1/projects/<id>``,
  ``/api/v1/openapi.json``, the first page of ``/feeds/projects.json`` and
  ``/feeds/projects.atom``, then the same feeds with ``If-None-Match`` (the 304 path).

The load client is ``wrk`` when installed, a bounded threaded Python client otherwise (it runs
on the same cores as the server, so figures are lower than an outside client would see). The
last lines are ``name: value`` pairs.

    python bench/open_data.py --projects 5000
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search import (  # noqa: E402
    ENGAGEMENT,
    _config,
    _free_port,
    insert_projects,
    load,
    start_gunicorn,
    stop,
)
from bench.search_engine import QUERY_MIX, generate_projects  # noqa: E402
from diaspora import create_app  # noqa: E402
from diaspora.extensions import db  # noqa: E402
from diaspora.models import Project  # noqa: E402
from diaspora.services import discovery, federation, retry  # noqa: E402
from diaspora.services import projects as project_service  # noqa: E402
from diaspora.services.feeds import rfc3339  # noqa: E402
from diaspora.services.indexing import indexer  # noqa: E402

FEED_PATH = "/feeds/projects.json"
PER_PAGE = 100
#: What the other network calls itself: its projects' documents carry the name, so a search
#: for it finds every one of them.
PARTNER_NAME = "Partnerland Diaspora"
PARTNER_WORD = "Partnerland"
# Single words of the search benchmark's queries (misspellings included: "did you mean").
SEARCH_WORDS = [text for text in QUERY_MIX if text.isalpha()]
SEARCHABLE_TIMEOUT = 60.0


# --------------------------------------------------------------------------- the partner feed


def feed_item(doc: dict, base: str) -> dict:
    """One generated project as an item of a Diaspora network's JSON Feed."""
    url = f"{base}/projects/{doc['id']}"
    published = rfc3339(doc["published_at"])
    return {
        "id": url,
        "url": url,
        "title": doc["title"][:180],
        "summary": doc["summary"][:500],
        "content_text": doc["description"],
        "date_published": published,
        "date_modified": published,
        "authors": [{"name": doc["institution"]}],
        "tags": list(doc["skills"]),
        "language": "en",
        "_diaspora": {
            "country": doc["country"],
            "region": doc["region"],
            "sector": doc["sector"],
            "engagement_mode": ENGAGEMENT.get(doc["engagement_mode"], doc["engagement_mode"]),
            "work_mode": doc["work_mode"],
            "compensation": doc["compensation"],
            "skills": list(doc["skills"]),
            "languages": list(doc["languages"]),
            "deadline": doc["deadline"].isoformat() if doc["deadline"] else None,
            "places_left": 3,
            "institution": doc["institution"],
        },
    }


class PartnerFeed:
    """Another network's JSON Feed, served by a thread on 127.0.0.1.

    Each page's ETag is made from its body, as Diaspora's own feed makes it; with
    ``conditional`` off, every request is answered in full."""

    def __init__(self, items: int, seed: int, today: date):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.feed_url = self.base + FEED_PATH
        docs = generate_projects(items, seed=seed, today=today)
        self.items = sorted(
            (feed_item(doc, self.base) for doc in docs),
            key=lambda item: item["date_published"],
            reverse=True,
        )
        self.conditional = True
        self.not_modified = 0
        self.pages: list[tuple[bytes, str]] = []
        self.publish()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def page_url(self, number: int) -> str:
        return self.feed_url if number == 1 else f"{self.feed_url}?page={number}"

    def publish(self) -> None:
        """Build every page's body and ETag from the items as they are now."""
        count = max(1, -(-len(self.items) // PER_PAGE))
        pages = []
        for number in range(1, count + 1):
            document = {
                "version": "https://jsonfeed.org/version/1.1",
                "title": f"{PARTNER_NAME}: projects",
                "home_page_url": f"{self.base}/search",
                "feed_url": self.page_url(number),
                "description": "Projects open to applications, newest first.",
                "language": "en",
            }
            if number < count:
                document["next_url"] = self.page_url(number + 1)
            document["_diaspora"] = {
                "version": 1,
                "network": PARTNER_NAME,
                "home_page_url": f"{self.base}/",
            }
            start = (number - 1) * PER_PAGE
            document["items"] = self.items[start : start + PER_PAGE]
            body = json.dumps(document, ensure_ascii=False, indent=1).encode()
            pages.append((body, f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'))
        self.pages = pages

    def revise(self, positions, word: str) -> None:
        """Change the title and modification date of the items at ``positions``."""
        moment = rfc3339(datetime.now(UTC))
        for position in positions:
            item = self.items[position]
            item["title"] = f"{item['title']} {word}"
            item["date_modified"] = moment
        self.publish()

    def _handler(self):
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                parts = urllib.parse.urlsplit(self.path)
                page = urllib.parse.parse_qs(parts.query).get("page", ["1"])[0]
                number = int(page) if page.isdigit() else 0
                if parts.path != FEED_PATH or not 1 <= number <= len(feed.pages):
                    self.send_error(404)
                    return
                body, etag = feed.pages[number - 1]
                if feed.conditional and self.headers.get("If-None-Match") == etag:
                    feed.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/feed+json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- federation


def _refresh(network_id: int) -> tuple[federation.Refreshed, float]:
    """One refresh of the network as ``flask networks refresh`` runs it (read, store,
    commit); seconds it took."""
    started = time.perf_counter()
    result = retry.transaction(lambda: federation.refresh(federation.get(network_id)))
    elapsed = time.perf_counter() - started
    if result.problem:
        raise RuntimeError(f"the refresh failed: {result.problem}")
    return result, elapsed


def _searchable(word: str, expected: int) -> float:
    """Right after a commit: apply the change log as the app does after commit, then seconds
    until the partner search for ``word`` finds ``expected`` projects (as typed, not a
    corrected spelling)."""
    started = time.perf_counter()
    indexer.apply_after_commit()
    search = discovery.ProjectSearch(query=word)
    while True:
        results = discovery.search_partner_projects(search, per_page=1).results
        if results.total >= expected and not results.shown_for and not results.some_words:
            return time.perf_counter() - started
        if time.perf_counter() - started > SEARCHABLE_TIMEOUT:
            raise RuntimeError(f"{expected} projects never became searchable for {word!r}")
        time.sleep(0.005)


def _expect(result: federation.Refreshed, what: str, **counts) -> None:
    found = {name: getattr(result, name) for name in counts}
    if found != counts:
        raise RuntimeError(f"{what}: expected {counts}, the refresh did {found}")


def measure_federation(items: int, seed: int) -> dict:
    """Follow a network serving ``items`` projects and time its refreshes (see the module's
    docstring)."""
    results: dict = {"federation_items": items}
    with PartnerFeed(items, seed, date.today()) as partner:
        network = federation.follow(federation.OPERATOR, partner.feed_url)
        db.session.commit()
        network_id = network.id

        first, elapsed = _refresh(network_id)
        _expect(first, "first import", added=items, updated=0, removed=0)
        results["federation_first_import_s"] = round(elapsed, 2)
        results["federation_first_import_searchable_s"] = round(_searchable(PARTNER_WORD, items), 2)

        # A feed of several pages is read whole each time (its first page's ETag says
        # nothing of the others): a second read of the same content changes nothing.
        same, elapsed = _refresh(network_id)
        _expect(same, "same content", unchanged=False, added=0, updated=0, removed=0)
        if partner.not_modified:
            raise RuntimeError("a feed of several pages was read conditionally")
        results["federation_unchanged_full_read_s"] = round(elapsed, 2)

        # 100 items spread over every page (the first page changes too).
        step = max(1, items // 100)
        partner.revise(range(0, items, step), "zqrevised")
        changed, elapsed = _refresh(network_id)
        _expect(changed, "100 changed", added=0, updated=len(range(0, items, step)), removed=0)
        results["federation_100_changed_s"] = round(elapsed, 2)
        results["federation_100_changed_searchable_s"] = round(
            _searchable("zqrevised", len(range(0, items, step))), 2
        )

        # 100 items beyond the first page only: the first page, and so its ETag, stay the same.
        later = list(range(PER_PAGE, items, 9))[:100]
        partner.revise(later, "zqlater")
        beyond, elapsed = _refresh(network_id)
        _expect(beyond, "100 changed beyond the first page", updated=len(later))
        results["federation_changed_beyond_page_1"] = len(later)
        results["federation_changed_beyond_page_1_seen"] = beyond.updated
        results["federation_changed_beyond_page_1_s"] = round(elapsed, 3)
    return results


# --------------------------------------------------------------------------- under load


def _status(site: str, path: str, headers: dict | None = None) -> tuple[int, dict]:
    """Status and headers of one GET (a 304 or an error is an answer too)."""
    request = urllib.request.Request(site + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, dict(exc.headers)


def _check(site: str, paths: list[str], status: int, headers: dict | None = None) -> dict:
    """Every path answers ``status``; the answer's headers (of the last one)."""
    answer: dict = {}
    for path in paths:
        code, answer = _status(site, path, headers)
        if code != status:
            raise RuntimeError(f"GET {path} answered {code}, not {status}")
    return answer


def load_phases(project_ids: list[int]) -> list[tuple[str, list[str], int, dict | None]]:
    """(name, paths, expected status, headers) of each load phase; the feeds' conditional
    phases get their ETag when run."""
    words = [f"/api/v1/projects?{urllib.parse.urlencode({'q': word})}" for word in SEARCH_WORDS]
    return [
        ("api_search", words, 200, None),
        ("api_project", [f"/api/v1/projects/{pid}" for pid in project_ids], 200, None),
        ("api_openapi", ["/api/v1/openapi.json"], 200, None),
        ("feed_json", ["/feeds/projects.json"], 200, None),
        ("feed_atom", ["/feeds/projects.atom"], 200, None),
        ("feed_json_304", ["/feeds/projects.json"], 304, {}),
        ("feed_atom_304", ["/feeds/projects.atom"], 304, {}),
    ]


def measure_load(base: Path, project_ids: list[int], seconds: float, connections: int) -> dict:
    results: dict = {"connections": connections, "seconds_per_phase": seconds}
    port = _free_port()
    server = start_gunicorn(base, port)
    try:
        site = f"http://127.0.0.1:{port}"
        phases = load_phases(project_ids)
        for _name, paths, _status_code, headers in phases:
            if headers is None:  # every worker answers each kind of request once first
                load(site, paths, 1, 2)
        for name, paths, status, headers in phases:
            if headers is not None:
                etag = _check(site, paths, 200)["ETag"]
                headers = {"If-None-Match": etag}
            _check(site, paths[:5], status, headers)
            rps, p50, p95 = load(site, paths, seconds, connections, headers)
            _check(site, paths[:1], status, headers)  # still answered so (no rate limit)
            results[f"{name}_rps"] = round(rps, 1)
            results[f"{name}_p50_ms"] = round(p50, 2)
            results[f"{name}_p95_ms"] = round(p95, 2)
        results["load_client"] = "wrk" if shutil.which("wrk") else "python-threads"
    finally:
        stop(server)
    return results


# --------------------------------------------------------------------------- the run


def run(n: int, seed: int, seconds: float, connections: int, items: int) -> dict:
    base = Path(tempfile.mkdtemp(prefix="diaspora-bench-"))
    results: dict = {"projects": n}
    config = {
        **_config(base),
        "FEDERATION_ALLOWED_NETWORKS": ["127.0.0.0/8"],
        # Not this site's address: only the partner feed is on loopback here.
        "SITE_URL": "https://diaspora.bench.invalid",
    }
    try:
        app = create_app(config)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade(directory=str(ROOT / "migrations"))
            started = time.perf_counter()
            insert_projects(n, seed)
            for name in (indexer.PROJECTS, indexer.EXPERTS, indexer.SHARED):
                indexer.rebuild(name)
            print(
                f"inserted and indexed {n} projects in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            today = project_service.today()
            project_ids = list(
                db.session.scalars(
                    sa.select(Project.id)
                    .where(Project.is_open(today))
                    .order_by(Project.id)
                    .limit(200)
                )
            )
            started = time.perf_counter()
            results.update(measure_federation(items, seed + 1))
            print(f"federation measured in {time.perf_counter() - started:.1f} s", flush=True)
            indexer.close_indexes(app)
            db.session.remove()
            db.engine.dispose()
        results.update(measure_load(base, project_ids, seconds, connections))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--seconds", type=float, default=5.0, help="per load phase")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--feed-items", type=int, default=1_000)
    args = parser.parse_args(argv)
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, cpus {os.cpu_count()}", flush=True)
    started = time.perf_counter()
    results = run(args.projects, args.seed, args.seconds, args.connections, args.feed_items)
    results["total_run_s"] = round(time.perf_counter() - started, 1)
    for name, value in results.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
