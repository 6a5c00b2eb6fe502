"""Snippets as safe HTML: the stored text escaped, the matched words wrapped in ``<mark>``.

Every character of the original text goes through :func:`html.escape`; the only markup added
is ``<mark>``, ``</mark>`` and an ellipsis, so a title like ``<script>`` shows as text.
"""

from __future__ import annotations

import html

from whoosh.highlight import (
    ContextFragmenter,
    Formatter,
    WholeFragmenter,
    get_text,
    highlight,
)

from .analysis import text_analyzer

ELLIPSIS = "\u2026"
SNIPPET_CHARS = 220
_ANALYZER = text_analyzer()


def escape(text: str) -> str:
    """Escape text for HTML, quotes included."""
    return html.escape(text, quote=True)


class MarkFormatter(Formatter):
    """Format fragments as escaped text with ``<mark>`` around matches and ellipses at cuts."""

    between = f" {ELLIPSIS} "

    def _text(self, text):
        return escape(text)

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment, replace=False):
        body = super().format_fragment(fragment, replace)
        if fragment.startchar > 0:
            body = f"{ELLIPSIS} {body.lstrip()}"
        if fragment.endchar < len(fragment.text):
            body = f"{body.rstrip()} {ELLIPSIS}"
        return body


_FORMATTER = MarkFormatter()


def shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    """Return ``text`` cut at a word boundary near ``limit`` characters, escaped."""
    if len(text) <= limit:
        return escape(text)
    cut = text.rfind(" ", 0, limit)
    return escape(text[: cut if cut > limit // 2 else limit].rstrip()) + f" {ELLIPSIS}"


def mark_all(text: str, terms: set[str]) -> str:
    """Return all of ``text`` escaped, with every matched word marked (for titles, names)."""
    if not text:
        return ""
    if terms:
        marked = highlight(text, terms, _ANALYZER, WholeFragmenter(), _FORMATTER, top=1)
        if marked:
            return marked
    return escape(text)


def snippet(texts: list[str], terms: set[str], limit: int = SNIPPET_CHARS) -> str:
    """Return the best fragment of the first text where a term matches, else the first text.

    ``terms`` are analyzed terms (stems), as in the index.
    """
    texts = [text for text in texts if text]
    if not texts:
        return ""
    if terms:
        context = ContextFragmenter(maxchars=limit, surround=limit // 3)
        for text in texts:
            fragmenter = WholeFragmenter() if len(text) <= limit else context
            marked = highlight(text, terms, _ANALYZER, fragmenter, _FORMATTER, top=1)
            if marked:
                return marked
    return shorten(texts[0], limit)
