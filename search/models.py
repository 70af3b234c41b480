"""Plain data returned by the public API: frozen dataclasses, standard library only.

Nothing here holds an engine object, so every value stays valid after the index that
produced it is closed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import Any

__all__ = [
    "Article",
    "Copy",
    "Hit",
    "IndexStats",
    "Period",
    "Results",
    "Skipped",
    "SyncReport",
    "Timeline",
]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Article:
    """One news article, as read from a file or given by a caller.

    ``id`` is stable across runs: the article's url when it has one, otherwise the path of
    its file (plus ``#N`` for the N-th record of a JSON array or JSON Lines file).
    ``date`` is naive, in the publisher's local time as the page states it (so the
    calendar day is the publisher's); epoch timestamps are read as UTC. A ``datetime.date``
    becomes midnight of that day. ``authors`` and ``tags`` take any sequence of strings; a
    single string is one name or one tag. ``content_hash`` is filled from the text when
    left empty. Raises TypeError for a field of another type (a date given as text, say).
    """

    id: str
    title: str = ""
    body: str = ""
    authors: tuple[str, ...] = ()
    source: str = ""
    date: dt.datetime | None = None
    url: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    language: str = ""
    path: str = ""
    content_hash: str = ""

    def __post_init__(self) -> None:
        for name in _TEXT_FIELDS:
            _require(isinstance(getattr(self, name), str), name, "a str")
        for name in ("authors", "tags"):
            # Callers may pass lists; a frozen article keeps tuples so it stays hashable.
            value = getattr(self, name)
            values = (value,) if isinstance(value, str) else tuple(value)
            _require(all(isinstance(v, str) for v in values), name, "a sequence of str")
            object.__setattr__(self, name, values)
        if type(self.date) is dt.date:
            object.__setattr__(self, "date", dt.datetime.combine(self.date, dt.time()))
        _require(self.date is None or isinstance(self.date, dt.datetime), "date", "a datetime")
        if not self.content_hash:
            object.__setattr__(self, "content_hash", hash_text(self.title, self.body))

    def to_dict(self) -> dict[str, Any]:
        """Return the article as JSON-ready values (ISO date, lists for sequences)."""
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "authors": list(self.authors),
            "date": _iso(self.date),
            "summary": self.summary,
            "tags": list(self.tags),
            "language": self.language,
            "path": self.path,
            "content_hash": self.content_hash,
            "body": self.body,
        }


_TEXT_FIELDS = ("id", "title", "body", "source", "url", "summary", "language", "path")


def _require(ok: bool, name: str, kind: str) -> None:
    if not ok:
        raise TypeError(f"Article.{name} must be {kind}")


def hash_text(title: str, body: str) -> str:
    """Return a short hex digest of an article's title and body, blind to white space."""
    text = " ".join(title.split()) + "\n" + " ".join(body.split())
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Copy:
    """Another article with the same or nearly the same text as a hit (a syndicated
    copy), folded into that hit."""

    id: str
    title: str
    source: str
    url: str
    date: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        """Return the copy as JSON-ready values."""
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "date": _iso(self.date),
        }


Spans = tuple[tuple[int, int], ...]


_NOT_GIVEN: Any = object()


class _MadeWhenRead:
    """A field of :class:`Hit` (``snippet``, ``highlights``): the value given to the
    constructor (or to ``dataclasses.replace``) when there is one; else made, together
    with the other, by the hit's snippet maker the first time either is read."""

    def __init__(self, part: int, default: Any) -> None:
        self._part = part
        self._default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name
        self._given = f"_given_{name}"

    def __get__(self, hit: Any, owner: type | None = None) -> Any:
        if hit is None:
            return _NOT_GIVEN  # the dataclass default: "not given"
        values = hit.__dict__
        if self._given in values:
            return values[self._given]
        if self._name in values:  # a hit pickled before snippets were made when read
            return values[self._name]
        made = values.get("_made_snippet")
        if made is None:
            maker = values.get("_maker")
            if maker is not None:
                made = values["_made_snippet"] = maker()
                # Then the maker goes, with the text it holds (a whole article).
                values.pop("_maker", None)
            elif (made := values.get("_made_snippet")) is None:  # made by another thread?
                return self._default
        return made[self._part]

    def __set__(self, hit: Any, value: Any) -> None:
        if value is not _NOT_GIVEN:
            hit.__dict__[self._given] = value


