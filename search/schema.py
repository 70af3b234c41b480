"""The index layout: analyzers, fields, the names users may type for them, and defaults.

Everything that must agree between writing and reading the index lives here, so the
indexer and the query parser cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import Stemmer
from whoosh import fields
from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.support.charset import accent_map

from search.duplicates import fingerprint
from search.models import Article

__all__ = [
    "DEFAULT_FIELD_BOOSTS",
    "FIELD_ALIASES",
    "FILE_FIELD",
    "article_from_stored",
    "build_schema",
    "document_for",
    "resolve_field",
]

# Words joined by apostrophes or dots stay one token: "U.S." -> "u.s", "Taliban's" -> "taliban's"
# (the stemmer then drops the possessive).
TOKEN_PATTERN = r"\w+(?:['\u2019.]\w+)*"

# A short list: long lists drop words that news queries need ("us", "who", "will").
STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have if in into is it its of on or that the "
    "their there these they this to was were which with".split()
)


class SnowballFilter(Filter):
    """Stems tokens with the Snowball stemmer from PyStemmer (C, several times faster
    than Whoosh's pure-Python Porter stemmer).

    ``is_morph`` lets Whoosh skip this filter where it wants unstemmed words.
    """

    is_morph = True

    def __init__(self, language: str = "english") -> None:
        self.language = language
        self._stem = Stemmer.Stemmer(language).stemWord

    def __getstate__(self) -> dict[str, Any]:
        # The schema is pickled into the index; the C stemmer cannot be, so rebuild it.
        return {"language": self.language}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["language"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SnowballFilter) and other.language == self.language

    def __call__(self, tokens):
        stem = self._stem
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text.replace("\u2019", "'"))
            yield token


def text_analyzer(*, stem: bool = True):
    """Return the analyzer of article text: words, lower case, accents folded, a few stop
    words dropped, and (unless ``stem`` is false) Snowball stems."""
    chain = (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
    )
    return chain | SnowballFilter() if stem else chain


def name_analyzer():
    """Return the analyzer of names (authors, sources): words, lower case, accents folded,
    nothing dropped or stemmed, so ``source:reuters`` finds "Reuters"."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


def url_analyzer():
    """Return the analyzer of urls: the alphanumeric runs, lower case (``url:nytimes``)."""
    return RegexTokenizer(r"[^\W_]+") | LowercaseFilter()


# The field that records which file (and which version of it) each article came from:
# "path<TAB>mtime_ns<TAB>size<TAB>sha1". Reading its term list tells the indexer the state
# of every indexed file without loading a single stored document.
FILE_FIELD = "file"


def build_schema() -> fields.Schema:
    """Return a new Whoosh schema for an article index."""
    text = text_analyzer()
    names = name_analyzer()
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        path=fields.ID(stored=True),
        file=fields.ID(),
        title=fields.TEXT(analyzer=text, stored=True),
        summary=fields.TEXT(analyzer=text, stored=True),
        body=fields.TEXT(analyzer=text, stored=True),
        author=fields.TEXT(analyzer=names),
        authors=fields.STORED(),
        source=fields.TEXT(analyzer=names, stored=True),
        # The exact source name, for counting articles per source.
        site=fields.ID(sortable=True),
        url=fields.TEXT(analyzer=url_analyzer(), stored=True),
        tags=fields.KEYWORD(stored=True, lowercase=True, commas=True, scorable=True),
        date=fields.DATETIME(stored=True, sortable=True),
        language=fields.ID(stored=True),
        hash=fields.ID(stored=True),
        # MinHash of the body, to fold syndicated copies into one hit (search.duplicates).
        fingerprint=fields.STORED(),
        # Unstemmed words of title and body: spelling suggestions must be real words.
        spell=fields.TEXT(analyzer=text_analyzer(stem=False), phrase=False),
    )


# What users may type before a colon, and the field each name means.
FIELD_ALIASES: dict[str, str] = {
    "title": "title",
    "headline": "title",
    "author": "author",
    "authors": "author",
    "by": "author",
    "byline": "author",
    "source": "source",
    "site": "source",
    "publisher": "source",
    "date": "date",
    "url": "url",
    "link": "url",
    "tag": "tags",
    "tags": "tags",
    "body": "body",
    "text": "body",
    "summary": "summary",
    "description": "summary",
    "lang": "language",
    "language": "language",
    "id": "id",
}

# Fields searched by words without a field, with their weights: a word in the headline
# says more about an article than the same word deep in the body.
DEFAULT_FIELD_BOOSTS: dict[str, float] = {
    "title": 2.5,
    "summary": 1.5,
    "body": 1.0,
    "tags": 1.5,
    "author": 1.0,
    "source": 1.0,
}


def resolve_field(name: str) -> str | None:
    """Return the field a user-typed name means (case-insensitive), or None if unknown."""
    return FIELD_ALIASES.get(name.lower())


def document_for(article: Article, file_state: str) -> dict[str, Any]:
    """Return the Whoosh document of ``article``; ``file_state`` fills :data:`FILE_FIELD`."""
    doc: dict[str, Any] = {
        "id": article.id,
        "path": article.path,
        FILE_FIELD: file_state,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "author": " ; ".join(article.authors),
        "authors": list(article.authors),
        "source": article.source,
        "site": article.source,
        "url": article.url,
        "tags": ",".join(tag.replace(",", " ") for tag in article.tags),
        "language": article.language,
        "hash": article.content_hash,
        "fingerprint": fingerprint(article.body or article.summary),
        "spell": f"{article.title}\n{article.body}",
    }
    if article.date is not None:
        doc["date"] = article.date
    # Whoosh rejects empty strings for some field types; absent means "no value".
    return {key: value for key, value in doc.items() if value not in ("", [])}


def article_from_stored(stored: dict[str, Any]) -> Article:
    """Rebuild an :class:`Article` from a document's stored fields."""
    date = stored.get("date")
    return Article(
        id=stored["id"],
        title=stored.get("title", ""),
        body=stored.get("body", ""),
        authors=tuple(stored.get("authors") or ()),
        source=stored.get("source", ""),
        date=date if isinstance(date, dt.datetime) else None,
        url=stored.get("url", ""),
        summary=stored.get("summary", ""),
        tags=tuple(t for t in stored.get("tags", "").split(",") if t),
        language=stored.get("language", ""),
        path=stored.get("path", ""),
        content_hash=stored.get("hash", ""),
    )
