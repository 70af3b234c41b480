"""Ranking: what short and long queries require, idf, title weight, BM25F, speed.

The measured side lives in bench/relevance.py (seven test collections); these tests pin
the behaviour it relies on, on articles small enough to reason about exactly.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path

import pytest
from whoosh import scoring
from whoosh.filedb.filestore import RamStorage

from search import Article, Indexer, Searcher, parse_query
from search.schema import BM25, build_schema, document_for, make_weighting

ARTICLES = [
    Article(
        id="airport",
        title="Kabul airport reopens to evacuation flights",
        body="Evacuation flights left the airport on Monday after the road was cleared. "
        "Thousands waited at the gates for a seat on the last flights out.",
    ),
    Article(
        id="roundup",
        title="Regional roundup",
        body="Traders in Kabul said prices rose. A new airport terminal opened in Dubai.",
    ),
    Article(
        id="market",
        title="Kabul market prices rise",
        body="Flour and cooking oil cost more this week as traders waited for supplies.",
    ),
    Article(
        id="dubai",
        title="Dubai terminal opens",
        body="The airport's new terminal handles flights to Europe and Asia.",
    ),
    Article(
        id="election",
        title="Election results delayed",
        body="Officials said the count would take another week. The election commission met.",
    ),
]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory):
    index_dir = tmp_path_factory.mktemp("relevance") / "index"
    with Indexer(index_dir) as indexer:
        indexer.add(ARTICLES)
    with Searcher(index_dir) as opened:
        yield opened


def ranked(searcher: Searcher, text: str, **options: object) -> list[str]:
    return [hit.id for hit in searcher.search(text, **options).hits]


# --- (a) short queries need every word ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kabul airport", {"airport", "roundup"}),
        ("kabul prices", {"roundup", "market"}),
        ("the airport in kabul", {"airport", "roundup"}),  # 4 words: stop words count
        ("kabul airport evacuation", {"airport"}),
        ("kabul election", set()),
    ],
)
def test_short_queries_need_every_word(searcher: Searcher, text: str, expected: set) -> None:
    assert set(ranked(searcher, text)) == expected


def test_three_words_no_article_holds_together_find_the_best_partial_matches(
    searcher: Searcher,
) -> None:
    # No article holds kabul, airport and election: the best partial matches come.
    loose = ranked(searcher, "kabul airport election")
    assert set(loose) == {"airport", "roundup", "market", "dubai", "election"}
    assert loose == ranked(searcher, "kabul airport election", mode="any")
    # Three words that one article holds together still find that article only.
    assert ranked(searcher, "kabul airport evacuation") == ["airport"]
    # Two words stay strict: one of two words is half the query.
    assert ranked(searcher, "kabul election") == []
    assert ranked(searcher, "kabul airport election", mode="all") == []


def test_the_other_modes_still_apply(searcher: Searcher) -> None:
    assert set(ranked(searcher, "kabul election", mode="any")) == {
        "airport",
        "roundup",
        "market",
        "election",
    }
    long = "kabul airport evacuation flights road gates thousands"
    assert ranked(searcher, long, mode="all") == ["airport"]


# --- (b) a long query finds its best matches, best first --------------------------------


def test_a_long_question_returns_its_best_match_first(searcher: Searcher) -> None:
    text = "What happened at the Kabul airport when the evacuation flights left?"
    results = searcher.search(text, strict=False)
    ids = [hit.id for hit in results.hits]
    assert ids[0] == "airport"
    # Articles with only some of the words still come, after the best one.
    assert set(ids) == {"airport", "roundup", "market", "dubai"}


def test_a_long_question_drops_filler_words() -> None:
    parsed = parse_query("what happened at the kabul airport when the flights left")
    assert parsed.explanation == "ANY(happened, kabul, airport, flights, left)"
    parsed = parse_query("what are the effects of pesticides, e.g. DDT, on birds, i.e. hawks etc.")
    assert parsed.explanation == "ANY(effects, pesticides,, DDT,, birds,, hawks)"
    # A short query keeps them: "who" may be what it is about.
    assert parse_query("the who live").explanation == "ALL(who, live)"


@pytest.mark.parametrize(
    ("text", "explanation"),
    [
        (
            "I am interested in papers on evacuation flights from Kabul",
            "ANY(evacuation, flights, Kabul)",
        ),
        (
            "I would be pleased to receive any information about the Kabul airport",
            "ANY(Kabul, airport)",
        ),
        (
            "articles which deal with prices in Kabul markets",
            "ANY(deal, prices, Kabul, markets)",
        ),
        # Without a linking word after them, the nouns may be the subject.
        (
            "leaked papers, documents and studies of Panama",
            "ANY(leaked, papers,, documents, studies, Panama)",
        ),
    ],
)
def test_a_long_question_drops_the_words_of_the_request(text: str, explanation: str) -> None:
    assert parse_query(text).explanation == explanation


@pytest.mark.parametrize(
    ("text", "explanation"),
    [
        (
            "how do wind-tunnel tests of a three-dimensional wing compare",
            "ANY(ANY(wind, tunnel), tests, ANY(three, dimensional), wing, compare)",
        ),
        # Prefixed words, words with digits, wildcards and boosts.
        (
            "language of pre-school children and non-linear growth after COVID-19",
            "ANY(language, pre-school, children, non-linear, growth, COVID-19)",
        ),
        (
            "weighting of keyword/stem indexes and/or citations",
            "ANY(weighting, ANY(keyword, stem), indexes, citations)",
        ),
        (
            "what were the U.S.-China talks about steel-making^2 and wind-tun*",
            "ANY(ANY(U.S., China), talks, ANY(steel^2, making^2), wind-tun*)",
        ),
    ],
)
def test_a_long_question_reads_a_compound_as_its_words(text: str, explanation: str) -> None:
    assert parse_query(text).explanation == explanation


def test_a_short_query_keeps_a_compound_as_a_phrase() -> None:
    assert parse_query("three-dimensional wing").explanation == "ALL(three-dimensional, wing)"


def test_a_long_question_finds_articles_with_a_compounds_words_apart() -> None:
    articles = [
        Article(
            id="apart", title="Dimensional analysis of a wing", body="Three tests in a tunnel."
        ),
        Article(id="wing", title="Wing tests", body="A wing of the old hangar was tested."),
        Article(id="other", title="Harbour news", body="The ferry left the quay on time."),
    ]
    index = make_index(articles)
    text = "how do wind-tunnel tests of a three-dimensional wing compare with flight"
    with index.searcher(weighting=make_weighting()) as engine:
        found = engine.search(parse_query(text).query, limit=None)
        ids = [engine.stored_fields(hit.docnum)["id"] for hit in found]
    # Read as phrases, the compounds matched neither article: the one that says "wing"
    # twice came first.
    assert ids == ["apart", "wing"]


def test_request_words_stay_in_short_queries() -> None:
    assert parse_query("panama papers on trial").explanation == "ALL(panama, papers, trial)"
    assert parse_query("interested parties").explanation == "ALL(interested, parties)"


# --- (c) rare words outweigh common ones -------------------------------------------------


def make_index(articles: list[Article]):
    index = RamStorage().create_index(build_schema())
    with index.writer() as writer:
        for article in articles:
            writer.add_document(**document_for(article, ""))
    return index


def test_a_rare_word_outweighs_a_common_one_repeated() -> None:
    articles = [Article(id=f"c{i}", body=f"election report number {i}") for i in range(30)]
    articles += [
        Article(id="common", body="election election election turnout"),
        Article(id="rare", body="zebra crossing closed today"),
    ]
    index = make_index(articles)
    query = parse_query("election zebra", mode="any").query
    with index.searcher(weighting=make_weighting()) as searcher:
        assert [hit["id"] for hit in searcher.search(query, limit=2)] == ["rare", "common"]


def test_idf_does_not_add_one() -> None:
    # A word in every document is worth almost nothing; Whoosh's own idf adds 1 to every
    # word's, so that word kept most of a rare word's weight.
    index = make_index([Article(id=str(i), body=f"news item {i}") for i in range(99)])
    with index.searcher() as searcher:
        ours, whoosh = BM25().idf(searcher, "body", "news"), scoring.BM25F().idf
        assert ours == pytest.approx(math.log(1 + 0.5 / 99.5))
        assert ours < 0.01
        assert whoosh(searcher, "body", "news") > 0.95


# --- (d) the headline weighs more than the body ------------------------------------------


def test_a_word_in_the_title_outranks_the_same_word_in_the_body(searcher: Searcher) -> None:
    assert ranked(searcher, "terminal") == ["dubai", "roundup"]
    assert ranked(searcher, "kabul")[:2] == ["market", "airport"]
    assert ranked(searcher, "kabul")[-1] == "roundup"


def test_a_word_in_title_and_body_is_one_word_not_two() -> None:
    # BM25F: frequencies in title and body are added before BM25 saturates them, so a
    # word in both fields scores less than two separate matches would.
    index = make_index(
        [
            Article(id="both", title="storm", body="storm warning issued"),
            Article(id="title", title="storm", body="warning issued today"),
            Article(id="other", title="calm", body="nothing issued today"),
        ]
    )
    query = parse_query("storm").query
    fields = [("title", "storm", 1.0), ("body", "storm", 1.0)]
    with index.searcher(weighting=make_weighting()) as searcher:
        scores = {hit["id"]: hit.score for hit in searcher.search(query)}
        bound = make_weighting().fields_scorer(searcher, fields).max_score
    assert scores["title"] < scores["both"] < 2 * scores["title"]
    assert scores["both"] < bound  # the model's bound: its weight times tfn / (tfn + 1)


def test_a_word_repeated_where_it_occurs_outweighs_one_that_is_not() -> None:
    # In_expC2's (F + 1) / n: "kabul" fills the other article that holds it, "vote" is
    # said once in each of its two. With the same counts, lengths and document
    # frequencies, BM25 ties them (and ranks "flat" first, as indexed first).
    index = make_index(
        [
            Article(id="flat", body="vote talks held today"),
            Article(id="bursty", body="kabul talks held today"),
            Article(id="kabul", body="kabul kabul kabul kabul"),
            Article(id="vote", body="vote count due later"),
            # Other news: in four articles, five counts of a word would be no surprise.
            *(Article(id=f"other{i}", body=f"weather report number {i}") for i in range(40)),
        ]
    )
    query = parse_query("kabul vote", mode="any").query
    with index.searcher(weighting=make_weighting()) as searcher:
        ranked_ids = [hit["id"] for hit in searcher.search(query, limit=4)]
    with index.searcher(weighting=BM25()) as searcher:
        bm25 = {hit["id"]: hit.score for hit in searcher.search(query, limit=4)}
    assert ranked_ids.index("bursty") < ranked_ids.index("flat")
    assert bm25["bursty"] == bm25["flat"]


# --- speed --------------------------------------------------------------------------------


def test_long_query_is_fast(tmp_path: Path) -> None:
    # Whoosh's union matchers took seconds for a pasted paragraph of 30 words.
    rng = random.Random(4)
    vocabulary = [f"w{i}" for i in range(400)]
    articles = [
        Article(
            id=str(i),
            title=" ".join(rng.sample(vocabulary, 5)),
            body=" ".join(rng.choices(vocabulary, k=60)),
        )
        for i in range(1500)
    ]
    with Indexer(tmp_path / "index") as indexer:
        indexer.add(articles)
    text = " ".join(rng.sample(vocabulary, 30))
    with Searcher(tmp_path / "index") as searcher:
        searcher.search("w1")  # opens the engine searcher
        started = time.perf_counter()
        results = searcher.search(text, limit=100)
        elapsed = time.perf_counter() - started
    assert results.total > 1000
    assert elapsed < 2.0
