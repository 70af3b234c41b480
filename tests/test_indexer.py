"""Indexer: syncing folders (add, change, delete, no-op), skipped files, locks, code API."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

import search.indexer as indexer_module
import search.prepare as prepare_module
from search import Article, IndexBusyError, Indexer, Searcher, Skipped, check_index
from search.extract import READER_VERSION
from search.indexer import walk_article_files
from search.prepare import FileState


def sync(index_dir: Path, *paths: Path, **options: object):
    with Indexer(index_dir, wait=1) as indexer:
        return indexer.sync(list(paths), **options)


def counts(report) -> tuple[int, int, int, int]:
    return report.added, report.updated, report.removed, report.unchanged


def all_ids(index_dir: Path) -> list[str]:
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        return sorted(doc["id"] for doc in searcher.all_stored_fields())


def bump(path: Path) -> None:
    """Give a file a new modification time, as an editor saving it would."""
    later = path.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(later, later))


def test_first_sync_adds_every_article(corpus: Path, tmp_path: Path) -> None:
    report = sync(tmp_path / "ix", corpus)
    assert counts(report) == (8, 0, 0, 0)
    assert report.skipped == () and report.problems == ()
    assert len(all_ids(tmp_path / "ix")) == 8


def test_second_sync_changes_nothing(corpus: Path, tmp_path: Path) -> None:
    sync(tmp_path / "ix", corpus)
    files_before = sorted(os.listdir(tmp_path / "ix"))
    report = sync(tmp_path / "ix", corpus)
    assert counts(report) == (0, 0, 0, 8)
    assert not report.changed
    assert sorted(os.listdir(tmp_path / "ix")) == files_before


def test_changed_file_is_reindexed(corpus: Path, tmp_path: Path) -> None:
    sync(tmp_path / "ix", corpus)
    oil = corpus / "text" / "oil-record.txt"
    oil.write_text(oil.read_text() + "\nShipping rates doubled as well.\n")
    bump(oil)
    assert counts(sync(tmp_path / "ix", corpus)) == (0, 1, 0, 7)
    with Searcher(tmp_path / "ix") as searcher:
        assert searcher.search("shipping").total == 1


def test_touched_but_identical_file_is_unchanged(corpus: Path, tmp_path: Path) -> None:
    sync(tmp_path / "ix", corpus)
    bump(corpus / "feeds" / "wire.jsonl")
    assert counts(sync(tmp_path / "ix", corpus)) == (0, 0, 0, 8)


def test_files_an_older_reader_read_are_read_again(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Readers of version 1 wrote the file states of indexes from before versions were
    # recorded, and in their format.
    with monkeypatch.context() as patch:
        patch.setattr(prepare_module, "READER_VERSION", 1)
        sync(tmp_path / "ix", corpus)
    assert READER_VERSION > 1
    assert check_index(tmp_path / "ix", [corpus]).notes == (
        "5 files were read by an older version of news-search: the next search index reads "
        "them again",
    )
    bump(corpus / "feeds" / "wire.jsonl")  # touched, the same bytes: read again all the same
    report = sync(tmp_path / "ix", corpus)
    assert counts(report) == (0, 8, 0, 0)
    assert report.reread == 5
    assert report.problems == ()
    assert len(all_ids(tmp_path / "ix")) == 8
    again = sync(tmp_path / "ix", corpus)
    assert counts(again) == (0, 0, 0, 8)
    assert again.reread == 0
    assert check_index(tmp_path / "ix", [corpus]).notes == ()


def test_reading_every_file_again_leaves_no_deleted_articles_behind(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whoosh keeps a replaced article until its segment is merged, and never merges a
    # large one: each full re-read added a segment of dead articles.
    sync(tmp_path / "ix", corpus)
    for version in (READER_VERSION + 1, READER_VERSION + 2, READER_VERSION + 3):
        monkeypatch.setattr(prepare_module, "READER_VERSION", version)
        assert counts(sync(tmp_path / "ix", corpus)) == (0, 8, 0, 0)
    ix = whoosh_index.open_dir(str(tmp_path / "ix"))
    with ix.reader() as reader:
        assert (reader.doc_count(), reader.doc_count_all()) == (8, 8)
    assert len(ix._segments()) == 1


def test_a_file_state_recorded_before_reader_versions_was_read_by_version_1() -> None:
    sha1 = "0123456789abcdef0123456789abcdef01234567"
    old = FileState.parse(f"news/a\tb.txt\t1700000000\t512\t{sha1}")
    assert old == FileState("news/a\tb.txt", 1_700_000_000, 512, sha1, 1)
    assert FileState.parse(old.key) == old
    assert old.key == f"news/a\tb.txt\t1700000000\t512\t{sha1}"
    new = FileState("news/a\tb.txt", 1_700_000_000, 512, sha1, 2)
    assert new.key == f"{old.key}\tr2"
    assert FileState.parse(new.key) == new
    assert FileState.parse("news/a.txt\tnot a time\t512\tr2") is None


def test_changed_jsonl_updates_its_records(corpus: Path, tmp_path: Path) -> None:
    sync(tmp_path / "ix", corpus)
    wire = corpus / "feeds" / "wire.jsonl"
    lines = wire.read_text().splitlines()
    wire.write_text("\n".join(lines[:2]) + "\n")  # the Zürich story is gone
    bump(wire)
    assert counts(sync(tmp_path / "ix", corpus)) == (0, 2, 1, 5)
    assert "https://wire.example/3" not in all_ids(tmp_path / "ix")


def test_deleted_file_loses_its_articles(corpus: Path, tmp_path: Path) -> None:
    sync(tmp_path / "ix", corpus)
    (corpus / "feeds" / "archive.json").unlink()
    assert counts(sync(tmp_path / "ix", corpus)) == (0, 0, 2, 6)
    assert len(all_ids(tmp_path / "ix")) == 6


def test_new_file_is_added(corpus: Path, tmp_path: Path) -> None:
    sync(tmp_path / "ix", corpus)
    (corpus / "text" / "new.txt").write_text("Floods in Sindh\n\nHeavy rain flooded Sindh.\n")
    assert counts(sync(tmp_path / "ix", corpus)) == (1, 0, 0, 8)


def test_sync_of_one_folder_leaves_other_folders_alone(corpus: Path, tmp_path: Path) -> None:
    sync(tmp_path / "ix", corpus)
    report = sync(tmp_path / "ix", corpus / "text")
    assert counts(report) == (0, 0, 0, 2)
    assert len(all_ids(tmp_path / "ix")) == 8


def test_rebuild_reads_everything_again(corpus: Path, tmp_path: Path) -> None:
    sync(tmp_path / "ix", corpus)
    (corpus / "feeds" / "archive.json").unlink()
    report = sync(tmp_path / "ix", corpus / "text", rebuild=True)
    assert counts(report) == (2, 0, 0, 0)
    assert len(all_ids(tmp_path / "ix")) == 2


def test_a_folder_reached_through_a_link_is_the_same_folder(corpus: Path, tmp_path: Path) -> None:
    sync(tmp_path / "ix", corpus)
    ids = all_ids(tmp_path / "ix")
    (tmp_path / "link").symlink_to(corpus, target_is_directory=True)
    assert counts(sync(tmp_path / "ix", tmp_path / "link")) == (0, 0, 0, 8)
    assert all_ids(tmp_path / "ix") == ids


def test_a_file_reached_by_several_paths_is_read_once_and_a_broken_link_said_so(
    tmp_path: Path,
) -> None:
    (tmp_path / "news" / "sub").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "news" / "a.txt").write_text("Zebras\n\nZebras graze by the river.\n")
    (tmp_path / "other" / "g.txt").write_text("Gnus\n\nGnus cross the river.\n")
    (tmp_path / "news" / "a-copy.txt").symlink_to("a.txt")
    (tmp_path / "news" / "gone.txt").symlink_to("nowhere.txt")
    (tmp_path / "news" / "ext").symlink_to(tmp_path / "other", target_is_directory=True)
    (tmp_path / "news" / "sub" / "g-link.txt").symlink_to(tmp_path / "other" / "g.txt")
    news, other = str(tmp_path / "news"), str(tmp_path / "other")
    assert walk_article_files([news])[1:] == ([f"{news}/a.txt", f"{news}/gone.txt"], [])
    found = walk_article_files([news, other], follow_symlinks=True)[1]
    assert found == [f"{news}/a.txt", f"{news}/gone.txt", f"{other}/g.txt"]
    report = sync(tmp_path / "ix", news)
    assert counts(report) == (1, 0, 0, 0)
    assert report.skipped == (Skipped(f"{news}/gone.txt", "broken link: nowhere.txt"),)


def test_files_indexed_through_a_link_are_taken_over_by_their_real_paths(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "link"
    link.symlink_to(corpus, target_is_directory=True)
    walk = indexer_module.walk_article_files

    def through_link(paths, follow_symlinks=False):  # roots as given, links kept
        _, files, missing = walk(paths, follow_symlinks=follow_symlinks)
        return [str(link)], [f.replace(str(corpus), str(link), 1) for f in files], missing

    with monkeypatch.context() as patch:
        patch.setattr(indexer_module, "walk_article_files", through_link)
        sync(tmp_path / "ix", link)
    assert counts(sync(tmp_path / "ix", link)) == (8, 0, 8, 0)
    sync(tmp_path / "real", corpus)
    assert all_ids(tmp_path / "ix") == all_ids(tmp_path / "real")


def test_unreadable_files_are_skipped_with_reasons(corpus: Path, tmp_path: Path) -> None:
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "broken.json").write_text('{"title": "x", ')
    os.mkfifo(tmp_path / "pipe")
    report = sync(tmp_path / "ix", corpus, corpus / "missing", tmp_path / "pipe")
    assert counts(report) == (8, 0, 0, 0)
    reasons = {Path(item.path).name: item.reason.split(":")[0] for item in report.skipped}
    assert reasons == {
        "empty.txt": "empty file",
        "broken.json": "invalid JSON",
        "missing": "no such file or folder",
        "pipe": "not a regular file or a folder",
    }


def test_a_file_broken_after_indexing_keeps_its_articles(corpus: Path, tmp_path: Path) -> None:
    sync(tmp_path / "ix", corpus)
    oil = corpus / "text" / "oil-record.txt"
    oil.write_bytes(b"")
    bump(oil)
    report = sync(tmp_path / "ix", corpus)
    assert counts(report) == (0, 0, 0, 8)
    assert report.skipped == (Skipped(str(oil), "empty file (kept the articles indexed before)"),)


def test_duplicate_url_is_indexed_once(corpus: Path, tmp_path: Path) -> None:
    copy = corpus / "feeds" / "zz-copy.jsonl"
    copy.write_text((corpus / "feeds" / "wire.jsonl").read_text().splitlines()[0] + "\n")
    report = sync(tmp_path / "ix", corpus)
    assert counts(report) == (8, 0, 0, 0)
    original = corpus / "feeds" / "wire.jsonl"
    assert [(Path(p.path).name, p.reason) for p in report.problems] == [
        (
            "zz-copy.jsonl",
            f"duplicate id: 'https://wire.example/1' is already indexed from {original}",
        )
    ]
    # Stable: the next run finds the same duplicate and changes nothing.
    assert counts(sync(tmp_path / "ix", corpus)) == (0, 0, 0, 8)


def test_a_new_file_that_opens_with_a_duplicate_keeps_its_other_articles(
    corpus: Path, tmp_path: Path
) -> None:
    """The duplicate is left out and the article after it is written as the first
    document of the new segment."""
    sync(tmp_path / "ix", corpus)
    duplicate = (corpus / "feeds" / "wire.jsonl").read_text().splitlines()[0]
    fresh = json.dumps({"url": "https://wire.example/new", "title": "Zeppelin lands"})
    (corpus / "feeds" / "later.jsonl").write_text(f"{duplicate}\n{fresh}\n")
    report = sync(tmp_path / "ix", corpus)
    assert counts(report) == (1, 0, 0, 8)
    assert [p.reason for p in report.problems] == [
        "duplicate id: 'https://wire.example/1' is already indexed from "
        f"{corpus / 'feeds' / 'wire.jsonl'}"
    ]
    with Searcher(tmp_path / "ix") as searcher:
        assert [h.id for h in searcher.search("zeppelin").hits] == ["https://wire.example/new"]
        assert [h.id for h in searcher.search("sixth provincial capital").hits] == [
            "https://wire.example/1"
        ]
        assert searcher.stats().articles == 9


# The article files of the fixture corpus, relative to it.
CORPUS_FILES = [
    "feeds/archive.json",
    "feeds/wire.jsonl",
    "html/kabul-airport.html",
    "text/austin-bajwa.txt",
    "text/oil-record.txt",
]


def relative(files: list[str], root: Path) -> list[str]:
    return [Path(f).relative_to(root).as_posix() for f in files]


def test_walk_passes_over_hidden_and_foreign_files(corpus: Path) -> None:
    (corpus / ".hidden.txt").write_text("Secret\n\nText.\n")
    (corpus / "notes.md").write_text("# Notes\n")
    (corpus / "link.txt").symlink_to(corpus.parent / "outside.txt")
    (corpus.parent / "outside.txt").write_text("Outside\n\nText.\n")
    _, files, missing = walk_article_files([corpus])
    assert relative(files, corpus) == CORPUS_FILES
    assert missing == []
    _, followed, _ = walk_article_files([corpus], follow_symlinks=True)
    assert str(corpus / "link.txt") in followed


def test_walk_passes_over_the_folder_a_browser_saves_beside_a_page(corpus: Path) -> None:
    # "Save Page As" (complete): kabul-airport.html and kabul-airport_files/ with its frames.
    assets = corpus / "html" / "kabul-airport_files"
    assets.mkdir()
    (assets / "saved_resource.html").write_text("<html><body><p>Ad frame</p></body></html>")
    notes = corpus / "html" / "notes_files"  # no notes.html beside it: a folder like others
    notes.mkdir()
    (notes / "memo.txt").write_text("Memo\n\nText.\n")
    _, files, _ = walk_article_files([corpus])
    assert relative(files, corpus) == sorted([*CORPUS_FILES, "html/notes_files/memo.txt"])


def test_an_index_inside_the_indexed_folder_is_not_read(corpus: Path) -> None:
    # `search index .` from a folder that holds its index/: the lock file has no suffix.
    index_dir = corpus / "index"
    assert counts(sync(index_dir, corpus)) == (8, 0, 0, 0)
    assert any(name.endswith("WRITELOCK") for name in os.listdir(index_dir))
    again = sync(index_dir, corpus)
    assert counts(again) == (0, 0, 0, 8)
    assert again.skipped == ()


def test_second_writer_waits_then_names_the_holder(corpus: Path, tmp_path: Path) -> None:
    with Indexer(tmp_path / "ix") as first, first._running():  # as a running sync would
        started = time.monotonic()
        with pytest.raises(IndexBusyError) as caught:
            sync(tmp_path / "ix", corpus)
        assert time.monotonic() - started >= 1
    message = str(caught.value)
    assert f"process {os.getpid()} on" in message
    assert message.startswith(f"the index at {tmp_path / 'ix'} is being written")
    assert counts(sync(tmp_path / "ix", corpus)) == (8, 0, 0, 0)


def test_articles_from_code_are_added_replaced_and_deleted(tmp_path: Path) -> None:
    article = Article(id="memo-1", title="Budget memo", body="The budget grows.")
    with Indexer(tmp_path / "ix") as indexer:
        assert indexer.add([article]) == 1
        assert indexer.add([Article(id="memo-1", title="Budget memo", body="It shrinks.")]) == 1
    with Searcher(tmp_path / "ix") as searcher:
        assert searcher.get("memo-1").body == "It shrinks."
        assert searcher.search("budget").total == 1
    with Indexer(tmp_path / "ix") as indexer:
        assert indexer.delete(["memo-1", "no-such-id"]) == 1
    assert all_ids(tmp_path / "ix") == []


def test_of_two_articles_given_one_id_the_later_is_indexed(tmp_path: Path) -> None:
    first = Article(id="memo-1", title="Budget memo", body="The budget grows.")
    other = Article(id="memo-2", title="Rates memo", body="Rates hold.")
    later = Article(id="memo-1", title="Budget memo", body="It shrinks.")
    with Indexer(tmp_path / "ix") as indexer:
        assert indexer.add([first, other, later]) == 2
    assert all_ids(tmp_path / "ix") == ["memo-1", "memo-2"]
    with Searcher(tmp_path / "ix") as searcher:
        assert searcher.get("memo-1").body == "It shrinks."
        assert [hit.id for hit in searcher.search("memo").hits] == ["memo-2", "memo-1"]


def test_adding_an_article_replaces_every_article_with_its_id(tmp_path: Path) -> None:
    with Indexer(tmp_path / "ix") as indexer:
        indexer.add([Article(id="memo-1", title="Old memo")])
        indexer.add([Article(id="memo-2", title="Other memo")])
    writer = whoosh_index.open_dir(str(tmp_path / "ix")).writer()
    writer.add_document(id="memo-1", title="Second old memo")  # as an older version could
    writer.commit()
    assert all_ids(tmp_path / "ix") == ["memo-1", "memo-1", "memo-2"]
    with Indexer(tmp_path / "ix") as indexer:
        assert indexer.add([Article(id="memo-1", title="New memo")]) == 1
    assert all_ids(tmp_path / "ix") == ["memo-1", "memo-2"]
    with Searcher(tmp_path / "ix") as searcher:
        assert searcher.get("memo-1").title == "New memo"


def test_indexes_that_pickled_the_stemmer_under_search_schema_still_open() -> None:
    # An index's schema is pickled with it; the stemmer once lived in search.schema.
    from search.analysis import SnowballFilter

    old = pickle.dumps(SnowballFilter(), protocol=0).replace(b"search.analysis", b"search.schema")
    assert b"search.schema" in old
    assert pickle.loads(old) == SnowballFilter()


def stored_documents(index_dir: Path) -> list[dict]:
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        return sorted(searcher.all_stored_fields(), key=lambda doc: doc["id"])


def segment_contents(index_dir: Path) -> tuple[list, list, list, list]:
    """Every posting (term, documents, weights, values), and every document's field
    lengths, stored fields and column values, by document number."""
    with whoosh_index.open_dir(str(index_dir)).reader() as reader:
        postings = []
        for field, text in reader.all_terms():
            matcher = reader.postings(field, text)
            items = []
            while matcher.is_active():
                items.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            postings.append((field, text, items))
        scorable = [name for name in reader.schema.names() if reader.schema[name].scorable]
        docs = list(reader.all_doc_ids())
        lengths = [[reader.doc_field_length(d, name) for name in scorable] for d in docs]
        stored = [reader.stored_fields(d) for d in docs]
        columns = [
            [reader.column_reader(name, translate=False)[d] for d in docs]
            for name in reader.schema.names()
            if reader.has_column(name)
        ]
    return postings, lengths, stored, columns


def test_workers_write_the_same_index_when_duplicate_ids_are_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # b.jsonl repeats a.jsonl's three urls (left out as duplicates), then adds one
    # article: its words must be recorded as they are without workers, spell field
    # included (it keeps a word for the first few articles that are written).
    def record(name: str, body: str) -> str:
        return json.dumps({"url": f"https://news.example/{name}", "title": "T", "body": body})

    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        "".join(record(f"a{n}", "Ships left the harbor.") + "\n" for n in range(3))
    )
    (folder / "b.jsonl").write_text(
        "".join(record(f"a{n}", "Ships left the harbour.") + "\n" for n in range(3))
        + record("b1", "Nets mended in the harbour.")
        + "\n"
    )
    alone = sync(tmp_path / "alone", folder)
    monkeypatch.setattr(indexer_module, "worker_count", lambda total_bytes: 2)
    parallel = sync(tmp_path / "parallel", folder)
    assert counts(parallel) == counts(alone) == (4, 0, 0, 0)
    assert segment_contents(tmp_path / "parallel") == segment_contents(tmp_path / "alone")
    with whoosh_index.open_dir(str(tmp_path / "parallel")).reader() as reader:
        assert reader.doc_frequency("spell", "harbour") == 1


def test_reading_in_worker_processes_writes_the_same_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus / "broken.json").write_text("{not json", encoding="utf-8")
    alone = sync(tmp_path / "alone", corpus)
    monkeypatch.setattr(indexer_module, "worker_count", lambda total_bytes: 2)
    parallel = sync(tmp_path / "parallel", corpus)
    assert counts(parallel) == counts(alone) == (8, 0, 0, 0)
    assert parallel.skipped == alone.skipped
    assert [s.reason for s in parallel.skipped] == [alone.skipped[0].reason]
    assert stored_documents(tmp_path / "parallel") == stored_documents(tmp_path / "alone")
    assert segment_contents(tmp_path / "parallel") == segment_contents(tmp_path / "alone")
    for text in ("kabul", '"provincial capitals"', "source:reuters", "markets OR zurich"):
        with Searcher(tmp_path / "alone") as one, Searcher(tmp_path / "parallel") as other:
            expected = [(hit.id, hit.score) for hit in one.search(text).hits]
            assert [(hit.id, hit.score) for hit in other.search(text).hits] == expected
            assert expected


def test_worker_processes_only_for_large_syncs() -> None:
    from search.prepare import PARALLEL_BYTES, worker_count

    assert worker_count(PARALLEL_BYTES - 1) == 0
    cpus = len(os.sched_getaffinity(0))
    assert worker_count(PARALLEL_BYTES) == (min(3, cpus) if cpus > 1 else 0)


def run_worker(script: str, requests: list) -> subprocess.CompletedProcess:
    """Run ``script``, a worker, given ``requests`` pickled one after another."""
    return subprocess.run(
        [sys.executable, "-c", script],
        input=b"".join(pickle.dumps(value) for value in requests),
        capture_output=True,
        check=False,
        env=prepare_module._worker_environment(),
    )


# A worker whose every file leaves a reference cycle: it answers how many are alive.
_CYCLES_WORKER = """
import gc, weakref
import search.prepare as prepare
prepare.COLLECT_EVERY = 2
made = []
class Cycle: pass
def prepare_file(task, schema):
    cycle = Cycle()
    cycle.itself = cycle
    made.append(weakref.ref(cycle))
    garbage = [[] for _ in range(5000)]  # enough to start a collection, if allowed
    return sum(ref() is not None for ref in made)
