"""Query text -> Whoosh query: words, operators, fields, phrases, wildcards and dates.

:func:`parse_query` reads the text with our own tokenizer and recursive-descent parser
(Whoosh's ``qparser`` never raises: it turns an unknown ``field:`` into words and mends an
open quote silently). In strict mode a malformed text raises :class:`QuerySyntaxError`
(or :class:`UnknownFieldError`) with the 0-based position of the problem; in lenient mode
the text is repaired, never raises, and each repair is reported as a warning.

The syntax, from the loosest binding to the tightest::

    taliban kabul         implicit joining: AND or OR depending on ``mode``
    a AND b, a && b       explicit AND (always wins over ``mode``)
    a OR b, a || b        explicit OR; binds tighter than AND: ``a OR b c`` = (a OR b) AND c
    NOT a, -a, +a         exclude / require (NOT, AND, OR are operators only in upper case)
    (a b)                 grouping, at most MAX_DEPTH levels
    "a b", "a b"~N        phrase; ~N lets up to N other words stand between neighbours
    field:x field:"a b"   field scope, also ``field:(a OR b)``; names via resolve_field
    word* word~ word~2    prefix (at least 2 letters), fuzzy (edit distance 1 or 2)
    word^2 "a b"^1.5      a word's or phrase's score multiplied by N (0 < N <= MAX_BOOST)
    date:2021-08 date:[2021-08-01 TO 2021-08-31] date:>=2021-08-01 date:<2021-09

Dates are spans ``[start, end)``. A date clause that restricts the whole query (joined by
AND at the top level) is moved out of the query into :attr:`ParsedQuery.date_filter`,
which the searcher passes to Whoosh as ``filter=``: Whoosh 2.7.4 gave wrong totals for
``term AND date:[a TO b]`` with a limit, while the same range as a filter was exact
(``test_filter_gives_exact_totals`` pins it).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import re
import threading
import unicodedata
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from whoosh import matching, scoring
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import MultiReader
from whoosh.support.charset import accent_map
from whoosh.util import make_weighted_tree

from search.errors import QuerySyntaxError, UnknownFieldError
from search.schema import (
    DEFAULT_FIELD_BOOSTS,
    FIELD_ALIASES,
    QUERY_STOP_WORDS,
    DateField,
    DFRScorer,
    added_in_order,
    build_schema,
    resolve_field,
    term_scores,
)

__all__ = [
    "AUTO_AND_MAX_CLAUSES",
    "LOOSEN_MIN_WORDS",
    "MAX_DEPTH",
    "MAX_EXPANSIONS",
    "ParsedQuery",
    "date_filter_query",
    "document_scores",
    "loosened",
    "parse_date_span",
    "parse_query",
    "weighted_leaves",
]

# In "auto" mode a text of up to this many words (stop words count, operators do not) needs
# all of them; a longer one (a question, a pasted sentence) finds documents with any of its
# words, best matches first. Requiring more than one word of a long question, or ranking by
# the share of words matched (Lucene's coord), lowered nDCG@10 and MAP on every one of the
# seven test collections of bench/relevance.py.
AUTO_AND_MAX_CLAUSES = 4
# A short text of at least this many words whose words no article holds together finds
# the articles with any of them, best first (_AllElseAny). Two words stay strict, as in
# Solr's usual minimum-should-match "2<-1": one of two words is half the query, often
# another story ("kabul oil" is not any article about Kabul).
LOOSEN_MIN_WORDS = 3
# How a question asks rather than what it is about: a long question drops these words, as
# it drops filler words ("I am interested in ...", "I would be pleased to receive ...").
_REQUEST_WORDS = frozenset(
    "interested pleased grateful receive please anyone concerning regarding".split()
)
# ... and these nouns when a linking word follows them ("papers on", "articles which deal
# with", "information about"): alone they may be what a question is about ("Panama papers").
_REQUEST_NOUNS = frozenset(
    "article articles document documents information literature material paper papers "
    "publications reports studies".split()
)
_REQUEST_LINKS = frozenset(
    "about on concerning regarding dealing describing discussing relating related covering "
    "which that".split()
)
_PUNCTUATION = "\"'.,;:!?()[]{}"
# Latin abbreviations that introduce examples in a question ("e.g." strips to "e.g"): the
# index holds them, from abstracts that use them too. Dropping them from long questions
# moved CISI 0.399 -> 0.404 and the mean of seven 0.489 -> 0.490 (nDCG@10).
_ABBREVIATIONS = frozenset(["e.g", "i.e", "etc", "viz", "cf"])
# A long question reads a compound ("three-dimensional", "wind-tunnel", "input/output")
# as its words, as it reads the rest of the question: as a phrase it found only articles
# with the exact compound. nDCG@10 rose on Cranfield 0.368 -> 0.383 and LISA 0.464 ->
# 0.484 (64 and 12 of their questions hold one), the mean of seven 0.485 -> 0.489
# (bench/relevance.py). A compound whose first part is one of these prefixes
# ("pre-school", "non-linear") is one word written with a hyphen and stays a phrase; so
# does one with digits ("COVID-19").
_WORD_PREFIXES = frozenset(
    "anti bi co counter de dis ex inter intra macro micro mid mini multi non over post pre "
    "pseudo quasi re self semi sub super tri ultra un under uni well".split()
)
_COMPOUND_JOINS = re.compile(r"[-\u2010\u2011/]+")
# Deepest nesting of parentheses accepted; deeper ones are an error (strict) or dropped.
MAX_DEPTH = 50
# At most this many index terms per prefix, wildcard or fuzzy word (the first in term order).
MAX_EXPANSIONS = 256
# At most this many words, phrases and ranges in one query (see _Tokenizer._capped).
MAX_TERMS = 256
_TERM_KINDS = frozenset({"FIELD", "WORD", "PHRASE", "RANGE"})
# A typed boost, "oil^2": a plain number, at most this.
_BOOST = re.compile(r"\d{1,4}(?:\.\d{1,4})?|\.\d{1,4}")
MAX_BOOST = 100.0
# Each wildcard or fuzzy word expands to up to MAX_EXPANSIONS words in every field.
MAX_EXPANDING_TERMS = 16
_EXPANDING = re.compile(r"\*|~\d*$")

MODES = ("all", "any", "auto")
DATE_FIELD = "date"
_SCHEMA = build_schema()
_KNOWN_FIELDS = tuple(sorted(set(FIELD_ALIASES.values())))
# Words that are stop words for article text are dropped everywhere, even in fields whose
# analyzer keeps them: otherwise "the" would still match every source named "The ...".
_STOP_REFERENCE_FIELD = max(DEFAULT_FIELD_BOOSTS, key=DEFAULT_FIELD_BOOSTS.__getitem__)
_OPERATORS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT"}
_FIELD_PREFIX = re.compile(r"([A-Za-z]+):")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}))?)?)?")
_DATE_RANGE = re.compile(r"([\[{])\s*(\S+)\s+(?:TO|to)\s+(\S+)\s*([\]}])")
_DATE_FORMS = "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM"


@dataclass(frozen=True)
class ParsedQuery:
    """How a query text was understood.

    ``explanation`` is a readable rendering, e.g. ``ALL(taliban, title:kabul) ; date in
    [2021-08-01, 2021-09-01)``. ``warnings`` lists what lenient parsing repaired (always
    empty in strict mode). ``date_filter`` is the top-level date restriction ``(start,
    end)``, end exclusive, either end possibly None; None when the text has none.
    ``query`` is the Whoosh query the searcher runs: an engine object, for internal use.
    """

    text: str
    explanation: str
    warnings: tuple[str, ...]
    date_filter: tuple[dt.datetime | None, dt.datetime | None] | None
    query: wq.Query = field(repr=False, compare=False)


# ---------------------------------------------------------------------------------------
# Dates


def parse_date_span(text: str) -> tuple[dt.datetime, dt.datetime]:
    """Return the span ``[start, end)`` that a date text covers.

    ``"2021"`` is the whole year, ``"2021-08"`` the month, ``"2021-08-10"`` the day and
    ``"2021-08-10T12:30"`` the minute. Raises ValueError, with a message saying the
    accepted forms, for anything else (including impossible dates like ``2021-13``).
    """
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"bad date {text!r}: expected {_DATE_FORMS}")
    year, month, day, hour, minute = (int(g) if g else None for g in match.groups())
    try:
        if month is None:
            return dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
        if day is None:
            start = dt.datetime(year, month, 1)
            return start, (start + dt.timedelta(days=32)).replace(day=1)
        if hour is None:
            start = dt.datetime(year, month, day)
            return start, start + dt.timedelta(days=1)
        start = dt.datetime(year, month, day, hour, minute)
        return start, start + dt.timedelta(minutes=1)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"bad date {text!r}: {exc}") from None


def date_filter_query(start: dt.datetime | None, end: dt.datetime | None) -> wq.Query:
    """Return a Whoosh query matching dates in ``[start, end)``; None leaves that end open.

    Built in code as a :class:`whoosh.query.DateRange` on the ``date`` field, because
    Whoosh's own date parser widened a range to whole years. With both ends None, returns
    ``Every()``.
    """
    if start is None and end is None:
        return wq.Every()
    return _DateRange(DATE_FIELD, start, end, startexcl=False, endexcl=end is not None)


class _DateRange(wq.DateRange):
    """A DateRange matched by the words of the precisions its index holds dates at
    (:class:`~search.schema.DateField`); an index written before those holds Whoosh's
    own, and is matched as Whoosh does."""

    def _compile_query(self, ixreader) -> wq.Query:
        field = ixreader.schema[self.fieldname]
        if not isinstance(field, DateField):
            return super()._compile_query(ixreader)
        start, end = 0, (1 << field.bits) - 1  # an open end: every number
        if self.start is not None:
            start = field.sortable(self.start) + self.startexcl
        if self.end is not None:
            end = field.sortable(self.end) - self.endexcl
        if start > end:
            return wq.NullQuery
        words = [
            wq.Term(self.fieldname, first) if first == last else
            wq.TermRange(self.fieldname, first, last)
            for first, last in field.ranges(start, end)
        ]  # fmt: skip
        query = words[0] if len(words) == 1 else wq.Or(words, boost=self.boost)
        return wq.ConstantScoreQuery(query, self.boost) if self.constantscore else query


def _format_date(value: dt.datetime | None) -> str:
    if value is None:
        return "*"
    if value.time() == dt.time():
        return value.date().isoformat()
    return value.isoformat(timespec="minutes")


def _format_span(start: dt.datetime | None, end: dt.datetime | None) -> str:
    return f"date in [{_format_date(start)}, {_format_date(end)})"


# ---------------------------------------------------------------------------------------
# Bounded expansion and coordination: Whoosh classes adapted to what we need


# Words of expansions kept for each segment reader (a reader never changes), at most
# this many all told (an expansion counting one more): some 2 MB a segment.
MAX_KEPT_WORDS = 32_768
_expansions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_expansions_lock = threading.Lock()


class _Kept:
    """A segment reader's expansions, and how many words they hold."""

    __slots__ = ("expansions", "words")

    def __init__(self) -> None:
        self.expansions: dict[tuple, tuple[bytes | str, ...]] = {}
        self.words = 0


