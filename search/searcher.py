"""Searcher: open an index, answer queries, return plain results.

Results are built while the engine's searcher is open and hold only plain values, so
they stay valid after the :class:`Searcher` is closed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import glob
import heapq
import itertools
import mmap
import os
import pickle
import struct
import sys
import threading
import time
import weakref
from array import array
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from whoosh import collectors, columns, sorting
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.idsets import BitSet
from whoosh.reading import ReaderClosed

from search.analysis import name_analyzer
from search.codec import copy_key, copy_keys, lengths_in_memory
from search.damage import reads_index
from search.duplicates import are_copies, group_copies
from search.errors import (
    ArticleNotFoundError,
    IndexCorruptError,
    IndexNotFoundError,
    QuerySyntaxError,
)
from search.facets import FACETS, PERIODS, facet, facet_counts, fill_timeline, period_facet
from search.models import Article, Copy, Hit, IndexStats, Results, Timeline
from search.query import (
    ParsedQuery,
    date_filter_query,
    document_scores,
    loosened,
    parse_date_span,
    parse_query,
    weighted_leaves,
)
from search.schema import (
    FILE_FIELD,
    article_from_stored,
    build_schema,
    live_count,
    live_terms,
    make_weighting,
)
from search.snippets import make_snippet
from search.suggest import EDIT_COST, SUGGEST_BELOW, respellings

__all__ = ["FACETS", "PERIODS", "SORTS", "Searcher"]

SORTS = ("relevance", "date", "-date")
# Tries to open an index whose table of contents a commit is replacing.
OPEN_ATTEMPTS = 10
# How many key terms of an article find the articles like it.
SIMILAR_TERMS = 12
MAX_LIMIT = 1000
# Said when a short text's words are not all in any one article (search.query.loosened).
LOOSENED = "no article holds all of these words: showing articles with some of them"
_SNIPPET_FIELDS = frozenset({"title", "summary", "body"})
_NAMES = name_analyzer()
_NO_DATE = build_schema()["date"].default


class Searcher:
    """Searches the index at ``index_dir``.

    Use as a context manager. One Searcher may be shared by several threads: each
    thread reads through its own engine searcher, and every search first picks up what
    writers have committed since.

    >>> with Searcher("index") as s:                            # doctest: +SKIP
    ...     results = s.search("taliban provincial capitals", limit=5)

    Raises :class:`~search.errors.IndexNotFoundError` when there is no index there.
    """

    def __init__(self, index_dir: str | os.PathLike[str] = "index") -> None:
        self.index_dir = os.fspath(index_dir)
        self._ix = _open_index(self.index_dir)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list = []  # every engine searcher handed out, to close them all
        self._closed = False

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the index and every thread's engine searcher. Safe to call twice."""
        with self._lock:
            for engine_searcher in self._open:
                engine_searcher.close()
            self._open.clear()
            self._closed = True

    def _engine(self):
        """This thread's engine searcher, refreshed if the index changed."""
        if self._closed:
            raise ValueError("this Searcher is closed")
        current = getattr(self._local, "searcher", None)
        if current is None:
            current = self._opened()
        elif not current.up_to_date():
            fresh = _lengths_in_memory(_refreshed(self._ix, current, self.index_dir))
            _close_replaced(current, fresh)
            with self._lock:
                self._open.remove(current)
            current = fresh
        elif _toc_identity(self.index_dir, current) != self._local.toc:
            # Another index put in this one's place, at the same generation: `rm -rf index`
            # and `search index` again, or a folder moved here. Nothing of it is reused.
            with self._lock:
                self._open.remove(current)
            current.close()
            current = self._opened()
        else:
            return current
        with self._lock:
            self._open.append(current)
        self._local.searcher = current
        self._local.toc = _toc_identity(self.index_dir, current)
        return current

    def _opened(self):
        opened = _retried(lambda: self._ix.searcher(weighting=make_weighting()), self.index_dir)
        return _lengths_in_memory(opened)

    def _allowed(self, engine, restriction: wq.Query | None):
        """The document numbers of ``engine`` that ``restriction`` lets through.

        Kept per thread for the last few restrictions: a date range costs more to read
        than most queries, and the same one is asked for page after page.
        """
        if restriction is None:
            return None
        cache = getattr(self._local, "filters", None)
        if cache is None or cache.engine is not engine:
            # Document numbers belong to one engine searcher: a refreshed one starts afresh.
            cache = self._local.filters = _FilterCache(engine)
        return cache.get(restriction)

    @reads_index
    def search(
        self,
        text: str,
        *,
        limit: int = 10,
        page: int = 1,
        sort: str = "relevance",
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        source: str | None = None,
        mode: str = "auto",
        strict: bool = True,
        facets: Iterable[str] = (),
        all_copies: bool = False,
        explain: bool = False,
    ) -> Results:
        """Search for ``text`` and return one page of :class:`Results`.

        ``sort`` is "relevance", "date" (oldest first) or "-date" (newest first).
        ``since`` and ``until`` take dates or "YYYY", "YYYY-MM", "YYYY-MM-DD" and include
        the whole period they name. ``source`` keeps articles whose source contains
        those words. ``mode`` says how words without operators combine: "auto" (all
        words for short queries, the best matches for long ones), "all" or "any".
        With ``strict`` false, a malformed query is repaired and ``Results.warnings``
        says how; it also says when no article holds every word of a short text and
        the articles with some of them are shown instead. ``facets`` names counts to
        make over all matches ("source", "year", "month", "day"). Syndicated copies are
        folded into the best-ranked hit of their story unless ``all_copies`` is true.
        ``explain`` fills each hit's score breakdown.

        Raises QuerySyntaxError (or UnknownFieldError) for a malformed query in strict
        mode, ValueError for a bad ``limit``, ``page``, ``sort`` or facet name or a
        ``since`` after ``until``, and TypeError for a ``text`` that is not a str or a
        ``limit`` or ``page`` that is not an int.
        """
        started = time.perf_counter()
        _check_paging(limit, page, sort)
        facets = _check_facets(facets)
        parsed = parse_query(text, mode=mode, strict=strict)
        restriction = _restriction(parsed, since, until, source)
        if sort == "relevance" and isinstance(parsed.query, wq.Every):
            sort = "-date"  # nothing to rank by: a listing reads best newest first
        engine = self._engine()
        allowed = self._allowed(engine, restriction)
        groups, total = _ranked_groups(
            engine, parsed.query, allowed, sort, page * limit, fold=not all_copies
        )
        loose = loosened(parsed.query, engine)
        terms = _snippet_terms(parsed.query, engine.reader())
        first = (page - 1) * limit
        hits = tuple(
            _hit(engine, first + n + 1, group, terms, sort == "relevance", explain and parsed.query)
            for n, group in enumerate(groups[first : first + limit])
        )
        return Results(
            query=text,
            total=total,
            hits=hits,
            page=page,
            limit=limit,
            elapsed=time.perf_counter() - started,
            warnings=parsed.warnings + ((LOOSENED,) if loose else ()),
            suggestion=_suggestion(engine, text, mode, allowed, total, loose),
            facets=_facets(engine, parsed.query, allowed, facets),
        )

    @reads_index
    def get(self, article_id: str) -> Article:
        """Return the whole article with this id; raises ArticleNotFoundError."""
        _check_id(article_id)
        stored = self._engine().document(id=article_id)
        if stored is None:
            raise ArticleNotFoundError(article_id)
        return article_from_stored(stored)

    @reads_index
    def similar(self, article_id: str, *, limit: int = 10) -> Results:
        """Return the articles most like the one with this id, from its key terms.

        Copies of the article itself are left out; copies among the others are folded
        as in :meth:`search`. Raises ArticleNotFoundError for an unknown id.
        """
        started = time.perf_counter()
        _check_id(article_id)
        _check_paging(limit, 1, "relevance")
        engine = self._engine()
        docnum = engine.document_number(id=article_id)
        if docnum is None:
            raise ArticleNotFoundError(article_id)
        stored = engine.stored_fields(docnum)
        article = article_from_stored(stored)
        text = f"{article.title}\n{article.body or article.summary}"
        key_terms = _key_terms(engine, text)
        query = wq.Or([wq.Term("body", term, boost=weight) for term, weight in key_terms])
        found = engine.search(query, limit=limit * 3 + 10, mask={docnum})
        entries = [e for e in _entries(engine, found) if not are_copies(copy_key(stored), e[2])]
        groups = [[entries[i] for i in group] for group in group_copies([e[2] for e in entries])]
        terms = frozenset(term for term, _ in key_terms)
        hits = tuple(
            _hit(engine, n + 1, g, terms, True, None) for n, g in enumerate(groups[:limit])
        )
        return Results(
            query=f"similar to {article_id}",
            total=len(groups),
            hits=hits,
            limit=limit,
            elapsed=time.perf_counter() - started,
        )

    @reads_index
    def timeline(
        self,
        text: str,
        *,
        by: str = "month",
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        source: str | None = None,
        mode: str = "auto",
        strict: bool = True,
    ) -> Timeline:
        """Count the articles matching ``text`` per day, week, month or year (``by``).

        Every period from the first match to the last is listed, empty ones as zero;
        undated matches are counted apart. Takes the filters of :meth:`search`; raises
        its errors, and ValueError for an unknown ``by``.
        """
        if by not in PERIODS:
            raise ValueError(f"by must be one of {', '.join(PERIODS)}, not {by!r}")
        parsed = parse_query(text, mode=mode, strict=strict)
        restriction = _restriction(parsed, since, until, source)
        engine = self._engine()
        total, groups = _grouped(
            engine,
            parsed.query,
            self._allowed(engine, restriction),
            {"period": period_facet(by, _NO_DATE, dated=_dated(engine))},
        )
        return Timeline(
            query=text,
            by=by,
            total=total,
            periods=fill_timeline(groups["period"], by),
            undated=groups["period"].get(None, 0),
            warnings=parsed.warnings,
        )

    @reads_index
    def stats(self) -> IndexStats:
        """Return counts, sources, date span, size on disk and time of the last change."""
        engine = self._engine()
        first_date, last_date = _date_span(engine)
        return IndexStats(
            path=self.index_dir,
            articles=engine.doc_count(),
            files=len(live_terms(engine.reader(), FILE_FIELD)),
            sources=_source_counts(engine),
            first_date=first_date,
            last_date=last_date,
            size_bytes=sum(stat.st_size for stat in _stats(Path(self.index_dir).glob("*"))),
            last_update=_last_update(self.index_dir),
        )


