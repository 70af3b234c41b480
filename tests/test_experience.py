"""Snippets, syndicated copies, facets, timelines, spelling suggestions, similar articles."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from search import Article, Indexer, Searcher, duplicates
from search.analysis import text_analyzer
from search.cli import main
from search.duplicates import are_copies, fingerprint, group_copies, similarity
from search.snippets import make_snippet

WIRE = (
    "Flood waters swept through the river town of Dera on Tuesday, forcing thousands of "
    "families from their homes as rescue teams used boats to reach people stranded on "
    "rooftops. Officials said the river rose by three metres overnight after days of heavy "
    "monsoon rain in the hills, and warned that more rain was expected later in the week. "
    "The army sent helicopters to drop food and water to villages cut off by the floods."
)
# The same story as another outlet ran it: its own first line, one sentence cut.
EDITED = "DERA (Pakistan Daily) - " + WIRE.replace(
    " and warned that more rain was expected later in the week", ""
)
# A different story on the same subject.
OTHER = (
    "Farmers in the valley counted their losses on Friday after floods destroyed the rice "
    "harvest. Many said they had no savings left and asked the government for seed and "
    "fertiliser so they could plant again before winter, while aid groups handed out tents."
)


def article(n: str, title: str, body: str, source: str, day: str) -> Article:
    return Article(
        id=f"https://news.example/{n}",
        title=title,
        body=body,
        source=source,
        url=f"https://news.example/{n}",
        date=dt.datetime.fromisoformat(day),
    )


STORIES = [
    article(
        "wire", "Floods force thousands from homes in Dera", WIRE, "Wire Service", "2022-08-23"
    ),
    article("daily", "Dera families flee rising river", EDITED, "Pakistan Daily", "2022-08-23"),
    article("mirror", "Floods force thousands from homes", WIRE, "Mirror Site", "2022-08-24"),
    article("farmers", "Floods wipe out rice harvest", OTHER, "Valley Times", "2022-09-02"),
]


@pytest.fixture(scope="module")
def stories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("stories") / "index"
    with Indexer(index) as indexer:
        indexer.add(STORIES)
    return index


def test_similarity_is_the_share_of_bins_that_agree() -> None:
    empty, a, b, c = "-" * 8, "0000000a", "0000000b", "0000000c"
    first = a + b + empty + empty + c + "0" * 88
    second = a + c + empty + b + c + "0" * 88
    # 16 bins, one empty in both (left out): 13 of the 15 others agree.
    assert similarity(first, second) == 13 / 15
    assert similarity(first, "") == similarity("", "") == 0.0
    assert similarity(empty * 16, empty * 16) == 0.0


def reference_groups(keys: list[tuple[str, str]]) -> list[list[int]]:
    """group_copies as its docstring says it: each article joins the first group whose
    leader it copies."""
    groups: list[list[int]] = []
    for position, key in enumerate(keys):
        for group in groups:
            if any(k[0] and k[0] == key[0] for k in (keys[i] for i in group)) or are_copies(
                keys[group[0]], key
            ):
                group.append(position)
                break
        else:
            groups.append([position])
    return groups


def test_copies_with_fingerprints_of_other_lengths_are_grouped_as_the_reference() -> None:
    # similarity() compares the bins both fingerprints have: a fingerprint cut short
    # (one a caller made, not the indexer) is compared on its own bins.
    full = fingerprint(WIRE)
    keys = [("", full), ("", full[:48]), ("", fingerprint(OTHER)[:40]), ("", full[:8] + "x")]
    assert group_copies(keys) == reference_groups(keys) == [[0, 1, 3], [2]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7), st.booleans()), max_size=30))
def test_copies_are_grouped_as_the_reference_groups_them(picks) -> None:
    words = "oil price market bank rate gas crude opec saudi output barrel cut".split()
    stories = [" ".join(words[(s * k) % 12] for k in range(1, 40)) for s in range(1, 9)]
    # A content hash, when known, is that of the text: equal hashes, equal texts.
    keys = [
        (f"{s}-{h % 2}" if hashed else "", fingerprint(stories[s] + " edited" * (h % 2)))
        for h, s, hashed in picks
    ]
    assert group_copies(keys) == reference_groups(keys)


def test_fingerprints_tell_copies_from_other_stories() -> None:
    assert similarity(fingerprint(WIRE), fingerprint(WIRE)) == 1.0
    assert similarity(fingerprint(WIRE), fingerprint(EDITED)) >= 0.6
    assert similarity(fingerprint(WIRE), fingerprint(OTHER)) < 0.2
    assert fingerprint("Too short to judge.") == ""


def test_fingerprints_are_the_ones_indexes_hold() -> None:
    # Fingerprints are stored: a new one must be comparable with those indexed before.
    assert fingerprint(WIRE) == (
        "8f52ba400a8827d112362df2adb0e17336cf596425b71d251427bfd61837989718a468f8330be689"
        "a9477eba0cd9db5b1ba1da1c5e00df7d4b80ddfe28030f3f"
    )
    german = (
        "Überschwemmungen in Dera: Die Flüsse traten über die Ufer, Straßen wurden gesperrt "
        "und Tausende verließen ihre Häuser."
    )
    assert fingerprint(german) == (
        "----------------2d10b5323b4834a3----------------dfbbe1c693660e773ff120887ebd0759"
        "--------1a56e00b--------57cc3c9d045d19fe--------"
    )


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(max_codepoint=127)) | st.text())
def test_a_fingerprints_shingles_are_those_of_a_word_pattern(text: str) -> None:
    # ASCII text has its words found and its shingles made without the regular expression.
    words = re.findall(r"\w+", text)
    expected = {" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2)}
    assert duplicates._shingles(text) == expected


def test_copies_fold_into_the_best_hit(stories: Path) -> None:
    with Searcher(stories) as searcher:
        results = searcher.search("floods dera")
        expanded = searcher.search("floods dera", all_copies=True)
    assert results.total == 3
    assert [hit.id.rsplit("/", 1)[1] for hit in results.hits] == ["wire"]
    assert sorted(copy.source for copy in results.hits[0].copies) == [
        "Mirror Site",
        "Pakistan Daily",
    ]
    assert sorted(hit.id.rsplit("/", 1)[1] for hit in expanded.hits) == ["daily", "mirror", "wire"]
    assert all(hit.copies == () for hit in expanded.hits)


def test_copies_fold_the_same_from_the_column_as_from_stored_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.searcher as searcher_module

    with Indexer(tmp_path / "index") as indexer:  # two segments, copies in both
        indexer.add(STORIES[:2])
        indexer.add(STORIES[2:])

    def pages() -> list:
        with Searcher(tmp_path / "index") as searcher:
            found = [searcher.search(q) for q in ("floods dera", "floods", "rice")]
            found.append(searcher.search("floods", sort="-date"))
            found.append(searcher.similar(STORIES[3].id))
        return [(results.total, results.hits) for results in found]

    from_column = pages()
    assert [len(hit.copies) for _, hits in from_column for hit in hits][:2] == [2, 2]
    # As from a segment written before copy keys had a column of their own.
    monkeypatch.setattr(searcher_module, "copy_keys", lambda reader: None)
    assert pages() == from_column


def test_listing_names_the_other_sources(stories: Path) -> None:
    result = CliRunner().invoke(main, ["query", "floods dera", "--index", str(stories)])
    assert "   also in: 2 other copies (Mirror Site, Pakistan Daily)\n" in result.stdout


def test_facets_count_all_matches(index_dir: Path) -> None:
    with Searcher(index_dir) as searcher:
        results = searcher.search("taliban", limit=1, facets=["source", "year", "month"])
    assert results.facets == {
        "source": (("Example Times", 2), ("Newsweek Pakistan", 1), ("Reuters", 1)),
        "year": (("2021", 3),),
        "month": (("2021-08", 3),),
    }
    with pytest.raises(ValueError, match="unknown facet 'colour'"):
        Searcher(index_dir).search("taliban", facets=["colour"])


def test_facets_in_the_listing_and_json(index_dir: Path) -> None:
    args = ["query", "taliban", "--facets", "source,year", "--index", str(index_dir)]
    listing = CliRunner().invoke(main, args).stdout.splitlines()
    assert listing[-2:] == [
        "source: Example Times 2 · Newsweek Pakistan 1 · Reuters 1",
        "year: 2021 3",
    ]
    payload = json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)
    assert payload["facets"]["year"] == [["2021", 3]]
    bad = CliRunner().invoke(main, ["query", "x", "--facets", "colour", "--index", str(index_dir)])
    assert bad.exit_code == 2 and "unknown facet 'colour'" in bad.stderr


def test_timeline_counts_every_period(index_dir: Path) -> None:
    with Searcher(index_dir) as searcher:
        months = searcher.timeline("", by="month", since="2021")
        weeks = searcher.timeline("taliban", by="week")
    assert [(p.label, p.count) for p in months.periods] == [("2021-07", 1), ("2021-08", 3)]
    assert [(p.label, p.start.isoformat(), p.count) for p in weeks.periods] == [
        ("2021-W32", "2021-08-09", 2),
        ("2021-W33", "2021-08-16", 0),
        ("2021-W34", "2021-08-23", 0),
        ("2021-W35", "2021-08-30", 1),
    ]
    assert (weeks.total, weeks.undated) == (4, 1)


def test_an_index_of_undated_articles_has_no_periods(tmp_path: Path) -> None:
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add([Article(id="z", title="Zanzibar", body="Zanzibar spice.", source="Dhow")])
    with Searcher(tmp_path / "ix") as searcher:
        timeline = searcher.timeline("zanzibar", by="year")
        results = searcher.search("zanzibar", facets=["year", "day", "source"])
    assert (timeline.periods, timeline.total, timeline.undated) == ((), 1, 1)
    assert results.facets == {"year": (), "day": (), "source": (("Dhow", 1),)}


def test_timeline_command_outputs(index_dir: Path) -> None:
    base = ["timeline", "taliban", "--by", "week", "--index", str(index_dir)]
    text = CliRunner().invoke(main, base).stdout.splitlines()
    assert text[-1] == "4 articles match, 1 without a date."
    csv = CliRunner().invoke(main, [*base, "--csv"]).stdout.splitlines()
    assert csv == [
        "period,start,count",
        "2021-W32,2021-08-09,2",
        "2021-W33,2021-08-16,0",
        "2021-W34,2021-08-23,0",
        "2021-W35,2021-08-30,1",
    ]
    payload = json.loads(CliRunner().invoke(main, [*base, "--json"]).stdout)
    assert payload["periods"][3] == {"period": "2021-W35", "start": "2021-08-30", "count": 1}


def test_did_you_mean_counts_articles_with_every_word(tmp_path: Path) -> None:
    stories = {
        "a": "Taliban fighters took three provincial capitals",
        "b": "Taiwan held provincial elections",
        "c": "Taiwan exports rose",
        "d": "Provincial budgets were cut",
    }
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(Article(id=key, title=text, body=text) for key, text in stories.items())
    with Searcher(tmp_path / "ix") as searcher:
        # "taiwan provincial capitals" would find only some of its words: no suggestion.
        exact = searcher.search("taliban provincial capitals")
        assert (exact.total, exact.suggestion) == (1, None)
        # A typo among three words: partial matches are shown, and the respelling
        # that finds an article with all of them is suggested.
        typo = searcher.search("talibn provincial capitals")
        assert typo.total == 3
        assert typo.suggestion == "taliban provincial capitals"


def test_spell_field_keeps_a_word_for_a_few_articles_a_batch(tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    from search.schema import SPELL_ARTICLES

    def add(*bodies: str) -> None:
        with Indexer(tmp_path / "ix") as indexer:
            indexer.add(Article(id=body, title="", body=body) for body in bodies)

    add(*(f"zinc mine {n}" for n in range(10)), "copper smelter")
    add(*(f"zinc mine {n}" for n in range(10, 20)))
    with whoosh_index.open_dir(str(tmp_path / "ix")).reader() as reader:
        assert reader.doc_frequency("spell", "zinc") == 2 * SPELL_ARTICLES == 6
        assert reader.doc_frequency("spell", "copper") == 1
        assert reader.doc_frequency("body", "zinc") == 20


def test_did_you_mean_leaves_a_word_the_index_holds_unless_another_is_far_commoner(
    tmp_path: Path,
) -> None:
    bodies = ["Taliban fighters advance", "Zurick, a typo", "Taiwan exports", "Taiwan votes"]
    bodies += [f"Taiwan election {n}" for n in range(3)]
    bodies += [f"Zurich banks {n}" for n in range(10)]
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(Article(id=str(n), title="", body=body) for n, body in enumerate(bodies))
    with Searcher(tmp_path / "ix") as searcher:
        # "taliban", in 1 body, stays: "taiwan" is in 5, not ten times as many.
        taliban = searcher.search("taliban")
        assert (taliban.total, taliban.suggestion) == (1, None)
        # "zurick", in 1 body, gives way to "zurich", in 10.
        assert searcher.search("zurick").suggestion == "zurich"
        # A word the index lacks takes the nearest commoner word, as before.
        assert searcher.search("taiwn").suggestion == "taiwan"


def test_did_you_mean_weighs_an_edit_against_what_a_respelling_finds(tmp_path: Path) -> None:
    from search.suggest import EDIT_COST

    bodies = [f"Tony Blair spoke in town {n}" for n in range(EDIT_COST + 1)]
    bodies += ["Tony took the blame", "The blame game", "Blame the weather"]
    bodies += [f"Economy grew {n}" for n in range(2)] + [f"Economic data {n}" for n in range(9)]
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(Article(id=str(n), title="", body=body) for n, body in enumerate(bodies))
    with Searcher(tmp_path / "ix") as searcher:
        # "blame" is one edit from "blare", "blair" two: "tony blair" finds 21 articles,
        # over EDIT_COST times the 1 of "tony blame".
        assert searcher.search("tony blare").suggestion == "tony blair"
        # Alone, "blair" (21) is not EDIT_COST times "blame" (3): the nearer word.
        assert searcher.search("blare").suggestion == "blame"
        # "economic" (9), two edits away, does not outweigh "economy" (2), one.
        assert searcher.search("economyy").suggestion == "economy"


def test_did_you_mean_prefers_the_word_most_bodies_hold(tmp_path: Path) -> None:
    # "marker" and "market" are both one edit from "markey" and both in more articles
    # than the spell field records; "marker" is in more bodies, and wins over the
    # alphabetical order.
    bodies = [f"marker pen {n}" for n in range(8)] + [f"market day {n}" for n in range(4)]
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(Article(id=body, title="", body=body) for body in bodies)
    with Searcher(tmp_path / "ix") as searcher:
        assert searcher.search("markey").suggestion == "marker"


def test_did_you_mean_offers_real_words(index_dir: Path) -> None:
    with Searcher(index_dir) as searcher:
        assert searcher.search("talibn capitals").suggestion == "taliban capitals"
        assert searcher.search("provincal capitol").suggestion == "provincial capital"
        assert searcher.search("kabul").suggestion is None
        assert searcher.search("zzzzqx").suggestion is None
        # A word left out is left as typed.
        assert searcher.search("talibn NOT kabol").suggestion == "taliban NOT kabol"
        assert searcher.search("-kabol talibn").suggestion == "-kabol taliban"
        # A fuzzy or wildcard word asks for other spellings itself: left as typed.
        assert searcher.search("talibn~ capitols").suggestion == "talibn~ capitals"
        assert searcher.search("talibn*").suggestion is None
    listing = CliRunner().invoke(main, ["query", "talibn", "--index", str(index_dir)])
    assert listing.stdout == "No articles match.\nDid you mean: taliban?\n"


def test_did_you_mean_respells_a_word_alike_and_only_a_few_words(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search import suggest

    with Searcher(index_dir) as searcher:
        # A word typed twice is respelled alike, its edits counted twice.
        assert searcher.search("kabol airprt kabol").suggestion == "kabul airport kabul"
        reader = searcher._engine().reader()
        assert suggest.respellings("kabol airprt kabol", reader)[0] == ("kabul airport kabul", 3)
        # Past MAX_RARE_WORDS rare words, the others are left as typed...
        monkeypatch.setattr(suggest, "MAX_RARE_WORDS", 2)
        three = suggest.respellings("talibn kabol provincal", reader)
        assert three[0] == ("taliban kabul provincal", 2)
        # ... and a text of more than MAX_WORDS words is not respelled.
        monkeypatch.setattr(suggest, "MAX_WORDS", 3)
        assert suggest.respellings("talibn kabol provincal", reader) == three
        assert suggest.respellings("talibn kabol provincal capitls", reader) == []


def test_similar_articles(index_dir: Path) -> None:
    with Searcher(index_dir) as searcher:
        results = searcher.similar("https://example.com/world/kabul-airport", limit=3)
    ids = [hit.id for hit in results.hits]
    assert "https://example.com/world/kabul-airport" not in ids
    assert ids[0] == "https://example.com/world/kabul-cash"


def test_an_article_whose_words_no_body_holds_has_no_similar_articles(tmp_path: Path) -> None:
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add([
            Article(id="zanzibar", title="Zanzibar"),
            Article(id="cars", title="Cars", body="Some body text about cars."),
        ])  # fmt: skip
    with Searcher(tmp_path / "ix") as searcher:
        results = searcher.similar("zanzibar")
    assert (results.total, results.hits) == (0, ())


@pytest.mark.parametrize("text", ["kabul", "kabul^3"])
def test_explain_breaks_the_score_down(index_dir: Path, text: str) -> None:
    with Searcher(index_dir) as searcher:
        hit = searcher.search(text, explain=True).hits[0]
    head, parts = hit.explanation.split(" = ")
    assert head == f"{hit.score:.2f}"
    fields = [part.rsplit(" ", 1)[0] for part in parts.split(" + ")]
    assert fields == ["title:kabul^2.5", "body:kabul"]
    total = sum(float(part.rsplit(" ", 1)[1]) for part in parts.split(" + "))
    assert total == pytest.approx(hit.score, abs=0.02)


@pytest.mark.parametrize(
    "text", ['"kabul airport"^2', 'title:"kabul airport"^2', "kab*^2", "kabol~2^2"]
)
def test_explain_parts_of_boosted_phrases_and_wildcards_add_up(index_dir: Path, text: str) -> None:
    with Searcher(index_dir) as searcher:
        hit = searcher.search(text, explain=True).hits[0]
        plain = searcher.search(text.rsplit("^", 1)[0]).hits[0]
    parts = hit.explanation.split(" = ")[1]
    total = sum(float(part.rsplit(" ", 1)[1]) for part in parts.split(" + "))
    assert total == pytest.approx(hit.score, abs=0.02)
    assert (hit.id, hit.score) == (plain.id, pytest.approx(plain.score * 2))


def _terms(*words: str) -> set[str]:
    return {token.text for word in words for token in text_analyzer()(word)}


def test_snippet_marks_stemmed_forms_in_one_window() -> None:
    text = "Rain fell. " * 30 + "The capitals were flooded by heavy rains. " + "Sun. " * 30
    snippet, spans = make_snippet(text, _terms("capital", "flood"), width=60)
    assert [snippet[s:e] for s, e in spans] == ["capitals", "flooded"]
    assert snippet.startswith("… ") and snippet.endswith(" …")


def test_snippet_adds_a_second_fragment_for_missed_words() -> None:
    text = "Kabul airport was busy. " + "Filler words here. " * 40 + "Evacuation ended."
    snippet, spans = make_snippet(text, _terms("airport", "evacuation"), width=80)
    assert [snippet[s:e] for s, e in spans] == ["airport", "Evacuation"]
    assert " … " in snippet


def test_snippet_without_match_is_the_opening() -> None:
    snippet, spans = make_snippet("Short text about nothing in particular.", _terms("zebra"))
    assert (snippet, spans) == ("Short text about nothing in particular.", ())


def test_snippets_look_only_at_words_whose_first_letter_can_match() -> None:
    import sys

    from whoosh.support.charset import accent_map

    from search.snippets import _candidates

    # Every letter Python knows is found by the pattern of the first letter it folds to.
    # A letter whose lower case is that letter is (the pattern ignores case); the others
    # are tried one by one.
    tried, missed = 0, []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if char.isalnum() or char == "_":
            first = char.lower().translate(accent_map)[:1]
            if first != char.lower():
                tried += 1
                if not _candidates(frozenset(first)).match(char):
                    missed.append(char)
    assert missed == []
    assert tried > 500  # accented letters, ligatures, "İ"
    assert _candidates(frozenset("e")).findall("Élan, eager; Oil's U.S. elbow") == [
        "Élan",
        "eager",
        "elbow",
    ]
    assert _candidates(frozenset("s")).findall("U.S. Straße oil's") == ["Straße"]


# Pieces of text with the traps of words: joining marks, folded and special letters.
_PIECES = st.sampled_from(
    "oil Oil OIL oil's Oil’s U.S U.S. u.s.a élan Élan ÉLAN straße Straße ﬁnance "
    "İstanbul Kelvin Kelvin ſeas yearly dying skies 3rd _x the a . ' ’ - , ; "
    "d'Ivoire l'état x.y.z co-op".split(" ")
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40), st.lists(st.sampled_from(_PIECES.elements), min_size=1))
def test_snippet_words_are_those_every_word_analyzed_would_give(
    pieces: list[str], query: list[str]
) -> None:
    import re

    from search.analysis import TOKEN_PATTERN
    from search.snippets import _analyzed, _matches

    text = "".join(piece + (" " if n % 3 else "") for n, piece in enumerate(pieces))
    terms = _terms(*query)
    every_word = [
        (match.start(), match.end(), form)
        for match in re.finditer(TOKEN_PATTERN, text)
        for form in _analyzed(match.group())[:1]
        if form in terms
    ]
    assert _matches(text, terms) == every_word
