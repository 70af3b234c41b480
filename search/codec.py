"""The index's file format: Whoosh's W3 codec with its inlining of short posting lists
working.

Whoosh 2.7.4 means to keep the postings of a rare word inside the word's entry in the
term table instead of in a block of the postings file, but calls a method that does not
exist (``set_inline``), so the feature is dead behind a default that never reaches it.
Most words of a news archive occur in one article (34,068 of 55,776 terms in 3,000
Reuters stories), and each of them paid for a block of its own: a header, a pickle and
a zlib stream for one posting. Inlined, the index is 10% smaller. Words of two or three
articles are inlined too (43,000 of the 157,000 words of Reuters-21578, most of them in
the spell field, which keeps three articles a word): writing a block took several
times as long as an entry.

A block of postings keeps its ids and weights apart from its values (the positions of
the word): scoring reads the first part only, and a phrase reads the second only for
the blocks it needs. Segments written before blocks were split are read as Whoosh wrote
them.

:func:`lengths_in_memory` answers a segment's field lengths from memory, and the
field writer takes a word's postings at once (:class:`GatheredWords`) as well as one
at a time.

The codec is pickled into the index's table of contents with each segment, so this
module's path and class names must not change.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import hashlib
import io
import itertools
import operator
import os
import pickle
import shutil
import signal
import struct
import tempfile
import threading
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator

from whoosh import columns, formats
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    W3TermInfo,
    W3TermsReader,
)
from whoosh.filedb import filetables
from whoosh.filedb.structfile import StructFile
from whoosh.matching import ListMatcher, ReadTooFar
from whoosh.reading import TermNotFound
from whoosh.system import pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

try:  # CPython's own MD5 hashes a term's few bytes in half the time OpenSSL's takes
    from _md5 import md5 as _md5
except ImportError:  # pragma: no cover - a Python built without it
    _md5 = hashlib.md5

__all__ = [
    "BYTE_LENGTHS",
    "KEY_FIELDS",
    "Codec",
    "GapPositions",
    "GatheredWords",
    "check_term_order",
    "copy_key",
    "copy_keys",
    "decode_gaps",
    "encode_gaps",
    "length_column",
    "lengths_in_memory",
    "read_postings",
    "segment_postings",
]

# Posting lists shorter than this are kept in the term table. Against 2 (one posting):
# Reuters-21578's commit 3.88 -> 3.59 CPU-s in one process, its index 1% smaller, the
# bench's queries as fast (medians per kind 0.96-1.05x).
INLINE_BELOW = 4
# zlib's level for blocks of postings. Whoosh's 3 took 0.5 s more of a 6.8 s commit of
# Reuters-21578 than 1, for an index 1% smaller (65.5 against 66.2 MB).
COMPRESSION = 1
# Blocks of fewer bytes than this (ids, weights and positions; ids and weights where the
# positions are varints, never compressed) are not compressed. Most
# blocks hold two or three postings, which zlib makes hardly smaller: compressing them
# took 0.5 s of a 4.9 s commit of Reuters-21578, for an index 0.3% smaller (59.06 against
# 59.24 MB). Counting postings instead would leave a few long ones uncompressed.
COMPRESS_FROM = 128


class Codec(W3Codec):
    """Whoosh's W3 codec, inlining the posting lists of words found in fewer than
    INLINE_BELOW documents and compressing blocks faster."""

    def __init__(self) -> None:
        super().__init__(inlinelimit=INLINE_BELOW, compression=COMPRESSION)
        # Posting blocks keep ids and weights apart from positions (_PostingsWriter.
        # _write_block). A segment written before they did unpickles a codec without
        # this attribute, and its blocks are read as Whoosh wrote them.
        self.split_blocks = True

    def _splits(self) -> bool:
        return getattr(self, "split_blocks", False)

    def field_writer(self, storage, segment) -> _FieldWriter:
        return _FieldWriter(self, storage, segment)

    def per_document_writer(self, storage, segment) -> _PerDocWriter:
        return _PerDocWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids: bool = False) -> _PostingsWriter:
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
            # Term vectors (byteids) are read by Whoosh's own block reader.
            split=self._splits() and not byteids,
        )

    def terms_reader(self, storage, segment) -> _TermsReader:
        # W3Codec.terms_reader, making a reader that remembers where terms are.
        name = segment.make_filename(self.TERMS_EXT)
        postings = segment.open_file(storage, self.POSTS_EXT)
        return _TermsReader(self, storage.open_file(name), storage.file_length(name), postings)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if not terminfo.is_inlined():
            offset, length = terminfo.extent()
            return _LeafMatcher(
                dbfile, offset, length, format_, term=term, scorer=scorer, split=self._splits()
            )
        ids, weights, values = _checked_inlined(terminfo.inlined_postings())
        return _InlinedMatcher(
            list(ids), weights, values, format_, scorer=scorer, term=term, terminfo=terminfo
        )


class _TermsReader(W3TermsReader):
    """Whoosh's reader of a segment's term table, remembering where each term it was
    asked for is (or that it is absent). A query asks for each of its terms several
    times (is it there, how many documents, its postings): a two-word query looked up
    its 12 terms 72 times in the hash file, a few reads of the file each."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._places: dict[tuple[str, bytes], tuple[int, int] | None] = {}

    def _range_for_key(self, fieldname: str, tbytes: bytes) -> tuple[int, int]:
        place = self._place(fieldname, tbytes)
        if place is None:
            raise KeyError((fieldname, tbytes))
        return place

    def _place(self, fieldname: str, tbytes: bytes) -> tuple[int, int] | None:
        term = (fieldname, tbytes)
        try:
            return self._places[term]
        except KeyError:
            pass
        places = self._tindex.ranges_for_key(self._keycoder(fieldname, tbytes))
        place = next(places, None)
        if len(self._places) >= _PLACES_KEPT:
            self._places.clear()
        self._places[term] = place
        return place

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return self._place(*term) is not None

    def term_info(self, fieldname: str, tbytes: bytes) -> W3TermInfo:
        place = self._place(fieldname, tbytes)
        if place is None:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return W3TermInfo.from_bytes(self._dbfile.get(*place))


