"""Text analysis: how article text, names and urls become the words the index holds.

The analyzers are pickled into each index with its schema, so a query is always analyzed
the way the index it runs on was written.
"""

from __future__ import annotations

from typing import Any

import Stemmer
from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.support.charset import accent_map

__all__ = [
    "STOP_WORDS",
    "TOKEN_PATTERN",
    "SnowballFilter",
    "name_analyzer",
    "text_analyzer",
    "url_analyzer",
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
