"""How well syndicated copies are told apart from other stories.

Real articles come from BBC News (bbc-news-2225). Positives: each sampled article
against a copy edited as outlets edit wire stories (a dateline put in front, one
sentence cut, a credit line added, a few words changed), and against a shortened copy
(the first two thirds). Negatives: the same article against another story of the same
category, and against every other article (the false-positive rate over all pairs of a
sample). Reports precision and recall of ``search.duplicates.are_copies`` at several
similarity thresholds, and the cost of a fingerprint.

    python bench/duplicates.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasets import read_bbc
from report import command, machine, update_section

from search import duplicates
from search.models import hash_text

SAMPLE = 400
THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def edited_copy(body: str, rng: random.Random) -> str:
    """The story as another outlet runs it: dateline, one sentence cut, credit line."""
    sentences = _SENTENCE.split(body)
    if len(sentences) > 3:
        del sentences[rng.randrange(1, len(sentences))]
    text = "LONDON (Agency) - " + " ".join(sentences)
    for old, new in (("said", "says"), ("Mr ", "Mr. "), ("per cent", "%")):
        text = text.replace(old, new, 1)
    return text + "\nReporting by staff; editing by the desk."


def shortened_copy(body: str) -> str:
    sentences = _SENTENCE.split(body)
    return " ".join(sentences[: max(2, len(sentences) * 2 // 3)])


def key(text: str) -> tuple[str, str]:
    return hash_text("", text), duplicates.fingerprint(text)


def similarity_sets(articles: list[dict], rng: random.Random) -> dict[str, list[float]]:
    """Estimated similarities of positive and negative pairs."""
    sims: dict[str, list[float]] = {"edited": [], "shortened": [], "same category": []}
    by_category: dict[str, list[dict]] = {}
    for article in articles:
        by_category.setdefault(article["tags"][0], []).append(article)
    for article in rng.sample(articles, SAMPLE):
        original = duplicates.fingerprint(article["body"])
        sims["edited"].append(
            duplicates.similarity(
                original, duplicates.fingerprint(edited_copy(article["body"], rng))
            )
        )
        sims["shortened"].append(
            duplicates.similarity(original, duplicates.fingerprint(shortened_copy(article["body"])))
        )
        other = rng.choice([a for a in by_category[article["tags"][0]] if a is not article])
        sims["same category"].append(
            duplicates.similarity(original, duplicates.fingerprint(other["body"]))
        )
    return sims


def all_pairs(articles: list[dict], rng: random.Random) -> list[tuple[float, str, str]]:
    """Similarity of every pair of distinct articles in a sample of SAMPLE, with titles."""
    sample = rng.sample(articles, SAMPLE)
    prints = [duplicates.fingerprint(a["body"]) for a in sample]
    return [
        (duplicates.similarity(prints[i], prints[j]), sample[i]["id"], sample[j]["id"])
        for i in range(len(prints))
        for j in range(i + 1, len(prints))
    ]


def fingerprint_cost(articles: list[dict]) -> float:
    """Median microseconds to fingerprint one article."""
    times = []
    for article in articles[:500]:
        started = time.perf_counter()
        duplicates.fingerprint(article["body"])
        times.append((time.perf_counter() - started) * 1e6)
    return statistics.median(times)


def table(sims: dict[str, list[float]], pairs: list[tuple[float, str, str]]) -> str:
    lines = [
        (
            "| threshold | recall, edited copies | recall, shortened copies | "
            "false positives, same category | false positives, all pairs |"
        ),
        "| --- | --- | --- | --- | --- |",
    ]
    for threshold in THRESHOLDS:
        recall = [
            sum(s >= threshold for s in sims[k]) / len(sims[k]) for k in ("edited", "shortened")
        ]
        same = sum(s >= threshold for s in sims["same category"])
        flagged = sum(pair[0] >= threshold for pair in pairs)
        marker = " (default)" if threshold == duplicates.COPY_SIMILARITY else ""
        lines.append(
            f"| {threshold}{marker} | {recall[0]:.3f} | {recall[1]:.3f} | "
            f"{same} of {len(sims['same category'])} | {flagged} of {len(pairs)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="the shared data folder")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    articles = [a for a in read_bbc(options.data) if len(a["body"]) > 400]
    sims = similarity_sets(articles, random.Random(options.seed))
    pairs = all_pairs(articles, random.Random(options.seed))
    flagged = [f"{a} ~ {b}" for sim, a, b in pairs if sim >= duplicates.COPY_SIMILARITY]
    cost = fingerprint_cost(articles)
    medians = {name: statistics.median(values) for name, values in sims.items()}
    body = "\n".join(
        [
            "## Syndicated copies",
            "",
            f"`{command()}` on {machine()}.",
            "",
            f"{SAMPLE} BBC News articles (bbc-news-2225), each against an edited copy (dateline, "
            "one sentence cut, a few words changed, a credit line), a shortened copy (first "
            "two thirds) and another story of its category; false positives over all pairs "
            f"of another sample of {SAMPLE}. Median estimated similarity: "
            + ", ".join(f"{name} {value:.2f}" for name, value in medians.items())
            + f". A fingerprint costs {cost:.0f} µs (median).",
            "",
            table(sims, pairs),
            "",
            "Pairs of the all-pairs sample called copies at the default threshold: "
            + (", ".join(flagged) or "none")
            + ". Read them: the data set itself holds some stories twice, which count as "
            "false positives above although they are copies.",
        ]
    )
    print(body)
    update_section("duplicates", body)


if __name__ == "__main__":
    main()
