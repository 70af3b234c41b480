"""Measure how well the product's reader extracts real pages, next to the libraries alone.

    python bench/extraction.py --data ../shared/data [--limit N] [--split all|even|odd]
                               [--readers ours,trafilatura,readability] [--no-write]
                               [--dump FILE]

Runs ``search.extract.extract_bytes`` (what ``search index`` uses), trafilatura on its own
and readability-lxml on its own (``pip install -e ".[bench]"``) over two dev sets, each
reader in a fresh process of its own, one page at a time, and prints one table per set.
With ``--split all`` (the default) it also writes the tables into the "extraction" section
of docs/benchmarks.md.

All readers get the same input: the page's bytes (gunzipped), decoded by
``search.extract.decode.decode`` (BOM, ``<meta charset>``, UTF-8, then a guess); our reader
decodes inside ``extract_bytes``, the baselines call ``decode`` themselves. One baseline is
``trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)``, its
default settings otherwise; its ``author`` string is split on ";". The other is
readability-lxml's ``Document(text)``: the text of ``summary(html_partial=True)`` and
``short_title()``; it finds no author or date, so those rows show "-".

Data sets (folders under ``--data``):

* ``readability-test-pages``: 130 pages with ``expected.html`` (the body) and
  ``expected-metadata.json`` (title, byline, publishedTime, readerable).
* ``trafilatura-eval``: 990 pages with ``evaldata.json`` (title, author, date, and body
  snippets that must / must not appear). ``null`` means not annotated and is left out;
  ``""`` means annotated as absent. "English" is the subset whose ``<html lang=...>``
  starts with "en".

Metrics (identical for both readers):

* **tokens**: lower-cased ``\\w+`` runs (Unicode), counts kept (a bag of words).
* **body P / R / F1** (readability-test-pages): per page, the overlap of the bags of the
  extracted body and of the text of ``expected.html`` (tags stripped); precision = overlap
  / extracted tokens, recall = overlap / expected tokens, F1 their harmonic mean (0 when
  either is 0). Averaged over pages whose expected body is non-empty (macro), all pages
  including the 8 marked ``readerable: false``.
* **snippets P / R / F1** (trafilatura-eval): with white space collapsed on both sides, a
  "with" snippet found in the body is a true positive, one not found a false negative, a
  "without" snippet found a false positive; P, R and F1 are computed on the counts summed
  over the pages (micro), as trafilatura's own evaluation does.
* **title exact**: after Unicode NFKC, collapsing white space, straightening quotes
  (curly to ``'`` and ``"``) and dashes (en/em dash to ``-``) and stripping, the extracted
  title equals the expected one, case-sensitive. Over pages with a non-empty expected title.
* **title near**: token F1 (as for the body) of the two titles >= 0.9. Same pages.
* **author found**: over pages whose expected author is non-empty. The expected value is
  split into names on ``, ; / &`` and the words and/und/et/y; a leading By/Von/Par/Por is
  dropped. Found when all tokens of at least one expected name occur among the tokens of
  the extracted authors. **author invented**: over pages annotated with no author (``""``,
  trafilatura-eval only), the share where the reader returns an author anyway.
* **date same day**: over pages with an expected date, the extracted date falls on the
  expected calendar day. Our reader returns the page's local date (offset dropped); an
  expected time with an offset is accepted on its local day or its UTC day (both readers
  alike). **date invented**: over pages annotated with no date (``""``, trafilatura-eval
  only), the share where the reader returns a date anyway.
* **pages/s**: pages / seconds spent inside the reader (decoding included, reading the
  file from disk not), after one warm-up page so one-time imports are not counted.
* **peak MiB**: peak resident memory of the reader's process (``ru_maxrss``), which
  includes Python, the libraries and the largest page.

``--split even`` / ``--split odd`` keep every other page in name order: rules were tuned
looking at even pages, odd pages are the held-out half.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import multiprocessing
import re
import resource
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

READERS = ("ours", "trafilatura", "readability")
SETS = ("readability-test-pages", "trafilatura-eval")
_WARM_UP = b"""<html><head><title>Warm up</title></head><body><article>
<p>Published on 3 March 2021 by Jane Roe. A first paragraph with a few words to read.</p>
<p>A second paragraph, so the extractor has something to choose.</p></article></body></html>"""


@dataclass
class Case:
    """One page and what is expected of it (``None``: not annotated)."""

    name: str
    path: Path
    title: str | None = None
    authors: str | list[str] | None = None
    date: str | None = None
    body: str | None = None
    with_: list[str] = field(default_factory=list)
    without: list[str] = field(default_factory=list)
    english: bool = False


@dataclass
class Output:
    """What a reader returned for one page."""

    title: str = ""
    authors: list[str] = field(default_factory=list)
    date: str = ""  # YYYY-MM-DD or ""
    body: str = ""


# --- data sets -----------------------------------------------------------------------------


def readability_cases(data: Path) -> list[Case]:
    """Return the readability-test-pages cases, in name order."""
    import lxml.html

    cases = []
    for folder in sorted((data / "readability-test-pages" / "pages").iterdir()):
        meta = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        expected = (folder / "expected.html").read_text(encoding="utf-8")
        body = lxml.html.fragment_fromstring(expected, create_parent="div").text_content()
        cases.append(
            Case(
                name=folder.name,
                path=folder / "source.html",
                title=meta.get("title") or None,
                authors=meta.get("byline") or None,
                date=meta.get("publishedTime") or None,
                body=body,
            )
        )
    return cases


def trafilatura_cases(data: Path) -> list[Case]:
    """Return the trafilatura-eval cases, in file name order."""
    root = data / "trafilatura-eval"
    entries = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    cases = []
    for entry in sorted(entries.values(), key=lambda e: e["file"]):
        path = root / "html" / (entry["file"] + ".gz")
        cases.append(
            Case(
                name=entry["file"],
                path=path,
                title=entry.get("title"),
                authors=entry.get("author"),
                date=entry.get("date"),
                with_=list(entry.get("with") or []),
                without=list(entry.get("without") or []),
                english=_lang(_read(path)).startswith("en"),
            )
        )
    return cases


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _lang(page: bytes) -> str:
    match = re.search(rb"<html\b[^>]*?\slang\s*=\s*[\"']?\s*([A-Za-z]+)", page, re.IGNORECASE)
    return match.group(1).decode().lower() if match else ""


# --- readers -------------------------------------------------------------------------------


def read_ours(page: bytes) -> Output:
    """The product's reader: ``extract_bytes`` as ``search index`` calls it."""
    from search.errors import ExtractError
    from search.extract import extract_bytes

    try:
        (article,) = extract_bytes(page, path="page.html")
    except ExtractError:
        return Output()
    date = article.date.date().isoformat() if article.date else ""
    return Output(article.title, list(article.authors), date, article.body)


