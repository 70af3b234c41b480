"""Shared fixtures: a copy of the fixture corpus, and an index of it built once."""

from __future__ import annotations

import shutil
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