def _lengths_in_memory(engine):
    """``engine`` with each segment's field lengths answered from memory, as
    search.codec.lengths_in_memory says why (a fifth of the time of a word query)."""
    for leaf, _ in engine.reader().leaf_readers():
        perdoc = getattr(leaf, "_perdoc", None)
        if perdoc is not None:
            lengths_in_memory(perdoc)
    return engine


def _toc_identity(index_dir: str, engine) -> tuple[int, int, int] | None:
    """The device, inode and modification time of the table of contents ``engine`` reads
    (None when it is gone): written once, it changes only with the index it belongs to."""
    name = f"_MAIN_{engine.reader().generation()}.toc"  # as _open_index finds it
    try:
        info = os.stat(os.path.join(index_dir, name))
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_mtime_ns


def _refreshed(ix, current, index_dir: str):
    """``current`` refreshed, reusing the readers of the segments that did not change; a
    searcher opened afresh when the refresh broke down part way.

    A commit can delete a segment while Whoosh 2.7.4 opens it for a refresh. Whoosh then
    closes the readers it meant to reuse, which ``current`` still holds, and its own
    retry reuses them closed or closes them again: "Reader already closed" at every
    search after (test_a_refresh_that_meets_a_vanished_segment_opens_the_index_afresh).
    """
    try:
        fresh = current.refresh()
    except (OSError, ReaderClosed):
        fresh = None
    if fresh is not None:
        if not any(getattr(r, "is_closed", False) for r, _ in fresh.reader().leaf_readers()):
            return fresh
        _close_replaced(fresh, current)  # the readers this attempt opened
    return _retried(lambda: ix.searcher(weighting=make_weighting()), index_dir)


