"""The search command: exact output, JSON shapes and exit codes."""

from __future__ import annotations

import errno
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import search.indexer
import search.prepare
from search.cli import main

HIT_KEYS = [
    "rank",
    "score",
    "id",
    "title",
    "url",
    "source",
    "authors",
    "date",
    "summary",
    "snippet",
    "snippet_html",
    "path",
    "copies",
]


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


ROOT = Path(__file__).resolve().parent.parent


def readme_commands(*names: str) -> list[list[str]]:
    """The arguments of each ``search <name> ...`` line in the README's shell examples."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["search"] and words[1:2] and words[1] in names:
                commands.append(words[1:])
    return commands


def test_the_readme_queries_find_articles_in_the_bundled_corpus(tmp_path: Path) -> None:
    index = str(tmp_path / "index")
    assert run("index", str(ROOT / "corpus"), "--index", index, "--quiet").exit_code == 0
    commands = readme_commands("query", "timeline")
    assert len(commands) >= 6
    for args in commands:
        result = run(*args, "--index", index)
        assert result.exit_code == 0, (args, result.output)
        assert not re.search(r"No (dated )?articles match", result.stdout), args
        assert '"total": 0' not in result.stdout, args


def test_index_prints_one_summary_line(corpus: Path, tmp_path: Path) -> None:
    index = str(tmp_path / "ix")
    first = run("index", str(corpus), "--index", index)
    assert first.exit_code == 0, first.output
    assert re.fullmatch(
        r"8 added, 0 updated, 0 removed, 0 unchanged, 0 files skipped in \d+\.\ds\n",
        first.stdout,
    )
    assert first.stderr == ""
    again = run("index", str(corpus), "--index", index)
    assert again.stdout.startswith("0 added, 0 updated, 0 removed, 8 unchanged, 0 files skipped")


def test_index_says_why_it_reads_every_file_again(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = str(tmp_path / "ix")
    with monkeypatch.context() as patch:
        patch.setattr(search.prepare, "READER_VERSION", 1)
        run("index", str(corpus), "--index", index)
    result = run("index", str(corpus), "--index", index)
    assert (
        result.stderr
        == "note: 5 files were read again: an older version of news-search had read them\n"
    )
    assert result.stdout.startswith("0 added, 8 updated, 0 removed, 0 unchanged, 0 files skipped")
    assert json.loads(run("index", str(corpus), "--index", index, "--json").stdout)["reread"] == 0


def test_output_cut_short_by_its_reader_ends_quietly(tmp_path: Path) -> None:
    # `search extract page.html | head -c 10`: the reader leaves long before the output ends.
    page = tmp_path / "long.html"
    sentences = "The ferry leaves at dawn and returns at dusk. " * 10_000
    page.write_text(
        f"<html><head><title>Ferry</title></head><body><p>{sentences}</p></body></html>"
    )
    command = [sys.executable, "-c", "from search.cli import main; main()", "extract", str(page)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10) == b"Ferry\nid: "
    process.stdout.close()
    assert process.stderr.read() == b""
    assert process.wait(timeout=60) == 1


def test_a_terminal_that_lacks_a_character_shows_a_question_mark(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    title = "\u201eGl\u00fcck\u201c in Z\u00fcrich"
    text = "The lake ferries of Z\u00fcrich carried more people this summer than ever before. "
    page.write_text(
        f"<html><head><title>{title}</title></head><body><p>{text * 3}</p></body></html>"
    )
    command = [sys.executable, "-c", "from search.cli import main; main()", "extract", str(page)]
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    result = subprocess.run(command, capture_output=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("latin-1").splitlines()[0] == "?Gl\u00fcck? in Z\u00fcrich"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_disk_is_said_plainly(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Ferry</title></head><body><p>Ferries.</p></body></html>")
    command = [sys.executable, "-c", "from search.cli import main; main()", "extract", str(page)]
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            command, stdout=full, stderr=subprocess.PIPE, timeout=60, check=False
        )
    assert (result.returncode, result.stderr) == (
        1,
        b"error: cannot write: No space left on device\n",
    )


def test_a_folder_the_system_refuses_is_said_plainly(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "ix" / "RUN.lock"))

    monkeypatch.setattr(search.indexer.FileLock, "acquire", refused)
    result = run("index", str(corpus), "--index", str(tmp_path / "ix"))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: Read-only file system: {tmp_path / 'ix' / 'RUN.lock'}\n"


def test_index_reports_each_bad_file_and_exits_1(corpus: Path, tmp_path: Path) -> None:
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "bad.json").write_text("[1, 2]")
    result = run("index", str(corpus), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"skipped {corpus / 'bad.json'}: JSON of the wrong shape: expected an object or a list of objects",
        f"skipped {corpus / 'empty.txt'}: empty file",
    ]
    assert re.fullmatch(
        r"8 added, 0 updated, 0 removed, 0 unchanged, 2 files skipped "
        r"\(JSON of the wrong shape: 1, empty file: 1\) in \d+\.\ds\n",
        result.stdout,
    )


def test_a_file_of_records_without_text_is_one_skip(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "untitled.json").write_text('[{"title": 7}, {"body": null}]')
    result = run("index", str(folder), "--index", str(tmp_path / "ix"))
    assert (result.exit_code, result.stderr) == (
        1,
        f"skipped {folder / 'untitled.json'}: no article text found\n",
    )


def test_index_json_report(corpus: Path, tmp_path: Path) -> None:
    result = run("index", str(corpus / "text"), "--index", str(tmp_path / "ix"), "--json")
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("added", "updated", "removed", "unchanged")} == {
        "added": 2,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
    }
    assert report["skipped"] == [] and report["problems"] == []


def test_query_listing(index_dir: Path) -> None:
    result = run("query", "evacuation flights", "--index", str(index_dir))
    assert result.exit_code == 0
    assert result.stdout == (
        "1. Taliban Seize Kabul Airport Road\n"
        "   Example Times · 2021-08-15 · Jane Doe · https://example.com/world/kabul-airport\n"
        "   … on Sunday, witnesses said, as foreign governments raced to finish their "
        "evacuation flights before the deadline. Thousands of people gathered outside the "
        "airport gates hoping to board one of the last planes, while soldiers fired warning …\n"
        "\n"
        "Showing 1-1 of 1 match.\n"
    )


def test_query_json_schema(index_dir: Path) -> None:
    result = run("query", "kabul", "--index", str(index_dir), "--json")
    payload = json.loads(result.stdout)
    assert list(payload) == [
        "query",
        "total",
        "page",
        "limit",
        "elapsed",
        "warnings",
        "suggestion",
        "facets",
        "hits",
    ]
    assert (payload["query"], payload["total"]) == ("kabul", 2)
    first = payload["hits"][0]
    assert list(first) == HIT_KEYS
    assert (first["rank"], first["id"], first["date"], first["authors"]) == (
        1,
        "https://example.com/world/kabul-cash",
        "2021-08-31T00:00:00",
        ["Jane Doe"],
    )
    assert "<mark>Kabul</mark>" in first["snippet_html"]


def test_query_options(index_dir: Path) -> None:
    ix = str(index_dir)
    paged = json.loads(
        run("query", "taliban", "-n", "2", "--page", "2", "--index", ix, "--json").stdout
    )
    assert [h["rank"] for h in paged["hits"]] == [3, 4]
    dated = json.loads(
        run(
            "query", "taliban", "--since", "2021-08-10", "--sort", "date", "--index", ix, "--json"
        ).stdout
    )
    assert [h["id"] for h in dated["hits"]] == [
        "https://example.com/world/kabul-airport",
        "https://example.com/world/kabul-cash",
    ]
    anyway = json.loads(run("query", "kabul oil", "--any", "--index", ix, "--json").stdout)
    assert anyway["total"] == 4
    source = json.loads(
        run("query", "taliban", "--source", "reuters", "--index", ix, "--json").stdout
    )
    assert [h["id"] for h in source["hits"]] == ["https://wire.example/1"]


def test_zero_hits_is_not_an_error(index_dir: Path) -> None:
    result = run("query", "zeppelin", "--index", str(index_dir))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "No articles match.\n", "")


def test_lenient_query_warns_on_stderr(index_dir: Path) -> None:
    result = run("query", "colour:red kabul", "--index", str(index_dir))
    assert result.exit_code == 0
    assert result.stderr.startswith(
        "warning: unknown field 'colour' at position 1 - searched as words; known fields: author,"
    )


def test_loosened_short_query_warns_on_stderr(index_dir: Path) -> None:
    result = run("query", "kabul oil zurich", "--index", str(index_dir))
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: no article holds all of these words: showing articles with some of them\n"
    )
    assert result.stdout.startswith("1. ")


def test_strict_query_fails_with_exit_1(index_dir: Path) -> None:
    result = run("query", '"open quote', "--strict", "--index", str(index_dir))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: unclosed quote at position 1 in '\"open quote'\n"


def test_explain_prints_the_reading(index_dir: Path) -> None:
    result = run("query", "kabul date:2021-08", "--explain", "--index", str(index_dir))
    assert result.stdout.startswith("query: kabul ; date in [2021-08-01, 2021-09-01)\n\n1. ")


def test_bad_option_value_is_usage_error(index_dir: Path) -> None:
    result = run("query", "x", "--since", "2021-13", "--index", str(index_dir))
    assert result.exit_code == 2
    assert "Invalid value for '--since': bad date '2021-13'" in result.stderr


@pytest.mark.parametrize("command", ["query", "timeline"])
def test_since_after_until_is_usage_error(index_dir: Path, command: str) -> None:
    dates = ["--since", "2021-08-16", "--until", "2021-08-15"]
    result = run(command, "kabul", *dates, "--index", str(index_dir))
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: --since 2021-08-16 is after --until 2021-08-15: nothing can match\n"
    )
    one_day = ["--since", "2021-08-15", "--until", "2021-08-15", "--json"]
    found = run("query", "kabul", *one_day, "--index", str(index_dir))
    assert [hit["title"] for hit in json.loads(found.stdout)["hits"]] == [
        "Taliban Seize Kabul Airport Road"
    ]


def test_missing_index_names_the_command_to_run(tmp_path: Path) -> None:
    result = run("query", "x", "--index", str(tmp_path / "none"))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: no index at {tmp_path / 'none'} - "
        f"run `search index --index {tmp_path / 'none'} corpus/` first\n"
    )


def test_index_location_from_environment(index_dir: Path) -> None:
    result = run("query", "zurich", "--json", env={"SEARCH_INDEX": str(index_dir)})
    assert json.loads(result.stdout)["total"] == 1


def test_show_prints_one_article(index_dir: Path) -> None:
    result = run("show", "https://wire.example/3", "--index", str(index_dir))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:5] == [
        "Zürich court fines bank",
        "id: https://wire.example/3",
        "source: AFP",
        "authors: Lena Vogt",
        "date: 2019-05-01T00:00:00",
    ]
    as_json = json.loads(
        run("show", "https://wire.example/3", "--index", str(index_dir), "--json").stdout
    )
    assert as_json["body"] == (
        "A court in Zürich fined a private bank for failing to report suspicious payments, "
        "prosecutors said."
    )
    missing = run("show", "nope", "--index", str(index_dir))
    assert (missing.exit_code, missing.stderr) == (
        1,
        "error: no article with id 'nope' - ids are listed by `search query ... --json`\n",
    )


def test_extract_prints_json_lines(corpus: Path) -> None:
    result = run(
        "extract", str(corpus / "feeds" / "wire.jsonl"), str(corpus / "nope.html"), "--json"
    )
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == [f"https://wire.example/{n}" for n in (1, 2, 3)]
    assert records[1]["tags"] == ["markets", "oil"]
    assert result.stderr.startswith(f"skipped {corpus / 'nope.html'}: ")


def test_extract_gives_the_ids_search_index_gives(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(corpus)
    extracted = json.loads(run("extract", "text/austin-bajwa.txt", "--json").stdout)
    assert extracted["id"] == str(corpus / "text" / "austin-bajwa.txt")
    run("index", "text", "--index", str(tmp_path / "ix"))
    shown = run("show", extracted["id"], "--index", str(tmp_path / "ix"), "--json")
    assert json.loads(shown.stdout)["id"] == extracted["id"]
    # A file's id may be given as its path from here.
    relative = run("show", "text/austin-bajwa.txt", "--index", str(tmp_path / "ix"), "--json")
    assert json.loads(relative.stdout)["id"] == extracted["id"]


def test_stats(index_dir: Path) -> None:
    lines = run("stats", "--index", str(index_dir)).stdout.splitlines()
    assert lines[1:4] == [
        "articles:    8",
        "files:       5",
        "dates:       2019-01-10 to 2021-08-31",
    ]
    assert lines[-6:] == [
        "sources:     5",
        "       2  Example Times",
        "       2  Newsweek Pakistan",
        "       2  Reuters",
        "       1  (none)",
        "       1  AFP",
    ]
    assert json.loads(run("stats", "--index", str(index_dir), "--json").stdout)["articles"] == 8


@pytest.mark.parametrize(
    "command", ["index", "query", "show", "extract", "stats", "timeline", "similar"]
)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: search {command} [OPTIONS]")
    examples = [
        line for line in result.stdout.splitlines() if line.startswith(f"  search {command}")
    ]
    assert examples, result.stdout


def test_no_arguments_is_usage_error() -> None:
    assert run("query").exit_code == 2
    assert run("index").exit_code == 2


@pytest.mark.parametrize(
    ("args", "usage"),
    [
        (["query", "oil", "--sort"], "search query [OPTIONS] TEXT"),
        (["timeline", "oil", "--by"], "search timeline [OPTIONS] TEXT"),
        (["index", "--index"], "search index [OPTIONS] PATHS..."),
    ],
)
def test_an_option_missing_its_value_shows_the_usage(args: list[str], usage: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Usage: {usage}\nTry 'search {args[0]} --help' for help.\n\n"
        f"Error: Option '{args[-1]}' requires an argument.\n"
    )


def test_listing_does_not_repeat_a_byline_that_is_the_source(
    built: tuple[Path, Path],
) -> None:
    folder, index_dir = built
    result = run("query", "bajwa", "--index", str(index_dir))
    assert result.stdout.splitlines()[:2] == [
        "1. Austin Calls Bajwa on Regional Security",
        f"   Newsweek Pakistan · {folder / 'text' / 'austin-bajwa.txt'}",
    ]


@pytest.mark.parametrize("word", ["pakistan", "nato", "herat"])
def test_a_query_may_start_with_a_minus_and_a_short_option_letter(
    index_dir: Path, word: str
) -> None:
    negated = run("query", f"-{word} taliban", "--index", str(index_dir), "--json")
    spelled = run("query", f"taliban NOT {word}", "--index", str(index_dir), "--json")
    assert negated.exit_code == 0, negated.stderr
    ids = [[hit["id"] for hit in json.loads(r.stdout)["hits"]] for r in (negated, spelled)]
    assert ids[0] == ids[1] and ids[0]


def test_an_option_value_may_start_with_a_minus(index_dir: Path) -> None:
    newest = run("query", "taliban", "--sort", "-date", "--index", str(index_dir), "--json")
    assert newest.exit_code == 0, newest.stderr
    dates = [hit["date"] for hit in json.loads(newest.stdout)["hits"]]
    dated = [date for date in dates if date]
    assert len(dated) > 1 and dates == sorted(dated, reverse=True) + [None] * (
        len(dates) - len(dated)
    )
    bad = run("query", "taliban", "--since", "-2021", "--index", str(index_dir))
    assert bad.exit_code == 2
    assert "Invalid value for '--since': bad date '-2021'" in bad.stderr


@pytest.mark.parametrize(
    ("command", "pair"),
    [
        ("query", ("--any", "--all")),
        ("timeline", ("--all", "--any")),
        ("timeline", ("--csv", "--json")),
    ],
)
def test_options_that_contradict_each_other_are_refused(
    index_dir: Path, command: str, pair: tuple[str, str]
) -> None:
    result = run(command, "taliban", *pair, "--index", str(index_dir))
    assert (result.exit_code, result.stdout) == (2, "")
    first, second = sorted(pair, key=["--any", "--all", "--json", "--csv"].index)
    assert f"Error: {first} and {second} cannot be used together" in result.stderr


def test_a_mistyped_long_option_is_not_read_as_the_query(index_dir: Path) -> None:
    result = run("query", "taliban", "--jsno", "--index", str(index_dir))
    assert result.exit_code == 2
    assert "No such option '--jsno'" in result.stderr
    assert result.stdout == ""


def test_a_query_may_start_with_a_minus(index_dir: Path) -> None:
    result = run("query", "-kabul taliban", "--index", str(index_dir), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 2
    alone = run("query", "-kabul", "-n", "1", "--index", str(index_dir), "--json")
    assert (alone.exit_code, len(json.loads(alone.stdout)["hits"])) == (0, 1)
