"""Searcher: exact rankings and totals on the fixture corpus, filters, paging, threads."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest
from whoosh import collectors
from whoosh import query as wq
from whoosh.filedb.filestore import RamStorage

from search import (
    Article,
    ArticleNotFoundError,
    IndexCorruptError,
    Indexer,
    IndexNotFoundError,
    QuerySyntaxError,
    Searcher,
    UnknownFieldError,
)
from search.query import date_filter_query
from search.schema import build_schema, document_for

# Short names for the fixture articles' ids (see tests/fixtures/corpus).
NAMES = {
    "https://example.com/world/kabul-airport": "airport",
    "https://example.com/world/kabul-cash": "cash",
    "https://wire.example/1": "capital",
    "https://wire.example/2": "markets",
    "https://wire.example/3": "zurich",
}


def name(article_id: str) -> str:
    """The short name of a fixture article: its NAMES entry, else its file's stem."""
    if article_id in NAMES:
        return NAMES[article_id]
    path, mark, record = article_id.partition("#")
    return Path(path).stem + mark + record


@pytest.fixture(scope="module")
def searcher(index_dir: Path):
    with Searcher(index_dir) as opened:
        yield opened


def ranked(searcher: Searcher, text: str, **options: object) -> list[str]:
    return [name(hit.id) for hit in searcher.search(text, **options).hits]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("taliban", ["capital", "airport", "cash", "austin-bajwa"]),
        ("taliban provincial capitals", ["capital", "airport", "austin-bajwa"]),
        ("kabul OR oil", ["markets", "cash", "oil-record", "airport"]),
        ("taliban -kabul", ["capital", "austin-bajwa"]),
        ("taliban NOT (kabul OR airport)", ["capital", "austin-bajwa"]),
        ('"provincial capital"', ["capital", "austin-bajwa", "airport"]),
        ('"taliban capture capital"~3', ["capital"]),
        ('"taliban capture capital"~1', []),
        ('by:"jane doe"', ["cash", "airport"]),
        ("source:reuters", ["capital", "markets"]),
        ('site:"Newsweek Pakistan"', ["archive#1", "austin-bajwa"]),
        ("title:kabul", ["cash", "airport"]),
        ("tag:afghanistan", ["capital", "airport"]),
        ("url:wire AND oil", ["markets"]),
        ("zurich", ["zurich"]),
        ("crude oil", ["oil-record"]),
        ("talibn~", ["airport", "capital", "cash", "austin-bajwa"]),
    ],
)
def test_exact_rankings(searcher: Searcher, text: str, expected: list[str]) -> None:
    assert ranked(searcher, text) == expected


def test_short_queries_need_every_word(searcher: Searcher) -> None:
    assert ranked(searcher, "kabul oil") == []
    assert ranked(searcher, "kabul oil", mode="any") == ["markets", "cash", "oil-record", "airport"]


def test_three_words_no_article_holds_together_find_some_and_say_so(searcher: Searcher) -> None:
    together = searcher.search("taliban kabul airport")
    assert [name(hit.id) for hit in together.hits] == ["airport"]
    assert together.warnings == ()
    apart = searcher.search("kabul oil zurich")
    assert [name(hit.id) for hit in apart.hits] == [
        "zurich",
        "markets",
        "cash",
        "oil-record",
        "airport",
    ]
    assert apart.warnings == (
        "no article holds all of these words: showing articles with some of them",
    )


def test_long_queries_return_their_best_matches(searcher: Searcher) -> None:
    text = "taliban kabul airport road evacuation flights deadline"
    assert ranked(searcher, text)[:2] == ["airport", "cash"]
    assert ranked(searcher, text, mode="all") == ["airport"]


def test_dates_filter_by_whole_days(searcher: Searcher) -> None:
    assert ranked(searcher, "taliban date:[2021-08-01 TO 2021-08-14]") == ["capital"]
    assert ranked(searcher, "taliban", since="2021-08-15") == ["airport", "cash"]
    assert ranked(searcher, "taliban", until="2021-08-15") == ["capital", "airport"]
    assert ranked(searcher, "taliban", since=dt.date(2021, 8, 16), until="2021-08") == ["cash"]
    with pytest.raises(ValueError, match="since 2021-08-16 is after until 2021-08-15"):
        searcher.search("taliban", since="2021-08-16", until="2021-08-15")


