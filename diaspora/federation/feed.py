"""Reading another network's JSON Feed of projects, defensively.

A feed is JSON Feed 1.x whose items carry the ``_diaspora`` extension (see the site's own
``/feeds/projects.json``). Every page is fetched through :mod:`diaspora.federation.fetch`
within one deadline; ``next_url`` is followed on the same server only. Each item becomes a
dict of :class:`~diaspora.models.RemoteProject` values: plain text without markup or
control characters, clipped to the columns, with country, sector, modes and languages
checked against this site's own lists. An item that cannot be used is skipped, not the feed.
"""

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urljoin, urlsplit

from flask import current_app
from markupsafe import Markup

from diaspora import geo, i18n
from diaspora.catalog import sectors
from diaspora.federation import fetch
from diaspora.federation.fetch import FetchError
from diaspora.models import Compensation, EngagementMode, WorkMode
from diaspora.validation import clean_line, strip_controls

MAX_PAGES = 20
MAX_SKILLS = 30
MAX_LANGUAGES = 20
MAX_DESCRIPTION = 20_000
# Column sizes of RemoteProject.
SIZES = {
    "remote_id": 300,
    "url": 500,
    "title": 200,
    "summary": 500,
    "institution_name": 200,
    "region": 120,
    "skill": 100,
    "name": 200,
    "home_url": 500,
}


@dataclass
class Feed:
    """What a complete read found. ``name`` is what the other network calls itself (its
    ``_diaspora.network``, else the feed's title); ``notice`` is a stored problem when limits
    cut it short (the first pages or items are kept); ``not_modified`` when the ETag still
    matched."""

    name: str = ""
    home_url: str = ""
    etag: str = ""
    items: list[dict] = field(default_factory=list)
    skipped: int = 0
    notice: str = ""
    not_modified: bool = False


