"""The user query language: a deliberately small subset of Whoosh's.

Allowed: words, ``"phrases"``, ``AND`` / ``OR`` / ``NOT``, ``-word`` and ``+word``, parentheses,
and a trailing-prefix wildcard ``abc*`` (at least three letters). Words are required by default.
There are no field names (``email:x`` is the two words "email" and "x"), no fuzzy ``~``, no
boosts ``^``, no ranges and no other wildcards: the parser is built from only the plugins
below, so such syntax is plain text for the analyzer, which keeps the words and drops the rest.

Languages: given the ``languages`` a searcher reads, the text is parsed once into plain
folded words (no stems, no stop words removed) and each word, phrase and prefix is then read in
every one of those languages, on the field of that language (``content``, ``content_fr``...)
with that language's stop words and stemmer: ``infirmières`` becomes
``content:infirmier OR content_fr:infirmier``. A document only has the field of its own
language, so it matches exactly when the query read in its language matches. A word that is a
stop word in one language asks nothing of the documents in that language (``Term("lang", L)``)
but is still required of the others.

The input is bounded before parsing (:data:`MAX_QUERY_CHARS` characters, :data:`MAX_DEPTH`
levels of parentheses, unbalanced quotes neutralised) and the parsed query is bounded after
(:data:`MAX_TERMS` terms), so that any input parses in well under a millisecond per character
and evaluates in bounded time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache

from whoosh import query as wq
from whoosh.fields import TEXT, Schema
from whoosh.qparser import QueryParser, syntax
from whoosh.qparser.plugins import (
    GroupPlugin,
    OperatorsPlugin,
    PhrasePlugin,
    PlusMinusPlugin,
    TaggingPlugin,
)

from .analysis import (
    ENGLISH,
    FoldingAnalyzer,
    field_language,
    fold,
    language_field,
    text_analyzer,
)
from .synonyms import SynonymMatch, Thesaurus

MAX_QUERY_CHARS = 200
MAX_TERMS = 30
# Terms a thesaurus may add on top (see ``synonyms.MAX_REWRITES`` and ``MAX_ALTERNATIVES``).
MAX_SYNONYM_TERMS = 60
MAX_DEPTH = 3
MIN_PREFIX_LETTERS = 3
QUERY_FIELD = "text"

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"(?<![\w*])[^\W\d_]{2,}(?![\w*])")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE"})
# An operator word or a leading "+": the user said how the words combine.
_EXPLICIT = re.compile(r"(?<!\S)(?:AND|OR|NOT)(?!\S)|(?:^|(?<=[\s(]))\+")


class PrefixNode(syntax.TextNode):
    """A ``abc*`` prefix: folded but not stemmed (stems are not prefixes of each other)."""

    qclass = wq.Prefix

    def r(self):
        return f"{self.text!r}*"

    def query(self, parser):
        fieldname = self.fieldname or parser.fieldname
        letters = sum(ch.isalpha() for ch in self.text)
        if letters < MIN_PREFIX_LETTERS:
            return parser.term_query(fieldname, self.text, parser.termclass)
        return wq.Prefix(fieldname, fold(self.text))


class PrefixPlugin(TaggingPlugin):
    """Tag a word ending with ``*`` (and with no other wildcard) as a prefix."""

    expr = r"(?<![\w*?])(?P<text>\w{3,})\*(?![\w*?])"
    nodetype = PrefixNode
    priority = 0


class _PlainAnalyzer(FoldingAnalyzer):
    """Folded words, no stems, no stop words: the words as typed, to be read per language."""

    def __init__(self):
        super().__init__(stemming=False)

    def _compile(self):
        super()._compile()
        self._stop = frozenset()


LANGUAGE_FIELD = "lang"


def _parser(fieldname: str, plain: bool = False) -> QueryParser:
    analyzer = _PlainAnalyzer() if plain else text_analyzer(field_language(fieldname))
    schema = Schema(**{fieldname: TEXT(analyzer=analyzer, phrase=True)})
    start = r"(?:^|(?<=[\s(]))"
    plugins = [
        PhrasePlugin(),
        GroupPlugin(),
        OperatorsPlugin(AndNot=None, AndMaybe=None, Require=None),
        PlusMinusPlugin(plusexpr=start + r"\+(?=[\w\"])", minusexpr=start + r"-(?=[\w\"])"),
        PrefixPlugin(),
    ]
    return QueryParser(fieldname, schema, plugins=plugins, group=syntax.AndGroup)


_PARSERS: dict[tuple[str, bool], QueryParser] = {}


def parser_for(fieldname: str, plain: bool = False) -> QueryParser:
    """Return the (shared, stateless) restricted parser for ``fieldname`` (analysing in the
    field's language, or with ``plain`` keeping the folded words as typed)."""
    if (fieldname, plain) not in _PARSERS:
        _PARSERS[fieldname, plain] = _parser(fieldname, plain)
    return _PARSERS[fieldname, plain]


@cache
def _reader(language: str) -> FoldingAnalyzer:
    return text_analyzer(language)


def _read_word(word: str, language: str) -> str | None:
    """The index term of a folded query word in ``language``, or None for a stop word."""
    return _reader(language)._term(word)


def _read_words(words, language: str) -> list[str]:
    return [term for term in (_read_word(word, language) for word in words) if term]


def in_languages(node, fieldname: str, languages: tuple[str, ...], stops: bool = True):
    """Read a query parsed by the plain parser in each of ``languages`` (see the module notes).

    With ``stops``, a word that is a stop word in a language is satisfied by every document
    of that language; without, it is dropped (as a single-language parse drops it).
    """

    def leaf(node, negated: bool):
        options: list[wq.Query] = []
        for language in languages:
            field = language_field(fieldname, language)
            if isinstance(node, wq.Prefix):
                options.append(wq.Prefix(field, node.text))
                continue
            if isinstance(node, wq.Phrase):
                terms = _read_words(node.words, language)
                if len(terms) > 1:
                    options.append(wq.Phrase(field, terms, slop=node.slop))
                    continue
                term = terms[0] if terms else None
            else:
                term = _read_word(node.text, language)
            if term is not None:
                options.append(wq.Term(field, term))
            elif stops and not negated:
                options.append(wq.Term(LANGUAGE_FIELD, language))
        if not options:
            return wq.NullQuery
        return options[0] if len(options) == 1 else wq.Or(options)

    def walk(node, negated: bool):
        if isinstance(node, wq.Term | wq.Phrase | wq.Prefix):
            return leaf(node, negated)
        if isinstance(node, wq.Not):
            return wq.Not(walk(node.query, not negated))
        if isinstance(node, wq.AndNot):
            return wq.AndNot(walk(node.a, negated), walk(node.b, not negated))
        return node.apply(lambda child: walk(child, negated))

    if node is None or node is wq.NullQuery:
        return node
    expanded = walk(node, False).normalize()
    if isinstance(expanded, wq.Not) and expanded.query is wq.NullQuery:
        return wq.NullQuery
    return expanded


@dataclass(frozen=True)
class Word:
    """A plain word of the query text and where it is, for "did you mean"."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed user query.

    ``query`` is None when the user typed nothing (browse everything), and a ``NullQuery``
    when the text had nothing searchable in it (it then matches nothing). ``synonyms`` are
    the skill labels the thesaurus found in the text; ``thesaurus`` and ``fieldname`` are
    how the text was read, for :meth:`reparse`.
    """

    text: str
    query: wq.Query | None
    words: tuple[Word, ...] = field(default=())
    synonyms: tuple[SynonymMatch, ...] = field(default=())
    fieldname: str = field(default=QUERY_FIELD, compare=False)
    thesaurus: Thesaurus | None = field(default=None, compare=False, repr=False)
    # With languages: the query as plain words, before it was read in each language.
    languages: tuple[str, ...] | None = field(default=None, compare=False)
    plain: wq.Query | None = field(default=None, compare=False, repr=False)

    def reparse(self, text: str) -> ParsedQuery:
        """Read another text (a spelling correction) the way this one was read."""
        return parse(text, self.fieldname, self.thesaurus, self.languages)

    def in_languages(self, languages: tuple[str, ...]) -> ParsedQuery:
        """The same text read in other languages."""
        if self.languages is None or self.query is None:
            return self
        query = in_languages(self.plain, self.fieldname, languages)
        return replace(self, query=query, languages=languages)

    def in_language(self, language: str) -> wq.Query | None:
        """The query as a parse in ``language`` alone would read it (stop words dropped)."""
        if self.languages is None:
            return self.query
        if self.plain is None:
            return None
        return in_languages(self.plain, self.fieldname, (language,), stops=False)

    def field_of(self, language: str) -> str:
        """The field this query reads ``language`` text in."""
        return language_field(self.fieldname, language) if self.languages else self.fieldname

    @property
    def is_browse(self) -> bool:
        return self.query is None

    @property
    def matches_nothing(self) -> bool:
        return self.query is wq.NullQuery

    def any_words(self) -> ParsedQuery | None:
        """The same words with any of them enough, for when all of them match nothing.

        Only a plain list of two or more words, phrases or prefixes has such a reading; a
        query with operators says what it wants and is left as it is.
        """
        node = self.query if self.languages is None else self.plain
        if _EXPLICIT.search(self.text):
            return None
        if not isinstance(node, wq.And) or len(node.subqueries) < 2:
            return None
        # Without operators in the text, an OR can only be a skill label and its other names.
        leaves = (wq.Term, wq.Phrase, wq.Prefix)
        allowed = (*leaves, wq.Or) if self.synonyms else leaves
        if not all(isinstance(child, allowed) for child in node.subqueries):
            return None
        some = wq.Or(list(node.subqueries))
        if self.languages is None:
            return replace(self, query=some)
        # Any word is enough: a stop word of a language must not match all of its documents.
        query = in_languages(some, self.fieldname, self.languages, stops=False)
        return replace(self, query=query, plain=some)


def _balance_quotes(text: str) -> str:
    if text.count('"') % 2:
        index = text.rfind('"')
        text = text[:index] + " " + text[index + 1 :]
    return text


def _limit_depth(text: str) -> str:
    """Blank out parentheses that are unmatched or nested deeper than ``MAX_DEPTH``."""
    chars = list(text)
    stack: list[tuple[int, bool]] = []
    in_quote = False
    depth = 0
    for index, ch in enumerate(chars):
        if ch == '"':
            in_quote = not in_quote
        elif in_quote:
            continue
        elif ch == "(":
            keep = depth < MAX_DEPTH
            stack.append((index, keep))
            if keep:
                depth += 1
            else:
                chars[index] = " "
        elif ch == ")":
            if not stack:
                chars[index] = " "
                continue
            _, kept = stack.pop()
            if kept:
                depth -= 1
            else:
                chars[index] = " "
    for index, _ in stack:
        chars[index] = " "
    return "".join(chars)


def sanitize(text) -> str:
    """Return the bounded, cleaned query text that will be parsed."""
    text = _CONTROL.sub(" ", str(text or ""))[: MAX_QUERY_CHARS * 4]
    text = _SPACES.sub(" ", text).strip()[:MAX_QUERY_CHARS].strip()
    return _limit_depth(_balance_quotes(text))


def _limit_terms(node: wq.Query, budget: list[int]) -> wq.Query:
    """Replace the leaves beyond the term budget by ``NullQuery``."""
    if isinstance(node, wq.Phrase):
        if budget[0] <= 0:
            return wq.NullQuery
        words = node.words[: budget[0]]
        budget[0] -= len(words)
        return wq.Phrase(node.fieldname, words, slop=node.slop)
    if isinstance(node, wq.Term | wq.Prefix):
        if budget[0] <= 0:
            return wq.NullQuery
        budget[0] -= 1
        return node
    if isinstance(node, wq.Not):
        return wq.Not(_limit_terms(node.query, budget))
    if isinstance(node, wq.AndNot):
        positive = _limit_terms(node.a, budget).normalize()
        negative = _limit_terms(node.b, budget)
        if positive is wq.NullQuery:
            return wq.Not(negative)
        return wq.AndNot(positive, negative)
    if isinstance(node, wq.BinaryQuery):
        return type(node)(_limit_terms(node.a, budget), _limit_terms(node.b, budget))
    if isinstance(node, wq.CompoundQuery):
        return type(node)([_limit_terms(child, budget) for child in node.subqueries])
    if node is wq.NullQuery or isinstance(node, wq.Every):
        return node
    raise TypeError(f"the restricted parser made a query node it does not know: {node!r}")


def query_words(text: str) -> tuple[Word, ...]:
    """Return the plain words of a sanitized query (no operators, no prefixes, no digits)."""
    return tuple(
        Word(match.start(), match.end(), match.group())
        for match in _WORD.finditer(text)
        if match.group() not in _OPERATORS
    )


def _words_only(parser: QueryParser, text: str) -> wq.Query:
    """Read ``text`` as plain required words, ignoring every operator."""
    analyzer = parser.schema[parser.fieldname].analyzer
    terms = [wq.Term(parser.fieldname, token.text) for token in analyzer(text)]
    return wq.And(terms) if terms else wq.NullQuery


def _bounded(parser: QueryParser, text: str, terms: int) -> wq.Query:
    try:
        parsed = parser.parse(text, normalize=False)
    except Exception:  # noqa: BLE001 - Whoosh's parser fails on a few odd operator sequences
        parsed = _words_only(parser, text)
    limited = _limit_terms(parsed, [terms]).normalize()
    if limited is wq.NullQuery or isinstance(limited, wq.Not) and limited.query is wq.NullQuery:
        limited = wq.NullQuery
    return limited


def parse(
    text,
    fieldname: str = QUERY_FIELD,
    thesaurus: Thesaurus | None = None,
    languages: tuple[str, ...] | None = None,
) -> ParsedQuery:
    """Parse user input into a bounded Whoosh query on ``fieldname`` (see the module notes).

    With a ``thesaurus``, skill labels in the text are also looked for by their skills' other
    names (see :mod:`diaspora.search.synonyms`). With ``languages``, the query is read in each
    of them, on their fields (``fieldname`` for English, ``fieldname_fr``...); without, in the
    language of ``fieldname`` alone.
    """
    clean = sanitize(text)
    if languages is not None:
        languages = tuple(dict.fromkeys(languages)) or (ENGLISH,)
    if not clean:
        return ParsedQuery(
            clean, None, fieldname=fieldname, thesaurus=thesaurus, languages=languages
        )
    parser = parser_for(fieldname, plain=languages is not None)
    synonyms: tuple[SynonymMatch, ...] = ()
    limited = None
    if thesaurus:
        rewritten, synonyms = thesaurus.rewrite(clean)
        if synonyms:
            limited = _bounded(parser, rewritten, MAX_TERMS + MAX_SYNONYM_TERMS)
    if limited is None:
        limited = _bounded(parser, clean, MAX_TERMS)
    plain = None
    if languages is not None:
        plain, limited = limited, in_languages(limited, fieldname, languages)
    return ParsedQuery(
        clean,
        limited,
        query_words(clean),
        synonyms=synonyms,
        fieldname=fieldname,
        thesaurus=thesaurus,
        languages=languages,
        plain=plain,
    )


def positive_leaves(node: wq.Query):
    """Yield the Term, Phrase and Prefix leaves that add to a match (not those under NOT)."""
    if isinstance(node, wq.Term | wq.Phrase | wq.Prefix):
        yield node
    elif isinstance(node, wq.Not):
        return
    elif isinstance(node, wq.AndNot):
        yield from positive_leaves(node.a)
    elif isinstance(node, wq.BinaryQuery):
        yield from positive_leaves(node.a)
        yield from positive_leaves(node.b)
    elif isinstance(node, wq.CompoundQuery):
        for child in node.subqueries:
            yield from positive_leaves(child)
