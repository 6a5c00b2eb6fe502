"""The Whoosh internals the search engine reads, pinned one test each.

The engine (``diaspora.search``) reads private attributes and methods of Whoosh, subclasses
Whoosh classes and overrides their private methods, and decodes data Whoosh writes. None of that
is Whoosh's public API: a Whoosh upgrade that changes one of them fails here, by name, instead of
giving wrong search results elsewhere. ``whoosh-reloaded`` is pinned to the exact version these
tests were written against (see ``test_the_installed_whoosh_is_the_pinned_version``).

Inventory, grouped by our module ("undocumented" marks public names whose behaviour the engine
relies on beyond what Whoosh documents):

segments.py
    * ``W3LeafMatcher._read_data()`` and ``._data``: the block's ``(id deltas, weights, values)``
      triple; weights ``None`` (all 1.0), one ``float`` (all equal) or a sequence; values a
      tuple of bytes for ``Positions``, ``None`` for ID/KEYWORD fields.
    * ``W3LeafMatcher._next_block()`` with ``is_active()``: walks the blocks
      (``W3Codec._blocklimit`` = 128 postings each) and ends after the last.
    * ``W3Codec._inlinelimit`` = 1: no posting list is inlined, so every term of a segment is a
      ``W3LeafMatcher`` (the fast path) and never a ``ListMatcher``.
    * ``FilterMatcher.child`` (undocumented): ``SegmentReader.postings`` wraps the matcher in a
      ``FilterMatcher`` when the segment has deletions; the child still holds every live posting.
    * ``NumericColumn.Reader._dbfile``, ``._basepos``, ``._count``, ``._fixedlen``: the
      column's raw bytes are ``_count`` big-endian ``"!" + typecode`` values from ``_basepos``;
      trailing default values are not written.
    * ``SegmentReader._perdoc``, ``whoosh.codec.whoosh3._lenfield`` and ``LENGTHS_COLUMN``: the
      per-document reader holds a ``_<field>_len`` column of one length byte per document.
    * ``whoosh.util.numeric.byte_to_length`` / ``length_to_byte`` (undocumented): the length byte
      encoding, 256 values, ``byte_to_length(length_to_byte(n)) >= n``.
    * ``Positions`` posting values (format): a 4-byte (``whoosh.system._INT_SIZE``) count, then
      a protocol-2 pickle (``\\x80\\x02``, list of position deltas, ``.`` STOP); their bodies
      join into one pickle of a list of lists.
    * ``IndexReader.lexicon`` / ``expand_prefix`` / ``most_frequent_terms`` yield ``bytes``
      (undocumented type).

storage.py
    * ``W3Codec._blocklimit``, ``._compression``, ``._inlinelimit`` (read by ``Codec``), and the
      codec methods it overrides: ``per_document_reader``, ``postings_writer``.
    * ``W3PostingsWriter.add_posting`` replaced; it touches ``._ids`` (``array("I")``),
      ``._weights`` (``array("f")``), ``._values`` (list), ``._maxweight``, ``._minlength``,
      ``._maxlength``, ``._blocklimit`` and calls ``._write_block()``.
    * ``W3PerDocReader._cached_reader`` overridden; ``._readers``, ``._doccount`` read;
      ``doc_field_length`` replaced (Whoosh's returns None, not ``default``, for a zero byte).
    * ``FileIndex._segments()``; file names: ``TOC._filename`` = ``_<index>_<generation>.toc``,
      every segment file starts with ``<segment_id>.``.
    * Pickled TOC (format): the writer's codec is pickled with each segment and used to read it
      (``segment.codec()``), the schema with our analyzer and format classes by import path.
    * ``FileIndex.reader`` retries ``OSError`` (undocumented), so ``FilesReplaced`` must not be
      one; every file is opened through ``Storage.open_file`` / ``file_length``.
    * ``GroupingPool`` subclasses ``PostingPool``: ``SegmentWriter.pool`` (a ``PostingPool``
      made in ``__init__``) can be replaced before the first document; the pool's
      ``tempstore``, ``segment``, ``limit``, ``current``, ``runs``, ``fieldnames``; its
      ``_new_run``, ``_write_run``, ``_add_run``, ``save`` and ``items``, which the writer
      reaches through ``iter_postings`` and the multiprocessing writer through ``save`` /
      ``reduce_to`` / ``runs``.

engine.py
    * ``MpWriter._new_task`` overridden; ``MpWriter`` attributes ``storage``, ``indexname``,
      ``jobqueue``, ``resultqueue``, ``subargs``, ``multisegment``, ``tasks``; the positional
      signature of ``SubWriterTask.__init__``; ``SubWriterTask.run``; ``SubWriterTask.writer``
      and ``_process_file(filename, doc_count)``, called for each job before its documents.
    * ``SegmentWriter.cancel`` called on an ``MpWriter`` (undocumented): releases the lock.
    * ``SegmentWriter.segments``, ``.storage``, ``.schema`` and the merge-policy protocol
      ``mergetype(writer, segments) -> kept segments`` (undocumented); ``add_reader`` leaves out
      deleted documents; ``(field, text) in SegmentReader`` holds for deleted documents' terms.
    * ``whoosh.codec.base.Automata.levenshtein_dfa`` / ``find_matches`` (undocumented), with a
      cursor that has only ``text()`` and ``find()``.
    * ``column_reader`` of a ``VarBytesColumn`` gives ``b""`` for a document without a value
      (undocumented): browsing members by name reads it.

schemas.py / analysis.py
    * ``TEXT(phrase=True).format`` is a ``Positions``; replacing ``field.format`` after the
      field is built is honoured by ``field.index`` (undocumented); ``Positions.word_values``
      yields ``(text, frequency, weight, value)`` and ``Positions.encode`` /
      ``decode_positions`` are the value codec ``WeightedPositions`` reproduces.

query.py
    * ``QueryParser.term_query(fieldname, text, termclass)`` (positional, undocumented) and
      ``termclass``; query nodes rebuilt as ``type(node)(a, b)`` / ``type(node)(subqueries)``;
      ``NullQuery`` is a singleton that ``normalize()`` returns.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import os
import pickle
import shutil
import struct
from array import array
from datetime import timedelta
from io import BytesIO
from itertools import accumulate
from operator import sub

import pytest
import whoosh
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.codec.base import Automata
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3LeafMatcher,
    W3PerDocReader,
    W3PostingsWriter,
    W3TermInfo,
    _lenfield,
)
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.externalsort import SortingPool
from whoosh.fields import COLUMN, ID, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.formats import Existence, Positions
from whoosh.index import TOC
from whoosh.matching.wrappers import FilterMatcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.qparser import QueryParser
from whoosh.reading import SegmentReader
from whoosh.system import _INT_SIZE, pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import PostingPool, SegmentWriter

from diaspora.search import ProjectIndex
from diaspora.search import segments as segments_module
from diaspora.search.analysis import (
    FoldingAnalyzer,
    WeightedPositions,
    text_analyzer,
    weighted_text,
)
from diaspora.search.engine import (
    _MpWriter,
    _purging,
    _segments_holding,
    _SubWriterTask,
    _WordCursor,
)
from diaspora.search.query import parser_for
from diaspora.search.schemas import (
    NO_DEADLINE,
    day_number,
    project_document,
    project_schema,
)
from diaspora.search.segments import (
    _numeric_column,
    _numeric_column_lengths,
    _position_deltas,
    posting_blocks,
)
from diaspora.search.storage import (
    INDEX_NAME,
    Codec,
    FilesReplaced,
    GroupingPool,
    Storage,
    _PerDocReader,
    _PostingsWriter,
    segment_files,
)

from .factories import TODAY, project

WHOOSH_VERSION = "2.7.5"
DOCS = 300  # projects 1..300 are docnums 0..299; the metadata document is docnum 300
BLOCK = 128


def contract_project(pid: int) -> dict:
    """A project whose terms have known weights: "alpha" 4.0 everywhere, "beta" 1, 2 or 3."""
    return project(
        pid,
        title="Alpha",
        summary="",
        description="beta " * (1 + pid % 3) + ("gamma" if pid == 7 else ""),
        skills=[],
        institution="",
        country_name="",
        region="",
        sector_name="",
        country="KE" if pid % 2 else "GH",
        deadline=TODAY + timedelta(days=pid) if pid % 4 == 0 and pid < 250 else None,
    )


def content_length(pid: int) -> int:
    """The number of indexed tokens of a contract project's ``content`` field."""
    terms = text_analyzer().term_positions(project_document(contract_project(pid))["content"])
    return sum(len(positions) for _, positions in terms.values())


