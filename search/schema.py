"""The index layout: fields, the names users may type for them, and defaults.

Everything that must agree between writing and reading the index lives here, so the
indexer and the query parser cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from functools import lru_cache
from math import log, log2
from typing import Any

from whoosh import fields, formats, scoring
from whoosh.util.numeric import to_sortable

# SnowballFilter is imported here too: indexes written before search.analysis existed
# pickled it under this module's name, and must still open.
from search.analysis import (
    SnowballFilter,  # noqa: F401
    name_analyzer,
    source_analyzer,
    text_analyzer,
    url_analyzer,
)
from search.codec import BYTE_LENGTHS, GapPositions, length_column
from search.damage import DamagedDocument
from search.duplicates import fingerprint
from search.models import Article

__all__ = [
    "BM25",
    "DEFAULT_FIELD_BOOSTS",
    "FIELD_ALIASES",
    "FILE_FIELD",
    "JOINED_FIELDS",
    "QUERY_STOP_WORDS",
    "SPELL_ARTICLES",
    "SPELL_FIELD",
    "InExpC2",
    "added_in_order",
    "article_from_stored",
    "build_schema",
    "document_for",
    "live_count",
    "live_terms",
    "make_weighting",
    "resolve_field",
    "stored_id",
    "term_scores",
]

# Snowball's English stop words. A long question ("what are the effects of ...") drops them,
# since its other words say what it is about; the index and short queries keep them.
QUERY_STOP_WORDS = frozenset(
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his "
    "himself she her hers herself it its itself they them their theirs themselves what which "
    "who whom this that these those am is are was were be been being have has had having do "
    "does did doing would should could ought i'm you're he's she's it's we're they're i've "
    "you've we've they've i'd you'd he'd she'd we'd they'd i'll you'll he'll she'll we'll "
    "they'll isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't won't "
    "wouldn't shan't shouldn't can't cannot couldn't mustn't let's that's who's what's here's "
    "there's when's where's why's how's a an the and but if or because as until while of at "
    "by for with about against between into through during before after above below to from "
    "up down in out on off over under again further then once here there when where why how "
    "all any both each few more most other some such no nor not only own same so than too "
    "very".split()
)


# The field that records which file (and which version of it) each article came from:
# "path<TAB>mtime_ns<TAB>size<TAB>sha1". Reading its term list tells the indexer the state
# of every indexed file without loading a single stored document.
FILE_FIELD = "file"
# The unstemmed words of title and body, for spelling suggestions (search.suggest).
SPELL_FIELD = "spell"
# The spell field records a word for at most this many articles of a batch written:
# suggestions need to tell a word found once from a common one, not to count every
# article. All of them took 45% of the postings of Reuters (search.postings.TermPool caps them).
SPELL_ARTICLES = 3
# The fields whose texts make the spell field's, joined by line breaks (document_for).
SPELL_SOURCES = ("title", "body")
# Gathering a file's words reads the spell field's from title's and body's
# (search.postings.gather).
JOINED_FIELDS = {SPELL_FIELD: SPELL_SOURCES}


# The precisions dates are indexed at, as bits of microseconds dropped: the exact time,
# then blocks of 72 minutes, 13 days, 9 years and 2,285 years (see DateField).
DATE_SHIFTS = (0, 32, 40, 48, 56)


def _words_field(analyzer) -> fields.TEXT:
    """A text field that records only which documents hold each word: no positions, no
    counts, no lengths. Suggestions read its words and their document frequencies only;
    it took a fifth of the index with counts and lengths."""
    field = fields.TEXT(analyzer=analyzer, phrase=False)
    field.format = formats.Existence()
    field.scorable = False
    return field


class DateField(fields.DATETIME):
    """Whoosh's DATETIME, indexed at the precisions ``shifts`` (bits of microseconds
    dropped) instead of every eighth bit.

    A range is matched by a few words of each precision (:meth:`ranges`): exact times at
    its edges, then ever larger blocks. Whoosh's eight precisions made 82,000 of the
    218,000 words of Reuters' index (times are to the second, so its three finest held
    a word for nearly every article); DATE_SHIFTS drops those three, and a range's edges
    are matched by the exact times within 72 minutes of them.
    """

    def __init__(self, shifts: Sequence[int] = DATE_SHIFTS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shifts = tuple(shifts)
        # Whoosh's own ranges (whoosh.query.NumericRange) then read the exact times
        # only: slower, but right.
        self.shift_step = 0

    def index(self, value: Any, **kwargs: Any) -> list[tuple[bytes, int, float, bytes]]:
        values = value if isinstance(value, (list, tuple)) else [value]
        return [(word, 1, 1.0, b"") for v in values for word in self._precisions(v)]

    def _precisions(self, value: Any) -> list[bytes]:
        """``[self.to_bytes(value, shift) for shift in self.shifts]``, the date converted
        once (five times took most of the time of indexing a date)."""
        number = self.prepare_datetime(value)
        if not isinstance(number, int):
            return [self.to_bytes(value, shift) for shift in self.shifts]
        sortable = self.sortable(number)
        return [self.sortable_to_bytes(sortable, shift) for shift in self.shifts]

    def sortable(self, number: int) -> int:
        """A date given as a number (``whoosh.util.times.datetime_to_long``) as its
        words hold it."""
        return to_sortable(self.numtype, self.bits, self.signed, self.prepare_number(number))

    def ranges(self, start: int, end: int) -> Iterator[tuple[bytes, bytes]]:
        """The first and last words, precision by precision, that together match the
        sortable numbers ``start`` to ``end`` (both included): Whoosh's split of a range
        (``whoosh.util.numeric.split_ranges``), with a step of its own per precision."""
        for tier, shift in enumerate(self.shifts[:-1]):
            step = self.shifts[tier + 1] - shift
            block = 1 << (shift + step)
            mask = ((1 << step) - 1) << shift
            kept = ~mask & ((1 << (self.bits + 1)) - 1)
            has_lower, has_upper = start & mask != 0, end & mask != mask
            next_start = (start + block if has_lower else start) & kept
            next_end = (end - block if has_upper else end) & kept
            if next_start > next_end:
                break
            if has_lower:
                yield self._words(start, start | mask, shift)
            if has_upper:
                yield self._words(end & kept, end, shift)
            start, end = next_start, next_end
        else:
            shift = self.shifts[-1]
        yield self._words(start, end, shift)

    def _words(self, first: int, last: int, shift: int) -> tuple[bytes, bytes]:
        return self.sortable_to_bytes(first, shift), self.sortable_to_bytes(last, shift)


def _text_field(analyzer, *, stored: bool = False) -> fields.TEXT:
    """A text field keeping each word's positions, for phrases (see GapPositions)."""
    field = fields.TEXT(analyzer=analyzer, stored=stored)
    field.format = GapPositions(field_boost=field.format.field_boost)
    return field