def read_trafilatura(page: bytes) -> Output:
    """trafilatura alone, given the same decoded text."""
    import trafilatura

    from search.extract.common import BadInput
    from search.extract.decode import decode

    try:
        text = decode(page, markup=True)
    except BadInput:
        return Output()
    doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
    if doc is None:
        return Output()
    authors = [name.strip() for name in (doc.author or "").split(";") if name.strip()]
    return Output(doc.title or "", authors, (doc.date or "")[:10], doc.text or "")


def read_readability(page: bytes) -> Output:
    """readability-lxml alone (body and title; it reads no author or date), given the same
    decoded text."""
    import lxml.html
    import readability

    from search.extract.common import BadInput
    from search.extract.decode import decode

    try:
        doc = readability.Document(decode(page, markup=True))
        summary = doc.summary(html_partial=True)
    except (BadInput, readability.readability.Unparseable, ValueError):
        return Output()
    body = lxml.html.fragment_fromstring(summary, create_parent="div").text_content()
    return Output(doc.short_title() or "", [], "", body)


# Metrics a reader has nothing for: shown as "-", not as a score of 0.
_NOT_READ = {"readability": ("author found", "author invented", "date same day", "date invented")}

_READER_FUNCTIONS: dict[str, Callable[[bytes], Output]] = {
    "ours": read_ours,
    "trafilatura": read_trafilatura,
    "readability": read_readability,
}