def public_postings(matcher) -> list[tuple[int, float, bytes]]:
    """A matcher's postings through Whoosh's public API."""
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return found


def deltas_of(positions: list[int]) -> list[int]:
    """Position deltas, as Whoosh's ``Positions`` pickles them."""
    return [positions[0], *map(sub, positions[1:], positions[:-1])]


def code_names(function) -> set[str]:
    return set(function.__code__.co_names)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One segment of ``DOCS`` contract projects written by the engine, and its reader."""
    index = ProjectIndex(tmp_path_factory.mktemp("contract") / "projects", procs=1)
    index.rebuild([contract_project(pid) for pid in range(1, DOCS + 1)])
    snap = index._fresh_snapshot()
    assert len(snap.views) == 1
    yield snap, snap.views[0].reader
    index.close()


@pytest.fixture
def reader(built):
    return built[1]


def plain_index(path):
    """An empty Whoosh index of the project schema in ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(path), project_schema(), INDEX_NAME)


def add_projects(ix, pids) -> None:
    writer = ix.writer(compound=False, codec=Codec())
    for pid in pids:
        writer.add_document(**project_document(contract_project(pid)))
    writer.commit(merge=False)


# The version


def test_the_installed_whoosh_is_the_pinned_version():
    assert importlib.metadata.version("whoosh-reloaded") == WHOOSH_VERSION
    assert whoosh.versionstring() == WHOOSH_VERSION


# segments.py: posting blocks


