"""Build the bundled demo corpus from the shared data sets.

    python bench/make_corpus.py --data ../shared/data --out corpus/

The selection is fixed (named pages, first-N files and stories), so two runs give the same
files. Existing files of the same names are overwritten; nothing else in --out is removed.
Run it as a script: it imports ``datasets`` from its own folder.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from datasets import Record, bbc_files, read_reuters, write_jsonl

SEED = "000_8bf87993404b5d35.txt"

# English news pages of mozilla/readability's test set, picked by name, lang and siteName
# from expected-metadata.json. Left out: the synthetic cases (001, replace-brs, ...),
# other languages, and reference or how-to pages (wikipedia-*, ehow-*, mozilla-*, ...).
READABILITY_PAGES = (
    "aclu", "ars-1", "article-author-tag", "bbc-1", "breitbart", "bug-1255978",
    "buzzfeed-1", "citylab-1", "cnet", "cnn", "engadget", "guardian-1", "herald-sun-1",
    "keep-images", "lazy-image-2", "medicalnewstoday", "msn", "nytimes-1", "nytimes-2",
    "nytimes-3", "nytimes-4", "quanta-1", "salon-1", "schema-org-context-object",
    "seattletimes-1", "telegraph", "theverge", "tmz-1", "videos-1", "wapo-1", "wapo-2",
    "webmd-1", "webmd-2", "wikia", "wordpress", "yahoo-1", "yahoo-3",
)  # fmt: skip

# News articles of the trafilatura evaluation set (file names in evaldata.json), picked by
# site from the pages with <html lang="en..."> and a title and date in evaldata.json.
# Left out: ukbdnews.com.23646.html (Bengali text despite lang="en") and
# medicalnewstoday.com.318674.html (the same article as readability's medicalnewstoday).
TRAFILATURA_PAGES = (
    "bbc.com.52241221.html", "cbsnews.com.carolina.html", "economist.com.thinking.html",
    "fivethirtyeight.com.endorsement.html", "independent.co.uk.penalty.html",
    "japantimes.co.jp.surgical.html", "kaieteurnewsonline.com-essequibo.html",
    "latimes.com.bloomberg.html", "miamitodaynews.com-Transitway.html",
    "msn.com.university.html", "nationalgeographic.co.uk.goats.html",
    "nature.com.telescope.html", "newrepublic.com.neoliberalism.html",
    "nytimes.com.blackouts.html", "observer.com-LVMH.html",
    "politico.com.retirement.html", "reuters.com.parasite.html",
    "salon.com.emissions.html", "theatlantic.com.disasters.html",
    "theintercept.com-Gaza.html", "thelocal.se.tattooed.html",
    "thepointsguy.com.alaska.html", "timesofisrael.com.washington.html",
    "twincities.com-mayor.html", "viconsortium.com-cocaine.html",
    "wikimediafoundation.org.turkey.html", "world.kbs.co.kr-Temperatures.html",
)  # fmt: skip

BBC_PER_CATEGORY = 20
REUTERS_JSONL = 200  # the first stories of reut2-000.sgm with title and body ...
REUTERS_JSON = 20  # ... and the next ones, as a JSON array

_HTML_LANG = re.compile(rb"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z-]+)", re.IGNORECASE)


def copy_seed(seed: Path, out: Path) -> Iterator[Path]:
    """Copy the seed article unchanged to ``text/``; yield the file written."""
    target = out / "text" / seed.name
    shutil.copyfile(seed, target)
    yield target


def copy_readability(data: Path, out: Path, max_bytes: int) -> Iterator[Path]:
    """Copy the chosen readability ``source.html`` files to ``html/<name>.html``."""
    pages = data / "readability-test-pages" / "pages"
    for name in READABILITY_PAGES:
        source = pages / name / "source.html"
        if _fits(source, source.stat().st_size if source.exists() else None, max_bytes):
            target = out / "html" / f"{name}.html"
            shutil.copyfile(source, target)
            yield target


def copy_trafilatura(data: Path, out: Path, max_bytes: int) -> Iterator[Path]:
    """Decompress the chosen trafilatura pages to ``html/<name>``.

    A page is kept only if its ``<html lang>`` starts with "en" and evaldata.json gives it
    a title and a date: the names are fixed, this guards against a changed data set.
    """
    root = data / "trafilatura-eval"
    meta = {v["file"]: v for v in json.loads((root / "evaldata.json").read_text("utf-8")).values()}
    for name in TRAFILATURA_PAGES:
        source = root / "html" / f"{name}.gz"
        raw = gzip.decompress(source.read_bytes()) if source.exists() else None
        if not _fits(source, None if raw is None else len(raw), max_bytes):
            continue
        lang = _HTML_LANG.search(raw[:10_000])
        info = meta.get(name, {})
        if not (lang and lang.group(1).lower().startswith(b"en")):
            print(f"skipped {source}: not <html lang=en>", file=sys.stderr)
        elif not (info.get("title") and info.get("date")):
            print(f"skipped {source}: no title or date in evaldata.json", file=sys.stderr)
        else:
            target = out / "html" / name
            target.write_bytes(raw)
            yield target


def _fits(source: Path, size: int | None, max_bytes: int) -> bool:
    """Say whether a page exists and is small enough; explain a skip on stderr."""
    if size is None:
        print(f"skipped {source}: missing", file=sys.stderr)
    elif size > max_bytes:
        print(f"skipped {source}: {size:,} bytes > {max_bytes:,}", file=sys.stderr)
    return size is not None and size <= max_bytes


def copy_bbc(data: Path, out: Path) -> Iterator[Path]:
    """Copy the first BBC_PER_CATEGORY files of each category to ``text/bbc-<cat>-<NNN>.txt``."""
    taken: dict[str, int] = {}
    for category, source in bbc_files(data):
        if taken.get(category, 0) < BBC_PER_CATEGORY:
            taken[category] = taken.get(category, 0) + 1
            target = out / "text" / f"bbc-{category}-{source.name}"
            shutil.copyfile(source, target)
            yield target


def write_reuters(data: Path, out: Path) -> Iterator[Path]:
    """Write the first Reuters stories with title and body as JSON Lines and a JSON array."""
    stories = (r for r in read_reuters(data) if r["title"] and r["body"])
    jsonl, array = out / "reuters-1987.jsonl", out / "reuters-sample.json"
    write_jsonl(islice(stories, REUTERS_JSONL), jsonl)
    sample: list[Record] = list(islice(stories, REUTERS_JSON))
    array.write_text(json.dumps(sample, ensure_ascii=False, indent=1) + "\n", "utf-8")
    yield from (jsonl, array)


def main(argv: list[str] | None = None) -> int:
    """Build the corpus, print what was written per part, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument(
        "--seed", type=Path, help=f"the seed article (default: DATA/../seed/{SEED})"
    )
    parser.add_argument("--out", type=Path, required=True, help="the corpus folder to fill")
    parser.add_argument(
        "--max-page-kb",
        type=int,
        default=320,
        help="skip HTML pages larger than this (320)",
    )
    args = parser.parse_args(argv)
    seed = args.seed or args.data / ".." / "seed" / SEED
    if not seed.is_file() or not args.data.is_dir():
        parser.error(f"no data folder at {args.data} or no seed article at {seed}")
    for folder in ("html", "text"):
        (args.out / folder).mkdir(parents=True, exist_ok=True)
    max_bytes = args.max_page_kb * 1024
    parts = {
        "seed article": copy_seed(seed, args.out),
        "readability pages": copy_readability(args.data, args.out, max_bytes),
        "trafilatura pages": copy_trafilatura(args.data, args.out, max_bytes),
        "BBC text files": copy_bbc(args.data, args.out),
        f"Reuters files ({REUTERS_JSONL}+{REUTERS_JSON} stories)": write_reuters(
            args.data, args.out
        ),
    }
    total = 0
    for label, files in parts.items():
        written = list(files)
        size = sum(path.stat().st_size for path in written)
        total += size
        print(f"{len(written):4d} {label:30s} {size:>12,} bytes")
    print(f"     total {total:>33,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