def _expanded(reader, key: tuple, expand: Callable) -> tuple[bytes | str, ...]:
    """The first MAX_EXPANSIONS words, in order, that ``expand(segment)`` finds in each
    segment of ``reader``; a segment's are found once.

    A search expands each wildcard or fuzzy word several times over (to count, match,
    score and highlight), and its respellings repeat most words: on 2,000 words sharing
    a prefix, a search for one fuzzy word took 0.1-0.3 CPU seconds. Over several segments,
    the first words of their union are among each segment's first.
    """
    if isinstance(reader, MultiReader):
        found = set().union(*(_expanded(segment, key, expand) for segment in reader.readers))
        return tuple(sorted(found)[:MAX_EXPANSIONS])
    with _expansions_lock:
        kept = _expansions.get(reader)
        if kept is None:
            kept = _expansions[reader] = _Kept()
        words = kept.expansions.get(key)
    if words is None:
        words = tuple(itertools.islice(expand(reader), MAX_EXPANSIONS))
        with _expansions_lock:
            if kept.words + len(words) + 1 > MAX_KEPT_WORDS:
                kept.expansions.clear()
                kept.words = 0
            kept.expansions[key] = words
            kept.words += len(words) + 1
    return words


class _CappedPrefix(wq.Prefix):
    """A Prefix that expands to at most MAX_EXPANSIONS index terms."""

    def _btexts(self, ixreader):
        key = ("prefix", self.fieldname, self.text)
        return _expanded(ixreader, key, functools.partial(wq.Prefix._btexts, self))


class _CappedWildcard(wq.Wildcard):
    """A Wildcard that expands to at most MAX_EXPANSIONS index terms."""

    def _btexts(self, ixreader):
        key = ("wildcard", self.fieldname, self.text)
        return _expanded(ixreader, key, functools.partial(wq.Wildcard._btexts, self))


class _CappedFuzzy(wq.FuzzyTerm):
    """A FuzzyTerm that expands to at most MAX_EXPANSIONS index terms."""

    def _btexts(self, ixreader):
        key = ("fuzzy", self.fieldname, self.text, self.maxdist, self.prefixlength)
        return _expanded(ixreader, key, functools.partial(wq.FuzzyTerm._btexts, self))


class _ScoredDocs(matching.Matcher):
    """A matcher over documents whose scores were computed in advance, in id order."""

    def __init__(self, ids: list[int], scores: list[float], position: int = 0) -> None:
        self._ids = ids
        self._scores = scores
        self._i = position

    def is_active(self) -> bool:
        return self._i < len(self._ids)

    def id(self) -> int:
        return self._ids[self._i]

    def next(self) -> None:
        if self._i >= len(self._ids):
            raise matching.ReadTooFar
        self._i += 1

    def skip_to(self, target: int) -> None:
        if self._i >= len(self._ids):
            raise matching.ReadTooFar
        self._i = bisect.bisect_left(self._ids, target, self._i)

    def reset(self) -> None:
        self._i = 0

    def copy(self) -> _ScoredDocs:
        return _ScoredDocs(self._ids, self._scores, self._i)

    def all_ids(self):
        return iter(self._ids[self._i :])

    def weight(self) -> float:
        return self._scores[self._i]

    def score(self) -> float:
        return self._scores[self._i]

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return max(self._scores[self._i :], default=0.0)


class _AcrossFields(wq.Or):
    """One word searched in several fields (``Term`` queries), scored as one word.

    With a weighting that has ``fields_scorer`` (:class:`search.schema.InExpC2`,
    :class:`search.schema.BM25`) the frequencies in the fields are combined before the
    model saturates them (as BM25F does); a plain Or would add a full score per field.
    Any other weighting gets the plain Or.
    """

    def _matcher(self, subs, searcher, context):
        weighting = context.weighting if context else None
        if not hasattr(weighting, "fields_scorer"):
            return super()._matcher(subs, searcher, context)
        # Unboosted matchers give plain frequencies; the scorer applies each field's weight.
        pairs = [(q, wq.Term(q.fieldname, q.text).matcher(searcher, context)) for q in subs]
        live = [(q, m) for q, m in pairs if m.is_active()]
        if not live:
            return matching.NullMatcher()
        terms = [(q.fieldname, q.text, q.boost) for q, _ in live]
        scorer = weighting.fields_scorer(searcher, terms)
        matcher = _FieldsMatcher([m for _, m in live], scorer, [q.fieldname for q, _ in live])
        return matching.WrappingMatcher(matcher, self.boost) if self.boost != 1.0 else matcher

    def leaves(self):
        # Each field's part of the joint score, so that an explanation's parts add up.
        for query in self.subqueries:
            yield _FieldShare(query, self)


class _FieldShare(wq.Term):
    """One field of an _AcrossFields word; its matcher scores that field's share."""

    def __init__(self, term: wq.Term, across: _AcrossFields) -> None:
        super().__init__(term.fieldname, term.text, boost=term.boost)
        self.across = across

    def matcher(self, searcher, context=None):
        own = super().matcher(searcher, context)
        joint = self.across.matcher(searcher, context)
        if isinstance(joint, matching.WrappingMatcher):
            joint = joint.child  # a typed boost, "kabul^2": weighted_leaves applies it
        if not own.is_active() or not isinstance(joint, _FieldsMatcher):
            return own
        return _ShareMatcher(own, joint, self.fieldname)


class _ShareMatcher(matching.WrappingMatcher):
    """Scores the part of a _FieldsMatcher's score that one field brings."""

    def __init__(self, child: matching.Matcher, joint: _FieldsMatcher, fieldname: str) -> None:
        super().__init__(child)
        self.joint = joint
        self.fieldname = fieldname

    def _replacement(self, newchild: matching.Matcher) -> _ShareMatcher:
        return _ShareMatcher(newchild, self.joint, self.fieldname)

    def score(self) -> float:
        docnum = self.child.id()
        if self.joint.is_active() and self.joint.id() < docnum:
            self.joint.skip_to(docnum)
        return self.joint.share(self.fieldname) if self.joint.is_active() else 0.0