def test_date_only_queries_list_newest_first(searcher: Searcher) -> None:
    assert ranked(searcher, "date:2021-08") == ["cash", "airport", "capital"]
    assert ranked(searcher, "", since="2021") == ["cash", "airport", "capital", "markets"]


def test_source_option_keeps_one_source(searcher: Searcher) -> None:
    assert ranked(searcher, "taliban", source="Reuters") == ["capital"]
    assert ranked(searcher, "", source="newsweek pakistan", sort="date") == [
        "archive#1",
        "austin-bajwa",
    ]


def test_a_source_named_by_its_host_is_found_by_its_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.schema
    from search.analysis import name_analyzer

    articles = [
        Article(id="n", title="Grain barges", body="Barges wait.", source="nytimes.com"),
        Article(id="t", title="Grain prices", body="Prices rise.", source="The Times"),
        Article(id="b", title="France", body="The economy slows.", source="news.bbc.co.uk"),
        Article(id="u", title="UK", body="The UK economy grows.", source="U.S. News"),
    ]
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(articles)
    with Searcher(tmp_path / "ix") as searcher:
        assert ranked(searcher, "source:nytimes") == ["n"]
        assert ranked(searcher, "source:nytimes.com") == ["n"]
        assert ranked(searcher, "source:times") == ["t"]
        assert ranked(searcher, "grain", source="nytimes.com") == ["n"]
        assert ranked(searcher, "source:bbc") == ranked(searcher, "bbc") == ["b"]
        # A host's other labels are not words of the source: "uk economy" is not
        # found in an article of a .co.uk site that does not say "UK".
        assert ranked(searcher, "uk economy") == ["u"]
        assert ranked(searcher, "source:com") == []
        assert ranked(searcher, "source:news") == ["u"]
        assert ranked(searcher, 'source:"u.s. news"') == ["u"]
    # An index made when sources were not cut at dots still finds the whole name.
    monkeypatch.setattr(search.schema, "source_analyzer", name_analyzer)
    with Indexer(tmp_path / "before") as indexer:
        indexer.add(articles)
    with Searcher(tmp_path / "before") as searcher:
        assert ranked(searcher, "source:nytimes.com") == ["n"]
        assert ranked(searcher, "grain", source="nytimes.com") == ["n"]
        assert ranked(searcher, "source:nytimes") == []


def test_a_rebuild_writes_with_this_versions_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.indexer
    import search.schema
    from search.analysis import name_analyzer

    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "a.json").write_text(
        '{"url": "https://nytimes.example/a", "title": "Grain", "body": "Barges wait.",'
        ' "source": "nytimes.com"}'
    )
    with monkeypatch.context() as before:
        before.setattr(search.schema, "source_analyzer", name_analyzer)
        with Indexer(tmp_path / "ix") as indexer:
            indexer.sync(folder)
    with Indexer(tmp_path / "ix") as indexer:
        indexer.sync(folder)  # nothing changed: the index keeps its layout
    with Searcher(tmp_path / "ix") as searcher:
        assert ranked(searcher, "source:nytimes") == []
    for workers in (0, 2):
        monkeypatch.setattr(search.indexer, "worker_count", lambda _, count=workers: count)
        with Indexer(tmp_path / "ix") as indexer:
            assert indexer.sync(folder, rebuild=True).added == 1
        with Searcher(tmp_path / "ix") as searcher:
            assert ranked(searcher, "source:nytimes") == ["a"]
            assert ranked(searcher, "source:nytimes.com grain") == ["a"]


def test_sorting_by_date_both_ways(searcher: Searcher) -> None:
    newest = ranked(searcher, "taliban OR oil", sort="-date")
    oldest = ranked(searcher, "taliban OR oil", sort="date")
    dated = ["cash", "airport", "capital", "markets"]
    assert newest[:4] == dated and oldest[:4] == dated[::-1]
    # Undated articles come last in both orders.
    assert sorted(newest[4:]) == sorted(oldest[4:]) == ["austin-bajwa", "oil-record"]


