"""The engine without Whoosh's internals: the public-API paths give the same results, and a
query node the engine does not know is an error, never an empty result."""

from datetime import timedelta

import pytest
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.searching import Searcher

from diaspora.search import Clearance, ExpertIndex, ProjectIndex, Thesaurus
from diaspora.search import storage as storage_module
from diaspora.search.analysis import WeightedPositions
from diaspora.search.query import _limit_terms, parse
from diaspora.search.schemas import APPLIED_INSTITUTIONS, EXPERT_GROUPS, PUBLIC, SIGNED_IN
from diaspora.search.segments import UnknownQuery, _position_deltas

from .factories import TODAY, expert, project

QUERIES = [
    ("", {}, "newest"),
    ("clinic", {}, "relevance"),
    ("rural clinic", {"country": ["KE", "GH"]}, "relevance"),
    ('"clinic support"', {}, "relevance"),
    ('"support clinic"', {}, "relevance"),
    ("nurs*", {"sector": ["health"]}, "relevance"),
    ("clinic -logistics", {}, "deadline"),
    ("(water OR clinic) NOT teamwork", {}, "relevance"),
    ("GP training", {}, "relevance"),
    ("clinc", {}, "relevance"),
    ("water pumps volunteers", {}, "relevance"),
]
THESAURUS = Thesaurus([("Family medicine", ["GP", "general practitioner"])])


def corpus() -> list[dict]:
    docs = []
    for pid in range(1, 121):
        docs.append(
            project(
                pid,
                title=f"Rural clinic support {pid}" if pid % 3 else f"Water pumps {pid}",
                description=(
                    "A general practitioner trains nurses."
                    if pid % 5 == 0
                    else "Volunteers repair water pumps and support the clinic team. " * (pid % 4)
                ),
                country=["KE", "GH", "SN"][pid % 3],
                sector=["health", "water"][pid % 2],
                skills=["Nursing"] if pid % 2 else ["Nursing", "Logistics"],
                deadline=TODAY + timedelta(days=pid) if pid % 4 else None,
            )
        )
    return docs


def outcome(index):
    results = []
    for text, filters, sort in QUERIES:
        found = index.search(
            text, filters, sort=sort, per_page=50, today=TODAY, thesaurus=THESAURUS
        )
        results.append(
            (
                text,
                found.total,
                found.ids,
                [round(hit.score, 6) if hit.score is not None else None for hit in found.hits],
                [(hit.title, hit.snippet) for hit in found.hits],
                found.facets,
                found.suggestion,
                found.shown_for,
            )
        )
    return results


def counting(monkeypatch, cls, name, calls):
    original = getattr(cls, name)

    def spy(self, *args, **kwargs):
        calls[name] = calls.get(name, 0) + 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, spy)


