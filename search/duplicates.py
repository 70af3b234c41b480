"""Syndicated copies: fingerprints of article text, and which articles are copies.

The same wire story runs at many outlets with small edits. Each article gets a
fingerprint when it is indexed: one-permutation MinHash over its word 3-shingles, one
minimum per bin. The share of bins two fingerprints agree on estimates the Jaccard
similarity of their shingle sets; above :data:`COPY_SIMILARITY` they are copies.
One hash per shingle keeps this cheap enough for indexing (well under a millisecond
for a typical article).
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

__all__ = ["COPY_SIMILARITY", "are_copies", "fingerprint", "group_copies", "similarity"]

BINS = 16
SHINGLE_WORDS = 3
# Measured with bench/duplicates.py (docs/benchmarks.md): edited copies of one story
# score well above this (median 0.88), different stories on one subject far below
# (median 0.00); 0.5 keeps shortened copies (recall 0.88) with no false positive.
COPY_SIMILARITY = 0.5
# Texts shorter than this many shingles are too short to call copies by fingerprint.
MIN_SHINGLES = 8

_WORD = re.compile(r"\w+")
# For ASCII text, \w+'s words are what is left between the other characters made spaces:
# bytes.translate and bytes.split find them in half the time of the regular expression.
_ASCII_BYTE_WORDS = bytes(i if i > 127 or re.fullmatch(_WORD, chr(i)) else 32 for i in range(256))
_EMPTY = "-" * 8


def fingerprint(text: str) -> str:
    """Return the fingerprint of ``text``: :data:`BINS` hex minima, empty if too short."""
    shingles = _shingles(text.lower())
    if len(shingles) < MIN_SHINGLES:
        return ""
    minima = [None] * BINS
    for value in map(zlib.crc32, shingles):
        slot = value % BINS
        if minima[slot] is None or value < minima[slot]:
            minima[slot] = value
    return "".join(_EMPTY if m is None else f"{m:08x}" for m in minima)


def _shingles(text: str) -> set[bytes]:
    """The shingles of ``text``'s \\w+ words, UTF-8 encoded, each made in C: a loop
    over them took twice as long. ASCII text is split as bytes, its shingles made
    encoded: encoding each took a fifth of the time of fingerprinting Reuters."""
    if text.isascii():
        words = text.encode().translate(_ASCII_BYTE_WORDS).split()
        return set(map(b" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)))))
    words = _WORD.findall(text)
    return set(map(str.encode, map(" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS))))))


def similarity(first: str, second: str) -> float:
    """Estimate the Jaccard similarity of two texts from their fingerprints (0 to 1)."""
    if not first or not second:
        return 0.0
    # Bins empty in both texts say nothing; a bin filled in one text only is a miss.
    agree = [a == b for a, b in zip(_bins(first), _bins(second)) if a != _EMPTY or b != _EMPTY]
    return sum(agree) / len(agree) if agree else 0.0


@lru_cache(maxsize=4096)
def _bins(fingerprint: str) -> tuple[str, ...]:
    # Cached: a page of results compares each article with several others, and the
    # articles of popular queries recur.
    return tuple(fingerprint[i : i + 8] for i in range(0, len(fingerprint), 8))


@lru_cache(maxsize=4096)
def _filled_bins(fingerprint: str) -> tuple[tuple[str, ...], tuple[int, int]]:
    # Each filled bin as one string, its place and its minimum ("3:0a1b2c3d"), and the
    # places filled as bits with the number of bins: built once per fingerprint, and
    # quick to look up.
    bins = _bins(fingerprint)
    filled = tuple(f"{i}:{value}" for i, value in enumerate(bins) if value != _EMPTY)
    return filled, (sum(1 << i for i, value in enumerate(bins) if value != _EMPTY), len(bins))


def are_copies(first: tuple[str, str], second: tuple[str, str]) -> bool:
    """True when two articles, given as (content hash, fingerprint), are copies: the
    same text, or near-identical text."""
    if first[0] and first[0] == second[0]:
        return True
    return similarity(first[1], second[1]) >= COPY_SIMILARITY


def group_copies(keys: list[tuple[str, str]]) -> list[list[int]]:
    """Group articles given in rank order as (content hash, fingerprint).

    Returns lists of positions in ``keys``: each list starts with the best-ranked
    article of a story, followed by its copies. An article joins the first group whose
    leading article it copies.
    """
    groups: list[list[int]] = []
    by_hash: dict[str, int] = {}
    # The groups whose leading article has each filled bin (its place and minimum): a
    # copy agrees with its leader on half its bins, so only leaders that share one can
    # be its story. Most articles share none, and are compared with no leader at all.
    by_bin: dict[str, tuple[int, ...]] = {}
    places: list[tuple[int, int]] = []  # the filled places of each group's leader
    for position, key in enumerate(keys):
        number = by_hash.get(key[0]) if key[0] else None
        filled, filled_places = _filled_bins(key[1])
        # Checked at once: whether any leader has one of these bins.
        alone = by_bin.keys().isdisjoint(filled)
        if number is None and not alone:
            number = _first_copied(filled, filled_places, by_bin, places)
        if number is None:
            groups.append([position])
            places.append(filled_places)
            number = len(groups) - 1
            if alone:
                by_bin.update(dict.fromkeys(filled, (number,)))
            else:
                for bin_ in filled:
                    by_bin[bin_] = (*by_bin.get(bin_, ()), number)
        else:
            groups[number].append(position)
        if key[0]:
            by_hash.setdefault(key[0], number)
    return groups


def _first_copied(
    filled: tuple[str, ...],
    filled_places: tuple[int, int],
    by_bin: dict[str, tuple[int, ...]],
    places: list[tuple[int, int]],
) -> int | None:
    """The first group whose leading article this one copies by :func:`similarity`:
    the bins they share over the places either fills (of the bins both have), counted
    without comparing fingerprints bin by bin (a page of results compares each article
    with many)."""
    shared: dict[int, int] = {}
    for bin_ in filled:
        for number in by_bin.get(bin_, ()):
            shared[number] = shared.get(number, 0) + 1
    mine, my_bins = filled_places
    for number in sorted(shared):
        theirs, their_bins = places[number]
        both = (1 << min(my_bins, their_bins)) - 1
        if shared[number] / ((mine | theirs) & both).bit_count() >= COPY_SIMILARITY:
            return number
    return None
