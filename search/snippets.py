"""Snippets: the stretch of an article that best shows why it matched.

Words are compared after the same analysis the index applied (lower case, accents
folded, stemmed), so "capitals" in a query marks "capital" in the text.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from whoosh.support.charset import accent_map

from search.analysis import TOKEN_PATTERN, text_analyzer

__all__ = ["make_snippet"]

SNIPPET_CHARS = 240

# After a word's first character, the lookbehinds that make it a word's start under
# TOKEN_PATTERN: no word character before it, nor one and a joining mark (the "S" of
# "U.S" is inside the word). Then the rest of TOKEN_PATTERN ("\w+..." is "\w\w*...").
_STARTED_WORD = r"(?<!\w.)(?<!\w['\u2019.].)\w*" + TOKEN_PATTERN.removeprefix(r"\w+")
_SPACE = re.compile(r"\s+")
_ANALYZER = text_analyzer()


@lru_cache(maxsize=65536)
def _analyzed(word: str) -> tuple[str, ...]:
    # Cached: the same words recur across a page of hits and across queries.
    return tuple(token.text for token in _ANALYZER(word))


def _matches(text: str, terms: Collection[str]) -> list[tuple[int, int, str]]:
    """Every word of ``text`` whose analyzed form is a query term, as (start, end, term)."""
    found = []
    for match in _candidates(frozenset(term[:1] for term in terms)).finditer(text):
        for form in _analyzed(match.group()):
            if form in terms:
                found.append((match.start(), match.end(), form))
                break
    return found


# The first letter of each accented or special letter once lower-cased and folded, as
# the analyzer folds it ("É" -> "e", "ß" -> "s").
_FOLDED_FIRST = {chr(code): chr(code).lower().translate(accent_map)[:1] for code in accent_map}


@lru_cache(maxsize=256)
def _candidates(firsts: frozenset[str]) -> re.Pattern[str]:
    """A pattern finding the words of a text (as TOKEN_PATTERN finds them) that can
    analyze to a term starting with one of ``firsts``: the analyzer lower-cases and
    folds accents, and the stemmer keeps a word's first letter. Only those words are
    analyzed; analyzing every word took half of a snippet's time.

    The letters are matched ignoring case, and the accented letters that fold to them
    are added (tests/test_experience.py checks every letter Python knows). The pattern
    starts with them, the check that a word starts there after: the scan then jumps
    from letter to letter, twice as fast as checking every place first."""
    letters = set(firsts) | {char for char, first in _FOLDED_FIRST.items() if first in firsts}
    allowed = "".join(sorted(re.escape(char) for char in letters if _WORD_CHAR.match(char)))
    if not allowed:  # no term, or only an empty one
        return _NOTHING
    return re.compile(rf"[{allowed}]{_STARTED_WORD}", re.IGNORECASE)


_WORD_CHAR = re.compile(r"\w")
_NOTHING = re.compile(r"(?!)")


def _best_window(matches: list[tuple[int, int, str]], width: int) -> tuple[int, int]:
    """The [first, last] match indexes of the window of ``width`` characters holding the
    most distinct terms (the earliest such window on ties)."""
    best, best_count, first = (0, 0), 0, 0
    for last in range(len(matches)):
        while matches[last][1] - matches[first][0] > width:
            first += 1
        count = len({term for _, _, term in matches[first : last + 1]})
        if count > best_count:
            best, best_count = (first, last), count
    return best


def _widen(text: str, start: int, end: int, width: int) -> tuple[int, int]:
    """Grow [start, end) to about ``width`` characters, centred, cut at white space."""
    spare = max(0, width - (end - start))
    start = max(0, start - spare // 3)
    end = min(len(text), max(end, start + width))
    if start > 0:
        space = text.find(" ", start, end)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return start, end


def make_snippet(
    text: str, terms: Collection[str], *, width: int = SNIPPET_CHARS
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Return the best one or two fragments of ``text`` for the analyzed query ``terms``.

    The first fragment holds the most distinct query words; a second, shorter one is
    added when the first misses words found elsewhere. Returns the fragments (white
    space folded, "…" where the text was cut) and the (start, end) spans of matched
    words inside them. Without a match, the snippet is the start of the text and the
    spans are empty.
    """
    matches = _matches(text, terms) if terms else []
    if not matches:
        return _render(text, [_widen(text, 0, 0, width)], [])
    windows = [_window(text, matches, width)]
    seen = {term for start, end, term in matches if _inside(start, end, windows)}
    rest = [match for match in matches if match[2] not in seen]
    if rest:
        second = _window(text, rest, width // 2)
        if second[0] >= windows[0][1] or second[1] <= windows[0][0]:
            windows = sorted([windows[0], second])
    return _render(text, windows, [m for m in matches if _inside(m[0], m[1], windows)])


def _window(text: str, matches: list[tuple[int, int, str]], width: int) -> tuple[int, int]:
    first, last = _best_window(matches, width)
    return _widen(text, matches[first][0], matches[last][1], width)


def _inside(start: int, end: int, windows: list[tuple[int, int]]) -> bool:
    return any(low <= start and end <= high for low, high in windows)


def _render(
    text: str, windows: list[tuple[int, int]], matches: list[tuple[int, int, str]]
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Cut the windows out of ``text`` with white space folded, moving the spans along."""
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0

    def add(piece: str) -> None:
        nonlocal length
        pieces.append(piece)
        length += len(piece)

    for number, (start, end) in enumerate(windows):
        if start > 0:
            add(" … " if number else "… ")
        cursor = start
        for match_start, match_end, _ in matches:
            if start <= match_start and match_end <= end:
                add(_SPACE.sub(" ", text[cursor:match_start]))
                spans.append((length, length + match_end - match_start))
                add(text[match_start:match_end])
                cursor = match_end
        add(_SPACE.sub(" ", text[cursor:end]).rstrip())
    if windows[-1][1] < len(text):
        add(" …")
    return "".join(pieces), tuple(spans)
