"""Following other networks' feeds: the guarded fetch, the defensive feed reader, the
service that keeps RemoteProject rows in line, the command and the coordinators' page.

Hostile feed servers run on 127.0.0.1; the tests that read them allow 127.0.0.0/8 as an
operator would (FEDERATION_ALLOWED_NETWORKS); the SSRF tests keep the default, empty list.
"""

import json
import re
import socket
import threading
import time
from contextlib import suppress
from datetime import timedelta
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.federation import feed as feeds
from diaspora.federation import fetch
from diaspora.federation.fetch import FetchError
from diaspora.models import AuditEntry, FollowedNetwork, RemoteProject, Role, SearchChange
from diaspora.models.base import utcnow
from diaspora.services import federation
from diaspora.services.errors import Conflict, Invalid, NotAllowed
from tests.factories import new_user, sign_in

LOOPBACK = ["127.0.0.0/8"]


def item(number: int, host: str, **extra) -> dict:
    """A feed item as a Diaspora network publishes it."""
    url = f"http://{host}/projects/{number}"
    values = {
        "country": "SN",
        "region": "Dakar",
        "sector": "health",
        "engagement_mode": "teaching",
        "work_mode": "remote",
        "compensation": "volunteer",
        "skills": ["Nursing", "Pediatrics"],
        "languages": ["fr", "en"],
        "deadline": None,
        "places_left": 2,
        "institution": "Hôpital Principal",
    }
    values.update(extra.pop("_diaspora", {}))
    entry = {
        "id": url,
        "url": url,
        "title": f"Project {number}",
        "summary": "A summary.",
        "content_text": "A description.\nOn two lines.",
        "date_published": "2026-01-02T10:00:00Z",
        "date_modified": "2026-01-03T10:00:00Z",
        "authors": [{"name": "Hôpital Principal"}],
        "tags": ["Nursing"],
        "language": "fr",
        "_diaspora": values,
    }
    entry.update(extra)
    return entry


def document(items, host, next_url=None, title="Dakar network: projects") -> dict:
    page = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": f"http://{host}/search",
        "feed_url": f"http://{host}/feeds/projects.json",
        "_diaspora": {"version": 1, "network": "Dakar", "home_page_url": f"http://{host}/"},
        "items": items,
    }
    if next_url:
        page["next_url"] = next_url
    return page


