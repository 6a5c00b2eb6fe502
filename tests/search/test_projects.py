"""Project search: ranking, analysis, facets, sorting, paging, suggestions and safety."""

import time
from datetime import timedelta

import pytest
from whoosh.filedb.filestore import FileStorage

from diaspora.search import ProjectIndex
from diaspora.search import segments as segments_module
from diaspora.search.query import parse
from diaspora.search.storage import CURRENT, INDEX_NAME

from .factories import BASE_TIME, TODAY, project
from .test_query import HOSTILE

COUNTRIES = ["KE", "GH", "SN", "ET"]
SECTORS = ["health", "water", "education"]
MODES = ["remote", "onsite", "hybrid"]


def facet_corpus() -> list[dict]:
    docs = []
    for pid in range(1, 61):
        docs.append(
            project(
                pid,
                title=f"Rural clinic support {pid}",
                country=COUNTRIES[pid % 4],
                sector=SECTORS[pid % 3],
                work_mode=MODES[pid % 3 if pid % 5 else 0],
                compensation="paid" if pid % 7 == 0 else "volunteer",
                skills=["Nursing"] if pid % 2 else ["Nursing", "Logistics"],
                deadline=TODAY + timedelta(days=pid) if pid % 4 else None,
            )
        )
    return docs


@pytest.fixture
def index(tmp_path):
    search_index = ProjectIndex(tmp_path / "projects", procs=1)
    yield search_index
    search_index.close()


@pytest.fixture
def facets_index(index):
    index.rebuild(facet_corpus())
    return index


def test_title_or_skill_match_ranks_above_description_only(index):
    index.rebuild(
        [
            project(1, description="We also need some hydrology experience in the team."),
            project(2, title="Hydrology adviser for the water board"),
            project(3, skills=["Hydrology", "Teamwork"]),
            project(4, description="Nothing related at all."),
        ]
    )
    results = index.search("hydrology")
    assert results.total == 3
    assert results.ids[-1] == 1
    assert set(results.ids[:2]) == {2, 3}


def test_accents_fold_both_ways(index):
    index.rebuild(
        [
            project(1, institution="Centre de Santé de Thiès"),
            project(2, title="Medecins volunteers needed"),
        ]
    )
    assert index.search("sante").ids == [1]
    assert index.search("Santé").ids == [1]
    assert index.search("thies").ids == [1]
    assert index.search("médecins").ids == [2]
    assert "<mark>Medecins</mark>" in index.search("MÉDECINS").hits[0].title


def test_stemming_matches_word_forms(index):
    index.rebuild([project(1, summary="Volunteering in rural schools"), project(2)])
    for text in ("volunteer", "volunteers", "volunteering", "school"):
        assert index.search(text).ids == [1], text


def test_phrases_match_adjacent_words_in_one_field_only(index):
    index.rebuild(
        [
            project(1, title="Solar panels for schools"),
            project(2, title="Panels of experts", description="Solar is not mentioned with it"),
            project(3, title="Training in solar", description="Panels are installed later."),
        ]
    )
    assert index.search('"solar panels"').ids == [1]
    assert sorted(index.search("solar panels").ids) == [1, 2, 3]


def test_boolean_operators_and_prefixes(index):
    index.rebuild(
        [
            project(1, title="Solar power"),
            project(2, title="Wind power"),
            project(3, title="Diesel power"),
            project(4, title="Volunteering teachers"),
        ]
    )
    assert sorted(index.search("solar OR wind").ids) == [1, 2]
    assert sorted(index.search("power -diesel").ids) == [1, 2]
    assert sorted(index.search("power NOT (solar OR wind)").ids) == [3]
    assert index.search("volunteer*").ids == [4]
    assert index.search("teach*").ids == [4]


def brute_counts(docs, field, keep):
    counts = {}
    for doc in docs:
        if keep(doc):
            values = doc[field] if isinstance(doc[field], list) else [doc[field]]
            for value in values:
                counts[value] = counts.get(value, 0) + 1
    return counts


def test_facet_counts_and_filters_combine(facets_index):
    docs = facet_corpus()
    results = facets_index.search("clinic")
    assert results.total == 60
    for field in ("country", "sector", "work_mode", "compensation", "skills"):
        assert results.facets[field] == brute_counts(docs, field, lambda d: True)

    filters = {"country": ["KE", "GH"], "sector": ["health"]}
    results = facets_index.search("clinic", filters, per_page=100)
    expected = {d["id"] for d in docs if d["country"] in ("KE", "GH") and d["sector"] == "health"}
    assert set(results.ids) == expected and results.total == len(expected)
    assert results.facets["country"] == brute_counts(
        docs, "country", lambda d: d["sector"] == "health"
    )
    assert results.facets["sector"] == brute_counts(
        docs, "sector", lambda d: d["country"] in ("KE", "GH")
    )
    assert results.facets["work_mode"] == brute_counts(
        docs, "work_mode", lambda d: d["id"] in expected
    )


