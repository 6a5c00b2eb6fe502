"""Expert search: every field group at every audience level, for every kind of searcher."""

import pytest
from whoosh.filedb.filestore import FileStorage

from diaspora.search import Clearance, ExpertIndex
from diaspora.search.schemas import (
    APPLIED_INSTITUTIONS,
    COORDINATORS,
    EXPERT_GROUPS,
    ONLY_ME,
    PUBLIC,
    SIGNED_IN,
)
from diaspora.search.storage import CURRENT, INDEX_NAME

from .factories import expert

LEVELS = (ONLY_ME, COORDINATORS, APPLIED_INSTITUTIONS, SIGNED_IN, PUBLIC)
APPLIED_TO = 7
CLEARANCES = {
    "coordinator": Clearance.coordinator(),
    "rep_applied": Clearance.institution([APPLIED_TO, 99]),
    "rep_other": Clearance.institution([8]),
    "member": Clearance.member(),
    "visitor": Clearance.visitor(),
}
MARKERS = {"headline": "headlinemarker", "bio": "biomarker", "skills": "skillmarker"}
FILTERS = {
    "skills": ("skills", ["Skillmarker"]),
    "sectors": ("sectors", ["health"]),
    "languages": ("languages", ["fr"]),
    "location": ("origin_country", ["SN"]),
    "engagement": ("engagement_modes", ["mentoring"]),
}
FIELDS = {
    "headline": ["headline"],
    "bio": ["bio"],
    "skills": ["skills", "skills_wanted"],
    "sectors": ["sectors"],
    "languages": ["languages"],
    "location": ["origin_country", "residence_country"],
    "engagement": ["engagement_modes"],
    "travel": ["travel"],
}


def visible(level: int, name: str) -> bool:
    """Who may see a group shared at ``level`` of a member who applied to institution 7."""
    if level == ONLY_ME:
        return False
    allowed = {
        "coordinator": {COORDINATORS, APPLIED_INSTITUTIONS, SIGNED_IN, PUBLIC},
        "rep_applied": {APPLIED_INSTITUTIONS, SIGNED_IN, PUBLIC},
        "rep_other": {SIGNED_IN, PUBLIC},
        "member": {SIGNED_IN, PUBLIC},
        "visitor": {PUBLIC},
    }
    return level in allowed[name]


def member_id(group_index: int, level: int) -> int:
    return 100 + group_index * 10 + level


@pytest.fixture(scope="module")
def experts(tmp_path_factory):
    """One member per (group, level), sharing only that group at that level."""
    index = ExpertIndex(tmp_path_factory.mktemp("experts") / "experts", procs=1)
    docs = []
    for group_index, group in enumerate(EXPERT_GROUPS):
        for level in LEVELS:
            audience = dict.fromkeys(EXPERT_GROUPS, ONLY_ME)
            audience[group] = level
            docs.append(
                expert(
                    member_id(group_index, level),
                    audience,
                    applied_institution_ids=[APPLIED_TO, 12],
                )
            )
    index.rebuild(docs)
    yield index
    index.close()


def cases():
    for group_index, group in enumerate(EXPERT_GROUPS):
        for level in LEVELS:
            for name in CLEARANCES:
                yield pytest.param(group_index, group, level, name, id=f"{group}-l{level}-{name}")


@pytest.mark.parametrize(("group_index", "group", "level", "clearance"), list(cases()))
def test_a_group_matches_and_shows_only_within_its_audience(
    experts, group_index, group, level, clearance
):
    uid = member_id(group_index, level)
    allowed = visible(level, clearance)
    searcher = CLEARANCES[clearance]

    if group in MARKERS:
        results = experts.search(searcher, MARKERS[group])
        assert (uid in results.ids) == allowed
        expected = {member_id(group_index, lv) for lv in LEVELS if visible(lv, clearance)}
        assert set(results.ids) == expected
    if group in FILTERS:
        name, values = FILTERS[group]
        results = experts.search(searcher, "", {name: values}, per_page=100)
        assert (uid in results.ids) == allowed
    if group == "travel":
        results = experts.search(searcher, travel=("SN", "2025-04"), per_page=100)
        assert (uid in results.ids) == allowed
        assert uid not in experts.search(searcher, travel=("SN", "2025-05"), per_page=100).ids

    listing = experts.search(searcher, f"member {uid}")
    # The name is found exactly by the searchers who may open the member's page: coordinators,
    # the institution the member applied to, and anyone who sees at least one group.
    if not (clearance in ("coordinator", "rep_applied") or allowed):
        # Nobody has both words, so the page shows those with some of them: never this one.
        assert uid not in listing.ids, "no name-only card for a closed page"
        assert listing.total == 0 or listing.some_words
        assert uid not in experts.search(searcher, "", per_page=100).ids
        return
    assert listing.ids == [uid], "the display name is searchable where the page may be opened"
    hit = listing.hits[0]
    assert hit.display_name == f"Member {uid}"
    shown = set(hit.fields)
    assert shown == (set(FIELDS[group]) if allowed else set())
    html = " ".join(hit.snippets.values()).lower()
    for other_group, marker in MARKERS.items():
        assert (marker in html) == (allowed and other_group == group)


def test_a_filter_on_a_hidden_group_cannot_probe_it(experts):
    """Filtering on a value of a coordinators-only group finds nothing for a member."""
    uid = member_id(EXPERT_GROUPS.index("location"), COORDINATORS)
    assert uid in experts.search(Clearance.coordinator(), "", {"origin_country": ["SN"]}).ids
    for name in ("member", "rep_applied", "rep_other", "visitor"):
        results = experts.search(CLEARANCES[name], "", {"origin_country": ["SN"]}, per_page=100)
        assert uid not in results.ids


