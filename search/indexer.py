"""Articles -> index: sync folders of files, add and delete articles from code.

A sync compares the files on disk with the file states recorded in the index
(:data:`search.schema.FILE_FIELD`): new and changed files are read again, and so are
files an older version of the readers read (:data:`search.extract.READER_VERSION`);
files that disappeared lose their articles, unchanged files are not opened. Work is committed in
batches, each file's deletions and additions in the same commit, so an interrupted run
leaves the index as the last commit left it and the next run finishes the job.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from stat import S_ISREG

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.reading import SegmentReader
from whoosh.util.filelock import FileLock
from whoosh.writing import CLEAR, MERGE_SMALL

from search.codec import Codec, lengths_in_memory
from search.damage import reads_index
from search.errors import IndexBusyError, IndexCorruptError
from search.extract import is_article_file
from search.models import Article, Skipped, SyncReport
from search.postings import TermPool, add_gathered
from search.prepare import (
    FileState,
    FileTask,
    Prepared,
    gather_documents,
    os_reason,
    prepare_files,
    worker_count,
)
from search.schema import (
    FILE_FIELD,
    SPELL_ARTICLES,
    SPELL_FIELD,
    build_schema,
    document_for,
    live_count,
    live_terms,
    stored_id,
)

__all__ = ["FileState", "Indexer"]

# A sync commits when its batch has run this many seconds or holds this many articles
# (about as long): a crash loses at most that much work. Each commit leaves a segment
# that every search then reads apart (Whoosh merges only small ones, and merging costs
# as much as indexing), so batches are large: 2,000 articles left 11 segments for
# Reuters' 21,000 stories, 1.6 times the size on disk of one segment and twice the time
# per query. Memory does not grow with a batch: past WRITER_MB of postings, the
# writer's pool moves them to disk (search.postings.TermPool).
COMMIT_SECONDS = 300.0
BATCH_ARTICLES = 100_000
WRITER_MB = 128

# Articles given by code are analyzed this many at a time.
ADD_BATCH = 1000

# The lock a sync, add or delete holds from before it reads the index until it is done.
# Whoosh's own lock is released at every commit, so between two batches of one sync
# another sync could start from a state that is about to change and index it all again.
# Both are OS file locks: they die with their process, so no lock is ever left stale.
RUN_LOCK = "RUN.lock"

# A file next to the Whoosh lock naming the process that writes, so a second writer
# can say who holds the index. Whoosh's lock is an OS file lock: it dies with its process.
HOLDER_FILE = "WRITER.json"

Progress = Callable[[int, int], None]


@dataclass
class _Tally:
    """Running counts of one sync."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    reread: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Skipped] = field(default_factory=list)


