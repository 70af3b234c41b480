"""The public API: complete exports, and nothing from the engine in what it returns."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import search
from search import Searcher


def test_every_exported_name_resolves() -> None:
    for name in search.__all__:
        assert getattr(search, name) is not None, name
    assert set(search.__all__) == set(search._HOMES)


def test_exports_cover_what_the_cli_uses() -> None:
    source = (Path(search.__file__).parent / "cli.py").read_text(encoding="utf-8")
    used = set(re.findall(r"\bsearch\.(\w+)", source)) - {"cli"}
    assert used <= set(search.__all__)


def _engine_objects(value: object, path: str = "results") -> list[str]:
    """Paths inside ``value`` that hold an object from the engine's modules."""
    if type(value).__module__.startswith("whoosh"):
        return [path]
    if dataclasses.is_dataclass(value):
        return [
            found
            for field in dataclasses.fields(value)
            for found in _engine_objects(getattr(value, field.name), f"{path}.{field.name}")
        ]
    if isinstance(value, (list, tuple)):
        return [
            found for n, item in enumerate(value) for found in _engine_objects(item, f"{path}[{n}]")
        ]
    if isinstance(value, dict):
        return [
            found
            for key, item in value.items()
            for found in _engine_objects(item, f"{path}[{key!r}]")
        ]
    return []


def test_results_hold_no_engine_objects(index_dir: Path) -> None:
    with Searcher(index_dir) as searcher:
        values = [
            searcher.search("taliban", facets=["source", "month"], explain=True),
            searcher.similar("https://example.com/world/kabul-airport"),
            searcher.timeline("taliban"),
            searcher.stats(),
            searcher.get("https://wire.example/1"),
        ]
    assert [found for value in values for found in _engine_objects(value)] == []