@pytest.mark.parametrize(
    ("fieldname", "text", "weights", "has_values"),
    [
        ("content", "alpha", "float", True),
        ("content", "beta", "sequence", True),
        ("country", "KE", "none", False),
    ],
)
def test_leaf_matcher_read_data_gives_the_block_triple(
    reader, fieldname, text, weights, has_values
):
    matcher = reader.postings(fieldname, text)
    assert type(matcher) is W3LeafMatcher
    first_block = []
    probe = reader.postings(fieldname, text)
    while True:
        first_block.append((probe.id(), probe.weight(), probe.value()))
        if probe.next():  # True when the matcher moved to the next block
            break

    assert matcher._read_data() is None
    data = matcher._data
    assert isinstance(data, tuple) and len(data) == 3
    deltas, block_weights, values = data
    assert all(isinstance(delta, int) for delta in deltas)
    ids = list(accumulate(deltas))
    assert ids == [docnum for docnum, _, _ in first_block]
    expected_weights = [weight for _, weight, _ in first_block]
    if weights == "none":
        assert block_weights is None
        assert set(expected_weights) == {1.0}
    elif weights == "float":
        assert isinstance(block_weights, float)
        assert expected_weights == [block_weights] * len(ids) == [4.0] * len(ids)
    else:
        assert len(block_weights) == len(ids)
        assert list(block_weights) == expected_weights
        assert len(set(block_weights)) > 1
    if has_values:
        assert isinstance(values, tuple)
        assert list(values) == [value for _, _, value in first_block]
        assert all(isinstance(value, bytes) for value in values)
    else:
        assert values is None


def test_next_block_walks_blocks_of_the_block_limit_and_ends(reader):
    assert Codec()._blocklimit == BLOCK
    matcher = reader.postings("content", "alpha")
    sizes, ids = [], []
    while matcher.is_active():
        matcher._read_data()
        block = list(accumulate(matcher._data[0]))
        sizes.append(len(block))
        ids.extend(block)
        assert matcher._next_block() is None
    assert sizes == [BLOCK, BLOCK, DOCS - 2 * BLOCK]
    assert ids == list(range(DOCS))
    assert not matcher.is_active()

    expected = public_postings(reader.postings("content", "beta"))
    fast = [
        (docnum, weight, value)
        for block_ids, weights, values in posting_blocks(reader, "content", "beta", values=True)
        for docnum, weight, value in zip(block_ids, weights, values, strict=True)
    ]
    assert fast == expected


@pytest.mark.parametrize(("fieldname", "text"), [("uid", "7"), ("content", "gamma")])
def test_no_posting_list_is_inlined_so_every_term_takes_the_fast_path(reader, fieldname, text):
    assert W3Codec()._inlinelimit == 1
    assert Codec()._inlinelimit == 1
    matcher = reader.postings(fieldname, text)
    assert type(matcher) is W3LeafMatcher
    assert [docnum for docnum, _, _ in public_postings(matcher)] == [6]
    assert [ids for ids, _, _ in posting_blocks(reader, fieldname, text)] == [[6]]


def test_postings_with_deletions_wrap_a_child_holding_every_live_posting(tmp_path):
    index = ProjectIndex(tmp_path / "projects", procs=1)
    index.rebuild([contract_project(pid) for pid in range(1, DOCS + 1)])
    deleted = set(range(1, 131)) | {200, 201}  # docnums 0..129, 199, 200
    index.update(deletes=deleted)
    try:
        snap = index._fresh_snapshot()
        view = snap.views[0]
        reader = view.reader
        assert reader.doc_count_all() - reader.doc_count() == len(deleted)
        wrapped = reader.postings("content", "alpha")
        assert type(wrapped) is FilterMatcher
        assert type(wrapped.child) is W3LeafMatcher
        live = {docnum for docnum, _, _ in public_postings(wrapped)}
        assert live == set(range(DOCS)) - {pid - 1 for pid in deleted}
        yielded = [d for ids, _, _ in posting_blocks(reader, "content", "alpha") for d in ids]
        assert live <= set(yielded) <= set(range(DOCS))
        assert yielded == sorted(yielded)
        # The deleted documents the child still yields are masked by the segment's live set.
        members = view.live()
        assert {d for d in yielded if members >> d & 1} == live
    finally:
        index.close()


# segments.py: the pickled positions


POSITION_LISTS = [
    [0],
    [5],
    [46],  # pickles as K. : a "." byte that is not the STOP opcode
    [1000],
    [1, 2, 3],
    [0, 1000, 2000],
    [3, 70_000],
    list(range(0, 7500, 3)),  # over 1000 items: pickle splits the appends
]