class _FieldsMatcher(matching.Matcher):
    """The union of one word's postings in several fields, scored by a FieldsScorer."""

    def __init__(self, children: list[matching.Matcher], scorer, fieldnames: list[str]) -> None:
        self._children = children
        self._scorer = scorer
        self._fieldnames = fieldnames
        self._settle()

    def _settle(self) -> None:
        # The current document and the children on it are asked for several times per
        # document (id, score, the collector); finding them once per move halves a word
        # query's time.
        active = [m for m in self._children if m.is_active()]
        self._id = min(m.id() for m in active) if active else None
        self._here = [
            i for i, m in enumerate(self._children) if m.is_active() and m.id() == self._id
        ]

    def is_active(self) -> bool:
        return self._id is not None

    def id(self) -> int:
        return self._id

    def next(self) -> None:
        if self._id is None:
            raise matching.ReadTooFar
        for i in self._here:
            self._children[i].next()
        self._settle()

    def skip_to(self, target: int) -> None:
        if self._id is None:
            raise matching.ReadTooFar
        for m in self._children:
            if m.is_active() and m.id() < target:
                m.skip_to(target)
        self._settle()

    def reset(self) -> None:
        for m in self._children:
            m.reset()
        self._settle()

    def copy(self) -> _FieldsMatcher:
        return _FieldsMatcher([m.copy() for m in self._children], self._scorer, self._fieldnames)

    def children(self) -> list[matching.Matcher]:
        return list(self._children)

    def weight(self) -> float:
        return sum(self._children[i].weight() for i in self._here)

    def _frequencies(self) -> list[tuple[int, float]]:
        return [(i, self._children[i].weight()) for i in self._here]

    def score(self) -> float:
        return self._scorer.score(self._id, self._frequencies())

    def share(self, fieldname: str) -> float:
        """The part of the current document's score that ``fieldname`` brings."""
        parts = self._scorer.parts(self._id, self._frequencies())
        total = sum(parts.values())
        score = self._scorer.score(self._id, self._frequencies())
        return score * parts.get(self._fieldnames.index(fieldname), 0.0) / total if total else 0.0

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return self._scorer.max_score


class _Union(wq.Or):
    """An Or that reads each clause's matches once and adds them up per document.

    Whoosh's binary tree of union matchers, with its "quality" skipping, re-walked the
    whole tree at every document: a pasted paragraph of 30 words took seconds on 1,500
    abstracts (``test_long_query_is_fast`` in tests/test_relevance.py). A typed
    ``a OR b`` is one too, and so is a phrase searched in several fields, so that they
    are scored a word at a time (document_scores).
    """

    def _matcher(self, subs, searcher, context):
        totals: dict[int, float] = {}
        for query in subs:
            matcher = query.matcher(searcher, context)
            while matcher.is_active():
                docnum = matcher.id()
                totals[docnum] = totals.get(docnum, 0.0) + matcher.score()
                matcher.next()
        if not totals:
            return matching.NullMatcher()
        ids = sorted(totals)
        return _ScoredDocs(ids, [totals[d] * self.boost for d in ids])


class _AllElseAny(wq.Query):
    """Documents matching ``every``; if none does, documents matching ``some`` (any of
    the words, best first) instead.

    A short text requires all its words, as users expect; but three or four words that
    no article holds together ("kabul airport election results") would find nothing,
    where the best partial matches serve better (NPL's 3-4 word queries in
    bench/relevance.py; a misspelled word among correct ones, too). Decided once for the
    whole index, not per segment, on live documents only.
    """

    def __init__(self, every: wq.Query, some: wq.Query) -> None:
        self.every = every
        self.some = some
        self.boost = 1.0
        self._loose: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # What deciding found: the scores of ``every`` by segment, scored a word at a time.
        self._every: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __eq__(self, other: object) -> bool:
        return type(other) is _AllElseAny and (self.every, self.some) == (other.every, other.some)

    def __hash__(self) -> int:
        return hash((self.every, self.some))

    def __repr__(self) -> str:
        return f"_AllElseAny({self.every!r}, {self.some!r})"

    def __str__(self) -> str:
        return f"({self.every} ELSE {self.some})"

    def is_leaf(self) -> bool:
        return False

    def children(self):
        return iter([self.every, self.some])

    def leaves(self):
        # The same words either way: list them once (snippets, score explanations).
        return self.every.leaves()

    def apply(self, fn):
        return _AllElseAny(fn(self.every), fn(self.some))

    def estimate_size(self, ixreader) -> int:
        return self.some.estimate_size(ixreader)

    def loosened(self, searcher) -> bool:
        """Whether the index that ``searcher`` belongs to is searched with ``some``."""
        parent = searcher.get_parent()
        if parent not in self._loose:
            self._loose[parent] = not self._has_live_match(parent)
        return self._loose[parent]

    def every_scores(self, segment) -> _Scored | None:
        """The scores of ``every`` in ``segment`` if deciding scored them already."""
        return self._every.get(segment)

    def _has_live_match(self, parent) -> bool:
        """Whether a live document of any segment of ``parent`` matches ``every``."""
        for segment, _ in parent.leaf_searchers():
            found = (
                _scores(self.every, segment, parent.weighting) if _scorable(self.every) else None
            )
            if found is None:
                if _has_live_match(segment, self.every):
                    return True
                continue
            # Kept: searching with ``every`` needs these very scores.
            self._every[segment] = found
            if found[0]:
                return True
        return False

    def matcher(self, searcher, context=None):
        chosen = self.some if self.loosened(searcher) else self.every
        return chosen.matcher(searcher, context)


def weighted_leaves(query: wq.Query, weight: float = 1.0) -> Iterator[tuple[wq.Query, float]]:
    """The leaves of ``query``, as ``query.leaves()`` lists them, each with what its own
    score is multiplied by in the query's: the boosts of the queries above it ("kabul^2",
    '"kabul airport"^2'), so that the parts of an explanation add up to the score."""
    if isinstance(query, _AllElseAny):
        yield from weighted_leaves(query.every, weight)
    elif isinstance(query, _AcrossFields):
        yield from ((leaf, weight * query.boost) for leaf in query.leaves())
    elif query.is_leaf():
        yield query, weight
    else:
        for child in query.children():
            yield from weighted_leaves(child, weight * query.boost)


def loosened(query: wq.Query, searcher) -> bool:
    """Whether ``query``, run on the index of ``searcher``, finds a short text's articles
    with any of its words because no article holds them all (see _AllElseAny)."""
    if isinstance(query, _AllElseAny):
        return query.loosened(searcher)
    return any(loosened(child, searcher) for child in query.children())


def _has_live_match(segment, query: wq.Query) -> bool:
    """Whether a live document of ``segment`` (a leaf searcher) matches ``query``."""
    # Postings keep deleted documents until their segment is merged.
    reader = segment.reader()
    matcher = query.matcher(segment, segment.boolean_context())
    # Moved match by match, not through all_ids(): an intersection's all_ids() makes
    # sets of every document of each word (four fifths of the time of "company said
    # profit" on Reuters).
    while matcher.is_active():
        if not reader.is_deleted(matcher.id()):
            return True
        matcher.next()
    return False


# ---------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", AND, OR, NOT, -, +, FIELD, WORD, PHRASE, RANGE, EOF
    text: str
    pos: int
    slop: int | None = None  # PHRASE: the ~N after it
    boost: float | None = None  # WORD, PHRASE: the ^N after it


_MAX_SAID = 3


class _Reporter:
    """Raises a problem (strict) or records it with its repair as a warning (lenient)."""

    def __init__(self, text: str, strict: bool) -> None:
        self.text = text
        self.strict = strict
        self.warnings: list[str] = []
        self._said: Counter[tuple[str, str]] = Counter()

    def problem(self, pos: int, problem: str, repair: str) -> None:
        """Say the problem at ``pos``, the same problem and repair three times at most: 500
        parentheses nested too deep are three warnings, not 450."""
        if self.strict:
            raise QuerySyntaxError(self.text, pos, problem)
        self._said[problem, repair] += 1
        if self._said[problem, repair] <= _MAX_SAID:
            self.warnings.append(f"{problem} at position {pos + 1} - {repair}")