def test_level_zero_and_unlisted_keys_are_never_indexed(tmp_path):
    index = ExpertIndex(tmp_path / "experts", procs=1)
    secret = dict.fromkeys(EXPERT_GROUPS, ONLY_ME)
    index.update([expert(1, secret, bio="Privatebio", headline="Privateheadline")])
    path = index.path / (index.path / CURRENT).read_text()
    whoosh_index = FileStorage(str(path)).open_index(INDEX_NAME)
    with whoosh_index.searcher() as searcher:
        stored = [searcher.stored_fields(d) for d in range(searcher.doc_count_all())]
        terms = [text for _, text in searcher.reader().all_terms()]
    whoosh_index.close()
    everything = (repr(stored) + repr(terms)).lower()
    for word in ("private", "marker", "example.org", "email", "mentoring", "health"):
        assert word not in everything, word
    person = next(fields for fields in stored if fields.get("uid") == "1")
    assert set(person) == {"uid", "display_name"}
    index.close()


def test_missing_or_invalid_audience_means_only_me(tmp_path):
    index = ExpertIndex(tmp_path / "experts", procs=1)
    index.update(
        [
            expert(1, {}),
            expert(2, {"headline": 9, "bio": "4", "skills": True}),
        ]
    )
    for marker in MARKERS.values():
        assert index.search(Clearance.coordinator(), marker).total == 0
    assert index.search(Clearance.coordinator()).total == 2
    index.close()


def test_hostile_queries_find_nothing_private(experts):
    for text in ("email:*", "visibility:hidden", "*a*", "?x*", "term~9", "((((", "' OR 1=1--"):
        results = experts.search(Clearance.member(), text)
        for hit in results.hits:
            assert set(hit.fields) <= {
                field
                for group_index, group in enumerate(EXPERT_GROUPS)
                for level in LEVELS
                if visible(level, "member") and hit.user_id == member_id(group_index, level)
                for field in FIELDS[group]
            }
    assert experts.search(Clearance.coordinator(), "email:*").total == 0
    assert experts.search(Clearance.coordinator(), "example").total == 0


def test_clearance_must_be_given(experts):
    with pytest.raises(TypeError):
        experts.search(None, "biomarker")


def test_listing_without_words_is_by_name_and_pages(tmp_path):
    index = ExpertIndex(tmp_path / "experts", procs=1)
    names = ["Zoe Abebe", "amina Diallo", "Émile Ndiaye", "Bola Ade"]
    index.update(
        [expert(i, {"headline": PUBLIC}, display_name=name) for i, name in enumerate(names, 1)]
    )
    first = index.search(Clearance.member(), per_page=3)
    second = index.search(Clearance.member(), page=2, per_page=3)
    assert [hit.display_name for hit in first.hits + second.hits] == [
        "amina Diallo",
        "Bola Ade",
        "Émile Ndiaye",
        "Zoe Abebe",
    ]
    assert first.total == 4 and first.pages == 2
    assert index.search(Clearance.member(), page=10**9).hits == []
    index.close()


def test_an_index_built_before_a_new_field_says_it_needs_a_rebuild(tmp_path, monkeypatch):
    """An index without the page-visibility field would list members it must not: it reports
    itself unavailable until rebuilt, instead of answering without the field."""
    from whoosh.fields import ID

    from diaspora.search import SearchUnavailable
    from diaspora.search import schemas as schema_module

    index = ExpertIndex(tmp_path / "experts", procs=1)
    index.rebuild([expert(1, dict.fromkeys(EXPERT_GROUPS, PUBLIC))])
    assert index.search(Clearance.member(), "member").ids == [1]
    newer = schema_module.expert_schema

    def with_a_new_field():
        schema = newer()
        schema.add("a_later_field", ID())
        return schema

    monkeypatch.setattr(ExpertIndex, "schema_factory", staticmethod(with_a_new_field))
    index.close()
    with pytest.raises(SearchUnavailable, match="rebuild"):
        index.search(Clearance.member(), "member")
    index.rebuild([expert(1, dict.fromkeys(EXPERT_GROUPS, PUBLIC))])
    assert index.search(Clearance.member(), "member").ids == [1]
    index.close()


def test_an_index_with_nobody_listed_answers_an_empty_page(tmp_path):
    """A new network has no listed member yet: browsing and searching experts is an empty
    page, not "search unavailable"."""
    index = ExpertIndex(tmp_path / "experts", procs=1)
    for build in (lambda: None, lambda: index.rebuild([])):
        build()
        for text in ("", "anything"):
            results = index.search(Clearance.coordinator(), text)
            assert results.ids == [] and results.total == 0
    index.close()


def test_skills_a_member_has_and_wants_to_develop_are_shown_apart(experts):
    """A result never presents a skill the member wants to develop as one they have."""
    uid = member_id(EXPERT_GROUPS.index("skills"), PUBLIC)
    (hit,) = [
        h for h in experts.search(Clearance.visitor(), "", per_page=100).hits if h.user_id == uid
    ]
    assert "skillmarker" in hit.snippets["skills"].lower()
    assert "wantedmarker" not in hit.snippets["skills"].lower()
    assert "wantedmarker" in hit.snippets["skills_wanted"].lower()
