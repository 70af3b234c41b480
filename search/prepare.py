"""Files -> documents ready to write: hashed, extracted and analyzed, in worker processes
when a sync has enough to read.

Writing a segment is Whoosh's and runs in one process; everything before it (reading and
hashing a file, extracting its articles, fingerprinting them, analyzing their text into
postings gathered word by word, :func:`search.postings.gather`) does not need the index
and runs beside it. Results come back in file order, so a sync in parallel writes the
same index as one without.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import os
import pickle
import subprocess
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search.errors import ExtractError
from search.extract import READER_VERSION, extract_file
from search.postings import FilePostings, gather, gathered_fields
from search.schema import JOINED_FIELDS, document_for

__all__ = [
    "FileState",
    "FileTask",
    "Prepared",
    "gather_documents",
    "hash_file",
    "os_reason",
    "prepare_files",
    "serve",
    "worker_count",
]

# Worker processes start (importing the extractors) in about a second: worth it
# only when there is more than that to read. Below this many bytes a sync stays in one
# process.
PARALLEL_BYTES = 4 * 1024 * 1024
# Files read ahead of the writer, per worker.
AHEAD = 2
# At most this many workers: beyond, the writer (in the main process) keeps them waiting.
MAX_WORKERS = 3
# A worker collects cyclic garbage once every this many files (see serve()).
COLLECT_EVERY = 64


@dataclass(frozen=True)
class FileState:
    """What the index recorded about one file when it was last read, and by which version
    of the readers (:data:`~search.extract.READER_VERSION`)."""

    path: str
    mtime_ns: int
    size: int
    sha1: str
    reader: int

    @property
    def key(self) -> str:
        """The term stored in ``FILE_FIELD`` for this state (for readers of version 1, the
        term as it was written before versions were recorded)."""
        key = f"{self.path}\t{self.mtime_ns}\t{self.size}\t{self.sha1}"
        return key if self.reader == 1 else f"{key}\tr{self.reader}"

    @property
    def read_by_these_readers(self) -> bool:
        """False when an older version of the readers read the file."""
        return self.reader == READER_VERSION

    @classmethod
    def parse(cls, key: str) -> FileState | None:
        """Read a state back from its term; None if the term is malformed."""
        rest, _, last = key.rpartition("\t")
        reader = 1  # a term without a version ends with the hash ("...\t<sha1>")
        if last[:1] == "r" and last[1:].isdigit():
            key, reader = rest, int(last[1:])
        parts = key.rsplit("\t", 3)
        if len(parts) != 4 or not parts[1].isdigit() or not parts[2].isdigit():
            return None
        return cls(parts[0], int(parts[1]), int(parts[2]), parts[3], reader)


@dataclass(frozen=True)
class FileTask:
    """A new or changed file to read, with its state as indexed before (``old``), whose
    hash spares extracting a file that was touched but not changed."""

    path: str
    mtime_ns: int
    size: int
    old: FileState | None = None


@dataclass
class Prepared:
    """What reading one file gave: its new state once hashed, its documents (``None``
    when its hash is the old one's) and their postings once gathered, the problems met,
    and why it could not be read (``error``)."""

    task: FileTask
    state: FileState | None = None
    documents: list[dict[str, Any]] | None = None
    postings: FilePostings | None = None
    problems: list[str] = field(default_factory=list)
    error: str = ""


def worker_count(total_bytes: int) -> int:
    """How many worker processes a sync reading ``total_bytes`` should use (0: none)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if total_bytes < PARALLEL_BYTES or (cpus or 1) < 2:
        return 0
    # As many as cores: two workers on two cores beat one (49.5 s against 54.4 s for
    # Reuters), the writer waiting on them part of the time.
    return min(MAX_WORKERS, cpus or 1)


def prepare_files(
    tasks: Iterable[FileTask], *, schema=None, workers: int = 0
) -> Iterator[Prepared]:
    """Read ``tasks``, yielding in their order; with ``workers``, in that many worker
    processes, each document's text analyzed there with ``schema`` (the index's own).

    Should a worker fail to start or die, the files not yet read are read here.
    """
    if not workers:
        yield from (prepare_file(task) for task in tasks)
        return
    pool = _Workers(workers, schema)
    finished = False
    try:
        yield from pool.run(iter(tasks))
        finished = True
    finally:
        # Stopped early (an error, an interrupt): the files in hand are not wanted.
        pool.close(kill=not finished)


def prepare_file(task: FileTask, schema=None) -> Prepared:
    """Hash and extract one file; with ``schema``, gather its documents' postings too."""
    prepared = Prepared(task)
    try:
        sha1 = hash_file(task.path)
        prepared.state = FileState(task.path, task.mtime_ns, task.size, sha1, READER_VERSION)
        old = task.old
        if old is not None and old.sha1 == sha1 and old.read_by_these_readers:
            return prepared
        articles = extract_file(task.path, on_problem=prepared.problems.append)
    except ExtractError as exc:
        prepared.error = exc.reason
        return prepared
    except OSError as exc:
        prepared.error = os_reason(exc)
        return prepared
    key = prepared.state.key
    prepared.documents = [document_for(article, key) for article in articles]
    if schema is not None:
        prepared.postings = gather_documents(prepared.documents, schema)
        _drop_gathered_only(prepared.documents, schema)
    return prepared


def gather_documents(documents: list[dict[str, Any]], schema) -> FilePostings:
    """The postings of ``documents`` in ``schema``'s fields, the spell field's words read
    from title's and body's: how a file's articles are gathered, here or by the writer."""
    return gather(documents, schema, joined=JOINED_FIELDS)


def _drop_gathered_only(documents: list[dict[str, Any]], schema) -> None:
    """Drop the values only the postings needed (fields neither stored nor in a column):
    the writer does not read them, and sending them costs (the spell field repeats the
    title and body). Their lengths travel with the postings."""
    names = [
        name
        for name in gathered_fields(schema)
        if not schema[name].stored and not schema[name].column_type
    ]
    for document in documents:
        for name in names:
            document.pop(name, None)


def hash_file(path: str) -> str:
    """The SHA-1 of a file's bytes, read in blocks."""
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Workers:
    """Worker processes reading files, fed and answered through pipes, in task order.

    Each worker is ``python -c "from search.prepare import serve; serve()"``: unlike
    multiprocessing's spawn, it does not import the caller's main module, so a script
    without an ``if __name__ == "__main__"`` guard cannot start itself again.
    """

    def __init__(self, count: int, schema) -> None:
        self._processes: list[subprocess.Popen] = []
        schema_bytes = pickle.dumps(schema, pickle.HIGHEST_PROTOCOL)
        for _ in range(count):
            process = subprocess.Popen(
                [sys.executable, "-c", "from search.prepare import serve; serve()"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=_worker_environment(),
            )
            self._processes.append(process)
            self._send(process, schema_bytes)

    def run(self, tasks: Iterator[FileTask]) -> Iterator[Prepared]:
        pending: deque[tuple[FileTask, subprocess.Popen | None]] = deque()
        for process in self._processes * AHEAD:
            task = next(tasks, None)
            if task is None:
                break
            pending.append((task, self._send(process, _dumps(task))))
        while pending:
            task, process = pending.popleft()
            prepared = self._receive(process) if process else None
            if prepared is None:
                # A worker is gone: read this file and all the others here.
                self.close(kill=True)
                yield prepare_file(task)
                yield from (prepare_file(task) for task, _ in pending)
                yield from (prepare_file(task) for task in tasks)
                return
            yield prepared
            task = next(tasks, None)
            if task is not None:
                pending.append((task, self._send(process, _dumps(task))))

    def close(self, *, kill: bool = False) -> None:
        """End the workers: idle ones leave when their input ends; ``kill`` ends busy
        ones too (and any that does not leave within seconds)."""
        for process in self._processes:
            if kill:
                process.kill()
            with contextlib.suppress(OSError):
                process.stdin.close()
        for process in self._processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()
        self._processes = []

    @staticmethod
    def _send(process: subprocess.Popen, data: bytes) -> subprocess.Popen | None:
        try:
            process.stdin.write(data)
            process.stdin.flush()
        except (OSError, ValueError):
            return None
        return process

    @staticmethod
    def _receive(process: subprocess.Popen) -> Prepared | None:
        try:
            return pickle.load(process.stdout)
        except Exception:  # noqa: BLE001 - a reply that cannot be read is a failed worker
            return None


def serve() -> None:
    """A worker's loop: read the schema, then tasks, from stdin; write what each gives
    to stdout, pickled; leave the process once stdin ends. Anything else written to
    stdout goes to stderr instead."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = sys.stdin.buffer
    schema = pickle.load(requests)
    # Reading files leaves next to no cyclic garbage (none after 80 web pages or 5,000
    # Reuters stories), yet Python's collections, started by every few hundred objects
    # made, took some 7% of the workers' time: they run between files only, every
    # COLLECT_EVERY of them.
    gc.disable()
    for count in itertools.count(1):
        try:
            task = pickle.load(requests)
        except EOFError:
            # Every reply is flushed: leave without tearing the interpreter down, which
            # took 0.13 s that the writer waited for before its commit.
            os._exit(0)
        replies.write(_dumps(prepare_file(task, schema)))
        replies.flush()
        if count % COLLECT_EVERY == 0:
            gc.collect()


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _worker_environment() -> dict[str, str]:
    # The worker must import this very package, wherever the caller found it.
    root = str(Path(__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=os.pathsep.join([root, path]) if path else root)


def os_reason(exc: OSError) -> str:
    """Why an OSError kept a file from being read, in a user's words."""
    if isinstance(exc, FileNotFoundError):
        return "file vanished while indexing"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return f"cannot read: {exc.strerror or exc}"