class _Tokenizer:
    """Splits query text into tokens in one pass (no backtracking, so linear time)."""

    def __init__(self, reporter: _Reporter) -> None:
        self.report = reporter
        self.text = reporter.text
        self.tokens: list[_Token] = []

    def run(self) -> list[_Token]:
        i, text = 0, self.text
        while i < len(text):
            char = text[i]
            if char.isspace():
                i += 1
            elif char in "()":
                self.tokens.append(_Token(char, char, i))
                i += 1
            elif char == '"':
                i = self._phrase(i)
            elif char in "-+" and self._is_prefix_operator(i):
                self.tokens.append(_Token(char, char, i))
                i += 1
            else:
                i = self._word(i)
        self.tokens = _balance_parentheses(self._capped(self.tokens), self.report)
        self.tokens.append(_Token("EOF", "", len(text)))
        return self.tokens

    def _capped(self, tokens: list[_Token]) -> list[_Token]:
        """The tokens up to the MAX_TERMS-th term: each term costs about a millisecond
        to search, so a pasted page must not cost minutes."""
        terms = [n for n, token in enumerate(tokens) if token.kind in _TERM_KINDS]
        expanding = [n for n in terms if _EXPANDING.search(tokens[n].text)]
        for found, most, what in (
            (terms, MAX_TERMS, "words"),
            (expanding, MAX_EXPANDING_TERMS, "wildcard or fuzzy words"),
        ):
            if len(found) > most:
                cut = tokens[found[most]]
                self.report.problem(cut.pos, f"more than {most} {what}", "searched the first ones")
                return self._capped(tokens[: found[most]])
        return tokens

    def _is_prefix_operator(self, i: int) -> bool:
        # "-word" excludes, but "a - b" and "well-known" are words.
        text = self.text
        after = text[i + 1] if i + 1 < len(text) else " "
        before_ok = i == 0 or text[i - 1].isspace() or text[i - 1] == "("
        return before_ok and not after.isspace() and after not in "-+)"

    def _phrase(self, start: int) -> int:
        end = self.text.find('"', start + 1)
        if end < 0:
            self.report.problem(start, "unclosed quote", "closed it at the end")
            end = len(self.text)
        slop, after = self._slop(end + 1)
        boost = None
        if self.text.startswith("^", after):
            boost_end = after
            while boost_end < len(self.text) and not self.text[boost_end].isspace():
                boost_end += 1
            boost = self._boost(self.text[after + 1 : boost_end], after)
            after = boost_end
        self.tokens.append(_Token("PHRASE", self.text[start + 1 : end], start, slop, boost))
        return after

    def _boost(self, digits: str, pos: int) -> float | None:
        """The N of a ``^N`` at ``pos``: a positive number, at most MAX_BOOST."""
        if _BOOST.fullmatch(digits) and 0 < float(digits) <= MAX_BOOST:
            return float(digits)
        self.report.problem(
            pos,
            f"bad boost '^{digits}' (expected ^N, N a number up to {MAX_BOOST:g})",
            "ignored it",
        )
        return None

    def _word_token(self, word: str, pos: int) -> _Token | None:
        """A WORD token, its ``^N`` boost split off ("oil^2"); None for a lone boost."""
        at = word.rfind("^")
        if at < 0:
            return _Token("WORD", word, pos)
        if at == 0:
            # "(a OR b)^2": a group's score is not boosted.
            self.report.problem(pos, f"boost '{word}' after no word or phrase", "ignored it")
            return None
        return _Token("WORD", word[:at], pos, boost=self._boost(word[at + 1 :], pos + at))

    def _slop(self, i: int) -> tuple[int | None, int]:
        if not self.text.startswith("~", i):
            return None, i
        match = re.compile(r"~([^\s^]*)").match(self.text, i)
        digits = match.group(1)
        if digits.isdigit() and len(digits) <= 4 and digits.isascii():
            return int(digits), match.end()
        self.report.problem(
            i,
            f"bad proximity '~{digits}' (expected ~N, N a whole number up to 9999)",
            "ignored it",
        )
        return None, match.end()

    def _word(self, start: int) -> int:
        text, end = self.text, start
        while end < len(text) and not text[end].isspace() and text[end] not in '()"':
            end += 1
        word = text[start:end]
        if word in _OPERATORS:
            self.tokens.append(_Token(_OPERATORS[word], word, start))
            return end
        prefix = _FIELD_PREFIX.match(word)
        # "10:30" and "https://x" are words, not fields.
        if prefix is None or word[prefix.end() :].startswith(("/", ":")):
            self.tokens.extend(filter(None, [self._word_token(word, start)]))
            return end
        return self._field(start, end, prefix.group(1))

    def _field(self, start: int, end: int, name: str) -> int:
        value_at = start + len(name) + 1
        resolved = resolve_field(name)
        if resolved is None:
            if self.report.strict:
                raise UnknownFieldError(self.text, start, name, _KNOWN_FIELDS)
            self.report.warnings.append(
                f"unknown field {name!r} at position {start + 1} - searched as words; "
                f"known fields: {', '.join(_KNOWN_FIELDS)}"
            )
            self.tokens.append(_Token("WORD", name, start))
            return value_at
        if value_at == end and (end == len(self.text) or self.text[end] not in '("'):
            self.report.problem(start, f"empty value after '{name}:'", "ignored it")
            return end
        self.tokens.append(_Token("FIELD", resolved, start))
        if self.text.startswith(("[", "{"), value_at):
            return self._range(value_at)
        if value_at < end:
            self.tokens.extend(filter(None, [self._word_token(self.text[value_at:end], value_at)]))
        return end

    def _range(self, start: int) -> int:
        close = re.compile(r"[\]}]").search(self.text, start)
        if close is None:
            self.report.problem(start, "unclosed range", "closed it at the end")
            end = len(self.text)
        else:
            end = close.end()
        self.tokens.append(_Token("RANGE", self.text[start:end], start))
        return end


def _balance_parentheses(tokens: list[_Token], report: _Reporter) -> list[_Token]:
    """Return the tokens with every parenthesis matched and nesting at most MAX_DEPTH.

    Doing this before parsing lets the parser trust its parentheses, and keeps a lenient
    parse of ``((((...`` from recursing without bound.
    """
    dropped: set[int] = set()
    stack: list[int] = []  # indexes of open "(" tokens; -1 marks one too deep, dropped
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind == "(":
            too_deep = depth >= MAX_DEPTH
            if too_deep:
                report.problem(token.pos, f"more than {MAX_DEPTH} nested parentheses", "ignored it")
                dropped.add(index)
            stack.append(-1 if too_deep else index)
            depth += not too_deep
        elif token.kind == ")":
            if not stack:
                report.problem(token.pos, "unmatched closing parenthesis", "ignored it")
                dropped.add(index)
            elif stack.pop() < 0:
                dropped.add(index)
            else:
                depth -= 1
    kept = [token for index, token in enumerate(tokens) if index not in dropped]
    for index in [i for i in stack if i >= 0]:
        report.problem(tokens[index].pos, "unclosed parenthesis", "closed it at the end")
        kept.append(_Token(")", ")", len(report.text)))
    return kept


# ---------------------------------------------------------------------------------------
# The tree the parser builds, before it becomes a Whoosh query


@dataclass(frozen=True)
class _Leaf:
    query: wq.Query
    text: str  # how it reads in the explanation
    request: bool = False  # how a long question asks ("papers on"), not what it is about


@dataclass(frozen=True)
class _Date:
    start: dt.datetime | None
    end: dt.datetime | None


@dataclass(frozen=True)
class _Not:
    child: _Node


@dataclass(frozen=True)
class _Any:
    children: tuple[_Node, ...]


@dataclass(frozen=True)
class _Bool:
    """Clauses that must match, that only raise the score, and that must not match.

    A _Bool with no ``required`` clauses matches documents with any ``optional`` one.
    ``either`` are the required clauses that a short text joined implicitly: when no
    document holds them all, documents with any of them match instead (_AllElseAny).
    """

    required: tuple[_Node, ...] = ()
    optional: tuple[_Node, ...] = ()
    excluded: tuple[_Node, ...] = ()
    either: tuple[_Node, ...] = ()


_Node = _Leaf | _Date | _Not | _Any | _Bool
_Item = tuple[str, _Node | None]  # ("-", "+" or "", node); None = nothing left
_ATOM_STARTS = frozenset({"(", "FIELD", "WORD", "PHRASE"})
_UNARY_STARTS = _ATOM_STARTS | {"NOT", "-", "+"}


def _combine(items: list[_Item], mode: str) -> _Node | None:
    """Join clauses: "-" ones are excluded, "+" and date ones required, the rest by mode.

    A date clause restricts even in "any" mode: ``kabul date:2021`` means articles of 2021.
    """
    required: list[_Node] = []
    optional: list[_Node] = []
    excluded: list[_Node] = []
    for prefix, node in items:
        if node is None:
            continue
        if prefix == "-":
            excluded.append(node)
        elif prefix == "+" or isinstance(node, _Date):
            required.append(node)
        else:
            optional.append(node)
    either: list[_Node] = []
    words = sum(not isinstance(node, _Date) for node in required) + len(optional)
    if mode == "short" and optional and words >= LOOSEN_MIN_WORDS:
        either = optional
    if mode in ("all", "short"):
        required, optional = required + optional, []
    elif mode == "long":
        optional = [node for node in optional if not _is_filler(node)] or optional
    return _simplify(_Bool(tuple(required), tuple(optional), tuple(excluded), tuple(either)))


def _is_filler(node: _Node) -> bool:
    """A word such as "what" or "would" typed without a field, a Latin abbreviation ("e.g.",
    "etc."), or a word of the request itself ("interested", "papers on"): noise in a long
    question."""
    if not isinstance(node, _Leaf):
        return False
    word = node.text.strip(_PUNCTUATION).lower()
    return node.request or word in QUERY_STOP_WORDS or word in _ABBREVIATIONS


def _resolve_mode(mode: str, tokens: list[_Token]) -> str:
    """Turn "auto" into "short" (every word, see _AllElseAny) for a short text and into
    "long" (any word, filler words such as "what" dropped) for a longer one: decided once
    for the whole text."""
    if mode != "auto":
        return mode
    typed = sum(token.kind in ("WORD", "PHRASE") for token in tokens)
    return "long" if typed > AUTO_AND_MAX_CLAUSES else "short"


def _request_positions(tokens: list[_Token]) -> frozenset[int]:
    """The positions of the words that say how a long question asks: _REQUEST_WORDS, and
    _REQUEST_NOUNS followed by a linking word ("papers on", "articles which ...")."""
    words = [t for t in tokens if t.kind == "WORD"]
    found = set()
    for word, after in itertools.zip_longest(words, words[1:]):
        text = word.text.strip(_PUNCTUATION).lower()
        # "papers, on ..." is no request: punctuation after the noun breaks the phrase.
        linked = (
            after is not None
            and word.text.rstrip(_PUNCTUATION) == word.text
            and after.text.strip(_PUNCTUATION).lower() in _REQUEST_LINKS
        )
        if text in _REQUEST_WORDS or (text in _REQUEST_NOUNS and linked):
            found.add(word.pos)
    return frozenset(found)


