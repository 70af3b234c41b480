"""HTML pages -> Article: trafilatura for the body, one lxml tree for everything else.

The page is parsed once. Metadata comes from JSON-LD, OpenGraph/meta tags, ``<time>`` and
byline elements on that tree; the date from htmldate on the same tree, with the page's
stated date as a fallback and for the time of day; the body from trafilatura given the same
tree (it copies the tree before pruning it; see ``body.py``). A page of more than
MAX_ELEMENTS elements gets only the metadata of its JSON-LD and meta tags, and all its
paragraphs. htmldate is imported on first use because its import takes a second or two.
Nothing here touches the network.

``Article.date`` is naive and holds the date and time as the page states them, in the
page's own time zone (see :func:`~search.extract.common.parse_date`): the calendar day is the
publisher's, which is what readers and "published on" searches mean.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import lxml.etree
import lxml.html
import trafilatura.metadata

from search.extract.body import article_body, every_paragraph, paragraphs
from search.extract.common import (
    BadInput,
    Report,
    clean_authors,
    clean_space,
    host_name,
    is_address,
    parse_date,
    split_tags,
    web_address,
)
from search.models import Article

__all__ = ["MAX_ELEMENTS", "extract_html", "html_to_text"]

MAX_HTML_CHARS = 5_000_000
# News pages hold a few thousand elements (1,113 real pages: median 691, largest 10,106).
# Past this, a page built to be huge would keep trafilatura, htmldate and the byline
# searches busy for minutes: only its metadata and its paragraphs are read.
MAX_ELEMENTS = 30_000
# libxml2 stops building the tree at this depth; whatever is nested deeper is lost.
_MAX_DEPTH_ERROR = "Excessive depth"
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_ARTICLE_TYPES = frozenset(
    [
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "blogposting",
        "socialmediaposting",
        "liveblogposting",
        "scholarlyarticle",
        "techarticle",
        "report",
        "webpage",
    ]
)
# Some CMSs wrap script contents for old XHTML parsers: "<![CDATA[ {...} ]]>", "<!-- -->".
_LD_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")
# A date-time with a UTC offset other than zero: "+01:00", "-0500" (not "+00:00" or "Z").
_LOCAL_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*[+-](?!00:?00)\d{2}:?\d{2}$")
_TWO_DAYS = dt.timedelta(days=2)
_ORGANISATION_TYPES = frozenset(["organization", "newsmediaorganization", "corporation"])
# Meta tags that hold bylines, as publishers and their CMSs (Parse.ly, Sailthru) name them.
_META_AUTHORS = (
    "author",
    "dc.creator",
    "dcterms.creator",
    "parsely-author",
    "sailthru.author",
    "article:author_name",
    "byl",
)
_AUTHOR_LABELS = frozenset(["written by", "author", "verfasst von", "geschrieben von", "autor"])
# A value the site's template system left unfilled: "{$plugin.tx_news.opengraph.site_name}".
_TEMPLATE = re.compile(r"\{\{|\}\}|\{\$|\{%|%\}|<%|%>|\$\{")
_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|\u2013|\u2014|::|\u00bb|\u00b7|:)\s+")
_BYLINE_XPATH = (
    "//*[@itemprop='author' or @rel='author' or contains(@class, 'byline') "
    "or contains(@class, 'author-name') or contains(@class, 'article-author') "
    "or contains(@data-testid, 'byline') or contains(@id, 'byline')]"
    # Reader comments carry bylines of their own.
    "[not(ancestor::*[contains(@class, 'comment') or contains(@id, 'comment')])]"
)
# Short visible credits: "By Jane Roe", "von Daniela Obers", "Text von Jan Koch | 3. Mai".
_CREDIT_XPATH = (
    "//body//*[self::p or self::span or self::em or self::i or self::strong or self::b "
    "or self::small or self::address or self::div or self::li]"
    "[string-length(normalize-space(.)) < 90]"
)
_CREDIT = re.compile(
    r"^(?i:(?:text|written|story|reported|words)\s+)?(?i:by|von|par|por|door|di)\s*:?\s+"
    r"[A-Z\u00c0-\u00de][\w.'\u2019-]*\s+(?:[A-Z\u00c0-\u00de][\w.'\u2019-]*\s+){0,2}"
    r"[A-Z\u00c0-\u00de][\w'\u2019-]+\b"
)


def extract_html(text: str, *, path: str, report: Report) -> Article:
    """Return the article in the HTML page ``text``.

    Raises :class:`BadInput` ("no article text found") when the page has neither body text
    nor a title with a description.
    """
    tree = parse_html(text, report)
    elements = int(tree.xpath("count(//*)"))
    huge = elements > MAX_ELEMENTS
    if huge:
        report(f"markup of {elements:,} elements: only its metadata and paragraphs were read")
    page = _Page(tree, markup=not huge)
    url = page.url()
    title = page.title()
    summary = page.summary()
    authors = page.authors()
    date = page.date() if huge else _date(tree, page, url)
    body = _drop_leading_title(every_paragraph(tree) if huge else article_body(tree), title)
    if not body and not (title and summary):
        raise BadInput("no article text found")
    return Article(
        id=url or path,
        title=title,
        body=body,
        authors=authors,
        source=page.source(url),
        date=date,
        url=url,
        summary=summary,
        tags=page.tags(),
        language=page.language(),
        path=path,
    )


def parse_html(text: str, report: Report) -> lxml.html.HtmlElement:
    """Return the lxml tree of ``text``, cut to 5 MB; report cuts through ``report``.

    Raises :class:`BadInput` when nothing could be parsed.
    """
    if len(text) > MAX_HTML_CHARS:
        text = text[:MAX_HTML_CHARS]
        report("page truncated to 5 MB")
    # Parse UTF-8 bytes with a fixed encoding: lxml refuses str input that carries an XML
    # encoding declaration, and a stale <meta charset> must not re-decode what we decoded.
    data = _XML_DECLARATION.sub("", text, count=1).encode("utf-8", errors="replace")
    parser = lxml.html.HTMLParser(
        encoding="utf-8", collect_ids=False, default_doctype=False, remove_comments=True,
        remove_pis=True,
    )  # fmt: skip
    try:
        tree = lxml.html.document_fromstring(data, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise BadInput("no article text found") from exc
    if any(_MAX_DEPTH_ERROR in entry.message for entry in parser.error_log):
        report("markup nested more than 256 levels deep: the deeper part was dropped")
    return tree


def _drop_leading_title(body: str, title: str) -> str:
    # trafilatura keeps the <h1>; the title field already holds it, and a repeat would
    # double the title's weight in the body.
    first, _, rest = body.partition("\n\n")
    return rest if title and first == title else body


def html_to_text(markup: str) -> str:
    """Return the text of an HTML fragment, block elements as paragraphs (blank lines)."""
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return clean_space(re.sub(r"<[^>]+>", " ", markup))
    for node in root.iter("script", "style"):
        node.drop_tree()
    for node in root.iter("br"):
        # A line break inside a paragraph, not a new paragraph.
        node.tail = " " + (node.tail or "")
    for node in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "blockquote", "tr"):
        node.tail = "\n" + (node.tail or "")
    return paragraphs(root.text_content())


def _date(tree: lxml.html.HtmlElement, page: _Page, url: str) -> dt.datetime | None:
    """The publication date: htmldate's day, with the page's stated time when they agree.

    htmldate with ``original_date=True`` finds the first-published day more often than the
    JSON-LD and meta dates, which are often a later edit (same day on 0.865 of the dated
    trafilatura-eval pages instead of 0.848). Its slow extensive search, which loads
    dateparser's locales, runs only when neither finds a date.

    Two exceptions, where htmldate's search for the original date picks an earlier day
    found elsewhere (a url, a UTC rendering): a stated date with a local UTC offset
    ("...T18:37+01:00") one day away from htmldate's is the publisher's own calendar day;
    and a date stated only by a ``<time>`` element is the one the page shows its readers.
    """
    found = _htmldate(tree, url, extensive=False)
    stated, text, origin = page.stated_date()
    if found is None:
        return stated or _not_a_bare_year(_htmldate(tree, url, extensive=True))
    if stated is not None and stated.date() == found.date():
        return stated  # the same day: the stated date also has the time of day
    if stated is not None and abs(stated - found) < _TWO_DAYS and _LOCAL_OFFSET.search(text):
        return stated
    if stated is not None and origin == "markup":
        return stated
    return found


def _not_a_bare_year(found: dt.datetime | None) -> dt.datetime | None:
    # The extensive search turns a lone year ("(c) 2019", a CSS class "mjx-c2026") into
    # January 1. Of the 40 such dates it gave on the 1,120 pages of bench/extraction.py's
    # two sets, none was right: 25 were on pages annotated as undated.
    if found is not None and (found.month, found.day, found.time()) == (1, 1, dt.time()):
        return None
    return found


def _htmldate(tree: lxml.html.HtmlElement, url: str, *, extensive: bool) -> dt.datetime | None:
    # Slow first import (1-2 s): imported on first use, once per process.
    from htmldate import find_date

    found = find_date(
        tree, url=url or None, original_date=True, extensive_search=extensive,
        outputformat="%Y-%m-%dT%H:%M:%S",
    )  # fmt: skip
    return parse_date(found) if found else None


class _Page:
    """Metadata look-ups on one parsed page: JSON-LD first, then meta tags, then markup
    (bylines and credits only when ``markup``)."""

    def __init__(self, tree: lxml.html.HtmlElement, *, markup: bool = True) -> None:
        self.tree = tree
        self.markup = markup
        self.meta = _meta_tags(tree)
        self.ld, self.ld_ids = _json_ld_article(tree)

    def first_meta(self, *names: str) -> str:
        for name in names:
            for value in self.meta.get(name, ()):
                if value:
                    return value
        return ""

    def ld_text(self, key: str) -> str:
        value = self.ld.get(key)
        if isinstance(value, dict):
            value = value.get("name") or value.get("@id")
        return clean_space(value) if isinstance(value, str) else ""

    def title(self) -> str:
        """The headline: JSON-LD, Dublin Core, og:title (or Twitter's, or Parse.ly's), then
        ``<title>`` without the site's name, then ``<h1>``; the ``<h1>`` wins when a page
        title is that heading plus site furniture ("Politics: <h1> | Site")."""
        site = self.site_name()
        page_titles = (
            self._ld_headline(),
            self.first_meta("dc.title", "dcterms.title"),
            self.first_meta("og:title", "twitter:title", "parsely-title"),
            clean_space(self.tree.findtext(".//title") or ""),
        )
        heading = self._h1()
        chosen = next((_strip_site(t, site) for t in page_titles if t), "") or heading
        if heading and heading != chosen and _is_segment(heading, page_titles):
            return heading
        return _unescape(chosen)

    def _ld_headline(self) -> str:
        # Some JSON-LD "headline"s hold the page's one-line description instead (reference
        # sites do this): a headline that shares no word with the page's other titles and
        # its heading is not used.
        headline = self.ld_text("headline")
        others = [
            self.first_meta("og:title", "twitter:title"),
            self.tree.findtext(".//title") or "",
            self._h1(),
        ]
        others = [title for title in others if title.strip()]
        if not headline or not others:
            return headline
        words = set(re.findall(r"\w+", headline.casefold()))
        shared = any(words & set(re.findall(r"\w+", title.casefold())) for title in others)
        return headline if shared else ""

    def _h1(self) -> str:
        heading = self.tree.find(".//h1")
        return clean_space(heading.text_content()) if heading is not None else ""

    def authors(self) -> tuple[str, ...]:
        """The first source that names a person: JSON-LD, meta tags, then the page's bylines;
        an organisation named as JSON-LD author only when nothing else names anyone."""
        people, organisations = self._ld_authors()
        urls = re.compile(r"^https?://|^/")
        site_names: list[str] = []
        for values in (
            lambda: people,
            lambda: [v for name in _META_AUTHORS for v in self.meta.get(name, ())],
            lambda: [v for v in self.meta.get("article:author", ()) if not urls.match(v)],
            self._labelled_author,
            *((self._bylines, self._marked_authors, self._credits) if self.markup else ()),
            lambda: organisations,
        ):
            names = clean_authors(values())
            # The site's own name as author ("The Economist" on economist.com) is what a
            # CMS fills in when no one signed: kept only if no source names anyone else.
            people_named = [name for name in names if not self._is_site(name)]
            if people_named:
                return tuple(people_named)
            site_names = site_names or list(names)
        return tuple(site_names)

    def _is_site(self, name: str) -> bool:
        """True when ``name`` is the site's name or its host name ("Example News", "example")."""
        key = _squeezed(name)
        site = _squeezed(self.site_name())
        host = host_name(self.url()).rpartition(".")[0]
        if not key:
            return False
        if key == _squeezed(host) or key == site:
            return True
        return len(key) > 3 and bool(site) and (key in site or site in key)

    def _ld_authors(self) -> tuple[list[str], list[str]]:
        """Names of the JSON-LD article's authors: (people, organisations).

        An author given only as ``{"@id": ...}`` is looked up among the page's other JSON-LD
        nodes (Yoast's "@graph" names the person once, in a node of its own).
        """
        people: list[str] = []
        organisations: list[str] = []
        for key in ("author", "creator"):
            value = self.ld.get(key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and "name" not in item:
                    item = self.ld_ids.get(str(item.get("@id")), item)
                names = _ld_names(item)
                kinds = item.get("@type") if isinstance(item, dict) else None
                kinds = kinds if isinstance(kinds, list) else [kinds]
                organisation = any(
                    isinstance(kind, str) and kind.lower() in _ORGANISATION_TYPES for kind in kinds
                )
                (organisations if organisation else people).extend(names)
        return people, organisations

    def _labelled_author(self) -> list[str]:
        # WordPress (Yoast) pages label the author for link previews: twitter:label1
        # "Written by" / "Verfasst von", twitter:data1 the name.
        for number in "12":
            label = self.first_meta(f"twitter:label{number}").casefold()
            if label in _AUTHOR_LABELS:
                return [self.first_meta(f"twitter:data{number}")]
        return []

    def _marked_authors(self) -> list[str]:
        # trafilatura's author look-up: elements marked as bylines, outside comments,
        # dates and figures. It works on its own copy of the tree.
        found = trafilatura.metadata.extract_author(self.tree)
        return found.split("; ") if found else []

    def _bylines(self) -> list[str]:
        # The first element marked as a byline that holds a name: a byline class often
        # also marks the date line or the "More from" box next to it.
        for node in self.tree.xpath(_BYLINE_XPATH):
            name = node.find(".//*[@itemprop='name']")
            text = _spaced_text(name if name is not None else node)
            if 0 < len(text) <= 120 and clean_authors([text]):
                return [text]
        return []

    def _credits(self) -> list[str]:
        # The first short element that reads "By Jane Roe": the prefix in any case, then
        # two to four capitalised words, and nothing but a credit once cleaned.
        for node in self.tree.xpath(_CREDIT_XPATH):
            text = clean_space(node.text_content())
            if not _CREDIT.match(text):
                continue
            names = clean_authors([text])
            if names and all(word[0].isupper() for name in names for word in name.split()):
                return list(names)
        return []

    def site_name(self) -> str:
        """The publication's name: og:site_name, the JSON-LD publisher, application-name.
        Some sites give their address there ("https://www.fr.de"): a name that follows is
        preferred, and an address alone gives its host ("fr.de")."""
        publisher = _ld_names(self.ld.get("publisher"))
        candidates = (
            self.first_meta("og:site_name"),
            publisher[0] if publisher else "",
            self.first_meta("application-name"),
        )
        names = [name for name in candidates if name and not _TEMPLATE.search(name)]
        if not names:
            return ""
        return next((name for name in names if not is_address(name)), host_name(names[0]))

    def source(self, url: str) -> str:
        site = self.site_name()
        if not site:
            return host_name(url)
        return _publication(site, url) if url else site

    def date(self) -> dt.datetime | None:
        """The first publication date the page states (JSON-LD, meta tags, ``<time>``)."""
        return self.stated_date()[0]

    def stated_date(self) -> tuple[dt.datetime | None, str, str]:
        """The page's stated publication date, the text it was read from and where from:
        "metadata" (JSON-LD, meta tags) or "markup" (a ``<time>`` element)."""
        for value, origin in (
            (self.ld_text("datePublished"), "metadata"),
            (self.first_meta(
                "article:published_time", "og:published_time", "datepublished",
                "date", "pubdate", "publishdate", "dc.date", "dc.date.issued",
                "dcterms.created", "parsely-pub-date", "sailthru.date",
            ), "metadata"),
            (self.ld_text("dateCreated"), "metadata"),
            (self._time_element(), "markup"),
        ):  # fmt: skip
            parsed = parse_date(value) if value else None
            if parsed:
                return parsed, value, origin
        return None, "", ""

    def _time_element(self) -> str:
        stamps = self.tree.xpath(
            "//time[@pubdate or @itemprop='datePublished']/@datetime | //time/@datetime"
        )
        return str(stamps[0]) if stamps else ""

    def url(self) -> str:
        links = self.tree.xpath("//link[@rel='canonical']/@href")
        values = [*map(str, links), self.first_meta("og:url"), self.ld_text("url")]
        return next(filter(None, map(web_address, values)), "")

    def summary(self) -> str:
        return clean_space(
            self.first_meta("og:description", "description", "twitter:description")
            or self.ld_text("description")
        )

    def tags(self) -> tuple[str, ...]:
        keywords = self.ld.get("keywords")
        ld_tags = keywords if isinstance(keywords, list) else [keywords]
        values = [
            *self.meta.get("article:tag", ()),
            *self.meta.get("news_keywords", ()),
            *self.meta.get("keywords", ()),
            *(tag for tag in ld_tags if isinstance(tag, str)),
        ]
        return split_tags(values)

    def language(self) -> str:
        lang = self.tree.get("lang") or self.tree.get("{http://www.w3.org/XML/1998/namespace}lang")
        lang = lang or self.first_meta("og:locale", "content-language", "language")
        return _language_code(lang or "")


def _meta_tags(tree: lxml.html.HtmlElement) -> dict[str, tuple[str, ...]]:
    """Meta tag contents by lower-case key, in document order.

    A property may list several keys ("og:title twitter:title"), and Dublin Core keys are
    spelt "dc:title" or "DC.title": both become "dc.title".
    """
    found: dict[str, list[str]] = {}
    for node in tree.iterfind(".//meta"):
        content = node.get("content")
        keys = node.get("property") or node.get("name") or node.get("itemprop")
        keys = keys or node.get("http-equiv")
        if keys and content:
            for key in keys.split():
                found.setdefault(_meta_key(key), []).append(clean_space(content))
    return {key: tuple(values) for key, values in found.items()}


def _meta_key(key: str) -> str:
    key = key.strip().lower()
    return re.sub(r"^(dc|dcterms?):", r"\1.", key)


def _json_ld_article(tree: lxml.html.HtmlElement) -> tuple[dict[str, Any], dict[str, Any]]:
    """The page's JSON-LD article node (or {}) and every JSON-LD node by its "@id"."""
    article: dict[str, Any] = {}
    ids: dict[str, Any] = {}
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(_LD_WRAPPER.sub("", script), strict=False)
        except (ValueError, RecursionError):
            continue
        for node in _ld_nodes(data, depth=0):
            if isinstance(node.get("@id"), str):
                ids.setdefault(node["@id"], node)
            if not article and _ld_is_article(node):
                article = node
    return article, ids


def _ld_nodes(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    # JSON-LD nests articles in lists and "@graph"; a depth cap keeps hostile data cheap.
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        yield from _ld_nodes(data.get("@graph"), depth + 1)


def _ld_is_article(node: dict[str, Any]) -> bool:
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    typed = any(isinstance(kind, str) and kind.lower() in _ARTICLE_TYPES for kind in kinds)
    return typed and bool(node.get("headline") or node.get("datePublished"))


def _ld_names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = []
    for item in values:
        if isinstance(item, dict):
            item = item.get("name")
        if isinstance(item, str):
            names.append(clean_space(item))
    return names


def _strip_site(title: str, site: str) -> str:
    """Drop a " | Site" or " - Site" suffix (or prefix) from a page title."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site_key = site.casefold()
    if site_key and parts[-1].casefold() == site_key:
        return " - ".join(parts[:-1]) if len(parts) > 2 else parts[0]
    if site_key and parts[0].casefold() == site_key:
        return " - ".join(parts[1:])
    # No site name to compare: a short last part after the separator is the site's name.
    last = parts[-1]
    if len(last.split()) <= 4 and len(last) < len(title) / 2 and not last.endswith("?"):
        return title[: title.rfind(last)].rstrip(" |-\u2013\u2014:\u00bb\u00b7")
    return title


def _is_segment(heading: str, titles: tuple[str, ...]) -> bool:
    """True when one of ``titles`` is ``heading`` with a few words of furniture around it."""
    if len(heading.split()) < 3:
        return False
    key = heading.casefold()
    for title in titles:
        folded = title.casefold()
        if key in folded and folded != key:
            rest = folded.replace(key, " ", 1)
            if len(rest.split()) <= 8 and re.search(r"[|:\-\u2013\u2014\u00bb\u00b7/]", rest):
                return True
    return False


def _spaced_text(node: lxml.html.HtmlElement) -> str:
    # text_content() glues neighbouring elements: "<span>By</span><a>Jane Roe</a>" would
    # read "ByJane Roe".
    return clean_space(" ".join(node.itertext()))


def _squeezed(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _publication(site: str, url: str) -> str:
    """The publication's name in a site name that says more: its tagline ("scinexx | Das
    Wissensmagazin") or the article's title ("Achtsam durch die Krise | Die FURCHE").
    Of its parts, the one the url's host names is kept."""
    host = host_name(url)
    parts = [part for part in _TITLE_SEPARATORS.split(site) if _folded(part)]
    labels = [_folded(label) for label in host.split(".")[:-1] if len(label) > 2]
    named = [
        part
        for part in parts
        if _folded(part) in _folded(host) or any(label in _folded(part) for label in labels)
    ]
    return named[0] if len(parts) > 1 and len(named) == 1 else site


def _folded(text: str) -> str:
    # Letters and digits only, without accents: "La Prensa Gráfica" ~ "laprensagrafica".
    decomposed = unicodedata.normalize("NFKD", text)
    return _squeezed("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _unescape(text: str) -> str:
    # Some sites escape their titles twice ("&amp;#038;"): one unescaping is left over.
    return html.unescape(text) if re.search(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", text) else text


def _language_code(value: str) -> str:
    match = re.match(r"\s*([A-Za-z]{2,3})(?:[-_]|\s|$|,)", value)
    return match.group(1).lower() if match else ""
