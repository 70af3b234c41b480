"""The codec: rare words' postings kept in the term table, results unchanged."""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import formats
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter, W3TermInfo

import search.indexer
from search import Article, Indexer, Searcher
from search.check import check_index
from search.codec import INLINE_BELOW, Codec, GapPositions, _PostingsWriter, decode_gaps
from search.damage import damage
from search.schema import build_schema

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


def test_words_of_fewer_than_four_articles_are_inlined(index_dir: Path) -> None:
    with whoosh_index.open_dir(str(index_dir)).reader() as reader:
        kinds = {
            (
                reader.term_info(field, text).doc_frequency(),
                reader.term_info(field, text).is_inlined(),
            )
            for field, text in reader.all_terms()
        }
    assert {(1, True), (2, True), (3, True)} <= kinds
    assert {inlined for frequency, inlined in kinds if frequency >= INLINE_BELOW} == {False}


def test_results_equal_those_of_whooshs_codec(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(tmp_path / "ours", corpus)
    monkeypatch.setattr(search.indexer, "Codec", W3Codec)
    build(tmp_path / "w3", corpus)
    assert ranking(tmp_path / "ours") == ranking(tmp_path / "w3")
    assert all(ranking(tmp_path / "ours"))


def build_in_two_runs(
    index_dir: Path, corpus: Path, aside: Path, first_run=contextlib.nullcontext
) -> None:
    """Index the first file of ``corpus`` (within the ``first_run`` context), then all."""
    later = sorted(corpus.iterdir())[1:]
    for path in later:
        path.rename(aside / path.name)
    with first_run():
        build(index_dir, corpus)
    for path in later:
        (aside / path.name).rename(path)
    build(index_dir, corpus)
    assert len(whoosh_index.open_dir(str(index_dir))._segments()) == 2


def merge(index_dir: Path) -> None:
    """Merge the segments as the indexer's writer does, with its codec."""
    ix = whoosh_index.open_dir(str(index_dir))
    ix.writer(codec=search.indexer.Codec()).commit(optimize=True)


def build_in_two_runs_and_merge(index_dir: Path, corpus: Path, aside: Path) -> None:
    build_in_two_runs(index_dir, corpus, aside)
    merge(index_dir)
    assert len(whoosh_index.open_dir(str(index_dir))._segments()) == 1


def test_merged_segments_keep_inlined_postings(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_in_two_runs_and_merge(tmp_path / "ours", corpus, tmp_path)
    assert check_index(tmp_path / "ours").healthy
    monkeypatch.setattr(search.indexer, "Codec", W3Codec)
    build_in_two_runs_and_merge(tmp_path / "w3", corpus, tmp_path)
    assert ranking(tmp_path / "ours") == ranking(tmp_path / "w3")


def _codec_before_split_blocks() -> Codec:
    """The codec as segments written before blocks were split unpickle it."""
    codec = Codec()
    del codec.split_blocks
    return codec


def test_segments_of_whooshs_block_layout_are_read_and_merged(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_in_two_runs(tmp_path / "ours", corpus, tmp_path)

    @contextlib.contextmanager
    def as_before() -> Iterator[None]:
        # Writing as an earlier version did: Whoosh's blocks, a codec without the mark.
        with monkeypatch.context() as patched:
            patched.setattr(_PostingsWriter, "_write_block", W3PostingsWriter._write_block)
            patched.setattr(search.indexer, "Codec", _codec_before_split_blocks)
            yield

    build_in_two_runs(tmp_path / "mixed", corpus, tmp_path, first_run=as_before)
    ix = whoosh_index.open_dir(str(tmp_path / "mixed"))
    assert [hasattr(s.codec(), "split_blocks") for s in ix._segments()] == [False, True]
    assert ranking(tmp_path / "mixed") == ranking(tmp_path / "ours")

    monkeypatch.setattr(search.indexer, "Codec", Codec)
    merge(tmp_path / "mixed")
    merged = whoosh_index.open_dir(str(tmp_path / "mixed"))._segments()
    assert [hasattr(s.codec(), "split_blocks") for s in merged] == [True]
    merge(tmp_path / "ours")
    assert ranking(tmp_path / "mixed") == ranking(tmp_path / "ours")
    assert check_index(tmp_path / "mixed").healthy


def test_skipping_within_blocks_lands_where_whoosh_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search import Article
    from search.codec import _UNREAD, _LeafMatcher

    # "common" in 600 of 900 articles, at varied positions and counts: five blocks of
    # 128 postings, with gaps.
    articles = [
        Article(
            id=f"a{n}",
            title=f"t{n}",
            body="rare " * (n % 4) + "common " * (1 + n % 5) if n % 3 else "rare",
        )
        for n in range(900)
    ]
    for name in ("ours", "w3"):
        with Indexer(tmp_path / name) as indexer:
            indexer.add(articles)
        monkeypatch.setattr(search.indexer, "Codec", W3Codec)

    def landings(name: str) -> list[tuple]:
        with whoosh_index.open_dir(str(tmp_path / name)).reader() as reader:
            matcher = reader.postings("body", b"common")
            found = [type(matcher).__name__]
            for target in [0, 1, 2, 5, 5, 6, 127, 130, 191, 192, 400, 401, 700, 898, 899]:
                matcher.skip_to(target)
                if not matcher.is_active():
                    found.append(None)
                    continue
                landing = matcher.id(), matcher.weight()
                # Split blocks decode positions only when they are asked for.
                unread = getattr(matcher, "_data", None) is not None and matcher._data[2] is _UNREAD
                found.append((*landing, unread, matcher.value_as("positions")))
                if target % 2:
                    matcher.next()
            return found

    ours, whooshs = landings("ours"), landings("w3")
    assert ours[0] == _LeafMatcher.__name__ and whooshs[0] == "W3LeafMatcher"
    assert [(i, w, p) for i, w, _, p in ours[1:]] == [(i, w, p) for i, w, _, p in whooshs[1:]]
    assert [landing[0] for landing in ours[1:]] == [
        1, 1, 2, 5, 7, 8, 127, 130, 191, 193, 400, 401, 700, 898, 899,
    ]  # fmt: skip
    # Unread at the first landing in each block: 1, 193, 400, 700 and 898.
    unread = [n for n, (_, _, unread, _) in enumerate(ours[1:]) if unread]
    assert unread == [0, 9, 10, 12, 13]
    assert ours[4] == (5, 1.0, False, [1])  # "rare common"
    assert ours[-1] == (899, 5.0, False, [3, 4, 5, 6, 7])  # "rare" 3 times, "common" 5 times
    assert not any(unread for _, _, unread, _ in whooshs[1:])


def test_positions_read_a_block_at_a_time_equal_the_matchers(tmp_path: Path) -> None:
    from search import Article

    # "common" at positions that differ from one article to the next: several blocks.
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(
            Article(id=f"a{n}", title="t", body="rare " * (n % 7) + "common rare " * (1 + n % 3))
            for n in range(400)
        )
    wanted = list(range(0, 400, 4)) + [399]
    with whoosh_index.open_dir(str(tmp_path / "ix")).reader() as reader:
        at_once = reader.postings("body", b"common").positions_of(wanted)
        matcher, one_by_one = reader.postings("body", b"common"), []
        for docnum in wanted:
            matcher.skip_to(docnum)
            one_by_one.append(matcher.value_as("positions"))
    assert at_once == one_by_one
    assert at_once[:3] == [[0], [4, 6], [1, 3, 5]]  # articles 0, 4 and 8
    assert at_once[-1] == [0]


def test_joined_values_are_cut_out_as_they_were() -> None:
    from search.codec import _joined, _Values

    values = [b"\x00\x00\x00\x01\x80\x02]q\x00K\x05a.", b"", b"xyz"]
    joined = _Values(_joined(values))
    assert (len(joined), list(joined), joined[2]) == (3, values, b"xyz")
    with pytest.raises(IndexError):
        joined[3]


def test_copy_keys_are_kept_in_a_column_of_their_own(index_dir: Path, tmp_path: Path) -> None:
    from search.codec import copy_keys

    with whoosh_index.open_dir(str(index_dir)).reader() as reader:
        (segment, _), *_ = reader.leaf_readers()
        keys = copy_keys(segment)
        stored = [reader.stored_fields(docnum) for docnum in range(reader.doc_count_all())]
        assert [keys(docnum) for docnum in range(len(stored))] == [
            (fields.get("hash", ""), fields.get("fingerprint", "")) for fields in stored
        ]
    assert sum(bool(fields.get("fingerprint")) for fields in stored) >= 5
    with Indexer(tmp_path / "w3") as indexer:
        indexer.add([Article(id="a", title="t", body="b")])
    ix = whoosh_index.open_dir(str(tmp_path / "w3"))
    ix.writer(codec=W3Codec()).commit(optimize=True)  # rewritten by Whoosh's codec
    with whoosh_index.open_dir(str(tmp_path / "w3")).reader() as reader:
        (segment, _), *_ = reader.leaf_readers()
        assert copy_keys(segment) is None


def test_the_term_table_is_written_to_whooshs_bytes() -> None:
    import io
    import random

    from whoosh.filedb.filetables import OrderedHashWriter
    from whoosh.filedb.structfile import StructFile

    from search.codec import _TermTable

    rng = random.Random(1)
    for count in (0, 1, 5, 3000):
        words = {
            bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20))) for _ in range(count)
        }
        written = []
        for adopted in (False, True):
            buffer = io.BytesIO()
            dbfile = StructFile(buffer)
            dbfile.close = lambda: None  # keep the bytes readable
            table = OrderedHashWriter(dbfile)
            if adopted:
                table = _TermTable.adopting(table)
            table.extras["fieldmap"] = {"body": 0}
            for word in sorted(words):
                table.add(word, word[::-1] * 2)
            table.close()
            written.append(buffer.getvalue())
        assert written[0] == written[1]
    with pytest.raises(ValueError, match="Keys must increase"):
        table = _TermTable.adopting(OrderedHashWriter(StructFile(io.BytesIO())))
        table.add(b"b", b"")
        table.add(b"a", b"")