# Terms a segment reader remembers the places of, at most: some 170 bytes each (1.7 MB),
# the terms of hundreds of queries.
_PLACES_KEPT = 10_000


# The stored fields that tell syndicated copies apart (named in search.schema), also kept
# in a column of their own: the searcher compares the best 30 matches of a query by them,
# and reading a whole stored document took 18 us (copy_keys).
KEY_FIELDS = ("hash", "fingerprint")
_KEYS_COLUMN = "_copykeys"
_KEYS = columns.VarBytesColumn()


def copy_key(stored: dict) -> tuple[str, str]:
    """A document's KEY_FIELDS values, from its stored fields."""
    return tuple(str(stored.get(name, "")) for name in KEY_FIELDS)


class _PerDocWriter(W3PerDocWriter):
    def finish_doc(self) -> None:
        stored = self._storedfields
        if stored:
            keys = "\t".join(copy_key(stored))
            self.add_column_value(_KEYS_COLUMN, _KEYS, keys.encode("utf-8"))
        super().finish_doc()


def copy_keys(reader) -> Callable[[int], tuple[str, str]] | None:
    """A function giving a document's KEY_FIELDS values from segment ``reader``'s keys
    column; None for a segment written without one."""
    perdoc = getattr(reader, "_perdoc", None)
    column = perdoc._cached_reader(_KEYS_COLUMN, _KEYS) if perdoc is not None else None
    if column is None:
        return None

    def keys(docnum: int) -> tuple[str, str]:
        # The fingerprint holds no tab; a content hash given by a program might.
        content_hash, _, fingerprint = column[docnum].decode("utf-8").rpartition("\t")
        return content_hash, fingerprint

    return keys


class _FieldWriter(W3FieldWriter):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._tindex = _TermTable.adopting(self._tindex)

    def add_postings(self, schema, lengths, items) -> None:
        """Write ``items``: a :class:`TermPool`'s words with their postings (the second
        half of them in a forked process, see :class:`_TailWriter`), or Whoosh's
        postings one by one (from any other pool)."""
        if not isinstance(items, GatheredWords):
            super().add_postings(schema, lengths, items)
            return
        words = items.words()
        tail = _TailWriter.start_writing(self, schema, lengths, items)
        try:
            rest = self._write_words(schema, lengths, words, tail.start if tail else None)
            if rest is not None and not tail.join(self):
                tail.stop()  # its files go before the rest is written here
                self._write_words(schema, lengths, itertools.chain([rest], words))
        finally:
            if tail is not None:
                tail.stop()

    def _write_words(
        self, schema, lengths, words, until: tuple[str, bytes] | None = None
    ) -> tuple | None:
        """Write ``words`` up to the (field, word) ``until``, and return the word found
        there; None once all are written."""
        fieldname = None
        for word in words:
            field, text, ids, weights, values = word
            if until is not None and (field, text) >= until:
                if fieldname is not None:
                    self.finish_field()
                return word
            if field != fieldname:
                if fieldname is not None:
                    self.finish_field()
                fieldname = field
                self.start_field(fieldname, schema[fieldname])
                length_bytes = _length_bytes_of(lengths, fieldname)
            if len(ids) < self._codec._inlinelimit:
                self._add_inlined(text, ids, weights, values, length_bytes(ids))
                continue
            self.start_term(text)
            self._postwriter.add_postings(ids, weights, values, length_bytes)
            self.finish_term()
        if fieldname is not None:
            self.finish_field()
        return None

    def _add_inlined(self, text: bytes, ids, weights, values, lengths: bytes) -> None:
        """What start_term(), add_postings() and finish_term() write for a word of fewer
        postings than the codec inlines (most words), without a postings writer or a
        W3TermInfo. ``lengths``: the documents' length bytes (0: none)."""
        stored, total, most = _inlined_weights(weights)
        if len(lengths) == 1:  # most words: the length byte is the shortest and longest
            shortest = longest = lengths[0]
        else:
            present = lengths.translate(None, b"\0")
            shortest, longest = (min(present), max(present)) if present else (0, 0)
        info = _TERM_INFO.pack(True, total, len(ids), shortest, longest, most, ids[0], ids[-1])
        inlined = pickle.dumps((tuple(ids), stored, _as_shared(values)), 2)
        self._tindex.add(pack_ushort(self._fieldid) + text, info + inlined)


