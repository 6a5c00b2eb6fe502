"""Following other Diaspora networks: which feeds, and keeping their projects current.

A coordinator follows another network's public JSON Feed by its address; each refresh
reads it whole (:func:`diaspora.federation.feed.read`) and brings the
:class:`~diaspora.models.RemoteProject` rows in line with it, one object at a time through
the session, so the search change log sees every added, changed and removed project. A
refresh is idempotent: the same feed read twice changes nothing the second time. A feed
that cannot be read leaves its projects as they were and says why on the network; after
``FEDERATION_STALE_DAYS`` without a complete read its projects are removed (a listing
nobody can check is worse than none), and the network stays followed.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from diaspora.extensions import db
from diaspora.federation import feed as feeds
from diaspora.federation import fetch
from diaspora.federation.fetch import FetchError
from diaspora.models import FollowedNetwork, RemoteProject, audit
from diaspora.models.base import utcnow
from diaspora.services import permissions, retry
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from diaspora.validation import INT_MAX

log = logging.getLogger(__name__)

# The values of a RemoteProject that a feed item gives.
FIELDS = (
    "url",
    "title",
    "summary",
    "description",
    "institution_name",
    "country",
    "region",
    "sector",
    "engagement_mode",
    "work_mode",
    "compensation",
    "skills",
    "languages",
    "written_in",
    "deadline",
    "published_at",
    "remote_updated_at",
)
# Where a Diaspora network publishes its projects (JSON Feed, which is read; Atom).
JSON_FEED_PATH = "/feeds/projects.json"
ATOM_FEED_PATH = "/feeds/projects.atom"
# Problems that a complete read can have: the feed was longer than this site keeps.
NOTICES = ("too_many_items", "too_many_pages")


class Operator:
    """Who acts at the command line (``flask networks follow``): the site's operator."""

    id = None
    name = "operator (command line)"


OPERATOR = Operator()


@dataclass
class Refreshed:
    """What one refresh did: ``problem`` is the stored reason when the read failed."""

    network: FollowedNetwork
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: bool = False
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def _may_manage(actor) -> bool:
    return actor is OPERATOR or permissions.is_coordinator(actor)


def networks() -> list[FollowedNetwork]:
    """Every followed network, in the order they were followed."""
    return list(db.session.scalars(sa.select(FollowedNetwork).order_by(FollowedNetwork.id)))


def project_counts() -> dict[int, int]:
    """Network id -> how many of its projects are kept."""
    rows = db.session.execute(
        sa.select(RemoteProject.network_id, sa.func.count()).group_by(RemoteProject.network_id)
    )
    return dict(rows.all())


def feed_address(url: str) -> str:
    """The JSON Feed address to follow for what someone pasted: a network's bare address
    becomes its ``/feeds/projects.json``, and its Atom feed the JSON Feed beside it (only
    JSON Feed is read). Raises FetchError for an address that cannot be followed."""
    normalised, _scheme, _host, _port, _path = fetch.normalise(url)
    parts = urlsplit(normalised)
    if parts.path == "/":
        return urlunsplit((parts.scheme, parts.netloc, JSON_FEED_PATH, "", ""))
    if parts.path.endswith(ATOM_FEED_PATH):
        path = parts.path.removesuffix(ATOM_FEED_PATH) + JSON_FEED_PATH
        return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    return normalised


def follow(actor, url: str) -> FollowedNetwork:
    """Follow the feed at ``url`` (coordinators only). The address (see
    :func:`feed_address`) is checked as a fetch would check it (http(s), a public server),
    must not be this site's own, and is kept normalised."""
    if not _may_manage(actor):
        raise NotAllowed
    try:
        address = feed_address(url)
        if fetch.is_own_site(address):
            raise FetchError("own_feed")
        target = fetch.check(address)
    except FetchError as exc:
        raise Invalid(exc.message) from exc
    exists = db.session.scalar(
        sa.select(FollowedNetwork.id).where(FollowedNetwork.feed_url == target.url)
    )
    if exists is not None:
        raise Conflict(_("This network is already followed."))
    network = FollowedNetwork(feed_url=target.url, added_by_id=actor.id)
    db.session.add(network)
    db.session.flush()
    audit.record(actor, "network.follow", "network", network.id, target.url)
    return network


def get(network_id: int) -> FollowedNetwork:
    network = db.session.get(FollowedNetwork, network_id) if 0 < network_id <= INT_MAX else None
    if network is None:
        raise NotFound
    return network


def unfollow(actor, network_id: int) -> int:
    """Stop following a network and remove every project read from it, in this one
    transaction. Returns how many projects were removed."""
    if not _may_manage(actor):
        raise NotAllowed
    network = get(network_id)
    removed = _remove_projects(network)
    audit.record(
        actor,
        "network.unfollow",
        "network",
        network.id,
        f"{network.feed_url} ({removed} projects removed)",
    )
    db.session.delete(network)
    return removed