def test_paging_is_stable_and_counts_all(searcher: Searcher) -> None:
    everything = ranked(searcher, "taliban", limit=10)
    pages = [searcher.search("taliban", limit=3, page=p) for p in (1, 2, 3)]
    assert [name(h.id) for r in pages for h in r.hits] == everything
    assert [h.rank for h in pages[1].hits] == [4]
    assert [(r.total, r.pages) for r in pages] == [(4, 2)] * 3
    assert pages[2].hits == ()


def test_hit_fields_and_snippet(searcher: Searcher) -> None:
    hit = searcher.search("evacuation flights").hits[0]
    assert (hit.rank, hit.id, hit.title, hit.source, hit.authors) == (
        1,
        "https://example.com/world/kabul-airport",
        "Taliban Seize Kabul Airport Road",
        "Example Times",
        ("Jane Doe",),
    )
    assert hit.date == dt.datetime(2021, 8, 15, 9, 30)
    assert hit.summary.startswith("Fighters took control")
    assert hit.path.endswith("html/kabul-airport.html")
    marked = [hit.snippet[start:end] for start, end in hit.highlights]
    assert marked == ["evacuation", "flights"]
    assert "<mark>evacuation</mark> <mark>flights</mark>" in hit.snippet_html


def test_snippet_marks_stemmed_forms(searcher: Searcher) -> None:
    hit = searcher.search("capitals", source="reuters").hits[0]
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["capital"]


def test_get_returns_the_whole_article(searcher: Searcher, built: tuple[Path, Path]) -> None:
    path = str(built[0] / "text" / "austin-bajwa.txt")
    article = searcher.get(path)
    assert (article.title, article.authors, article.source) == (
        "Austin Calls Bajwa on Regional Security",
        ("Newsweek Pakistan",),
        "Newsweek Pakistan",
    )
    assert article.body.endswith("was unacceptable.")
    with pytest.raises(ArticleNotFoundError, match="no article with id 'nope'"):
        searcher.get("nope")


def test_results_outlive_the_searcher(index_dir: Path) -> None:
    with Searcher(index_dir) as opened:
        results = opened.search("zurich")
    assert results.hits[0].title == "Zürich court fines bank"
    with pytest.raises(ValueError, match="closed"):
        opened.search("zurich")


def test_a_snippet_is_made_when_first_read_and_outlives_the_searcher(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses
    import pickle

    import search.searcher

    with Searcher(index_dir) as opened:
        unread = opened.search("kabul").hits[0]
    copied = pickle.loads(pickle.dumps(unread))  # a hit whose snippet is not made yet
    assert [copied.snippet[s:e] for s, e in copied.highlights][:1] == ["Kabul"]
    assert copied == unread
    assert (copied.snippet, copied.highlights) == (unread.snippet, unread.highlights)
    # Still dataclass fields: asdict() and repr() show them, the maker stays hidden.
    assert dataclasses.asdict(unread)["snippet"] == unread.snippet
    assert f"snippet={unread.snippet!r}" in repr(unread)
    assert "_snippet_maker" not in repr(unread)
    with pytest.raises(dataclasses.FrozenInstanceError):
        unread.snippet = "changed"  # type: ignore[misc]
    assert dataclasses.replace(unread, snippet="given").snippet == "given"
    assert list(dataclasses.asdict(unread))[-4:] == [
        "snippet",
        "highlights",
        "copies",
        "explanation",
    ]
    # A hit pickled when snippets were plain fields keeps its snippet.
    old = object.__new__(type(unread))
    old.__dict__.update({**dataclasses.asdict(unread), "snippet": "kept", "highlights": ()})
    assert (old.snippet, old.highlights) == ("kept", ())

    made = []
    make_snippet = search.searcher.make_snippet
    monkeypatch.setattr(
        search.searcher, "make_snippet", lambda *args: made.append(1) or make_snippet(*args)
    )
    with Searcher(index_dir) as opened:
        hit = opened.search("evacuation flights").hits[0]
    assert made == []  # a caller showing titles only makes no snippet
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["evacuation", "flights"]
    assert made == [1]  # made once, for both snippet and highlights


def test_strict_and_lenient_queries(searcher: Searcher) -> None:
    with pytest.raises(UnknownFieldError) as caught:
        searcher.search("colour:red")
    assert caught.value.field == "colour"
    with pytest.raises(QuerySyntaxError, match="unclosed quote"):
        searcher.search('"provincial capital')
    lenient = searcher.search('"provincial capital', strict=False)
    assert lenient.total == 3 and len(lenient.warnings) == 1


def test_bad_arguments_raise(searcher: Searcher) -> None:
    with pytest.raises(ValueError, match="limit must be between 1 and 1000"):
        searcher.search("x", limit=0)
    with pytest.raises(ValueError, match="sort must be one of relevance, date, -date"):
        searcher.search("x", sort="newest")
    with pytest.raises(QuerySyntaxError, match="bad date '2021-13'"):
        searcher.search("x", since="2021-13")


def test_one_facet_given_alone_is_one_facet(searcher: Searcher) -> None:
    alone = searcher.search("kabul", facets="source").facets
    assert alone == searcher.search("kabul", facets=["source"]).facets
    assert set(alone) == {"source"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.search(None), "the query text must be a str, not NoneType"),
        (lambda s: s.search(b"kabul"), "the query text must be a str, not bytes"),
        (lambda s: s.timeline(42), "the query text must be a str, not int"),
        (lambda s: s.search("kabul", limit="5"), "limit must be an int, not str"),
        (lambda s: s.search("kabul", page=True), "page must be an int, not bool"),
        (lambda s: s.search("kabul", since=2021), "since must be a str, a date or None, not int"),
        (lambda s: s.search("kabul", source=["Reuters"]), "source must be a str or None, not list"),
        (lambda s: s.get(None), "an article id must be a str, not NoneType"),
        (lambda s: s.similar(7), "an article id must be a str, not int"),
    ],
)
def test_arguments_of_the_wrong_type_raise_type_error(searcher: Searcher, call, message) -> None:
    with pytest.raises(TypeError) as caught:
        call(searcher)
    assert str(caught.value) == message


