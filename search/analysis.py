"""Text analysis: how article text, names and urls become the words the index holds.

The analyzers are pickled into each index with its schema, so a query is always analyzed
the way the index it runs on was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import Stemmer
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    Token,
)
from whoosh.support.charset import accent_map

__all__ = [
    "STOP_WORDS",
    "TOKEN_PATTERN",
    "NameParts",
    "SnowballFilter",
    "TextAnalyzer",
    "name_analyzer",
    "site_name",
    "source_analyzer",
    "text_analyzer",
    "url_analyzer",
]

# Words joined by apostrophes or dots stay one token: "U.S." -> "u.s", "Taliban's" -> "taliban's"
# (the stemmer then drops the possessive).
TOKEN_PATTERN = r"\w+(?:['\u2019.]\w+)*"

# positions() remembers the terms of up to this many distinct words (some 10 MB).
_WORD_CACHE = 100_000

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


class TextAnalyzer(Analyzer):
    """Words, lower case, accents folded, stop words dropped, Snowball stems: the chain
    ``RegexTokenizer | LowercaseFilter | CharsetFilter | StopFilter | SnowballFilter``
    run as one loop.

    Each stage of a Whoosh chain is a generator that touches every token; indexing spent
    a quarter of its time passing tokens along. The tokens are the same, attribute for
    attribute, as the chain's (tests/test_analysis.py compares them): kept words are
    numbered without gaps, stop words kept on request (``removestops=False``) keep the
    tokenizer's position, and ``no_morph`` skips the stemmer as Whoosh's chains do.
    """

    def __init__(self, *, stem: bool = True, stoplist: frozenset[str] = STOP_WORDS) -> None:
        self.stem = stem
        self.stoplist = stoplist
        self.is_morph = stem
        self._words = re.compile(TOKEN_PATTERN)
        self._stem = Stemmer.Stemmer("english").stemWord
        # Words as written -> their terms, for positions(); most words of a text recur.
        self._terms: dict[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Pickled into the index with the schema; the C stemmer cannot be, so rebuild it.
        return {"stem": self.stem, "stoplist": self.stoplist}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TextAnalyzer)
            and other.stem == self.stem
            and other.stoplist == self.stoplist
        )

    def has_morph(self) -> bool:
        return self.stem

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        no_morph: bool = False,
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        stem = self._stem if self.stem and not no_morph else None
        stoplist = self.stoplist
        kept = None  # the position of the last word kept, once there is one
        for pos, (start, word) in enumerate(self._split(value, tokenize), start_pos):
            text = word.lower().translate(accent_map)
            token.boost = 1.0
            if keeporiginal or not tokenize:
                token.original = word
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + start + len(word)
            if not text or text in stoplist:
                if removestops:
                    continue
                token.stopped = True
                token.text = text
                if positions:
                    token.pos = pos
                yield token
                continue
            token.stopped = False
            token.text = stem(text.replace("\u2019", "'")) if stem else text
            if positions:
                kept = pos if kept is None else kept + 1
                token.pos = kept
            yield token

    def words(self, value: str) -> list[str]:
        """The words of ``value`` as written, stop words too: what positions() and terms()
        read. A text joined from others by line breaks has their words, in order."""
        return self._words.findall(value)

    def positions(self, value: str) -> dict[str, list[int]]:
        """Each word kept from ``value``, with its positions: what indexing reads from
        the tokens of ``self(value, positions=True)``, without making them."""
        return self.positions_of(self._words.findall(value))

    def positions_of(self, words: list[str]) -> dict[str, list[int]]:
        """positions() of a text whose words() are ``words``."""
        found: dict[str, list[int]] = {}
        terms = self._terms
        position = None  # as in __call__: the first word kept keeps its place
        for place, word in enumerate(words):
            text = terms.get(word)
            if text is None:
                text = self._remember(word)
            if text:
                position = place if position is None else position + 1
                kept = found.get(text)
                if kept is None:
                    found[text] = [position]
                else:
                    kept.append(position)
        return found

    def terms(self, value: str) -> set[str]:
        """The words kept from ``value``: what indexing without positions reads."""
        return self.terms_of(self._words.findall(value))

    def terms_of(self, words: Iterable[str]) -> set[str]:
        """terms() of a text whose words() are ``words``."""
        terms = self._terms
        found = set()
        for word in set(words):
            text = terms.get(word)
            if text is None:
                text = self._remember(word)
            found.add(text)
        found.discard("")
        return found

    def _remember(self, word: str) -> str:
        """``word``'s term, kept for positions() and terms() (forgetting all kept once
        there are _WORD_CACHE)."""
        if len(self._terms) >= _WORD_CACHE:
            self._terms.clear()
        text = self._terms[word] = self._term(word)
        return text

    def _term(self, word: str) -> str:
        """The term ``word`` is indexed as; "" when it is dropped."""
        text = word.lower().translate(accent_map)
        if not text or text in self.stoplist:
            return ""
        return self._stem(text.replace("\u2019", "'")) if self.stem else text

    def _split(self, value: str, tokenize: bool) -> Iterator[tuple[int, str]]:
        if not tokenize:
            return iter(((0, value),))
        return ((match.start(), match.group()) for match in self._words.finditer(value))


def text_analyzer(*, stem: bool = True) -> TextAnalyzer:
    """Return the analyzer of article text: words, lower case, accents folded, a few stop
    words dropped, and (unless ``stem`` is false) Snowball stems."""
    return TextAnalyzer(stem=stem)


def name_analyzer():
    """Return the analyzer of names (authors, sources): words, lower case, accents folded,
    nothing dropped or stemmed, so ``source:reuters`` finds "Reuters"."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


def source_analyzer():
    """Return the analyzer of sources: :func:`name_analyzer`'s words, a host name
    ("nytimes.com", the source of an article without a site name) also indexed as the
    site's own name, so ``source:nytimes`` finds it (see :class:`NameParts`)."""
    return name_analyzer() | NameParts()


class NameParts(Filter):
    """When indexing, follow a host name by the name of its site, at its place:
    "nytimes.com" by "nytimes", "news.bbc.co.uk" by "bbc", "us.cnn.com" by "cnn". The
    other labels ("com", "uk", "us", "news") are left out: the source field is searched
    by words without a field too, and "uk economy" must not find every article of a
    .co.uk site. A query keeps the name whole, so ``source:nytimes.com`` finds it in
    indexes made before. Pickled with the schema: the name must stay."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            yield token
            if token.mode == "index" and "." in token.text:
                name = site_name(token.text)
                if name:
                    extra = token.copy()
                    extra.text = name
                    yield extra


def site_name(host: str) -> str:
    """The site's own label of a host name ("bbc" of "news.bbc.co.uk"); "" for a word
    that is not a host name ("u.s", "nytimes")."""
    labels = host.split(".")
    if len(labels) < 2 or not all(labels) or not _TOP_LEVEL.fullmatch(labels[-1]):
        return ""
    top = labels.pop()
    if len(top) == 2 and len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels.pop()  # bbc.co.uk, abc.net.au
    return "" if labels[-1] in _SECOND_LEVEL else labels[-1]


# A host's last label: letters, two or more. Labels that name a kind of site under a
# country's domain ("co" of .co.uk), never a site.
_TOP_LEVEL = re.compile(r"[a-z]{2,}")
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "or", "ne", "go"})


def url_analyzer():
    """Return the analyzer of urls: the alphanumeric runs, lower case (``url:nytimes``)."""
    return RegexTokenizer(r"[^\W_]+") | LowercaseFilter()
