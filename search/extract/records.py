"""JSON and JSON Lines -> Articles: the field names that scrapers and news APIs use.

Accepted shapes: one object, a list of objects, an object wrapping such a list
({"articles": [...]}, {"data": [...]}, ...), and JSON Lines. Field names are matched
case-insensitively and without "_" or "-", so "publishedAt" and "published_at" are one name.

Ids: the record's url when it has one, else the path; records of a list get "#N" with N the
1-based position in the list, records of a JSON Lines file "#N" with N the 1-based line
number (blank lines counted, so "#7" is line 7 in an editor and in problem reports).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from search.extract.common import (
    BadInput,
    Report,
    clean_authors,
    clean_space,
    host_name,
    is_address,
    parse_date,
    split_tags,
    web_address,
)
from search.models import Article

__all__ = ["extract_records", "looks_like_json_lines"]

# Names from news APIs and scrapers besides the obvious ones: news-please ("maintext",
# "date_publish", "source_domain"), newspaper ("meta_description"), trafilatura
# ("hostname"), Event Registry ("dateTimePub"), the New York Times ("web_url",
# "lead_paragraph", its only text, "pub_date") and the Guardian ("webTitle",
# "webPublicationDate", "bodyText": its text without HTML).
_FIELDS = {
    "title": ("title", "headline", "webtitle", "name"),
    "body": (
        "body", "bodytext", "text", "maintext", "content", "article", "articlebody", "fulltext",
        "story", "leadparagraph",
    ),
    "authors": ("authors", "author", "byline", "creator", "creators"),
    "date": (
        "datepublished", "datepublish", "published", "publishedat", "publisheddate",
        "publishdate", "publicationdate", "webpublicationdate", "datetimepub", "pubdate",
        "date", "datetime", "createdat", "created", "time", "timestamp",
    ),
    "url": ("url", "link", "href", "canonicalurl", "weburl", "uri"),
    "source": (
        "source", "sourcename", "site", "sitename", "publisher", "sourcedomain", "domain",
        "hostname",
    ),
    "summary": (
        "summary", "description", "abstract", "excerpt", "standfirst", "lede", "trailtext",
        "metadescription", "snippet",
    ),
    "tags": ("tags", "keywords", "categories", "category", "topics"),
    "language": ("language", "lang"),
}  # fmt: skip
# A field given as an object: the key that holds its text ({"main": ...} is a New York
# Times headline, {"original": "By ..."} its byline, {"value": ...} a keyword).
_INNER_TEXT = ("name", "title", "webTitle", "main", "original", "id")
_INNER_TAG = ("value", "webTitle", "name", "title", "id")
# An object that holds more of the article's fields ({"fields": {"body": ...}}, the
# Guardian's API).
_NESTED_FIELDS = "fields"
_WRAPPERS = (
    "articles", "data", "items", "results", "records", "posts", "entries", "stories",
    "news", "docs", "documents", "hits",
)  # fmt: skip
_MARKUP = re.compile(
    r"<(?:p|div|br|span|a|em|strong|b|i|h[1-6]|ul|ol|li|img|blockquote)\b",
    re.IGNORECASE,
)
_WRONG_SHAPE = "JSON of the wrong shape: expected an object or a list of objects"


def looks_like_json_lines(text: str) -> bool:
    """Return True when ``text`` is JSON Lines: several lines, the first a whole object."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except (ValueError, RecursionError):
        return False


def extract_records(text: str, *, path: str, report: Report, lines: bool) -> list[Article]:
    """Return the articles in the JSON (``lines=False``) or JSON Lines text ``text``.

    Bad records are skipped and reported; raises :class:`BadInput` when none is good.
    """
    # Only a \uD800-\uDFFF escape makes a lone surrogate (the text was decoded already).
    scrub = _scrubbed if _SURROGATE_ESCAPE.search(text) else _as_is
    if lines:
        records = list(_json_lines(text, report, scrub))
    else:
        records = _json_records(text, scrub)
    articles, empty = [], []
    for label, number, record in records:
        article = _article(record, path=path, number=number)
        if article is None:
            empty.append(label)
        else:
            articles.append(article)
    if not articles:  # the file's reason, said once rather than once a record
        raise BadInput("no article text found")
    for label in empty:
        report(f"{label}: no title or text")
    return articles


def _json_lines(
    text: str, report: Report, scrub: Callable[[Any], Any]
) -> Iterator[tuple[str, int | None, dict]]:
    first_error = ""
    good = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = scrub(json.loads(line))
        except (ValueError, RecursionError) as exc:
            first_error = first_error or f"line {number}: {_json_message(exc)}"
            report(f"line {number}: invalid JSON ({_json_message(exc)})")
            continue
        if not isinstance(record, dict):
            report(f"line {number}: not a JSON object")
            continue
        good += 1
        yield f"line {number}", number, record
    if not good:
        raise BadInput(f"invalid JSON: {first_error}" if first_error else _WRONG_SHAPE)