def test_missing_index_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError) as caught:
        Searcher(tmp_path / "nowhere")
    assert str(caught.value) == (
        f"no index at {tmp_path / 'nowhere'} - "
        f"run `search index --index {tmp_path / 'nowhere'} corpus/` first"
    )


def test_stats(searcher: Searcher) -> None:
    info = searcher.stats()
    assert (info.articles, info.files) == (8, 5)
    assert info.sources[:3] == (("Example Times", 2), ("Newsweek Pakistan", 2), ("Reuters", 2))
    assert (info.first_date, info.last_date) == (
        dt.datetime(2019, 1, 10),
        dt.datetime(2021, 8, 31),
    )
    assert info.size_bytes > 0 and info.last_update is not None


def test_stats_dates_are_those_of_live_articles(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    dates = {
        "early": dt.datetime(2020, 1, 1),
        "middle": dt.datetime(2020, 6, 1, 13, 45, 7, 123),
        "later": dt.datetime(2020, 6, 2),
        "late": dt.datetime(2021, 1, 1),
    }
    with Indexer(index) as indexer:
        indexer.add(
            Article(id=key, title=key, body="Rivers rise.", date=day) for key, day in dates.items()
        )
        indexer.add([Article(id="undated", title="undated", body="Rivers rise.")])
    with Searcher(index) as searcher:
        assert (searcher.stats().first_date, searcher.stats().last_date) == (
            dt.datetime(2020, 1, 1),
            dt.datetime(2021, 1, 1),
        )
        with Indexer(index) as indexer:
            indexer.delete(["early", "late"])
        assert (searcher.stats().first_date, searcher.stats().last_date) == (
            dt.datetime(2020, 6, 1, 13, 45, 7, 123),
            dt.datetime(2020, 6, 2),
        )
        with Indexer(index) as indexer:
            indexer.delete(["middle", "later"])
        info = searcher.stats()
        assert (info.articles, info.first_date, info.last_date) == (1, None, None)


@pytest.mark.parametrize("how", ["removed and made again", "moved in its place"])
def test_a_searcher_reads_the_index_put_in_its_place(tmp_path: Path, how: str) -> None:
    index = tmp_path / "index"
    with Indexer(index) as indexer:
        indexer.add([Article(id="old", title="Flood warning", body="Rivers rise.")])
    with Searcher(index) as searcher:
        assert [hit.id for hit in searcher.search("flood").hits] == ["old"]
        other = tmp_path / "other"
        with Indexer(other) as indexer:  # the same generation as the first
            indexer.add([Article(id="new", title="Flood relief", body="Boats arrive.")])
        if how == "moved in its place":
            index.rename(tmp_path / "previous")
            other.rename(index)
        else:
            shutil.rmtree(index)
            with Indexer(index) as indexer:
                indexer.add([Article(id="new", title="Flood relief", body="Boats arrive.")])
        assert [hit.id for hit in searcher.search("flood").hits] == ["new"]
        assert searcher.stats().articles == 1


def test_searcher_sees_new_commits_and_serves_threads(tmp_path: Path) -> None:
    index = tmp_path / "ix"
    with Indexer(index) as indexer:
        indexer.add([Article(id="a0", title="Flood warning", body="Rivers rise.")])
    errors: list[BaseException] = []
    with Searcher(index) as shared:
        assert shared.search("flood").total == 1

        def read() -> None:
            try:
                for _ in range(30):
                    assert shared.search("flood").total >= 1
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(4)]
        for thread in threads:
            thread.start()
        with Indexer(index) as indexer:
            for n in range(1, 6):
                indexer.add([Article(id=f"a{n}", title="Flood warning", body="Rivers rise.")])
        for thread in threads:
            thread.join()
        assert errors == []
        assert shared.search("flood").total == 6


