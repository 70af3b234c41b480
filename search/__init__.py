"""Full-text search for news articles: index folders of pages, dumps and exports, then
query them from Python or the ``search`` command.

Reading::

    from search import Searcher
    with Searcher("index") as s:
        for hit in s.search("taliban provincial capitals", limit=5).hits:
            print(hit.rank, hit.title, hit.date, hit.url)

Writing::

    from search import Indexer
    with Indexer("index") as indexer:
        report = indexer.sync(["corpus/"])

Names are imported on first use, so ``search query`` does not load the HTML readers.
"""

from __future__ import annotations

import importlib

# Not imported from typing: importing typing costs a query answered by `search serve` about
# a tenth of its time. Type checkers read this name as typing's.
TYPE_CHECKING = False

__all__ = [
    "FACETS",
    "PERIODS",
    "SORTS",
    "Article",
    "ArticleNotFoundError",
    "CheckReport",
    "Copy",
    "ExtractError",
    "Hit",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexNotFoundError",
    "IndexStats",
    "Indexer",
    "ParsedQuery",
    "Period",
    "QuerySyntaxError",
    "Results",
    "SearchError",
    "Searcher",
    "ServeError",
    "Skipped",
    "SyncReport",
    "Timeline",
    "UnknownFieldError",
    "check_index",
    "extract_file",
    "parse_date_span",
    "parse_query",
]

# Which module defines each public name.
_HOMES = {
    "Article": "models",
    "Copy": "models",
    "Period": "models",
    "Timeline": "models",
    "Hit": "models",
    "IndexStats": "models",
    "Results": "models",
    "Skipped": "models",
    "SyncReport": "models",
    "ArticleNotFoundError": "errors",
    "ExtractError": "errors",
    "IndexBusyError": "errors",
    "IndexCorruptError": "errors",
    "IndexNotFoundError": "errors",
    "QuerySyntaxError": "errors",
    "ServeError": "errors",
    "SearchError": "errors",
    "UnknownFieldError": "errors",
    "CheckReport": "check",
    "check_index": "check",
    "extract_file": "extract",
    "Indexer": "indexer",
    "ParsedQuery": "query",
    "parse_date_span": "query",
    "parse_query": "query",
    "FACETS": "searcher",
    "PERIODS": "searcher",
    "SORTS": "searcher",
    "Searcher": "searcher",
}

if TYPE_CHECKING:
    from typing import Any

    from search.check import CheckReport, check_index
    from search.errors import (
        ArticleNotFoundError,
        ExtractError,
        IndexBusyError,
        IndexCorruptError,
        IndexNotFoundError,
        QuerySyntaxError,
        SearchError,
        ServeError,
        UnknownFieldError,
    )
    from search.extract import extract_file
    from search.indexer import Indexer
    from search.models import (
        Article,
        Copy,
        Hit,
        IndexStats,
        Period,
        Results,
        Skipped,
        SyncReport,
        Timeline,
    )
    from search.query import ParsedQuery, parse_date_span, parse_query
    from search.searcher import FACETS, PERIODS, SORTS, Searcher


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"search.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
