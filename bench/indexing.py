"""Indexing benchmark: ``search index`` on Reuters-21578 against plain Whoosh.

The Reuters SGML is converted once to JSON Lines (one file per SGML file, 1,000 stories
each). Both pipelines then index the same files, each in a fresh process:

- product: ``search index FOLDER --index DIR`` (the whole command: walk, hash, read,
  index, commit);
- baseline: plain Whoosh 2.7, ``StemmingAnalyzer`` on the text fields, one writer,
  ``add_document`` per JSON line, one commit.

Reported: docs/s, wall time, peak memory (the process plus its largest worker process) and index size,
at 1x the corpus and at ``--scale`` times it (copies with unique ids), as ratios.

    python bench/indexing.py --data ../shared/data --scale 4
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import read_reuters, write_jsonl
from report import command, machine, update_section

STORIES_PER_FILE = 1000


def convert(data_dir: str, folder: Path, copies: int) -> int:
    """Write Reuters as JSON Lines under ``folder`` ``copies`` times; return the count."""
    if folder.exists():
        return sum(1 for f in folder.rglob("*.jsonl") for _ in f.open(encoding="utf-8"))
    records = list(read_reuters(data_dir))
    for copy in range(copies):
        target = folder / f"copy-{copy}"
        target.mkdir(parents=True)
        for start in range(0, len(records), STORIES_PER_FILE):
            chunk = [
                dict(r, id=f"{r['id']}-{copy}") for r in records[start : start + STORIES_PER_FILE]
            ]
            write_jsonl(chunk, target / f"reut2-{start // STORIES_PER_FILE:03d}.jsonl")
    return len(records) * copies


def _peak_mb() -> float:
    # ru_maxrss is in KiB on Linux; the workers are children of this process.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def child_product(folder: str, index_dir: str) -> None:
    """Run the ``search index`` command in this process."""
    from search.cli import main

    try:
        main(["index", folder, "--index", index_dir, "--quiet"], standalone_mode=True)
    except SystemExit as exc:
        if exc.code:
            raise


def child_plain(folder: str, index_dir: str) -> None:
    """Index every JSON line under ``folder`` with plain Whoosh, one writer."""
    import datetime as dt

    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer

    stem = StemmingAnalyzer()
    schema = fields.Schema(
        id=fields.ID(unique=True, stored=True),
        title=fields.TEXT(analyzer=stem, stored=True),
        summary=fields.TEXT(analyzer=stem, stored=True),
        body=fields.TEXT(analyzer=stem, stored=True),
        source=fields.TEXT(stored=True),
        url=fields.ID(stored=True),
        tags=fields.KEYWORD(stored=True, commas=True, lowercase=True),
        date=fields.DATETIME(stored=True, sortable=True),
    )
    os.makedirs(index_dir)
    writer = index.create_in(index_dir, schema).writer()
    for path in sorted(Path(folder).rglob("*.jsonl")):
        with open(path, encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                record = json.loads(line)
                doc = {
                    "id": f"{path}#{number}",
                    "title": record["title"],
                    "summary": record["summary"],
                    "body": record["body"],
                    "source": record["source"],
                    "url": record["url"],
                    "tags": ",".join(record["tags"]),
                }
                if record["date"]:
                    doc["date"] = dt.datetime.fromisoformat(record["date"])
                writer.add_document(**{k: v for k, v in doc.items() if v != ""})
    writer.commit()


def run(kind: str, folder: Path, index_dir: Path) -> dict:
    """Index ``folder`` with ``kind`` in a fresh process; return time, memory, size."""
    shutil.rmtree(index_dir, ignore_errors=True)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(folder), str(index_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in index_dir.iterdir() if p.is_file())
    return {
        "seconds": seconds,
        "peak_mb": json.loads(out.stdout.splitlines()[-1]),
        "mb": size / 1e6,
    }


def measure(folder: Path, work: Path, docs: int, rounds: int) -> dict[str, dict]:
    """Median time and memory of each pipeline over ``rounds`` alternating runs."""
    runs: dict[str, list[dict]] = {"plain": [], "product": []}
    for _ in range(rounds):
        for kind, done in runs.items():
            done.append(run(kind, folder, work / f"index-{kind}"))
            print(kind, docs, done[-1], file=sys.stderr)
    summary = {}
    for kind, results in runs.items():
        seconds = statistics.median(r["seconds"] for r in results)
        summary[kind] = {
            "docs_s": docs / seconds,
            "seconds": seconds,
            "peak_mb": statistics.median(r["peak_mb"] for r in results),
            "mb": results[-1]["mb"],
        }
    return summary


def table(results: dict[int, tuple[int, dict]]) -> str:
    rows = [
        "| corpus | docs | pipeline | docs/s | wall s | peak MB | index MB |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for scale, (docs, summary) in results.items():
        for kind in ("plain", "product"):
            s = summary[kind]
            rows.append(
                f"| {scale}x | {docs:,} | {kind} | {s['docs_s']:,.0f} | {s['seconds']:.1f} | "
                f"{s['peak_mb']:.0f} | {s['mb']:.1f} |"
            )
        p, b = summary["product"], summary["plain"]
        rows.append(
            f"| {scale}x | | **product / plain** | **{p['docs_s'] / b['docs_s']:.2f}x** | | "
            f"{p['peak_mb'] / b['peak_mb']:.2f}x | {p['mb'] / b['mb']:.2f}x |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data", help="folder with reuters21578/")
    parser.add_argument("--work", default="/tmp/bench-indexing", help="scratch folder")
    parser.add_argument("--scale", type=int, nargs="*", default=[1, 4])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder, index_dir = args.child
        (child_product if kind == "product" else child_plain)(folder, index_dir)
        print(json.dumps(_peak_mb()))
        return
    work = Path(args.work)
    # Byte-compiled first, as `pip install` leaves it: an editable install under
    # PYTHONDONTWRITEBYTECODE would otherwise compile every module in every process.
    import search

    package = str(Path(search.__file__).parent)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
    results = {}
    for scale in args.scale:
        folder = work / f"reuters-x{scale}"
        docs = convert(args.data, folder, scale)
        results[scale] = (docs, measure(folder, work, docs, args.rounds))
    body = (
        f"## Indexing\n\n`{command()}`; {machine()}.\n\n"
        "Reuters-21578 as JSON Lines (1,000 stories a file), indexed in a fresh process by "
        "`search index` (product) and by plain Whoosh 2.7 (StemmingAnalyzer, one writer, "
        f"one commit); median of {args.rounds} run(s) each, alternating. Peak memory is the "
        "process plus its largest worker (the product reads files in one worker per core "
        "when there are more than 4 MB to read, and a commit forks a process writing half "
        "its words: its figure counts the memory it shares with the process, some 50 MB "
        "of its 250 for Reuters).\n\n" + table(results)
    )
    print(body)
    update_section("indexing", body)


if __name__ == "__main__":
    main()
