"""An HTTP GET that is safe to point at an address someone typed.

The address must be http(s) without a user name or password. Its host is resolved once and
every address it resolves to must be on the public internet (or inside one of the
operator's ``FEDERATION_ALLOWED_NETWORKS``); the connection then goes to that very address,
so a DNS answer cannot change between the check and the request (DNS rebinding), while the
Host header, SNI and the certificate check use the host name. Time (connect, each read and
the whole exchange) and size are bounded; redirects are followed by hand and checked again
like the first address. Anything that goes wrong is a :class:`FetchError`.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from flask import current_app, has_request_context, request
from flask_babel import gettext as _

MAX_REDIRECTS = 3
CONNECT_TIMEOUT = 5.0
CHUNK = 64 * 1024
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_URL = 500
URL_SAFE = "/%:@!$&'()*+,;=?-._~"
# NAT64 (RFC 6052): the IPv4 address is in the last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """A feed could not be read. ``code`` names the reason (stored with the network, see
    :func:`problem_text`); ``detail`` is a value it mentions (a status code)."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}:{detail}" if detail else code)

    @property
    def stored(self) -> str:
        """What is kept in ``FollowedNetwork.last_error``."""
        return str(self)

    @property
    def message(self) -> str:
        return problem_text(self.stored)


def problem_text(stored: str) -> str:
    """A stored problem (``"status:500"``) in words, in the language of the page."""
    code, _sep, detail = (stored or "").partition(":")
    texts = {
        "address": lambda: _("This is not a web address that can be followed."),
        "scheme": lambda: _("Only http and https addresses can be followed."),
        "userinfo": lambda: _("The address must not contain a user name or a password."),
        "resolve": lambda: _("The server's name could not be found."),
        "private": lambda: _(
            "The address leads to a private or local network, which this site does not reach."
        ),
        "connect": lambda: _("The server could not be reached."),
        "tls": lambda: _("The server's certificate could not be verified."),
        "timeout": lambda: _("The server took too long to answer."),
        "too_large": lambda: _("The feed is larger than this site accepts."),
        "status": lambda: _("The server answered with an error (HTTP %(status)s).", status=detail),
        "redirects": lambda: _("The server redirected too many times."),
        "protocol": lambda: _("The server's answer could not be read."),
        "not_json": lambda: _("The address did not return JSON."),
        "not_feed": lambda: _("The address did not return a JSON Feed of projects."),
        "own_feed": lambda: _("This is this network's own feed: a network cannot follow itself."),
        "next_page": lambda: _("The feed's next page is on another server."),
        "too_many_items": lambda: _(
            "The feed has more projects than this site keeps; only the first %(count)s are kept.",
            count=detail,
        ),
        "too_many_pages": lambda: _(
            "The feed has more pages than this site reads; only the first %(count)s are read.",
            count=detail,
        ),
        "stale": lambda: _(
            "The feed has not been read for %(days)s days: its projects are no longer shown.",
            days=detail,
        ),
    }
    text = texts.get(code)
    return text() if text is not None else stored


@dataclass
class Target:
    """A checked address: the URL as normalised, where to connect, and what to call it."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass
class Response:
    """What a GET brought back; ``not_modified`` when the ETag still matched."""

    url: str
    status: int
    body: bytes = b""
    etag: str = ""
    content_type: str = ""
    not_modified: bool = False
    headers: dict = field(default_factory=dict)


def _config(name: str, default):
    return current_app.config.get(name, default)


def allowed_networks() -> list:
    """The operator's exceptions to the public-address rule (``FEDERATION_ALLOWED_NETWORKS``)."""
    value = _config("FEDERATION_ALLOWED_NETWORKS", []) or []
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    return [ipaddress.ip_network(str(part).strip(), strict=False) for part in value]


def _embedded_ipv4(address):
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address) -> bool:
    """True when ``address`` is on the public internet, and so is any IPv4 address in it."""
    if not address.is_global or address.is_multicast:
        return False
    inner = _embedded_ipv4(address)
    return inner is None or (inner.is_global and not inner.is_multicast)