def _close_replaced(old, new) -> None:
    """Close the segment readers of ``old`` that ``new`` does not use.

    Whoosh 2.7.4's ``refresh`` means to close them, but keys them by generation, which
    segments of one commit share, so it closes one per commit and leaves the others'
    files open (test_refresh_closes_every_old_segment).
    """
    kept = {id(reader) for reader, _ in new.reader().leaf_readers()}
    for reader, _ in old.reader().leaf_readers():
        if id(reader) not in kept and not getattr(reader, "is_closed", True):
            reader.close()


class _DocSet(BitSet):
    """A set of document numbers to pass as a filter, true even when empty.

    Whoosh tests ``if filter`` to decide whether a filter was given at all, so an empty
    BitSet would let every document through (test_empty_date_filter_finds_nothing).
    """

    def __bool__(self) -> bool:
        return True

    __nonzero__ = __bool__

    @functools.cached_property
    def empty(self) -> bool:
        """Whether no document is let through (a date range or a source that holds
        no article)."""
        return not any(self.bits)

    def within(self, offset: int, count: int) -> frozenset[int]:
        """The numbers in a segment's range, counted from its start (kept: a date range
        is asked for page after page, and word scoring skips the documents outside)."""
        cached = self.__dict__.setdefault("_within", {})
        key = (offset, count)
        if key not in cached:
            cached[key] = frozenset(d - offset for d in self if offset <= d < offset + count)
        return cached[key]


