"""CLI benchmark: one ``search query`` from a fresh process, against a fresh Python
process running one SQLite FTS5 query on the same articles.

The FTS5 database is built once from the JSON Lines (title, body; porter tokenizer).
``search query`` is timed three ways: the first query, with no server running (it
answers, then starts a server in the background); the next query, answered by that
server; and a query that runs by itself and starts none (``SEARCH_SERVE_IDLE=0``). The
output of all is checked to be the same. All print the top 10; each is run ``--rounds``
times, in turns, and the medians compared. Also reported: what ``import search.cli``
costs, alone and as the command imports it, and how long a started server takes to answer.
The package is byte-compiled first, as ``pip install`` leaves it: an editable install
under ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module on every run.

    python bench/cli_startup.py --index /tmp/bench-indexing/index-product \\
        --corpus /tmp/bench-indexing/reuters-x1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import command, machine, update_section

QUERY = "oil prices"
FTS_SCRIPT = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
sql = "SELECT rowid, title FROM articles WHERE articles MATCH ? ORDER BY rank LIMIT 10"
for rowid, title in db.execute(sql, (sys.argv[2],)):
    print(rowid, title)
"""


def build_fts(corpus: Path, db_path: Path) -> None:
    """Write the articles of ``corpus`` into an FTS5 table, unless done already."""
    if db_path.exists():
        return
    db = sqlite3.connect(db_path)
    db.execute("CREATE VIRTUAL TABLE articles USING fts5(title, body, tokenize='porter')")
    for path in sorted(corpus.rglob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            rows = ((r["title"], r["body"]) for r in map(json.loads, lines))
            db.executemany("INSERT INTO articles (title, body) VALUES (?, ?)", rows)
    db.commit()
    db.close()


def wall(argv: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds one run of ``argv`` takes, from start to exit."""
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def _install_kind() -> str:
    """How news-search is installed: an editable install adds an import hook that every
    Python process of the environment loads, the FTS5 one's too, which narrows ratios."""
    from importlib import metadata

    direct = metadata.distribution("news-search").read_text("direct_url.json") or "{}"
    if json.loads(direct).get("dir_info", {}).get("editable"):
        return (
            "installed editable (`pip install -e`): every Python process here, the FTS5 "
            "one's too, also loads its import hook (about 10 ms), which narrows the ratios; "
            "run it from a regular install (`pip install .`) for a user's figures"
        )
    return "installed regularly (`pip install .`)"


def _output(argv: list[str], env: dict[str, str]) -> bytes:
    return subprocess.run(argv, check=True, capture_output=True, env=env).stdout


def _stop_server(search_exe: str, index: str) -> None:
    subprocess.run(
        [search_exe, "serve", "--stop", "--index", index], check=True, stderr=subprocess.DEVNULL
    )


def _until_served(index: str) -> float:
    """Seconds until a server answers for ``index``."""
    from search.serve import _answers, socket_path

    path = socket_path(index)
    assert path is not None
    started = time.perf_counter()
    while not _answers(path):
        if time.perf_counter() - started > 60:
            sys.exit("no server started for the index")
        time.sleep(0.005)
    return time.perf_counter() - started


def import_ms(module: str) -> float:
    """Cumulative import time of ``module`` in a fresh process, in milliseconds."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",  # the installed copy, not a checkout in the current folder
    ).stderr
    for line in out.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s+" + re.escape(module) + r"$", line)
        if match:
            return int(match.group(1)) / 1000
    return float("nan")


# How the command imports its modules: Whoosh first, without urllib.request.
COMMAND_PRELUDE = "from search.launch import import_whoosh; import_whoosh(); "


def cli_import_ms(rounds: int = 15) -> tuple[float, float]:
    """Wall time of ``import search.cli`` in a fresh process, in milliseconds, alone and
    after COMMAND_PRELUDE: medians of ``rounds`` in turns."""
    runs: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for prelude, taken in zip(("", COMMAND_PRELUDE), runs, strict=True):
            code = (
                f"import time; started = time.perf_counter(); {prelude}import search.cli; "
                "print((time.perf_counter() - started) * 1000)"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/"
            )
            taken.append(float(out.stdout))
    return statistics.median(runs[0]), statistics.median(runs[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", required=True, help="a product index of the corpus")
    parser.add_argument("--corpus", required=True, help="the JSON Lines the index holds")
    parser.add_argument("--work", default="/tmp/bench-cli")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "fts5.db"
    build_fts(Path(args.corpus), db_path)
    import search

    package = str(Path(search.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
    search_exe = shutil.which("search") or "search"
    ours = [search_exe, "query", QUERY, "--index", args.index]
    fts = [sys.executable, "-c", FTS_SCRIPT, str(db_path), QUERY]
    os.environ["XDG_RUNTIME_DIR"] = str(work / "run")  # this run's servers only
    env = {name: value for name, value in os.environ.items() if name != "SEARCH_SERVE_IDLE"}
    alone = {**env, "SEARCH_SERVE_IDLE": "0"}
    _stop_server(search_exe, args.index)
    expected = _output(ours, alone)
    first = _output(ours, env)
    _until_served(args.index)
    if first != expected or _output(ours, env) != expected:
        sys.exit("a served query printed something else than the command itself")
    for argv in (ours, fts):
        wall(argv, env)  # warm the page cache
    times: dict[str, list[float]] = {"first": [], "next": [], "alone": [], "fts5": [], "ready": []}
    for _ in range(args.rounds):
        _stop_server(search_exe, args.index)
        times["alone"].append(wall(ours, alone))
        times["first"].append(wall(ours, env))
        times["ready"].append(_until_served(args.index))
        times["next"].append(wall(ours, env))
        times["fts5"].append(wall(fts, env))
    _stop_server(search_exe, args.index)
    ms = {name: statistics.median(values) * 1000 for name, values in times.items()}
    rows = [
        ("the first query: no server yet; it starts one", "first"),
        ("the next query, answered by that server", "next"),
        ("a query that starts no server (`SEARCH_SERVE_IDLE=0`)", "alone"),
        ("python + sqlite3 FTS5 query", "fts5"),
    ]
    table = "".join(
        f"| {label} | {ms[name]:.0f} | {ms[name] / ms['fts5']:.2f}x |\n" for label, name in rows
    )
    alone, as_command = cli_import_ms()
    body = (
        f"## CLI\n\n`{command()}`; {machine()}; news-search {_install_kind()}.\n\n"
        f'Wall time of `search query "{QUERY}"` (top 10) from a fresh process, median of '
        f"{args.rounds} runs in turns.\n\n"
        "| command | median ms | against FTS5 |\n| --- | ---: | ---: |\n"
        f"{table}\n"
        f"The server answers {ms['ready']:.0f} ms (median) after the first query has "
        "returned; a query sent before runs by itself. "
        f"`import search.cli`: {alone:.0f} ms, {as_command:.0f} ms as the command imports "
        "it, Whoosh without urllib.request (medians of 15 in turns; "
        f"`import whoosh.index`: {import_ms('whoosh.index'):.0f} ms cumulative); "
        f"`import search.serve`, all a served query imports: "
        f"{import_ms('search.serve'):.0f} ms."
    )
    print(body)
    update_section("cli", body)


if __name__ == "__main__":
    main()