def _dated_index(count: int):
    """An in-memory index of ``count`` articles, one a day from 2019-01-01, every third
    about floods."""
    ix = RamStorage().create_index(build_schema())
    with ix.writer() as writer:
        for n in range(count):
            day = dt.datetime(2019, 1, 1) + dt.timedelta(days=n)
            body = "flood warning" if n % 3 == 0 else "dry weather"
            writer.add_document(**document_for(Article(id=str(n), body=body, date=day), "-"))
    return ix


def test_date_range_as_filter_gives_exact_totals() -> None:
    """Whoosh 2.7.4 miscounted ``word AND date:[a TO b]`` searched with a limit; the
    searcher therefore passes date ranges as ``filter=``. Pin that this path is exact."""
    ix = _dated_index(400)
    start, end = dt.datetime(2019, 3, 15), dt.datetime(2019, 7, 1)
    expected = sum(
        1
        for n in range(400)
        if n % 3 == 0 and start <= dt.datetime(2019, 1, 1) + dt.timedelta(days=n) < end
    )
    with ix.searcher() as s:
        found = s.search(wq.Term("body", "flood"), filter=date_filter_query(start, end), limit=3)
        assert (len(found), found.scored_length()) == (expected, 3)


def test_date_range_is_not_widened_to_the_year() -> None:
    """Whoosh's own date parser widened [2019-03-15 TO 2019-06-30] to all of 2019."""
    ix = _dated_index(400)
    query = date_filter_query(dt.datetime(2019, 3, 15), dt.datetime(2019, 7, 1))
    with ix.searcher() as s:
        days = sorted(hit["date"] for hit in s.search(query, limit=None))
    assert (days[0], days[-1], len(days)) == (
        dt.datetime(2019, 3, 15),
        dt.datetime(2019, 6, 30),
        108,
    )


def test_whoosh_time_limit_drops_the_filter() -> None:
    """Whoosh 2.7.4 ignores ``filter=`` under a TimeLimitCollector, which is why the
    searcher never sets a time limit. If this starts failing, Whoosh fixed the trap."""
    ix = _dated_index(400)
    restriction = date_filter_query(dt.datetime(2019, 3, 15), dt.datetime(2019, 7, 1))
    with ix.searcher() as s:
        filtered = len(s.search(wq.Term("body", "flood"), filter=restriction, limit=None))
        timed = collectors.TimeLimitCollector(
            s.collector(limit=None, filter=restriction), timelimit=60.0
        )
        s.search_with_collector(wq.Term("body", "flood"), timed)
        assert (filtered, len(timed.results())) == (36, 134)


def test_index_of_another_layout_asks_for_a_rebuild(tmp_path: Path) -> None:
    from whoosh import fields
    from whoosh import index as whoosh_index

    whoosh_index.create_in(str(tmp_path), fields.Schema(title=fields.TEXT(stored=True)))
    with pytest.raises(IndexCorruptError) as caught:
        Searcher(tmp_path)
    assert str(caught.value) == (
        f"the index at {tmp_path} cannot be read (it was built with a different field layout)"
        " - rebuild it with `search index --rebuild PATH...`"
    )