def _simplify(node: _Bool) -> _Node | None:
    positive = node.required + node.optional
    if node.excluded:
        return node
    return positive[0] if len(positive) == 1 else (node if positive else None)


def _any(items: list[_Item]) -> _Node | None:
    children = [_Not(node) if prefix == "-" else node for prefix, node in items if node]
    if len(children) < 2:
        return children[0] if children else None
    return _Any(tuple(children))


def _take_dates(node: _Node | None) -> tuple[_Node | None, list[_Date]]:
    """Remove the date clauses that every match must satisfy; return the rest and them."""
    if isinstance(node, _Date):
        return None, [node]
    if not isinstance(node, _Bool):
        return node, []
    kept: list[_Node] = []
    dates: list[_Date] = []
    for child in node.required:
        rest, found = _take_dates(child)
        dates += found
        if rest is not None:
            kept.append(rest)
    return _simplify(replace(node, required=tuple(kept))), dates


def _intersect(
    dates: list[_Date],
) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    if not dates:
        return None
    starts = [d.start for d in dates if d.start is not None]
    ends = [d.end for d in dates if d.end is not None]
    return (max(starts) if starts else None, min(ends) if ends else None)


# ---------------------------------------------------------------------------------------
# Leaves: words, phrases, wildcards and dates, analyzed like the index


@functools.lru_cache(maxsize=8192)
def _analyze(
    fieldname: str, text: str, *, morph: bool = True, stops: bool = True
) -> tuple[str, ...]:
    """Return the index terms ``text`` gives in a field, with the field's own analyzer."""
    analyzer = _SCHEMA[fieldname].analyzer
    tokens = analyzer(text, mode="query", no_morph=not morph, removestops=stops)
    return tuple(token.text for token in tokens)


# Builds the query for one (field, boost), or None when the text gives no term there;
# or several queries for that field, each an alternative.
_MadeQueries = "wq.Query | tuple[wq.Query | None, ...] | None"
_MakeQuery = Callable[[str, float], _MadeQueries]


def _targets(fieldname: str | None) -> list[tuple[str, float]]:
    return [(fieldname, 1.0)] if fieldname else list(DEFAULT_FIELD_BOOSTS.items())


def _terms_query(
    fieldname: str, tokens: tuple[str, ...], boost: float, slop: int = 1
) -> wq.Query | None:
    """One term, or a phrase of several ("U.S.-Pakistan"), or all of them if no positions."""
    if not tokens:
        return None
    if len(tokens) == 1:
        return wq.Term(fieldname, tokens[0], boost=boost)
    if _SCHEMA[fieldname].format.supports("positions"):
        return wq.Phrase(fieldname, list(tokens), slop=slop, boost=boost)
    return wq.And([wq.Term(fieldname, token) for token in tokens], boost=boost)


def _over_fields(fieldname: str | None, text: str, shown: str, make: _MakeQuery) -> _Node | None:
    """Return a leaf ORing ``make(field, boost)`` over the target fields.

    Without a field, a word that is a stop word for article text is dropped.
    """
    if fieldname is None and not _analyze(_STOP_REFERENCE_FIELD, text, morph=False):
        return None
    queries = [q for f, boost in _targets(fieldname) for q in _alternatives(make(f, boost))]
    if not queries:
        return None
    if len(queries) == 1:
        query = queries[0]
    elif all(type(q) is wq.Term for q in queries):
        query = _AcrossFields(queries)  # one word in several fields: scored as one
    else:
        query = _Union(queries)  # a phrase in each field: scored a word at a time
    return _Leaf(query, f"{fieldname}:{shown}" if fieldname else shown)


def _word_node(token: _Token, fieldname: str | None, report: _Reporter) -> _Node | None:
    word = token.text
    if fieldname == DATE_FIELD:
        return _date_node(word, token.pos, report)
    fuzzy = re.fullmatch(r"([^~]+)~(\d*)", word)
    if fuzzy is not None:
        return _fuzzy_node(token, fieldname, fuzzy.group(1), fuzzy.group(2), report)
    # Only "*" is a wildcard: "?" ends too many typed questions to mean "any letter".
    if "*" in word:
        return _wildcard_node(token, fieldname, report)
    return _over_fields(fieldname, word, word, lambda f, b: _word_queries(f, word, b))


def _word_queries(fieldname: str, word: str, boost: float) -> _MadeQueries:
    """The query for a typed word in one field. A tag is one term, punctuation and all:
    a word ending in punctuation ("weather." or "politics,") looks for the tag without
    it too, as the tag may be either ("Yahoo!", "u.s.")."""
    typed = _terms_query(fieldname, _analyze(fieldname, word), boost)
    if fieldname != "tags":
        return typed
    bare = word.strip("".join(c for c in set(word) if unicodedata.category(c)[0] == "P"))
    if bare in ("", word):
        return typed
    return typed, _terms_query(fieldname, _analyze(fieldname, bare), boost)


def _alternatives(made: _MadeQueries) -> list[wq.Query]:
    """What a _MakeQuery gave, as a list: nothing, one query, or several for one field."""
    if made is None:
        return []
    return [q for q in made if q is not None] if isinstance(made, tuple) else [made]


def _phrase_node(token: _Token, fieldname: str | None, report: _Reporter) -> _Node | None:
    if fieldname == DATE_FIELD:
        return _date_node(token.text, token.pos + 1, report)
    # Whoosh's slop is the largest distance between neighbours (1 = adjacent); ~N allows
    # N words between them, as in Lucene.
    slop = 1 if token.slop is None else token.slop + 1
    shown = f'"{token.text}"' + ("" if token.slop is None else f"~{token.slop}")
    return _over_fields(
        fieldname,
        token.text,
        shown,
        lambda f, b: _terms_query(f, _analyze(f, token.text), b, slop),
    )


def _fuzzy_node(
    token: _Token, fieldname: str | None, word: str, digits: str, report: _Reporter
) -> _Node | None:
    distance = int(digits) if digits and len(digits) < 5 else (1 if not digits else 3)
    if distance not in (1, 2):
        distance = min(max(distance, 1), 2)
        report.problem(
            token.pos,
            f"bad fuzzy distance '~{digits}' (expected ~, ~1 or ~2)",
            f"used ~{distance}",
        )

    def make(f: str, boost: float) -> wq.Query | None:
        tokens = _analyze(f, word)
        if len(tokens) != 1:
            return _terms_query(f, tokens, boost)
        return _CappedFuzzy(f, tokens[0], boost=boost, maxdist=distance, prefixlength=1)

    return _over_fields(fieldname, word, token.text, make)


def _wildcard_node(token: _Token, fieldname: str | None, report: _Reporter) -> _Node | None:
    word = token.text
    literal = word[: word.index("*")]
    if sum(char.isalnum() for char in literal) < 2:
        # "*" or "a*" would expand to a large part of the vocabulary.
        report.problem(token.pos, f"wildcard needs at least 2 letters: {word!r}", "dropped it")
        return None
    if word.count("*") == 1 and word.endswith("*"):
        return _over_fields(fieldname, literal, word, lambda f, b: _prefix_query(f, literal, b))
    pattern = word.lower().translate(accent_map)
    return _over_fields(fieldname, literal, word, lambda f, b: _CappedWildcard(f, pattern, boost=b))


def _prefix_query(fieldname: str, literal: str, boost: float) -> wq.Query | None:
    # Unstemmed: "capit*" must find "capital", whose stem is "capit".
    tokens = _analyze(fieldname, literal, morph=False, stops=False)
    if not tokens:
        return None
    prefix = _CappedPrefix(fieldname, tokens[-1], boost=boost)
    if len(tokens) == 1:
        return prefix
    return wq.And([wq.Term(fieldname, t) for t in tokens[:-1]] + [prefix])


def _date_node(text: str, pos: int, report: _Reporter) -> _Date | None:
    """``2021-08``, ``>=2021-08-01``, ``>2021-08-01`` (after that day), ``<2021-09``..."""
    operator = re.match(r"[<>]?=?", text).group()
    span = _date_span_at(text[len(operator) :], pos + len(operator), report)
    if span is None:
        return None
    start, end = span
    bounds = {
        "": (start, end),
        ">=": (start, None),
        ">": (end, None),
        "<": (None, start),
        "<=": (None, end),
    }.get(operator, (start, end))
    return _Date(*bounds)


def _date_span_at(text: str, pos: int, report: _Reporter) -> tuple[dt.datetime, dt.datetime] | None:
    try:
        return parse_date_span(text)
    except ValueError:
        report.problem(pos, f"bad date {text!r} (expected {_DATE_FORMS})", "dropped the clause")
        return None