def test_unknown_filter_fields_and_values_are_ignored_or_match_nothing(facets_index):
    assert facets_index.search("clinic", {"email": ["x"], "visibility": ["hidden"]}).total == 60
    assert facets_index.search("clinic", {"country": ["ZZ"]}).total == 0


def test_deadline_window(facets_index):
    results = facets_index.search("", deadline_within_days=10, today=TODAY, per_page=100)
    expected = [pid for pid in range(1, 11) if pid % 4]
    assert sorted(results.ids) == expected


def test_sort_keys(facets_index):
    newest = facets_index.search("clinic", sort="newest", per_page=100)
    assert newest.ids == list(range(60, 0, -1))
    soonest = facets_index.search("clinic", sort="deadline", per_page=100)
    with_deadline = [pid for pid in range(1, 61) if pid % 4]
    assert soonest.ids[: len(with_deadline)] == with_deadline
    assert set(soonest.ids[len(with_deadline) :]) == {pid for pid in range(1, 61) if pid % 4 == 0}
    assert facets_index.search("clinic", sort="id; DROP TABLE project").sort == "relevance"
    assert facets_index.search("").sort == "newest"


def test_pagination_and_huge_pages(facets_index):
    pages = [facets_index.search("clinic", page=p, per_page=25, sort="newest") for p in (1, 2, 3)]
    assert [len(p.hits) for p in pages] == [25, 25, 10]
    assert pages[0].pages == 3
    ids = [pid for page in pages for pid in page.ids]
    assert ids == list(range(60, 0, -1))
    far = facets_index.search("clinic", page=1_000_000_000)
    assert far.hits == [] and far.total == 60 and far.page == 1_000_000_000
    assert facets_index.search("clinic", page="x", per_page=10**9).per_page == 100
    assert facets_index.search("clinic", page=-5).page == 1
    assert facets_index.search("clinic", page=float("inf"), per_page=float("nan")).page == 1


def test_did_you_mean_corrects_each_word(index):
    index.rebuild(
        [
            project(1, title="Hydrology and irrigation"),
            project(2, title="Irrigation planning"),
            project(3, title="Cardiology residents"),
        ]
    )
    typed = index.search("hydrolgy irigation", correct=False)
    assert typed.total == 0 and typed.shown_for is None
    assert typed.suggestion == "hydrology irrigation"
    assert index.search("irrigation").suggestion is None
    assert index.search("zzzzqqq").suggestion is None


def test_a_typo_that_finds_nothing_shows_the_corrected_results(index):
    index.rebuild(
        [
            project(1, title="Hydrology and irrigation"),
            project(2, title="Irrigation planning"),
            project(3, title="Cardiology residents"),
        ]
    )
    results = index.search("hydrolgy irigation")
    assert results.ids == [1]
    assert results.shown_for == "hydrology irrigation"
    assert results.query == "hydrolgy irigation"
    assert not results.some_words
    assert "<mark>Hydrology</mark>" in results.hits[0].title


def test_when_no_project_has_all_the_words_those_with_most_of_them_come_first(index):
    index.rebuild(
        [
            project(1, title="Bridge inspection"),
            project(2, title="Civil engineer for bridge inspection"),
            project(3, title="Cardiology residents"),
            project(4, title="Civil registry software"),
        ]
    )
    results = index.search("civil engineer bridge maintenance")
    assert results.some_words and results.shown_for is None
    assert results.ids[0] == 2
    assert set(results.ids) == {1, 2, 4}
    assert index.search("civil bridge").some_words is False
    # Operators say how the words combine: no fallback.
    assert index.search("civil AND cardiology").total == 0
    assert index.search("civil AND cardiology").some_words is False
    # Filters still apply to the partial matches.
    assert index.search("civil cardiology", {"country": ["SN"]}).ids == []
    assert index.search("civil cardiology", {"country": ["KE"]}).some_words
    assert index.search("zzzzqqq yyyyxxx").total == 0


def test_hostile_queries_are_fast_harmless_and_match_nothing_private(index):
    index.rebuild(
        [
            project(pid, title=f"Solar mission {pid}", description="Plain words.")
            for pid in range(30)
        ]
    )
    for text in HOSTILE:
        started = time.perf_counter()
        results = index.search(text, page=1_000_000_000)
        assert time.perf_counter() - started < 2, text
        assert results.hits == []
    for text in ("email:*", "visibility:hidden", "*a*", "?x*", "' OR 1=1--", "((((", "x" * 10_000):
        assert index.search(text).total == 0, text


def test_snippets_are_escaped_html(index):
    index.rebuild(
        [
            project(
                1,
                title='<script>alert(1)</script> Solar "quote"',
                summary='"><img src=x onerror=alert(1)> solar pumps',
            )
        ]
    )
    hit = index.search("solar").hits[0]
    assert hit.title == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Solar</mark> &quot;quote&quot;"
    assert hit.snippet == "&quot;&gt;&lt;img src=x onerror=alert(1)&gt; <mark>solar</mark> pumps"


