"""Facets and timelines: counts of matching articles per source or per period.

Counts come from the engine's column of each document (the source name, the date), so
they cover every match, not just the page of hits shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from whoosh import sorting
from whoosh.util.times import long_to_datetime

from search.models import Period

__all__ = ["FACETS", "PERIODS", "facet", "fill_timeline", "period_facet"]

FACETS = ("source", "year", "month", "day")
PERIODS = ("day", "week", "month", "year")


def period_start(day: dt.date, by: str) -> dt.date:
    """The first day of the period (of kind ``by``) that holds ``day``."""
    if by == "year":
        return dt.date(day.year, 1, 1)
    if by == "month":
        return dt.date(day.year, day.month, 1)
    if by == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
    return day


def period_label(start: dt.date, by: str) -> str:
    """How a period reads: "2021", "2021-08", "2021-W32" or "2021-08-10"."""
    if by == "year":
        return f"{start.year}"
    if by == "month":
        return f"{start.year}-{start.month:02d}"
    if by == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.isoformat()


def next_period(start: dt.date, by: str) -> dt.date:
    """The first day of the period after the one starting on ``start``."""
    if by == "year":
        return dt.date(start.year + 1, 1, 1)
    if by == "month":
        return dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + dt.timedelta(days=7 if by == "week" else 1)


def period_facet(by: str, no_date: int, *, dated: bool = True) -> sorting.FacetType:
    """A facet that files each document under the start of its period, or None when it
    has no date (``no_date`` is the date column's value for a missing date). Without
    ``dated`` no article has a date and the index has no date column: Whoosh would file
    the documents by their rank among the date words (year 1)."""
    if not dated:
        return sorting.FunctionFacet(lambda searcher, docnum: None)

    def start_of(value: int) -> dt.date | None:
        if value == no_date:
            return None
        return period_start(long_to_datetime(value).date(), by)

    return sorting.TranslateFacet(start_of, sorting.FieldFacet("date"))


def facet(name: str, no_date: int, *, dated: bool = True) -> sorting.FacetType:
    """The engine facet behind a facet name from :data:`FACETS`."""
    if name == "source":
        return sorting.FieldFacet("site")
    return period_facet(name, no_date, dated=dated)


def facet_counts(name: str, groups: Mapping[object, int]) -> tuple[tuple[str, int], ...]:
    """(value, count) pairs, most first, for a facet's raw groups; sources by name,
    periods by label; articles without a value are left out."""
    pairs = []
    for key, count in groups.items():
        if key is None or key == "":
            continue
        label = period_label(key, name) if isinstance(key, dt.date) else str(key)
        pairs.append((label, count))
    if name == "source":
        return tuple(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))
    return tuple(sorted(pairs))


def fill_timeline(groups: Mapping[object, int], by: str) -> tuple[Period, ...]:
    """Every period from the first to the last with a match, empty ones as zero."""
    counts = {key: count for key, count in groups.items() if isinstance(key, dt.date)}
    if not counts:
        return ()
    periods, start, last = [], min(counts), max(counts)
    while start <= last:
        periods.append(Period(period_label(start, by), start, counts.get(start, 0)))
        start = next_period(start, by)
    return tuple(periods)