def _limit(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def read(url: str, etag: str = "", today: date | None = None) -> Feed:
    """Read every page of the feed at ``url`` (within ``FEDERATION_TIMEOUT`` in all);
    raise :class:`FetchError` when it cannot be read whole.

    The first page's ETag is kept only when the feed is one page: a first page that has not
    changed says nothing of the pages after it (a project edited or closed there)."""
    deadline = time.monotonic() + float(current_app.config.get("FEDERATION_TIMEOUT", 10))
    max_items = _limit("FEDERATION_MAX_ITEMS", 1000)
    today = today or datetime.now(UTC).date()
    feed = Feed()
    seen: set[str] = set()
    page_url, pages = url, 0
    feed_host = _host(url)
    while page_url:
        if pages == MAX_PAGES:
            feed.notice = f"too_many_pages:{MAX_PAGES}"
            break
        response = fetch.get(page_url, etag=etag if pages == 0 else "", deadline=deadline)
        if response.not_modified:
            return Feed(etag=etag, not_modified=True)
        pages += 1
        document = _document(response.body)
        if pages == 1:
            feed.home_url = _home_url(document)
            if fetch.is_own_site(feed.home_url):  # this site's own projects, read back
                raise FetchError("own_feed")
            feed.name = _network_name(document)
            feed.etag = response.etag
            # Items link to the feed's own server, or to the network's home as it names it.
            hosts = {feed_host, _host(_network_home(document))} - {""}
        for raw in document["items"]:
            item = project(raw, hosts, today)
            if item is None or item["remote_id"] in seen:
                feed.skipped += 1
                continue
            if len(feed.items) == max_items:
                feed.notice = f"too_many_items:{max_items}"
                return _whole(feed, pages)
            seen.add(item["remote_id"])
            feed.items.append(item)
        page_url = _next_page(document, response.url, feed_host)
    return _whole(feed, pages)


def _whole(feed: Feed, pages: int) -> Feed:
    """``feed``, keeping its ETag only if it was read from a single page."""
    if pages > 1:
        feed.etag = ""
    return feed


def _document(body: bytes) -> dict:
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FetchError("not_json") from exc
    if not isinstance(document, dict):
        raise FetchError("not_feed")
    version = document.get("version")
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/1"):
        raise FetchError("not_feed")
    if not isinstance(document.get("items"), list):
        raise FetchError("not_feed")
    return document


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _network_home(document: dict) -> str:
    """The other network's home page as its ``_diaspora`` block names it (http(s) only)."""
    extension = document.get("_diaspora")
    home = extension.get("home_page_url") if isinstance(extension, dict) else None
    return home.strip() if isinstance(home, str) and _http_url(home, SIZES["home_url"]) else ""


def _network_name(document: dict) -> str:
    """The other network's name as its ``_diaspora`` block gives it (every network's feed
    title reads "Diaspora: projects" until its operator names it), else the feed's title."""
    extension = document.get("_diaspora")
    name = _line(extension.get("network"), SIZES["name"]) if isinstance(extension, dict) else ""
    return name or _line(document.get("title"), SIZES["name"])


def _home_url(document: dict) -> str:
    """Where people read the other network: its home page, else the feed's
    ``home_page_url`` (http(s) only)."""
    home = _network_home(document)
    if home:
        return home
    page = document.get("home_page_url")
    return page.strip() if isinstance(page, str) and _http_url(page, SIZES["home_url"]) else ""


def _next_page(document: dict, page_url: str, feed_host: str) -> str:
    next_url = document.get("next_url")
    if not next_url:
        return ""
    if not isinstance(next_url, str):
        raise FetchError("not_feed")
    absolute = urljoin(page_url, next_url.strip())
    if not _http_url(absolute, fetch.MAX_URL) or _host(absolute) != feed_host:
        raise FetchError("next_page")
    return absolute


def _http_url(value: str, size: int) -> bool:
    value = value.strip()
    if not value or len(value) > size or any(ord(ch) < 33 or ch == "\x7f" for ch in value):
        return False
    try:
        parts = urlsplit(value)
        return (
            parts.scheme.lower() in ("http", "https")
            and bool(parts.hostname)
            and parts.username is None
        )
    except ValueError:
        return False


def _striptags(text: str) -> str:
    """``text`` without tags and comments, entities decoded: plain text, never markup (the
    Markup object is only a tag stripper here and is turned back into a str)."""
    return str(Markup(strip_controls(text)).striptags())  # noqa: S704


def plain(value, size: int | None = None) -> str:
    """``value`` as plain text: markup removed, control characters dropped, clipped."""
    if not isinstance(value, str):
        return ""
    lines = (_striptags(line) for line in value.splitlines())
    text = "\n".join(lines).strip()
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    text = strip_controls(text)
    return text[:size].strip() if size else text


def _line(value, size: int) -> str:
    if not isinstance(value, str):
        return ""
    return clean_line(_striptags(value)).strip()[:size].strip()


def _choice(value, allowed) -> str:
    return value if isinstance(value, str) and value in allowed else ""


def _datetime(value) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def _date(value) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _skills(value) -> list[str]:
    if not isinstance(value, list):
        return []
    names: list[str] = []
    for raw in value:
        name = _line(raw, SIZES["skill"])
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
        if len(names) == MAX_SKILLS:
            break
    return names


def _languages(value) -> list[str]:
    if not isinstance(value, list):
        return []
    codes: list[str] = []
    for raw in value:
        if isinstance(raw, str) and len(raw) == 2 and geo.is_language(raw):
            code = raw.lower()
            if code not in codes:
                codes.append(code)
        if len(codes) == MAX_LANGUAGES:
            break
    return codes


def project(raw, hosts: set[str], today: date) -> dict | None:
    """The RemoteProject values of one feed item, or None when it cannot be kept (no id,
    no title, a link that is not http(s) on the other network, past its deadline)."""
    if not isinstance(raw, dict):
        return None
    remote_id, url = raw.get("id"), raw.get("url")
    if not isinstance(remote_id, str | int) or isinstance(remote_id, bool):
        return None
    remote_id = clean_line(str(remote_id)).strip()
    if not remote_id or len(remote_id) > SIZES["remote_id"]:
        return None
    if not isinstance(url, str) or not _http_url(url, SIZES["url"]) or _host(url) not in hosts:
        return None
    title = _line(raw.get("title"), SIZES["title"])
    if not title:
        return None
    extra = raw.get("_diaspora")
    extra = extra if isinstance(extra, dict) else {}
    deadline = _date(extra.get("deadline"))
    if deadline is not None and deadline < today:
        return None
    country = extra.get("country")
    country = country.upper() if isinstance(country, str) and geo.is_country(country) else ""
    authors = raw.get("authors")
    author = authors[0] if isinstance(authors, list) and authors else {}
    institution = extra.get("institution") or (
        author.get("name") if isinstance(author, dict) else ""
    )
    written_in = raw.get("language")
    return {
        "remote_id": remote_id,
        "url": url.strip(),
        "title": title,
        "summary": plain(raw.get("summary"), SIZES["summary"]),
        "description": plain(raw.get("content_text"), MAX_DESCRIPTION),
        "institution_name": _line(institution, SIZES["institution_name"]),
        "country": country,
        "region": _line(extra.get("region"), SIZES["region"]),
        "sector": _choice(extra.get("sector"), sectors()),
        "engagement_mode": _choice(extra.get("engagement_mode"), {m.value for m in EngagementMode}),
        "work_mode": _choice(extra.get("work_mode"), {m.value for m in WorkMode}),
        "compensation": _choice(extra.get("compensation"), {m.value for m in Compensation}),
        "skills": _skills(extra.get("skills") if "skills" in extra else raw.get("tags")),
        "languages": _languages(extra.get("languages")),
        "written_in": written_in
        if isinstance(written_in, str) and written_in in i18n.LANGUAGES
        else "en",
        "deadline": deadline,
        "published_at": _datetime(raw.get("date_published")),
        "remote_updated_at": _datetime(raw.get("date_modified")),
    }
