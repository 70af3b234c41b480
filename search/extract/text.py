"""Plain-text news dumps -> Article: headline, byline, standfirst and body.

Three shapes are common. Copies of web pages: an optional breadcrumb ("Home Latest News
<headline>", "World | Asia"), the headline, "by <name>" (or "By <name> | Published: <date>"),
a photo caption, a one-line standfirst, the body, then page furniture ("Related Articles",
"Leave a Comment"). Newswire-style files: the headline on the first line, the body after a
blank line, perhaps a "(Reporting by <name>; Editing by <name>)" credit at the end. Exports
with labelled fields first: "Title:", "Author:", "Date:", "Source:", "URL:".

The rules look at the shape of lines, never at a particular site's words.
A file of one line gives that line as the body, and also as the title when it is short
enough to be a headline (at most 200 characters).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from search.extract.boilerplate import is_boilerplate
from search.extract.common import (
    BadInput,
    clean_authors,
    clean_space,
    is_organisation,
    parse_date,
    split_tags,
    web_address,
)
from search.models import Article

__all__ = ["extract_text"]

MAX_TITLE_CHARS = 200
_HEADER_LINES = 8
_BYLINE = re.compile(
    r"^(?:(?i:by|written by|author|byline)\s*[:\s]\s*(\S.{1,80})"
    # "Von Anna Roe", "Par Jeanne Dulac": in other languages the prefix is also a word of
    # sentences ("Par ailleurs, ..."), so the name must be two to four capitalised words.
    r"|(?i:von|par|por|door|di)\s+([A-Z\u00c0-\u00de][\w'\u2019.-]+"
    r"(?:\s+[A-Z\u00c0-\u00de][\w'\u2019.-]+){1,3}))$"
)
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
# Where a reporter filed from: "Jane Roe in New York and John Poe in Paris".
_WHERE = re.compile(r"\s+in\s+[A-Z][\w.\-]*(?:\s+[A-Z][\w.\-]*)*")
# Labelled fields of an export: "Title: ...", "Source: ...", "URL: ...".
_LABELLED_TITLE = re.compile(r"^(?:title|headline)\s*:\s*(\S.*)$", re.IGNORECASE)
_LABELLED_SOURCE = re.compile(
    r"^(?:source|publication|publisher|site)\s*:\s*(\S.{0,80})$", re.IGNORECASE
)
_LABELLED_URL = re.compile(r"^(?:url|link|address)\s*:\s*(https?://\S+)$", re.IGNORECASE)
# A breadcrumb of sections of one to three words: "World | Asia", "News > Politics > Europe".
_CRUMB = r"[^\s|>\u00bb\u203a/]+(?: [^\s|>\u00bb\u203a/]+){0,2}"
_CRUMBS = re.compile(rf"^{_CRUMB}(?:\s+[|>\u00bb\u203a/]\s+{_CRUMB})+$")
# Header parts written on one line: "By Jane Roe | Published: May 3, 2021".
_PART_SEPARATOR = re.compile(r"\s+[|\u2022\u00b7]\s+")
# A newswire credit at the end: "(Reporting by Jane Roe; Editing by John Poe)".
_WIRE_CREDIT = re.compile(
    r"^\((?:additional\s+)?(?:reporting|writing)\s+by\s+([^;)]{2,120})(?:;[^)]*)?\)$",
    re.IGNORECASE,
)


@dataclass
class _Header:
    """What the lines between the headline and the body said."""

    byline: str = ""
    date: dt.datetime | None = None
    captions: int = 0
    summary: str = ""
    source: str = ""
    url: str = ""
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
    credit = _WIRE_CREDIT.match(body[-1]) if body else None
    if credit and not header.byline:
        header.byline = _WHERE.sub("", credit.group(1))
    return _article(path, title, header, body)


def _article(path: str, title: str, header: _Header, body: list[str]) -> Article:
    authors = clean_authors([header.byline])
    source = header.source
    if header.byline and is_organisation(header.byline):
        # "by Newsweek Pakistan": the byline names the publisher, keep it whole.
        authors = (clean_space(re.sub(r"^(?:the\s+)?", "", header.byline)),)
        source = source or authors[0]
    return Article(
        id=header.url or path,
        title=title,
        body="\n\n".join(body),
        authors=authors,
        source=source,
        date=header.date,
        url=header.url,
        summary=header.summary,
        tags=split_tags(header.tags),
        path=path,
    )


def _split_title(lines: list[str]) -> tuple[str, list[str]]:
    first, second = lines[0], lines[1]
    labelled = _LABELLED_TITLE.match(first)
    if labelled:
        return labelled.group(1), lines[1:]
    if first == second or (first.endswith(" " + second) and len(second) <= MAX_TITLE_CHARS):
        # A breadcrumb ("Home News <headline>") or a repeated headline: keep the bare one.
        return second, lines[2:]
    if _CRUMBS.match(first) and len(lines) > 2 and _could_be_title(second):
        return second, lines[2:]
    if len(first) <= MAX_TITLE_CHARS and not _CAPTION.search(first):
        return first, lines[1:]
    return "", lines


def _could_be_title(line: str) -> bool:
    # Not a byline, a date or a caption: "Opinion | Brexit" over "By Jane Roe" is the title.
    header_line = _BYLINE.match(line) or _line_date(line) or _is_caption(line)
    return len(line) <= MAX_TITLE_CHARS and not header_line


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
    parts = _PART_SEPARATOR.split(line)
    if len(parts) > 1:
        # Every part must be a header field; a later date ("Updated: ...") is passed over.
        return all(_take_header_part(header, part) or _line_date(part) for part in parts)
    return _take_header_part(header, line)


def _take_header_part(header: _Header, line: str) -> bool:
    source = _LABELLED_SOURCE.match(line)
    if source and not header.source:
        header.source = source.group(1)
        return True
    url = _LABELLED_URL.match(line)
    if url and not header.url:
        header.url = web_address(url.group(1))
        return True
    byline = _BYLINE.match(line)
    if byline and not header.byline and len(line.split()) <= 10:
        header.byline = byline.group(1) or byline.group(2)
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
        elif not (_FURNITURE.match(line) or _is_caption(line) or is_boilerplate(line)):
            body.append(line)
    return body, tags