def searched(tmp_path, name, docs, monkeypatch, kind=ProjectIndex, run=outcome):
    """The outcome of the queries on a new index (two segments: half the documents rebuilt,
    half updated), and the public calls it made."""
    calls: dict[str, int] = {}
    with monkeypatch.context() as patch:
        counting(patch, W3LeafMatcher, "id", calls)
        counting(patch, NumericColumn.Reader, "__getitem__", calls)
        counting(patch, WeightedPositions, "decode_positions", calls)
        index = kind(tmp_path / name, procs=1)
        index.rebuild(docs[: len(docs) // 2])
        index.update(docs[len(docs) // 2 :])
        try:
            return run(index), calls
        finally:
            index.close()


def test_the_public_api_paths_give_the_same_results(tmp_path, monkeypatch):
    docs = corpus()
    expected, fast_calls = searched(tmp_path, "fast", docs, monkeypatch)
    monkeypatch.setattr(storage_module, "WHOOSH_INTERNALS", False)
    found, public_calls = searched(tmp_path, "public", docs, monkeypatch)
    assert found == expected
    # The public paths really ran: per-posting ids, column items, decoded positions.
    assert set(public_calls) == {"id", "__getitem__", "decode_positions"}
    assert fast_calls == {}
    assert any(total for _, total, *_ in expected)
    phrase = next(row for row in expected if row[0] == '"clinic support"')
    assert phrase[1] > 0
    assert next(row for row in expected if row[0] == '"support clinic"')[1] < phrase[1]


def test_positions_decode_the_same_both_ways(tmp_path, monkeypatch):
    index = ProjectIndex(tmp_path / "positions", procs=1)
    index.rebuild([project(1, title="one two three two one", description="two " * 40)])
    try:
        snap = index._fresh_snapshot()
        reader = snap.views[0].reader
        matcher = reader.postings("content", "two")
        values = [matcher.value()]
        fmt = reader.schema["content"].format
        fast = _position_deltas(values, fmt)
        monkeypatch.setattr(storage_module, "WHOOSH_INTERNALS", False)
        assert _position_deltas(values, fmt) == fast
        assert len(fast[0]) == 42
    finally:
        index.close()


@pytest.mark.parametrize(
    "node",
    [
        wq.Wildcard("content", "cl*c"),
        wq.FuzzyTerm("content", "clinic"),
        wq.TermRange("content", "a", "c"),
        wq.And([wq.Term("content", "clinic"), wq.Variations("content", "clinic")]),
    ],
)
def test_a_query_node_the_engine_does_not_know_raises(tmp_path, node):
    index = ProjectIndex(tmp_path / "unknown", procs=1)
    index.rebuild(corpus()[:10])
    try:
        snap = index._fresh_snapshot()
        parsed = parse("clinic", "content")
        unknown = type(parsed)(parsed.text, node, parsed.words)
        with pytest.raises(UnknownQuery):
            index._search(snap, unknown, {}, None, TODAY, "relevance", 1, 10, 10)
        with pytest.raises(TypeError):
            _limit_terms(node, [30])
    finally:
        index.close()


EXPERT_QUERIES = [
    ("", {}, None),
    ("engineer", {}, None),
    ("water engineer", {"sectors": ["health"]}, None),
    ('"water engineer"', {}, None),
    ("hydro*", {}, None),
    ("engineer -nurse", {"languages": ["fr"]}, None),
    ("GP", {}, None),
    ("", {"origin_country": ["SN"]}, ("SN", "2025-03")),
]
EXPERT_CLEARANCES = [
    Clearance.coordinator(),
    Clearance.institution([7]),
    Clearance.member(),
    Clearance.visitor(),
]


def expert_corpus() -> list[dict]:
    levels = [SIGNED_IN, PUBLIC, APPLIED_INSTITUTIONS]
    docs = []
    for uid in range(1, 91):
        level = levels[uid % 3]
        docs.append(
            expert(
                uid,
                dict.fromkeys(EXPERT_GROUPS, level),
                display_name=f"Member {uid:02d}",
                headline="Water engineer" if uid % 2 else "Nurse and trainer",
                bio="Hydrology of rivers. " * (uid % 4) + "General practitioner."
                if uid % 5 == 0
                else "Builds water pumps and trains engineers. " * (1 + uid % 3),
                skills=["Hydrology"] if uid % 2 else ["Nursing", "Family medicine"],
                sectors=["health"] if uid % 3 else ["water"],
                applied_institution_ids=[7] if uid % 4 == 0 else [],
            )
        )
    return docs


def expert_outcome(index):
    results = []
    for clearance in EXPERT_CLEARANCES:
        for text, filters, travel in EXPERT_QUERIES:
            found = index.search(
                clearance, text, filters, travel=travel, per_page=50, thesaurus=THESAURUS
            )
            results.append(
                (text, found.total, found.ids, [(h.snippets, h.fields) for h in found.hits])
            )
    return results


def test_expert_search_runs_on_the_segment_engine_with_the_same_results_both_ways(
    tmp_path, monkeypatch
):
    def no_whoosh_search(*args, **kwargs):
        raise AssertionError("expert search must not run Whoosh's searcher")

    monkeypatch.setattr(Searcher, "search_with_collector", no_whoosh_search)
    monkeypatch.setattr(Searcher, "search", no_whoosh_search)
    docs = expert_corpus()
    expected, fast_calls = searched(
        tmp_path, "fast", docs, monkeypatch, ExpertIndex, expert_outcome
    )
    monkeypatch.setattr(storage_module, "WHOOSH_INTERNALS", False)
    found, public_calls = searched(
        tmp_path, "public", docs, monkeypatch, ExpertIndex, expert_outcome
    )
    assert found == expected
    assert public_calls.get("id") and not fast_calls
    totals = {
        (text, clearance): row[1]
        for row, (clearance, (text, _, _)) in zip(
            expected,
            [(c, q) for c in range(len(EXPERT_CLEARANCES)) for q in EXPERT_QUERIES],
            strict=True,
        )
    }
    # Every query finds someone for coordinators; visitors see only public members.
    assert all(totals[text, 0] for text, _, _ in EXPERT_QUERIES)
    assert totals["engineer", 3] < totals["engineer", 2] < totals["engineer", 0]
    assert 0 < totals['"water engineer"', 0] < totals["water engineer", 0]
