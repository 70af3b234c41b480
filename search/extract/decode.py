"""Bytes -> text: byte-order marks, declared charsets, UTF-8, then a guess.

Readers get ``str``, never bytes: given bytes with a few invalid UTF-8 sequences,
trafilatura garbles every accented character on the page (see notes/extraction.md).
Undecodable bytes are replaced, so one bad byte never loses a file.
"""

from __future__ import annotations

import codecs
import itertools
import re

from search.extract.common import BadInput

__all__ = ["decode"]

_BOMS = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
# Browsers read these labels as windows-1252 (WHATWG Encoding Standard), and so do pages.
_AS_CP1252 = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "ascii", "us-ascii"})
_SNIFF_BYTES = 4096
# Control characters (Unicode's category Cc) other than white space: in text, few or none.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Binary formats hold NUL bytes throughout (compressed data: about one byte in 256); a saved
# page can carry a few stray ones, which are dropped.
_MAX_NUL_SHARE = 0.001
_GUESS_BYTES = 65536


def decode(data: bytes, *, markup: bool = False) -> str:
    """Return ``data`` as text, choosing the encoding from a BOM, then (when ``markup``) a
    ``<meta charset>`` in the first 4 KB, then strict UTF-8, then a statistical guess. NUL
    characters are dropped.

    Raises :class:`BadInput` ("binary file, not text") for data that is not text: NUL in
    more than one byte in 1,000, control characters in over 5% of the first 4 KB, or
    undecodable bytes in over 30% of it.
    """
    encoding = _bom_encoding(data) or _utf16_without_bom(data)
    if encoding is None:
        if data.count(0) > len(data) * _MAX_NUL_SHARE:
            raise BadInput("binary file, not text")
        encoding = _choose_encoding(data, markup)
    text = data.decode(encoding, errors="replace").lstrip("\ufeff")
    if _looks_binary(text):
        raise BadInput("binary file, not text")
    return text.replace("\x00", "")


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    # ASCII-range text in UTF-16 has a NUL in every other byte: odd positions for little-endian.
    sample = data[:_SNIFF_BYTES]
    half = len(sample) // 2
    if half < 2:
        return None
    even_nuls = sample[0::2].count(0) / half
    odd_nuls = sample[1::2].count(0) / half
    if odd_nuls > 0.4 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.4 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _choose_encoding(data: bytes, markup: bool) -> str:
    declared = _declared_charset(data) if markup else None
    if declared and declared != "utf-8" and _is_utf8_with_non_ascii(data):
        # A page that declares latin-1 but is valid UTF-8 with multi-byte sequences was
        # saved as UTF-8 by a tool that kept the old <meta>: the bytes are the better witness.
        return "utf-8"
    if declared == "utf-8" and not _is_utf8(data):
        # And the other way: a template's UTF-8 <meta> over text saved as cp1252. The
        # guess keeps UTF-8 with a few broken bytes (more good characters than bad).
        return _guess(data)
    if declared:
        return declared
    if _is_utf8(data):
        return "utf-8"
    return _guess(data)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:_SNIFF_BYTES])
    if not match:
        return None
    label = match.group(1).decode("ascii").lower()
    if label in _AS_CP1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_utf8_with_non_ascii(data: bytes) -> bool:
    return not data.isascii() and _is_utf8(data)


def _guess(data: bytes) -> str:
    sample = data[:_GUESS_BYTES]
    if _mostly_utf8(sample):
        return "utf-8"
    if _plausible_western(sample.decode("cp1252", errors="replace")):
        return "cp1252"
    # Imported here: only files that are neither UTF-8 nor Western need the detector.
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    encoding = best.encoding if best is not None else None
    # The detector's UTF-16/32 guesses on short text are wrong; NUL sniffing did those.
    if not encoding or encoding.startswith(("utf_16", "utf_32")):
        return "cp1252"
    return encoding


def _mostly_utf8(sample: bytes) -> bool:
    # UTF-8 with a few broken bytes (a truncated copy, one pasted latin-1 character): more
    # good multi-byte characters than bad bytes means UTF-8, with the bad bytes replaced.
    text = sample.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ch > "\x7f") - bad
    return good > 0 and good >= bad


def _plausible_western(text: str) -> bool:
    # Accented letters in Western text stand alone between ASCII letters ("Zürich"); text in
    # another single-byte script read as cp1252 gives runs of them ("Ïðèâåò"), which a
    # statistical detector then handles. Short samples fool the detector, so ask it last.
    non_ascii = [i for i, ch in enumerate(text) if ch > "\x7f"]
    if not non_ascii:
        return True
    runs = sum(1 for a, b in itertools.pairwise(non_ascii) if b == a + 1)
    odd = sum(1 for i in non_ascii if not (text[i].isalpha() or text[i] in _WESTERN_MARKS))
    return runs <= len(non_ascii) * 0.3 and odd <= len(non_ascii) * 0.1


_WESTERN_MARKS = frozenset(
    "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u20ac\u00a3\u00a9\u00b0\u00ab\u00bb\u00a7\u00bd\u00b7\u00a0\u2022\u00ae\u2122"
)


def _looks_binary(text: str) -> bool:
    sample = text[:_SNIFF_BYTES]
    if not sample:
        return False
    control = len(_CONTROL.findall(sample))
    replaced = sample.count("\ufffd")
    return control > len(sample) * 0.05 or replaced > len(sample) * 0.3