def _range_node(token: _Token, fieldname: str, report: _Reporter) -> _Date | None:
    """``[a TO b]`` includes all of day b; ``{a TO b}`` excludes both days; ``*`` is open."""
    match = _DATE_RANGE.fullmatch(token.text)
    if fieldname != DATE_FIELD or match is None:
        problem = (
            f"a range needs the date field, not '{fieldname}'"
            if fieldname != DATE_FIELD
            else f"bad date range {token.text!r} (expected [YYYY-MM-DD TO YYYY-MM-DD], "
            "* for an open end)"
        )
        report.problem(token.pos, problem, "dropped it")
        return None
    opening, low, high, closing = match.groups()
    bounds: list[dt.datetime | None] = [None, None]
    for side, text, group in ((0, low, 2), (1, high, 3)):
        if text == "*":
            continue
        span = _date_span_at(text, token.pos + match.start(group), report)
        if span is None:
            return None
        inclusive = (opening == "[") if side == 0 else (closing == "]")
        bounds[side] = span[side] if inclusive else span[1 - side]
    start, end = bounds
    if start is not None and end is not None and start >= end:
        # Its end comes before its start (or, excluded, meets it): said, not swapped.
        report.problem(token.pos, f"date range {token.text!r} holds no date", "nothing matches it")
    return _Date(start, end)


# ---------------------------------------------------------------------------------------
# The parser


class _Parser:
    """Recursive descent over the tokens; nesting is bounded by _balance_parentheses."""

    def __init__(self, tokens: list[_Token], report: _Reporter, mode: str) -> None:
        self.tokens = tokens
        self.report = report
        self.mode = mode
        self.index = 0
        self.requests = _request_positions(tokens) if mode == "long" else frozenset()

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def sequence(self, fieldname: str | None) -> _Node | None:
        """Clauses joined implicitly, up to the end or a closing parenthesis."""
        items: list[_Item] = []
        while (token := self.peek()).kind not in ("EOF", ")"):
            if token.kind in ("AND", "OR"):
                self.advance()
                self.report.problem(token.pos, f"nothing on the left of {token.text}", "ignored it")
                continue
            items.append(self.conjunction(fieldname))
        return _combine(items, self.mode)

    def conjunction(self, fieldname: str | None) -> _Item:
        items = [self.disjunction(fieldname)]
        while self.peek().kind == "AND":
            if self.operator():
                items.append(self.disjunction(fieldname))
            elif self.peek().kind == "OR":  # "a AND OR b", the AND dropped: go on with OR
                items[-1] = self.disjunction(fieldname, items[-1])
        return items[0] if len(items) == 1 else ("", _combine(items, "all"))

    def disjunction(self, fieldname: str | None, first: _Item | None = None) -> _Item:
        items = [self.unary(fieldname) if first is None else first]
        while self.peek().kind == "OR":
            if self.operator():
                items.append(self.unary(fieldname))
        return items[0] if len(items) == 1 else ("", _any(items))

    def operator(self) -> bool:
        """Consume a binary operator; report it if nothing can follow it."""
        token = self.advance()
        if self.peek().kind in _UNARY_STARTS:
            return True
        self.report.problem(token.pos, f"nothing on the right of {token.text}", "ignored it")
        return False

    def unary(self, fieldname: str | None) -> _Item:
        prefix = ""
        while self.peek().kind in ("NOT", "-", "+"):
            token = self.advance()
            prefix = "+" if token.kind == "+" and prefix != "-" else "-"
            if self.peek().kind not in _UNARY_STARTS:
                self.report.problem(
                    token.pos, f"nothing on the right of {token.text}", "ignored it"
                )
                return prefix, None
        return prefix, self.atom(fieldname)

    def atom(self, fieldname: str | None) -> _Node | None:
        token = self.advance()
        if token.kind == "(":
            node = self.sequence(fieldname)
            self.advance()  # the ")": _balance_parentheses guarantees it
            return node
        if token.kind == "FIELD":
            # After dropped parentheses ("title:(" * 1000) fields may follow each other;
            # the last one wins, in a loop rather than a recursion per field.
            while self.peek().kind == "FIELD":
                token = self.advance()
            after = self.peek().kind
            if after == "RANGE":
                return _range_node(self.advance(), token.text, self.report)
            return self.atom(token.text) if after in _ATOM_STARTS else None
        if token.kind == "PHRASE":
            return _boosted(_phrase_node(token, fieldname, self.report), token.boost)
        if self.mode == "long" and fieldname is None and (parts := _compound_parts(token.text)):
            words = [_Token("WORD", part, token.pos) for part in parts]
            return _any(
                [("", _boosted(_word_node(w, None, self.report), token.boost)) for w in words]
            )
        node = _boosted(_word_node(token, fieldname, self.report), token.boost)
        if isinstance(node, _Leaf) and fieldname is None and token.pos in self.requests:
            return replace(node, request=True)
        return node


def _compound_parts(word: str) -> list[str] | None:
    """The words of a compound ("wind-tunnel", "input/output"), or None for any other word,
    a prefixed word ("non-linear"), one with digits ("F-16"), a wildcard or a fuzzy word."""
    core = word.strip(_PUNCTUATION)
    if not _COMPOUND_JOINS.search(core.strip("-")) or any(char in core for char in "*~"):
        return None
    parts = [part for part in _COMPOUND_JOINS.split(core) if part]
    if len(parts) < 2 or parts[0].lower() in _WORD_PREFIXES:
        return None
    if any(re.search(r"\d", part) or sum(map(str.isalpha, part)) < 2 for part in parts):
        return None
    return parts


def _boosted(node: _Node | None, boost: float | None) -> _Node | None:
    """``node`` with its score multiplied by a typed ``^N``."""
    if boost is None or not isinstance(node, _Leaf):
        return node
    query = node.query.with_boost(node.query.boost * boost)
    return replace(node, query=query, text=f"{node.text}^{boost:g}")


# ---------------------------------------------------------------------------------------
# From the tree to a Whoosh query and an explanation


def _build(node: _Node) -> wq.Query:
    if isinstance(node, _Leaf):
        return node.query
    if isinstance(node, _Date):
        return date_filter_query(node.start, node.end)
    if isinstance(node, _Not):
        return wq.Not(_build(node.child))
    if isinstance(node, _Any):
        return _Union([_build(child) for child in node.children])
    return _build_bool(node)


def _build_bool(node: _Bool) -> wq.Query:
    required = [_build(child) for child in node.required]
    optional = [_build(child) for child in node.optional]
    base = None
    if required:
        base = required[0] if len(required) == 1 else wq.And(required)
    if node.either:
        loose = _Bool(
            tuple(child for child in node.required if child not in node.either), node.either
        )
        base = _AllElseAny(base, _build_bool(loose))
    if optional:
        either = optional[0] if len(optional) == 1 else _Union(optional)
        # Beside required clauses, optional ones only raise the score.
        base = either if base is None else wq.AndMaybe(base, either)
    if base is None:
        base = wq.Every()
    if node.excluded:
        excluded = [_build(child) for child in node.excluded]
        base = _AndNot(base, excluded[0] if len(excluded) == 1 else wq.Or(excluded))
    return base


def _explain(node: _Node) -> str:
    if isinstance(node, _Leaf):
        return node.text
    if isinstance(node, _Date):
        return _format_span(node.start, node.end)
    if isinstance(node, _Not):
        return f"NOT {_explain(node.child)}"
    if isinstance(node, _Any):
        return f"ANY({', '.join(_explain(child) for child in node.children)})"
    parts = [_explain(child) for child in node.required]
    optional = ", ".join(_explain(child) for child in node.optional)
    if optional:
        parts.append(f"MAYBE({optional})" if parts else f"ANY({optional})")
    parts += [f"NOT {_explain(child)}" for child in node.excluded]
    return parts[0] if len(parts) == 1 else f"ALL({', '.join(parts)})"


def parse_query(text: str, *, mode: str = "auto", strict: bool = True) -> ParsedQuery:
    """Return how ``text`` is understood as a search, and the Whoosh query to run.

    ``mode`` says how clauses written side by side are joined: ``"all"`` (AND),
    ``"any"`` (OR, best matches first) or ``"auto"`` (AND for a text of at most
    :data:`AUTO_AND_MAX_CLAUSES` words, where :data:`LOOSEN_MIN_WORDS` or more that no
    article holds together find the articles with any of them; else as "any" without
    filler words such as "what"). Explicit AND / OR / NOT always win. Empty text matches
    every article; text of stop words only matches none.

    Raises TypeError for a ``text`` that is not a str and ValueError for an unknown
    ``mode``. With ``strict`` (the default) raises :class:`QuerySyntaxError` or
    :class:`UnknownFieldError` for malformed text; otherwise never raises, repairs the
    text and lists each repair in ``warnings``.
    """
    if not isinstance(text, str):
        raise TypeError(f"the query text must be a str, not {type(text).__name__}")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: expected one of {', '.join(MODES)}")
    if not text.strip():
        return ParsedQuery(text, "everything", (), None, wq.Every())
    report = _Reporter(text, strict)
    tokens = _Tokenizer(report).run()
    node, dates = _take_dates(_Parser(tokens, report, _resolve_mode(mode, tokens)).sequence(None))
    date_filter = _intersect(dates)
    if node is not None:
        query, explanation = _build(node), _explain(node)
    elif date_filter is not None:
        query, explanation = wq.Every(), "everything"
    else:
        query, explanation = wq.NullQuery, "nothing"
        if not strict:
            report.warnings.append(f"nothing left to search for {_why_nothing(text, report)}")
    if date_filter is not None:
        explanation += f" ; {_format_span(*date_filter)}"
    return ParsedQuery(text, explanation, tuple(report.warnings), date_filter, query)