@pytest.mark.parametrize("positions", POSITION_LISTS, ids=lambda p: f"{len(p)}@{p[-1]}")
def test_positions_values_are_a_count_and_a_protocol_2_pickle_of_deltas(positions):
    deltas = deltas_of(positions)
    value = Positions().encode(positions)
    assert _INT_SIZE == segments_module._INT_SIZE == 4
    assert value == pack_uint(len(positions)) + pickle.dumps(deltas, 2)
    assert struct.unpack("!I", value[:_INT_SIZE]) == (len(positions),)
    body = value[_INT_SIZE:]
    assert body.startswith(segments_module._PICKLE_HEADER) and body.endswith(b".")
    assert WeightedPositions().encode(positions) == value
    assert Positions().decode_positions(value) == positions
    assert Positions().decode_positions(value[:-1]) == positions  # STOP may be left out
    assert _position_deltas([value], Positions()) == [deltas]


def test_many_positions_values_decode_as_one_joined_pickle():
    values = [Positions().encode(p) for p in POSITION_LISTS]
    expected = [deltas_of(positions) for positions in POSITION_LISTS]
    assert _position_deltas(values, Positions()) == expected
    without_stop = [value[:-1] for value in values]
    assert _position_deltas(without_stop, Positions()) == expected


def test_indexed_positions_decode_with_whooshs_decoder_to_the_analyzed_positions(reader):
    fmt = reader.schema["content"].format
    assert isinstance(fmt, WeightedPositions)
    postings = public_postings(reader.postings("content", "beta"))
    values = [value for _, _, value in postings]
    expected = []
    for docnum, _, value in postings:
        content = project_document(contract_project(docnum + 1))["content"]
        positions = text_analyzer().term_positions(content)["beta"][1]
        assert fmt.decode_positions(value) == positions
        expected.append(deltas_of(positions))
    assert _position_deltas(values, fmt) == expected


# segments.py: columns and lengths


@pytest.mark.parametrize(
    ("fieldname", "typecode", "default"), [("published", "q", 0), ("deadline", "i", NO_DEADLINE)]
)
def test_numeric_column_raw_bytes_are_big_endian_values(reader, fieldname, typecode, default):
    n = reader.doc_count_all()
    column_type = reader.schema[fieldname].column_type
    assert isinstance(column_type, NumericColumn)
    assert column_type.default_value() == default
    column = reader.column_reader(fieldname, translate=False)
    assert type(column) is NumericColumn.Reader
    assert column._fixedlen == struct.calcsize(typecode) == array(typecode).itemsize
    assert 0 < column._count < n  # the trailing defaults are not written
    raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
    assert raw == b"".join(struct.pack("!" + typecode, column[d]) for d in range(column._count))
    assert all(column[d] == default for d in range(column._count, n))
    values = _numeric_column(reader, fieldname, typecode, default, n)
    assert values.tolist() == [column[d] for d in range(n)]
    if fieldname == "deadline":
        assert values[3] == day_number(TODAY + timedelta(days=4))
        assert values[0] == NO_DEADLINE


def test_length_column_holds_one_length_byte_per_document(reader):
    n = reader.doc_count_all()
    lenfield = _lenfield("content")
    assert lenfield == "_content_len"
    assert isinstance(LENGTHS_COLUMN, NumericColumn) and LENGTHS_COLUMN.default_value() == 0
    perdoc = reader._perdoc
    assert isinstance(perdoc, W3PerDocReader)
    assert perdoc.has_column(lenfield)
    column = perdoc.column_reader(lenfield, LENGTHS_COLUMN)
    assert type(column) is NumericColumn.Reader
    assert column._fixedlen == 1
    assert column._count == DOCS  # the metadata document has no length byte
    raw = column._dbfile.get(column._basepos, column._count)
    for docnum in range(DOCS):
        assert raw[docnum] == length_to_byte(content_length(docnum + 1))
        assert reader.doc_field_length(docnum, "content") == byte_to_length(raw[docnum])
    assert _numeric_column_lengths(reader, "content", n) == raw + bytes(n - DOCS)


@pytest.mark.parametrize("length", [1, 2, 7, 9, 10, 50, 1000, 106_373, 106_374, 10**7])
def test_length_bytes_round_up_within_256_values(length):
    byte = length_to_byte(length)
    assert 0 < byte <= 255
    assert byte_to_length(byte) >= min(length, byte_to_length(255))  # saturates at 255
    assert byte == 255 or byte_to_length(byte - 1) < length
    if length <= 9:
        assert byte_to_length(byte) == length


def test_length_byte_table_has_256_increasing_entries():
    table = [byte_to_length(byte) for byte in range(256)]
    assert table[0] == 0 and length_to_byte(0) == 0
    assert table == sorted(set(table))
    assert [length_to_byte(length) for length in table] == list(range(256))
    with pytest.raises(IndexError):
        byte_to_length(256)


def test_lexicon_prefixes_and_frequent_terms_are_bytes(reader):
    assert list(reader.lexicon("country")) == [b"GH", b"KE"]
    assert list(reader.expand_prefix("content", "alp")) == [b"alpha"]
    top = reader.most_frequent_terms("content", 2)
    assert [text for _, text in top] == [b"alpha", b"beta"]
    assert all(isinstance(weight, float) for weight, _ in top)


# storage.py: the codec