def test_updates_deletes_and_change_id(index):
    assert index.doc_count() == 0 and index.last_change_id() is None
    index.update([project(1, title="Solar"), project(2, title="Wind")], change_id=5)
    assert index.doc_count() == 2 and index.last_change_id() == 5
    index.update([project(1, title="Geothermal")], change_id=3)
    assert index.last_change_id() == 5
    assert index.search("solar").total == 0 and index.search("geothermal").ids == [1]
    index.update(deletes=[2], change_id=6)
    assert index.search("wind").total == 0 and index.doc_count() == 1
    assert index.last_change_id() == 6
    index.update([project(3, title="Tidal")], deletes=[3])
    assert index.search("tidal").total == 0


def test_a_change_committed_elsewhere_is_searchable_at_once(index):
    index.update([project(1, title="Solar")])
    assert index.search("solar").total == 1
    other = ProjectIndex(index.path)
    other.update([project(2, title="Solar pumps")])
    other.close()
    assert index.search("solar").total == 2


def test_time_limit_gives_partial_results_not_an_error(tmp_path):
    slow = ProjectIndex(tmp_path / "projects", procs=1, time_limit=0)
    slow.update([project(1, title="Solar")])
    results = slow.search("solar")
    assert results.partial and results.hits == []
    slow.close()


WHOOSH_QUERIES = [
    "clinic",
    "rural OR support",
    "clinic -rural",
    '"rural clinic"',
    '"clinic rural"',
    "support NOT (12 OR 13)",
    "rur*",
    "nursing logistics",
]


def test_totals_agree_with_whoosh_on_many_segments_with_deletions(index):
    docs = facet_corpus()
    for start in range(0, 60, 10):
        index.update(docs[start : start + 10])
    index.update(deletes=[3, 14, 25])
    index.update([project(7, title="Urban hospital")])
    path = index.path / (index.path / CURRENT).read_text()
    whoosh_index = FileStorage(str(path)).open_index(INDEX_NAME)
    with whoosh_index.searcher() as searcher:
        for text in WHOOSH_QUERIES:
            query = parse(text, "content").query
            expected = len(set(searcher.docs_for_query(query)))
            assert index.search(text).total == expected, text
    whoosh_index.close()


def test_vectorised_ranking_equals_exact_ranking(index, monkeypatch):
    docs = [
        project(
            pid,
            title=("Solar " * (pid % 3)) + f"project {pid}",
            summary="solar water pumps" if pid % 5 == 0 else "water pumps",
            description="word " * (pid % 40),
            published_at=BASE_TIME + timedelta(minutes=pid % 17),
        )
        for pid in range(1, 1201)
    ]
    index.rebuild(docs)
    queries = ["solar", "water", "solar water", "solar OR pumps", '"water pumps"', "sol*"]
    fast = {q: index.search(q, per_page=50).ids for q in queries}
    monkeypatch.setattr(segments_module, "SMALL_SET", 10**9)
    index.close()
    for text in queries:
        assert index.search(text, per_page=50).ids == fast[text], text


def test_rebuild_in_parallel_batches(tmp_path):
    parallel = ProjectIndex(tmp_path / "projects", procs=2, rebuild_batch=40)
    progress = []
    count = parallel.rebuild(facet_corpus(), total=60, progress=lambda d, t: progress.append(d))
    assert count == 60 and progress[-1] == 60
    assert parallel.doc_count() == 60
    assert parallel.search("clinic", {"country": ["KE"]}).total == 15
    parallel.close()


def test_warm_up_does_not_change_results(facets_index):
    before = facets_index.search("clinic", {"country": ["KE"]}, sort="deadline")
    facets_index.close()
    facets_index.warm(terms=20)
    after = facets_index.search("clinic", {"country": ["KE"]}, sort="deadline")
    assert after == before


def test_the_project_whose_title_is_the_query_comes_first(index):
    machinery = [
        project(
            pid,
            title=f"Civil engineering machinery operator {pid}",
            summary="Civil engineering machinery: civil works, engineering plant.",
            description="Civil engineering civil engineering machinery for civil engineers.",
        )
        for pid in range(1, 6)
    ]
    index.rebuild(
        [
            *machinery,
            project(10, title="Civil engineer", summary="Design of small bridges."),
            project(11, title="Embedded systems software developer"),
            project(12, title="Software developer", description="Web applications."),
        ]
    )
    assert index.search("civil engineer").ids[0] == 10
    assert index.search("software developer").ids[:2] == [12, 11]
    # The reordering only lifts titles: every match is still there, and pages agree.
    assert set(index.search("civil engineer", per_page=50).ids) == {1, 2, 3, 4, 5, 10}
    first, second = (index.search("civil", per_page=3, page=n).ids for n in (1, 2))
    assert not set(first) & set(second)
    assert len(first + second) == 6
