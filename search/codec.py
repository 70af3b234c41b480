"""The index's file format: Whoosh's W3 codec with its inlining of short posting lists
working.

Whoosh 2.7.4 means to keep the postings of a rare word inside the word's entry in the
term table instead of in a block of the postings file, but calls a method that does not
exist (``set_inline``), so the feature is dead behind a default that never reaches it.
Most words of a news archive occur in one article (34,068 of 55,776 terms in 3,000
Reuters stories), and each of them paid for a block of its own: a header, a pickle and
a zlib stream for one posting. Inlined, the index is 10% smaller.

:func:`lengths_in_memory` answers a segment's field lengths from memory, and
:func:`sort_postings_in_chunks` makes a writer spill its postings to disk in chunks.

The codec is pickled into the index's table of contents with each segment, so this
module's path and class names must not change.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3PerDocReader,
    W3PostingsWriter,
    W3TermInfo,
)
from whoosh.matching import ListMatcher
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool

__all__ = [
    "BYTE_LENGTHS",
    "Codec",
    "length_column",
    "lengths_in_memory",
    "sort_postings_in_chunks",
]

# Posting lists shorter than this are kept in the term table.
INLINE_BELOW = 2
# Postings a writer pickles together when it spills them to disk.
SPILL_CHUNK = 4096


class Codec(W3Codec):
    """Whoosh's W3 codec, inlining the posting lists of words found in one document."""

    def __init__(self) -> None:
        super().__init__(inlinelimit=INLINE_BELOW)

    def postings_writer(self, dbfile, byteids: bool = False) -> _PostingsWriter:
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if not terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        ids, weights, values = terminfo.inlined_postings()
        return _InlinedMatcher(
            list(ids), weights, values, format_, scorer=scorer, term=term, terminfo=terminfo
        )


class _PostingsWriter(W3PostingsWriter):
    def finish_postings(self) -> W3TermInfo:
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo = self._terminfo
        terminfo.add_block(self)
        terminfo.set_inlined(self._ids, self._weights, self._values)
        self._terminfo = None
        return terminfo


class _InlinedMatcher(ListMatcher):
    def value(self) -> bytes:
        # A format without values (word existence) keeps none; Whoosh's list matcher
        # then answers "", which a merge of segments rejects: it copies values as bytes.
        return super().value() or b""


def lengths_in_memory(perdoc):
    """``perdoc`` (a segment's per-document reader) answering field lengths from memory.

    BM25 asks for a document's field length at every match, and a commit once per
    posting; Whoosh 2.7.4 answers each ask with a seek and a read of one byte of the
    column file (or, for a field without lengths, a look for the file). Here each
    column is read whole the first time its field is asked for: one byte a document,
    decoded through a table of the 256 lengths a byte can stand for.
    """
    if isinstance(perdoc, W3PerDocReader) and "doc_field_length" not in vars(perdoc):
        perdoc.doc_field_length = _FieldLengths(perdoc)
    return perdoc


def length_column(reader, fieldname: str) -> bytes | None:
    """The length bytes of ``fieldname`` in a segment's ``reader``, one a document
    (:data:`BYTE_LENGTHS` decodes them), for scoring a posting list at a time; None
    when the reader does not hold them in memory or the field keeps no lengths."""
    lengths = getattr(getattr(reader, "_perdoc", None), "doc_field_length", None)
    return lengths.column(fieldname) if isinstance(lengths, _FieldLengths) else None


# What a length byte stands for; 0 means "no length", which Whoosh answers with None.
BYTE_LENGTHS = (None, *(byte_to_length(b) for b in range(1, 256)))
_UNREAD = object()


class _FieldLengths:
    def __init__(self, perdoc: W3PerDocReader) -> None:
        self._read = type(perdoc).doc_field_length.__get__(perdoc)
        self._perdoc = perdoc
        self._columns: dict[str, object] = {}

    def __call__(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        column = self.column(fieldname)
        if column is None:
            return default
        if docnum >= len(column):
            return self._read(docnum, fieldname, default)
        return BYTE_LENGTHS[column[docnum]]

    def column(self, fieldname: str) -> bytes | None:
        column = self._columns.get(fieldname, _UNREAD)
        if column is _UNREAD:
            column = self._columns[fieldname] = self._load(fieldname)
        return column

    def _load(self, fieldname: str) -> bytes | None:
        reader = self._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if reader is None:
            return None
        return reader._dbfile.get(reader._basepos, reader._count)


def sort_postings_in_chunks(writer) -> None:
    """Make ``writer`` (a fresh segment writer) spill its postings to disk in chunks.

    A commit sorts every posting it writes. Past its memory limit, Whoosh 2.7.4 writes
    the sorted runs to disk one pickle per posting and reads them back the same way,
    about 6 us a posting; a pickle of 4,096 postings costs under 1 us a posting, and
    memory stays bounded by the limit. 8,000 Reuters stories took 25.8 s to index, 18.2 s
    with this.
    """
    pool = writer.pool
    writer.pool = _ChunkedPool(pool.tempstore, pool.segment, limitmb=pool.limit // (1024 * 1024))


def _posting_order(posting: tuple) -> bytes:
    # A posting is (field, term, document, weight, value). Documents are numbered in
    # the order their postings arrive, so a stable sort on field and term is the order
    # Whoosh sorts the whole tuples in, twice as fast.
    return posting[0].encode() + b"\0" + posting[1]


class _ChunkedPool(PostingPool):
    def save(self) -> None:
        if self.current:
            self.current.sort(key=_posting_order)
            path, f = self._new_run()
            self._write_run(f, self.current)
            self._add_run(path)
            self.current = []
        self.currentsize = 0

    def items(self, maxfiles: int = 128):
        if not self.runs:
            return sorted(self.current, key=_posting_order)
        return super().items(maxfiles)

    def _write_run(self, f, items: Iterable) -> None:
        chunk = []
        for item in items:
            chunk.append(item)
            if len(chunk) == SPILL_CHUNK:
                pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
                chunk = []
        if chunk:
            pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path: str) -> Iterator:
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = pickle.load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)