prepare.prepare_file = prepare_file
prepare.serve()
"""


def test_a_worker_collects_cyclic_garbage_every_few_files_only() -> None:
    # Between collections cycles stay, however much is allocated; every COLLECT_EVERY
    # (here 2) files, they go.
    done = run_worker(_CYCLES_WORKER, ["schema", *range(5)])
    assert done.returncode == 0
    stream = io.BytesIO(done.stdout)
    assert [pickle.load(stream) for _ in range(5)] == [1, 2, 1, 2, 1]


def test_a_worker_answers_then_leaves_without_teardown_once_its_input_ends() -> None:
    # Tearing a worker's interpreter down is time the writer waits for before its
    # commit: the worker's exit handlers never run, yet every answer arrives whole.
    worker = """
import atexit, sys
import search.prepare as prepare
atexit.register(lambda: sys.stderr.write("torn down"))
prepare.prepare_file = lambda task, schema: task * 1000
prepare.serve()
"""
    done = run_worker(worker, ["schema", "a", "b"])
    stream = io.BytesIO(done.stdout)
    assert [pickle.load(stream), pickle.load(stream)] == ["a" * 1000, "b" * 1000]
    assert (done.returncode, done.stderr) == (0, b"")


def test_workers_that_cannot_start_leave_the_reading_to_this_process(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.prepare

    monkeypatch.setattr(indexer_module, "worker_count", lambda total_bytes: 2)
    monkeypatch.setattr(search.prepare.sys, "executable", "/bin/false")
    report = sync(tmp_path / "ix", corpus)
    assert counts(report) == (8, 0, 0, 0)
    assert stored_documents(tmp_path / "ix")[0]["title"]


def test_a_script_without_a_main_guard_does_not_start_itself_again(
    corpus: Path, tmp_path: Path
) -> None:
    # multiprocessing's spawn would import this script in each worker, which would sync
    # again and start workers of its own.
    script = tmp_path / "sync.py"
    script.write_text(
        "import search.indexer\n"
        "search.indexer.worker_count = lambda total_bytes: 2\n"
        "from search import Indexer\n"
        f"with Indexer({str(tmp_path / 'ix')!r}) as indexer:\n"
        f"    print(indexer.sync([{str(corpus)!r}]).added)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], check=False, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "8\n", "")


def _run_python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python process (to see what it imports)."""
    return subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )


def test_an_index_written_by_workers_opens_without_the_extractors(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The schema a commit pickles into the index must not carry the writer's hooks:
    # opening the index would import them, and with them the HTML extractors.
    monkeypatch.setattr(indexer_module, "worker_count", lambda total_bytes: 2)
    sync(tmp_path / "ix", corpus)
    sync(tmp_path / "ix", corpus, rebuild=True)
    toc = b"".join(path.read_bytes() for path in (tmp_path / "ix").glob("_MAIN_*.toc"))
    assert b"search.prepare" not in toc
    probe = (
        "import sys; from search import Searcher; "
        f"print(Searcher({str(tmp_path / 'ix')!r}).search('kabul').total, "
        "'trafilatura' in sys.modules)"
    )
    done = _run_python(probe)
    with Searcher(tmp_path / "ix") as searcher:
        total = searcher.search("kabul").total
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{total} False\n", "")
    assert total == 2


def test_a_sync_of_json_lines_and_text_leaves_the_html_readers_unimported(
    tmp_path: Path,
) -> None:
    # trafilatura takes some 0.15 s to import: a sync (and each of its workers) that
    # reads no page should not pay for it.
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "feed.jsonl").write_text('{"title": "Walrus", "body": "A walrus colony."}\n')
    (docs / "note.txt").write_text("Puffin news\n\nPuffins nest here.\n")
    probe = (
        "import sys; from search import Indexer; "
        f"report = Indexer({str(tmp_path / 'ix')!r}).sync({str(docs)!r}); "
        "print(report.added, 'trafilatura' in sys.modules)"
    )
    done = _run_python(probe)
    assert (done.returncode, done.stdout, done.stderr) == (0, "2 False\n", "")


