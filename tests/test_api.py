"""The public API: complete exports, and nothing from the engine in what it returns."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

import search
from search import Searcher


def test_every_exported_name_resolves() -> None:
    for name in search.__all__:
        assert getattr(search, name) is not None, name
    assert set(search.__all__) == set(search._HOMES)


def test_exports_cover_what_the_cli_uses() -> None:
    source = (Path(search.__file__).parent / "cli.py").read_text(encoding="utf-8")
    used = set(re.findall(r"(?<!from )\bsearch\.(\w+)", source)) - {"cli"}
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


def test_an_article_takes_a_lone_name_and_a_date_and_refuses_other_types() -> None:
    article = search.Article(
        id="memo-1",
        title="Budget memo",
        authors="Jane Roe",
        tags="budget",
        date=dt.date(2021, 8, 1),
    )
    assert article.authors == ("Jane Roe",)
    assert article.tags == ("budget",)
    assert article.date == dt.datetime(2021, 8, 1)
    bad = [
        ({"date": "2021-08-01"}, "Article.date must be a datetime"),
        ({"title": None}, "Article.title must be a str"),
        ({"authors": ["Jane Roe", 7]}, "Article.authors must be a sequence of str"),
    ]
    for fields, message in bad:
        with pytest.raises(TypeError) as caught:
            search.Article(id="memo-2", **fields)
        assert str(caught.value) == message
    with pytest.raises(TypeError, match="Article.id must be a str"):
        search.Article(id=5)


def test_an_article_without_an_id_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    good = search.Article(id="memo-1", title="Budget memo", body="The budget grew.")
    memo = search.Article(id="", title="Untitled memo")
    with (
        search.Indexer(tmp_path / "ix") as indexer,
        pytest.raises(ValueError, match="an article needs an id: 'Untitled memo'"),
    ):
        indexer.add([good, memo])
    with Searcher(tmp_path / "ix") as searcher:
        assert searcher.search("budget").total == 0
