"""The article text of a page: trafilatura, with what it drops wrongly put back.

:func:`article_body` removes hidden elements (``boilerplate.drop_hidden``), asks trafilatura
for the text, drops furniture lines (``boilerplate.is_boilerplate``) and puts back the copies
of a paragraph the page repeats: trafilatura keeps one of identical paragraphs, because its
own passes can produce copies, but a page that prints a paragraph twice says it twice.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterator

import lxml.html
import trafilatura

from search.extract.boilerplate import drop_hidden, is_boilerplate
from search.extract.common import clean_space

__all__ = ["article_body", "every_paragraph", "paragraphs"]

# Blocks that hold text only: a <p>, or a <div> with no block inside it.
_TEXT_BLOCKS_XPATH = (
    "//body//*[self::p or self::div][not(.//p or .//div or .//ul or .//ol or .//table "
    "or .//blockquote or .//section or .//article)]"
)
# trafilatura's own threshold: it keeps shorter repeats ("Advertisement", "Read more").
_MIN_REPEAT_CHARS = 50


def article_body(tree: lxml.html.HtmlElement) -> str:
    """The article text of ``tree``, paragraphs separated by blank lines, without furniture
    lines; hidden elements are dropped from the tree first."""
    drop_hidden(tree)
    # favor_recall with the second-opinion extractors: body F1 0.936 instead of 0.926 on
    # readability-test-pages, the same on trafilatura-eval, and no slower than fast=True
    # there (bench/extraction.py).
    text = trafilatura.extract(
        tree, fast=False, favor_recall=True, include_comments=False, include_tables=True,
        deduplicate=False, with_metadata=False, output_format="txt",
    )  # fmt: skip
    if not text:
        text = "\n".join(_paragraph_texts(tree))
    lines = [line for line in text.splitlines() if not is_boilerplate(line)]
    return _with_repeats(paragraphs("\n".join(lines)), tree)


def every_paragraph(tree: lxml.html.HtmlElement) -> str:
    """The text of every visible ``<p>`` of ``tree``, furniture lines left out: a body read
    in time proportional to the page, for pages too large for trafilatura."""
    drop_hidden(tree)
    return paragraphs("\n".join(t for t in _paragraph_texts(tree) if not is_boilerplate(t)))


def paragraphs(text: str) -> str:
    """``text`` with white space collapsed in each line, one paragraph a line, blank lines
    between them."""
    return "\n\n".join(line for line in map(clean_space, text.splitlines()) if line)


def _paragraph_texts(tree: lxml.html.HtmlElement) -> Iterator[str]:
    # trafilatura gives up on very short pages; their <p> elements are still the article.
    for node in tree.iterfind(".//body//p"):
        text = clean_space(node.text_content())
        if text:
            yield text


def _with_repeats(body: str, tree: lxml.html.HtmlElement) -> str:
    """``body`` with each paragraph the page repeats side by side (as text blocks of one
    parent) as many times as the page has it. Only paragraphs ``body`` holds are put back,
    after the paragraph where their last copy ends: trafilatura keeps the first of copies
    that follow each other."""
    repeats = _repeated_blocks(tree)
    if not repeats:
        return body
    lines = body.split("\n\n")
    copies_of = Counter(lines)
    last_line = {line: i for i, line in enumerate(lines)}
    split = _SplitCopies(lines)
    extra: dict[int, list[str]] = {}
    for text, copies in repeats.items():
        found, line = (copies_of[text], last_line[text]) if text in last_line else split(text)
        if 0 < found < copies:
            extra.setdefault(line, []).extend([text] * (copies - found))
    if not extra:
        return body
    return "\n\n".join(part for i, line in enumerate(lines) for part in [line, *extra.get(i, [])])


class _SplitCopies:
    """Copies of a text that ``body`` breaks over several lines (trafilatura keeps the line
    breaks of a ``<div>``'s text): how many, and the line where the last one ends. Each
    look-up reads the whole body, so only the first 20 are looked up; later ones count as
    not found."""

    _LIMIT = 20

    def __init__(self, lines: list[str]) -> None:
        self.flat = " ".join(lines)
        self.line_ends = list(itertools.accumulate(len(line) + 1 for line in lines))
        self.left = self._LIMIT

    def __call__(self, text: str) -> tuple[int, int]:
        if not self.left:
            return 0, 0
        self.left -= 1
        found = self.flat.count(text)
        if not found:
            return 0, 0
        last_end = self.flat.rindex(text) + len(text)
        return found, bisect.bisect_left(self.line_ends, last_end + 1)


def _repeated_blocks(tree: lxml.html.HtmlElement) -> Counter[str]:
    """Texts of at least 50 characters that two or more text blocks of one parent hold,
    with the largest number of such copies under one parent."""
    siblings: Counter[tuple[lxml.html.HtmlElement, str]] = Counter()
    for block in tree.xpath(_TEXT_BLOCKS_XPATH):
        text = clean_space(block.text_content())
        if len(text) >= _MIN_REPEAT_CHARS:
            siblings[block.getparent(), text] += 1
    repeats: Counter[str] = Counter()
    for (_, text), copies in siblings.items():
        if copies > 1:
            repeats[text] = max(repeats[text], copies)
    return repeats