class _FilterCache:
    """The document sets of recent filters on one engine searcher, least recent dropped."""

    SIZE = 16

    def __init__(self, engine) -> None:
        self.engine = engine
        self.sets: dict[str, _DocSet] = {}

    def get(self, restriction: wq.Query) -> _DocSet:
        key = repr(restriction)
        found = self.sets.pop(key, None)
        if found is None:
            found = _DocSet(self.engine.docs_for_query(restriction), self.engine.doc_count_all())
            if len(self.sets) >= self.SIZE:
                del self.sets[next(iter(self.sets))]
        self.sets[key] = found
        return found


def _storage(index_dir: str) -> FileStorage:
    """The engine's storage for ``index_dir``: files read through memory maps."""
    return _MappedStorage(index_dir, supports_mmap=False, readonly=True)


class _MappedStorage(FileStorage):
    """A storage whose files are read through memory maps, as plain files.

    Whoosh reads a posting block's header and pickles a few bytes at a time, each read
    a seek and a read of a buffered file. From a map they are copies from memory.
    Whoosh's own mapping (``supports_mmap``) is left off: in 2.7.4 it copies every file
    of every segment into memory when a searcher opens (``BufferFile`` wraps the map in
    a ``BytesIO``), 0.1 s and the index's size for each fresh ``search query``.
    """

    def open_file(self, name: str, **kwargs) -> StructFile:
        with open(self._fpath(name), "rb") as file:
            try:
                mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            except (ValueError, OSError):  # an empty file, or no room to map it
                return super().open_file(name, **kwargs)
        return StructFile(mapped, name=name, **kwargs)


# The table of contents is a pickle behind a header: damaged or cut short, it fails in
# any of these ways while it is read.
_TOC_ERRORS = (
    OSError, EOFError, ValueError, IndexError, TypeError, AttributeError, ImportError,
    pickle.UnpicklingError, struct.error, whoosh_index.IndexError,
)  # fmt: skip


def _open_index(index_dir: str):
    """Open the index, telling a missing one from a damaged one.

    A writer's commit replaces the table of contents: one listed a moment ago may be gone
    when it is opened, so that is tried again before the index is called damaged.
    """
    if not glob.glob(os.path.join(glob.escape(index_dir), "_MAIN_*.toc")):
        raise IndexNotFoundError(index_dir)

    def opened():
        ix = _storage(index_dir).open_index()
        return ix, set(ix.schema.names())  # reads the table of contents again

    try:
        ix, names = _retried(opened, index_dir)
    except _TOC_ERRORS as exc:
        reason = str(exc) or type(exc).__name__
        if len(reason) > 200:  # a class name read from damaged bytes
            reason = reason[:200] + "\u2026"
        raise IndexCorruptError(index_dir, reason) from exc
    if names != set(build_schema().names()):
        ix.close()
        raise IndexCorruptError(index_dir, "it was built with a different field layout")
    return ix


def _retried(read, index_dir: str):
    """``read()``, tried again while it meets a file a commit has just replaced.

    Whoosh reads the table of contents anew on opening, on asking for the schema and on
    each searcher: a commit can delete the one it has just listed (_MAIN_45.toc gone
    between the listing and the open, on a busy machine). A file still missing after
    that is one the table of contents names and the index lacks.
    """
    for _ in range(OPEN_ATTEMPTS - 1):
        try:
            return read()
        except FileNotFoundError:
            time.sleep(0.05)
    try:
        return read()
    except FileNotFoundError as exc:
        raise IndexCorruptError(index_dir, f"missing {exc.filename or exc}") from exc


