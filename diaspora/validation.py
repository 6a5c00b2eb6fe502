"""Checks on values people type: ORCID identifiers and web links."""

import re
from urllib.parse import urlsplit

ORCID_PATTERN = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


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
