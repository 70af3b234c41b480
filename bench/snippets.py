"""Snippet cost on long articles.

Indexes 10 BBC News articles twice: once as they are, once with one of them grown to
about 200 KB (the article followed by 80 others of its category), then times the same
page of 10 hits on both indexes with a warm Searcher. Also times one snippet of the
200 KB text alone.

    python bench/snippets.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasets import read_bbc
from report import command, machine, update_section

from search import Article, Indexer, Searcher
from search.analysis import text_analyzer
from search.snippets import make_snippet

QUERY = "economy growth"
RUNS = 50


def articles(data: Path, long: bool) -> list[Article]:
    business = [a for a in read_bbc(data) if a["tags"] == ["business"]]
    chosen = [a for a in business if "economy" in a["body"] and "growth" in a["body"]][:10]
    padding = "\n\n".join(a["body"] for a in business[200:280])
    made = []
    for n, record in enumerate(chosen):
        body = record["body"] + ("\n\n" + padding if long and n == 0 else "")
        made.append(Article(id=record["id"], title=record["title"], body=body))
    return made


def page_time(data: Path, long: bool) -> tuple[float, int]:
    """Median ms for a page of 10 hits, and the longest body in bytes."""
    batch = articles(data, long)
    with tempfile.TemporaryDirectory() as folder:
        with Indexer(folder) as indexer:
            indexer.add(batch)
        with Searcher(folder) as searcher:
            searcher.search(QUERY)
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                results = searcher.search(QUERY, limit=10)
                times.append((time.perf_counter() - started) * 1000)
    assert results.total == len(batch), results.total
    return statistics.median(times), max(len(a.body.encode()) for a in batch)


def snippet_time(data: Path) -> tuple[float, int]:
    text = articles(data, True)[0].body
    terms = {token.text for token in text_analyzer()(QUERY)}
    make_snippet(text, terms)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        make_snippet(text, terms)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(text.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="the shared data folder")
    options = parser.parse_args()
    short_ms, short_bytes = page_time(options.data, long=False)
    long_ms, long_bytes = page_time(options.data, long=True)
    alone_ms, alone_bytes = snippet_time(options.data)
    body = "\n".join(
        [
            "## Snippets on long articles",
            "",
            f"`{command()}` on {machine()}. Query `{QUERY}`, a page of 10 hits, warm "
            f"Searcher, median of {RUNS} runs.",
            "",
            "| index | longest article | page of 10 hits, ms |",
            "| --- | --- | --- |",
            f"| 10 articles as they are | {short_bytes / 1000:.0f} KB | {short_ms:.1f} |",
            f"| one grown to {long_bytes / 1000:.0f} KB | {long_bytes / 1000:.0f} KB | {long_ms:.1f} |",
            "",
            f"The long article costs the page {long_ms - short_ms:.1f} ms "
            f"({long_ms / short_ms:.2f}x); its snippet alone takes {alone_ms:.1f} ms for "
            f"{alone_bytes / 1000:.0f} KB of text.",
        ]
    )
    print(body)
    update_section("snippets", body)


if __name__ == "__main__":
    main()