def address_allowed(text: str) -> bool:
    """True for a public address, or one inside the operator's allowed networks."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if any(address in network for network in allowed_networks()):
        return True
    return is_public(address)


def normalise(url: str) -> tuple[str, str, str, int, str]:
    """(url, scheme, host, port, path) of an http(s) address, or a FetchError: lower-case
    scheme and host, no default port, no fragment, "/" for an empty path."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL or any(ord(ch) < 33 or ch == "\x7f" for ch in url):
        raise FetchError("address")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise FetchError("address") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError("scheme")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise FetchError("userinfo")
    if not host:
        raise FetchError("address")
    try:
        host = host.encode("idna").decode("ascii").lower() if not _is_ip(host) else host
    except UnicodeError as exc:
        raise FetchError("address") from exc
    default = 443 if scheme == "https" else 80
    port = port or default
    shown_host = f"[{host}]" if ":" in host else host
    netloc = shown_host if port == default else f"{shown_host}:{port}"
    # Characters outside ASCII are percent-encoded (a request line is ASCII); what is
    # already encoded stays as it is.
    path = quote(parts.path or "/", safe=URL_SAFE)
    query = quote(parts.query, safe=URL_SAFE)
    normalised = urlunsplit((scheme, netloc, path, query, ""))
    if len(normalised) > MAX_URL:
        raise FetchError("address")
    request_path = path + (f"?{query}" if query else "")
    return normalised, scheme, host, port, request_path


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) address as :func:`normalise` writes it, or None."""
    try:
        _url, scheme, host, port, _path = normalise(url)
    except FetchError:
        return None
    return scheme, host, port


def own_origins() -> set[tuple[str, str, int]]:
    """This site's (scheme, host, port): the address of the request being answered, if any,
    and the configured ``SITE_URL``."""
    addresses = [_config("SITE_URL", "") or ""]
    if has_request_context():
        addresses.append(request.host_url)
    return {origin for origin in map(_origin, addresses) if origin is not None}


def is_own_site(url: str) -> bool:
    """True when ``url`` is on this very site (same scheme, host and port)."""
    origin = _origin(url) if url else None
    return origin is not None and origin in own_origins()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


#: The longest a host name lookup may take (the resolver has no timeout of its own).
RESOLVE_TIMEOUT = 5.0


def _resolve(host: str, port: int, timeout: float) -> list:
    """``getaddrinfo`` within ``timeout`` seconds. The lookup runs in a thread of its own,
    left to finish in the background when it is too slow, so a stalled DNS server never
    holds a request or the refresh command longer than that."""
    answer: dict = {}

    def lookup():
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            answer["error"] = exc

    thread = threading.Thread(target=lookup, name="feed-resolve", daemon=True)
    thread.start()
    thread.join(max(timeout, 0.0))
    if "infos" not in answer:
        raise FetchError("resolve") from answer.get("error")
    return answer["infos"]


def check(url: str, deadline: float | None = None) -> Target:
    """Normalise ``url`` and resolve its host once; refuse it unless every address it
    resolves to is allowed. The returned target says which address to connect to."""
    normalised, scheme, host, port, path = normalise(url)
    timeout = RESOLVE_TIMEOUT
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
    infos = _resolve(host, port, timeout)
    addresses = [info[4][0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]
    if not addresses:
        raise FetchError("resolve")
    try:
        if not all(address_allowed(address) for address in addresses):
            raise FetchError("private")
    except ValueError as exc:
        raise FetchError("private") from exc
    return Target(normalised, scheme, host, port, path, addresses[0])


def user_agent() -> str:
    site = _config("SITE_NAME", "Diaspora") or "Diaspora"
    return f"{site} network feed reader (+{_config('SITE_URL', '')})"


def get(url: str, etag: str = "", deadline: float | None = None) -> Response:
    """GET ``url`` within ``deadline`` (a ``time.monotonic()`` value; by default
    ``FEDERATION_TIMEOUT`` seconds from now), following at most three redirects."""
    if deadline is None:
        deadline = time.monotonic() + float(_config("FEDERATION_TIMEOUT", 10))
    target = check(url, deadline)
    for _hop in range(MAX_REDIRECTS + 1):
        response, location = _get_once(target, etag, deadline)
        if location is None:
            return response
        target = check(urljoin(target.url, location), deadline)
    raise FetchError("redirects")


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("timeout")
    return left


def _open_socket(target: Target, deadline: float) -> socket.socket:
    family = socket.AF_INET6 if ":" in target.address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(min(CONNECT_TIMEOUT, _remaining(deadline)))
        sock.connect((target.address, target.port))
        if target.scheme == "https":
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=target.host)
    except ssl.SSLError as exc:
        sock.close()
        raise FetchError("tls") from exc
    except TimeoutError as exc:
        sock.close()
        raise FetchError("timeout") from exc
    except OSError as exc:
        sock.close()
        raise FetchError("connect") from exc
    return sock


def _get_once(target: Target, etag: str, deadline: float) -> tuple[Response, str | None]:
    """One request to ``target``; (response, None), or (nothing, location) for a redirect."""
    sock = _open_socket(target, deadline)
    # Past the deadline the socket is shut, which ends any read still waiting on it.
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _shut, args=(sock,))
    watchdog.daemon = True
    watchdog.start()
    connection_class = (
        http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(target.host, target.port)
    connection.sock = sock
    response = None
    try:
        headers = {
            "Accept": "application/feed+json, application/json;q=0.9",
            "Accept-Encoding": "identity",
            "User-Agent": user_agent(),
        }
        if etag:
            headers["If-None-Match"] = etag
        sock.settimeout(_remaining(deadline))
        connection.request("GET", target.path, headers=headers)
        response = connection.getresponse()
        if response.status in REDIRECT_STATUSES:
            location = response.getheader("Location", "")
            if not location:
                raise FetchError("protocol")
            return Response(target.url, response.status), location
        if response.status == 304:
            return Response(target.url, 304, etag=etag, not_modified=True), None
        if response.status != 200:
            raise FetchError("status", str(response.status))
        body = _read_body(response, sock, deadline)
        return Response(
            target.url,
            200,
            body=body,
            etag=_etag(response.getheader("ETag") or ""),
            content_type=response.getheader("Content-Type") or "",
        ), None
    except FetchError:
        raise
    except TimeoutError as exc:
        raise FetchError("timeout") from exc
    except (http.client.HTTPException, OSError, ValueError) as exc:
        if time.monotonic() >= deadline:
            raise FetchError("timeout") from exc
        raise FetchError("protocol") from exc
    finally:
        watchdog.cancel()
        if response is not None:
            response.close()
        connection.close()
        sock.close()


def _etag(value: str) -> str:
    """The ETag to send back next time: printable ASCII of a sensible length, else none."""
    value = value.strip()
    if len(value) > 200 or any(not 32 <= ord(ch) < 127 for ch in value):
        return ""
    return value


def _read_body(response, sock, deadline: float) -> bytes:
    """The body, refused as soon as it is known to be over ``FEDERATION_MAX_BYTES``."""
    limit = int(_config("FEDERATION_MAX_BYTES", 2 * 1024 * 1024))
    length = response.getheader("Content-Length")
    if length is not None and length.strip().isdigit() and int(length) > limit:
        raise FetchError("too_large")
    chunks, size = [], 0
    while True:
        sock.settimeout(_remaining(deadline))
        chunk = response.read1(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise FetchError("too_large")
        chunks.append(chunk)
    _remaining(deadline)  # a read ended by the deadline is not a whole body
    if response.length:  # the server closed before sending what it announced
        raise FetchError("protocol")
    return b"".join(chunks)


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
