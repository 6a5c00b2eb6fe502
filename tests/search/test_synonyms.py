"""Skill labels in queries: which text a thesaurus rewrites, and what projects and experts
are then found by another name of a skill."""

import pytest
from whoosh import query as wq

from diaspora.search import Clearance, ExpertIndex, ProjectIndex, SynonymMatch, Thesaurus
from diaspora.search.query import MAX_SYNONYM_TERMS, MAX_TERMS, parse
from diaspora.search.schemas import ONLY_ME, PUBLIC, SIGNED_IN
from diaspora.search.synonyms import MAX_ALTERNATIVES, MAX_REWRITES, label_tokens

from .factories import expert, project
from .test_query import HOSTILE

THESAURUS = Thesaurus(
    [
        ("Family medicine", ["General practice", "GP", "general practitioner"]),
        ("Obstetrics", ["obstetrician", "OB-GYN"]),
        ("Gynaecology", ["gynecology", "OB-GYN"]),
        ("Monitoring and evaluation", ["M&E", "MEL"]),
        ("Solar photovoltaic design", ["PV", "solar PV", "photovoltaics"]),
        ("IT support and helpdesk", ["IT"]),
        ("C and C++", ["C++"]),
    ]
)


def rewritten(text):
    return THESAURUS.rewrite(text)[0]


def typed(text):
    return [match.typed for match in THESAURUS.rewrite(text)[1]]


def test_labels_match_whatever_the_case_accents_and_separators():
    assert label_tokens("OB/GYN") == label_tokens("ob-gyn") == label_tokens("Ob gyn")
    assert label_tokens("M&E") == label_tokens("m & e") == ("m", "&", "e")
    assert label_tokens("C++") != label_tokens("C")
    assert typed("gp clinic") == ["gp"]
    assert typed("Ob/Gyn in Kumasi") == ["Ob/Gyn"]
    assert typed("m & e officer") == ["m & e"]


def test_the_longest_label_wins_and_names_are_rewritten_too():
    assert typed("solar pv mini-grid") == ["solar pv"]
    matches = THESAURUS.rewrite("general practice")[1]
    assert matches == (SynonymMatch("general practice", ("Family medicine",)),)
    # The skill's own name finds its labels, and needs no "matched the skill" note.
    name = THESAURUS.rewrite("monitoring and evaluation")[1]
    assert name == (SynonymMatch("monitoring and evaluation", ()),)
    assert '"M&E"' in rewritten("monitoring and evaluation")


def test_a_label_of_two_skills_stands_for_both():
    (match,) = THESAURUS.rewrite("OB-GYN")[1]
    assert set(match.skills) == {"Obstetrics", "Gynaecology"}
    text = rewritten("OB-GYN")
    assert '"Obstetrics"' in text and '"Gynaecology"' in text


@pytest.mark.parametrize(
    "text",
    [
        '"GP" training',  # quoted: exactly as written
        "-GP training",  # excluded word
        "+GP training",
        "GP* training",  # a prefix
        "it works",  # a stop word label only counts in capitals
        "GPS tracking",  # not a label, only starts like one
        "AGP",
    ],
)
def test_what_the_user_spelled_out_is_left_alone(text):
    assert rewritten(text) == text
    assert typed(text) == []


def test_operators_and_parentheses_end_a_label():
    assert typed("(solar) PV") == ["PV"]
    assert typed("solar OR PV") == ["PV"]
    assert typed("IT support") == ["IT"]


def test_rewrites_and_alternatives_are_bounded():
    text = " ".join(["GP", "clinic"] * 20)
    assert len(typed(text)) == MAX_REWRITES
    assert len(THESAURUS.alternatives(label_tokens("OB-GYN"))) <= MAX_ALTERNATIVES
    leaves = list(parse(text, "content", THESAURUS).query.leaves())
    assert len(leaves) <= MAX_TERMS + MAX_SYNONYM_TERMS


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_parses_with_a_thesaurus(text):
    parsed = parse(text, "content", THESAURUS)
    assert parsed.query is None or isinstance(parsed.query, wq.Query)


def test_a_rewritten_query_still_falls_back_to_any_word():
    parsed = parse("GP clinic Wa", "content", THESAURUS)
    assert isinstance(parsed.query, wq.And)
    some = parsed.any_words()
    assert isinstance(some.query, wq.Or) and some.synonyms == parsed.synonyms
    # An OR the user typed is theirs: no fallback.
    assert parse("GP OR clinic", "content", THESAURUS).any_words() is None


