"""CLI benchmark: one ``search query`` from a fresh process, against a fresh Python
process running one SQLite FTS5 query on the same articles.

The FTS5 database is built once from the JSON Lines (title, body; porter tokenizer).
``search query`` is timed twice: running itself, and answered by a ``search serve``
process started for the index (the output of both is checked to be the same). All print
the top 10; each is run ``--rounds`` times, in turns, and the medians compared. Also
reported: what ``import search.cli`` costs (``-X importtime``).
The package is byte-compiled first, as ``pip install`` leaves it: an editable install
under ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module on every run.

    python bench/cli_startup.py --index /tmp/bench-indexing/index-product \\
        --corpus /tmp/bench-indexing/reuters-x1
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
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


@contextlib.contextmanager
def _server(search_exe: str, index: str, env: dict[str, str]) -> Iterator[None]:
    """A ``search serve`` process for ``index``, answering once this is entered."""
    server = subprocess.Popen(
        [search_exe, "serve", "--index", index], stderr=subprocess.PIPE, env=env
    )
    assert server.stderr is not None
    try:
        if not server.stderr.readline().startswith(b"answering queries on "):
            sys.exit("search serve did not start")
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


def import_ms(module: str) -> float:
    """Cumulative import time of ``module`` in a fresh process, in milliseconds."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    for line in out.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s+" + re.escape(module) + r"$", line)
        if match:
            return int(match.group(1)) / 1000
    return float("nan")


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
    alone = {**os.environ, "XDG_RUNTIME_DIR": str(work / "no-server")}
    served = {**os.environ, "XDG_RUNTIME_DIR": str(work / "run")}
    runs = {"search": (ours, alone), "served": (ours, served), "fts5": (fts, None)}
    with _server(search_exe, args.index, served):
        if _output(ours, alone) != _output(ours, served):
            sys.exit("a served query printed something else than the command itself")
        for argv, env in runs.values():
            wall(argv, env)  # warm the page cache
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.rounds):
            for name, (argv, env) in runs.items():
                times[name].append(wall(argv, env))
    ms = {name: statistics.median(values) * 1000 for name, values in times.items()}
    body = (
        f"## CLI\n\n`{command()}`; {machine()}; news-search {_install_kind()}.\n\n"
        f"Wall time of one query (`{QUERY}`, top 10) from a fresh process, median of "
        f"{args.rounds} runs in turns.\n\n"
        "| command | median ms | against FTS5 |\n| --- | ---: | ---: |\n"
        f'| `search query "{QUERY}"` | {ms["search"]:.0f} | {ms["search"] / ms["fts5"]:.2f}x |\n'
        f"| the same, answered by `search serve` | {ms['served']:.0f} "
        f"| **{ms['served'] / ms['fts5']:.2f}x** |\n"
        f"| python + sqlite3 FTS5 query | {ms['fts5']:.0f} | 1.00x |\n\n"
        f"`import search.cli`: {import_ms('search.cli'):.0f} ms cumulative "
        f"(`import whoosh.index`: {import_ms('whoosh.index'):.0f} ms); "
        f"`import search.serve`, all a served query imports: "
        f"{import_ms('search.serve'):.0f} ms."
    )
    print(body)
    update_section("cli", body)


if __name__ == "__main__":
    main()
