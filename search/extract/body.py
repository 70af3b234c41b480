"""The article text of a page: trafilatura, with what it drops wrongly put back.

:func:`article_body` removes hidden elements (``boilerplate.drop_hidden``), gives formulas,
picture captions and loose text a form trafilatura reads, asks trafilatura for the text,
drops furniture lines (``boilerplate.is_boilerplate``) and the captions of a numbered
gallery, and puts back the copies of a paragraph the page repeats: trafilatura keeps one of
identical paragraphs, because its own passes can produce copies, but a page that prints a
paragraph twice says it twice.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter, defaultdict
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
_MATHML = ("{http://www.w3.org/1998/Math/MathML}math", "math")
# Elements that may hold text loose beside their blocks; trafilatura drops such text.
_CONTAINERS = frozenset(["div", "section", "article", "main", "td", "blockquote", "body"])
_BLOCKS = frozenset(
    ["div", "p", "section", "article", "aside", "figure", "table", "ul", "ol", "dl", "pre",
     "blockquote", "header", "footer", "form", "hr", "h1", "h2", "h3", "h4", "h5", "h6"]
)  # fmt: skip
_MIN_LOOSE_CHARS = 50
# A gallery caption numbered "3/50" (in a list: "- 3/50 ...").
_GALLERY_CAPTION = re.compile(r"(?:[-\u2022*]\s*)?(\d{1,3})\s*/\s*(\d{1,3})\s")
_MIN_GALLERY_ITEMS = 3
# A gallery beside fewer characters of text is the article (a photo story): it is kept.
_MIN_TEXT_BESIDE_GALLERY = 1000


def article_body(tree: lxml.html.HtmlElement) -> str:
    """The article text of ``tree``, paragraphs separated by blank lines, without furniture
    lines; hidden elements are dropped from the tree first."""
    drop_hidden(tree)
    _formulas_as_text(tree)
    _captions_as_paragraphs(tree)
    _wrap_loose_text(tree)
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
    return _with_repeats(_without_gallery(paragraphs("\n".join(lines))), tree)


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


def _formulas_as_text(tree: lxml.html.HtmlElement) -> None:
    """Replace each MathML formula by a ``<span>`` of its symbols, "a x 2 + b x": trafilatura
    drops MathML, and with it the custom element around it (MathJax's ``<mjx-container>``)."""
    for formula in list(tree.iter(*_MATHML)):
        if formula.getparent() is None:  # inside a formula replaced already
            continue
        outermost = formula
        for up in formula.iterancestors():
            if "-" in str(up.tag):  # a custom element
                outermost = up
        span = lxml.html.Element("span")
        span.text = f" {clean_space(' '.join(formula.itertext()))} "
        span.tail = outermost.tail
        outermost.getparent().replace(outermost, span)


# A picture's caption: a <figcaption>, or a block named so by its class or id ("caption",
# "wp-caption-text"; not "has-captions" or "no_caption", states, nor "caption-credit"). A
# <span> counts as a child of a block only ("pb-caption" beside an image): inline in a
# paragraph, a <p> in its place would cut it, and in a figcaption the figcaption is read.
_CAPTION_XPATH = (
    "//body//figcaption | //body//*[self::div or self::p or self::span[not(ancestor::figcaption)]"
    "[parent::div or parent::figure or parent::td or parent::li]]"
    "[not(contains(@class, 'credit'))]"
    "[contains(concat(@class, ' ', @id, ' '), 'caption')]"
    "[not(contains(concat(@class, ' ', @id, ' '), 'captions'))]"
    "[not(contains(translate(@class, '-_', ''), 'nocaption'))]"
)
_CREDIT_XPATH = ".//*[contains(@class, 'credit') or contains(@class, 'copyright')]"
_PICTURES = ("img", "picture")
# What a figure holds when it is not a picture: a quotation, a listing, a table.
_NOT_PICTURES = ("blockquote", "pre", "code", "table")
# Elements whose text stands apart from the text around them.
_SPACED = frozenset([*_BLOCKS, "br", "li", "figcaption", "td", "th", "dt", "dd"])
_CREDIT_LABEL = (
    r"(?i:fotos?|photos?|photograph|bild|bildquelle|image|imagen|video|kuva|cr[ée]dit[oa]?s?"
    r"|quelle|source|fuente|fonte)"
)
# A name of people or agencies: capitalised words ("Jane Doe", "Getty Images", "iStock"),
# joined by "for the", "/", "-", "&".
_NAME_WORD = r"(?:[A-Z][\w'\u2019.&-]*|[a-z]+[A-Z][\w'\u2019.-]*)"
_NAMES = (
    rf"{_NAME_WORD}(?:(?:\s*[/,&|\u2013\u2014-]\s*|\s+(?:(?:for|the|and|of|via|von|de|del|da"
    rf"|di|y|et|und)\s+)*){_NAME_WORD})*"
)
_PHOTO_BY = r"(?i:fotos?|photos?|pictures?)\s+(?i:by|von|de|par)"
# A credit at the end of a caption, after its text: "(Photo: AP)", "(Reuters/Jane Doe)",
# "(Jane Doe)", "(Picture by Jane Doe)", ". Foto: dpa", "Photo by Jane Doe", "CreditJane
# Doe", "CC-BY 2.0 Jane Doe", "(c) Jane Doe", "Jane Doe/Reuters", "J. Doe / AFP - Getty".
_CREDIT = re.compile(
    rf"(?:\({_CREDIT_LABEL}\s*:[^)]*\)|\([^()]*/[^()]*\)|\((?:[A-Z][\w'-]*\s?){{1,3}}\)"
    rf"|\({_PHOTO_BY}\s[^)]*\)"
    rf"|(?<=\S)\s*(?<![^\W\d_]){_CREDIT_LABEL}\s*:(?:[^.!?:]|\.(?!\s)){{1,60}}"
    r"|(?<![^\W\d_])Credit(?=[A-Z]).*"
    rf"|(?<![^\W\d_]){_PHOTO_BY}\s+{_NAMES}"
    rf"|(?<![^\W\d_])CC[- ]BY\b.*|(?:\((?i:c)\)|\u00a9)\s*{_NAMES}.*"
    rf"|(?:[A-Z](?:[\w'-]*|\.)\s+)?[\w'-]*\s*/\s*{_NAMES})\s*$"
)
# The label that opens a caption: "Media caption", "Image caption", "Caption:", "Photo:",
# "Main image:".
_CAPTION_LABEL = re.compile(
    r"^(?i:(?:media|image|photo|video)\s+caption\b\s*:?|caption\s*:"
    rf"|(?:(?:main|top|lead)\s+)?{_CREDIT_LABEL}\s*:)\s*"
)
# One word left is a label or an agency ("Thinkstock"); a long "caption" is not one.
_MIN_CAPTION_WORDS = 2
_MAX_CAPTION_CHARS = 1000
# A "caption" that is a link all but a few words is the teaser of another story.
_MAX_LINKED_SHARE = 0.9


def _captions_as_paragraphs(tree: lxml.html.HtmlElement) -> None:
    """Put the text of each picture caption, credits left out, in a ``<p>`` after its
    figure, in the order of the page: captions name the people and places of the story,
    and trafilatura drops them with the picture. Measured by bench/extraction.py: body F1
    on readability-test-pages (which keeps credits too) 0.9720 -> 0.9741; snippets F1 on
    trafilatura-eval (which counts captions as noise) 0.9441 -> 0.9415 in English, 0.9250
    -> 0.9210 in all."""
    captions = tree.xpath(_CAPTION_XPATH)
    chosen = set(captions)
    last_after: dict[lxml.html.HtmlElement, lxml.html.HtmlElement] = {}
    for caption in captions:
        if any(node in chosen and node.tag != "span" for node in caption.iterdescendants()):
            continue  # the innermost caption block holds the text
        outer = caption
        for up in caption.iterancestors():
            if up.tag == "figure" or up in chosen:
                outer = up
        if not _is_caption(caption, outer, chosen):
            continue
        for credit in caption.xpath(_CREDIT_XPATH):
            credit.drop_tree()
        paragraph = lxml.html.Element("p")
        paragraph.text = _caption_text(_spaced_text(caption))
        if not paragraph.text and caption.tag == "span":
            caption.drop_tree()  # a credit alone: an empty paragraph in its place misleads
            continue
        if outer is caption:
            paragraph.tail = caption.tail
            caption.getparent().replace(caption, paragraph)
            continue
        caption.drop_tree()
        # After the figure, or after the paragraph holding it: a <p> inside a <p> would
        # carry off the paragraph's text after the figure.
        place = next(outer.iterancestors("p"), outer)
        anchor = last_after.get(place, place)  # after the captions placed there already
        paragraph.tail, anchor.tail = anchor.tail, None
        anchor.addnext(paragraph)
        last_after[place] = paragraph


def _is_caption(
    caption: lxml.html.HtmlElement,
    outer: lxml.html.HtmlElement,
    captions: set[lxml.html.HtmlElement],
) -> bool:
    """Whether ``caption`` reads as a picture's caption: a <figcaption> of a figure that
    is no quotation, listing or table, or a block beside a picture; short, of one
    paragraph at most, not a link to another story (a teaser), and in a figure that holds
    no paragraph of the article."""
    chars = len(caption.text_content())
    if chars > _MAX_CAPTION_CHARS or len(caption.findall(".//p")) > 1:
        return False  # a block of the article
    linked = sum(len(link.text_content()) for link in caption.iter("a"))
    if linked > _MAX_LINKED_SHARE * chars:
        return False
    if outer is not caption and any(
        not _in_caption(paragraph, outer, captions) for paragraph in outer.iter("p")
    ):
        return False  # a figure that holds paragraphs of the article: left as it is
    holder = caption.getparent() if outer is caption else outer
    if holder is None:
        return False
    if caption.tag == "figcaption":  # its picture may be one a script loads: no <img>
        return next(holder.iter(*_NOT_PICTURES), None) is None
    if caption.tag == "span" and not _stands_alone(caption):
        return False  # words of a sentence: a <p> in their place would cut it
    return next(holder.iter(*_PICTURES), None) is not None


def _stands_alone(node: lxml.html.HtmlElement) -> bool:
    """Whether no text runs into ``node`` on either side."""
    previous = node.getprevious()
    before = previous.tail if previous is not None else node.getparent().text
    return not (before or "").strip() and not (node.tail or "").strip()


def _in_caption(
    node: lxml.html.HtmlElement,
    outer: lxml.html.HtmlElement,
    captions: set[lxml.html.HtmlElement],
) -> bool:
    for up in itertools.chain([node], node.iterancestors()):
        if up is outer:
            return False
        if up in captions or up.tag == "figcaption":
            return True
    return False


def _spaced_text(node: lxml.html.HtmlElement) -> str:
    """The text of ``node`` with a space where a block or a line break parts it: the
    parts of a caption ("<h3>Mayor Ramirez</h3><p>The mayor ...") are separate words."""
    for inner in node.iterdescendants():
        if inner.tag in _SPACED:
            inner.tail = " " + (inner.tail or "")
            inner.text = " " + (inner.text or "")
    return node.text_content()


def _caption_text(text: str) -> str:
    """``text`` of a caption without its label and its credit, or "" when it is a credit
    alone ("Photo: Jane Doe", "Thinkstock")."""
    text = clean_space(text)
    unlabelled = _CAPTION_LABEL.sub("", text)
    if unlabelled != text and re.fullmatch(_NAMES, unlabelled) and len(unlabelled.split()) <= 5:
        return ""  # "Photo: Jane Doe"
    text = _CREDIT.sub("", unlabelled).rstrip(" |-\u2013\u2014\u2022\u00b7:(")
    return text if len(text.split()) >= _MIN_CAPTION_WORDS else ""


def _wrap_loose_text(tree: lxml.html.HtmlElement) -> None:
    """Wrap in a ``<p>`` each run of text that follows a block inside a container, with the
    inline elements (links, emphasis, line breaks) it runs through: trafilatura drops text
    that stands loose between blocks, such as a paragraph written after an image box."""
    for block in list(tree.iter(*_BLOCKS)):
        parent = block.getparent()
        if parent is None or parent.tag not in _CONTAINERS:
            continue
        if len((block.tail or "").strip()) < _MIN_LOOSE_CHARS:
            continue
        paragraph = lxml.html.Element("p")
        paragraph.text, block.tail = block.tail, None
        following = block.getnext()
        while following is not None and not _is_block(following):
            paragraph.append(following)  # its tail comes with it
            following = block.getnext()
        block.addnext(paragraph)


def _is_block(node: lxml.html.HtmlElement) -> bool:
    return not isinstance(node.tag, str) or node.tag in _BLOCKS


def _without_gallery(body: str) -> str:
    """``body`` without the captions of a numbered gallery ("1/50 ...", "2/50 ...": three or
    more of one count), unless less than 1,000 characters of other text would remain: the
    gallery is then the article (a photo story)."""
    lines = body.split("\n\n")
    numbers: defaultdict[str, set[int]] = defaultdict(set)
    for line in lines:
        if (match := _GALLERY_CAPTION.match(line)) and 0 < int(match[1]) <= int(match[2]):
            numbers[match[2]].add(int(match[1]))
    counts = {count for count, seen in numbers.items() if len(seen) >= _MIN_GALLERY_ITEMS}
    if not counts:
        return body
    kept = [
        line
        for line in lines
        if not ((match := _GALLERY_CAPTION.match(line)) and match[2] in counts)
    ]
    return "\n\n".join(kept) if sum(map(len, kept)) >= _MIN_TEXT_BESIDE_GALLERY else body


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