def test_codec_reads_the_w3_codec_settings_and_overrides_its_methods():
    stock, ours = W3Codec(), Codec()
    settings = ("_blocklimit", "_compression", "_inlinelimit")
    assert [getattr(stock, name) for name in settings] == [BLOCK, 3, 1]
    assert [getattr(ours, name) for name in settings] == [BLOCK, 3, 1]
    for name, stock_class, our_class in [
        ("per_document_reader", "W3PerDocReader", "_PerDocReader"),
        ("postings_writer", "W3PostingsWriter", "_PostingsWriter"),
    ]:
        assert inspect.signature(getattr(Codec, name)) == inspect.signature(getattr(W3Codec, name))
        # Whoosh's method passes nothing that ours leaves out.
        stock_names = code_names(getattr(W3Codec, name)) - {stock_class}
        assert stock_names == code_names(getattr(Codec, name)) - {our_class}
    writers = [codec.postings_writer(StructFile(BytesIO())) for codec in (stock, ours)]
    assert type(writers[1]) is _PostingsWriter
    for writer in writers:
        assert (writer._blocklimit, writer._compression, writer._inlinelimit) == (BLOCK, 3, 1)
        assert writer._byteids is False


def written_postings(writer_class, fmt, postings) -> tuple[bytes, bytes]:
    postfile = StructFile(BytesIO())
    writer = writer_class(postfile, blocklimit=BLOCK, compression=3, inlinelimit=1)
    writer.start_postings(fmt, W3TermInfo())
    assert isinstance(writer._ids, array) and writer._ids.typecode == "I"
    assert isinstance(writer._weights, array) and writer._weights.typecode == "f"
    assert writer._values == []
    assert (writer._maxweight, writer._minlength, writer._maxlength) == (0, None, 0)
    for posting in postings:
        writer.add_posting(*posting)
    terminfo = writer.finish_postings()
    return postfile.file.getvalue(), terminfo.to_bytes()


@pytest.mark.parametrize(
    ("fmt", "postings"),
    [
        (
            Positions(),
            [
                (2 * i, float(1 + i % 3), Positions().encode([i, i + 5]), 10 + i % 7)
                for i in range(300)
            ],
        ),
        (Existence(), [(i, 1.0, b"", None) for i in range(0, 900, 3)]),
    ],
    ids=["positions", "existence"],
)
def test_postings_writer_override_writes_what_whoosh_writes(fmt, postings):
    assert callable(W3PostingsWriter._write_block)
    stock = written_postings(W3PostingsWriter, fmt, postings)
    assert written_postings(_PostingsWriter, fmt, postings) == stock
    assert len(stock[0]) > 0
    # Whoosh's add_posting does nothing more than ours but its type assertions.
    assertions = {"_byteids", "bytes_type", "float", "int", "integer_types", "isinstance"}
    extra = code_names(W3PostingsWriter.add_posting) - code_names(_PostingsWriter.add_posting)
    assert extra == assertions | {"string_type"}


def test_per_document_reader_override_agrees_with_whooshs(built, reader):
    snap, _ = built
    ours = reader._perdoc
    assert type(ours) is _PerDocReader
    stock = W3PerDocReader(snap.ix.storage, reader.segment())
    try:
        for perdoc in (ours, stock):
            assert isinstance(perdoc._readers, dict)
            assert perdoc._doccount == reader.doc_count_all()
        lenfield = _lenfield("content")
        assert type(ours._cached_reader(lenfield, LENGTHS_COLUMN)) is type(
            stock._cached_reader(lenfield, LENGTHS_COLUMN)
        )
        assert ours._cached_reader("_absent_len", LENGTHS_COLUMN) is None
        assert stock._cached_reader("_absent_len", LENGTHS_COLUMN) is None
        assert "_absent_len" in ours._readers  # remembered: no second stat
        assert code_names(W3PerDocReader._cached_reader) <= code_names(_PerDocReader._cached_reader)
        for docnum in range(reader.doc_count_all()):
            expected = stock.doc_field_length(docnum, "content", 0)
            # Whoosh returns None, not the default, for a document with a zero length byte.
            assert ours.doc_field_length(docnum, "content", 0) == (expected or 0)
        assert ours.doc_field_length(0, "spell", 7) == stock.doc_field_length(0, "spell", 7) == 7
        # Whoosh's own methods that call _cached_reader still work on ours.
        assert ours.min_field_length("content") == stock.min_field_length("content")
        assert ours.max_field_length("content") == stock.max_field_length("content") > 0
    finally:
        stock.close()


# storage.py: files, the TOC and opening


def test_segments_and_file_names_of_a_commit(built):
    snap, reader = built
    ix = snap.ix
    segments = ix._segments()
    assert [segment.segment_id() for segment in segments] == [reader.segment().segment_id()]
    generation = ix.latest_generation()
    toc = TOC._filename(INDEX_NAME, generation)
    assert toc == f"_{INDEX_NAME}_{generation}.toc"
    names = set(os.listdir(snap.path))
    assert toc in names
    prefix = segments[0].segment_id() + "."
    assert {name for name in names if name.startswith(prefix)} >= {
        prefix + "trm",
        prefix + "pst",
        prefix + "_content_len.col",
    }
    others = {name for name in names if not name.endswith("WRITELOCK")} - {"manifest.json"}
    assert set(segment_files(snap.path, ix)) == others


