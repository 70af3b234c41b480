"""Postings gathered word by word write the segment Whoosh's own path writes, byte for
byte: in memory or spilled to disk, gathered here or in a worker (pickled), with
documents left out, with a field capped, and with half the words written by a fork."""

from __future__ import annotations

import datetime as dt
import gc
import os
import pickle
import sys
import threading
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage

import search.codec
import search.postings
from search import Article
from search.analysis import text_analyzer
from search.codec import Codec
from search.postings import TermPool, add_gathered, gather
from search.schema import JOINED_FIELDS, SPELL_FIELD, build_schema, document_for

WORDS = [f"w{n}" for n in range(300)] + ["the", "Kabul’s", "U.S.", "café", "of"]


def documents(count: int) -> list[dict]:
    """``count`` documents using every field, with words shared in varied measure."""
    n_words = len(WORDS)
    return [
        document_for(
            Article(
                id=f"a{n}",
                title=f"{WORDS[n % n_words]} {WORDS[n * 7 % n_words]} {WORDS[n % 5]}",
                body=" ".join(WORDS[(n * k) % n_words] for k in range(1, 80)),
                summary=WORDS[n % 11] if n % 3 else "",
                authors=(f"Ann {WORDS[n % 4]}",) if n % 2 else (),
                source="Wire" if n % 2 else "Daily News",
                date=dt.datetime(2021, 1 + n % 12, 1 + n % 28) if n % 4 else None,
                url=f"https://news.example/{n}",
                tags=("world", WORDS[n % 6]),
                path=f"/corpus/{n // 100}.jsonl",
            ),
            f"/corpus/{n // 100}.jsonl\t1\t2\tsha\tr16",
        )
        for n in range(count)
    ]


def whooshs_segment(index_dir: Path, docs: list[dict]) -> dict[str, bytes]:
    """The segment Whoosh's writer makes of ``docs`` with its own pool."""
    ix = FileStorage(str(index_dir)).create().create_index(build_schema())
    writer = ix.writer(codec=Codec())
    for document in docs:
        writer.add_document(**document)
    writer.commit()
    return segment_files(index_dir)


