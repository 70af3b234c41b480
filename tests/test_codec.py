"""The codec: rare words' postings kept in the term table, results unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec

import search.indexer
from search import Indexer, Searcher
from search.check import check_index

QUERIES = [
    "kabul",
    "taliban airport",
    '"provincial capitals"',
    "title:kabul OR zurich",
    "markets -kabul",
    "cap*",
    "kabol~",
]


def build(index_dir: Path, corpus: Path) -> None:
    with Indexer(index_dir) as indexer:
        indexer.sync([corpus])


def ranking(index_dir: Path) -> list[list[tuple[str, float, str]]]:
    with Searcher(index_dir) as searcher:
        return [
            [(hit.id, round(hit.score, 9), hit.snippet) for hit in searcher.search(q).hits]
            for q in QUERIES
        ]


def test_words_of_one_article_are_inlined(index_dir: Path) -> None:
    with whoosh_index.open_dir(str(index_dir)).reader() as reader:
        kinds = {
            reader.term_info(field, text).doc_frequency(): reader.term_info(
                field, text
            ).is_inlined()
            for field, text in reader.all_terms()
        }
    assert kinds[1] is True
    assert not any(inlined for frequency, inlined in kinds.items() if frequency > 1)


def test_results_equal_those_of_whooshs_codec(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(tmp_path / "ours", corpus)
    monkeypatch.setattr(search.indexer, "Codec", W3Codec)
    build(tmp_path / "w3", corpus)
    assert ranking(tmp_path / "ours") == ranking(tmp_path / "w3")
    assert all(ranking(tmp_path / "ours"))


def build_in_two_runs_and_merge(index_dir: Path, corpus: Path, aside: Path) -> None:
    later = sorted(corpus.iterdir())[1:]
    for path in later:
        path.rename(aside / path.name)
    build(index_dir, corpus)
    for path in later:
        (aside / path.name).rename(path)
    build(index_dir, corpus)
    ix = whoosh_index.open_dir(str(index_dir))
    assert len(ix._segments()) == 2
    ix.optimize()
    assert len(whoosh_index.open_dir(str(index_dir))._segments()) == 1


def test_merged_segments_keep_inlined_postings(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_in_two_runs_and_merge(tmp_path / "ours", corpus, tmp_path)
    assert check_index(tmp_path / "ours").healthy
    monkeypatch.setattr(search.indexer, "Codec", W3Codec)
    build_in_two_runs_and_merge(tmp_path / "w3", corpus, tmp_path)
    assert ranking(tmp_path / "ours") == ranking(tmp_path / "w3")


def test_skipping_within_blocks_lands_where_whoosh_lands(tmp_path: Path) -> None:
    from whoosh.codec.whoosh3 import W3LeafMatcher

    from search import Article
    from search.codec import _LeafMatcher

    # "common" in 600 of 900 articles: five blocks of 128 postings and some gaps.
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(
            Article(id=f"a{n}", title=f"t{n}", body="common" if n % 3 else "rare")
            for n in range(900)
        )

    def landings(matcher_class) -> list[int | None]:
        with whoosh_index.open_dir(str(tmp_path / "ix")).reader() as reader:
            info = reader.term_info("body", b"common")
            (segment_reader, _), *_ = reader.leaf_readers()
            postfile = segment_reader._terms._postfile
            offset, length = info.extent()
            fmt = reader.schema["body"].format
            matcher = matcher_class(postfile, offset, length, fmt)
            found = []
            for target in [0, 1, 2, 5, 5, 6, 127, 130, 191, 192, 400, 401, 700, 898, 899]:
                matcher.skip_to(target)
                found.append(matcher.id() if matcher.is_active() else None)
                if matcher.is_active() and target % 2:
                    matcher.next()
            return found

    ours = landings(_LeafMatcher)
    assert ours == landings(W3LeafMatcher)
    assert ours == [1, 1, 2, 5, 7, 8, 127, 130, 191, 193, 400, 401, 700, 898, 899]
