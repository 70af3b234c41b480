"""Did you mean: respell the rare words of a query with words the index holds.

Suggestions come from the unstemmed ``spell`` field, so they are real words ("taliban"),
never stems ("taliban" -> "taliban", but "capitals" never becomes "capit"). That field
holds a word for at most a few articles of each batch written (SPELL_ARTICLES in
search.schema): enough to tell a word found once from a common one. Among common words,
the one whose stem the most article bodies hold comes first.
"""

from __future__ import annotations

import re

from whoosh.support.levenshtein import distance

from search.analysis import text_analyzer
from search.schema import SPELL_FIELD

__all__ = ["EDIT_COST", "SUGGEST_BELOW", "respellings"]

# A query with fewer matches than this gets a spelling suggestion, if one finds more.
SUGGEST_BELOW = 3
# A word found in fewer articles than this is worth respelling.
RARE_BELOW = 2
# Candidates weighed for a rare word, at each distance (one edit, two edits).
CANDIDATES = 2
# What one more edit costs a respelling: it must find this many times as many articles
# as a respelling with one edit less ("tony blair", two edits from "tony blare", found in
# hundreds of BBC articles, against "tony blame", one edit, in a few).
EDIT_COST = 20
# A word of the spell field (titles and bodies) is respelled only to one this many times
# as common in article bodies: in a small archive "taliban", found once, is not "taiwan"
# (found twice), while a typo an article holds gives way to a word hundreds of articles
# hold. A word found only in summaries, tags or names counts as absent.
KNOWN_WORD_FACTOR = 10

# A text of more words than this is not respelled (a did-you-mean is for a few typed
# words; each respelling is parsed and searched): 400 copies of a word the index lacks
# took 17.5 CPU seconds, 200 took 7.
MAX_WORDS = 32
# Distinct rare words respelled in one text, at most (the first ones): each other
# candidate of each is one more respelling to search.
MAX_RARE_WORDS = 8

# Words of three letters or more that are not a field name ("title:"), not part of a
# date or number, and not a fuzzy or wildcard word ("talibn~", "talib*", "*ban"): those
# ask for other spellings themselves.
_WORD = re.compile(r"(?<![\w'*])[^\W\d_]{3,}(?![\w':~*])")
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# What stands right before a word the query leaves out: "-kabul", "NOT kabul".
_NEGATED = re.compile(r"(?:-|\bNOT\s+)$")
# How far before a word to look for it: a query may be long, and each word looks.
_NEGATION_CHARS = 16
_FOLD = text_analyzer(stem=False)
_STEM = text_analyzer()


def respellings(text: str, reader) -> list[tuple[str, int]]:
    """Respellings of ``text`` to weigh against each other, each with its number of
    edits: first each rare word replaced by its first candidate (the most common word
    one edit away, else two), then each rare word in turn given each of its other
    candidates. A word typed more than once is respelled alike everywhere; only the
    first MAX_RARE_WORDS rare words are respelled, and a text of more than MAX_WORDS
    words not at all. Case, operators and syntax are kept, and so are the words the
    query leaves out ("-kabul", "NOT kabul"). Empty when no word is rare."""
    matches = list(_WORD.finditer(text))
    if len(matches) > MAX_WORDS:
        return []
    judged: dict[str, list[tuple[str, int]]] = {}  # each word's candidates ([]: not rare)
    places: dict[str, list[tuple[int, int]]] = {}  # each rare word's (start, end) in text
    for match in matches:
        start, word = match.start(), match.group()
        if _NEGATED.search(text[max(0, start - _NEGATION_CHARS) : start]):
            continue  # a word left out: respelling it would leave out another
        if word not in judged:
            judged[word] = _candidates(word, reader) if len(places) < MAX_RARE_WORDS else []
        if judged[word]:
            places.setdefault(word, []).append((start, match.end()))
    rare = list(places)
    first = [judged[word][0] for word in rare]
    choices = [first] if rare else []
    for index, word in enumerate(rare):
        choices.extend([*first[:index], other, *first[index + 1 :]] for other in judged[word][1:])
    return [
        (
            _spelled(text, places, [word for word, _ in chosen]),
            sum(edits * len(places[typed]) for typed, (_, edits) in zip(rare, chosen)),
        )
        for chosen in choices
    ]


def _spelled(text: str, places: dict[str, list[tuple[int, int]]], words: list[str]) -> str:
    """``text`` with each rare word (``places``' keys) replaced wherever it stands by the
    word chosen for it (``words``, in the same order), in its case."""
    spots = sorted(
        (start, end, typed, word)
        for (typed, found), word in zip(places.items(), words, strict=True)
        for start, end in found
    )
    parts, at = [], 0
    for start, end, typed, word in spots:
        parts += [text[at:start], word.upper() if typed.isupper() else word]
        at = end
    return "".join([*parts, text[at:]])


def _candidates(word: str, reader) -> list[tuple[str, int]]:
    """The words ``word`` may be respelled to, with their edits: at most CANDIDATES one
    edit away, the most common first, then as many two edits away; none for a word
    common enough."""
    if word in _OPERATORS:
        return []
    folded = [token.text for token in _FOLD(word)]
    if len(folded) != 1:
        return []  # a stop word, or a word the analyzer splits
    rarity = _frequency(reader, folded[0])
    if rarity >= RARE_BELOW:
        return []
    least = KNOWN_WORD_FACTOR * max(1, _body_frequency(reader, folded[0])) if rarity else 0
    near = _near(reader, folded[0])  # each word with its edits
    common = [(w, _frequency(reader, w)) for w in near if w != folded[0]]
    common = [(w, f, _body_frequency(reader, w)) for w, f in common if f > rarity]
    common = [entry for entry in common if entry[2] >= least]
    # The nearest words first, then the most common.
    common.sort(key=lambda entry: (entry[1], entry[2], entry[0]), reverse=True)
    edits = [(w, near[w]) for w, _, _ in common]
    return [
        *[found for found in edits if found[1] == 1][:CANDIDATES],
        *[found for found in edits if found[1] == 2][:CANDIDATES],
    ]


def _near(reader, word: str) -> dict[str, int]:
    """The spell field's words within two edits of ``word`` that begin with its letter,
    each with its edits (Whoosh's Damerau-Levenshtein distance, which stops measuring
    only past the limit).

    Not Whoosh's Corrector: in 2.7.4 it scores every candidate by the largest distance
    allowed, so only frequency counts. A scan of the words, as the base IndexReader's
    terms_within makes, not a segment's automaton: in Whoosh 2.7.4 a one-segment index
    counts a swap of two letters as two edits ("oli" missed "oil") where an index of
    several segments counts one (test_a_swap_is_one_edit_in_one_segment). One scan
    finds both distances. Unlike terms_within, it measures only the words whose length
    is within two of ``word``'s (no other can be): the measure takes time growing with
    both lengths, and a typed word of 6,000 letters took 1.9 s against 131 words.
    """
    field = reader.schema[SPELL_FIELD]
    found = {}
    for text in reader.expand_prefix(SPELL_FIELD, word[:1]):
        other = field.from_bytes(text)
        if abs(len(other) - len(word)) <= 2:
            edits = distance(other, word, limit=2)
            if edits <= 2:
                found[other] = edits
    return found


def _frequency(reader, word: str) -> int:
    return reader.doc_frequency(SPELL_FIELD, word)


def _body_frequency(reader, word: str) -> int:
    stems = [token.text for token in _STEM(word)]
    return reader.doc_frequency("body", stems[0]) if len(stems) == 1 else 0