def _as_shared(values) -> tuple[bytes, ...]:
    """``values`` with each value of one byte the object Python keeps for it, as Whoosh's
    writer has them. A pickle writes an object it met before as a reference to it, and a
    value of one byte that came from a worker (pickled) is a copy."""
    return tuple(_ONE_BYTE[value[0]] if len(value) == 1 else value for value in values)


# The object Python keeps for each value of one byte.
_ONE_BYTE = tuple(bytes([byte]) for byte in range(256))


def _inlined_weights(weights: array) -> tuple[tuple[float, ...], float, float]:
    """An inlined word's weights as 32-bit floats hold them, their sum, and the largest
    weight (at least 0). Kept by the weights' bytes: most are one or two small counts."""
    key = weights.tobytes()
    known = _INLINED_WEIGHTS.get(key)
    if known is None:
        stored = tuple(array("f", weights))
        known = (stored, sum(stored), max(0, *weights))
        if len(_INLINED_WEIGHTS) < _INLINED_WEIGHTS_KEPT:
            _INLINED_WEIGHTS[key] = known
    return known


_INLINED_WEIGHTS: dict[bytes, tuple[tuple[float, ...], float, float]] = {}
_INLINED_WEIGHTS_KEPT = 10_000


class _TermTable(filetables.OrderedHashWriter):
    """Whoosh's ordered hash file of a segment's terms, written to the same bytes in
    fewer steps: an entry in one write, its place counted rather than asked of the file,
    its MD5 hash read from the digest's bytes, a bucket's table packed at once. Whoosh's
    own took a fifth of writing a segment's postings, most of it in four calls into the
    file per term."""

    @classmethod
    def adopting(cls, table: filetables.OrderedHashWriter) -> _TermTable:
        """Take over ``table``, which has written its header and nothing more."""
        adopted = cls.__new__(cls)
        adopted.__dict__.update(table.__dict__)
        adopted._end = table.dbfile.tell()
        return adopted

    def add(self, key: bytes, value: bytes) -> None:
        """Add an entry."""
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        position = self._end
        self.index.append(position)
        record = _entry(key, value)
        self.dbfile.write(record)
        self._end = position + len(record)
        hashed = _md5_hash(key)
        self.buckets[hashed & 255].append((hashed, position))
        self.lastkey = key

    def append(self, entries: _TermEntries, moved_by: int) -> None:
        """Add the entries a fork wrote after this table's, the places of their postings
        moved by ``moved_by``: one write, where adding them one by one took 0.3-0.5 s
        of Reuters-21578's commit, with the fork done and the other core idle."""
        if not entries.lengths:
            return
        if entries.first <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{entries.first!r}")
        records = bytearray(entries.records)
        for at in entries.places:
            _PLACE.pack_into(records, at, _PLACE.unpack_from(records, at)[0] + moved_by)
        positions = list(itertools.accumulate(entries.lengths, initial=self._end))
        self._end = positions.pop()
        self.index.extend(positions)
        buckets = self.buckets
        for hashed, position in zip(entries.hashes, positions):
            buckets[hashed & 255].append((hashed, position))
        self.dbfile.write(records)
        self.lastkey = entries.last

    def _write_hashes(self) -> None:
        if self._end != self.dbfile.tell():
            raise RuntimeError("the term table's file was written by another writer")
        dbfile = self.dbfile
        for entries in self.buckets:
            slots = 2 * len(entries)
            self.directory.append((dbfile.tell(), slots))
            table = [_EMPTY_SLOT] * slots
            for hashed, position in entries:
                slot = (hashed >> 8) % slots
                while table[slot] is not _EMPTY_SLOT:
                    slot = (slot + 1) % slots
                table[slot] = (hashed, position)
            if slots:
                dbfile.write(struct.pack("!" + "Iq" * slots, *itertools.chain(*table)))