def test_a_sync_stopped_by_an_error_ends_its_busy_workers_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(60):
        (docs / f"s{n:03d}.txt").write_text(f"Story {n}\n\n" + "word filler text " * 3000)
    monkeypatch.setattr(indexer_module, "worker_count", lambda total_bytes: 2)
    started: list[float] = []

    def fail(run, prepared) -> None:
        started.append(time.monotonic())
        raise RuntimeError("stop")

    monkeypatch.setattr(indexer_module._SyncRun, "_apply", fail)
    with pytest.raises(RuntimeError, match="stop"):
        sync(tmp_path / "ix", docs)
    # Busy workers are killed, not waited for; the index is left as it was (empty).
    assert time.monotonic() - started[0] < 2
    assert whoosh_index.open_dir(str(tmp_path / "ix")).doc_count() == 0


def test_one_folder_or_one_id_given_alone_is_not_read_letter_by_letter(
    corpus: Path, tmp_path: Path
) -> None:
    # sync("corpus/") walked "c", "o", ... and "/", the whole disk.
    with Indexer(tmp_path / "ix") as indexer:
        report = indexer.sync(str(corpus))
        assert counts(report) == (8, 0, 0, 0)
        assert report.skipped == ()
        indexer.add([Article(id="memo-1", title="Budget memo", body="The budget grew.")])
        assert indexer.delete("memo-1") == 1
    assert counts(sync(tmp_path / "ix", corpus)) == (0, 0, 0, 8)
    assert check_index(tmp_path / "ix", corpus).healthy