def build_schema() -> fields.Schema:
    """Return a new Whoosh schema for an article index."""
    text = text_analyzer()
    names = name_analyzer()
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        path=fields.ID(stored=True),
        file=fields.ID(),
        title=_text_field(text, stored=True),
        summary=_text_field(text, stored=True),
        body=_text_field(text, stored=True),
        author=_text_field(names),
        authors=fields.STORED(),
        source=_text_field(source_analyzer(), stored=True),
        # The exact source name, for counting articles per source.
        site=fields.ID(sortable=True),
        url=_text_field(url_analyzer(), stored=True),
        tags=fields.KEYWORD(stored=True, lowercase=True, commas=True, scorable=True),
        date=DateField(stored=True, sortable=True),
        language=fields.ID(stored=True),
        # Read from the stored fields only (to fold copies), never searched.
        hash=fields.STORED(),
        # MinHash of the body, to fold syndicated copies into one hit (search.duplicates).
        fingerprint=fields.STORED(),
        # SPELL_FIELD: unstemmed words of title and body, as suggestions must be real words.
        spell=_words_field(text_analyzer(stem=False)),
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


# BM25's parameters: k1 says how fast repeating a word stops adding to the score, b how
# much a long text is discounted. Chosen on six test collections and checked on the
# seventh (bench/relevance.py --loo); b is lower for titles, whose lengths vary little.
BM25_K1 = 1.2
BM25_B = 0.75
FIELD_B: dict[str, float] = {}
# The weight of a field in BM25F, where it multiplies the field's word counts before they
# saturate; fields not named here use their DEFAULT_FIELD_BOOSTS boost. The headline needs
# more here than as the boost of a phrase scored field by field (title:"..."^2.5).
FIELD_WEIGHTS: dict[str, float] = {"title": 6.0}


