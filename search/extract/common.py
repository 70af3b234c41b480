"""Helpers shared by the readers: the internal error, dates, names, tags and white space.

Readers raise :class:`BadInput` with a short human reason; ``search.extract`` turns it into
an :class:`~search.errors.ExtractError` that carries the path.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

__all__ = [
    "BadInput",
    "Report",
    "clean_authors",
    "clean_space",
    "dedupe",
    "host_name",
    "is_address",
    "is_organisation",
    "parse_date",
    "split_tags",
    "web_address",
]

Report = Callable[[str], None]
_ADDRESS = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_WEB_ADDRESS = re.compile(r"https?://[^/\s]+\S*$", re.IGNORECASE)
# A copy the Wayback Machine keeps: web.archive.org/web/<capture time><flag>/<address>. It
# may write the address's "//" as "/", or leave out its scheme.
_ARCHIVED_COPY = re.compile(
    r"https?://(?:web|wayback)\.archive\.org/web/\d{4,14}(?:[a-z]{2}_)?/+(?:(https?):/+)?(\S+)$",
    re.IGNORECASE,
)


class BadInput(Exception):
    """The input gives no article, for ``reason`` (a short phrase shown to users)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def is_address(text: str) -> bool:
    """True for a web address given where a name belongs: "https://www.fr.de", "www.kas.de"."""
    return bool(_ADDRESS.match(text))


def web_address(value: object) -> str:
    """``value`` if it is a web address (http or https), else "". For a copy the Wayback
    Machine keeps, the address of the page itself: the article's own url and site
    ("https://web.archive.org/web/20190717140047/http://example.com/a" gives
    "http://example.com/a")."""
    text = value.strip() if isinstance(value, str) else ""
    if not _WEB_ADDRESS.match(text):
        return ""
    archived = _ARCHIVED_COPY.match(text)
    if archived:
        scheme, rest = archived.groups()
        original = f"{(scheme or 'http').lower()}://{rest}"
        return original if _WEB_ADDRESS.match(original) else text
    return text


def host_name(address: str) -> str:
    """The host of a URL or of a bare "www." address, without "www." ("" if malformed)."""
    with_scheme = address if "://" in address else "//" + address
    try:
        host = urlsplit(with_scheme).hostname or ""
    except ValueError:  # a malformed address ("http://[x")
        return ""
    return host.removeprefix("www.")


def clean_space(text: str) -> str:
    """Return ``text`` with runs of white space (including NBSP) collapsed to one space."""
    return " ".join(text.split())


def dedupe(values: Iterable[str]) -> tuple[str, ...]:
    """Return the non-empty values in first-seen order, dropping case-insensitive repeats."""
    seen: set[str] = set()
    kept = []
    for value in values:
        key = value.casefold()
        if value and key not in seen:
            seen.add(key)
            kept.append(value)
    return tuple(kept)


def split_tags(values: Iterable[str], *, limit: int = 50) -> tuple[str, ...]:
    """Return tags from comma-separated strings, cleaned and de-duplicated (at most ``limit``)."""
    tags = (clean_space(part) for value in values for part in re.split(r"[,;]", value))
    return dedupe(tag for tag in tags if len(tag) <= 100)[:limit]


