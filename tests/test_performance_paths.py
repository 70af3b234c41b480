"""The faster paths of searching and indexing give the answers the plain paths gave.

Totals counted while collecting, cached date filters, segment readers closed on refresh,
spelling on a one-segment index, commits by elapsed time, field lengths read once.
"""

from __future__ import annotations

import datetime as dt
import gc
import heapq
import random
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage

import search.indexer as indexer_module
import search.searcher as searcher_module
from search import Article, Indexer, Searcher

# Words that make each article's body its own, so no two are folded as copies.
WORDS = "amber basalt cobalt dune ember fjord glacier harbor inlet jetty kelp lagoon".split()


def story(n: int, *, day: int = 1, extra: str = "") -> Article:
    """Article ``n``: "oil" n+1 times (scores differ), a unique word mix, a day in 2021-03."""
    unique = " ".join(WORDS[(n * 7 + k) % len(WORDS)] + str(n * 31 + k) for k in range(12))
    return Article(
        id=f"story-{n}",
        title=f"Report {n}",
        body=f"{'oil ' * (n + 1)}prices {unique} {extra}",
        date=dt.datetime(2021, 3, day, 12),
    )


def day(n: int) -> dt.datetime:
    """Noon of a day from 2021-03-01 to 2021-03-20."""
    return dt.datetime(2021, 3, 1 + n % 20, 12)


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """An index of 40 stories, dated 2021-03-01 to 2021-03-20, in two commits."""
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(story(n, day=1 + n % 20) for n in range(20))
        indexer.add(story(n, day=1 + n % 20) for n in range(20, 40))
    return tmp_path / "ix"


def _all_ids(searcher: Searcher, text: str, **options) -> list[str]:
    ids = []
    for page in range(1, 20):
        ids += [hit.id for hit in searcher.search(text, page=page, limit=7, **options).hits]
    return ids


@pytest.mark.parametrize("options", [{}, {"since": "2021-03-05", "until": "2021-03-09"}])
def test_totals_do_not_depend_on_page(index_dir: Path, options: dict) -> None:
    # Articles with "gold" once in a long body score far below those with it in the
    # title: a collector that prunes matches that cannot reach the page (Whoosh's
    # ``replace``) must still count them.
    with Indexer(index_dir) as indexer:
        indexer.add(
            Article(id=f"title-{n}", title=f"Gold {n}", body=story(n).body, date=day(n))
            for n in range(20)
        )
        indexer.add(
            Article(id=f"body-{n}", body="gold " + " ".join(f"w{n}x{k}" for k in range(300)))
            for n in range(40)
        )
    with Searcher(index_dir) as searcher:
        totals = {searcher.search("gold", page=p, limit=3, **options).total for p in (1, 2, 3)}
        ids = _all_ids(searcher, "gold", **options)
    expected = 5 if options else 60  # five titles dated in the span; bodies undated
    assert totals == {expected}
    assert len(ids) == len(set(ids)) == expected


def test_empty_date_filter_finds_nothing(index_dir: Path) -> None:
    # An empty set of documents is false in Python; Whoosh must not read it as "no filter".
    with Searcher(index_dir) as searcher:
        for _ in range(2):  # the second answer comes from the filter cache
            results = searcher.search("oil", since="2020-01", until="2020-12")
            assert (results.total, results.hits) == (0, ())
        assert searcher.timeline("oil", since="2020-01", until="2020-12").total == 0


