"""Did you mean: respell the rare words of a query with words the index holds.

Suggestions come from the unstemmed ``spell`` field, so they are real words ("taliban"),
never stems ("taliban" -> "taliban", but "capitals" never becomes "capit"). That field
holds a word for at most a few articles of each batch written (SPELL_ARTICLES in
search.schema): enough to tell a word found once from a common one. Among common words,
the one whose stem the most article bodies hold comes first.
"""

from __future__ import annotations

import re

from whoosh.reading import IndexReader

from search.analysis import text_analyzer
from search.schema import SPELL_FIELD

__all__ = ["SUGGEST_BELOW", "respell"]

# A query with fewer matches than this gets a spelling suggestion, if one finds more.
SUGGEST_BELOW = 3
# A word found in fewer articles than this is worth respelling.
RARE_BELOW = 2
# A word of the spell field (titles and bodies) is respelled only to one this many times
# as common in article bodies: in a small archive "taliban", found once, is not "taiwan"
# (found twice), while a typo an article holds gives way to a word hundreds of articles
# hold. A word found only in summaries, tags or names counts as absent.
KNOWN_WORD_FACTOR = 10

# Words of three letters or more that are not a field name ("title:") and not part of
# a date or number.
_WORD = re.compile(r"(?<![\w'])[^\W\d_]{3,}(?![\w':])")
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# What stands right before a word the query leaves out: "-kabul", "NOT kabul".
_NEGATED = re.compile(r"(?:-|\bNOT\s+)$")
# How far before a word to look for it: a query may be long, and each word looks.
_NEGATION_CHARS = 16
_FOLD = text_analyzer(stem=False)
_STEM = text_analyzer()


def respell(text: str, reader) -> str | None:
    """Return ``text`` with each rare word replaced by the closest common word in the
    index, or None when no word changed. Case, operators and syntax are kept, and so are
    the words the query leaves out ("-kabul", "NOT kabul")."""
    changed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group()
        start = match.start()
        if _NEGATED.search(text[max(0, start - _NEGATION_CHARS) : start]):
            return word  # a word left out: respelling it would leave out another
        better = _better_word(word, reader)
        if better is None:
            return word
        changed = True
        return better.upper() if word.isupper() else better

    respelled = _WORD.sub(replace, text)
    return respelled if changed else None


def _better_word(word: str, reader) -> str | None:
    if word in _OPERATORS:
        return None
    folded = [token.text for token in _FOLD(word)]
    if len(folded) != 1:
        return None  # a stop word, or a word the analyzer splits
    rarity = _frequency(reader, folded[0])
    if rarity >= RARE_BELOW:
        return None
    # The nearest words first, then the most common. Not Whoosh's Corrector: in 2.7.4
    # it scores every candidate by the largest distance allowed, so only frequency counts.
    for distance in (1, 2):
        # The base class's scan, not a segment's automaton: in Whoosh 2.7.4 a one-segment
        # index counts a swap of two letters as two edits ("oli" missed "oil") where an
        # index of several segments counts one (test_a_swap_is_one_edit_in_one_segment).
        near = IndexReader.terms_within(reader, SPELL_FIELD, folded[0], distance, prefix=1)
        common = [(w, _frequency(reader, w)) for w in near if w != folded[0]]
        common = [(w, f, _body_frequency(reader, w)) for w, f in common if f > rarity]
        if rarity:
            least = KNOWN_WORD_FACTOR * max(1, _body_frequency(reader, folded[0]))
            common = [found for found in common if found[2] >= least]
        if common:
            return max(common, key=lambda found: (found[1], found[2], found[0]))[0]
    return None


def _frequency(reader, word: str) -> int:
    return reader.doc_frequency(SPELL_FIELD, word)


def _body_frequency(reader, word: str) -> int:
    stems = [token.text for token in _STEM(word)]
    return reader.doc_frequency("body", stems[0]) if len(stems) == 1 else 0