def test_blocks_of_few_bytes_are_not_compressed(tmp_path: Path) -> None:
    from search.codec import _LeafMatcher

    # kabul: 4 postings of one position, a few dozen bytes; zurich: 12 postings, their
    # ids and weights deflated, their positions (varints) not, which -1 tells; oslo: 4
    # postings of 300 positions each (a word repeated on and on), which are not
    # compressed either. Fewer would be inlined in the term table.
    assert INLINE_BELOW == 4
    articles = [
        Article(id=f"a{n}", title="t", body=("kabul " if n < 4 else "") + "zurich " * (n + 1))
        for n in range(12)
    ]
    articles += [Article(id=f"o{n}", title="t", body="oslo " * 300) for n in range(4)]
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add(articles)
    with whoosh_index.open_dir(str(tmp_path / "ix")).reader() as reader:
        compression = {}
        for word in (b"kabul", b"zurich", b"oslo"):
            matcher = reader.postings("body", word)
            assert isinstance(matcher, _LeafMatcher)
            compression[word] = matcher._compression
        assert compression == {b"kabul": 0, b"zurich": -1, b"oslo": 0}
        assert list(reader.postings("body", b"kabul").all_ids()) == [0, 1, 2, 3]
        positions = reader.postings("body", b"zurich").positions_of([0, 11])
        assert positions == [[1], list(range(12))]
        assert reader.postings("body", b"oslo").positions_of([13]) == [list(range(300))]
    with Searcher(tmp_path / "ix") as searcher:
        found = searcher.search('"kabul zurich"', limit=20).hits
        assert sorted(hit.id for hit in found) == ["a0", "a1", "a2", "a3"]