# --- dates ---------------------------------------------------------------------------------

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?(Z)?")
_WORD_FORMATS = (
    "%B %d %Y",
    "%b %d %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%A %B %d %Y",
    "%A %d %B %Y",
    "%a %b %d %Y",
    "%a %d %b %Y",
    "%B %d %Y %I:%M %p",
    "%b %d %Y %I:%M %p",
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M",
    "%m/%d/%Y",
)
# "14.08.2021", "14/08/2021 10:32": day first, but with slashes the month comes first when
# the first number can be a month ("08/14/2021", as in the United States).
_NUMERIC_DATE = re.compile(
    r"(\d{1,2})([./])(\d{1,2})[./](\d{4})(?:,?\s+(?:um\s+)?(\d{1,2})[:.h](\d{2})(?:\s*uhr)?)?",
    re.IGNORECASE,
)
# "2021年8月14日", "2021년 8월 14일 10:32".
_CJK_DATE = re.compile(
    r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]"
    r"(?:\s*(\d{1,2})\s*[:時시]\s*(\d{2})\s*分?)?"
)
_CLOCK = re.compile(r"\b(\d{1,2})[:.h](\d{2})\b(?:\s*uhr)?", re.IGNORECASE)
_MONTH_NAMES = (
    # English, German, French, Spanish, Italian, Portuguese, Dutch; short forms too.
    "january jan januar janvier enero gennaio janeiro januari jänner",
    "february feb februar février fevrier febrero febbraio fevereiro februari",
    "march mar märz maerz mars marzo março maart",
    "april apr avril abril aprile",
    "may mai mayo maggio maio mei",
    "june jun juni juin junio giugno junho",
    "july jul juli juillet julio luglio julho",
    "august aug août aout agosto augustus",
    "september sep sept septembre septiembre setiembre settembre setembro",
    "october oct oktober octobre octubre ottobre outubro",
    "november nov novembre noviembre novembro",
    "december dec dez dezember décembre decembre diciembre dicembre dezembro",
)
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names.split()}
# What may stand beside a date's parts: weekdays, "de", "um", "the", "am"/"pm", zones.
_DATE_WORDS = frozenset(
    "de del of the on at um le la el à a am pm uhr h utc gmt cet cest est edt pst pdt ist bst"
    " monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun"
    " montag dienstag mittwoch donnerstag freitag samstag sonntag"
    " lundi mardi mercredi jeudi vendredi samedi dimanche"
    " lunes martes miércoles jueves viernes sábado domingo".split()
)
# Dates outside this span are almost always parsing accidents (ids, prices, "0000-00-00").
_MIN_YEAR, _MAX_YEAR = 1800, 2200