# --------------------------------------------------------------------------- through the index


@pytest.fixture
def projects(tmp_path):
    index = ProjectIndex(tmp_path / "projects", procs=1)
    index.update(
        [
            project(
                1,
                title="Rural clinic doctors",
                skills=["Family medicine"],
                skill_labels=["General practice", "GP", "general practitioner"],
            ),
            project(2, title="Town clinic", description="We need a general practitioner."),
            project(
                3,
                title="Maternity ward",
                skills=["Obstetrics"],
                skill_labels=["obstetrician", "OB-GYN"],
            ),
            project(4, title="Donor reporting", description="A MEL framework for the grants."),
            project(5, title="Monitoring and evaluation of school meals"),
            project(6, title="Clinic roof repairs"),
        ]
    )
    yield index
    index.close()


def ids(results):
    return sorted(results.ids)


def test_a_label_finds_the_skill_and_the_texts_that_use_its_names(projects):
    assert ids(projects.search("GP", thesaurus=THESAURUS)) == [1, 2]
    assert ids(projects.search("GP clinic", thesaurus=THESAURUS)) == [1, 2]
    # Without the thesaurus, only the label indexed with the skill finds it.
    assert ids(projects.search("GP")) == [1]
    assert ids(projects.search("obstetrician", thesaurus=THESAURUS)) == [3]
    assert ids(projects.search("ob/gyn", thesaurus=THESAURUS)) == [3]


def test_a_name_finds_the_texts_that_use_a_label(projects):
    found = projects.search("monitoring and evaluation", thesaurus=THESAURUS)
    assert ids(found) == [4, 5]
    assert ids(projects.search("M&E", thesaurus=THESAURUS)) == [4, 5]


def test_results_say_which_label_was_read_as_which_skill(projects):
    results = projects.search("gp", thesaurus=THESAURUS)
    assert results.synonyms == (SynonymMatch("gp", ("Family medicine",)),)
    (by_text,) = [hit for hit in results.hits if hit.id == 2]
    assert "<mark>general</mark> <mark>practitioner</mark>" in by_text.snippet
    assert projects.search("clinic", thesaurus=THESAURUS).synonyms == ()


def test_a_correction_is_read_with_the_thesaurus(projects):
    results = projects.search("obstetricain", thesaurus=THESAURUS)
    assert results.shown_for == "obstetrician" and ids(results) == [3]
    assert results.synonyms == (SynonymMatch("obstetrician", ("Obstetrics",)),)


def test_expert_labels_are_only_seen_where_the_skills_are(tmp_path):
    index = ExpertIndex(tmp_path / "experts", procs=1)
    shared = dict.fromkeys(("headline", "bio", "skills"), PUBLIC)
    private = {**shared, "skills": ONLY_ME}
    members = SIGNED_IN
    index.update(
        [
            expert(
                1,
                shared,
                skills=["Solar photovoltaic design"],
                skill_labels=["PV", "solar PV"],
            ),
            expert(
                2,
                private,
                skills=["Solar photovoltaic design"],
                skill_labels=["PV", "solar PV"],
            ),
            expert(3, {**shared, "bio": members}, bio="Installed photovoltaics in Tamale."),
        ]
    )
    try:
        member = Clearance.member()
        found = index.search(member, "PV", thesaurus=THESAURUS)
        assert sorted(found.ids) == [1, 3]
        assert found.synonyms == (SynonymMatch("PV", ("Solar photovoltaic design",)),)
        assert sorted(index.search(Clearance.visitor(), "PV", thesaurus=THESAURUS).ids) == [1]
        assert index.search(member, "PV").ids == [1]
    finally:
        index.close()


def test_a_title_holding_the_skill_by_another_name_ranks_first(tmp_path):
    index = ProjectIndex(tmp_path / "ranked", procs=1)
    labels = {"skill_labels": ["obstetrician", "OB-GYN"], "skills": ["Obstetrics"]}
    longer = "Obstetrics researcher for the national statistics office and its surveys"
    index.update(
        [
            project(1, title=longer, summary="Obstetrician researcher wanted.", **labels),
            project(2, title="Obstetrics researcher", **labels),
            project(3, title="Maternal health researcher", description="An obstetrician team."),
        ]
    )
    try:
        assert index.search("obstetrician researcher", thesaurus=THESAURUS).ids[0] == 2
    finally:
        index.close()