def _remove_projects(network: FollowedNetwork) -> int:
    """Delete the network's projects one by one (each one's search document goes too)."""
    projects = db.session.scalars(
        sa.select(RemoteProject).where(RemoteProject.network_id == network.id)
    ).all()
    for remote in projects:
        db.session.delete(remote)
    return len(projects)


def refresh(network: FollowedNetwork, now: datetime | None = None) -> Refreshed:
    """Read the network's feed and bring its projects in line with it.

    The feed is read before anything is written, so no database lock is held while another
    server answers. A failed read keeps the projects as they were and records the problem
    (``last_error``, ``failures``, ``checked_at``); a complete one records ``fetched_at``,
    the feed's title and home page, its ETag and how many projects it has."""
    now = now or utcnow()
    feed_url, etag = network.feed_url, network.etag
    try:
        feed = feeds.read(feed_url, etag=etag, today=now.date())
    except FetchError as exc:
        problem = exc.stored
    except Exception:  # a feed nobody foresaw must not stop the other networks' refresh
        log.exception("followed feed %s could not be read", feed_url)
        problem = "not_feed"
    else:
        problem = ""
    # Two refreshes of one network at once (the hourly command, "Refresh now") take turns
    # from here: the second sees the first one's projects.
    db.session.refresh(network, with_for_update=True)
    if problem:
        result = _failed(network, problem, now)
        result.removed += _remove_expired(network, now.date())
        return result
    network.checked_at = now
    network.fetched_at = now
    network.failures = 0
    result = Refreshed(network, unchanged=feed.not_modified)
    if not feed.not_modified:
        _store(network, feed, now, result)
        _set(network, "name", feed.name)
        _set(network, "home_url", feed.home_url)
        _set(network, "etag", feed.etag)
        _set(network, "item_count", len(feed.items))
        _set(network, "last_error", feed.notice)
    else:
        result.removed = _remove_expired(network, now.date())
        if not network.last_error.startswith(NOTICES):
            _set(network, "last_error", "")
    return result


def _set(obj, name: str, value) -> bool:
    """Set an attribute only when it changes (an unchanged row records no search change)."""
    if getattr(obj, name) == value:
        return False
    setattr(obj, name, value)
    return True


def _store(network: FollowedNetwork, feed: feeds.Feed, now: datetime, result: Refreshed) -> None:
    kept = {
        remote.remote_id: remote
        for remote in db.session.scalars(
            sa.select(RemoteProject).where(RemoteProject.network_id == network.id)
        )
    }
    for item in feed.items:
        remote = kept.pop(item["remote_id"], None)
        if remote is None:
            db.session.add(RemoteProject(network_id=network.id, fetched_at=now, **item))
            result.added += 1
            continue
        changed = [_set(remote, name, item[name]) for name in FIELDS]
        if any(changed):
            remote.fetched_at = now
            result.updated += 1
    for remote in kept.values():
        db.session.delete(remote)
        result.removed += 1


def _remove_expired(network: FollowedNetwork, today) -> int:
    """Remove the network's projects whose deadline has passed (a feed that did not change,
    or could not be read, would otherwise keep them)."""
    expired = db.session.scalars(
        sa.select(RemoteProject).where(
            RemoteProject.network_id == network.id, RemoteProject.deadline < today
        )
    ).all()
    for remote in expired:
        db.session.delete(remote)
    if expired:
        _set(network, "item_count", max(network.item_count - len(expired), 0))
    return len(expired)


def _forget_projects(network: FollowedNetwork) -> int:
    """Remove every project of the network and its ETag (the next complete read must bring
    every project back, not answer "not modified")."""
    removed = _remove_projects(network)
    _set(network, "item_count", 0)
    _set(network, "etag", "")
    return removed


def _failed(network: FollowedNetwork, problem: str, now: datetime) -> Refreshed:
    network.checked_at = now
    network.failures = (network.failures or 0) + 1
    network.last_error = problem[:300]
    result = Refreshed(network, problem=problem)
    if problem == "own_feed":  # its projects are this site's own: none is kept
        result.removed = _forget_projects(network)
        return result
    days = int(current_app.config.get("FEDERATION_STALE_DAYS", 7))
    last_read = network.fetched_at or network.created_at
    if last_read is not None and now - last_read >= timedelta(days=days):
        result.removed = _forget_projects(network)
        network.last_error = f"stale:{days}"
        result.problem = network.last_error
    return result


def refresh_all() -> list[Refreshed]:
    """Refresh every followed network, each in its own transaction (one feed that is down
    or hostile never stops the others)."""
    results = []
    ids = db.session.scalars(sa.select(FollowedNetwork.id).order_by(FollowedNetwork.id)).all()
    for network_id in ids:
        results.append(retry.transaction(lambda network_id=network_id: refresh(get(network_id))))
    return results


def problem_text(network: FollowedNetwork) -> str:
    """The network's last problem in words, in the language of the page."""
    return fetch.problem_text(network.last_error) if network.last_error else ""