class _TermEntries:
    """Stands in for the term table in a forked :class:`_TailWriter`: keeps the entries
    as the table writes them, with their keys' hashes and where the postings' place of
    each entry not inlined is, for the table of the process that forked to append in
    one step (:meth:`_TermTable.append`)."""

    def __init__(self) -> None:
        self.records: list[bytes] | bytes = []
        self.lengths = array("I")
        self.hashes = array("I")
        self.places = array("I")  # offsets in the records of places to move
        self.first = self.last = b""
        self._size = 0

    def add(self, key: bytes, value: bytes) -> None:
        record = _entry(key, value)
        if not value[0]:  # not inlined: the place of its postings follows the term info
            self.places.append(self._size + len(record) - len(value) + _TERM_INFO.size)
        self.records.append(record)
        self.lengths.append(len(record))
        self.hashes.append(_md5_hash(key))
        self._size += len(record)
        self.first = self.first or key
        self.last = key

    def __getstate__(self) -> dict:
        return dict(self.__dict__, records=b"".join(self.records))


# A segment's postings are written by two processes (_TailWriter) from this many on.
FORK_POSTINGS = 200_000


class _TailWriter:
    """A forked process writing the second half of a segment's words (see
    GatheredWords.second_half) while the process that forked writes the first: a commit
    of Reuters-21578 took 2.5 s instead of 3.6 s. The fork's postings go to a file of
    its own, its term table entries to another; once the first half is written, the
    postings are appended, and the entries added with their places moved by as much.
    Where the fork fails, the process that forked writes the rest itself; an interrupt
    reaches that process only, which ends the fork.

    The fork shares the writer's memory until either writes to it: it copied 190 of the
    250 MB of Reuters' (most objects it reads are written to, counting references).
    Not used where other threads run (a fork copies only the thread that forks) or
    where there is no fork, nor for fewer than FORK_POSTINGS postings.
    """

    def __init__(self, pid: int, start: tuple[str, bytes], postings, entries) -> None:
        self.pid: int | None = pid
        self.start = start
        self._postings = postings
        self._entries = entries

    @classmethod
    def start_writing(cls, writer: _FieldWriter, schema, lengths, items: GatheredWords):
        """Fork a writer of the second half of ``items``; None when it is not worth it
        or cannot be done."""
        if items.postings < FORK_POSTINGS or not hasattr(os, "fork") or _other_threads():
            return None
        if signal.getsignal(signal.SIGCHLD) is signal.SIG_IGN:
            return None  # the fork could not be waited for
        half = items.second_half()
        if half is None:
            return None
        start, words_from = half
        folder = getattr(writer._storage, "folder", None)
        postings = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by stop()
        entries = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - closed by stop()
        # Field numbers as one process writing every field gives them, in field order.
        for name in items.fieldnames:
            writer._fieldmap.setdefault(name, len(writer._fieldmap))
        # Nothing of the segment's files may wait in a buffer the fork copies.
        writer._postfile.flush()
        writer._tindex.dbfile.flush()
        parent = os.getpid()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pid = os.fork()
        except Exception:  # noqa: BLE001 - no memory, no processes, no fork here
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            postings.close()
            entries.close()
            return None
        if pid == 0:  # an interrupt stays blocked here: stop() ends the fork
            # No cyclic collection in the fork, which leaves when done: it could
            # finalize objects it shares with the writer (a file flushing its buffer
            # into the segment's files).
            gc.disable()
            _end_with(parent)
            cls._run(writer, schema, lengths, words_from(), postings, entries)
        tail = cls(pid, start, postings, entries)
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a pending interrupt lands
        except BaseException:
            tail.stop()
            raise
        return tail

    @staticmethod
    def _run(writer: _FieldWriter, schema, lengths, words, postings, entries) -> None:
        """In the fork: write ``words`` to the two files, then leave at once."""
        status = 1
        try:
            # Kept referenced: a file object collected here would flush into the
            # segment's files, which the fork shares.
            segment_files = (writer._postfile, writer._tindex)  # noqa: F841
            writer._postfile = StructFile(postings)
            writer._tindex = table = _TermEntries()
            writer._write_words(schema, lengths, words)
            writer._postfile.flush()
            pickle.dump(table, entries, pickle.HIGHEST_PROTOCOL)
            entries.flush()
            status = 0
        finally:
            os._exit(status)

    def join(self, writer: _FieldWriter) -> bool:
        """Wait for the fork and append what it wrote; False if it failed."""
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # reaped by a handler of the program's own
            status = 1
        self.pid = None
        if status != 0:
            return False
        self._entries.seek(0)
        entries = pickle.load(self._entries)
        start = writer._postfile.tell()
        self._postings.seek(0)
        shutil.copyfileobj(self._postings, writer._postfile)
        writer._tindex.append(entries, start)
        return True

    def stop(self) -> None:
        """End the fork if it still runs, and drop its files."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = None
        self._postings.close()
        self._entries.close()


def _other_threads() -> bool:
    """Whether threads other than this one run, those of C extensions too (Linux)."""
    try:
        return len(os.listdir("/proc/self/task")) > 1
    except OSError:
        return threading.active_count() > 1


def _end_with(parent: int) -> None:
    """In a fork: be killed when ``parent`` dies (Linux), so a writer killed mid-commit
    leaves no process holding the index's locks; leave now if it is gone already."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _md5_hash(key: bytes) -> int:
    """filetables.md5_hash(): the digest's last four bytes, as a number."""
    return int.from_bytes(_md5(key).digest()[12:], "big")