def _why_nothing(text: str, report: _Reporter) -> str:
    """Why lenient parsing of ``text`` left nothing to search for."""
    if report.warnings:
        return "after the repairs above"
    if not _ANY_WORD.search(_FIELD_PREFIX.sub(_unless_field, text)):
        return "- the text holds no words"  # "…", "tags:,"
    return "- words such as 'the' and 'of' are not indexed"


def _unless_field(prefix: re.Match[str]) -> str:
    """A field's name and colon removed; any other word and colon kept ("title:the:")."""
    return " " if resolve_field(prefix.group(1)) else prefix.group()


_ANY_WORD = re.compile(r"[^\W_]")


class _AndNotMatcher(matching.AndNotMatcher):
    """Whoosh's AndNotMatcher, checking its first document like every other.

    In Whoosh 2.7.4 the first document is compared only with the excluded list's first
    document, so when that list starts earlier an excluded document comes through
    ("oil -reuters" returned a Reuters story when searched without a limit;
    tests/test_query.py::test_excluded_words_exclude_the_first_match too).
    """

    def _find_first(self) -> None:
        if self.a.is_active():
            self._find_next()


class _AndNot(wq.AndNot):
    """``a ANDNOT b`` with :class:`_AndNotMatcher`."""

    def matcher(self, searcher, context=None):
        scored = self.a.matcher(searcher, context)
        excluded = self.b.matcher(searcher, searcher.boolean_context())
        return _AndNotMatcher(scored, excluded)


# ---------------------------------------------------------------------------------------
# Scoring a word at a time


def document_scores(
    query: wq.Query, searcher, weighting, only: frozenset[int] | None = None
) -> dict[int, float] | None:
    """The score of every document of ``searcher`` (one segment's) that ``query``
    matches, reading each word's postings once; None if the query has a part that only
    its matcher scores (a phrase with words between, a wildcard, fuzzy words, NOT, ...).
    With ``only``, documents outside it may be left out (they are not scored).

    Whoosh's matchers score a document at a time, several calls per document and per
    matcher: four fifths of a word query's time. The scores here are the matchers',
    summed in the same order, to the last bit (test_scoring_a_word_at_a_time_equals_
    whooshs_matchers in tests/test_performance_paths.py compares them).
    """
    if not _scorable(query):
        return None  # before reading a posting: Whoosh's matchers would read them again
    found = _scores(query, searcher, weighting, only)
    return None if found is None else found[0]


def _scorable(query: wq.Query) -> bool:
    """Whether every part of ``query`` is one that _scores handles."""
    if isinstance(query, _AllElseAny):
        return _scorable(query.every) and _scorable(query.some)
    if type(query) is wq.Term:
        return True
    if type(query) is wq.Phrase:
        return query.slop == 1 and len(query.words) > 1
    if isinstance(query, _AcrossFields):
        return all(type(term) is wq.Term for term in query.subqueries)
    if isinstance(query, _Union) or type(query) is wq.And:
        return all(_scorable(sub) for sub in query.subqueries)
    return False


# What _scores gives: the scores by document, and the class of the matcher Whoosh would
# build, which decides the order of sums in an And (see _and_scores).
_Scored = tuple[dict[int, float], str]
_Docs = set[int] | frozenset[int] | None


def _scores(query: wq.Query, searcher, weighting, only: _Docs = None) -> _Scored | None:
    # ``only``: the documents worth scoring (None: all); an And passes the documents
    # its earlier clauses hold, and the others could not match it anyway.
    if isinstance(query, _AllElseAny):
        if query.loosened(searcher):
            return _scores(query.some, searcher, weighting, only)
        # Deciding scored ``every`` already: all its documents, a superset of ``only``'s.
        kept = query.every_scores(searcher)
        return kept if kept is not None else _scores(query.every, searcher, weighting, only)
    if type(query) is wq.Term:
        return _term_scores(query, searcher, weighting, only)
    if type(query) is wq.Phrase:
        return _phrase_scores(query, searcher, weighting, only)
    subs = query.subqueries  # an _AcrossFields, _Union or And: _scorable said so
    if len(subs) == 1:
        # Whoosh runs a lone clause's matcher as it is, boost and all.
        return _scores(subs[0], searcher, weighting, only)
    if not subs:
        return {}, "NullMatcher"
    if isinstance(query, _AcrossFields):
        return _across_scores(query, searcher, weighting, only)
    if isinstance(query, _Union):
        return _union_scores(query, searcher, weighting, only)
    return _and_scores(query, searcher, weighting, only)


def _across_scores(query: _AcrossFields, searcher, weighting, only: _Docs = None) -> _Scored | None:
    """As _AcrossFields._matcher and _FieldsMatcher.score compute them."""
    if not hasattr(weighting, "fields_scorer"):
        return None
    live = []
    for term in query.subqueries:
        ids, weights, _, found = _postings_within(searcher.reader(), term, only)
        if found:  # a field counts as found (its idf is the scorer's) before restriction
            live.append((term, ids, weights))
    if not live:
        return {}, "NullMatcher"
    terms = [(term.fieldname, term.text, term.boost) for term, _, _ in live]
    scorer = weighting.fields_scorer(searcher, terms)
    scores = scorer.score_postings([(ids, weights) for _, ids, weights in live])
    if query.boost != 1.0:
        return {docnum: s * query.boost for docnum, s in scores.items()}, "WrappingMatcher"
    return scores, "_FieldsMatcher"


def _term_scores(term: wq.Term, searcher, weighting, only: _Docs = None) -> _Scored | None:
    """As Term.matcher and the weighting's scorer for one field compute them."""
    ids, weights, kind, found = _postings_within(searcher.reader(), term, only)
    if not found:
        return {}, "NullMatcher"
    btext = searcher.schema[term.fieldname].to_bytes(term.text)
    scores = _weighed(searcher, weighting, term.fieldname, btext, ids, weights)
    if scores is None:
        return None
    if term.boost != 1.0:
        return {docnum: s * term.boost for docnum, s in scores.items()}, "WrappingMatcher"
    return scores, kind


def _weighed(searcher, weighting, fieldname: str, btext: bytes, ids, weights) -> dict | None:
    """The scores of a term's postings, as the weighting's scorer for one field gives
    them; None for a scorer this does not know."""
    scorer = weighting.scorer(searcher, fieldname, btext)
    if type(scorer) is DFRScorer:
        found = term_scores(scorer, searcher.reader(), fieldname, ids, weights)
        if found is not None:
            return found
    if type(scorer) in (scoring.BM25FScorer, DFRScorer):
        score, length = scorer._score, scorer.dfl
        return {docnum: score(weight, length(docnum)) for docnum, weight in zip(ids, weights)}
    if type(scorer) is scoring.WeightScorer:
        return dict(zip(ids, weights))
    return None


def _phrase_scores(phrase: wq.Phrase, searcher, weighting, only: _Docs = None) -> _Scored | None:
    """As Phrase.matcher computes them (slop 1): the documents holding the words one
    after the other, each scored as the sum of its words' scores, added up in the
    binary tree of intersections Whoosh builds.

    The documents holding every word are found from the ids alone; positions are read
    only for them, from the blocks that hold them.
    """
    reader, fieldname = searcher.reader(), phrase.fieldname
    if fieldname not in searcher.schema:
        return {}, "NullMatcher"
    field = searcher.schema[fieldname]
    if not field.format or not field.format.supports("positions"):
        return None  # Whoosh's matcher says why
    try:
        words = [field.to_bytes(word) for word in phrase.words]
    except ValueError:
        return {}, "NullMatcher"
    if any((fieldname, word) not in reader for word in words):
        return {}, "NullMatcher"
    postings, common = _common_postings(reader, fieldname, phrase.words, words, only)
    found = _in_sequence(reader, fieldname, words, sorted(common))
    parts, held = [], set(found)
    for word, (ids, weights) in zip(words, postings):
        scores = _weighed(searcher, weighting, fieldname, word, *_within(ids, weights, held))
        if scores is None:
            return None
        parts.append(scores)
    totals = {docnum: _tree_sum([part[docnum] for part in parts]) for docnum in found}
    if phrase.boost != 1.0:
        return {d: score * phrase.boost for d, score in totals.items()}, "WrappingMatcher"
    return totals, "SpanNear2Matcher"


