"""Per-segment data and the evaluation of project queries over it.

Whoosh segments never change once written (only their deletion list grows), so everything
derived from one can be computed once and kept for as long as the segment exists, across
commits and searcher refreshes:

* facet values as document sets (``bits``), so counting a facet over every match is one
  ``&`` and one ``bit_count()`` per value;
* for each term: its document set and its BM25 "impact" per document, quantized to a byte
  (like Lucene's norms); the score of a document is the sum over the query terms of
  ``idf(term) * impact``, and the best documents of a segment are found with a handful of
  whole-array operations (see :meth:`SegmentView.top_scored`) instead of scoring every match
  in Python;
* publication and deadline columns and the document orders they define, for sorting.

Impacts use the segment's own average field length; idf comes from the whole index at query
time, so scores of different segments are comparable.

Reading posting blocks, column bytes and pickled positions uses Whoosh 2.7.5's internals
(``W3LeafMatcher._read_data`` / ``_next_block`` / ``_data``, column readers' ``_dbfile``...):
``tests/search/test_whoosh_contract.py`` pins each one. With
``storage.WHOOSH_INTERNALS = False`` (or another matcher or column class) every read takes the
public API instead, with the same results (``tests/search/test_public_api.py``).
"""

from __future__ import annotations

import math
import sys
import threading
import time
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from heapq import nlargest
from itertools import accumulate, compress, islice, repeat
from pickle import loads

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.columns import NumericColumn
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length, length_to_byte

from . import bits as B
from . import storage
from .query import positive_leaves
from .schemas import META_UID, NO_DEADLINE

K1 = 1.2
B_LENGTH = 0.75
PREFIX_IMPACT = 128
DENSE_DIVISOR = 16
SMALL_SET = 512
_INT_SIZE = 4


class TimeUp(Exception):
    """The query's time budget ran out."""


class UnknownQuery(TypeError):
    """A query node the engine does not evaluate: a programming error, never "no match"."""

    def __init__(self, node):
        super().__init__(f"the search engine cannot evaluate {type(node).__name__}: {node!r}")


class Budget:
    """A deadline checked between units of work."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.exhausted = False

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            self.exhausted = True
            raise TimeUp


class ByteCache:
    """A thread-safe LRU cache bounded by the approximate size of its values in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key, value, size: int) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def discard_segments(self, keep: set) -> None:
        """Forget every entry whose key's first element is not a segment in ``keep``."""
        with self._lock:
            for key in [key for key in self._items if key[0] not in keep]:
                self._bytes -= self._items.pop(key)[1]


