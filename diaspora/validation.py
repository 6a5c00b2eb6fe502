"""Checks on values people type: control characters and line breaks, page numbers,
ORCID identifiers and web links."""

import re
from urllib.parse import urlsplit

ORCID_PATTERN = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
# Line and paragraph separators: CR, LF, VT, FF, FS, GS, RS, NEL, U+2028, U+2029.
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAKS = re.compile(f"[{LINE_BREAKS}]")
MAX_PAGE = 100_000
INT_MAX = 2**31 - 1  # the largest value of an INTEGER column (every id) on PostgreSQL


def strip_controls(value: str) -> str:
    """``value`` without control characters; tabs and line breaks stay."""
    return _CONTROLS.sub("", value)


def has_line_break(value: str) -> bool:
    return bool(_LINE_BREAKS.search(value))


def clean_line(value: str) -> str:
    """A single line: controls removed, line breaks and tabs turned into spaces. For values
    read outside forms (query strings) and for anything that becomes a mail header."""
    return _LINE_BREAKS.sub(" ", strip_controls(value)).replace("\t", " ")


def page_number(value) -> int:
    """The one rule for a page number read from a request: a whole number from 1 to
    :data:`MAX_PAGE`; missing, non-numeric or below 1 is the first page, above is the last
    allowed (lists then show their real last page, see ``diaspora.main.limits.paginate``)."""
    try:
        page = int(str(value).strip()) if value is not None else 1
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def orcid_checksum(base_digits: str) -> str:
    """The ISO 7064 11,2 check character of the first 15 digits of an ORCID iD."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalize_orcid(value: str) -> str:
    """Accept a bare iD or an https://orcid.org/ link; return the bare iD in upper case."""
    value = value.strip()
    for prefix in ("https://orcid.org/", "http://orcid.org/", "orcid.org/"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    return value.upper()


def is_valid_orcid(value: str) -> bool:
    """True for a well-formed ORCID iD whose check character is right."""
    value = normalize_orcid(value)
    if not ORCID_PATTERN.match(value):
        return False
    digits = value.replace("-", "")
    return orcid_checksum(digits[:15]) == digits[15]


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) link with a host; anything else (javascript:...) is refused."""
    value = value.strip()
    if not value or any(ch.isspace() or ord(ch) < 32 for ch in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def shown_host(url: str) -> str:
    """The host of ``url`` as people tell sites apart by it: with its port when that is not
    the scheme's default (``127.0.0.1:5061``, ``example.org``); "" when there is none."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return ""
    if not host:
        return ""
    host = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if port is None or port == default else f"{host}:{port}"