def gathered_segment(
    index_dir: Path,
    docs: list[dict],
    *,
    files: int = 1,
    pickled: bool = False,
    kept: list[bool] | None = None,
    limitmb: int = 128,
    capped: dict[str, int] | None = None,
    gathering: dict | None = None,
) -> dict[str, bytes]:
    """The segment written from ``docs`` gathered in ``files`` parts (with ``gathering``,
    the options of gather())."""
    schema = build_schema()
    ix = FileStorage(str(index_dir)).create().create_index(schema)
    writer = ix.writer(codec=Codec())
    writer.pool = TermPool(writer._tempstorage, writer.newsegment, limitmb, capped)
    size = -(-len(docs) // files)
    for start in range(0, len(docs), size):
        part = docs[start : start + size]
        postings = gather(part, schema, **(gathering or {}))
        if pickled:
            postings = pickle.loads(pickle.dumps(postings, pickle.HIGHEST_PROTOCOL))
        add_gathered(writer, part, postings, (kept or [True] * len(docs))[start : start + size])
    writer.commit()
    return segment_files(index_dir)


def segment_files(index_dir: Path) -> dict[str, bytes]:
    """The files inside the one segment of an index, by their kind."""
    storage = FileStorage(str(index_dir))
    (name,) = [f for f in os.listdir(index_dir) if f.endswith(".seg")]
    compound = CompoundStorage(storage.open_file(name), use_mmap=False)
    files = {part.split(".", 1)[1]: compound.open_file(part).read() for part in compound.list()}
    compound.close()
    return files


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return documents(400)


@pytest.fixture(scope="module")
def whooshs(docs: list[dict], tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return whooshs_segment(tmp_path_factory.mktemp("whoosh"), docs)


def test_the_segment_holds_every_kind_of_file(whooshs: dict[str, bytes]) -> None:
    assert {"pst", "trm", "_stored.col", "date.col", "_body_len.col"} <= set(whooshs)


@pytest.mark.parametrize(
    "options",
    [{}, {"files": 7}, {"files": 3, "pickled": True}, {"files": 5, "limitmb": 1}],
    ids=["one file", "seven files", "from workers", "spilled"],
)
def test_gathered_postings_write_whooshs_segment(
    options: dict, docs: list[dict], whooshs: dict[str, bytes], tmp_path: Path
) -> None:
    assert gathered_segment(tmp_path, docs, **options) == whooshs


def test_words_weighted_by_fractions_write_whooshs_segment(
    docs: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Weights of 1.1 and 2.2 are not what 32-bit floats hold: a word's total weight
    # adds up the stored ones, inlined or in blocks.
    def boosted_schema(build=build_schema):
        schema = build()
        schema["title"].format.field_boost = 1.1
        return schema

    monkeypatch.setattr(sys.modules[__name__], "build_schema", boosted_schema)
    gathered = gathered_segment(tmp_path / "gathered", docs, files=3, pickled=True)
    assert gathered == whooshs_segment(tmp_path / "whoosh", docs)


def test_a_scored_field_of_words_alone_is_as_long_as_its_distinct_words() -> None:
    from whoosh import fields

    from search.schema import _words_field

    field = _words_field(text_analyzer())
    field.scorable = True
    gathered = gather([{"words": "Kabul kabul Zurich"}, {}], fields.Schema(words=field))
    # Whoosh's length: the frequencies field.index gives, one a distinct word.
    assert sum(frequency for _, frequency, _, _ in field.index("Kabul kabul Zurich")) == 2
    assert gathered.lengths["words"] == [2, None]


def test_spilling_writes_runs_and_removes_them(
    docs: list[dict], whooshs: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = []
    save = TermPool.save
    monkeypatch.setattr(TermPool, "save", lambda pool: save(pool) or runs.append(len(pool.runs)))
    monkeypatch.setattr(search.postings, "SPILL_POSTINGS", 500)
    assert gathered_segment(tmp_path, docs, files=8, limitmb=1) == whooshs
    assert max(runs) >= 2
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".run")]


def test_documents_left_out_are_not_written(docs: list[dict], tmp_path: Path) -> None:
    kept = [n % 3 != 1 for n in range(len(docs))]
    expected = whooshs_segment(tmp_path / "whoosh", [d for d, k in zip(docs, kept) if k])
    found = gathered_segment(tmp_path / "gathered", docs, files=4, pickled=True, kept=kept)
    assert found == expected


def test_a_capped_field_keeps_a_word_for_its_first_documents(
    docs: list[dict], tmp_path: Path
) -> None:
    gathered_segment(tmp_path, docs, files=6, limitmb=1, capped={SPELL_FIELD: 3})
    with whoosh_index.open_dir(str(tmp_path)).reader() as reader:
        postings = {
            text: list(reader.postings(SPELL_FIELD, text).all_ids())
            for text in reader.lexicon(SPELL_FIELD)
        }
        title_frequency = reader.doc_frequency("title", "w1")
    holding = [n for n, d in enumerate(docs) if "w1" in d[SPELL_FIELD].split()]
    assert len(holding) > 3
    assert postings[b"w1"] == holding[:3]
    assert max(map(len, postings.values())) == 3
    assert title_frequency > 3  # other fields are not capped


def test_a_joined_field_takes_its_words_from_its_sources_when_its_text_joins_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = build_schema()
    docs = [
        document_for(Article(id="j1", title="Kabul falls", body="The Taliban's advance. U.S."), ""),
        document_for(Article(id="j2", body="Nickel rises"), ""),  # no title
        {"id": "j3", "title": "Kabul", "body": "advance", SPELL_FIELD: "zinc Copper"},
        {"id": "j4", "title": "Kabul", "body": "advance", SPELL_FIELD: ["zinc"]},
    ]
    analyzer = schema[SPELL_FIELD].analyzer
    read = []
    monkeypatch.setattr(analyzer, "words", lambda text: read.append(text) or [*text.split()])
    joined = gather(docs, schema, joined=JOINED_FIELDS)
    monkeypatch.undo()
    # The bodies were read once, for the body field; the spell field read the titles.
    assert read == ["Kabul falls", "", "zinc Copper"]
    assert joined.fields[SPELL_FIELD] == gather(docs, schema).fields[SPELL_FIELD]
    assert {word: entries[0::3] for word, entries in joined.fields[SPELL_FIELD].items()} == {
        "kabul": [0],
        "falls": [0],
        "taliban's": [0],
        "advance": [0],
        "u.s": [0],
        "nickel": [1],
        "rises": [1],
        "zinc": [2],
        "copper": [2],
        b"zinc": [3],  # as Whoosh indexes a list: each item a word as it is
    }


def test_a_joined_field_gathered_from_its_sources_writes_whooshs_segment(
    docs: list[dict], whooshs: dict[str, bytes], tmp_path: Path
) -> None:
    joined = {"joined": JOINED_FIELDS}
    assert gathered_segment(tmp_path, docs, files=3, pickled=True, gathering=joined) == whooshs


def test_a_pool_numbers_a_files_documents_as_it_is_told(tmp_path: Path) -> None:
    schema = build_schema()
    docs = [document_for(Article(id=f"n{n}", title=f"oil w{n}"), "") for n in range(3)]
    gathered = pickle.loads(pickle.dumps(gather(docs, schema)))
    numbered = {}
    for numbers in ([4, 5, 6], [5, 7, 9], [0, -1, 8]):
        pool = TermPool(FileStorage(str(tmp_path)), None)
        pool.add_gathered(gathered, numbers)
        numbered[tuple(numbers)] = {
            text: list(ids)
            for field, text, ids, _, _ in pool.iter_postings().words()
            if field == "title"
        }
    assert numbered == {
        (4, 5, 6): {b"oil": [4, 5, 6], b"w0": [4], b"w1": [5], b"w2": [6]},
        (5, 7, 9): {b"oil": [5, 7, 9], b"w0": [5], b"w1": [7], b"w2": [9]},
        (0, -1, 8): {b"oil": [0, 8], b"w0": [0], b"w2": [8]},
    }


def test_a_pool_takes_files_and_single_postings_for_one_word(tmp_path: Path) -> None:
    # A file's postings are kept as they came, a chunk a file; postings added one at
    # a time (as Whoosh's merge of segments adds them) go into arrays, before or after.
    docs = [document_for(Article(id=f"n{n}", title=f"oil w{n}"), "") for n in range(2)]
    unpickled = gather(docs, build_schema())
    once = unpickled.fields["title"]["oil"][2]  # "oil" first in its title
    gathered = pickle.loads(pickle.dumps(unpickled))
    pool = TermPool(FileStorage(str(tmp_path)), None)
    pool.add_gathered(gathered, [0, 1])
    pool.add(("title", b"oil", 2, 2.0, b"two"))
    pool.add_gathered(gathered, [3, 4])
    pool.add(("title", b"w9", 5, 1.0, b"nine"))
    pool.add_gathered(gathered, [6, 7])
    words = {
        text: (list(ids), list(weights), values)
        for field, text, ids, weights, values in pool.iter_postings().words()
        if field == "title"
    }
    assert words == {
        b"oil": (
            [0, 1, 2, 3, 4, 6, 7],
            [1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
            [once] * 2 + [b"two"] + [once] * 4,
        ),
        b"w0": ([0, 3, 6], [1.0] * 3, [words[b"w0"][2][0]] * 3),
        b"w1": ([1, 4, 7], [1.0] * 3, [words[b"w1"][2][0]] * 3),
        b"w9": ([5], [1.0], [b"nine"]),
    }
    assert pool.postings == 3 * sum(gathered.flat()[1]) + 2


def test_a_fork_takes_the_words_from_halfway_through_the_work(tmp_path: Path) -> None:
    # Three words of one posting, then one of 300 from two files: writing it is most
    # of the work, so the fork's half starts with it.
    from whoosh import fields

    schema = fields.Schema(t=fields.TEXT(analyzer=text_analyzer(stem=False)))
    first = [{"t": "ab"}, {"t": "bc"}, {"t": "cd"}] + [{"t": "zz"}] * 150
    pool = TermPool(FileStorage(str(tmp_path)), None)
    pool.add_gathered(gather(first, schema), range(153))
    pool.add_gathered(gather([{"t": "zz"}] * 150, schema), range(153, 303))
    assert pool._halfway() == ("t", b"zz")


def test_postings_without_values_weigh_less_in_the_halves(tmp_path: Path) -> None:
    # 200 postings without positions (an id field's) take as long to write as 60 with
    # them: "zz"'s 100 postings with positions are the second half of the work, not all.
    from whoosh import fields

    schema = fields.Schema(a=fields.ID(), t=fields.TEXT(analyzer=text_analyzer(stem=False)))
    docs = [{"a": "x", "t": "ab"}, {"a": "x", "t": "bc"}] + [{"a": "x", "t": "zz"}] * 100
    docs += [{"a": "x"}] * 98
    pool = TermPool(FileStorage(str(tmp_path)), None)
    pool.add_gathered(gather(docs, schema), range(200))
    assert pool._halfway() == ("t", b"zz")


def test_a_pools_words_are_sorted_by_field_then_word(tmp_path: Path) -> None:
    pool = TermPool(FileStorage(str(tmp_path)), None)
    keys = [("b", b"z"), ("a", "\u00e9".encode()), ("ab", b"a"), ("b", b"a"), ("a", b"e")]
    for field, word in [*keys, ("ab", b"A b")]:
        pool.add((field, word, 0, 1.0, b""))
    assert pool._sorted_keys() == [
        ("a", b"e"),
        ("a", "\u00e9".encode()),
        ("ab", b"A b"),
        ("ab", b"a"),
        ("b", b"a"),
        ("b", b"z"),
    ]


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The forks made by commits, with no least number of postings for one."""
    made: list[int] = []
    fork = os.fork

    def counted() -> int:
        pid = fork()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(search.codec, "FORK_POSTINGS", 0)
    monkeypatch.setattr(os, "fork", counted)
    return made


@pytest.mark.parametrize(
    "options",
    [{}, {"files": 3, "pickled": True}, {"files": 5, "limitmb": 1}],
    ids=["one file", "from workers", "spilled"],
)
def test_a_fork_writing_half_the_words_writes_whooshs_segment(
    options: dict, docs: list[dict], whooshs: dict[str, bytes], tmp_path: Path, forks: list[int]
) -> None:
    assert gathered_segment(tmp_path, docs, **options) == whooshs
    assert len(forks) == 1
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".run")]


def test_the_fork_collects_no_cyclic_garbage(
    docs: list[dict], tmp_path: Path, forks: list[int]
) -> None:
    # A collection there could finalize objects it shares with the writer.
    writer_pid, record = os.getpid(), tmp_path / "collections"

    def collection(phase: str, info: dict) -> None:
        if os.getpid() != writer_pid:
            with record.open("a") as out:
                out.write(f"{phase} {info['generation']}\n")

    gc.callbacks.append(collection)
    try:
        gathered_segment(tmp_path / "index", docs, files=3)
    finally:
        gc.callbacks.remove(collection)
    assert len(forks) == 1
    assert not record.exists()


def test_words_a_failed_fork_did_not_write_are_written_by_the_commit(
    docs: list[dict],
    whooshs: dict[str, bytes],
    tmp_path: Path,
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search.codec._TailWriter, "_run", staticmethod(lambda *_: os._exit(1)))
    assert gathered_segment(tmp_path, docs, files=5, limitmb=1) == whooshs
    assert len(forks) == 1


def test_no_fork_while_other_threads_run(
    docs: list[dict], whooshs: dict[str, bytes], tmp_path: Path, forks: list[int]
) -> None:
    done = threading.Event()
    thread = threading.Thread(target=done.wait)
    thread.start()
    try:
        assert gathered_segment(tmp_path, docs, files=2) == whooshs
    finally:
        done.set()
        thread.join()
    assert forks == []


def test_one_process_writes_it_all_where_there_is_no_fork(
    docs: list[dict],
    whooshs: dict[str, bytes],
    tmp_path: Path,
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import signal

    # As on Windows: neither fork nor SIGCHLD.
    monkeypatch.delattr(os, "fork")
    monkeypatch.delattr(signal, "SIGCHLD")
    assert gathered_segment(tmp_path, docs, files=2) == whooshs
    assert forks == []
