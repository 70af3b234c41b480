"""Files and bytes -> :class:`~search.models.Article` objects.

The only public way in: :func:`extract_file` and :func:`extract_bytes`. They choose a reader
by the file's suffix and its first characters::

    .html .htm .xhtml .shtml   html.py     trafilatura body + metadata from one lxml tree
    .mhtml .mht                mhtml.py    the saved page's HTML part, then as .html
    .txt .text                 text.py     headline, byline, standfirst, body (HTML if it is)
    .json                      records.py  object, list, wrapped list (JSON Lines if it is)
    .jsonl .ndjson             records.py  one object a line
    no suffix                  sniffed: "<" -> HTML, "{" or "[" -> JSON, else text
    any of these + .gz         decompressed (at most 50 MB), then read by the inner suffix

Every failure to read a file, whatever its cause, is an :class:`~search.errors.ExtractError`
with a short reason; parts of a file that fail are passed to ``on_problem`` and skipped.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import stat
import zlib
from collections.abc import Callable
from pathlib import PurePath

from search.errors import ExtractError
from search.extract.common import BadInput, host_name, web_address
from search.extract.decode import decode
from search.extract.mhtml import saved_page
from search.extract.records import extract_records, looks_like_json_lines
from search.extract.text import extract_text
from search.models import Article

__all__ = [
    "ARTICLE_SUFFIXES",
    "READER_VERSION",
    "extract_bytes",
    "extract_file",
    "is_article_file",
]

# Raised whenever what the readers return for some file changes (a better body, a name
# read where it was missed): the index records it with each file, and a sync reads again
# the files an older reader read. Indexes from before the number was recorded count as 1.
READER_VERSION = 24

_HTML = frozenset({".html", ".htm", ".xhtml", ".shtml"})
_MHTML = frozenset({".mhtml", ".mht"})
_TEXT = frozenset({".txt", ".text"})
_JSON = frozenset({".json"})
_JSON_LINES = frozenset({".jsonl", ".ndjson"})
_PLAIN_SUFFIXES = _HTML | _MHTML | _TEXT | _JSON | _JSON_LINES

ARTICLE_SUFFIXES: frozenset[str] = _PLAIN_SUFFIXES | frozenset(s + ".gz" for s in _PLAIN_SUFFIXES)
"""Lower-case suffixes of the files :func:`extract_file` reads (plus files with no suffix)."""

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
# Text beyond this many characters is cut (HTML pages are cut at 5 MB likewise): the
# readers and the index cost time and memory in proportion to it.
MAX_TEXT_CHARS = 5_000_000
_MB = 1024 * 1024
_MARKUP_STARTS = (
    "<!doctype",
    "<html",
    "<head",
    "<body",
    "<?xml",
    "<!--",
    "<meta",
    "<article",
)


class _CallbackError(Exception):
    """Carries an exception raised by the caller's ``on_problem`` past our own handlers."""


def is_article_file(path: str | os.PathLike[str]) -> bool:
    """Return True when ``path`` has a suffix in :data:`ARTICLE_SUFFIXES` or no suffix at all.

    Hidden files (".name") and editor backups ("name~") are not articles.
    """
    name = PurePath(path).name
    if not name or name.startswith(".") or name.endswith("~"):
        return False
    suffix = _suffix(name)
    return suffix in ARTICLE_SUFFIXES or "." not in name