def parse_date(value: object) -> dt.datetime | None:
    """Return ``value`` (ISO or RFC 2822 text, "August 11, 2021", epoch seconds or ms) as a
    naive datetime, or None when it cannot be read. Date-only values give midnight.

    Text keeps the date and time it states, in its own time zone: a UTC offset is dropped,
    not applied, so "2022-05-03T23:30-05:00" stays on 3 May, the day the publisher printed
    (converting it to UTC would move it to 4 May). Epoch numbers carry no zone: UTC.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _from_epoch(float(text))
    try:
        parsed = _parse_text(text)
    except (ValueError, OverflowError):
        return None
    return _to_naive(parsed) if parsed else None


def _parse_text(text: str) -> dt.datetime | None:
    match = _ISO.match(text) or _COMPACT.fullmatch(text)
    if match:
        return _from_iso_match(match)
    if re.match(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d", text):
        try:
            return email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    numeric = _NUMERIC_DATE.fullmatch(text)
    if numeric:
        return _from_numeric(numeric)
    cjk = _CJK_DATE.fullmatch(text)
    if cjk:
        year, month, day, hour, minute = (int(part or 0) for part in cjk.groups())
        return dt.datetime(year, month, day, hour, minute)
    return _parse_words(text) or _parse_named_month(text)


def _from_numeric(match: re.Match[str]) -> dt.datetime:
    first, separator, second, year, hour, minute = match.groups()
    day, month = int(first), int(second)
    if separator == "/" and day <= 12:
        day, month = month, day  # "08/14/2021": month first, as in the United States
    return dt.datetime(int(year), month, day, int(hour or 0), int(minute or 0))


def _parse_named_month(text: str) -> dt.datetime | None:
    """ "14 août 2021", "14 de agosto de 2021, 10:32", "Samstag, 14. August 2021 um 10.32
    Uhr": a day, a month name (in the languages of the pages we read), a year, perhaps a
    time, and nothing else but weekdays and little words."""
    clock = _CLOCK.search(text)
    rest = _CLOCK.sub(" ", text) if clock else text
    tokens = re.findall(r"\w+", rest.lower())
    days = [int(t) for t in tokens if t.isdigit() and len(t) <= 2 and 1 <= int(t) <= 31]
    years = [int(t) for t in tokens if t.isdigit() and len(t) == 4]
    months = [_MONTHS[t] for t in tokens if t in _MONTHS]
    other = [t for t in tokens if not t.isdigit() and t not in _MONTHS and t not in _DATE_WORDS]
    if len(days) != 1 or len(years) != 1 or len(months) != 1 or other:
        return None
    hour, minute = (int(clock.group(1)), int(clock.group(2))) if clock else (0, 0)
    return dt.datetime(years[0], months[0], days[0], hour, minute)


def _from_iso_match(match: re.Match[str]) -> dt.datetime:
    year, month, day, hour, minute, second, zone = match.groups()
    if not _MIN_YEAR <= int(year) <= _MAX_YEAR:
        raise ValueError(year)
    tzinfo = _zone(zone) if zone else None
    return dt.datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
        tzinfo=tzinfo,
    )  # fmt: skip


def _zone(zone: str) -> dt.timezone:
    if zone == "Z":
        return dt.timezone.utc
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return dt.timezone(sign * offset)


def _parse_words(text: str) -> dt.datetime | None:
    # "Aug. 11, 2021", "11th August 2021 at 10:30 AM": normalise before trying the formats.
    words = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
    words = re.sub(r"\s+(at|-|\u2013|\|)\s+", " ", words)
    words = clean_space(re.sub(r"[.,]", " ", words))
    words = re.sub(r"\s+(UTC|GMT|Z)$", "", words, flags=re.IGNORECASE)
    for fmt in _WORD_FORMATS:
        try:
            return dt.datetime.strptime(words, fmt)
        except ValueError:
            continue
    return None


def _from_epoch(value: float) -> dt.datetime | None:
    # Milliseconds since 1970 have 13 digits; seconds have 10 until the year 2286.
    seconds = value / 1000 if abs(value) >= 1e11 else value
    try:
        stamp = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return _to_naive(stamp)


def _to_naive(value: dt.datetime) -> dt.datetime | None:
    # The local wall-clock time: the day a reader of the page saw (see parse_date).
    if not _MIN_YEAR <= value.year <= _MAX_YEAR:
        return None
    return value.replace(tzinfo=None)


# --- authors -------------------------------------------------------------------------------

# Words that make a comma part a job title ("Jane Roe, Staff Writer") rather than a name.
_ROLE_WORDS = frozenset(
    [
        "writer",
        "reporter",
        "correspondent",
        "editor",
        "contributor",
        "columnist",
        "journalist",
        "photographer",
        "producer",
        "analyst",
        "intern",
        "staff",
        "senior",
        "chief",
        "associate",
        "contributing",
        "special",
        "director",
        "photojournalist",
        "technologist",
        "fellow",
        "professor",
        "researcher",
        "ma",
        "md",
        "phd",
        "mph",
        "rn",
        # The same jobs in the other languages of the pages we read.
        "journalistin",
        "kolumnist",
        "kolumnistin",
        "korrespondent",
        "korrespondentin",
        "redakteur",
        "redakteurin",
        "reporterin",
        "fotograf",
        "fotografin",
        "journaliste",
        "chroniqueur",
        "chroniqueuse",
        "correspondant",
        "correspondante",
        "periodista",
        "columnista",
        "corresponsal",
    ]
)
# Words that make a byline an organisation ("Newsweek Pakistan", "Web Desk", "AFP").
_ORG_WORDS = frozenset(
    [
        "news",
        "newsweek",
        "times",
        "post",
        "press",
        "agency",
        "reuters",
        "afp",
        "ap",
        "ani",
        "pti",
        "ians",
        "upi",
        "dpa",
        "xinhua",
        "staff",
        "desk",
        "bureau",
        "correspondent",
        "correspondents",
        "tribune",
        "herald",
        "journal",
        "daily",
        "media",
        "network",
        "wire",
        "gazette",
        "magazine",
        "team",
        "editorial",
        "service",
        "services",
        "associated",
        "newsroom",
        "online",
        "bulletin",
        "chronicle",
        "telegraph",
        "guardian",
        "reporter",
        "reporters",
    ]
)
_NOT_NAMES = frozenset(
    [
        "no author",
        "admin",
        "administrator",
        "unknown",
        "anonymous",
        "an\u00f3nimo",
        "guest",
        "name",
        "publisher",
        "super user",
        "unbenannt",
        # Labels read in place of the name they stand beside.
        "author",
        "autor",
        "autorin",
        "text",
        "datum",
        "follow",
    ]
)
# A legal form ("Example GmbH", "Acme Ltd", "Verein e.V.") or a copyright notice names a
# company: publishers put it in the author meta tag when no person wrote the page.
# "AG", "Inc" and "e.V." count only at the end of a name, where legal forms go ("E.V. Rieu"
# is a person).
_COMPANY = re.compile(
    r"\b(?:gmbh|ltd|llc|plc|copyright)\b|\u00a9|\b(?:ag|kg|inc|e\.\s?v)\.?(?:$|\s*[,;&(])",
    re.IGNORECASE,
)
_BY_PREFIX = re.compile(
    r"^(?:(?:written|posted|reported|story|text|words|view all posts|view posts|"
    r"more (?:posts|articles|stories)|articles?|stories|posts?|post author)\s+)?by(?:[:\s]+|$)|"
    r"^(?:author|authors|byline|written by|reporting by|interview)\s*[:\-]\s*|"
    # The same credits in the other languages of the pages we read (German, French, ...).
    r"^(?:(?:text|ver\u00f6ffentlicht|geschrieben|verfasst|erstellt|artikel|beitrag|"
    r"(?:zeige )?alle beitr\u00e4ge|zum profil|publi\u00e9|\u00e9crit|escrito|publicado|scritto|"
    r"pubblicato)\s+)?(?:von|par|por|di|door|av|af)(?:[:\s]+|$)|"
    r"^(?:autor|autorin|auteur|autore|autores|redakteur|redakteurin)\s*[:\-]?\s+",
    re.IGNORECASE,
)
# What follows a name on many bylines: a second credit, a job, a date or "Updated 10:30".
_BYLINE_TRAILER = re.compile(
    r"\s+(?:[|\u2022\u00b7]|-{1,2}|\u2013|\u2014)\s+"
    r"|\b(?:edited|photographs?|photos?|fotos?|illustrations?|additional reporting|updated"
    r"|published|posted)"
    r"\b.*|\s(?:on\s+)?(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b.*"
    r"|\s(?:on\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d.*",
    re.IGNORECASE,
)
# A host name ("example.com", "ORF.at") or a user name with a dot is not a person's name.
_NOT_NAME = re.compile(r"https?://|www\.|@|\d|[<>{}\[\]=]|\w\.[a-z]{2,}\b")


def clean_authors(values: Iterable[str]) -> tuple[str, ...]:
    """Return author names from raw bylines: "By A and B, Staff Writer" -> ("A", "B").

    Drops "By", job titles and everything after them, dates, e-mail addresses and urls;
    splits on "and", "&", commas and semicolons; removes repeats.
    """
    names: list[str] = []
    for value in values:
        names.extend(_split_byline(value))
    # A job given as a name of its own after a name: "Jan Roe", "Deutscher Journalist".
    names = names[:1] + [name for name in names[1:] if not _names_a_job(name)]
    return dedupe(names)[:10]


def _names_a_job(name: str) -> bool:
    # Degrees ("MA", "MD") are left out: "Ma" is also a family name.
    words = (word.lower().strip(".") for word in name.split())
    return any(len(word) > 3 and word in _ROLE_WORDS for word in words)


def _split_byline(value: str) -> list[str]:
    if _COMPANY.search(value):
        return []
    # Meta tags escaped twice keep an entity: "Redacci&oacute;n".
    text = _BY_PREFIX.sub("", clean_space(html.unescape(value) if "&" in value else value))
    text = _BYLINE_TRAILER.split(text, maxsplit=1)[0]
    names = []
    parts = re.split(r"\s*(?:,|;|\s&\s|\s(?:and|und|et|y|e)\s)\s*", text)
    for index, part in enumerate(parts):
        words = [word.lower().strip(".") for word in part.split()]
        if index and any(word in _ROLE_WORDS for word in words):
            # "Jane Roe, Senior Staff Technologist, ACLU Project": the rest is affiliation.
            # A role in the first part is the whole credit ("By Staff Writer"): kept.
            break
        name = _clean_name(part)
        if name:
            names.append(name)
    return names


def _clean_name(part: str) -> str:
    name = _BY_PREFIX.sub("", part).strip(" .:-\u2013\u2014")
    words = name.split()
    if not words or len(words) > 6 or _NOT_NAME.search(name) or name.lower() in _NOT_NAMES:
        return ""
    if all(len(word.strip(".")) <= 1 for word in words):
        return ""
    return name


def is_organisation(name: str) -> bool:
    """Return True when a byline names an organisation or a desk rather than a person."""
    words = re.findall(r"[A-Za-z]+", name)
    return any(word.lower() in _ORG_WORDS for word in words)