def _key_terms(engine, text: str) -> list[tuple[str, float]]:
    """The words of ``text`` that best tell its subject, with their weights; none when no
    word of it is in any article's body (Whoosh then divides by a weight of zero)."""
    try:
        return engine.key_terms_from_text("body", text, numterms=SIMILAR_TERMS)
    except ZeroDivisionError:
        return []


def _check_paging(limit: int, page: int, sort: str) -> None:
    for name, value in (("limit", limit), ("page", page)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if page < 1:
        raise ValueError(f"page must be 1 or more, not {page}")
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")


def _sort_key(sort: str) -> sorting.FacetType | None:
    """The engine's sort order for ``sort``; undated articles last either way.

    The date column stores a missing date as the largest value, which a plain reversed
    sort would put first.
    """
    if sort == "relevance":
        return None
    return sorting.TranslateFacet(_date_order(sort), sorting.FieldFacet("date"))


def _date_order(sort: str) -> Callable[[int], tuple[bool, int]]:
    """The sort key of a date column value for ``sort`` ("date" or "-date")."""
    sign = -1 if sort == "-date" else 1

    def key(value: int) -> tuple[bool, int]:
        return value == _NO_DATE, sign * value

    return key


def _date_bound(value: str | dt.date | None, *, end: bool) -> dt.datetime | None:
    """The start (or the exclusive end) of the period a date value names."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        start = dt.datetime(value.year, value.month, value.day)
        return start + dt.timedelta(days=1) if end else start
    if not isinstance(value, str):
        name = "until" if end else "since"
        raise TypeError(f"{name} must be a str, a date or None, not {type(value).__name__}")
    try:
        span = parse_date_span(value)
    except ValueError as exc:
        raise QuerySyntaxError(value, 0, str(exc)) from exc
    return span[1] if end else span[0]


def _restriction(
    parsed: ParsedQuery,
    since: str | dt.date | None,
    until: str | dt.date | None,
    source: str | None,
) -> wq.Query | None:
    """The filter for the dates and source asked for, in the query and as options.

    Dates go in a filter, never in the scored query: Whoosh 2.7.4 miscounted totals
    for ``word AND date:[...]`` searched with a limit (tests/test_searcher.py pins it).
    """
    start, end = _date_bound(since, end=False), _date_bound(until, end=True)
    if start is not None and end is not None and start >= end:
        raise ValueError(f"since {since} is after until {until}: nothing can match")
    if parsed.date_filter is not None:
        start = max(filter(None, (start, parsed.date_filter[0])), default=None)
        end = min(filter(None, (end, parsed.date_filter[1])), default=None)
    parts = []
    if start is not None or end is not None:
        parts.append(date_filter_query(start, end))
    if source is not None and not isinstance(source, str):
        raise TypeError(f"source must be a str or None, not {type(source).__name__}")
    words = [token.text for token in _NAMES(source or "")]
    if words:
        parts.append(wq.Phrase("source", words) if len(words) > 1 else wq.Term("source", words[0]))
    return wq.And(parts) if len(parts) > 1 else (parts[0] if parts else None)


def _check_id(article_id: str) -> None:
    if not isinstance(article_id, str):
        raise TypeError(f"an article id must be a str, not {type(article_id).__name__}")


def _check_facets(names: Iterable[str]) -> tuple[str, ...]:
    names = tuple(dict.fromkeys([names] if isinstance(names, str) else names))
    unknown = [name for name in names if name not in FACETS]
    if unknown:
        raise ValueError(f"unknown facet {unknown[0]!r}; facets are {', '.join(FACETS)}")
    return names


# A ranked match: its document number, its score (0.0 when sorted by date), its copy key.
# The stored fields of a page's hits are read when the page is made.
Entry = tuple[int, float, tuple[str, str]]


def _entries(engine, found) -> list[Entry]:
    # Sorted results carry the sort key where the score would be.
    ranked = [(hit.docnum, hit.score if isinstance(hit.score, float) else 0.0) for hit in found]
    return _with_keys(engine, ranked)


def _with_keys(engine, ranked: list[tuple[int, float]]) -> list[Entry]:
    """``(docnum, score)`` pairs as entries: with each document's copy key."""
    keys = _copy_keys(engine, [docnum for docnum, _ in ranked])
    return [(docnum, score, key) for (docnum, score), key in zip(ranked, keys)]


def _copy_keys(engine, docnums: list[int]) -> list[tuple[str, str]]:
    """The copy key of each document: from its segment's column of them
    (search.codec.copy_keys), or from its stored fields where a segment has none."""
    segments = [
        (offset, copy_keys(segment.reader())) for segment, offset in engine.leaf_searchers()
    ]
    starts = [offset for offset, _ in segments]
    keys = []
    for docnum in docnums:
        offset, column = segments[bisect.bisect_right(starts, docnum) - 1]
        keys.append(
            copy_key(engine.stored_fields(docnum)) if column is None else column(docnum - offset)
        )
    return keys


def _ranked_groups(
    engine,
    query: wq.Query,
    allowed: _DocSet | None,
    sort: str,
    wanted: int,
    *,
    fold: bool,
) -> tuple[list[list[Entry]], int]:
    """The first ``wanted`` stories (lists of entries: the best-ranked article, then
    its copies) and the total number of matching articles.

    Copies are found among the ranked matches, so more matches are read until enough
    stories are found or none are left.
    """
    fetch = wanted * 2 + 10 if fold else wanted
    scored = _scored(engine, query, allowed)
    while True:
        if scored is not None and sort == "relevance":
            total, entries = len(scored), _best(engine, scored, fetch)
        elif scored is not None:
            total, entries = len(scored), _by_date(engine, scored, sort, fetch)
        else:
            found = _search(engine, query, limit=fetch, filter=allowed, sortedby=_sort_key(sort))
            total, entries = len(found), _entries(engine, found)
        if not fold:
            return [[entry] for entry in entries], total
        groups = group_copies([key for _, _, key in entries])
        if len(groups) >= wanted or len(entries) >= total:
            return [[entries[i] for i in group] for group in groups], total
        fetch *= 4


def _scored(engine, query: wq.Query, allowed: _DocSet | None) -> dict[int, float] | None:
    """The score of every match that ``allowed`` lets through, scored a word at a time
    (search.query.document_scores); None when the query needs Whoosh's matchers."""
    if allowed is not None and allowed.empty:
        return {}  # nothing let through: the words' postings need not be read
    scores = {}
    segments = engine.leaf_searchers()
    for segment, offset in segments:
        only = None if allowed is None else allowed.within(offset, segment.doc_count_all())
        found = document_scores(query, segment, engine.weighting, only)
        if found is None:
            return None
        if len(segments) == 1 and only is None:
            return found  # numbered as the engine numbers them (offset 0), all allowed
        for docnum, score in found.items():
            if only is None or docnum in only:
                scores[docnum + offset] = score
    return scores


def _best(engine, scored: dict[int, float], limit: int) -> list[Entry]:
    """The ``limit`` best of ``scored``: highest score first, then lowest document
    number, as Whoosh's collector orders them."""
    if not scored:
        return []
    # The limit-th best score, then every match that reaches it, ties at the cut
    # included: half the time of taking the best items by a key.
    floor = heapq.nlargest(limit, scored.values())[-1]
    best = [(docnum, score) for docnum, score in scored.items() if score >= floor]
    best.sort(key=lambda item: (-item[1], item[0]))
    return _with_keys(engine, best[:limit])


def _by_date(engine, scored: dict[int, float], sort: str, limit: int) -> list[Entry]:
    """The first ``limit`` of ``scored`` in date order, as Whoosh's sorting collector
    orders them: by the date column's key (see _sort_key), then document number."""
    keys = _date_keys(engine, sort)
    if len(scored) ** 2 >= limit * len(keys):
        # Many matches: walking every document in date order meets ``limit`` of them in
        # about limit * documents / matches steps, fewer than a heap over the matches.
        in_order = (docnum for docnum in _date_ordered(engine, sort) if docnum in scored)
        first = list(itertools.islice(in_order, limit))
    else:
        first = heapq.nsmallest(limit, scored, key=lambda docnum: (keys[docnum], docnum))
    return _with_keys(engine, [(docnum, 0.0) for docnum in first])


# Per engine searcher, the sort key of every document for "date" and "-date", and the
# documents in that order (keyed by the sort and "order").
_DATE_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _date_ordered(engine, sort: str) -> Sequence[int]:
    """Every document number of ``engine`` in the order of ``sort``, then by number,
    sorted once per engine searcher (20,841 documents: 1.5-2.2 ms)."""
    cached = _DATE_KEYS.setdefault(engine, {})
    order = cached.get((sort, "order"))
    if order is None:
        keys = _date_keys(engine, sort)
        order = cached[sort, "order"] = array("I", sorted(range(len(keys)), key=keys.__getitem__))
    return order


def _date_keys(engine, sort: str) -> Sequence[int]:
    """The sort key of each document of ``engine`` for ``sort``, read once per engine
    searcher: one integer that orders as _date_order's pair does."""
    cached = _DATE_KEYS.setdefault(engine, {})
    keys = cached.get(sort)
    if keys is None:
        values = array("Q")
        for segment, _ in engine.leaf_searchers():
            values.extend(_column_values(segment.reader().column_reader("date", translate=False)))
        if sort == "-date":
            # Newest first, undated last, and every key an unsigned 64-bit integer, even
            # for a value a damaged column gives.
            values = array("Q", (v if v == _NO_DATE else _NO_DATE - 1 - v for v in values))
        keys = cached[sort] = values
    return keys


def _column_values(column) -> Sequence[int]:
    """Every document's value in a segment's date column. The column's bytes are read
    at once: Whoosh's reader unpacks a value at a time (22 ms for Reuters' 20,841
    articles, against 0.05 ms)."""
    if type(column) is not columns.NumericColumn.Reader or column._typecode != "Q":
        return column.load()
    values = array("Q", column._dbfile.get(column._basepos, column._count * 8))
    if sys.byteorder == "little":
        values.byteswap()  # Whoosh writes columns in network order
    values.extend(itertools.repeat(column._default, column._doccount - column._count))
    return values


def _search(
    engine,
    query: wq.Query,
    *,
    limit: int,
    filter: _DocSet | None = None,
    sortedby: sorting.FacetType | None = None,
    groupedby: dict[str, sorting.FacetType] | None = None,
):
    """The engine's first ``limit`` results, every match counted (per ``groupedby``
    facet too) while collected.

    Whoosh's default skips blocks of low-scoring documents, then runs the whole query a
    second time for ``len(results)``, testing every document against a filter with a
    scan of all the filter's bits: ten times slower with a date range. Turning that off
    (``optimize=False``) is not enough: the collector still drops matches that cannot
    reach the top (``replace``) and miscounts; on Reuters the total of a date-restricted
    query changed from one page to the next (test_totals_do_not_depend_on_page).
    """
    if sortedby is not None:
        return engine.search(query, limit=limit, filter=filter, sortedby=sortedby)
    collector = collectors.TopCollector(limit, usequality=False, replace=0)
    if groupedby:
        collector = collectors.FacetCollector(collector, groupedby, maptype=sorting.Count)
    if filter is not None:
        collector = collectors.FilterCollector(collector, allow=filter)
    engine.search_with_collector(query, collector)
    return collector.results()


def _snippet_terms(query: wq.Query, reader) -> frozenset[str]:
    """The analyzed words the query looks for in title, summary or body, with wildcards
    and fuzzy words expanded to the words the index holds.

    Not ``Query.existing_terms``: in Whoosh 2.7.4 it reuses its ``fieldname`` argument
    as a loop variable and drops the terms of every field but one.
    """
    terms = set()
    for leaf in query.leaves():
        if leaf.field() not in _SNIPPET_FIELDS:
            continue
        for _, text in leaf.expanded_terms(reader, phrases=True):
            terms.add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return frozenset(terms)


def _hit(
    engine,
    rank: int,
    story: list[Entry],
    terms: frozenset[str],
    scored: bool,
    explain: wq.Query | None,
) -> Hit:
    docnum, score, _ = story[0]
    article = article_from_stored(engine.stored_fields(docnum))
    return Hit(
        rank=rank,
        score=score if scored else 0.0,
        id=article.id,
        title=article.title,
        url=article.url,
        source=article.source,
        authors=article.authors,
        date=article.date,
        summary=article.summary,
        path=article.path,
        _snippet_maker=functools.partial(make_snippet, article.body or article.summary, terms),
        copies=tuple(_copy(engine.stored_fields(entry[0])) for entry in story[1:]),
        explanation=_explain(engine, explain, docnum, score) if explain else "",
    )


def _copy(stored: dict) -> Copy:
    article = article_from_stored(stored)
    return Copy(article.id, article.title, article.source, article.url, article.date)


def _explain(engine, query: wq.Query, docnum: int, score: float) -> str:
    """The score of one document, broken down by the query's words and phrases."""
    parts = []
    for leaf, weight in weighted_leaves(query):
        matcher = leaf.matcher(engine, engine.context())
        if matcher.is_active() and matcher.id() < docnum:
            matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            parts.append(f"{leaf} {matcher.score() * weight:.2f}")
    return f"{score:.2f} = " + " + ".join(parts) if parts else f"{score:.2f}"


def _facets(
    engine,
    query: wq.Query,
    allowed: _DocSet | None,
    names: tuple[str, ...],
) -> dict[str, tuple[tuple[str, int], ...]]:
    if not names:
        return {}
    dated = _dated(engine)
    groupedby = {name: facet(name, _NO_DATE, dated=dated) for name in names}
    _, groups = _grouped(engine, query, allowed, groupedby)
    return {name: facet_counts(name, groups[name]) for name in names}


def _grouped(
    engine,
    query: wq.Query,
    allowed: _DocSet | None,
    groupedby: dict[str, sorting.FacetType],
) -> tuple[int, dict[str, dict]]:
    """How many matches ``allowed`` lets through, and their count for each value of
    each ``groupedby`` facet."""
    if allowed is not None and allowed.empty:
        return 0, {name: {} for name in groupedby}  # nothing to count
    found = _search(engine, query, limit=1, filter=allowed, groupedby=groupedby)
    return len(found), {name: found.groups(name) for name in groupedby}


def _dated(engine) -> bool:
    """Whether any article of ``engine`` has a date (a segment has a date column)."""
    return engine.reader().has_column("date")


def _suggestion(
    engine,
    text: str,
    mode: str,
    allowed: _DocSet | None,
    total: int,
    loose: bool,
) -> str | None:
    """A respelling of ``text`` that finds more articles, when ``text`` finds few: of
    :func:`respellings`, the one whose articles weigh most, each edit dividing them by
    EDIT_COST (the first of equals).

    Only articles holding every word of a short text count: when none does, the
    partial matches shown instead do not stop a suggestion, and a respelling must find
    articles with all its words ("taliban provincial capitals" is not respelled to
    "taiwan provincial capitals" for the articles that mention "provincial").
    """
    if loose:
        total = 0
    if total >= SUGGEST_BELOW or (allowed is not None and allowed.empty):
        return None  # enough found, or no respelling can find anything
    best, best_weight = None, 0.0
    for respelled, edits in respellings(text, engine.reader()):
        query = parse_query(respelled, mode=mode, strict=False).query
        if loosened(query, engine):
            continue
        found = len(_search(engine, query, filter=allowed, limit=1))
        weight = found / EDIT_COST**edits
        if found > total and weight > best_weight:
            best, best_weight = respelled, weight
    return best


def _date_span(engine) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The first and the last date of a live article, read from the date field's
    full-precision terms, which are in date order. (Searching for every dated article
    reads each of the field's terms at every precision: 4.8 s on Reuters-21578.)"""
    reader = engine.reader()
    field = engine.schema["date"]
    dates = list(field.sortable_terms(reader, "date"))
    if reader.has_deletions():  # a term outlives its deleted articles until a merge
        first = next((term for term in dates if live_count(reader, "date", term)), None)
        if first is None:
            return None, None
        last = next(term for term in reversed(dates) if live_count(reader, "date", term))
        dates = [first, last]
    if not dates:
        return None, None
    return field.from_bytes(dates[0]), field.from_bytes(dates[-1])


def _source_counts(engine) -> tuple[tuple[str, int], ...]:
    """Articles per source, most first, counted from the source column."""
    found = engine.search(wq.Every(), groupedby="site", maptype=sorting.Count, limit=1)
    counts = found.groups("site")
    named = {(key or ""): count for key, count in counts.items()}
    return tuple(sorted(named.items(), key=lambda item: (-item[1], item[0])))


def _stats(paths: Iterable[Path]) -> list[os.stat_result]:
    """The stat of each regular file among ``paths``, passing over the ones a writer's
    commit removed since they were listed."""
    found = []
    for path in paths:
        try:
            if path.is_file():
                found.append(path.stat())
        except FileNotFoundError:
            continue
    return found


def _last_update(index_dir: str) -> dt.datetime | None:
    stats = _stats(Path(index_dir).glob("_*_*.toc"))
    if not stats:
        return None
    return dt.datetime.fromtimestamp(max(stat.st_mtime for stat in stats))