# A hash file's entry lengths, and an empty slot of a bucket's table.
_ENTRY_LENGTHS = struct.Struct("!ii")
_EMPTY_SLOT = (0, 0)


def _entry(key: bytes, value: bytes) -> bytes:
    """A term table entry as the hash file holds it: the lengths, the key, the value."""
    return _ENTRY_LENGTHS.pack(len(key), len(value)) + key + value


# A block starts with its length and a pickled tuple of six numbers: at most 9 bytes
# each, and the pickle's own few.
_INT = struct.Struct("!i")
_MAX_HEADER = 96
# The length of a split block's first stream (_PostingsWriter._write_block).
_HEAD_LENGTH = struct.Struct("!I")
# A split block's streams are raw deflate, without zlib's header and checksum: 12 bytes
# less a block, about what keeping two streams costs.
_RAW = -15


def _deflated(data: bytes, level: int) -> bytes:
    # zlib.compress() takes wbits from Python 3.11 on only.
    compressor = zlib.compressobj(level, zlib.DEFLATED, _RAW)
    return compressor.compress(data) + compressor.flush()


# W3TermInfo's layout, then (postings not inlined) their place in the postings file.
_TERM_INFO = W3TermInfo._struct
_PLACE = struct.Struct("!q")


def _length_bytes_of(lengths, fieldname: str) -> Callable[[array], bytes]:
    """A function from document numbers to their length bytes in ``fieldname`` (0: none),
    as the segment's per-document reader ``lengths`` knows them. Bytes, not lengths: the
    smallest and largest of a block are found in C (a block keeps them as bytes)."""
    if lengths is None:
        return lambda ids: bytes(len(ids))
    length = lengths.doc_field_length
    if not isinstance(length, _FieldLengths):
        return lambda ids: bytes(length_to_byte(length(d, fieldname) or 0) for d in ids)
    column = length.column(fieldname)
    if column is None:
        return lambda ids: bytes(len(ids))
    return lambda ids: bytes(map(column.__getitem__, ids))


