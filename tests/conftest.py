"""Shared fixtures: a copy of the fixture corpus, and an index of it built once; and a
deadline for blocks that must not hang."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

# The fixture corpus: eight articles in four formats, with known words and fields.
CORPUS_IDS = {
    "kabul-airport": "https://example.com/world/kabul-airport",
    "wire-capital": "https://wire.example/1",
    "wire-markets": "https://wire.example/2",
    "wire-zurich": "https://wire.example/3",
    "kabul-cash": "https://example.com/world/kabul-cash",
}


def copy_corpus(target: Path) -> Path:
    """Copy the fixture corpus under ``target`` and return the copy's folder."""
    return Path(shutil.copytree(FIXTURES / "corpus", target / "corpus"))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A fresh, writable copy of the fixture corpus."""
    return copy_corpus(tmp_path)


@pytest.fixture(autouse=True, scope="session")
def no_background_servers() -> Iterator[None]:
    """The commands tests run start no ``search serve`` of their own in the background
    (test_serve.py starts them where it means to)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEARCH_SERVE_IDLE", "0")
        yield


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(corpus folder, index folder): the fixture corpus indexed once per session.

    Tests must not change either; copy them first.
    """
    from search import Indexer

    base = tmp_path_factory.mktemp("built")
    folder = copy_corpus(base)
    index_dir = base / "index"
    with Indexer(index_dir) as indexer:
        report = indexer.sync([folder])
    assert (report.added, report.skipped) == (8, ()), report
    return folder, index_dir


@pytest.fixture(scope="session")
def index_dir(built: tuple[Path, Path]) -> Path:
    """The session's index of the fixture corpus (read only)."""
    return built[1]


class Hung(Exception):
    """A block ran past its deadline (not an OSError: the indexer would take it for one)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail, instead of hanging, when the block takes longer than ``seconds`` (SIGALRM:
    main thread only)."""

    def expire(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
