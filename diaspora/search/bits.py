"""Document sets as Python integers, with conversions that run at C speed.

A set of document numbers ``0 <= d < n`` is an ``int`` whose bit ``d`` is set. Intersections,
unions and counts (``a & b``, ``a | b``, ``x.bit_count()``) then cost a few microseconds for a
100,000-document segment, which is what makes facet counts over every match affordable.

The other form is a "byte mask": ``bytes`` of length ``n`` with one byte per document. Byte masks
are built with ``bytearray`` scatters and ``bytes.translate``, and turned into document numbers
with ``itertools.compress``; none of these loop in Python per document.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from itertools import compress, repeat

_PACK = [bytes(1 << shift if value else 0 for value in range(256)) for shift in range(8)]
_UNPACK = [bytes((value >> shift) & 1 for value in range(256)) for shift in range(8)]


def _padded(n: int) -> int:
    return (n + 7) & ~7


def full(n: int) -> int:
    """Return the set of all documents ``0 .. n-1``."""
    return (1 << n) - 1


def scatter(mask: bytearray, ids: Iterable[int], value: int = 1) -> None:
    """Set ``mask[d] = value`` for every ``d`` in ``ids``, looping in C."""
    deque(map(mask.__setitem__, ids, repeat(value)), maxlen=0)


def scatter_values(mask: bytearray, ids: Iterable[int], values: Iterable[int]) -> None:
    """Set ``mask[d] = v`` for each pair of ``ids`` and ``values``, looping in C."""
    deque(map(mask.__setitem__, ids, values), maxlen=0)


def pack(mask: bytes | bytearray) -> int:
    """Return the document set of a byte mask (any non-zero byte is a member)."""
    n = _padded(len(mask))
    if len(mask) != n:
        mask = bytes(mask) + bytes(n - len(mask))
    result = 0
    for shift in range(8):
        result |= int.from_bytes(mask[shift::8].translate(_PACK[shift]), "little")
    return result


def from_ids(ids: Iterable[Iterable[int]], n: int) -> int:
    """Return the document set of the document numbers in ``ids`` (a sequence of chunks)."""
    mask = bytearray(_padded(n))
    for chunk in ids:
        scatter(mask, chunk)
    return pack(mask)


def unpack(bits: int, n: int, value: int = 1) -> bytes:
    """Return the byte mask of ``bits``: ``value`` for members, 0 for the others."""
    size = _padded(n)
    packed = bits.to_bytes(size // 8, "little")
    mask = bytearray(size)
    for shift in range(8):
        mask[shift::8] = packed.translate(_UNPACK[shift])
    if value != 1:
        mask = mask.translate(bytes([0]) + bytes([value]) * 255)
    return bytes(mask[:n])


def members(bits: int, n: int) -> Iterator[int]:
    """Yield the document numbers in ``bits``, in increasing order."""
    if not bits:
        return iter(())
    return compress(range(n), unpack(bits, n))