@dataclass(frozen=True)
class Hit:
    """One search result.

    ``snippet`` is plain text from the body (or summary); ``highlights`` are the
    ``(start, end)`` character spans of the matched words inside it. A hit from a
    search makes both the first time either is read, from text it holds (no index
    needed): a caller that shows titles only does not pay for snippets, a third of a
    typical query's time. ``copies`` are the syndicated copies folded into this hit;
    ``explanation`` is the score broken down by query word, when it was asked for.
    """

    rank: int
    score: float
    id: str
    title: str
    url: str
    source: str
    authors: tuple[str, ...]
    date: dt.datetime | None
    summary: str
    path: str
    snippet: str = _MadeWhenRead(0, "")  # type: ignore[assignment]
    highlights: Spans = _MadeWhenRead(1, ())  # type: ignore[assignment]
    copies: tuple[Copy, ...] = ()
    explanation: str = ""
    # Makes (snippet, highlights) when neither was given; not a field (asdict, astuple).
    _snippet_maker: InitVar[Callable[[], tuple[str, Spans]] | None] = None

    def __post_init__(self, _snippet_maker: Callable[[], tuple[str, Spans]] | None) -> None:
        if _snippet_maker is not None:
            self.__dict__["_maker"] = _snippet_maker

    @property
    def snippet_html(self) -> str:
        """The snippet as HTML, matched words wrapped in ``<mark>``."""
        from html import escape

        parts, last = [], 0
        for start, end in self.highlights:
            parts.append(escape(self.snippet[last:start]))
            parts.append(f"<mark>{escape(self.snippet[start:end])}</mark>")
            last = end
        parts.append(escape(self.snippet[last:]))
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Return the hit as JSON-ready values."""
        return {
            "rank": self.rank,
            "score": round(self.score, 4),
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "authors": list(self.authors),
            "date": _iso(self.date),
            "summary": self.summary,
            "snippet": self.snippet,
            "snippet_html": self.snippet_html,
            "path": self.path,
            "copies": [copy.to_dict() for copy in self.copies],
        }


@dataclass(frozen=True)
class Results:
    """One page of search results.

    ``total`` counts every match, not just this page (copies folded into a hit
    included). ``warnings`` says what a lenient parse changed in the query text, and
    whether a short query's words were loosened to any of them (no article has all);
    ``elapsed`` is the search time in seconds. ``suggestion`` is a respelled query with
    more matches, when the query found few; ``facets`` maps each facet asked for to its
    (value, count) pairs over all matches, most first.
    """

    query: str
    total: int
    hits: tuple[Hit, ...]
    page: int = 1
    limit: int = 10
    elapsed: float = 0.0
    warnings: tuple[str, ...] = ()
    suggestion: str | None = None
    facets: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """How many pages of ``limit`` hits the matches fill."""
        return -(-self.total // self.limit) if self.limit else 0

    def to_dict(self) -> dict[str, Any]:
        """Return the results as JSON-ready values."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "limit": self.limit,
            "elapsed": round(self.elapsed, 4),
            "warnings": list(self.warnings),
            "suggestion": self.suggestion,
            "facets": {name: [list(pair) for pair in pairs] for name, pairs in self.facets.items()},
            "hits": [hit.to_dict() for hit in self.hits],
        }


@dataclass(frozen=True)
class Period:
    """One period of a timeline: its label ("2021-08"), first day and match count."""

    label: str
    start: dt.date
    count: int


@dataclass(frozen=True)
class Timeline:
    """How many matching articles appeared per period, empty periods included."""

    query: str
    by: str
    total: int
    periods: tuple[Period, ...]
    undated: int = 0
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the timeline as JSON-ready values."""
        return {
            "query": self.query,
            "by": self.by,
            "total": self.total,
            "undated": self.undated,
            "warnings": list(self.warnings),
            "periods": [
                {"period": p.label, "start": p.start.isoformat(), "count": p.count}
                for p in self.periods
            ],
        }


@dataclass(frozen=True)
class Skipped:
    """A file that gave no article, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class SyncReport:
    """What one indexing run did, counted in articles.

    ``skipped`` lists the files that gave no article, ``problems`` the parts of files
    that were passed over (a broken line of a JSON Lines file, a duplicate id).
    ``reread`` counts the files read again because an older version of the readers had
    read them (see ``search.extract.READER_VERSION``).
    """

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: tuple[Skipped, ...] = ()
    problems: tuple[Skipped, ...] = ()
    seconds: float = 0.0
    reread: int = 0

    @property
    def changed(self) -> bool:
        """True when the run changed the index."""
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready values."""
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "problems": [{"path": s.path, "reason": s.reason} for s in self.problems],
            "seconds": round(self.seconds, 3),
            "reread": self.reread,
        }


@dataclass(frozen=True)
class IndexStats:
    """A summary of an index: counts, date span, size and last change."""

    path: str
    articles: int
    files: int
    sources: tuple[tuple[str, int], ...] = field(default=())
    first_date: dt.datetime | None = None
    last_date: dt.datetime | None = None
    size_bytes: int = 0
    last_update: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the statistics as JSON-ready values."""
        return {
            "path": self.path,
            "articles": self.articles,
            "files": self.files,
            "sources": dict(self.sources),
            "first_date": _iso(self.first_date),
            "last_date": _iso(self.last_date),
            "size_bytes": self.size_bytes,
            "last_update": _iso(self.last_update),
        }