def test_a_range_without_articles_reads_no_postings(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unexpected(*args: object, **kwargs: object) -> None:
        raise AssertionError("read for a range that holds no article")

    with Searcher(index_dir) as searcher:
        assert searcher.search("oil OR prics", since="2021-03").total == 40
        for name in ("document_scores", "respellings", "_search"):
            monkeypatch.setattr(searcher_module, name, unexpected)
        results = searcher.search(
            "oil OR prics", since="2020-01", until="2020-12", facets=["source", "month"]
        )
        timeline = searcher.timeline("oil", since="2020-01", until="2020-12")
    assert (results.total, results.hits, results.suggestion) == (0, (), None)
    assert results.facets == {"source": (), "month": ()}
    assert (timeline.total, timeline.periods, timeline.undated) == (0, (), 0)


def test_date_filters_see_new_commits(index_dir: Path) -> None:
    with Searcher(index_dir) as searcher:
        before = searcher.search("oil", since="2021-03-05", until="2021-03-05")
        with Indexer(index_dir) as indexer:
            indexer.add([story(100, day=5)])
        after = searcher.search("oil", since="2021-03-05", until="2021-03-05")
    assert after.total == before.total + 1
    assert "story-100" in {hit.id for hit in after.hits}


def test_date_filters_agree_with_a_fresh_searcher(index_dir: Path) -> None:
    spans = [("2021-03-01", "2021-03-03"), ("2021-03-10", None), (None, "2021-03-02")]
    with Searcher(index_dir) as warm:
        for since, until in spans * 2:
            with Searcher(index_dir) as fresh:
                expected = fresh.search("prices", since=since, until=until, limit=50)
            found = warm.search("prices", since=since, until=until, limit=50)
            assert [h.id for h in found.hits] == [h.id for h in expected.hits]
            assert found.total == expected.total


def test_refresh_closes_every_old_segment(index_dir: Path) -> None:
    with Searcher(index_dir) as searcher:
        searcher.search("oil")
        old = [reader for reader, _ in searcher._engine().reader().leaf_readers()]
        assert len(old) == 2  # one segment per commit of the fixture
        with Indexer(index_dir) as indexer:
            indexer.add([story(200)])
        searcher.search("oil")
        kept = {id(r) for r, _ in searcher._engine().reader().leaf_readers()}
        assert all(reader.is_closed for reader in old if id(reader) not in kept)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        gc.collect()


def test_a_swap_is_one_edit_in_one_segment(tmp_path: Path) -> None:
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(story(n) for n in range(5))
        indexer.add([story(9, extra="old olives")])  # "old": one Levenshtein edit from "oli"
    FileStorage(str(tmp_path / "ix")).open_index().optimize()
    with Searcher(tmp_path / "ix") as searcher:
        assert len(searcher._engine().reader().leaf_readers()) == 1
        assert searcher.search("oli").suggestion == "oil"


def _write_files(folder: Path, count: int) -> None:
    folder.mkdir()
    for n in range(count):
        (folder / f"story{n}.txt").write_text(f"Headline {n}\n\nSome words about oil {n}.\n")


def _generation(index_dir: Path) -> int:
    return FileStorage(str(index_dir)).open_index().latest_generation()


def test_a_sync_commits_once_unless_time_runs_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_files(tmp_path / "docs", 3)
    with Indexer(tmp_path / "one") as indexer:
        assert indexer.sync([tmp_path / "docs"]).added == 3
    assert _generation(tmp_path / "one") == 1  # created empty at 0, one commit
    monkeypatch.setattr(indexer_module, "COMMIT_SECONDS", 0.0)
    with Indexer(tmp_path / "three") as indexer:
        assert indexer.sync([tmp_path / "docs"]).added == 3
    assert _generation(tmp_path / "three") == 3  # a commit after each file


def test_lengths_read_once_give_the_same_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = [story(n) for n in range(8)]
    with Indexer(tmp_path / "fast") as indexer:
        indexer.add(articles)
    monkeypatch.setattr(indexer_module, "lengths_in_memory", lambda reader: reader)
    with Indexer(tmp_path / "plain") as indexer:
        indexer.add(articles)
    dumps = []
    for name in ("fast", "plain"):
        reader = FileStorage(str(tmp_path / name)).open_index().reader()
        fields = sorted(reader.indexed_field_names())
        postings = [
            (f, t, list(reader.postings(f, t).items_as("weight")))
            for f in fields
            for t in reader.lexicon(f)
        ]
        lengths = [reader.doc_field_length(d, "body") for d in range(reader.doc_count_all())]
        dumps.append((postings, lengths))
        reader.close()
    assert dumps[0] == dumps[1]
    assert dumps[0][1][0] > 0


def test_field_lengths_from_memory_equal_whooshs(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = ["oil", "oil prices", "report OR prices", "title:report"]

    def ranked() -> list[list[tuple[str, float]]]:
        with Searcher(index_dir) as searcher:
            found = [searcher.search(q, limit=20).hits for q in queries]
            engine = searcher._engine()
        lengths = [leaf._perdoc.doc_field_length for leaf, _ in engine.reader().leaf_readers()]
        kinds.append({type(f).__name__ for f in lengths})
        return [[(hit.id, hit.score) for hit in hits] for hits in found]

    kinds: list[set[str]] = []
    fast = ranked()
    monkeypatch.setattr(searcher_module, "_lengths_in_memory", lambda engine: engine)
    assert ranked() == fast
    assert kinds == [{"_FieldLengths"}, {"method"}]
    assert all(fast)


WORDY = "oil gas price prices market rally bank rate cut opec crude output fell rose".split()


def wordy_story(n: int) -> Article:
    """A story whose title and body mix WORDY words, some repeated; one in 11 undated."""
    pick = [WORDY[(n * k + k * k) % len(WORDY)] for k in range(1, 9)]
    return Article(
        id=f"wordy-{n}",
        title=" ".join(pick[:3]),
        summary=" ".join(pick[2:4]) if n % 3 else "",
        body=" ".join(pick * (1 + n % 4)) + f" story{n}",
        tags=("energy",) if n % 5 == 0 else (),
        date=None if n % 11 == 0 else day(n),
    )


@pytest.mark.parametrize("segments", [1, 2])
def test_scoring_a_word_at_a_time_equals_whooshs_matchers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, segments: int
) -> None:
    with Indexer(tmp_path / "ix") as indexer:
        if segments == 1:
            indexer.add(wordy_story(n) for n in range(120))
        else:
            indexer.add(wordy_story(n) for n in range(60))
            indexer.add(wordy_story(n) for n in range(60, 120))
        indexer.delete(f"wordy-{n}" for n in range(0, 120, 7))  # deleted, not merged
    queries = [
        *WORDY,
        "oil gas",
        "oil prices rally",
        "crude output fell rose",
        "opec story3 nothing",
        "oil OR gas",
        "oil OR gas OR price",
        "market OR rally OR bank OR rate OR story5",
        "(oil OR gas) bank",
        "oil AND (rate OR cut)",
        "what is the market doing with oil prices and bank rate cuts today",
        "oil gas price market rally bank rate cut opec crude output",
        '"oil gas"',
        '"cut gas"',
        '"cut gas" crude',
        '"price bank fell"',
        '"bank fell bank price"',
        '"cut gas" OR "price bank fell"',
        'title:"price bank"^2',
        '"cut cut"',
        '"oil nosuchword"',
        '"cut gas"~2 bank',
        "title:oil",
        "oil -gas",
        "oil^3 gas",
        "oil^2.5 OR gas^0.5",
        "(oil OR gas^2) bank^1.5",
        "title:oil^2",
        "oil~",
    ]

    def ranked(limit: int = 40, **options) -> list:
        with Searcher(tmp_path / "ix") as searcher:
            return [
                (found.total, [(hit.id, hit.score) for hit in found.hits])
                for found in (searcher.search(q, limit=limit, **options) for q in queries)
            ]

    def every_way() -> list:
        dated = {"since": "2021-03-05", "until": "2021-03-12"}
        return [
            *ranked(),
            *ranked(**dated),
            *ranked(sort="-date"),
            *ranked(sort="date", **dated),
            *ranked(limit=120, sort="date"),  # the undated, all alike, last by number
        ]

    fast = every_way()
    monkeypatch.setattr(searcher_module, "document_scores", lambda *args: None)
    assert every_way() == fast
    assert sum(total for total, _ in fast) > 2000


def test_an_and_of_clauses_of_one_size_adds_up_as_whooshs_matchers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Clauses of equal estimated size tie in Whoosh's tree of intersections, and its
    # matchers, equal to any of their class, keep their order there: the sums must be
    # built in the same tree, or three clauses differ in the last bit.

    rng = random.Random(1)
    words = "kabul airport oil prices cash energy market rally bank rate cut doe".split()

    def text(most: int) -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(0, most)))

    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(
            Article(id=f"a{n}", title=text(4), body=text(40), summary=text(5)) for n in range(130)
        )
    queries = [
        "kabul AND airport AND cash",
        "oil AND bank AND rate",
        "market AND rally AND cut AND doe",
    ]

    def scores() -> list:
        with Searcher(tmp_path / "ix") as searcher:
            return [[(h.id, h.score) for h in searcher.search(q, limit=200).hits] for q in queries]

    fast = scores()
    monkeypatch.setattr(searcher_module, "document_scores", lambda *args: None)
    assert scores() == fast
    assert all(fast)


