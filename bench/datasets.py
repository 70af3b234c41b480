"""Readers for the shared news data sets, for benchmarks and for building the demo corpus.

Every reader takes the data folder (the one holding ``reuters21578/``, ``bbc-news-2225/``,
...) and yields plain dicts with the keys of :data:`RECORD_KEYS`: ``title``, ``body``,
``date`` (ISO 8601 string or ``None``), ``url``, ``source``, ``authors`` (list), ``summary``,
``tags`` (list) and ``id``. Missing text fields are ``""``, as in ``search.models.Article``.

Standard library only, so the readers run without the search package installed.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "BBC_CATEGORIES",
    "RECORD_KEYS",
    "bbc_files",
    "parse_reuters_date",
    "read_bbc",
    "read_reuters",
    "reuters_files",
    "write_jsonl",
]

Record = dict[str, Any]
RECORD_KEYS = (
    "id",
    "title",
    "body",
    "date",
    "url",
    "source",
    "authors",
    "summary",
    "tags",
)
BBC_CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")

# One story, and the parts of it we keep. The files are SGML, not XML (bare "&lt;",
# control-character references), so a strict XML parser fails; a regex is enough here.
_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.DOTALL)
_NEWID = re.compile(r'\bNEWID="(\d+)"')
_D = re.compile(r"<D>(.*?)</D>", re.DOTALL)
_DATE = re.compile(r"(\d{1,2}-[A-Za-z]{3}-\d{4})\s+(\d{1,2}:\d{2}:\d{2})")
# Control characters that survive unescaping (tab and newline are kept).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _record(**fields: Any) -> Record:
    """Return a record with every key of RECORD_KEYS, empty where not given."""
    empty: Record = {"date": None, "authors": [], "tags": []}
    return {key: fields.get(key, empty.get(key, "")) for key in RECORD_KEYS}


def _element(story: str, tag: str) -> str:
    """Return the raw content of the first ``<tag>`` in a story, or ``""``."""
    match = re.search(rf"<{tag}>(.*?)</{tag}>", story, re.DOTALL)
    return match.group(1) if match else ""


def _clean(text: str) -> str:
    """Unescape SGML entities and drop control characters such as ``&#3;``."""
    return _CONTROL.sub("", html.unescape(text)).strip()


def _reflow(text: str) -> str:
    """Join Reuters' hard-wrapped lines; paragraphs start with an indented line."""
    paragraphs = re.split(r"\n[ \t]+", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def parse_reuters_date(text: str) -> str | None:
    """Turn a Reuters date like ``26-FEB-1987 15:01:01.79`` into ``1987-02-26T15:01:01``.

    Returns ``None`` when the text does not have that form (one story, NEWID 17192, has
    "31-MAR-1987 605:12:19.12"). The hundredths of a second are dropped.
    """
    # Day numbers come with or without a leading space, 25 dates have two spaces before the
    # time, and 327 trail control characters and letters ("15:01:01.79&#5;&#5;&#5;F").
    match = _DATE.search(text)
    if not match:
        return None
    try:
        stamp = dt.datetime.strptime(" ".join(match.groups()), "%d-%b-%Y %H:%M:%S")
    except ValueError:
        return None
    return stamp.isoformat()


def reuters_files(data_dir: str | os.PathLike[str]) -> list[Path]:
    """Return the 22 ``reut2-*.sgm`` files of Reuters-21578 in name order."""
    return sorted((Path(data_dir) / "reuters21578" / "raw").glob("reut2-*.sgm"))


def _reuters_story(attributes: str, story: str) -> Record | None:
    """Return one parsed Reuters story, or ``None`` when it has neither title nor body."""
    title = _clean(_element(story, "TITLE"))
    body = _reflow(_clean(_element(story, "BODY")))
    if not title and not body:
        return None
    dateline = " ".join(_clean(_element(story, "DATELINE")).split())
    if dateline and body:
        # The dateline ("SALVADOR, Feb 26 -") opens the story as printed; keep it there.
        body = f"{dateline} {body}"
    tags = [_clean(d) for part in ("TOPICS", "PLACES") for d in _D.findall(_element(story, part))]
    newid = _NEWID.search(attributes)
    return _record(
        id=f"reuters-{newid.group(1) if newid else '?'}",
        title=title,
        body=body,
        date=parse_reuters_date(_clean(_element(story, "DATE"))),
        source="Reuters",
        tags=tags,
    )


def read_reuters(data_dir: str | os.PathLike[str]) -> Iterator[Record]:
    """Yield the Reuters-21578 stories (1987) as records, file by file in NEWID order.

    Stories with neither title nor body are skipped. ``body`` starts with the dateline;
    ``tags`` holds the TOPICS then the PLACES values; ``id`` is ``reuters-<NEWID>``.
    Files are decoded as Latin-1: ``reut2-017.sgm`` holds one byte that is not UTF-8.
    """
    for path in reuters_files(data_dir):
        text = path.read_text(encoding="latin-1")
        for match in _STORY.finditer(text):
            record = _reuters_story(match.group(1), match.group(2))
            if record is not None:
                yield record


def bbc_files(data_dir: str | os.PathLike[str]) -> Iterator[tuple[str, Path]]:
    """Yield ``(category, path)`` for every BBC article, by category then file name."""
    root = Path(data_dir) / "bbc-news-2225" / "bbc"
    for category in BBC_CATEGORIES:
        for path in sorted((root / category).glob("*.txt")):
            yield category, path


def _read_bbc_text(path: Path) -> str:
    """Return a BBC file's text; ``sport/199.txt`` is not UTF-8, so fall back to Latin-1."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def read_bbc(data_dir: str | os.PathLike[str]) -> Iterator[Record]:
    """Yield the 2,225 BBC News articles (2004-2005) as records.

    The first line is the headline, the rest the body. The files carry no date, author or
    URL. ``tags`` is ``[category]``; ``id`` is ``bbc-<category>-<NNN>``.
    """
    for category, path in bbc_files(data_dir):
        title, _, body = _read_bbc_text(path).partition("\n")
        yield _record(
            id=f"bbc-{category}-{path.stem}",
            title=title.strip(),
            body=body.strip(),
            source="BBC News",
            tags=[category],
        )


def write_jsonl(records: Iterable[Record], path: str | os.PathLike[str]) -> int:
    """Write records to ``path`` as JSON Lines (UTF-8, one object per line).

    Returns the number of records written. Non-ASCII text is written as is, not escaped.
    """
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count