class _PostingsWriter(W3PostingsWriter):
    def __init__(self, *args, split: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._split = split

    def _write_block(self, last: bool = False) -> None:
        """Write the buffered block as Whoosh does, except that with ``split`` its data
        is two deflate streams: the ids and weights, then the values (positions),
        behind the length of the first (the second left raw for GapPositions, which a
        negative level tells). Scoring reads ids and weights only: the positions took
        most of the time of reading a block (all blocks of "said" in Reuters' bodies:
        8.8 ms whole, 1.0 ms their ids and weights alone). Values of varying size are
        joined into one string behind their ends (_joined)."""
        if not self._split:
            super()._write_block(last)
            return
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        head = pickle.dumps((self._mini_ids(), self._mini_weights()), 2)
        if self._format.fixed_value_size() is None:
            tail = _joined(self._values)
        else:
            tail = pickle.dumps(self._mini_values(), 2)
        if type(self._format) is GapPositions:
            # Varints hardly compress (Reuters-21578's: 8.0 MB, 4.7 deflated, which took
            # 0.53 of the 0.92 s spent deflating): the values stay raw, which a
            # negative level tells.
            comp = self._compression if len(head) >= COMPRESS_FROM else 0
            if comp:
                head, comp = _deflated(head, comp), -comp
        else:
            comp = self._compression if len(head) + len(tail) >= COMPRESS_FROM else 0
            if comp:
                head, tail = _deflated(head, comp), _deflated(tail, comp)
        ids = self._ids
        info = (len(ids), ids[-1], self._maxweight, comp,
                length_to_byte(self._minlength), length_to_byte(self._maxlength))  # fmt: skip
        infobytes = pickle.dumps(info, 2)
        length = len(infobytes) + _HEAD_LENGTH.size + len(head) + len(tail)
        postfile = self._postfile
        postfile.write_int(-length if last else length)
        postfile.write(infobytes)
        postfile.write(_HEAD_LENGTH.pack(len(head)))
        postfile.write(head)
        postfile.write(tail)
        self._blockcount += 1
        self._new_block()

    def add_postings(self, ids: array, weights: array, values: list, length_bytes) -> None:
        """Add a word's postings, as :meth:`add_posting` would one at a time: full blocks
        are written as they fill, the last one when the word is finished."""
        size = self._blocklimit
        for start in range(0, len(ids), size):
            if self._ids:
                self._write_block()
            self._new_block()
            self._ids = ids[start : start + size]
            block_weights = weights[start : start + size]
            self._weights = array("f", block_weights)
            self._maxweight = max(0, max(block_weights))
            self._values = values[start : start + size]
            present = length_bytes(self._ids).translate(None, b"\0")
            if present:
                self._minlength = BYTE_LENGTHS[min(present)]
                self._maxlength = BYTE_LENGTHS[max(present)]

    def _mini_ids(self) -> tuple:
        """Whoosh's: the ids as differences from the one before, taken in C (Whoosh's
        generator took a call per posting)."""
        ids = self._ids
        if self._byteids or not ids:
            return tuple(ids)
        return (ids[0], *map(operator.sub, ids[1:], ids[:-1]))

    def _mini_weights(self) -> tuple | float | None:
        """Whoosh's: None when every weight is 1, the weight when all are the same,
        else all of them; counted in C."""
        weights = self._weights
        if weights.count(1.0) == len(weights):
            return None
        if weights.count(weights[0]) == len(weights):
            return weights[0]
        return tuple(weights)

    def finish_postings(self) -> W3TermInfo:
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo = self._terminfo
        terminfo.add_block(self)
        terminfo.set_inlined(self._ids, self._weights, self._values)
        self._terminfo = None
        return terminfo


class _LeafMatcher(W3LeafMatcher):
    """Whoosh's reader of a posting list in blocks, reading a split block's values only
    when they are asked for, and finding an id inside a block by bisection. Whoosh
    steps through the block a posting at a time: a phrase of a rare and a common word
    spent two thirds of its time there."""

    def __init__(self, *args, split: bool, **kwargs) -> None:
        self._split = split
        super().__init__(*args, **kwargs)

    def _goto(self, position: int) -> None:
        """Go to the block at ``position``, as Whoosh's reader does, reading its header
        at once: Whoosh unpickles it from the file, a read of a few bytes per opcode."""
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        start = self._postfile.get(position, _INT.size + _MAX_HEADER)
        (length,) = _INT.unpack_from(start)
        if length < 0:
            self._lastblock = True  # the last block's length is written negative
            length = -length
        self._nextoffset = position + _INT.size + length
        header = io.BytesIO(start)
        header.seek(_INT.size)
        info = pickle.load(header)
        self._dataoffset = position + header.tell()
        (self._blocklength, self._maxid, self._maxweight, self._compression, shortest,
         longest) = info  # fmt: skip
        self._minlength = byte_to_length(shortest)
        self._maxlength = byte_to_length(longest)

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        ids = self._data[0]
        # The ids are stored as differences; Whoosh adds them up in a generator.
        self._ids = ids if self._byteids else tuple(itertools.accumulate(ids))

    def _read_data(self) -> None:
        if not self._split:
            super()._read_data()
            return
        get = self._postfile.get
        (size,) = _HEAD_LENGTH.unpack(get(self._dataoffset, _HEAD_LENGTH.size))
        start = self._dataoffset + _HEAD_LENGTH.size
        self._tail = start + size
        ids, weights = self._unpickled(get(start, size))
        self._data = (ids, weights, _UNREAD)

    def _read_values(self) -> None:
        if not self._split:
            super()._read_values()
            return
        if self._data is None:
            self._read_data()
        if self._data[2] is _UNREAD:
            tail = self._postfile.get(self._tail, self._nextoffset - self._tail)
            tail = self._inflated(tail) if self._compression > 0 else tail
            values = _Values(tail) if self._fixedsize is None else pickle.loads(tail)
            self._data = (*self._data[:2], values)
        if self._fixedsize is None:
            self._values = self._data[2]
        else:
            super()._read_values()

    def _unpickled(self, data: bytes):
        return pickle.loads(self._inflated(data))

    def _inflated(self, data: bytes) -> bytes:
        return zlib.decompress(data, _RAW) if self._compression else data

    def positions_of(self, docnums: list[int]) -> list[list[int]]:
        """The positions of the word in each of ``docnums`` (ascending, each holding the
        word), read a block at a time: a skip_to() and a value_as() per document took
        twice as long for a phrase of common words."""
        decode = _positions_decoder(self.format)
        found = []
        for docnum in docnums:
            while docnum > self._maxid:
                self._next_block()
            if self._ids is None:
                self._read_ids()
            if self._values is None:
                self._read_values()
            self._i = bisect.bisect_left(self._ids, docnum, self._i)
            found.append(decode(self._values[self._i]))
        return found

    def skip_to(self, targetid) -> None:
        if not self.is_active():
            raise ReadTooFar
        if targetid <= self.id():
            return
        if targetid > self._maxid:
            self._skip_to_block(lambda: targetid > self._maxid)
        if self.is_active():
            if self._ids is None:
                self._read_ids()
            self._i = bisect.bisect_left(self._ids, targetid, self._i)
            if self._i == self._blocklength:
                self._next_block()


def _positions_decoder(format_) -> Callable[[bytes], list[int]]:
    """The function decoding a value of ``format_`` (one with positions) to positions."""
    if type(format_) is formats.Positions:
        return _decode_positions
    if type(format_) is GapPositions:
        return decode_gaps
    return format_.decode_positions


class GapPositions(formats.Positions):
    """Whoosh's Positions format keeping a posting's positions as their differences,
    each a varint (seven bits a byte, the last byte of each below 128), where Whoosh
    keeps their count and a pickle of the list: a word found once took 13 bytes
    instead of one, and the positions of Reuters-21578 26.0 MB before compression
    instead of 8.0 (8.5 MB after, 4.7 now). Pickled with the schema of indexes made
    since: its name and module must not change."""

    def encode(self, poslist: list[int]) -> bytes:
        return encode_gaps(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return decode_gaps(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring.translate(None, _HIGH_BYTES))


# The bytes that go on to a next one in a varint.
_HIGH_BYTES = bytes(range(128, 256))


def encode_gaps(positions: list[int]) -> bytes:
    """Ascending positions as :class:`GapPositions` keeps them."""
    if len(positions) == 1 and positions[0] < 128:
        # Most words are found once, early enough for their position to fit a byte:
        # the object Python keeps for that value, without making a list.
        return _ONE_BYTE[positions[0]]
    gaps = [positions[0], *map(operator.sub, positions[1:], positions[:-1])]
    if max(gaps) < 128:  # most: one byte each, made in C
        return bytes(gaps)
    encoded = bytearray()
    for gap in gaps:
        while gap > 127:
            encoded.append(gap & 127 | 128)
            gap >>= 7
        encoded.append(gap)
    return bytes(encoded)


def decode_gaps(value: bytes) -> list[int]:
    """The positions :func:`encode_gaps` encoded."""
    if value.isascii():  # every difference below 128: added up in C
        return list(itertools.accumulate(value))
    gaps, gap, shift = [], 0, 0
    for byte in value:
        gap |= (byte & 127) << shift
        if byte < 128:
            gaps.append(gap)
            gap = shift = 0
        else:
            shift += 7
    if shift:
        raise ValueError("a posting's positions end in the middle of a number")
    return list(itertools.accumulate(gaps))


def _decode_positions(value: bytes) -> list[int]:
    """formats.Positions.decode_positions, the differences added up in C: a count,
    then the pickled differences (the pickle's final stop may be missing)."""
    codes = pickle.loads(value[4:] if value.endswith(b".") else value[4:] + b".")
    return list(itertools.accumulate(codes))


def _joined(values: list[bytes]) -> bytes:
    """A block's values of varying size as one string: their number, where each ends,
    then the values. Whoosh pickles them as a tuple of strings; unpickling 128 strings
    took three times as long as cutting out the few a phrase needs (_Values)."""
    ends = list(itertools.accumulate(map(len, values)))
    return struct.pack(f"<I{len(ends)}I", len(ends), *ends) + b"".join(values)


class _Values:
    """A block's values joined by _joined, each cut out when it is asked for."""

    __slots__ = ("_data", "_ends", "_start")

    def __init__(self, joined: bytes) -> None:
        (count,) = struct.unpack_from("<I", joined)
        self._ends = (0, *struct.unpack_from(f"<{count}I", joined, 4))
        self._data = joined
        self._start = 4 + 4 * count

    def __len__(self) -> int:
        return len(self._ends) - 1

    def __getitem__(self, index: int) -> bytes:
        if not 0 <= index < len(self._ends) - 1:
            raise IndexError(index)
        start = self._start
        return self._data[start + self._ends[index] : start + self._ends[index + 1]]

    def __iter__(self) -> Iterator[bytes]:
        data, start = self._data, self._start
        return (data[start + a : start + b] for a, b in itertools.pairwise(self._ends))


def check_term_order(reader) -> None:
    """Raise ValueError unless the sorted index of segment ``reader``'s term table (which
    a prefix, a range or a fuzzy word searches) points at its words, in order."""
    if not hasattr(reader, "_terms"):
        return  # an empty index's reader has no term table
    table = reader._terms._tindex
    starts = [keypos - filetables._lengths.size for keypos, _, _, _ in table._ranges()]
    size = table.indexsize
    indexed = [table._get_pos(table.indexbase + n * size) for n in range(table.indexlen)]
    if indexed != starts:
        raise ValueError("the sorted index of the term table does not point at its words")


def segment_postings(reader) -> Iterator[tuple[str, bytes, int, object]]:
    """Every word of segment ``reader`` as (field name, word, the number of documents
    the term table gives, a matcher of its postings, deleted documents included), the
    term table read once in its order."""
    if not hasattr(reader, "_terms"):
        return  # an empty index's reader has no term table
    terms = reader._terms
    schema = reader.schema
    for (fieldname, word), info in terms.items():
        format_ = schema[fieldname].format
        matcher = terms._codec.postings_reader(terms._postfile, info, format_)
        yield fieldname, word, info.doc_frequency(), matcher


def read_postings(matcher, doc_limit: int) -> int:
    """Decode every posting ``matcher`` (a term's list, deletions included) holds: ids,
    weights and positions. Returns their number; raises ValueError where the list
    contradicts itself (ids not ascending or past ``doc_limit``, a block unlike its
    header). Read a block at a time where the list is in blocks."""
    format_ = matcher.format if isinstance(matcher, _LeafMatcher) else matcher._format
    decode = None
    if format_ is not None and format_.supports("positions"):
        decode = _positions_decoder(format_)
    count, last = 0, -1
    while matcher.is_active():
        if isinstance(matcher, _LeafMatcher):
            matcher._read_ids()
            matcher._read_weights()
            matcher._read_values()
            ids, weights, values = matcher._ids, matcher._weights, matcher._values
            if not len(ids) == len(weights) == len(values) == matcher._blocklength:
                raise ValueError("a block of postings holds fewer postings than it says")
            if ids[-1] != matcher._maxid:
                raise ValueError("a block of postings ends on another id than it says")
            matcher._next_block()
        else:
            ids, weights, values = [matcher.id()], [matcher.weight()], [matcher.value()]
            matcher.next()
        ascending = all(a < b for a, b in itertools.pairwise(ids))
        if ids[0] <= last or ids[-1] >= doc_limit or not ascending:
            raise ValueError("posting ids out of order or past the last document")
        for value in values if decode is not None else ():
            decode(value)
        count, last = count + len(ids), ids[-1]
    return count


def _checked_inlined(postings: object) -> tuple[tuple, tuple, tuple]:
    """A term's inlined postings, unpickled from its entry in the term table, once they
    are seen to be ids, weights and values: a damaged pickle can build other objects (a
    builtin function for the weights, once), which would fail later in the matchers,
    where no damage is looked for."""
    if type(postings) is tuple and len(postings) == 3:
        ids, weights, values = postings
        if (
            type(ids) is tuple
            and type(weights) is tuple
            and type(values) is tuple
            and len(weights) == len(ids)
            and len(values) <= len(ids)  # Whoosh keeps no empty values
            and all(type(docnum) is int for docnum in ids)
            and all(type(weight) in (float, int) for weight in weights)
            and all(type(value) is bytes for value in values)
        ):
            return ids, weights, values
    raise pickle.UnpicklingError("a term's inlined postings are not ids, weights and values")


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


class GatheredWords:
    """Words with all their postings, in (field, word) order, as a
    :class:`search.postings.TermPool` hands them to the codec to write: :meth:`words`
    for this codec, and as Whoosh's postings one at a time for any other.

    ``fieldnames`` are the fields that have words and ``postings`` counts the postings;
    ``second_half()``, where given, tells the word the second half of the work of
    writing them starts at, with a function reading the words from there on, for a
    process forked before :meth:`words` is read (see :class:`_TailWriter`); None when
    there is no such word.
    """

    def __init__(
        self,
        words: Iterator[tuple[str, bytes, array, array, list]],
        fieldnames: Iterable[str] = (),
        postings: int = 0,
        second_half: Callable[[], tuple[tuple[str, bytes], Callable[[], Iterator]] | None]
        | None = None,
    ) -> None:
        self._words = words
        self.fieldnames = sorted(fieldnames)
        self.postings = postings
        self.second_half = second_half or (lambda: None)

    def words(self) -> Iterator[tuple[str, bytes, array, array, list]]:
        """(field, word, document numbers, weights, encoded values) for each word."""
        return self._words

    def __iter__(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        for field, text, ids, weights, values in self._words:
            encoded = values or [None] * len(ids)
            for docnum, weight, value in zip(ids, weights, encoded):
                yield field, text, docnum, weight, value
