"""Snippets and marked titles: escaped text, matched words marked as the index analyzes them."""

from diaspora.search.analysis import text_analyzer
from diaspora.search.highlight import ELLIPSIS, SNIPPET_CHARS, mark_all, shorten, snippet


def terms(text: str) -> set[str]:
    """The analyzed terms of a query, as the engine passes them."""
    return {token.text for token in text_analyzer()(text)}


def test_marked_words_are_the_analyzed_matches_and_everything_is_escaped():
    value = "<b>Solar</b> clinic & co"
    assert mark_all(value, {"clinic"}) == "&lt;b&gt;Solar&lt;/b&gt; <mark>clinic</mark> &amp; co"
    assert mark_all('"Nurses" for SANTÉ', terms("nurse sante")) == (
        "&quot;<mark>Nurses</mark>&quot; for <mark>SANTÉ</mark>"
    )
    assert mark_all("Training nurses", terms("nursing")) == "Training <mark>nurses</mark>"


def test_stop_words_and_parts_of_words_are_never_marked():
    assert (
        mark_all("The art of the clinic", terms("the art")) == "The <mark>art</mark> of the clinic"
    )
    assert mark_all("Cardiology", terms("cardio")) == "Cardiology"


def test_nothing_to_mark_gives_the_escaped_text():
    assert mark_all("<i>x</i>", set()) == "&lt;i&gt;x&lt;/i&gt;"
    assert mark_all("<i>x</i>", {"clinic"}) == "&lt;i&gt;x&lt;/i&gt;"
    assert mark_all("", {"clinic"}) == ""


def test_a_short_text_is_marked_whole():
    assert snippet(["", "Solar pumps for clinics"], terms("clinic")) == (
        "Solar pumps for <mark>clinics</mark>"
    )


def test_a_long_text_is_cut_around_the_most_matches_with_ellipses():
    filler = "water " * 60
    text = f"{filler}solar once {filler}solar pumps and clinic nurses together {filler}"
    cut = snippet([text], terms("solar clinic nurse"))
    assert cut.startswith(f"{ELLIPSIS} ") and cut.endswith(f" {ELLIPSIS}")
    assert "<mark>solar</mark> pumps and <mark>clinic</mark> <mark>nurses</mark>" in cut
    shown = cut.replace("<mark>", "").replace("</mark>", "").strip(f" {ELLIPSIS}")
    assert len(shown) <= SNIPPET_CHARS
    assert shown in text


def test_a_match_at_the_start_needs_no_leading_ellipsis():
    text = "Clinic " + "water " * 80
    cut = snippet([text], terms("clinic"))
    assert cut.startswith("<mark>Clinic</mark> water") and cut.endswith(ELLIPSIS)


def test_hostile_text_in_a_cut_snippet_stays_text():
    long_text = "<script>x</script> " * 30 + "clinic " + "<i>y</i> " * 30
    cut = snippet([long_text], {"clinic"})
    assert "<mark>clinic</mark>" in cut and "<script" not in cut and "<i>" not in cut


def test_the_first_text_with_a_match_is_used_else_the_first_text_shortened():
    assert snippet(["no match here", "a clinic"], {"clinic"}) == "a <mark>clinic</mark>"
    long_text = "word " * 100
    assert snippet([long_text, "other"], {"clinic"}) == shorten(long_text)
    assert snippet([], {"clinic"}) == ""
