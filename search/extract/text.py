"""Plain-text news dumps -> Article: headline, byline, standfirst and body.

Two shapes are common. Copies of web pages: an optional breadcrumb ending with the headline
("Home Latest News <headline>"), the headline, "by <name>", a photo caption, a one-line
standfirst, the body, then page furniture ("Related Articles", "Leave a Comment").
Newswire-style files: the headline on the first line, the body after a blank line.

The rules look at the shape of lines, never at a particular site's words.
A file of one line gives that line as the body, and also as the title when it is short
enough to be a headline (at most 200 characters).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from search.extract.common import (
    BadInput,
    clean_authors,
    clean_space,
    is_organisation,
    parse_date,
    split_tags,
)
from search.models import Article

__all__ = ["extract_text"]

MAX_TITLE_CHARS = 200
_HEADER_LINES = 8
_BYLINE = re.compile(r"^(?:by|written by|author|byline)\s*[:\s]\s*(\S.{1,80})$", re.IGNORECASE)
_DATE_PREFIX = re.compile(
    r"^(?:published|posted|updated|last updated|date|dated)(?:\s+on)?\s*[:\-]?\s*",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"^(?:file\s+)?(?:photo|photograph|picture|image|illustration)(?:\s*(?::|caption|credit|courtesy|by\b)|$)"
    r"|^\(?(?:getty images|reuters|afp|ap|epa|file)(?:\s+photo)?\)?$"
    r"|\((?:[A-Z]+\s+)?(?:photo|image|file photo|file)[^)]{0,40}\)$"
    r"|\b(?:photo|image|picture)\s*(?::|credit|courtesy)",
    re.IGNORECASE,
)
# A heading after which only page furniture follows (related links, comment forms).
_CUT_MARKER = re.compile(
    r"^(?:related(?: articles| stories| news| posts| content)?|more stories|"
    r"more from .{1,40}|you may also like|recommended(?: for you)?|leave a (?:comment|reply)|"
    r"comments?(?: \(\d+\))?|\d+ comments?|post a comment|most (?:read|popular)|trending)$",
    re.IGNORECASE,
)
_FURNITURE = re.compile(
    r"^(?:advertisement|advertisements|sponsored|share(?: this(?: article| story)?)?|"
    r"subscribe\b.{0,80}|sign up\b.{0,80}|follow us\b.{0,80}|click here\b.{0,80}|"
    r"(?:also read|read also|see also|read more)(?:\s*:.{0,200})?|print|email|tweet|"
    r"facebook|twitter|whatsapp|linkedin|copyright\b.{0,100}|\u00a9.{0,100}|"
    r".{0,60}all rights reserved\.?)$",
    re.IGNORECASE,
)
_TAGS = re.compile(r"^(?:tags|topics|keywords|filed under)\s*:\s*(.+)$", re.IGNORECASE)


@dataclass
class _Header:
    """What the lines between the headline and the body said."""

    byline: str = ""
    date: dt.datetime | None = None
    captions: int = 0
    summary: str = ""
    tags: list[str] = field(default_factory=list)


def extract_text(text: str, *, path: str) -> Article:
    """Return the article in the plain text ``text``.

    Raises :class:`BadInput` ("empty file") when the text has no words.
    """
    lines = [line for line in map(clean_space, text.splitlines()) if line]
    if not lines:
        raise BadInput("empty file")
    if len(lines) == 1:
        title = lines[0] if len(lines[0]) <= MAX_TITLE_CHARS else ""
        return Article(id=path, title=title, body=lines[0], path=path)
    title, rest = _split_title(lines)
    header, rest = _read_header(rest)
    body, header.tags = _body_lines(rest)
    return _article(path, title, header, body)


def _article(path: str, title: str, header: _Header, body: list[str]) -> Article:
    authors = clean_authors([header.byline])
    source = ""
    if header.byline and is_organisation(header.byline):
        # "by Newsweek Pakistan": the byline names the publisher, keep it whole.
        authors = (clean_space(re.sub(r"^(?:the\s+)?", "", header.byline)),)
        source = authors[0]
    return Article(
        id=path,
        title=title,
        body="\n\n".join(body),
        authors=authors,
        source=source,
        date=header.date,
        summary=header.summary,
        tags=split_tags(header.tags),
        path=path,
    )


def _split_title(lines: list[str]) -> tuple[str, list[str]]:
    first, second = lines[0], lines[1]
    if first == second or (first.endswith(" " + second) and len(second) <= MAX_TITLE_CHARS):
        # A breadcrumb ("Home News <headline>") or a repeated headline: keep the bare one.
        return second, lines[2:]
    if len(first) <= MAX_TITLE_CHARS and not _CAPTION.search(first):
        return first, lines[1:]
    return "", lines


def _read_header(lines: list[str]) -> tuple[_Header, list[str]]:
    header = _Header()
    index = 0
    while index < min(len(lines), _HEADER_LINES) and _take_header_line(header, lines[index]):
        index += 1
    found = header.byline or header.captions or header.date
    if found and index < len(lines) - 1 and _is_standfirst(lines[index]):
        header.summary = lines[index]
        index += 1
    return header, lines[index:]


def _take_header_line(header: _Header, line: str) -> bool:
    byline = _BYLINE.match(line)
    if byline and not header.byline and len(line.split()) <= 10:
        header.byline = byline.group(1)
        return True
    if _is_caption(line):
        header.captions += 1
        return True
    date = _line_date(line)
    if date and header.date is None:
        header.date = date
        return True
    return False


def _line_date(line: str) -> dt.datetime | None:
    if len(line.split()) > 8:
        return None
    return parse_date(_DATE_PREFIX.sub("", line))


def _is_caption(line: str) -> bool:
    return len(line.split()) <= 25 and bool(_CAPTION.search(line))


def _is_standfirst(line: str) -> bool:
    # A standfirst is one sentence that does not end like one; a lede ends with a full stop,
    # and taking it would cut the body's first paragraph.
    words = len(line.split())
    ends_sentence = line.endswith((".", "!", "?", '"', "\u201d", "'", "\u2019", ":"))
    inner_sentences = re.search(r"[a-z]{2}[.!?]\s+[A-Z]", line)
    return 6 <= words <= 60 and not ends_sentence and not inner_sentences


def _body_lines(lines: list[str]) -> tuple[list[str], list[str]]:
    body: list[str] = []
    tags: list[str] = []
    for line in lines:
        tag_line = _TAGS.match(line)
        if tag_line:
            tags.append(tag_line.group(1))
        elif _CUT_MARKER.match(line) and len(body) >= 2:
            break
        elif not (_FURNITURE.match(line) or _is_caption(line)):
            body.append(line)
    return body, tags