def _inside(path: str, roots: Iterable[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def walk_article_files(
    paths: Paths, *, follow_symlinks: bool = False
) -> tuple[list[str], list[str], list[Skipped]]:
    """Find the article files under ``paths``.

    Returns the roots as real paths (links resolved), the sorted file paths below them,
    and the given paths that do not exist or are neither a file nor a folder. Hidden files
    and folders are passed over, and so are index folders and the "X_files" folder a
    browser saves beside "X.html"; symbolic links are followed only when they stay inside
    the given roots, unless ``follow_symlinks`` is true.
    """
    roots, files, missing = [], set(), []
    for given in path_list(paths):
        # Real paths: a file reached through a link to a folder indexed already is the
        # same file, under the same id.
        root = os.path.realpath(os.fspath(given))
        roots.append(root)
        if os.path.isfile(root):
            files.add(root)
        elif os.path.isdir(root):
            files.update(_walk_folder(root, follow_symlinks))
        elif os.path.exists(root):  # a device, a pipe, a socket
            missing.append(Skipped(os.fspath(given), "not a regular file or a folder"))
        else:
            missing.append(Skipped(os.fspath(given), "no such file or folder"))
    return roots, _one_path_a_file(files, roots, follow_symlinks), missing


def _one_path_a_file(files: set[str], roots: list[str], follow_symlinks: bool) -> list[str]:
    """``files`` sorted, each file once: a link to a file walked already (``a-copy.txt ->
    a.txt``) is that file, read by its own path. A link out of the roots is passed over
    unless ``follow_symlinks``."""
    by_real: dict[str, str] = {}
    for path in sorted(files):
        real = _real_path(path)
        if not follow_symlinks and not _inside(real, roots):
            continue
        if real not in by_real or path == real:
            by_real[real] = path
    return sorted(by_real.values())


def path_list(paths: Paths) -> list[str]:
    """``paths`` as a list of path strings; one path given alone is one path, not the
    letters of its name (``sync("corpus/")`` would otherwise walk "/")."""
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(path) for path in paths]


def _real_path(path: str) -> str:
    try:
        return os.path.realpath(path)
    except OSError:  # a link into a folder this user may not read: not followed
        return ""


def _walk_folder(root: str, follow_symlinks: bool) -> Iterator[str]:
    seen: set[tuple[int, int]] = set()
    for folder, subfolders, names in os.walk(root, followlinks=follow_symlinks):
        # A link loop would otherwise be walked forever when links are followed.
        stat = os.stat(folder)
        if (stat.st_dev, stat.st_ino) in seen:
            subfolders[:] = []
            continue
        seen.add((stat.st_dev, stat.st_ino))
        if holds_index(names):
            subfolders[:] = []  # an index (this one, or a copy): its files are not articles
            continue
        pages = {os.path.splitext(name)[0] for name in names if _is_page(name)}
        subfolders[:] = sorted(
            d for d in subfolders if not d.startswith(".") and not _is_page_assets(d, pages)
        )
        for name in names:
            if not name.startswith(".") and is_article_file(name):
                yield os.path.join(folder, name)


# Folders and files to read, or one of them.
Paths = Iterable[str | os.PathLike[str]] | str | os.PathLike[str]
# The table of contents every index folder holds: "_MAIN_<generation>.toc".
INDEX_TOC = re.compile(r"_MAIN_(\d+)\.toc")


def holds_index(names: Iterable[str]) -> bool:
    """Whether a folder holding files of these names holds an index."""
    return any(INDEX_TOC.fullmatch(name) for name in names)


def _is_page(name: str) -> bool:
    return name.lower().endswith((".html", ".htm", ".xhtml", ".shtml"))


def _is_page_assets(folder: str, pages: set[str]) -> bool:
    # "Page_files" beside "Page.html": the images, scripts and ad frames a browser saves
    # with a page ("Save Page As", complete). Its frames are not articles.
    return folder.endswith("_files") and folder.removesuffix("_files") in pages


class Indexer:
    """Writes articles into the index at ``index_dir``, creating it when needed.

    Use as a context manager. ``wait`` is how many seconds to wait for another writer
    to finish before raising :class:`~search.errors.IndexBusyError`.

    >>> with Indexer("index") as indexer:                      # doctest: +SKIP
    ...     report = indexer.sync(["corpus/"])
    """

    def __init__(self, index_dir: str | os.PathLike[str] = "index", *, wait: float = 30.0) -> None:
        self.index_dir = os.fspath(index_dir)
        self.wait = wait
        self._damage: IndexCorruptError | None = None
        os.makedirs(self.index_dir, exist_ok=True)
        with self._running():  # two creators would delete each other's table of contents
            self._ix = self._open_or_create()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the index. Safe to call twice."""
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    def _open_or_create(self) -> whoosh_index.Index | None:
        """Open the index, or create it. A damaged one is kept for a rebuild, which
        replaces it; anything else raises the damage (see ``_index``)."""
        # Without memory maps: with one, Whoosh copies every segment into memory when a
        # searcher opens, and a sync opens one to read the file states.
        storage = FileStorage(self.index_dir, supports_mmap=False)
        try:
            if not storage.index_exists():
                return storage.create_index(build_schema())
            ix = storage.open_index()
        except Exception as exc:  # noqa: BLE001 - any failure to read is damage
            self._damage = IndexCorruptError(self.index_dir, str(exc) or type(exc).__name__)
            return None
        if set(ix.schema.names()) != set(build_schema().names()):
            ix.close()
            reason = "it was built with a different field layout"
            self._damage = IndexCorruptError(self.index_dir, reason)
            return None
        return ix

    def _index(self) -> whoosh_index.Index:
        if self._ix is None:
            raise self._damage or ValueError("this Indexer is closed")
        return self._ix

    def _recreate_if_damaged(self) -> None:
        """For a rebuild: replace an index that cannot be read with an empty one."""
        if self._ix is not None:
            try:
                self._ix.searcher().close()
                return
            except Exception:  # noqa: BLE001 - a segment that cannot be read
                self._ix.close()
        # The new table of contents refers to no old segment; the next commit removes
        # their files.
        storage = FileStorage(self.index_dir, supports_mmap=False)
        self._ix = storage.create_index(build_schema())
        self._damage = None

    @contextmanager
    def _running(self) -> Iterator[None]:
        """Hold the run lock (waiting up to ``wait`` seconds) and name this process."""
        lock = FileLock(os.path.join(self.index_dir, RUN_LOCK))
        deadline = time.monotonic() + self.wait
        while not lock.acquire(False):
            if time.monotonic() >= deadline:
                raise IndexBusyError(self.index_dir, self._holder(), self.wait)
            time.sleep(0.1)
        try:
            self._write_holder()
            yield
        finally:
            self._remove_holder()
            lock.release()

    # -- writing ---------------------------------------------------------------------

    def _writer(self, *, schema=None):
        """A writer with our codec and pool; with ``schema``, one whose segment and table
        of contents take that schema (a rebuild's, whose first commit drops every
        segment): an index made before keeps its analyzers otherwise."""
        try:
            writer = self._index().writer(
                timeout=self.wait, delay=0.25, limitmb=WRITER_MB, codec=Codec()
            )
        except LockError as exc:
            # This process holds the run lock: the engine's lock is held by a program
            # that does not take it.
            raise IndexBusyError(self.index_dir, "", self.wait) from exc
        if schema is not None:
            writer.schema = schema
        read_lengths = writer.per_document_reader
        writer.per_document_reader = lambda: lengths_in_memory(read_lengths())
        # The spell field records a word for the first SPELL_ARTICLES articles of a batch.
        capped = {SPELL_FIELD: SPELL_ARTICLES} if SPELL_FIELD in writer.schema.names() else {}
        writer.pool = TermPool(writer._tempstorage, writer.newsegment, WRITER_MB, capped)
        return writer

    def _commit(self, writer, *, clear: bool = False) -> None:
        writer.commit(mergetype=CLEAR if clear else _merge_purging_deletions)

    def _holder_path(self) -> str:
        return os.path.join(self.index_dir, HOLDER_FILE)

    def _write_holder(self) -> None:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        temporary = f"{self._holder_path()}.{os.getpid()}"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(info, handle)
        os.replace(temporary, self._holder_path())  # never seen half written

    def _remove_holder(self) -> None:
        try:
            os.remove(self._holder_path())
        except FileNotFoundError:
            pass

    def _holder(self) -> str:
        try:
            with open(self._holder_path(), encoding="utf-8") as handle:
                info = json.load(handle)
            if info["host"] == socket.gethostname() and not _alive(int(info["pid"])):
                return ""  # left by a killed writer: the holder is someone else
            since = dt.datetime.fromtimestamp(info["since"]).strftime("%Y-%m-%d %H:%M:%S")
            return f"process {info['pid']} on {info['host']} since {since}"
        except (OSError, ValueError, KeyError, TypeError):
            return ""

    @reads_index
    def add(self, articles: Iterable[Article]) -> int:
        """Add articles given by code, replacing any with the same id (of two given with
        one id, the later).

        Returns how many were written. Raises IndexBusyError if another writer holds the
        index longer than ``wait``, and ValueError for an article without an id (nothing
        is written then).
        """
        with self._running():
            documents = _documents_by_id(articles)
            writer = self._writer()
            try:
                with writer.searcher() as searcher:
                    for article_id in documents:
                        writer.delete_by_term("id", article_id, searcher=searcher)
                batch = list(documents.values())
                for start in range(0, len(batch), ADD_BATCH):
                    part = batch[start : start + ADD_BATCH]
                    add_gathered(
                        writer, part, gather_documents(part, writer.schema), [True] * len(part)
                    )
            except BaseException:
                writer.cancel()
                raise
            self._commit(writer)
        return len(documents)

    @reads_index
    def delete(self, ids: Iterable[str]) -> int:
        """Delete the articles with these ids (one id may be given alone); returns how many
        were deleted."""
        ids = [ids] if isinstance(ids, str) else list(ids)
        with self._running():
            writer = self._writer()
            try:
                count = sum(writer.delete_by_term("id", article_id) for article_id in ids)
            except BaseException:
                writer.cancel()
                raise
            self._commit(writer)
        return count

    # -- syncing folders ---------------------------------------------------------------

    @reads_index
    def sync(
        self,
        paths: Paths,
        *,
        rebuild: bool = False,
        follow_symlinks: bool = False,
        progress: Progress | None = None,
    ) -> SyncReport:
        """Bring the index in line with the article files under ``paths`` (folders and
        files, or one of them).

        New and changed files are read and (re)indexed, articles of files that vanished
        from under ``paths`` are removed, unchanged files are skipped. With ``rebuild``
        the index is emptied first (in the first commit, so a failed rebuild leaves the
        old index). ``progress(done, total)`` is called after each file.

        Returns a :class:`SyncReport`. Unreadable files are listed in its ``skipped``;
        raises IndexBusyError when another writer holds the index.
        """
        started = time.perf_counter()
        roots, files, missing = walk_article_files(paths, follow_symlinks=follow_symlinks)
        tally = _Tally(skipped=list(missing))
        with self._running():
            if rebuild:
                self._recreate_if_damaged()
            _SyncRun(self, roots, files, tally, rebuild, progress).run()
        return SyncReport(
            added=tally.added,
            updated=tally.updated,
            removed=tally.removed,
            unchanged=tally.unchanged,
            skipped=tuple(tally.skipped),
            problems=tuple(tally.problems),
            seconds=time.perf_counter() - started,
            reread=tally.reread,
        )


def _merge_purging_deletions(writer, segments: list) -> list:
    """Whoosh's merge of small segments, after dropping the segments whose articles were
    all replaced or deleted and rewriting those mostly so.

    Whoosh keeps a deleted article's postings until its segment is merged, and never
    merges large segments: re-reading every file (after an upgrade of the readers) grew
    an index of 1,117 pages from 43 to 170 MB in four runs.
    """
    live = [segment for segment in segments if segment.doc_count() > 0]
    stale = [s for s in live if s.deleted_count() * 2 > s.doc_count_all()]
    for segment in stale:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)  # copies the live articles into the new segment
        reader.close()
    return MERGE_SMALL(writer, [s for s in live if s not in stale])


class _SyncRun:
    """One sync: decides per file, writes in batches, tallies what it did."""

    def __init__(
        self,
        indexer: Indexer,
        roots: list[str],
        files: list[str],
        tally: _Tally,
        rebuild: bool,
        progress: Progress | None,
    ) -> None:
        self.indexer = indexer
        self.roots = roots
        self.files = files
        self.tally = tally
        self.clear = rebuild
        # What this run's articles are written with: a rebuild takes this version's.
        self.schema = build_schema() if rebuild else indexer._index().schema
        self.progress = progress
        # One view of the index as it was before this run answers every question about
        # old states; this run's own writes are tracked in memory.
        self.before = indexer._index().searcher()
        self.states = {} if rebuild else _read_states(self.before)
        self.known_ids = set() if rebuild else live_terms(self.before.reader(), "id")
        self.writer = None
        self.pending = 0
        self.batch_started = time.monotonic()
        self.claimed: dict[str, str] = {}  # id -> path, for ids written by this run

    def run(self) -> None:
        """Remove vanished files, then read and write new and changed ones."""
        try:
            self._remove_vanished()
            tasks = [task for path in self.files if (task := self._check(path)) is not None]
            self.done = len(self.files) - len(tasks)
            workers = worker_count(sum(task.size for task in tasks))
            schema = self.schema if workers else None
            for prepared in prepare_files(tasks, schema=schema, workers=workers):
                self._apply(prepared)
                self.done += 1
                if self.progress:
                    self.progress(self.done, len(self.files))
            self._flush()
        except BaseException:
            if self.writer is not None:
                self.writer.cancel()
            raise
        finally:
            self.before.close()

    def _write(self):
        if self.writer is None:
            self.writer = self.indexer._writer(schema=self.schema)
            self.batch_started = time.monotonic()
        return self.writer

    def _flush(self) -> None:
        if self.writer is not None or self.clear:
            writer = self._write()
            self.indexer._commit(writer, clear=self.clear)
            self.writer, self.pending, self.clear = None, 0, False

    def _remove_vanished(self) -> None:
        """Remove the files of these folders that are gone, and those indexed under a
        path through a link (before roots were real paths): the real path replaces them."""
        present = set(self.files)
        real_folder = functools.cache(_real_path)  # a folder's files share its real path
        for path, state in self.states.items():
            if path in present:
                continue
            folder, name = os.path.split(path)
            if _inside(path, self.roots) or _inside(
                os.path.join(real_folder(folder), name), self.roots
            ):
                self.tally.removed += len(self._delete_file(state))

    def _delete_file(self, state: FileState) -> set[str]:
        ids = {stored_id(doc) for doc in self.before.documents(**{FILE_FIELD: state.key})}
        self._write().delete_by_term(FILE_FIELD, state.key)
        self.known_ids.difference_update(ids)
        return ids

    def _check(self, path: str) -> FileTask | None:
        """The task of reading ``path``, or None when it is skipped or unchanged."""
        if not _utf8(path):
            reason = "file name is not valid UTF-8 - rename the file to index it"
            self.tally.skipped.append(Skipped(_printable(path), reason))
            return None
        try:
            stat = os.stat(path)
        except OSError as exc:
            broken = isinstance(exc, FileNotFoundError) and os.path.islink(path)
            reason = f"broken link: {os.readlink(path)}" if broken else os_reason(exc)
            self.tally.skipped.append(Skipped(path, reason))
            return None
        if not S_ISREG(stat.st_mode):
            # A pipe would block the run and a device never end: only files are read.
            self.tally.skipped.append(Skipped(path, "not a regular file"))
            return None
        old = self.states.get(path)
        same = old and (old.mtime_ns, old.size) == (stat.st_mtime_ns, stat.st_size)
        if same and old.read_by_these_readers:
            self.tally.unchanged += self._count(old)
            return None
        self.tally.reread += bool(old and not old.read_by_these_readers)
        return FileTask(path, stat.st_mtime_ns, stat.st_size, old)

    def _count(self, state: FileState) -> int:
        return live_count(self.before.reader(), FILE_FIELD, state.key)

    def _apply(self, prepared: Prepared) -> None:
        """Write what reading one file gave, and count it."""
        path, old = prepared.task.path, prepared.task.old
        if prepared.state is None:
            self.tally.skipped.append(Skipped(path, prepared.error))
            return
        if prepared.documents is None and not prepared.error:
            self.tally.unchanged += self._count(old)  # touched, but the same bytes
            return
        self.tally.problems.extend(Skipped(path, p) for p in prepared.problems)
        if prepared.error:
            skipped = Skipped(path, prepared.error)
            if old is not None:
                # A file that was readable before and is broken now (a half-finished
                # download, say) keeps its last good articles until it is fixed or deleted.
                self.tally.skipped.append(_kept(skipped))
                self.tally.unchanged += self._count(old)
                return
            self.tally.skipped.append(skipped)
        old_ids = self._delete_file(old) if old is not None else set()
        new_ids = self._add_documents(prepared)
        self.tally.added += len(new_ids - old_ids)
        self.tally.updated += len(new_ids & old_ids)
        self.tally.removed += len(old_ids - new_ids)
        if self.pending >= BATCH_ARTICLES or (
            self.pending and time.monotonic() - self.batch_started >= COMMIT_SECONDS
        ):
            self._flush()

    def _add_documents(self, prepared: Prepared) -> set[str]:
        state, documents = prepared.state, prepared.documents or []
        written, kept = set(), []
        for document in documents:
            article_id = document["id"]
            owner = self._owner(article_id)
            kept.append(owner is None)
            if owner is not None:
                reason = f"{article_id!r} is already indexed from {owner}"
                self.tally.problems.append(Skipped(state.path, f"duplicate id: {reason}"))
                continue
            self.claimed[article_id] = state.path
            written.add(article_id)
        if written:
            writer = self._write()
            postings = prepared.postings or gather_documents(documents, writer.schema)
            add_gathered(writer, documents, postings, kept)
            self.pending += len(written)
        return written

    def _owner(self, article_id: str) -> str | None:
        """The path that already holds ``article_id`` in the index or in this run."""
        if article_id in self.claimed:
            return self.claimed[article_id]
        if article_id not in self.known_ids:
            return None
        stored = self.before.document(id=article_id)
        return stored.get("path") or "code" if stored else None


def _documents_by_id(articles: Iterable[Article]) -> dict[str, dict]:
    """The documents of ``articles`` by id, in order, the later of two with one id kept in
    the later place; ValueError for an article without an id."""
    documents: dict[str, dict] = {}
    for article in articles:
        if not article.id:
            raise ValueError(f"an article needs an id: {article.title[:60]!r}")
        documents.pop(article.id, None)
        documents[article.id] = document_for(article, "")
    return documents


def _read_states(searcher) -> dict[str, FileState]:
    states = {}
    for key in live_terms(searcher.reader(), FILE_FIELD):
        state = FileState.parse(key)
        if state is not None:
            states[state.path] = state
    return states


def _kept(skipped: Skipped) -> Skipped:
    return Skipped(skipped.path, f"{skipped.reason} (kept the articles indexed before)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(path: str) -> str:
    """``path`` with the bytes of a name that is not UTF-8 shown as U+FFFD."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
