"""Snippets as safe HTML: the stored text escaped, the matched words wrapped in ``<mark>``.

Every character of the original text goes through :func:`html.escape`; the only markup added
is ``<mark>``, ``</mark>`` and an ellipsis, so a title like ``<script>`` shows as text.

A word matches when its analyzed form (folded, not a stop word, stemmed in the language of the
text: what the index holds) is one of the query's terms. The words are found with the same
expression the index uses, in one pass over the text and without token objects: highlighting
twenty results is a few hundred microseconds.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from .analysis import ENGLISH, MAX_WORD, MIN_WORD, WORD_PATTERN, fold, stemmer, stop_words

ELLIPSIS = "\u2026"
SNIPPET_CHARS = 220
_WORD = re.compile(WORD_PATTERN)


def escape(text: str) -> str:
    """Escape text for HTML, quotes included."""
    return html.escape(text, quote=True)


@lru_cache(maxsize=100_000)
def _term(word: str, language: str = ENGLISH) -> str | None:
    """The index term of a word as written in ``language``, or None for a word the index
    leaves out."""
    folded = fold(word)
    if not MIN_WORD <= len(folded) <= MAX_WORD or folded in stop_words(language):
        return None
    return stemmer(language)(folded)


def _words(text: str, terms: set[str], language: str = ENGLISH) -> list[tuple[int, int, bool]]:
    """Return ``(start, end, matched)`` for every word of ``text``, or nothing when no word
    matches (decided on the distinct words first: most texts of a result page have none)."""
    matching = {word for word in set(_WORD.findall(text)) if _term(word, language) in terms}
    if not matching:
        return []
    return [
        (match.start(), match.end(), match.group() in matching) for match in _WORD.finditer(text)
    ]


def _marked(text: str, words, start: int, end: int) -> str:
    """Return ``text[start:end]`` escaped, with the matched ``words`` in it marked."""
    parts = []
    position = start
    for word_start, word_end, matched in words:
        if matched and word_start >= start and word_end <= end:
            parts.append(escape(text[position:word_start]))
            parts.append(f"<mark>{escape(text[word_start:word_end])}</mark>")
            position = word_end
    parts.append(escape(text[position:end]))
    return "".join(parts)


def shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    """Return ``text`` cut at a word boundary near ``limit`` characters, escaped."""
    if len(text) <= limit:
        return escape(text)
    cut = text.rfind(" ", 0, limit)
    return escape(text[: cut if cut > limit // 2 else limit].rstrip()) + f" {ELLIPSIS}"


def mark_all(text: str, terms: set[str], language: str = ENGLISH) -> str:
    """Return all of ``text`` escaped, with every matched word marked (for titles, names)."""
    if not text:
        return ""
    words = _words(text, terms, language) if terms else []
    return _marked(text, words, 0, len(text)) if words else escape(text)


def _best_window(words, limit: int) -> tuple[int, int]:
    """Return the ``(first, last)`` word indexes of the passage of at most ``limit``
    characters holding the most matched words (the earliest such passage), starting up to a
    third of ``limit`` before its first match and ending up to a third after its last."""
    surround = limit // 3
    hits = [index for index, (_, _, matched) in enumerate(words) if matched]
    best = None
    for anchor in hits:
        first = anchor
        while first > 0 and words[anchor][0] - words[first - 1][0] <= surround:
            first -= 1
        begin = words[first][0]
        last = anchor
        count = 1
        for index in range(anchor + 1, len(words)):
            if words[index][1] - begin > limit:
                break
            if words[index][2]:
                count += 1
                last = index
        last_match_end = words[last][1]
        while (
            last + 1 < len(words)
            and words[last + 1][1] - begin <= limit
            and words[last + 1][1] - last_match_end <= surround
        ):
            last += 1
        if best is None or count > best[0]:
            best = (count, first, last)
    return best[1], best[2]


def snippet(
    texts: list[str], terms: set[str], limit: int = SNIPPET_CHARS, language: str = ENGLISH
) -> str:
    """Return the best passage of the first text where a term matches, else the first text.

    ``terms`` are analyzed terms (stems of ``language``), as in the index. A text longer than
    ``limit`` is cut to the passage with the most matches, with an ellipsis where it was cut.
    """
    texts = [text for text in texts if text]
    if not texts:
        return ""
    if terms:
        for text in texts:
            words = _words(text, terms, language)
            if not words:
                continue
            if len(text) <= limit:
                return _marked(text, words, 0, len(text))
            first, last = _best_window(words, limit)
            start, end = words[first][0], words[last][1]
            body = _marked(text, words, start, end)
            if start > 0:
                body = f"{ELLIPSIS} {body}"
            if end < len(text):
                body = f"{body} {ELLIPSIS}"
            return body
    return shorten(texts[0], limit)