def test_the_toc_pickles_our_codec_and_schema_classes(built):
    snap, _ = built
    ix = FileStorage(str(snap.path)).open_index(INDEX_NAME)
    try:
        (segment,) = ix._segments()
        assert type(segment.codec()) is Codec
        reader = SegmentReader(ix.storage, ix.schema, segment)
        try:
            assert type(reader._perdoc) is _PerDocReader
        finally:
            reader.close()
        field = ix.schema["content"]
        assert type(field.format) is WeightedPositions
        assert isinstance(field.analyzer, FoldingAnalyzer) and field.analyzer == text_analyzer()
    finally:
        ix.close()
    toc = (snap.path / TOC._filename(INDEX_NAME, snap.generation)).read_bytes()
    assert b"diaspora.search.storage" in toc and b"diaspora.search.analysis" in toc


def test_the_index_reader_retries_os_errors_but_not_files_replaced(built, tmp_path):
    snap, _ = built
    assert not issubclass(FilesReplaced, OSError)

    class Flaky(FileStorage):
        failures = 0

        def open_file(self, name, **kwargs):
            if name.endswith(".trm") and not Flaky.failures:
                Flaky.failures += 1
                raise FileNotFoundError(name)
            return super().open_file(name, **kwargs)

    ix = Flaky(str(snap.path)).open_index(INDEX_NAME)
    reader = ix.reader()
    try:
        assert Flaky.failures == 1
        assert reader.doc_count_all() == DOCS + 1
    finally:
        reader.close()
        ix.close()

    copy = tmp_path / "copy"
    shutil.copytree(snap.path, copy)
    (segment,) = ix._segments()
    (copy / f"{segment.segment_id()}.pst").unlink()
    opened = []

    class Recording(Storage):
        def open_file(self, name, **kwargs):
            handle = super().open_file(name, **kwargs)
            opened.append((name, handle))
            return handle

    storage = Recording(copy)
    toc = TOC._filename(INDEX_NAME, snap.generation)
    with pytest.raises(FilesReplaced), storage.closing_on_failure():
        copied = storage.open_index(INDEX_NAME)
        before = len(opened)
        copied.searcher()
    # The reader read the TOC once: a retry would have read it again.
    assert [name for name, _ in opened[before:]].count(toc) == 1
    assert any(name.endswith(".trm") for name, _ in opened)
    assert all(handle.is_closed for _, handle in opened)


# engine.py: the multiprocessing writer


def test_multiprocessing_writer_hooks_the_engine_uses():
    assert list(inspect.signature(SubWriterTask.__init__).parameters) == [
        "self",
        "storage",
        "indexname",
        "jobqueue",
        "resultqueue",
        "kwargs",
        "multisegment",
    ]
    assert "_new_task" in code_names(MpWriter._enqueue)
    stock, ours = code_names(MpWriter._new_task), code_names(_MpWriter._new_task)
    assert stock - {"SubWriterTask"} == ours - {"_SubWriterTask"}
    assert {"storage", "indexname", "jobqueue", "resultqueue", "subargs", "tasks"} <= stock
    assert callable(SubWriterTask.run)
    assert {"writer", "_process_file"} <= code_names(SubWriterTask.run)
    assert list(inspect.signature(SubWriterTask._process_file).parameters) == [
        "self",
        "filename",
        "doc_count",
    ]
    assert "add_document" in code_names(SubWriterTask._process_file)
    # MpWriter.cancel only flags each task (in this process's copy); ours kills them, then
    # calls SegmentWriter.cancel, which closes the segment and releases the lock (_finish).
    assert code_names(MpWriter.cancel) == {"tasks", "cancel", "SegmentWriter"}
    assert code_names(SegmentWriter.cancel) == {"_check_state", "_close_segment", "_finish"}


def test_posting_pool_hooks_the_grouping_pool_uses(tmp_path):
    ix = plain_index(tmp_path / "pool")
    writer = ix.writer(limitmb=3)
    stock = writer.pool
    assert type(stock) is PostingPool
    assert stock.limit == 3 * 2**20 and stock.current == [] and stock.runs == []
    assert stock.segment is writer.newsegment and stock.tempstore is writer.temp_storage()
    assert stock.fieldnames == set()
    GroupingPool.replacing(writer)
    assert type(writer.pool) is GroupingPool and writer.pool.limit == stock.limit
    assert "pool" in code_names(SegmentWriter.add_document)
    assert "iter_postings" in code_names(SegmentWriter._flush_segment)
    assert code_names(PostingPool.iter_postings) == {"items"}
    # Past the limit Whoosh's own pool writes a run with _new_run / _write_run / _add_run and
    # merges the runs in items(); ours writes its runs the same way.
    assert "SortingPool" in code_names(PostingPool.save)
    assert {"_new_run", "_write_run", "_add_run"} <= code_names(SortingPool.save)
    assert {"save", "runs", "_merge_runs"} <= code_names(PostingPool.items)
    writer.cancel()
    ix.close()