def _run_reader(reader: str, paths: list[Path]) -> tuple[list[Output], float, float]:
    """Run one reader over ``paths`` in this process: outputs, seconds, peak MiB."""
    read = _READER_FUNCTIONS[reader]
    read(_WARM_UP)
    outputs = []
    spent = 0.0
    for path in paths:
        page = _read(path)
        started = time.perf_counter()
        outputs.append(read(page))
        spent += time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return outputs, spent, peak


def run_reader(reader: str, paths: list[Path]) -> tuple[list[Output], float, float]:
    """Run one reader in a fresh process, so its memory and imports are its own."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(_run_reader, (reader, paths))


# --- metrics -------------------------------------------------------------------------------


def tokens(text: str) -> Counter[str]:
    """The bag of lower-cased word tokens of ``text``."""
    return Counter(re.findall(r"\w+", text.lower()))


def bag_scores(found: str, expected: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the bag of words of ``found`` against ``expected``."""
    got, want = tokens(found), tokens(expected)
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision = overlap / sum(got.values())
    recall = overlap / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-"})  # fmt: skip


def normal_title(text: str) -> str:
    """NFKC, white space collapsed, quotes and dashes straightened, stripped."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())


def expected_names(value: str | list[str]) -> list[list[str]]:
    """The expected author value as a list of names, each a list of tokens."""
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        for part in re.split(r"[,;/&]|\s(?:and|und|et|y)\s", item, flags=re.IGNORECASE):
            part = re.sub(r"^\s*(?:by|von|par|por)\s+", "", part, flags=re.IGNORECASE)
            words = re.findall(r"\w+", part.lower())
            if words:
                names.append(words)
    return names


def author_found(found: list[str], expected: str | list[str]) -> bool:
    """True when every token of at least one expected name is among the found tokens."""
    have = set(tokens(" ".join(found)))
    return any(all(word in have for word in name) for name in expected_names(expected))


def same_day(found: str, expected: str) -> bool:
    """True when ``found`` (YYYY-MM-DD) is the expected local or UTC calendar day."""
    if not found:
        return False
    days = {expected[:10]}
    match = re.match(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$",
                     expected.strip())  # fmt: skip
    if match and match.group(3):
        zone = match.group(3).replace("Z", "+00:00")
        zone = zone if ":" in zone else zone[:3] + ":" + zone[3:]
        stamp = dt.datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}{zone}")
        days.add(stamp.astimezone(dt.timezone.utc).date().isoformat())
    return found in days


def _share(hits: list[bool]) -> tuple[float, int]:
    return (sum(hits) / len(hits) if hits else float("nan")), len(hits)


def score(cases: list[Case], outputs: list[Output]) -> dict[str, tuple[float, int]]:
    """Return each metric as (value, number of pages it was computed on)."""
    pairs = list(zip(cases, outputs, strict=True))
    result: dict[str, tuple[float, int]] = {}
    bodies = [bag_scores(o.body, c.body) for c, o in pairs if c.body and c.body.strip()]
    if bodies:
        for index, name in enumerate(("body P", "body R", "body F1")):
            result[name] = (sum(b[index] for b in bodies) / len(bodies), len(bodies))
    if any(c.with_ or c.without for c in cases):
        for label, subset in (("English", [p for p in pairs if p[0].english]), ("all", pairs)):
            result.update(_snippet_scores(label, subset))
    titled = [(c, o) for c, o in pairs if c.title]
    result["title exact"] = _share(
        [normal_title(o.title) == normal_title(c.title) for c, o in titled]
    )
    result["title near"] = _share([bag_scores(o.title, c.title)[2] >= 0.9 for c, o in titled])
    authored = [(c, o) for c, o in pairs if c.authors]
    result["author found"] = _share([author_found(o.authors, c.authors) for c, o in authored])
    unauthored = [o for c, o in pairs if c.authors == ""]
    if unauthored:
        result["author invented"] = _share([bool(o.authors) for o in unauthored])
    dated = [(c, o) for c, o in pairs if c.date]
    result["date same day"] = _share([same_day(o.date, c.date) for c, o in dated])
    undated = [o for c, o in pairs if c.date == ""]
    if undated:
        result["date invented"] = _share([bool(o.date) for o in undated])
    return result


def _snippet_scores(label: str, pairs: list[tuple[Case, Output]]) -> dict[str, tuple[float, int]]:
    tp = fn = fp = 0
    for case, output in pairs:
        body = " ".join(output.body.split())
        for snippet in case.with_:
            if " ".join(snippet.split()) in body:
                tp += 1
            else:
                fn += 1
        fp += sum(" ".join(s.split()) in body for s in case.without)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = len(pairs)
    return {
        f"snippets P ({label})": (precision, n),
        f"snippets R ({label})": (recall, n),
        f"snippets F1 ({label})": (f1, n),
    }


# --- report --------------------------------------------------------------------------------


def table(name: str, results: dict[str, dict[str, Any]], *, speed: bool = True) -> str:
    """A markdown table: one row per metric, one column per reader (and speed rows)."""
    readers = list(results)
    lines = [f"**{name}**", "", "| metric | pages | " + " | ".join(readers) + " |"]
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in readers) + " |")
    metrics = results[readers[0]]["metrics"]
    for metric, (_, count) in metrics.items():
        cells = [
            "-" if metric in _NOT_READ.get(r, ()) else f"{results[r]['metrics'][metric][0]:.3f}"
            for r in readers
        ]
        lines.append(f"| {metric} | {count} | " + " | ".join(cells) + " |")
    if not speed:
        return "\n".join(lines)
    rates = [f"{results[r]['pages'] / results[r]['seconds']:.1f}" for r in readers]
    lines.append(f"| pages/s | {results[readers[0]]['pages']} | " + " | ".join(rates) + " |")
    peak = [f"{results[r]['peak']:.0f}" for r in readers]
    lines.append("| peak MiB | | " + " | ".join(peak) + " |")
    return "\n".join(lines)


def _select(cases: list[Case], split: str, limit: int | None) -> list[Case]:
    if split != "all":
        cases = cases[split == "odd" :: 2]
    return cases[:limit] if limit else cases


def _dump(path: Path, set_name: str, cases: list[Case], outputs: dict[str, list[Output]]) -> None:
    with path.open("a", encoding="utf-8") as out:
        for index, case in enumerate(cases):
            record = {"set": set_name, "name": case.name, "title": case.title,
                      "authors": case.authors, "date": case.date}  # fmt: skip
            for reader, found in outputs.items():
                record[reader] = found[index].__dict__ | {"body": found[index].body[:300]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; print the tables and (for the full run) record them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding the sets")
    parser.add_argument("--split", choices=("all", "even", "odd"), default="all")
    parser.add_argument("--limit", type=int, default=None, help="pages per set (for a try)")
    parser.add_argument("--readers", default=",".join(READERS), help="comma-separated")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated")
    parser.add_argument("--no-write", action="store_true", help="leave docs/ alone")
    parser.add_argument("--dump", type=Path, help="append each page's outputs to this JSONL")
    args = parser.parse_args(argv)
    readers, sets = _names(parser, args.readers, READERS), _names(parser, args.sets, SETS)
    loaders = {"readability-test-pages": readability_cases, "trafilatura-eval": trafilatura_cases}
    tables = []
    for set_name in sets:
        cases = _select(loaders[set_name](args.data), args.split, args.limit)
        results: dict[str, dict[str, Any]] = {}
        outputs = {}
        for reader in readers:
            found, seconds, peak = run_reader(reader, [case.path for case in cases])
            outputs[reader] = found
            results[reader] = {"metrics": score(cases, found), "seconds": seconds,
                               "peak": peak, "pages": len(cases)}  # fmt: skip
        if args.dump:
            _dump(args.dump, set_name, cases, outputs)
        tables.append(table(f"{set_name} ({args.split} pages)", results))
        print(tables[-1] + "\n", flush=True)
        if args.split == "all":
            # The held-out half, scored from the same outputs (speed: see the full table).
            odd = {reader: results[reader] | {"metrics": score(cases[1::2], found[1::2])}
                   for reader, found in outputs.items()}  # fmt: skip
            tables.append(table(f"{set_name} (odd pages, held out)", odd, speed=False))
            print(tables[-1] + "\n", flush=True)
    if args.split == "all" and not args.limit and not args.no_write:
        _record(tables)
    return 0


def _names(parser: argparse.ArgumentParser, given: str, known: tuple[str, ...]) -> list[str]:
    names = [name.strip() for name in given.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        parser.error(
            f"unknown {', '.join(unknown) or 'empty list'}: choose from {', '.join(known)}"
        )
    return names


def _record(tables: list[str]) -> None:
    from report import command, machine, update_section

    text = "\n\n".join(tables)
    update_section(
        "extraction",
        f"## Extraction\n\n`{command()}`; {machine()}\n\n{_DEFINITIONS}\n\n{text}\n\n{HISTORY}",
    )


_DEFINITIONS = """\
`ours` is `search.extract.extract_bytes` (what `search index` uses); `trafilatura` is
`trafilatura.bare_extraction` with its defaults, and `readability` is readability-lxml's
`Document.summary()` and `short_title()` (it reads no author or date), each given the same
decoded text. Metrics (details
in the docstring of bench/extraction.py): **body P/R/F1**, bag-of-words overlap with the
expected body, averaged over pages; **snippets P/R/F1**, "with" snippets found and "without"
snippets wrongly found, summed over pages; **title exact**, equal after normalising
white space, quotes and dashes; **title near**, title token F1 >= 0.9; **author found**, all
words of one expected name extracted; **author invented**, an author returned for a page
annotated as having none; **date same day**, the expected calendar day (local or UTC);
**date invented**, a date returned for a page annotated as having none;
**pages/s**, single process, reading time excluded, noisy on a shared machine: compare the
columns of one run. Rules were tuned on even pages; the "odd pages, held out" tables score
the same run on the other half only."""


HISTORY = """Picture captions are read, their credits left out ("Photo: ...", "Jane Doe/Reuters"):
body F1 on readability-test-pages 0.9720 -> 0.9741 (odd half 0.9817 -> 0.9832; it expects the
credits too), trafilatura-eval snippets F1 0.9441 -> 0.9415 in English and 0.9250 -> 0.9210
in all languages. The two sets disagree (Readability.js keeps captions, trafilatura-eval
lists them as noise); captions are read because they name the people and places of the
story, which a search should find. A caption that is a ``<span>`` in the picture's block
("pb-caption") is read too, and a captioned figure inside a paragraph leaves the
paragraph's text in place: 8 pages of 1,120 change (wapo-2's "Western Wall" caption is
found), body F1 0.9741 -> 0.9742, snippets F1 unchanged to four decimals.

Tried on the reader and left out, measured with this script (readability-test-pages
body F1 and odd half; English trafilatura-eval snippets F1), against the reader of the day:

| change | body F1 | odd half | snippets F1 | why left out |
| --- | --- | --- | --- | --- |
| the page's description as the first paragraph when the page prints it | -0.0005 | -0.0008 | +0.0030 | the sets disagree the other way: Readability.js leaves the description out, trafilatura-eval expects it |
| dropping dateline, repeated-title and "Topics:" lines at the top | +0.0004 | +0.0002 | -0.0019 | loses article lines on trafilatura-eval |
| tables that hold tables read as blocks (layout tables) | +0.0004 | +0.0003 | 0 | on real pages it also loses the data of the inner tables (a wiki's schedules) |
| Readability.js's "unlikely candidate" class names removed before extraction | -0.0307 | -0.0472 | -0.0270 | removes article containers |
| readability-lxml as a second opinion where trafilatura's body looks short | | | | its gain came from 5 synthetic pages; English snippets fell; about 45 ms a page more |"""


if __name__ == "__main__":
    sys.exit(main())