def test_a_segment_reader_looks_each_term_up_once(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.filedb.filetables import OrderedHashReader
    from whoosh.reading import TermNotFound

    import search.codec

    looked_up = []
    ranges_for_key = OrderedHashReader.ranges_for_key
    monkeypatch.setattr(
        OrderedHashReader,
        "ranges_for_key",
        lambda table, key: looked_up.append(key) or ranges_for_key(table, key),
    )
    with whoosh_index.open_dir(str(index_dir)).reader() as reader:
        for _ in range(3):
            assert ("body", b"kabul") in reader
            assert ("body", b"zzzz") not in reader
            assert reader.doc_frequency("body", b"kabul") == 2
            assert reader.term_info("body", b"kabul").doc_frequency() == 2
            assert list(reader.postings("body", b"kabul").all_ids()) == [1, 5]
            with pytest.raises(TermNotFound):
                reader.term_info("body", b"zzzz")
        # kabul, and zzzz: found absent once.
        assert [key[2:] for key in looked_up] == [b"kabul", b"zzzz"]
        # Past the most it keeps, a reader forgets the places it knows.
        monkeypatch.setattr(search.codec, "_PLACES_KEPT", 2)
        assert ("body", b"taliban") in reader
        assert ("body", b"kabul") in reader
        assert [key[2:] for key in looked_up] == [b"kabul", b"zzzz", b"taliban", b"kabul"]


@pytest.mark.parametrize(
    ("ids", "weights"),
    [
        ([7], [1.0]),
        ([3, 4, 9, 200, 70_000], [1.0, 1.0, 1.0, 1.0, 1.0]),
        ([3, 4, 9], [2.0, 2.0, 2.0]),
        ([0, 5, 6], [1.0, 3.0, 1.0]),
        ([10, 11], [2.5, 1.0]),
        ([], []),
    ],
)
def test_blocks_are_minified_as_whoosh_minifies_them(ids: list[int], weights: list[float]) -> None:
    from array import array

    def minified(cls: type) -> tuple:
        writer = cls.__new__(cls)
        writer._byteids = False
        writer._ids, writer._weights = array("I", ids), array("f", weights)
        return writer._mini_ids(), writer._mini_weights()

    assert minified(_PostingsWriter) == minified(W3PostingsWriter)


@pytest.mark.parametrize(
    "postings",
    [
        ((0,), len, ()),  # a damaged pickle built a builtin function for the weights
        ((0, "1"), (1.0, 1.0), ()),
        ((0, 1), (1.0,), ()),
        ((0,), (1.0,), (b"\x01", b"\x02")),
        ((0,), (1.0,), ("1",)),
        [(0,), (1.0,), ()],
        7,
    ],
)
def test_inlined_postings_that_are_not_postings_are_damage(postings: object) -> None:
    terminfo = W3TermInfo()
    terminfo._inlined = postings
    with pytest.raises(pickle.UnpicklingError) as caught:
        Codec().postings_reader(None, terminfo, formats.Existence())
    assert damage(caught.value) == (
        "damaged: UnpicklingError: a term's inlined postings are not ids, weights and values"
    )


def test_inlined_postings_are_read_as_written() -> None:
    terminfo = W3TermInfo()
    terminfo.set_inlined([2, 5], [1.0, 2], [b"\x01\x00", b"\x01\x03"])
    matcher = Codec().postings_reader(None, terminfo, formats.Positions())
    assert list(matcher.all_ids()) == [2, 5]


@pytest.mark.parametrize(
    ("positions", "encoded"),
    [([0], b"\x00"), ([3], b"\x03"), ([200], b"\xc8\x01"), ([3, 5, 300], b"\x03\x02\xa7\x02")],
)
def test_positions_are_kept_as_their_differences_in_varints(
    positions: list[int], encoded: bytes
) -> None:
    format_ = GapPositions()
    assert format_.encode(positions) == encoded
    assert format_.decode_positions(encoded) == positions
    assert format_.decode_frequency(encoded) == len(positions)


@given(st.lists(st.integers(0, 10**9), min_size=1, unique=True))
def test_any_positions_are_read_as_written(positions: list[int]) -> None:
    positions.sort()
    assert decode_gaps(GapPositions().encode(positions)) == positions


def test_positions_ending_in_the_middle_of_a_number_are_damage() -> None:
    with pytest.raises(ValueError, match="end in the middle of a number"):
        decode_gaps(b"\x03\xa7")


def _schema_before_gap_positions():
    """The schema as indexes made before GapPositions have it: Whoosh's Positions."""
    schema = build_schema()
    for name in schema.names():
        if type(schema[name].format) is GapPositions:
            schema[name].format = formats.Positions(field_boost=schema[name].format.field_boost)
    return schema


def test_indexes_keeping_whooshs_positions_are_read_and_added_to(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_in_two_runs(tmp_path / "ours", corpus, tmp_path)
    with monkeypatch.context() as patched:
        patched.setattr(search.indexer, "build_schema", _schema_before_gap_positions)
        build(tmp_path / "before", min(corpus.iterdir()))
    build_in_two_runs(tmp_path / "before", corpus, tmp_path)
    schema = whoosh_index.open_dir(str(tmp_path / "before")).schema
    assert type(schema["body"].format) is formats.Positions
    assert type(build_schema()["body"].format) is GapPositions
    assert ranking(tmp_path / "before") == ranking(tmp_path / "ours")
    assert check_index(tmp_path / "before").healthy