def extract_file(
    path: str | os.PathLike[str], *, on_problem: Callable[[str], None] | None = None
) -> list[Article]:
    """Read the file at ``path`` and return its articles (one, or one per JSON record).

    ``Article.path`` holds ``path`` as given. ``on_problem`` is called with a short message
    for each part of the file that was skipped or cut.
    Raises :class:`~search.errors.ExtractError` when the file cannot be read or holds no
    article, or is larger than 50 MB.
    """
    name = os.fspath(path)
    try:
        # A named pipe would block the read and a device never end: only files are read.
        if not stat.S_ISREG(os.stat(name).st_mode):
            raise ExtractError(name, "not a regular file")
        with open(name, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ExtractError(name, exc.strerror or str(exc)) from None
    if len(data) > MAX_FILE_BYTES:
        size = os.path.getsize(name) // _MB
        raise ExtractError(name, f"file too large ({size} MB, limit {MAX_FILE_BYTES // _MB} MB)")
    return extract_bytes(data, path=name, on_problem=on_problem)


def extract_bytes(
    data: bytes, *, path: str, on_problem: Callable[[str], None] | None = None
) -> list[Article]:
    """Return the articles in ``data``, read as the file ``path`` (its suffix picks the reader).

    Raises :class:`~search.errors.ExtractError` when ``data`` holds no article; no other
    exception escapes for bad input. Exceptions raised by ``on_problem`` propagate unchanged.
    """

    def report(message: str) -> None:
        if on_problem is not None:
            try:
                on_problem(message)
            except Exception as exc:
                raise _CallbackError from exc

    try:
        return _extract(data, path, report)
    except _CallbackError as exc:
        raise exc.__cause__ from None  # type: ignore[misc]
    except BadInput as exc:
        raise ExtractError(path, exc.reason) from None
    except RecursionError:
        raise ExtractError(path, "content nested too deeply") from None
    except MemoryError:
        raise ExtractError(path, "out of memory while reading the file") from None
    except Exception as exc:
        # A parser bug on hostile input must cost one file, not the whole indexing run.
        raise ExtractError(path, f"unreadable ({type(exc).__name__}: {exc})") from exc


def _extract(data: bytes, path: str, report: Callable[[str], None]) -> list[Article]:
    suffix = _suffix(PurePath(path).name)
    if suffix.endswith(".gz") or data.startswith(b"\x1f\x8b"):
        data = _gunzip(data)
        suffix = suffix.removesuffix(".gz") if suffix.endswith(".gz") else suffix
    if not data.strip():
        raise BadInput("empty file")
    if suffix in _MHTML:
        return [_saved_page(data, path, report)]
    text = decode(data, markup=suffix not in _JSON | _JSON_LINES)
    if not text.strip():
        raise BadInput("empty file")
    kind = _kind(suffix, text)
    if kind == "html":
        return [_html(text, path, report)]
    if kind == "text":
        return [extract_text(_capped(text, report), path=path)]
    articles = extract_records(text, path=path, report=report, lines=kind == "jsonl")
    return [_capped_body(article, report) for article in articles]


def _html(text: str, path: str, report: Callable[[str], None]) -> Article:
    # Imported when a page is first read: trafilatura takes 0.15 s to import, which a
    # sync of JSON or text files (and each of its worker processes) would pay for nothing.
    from search.extract.html import extract_html

    return extract_html(text, path=path, report=report)


def _saved_page(data: bytes, path: str, report: Callable[[str], None]) -> Article:
    """The page in an MHTML archive; the address it was saved from when it names none."""
    text, saved_from = saved_page(data)
    article = _html(text, path, report)
    address = web_address(saved_from)
    if article.url or not address:
        return article
    source = article.source or host_name(address)
    return dataclasses.replace(article, id=address, url=address, source=source)


def _capped(text: str, report: Callable[[str], None]) -> str:
    """``text`` cut at MAX_TEXT_CHARS, as HTML pages are: a huge dump costs its tail only."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    report(f"text truncated to {MAX_TEXT_CHARS // 1_000_000} million characters")
    return text[:MAX_TEXT_CHARS]


def _capped_body(article: Article, report: Callable[[str], None]) -> Article:
    if len(article.body) <= MAX_TEXT_CHARS:
        return article
    body = _capped(article.body, report)
    return dataclasses.replace(article, body=body, content_hash="")


def _suffix(name: str) -> str:
    suffixes = PurePath(name.lower()).suffixes
    if suffixes[-1:] == [".gz"] and len(suffixes) > 1:
        return suffixes[-2] + ".gz"
    return suffixes[-1] if suffixes else ""


def _kind(suffix: str, text: str) -> str:
    start = text[:512].lstrip().lower()
    if suffix in _JSON_LINES:
        return "jsonl"
    if suffix in _JSON:
        return "jsonl" if looks_like_json_lines(text) else "json"
    if suffix in _HTML:
        return "html" if start.startswith("<") or "<p" in start or "<div" in start else "text"
    if suffix in _TEXT:
        # A saved page renamed to .txt: only a document start counts, not a stray "<".
        return "html" if start.startswith(_MARKUP_STARTS) else "text"
    if start.startswith("<"):
        return "html"
    if start.startswith(("{", "[")):
        return "jsonl" if looks_like_json_lines(text) else "json"
    return "text"


def _gunzip(data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as archive:
            # Read one byte past the limit: a zip bomb is refused without inflating it all.
            inflated = archive.read(MAX_UNZIPPED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise BadInput(f"not a valid gzip file ({exc})") from None
    if len(inflated) > MAX_UNZIPPED_BYTES:
        limit = MAX_UNZIPPED_BYTES // _MB
        raise BadInput(f"decompressed size over {limit} MB (possible zip bomb)")
    return inflated
