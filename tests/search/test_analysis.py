"""Analysis: folding, stemming, weighted sections and the spelling vocabulary."""

from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.support.charset import accent_map

from diaspora.search.analysis import (
    SECTION_GAP,
    WORD_PATTERN,
    spelling_analyzer,
    spelling_words,
    text_analyzer,
    weighted_text,
)


def terms(text: str) -> list[str]:
    return [token.text for token in text_analyzer()(text)]


def test_accents_fold_both_ways():
    assert terms("santé") == terms("sante")
    assert terms("Médecins") == terms("Medecins") == terms("MÉDECINS")


def test_stemming_joins_word_forms():
    assert terms("volunteering") == terms("volunteer") == terms("volunteers")


def test_stop_words_and_case_are_dropped():
    assert terms("The Ministry of Health") == ["ministri", "health"]


def test_same_terms_and_positions_as_the_whoosh_chain():
    chain = (
        RegexTokenizer(WORD_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(minsize=2, maxsize=40)
        | StemFilter()
    )
    text = "Le Centre de Santé de Thiès recrute: 3 médecins, e-learning & volunteering (2024)."
    expected = [
        (t.text, t.pos, t.startchar, t.endchar) for t in chain(text, positions=True, chars=True)
    ]
    actual = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in text_analyzer()(text, positions=True, chars=True)
    ]
    assert actual == expected


def test_weighted_sections_carry_boosts_and_keep_phrases_apart():
    value = weighted_text([(4.0, "Solar"), (1.0, "panels for schools")])
    tokens = [
        (t.text, t.pos, t.boost, value[t.startchar : t.endchar])
        for t in text_analyzer()(value, positions=True, chars=True, boosts=True)
    ]
    assert tokens[0] == ("solar", SECTION_GAP, 4.0, "Solar")
    assert tokens[1][0] == "panel" and tokens[1][2] == 1.0 and tokens[1][3] == "panels"
    assert tokens[1][1] - tokens[0][1] > 1


def test_weighted_text_neutralises_separator_characters():
    value = weighted_text([(1.0, "a\x1e9\x1fb")])
    assert value.count("\x1e") == 1 and value.count("\x1f") == 1


def test_spelling_words_are_folded_unstemmed_and_distinct():
    assert spelling_words("Médecins volunteers 2024 the Santé santé") == [
        "medecins",
        "sante",
        "volunteers",
    ]
    analyzed = sorted({t.text for t in spelling_analyzer()("Médecins volunteers 2024 the Santé")})
    assert analyzed == ["medecins", "sante", "volunteers"]


def test_fast_indexing_path_gives_the_same_postings():
    from whoosh.formats import Positions

    from diaspora.search.analysis import WeightedPositions

    analyzer = text_analyzer()
    value = weighted_text(
        [
            (4.0, "Médecins: santé & volunteering"),
            (1.0, "İstanbul straße, e-learning 3.5 and the end"),
        ]
    )
    fast = sorted(WeightedPositions().word_values(value, analyzer))
    slow = sorted(Positions().word_values(value, analyzer))
    assert fast == slow


def test_remembered_terms_stay_bounded_and_give_the_same_postings(monkeypatch):
    from whoosh.formats import Positions

    from diaspora.search import analysis
    from diaspora.search.analysis import WeightedPositions

    monkeypatch.setattr(analysis, "TERM_CACHE", 5)
    analyzer = text_analyzer()
    texts = [
        weighted_text([(4.0, f"Clinic {n} nurses"), (1.0, "The nurses of Médecins du Monde")])
        for n in range(30)
    ]
    for value in texts + texts:  # the second pass reads remembered terms
        fast = sorted(WeightedPositions().word_values(value, analyzer))
        assert fast == sorted(Positions().word_values(value, analyzer))
        assert len(analyzer._terms) <= 5
    # A word and its stop-word status are remembered as the pattern found them.
    assert analyzer.term_positions("The NURSES the") == {"nurs": [1.0, [0]]}
    # The remembered terms are not part of the analyzer as the index schema stores it.
    assert "_terms" not in analyzer.__getstate__()
