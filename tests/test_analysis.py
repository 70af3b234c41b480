"""The one-loop text analyzer gives the same tokens as the Whoosh chain it replaces."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.support.charset import accent_map

import search.analysis
from search.analysis import STOP_WORDS, TOKEN_PATTERN, SnowballFilter, text_analyzer

ATTRIBUTES = ("text", "pos", "startchar", "endchar", "stopped", "boost", "original")
OPTIONS = [
    {},
    {"positions": True},
    {"positions": True, "chars": True, "keeporiginal": True},
    {"positions": True, "removestops": False},
    {"chars": True, "removestops": False, "start_pos": 3, "start_char": 7},
    {"mode": "query", "no_morph": True, "positions": True},
    {"tokenize": False, "positions": True, "chars": True},
]
# Letters, accents, apostrophes, dots, digits, stop words and odd case mappings ("İ").
PIECES = [*"aAeé  ’'.-_1İßÅ\u0301\t", "the ", "of ", "U.S. ", "ran ", "running "]
TEXT = st.lists(st.sampled_from(PIECES), max_size=25).map("".join)


def chain(*, stem: bool = True):
    analyzer = (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
    )
    return analyzer | SnowballFilter() if stem else analyzer


def tokens(analyzer, text: str, options: dict) -> list[tuple]:
    return [
        tuple(getattr(token, name, None) for name in ATTRIBUTES)
        for token in analyzer(text, **options)
    ]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("stem", [True, False])
@settings(max_examples=150, deadline=None)
@given(text=TEXT)
def test_same_tokens_as_the_whoosh_chain(text: str, options: dict, stem: bool) -> None:
    assert tokens(text_analyzer(stem=stem), text, options) == tokens(
        chain(stem=stem), text, options
    )


def test_a_sentence() -> None:
    found = [
        (t.text, t.pos)
        for t in text_analyzer()("The Taliban’s fighters took the provinces", positions=True)
    ]
    # Whoosh's StopFilter numbers kept words on from the first one's place: no gaps.
    assert found == [("taliban", 1), ("fighter", 2), ("took", 3), ("provinc", 4)]


@pytest.mark.parametrize("stem", [True, False])
@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_positions_and_terms_are_what_the_tokens_say(text: str, stem: bool) -> None:
    analyzer = text_analyzer(stem=stem)
    expected: dict[str, list[int]] = {}
    for token in analyzer(text, positions=True):
        expected.setdefault(token.text, []).append(token.pos)
    assert analyzer.positions(text) == expected
    assert analyzer.terms(text) == set(expected)


def test_positions_of_a_sentence_and_a_forgetful_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search.analysis, "_WORD_CACHE", 2)
    analyzer = text_analyzer()
    text = "The Taliban’s fighters took the provinces; fighters took Kabul"
    assert analyzer.positions(text) == {
        "taliban": [1],
        "fighter": [2, 5],
        "took": [3, 6],
        "provinc": [4],
        "kabul": [7],
    }
    assert len(analyzer._terms) <= 2
    assert analyzer.terms(text) == {"taliban", "fighter", "took", "provinc", "kabul"}


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("nytimes.com", "nytimes"),
        ("news.bbc.co.uk", "bbc"),
        ("us.cnn.com", "cnn"),
        ("abc.net.au", "abc"),
        ("lemonde.fr", "lemonde"),
        ("u.s", ""),
        ("co.uk", ""),
        ("123.45", ""),
        ("nytimes", ""),
    ],
)
def test_a_host_names_its_site(host: str, name: str) -> None:
    from search.analysis import site_name, source_analyzer

    assert site_name(host) == name
    indexed = [token.text for token in source_analyzer()(host, mode="index")]
    assert indexed == ([host, name] if name else [host])
    assert [token.text for token in source_analyzer()(host, mode="query")] == [host]
