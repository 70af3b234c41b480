"""Hostile and broken input: a folder of more than thirty kinds of bad files, links that
lead out, files that are not files, and pages that point at the network.

Every bad file is reported once, with its path and reason; every good file is indexed;
the run stays within time and memory bounds and exits 1; nothing is fetched.
"""

from __future__ import annotations

import codecs
import functools
import gc
import gzip
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import deadline

from search import Indexer, Searcher

CLI = [sys.executable, "-c", "from search.cli import main; main()"]
GOOD_HTML = (
    "<html><head><title>{title}</title></head><body><article>"
    "<h1>{title}</h1><p>{body} The council met on Tuesday to discuss it at length.</p>"
    "<p>Officials said more would follow in the coming weeks, and residents agreed.</p>"
    "</article></body></html>"
)


def page(word: str) -> str:
    return GOOD_HTML.format(title=f"Report on {word}", body=f"Reporters covered {word} today.")


# name -> (content, expected): "skip" = reported as skipped with a reason starting with
# the text after "skip:"; "index:WORD" = indexed, findable by WORD.
@functools.cache
def hostile_files() -> dict[str, tuple[bytes, str]]:
    utf8 = page("zebrafinch").encode("utf-8")
    return {
        "empty.txt": (b"", "skip:empty file"),
        "blank.html": (b"   \n\t\n  ", "skip:empty file"),
        "random.html": (bytes(range(256)) * 40, "skip:binary file"),
        "image-as.html": (b"\x89PNG\r\n\x1a\n" + b"\x00\x01" * 500, "skip:binary file"),
        "nul-in-text.txt": (b"Headline\n\nSome text\x00with a NUL byte.\n", "skip:binary file"),
        "truncated.html": (utf8[: len(utf8) // 2 + 40], "index:zebrafinch"),
        "unclosed-tags.html": (
            b"<html><body><p>Okapis <b>roam <i>the <div>forest" * 5,
            "index:okapis",
        ),
        "only-scripts.html": (
            b"<html><head><script>alert(1)</script></head><body>"
            b"<script>document.write('x')</script><style>p{}</style></body></html>",
            "skip:no article text found",
        ),
        "only-comments.html": (b"<html><!-- nothing --><body><!-- here --></body></html>", "skip:"),
        "deep-nesting.html": (
            b"<html><body><p>Narwhal tusks are teeth.</p>"
            + b"<div>" * 100_000
            + b"deep"
            + b"</div>" * 100_000
            + b"</body></html>",
            "index:narwhal",
        ),
        "huge-page.html": (
            # 20 MB: the article, then a giant inline image, as saved pages carry.
            page("quokka").replace("</body>", "").encode()
            + b'<img src="data:image/png;base64,'
            + b"QUJD" * 5_000_000
            + b'"></body></html>',
            "index:quokka",
        ),
        "too-large.txt": (None, "skip:file too large"),  # type: ignore[dict-item]
        "invalid-utf8.txt": (
            b"Caf\xc3\xa9 news\n\nThe caf\xe9 in Z\xfcrich served axolotl \xff\xfe dishes.\n",
            "index:axolotl",
        ),
        "utf16-bom.txt": (
            codecs.BOM_UTF16_LE + "Gazelle herds\n\nGazelle herds crossed.\n".encode("utf-16-le"),
            "index:gazelle",
        ),
        "utf16-be-bom.txt": (
            codecs.BOM_UTF16_BE + "Tapir news\n\nTapir calves thrive.\n".encode("utf-16-be"),
            "index:tapir",
        ),
        "utf16-nobom.txt": (
            "Ibex climbs\n\nIbex climbs cliffs.\n".encode("utf-16-le"),
            "index:ibex",
        ),
        "utf32-bom.txt": (
            codecs.BOM_UTF32_LE + "Lemur story\n\nLemur troops.\n".encode("utf-32-le"),
            "index:lemur",
        ),
        "wrong-charset.html": (
            page("Möwe pelican").replace("<head>", '<head><meta charset="shift_jis">').encode(),
            "index:pelican",
        ),
        "unknown-charset.html": (
            page("wombat").replace("<head>", '<head><meta charset="x-no-such">').encode(),
            "index:wombat",
        ),
        "invalid.json": (b'{"title": "x", "body": ', "skip:invalid JSON"),
        "number.json": (b"42", "skip:JSON of the wrong shape"),
        "list-of-numbers.json": (b"[1, 2, 3]", "skip:JSON of the wrong shape"),
        "string.json": (b'"just a string"', "skip:JSON of the wrong shape"),
        "no-text.json": (b'{"title": 7, "body": {"x": 1}}', "skip:no article text found"),
        "deep.json": (b"[" * 100_000 + b"]" * 100_000, "skip:invalid JSON"),
        "one-bad-line.jsonl": (
            b'{"title": "Pangolin one", "body": "pangolin scales"}\n'
            b'{"title": "broken", "body": \n'
            b'{"title": "Pangolin three", "body": "pangolin again"}\n',
            "index:pangolin",
        ),
        "all-bad-lines.jsonl": (b"{nope\n{nope either\n", "skip:invalid JSON"),
        "giant-line.txt": (
            b"Capybara " + b"x" * 3_000_000 + b" capybara end\n",
            "index:capybara",
        ),
        "bomb.json.gz": (gzip.compress(b" " * 60_000_000, 9), "skip:decompressed size over"),
        "not-gzip.txt.gz": (b"\x1f\x8b\x08\x00garbage", "skip:not a valid gzip file"),
        "truncated.jsonl.gz": (
            gzip.compress(b'{"title": "Koala", "body": "koala bears"}\n' * 50)[:60],
            "skip:not a valid gzip file",
        ),
        "control-chars.txt": (
            b"Jackal report\n\nJackal \x1b[31m seen \x07 near \x0c town.\n",
            "index:jackal",
        ),
        "crlf-only.txt": (b"Marmot line\r\rMarmot burrows.\r", "index:marmot"),
        "no-suffix": (b'{"title": "Dingo", "body": "dingo pups"}', "index:dingo"),
        "xxe.xhtml": (
            b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
            b'<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b"<html><body><p>Ocelot &xxe; &lol2; sightings reported today by rangers.</p>"
            b"</body></html>",
            "index:ocelot",
        ),
    }


def build_hostile_folder(folder: Path) -> dict[str, str]:
    """Write the hostile files and the good ones; return {path: expected}."""
    expected = {}
    for name, (content, outcome) in hostile_files().items():
        path = folder / "bad" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:  # 51 MB without writing them: a sparse file
            with open(path, "wb") as handle:
                handle.truncate(51 * 1024 * 1024)
        else:
            path.write_bytes(content)
        expected[str(path)] = outcome
    for n, word in enumerate(["heron", "bison", "otter"]):
        path = folder / "good" / f"story{n}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(word), encoding="utf-8")
        expected[str(path)] = f"index:{word}"
    (folder / "loop").mkdir()
    (folder / "loop" / "again").symlink_to(folder)  # a folder link loop
    (folder / "self-link.txt").symlink_to(folder / "self-link.txt")  # a link to itself
    expected[str(folder / "self-link.txt")] = "skip:"
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    expected[str(folder / "dangling.txt")] = "skip:"
    return expected


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Index the hostile folder once with the real command; keep what it said."""
    base = tmp_path_factory.mktemp("hostile")
    expected = build_hostile_folder(base / "folder")
    index_dir = base / "index"
    code = (
        "import resource, sys\n"
        "from search.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    open(sys.argv[-1] + '.rss', 'w').write(str(peak))\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", code, "index", str(base / "folder"), "--index", str(index_dir)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.monotonic() - started
    peak_kb = int(Path(str(index_dir) + ".rss").read_text())
    return {
        "expected": expected,
        "result": result,
        "seconds": seconds,
        "peak_mb": peak_kb / 1024,
        "index": index_dir,
    }


def test_the_hostile_folder_has_more_than_thirty_kinds_of_bad_files() -> None:
    assert len(hostile_files()) >= 30


def test_every_bad_file_is_reported_once_with_its_reason(hostile_run: dict) -> None:
    result, expected = hostile_run["result"], hostile_run["expected"]
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    reported = {}
    for line in skipped:
        path, _, reason = line.removeprefix("skipped ").partition(": ")
        assert path not in reported, f"reported twice: {path}"
        reported[path] = reason
    should_skip = {p: o.removeprefix("skip:") for p, o in expected.items() if o.startswith("skip")}
    assert set(reported) == set(should_skip)
    for path, reason in should_skip.items():
        assert reported[path].startswith(reason), (path, reported[path])
    summary = result.stdout.splitlines()[-1]
    assert f" {len(should_skip)} files skipped (" in summary, summary


def test_every_good_file_is_indexed(hostile_run: dict) -> None:
    words = [o.removeprefix("index:") for o in hostile_run["expected"].values() if "index:" in o]
    with Searcher(hostile_run["index"]) as searcher:
        missing = [word for word in words if searcher.search(word).total == 0]
        assert missing == []
        # The entity pointing at a local file was not read into the article.
        assert searcher.search("root").total == 0
        ocelot = searcher.search("ocelot").hits[0]
        assert "root:" not in searcher.get(ocelot.id).body


def test_time_and_memory_stay_bounded(hostile_run: dict) -> None:
    assert hostile_run["seconds"] < 90, hostile_run["seconds"]
    assert hostile_run["peak_mb"] < 700, hostile_run["peak_mb"]


def test_a_jsonl_file_with_one_broken_line_keeps_the_others(hostile_run: dict) -> None:
    with Searcher(hostile_run["index"]) as searcher:
        assert searcher.search("pangolin").total == 2
    warning = [line for line in hostile_run["result"].stderr.splitlines() if "one-bad-line" in line]
    assert len(warning) == 1 and warning[0].startswith("warning: ") and "line 2" in warning[0]


def test_the_next_run_reports_the_same_files_and_changes_nothing(hostile_run: dict) -> None:
    index_dir = hostile_run["index"]
    folder = Path(index_dir).parent / "folder"
    with Indexer(index_dir) as indexer:
        report = indexer.sync([folder])
    assert not report.changed
    first = [ln for ln in hostile_run["result"].stderr.splitlines() if ln.startswith("skipped")]
    assert len(report.skipped) == len(first)


# -- files that vanish, cannot be read, or are not files -----------------------------------


def test_a_file_that_vanishes_during_the_run_is_reported(tmp_path: Path) -> None:
    for n in range(6):
        (tmp_path / "docs").mkdir(exist_ok=True)
        (tmp_path / "docs" / f"s{n}.txt").write_text(f"Story {n}\n\nWords of story {n}.\n")
    doomed = tmp_path / "docs" / "s4.txt"

    def remove_later_file(done: int, total: int) -> None:
        if done == 1:
            doomed.unlink()

    with Indexer(tmp_path / "index") as indexer:
        report = indexer.sync([tmp_path / "docs"], progress=remove_later_file)
    assert [(s.path, s.reason) for s in report.skipped] == [
        (str(doomed), "file vanished while indexing")
    ]
    assert report.added == 5


def test_an_unreadable_file_is_reported_and_the_rest_indexed(corpus: Path, tmp_path: Path) -> None:
    secret = corpus / "text" / "secret.txt"
    secret.write_text("Secret\n\nHidden words.\n")
    secret.chmod(0)
    try:
        if os.access(secret, os.R_OK):
            pytest.skip("this user reads files whatever their permissions (root)")
        with Indexer(tmp_path / "index") as indexer:
            report = indexer.sync([corpus])
    finally:
        secret.chmod(0o644)
    assert [(s.path, s.reason) for s in report.skipped] == [(str(secret), "permission denied")]
    assert report.added == 8


@pytest.fixture
def engine_leaks() -> Iterator[None]:
    """An interrupted engine writer leaves its files open; collect them before the test
    ends, so the warnings they raise are not blamed on a later test."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()


@pytest.mark.parametrize("kind", ["named pipe", "link to a device"])
@pytest.mark.usefixtures("engine_leaks")
def test_things_that_are_not_files_are_reported_not_read(
    corpus: Path, tmp_path: Path, kind: str
) -> None:
    odd = corpus / "odd.txt"
    if kind == "named pipe":
        os.mkfifo(odd)
    else:
        odd.symlink_to("/dev/zero")
    with deadline(5), Indexer(tmp_path / "index") as indexer:
        report = indexer.sync([corpus], follow_symlinks=True)
    assert [(s.path, s.reason) for s in report.skipped] == [(str(odd), "not a regular file")]
    assert report.added == 8


def test_a_file_name_that_is_not_utf8_costs_that_file_only(corpus: Path, tmp_path: Path) -> None:
    odd = os.path.join(os.fsencode(corpus / "text"), b"caf\xe9.txt")
    with open(odd, "wb") as handle:
        handle.write(b"Cafe story\n\nAbout a cafe.\n")
    result = subprocess.run(
        [*CLI, "index", str(corpus), "--index", str(tmp_path / "index")],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("8 added"), result.stderr
    assert result.stderr.count("skipped ") == 1 and "caf" in result.stderr


@pytest.mark.parametrize("escape", ["\\ud83d", "\\uDE00"])
def test_a_lone_surrogate_in_json_costs_one_character(tmp_path: Path, escape: str) -> None:
    feed = tmp_path / "docs" / "feed.jsonl"
    feed.parent.mkdir()
    feed.write_text(f'{{"title": "Emoji cut {escape} here", "body": "walrus colony"}}\n' * 2)
    with Indexer(tmp_path / "index") as indexer:
        report = indexer.sync([feed.parent])
    assert report.skipped == () and report.added == 2
    with Searcher(tmp_path / "index") as searcher:
        assert searcher.search("walrus").hits[0].title == "Emoji cut \ufffd here"


def test_a_huge_text_body_is_cut_like_a_huge_page(tmp_path: Path) -> None:
    from search import extract_file

    big = tmp_path / "big.txt"
    big.write_bytes(b"Long story\n\n" + b"words " * 1_500_000)
    problems: list[str] = []
    article = extract_file(big, on_problem=problems.append)[0]
    assert len(article.body) <= 5_000_000
    assert problems == ["text truncated to 5 million characters"]


# -- safety: links out, the network ---------------------------------------------------------


def test_links_out_of_the_folder_are_not_followed_unless_asked(
    corpus: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.txt").write_text("Private diary\n\nFlamingo secrets.\n")
    (corpus / "diary.txt").symlink_to(outside / "private.txt")
    (corpus / "elsewhere").symlink_to(outside, target_is_directory=True)
    with Indexer(tmp_path / "index") as indexer:
        report = indexer.sync([corpus])
    with Searcher(tmp_path / "index") as searcher:
        assert searcher.search("flamingo").total == 0
    assert report.added == 8
    with Indexer(tmp_path / "followed") as indexer:
        indexer.sync([corpus], follow_symlinks=True)
    with Searcher(tmp_path / "followed") as searcher:
        assert searcher.search("flamingo").total >= 1


# Runs indexing and searching with an audit hook that records (and refuses) every
# attempt to resolve a name or open a connection.
NO_NETWORK = r"""
import json, sys
attempts = []

def audit(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
                 "socket.gethostbyaddr", "urllib.Request", "http.client.connect",
                 "socket.sendto", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn"):
        attempts.append([event, repr(args)[:200]])
        raise PermissionError(f"no network while indexing or searching: {event}")

sys.addaudithook(audit)
from search import Indexer, Searcher, check_index
folder, index_dir, out = sys.argv[1:4]
with Indexer(index_dir) as indexer:
    report = indexer.sync([folder])
with Searcher(index_dir) as searcher:
    hits = searcher.search("lynx").total
    searcher.search("lynx~ OR pum* OR \"big cat\"", strict=False)
    searcher.stats()
check_index(index_dir, [folder])
json.dump({"attempts": attempts, "hits": hits, "added": report.added,
           "skipped": [s.reason for s in report.skipped]}, open(out, "w"))
"""


def test_nothing_is_fetched_or_run_while_indexing_and_searching(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    remote = (
        "<html><head><title>Lynx spotted</title>"
        '<link rel="stylesheet" href="http://198.51.100.7/style.css">'
        '<script src="https://198.51.100.7/app.js"></script>'
        '<meta http-equiv="refresh" content="0; url=http://198.51.100.7/">'
        '<base href="http://198.51.100.7/">'
        '<style>@import url("http://198.51.100.7/more.css");</style></head><body>'
        '<article><h1>Lynx spotted</h1><img src="http://198.51.100.7/lynx.jpg">'
        '<iframe src="http://198.51.100.7/embed"></iframe>'
        "<p>A lynx was spotted near the village, the first in decades, rangers said.</p>"
        "<p>They asked residents to keep their distance and report sightings.</p>"
        '<script>fetch("http://198.51.100.7/beacon")</script></article></body></html>'
    )
    (docs / "lynx.html").write_text(remote)
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY ext SYSTEM "http://198.51.100.7/x">]>'
        "<html><body><p>Puma &ext; tracks found by lynx watchers on the ridge.</p></body></html>"
    )
    (docs / "entity.xhtml").write_text(xxe)
    (docs / "feed.json").write_text(
        json.dumps({"title": "Lynx feed", "body": "lynx", "url": "http://198.51.100.7/feed"})
    )
    out = tmp_path / "out.json"
    result = subprocess.run(
        [sys.executable, "-c", NO_NETWORK, str(docs), str(tmp_path / "index"), str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(out.read_text())
    assert found["attempts"] == []
    assert (found["added"], found["skipped"], found["hits"]) == (3, [], 3)
