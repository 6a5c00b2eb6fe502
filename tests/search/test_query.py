"""The restricted query language: what it accepts, and that hostile input stays harmless."""

import time

import pytest
from whoosh import query as wq

from diaspora.search.query import MAX_QUERY_CHARS, MAX_TERMS, parse, sanitize

HOSTILE = [
    "email:*",
    "visibility:hidden",
    "*a*",
    "?x*",
    "term~9",
    " OR ".join(["solar"] * 500),
    "((((",
    "))))((((",
    '"unbalanced quote',
    "' OR 1=1--",
    "x" * 10_000,
    "solar " * 2_000,
    "(" * 5000 + "solar" + ")" * 5000,
    "NOT NOT NOT",
    "AND OR",
    "title:solar^9 [a TO z] {a TO z} solar~2/3",
    "\x00\x1f\u202e solar",
]


def fields_of(node) -> set[str]:
    if isinstance(node, wq.Term | wq.Phrase | wq.Prefix):
        return {node.fieldname}
    found = set()
    for child in node.children():
        found |= fields_of(child)
    return found


def leaves(node) -> list:
    if isinstance(node, wq.Term | wq.Phrase | wq.Prefix):
        return [node]
    return [leaf for child in node.children() for leaf in leaves(child)]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_parses_quickly_into_a_bounded_query(text):
    started = time.perf_counter()
    parsed = parse(text, "content")
    assert time.perf_counter() - started < 2
    assert len(parsed.text) <= MAX_QUERY_CHARS
    if parsed.query is not None and parsed.query is not wq.NullQuery:
        assert fields_of(parsed.query) <= {"content"}
        assert sum(len(getattr(leaf, "words", [leaf])) for leaf in leaves(parsed.query)) <= (
            MAX_TERMS
        )
        assert not any(
            isinstance(leaf, wq.Prefix) and len(leaf.text) < 3 for leaf in leaves(parsed.query)
        )


def test_field_syntax_is_plain_words():
    assert parse("email:secret", "content").query == wq.And(
        [wq.Term("content", "email"), wq.Term("content", "secret")]
    )


def test_wildcards_fuzzy_and_boosts_are_words():
    assert parse("*a*").matches_nothing
    assert parse("?x*").matches_nothing
    assert parse("term~9").query == wq.Term("text", "term")
    assert parse("solar^5").query == wq.Term("text", "solar")


def test_only_trailing_prefixes_of_three_letters():
    assert parse("volunt*").query == wq.Prefix("text", "volunt")
    assert parse("Educa*").query == wq.Prefix("text", "educa")
    assert parse("ab*").query == wq.Term("text", "ab")
    assert not isinstance(parse("vol*unt").query, wq.Prefix)


def test_operators_phrases_and_groups():
    parsed = parse('(solar OR wind) AND "rural schools" -diesel')
    assert parsed.query == wq.AndNot(
        wq.And(
            [
                wq.Or([wq.Term("text", "solar"), wq.Term("text", "wind")]),
                wq.Phrase("text", ["rural", "school"]),
            ]
        ),
        wq.Term("text", "diesel"),
    )


def test_a_leading_minus_alone_means_not_and_a_hyphen_is_part_of_a_word():
    assert parse("-diesel").query == wq.Not(wq.Term("text", "diesel"))
    assert parse("self-help").query == wq.And([wq.Term("text", "self"), wq.Term("text", "help")])


def test_terms_beyond_the_limit_are_dropped():
    words = " ".join(f"k{i:02d}" for i in range(40))
    assert len(leaves(parse(words).query)) == MAX_TERMS


def test_deep_and_unbalanced_parentheses_are_neutralised():
    assert sanitize("((((a))))").count("(") == 3
    assert sanitize("a) (b").replace(" ", "") == "ab"
    assert sanitize('say "hi').count('"') == 0


def test_empty_input_is_browse_and_noise_matches_nothing():
    assert parse("   ").is_browse
    assert parse("' OR 1=1--").matches_nothing


def test_words_for_suggestions_skip_operators_and_prefixes():
    parsed = parse("helth AND nurse* OR cardiolgy")
    assert [word.text for word in parsed.words] == ["helth", "cardiolgy"]