class FeedServer:
    """A feed server on 127.0.0.1 whose answers the test sets: ``routes`` maps a path (with
    its query) to a function of the handler that writes the whole response."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests.append((self.path, dict(self.headers)))
                answer = server.routes.get(self.path)
                if answer is None:
                    self.send_error(404)
                    return
                with suppress(BrokenPipeError, ConnectionResetError):
                    answer(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/feeds/projects.json") -> str:
        return f"http://{self.host}{path}"

    def json(self, path, payload, etag='"v1"', content_type="application/feed+json"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()

        def answer(handler):
            if etag and handler.headers.get("If-None-Match") == etag:
                handler.send_response(304)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            handler.send_response(200)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            if etag:
                handler.send_header("ETag", etag)
            handler.end_headers()
            handler.wfile.write(body)

        self.routes[path] = answer

    def feed(self, items, path="/feeds/projects.json", **kwargs):
        self.json(path, document(items, self.host, **kwargs), etag=None)

    def status(self, path, code, location=None):
        def answer(handler):
            handler.send_response(code)
            if location:
                handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        self.routes[path] = answer

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    feed_server = FeedServer()
    yield feed_server
    feed_server.stop()


@pytest.fixture
def loopback(app):
    app.config.update(FEDERATION_ALLOWED_NETWORKS=LOOPBACK, FEDERATION_TIMEOUT=3)
    return app


@pytest.fixture
def coordinator(app):
    return new_user(Role.COORDINATOR)


def followed(url) -> FollowedNetwork:
    network = FollowedNetwork(feed_url=url)
    db.session.add(network)
    db.session.commit()
    return network


def rows(network) -> dict[str, RemoteProject]:
    return {
        remote.remote_id: remote
        for remote in db.session.scalars(
            sa.select(RemoteProject).where(RemoteProject.network_id == network.id)
        )
    }


def refreshed(network) -> federation.Refreshed:
    result = federation.refresh(db.session.get(FollowedNetwork, network.id))
    db.session.commit()
    return result


# -- the guarded fetch: SSRF refusals with the default (empty) allow list --


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1/", "private"),
        ("http://localhost/", "private"),
        ("http://[::1]/", "private"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.10/", "private"),
        ("http://100.64.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "private"),
        ("http://0.0.0.0/", "private"),
        ("http://[::]/", "private"),
        ("http://224.0.0.1/", "private"),
        ("http://2130706433/", "private"),
        ("http://0x7f.1/", "private"),
        ("http://[::ffff:127.0.0.1]/", "private"),
        ("http://[::ffff:169.254.169.254]/", "private"),
        ("http://[64:ff9b::a00:1]/", "private"),
        ("http://[2002:7f00:1::]/", "private"),
        ("file:///etc/passwd", "scheme"),
        ("ftp://example.org/feed.json", "scheme"),
        ("gopher://example.org/", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("http://user@example.org/", "userinfo"),
        ("http://user:secret@example.org/", "userinfo"),
        ("http:///feed.json", "address"),
        ("http://exa mple.org/", "address"),
        ("http://example.org:99999/", "address"),
        ("", "address"),
    ],
)
def test_fetch_refuses_addresses_it_must_not_reach(app, url, code):
    with pytest.raises(FetchError) as refused:
        fetch.get(url)
    assert refused.value.code == code
    assert refused.value.message  # words people can read


def test_a_name_that_resolves_to_a_private_address_is_refused(app, monkeypatch):
    asked = []

    def resolver(host, port, *args, **kwargs):
        asked.append(host)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(FetchError) as refused:
        fetch.get("https://feeds.example.org/feeds/projects.json")
    assert refused.value.code == "private"
    assert asked == ["feeds.example.org"]


def test_a_name_lookup_that_stalls_is_given_up_in_bounded_time(app, monkeypatch):
    """The resolver has no timeout of its own: a stalled DNS server costs at most the
    lookup limit, then the read fails as a name that could not be found."""
    release = threading.Event()

    def stalled(host, port, *args, **kwargs):
        release.wait(10)
        raise OSError("no answer")

    monkeypatch.setattr(socket, "getaddrinfo", stalled)
    monkeypatch.setattr(fetch, "RESOLVE_TIMEOUT", 0.2)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError) as refused:
            fetch.get("https://feeds.example.org/feeds/projects.json")
    finally:
        release.set()
    assert refused.value.code == "resolve"
    assert time.monotonic() - started < 8  # the stalled lookup would take 10 s


def test_the_connection_goes_to_the_address_checked_not_a_second_lookup(app, server, monkeypatch):
    """DNS rebinding: the name resolves once; the request goes to that address with the
    name in the Host header."""
    app.config["FEDERATION_ALLOWED_NETWORKS"] = LOOPBACK
    server.feed([item(1, "feeds.example.org")], path="/feed.json")
    answers = iter(["127.0.0.1", "10.9.9.9"])
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host == "feeds.example.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    port = server.host.split(":")[1]
    response = fetch.get(f"http://feeds.example.org:{port}/feed.json")
    assert response.status == 200
    path, headers = server.requests[-1]
    assert headers["Host"] == f"feeds.example.org:{port}"
    assert headers["Accept-Encoding"] == "identity"
    assert "Diaspora" in headers["User-Agent"]


def test_allowed_networks_come_from_the_environment(app, monkeypatch):
    from diaspora.config import _list

    monkeypatch.setenv("FEDERATION_ALLOWED_NETWORKS", "10.1.0.0/16, 192.168.5.0/24,")
    assert _list("FEDERATION_ALLOWED_NETWORKS") == ["10.1.0.0/16", "192.168.5.0/24"]
    monkeypatch.delenv("FEDERATION_ALLOWED_NETWORKS")
    assert _list("FEDERATION_ALLOWED_NETWORKS") == []
    app.config["FEDERATION_ALLOWED_NETWORKS"] = "10.1.0.0/16"  # as a string, the same
    assert fetch.address_allowed("10.1.2.3") and not fetch.address_allowed("10.2.0.1")


# -- hostile servers --


def test_a_slow_server_is_given_up_at_the_deadline(loopback, server):
    app = loopback
    app.config["FEDERATION_TIMEOUT"] = 1

    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/feed+json")
        handler.end_headers()
        for _ in range(40):  # a byte now and then: each read is quick, the whole is not
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)

    server.routes["/slow"] = trickle
    server.routes["/silent"] = lambda handler: time.sleep(3)
    for path in ("/slow", "/silent"):
        started = time.monotonic()
        with pytest.raises(FetchError) as refused:
            fetch.get(server.url(path))
        assert refused.value.code == "timeout"
        assert time.monotonic() - started < 2


@pytest.mark.parametrize("announced", [True, False])
def test_a_huge_answer_is_refused_while_it_streams(loopback, server, announced):
    loopback.config["FEDERATION_MAX_BYTES"] = 100_000
    sent = []

    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/feed+json")
        if announced:
            handler.send_header("Content-Length", str(50_000_000))
        handler.end_headers()
        for _ in range(500):
            handler.wfile.write(b"x" * 100_000)
            sent.append(1)

    server.routes["/huge"] = huge
    with pytest.raises(FetchError) as refused:
        fetch.get(server.url("/huge"))
    assert refused.value.code == "too_large"
    assert len(sent) < 50  # it stopped reading long before the end


def test_redirects_are_followed_a_few_times_and_each_checked(loopback, server):
    server.feed([item(1, server.host)], path="/feed.json")
    server.status("/a", 301, "/b")
    server.status("/b", 302, server.url("/feed.json"))
    assert fetch.get(server.url("/a")).status == 200
    server.status("/loop", 302, "/loop")
    with pytest.raises(FetchError) as loop:
        fetch.get(server.url("/loop"))
    assert loop.value.code == "redirects"
    server.status("/inside", 302, "http://169.254.169.254/latest/meta-data/")
    with pytest.raises(FetchError) as inside:
        fetch.get(server.url("/inside"))
    assert inside.value.code == "private"
    server.status("/file", 302, "file:///etc/passwd")
    with pytest.raises(FetchError) as other_scheme:
        fetch.get(server.url("/file"))
    assert other_scheme.value.code == "scheme"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (b"{not json", "not_json"),
        (b"\xff\xfe\x00", "not_json"),
        (b"[1, 2, 3]", "not_feed"),
        (json.dumps({"version": "https://jsonfeed.org/version/1.1"}).encode(), "not_feed"),
        (json.dumps({"version": "2", "items": []}).encode(), "not_feed"),
        (b"<html><body>Hello</body></html>", "not_json"),
        (b"[" * 100_000 + b"]" * 100_000, "not_json"),
    ],
)
def test_content_that_is_not_a_feed_fails_the_read(loopback, server, answer, code):
    server.json("/feeds/projects.json", answer, etag=None)
    with pytest.raises(FetchError) as refused:
        feeds.read(server.url())
    assert refused.value.code == code


@pytest.mark.parametrize("status", [404, 500, 503])
def test_error_statuses_fail_the_read(loopback, server, status):
    server.status("/feeds/projects.json", status)
    with pytest.raises(FetchError) as refused:
        feeds.read(server.url())
    assert (refused.value.code, refused.value.detail) == ("status", str(status))
    assert str(status) in refused.value.message


def test_items_are_limited_over_all_pages(loopback, server):
    loopback.config["FEDERATION_MAX_ITEMS"] = 5
    server.feed([item(n, server.host) for n in range(3)], next_url=server.url("/p2"))
    server.feed([item(n, server.host) for n in range(3, 9)], path="/p2")
    read = feeds.read(server.url())
    assert len(read.items) == 5
    assert read.notice == "too_many_items:5"


def test_pages_are_limited(loopback, server):
    for page in range(30):
        path = "/feeds/projects.json" if page == 0 else f"/p{page}"
        server.feed([item(page, server.host)], path=path, next_url=server.url(f"/p{page + 1}"))
    read = feeds.read(server.url())
    assert len(read.items) == feeds.MAX_PAGES
    assert read.notice == f"too_many_pages:{feeds.MAX_PAGES}"
    assert len(server.requests) == feeds.MAX_PAGES


def test_a_next_page_on_another_server_fails_the_read(loopback, server):
    server.feed([item(1, server.host)], next_url="http://other.example/feed?page=2")
    with pytest.raises(FetchError) as refused:
        feeds.read(server.url())
    assert refused.value.code == "next_page"


def test_texts_are_stored_as_plain_text(loopback, server):
    hostile = item(
        1,
        server.host,
        title='<script>alert(1)</script>Nurse"><img src=x onerror=alert(2)>\x00 trainer',
        summary="<b>Bold</b> summary\u0007 with NUL\x00",
        content_text="<p>First</p>\n<a href='javascript:alert(3)' onclick=x>link</a>\x00",
        authors=[{"name": "<i>Clinic</i>"}],
        _diaspora={"region": "Da\x00kar<br>", "institution": "<b>Hôpital</b>\x00"},
    )
    server.feed([hostile])
    [stored] = feeds.read(server.url()).items
    for name in ("title", "summary", "description", "institution_name", "region"):
        value = stored[name]
        assert "<" not in value and "\x00" not in value and "\x07" not in value, (name, value)
    assert stored["title"] == 'alert(1)Nurse"> trainer'
    assert stored["description"] == "First\nlink"
    assert stored["institution_name"] == "Hôpital"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://evil.example/projects/1",
        "ftp://{host}/projects/1",
        "http://user@{host}/projects/1",
        "",
        None,
    ],
)
def test_items_linking_elsewhere_are_skipped(loopback, server, url):
    bad = item(1, server.host)
    bad["url"] = url.format(host=server.host.split(":")[0]) if url else url
    server.feed([bad, item(2, server.host)])
    read = feeds.read(server.url())
    assert [entry["title"] for entry in read.items] == ["Project 2"]
    assert read.skipped == 1


def test_unknown_values_are_left_empty_and_bad_items_skipped(loopback, server):
    odd = item(
        1,
        server.host,
        language="xx",
        date_published="yesterday",
        _diaspora={
            "country": "ZZ",
            "sector": "smuggling",
            "engagement_mode": "<b>",
            "work_mode": 3,
            "compensation": ["paid"],
            "skills": [f"Skill {n}" for n in range(50)] + [None, 7],
            "languages": ["fr", "xx", "FR", "klingon", None] + ["en"] * 30,
            "deadline": "31/12/2030",
        },
    )
    past = item(2, server.host, _diaspora={"deadline": "2001-01-01"})
    no_id = item(3, server.host)
    del no_id["id"]
    no_title = item(4, server.host, title="<b></b>")
    long_id = item(5, server.host, id="x" * 400)
    server.feed([odd, past, no_id, no_title, long_id, "not an item", item(6, server.host)])
    read = feeds.read(server.url())
    assert [entry["title"] for entry in read.items] == ["Project 1", "Project 6"]
    stored = read.items[0]
    assert stored["country"] == stored["sector"] == stored["engagement_mode"] == ""
    assert stored["work_mode"] == stored["compensation"] == ""
    assert len(stored["skills"]) == feeds.MAX_SKILLS
    assert stored["languages"] == ["fr", "en"]
    assert stored["written_in"] == "en"
    assert stored["published_at"] is None and stored["deadline"] is None
    assert read.skipped == 5


# -- the service --


def test_follow_is_for_coordinators_checks_the_address_and_audits(loopback, coordinator):
    member = new_user(Role.MEMBER)
    with pytest.raises(NotAllowed):
        federation.follow(member, "http://127.0.0.1:8000/feeds/projects.json")
    loopback.config["FEDERATION_ALLOWED_NETWORKS"] = []
    with pytest.raises(Invalid):
        federation.follow(coordinator, "http://127.0.0.1:8000/feeds/projects.json")
    loopback.config["FEDERATION_ALLOWED_NETWORKS"] = LOOPBACK
    network = federation.follow(coordinator, "HTTP://127.0.0.1:8000/feeds/projects.json#x")
    db.session.commit()
    assert network.feed_url == "http://127.0.0.1:8000/feeds/projects.json"
    with pytest.raises(Conflict):
        federation.follow(coordinator, "http://127.0.0.1:8000/feeds/projects.json")
    db.session.rollback()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "network.follow"))
    assert (entry.actor_id, entry.target_id) == (coordinator.id, network.id)
    assert entry.action_label == "Network followed"


def test_refresh_stores_updates_and_removes_and_is_idempotent(loopback, server):
    server.json(
        "/feeds/projects.json",
        document([item(1, server.host), item(2, server.host)], server.host),
        etag=None,
    )
    network = followed(server.url())
    first = refreshed(network)
    assert (first.added, first.updated, first.removed, first.problem) == (2, 0, 0, "")
    stored = rows(network)
    assert stored[server.url("/projects/1")].country == "SN"
    assert network.name == "Dakar"  # the network's own name, not its feed's title
    assert network.home_url == f"http://{server.host}/"
    assert network.item_count == 2 and network.failures == 0 and network.fetched_at

    changes = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
    assert changes == 2  # one search document per project added
    before = {key: (r.title, r.fetched_at, r.skills) for key, r in stored.items()}
    second = refreshed(network)
    assert (second.added, second.updated, second.removed) == (0, 0, 0)
    db.session.expire_all()
    assert {key: (r.title, r.fetched_at, r.skills) for key, r in rows(network).items()} == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange)) == changes

    server.feed([item(1, server.host, title="Project 1, updated")])
    third = refreshed(network)
    assert (third.added, third.updated, third.removed) == (0, 1, 1)
    assert [r.title for r in rows(network).values()] == ["Project 1, updated"]


def test_an_unchanged_etag_changes_nothing(loopback, server):
    server.json("/feeds/projects.json", document([item(1, server.host)], server.host))
    network = followed(server.url())
    refreshed(network)
    assert network.etag == '"v1"'
    result = refreshed(network)
    assert result.unchanged and len(rows(network)) == 1
    assert server.requests[-1][1]["If-None-Match"] == '"v1"'


def test_a_change_on_a_later_page_is_seen_though_the_first_page_is_unchanged(loopback, server):
    """An unchanged first page says nothing of the next ones: a feed of several pages is
    read whole each time."""
    first = document([item(1, server.host)], server.host, next_url=server.url("/p2"))
    server.json("/feeds/projects.json", first)
    server.json("/p2", document([item(2, server.host)], server.host), etag='"p2"')
    network = followed(server.url())
    refreshed(network)
    assert network.etag == ""
    server.json("/p2", document([item(2, server.host, title="Changed")], server.host))
    result = refreshed(network)
    assert result.updated == 1
    assert "If-None-Match" not in server.requests[-2][1]
    assert sorted(r.title for r in rows(network).values()) == ["Changed", "Project 1"]


@pytest.mark.parametrize("fault", ["down", "500", "invalid", "second page"])
def test_a_failed_or_partial_read_keeps_the_projects(loopback, server, fault):
    server.feed([item(1, server.host), item(2, server.host)])
    network = followed(server.url())
    refreshed(network)
    read_at = network.fetched_at
    if fault == "down":
        network.feed_url = "http://127.0.0.1:1/feeds/projects.json"
        db.session.commit()
    elif fault == "500":
        server.status("/feeds/projects.json", 500)
    elif fault == "invalid":
        server.json("/feeds/projects.json", b"{", etag=None)
    else:
        server.feed([item(1, server.host)], next_url=server.url("/gone"))
    result = refreshed(network)
    assert result.problem
    assert len(rows(network)) == 2
    assert network.failures == 1 and network.last_error == result.problem
    assert network.fetched_at == read_at and network.checked_at > read_at


def test_projects_of_a_network_unread_for_days_are_removed(loopback, server):
    """A week without a complete read: its listings can no longer be trusted, so they go;
    the network stays followed, and the next read brings them back (the ETag is forgotten,
    or an unchanged feed would answer 304 and bring back nothing)."""
    feed = document([item(1, server.host), item(2, server.host)], server.host)
    server.json("/feeds/projects.json", feed)
    network = followed(server.url())
    refreshed(network)
    server.status("/feeds/projects.json", 503)
    later = utcnow() + timedelta(days=6)
    federation.refresh(network, now=later)
    db.session.commit()
    assert len(rows(network)) == 2
    result = federation.refresh(network, now=later + timedelta(days=1))
    db.session.commit()
    assert result.removed == 2 and rows(network) == {}
    assert db.session.get(FollowedNetwork, network.id) is not None
    assert network.last_error == "stale:7" and network.etag == ""
    assert "7 days" in federation.problem_text(network)
    server.json("/feeds/projects.json", feed)
    back = federation.refresh(network, now=later + timedelta(days=2))
    db.session.commit()
    assert back.added == 2 and network.last_error == "" and network.failures == 0


def test_projects_past_their_deadline_go_even_when_the_feed_is_unchanged(loopback, server):
    soon = (utcnow() + timedelta(days=2)).date().isoformat()
    feed = document(
        [item(1, server.host, _diaspora={"deadline": soon}), item(2, server.host)], server.host
    )
    server.json("/feeds/projects.json", feed)
    network = followed(server.url())
    refreshed(network)
    assert len(rows(network)) == 2
    result = federation.refresh(network, now=utcnow() + timedelta(days=3))
    db.session.commit()
    assert result.unchanged and result.removed == 1
    assert [r.title for r in rows(network).values()] == ["Project 2"]
    assert network.item_count == 1


def test_unfollow_removes_the_network_and_its_projects_in_one_step(loopback, server, coordinator):
    server.feed([item(1, server.host), item(2, server.host)])
    network = followed(server.url())
    refreshed(network)
    with pytest.raises(NotAllowed):
        federation.unfollow(new_user(Role.INSTITUTION), network.id)
    changes = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
    removed = federation.unfollow(coordinator, network.id)
    db.session.commit()
    assert removed == 2
    after = db.session.scalar(sa.select(sa.func.count()).select_from(SearchChange))
    assert after == changes + 2  # each project's search document goes
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RemoteProject)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowedNetwork)) == 0
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "network.unfollow"))
    assert entry.actor_id == coordinator.id and "2 projects removed" in entry.reason


def test_refresh_all_goes_on_past_a_feed_that_is_down(loopback, server):
    down = followed("http://127.0.0.1:1/feeds/projects.json")
    server.feed([item(1, server.host)])
    up = followed(server.url())
    results = federation.refresh_all()
    assert [(r.network.id, bool(r.problem)) for r in results] == [(down.id, True), (up.id, False)]
    assert len(rows(up)) == 1


# -- the command --


def test_the_networks_commands(loopback, server, runner):
    server.feed([item(1, server.host), item(2, server.host)])
    result = runner.invoke(args=["networks", "follow", server.url()])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["networks", "follow", server.url()])
    assert again.exit_code != 0 and "already followed" in again.output
    runner.invoke(args=["networks", "follow", "http://127.0.0.1:1/feeds/projects.json"])
    refreshed_output = runner.invoke(args=["networks", "refresh"])
    assert refreshed_output.exit_code == 0
    lines = refreshed_output.output.strip().splitlines()
    assert len(lines) == 2
    assert "2 added" in lines[0] and "failed (The server could not be reached.)" in lines[1]
    listed = runner.invoke(args=["networks", "list"]).output
    assert "\tDakar\t" in listed and "2 project(s)" in listed
    assert "problem: The server could not be reached." in listed
    assert "problem: connect" not in listed
    network_id = db.session.scalar(
        sa.select(FollowedNetwork.id).where(FollowedNetwork.feed_url == server.url())
    )
    gone = runner.invoke(args=["networks", "unfollow", str(network_id)])
    assert gone.exit_code == 0 and "2 project(s) removed" in gone.output
    missing = runner.invoke(args=["networks", "unfollow", str(network_id)])
    assert missing.exit_code != 0
    private = runner.invoke(args=["networks", "follow", "http://10.0.0.1/feed"])
    assert private.exit_code != 0 and "private" in private.output


# -- the coordinators' page --


def test_the_page_is_for_coordinators_only(app, client):
    assert client.get("/coordination/networks").status_code in (302, 401)
    for role in (Role.MEMBER, Role.INSTITUTION):
        sign_in(client, new_user(role))
        assert client.get("/coordination/networks").status_code == 403
        assert client.post("/coordination/networks", data={"url": "http://x"}).status_code == 403
        assert client.post("/coordination/networks/1/unfollow").status_code == 403
        assert client.post("/coordination/networks/1/refresh").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowedNetwork)) == 0


def test_coordinators_follow_refresh_and_stop_following(loopback, server, client, coordinator):
    server.feed([item(1, server.host), item(2, server.host)])
    sign_in(client, coordinator)
    page = client.get("/coordination/networks")
    assert page.status_code == 200 and "Follow a network" in page.text
    followed_page = client.post(
        "/coordination/networks", data={"url": server.url()}, follow_redirects=True
    )
    assert "Dakar was read: 2 projects are shown from it" in followed_page.text
    network = db.session.scalar(sa.select(FollowedNetwork))
    server.status("/feeds/projects.json", 500)
    again = client.post(f"/coordination/networks/{network.id}/refresh", follow_redirects=True)
    assert "HTTP 500" in again.text
    confirm = client.get(f"/coordination/networks/{network.id}/unfollow")
    assert "This removes 2 projects" in confirm.text
    gone = client.post(f"/coordination/networks/{network.id}/unfollow", follow_redirects=True)
    assert "2 projects were removed from search" in gone.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RemoteProject)) == 0
    assert client.get(f"/coordination/networks/{network.id}/unfollow").status_code == 404
    assert client.get("/coordination/networks/99999999999/unfollow").status_code == 404


def test_the_follow_form_says_what_is_wrong(app, client, coordinator):
    sign_in(client, coordinator)
    for url, said in (
        ("http://10.0.0.1/feed", "private or local network"),
        ("file:///etc/passwd", "Only http and https"),
        ("", "This field is required"),
    ):
        answer = client.post("/coordination/networks", data={"url": url})
        assert answer.status_code == 400 and said in answer.text, url
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowedNetwork)) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/coordination/networks",
        "/coordination/networks/{id}/refresh",
        "/coordination/networks/{id}/unfollow",
    ],
)
def test_the_page_s_forms_need_a_csrf_token(app, client, coordinator, path):
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in(client, coordinator)
    network = followed("http://127.0.0.1:9/feeds/projects.json")
    answer = client.post(path.format(id=network.id), data={"url": "http://example.org/feed"})
    assert answer.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowedNetwork)) == 1
    assert db.session.get(FollowedNetwork, network.id).checked_at is None


def test_items_may_link_to_the_home_the_network_names_and_nowhere_else(loopback, server):
    page = document(
        [item(1, "www.dakar.example"), item(2, "other.example")],
        server.host,
    )
    page["_diaspora"]["home_page_url"] = "https://www.dakar.example/"
    page["home_page_url"] = "https://other.example/search"
    server.json("/feeds/projects.json", page, etag='"bad\x7fetag"')
    read = feeds.read(server.url())
    assert [entry["title"] for entry in read.items] == ["Project 1"]
    assert read.home_url == "https://www.dakar.example/"
    assert read.etag == ""  # not a value that can be sent back in a header


ODD_VALUES = [
    None,
    1,
    -1,
    10**30,
    1.5,
    True,
    [],
    {},
    "x" * 10_000,
    "\x00",
    ["\x00", None, {}, []],
    {"name": 1},
    "2026-13-45",
    "0001-01-01T00:00:00+23:00",
    "9999-12-31T23:59:59-23:59",
    "<b>",
    "javascript:alert(1)",
]


def test_no_value_of_any_field_breaks_the_reader(app):
    """Every field of an item, and of its ``_diaspora`` block, given values of every JSON
    type: the item is kept or skipped, and what is kept fits its columns."""
    base = item(1, "feeds.example.org")
    cases = [(key, None) for key in base] + [("_diaspora", key) for key in base["_diaspora"]]
    for key, inner in cases:
        for value in ODD_VALUES:
            raw = item(1, "feeds.example.org")
            if inner is None:
                raw[key] = value
            else:
                raw["_diaspora"][inner] = value
            kept = feeds.project(raw, {"feeds.example.org"}, utcnow().date())
            if kept is not None:
                for name, size in feeds.SIZES.items():
                    assert len(kept.get(name) or "") <= size, (key, inner, value)
                assert "\x00" not in json.dumps(kept, default=str), (key, inner, value)


def test_an_unforeseen_error_in_one_feed_does_not_stop_the_others(loopback, server, monkeypatch):
    server.feed([item(1, server.host)])
    broken = followed("http://127.0.0.1:9/feeds/projects.json")
    good = followed(server.url())
    real = feeds.read

    def read(url, **kwargs):
        if url == broken.feed_url:
            raise RuntimeError("a bug")
        return real(url, **kwargs)

    monkeypatch.setattr(feeds, "read", read)
    results = federation.refresh_all()
    assert [r.problem for r in results] == ["not_feed", ""]
    assert len(rows(good)) == 1


def test_addresses_are_normalised(app):
    assert fetch.normalise("HTTPS://Feeds.Example.ORG:443/ça/feed.json?a=é#top") == (
        "https://feeds.example.org/%C3%A7a/feed.json?a=%C3%A9",
        "https",
        "feeds.example.org",
        443,
        "/%C3%A7a/feed.json?a=%C3%A9",
    )
    assert fetch.normalise("http://[2001:db8::1]:8080")[0] == "http://[2001:db8::1]:8080/"


# -- telling networks apart, and what may be followed --


def test_a_network_cannot_follow_itself(loopback, client, coordinator):
    """Its own feed would show its own projects again as a partner's: refused whether the
    address is the configured SITE_URL or the one the request came in on."""
    loopback.config["SITE_URL"] = "http://127.0.0.1:5061"
    for url in (
        "http://127.0.0.1:5061/feeds/projects.json",
        "HTTP://127.0.0.1:5061/feeds/projects.json?country=SN",
        "http://127.0.0.1:5061/",
        "http://127.0.0.1:5061/feeds/projects.atom",
    ):
        with pytest.raises(Invalid) as refused:
            federation.follow(coordinator, url)
        assert "cannot follow itself" in refused.value.message, url
    network = federation.follow(coordinator, "http://127.0.0.1:5062/feeds/projects.json")
    assert network.feed_url == "http://127.0.0.1:5062/feeds/projects.json"  # another port
    db.session.rollback()

    sign_in(client, coordinator)
    for url in ("http://diaspora.test/feeds/projects.json", "http://127.0.0.1:5061"):
        answer = client.post("/coordination/networks", data={"url": url})
        assert answer.status_code == 400 and "a network cannot follow itself" in answer.text, url
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowedNetwork)) == 0


def test_a_feed_whose_network_is_this_site_is_a_problem_and_keeps_nothing(
    loopback, server, client, coordinator
):
    server.feed([item(1, server.host), item(2, server.host)])
    network = followed(server.url())
    refreshed(network)
    assert len(rows(network)) == 2 and network.etag == "" and network.item_count == 2

    loopback.config["SITE_URL"] = "https://diaspora.example"
    own = document([item(1, server.host), item(2, server.host)], server.host)
    own["_diaspora"]["home_page_url"] = "https://diaspora.example/"
    server.json("/feeds/projects.json", own)
    result = refreshed(network)
    assert result.problem == "own_feed" and result.removed == 2
    assert rows(network) == {} and network.item_count == 0 and network.etag == ""
    assert network.last_error == "own_feed"
    assert "cannot follow itself" in federation.problem_text(network)

    # Answering a request, the address it came in on is this site's too.
    own["_diaspora"]["home_page_url"] = "http://diaspora.test/"
    server.json("/feeds/projects.json", own)
    sign_in(client, coordinator)
    page = client.post(f"/coordination/networks/{network.id}/refresh", follow_redirects=True)
    assert "a network cannot follow itself" in page.text
    assert rows(network) == {}


@pytest.mark.parametrize(
    ("pasted", "followed_as"),
    [
        ("https://dakar.example", "https://dakar.example/feeds/projects.json"),
        ("https://dakar.example/", "https://dakar.example/feeds/projects.json"),
        ("https://dakar.example/?lang=fr", "https://dakar.example/feeds/projects.json"),
        ("https://dakar.example/feeds/projects.atom", "https://dakar.example/feeds/projects.json"),
        (
            "https://dakar.example:8443/net/feeds/projects.atom?country=SN",
            "https://dakar.example:8443/net/feeds/projects.json?country=SN",
        ),
        ("https://dakar.example/feeds/projects.json", "https://dakar.example/feeds/projects.json"),
        ("https://dakar.example/other/feed.json", "https://dakar.example/other/feed.json"),
        ("https://dakar.example/projects.atom", "https://dakar.example/projects.atom"),
    ],
)
def test_a_site_or_atom_address_is_followed_as_its_json_feed(app, pasted, followed_as):
    assert federation.feed_address(pasted) == followed_as


def test_the_form_follows_a_site_address_and_an_atom_address_as_json(
    loopback, server, client, coordinator
):
    server.feed([item(1, server.host)])
    sign_in(client, coordinator)
    page = client.get("/coordination/networks")
    assert "Paste the other network's address or its JSON Feed address" in unescape(page.text)
    for pasted in (f"http://{server.host}", server.url("/feeds/projects.atom")):
        answer = client.post("/coordination/networks", data={"url": pasted}, follow_redirects=True)
        assert "Dakar was read: 1 project is shown from it" in answer.text, pasted
        network = db.session.scalar(sa.select(FollowedNetwork))
        assert network.feed_url == server.url() and network.last_error == ""
        federation.unfollow(coordinator, network.id)
        db.session.commit()


def test_networks_are_named_by_their_network_name_and_told_apart_by_port(loopback, server):
    named = document([item(1, server.host)], server.host, title="Diaspora: projects")
    named["_diaspora"]["network"] = "Dakar <b>Diaspora</b>"
    server.json("/feeds/projects.json", named, etag=None)
    untitled = document([item(2, server.host)], server.host, title="Diaspora: projects")
    del untitled["_diaspora"]["network"]
    server.json("/untitled.json", untitled, etag=None)
    first, second = followed(server.url()), followed(server.url("/untitled.json"))
    unread = followed("http://127.0.0.1:5063/feeds/projects.json")
    refreshed(first), refreshed(second)
    assert first.name == "Dakar Diaspora" and first.label == "Dakar Diaspora"
    assert second.label == "Diaspora: projects"  # no network name: the feed's title
    assert unread.label == "127.0.0.1:5063" and unread.host == "127.0.0.1:5063"
    assert first.host == server.host  # with its port
    assert followed("https://horn.example:443/feeds/projects.json").host == "horn.example"
    assert followed("http://[2001:db8::1]:8080/feeds/projects.json").label == "[2001:db8::1]:8080"


def test_the_page_s_buttons_look_like_what_they_do(app, client, coordinator):
    followed("http://127.0.0.1:9/feeds/projects.json")
    sign_in(client, coordinator)
    html = client.get("/coordination/networks").text
    assert '<button class="button" type="submit">Follow</button>' in html
    assert '<button class="button-small" type="submit">Refresh now</button>' in html
    assert re.search(r'<a class="button-small button-danger" href="[^"]+">Stop following</a>', html)
    confirm = client.get(
        f"/coordination/networks/{db.session.scalar(sa.select(FollowedNetwork.id))}/unfollow"
    )
    assert 'class="button button-danger">Stop following and remove its projects' in confirm.text