def test_sorting_by_date_orders_as_whooshs_sorting_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many matches are taken walking every document in date order; few, from a heap.
    Both order as Whoosh does: by date, the undated last, equal dates by number."""

    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(
            Article(
                id=f"dated-{n}",
                title=f"market {'rare' if n % 15 == 0 else 'common'}",
                body=f"market story number {n} of {n * 7 % 31} words",
                date=None if n % 5 == 0 else day(n % 9),  # nine days, many alike
            )
            for n in range(300)
        )
    walked, heaped = [], []
    monkeypatch.setattr(
        searcher_module, "_date_ordered", _recording(searcher_module._date_ordered, walked)
    )
    monkeypatch.setattr(searcher_module.heapq, "nsmallest", _recording(heapq.nsmallest, heaped))

    def pages() -> list:
        with Searcher(tmp_path / "ix") as searcher:
            return [
                [hit.id for hit in searcher.search(q, sort=s, page=p, all_copies=True).hits]
                for q in ("market", "rare")
                for s in ("date", "-date")
                for p in (1, 3, 25)
            ]

    fast = pages()
    assert walked and heaped  # "market" (300 matches) walks, "rare" (20) takes a heap
    assert fast[0] == [f"dated-{n}" for n in (9, 18, 27, 36, 54, 63, 72, 81, 99, 108)]
    monkeypatch.setattr(searcher_module, "document_scores", lambda *args: None)
    assert pages() == fast


def test_a_rare_word_reads_only_the_blocks_of_a_common_one_that_may_hold_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'common rare': the few stories with "rare" are looked up in the blocks of
    "common" (every story, five blocks) that may hold them; the scores, totals and
    order are Whoosh's, deleted stories left out."""

    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(
            Article(
                id=f"block-{n}",
                title="common" if n % 3 else "other",
                body=f"common words {'rare ' * (n % 4) if n % 97 == 0 else ''}story {n}",
                date=day(n),
            )
            for n in range(640)
        )
        # One of the five with "rare", and one in the dates searched below.
        indexer.delete(["block-194", "block-1"])
    queries = ["common rare", "rare common", "rare", "common", "common story"]
    queries += ['"words rare"', '"rare rare story"', '"common words"', '"story common"']

    def ranked() -> list:
        with Searcher(tmp_path / "ix") as searcher:
            return [
                (found.total, [(hit.id, hit.score) for hit in found.hits])
                for q in queries
                for found in (
                    searcher.search(q, all_copies=True),
                    searcher.search(q, all_copies=True, since="2021-03-02", until="2021-03-03"),
                )
            ]

    import search.query as query_module

    picked: list = []
    monkeypatch.setattr(
        query_module, "_picked_blocks", _returning(query_module._picked_blocks, picked)
    )
    fast = ranked()
    assert [total for total, _ in fast[:2]] == [4, 1]
    assert sum(result is not None for result in picked) >= 4  # the path is taken
    with Searcher(tmp_path / "ix") as searcher:  # a deleted story is never picked
        reader = searcher._engine().reader()
        ids, _, kind = query_module._picked_blocks(reader, "body", "common", {1, 2, 300})
        assert (ids, kind) == ([2, 300], "FilterMatcher")
    monkeypatch.setattr(searcher_module, "document_scores", lambda *args: None)
    assert ranked() == fast