def _raw_matcher(reader, fieldname: str, text: str):
    """Return the term's matcher without Whoosh's deletion filter (deletions are masked later)."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return None
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    return matcher


def posting_blocks(reader, fieldname: str, text: str, values: bool = False) -> Iterator[tuple]:
    """Yield ``(ids, weights, values)`` for each block of a term's postings in one segment.

    ``weights`` is a sequence or None (all 1.0); ``values`` is None unless requested.
    """
    matcher = _raw_matcher(reader, fieldname, text)
    if matcher is None:
        return
    if storage.WHOOSH_INTERNALS and isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            matcher._read_data()
            deltas, weights, raw_values = matcher._data
            ids = list(accumulate(deltas))
            if isinstance(weights, float):
                weights = [weights] * len(ids)
            yield ids, weights, (raw_values if values else None)
            matcher._next_block()
        return
    ids, weights, raw_values = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if values:
            raw_values.append(matcher.value())
        matcher.next()
    yield ids, weights, (raw_values if values else None)


_PICKLE_HEADER = b"\x80\x02"


def _position_deltas(values: list[bytes], fmt) -> list[list[int]]:
    """Decode Whoosh ``Positions`` posting values into position deltas, many at once.

    Each value is a count followed by a protocol-2 pickle of a list of ints, written by Whoosh
    into this index. Their bodies are joined into one pickle of a list of lists, which
    decodes in one call instead of one call per document. Without the internals, ``fmt`` (the
    field's format) decodes each value.
    """
    if not storage.WHOOSH_INTERNALS:
        decoded = [fmt.decode_positions(value) for value in values]
        return [
            [b - a for a, b in zip([0, *positions][:-1], positions, strict=True)]
            for positions in decoded
        ]
    bodies = []
    for value in values:
        body = value[_INT_SIZE:]
        if not body.startswith(_PICKLE_HEADER):
            return [loads(value[_INT_SIZE:].rstrip(b".") + b".") for value in values]  # noqa: S301
        bodies.append(body[2:-1] if body.endswith(b".") else body[2:])
    return loads(_PICKLE_HEADER + b"(" + b"".join(bodies) + b"l.")  # noqa: S301


def _numeric_column(reader, fieldname: str, typecode: str, default: int, n: int) -> array:
    """Return a numeric column of one segment as an array, reading its bytes at once."""
    column = reader.column_reader(fieldname, translate=False)
    if storage.WHOOSH_INTERNALS and isinstance(column, NumericColumn.Reader):
        raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
        values = array(typecode)
        values.frombytes(raw)
        if values.itemsize > 1 and sys.byteorder == "little":
            values.byteswap()
        values.extend(repeat(default, n - len(values)))
        return values
    return array(typecode, (column[docnum] for docnum in range(n)))


class _ImpactTable(dict):
    """``(term weight, length byte) -> impact``: BM25's saturated term frequency on 1..255."""

    def __init__(self, norms: list[float]):
        super().__init__()
        self.norms = norms

    def __missing__(self, key):
        weight, length_byte = key
        value = self[key] = 1 + min(254, int(254 * weight / (weight + self.norms[length_byte])))
        return value


class TermData:
    """A term in one segment: its document set, document frequency and quantized impacts."""

    __slots__ = ("bits", "df", "dense", "ids", "impacts")

    def __init__(self, bits: int, df: int, dense, ids, impacts):
        self.bits = bits
        self.df = df
        self.dense = dense
        self.ids = ids
        self.impacts = impacts

    def size(self) -> int:
        if self.dense is not None:
            return len(self.dense) + len(self.dense) // 8 + 64
        return 5 * self.df + (self.bits.bit_length() // 8) + 64

    def impact_bytes(self, n: int) -> bytes:
        """Return the impacts as one byte per document (0 where the term is absent)."""
        if self.dense is not None:
            return self.dense
        mask = bytearray(n)
        B.scatter_values(mask, self.ids, self.impacts)
        return bytes(mask)


class SegmentData:
    """What is known about one segment: columns, facets, and a cache of terms and phrases."""

    def __init__(self, segment_id: str, n: int, cache: ByteCache):
        self.segment_id = segment_id
        self.n = n
        self.cache = cache
        self._live: tuple[int, int] | None = None
        self._norms: dict[str, tuple[bytes, list[float]]] = {}
        self._columns: dict[str, array] = {}
        self._byte_orders: dict[str, tuple[list[bytes], array]] = {}
        self._orders: dict[str, tuple[array, array]] = {}
        self._facets: dict[str, dict[str, int]] = {}
        self._spelling: list[str] | None = None

    def live(self, reader) -> int:
        """Return the documents that are neither deleted nor the metadata document."""
        deleted_count = reader.doc_count_all() - reader.doc_count()
        cached = self._live
        if cached is not None and cached[0] == deleted_count:
            return cached[1]
        live = B.full(self.n)
        if deleted_count:
            live &= ~B.from_ids([sorted(reader.segment().deleted_docs())], self.n)
        for ids, _, _ in posting_blocks(reader, "uid", META_UID):
            live &= ~B.from_ids([ids], self.n)
        self._live = (deleted_count, live)
        return live

    def norms(self, reader, fieldname: str = "content") -> tuple[bytes, list[float]]:
        """Return the length byte of every document in a text field and BM25's length norm
        per length byte (the field's own average length: each field is scored apart)."""
        cached = self._norms.get(fieldname)
        if cached is None:
            lengths = _numeric_column_lengths(reader, fieldname, self.n)
            total = reader.field_length(fieldname)
            average = total / max(1, self.n - lengths.count(0)) or 1.0
            norms = [
                K1 * (1 - B_LENGTH + B_LENGTH * byte_to_length(byte) / average)
                for byte in range(256)
            ]
            cached = self._norms[fieldname] = (lengths, norms)
        return cached

    def column(self, reader, fieldname: str, typecode: str, default: int) -> array:
        values = self._columns.get(fieldname)
        if values is None:
            values = _numeric_column(reader, fieldname, typecode, default, self.n)
            self._columns[fieldname] = values
        return values

    def order(self, reader, fieldname: str, typecode: str, default: int, reverse: bool):
        """Return ``(docnums, keys)`` sorted by the column (stable: ties keep docnum order)."""
        key = (fieldname, reverse)
        cached = self._orders.get(key)
        if cached is None:
            values = self.column(reader, fieldname, typecode, default)
            docnums = array("I", sorted(range(self.n), key=values.__getitem__, reverse=reverse))
            keys = array(typecode, map(values.__getitem__, docnums))
            cached = self._orders[key] = (docnums, keys)
        return cached

    def byte_order(self, reader, fieldname: str) -> tuple[list[bytes], array]:
        """Return a bytes column's values and the docnums in their order (ties by docnum)."""
        cached = self._byte_orders.get(fieldname)
        if cached is None:
            column = reader.column_reader(fieldname)
            values = [column[docnum] or b"" for docnum in range(self.n)]
            docnums = array("I", sorted(range(self.n), key=values.__getitem__))
            cached = self._byte_orders[fieldname] = (values, docnums)
        return cached

    def facet(self, reader, fieldname: str) -> dict[str, int]:
        """Return ``value -> documents`` for every value of a facet field in this segment."""
        values = self._facets.get(fieldname)
        if values is None:
            values = {}
            for btext in reader.lexicon(fieldname):
                text = btext.decode("utf-8")
                chunks = [ids for ids, _, _ in posting_blocks(reader, fieldname, text)]
                values[text] = B.from_ids(chunks, self.n)
            self._facets[fieldname] = values
        return values

    def spelling_words(self, reader) -> list[str]:
        """Return the sorted spelling vocabulary of this segment."""
        if self._spelling is None:
            self._spelling = [btext.decode("utf-8") for btext in reader.lexicon("spell")]
        return self._spelling

    def value_bits(self, reader, fieldname: str, value: str) -> int:
        """Return the documents having ``value`` in a keyword field (cached)."""
        if fieldname in self._facets:
            return self._facets[fieldname].get(value, 0)
        key = (self.segment_id, "value", fieldname, value)
        cached = self.cache.get(key)
        if cached is None:
            chunks = [ids for ids, _, _ in posting_blocks(reader, fieldname, value)]
            cached = B.from_ids(chunks, self.n)
            self.cache.put(key, cached, self.n // 8 + 64)
        return cached

    def term(
        self, reader, text: str, budget: Budget | None = None, fieldname: str = "content"
    ) -> TermData:
        """Return the document set and impacts of a term of a text field (cached)."""
        key = (self.segment_id, "term", fieldname, text)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        if (fieldname, text) not in reader:
            data = TermData(0, 0, None, array("I"), b"")
            self.cache.put(key, data, data.size())
            return data
        lengths, norms = self.norms(reader, fieldname)
        impact = _ImpactTable(norms)
        all_ids: list[int] = []
        all_impacts = bytearray()
        for ids, weights, _ in posting_blocks(reader, fieldname, text):
            weights = repeat(1.0, len(ids)) if weights is None else weights
            pairs = zip(weights, map(lengths.__getitem__, ids), strict=True)
            all_impacts += bytes(map(impact.__getitem__, pairs))
            all_ids.extend(ids)
            if budget is not None and len(all_ids) % 8192 < len(ids):
                budget.check()
        df = len(all_ids)
        if df * DENSE_DIVISOR > self.n:
            mask = bytearray(self.n)
            B.scatter_values(mask, all_ids, all_impacts)
            dense = bytes(mask)
            data = TermData(B.pack(dense), df, dense, None, None)
        else:
            data = TermData(
                B.from_ids([all_ids], self.n), df, None, array("I", all_ids), bytes(all_impacts)
            )
        self.cache.put(key, data, data.size())
        return data

    def phrase(
        self, reader, words: tuple[str, ...], candidates: int, budget: Budget, fieldname: str
    ) -> int:
        """Return the documents of ``candidates`` where ``words`` appear consecutively."""
        key = (self.segment_id, "phrase", fieldname, words)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        mask = B.unpack(candidates, self.n)
        deltas: dict[str, dict[int, list[int]]] = {}
        for word in dict.fromkeys(words):
            found: dict[int, list[int]] = {}
            for ids, _, values in posting_blocks(reader, fieldname, word, values=True):
                chosen = list(compress(range(len(ids)), map(mask.__getitem__, ids)))
                if chosen:
                    decoded = _position_deltas(
                        [values[index] for index in chosen], reader.schema[fieldname].format
                    )
                    found.update(zip([ids[index] for index in chosen], decoded, strict=True))
                budget.check()
            deltas[word] = found
        first, rest = deltas[words[0]], [(deltas[w], i) for i, w in enumerate(words[1:], 1)]
        matched = []
        for count, docnum in enumerate(B.members(candidates, self.n)):
            if count % 4096 == 4095:
                budget.check()
            starts = set(accumulate(first[docnum]))
            for following, offset in rest:
                starts.intersection_update(p - offset for p in accumulate(following[docnum]))
                if not starts:
                    break
            if starts:
                matched.append(docnum)
        result = B.from_ids([matched], self.n)
        self.cache.put(key, result, self.n // 8 + 64)
        return result


def _numeric_column_lengths(reader, fieldname: str, n: int) -> bytes:
    """Return the stored length byte of ``fieldname`` for every document of a segment."""
    perdoc = getattr(reader, "_perdoc", None) if storage.WHOOSH_INTERNALS else None
    lenfield = _lenfield(fieldname)
    if perdoc is not None and perdoc.has_column(lenfield):
        column = perdoc.column_reader(lenfield, LENGTHS_COLUMN)
        if isinstance(column, NumericColumn.Reader):
            raw = column._dbfile.get(column._basepos, column._count)
            return bytes(raw) + bytes(n - len(raw))
    return bytes(length_to_byte(reader.doc_field_length(d, fieldname, 0) or 0) for d in range(n))


class QueryTerms:
    """The scoring terms of a query with their index-wide idf, and its prefix expansions.

    Terms are ``(field, text)``: each field is scored with its own lengths, and a document's
    score is the sum over the terms. Only terms of scored text fields count (a keyword or
    identifier field filters). Every prefix (of a ``content`` field, one per language, the only
    ones prefixes are searched in) is expanded once for the whole index by
    ``expand_prefix(field, prefix)``, so all segments agree; terms and prefixes under NOT are
    matched but do not score.
    """

    def __init__(self, searcher, query, expand_prefix=None):
        self.terms: dict[tuple[str, str], float] = {}
        self.expansions: dict[tuple[str, str], tuple[str, ...]] = {}
        self.prefixes: dict[tuple[str, str], float] = {}
        total = max(1, searcher.doc_count_all())
        schema = searcher.schema

        def idf(df: int) -> float:
            return max(0.1, math.log(total / (df + 1)) + 1)

        for leaf in _all_leaves(query):
            key = (leaf.fieldname, leaf.text) if isinstance(leaf, wq.Prefix) else None
            if key is not None and key not in self.expansions:
                if not leaf.fieldname.startswith("content") or expand_prefix is None:
                    raise UnknownQuery(leaf)
                self.expansions[key] = tuple(expand_prefix(leaf.fieldname, leaf.text))
        for leaf in positive_leaves(query):
            fieldname = leaf.fieldname
            if fieldname not in schema or not schema[fieldname].scorable:
                continue
            if isinstance(leaf, wq.Term):
                words = [leaf.text]
            elif isinstance(leaf, wq.Phrase):
                words = list(leaf.words)
            else:
                stems = self.expansions[fieldname, leaf.text]
                df = max((searcher.doc_frequency(fieldname, s) for s in stems), default=0)
                self.prefixes[fieldname, leaf.text] = idf(df)
                continue
            for word in words:
                self.terms[fieldname, word] = idf(searcher.doc_frequency(fieldname, word))

    def highlight_terms(self, fieldnames=None) -> set[str]:
        """The terms to mark in a result: of every field, or only of ``fieldnames`` (the
        fields of the result's language)."""
        words = {text for field, text in self.terms if fieldnames is None or field in fieldnames}
        for key in self.prefixes:
            if fieldnames is None or key[0] in fieldnames:
                words.update(self.expansions[key])
        return words


def _all_leaves(node):
    if isinstance(node, wq.Term | wq.Phrase | wq.Prefix):
        yield node
    elif not node.is_leaf():
        for child in node.children():
            yield from _all_leaves(child)
    elif not isinstance(node, wq.Every) and node is not wq.NullQuery:
        raise UnknownQuery(node)


class SegmentView:
    """One segment as seen by one query: its reader, its data, and its docnum offset."""

    def __init__(self, reader, data: SegmentData, offset: int):
        self.reader = reader
        self.data = data
        self.offset = offset
        self.n = data.n

    def live(self) -> int:
        return self.data.live(self.reader)

    def term_bits(self, text: str, budget: Budget, fieldname: str = "content") -> int:
        """The documents with a term: of a text field through its (cached) impacts, of a
        keyword or identifier field as a (cached) document set."""
        try:
            field = self.reader.schema[fieldname]
        except KeyError:
            return 0
        if field.scorable:
            return self.data.term(self.reader, text, budget, fieldname).bits
        return self.data.value_bits(self.reader, fieldname, text)

    def prefix_bits(
        self, stems: tuple[str, ...], budget: Budget, fieldname: str = "content"
    ) -> int:
        result = 0
        for stem in stems:
            result |= self.term_bits(stem, budget, fieldname)
        return result

    def evaluate(self, node, terms: QueryTerms, budget: Budget) -> int:
        """Return the documents matching a parsed query (deleted documents not removed)."""
        if isinstance(node, wq.Term):
            return self.term_bits(node.text, budget, node.fieldname)
        if isinstance(node, wq.Prefix):
            key = (node.fieldname, node.text)
            return self.prefix_bits(terms.expansions[key], budget, node.fieldname)
        if isinstance(node, wq.Phrase):
            candidates = B.full(self.n)
            for word in node.words:
                candidates &= self.term_bits(word, budget, node.fieldname)
            if not candidates or len(node.words) < 2:
                return candidates
            words = tuple(node.words)
            return self.data.phrase(self.reader, words, candidates, budget, node.fieldname)
        if isinstance(node, wq.Not):
            return B.full(self.n) & ~self.evaluate(node.query, terms, budget)
        if isinstance(node, wq.AndNot):
            return self.evaluate(node.a, terms, budget) & ~self.evaluate(node.b, terms, budget)
        if isinstance(node, wq.AndMaybe):
            return self.evaluate(node.a, terms, budget)
        if isinstance(node, wq.Require):
            return self.evaluate(node.a, terms, budget) & self.evaluate(node.b, terms, budget)
        if isinstance(node, wq.And):
            result = B.full(self.n)
            for child in node.subqueries:
                result &= self.evaluate(child, terms, budget)
                if not result:
                    break
            return result
        if isinstance(node, wq.Or):
            result = 0
            for child in node.subqueries:
                result |= self.evaluate(child, terms, budget)
            return result
        if isinstance(node, wq.Every):
            return B.full(self.n)
        if node is wq.NullQuery:
            return 0
        raise UnknownQuery(node)

    def facet_counts(self, fieldname: str, base: int) -> dict[str, int]:
        counts = {}
        for value, value_bits in self.data.facet(self.reader, fieldname).items():
            count = (base & value_bits).bit_count()
            if count:
                counts[value] = count
        return counts

    def _scoring_arrays(self, terms: QueryTerms, budget: Budget) -> list[tuple[float, bytes]]:
        arrays = []
        for (fieldname, text), idf in terms.terms.items():
            data = self.data.term(self.reader, text, budget, fieldname)
            if data.df:
                arrays.append((idf, data.impact_bytes(self.n)))
        for (fieldname, prefix), idf in terms.prefixes.items():
            matched = self.prefix_bits(terms.expansions[fieldname, prefix], budget, fieldname)
            if matched:
                arrays.append((idf, B.unpack(matched, self.n, PREFIX_IMPACT)))
        return arrays

    def top_scored(
        self, matches: int, terms: QueryTerms, k: int, budget: Budget, newest: bool = True
    ) -> list:
        """Return up to ``k`` ``(score, tie, docnum)`` of the best matches, best first.

        Equal scores go to the newest (``tie`` is the publication time) or, without
        ``newest``, to the first indexed (``tie`` is ``-docnum``).

        The quantized score of every document is computed at once: each term's impact bytes
        go through a translation table scaling them by the term's share of the query's idf,
        and the tables are chosen so that their sum fits a byte, which makes adding the
        arrays as big integers carry-free. Counting bytes per level then gives the threshold
        above which the ``k`` best lie; only those candidates are scored exactly.
        """
        if not matches or k <= 0:
            return []
        arrays = self._scoring_arrays(terms, budget)
        if not arrays:
            if not newest:
                return [(0.0, -d, d) for d in islice(B.members(matches, self.n), k)]
            latest = self.top_sorted(matches, k, "published", True)
            return [(0.0, -key, docnum) for key, docnum in latest]
        if newest:
            tie = self.data.column(self.reader, "published", "q", 0).__getitem__
        else:
            tie = int.__neg__
        if matches.bit_count() <= SMALL_SET:
            candidates = list(B.members(matches, self.n))
        else:
            candidates = self._candidates(matches, arrays, k)
        scored = [
            (sum(idf * impacts[docnum] for idf, impacts in arrays), tie(docnum), docnum)
            for docnum in candidates
        ]
        return nlargest(k, scored)

    def _candidates(self, matches: int, arrays: list[tuple[float, bytes]], k: int) -> list[int]:
        total_idf = sum(idf for idf, _ in arrays)
        summed = 0
        for idf, impacts in arrays:
            share = idf / total_idf * 254 / 255
            table = bytes(int(value * share) for value in range(256))
            summed += int.from_bytes(impacts.translate(table), "little")
        summed &= int.from_bytes(B.unpack(matches, self.n, 255), "little")
        summed += int.from_bytes(B.unpack(matches, self.n, 1), "little")
        levels = summed.to_bytes(self.n, "little")
        low = max(1, _threshold(levels, k) - len(arrays) + 1)
        return list(compress(range(self.n), levels.translate(_SELECT_TABLES[low])))

    def top_sorted(self, matches: int, k: int, fieldname: str, reverse: bool) -> list:
        """Return up to ``k`` ``(key, docnum)`` of the matches in column order (key ascending)."""
        if not matches or k <= 0:
            return []
        typecode, default = ("q", 0) if fieldname == "published" else ("i", NO_DEADLINE)
        sign = -1 if reverse else 1
        if matches.bit_count() <= SMALL_SET * 4:
            values = self.data.column(self.reader, fieldname, typecode, default)
            docnums = B.members(matches, self.n)
            return sorted((sign * values[d], d) for d in docnums)[:k]
        docnums, keys = self.data.order(self.reader, fieldname, typecode, default, reverse)
        mask = B.unpack(matches, self.n)
        chosen = islice(compress(range(len(docnums)), map(mask.__getitem__, docnums)), k)
        return [(sign * keys[i], docnums[i]) for i in chosen]

    def top_by_bytes(self, matches: int, k: int, fieldname: str) -> list:
        """Return up to ``k`` ``(key, docnum)`` of the matches in a bytes column's order."""
        if not matches or k <= 0:
            return []
        values, docnums = self.data.byte_order(self.reader, fieldname)
        if matches.bit_count() <= SMALL_SET * 4:
            return sorted((values[d], d) for d in B.members(matches, self.n))[:k]
        mask = B.unpack(matches, self.n)
        chosen = islice(compress(docnums, map(mask.__getitem__, docnums)), k)
        return [(values[d], d) for d in chosen]

    def deadline_bits(self, first_day: int, last_day: int) -> int:
        """Return the documents whose deadline falls between the two day numbers."""
        key = (self.data.segment_id, "deadline", first_day, last_day)
        cached = self.data.cache.get(key)
        if cached is None:
            docnums, keys = self.data.order(self.reader, "deadline", "i", NO_DEADLINE, False)
            start, end = bisect_left(keys, first_day), bisect_right(keys, last_day)
            cached = B.from_ids([docnums[start:end]], self.n)
            self.data.cache.put(key, cached, self.n // 8 + 64)
        return cached


_SELECT_TABLES = [bytes(1 if value >= low else 0 for value in range(256)) for low in range(256)]


def _threshold(levels: bytes, k: int) -> int:
    """Return the highest byte value ``t`` such that at least ``k`` bytes are ``>= t``."""
    coarse = levels.translate(_COARSE)
    seen = 0
    for high in range(15, -1, -1):
        count = coarse.count(high)
        if seen + count >= k:
            for value in range(high * 16 + 15, high * 16 - 1, -1):
                seen += levels.count(value)
                if seen >= k:
                    return max(1, value)
            return max(1, high * 16)
        seen += count
    return 1


_COARSE = bytes(value >> 4 for value in range(256))
