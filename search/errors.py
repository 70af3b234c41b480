"""The exceptions this package raises.

Every error derives from :class:`SearchError`, so callers can catch one type::

    SearchError
    ├── IndexNotFoundError     no index at the given folder
    ├── IndexBusyError         another process holds the write lock
    ├── IndexCorruptError      the index exists but cannot be read
    ├── ArticleNotFoundError   no article with the given id
    ├── ExtractError           a file could not be read as articles
    ├── ServeError             a server for the index cannot start
    └── QuerySyntaxError       the query text is malformed
        └── UnknownFieldError  the query names a field that does not exist

Messages say what went wrong and what to do next; the context is kept as attributes.
Engine exceptions never escape: they are translated into one of these.
"""

from __future__ import annotations

__all__ = [
    "ArticleNotFoundError",
    "ExtractError",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexNotFoundError",
    "QuerySyntaxError",
    "SearchError",
    "ServeError",
    "UnknownFieldError",
]


class SearchError(Exception):
    """Base class of every error raised by this package."""


class IndexNotFoundError(SearchError):
    """There is no index at ``path``."""

    def __init__(self, path: str) -> None:
        self.path = path
        option = "" if path == "index" else f" --index {path}"
        super().__init__(f"no index at {path} - run `search index{option} corpus/` first")


class IndexBusyError(SearchError):
    """Another writer holds the index lock at ``path`` longer than we were willing to wait."""

    def __init__(self, path: str, holder: str = "", waited: float = 0.0) -> None:
        self.path = path
        self.holder = holder
        self.waited = waited
        who = f"held by {holder}" if holder else "held by another process"
        super().__init__(
            f"the index at {path} is being written ({who}); waited {waited:g}s - "
            "try again when it finishes, or pass --wait SECONDS to wait longer"
        )


class IndexCorruptError(SearchError):
    """The index at ``path`` exists but cannot be read."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"the index at {path} cannot be read ({reason}) - "
            "rebuild it with `search index --rebuild PATH...`"
        )


class ArticleNotFoundError(SearchError):
    """No article in the index has the id ``article_id``."""

    def __init__(self, article_id: str) -> None:
        self.article_id = article_id
        super().__init__(
            f"no article with id {article_id!r} - ids are listed by `search query ... --json`"
        )


class ExtractError(SearchError):
    """The file at ``path`` could not be read as articles, for ``reason``."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class ServeError(SearchError):
    """A server cannot answer for the index (``search serve``): another one does, the
    folder of its socket is not private to this user, or the system has no Unix sockets."""


class QuerySyntaxError(SearchError):
    """The query text is malformed at character ``position`` (0-based)."""

    def __init__(self, query: str, position: int, problem: str) -> None:
        self.query = query
        self.position = position
        self.problem = problem
        shown = query if len(query) <= 80 else query[:80] + "…"
        super().__init__(f"{problem} at position {position + 1} in {shown!r}")


class UnknownFieldError(QuerySyntaxError):
    """The query names ``field``, which is neither a field nor an alias."""

    def __init__(self, query: str, position: int, field: str, known: tuple[str, ...]) -> None:
        self.field = field
        self.known = known
        super().__init__(
            query, position, f"unknown field {field!r} (known fields: {', '.join(known)})"
        )