def _returning(function, results: list):
    def recorded(*args, **kwargs):
        results.append(function(*args, **kwargs))
        return results[-1]

    return recorded


def _recording(function, calls: list):
    def recorded(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    return recorded


def test_phrase_words_are_added_up_as_whooshs_tree_of_intersections() -> None:
    from whoosh.util import make_binary_tree

    from search.query import _tree_sum

    class Part(float):
        def __new__(cls, a, b=None):  # a leaf, or an intersection of two: their sum
            return super().__new__(cls, a if b is None else a + b)

    # Where the order of additions shows: left to right gives 1e16 and 1.0.
    for parts in ([1e16, 1.0, 1.0], [1.0, 1e16, -1e16, 1.0]):
        assert _tree_sum(parts) == make_binary_tree(Part, [Part(p) for p in parts])
    assert (_tree_sum([1e16, 1.0, 1.0]), _tree_sum([1.0, 1e16, -1e16, 1.0])) == (1e16 + 2, 0.0)


def test_scores_are_added_in_the_order_of_their_clauses() -> None:
    from search.schema import added_in_order

    # Left to right, 1e16 + 1.0 rounds back to 1e16 at each step; any other order
    # of three gives 1e16 + 2.
    assert added_in_order([{7: 1e16}, {7: 1.0}, {7: 1.0}]) == {7: 1e16}
    assert added_in_order([{7: 1.0}, {7: 1.0}, {7: 1e16}]) == {7: 1e16 + 2}
    # Two in either order give the same sums; every document is kept.
    small, large = {1: 0.1, 5: 1e16}, {1: 0.2, 2: 0.3, 5: 1.0, 9: 0.4}
    expected = {1: 0.1 + 0.2, 2: 0.3, 5: 1e16 + 1.0, 9: 0.4}
    assert added_in_order([small, large]) == added_in_order([large, small]) == expected
    assert added_in_order([]) == {}


@pytest.mark.parametrize(
    ("text", "word_at_a_time"),
    [
        ("oil", True),
        ("oil prices rally", True),
        ("oil OR gas OR price", True),
        ("(oil OR gas) bank", True),
        ("title:oil", True),
        ("oil^2 prices", True),
        ('"oil gas"', True),
        ('"oil gas" bank', True),
        ('"oil gas"~2', False),
        ("oil -gas", False),
        ("oil~", False),
    ],
)
def test_which_queries_are_scored_a_word_at_a_time(
    index_dir: Path, text: str, word_at_a_time: bool
) -> None:
    from search.query import document_scores, parse_query

    with Searcher(index_dir) as searcher:
        engine = searcher._engine()
        segment, _ = engine.leaf_searchers()[0]
        found = document_scores(parse_query(text).query, segment, engine.weighting)
    assert (found is not None) is word_at_a_time


def test_an_and_scoring_only_its_rarest_words_documents_keeps_every_idf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "zinc" is in five titles and one body; only the body holds "mine" too. Scored
    # for that one story, "zinc" must keep the idf of its title, as Whoosh's matchers do.
    articles = [
        Article(id=f"t{n}", title="zinc prices", body=f"metal markets {n}") for n in range(5)
    ]
    articles.append(Article(id="b", title="copper", body="a zinc mine opened"))
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(articles)

    def ranked() -> list:
        with Searcher(tmp_path / "ix") as searcher:
            return [
                [(h.id, h.score) for h in searcher.search(q).hits]
                for q in ("zinc mine", "mine zinc")
            ]

    fast = ranked()
    monkeypatch.setattr(searcher_module, "document_scores", lambda *args: None)
    assert ranked() == fast
    assert [hit for hit, _ in fast[0]] == ["b"]


def test_date_columns_read_at_once_equal_whooshs_reader(tmp_path: Path) -> None:
    from search.searcher import _column_values

    # Whoosh writes no value for undated articles at the end of a segment: the column
    # is shorter than the segment, and the reader answers its default past the end.
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add([story(0), story(1, day=9), replace(story(2), date=None)])
    with Searcher(tmp_path / "ix") as searcher:
        (segment, _), *_ = searcher._engine().leaf_searchers()
        column = segment.reader().column_reader("date", translate=False)
        values = list(_column_values(column))
        assert column._count == 2
        assert values == column.load()
        assert values[2] == column._default
    assert values[0] < values[1]


def _dated_index(path: Path, times: list[dt.datetime]) -> Path:
    with Indexer(path) as indexer:
        indexer.add(
            Article(id=f"d{n}", title="dated", body=f"d{n}", date=time)
            for n, time in enumerate(times)
        )
    return path


def test_dates_are_indexed_at_five_precisions(tmp_path: Path) -> None:
    times = [dt.datetime(2021, 3, 1, 12, 0, 1), dt.datetime(2021, 3, 1, 12, 0, 2)]
    ix = FileStorage(str(_dated_index(tmp_path / "ix", times))).open_index()
    with ix.reader() as reader:
        shifts = sorted(term[0] for term in reader.lexicon("date"))
    # Each time exactly (shift 0); both in the same block of each coarser precision.
    assert shifts == [0, 0, 32, 40, 48, 56]


@pytest.mark.parametrize(
    "value",
    [dt.datetime(2021, 3, 1, 12, 0, 1, 5), [dt.datetime(1969, 7, 20), dt.datetime(2038, 1, 19)],
     "20210301", b"\x00raw"],
)  # fmt: skip
def test_a_date_is_indexed_as_whoosh_converts_it_at_each_precision(value) -> None:
    from search.schema import DateField

    field = DateField()
    values = value if isinstance(value, list) else [value]
    expected = [field.to_bytes(v, shift) for v in values for shift in field.shifts]
    assert [word for word, *_ in field.index(value)] == expected
    assert {
        (frequency, weight, encoded) for _, frequency, weight, encoded in field.index(value)
    } == {(1, 1.0, b"")}


@pytest.mark.parametrize("written_before", [False, True])
def test_date_ranges_are_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written_before: bool
) -> None:
    from whoosh import fields
    from whoosh.query import DateRange, Every

    import search.schema as schema_module
    from search.query import date_filter_query

    rng = random.Random(7)
    first = dt.datetime(2019, 12, 31, 23, 59, 59)
    times = [first + dt.timedelta(seconds=rng.randrange(3 * 10**8)) for _ in range(300)]
    times += [first, first + dt.timedelta(microseconds=1)]
    with monkeypatch.context() as patch:
        if written_before:  # with Whoosh's eight precisions
            patch.setattr(schema_module, "DateField", fields.DATETIME)
        _dated_index(tmp_path / "ix", times)
    spans = [sorted(rng.sample(times, 2)) for _ in range(40)]
    spans += [(times[0], times[0] + dt.timedelta(minutes=1)), (None, times[5]), (times[7], None)]
    spans += [(first, first + dt.timedelta(microseconds=1)), (first - dt.timedelta(days=900), None)]
    ix = FileStorage(str(tmp_path / "ix")).open_index()
    assert isinstance(ix.schema["date"], schema_module.DateField) is not written_before
    with ix.searcher() as searcher:
        assert len(searcher.search(Every(), limit=None)) == len(times)
        for start, end in spans:
            expected = {
                f"d{n}"
                for n, time in enumerate(times)
                if (start is None or time >= start) and (end is None or time < end)
            }
            found = searcher.search(date_filter_query(start, end), limit=None)
            assert {hit["id"] for hit in found} == expected, (start, end)
            # Whoosh's own range query, as a program using the index directly runs it.
            whooshs = DateRange("date", start, end, endexcl=end is not None)
            assert {hit["id"] for hit in searcher.search(whooshs, limit=None)} == expected


