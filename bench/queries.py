"""Query benchmark: a fixed, generated mix of queries with a warm ``Searcher``, against
plain Whoosh on an index of the same articles.

The mix (225 queries, seeded) is drawn from the corpus itself: single words of varied
frequency, two words with AND and with OR, two-word phrases, a word in the title, words
within a date range, words sorted by date, and three words typed as they come in a
story ("text": the shape of most typed queries). A date range is the month of an
article drawn at random, so it holds articles as a user's range would. Each query is
run once to warm up, then timed ``--repeat`` times, the product and plain Whoosh taking
turns; its median is the query's time. The product's top 10 for each query is compared
with the ids saved by an earlier run (``--expect``), so an optimization that changes
results shows up here.

    python bench/queries.py --product-index /tmp/bench-indexing/index-product \\
        --plain-index /tmp/bench-indexing/index-plain --corpus /tmp/bench-indexing/reuters-x1
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report import command, machine, update_section

# New kinds go last: the queries of the earlier kinds stay the same. (Drawing each date
# range from the articles' own months changed the "sorted" and "text" queries too.)
KINDS = ("word", "and", "or", "phrase", "field", "dates", "sorted", "text")
PER_KIND = {
    "word": 50,
    "and": 30,
    "or": 25,
    "phrase": 25,
    "field": 25,
    "dates": 25,
    "sorted": 20,
    "text": 25,
}
_WORD = re.compile(r"[a-z]{4,}")


def make_mix(corpus: Path, seed: int = 5) -> list[dict]:
    """Return the query mix: dicts with ``kind``, ``text`` and optional date bounds."""
    counts: collections.Counter[str] = collections.Counter()
    bodies, months = [], []
    for path in sorted(corpus.rglob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            record = json.loads(line)
            body = record["body"].lower()
            bodies.append(body)
            counts.update(set(_WORD.findall(body)))
            if record["date"]:
                months.append(record["date"][:7])
    rng = random.Random(seed)
    # Ties in alphabetical order: counting sets would otherwise order them by string
    # hashes, which differ from one process to the next, and so would the mix.
    ranked = sorted(counts, key=lambda word: (-counts[word], word))
    # Log-spaced ranks: very common words down to rare ones.
    pool = [ranked[int(10 ** rng.uniform(1, 3.9))] for _ in range(400)]
    mix = []
    for kind in KINDS:
        for _ in range(PER_KIND[kind]):
            mix.append(_query(kind, rng, pool, bodies, months))
    return mix


def _query(
    kind: str, rng: random.Random, pool: list[str], bodies: list[str], months: list[str]
) -> dict:
    a, b = rng.choice(pool), rng.choice(pool)
    if kind in ("phrase", "text"):
        size = 2 if kind == "phrase" else 3
        words = []
        while len(words) < size:
            words = _WORD.findall(rng.choice(bodies))
        at = rng.randrange(len(words) - size + 1)
        typed = " ".join(words[at : at + size])
        return {"kind": kind, "text": f'"{typed}"' if kind == "phrase" else typed}
    if kind == "dates":
        month = rng.choice(months)  # as often as articles were written in it
        return {"kind": kind, "text": a, "since": month, "until": month}
    text = {"and": f"{a} AND {b}", "or": f"{a} OR {b}", "field": f"title:{a}"}.get(kind, a)
    return {"kind": kind, "text": text}


def _month_span(month: str) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.strptime(month, "%Y-%m")
    return start, (start + dt.timedelta(days=32)).replace(day=1)


def product_runner(index_dir: str, *, snippets: bool = False):
    """A function running one mix entry on a warm product Searcher; returns top-10 ids.
    A hit's snippet is made when it is first read: with ``snippets``, every hit's is
    read, as ``search query`` prints them."""
    from search import Searcher

    searcher = Searcher(index_dir)

    def run(q: dict) -> list[str]:
        found = searcher.search(
            q["text"],
            since=q.get("since"),
            until=q.get("until"),
            sort="-date" if q["kind"] == "sorted" else "relevance",
        )
        if snippets:
            for hit in found.hits:
                _ = hit.highlights  # reading it makes the snippet
        return [hit.id for hit in found.hits]

    return run


def plain_runner(index_dir: str):
    """The same with plain Whoosh: a MultifieldParser and a DateRange, as documented."""
    from whoosh import index
    from whoosh import query as wq
    from whoosh.qparser import MultifieldParser

    ix = index.open_dir(index_dir)
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], ix.schema)

    def run(q: dict) -> list[str]:
        query = parser.parse(q["text"])
        if "since" in q:
            start, end = _month_span(q["since"])
            query = wq.And([query, wq.DateRange("date", start, end, endexcl=True)])
        sortedby = "date" if q["kind"] == "sorted" else None
        found = searcher.search(query, limit=10, sortedby=sortedby, reverse=sortedby is not None)
        return [hit["id"] for hit in found]

    return run


def time_mix(runs: list, mix: list[dict], repeat: int) -> tuple[list[list[float]], list]:
    """Per-query median milliseconds of each runner, after one warm-up pass, and the
    first runner's top 10s. The runners take turns on each query, so a busy moment of
    the machine weighs on both alike."""
    warm = [[run(q) for q in mix] for run in runs]  # a warm-up pass of every runner
    tops = warm[0]
    times: list[list[float]] = [[] for _ in runs]
    for q in mix:
        samples: list[list[float]] = [[] for _ in runs]
        for _ in range(repeat):
            for run, taken in zip(runs, samples, strict=True):
                started = time.perf_counter()
                run(q)
                taken.append((time.perf_counter() - started) * 1000)
        for kept, taken in zip(times, samples, strict=True):
            kept.append(statistics.median(taken))
    return times, tops


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
    }


def table(mix: list[dict], product: list[float], plain: list[float]) -> str:
    rows = [
        "| queries | n | plain p50 / p95 / max ms | product p50 / p95 / max ms | p50 ratio | p95 ratio |",
        "| --- | ---: | --- | --- | ---: | ---: |",
    ]
    # "all but dates": plain Whoosh's slowest queries are date-restricted, and set the
    # p95 of all when they are counted.
    groups = [("all", None), ("all but dates", "-dates"), *((k, k) for k in KINDS)]
    for label, kind in groups:
        keep = [i for i, q in enumerate(mix) if _in_group(q["kind"], kind)]
        b = summary([plain[i] for i in keep])
        p = summary([product[i] for i in keep])
        rows.append(
            f"| {label} | {len(keep)} | {b['p50']:.2f} / {b['p95']:.2f} / {b['max']:.1f} | "
            f"{p['p50']:.2f} / {p['p95']:.2f} / {p['max']:.1f} | "
            f"{p['p50'] / b['p50']:.2f} | {p['p95'] / b['p95']:.2f} |"
        )
    return "\n".join(rows)


def _in_group(kind: str, group: str | None) -> bool:
    """Whether a query of ``kind`` counts in ``group``: None is all, "-kind" all but one."""
    if group is None:
        return True
    return kind != group[1:] if group.startswith("-") else kind == group


def snippet_line(with_snippets: list[float], plain: list[float]) -> str:
    """The product's times when every hit's snippet is read as well."""
    p, b = summary(with_snippets), summary(plain)
    return (
        f"With every hit's snippet read as well (what `search query` prints): "
        f"p50 / p95 / max {p['p50']:.2f} / {p['p95']:.2f} / {p['max']:.1f} ms, "
        f"p50 ratio {p['p50'] / b['p50']:.2f}, p95 ratio {p['p95'] / b['p95']:.2f}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--product-index", required=True)
    parser.add_argument("--plain-index", required=True)
    parser.add_argument("--corpus", required=True, help="the JSON Lines both were built from")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--expect", help="JSON file of top-10 ids: compared, or written if new")
    args = parser.parse_args()
    mix = make_mix(Path(args.corpus))
    runners = [
        product_runner(args.product_index),
        plain_runner(args.plain_index),
        product_runner(args.product_index, snippets=True),
    ]
    (product, plain, with_snippets), tops = time_mix(runners, mix, args.repeat)
    check = "top 10 not compared (no --expect)"
    if args.expect and Path(args.expect).exists():
        expected = json.loads(Path(args.expect).read_text(encoding="utf-8"))
        same = sum(a == b for a, b in zip(tops, expected, strict=True))
        check = f"top 10 identical to the saved run for {same} of {len(mix)} queries"
    elif args.expect:
        Path(args.expect).write_text(json.dumps(tops), encoding="utf-8")
        check = f"top 10 saved to {args.expect}"
    body = (
        f"## Queries\n\n`{command()}`; {machine()}.\n\n"
        f"{len(mix)} generated queries, warm searchers, top 10, median of {args.repeat} runs "
        f"per query, product and plain Whoosh taking turns on each query; ratio = product / "
        f"plain Whoosh ({check}). A date range is the month of an article drawn at "
        f"random. Like plain Whoosh's, the product's runner reads "
        f"each hit's id; snippets are made when first read.\n\n"
        + table(mix, product, plain)
        + "\n\n"
        + snippet_line(with_snippets, plain)
    )
    print(body)
    update_section("queries", body)


if __name__ == "__main__":
    main()
