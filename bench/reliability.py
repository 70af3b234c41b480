"""Long versions of the reliability tests: many more kill points, longer concurrent use.

The checks are the test suite's own (tests/test_reliability.py), run with bigger numbers;
results go to docs/reliability.md, each run replacing its own section.

    python bench/reliability.py kills --count 200
    python bench/reliability.py readers --seconds 300
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

import test_reliability as checks
from report import command, machine, update_section

from search import Indexer

DOC = ROOT / "docs" / "reliability.md"


def kills(count: int, files: int, seed: int) -> str:
    """Kill ``count`` runs at random moments (and in each commit step); check each state."""
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        folder = checks.make_corpus(base / "corpus", files)
        expected = checks.expected_articles(folder)
        with Indexer(base / "reference") as indexer:
            indexer.sync([folder])
        reference = checks.snapshot(base / "reference")
        _, seconds = checks.run_driver(base / "timing", folder, checks.driver_env(base / "t"))
        applied, finished, started = [], 0, time.monotonic()
        for number in range(count):
            work = base / f"k{number}"
            work.mkdir()
            log = work / "log"
            if number % 10 == 9:  # every tenth run dies inside a chosen commit step
                target, when, _ = rnd.choice(list(checks.COMMIT_STEPS.values()))
                env = checks.driver_env(log, KILL_AT=f"{target}:{when}:{rnd.randint(1, 6)}")
                checks.run_driver(work / "index", folder, env)
            else:
                delay = seconds * rnd.random()
                checks.kill_after(work / "index", folder, checks.driver_env(log), delay)
            applied.append(
                checks.assert_committed_state(
                    work / "index", {}, expected, start_generation=0, log=log
                )
            )
            if number % 5 == 0:
                checks.finish(work / "index", folder)
                checks.assert_complete(work / "index", folder, reference)
                finished += 1
        elapsed = time.monotonic() - started
    spread = Counter(min(4, a * 5 // max(1, len(expected))) for a in applied)
    return (
        f"`{command()}` - {machine()}\n\n"
        f"{count} indexing runs of {len(expected)} files ({seconds:.2f}s each) killed with "
        f"SIGKILL: {count - count // 10} at random times, {count // 10} inside a chosen "
        f"step of a commit. Every time the index opened, held a committed state (each "
        f"file all in or all out, files in order, no id twice, no commit lost) and passed "
        f"`search check`; {finished} of them were finished by `search index` and equalled "
        f"a clean index. Files applied when killed, by fifth of the run: "
        f"{dict(sorted(spread.items()))}. Took {elapsed:.0f}s.\n"
    )


def readers(seconds: float) -> str:
    """One writer and three readers (kept Searcher, fresh Searcher, fresh + stats)."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        docs, index_dir, log = base / "docs", base / "index", base / "counts.log"
        docs.mkdir()
        (docs / "a00000.txt").write_text("Common story 0\n\ncommon words number0\n")
        with Indexer(index_dir) as indexer:
            indexer.sync([docs])
        stop = base / "stop"
        kinds = {"api": {}, "fresh": {}, "fresh-stats": {"STATS": "1"}}
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", checks.READER, str(index_dir), kind.split("-")[0],
                 str(stop), str(base / kind)],
                env={**__import__("os").environ, **extra},
            )
            for kind, extra in kinds.items()
        ]  # fmt: skip
        writer = subprocess.run(
            [sys.executable, "-c", checks.WRITER, str(index_dir), str(docs), str(seconds),
             str(log)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        stop.touch()
        for proc in procs:
            proc.wait()
        committed = {1} | {int(line) for line in log.read_text().split()}
        lines = []
        for kind in kinds:
            found = json.loads((base / kind).read_text())
            odd = set(found["seen"]) - committed
            kinds_of_error = Counter(e.strip().splitlines()[-1][:90] for e in found["errors"])
            lines.append(
                f"| {kind} | {len(found['seen'])} | {len(found['errors'])} | "
                f"{len(odd)} | {found['seen'] == sorted(found['seen'])} | "
                f"{'; '.join(f'{n}x {e}' for e, n in kinds_of_error.items()) or '-'} |"
            )
    return (
        f"`{command()}` - {machine()}\n\n"
        f"One writer adding and rewriting files and syncing them for {seconds:.0f}s "
        f"({len(committed)} commits, {writer.stdout.strip()} files), three readers in "
        "their own processes searching all the while.\n\n"
        "| reader | searches | errors | totals no commit left | never decreasing | errors seen |\n"
        "| --- | --- | --- | --- | --- | --- |\n" + "\n".join(lines) + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    k = sub.add_parser("kills")
    k.add_argument("--count", type=int, default=200)
    k.add_argument("--files", type=int, default=150)
    k.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("readers")
    r.add_argument("--seconds", type=float, default=300)
    args = parser.parse_args()
    if args.what == "kills":
        body = kills(args.count, args.files, args.seed)
    else:
        body = readers(args.seconds)
    print(body)
    update_section(f"reliability-{args.what}", body, DOC)


if __name__ == "__main__":
    main()