def test_searcher_files_are_read_through_memory_maps(tmp_path: Path) -> None:
    import mmap

    from search.searcher import _storage

    (tmp_path / "data").write_bytes(b"\x00\x01postings")
    (tmp_path / "empty").write_bytes(b"")
    storage = _storage(str(tmp_path))
    mapped, empty = storage.open_file("data"), storage.open_file("empty")
    assert isinstance(mapped.file, mmap.mmap)
    assert mapped.get(2, 8) == b"postings"
    mapped.seek(1)
    assert mapped.read_byte() == 1
    assert empty.read() == b""  # an empty file cannot be mapped: read as a file
    mapped.close()
    empty.close()


def test_equal_scores_rank_by_index_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 80 stories, all scoring the same for "alpha OR beta": "beta" in the first forty,
    # "alpha" in the others. Scored a word at a time, the alpha stories are listed first.
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(
            Article(
                id=f"n{n:02}", title=f"t{n:02}", body=f"{'beta' if n < 40 else 'alpha'} w{n:02}"
            )
            for n in range(80)
        )

    def first_page() -> list[str]:
        with Searcher(tmp_path / "ix") as searcher:
            found = searcher.search("alpha OR beta", limit=10)
            assert len({hit.score for hit in found.hits}) == 1
            return [hit.id for hit in found.hits]

    assert first_page() == [f"n{n:02}" for n in range(10)]
    monkeypatch.setattr(searcher_module, "document_scores", lambda *args: None)
    assert first_page() == [f"n{n:02}" for n in range(10)]