def _json_records(text: str, scrub: Callable[[Any], Any]) -> list[tuple[str, int | None, dict]]:
    try:
        data = scrub(json.loads(text))
    except RecursionError:
        raise BadInput("invalid JSON: nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"invalid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if isinstance(data, dict):
        wrapped = _wrapped_list(data)
        if wrapped is None:
            return [("record 1", None, data)]
        data = wrapped
    if not isinstance(data, list) or not any(isinstance(item, dict) for item in data):
        raise BadInput(_WRONG_SHAPE)
    return [
        (f"record {number}", number, item)
        for number, item in enumerate(data, start=1)
        if isinstance(item, dict)
    ]


def _wrapped_list(data: dict[str, Any], *, depth: int = 0) -> list[Any] | None:
    # {"status": "ok", "articles": [...]}: an object whose own fields are not an article;
    # the list may sit one object further in ({"response": {"docs": [...]}}).
    keys = {_key(name): value for name, value in data.items()}
    if _first(keys, "title") or _first(keys, "body"):
        return None
    for name in _WRAPPERS:
        if isinstance(keys.get(name), list):
            return keys[name]
    lists = [value for value in keys.values() if isinstance(value, list) and value]
    if len(lists) == 1 and all(isinstance(item, dict) for item in lists[0]):
        return lists[0]
    inner = [value for value in keys.values() if isinstance(value, dict)]
    if depth == 0 and len(inner) == 1:
        return _wrapped_list(inner[0], depth=1)
    return None


@functools.lru_cache(maxsize=4096)
def _key(name: str) -> str:
    # Cached: every record of a file repeats its field names.
    return re.sub(r"[_\-\s]", "", str(name)).lower()


def _first(keys: dict[str, Any], kind: str) -> Any:
    for name in _FIELDS[kind]:
        value = keys.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


def _article(record: dict[str, Any], *, path: str, number: int | None) -> Article | None:
    keys = {_key(name): value for name, value in record.items()}
    nested = keys.get(_NESTED_FIELDS)
    if isinstance(nested, dict):
        keys = {_key(name): value for name, value in nested.items()} | keys
    title = _text(_first(keys, "title"))
    body = _body(_first(keys, "body"))
    if not title and not body:
        return None
    url = web_address(_first(keys, "url"))
    fallback_id = path if number is None else f"{path}#{number}"
    return Article(
        id=url or fallback_id,
        title=title,
        body=body,
        authors=clean_authors(_names(_first(keys, "authors"))),
        source=_source(_names(_first(keys, "source"))[0], url),
        date=parse_date(_first(keys, "date")),
        url=url,
        summary=_body(_first(keys, "summary")).replace("\n\n", " "),
        tags=split_tags(_names(_first(keys, "tags"), _INNER_TAG)),
        language=_text(_first(keys, "language"))[:16],
        path=path,
    )


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = _inner(value, _INNER_TEXT)
    return clean_space(value) if isinstance(value, str) else ""


def _number_as_text(value: Any) -> Any:
    # A number among names and tags (a tag 2024) is that text; a number for a title or a
    # body is no article text.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _inner(value: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((value[name] for name in names if isinstance(value.get(name), str)), None)


def _body(value: Any) -> str:
    if isinstance(value, list):
        value = "\n\n".join(item for item in value if isinstance(item, str))
    if not isinstance(value, str):
        return ""
    if _MARKUP.search(value):
        from search.extract.html import html_to_text  # trafilatura: imported when needed

        return html_to_text(value)
    paragraphs = (clean_space(part) for part in re.split(r"\n\s*\n|\r\n\s*\r\n", value))
    return "\n\n".join(part for part in paragraphs if part)


def _names(value: Any, inner: tuple[str, ...] = _INNER_TEXT) -> list[str]:
    # "A", ["A", "B"], {"name": "A"}, [{"name": "A"}]: the shapes authors and sources take.
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        if isinstance(item, dict):
            item = _inner(item, inner)
        item = _number_as_text(item)
        if isinstance(item, str) and item.strip():
            names.append(clean_space(item))
    return names or [""]


def _source(name: str, url: str) -> str:
    # As for a page: a site given by its address ("www.example.com", news-please) or not
    # at all (the Guardian's API) is named by its host.
    if is_address(name) or not name:
        return host_name(name or url)
    return name


def _json_message(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"column {exc.colno}: {exc.msg}"
    return "nested too deeply"


_SURROGATE = re.compile("[\ud800-\udfff]")
# A JSON escape that may make one: \uD800 to \uDFFF, in either case.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _as_is(value: Any) -> Any:
    return value


def _scrubbed(value: Any) -> Any:
    """``value`` with lone surrogates (``"\\ud83d"`` escapes cut from a pair) replaced by
    U+FFFD: they cannot be written as UTF-8, and one must not cost a whole file."""
    if isinstance(value, str):
        if _SURROGATE.search(value) is None:
            return value
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    if isinstance(value, dict):
        return {_scrubbed(key): _scrubbed(item) for key, item in value.items()}
    return value