def _common_postings(
    reader, fieldname: str, texts: list[str], words: list[bytes], only: _Docs
) -> tuple[list[tuple[list[int], list[float]]], set[int]]:
    """Each word's postings, and the documents (in ``only``) that hold every word. The
    rarest word is read whole; each other word only where the documents found so far
    may be (_picked_blocks), so "unocal corp" decodes few blocks of "corp"."""
    frequencies = [reader.doc_frequency(fieldname, word) for word in words]
    postings: list[tuple[list[int], list[float]]] = [([], [])] * len(words)
    common: set[int] | None = None
    for index in sorted(range(len(words)), key=frequencies.__getitem__):
        if common is None:
            ids, weights, _ = _postings(reader, fieldname, texts[index])
            common = set(ids)
            if only is not None:
                common &= only
        elif common:
            picked = _picked_blocks(reader, fieldname, texts[index], common)
            if picked is None:
                ids, weights = _within(*_postings(reader, fieldname, texts[index])[:2], common)
            else:
                ids, weights = picked[:2]
            common.intersection_update(ids)
        else:
            ids, weights = [], []
        postings[index] = (ids, weights)
    return postings, common or set()


def _in_sequence(reader, fieldname: str, words: list[bytes], docnums: list[int]) -> list[int]:
    """The ``docnums`` (ascending) where ``words`` stand one after the other."""
    alive = [(d, set(p)) for d, p in zip(docnums, _positions(reader, fieldname, words[0], docnums))]
    for offset, word in enumerate(words[1:], 1):
        if not alive:
            break
        following = _positions(reader, fieldname, word, [docnum for docnum, _ in alive])
        alive = [
            (docnum, kept)
            for (docnum, starts), positions in zip(alive, following)
            if (kept := starts.intersection(p - offset for p in positions))
        ]
    return [docnum for docnum, _ in alive]


def _positions(reader, fieldname: str, word: bytes, docnums: list[int]) -> list[list[int]]:
    """The positions of ``word`` in each of ``docnums`` (ascending, all holding it)."""
    matcher = reader.postings(fieldname, word)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if hasattr(matcher, "positions_of"):
        return matcher.positions_of(docnums)
    found = []
    for docnum in docnums:
        matcher.skip_to(docnum)
        found.append(matcher.value_as("positions"))
    return found


def _tree_sum(parts: list[float]) -> float:
    """The sum of ``parts`` as Whoosh's make_binary_tree pairs them: halves first."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def _union_scores(query: _Union, searcher, weighting, only: _Docs = None) -> _Scored | None:
    """As _Union._matcher computes them: clause by clause, in order."""
    clauses = []
    for sub in query.subqueries:
        found = _scores(sub, searcher, weighting, only)
        if found is None:
            return None
        clauses.append(found[0])
    totals = added_in_order(clauses)
    if query.boost != 1.0:
        totals = {docnum: total * query.boost for docnum, total in totals.items()}
    return totals, "_ScoredDocs" if totals else "NullMatcher"


class _Sum:
    """A stand-in for a matcher in Whoosh's tree of intersections: it orders and
    compares as the matcher would (Whoosh's matchers call themselves less than, and
    equal to, any of their class)."""

    def __init__(self, kind: str, index: int = -1, pair: tuple[_Sum, _Sum] | None = None):
        self.kind, self.index, self.pair = kind, index, pair

    def __lt__(self, other: _Sum) -> bool:
        return other.kind == self.kind

    def __eq__(self, other: object) -> bool:
        # As a matcher equals any of its class: in make_weighted_tree, leaves of one size
        # then keep their order, and the sums are added in Whoosh's tree, to the last bit.
        return isinstance(other, _Sum) and other.kind == self.kind

    __hash__ = object.__hash__

    def total(self, parts: list[dict[int, float]], docnum: int) -> float:
        if self.pair is None:
            return parts[self.index][docnum]
        return self.pair[0].total(parts, docnum) + self.pair[1].total(parts, docnum)


def _and_scores(query: wq.And, searcher, weighting, only: _Docs = None) -> _Scored | None:
    """As Whoosh's And computes them: the clauses' scores added up over the tree of
    pairs it builds, the clauses with the most documents joined first.

    The clauses are read fewest documents first, each scoring only the documents the
    ones before it hold: "oil AND hector" scores the few stories with "hector", not
    every story with "oil".
    """
    subs = query.subqueries
    sizes = [sub.estimate_size(searcher.reader()) for sub in subs]
    found: list[_Scored] = [({}, "")] * len(subs)
    for index in sorted(range(len(subs)), key=sizes.__getitem__):
        scored = _scores(subs[index], searcher, weighting, only)
        if scored is None:
            return None
        found[index] = scored
        only = set(scored[0]) if only is None else only.intersection(scored[0])
    parts = [part for part, _ in found]
    common = only
    leaves = [
        (0 - size, _Sum(kind, index)) for index, (size, (_, kind)) in enumerate(zip(sizes, found))
    ]
    tree = make_weighted_tree(lambda a, b: _Sum("IntersectionMatcher", pair=(a, b)), leaves)
    boost = query.boost
    scores = {docnum: tree.total(parts, docnum) for docnum in common}
    if boost != 1.0:
        scores = {docnum: score * boost for docnum, score in scores.items()}
        return scores, "WrappingMatcher"
    return scores, "IntersectionMatcher"


def _postings(reader, fieldname: str, text: str) -> tuple[list[int], list[float], str]:
    """The live documents holding a term, its weight (count) in each, and the class of
    the matcher that reads them."""
    opened = _opened(reader, fieldname, text)
    if opened is None:
        return [], [], "NullMatcher"
    matcher, kind, deleted, _ = opened
    ids: list[int] = []
    weights: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        # A block at a time: the ids and weights of each block are decoded as arrays.
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    if deleted:
        ids, weights = _restricted(ids, weights, lambda docnum: docnum not in deleted)
    return ids, weights, kind


def _opened(reader, fieldname: str, text: str) -> tuple | None:
    """A term's matcher in segment ``reader`` without the filter of deleted documents:
    (matcher, the class of the matcher Whoosh reads with, the deleted documents, the
    term as bytes); None when the segment does not hold the term."""
    if fieldname not in reader.schema:
        return None
    try:
        btext = reader.schema[fieldname].to_bytes(text)
    except ValueError:
        return None
    if (fieldname, btext) not in reader:
        return None
    matcher = reader.postings(fieldname, btext)
    kind = type(matcher).__name__
    deleted = frozenset()
    if isinstance(matcher, FilterMatcher):
        matcher, deleted = matcher.child, matcher._ids
    return matcher, kind, deleted, btext


def _postings_within(
    reader, term: wq.Term, only: _Docs
) -> tuple[list[int], list[float], str, bool]:
    """_postings() of ``term`` restricted to the documents in ``only`` (all of them when
    None), and whether the term has any live posting before the restriction."""
    if only is not None:
        picked = _picked_blocks(reader, term.fieldname, term.text, only)
        if picked is not None and picked[0]:
            return (*picked, True)
        # Nothing picked cannot tell whether the term has live postings elsewhere.
    ids, weights, kind = _postings(reader, term.fieldname, term.text)
    found = bool(ids)
    if only is not None and ids:
        ids, weights = _within(ids, weights, only)
    return ids, weights, kind, found


def _picked_blocks(
    reader, fieldname: str, text: str, only: set[int] | frozenset[int]
) -> tuple[list[int], list[float], str] | None:
    """_postings() of the documents in ``only``, when they are few beside the term's:
    a block is decoded only if one of them may be in it (by its header's last id).
    None when the list is not in blocks or ``only`` is not few."""
    opened = _opened(reader, fieldname, text)
    if opened is None:
        return None
    matcher, kind, deleted, btext = opened
    if not isinstance(matcher, W3LeafMatcher) or len(only) * 4 >= reader.doc_frequency(
        fieldname, btext
    ):
        return None
    wanted = sorted(only)
    ids: list[int] = []
    weights: list[float] = []
    at = 0
    while matcher.is_active() and at < len(wanted):
        last = matcher._maxid
        if wanted[at] <= last:
            matcher._read_ids()
            matcher._read_weights()
            block, start = matcher._ids, 0
            while at < len(wanted) and wanted[at] <= last:
                docnum = wanted[at]
                start = bisect.bisect_left(block, docnum, start)
                if start < len(block) and block[start] == docnum and docnum not in deleted:
                    ids.append(docnum)
                    weights.append(matcher._weights[start])
                at += 1
        matcher._next_block()
    return ids, weights, kind


def _within(ids: list[int], weights: list[float], only: _Docs) -> tuple[list[int], list[float]]:
    """The postings of the documents in ``only``. Few of them among many postings (an
    AND's second word, a short date range, the documents holding a phrase) are found
    by bisection; else every posting is looked up."""
    if len(only) * 4 >= len(ids):
        return _restricted(ids, weights, only.__contains__)
    kept_ids, kept_weights, start, end = [], [], 0, len(ids)
    for docnum in sorted(only):
        start = bisect.bisect_left(ids, docnum, start)
        if start == end:
            break
        if ids[start] == docnum:
            kept_ids.append(docnum)
            kept_weights.append(weights[start])
    return kept_ids, kept_weights


def _restricted(ids: list[int], weights: list[float], keep) -> tuple[list[int], list[float]]:
    """The postings of the documents ``keep`` accepts."""
    kept = [i for i, docnum in enumerate(ids) if keep(docnum)]
    return [ids[i] for i in kept], [weights[i] for i in kept]
