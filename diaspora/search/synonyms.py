"""Other names of skills in queries: a :class:`Thesaurus` of skills and their labels.

A query that holds a skill's label ("GP", "ob-gyn", "M&E") or its name also looks for the
skill's name and its other labels: ``GP clinic`` is read as ``(GP OR "Family medicine" OR
"general practitioner" ...) clinic``. Indexing does the other half (a project or member with
a skill has the skill's labels in its text), so the label finds everything tagged with the
skill, and the skill's names find the texts that only use one of them.

Labels are matched on their words and on the symbols ``& + #`` ("M&E" and "m & e" are the
same label, "C++" is not "C"), ignoring case, accents and the separators ``- / . '`` ("ob-gyn",
"OB/GYN" and "ob gyn" are one label). A one-word label that is also a stop word ("IT") only
matches when typed in capitals. Nothing inside quotes, after ``-`` or ``+``, next to an
operator or a ``*`` is rewritten: what the user spelled out is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .analysis import STOPLIST, fold

MAX_LABEL_TOKENS = 8
# Alternatives added for one label, and labels rewritten in one query: a bound on the terms
# a query can grow to, whatever is typed.
MAX_ALTERNATIVES = 6
MAX_REWRITES = 4

_TOKEN = re.compile(r"[^\W_]+|[&+#]")
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# Characters between two words that keep them in one label ("ob-gyn", "M&E", "solar PV").
_JOINERS = re.compile(r"[\s\-/.'’]*")
_QUOTES_OR_PARENS = re.compile(r"[\"()]")


_SYMBOLS = frozenset("&+#")


def label_tokens(text: str) -> tuple[str, ...]:
    """The identity of a label in a query: its folded words and ``& + #`` symbols."""
    return tuple(_TOKEN.findall(fold(str(text or ""))))


def has_words(tokens: Iterable[str]) -> bool:
    """True when ``tokens`` hold a word or number, not only symbols."""
    return any(token not in _SYMBOLS for token in tokens)


@dataclass(frozen=True)
class SynonymMatch:
    """A label found in a query: the text as typed and the skills it is a label of (empty
    when the text is a skill's own name, which needs no explaining)."""

    typed: str
    skills: tuple[str, ...]


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    key: str
    upper: bool
    # May start a label, or be inside one (False for operators and for ``abc*`` prefixes).
    usable: bool


class Thesaurus:
    """Skills and their labels, for rewriting queries. Built from ``(skill name, labels)``
    pairs; immutable once built, so one object can serve every thread."""

    def __init__(self, skills: Iterable[tuple[str, Iterable[str]]] = ()):
        self._entries: dict[tuple[str, ...], dict[str, bool]] = {}
        self._capitals_only: set[tuple[str, ...]] = set()
        self._names: dict[str, list[str]] = {}
        for name, labels in skills:
            labels = [label for label in dict.fromkeys(labels) if label_tokens(label)]
            if not labels or not label_tokens(name):
                continue
            self._names[name] = labels
            self._add(name, name, is_label=False)
            for label in labels:
                self._add(label, name, is_label=True)
        self.size = sum(len(labels) for labels in self._names.values())

    def _add(self, text: str, name: str, is_label: bool) -> None:
        key = label_tokens(text)
        if not has_words(key) or len(key) > MAX_LABEL_TOKENS:
            return
        if len(key) == 1 and key[0] in STOPLIST:
            if not text.strip().isupper():
                return
            self._capitals_only.add(key)
        slot = self._entries.setdefault(key, {})
        slot[name] = slot.get(name, True) and is_label

    def __bool__(self) -> bool:
        return bool(self._entries)

    def alternatives(self, key: tuple[str, ...]) -> list[str]:
        """The other names to look for with ``key``: its skills' names, then their labels."""
        found: list[str] = []
        seen = {key}
        names = list(self._entries.get(key, ()))
        for text in names + [label for name in names for label in self._names[name]]:
            tokens = label_tokens(text)
            if tokens not in seen:
                seen.add(tokens)
                found.append(text)
        return found[:MAX_ALTERNATIVES]

    def _tokens(self, text: str) -> list[_Token | None]:
        """The words of ``text`` outside quotes, with ``None`` where a label cannot span."""
        tokens: list[_Token | None] = []
        position = 0
        for index, part in enumerate(text.split('"')):
            if index % 2:  # inside quotes
                tokens.append(None)
            else:
                previous_end = 0
                for match in _TOKEN.finditer(part):
                    gap = part[previous_end : match.start()]
                    if tokens and not _JOINERS.fullmatch(gap):
                        tokens.append(None)
                    word = match.group()
                    before = part[match.start() - 1] if match.start() else ""
                    signed = (
                        before != ""
                        and before in "+-"
                        and (match.start() < 2 or part[match.start() - 2] in " (")
                    )
                    after = part[match.end() : match.end() + 1]
                    if signed:
                        tokens.append(None)
                    usable = word not in _OPERATORS and after != "*" and not signed
                    tokens.append(
                        _Token(
                            position + match.start(),
                            position + match.end(),
                            fold(word),
                            word.isupper(),
                            usable,
                        )
                    )
                    if not usable:
                        tokens.append(None)
                    previous_end = match.end()
            position += len(part) + 1
        return tokens

    def find(self, text: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """The labels and skill names in ``text``: (start, end, key), longest first, at most
        ``MAX_REWRITES``."""
        if not self._entries:
            return []
        tokens = self._tokens(text)
        found = []
        i = 0
        while i < len(tokens) and len(found) < MAX_REWRITES:
            token = tokens[i]
            if token is None or not token.usable:
                i += 1
                continue
            run = []
            for candidate in tokens[i : i + MAX_LABEL_TOKENS]:
                if candidate is None or not candidate.usable:
                    break
                run.append(candidate)
            for length in range(len(run), 0, -1):
                key = tuple(t.key for t in run[:length])
                if key not in self._entries:
                    continue
                if key in self._capitals_only and not run[0].upper:
                    continue
                if not has_words(t.key for t in run[:length]):
                    continue
                found.append((run[0].start, run[length - 1].end, key))
                i += length
                break
            else:
                i += 1
        return found

    def rewrite(self, text: str) -> tuple[str, tuple[SynonymMatch, ...]]:
        """``text`` with each label or skill name found ORed with its alternatives, and the
        matches. Text with nothing to rewrite comes back unchanged."""
        pieces = []
        matches = []
        last = 0
        for start, end, key in self.find(text):
            alternatives = self.alternatives(key)
            if not alternatives:
                continue
            typed = text[start:end]
            quoted = " OR ".join(
                f'"{_QUOTES_OR_PARENS.sub(" ", alternative)}"' for alternative in alternatives
            )
            pieces.append(text[last:start])
            pieces.append(f"(({typed}) OR {quoted})")
            last = end
            skills = tuple(name for name, is_label in self._entries[key].items() if is_label)
            matches.append(SynonymMatch(typed, skills))
        if not matches:
            return text, ()
        pieces.append(text[last:])
        return "".join(pieces), tuple(matches)