def _idf(doc_frequency: int, doc_count: int) -> float:
    """Lucene's BM25 idf, ``log(1 + (N - n + 0.5) / (n + 0.5))``: Whoosh's own adds 1 to
    every word's idf, which lets common words weigh almost as much as rare ones."""
    return log(1.0 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


class BM25(scoring.WeightingModel):
    """Okapi BM25 with Lucene's idf and a ``b`` per field.

    A word searched in several fields at once is scored by :class:`FieldsScorer` (BM25F):
    its frequencies in the fields are weighted, added up, and only then saturated, so a
    word found in both title and body is not counted as two unrelated words.
    """

    def __init__(
        self,
        *,
        k1: float = BM25_K1,
        b: float = BM25_B,
        field_b: dict[str, float] | None = None,
        field_weights: dict[str, float] | None = None,
    ) -> None:
        self.k1 = k1
        self.b = b
        self.field_b = dict(FIELD_B if field_b is None else field_b)
        self.field_weights = dict(FIELD_WEIGHTS if field_weights is None else field_weights)

    def b_of(self, fieldname: str) -> float:
        """The length normalization of one field."""
        return self.field_b.get(fieldname, self.b)

    def idf(self, searcher, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return _idf(parent.doc_frequency(fieldname, text), parent.doc_count_all())

    def scorer(self, searcher, fieldname: str, text: str, qf: int = 1):
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        # Whoosh's scorer computes k1 and b exactly as BM25 does; only the idf differs,
        # and it asks this model for it. Its quality bounds stay valid upper bounds.
        return scoring.BM25FScorer(searcher, fieldname, text, self.b_of(fieldname), self.k1, qf=qf)

    def fields_scorer(self, searcher, terms: list[tuple[str, str, float]]) -> FieldsScorer:
        """Return the scorer of one word in several fields: ``(field, text, boost)``; a
        field's weight is its FIELD_WEIGHTS entry, else its boost."""
        return FieldsScorer(self, searcher, terms)


class FieldsScorer:
    """Scores a document for one word found in one or more of several fields (BM25F).

    ``tf = sum(weight_f * tf_f / (1 - b_f + b_f * length_f / average_f))`` over the
    fields, then ``idf * tf * (k1 + 1) / (k1 + tf)``, with the idf of the field where
    the word is most common. ``max_score`` bounds every score.
    """

    def __init__(self, model: BM25, searcher, terms: list[tuple[str, str, float]]) -> None:
        parent = searcher.get_parent()
        frequency = max(parent.doc_frequency(field, text) for field, text, _ in terms)
        self.idf = _idf(frequency, parent.doc_count_all())
        self.k1 = model.k1
        self.max_score = self.idf * (model.k1 + 1)
        self._length = searcher.doc_field_length
        self._reader = searcher.reader()
        self._fields = []
        for field, _, boost in terms:
            weight = model.field_weights.get(field, boost)
            b = model.b_of(field) if searcher.schema[field].scorable else 0.0
            average = parent.avg_field_length(field) or 1.0
            self._fields.append((field, weight, b, average))

    def parts(self, docnum: int, frequencies: list[tuple[int, float]]) -> dict[int, float]:
        """Each term's weighted, length-normalized frequency in ``docnum``, given
        ``(index of the term, frequency)`` pairs."""
        parts = {}
        for index, frequency in frequencies:
            field, weight, b, average = self._fields[index]
            norm = 1.0 - b + b * self._length(docnum, field, 0) / average if b else 1.0
            parts[index] = weight * frequency / norm
        return parts

    def term_parts(
        self, index: int, ids: Sequence[int], frequencies: Sequence[float]
    ) -> dict[int, float]:
        """What :meth:`parts` gives term ``index`` in each of ``ids`` (ascending), given
        its frequency in each, by document: the lengths come from the segment's length
        column."""
        field, weight, b, average = self._fields[index]
        if not b:
            return {docnum: weight * f / 1.0 for docnum, f in zip(ids, frequencies)}
        lengths = length_column(self._reader, field)
        if lengths is None or (ids and ids[-1] >= len(lengths)):
            return {d: self.parts(d, [(index, f)])[index] for d, f in zip(ids, frequencies)}
        norms = _norms(b, average)
        # One pass, straight into the dict: a list first, then a dict of it, took a
        # third longer.
        return {
            docnum: weight * frequency / norms[lengths[docnum]]
            for docnum, frequency in zip(ids, frequencies)
        }

    def score_postings(
        self, postings: Sequence[tuple[Sequence[int], Sequence[float]]]
    ) -> dict[int, float]:
        """The scores of every document in the terms' ``postings`` (ids and frequencies,
        in the order of the terms), as :meth:`score` computes them, a term at a time."""
        # A term at a time, each document's parts added in the order of the terms: the
        # same sum as score()'s, to the last bit.
        summed = added_in_order(
            [
                self.term_parts(index, ids, frequencies)
                for index, (ids, frequencies) in enumerate(postings)
            ]
        )
        return self.saturated_all(summed)

    def saturated_all(self, summed: dict[int, float]) -> dict[int, float]:
        """:meth:`_saturated` of each document's summed parts."""
        # _saturated's arithmetic, inline: a call per document took a fifth of the time.
        idf, k1, k1_plus_1 = self.idf, self.k1, self.k1 + 1
        return {docnum: idf * tf * k1_plus_1 / (k1 + tf) for docnum, tf in summed.items()}

    def score(self, docnum: int, frequencies: list[tuple[int, float]]) -> float:
        """The score of ``docnum`` given ``(index of the term, frequency)`` pairs."""
        tf = 0.0
        for part in self.parts(docnum, frequencies).values():
            # Added in order, as score_postings adds them: sum() compensates for
            # rounding from Python 3.12 on, and the two would differ in the last bit.
            tf += part
        return self._saturated(tf)

    def _saturated(self, tf: float) -> float:
        # BM25's saturation of the weighted frequency; score_postings repeats it inline.
        return self.idf * tf * (self.k1 + 1) / (self.k1 + tf)


# In_expC2, the ranking model: divergence from randomness (Amati and van Rijsbergen 2002),
# as Terrier names it. On the seven test collections of bench/relevance.py it gives nDCG@10
# 0.502 and MAP 0.356 where BM25F gave 0.490 and 0.344, and c and the title weight chosen
# on six collections are the same on each seventh. Most of the gain is its "B" factor,
# (F + 1) / n: a word repeated within the articles that hold it (a name, the subject of a
# story) weighs more than one found once in many (a word of a question's framing), which
# Church and Gale called burstiness. "C2" is the length normalization: a word's count in a
# field is multiplied by ln(1 + c * average length / length), so a short text's words
# count for more. c from 1.0 to 1.6 gave 0.498-0.502.
DFR_C = 1.4
# The weight of the title in the sum of the fields' normalized counts (as FIELD_WEIGHTS
# is for BM25F): chosen with c; 2-4 gave the same within 0.002, 6 (BM25F's) 0.003 less.
DFR_FIELD_WEIGHTS: dict[str, float] = {"title": 3.0}


class InExpC2(scoring.WeightingModel):
    """In_expC2 (DFR): idf of the expected document frequency, Bernoulli after-effect,
    length normalization 2 with a natural logarithm; a word searched in several fields
    adds up its fields' weighted, normalized counts before the model is applied (as
    BM25F does), see :class:`DFRFieldsScorer`. ``field_weights`` maps a field to its
    weight in that sum; fields not named there use their query boost.
    """

    def __init__(self, *, c: float = DFR_C, field_weights: dict[str, float] | None = None) -> None:
        self.c = c
        self.field_weights = dict(DFR_FIELD_WEIGHTS if field_weights is None else field_weights)

    def scorer(self, searcher, fieldname: str, text: str, qf: int = 1):
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        # A word of a phrase ("kabul airport"), in one field: the same model, so that a
        # phrase's score and a word's add up on one scale.
        return DFRScorer(self, searcher, fieldname, text)

    def fields_scorer(self, searcher, terms: list[tuple[str, str, float]]) -> DFRFieldsScorer:
        """Return the scorer of one word in several fields: ``(field, text, boost)``."""
        return DFRFieldsScorer(self, searcher, terms)


def _dfr_weight(searcher, terms: list[tuple[str, str]]) -> float:
    """What a word's normalized count is multiplied by (before saturation):
    ``(F + 1) / n * log2((N + 1) / (ne + 0.5))``, with ``n`` its document frequency (of
    the field where it is most common), ``F`` its count in all the fields, and ``ne``
    the number of documents expected to hold it if its F occurrences fell at random."""
    parent = searcher.get_parent()
    count = parent.doc_count_all()
    frequency = max(1, max(parent.doc_frequency(field, text) for field, text in terms))
    total = max(1.0, sum(parent.frequency(field, text) for field, text in terms))
    expected = count * (1.0 - ((count - 1.0) / count) ** total) if count > 1 else 1.0
    return (total + 1.0) / frequency * log2((count + 1.0) / (expected + 0.5))


class DFRScorer(scoring.BaseScorer):
    """In_expC2 for a word in one field (the words of a phrase): the same interface as
    Whoosh's BM25FScorer (``_score(weight, length)``, ``dfl``), which
    search.query.document_scores reads."""

    def __init__(self, model: InExpC2, searcher, fieldname: str, text: str) -> None:
        self.weight = _dfr_weight(searcher, [(fieldname, text)])
        self.c = model.c
        self.average = searcher.get_parent().avg_field_length(fieldname) or 1.0
        self.dfl = lambda docnum: searcher.doc_field_length(docnum, fieldname, 1)

    def _score(self, weight: float, length: float) -> float:
        tfn = weight * log(1.0 + self.c * self.average / (length or 1))
        return self.weight * tfn / (tfn + 1.0)

    def score(self, matcher) -> float:
        return self._score(matcher.weight(), self.dfl(matcher.id()))

    def max_quality(self) -> float:
        return self.weight  # tfn / (tfn + 1) < 1

    def supports_block_quality(self) -> bool:
        return False


class DFRFieldsScorer(FieldsScorer):
    """In_expC2 for one word in one or more fields: ``tfn = sum(weight_f * tf_f *
    ln(1 + c * average_f / length_f))`` over the fields, then ``w * tfn / (tfn + 1)``
    (w from _dfr_weight). ``max_score`` (w) bounds every score."""

    def __init__(self, model: InExpC2, searcher, terms: list[tuple[str, str, float]]) -> None:
        parent = searcher.get_parent()
        self.weight = _dfr_weight(searcher, [(field, text) for field, text, _ in terms])
        self.max_score = self.weight
        self._length = searcher.doc_field_length
        self._reader = searcher.reader()
        self._fields = []
        for field, _, boost in terms:
            weight = model.field_weights.get(field, boost)
            # A field without lengths (not scorable) is not normalized: c 0 marks it.
            c = model.c if searcher.schema[field].scorable else 0.0
            average = parent.avg_field_length(field) or 1.0
            self._fields.append((field, weight, c, average))

    def parts(self, docnum: int, frequencies: list[tuple[int, float]]) -> dict[int, float]:
        parts = {}
        for index, frequency in frequencies:
            field, weight, c, average = self._fields[index]
            norm = log(1.0 + c * average / (self._length(docnum, field, 0) or 1)) if c else 1.0
            parts[index] = weight * frequency * norm
        return parts

    def term_parts(
        self, index: int, ids: Sequence[int], frequencies: Sequence[float]
    ) -> dict[int, float]:
        field, weight, c, average = self._fields[index]
        if not c:
            return {docnum: weight * f * 1.0 for docnum, f in zip(ids, frequencies)}
        lengths = length_column(self._reader, field)
        if lengths is None or (ids and ids[-1] >= len(lengths)):
            return {d: self.parts(d, [(index, f)])[index] for d, f in zip(ids, frequencies)}
        norms = _dfr_norms(c, average)
        return {
            docnum: weight * frequency * norms[lengths[docnum]]
            for docnum, frequency in zip(ids, frequencies)
        }

    def saturated_all(self, summed: dict[int, float]) -> dict[int, float]:
        weight = self.weight
        return {docnum: weight * tfn / (tfn + 1.0) for docnum, tfn in summed.items()}

    def _saturated(self, tf: float) -> float:
        return self.weight * tf / (tf + 1.0)


@lru_cache(maxsize=64)
def _dfr_norms(c: float, average: float) -> tuple[float, ...]:
    """Normalization 2 for every length byte (0: no length, read as 1)."""
    return tuple(log(1.0 + c * average / (length or 1)) for length in (1, *BYTE_LENGTHS[1:]))


def added_in_order(scores: list[dict[int, float]]) -> dict[int, float]:
    """Each document's values in ``scores`` added up in the order of the list, as
    Whoosh's matchers add them (0.0 + a is a).

    Two may be added in either order (a + b is b + a): the larger is copied, in C, and
    the smaller added to it. From three on the order shows in the last bit.
    """
    if len(scores) == 2 and len(scores[1]) > len(scores[0]):
        scores = scores[::-1]
    totals = dict(scores[0]) if scores else {}
    for more in scores[1:]:
        get = totals.get
        for docnum, value in more.items():
            totals[docnum] = get(docnum, 0.0) + value
    return totals


@lru_cache(maxsize=64)
def _norms(b: float, average: float) -> tuple[float, ...]:
    """BM25's length normalization for every length byte (0: no length, never read)."""
    return (1.0, *(1.0 - b + b * length / average for length in BYTE_LENGTHS[1:]))


def term_scores(
    scorer: DFRScorer, reader, fieldname: str, ids: Sequence[int], weights
) -> dict[int, float] | None:
    """The scores ``scorer`` gives each posting of a term in one field (ids ascending), a
    posting list at a time from the segment's length column; None when the lengths are
    not in memory. The scorer's arithmetic in its order (``_score``): the same scores to
    the last bit, in a third of the time of a call per posting."""
    lengths = length_column(reader, fieldname)
    if lengths is None or (ids and ids[-1] >= len(lengths)):
        return None
    norms, weight = _dfr_norms(scorer.c, scorer.average), scorer.weight
    return {d: weight * (n := f * norms[lengths[d]]) / (n + 1.0) for d, f in zip(ids, weights)}


def make_weighting(**parameters: Any) -> InExpC2:
    """Return the weighting the searcher ranks with; ``parameters`` (``c``,
    ``field_weights``) override In_expC2's."""
    return InExpC2(**parameters)


def live_count(reader, fieldname: str, text: str) -> int:
    """Count the live documents holding a term: a term list keeps the terms of deleted
    documents until their segment is merged."""
    if (fieldname, text) not in reader:
        return 0
    return sum(1 for _ in reader.postings(fieldname, text).all_ids())


def live_terms(reader, fieldname: str) -> set[str]:
    """The terms of ``fieldname`` that at least one live document holds."""
    terms = (term.decode("utf-8") for term in reader.lexicon(fieldname))
    if not reader.has_deletions():
        return set(terms)
    return {term for term in terms if live_count(reader, fieldname, term)}


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
        SPELL_FIELD: "\n".join(getattr(article, name) for name in SPELL_SOURCES),
    }
    if article.date is not None:
        doc["date"] = article.date
    # Whoosh rejects empty strings for some field types; absent means "no value".
    return {key: value for key, value in doc.items() if value not in ("", [])}


def stored_id(stored: dict[str, Any]) -> str:
    """The article id in a document's stored fields; DamagedDocument if there is none
    (every article is indexed with an id)."""
    if not isinstance(stored, dict) or not isinstance(stored.get("id"), str) or not stored["id"]:
        raise DamagedDocument("a stored document has no id")
    return stored["id"]


def article_from_stored(stored: dict[str, Any]) -> Article:
    """Rebuild an :class:`Article` from a document's stored fields."""
    article_id = stored_id(stored)
    date = stored.get("date")
    return Article(
        id=article_id,
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
