"""Text analysis for the search indexes.

Free text is tokenized, lowercased, accent-folded with Whoosh's ``accent_map`` ("santé" and
"sante" become the same term), stripped of its language's stop words and stemmed with its
language's stemmer (:data:`LANGUAGES`): Porter for English ("volunteering" finds
"volunteer"), Whoosh's Snowball stemmers for French, Spanish and Portuguese ("infirmières"
finds "infirmière"), ISRI for Arabic. Stems are taken from the folded word, so the index and
the query always agree. The spelling vocabulary uses the same folding without stemming,
because "did you mean" must suggest real words.

:class:`FoldingAnalyzer` does in one pass what the Whoosh chain ``RegexTokenizer |
LowercaseFilter | CharsetFilter(accent_map) | StopFilter | StemFilter`` does in six generators
(the tests check that both give the same terms); analysis is a large share of indexing time.

Several parts of a document (title, skills, description...) can be indexed into one field with
a weight each: :func:`weighted_text` encodes the parts, and the analyzer gives every token its
part's weight as a boost and keeps parts far apart so that a phrase never spans two of them.
Weighting the term frequencies of one combined field is what BM25F does, and one posting list
per term is much faster to search than one per field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache
from operator import sub
from pickle import dumps

from whoosh.analysis import STOP_WORDS, Token
from whoosh.analysis.analyzers import Analyzer
from whoosh.formats import Positions
from whoosh.lang import stemmer_for_language, stopwords_for_language
from whoosh.lang.isri import ISRIStemmer
from whoosh.lang.porter import stem as porter_stem
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint

SECTION_START = "\x1e"
WEIGHT_END = "\x1f"
SECTION_GAP = 1000
MIN_WORD = 2
MIN_SPELLING_WORD = 3
MAX_WORD = 40
WORD_PATTERN = r"\w+(?:\.?\w+)*"
SPELLING_PATTERN = r"[^\W\d_]+"
STOPLIST = frozenset(STOP_WORDS)
ENGLISH = "en"
# The languages content may be written in, each analysed with its own stemmer and stop words.
LANGUAGES = ("en", "fr", "es", "pt", "ar")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPELLING_WORD = re.compile(SPELLING_PATTERN)
TERM_CACHE = 200_000
stem = lru_cache(maxsize=TERM_CACHE)(porter_stem)
_UNSEEN = object()


def fold(text: str) -> str:
    """Lowercase ``text`` and remove its accents."""
    return text.lower().translate(accent_map)


def language_of(code) -> str:
    """``code`` if content can be analysed in that language, else English."""
    code = str(code or "").strip().lower()
    return code if code in LANGUAGES else ENGLISH


# Articles that Whoosh's (Snowball's) lists of stop words leave out.
_MORE_STOP_WORDS = {"fr": {"les"}, "es": {"unas"}, "pt": {"uns", "umas"}}


def _arabic_stop_words() -> frozenset[str]:
    return frozenset(ISRIStemmer().stop_words)


@cache
def stop_words(language: str = ENGLISH) -> frozenset[str]:
    """The (folded) stop words of ``language``."""
    if language == ENGLISH:
        return STOPLIST
    words = _arabic_stop_words() if language == "ar" else stopwords_for_language(language)
    return frozenset(fold(word) for word in (*words, *_MORE_STOP_WORDS.get(language, ())))


@cache
def stemmer(language: str = ENGLISH):
    """The stemming function of ``language`` (of a folded word), cached."""
    if language == ENGLISH:
        return stem
    return lru_cache(maxsize=TERM_CACHE)(stemmer_for_language(language))


class FoldingAnalyzer(Analyzer):
    """Words, lowercase, accent folding, stop words and (optionally) stems, of one language.

    Text encoded by :func:`weighted_text` is read as weighted sections: each token carries its
    section's weight as ``boost``, and positions jump by ``SECTION_GAP`` between sections.
    """

    def __init__(
        self,
        stemming: bool = True,
        expression: str = WORD_PATTERN,
        minsize=MIN_WORD,
        language: str = ENGLISH,
    ):
        self.stemming = stemming
        self.expression = expression
        self.minsize = minsize
        self.language = language
        self._compile()

    def _compile(self):
        self._regex = re.compile(self.expression)
        self._terms: dict[str, str | None] = {}
        self._stop = stop_words(self.language)
        self._stem = stemmer(self.language)

    def _term(self, word: str) -> str | None:
        """The indexed term of a word as the pattern found it, or None for a stop word;
        remembered (up to ``TERM_CACHE`` words), since most words of a corpus repeat."""
        term = self._terms.get(word, _UNSEEN)
        if term is _UNSEEN:
            folded = word.lower().translate(accent_map)
            if len(folded) < self.minsize or len(folded) > MAX_WORD or folded in self._stop:
                term = None
            else:
                term = self._stem(folded) if self.stemming else folded
            if len(self._terms) >= TERM_CACHE:
                self._terms.clear()
            self._terms[word] = term
        return term

    def __getstate__(self):
        state = {"stemming": self.stemming, "expression": self.expression, "minsize": self.minsize}
        if self.language != ENGLISH:
            state["language"] = self.language
        return state

    def __setstate__(self, state):
        self.language = ENGLISH  # analyzers pickled before languages were English
        self.__dict__.update(state)
        self._compile()

    def __eq__(self, other):
        return type(self) is type(other) and self.__getstate__() == other.__getstate__()

    def __repr__(self):
        return f"{type(self).__name__}(stemming={self.stemming!r}, language={self.language!r})"

    def _sections(self, value: str):
        """Yield ``(weight, text, offset)`` for each section of ``value``."""
        if SECTION_START not in value:
            yield 1.0, value, 0
            return
        offset = 0
        for part in value.split(SECTION_START):
            weight_text, sep, text = part.partition(WEIGHT_END)
            if sep:
                yield float(weight_text), text, offset + len(weight_text) + 1
            else:
                yield 1.0, part, offset
            offset += len(part) + 1

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        kwargs.pop("no_morph", None)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        minsize = self.minsize
        stemming = self.stemming
        stoplist, stem_of = self._stop, self._stem
        finditer = self._regex.finditer
        kept = 0
        sections = [(1.0, value, 0)] if not tokenize else self._sections(value)
        for section, (weight, text, offset) in enumerate(sections):
            matches = finditer(text) if tokenize else [None]
            for match in matches:
                original = match.group() if match is not None else text
                word = original.lower().translate(accent_map)
                stopped = len(word) < minsize or len(word) > MAX_WORD or word in stoplist
                if stopped and removestops:
                    continue
                token.text = stem_of(word) if stemming and not stopped else word
                token.boost = weight
                token.stopped = stopped
                if keeporiginal:
                    token.original = original
                if positions:
                    token.pos = start_pos + kept + section * SECTION_GAP
                if chars:
                    start = offset + (match.start() if match is not None else 0)
                    token.startchar = start_char + start
                    token.endchar = start_char + start + len(original)
                if not stopped:
                    kept += 1
                yield token

    def term_positions(self, value: str) -> dict[str, list]:
        """Return ``term -> [weight, positions]`` for indexing, without making tokens.

        Gives the terms, positions and boosts that :meth:`__call__` gives, in a fraction of the
        time (no token objects, no generator per token); used by :class:`WeightedPositions`.
        """
        terms: dict[str, list] = {}
        cache, term_of = self._terms, self._term
        findall = self._regex.findall
        kept = 0
        for section, (weight, text, _) in enumerate(self._sections(value)):
            base = section * SECTION_GAP
            for word in findall(text):
                term = cache.get(word, _UNSEEN)
                if term is _UNSEEN:
                    term = term_of(word)
                if term is None:
                    continue
                entry = terms.get(term)
                if entry is None:
                    terms[term] = [weight, [kept + base]]
                else:
                    entry[0] += weight
                    entry[1].append(kept + base)
                kept += 1
        return terms


# Encoded position lists of one position: most terms occur once in a document, and positions
# are small numbers (a section's words, plus SECTION_GAP per section).
_SINGLE_POSITIONS: dict[int, bytes] = {}


class WeightedPositions(Positions):
    """Whoosh's ``Positions`` format, indexing through :meth:`FoldingAnalyzer.term_positions`.

    The stored postings are byte for byte those of ``Positions``; only the indexing is faster.
    """

    def word_values(self, value, analyzer, **kwargs):
        if not isinstance(value, str) or not isinstance(analyzer, FoldingAnalyzer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for term, (weight, positions) in analyzer.term_positions(value).items():
            yield term, len(positions), weight * boost, self.encode(positions)

    def encode(self, poslist):
        if len(poslist) == 1:
            encoded = _SINGLE_POSITIONS.get(poslist[0])
            if encoded is None:
                encoded = _SINGLE_POSITIONS[poslist[0]] = self._encode(poslist)
            return encoded
        return self._encode(poslist)

    @staticmethod
    def _encode(poslist):
        deltas = [poslist[0], *map(sub, poslist[1:], poslist[:-1])]
        return pack_uint(len(deltas)) + dumps(deltas, 2)


def text_analyzer(language: str = ENGLISH) -> FoldingAnalyzer:
    """Analyzer for free text in ``language``: folded, its stop words removed, its stems."""
    return FoldingAnalyzer(stemming=True, language=language)


def spelling_analyzer() -> FoldingAnalyzer:
    """Analyzer for the "did you mean" vocabulary: folded whole words, no digits, no stems."""
    return FoldingAnalyzer(stemming=False, expression=SPELLING_PATTERN, minsize=MIN_SPELLING_WORD)


def spelling_words(text: str, language: str = ENGLISH) -> list[str]:
    """Return the distinct spelling-vocabulary words of ``text`` (as :func:`spelling_analyzer`),
    without the stop words of the text's ``language``."""
    words = {fold(word) for word in _SPELLING_WORD.findall(text)}
    stoplist = STOPLIST | stop_words(language)
    return sorted(
        word
        for word in words
        if MIN_SPELLING_WORD <= len(word) <= MAX_WORD and word not in stoplist
    )


def language_field(base: str, language: str) -> str:
    """The field holding ``base`` text written in ``language`` (English keeps ``base``)."""
    return base if language == ENGLISH else f"{base}_{language}"


def field_language(fieldname: str) -> str:
    """The language of a field named by :func:`language_field`."""
    head, _, tail = fieldname.rpartition("_")
    return tail if head and tail in LANGUAGES else ENGLISH


def clean_text(value) -> str:
    """Return ``value`` as a string with control characters replaced by spaces."""
    if value is None:
        return ""
    return _CONTROL.sub(" ", str(value))


def weighted_text(parts: Iterable[tuple[float, str]]) -> str:
    """Encode ``(weight, text)`` parts as weighted sections for :class:`FoldingAnalyzer`."""
    return "".join(
        f"{SECTION_START}{weight:g}{WEIGHT_END}{clean_text(text)}" for weight, text in parts
    )