def test_multiprocessing_writer_makes_our_tasks_and_commits_their_segments(tmp_path):
    ix = plain_index(tmp_path / "mp")
    codec = Codec()
    writer = _MpWriter(ix, procs=1, batchsize=2, multisegment=True, compound=False, codec=codec)
    assert writer.tasks == []
    assert writer.subargs == {"compound": False, "codec": codec}
    assert writer.storage is ix.storage and writer.indexname == INDEX_NAME
    assert writer.multisegment is True
    assert writer.jobqueue is not None and writer.resultqueue is not None
    for pid in range(1, 6):
        writer.add_document(**project_document(contract_project(pid)))
    tasks = list(writer.tasks)
    assert len(tasks) == 1 and type(tasks[0]) is _SubWriterTask
    assert tasks[0].parent_pid == os.getpid()
    writer.commit(merge=False)
    assert [task.exitcode for task in tasks] == [0]
    with ix.searcher() as searcher:
        uids = sorted(int(fields["uid"]) for fields in searcher.all_stored_fields())
        (segment,) = ix._segments()
        assert type(segment.codec()) is Codec
    assert uids == [1, 2, 3, 4, 5]
    ix.close()


def test_multiprocessing_writer_cancel_stops_tasks_and_releases_the_lock(tmp_path):
    ix = plain_index(tmp_path / "mp")
    writer = _MpWriter(ix, procs=1, batchsize=2, multisegment=True, compound=False, codec=Codec())
    for pid in range(1, 3):
        writer.add_document(**project_document(contract_project(pid)))
    tasks = list(writer.tasks)
    assert len(tasks) == 1 and tasks[0].is_alive()
    writer.cancel()
    assert not any(task.is_alive() for task in tasks)
    assert writer.is_closed
    lock = ix.lock("WRITELOCK")
    assert lock.acquire()
    lock.release()
    assert ix.doc_count_all() == 0
    ix.close()


# engine.py: merging and erasure


def test_merge_policy_protocol_and_erasure_of_deleted_documents(tmp_path):
    path = tmp_path / "merge"
    ix = plain_index(path)
    add_projects(ix, [1, 2, 3])
    add_projects(ix, [4, 5, 6])
    first, second = (segment.segment_id() for segment in ix._segments())
    writer = ix.writer(compound=False, codec=Codec())
    writer.delete_by_term("uid", "2")
    writer.commit(merge=False)

    with ix.reader() as reader:
        # A deleted document's terms are still "in" the reader: _segments_holding finds it.
        holders = [r.segment().segment_id() for r, _ in reader.leaf_readers() if ("uid", "2") in r]
        assert holders == [first]

    writer = ix.writer(compound=False, codec=Codec())
    assert writer.storage is ix.storage
    assert set(writer.schema.names()) == set(project_schema().names())
    assert [segment.segment_id() for segment in writer.segments] == [first, second]
    holding = _segments_holding(writer, {"2"})
    assert holding == {first}
    calls = []
    policy = _purging(holding)

    def recording(policy_writer, segments):
        calls.append((policy_writer, [segment.segment_id() for segment in segments]))
        kept = policy(policy_writer, segments)
        calls.append([segment.segment_id() for segment in kept])
        return kept

    writer.commit(mergetype=recording)
    assert calls == [(writer, [first, second]), [second]]
    ids = [segment.segment_id() for segment in ix._segments()]
    assert first not in ids and second in ids and len(ids) == 2
    with ix.reader() as reader:
        assert not any(("uid", "2") in r for r, _ in reader.leaf_readers())
        assert reader.doc_count_all() == reader.doc_count() == 5
        uids = sorted(int(fields["uid"]) for fields in reader.all_stored_fields())
    assert uids == [1, 3, 4, 5, 6]
    names = os.listdir(path)
    assert not any(name.startswith(first + ".") for name in names)  # old files deleted
    others = {name for name in names if not name.endswith("WRITELOCK")}
    assert set(segment_files(path, ix)) == others
    ix.close()


# engine.py: spelling automata and results


class StrictCursor:
    """A word cursor that allows only what the engine's ``_WordCursor`` offers."""

    __slots__ = ("calls", "cursor")

    def __init__(self, words):
        self.cursor = _WordCursor(words)
        self.calls = set()

    def text(self):
        self.calls.add("text")
        return self.cursor.text()

    def find(self, term):
        self.calls.add("find")
        self.cursor.find(term)


@pytest.mark.parametrize(
    ("word", "distance", "expected"),
    [
        ("clinc", 1, ["clinic"]),
        ("clinc", 2, ["clinic", "clinics"]),
        ("klinic", 1, ["klinik"]),  # not "clinic": the first letter must match (prefix=1)
        ("nursing", 1, ["nursing"]),
    ],
)
def test_levenshtein_automata_walk_a_text_find_cursor(word, distance, expected):
    words = sorted(["clinic", "clinics", "cynic", "klinik", "logistics", "nursing", "nurses"])
    automaton = Automata.levenshtein_dfa(word, distance, 1)
    cursor = StrictCursor(words)
    assert list(Automata.find_matches(automaton, cursor)) == expected
    assert cursor.calls <= {"text", "find"} and "text" in cursor.calls
    fresh = Automata.levenshtein_dfa(word, distance, 1)
    assert list(Automata.find_matches(fresh, _WordCursor(words))) == expected


def test_a_bytes_column_reads_per_document_and_empty_where_unset(tmp_path):
    (tmp_path / "sorted").mkdir()
    schema = Schema(uid=ID(stored=True), body=TEXT(), name=COLUMN(VarBytesColumn()))
    ix = whoosh_index.create_in(str(tmp_path / "sorted"), schema)
    writer = ix.writer()
    writer.add_document(uid="a", body="solar", name=b"zed")
    writer.add_document(uid="b", body="solar")
    writer.add_document(uid="c", body="x", name=b"amy")
    writer.commit()
    with ix.searcher() as searcher:
        ((reader, _),) = searcher.reader().leaf_readers()
        column = reader.column_reader("name")
        assert [column[docnum] for docnum in range(3)] == [b"zed", b"", b"amy"]
    ix.close()


# schemas.py and analysis.py


def test_text_field_format_is_positions_and_a_replaced_format_is_used(monkeypatch):
    stock = TEXT(phrase=True).format
    assert type(stock) is Positions
    field = project_schema()["content"]
    assert type(field.format) is WeightedPositions
    assert field.format.field_boost == stock.field_boost == 1.0
    calls = []
    original = WeightedPositions.word_values

    def spy(self, value, analyzer, **kwargs):
        calls.append(kwargs.get("mode"))
        yield from original(self, value, analyzer, **kwargs)

    monkeypatch.setattr(WeightedPositions, "word_values", spy)
    value = weighted_text([(4.0, "Solar clinic"), (1.0, "clinic nurses")])
    items = {text: rest for text, *rest in field.index(value)}
    assert calls == ["index"]
    assert items[b"clinic"] == [2, 5.0, Positions().encode([1001, 2002])]
    assert items[b"nurs"] == [1, 1.0, Positions().encode([2003])]
    stock_items = sorted(stock.word_values(value, text_analyzer()))
    assert sorted(original(field.format, value, text_analyzer())) == stock_items
    assert all(len(item) == 4 for item in stock_items)


# query.py


def test_term_query_signature_and_the_parsers_term_class():
    parameters = list(inspect.signature(QueryParser.term_query).parameters)
    assert parameters[:4] == ["self", "fieldname", "text", "termclass"]
    parser = parser_for("content")
    assert parser.termclass is wq.Term
    assert parser.term_query("content", "a1b", parser.termclass) == wq.Term("content", "a1b")
    assert parser.parse("a1b*", normalize=False).normalize() == wq.Term("content", "a1b")
    assert parser.parse("nurs*", normalize=False).normalize() == wq.Prefix("content", "nurs")


@pytest.mark.parametrize("cls", [wq.AndNot, wq.AndMaybe, wq.Require])
def test_binary_query_nodes_rebuild_from_a_and_b(cls):
    a, b = wq.Term("content", "solar"), wq.Term("content", "wind")
    node = cls(a, b)
    assert isinstance(node, wq.BinaryQuery) and not node.is_leaf()
    assert node.a is a and node.b is b
    assert type(node)(node.a, node.b) == node
    assert list(node.children()) == [a, b]


@pytest.mark.parametrize("cls", [wq.And, wq.Or])
def test_compound_query_nodes_rebuild_from_subqueries(cls):
    children = [wq.Term("content", "solar"), wq.Prefix("content", "win")]
    node = cls(children)
    assert isinstance(node, wq.CompoundQuery) and not isinstance(node, wq.BinaryQuery)
    assert node.subqueries == children
    assert type(node)(list(node.subqueries)) == node
    assert list(node.children()) == children


def test_leaf_and_not_nodes_and_the_null_query_singleton():
    phrase = wq.Phrase("content", ["solar", "pump"], slop=1)
    assert (phrase.fieldname, phrase.words, phrase.slop) == ("content", ["solar", "pump"], 1)
    assert wq.Phrase(phrase.fieldname, phrase.words[:1], slop=phrase.slop).words == ["solar"]
    term = wq.Term("content", "solar")
    assert term.is_leaf() and (term.fieldname, term.text) == ("content", "solar")
    negated = wq.Not(term)
    assert not isinstance(negated, wq.BinaryQuery) and negated.query is term
    assert wq.And([]).normalize() is wq.NullQuery
    assert wq.Or([wq.NullQuery, wq.NullQuery]).normalize() is wq.NullQuery
    # A leaf _limit_terms replaced by NullQuery drops out of an And or an Or.
    assert wq.And([term, wq.NullQuery]).normalize() == term
    assert wq.Or([term, wq.NullQuery]).normalize() == term
    assert wq.AndNot(wq.NullQuery, term).normalize() is wq.NullQuery
    rebuilt = wq.And([term, wq.Not(term)]).apply(lambda child: child)
    assert rebuilt == wq.And([term, wq.Not(term)])
