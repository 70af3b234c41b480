"""Tests for search.extract: every file kind, every field, and every way a file can be bad.

Fixtures live in tests/fixtures/extract/ and are tiny hand-written articles with known
words; inputs that are only interesting as bytes are built inline.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import time
from pathlib import Path

import lxml.html
import pytest

from search import extract
from search.errors import ExtractError
from search.extract import ARTICLE_SUFFIXES, extract_bytes, extract_file, is_article_file
from search.extract.body import _caption_text, _with_repeats, _without_gallery, _wrap_loose_text
from search.extract.common import clean_authors, parse_date, web_address
from search.models import Article

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def read_one(name: str, problems: list[str] | None = None) -> Article:
    sink = problems.append if problems is not None else None
    (article,) = extract_file(FIXTURES / name, on_problem=sink)
    return article


def read_all(name: str, problems: list[str] | None = None) -> list[Article]:
    sink = problems.append if problems is not None else None
    return extract_file(FIXTURES / name, on_problem=sink)


def reason_for(data: bytes, path: str) -> str:
    with pytest.raises(ExtractError) as caught:
        extract_bytes(data, path=path)
    assert caught.value.path == path
    return caught.value.reason


# --- the public surface --------------------------------------------------------------------


def test_all_is_sorted_and_complete():
    assert extract.__all__ == sorted(extract.__all__)
    assert set(extract.__all__) == {
        "ARTICLE_SUFFIXES",
        "READER_VERSION",
        "extract_bytes",
        "extract_file",
        "is_article_file",
    }


def test_article_suffixes():
    plain = {".html", ".htm", ".xhtml", ".shtml", ".mhtml", ".mht", ".txt", ".text", ".json"}
    plain |= {".jsonl", ".ndjson"}
    assert ARTICLE_SUFFIXES == plain | {suffix + ".gz" for suffix in plain}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("story.html", True),
        ("STORY.HTM", True),
        ("dump.txt.gz", True),
        ("feed.ndjson", True),
        ("README", True),
        ("picture.png", False),
        ("archive.tar.gz", False),
        (".hidden", False),
        ("notes.txt~", False),
    ],
)
def test_is_article_file(name, expected):
    assert is_article_file(Path("/data") / name) is expected


def test_path_is_stored_as_given():
    path = str(FIXTURES / "headline_first.txt")
    (article,) = extract_file(path)
    assert article.path == path
    assert article.id == path


# --- HTML ----------------------------------------------------------------------------------


def test_news_page_fields():
    article = read_one("news_page.html")
    url = "https://courier.example.com/2023/03/harbour-bridge-reopens"
    assert article.id == url
    assert article.url == url
    assert article.title == "Harbour Bridge Reopens After Storm Repairs"
    assert article.authors == ("Marta Quillfeather", "Tobias Renwick")
    assert article.source == "The Coastal Courier"
    assert article.date == dt.datetime(2023, 3, 14, 9, 30)  # 09:30+01:00: local time kept
    assert article.summary == "Engineers finished the repairs two weeks early."
    assert article.tags == ("Transport", "Weather", "bridges", "storms")
    assert article.language == "en"


def test_news_page_body_is_the_article_only():
    body = read_one("news_page.html").body
    assert body.startswith("The harbour bridge reopened to traffic on Tuesday morning")
    assert body.endswith("their assessment of the zanzibarite coating.")
    assert body.count("\n\n") == 3  # four paragraphs, blank lines between
    for boilerplate in ("Sport", "Ferry timetable", "wobblequack", "Subscribe", "Copyright"):
        assert boilerplate not in body


def test_page_with_only_meta_tags():
    article = read_one("meta_only.html")
    assert article.title == "Council Approves Library Budget"
    assert article.summary == "The council voted seven to two to fund the new library wing."
    assert article.authors == ("Priya Castellano",)
    assert article.source == "Valley Gazette"
    assert article.language == "fr"
    assert article.body == ""
    assert article.date is None


def test_latin1_page_with_declared_charset():
    article = read_one("latin1.html")
    assert article.title == "Fête à Zürich"
    assert article.body.startswith("Les habitants de Zürich et de Besançon ont célébré")


def test_utf8_page_with_wrong_declared_charset():
    article = read_one("wrong_charset.html")
    assert article.title == "Fête à Besançon"
    assert "déclaré que la fête attirait chaque année" in article.body
    assert "Ã" not in article.body


def test_cp1252_page_declared_as_utf8():
    text = "The café on the corner serves crème brûlée every day, the owners of Zürich say."
    page = (
        '<html><head><meta charset="utf-8"><title>Café society</title></head><body>'
        f"<article><p>{text}</p></article></body></html>"
    ).encode("cp1252")
    (article,) = extract_bytes(page, path="cafe.html")
    assert (article.title, article.body) == ("Café society", text)
    # UTF-8 with one broken byte stays UTF-8, the byte replaced.
    broken = page.decode("cp1252").encode().replace("Zürich".encode(), b"Z\xfcrich")
    (article,) = extract_bytes(broken, path="cafe.html")
    assert article.body == text.replace("Zürich", "Z\ufffdrich")


def test_a_page_with_a_few_stray_nul_bytes_is_read_without_them():
    # A saved page can carry a run of NUL bytes after an image tag; binary files have them
    # throughout (tests/test_hostile_input.py).
    notices = "".join(
        f"<p>Notice {n}: the ferry leaves the harbour at dawn.</p>" for n in range(300)
    )
    stray = "<p>Timetables\x00\x00\x00\x00\x00\x00\x00\x00 are posted at the quay.</p>"
    page = f"<html><body><article>{notices}{stray}</article></body></html>"
    (article,) = extract_bytes(page.encode(), path="stray.html")
    assert "Timetables are posted at the quay." in article.body
    assert "\x00" not in article.body


def test_page_saved_as_a_single_file_web_archive():
    # Chrome's "Webpage, Single File": MIME parts, the page quoted-printable, its images.
    article = read_one("saved_page.mhtml")
    assert article.title == "Port orders six electric cranes"
    assert article.id == article.url == "https://www.harbour.example/news/cranes"
    assert article.source == "harbour.example"
    assert article.body == (
        "The port authority ordered six electric cranes on Tuesday, the first of them due in "
        "June at the Kr\u00e4hen quay.\n\nThey replace the diesel cranes bought in 1998, "
        "which burn far more fuel."
    )


def test_web_archive_without_a_page_is_refused():
    archive = b"MIME-Version: 1.0\r\nContent-Type: image/png\r\n\r\niVBORw0KGgo=\r\n"
    assert reason_for(archive, "logo.mhtml") == "no web page in the MHTML archive"
    assert reason_for(b"not a web archive at all", "junk.mht") == "no web page in the MHTML archive"


def test_gzipped_page_reads_like_the_page():
    plain = read_one("news_page.html")
    zipped = read_one("page.html.gz")
    assert zipped.body == plain.body
    assert zipped.title == plain.title
    assert zipped.path.endswith("page.html.gz")


def test_file_without_suffix_is_sniffed_as_html():
    article = read_one("no_suffix_page")
    assert article.title == "Sniffed Page"
    assert article.body.startswith("This page has no suffix at all")


def test_txt_file_holding_html_is_read_as_html():
    data = (FIXTURES / "news_page.html").read_bytes()
    (article,) = extract_bytes(data, path="saved.txt")
    assert article.title == "Harbour Bridge Reopens After Storm Repairs"
    assert "<p" not in article.body


def test_scripts_only_page():
    with pytest.raises(ExtractError) as caught:
        read_one("scripts_only.html")
    assert caught.value.reason == "no article text found"
    assert str(caught.value).endswith("scripts_only.html: no article text found")


def test_deeply_nested_divs_finish_fast_and_say_so():
    page = b"<html><body>" + b"<div>" * 100_000 + b"<p>deep</p>" + b"</div>" * 100_000
    problems: list[str] = []
    started = time.perf_counter()
    with pytest.raises(ExtractError) as caught:
        extract_bytes(page, path="deep.html", on_problem=problems.append)
    assert time.perf_counter() - started < 5
    assert caught.value.reason == "no article text found"
    assert problems == ["markup nested more than 256 levels deep: the deeper part was dropped"]


def test_a_page_of_too_many_elements_gives_its_metadata_and_paragraphs_fast():
    # 1 MB of paragraphs, each 25 <div>s deep: 75,000 elements kept trafilatura, htmldate
    # and the byline searches busy for 7 s.
    ld = '{"@type": "NewsArticle", "headline": "Ferry", "datePublished": "2021-06-02", '
    ld += '"author": {"@type": "Person", "name": "Ines Harbour"}}'
    stack = "<div>" * 25 + "<p>Notice {}: the ferry leaves at dawn.</p>" + "</div>" * 25
    stacks = "".join(stack.format(n) for n in range(2_900))
    page = (
        f'<html><head><script type="application/ld+json">{ld}</script></head>'
        f"<body><p>By Someone Else</p>{stacks}</body></html>"
    )
    problems: list[str] = []
    started = time.perf_counter()
    (article,) = extract_bytes(page.encode(), path="wide.html", on_problem=problems.append)
    assert time.perf_counter() - started < 3
    assert problems == ["markup of 75,405 elements: only its metadata and paragraphs were read"]
    assert article.authors == ("Ines Harbour",)
    assert article.date == dt.datetime(2021, 6, 2)
    paragraphs = article.body.split("\n\n")
    assert paragraphs[:2] == ["By Someone Else", "Notice 0: the ferry leaves at dawn."]
    assert len(paragraphs) == 2_901


def test_huge_page_is_truncated_and_reported():
    paragraph = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20 + "</p>"
    page = ("<html><body><article>" + paragraph * 5000 + "</article></body></html>").encode()
    problems: list[str] = []
    (article,) = extract_bytes(page, path="big.html", on_problem=problems.append)
    assert problems == ["page truncated to 5 MB"]
    assert article.body.startswith("Lorem ipsum")


def test_html_title_drops_site_suffix_without_site_name():
    page = b"<html><head><title>Dam Plan Approved | Riverside Post</title></head><body>"
    page += b"<p>" + b"The regional board approved the dam plan on Friday. " * 10 + b"</p></body>"
    (article,) = extract_bytes(page, path="dam.html")
    assert article.title == "Dam Plan Approved"


def test_visible_credit_gives_authors_and_h1_beats_decorated_title():
    # The meta author is a host name, not a person: the "von A und B" credit is used.
    article = read_one("credit_page.html")
    assert article.authors == ("Hanna Quellbrink", "Jorin Wattsteg")
    assert article.title == "Neue F\u00e4hre verbindet die Inseln"
    assert "Die neue F\u00e4hre zwischen den beiden Inseln" in article.body
    assert "Flunderkasse" in article.body
    assert "Impressum" not in article.body


def test_author_marked_in_markup_and_twice_escaped_title():
    article = read_one("marked_author.html")
    assert article.authors == ("Odile Brackenfield",)
    assert article.title == "Orchard Growers Count Their Losses & Hopes"
    assert "quenchwort blight" in article.body


def test_json_ld_graph_in_cdata_gives_headline_person_and_date():
    # The author is a reference into the "@graph"; the organisation next to it is not a
    # person, and the meta author is the site's own name.
    article = read_one("graph_page.html")
    assert article.title == "Tide Mill Grinds Again After Century of Silence"
    assert article.authors == ("Rowena Tallis",)
    assert article.date == dt.datetime(2021, 6, 4, 9, 15)


def test_boilerplate_lines_are_dropped_from_the_body():
    article = read_one("graph_page.html")
    assert article.body == (
        "The tide mill on the estuary ground its first sack of flour in a hundred years on "
        "Friday, after volunteers rebuilt the wheel and the sluice gates from old drawings.\n\n"
        "The millers can only work for a few hours around each ebb tide, so the flour is sold "
        "by the bag at the mill door on the days the tides fall in daylight, beside the "
        "kelpwort beds."
    )


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("Read more: Volunteers restore the old lighthouse", False),
        ("Lesen Sie auch: Neue F\u00e4hre f\u00fcr die Inseln", False),
        ("Advertisement", False),
        ("\u00a9 2021 Estuary Weekly", False),
        ("Follow The Courier on Twitter and Instagram", False),
        ("Sign up to get the best stories of the week", False),
        ("- 5 Kommentare", False),
        ("12 comments", False),
        ("Bild 3 von 12", False),
        ("1 of 5", False),
        ("- 1 of 5", False),
        ("- Share on Twitter", False),
        ("Partager sur Facebook", False),
        ("Sieh dir diesen Beitrag auf Instagram an", False),
        ("Zum Vergr\u00f6\u00dfern bitte anklicken", False),
        ("Bild schlie\u00dfen", False),
        ("- Close", False),
        ("Close the sluice gates before the spring tide, the harbour master said.", True),
        ("- Shares in the ferry company fell by a fifth after the vote.", True),
        ("12 comments on the plan reached the council before the vote.", True),
        ("Related to the closure, the council said the pier would reopen in May.", True),
        ("Subscribers to the ferry pass rose by a fifth, the operator said.", True),
    ],
)
def test_furniture_lines_and_article_lines(line, kept):
    text = "The harbour board met on Tuesday to agree the summer timetable for the ferries. "
    page = f"<html><body><article><p>{text * 4}</p><p>{line}</p></article></body></html>"
    (article,) = extract_bytes(page.encode(), path="line.html")
    assert (line in article.body) is kept


_CHORUS = "The choir sang the harbour hymn again as the last ferry left the quay at dusk."
_VERSE = "Each verse names one of the islands the ferry served for a hundred and twelve years."


def test_a_paragraph_the_article_repeats_is_kept_each_time():
    blocks = [_CHORUS, _VERSE, _CHORUS, _CHORUS]
    paragraphs = "".join(f"<p>{text}</p>" for text in blocks)
    page = f"<html><body><article><h1>Last ferry</h1>{paragraphs}</article></body></html>"
    (article,) = extract_bytes(page.encode(), path="repeats.html")
    assert article.body == "\n\n".join(blocks)


def test_text_only_divs_that_repeat_are_kept_each_time():
    page = f"<html><body><article><div>{_CHORUS}</div><div>{_CHORUS}</div></article></body></html>"
    (article,) = extract_bytes(page.encode(), path="divs.html")
    assert article.body.split() == f"{_CHORUS} {_CHORUS}".split()


def test_a_paragraph_repeated_outside_its_block_is_kept_once():
    # The teaser box repeats the first paragraph: two parents, one copy each.
    article_html = f"<article><p>{_CHORUS}</p><p>{_VERSE}</p><p>{_VERSE}</p></article>"
    page = f"<html><body><aside><p>{_CHORUS}</p></aside>{article_html}</body></html>"
    (article,) = extract_bytes(page.encode(), path="teaser.html")
    assert article.body.count(_CHORUS) == 1
    assert article.body.count(_VERSE) == 2


def test_putting_back_thousands_of_repeats_takes_time_in_proportion():
    # 20,000 paragraphs, each printed twice: looking each one up in the whole body, one
    # after the other, took over ten seconds.
    texts = [f"Line {n:05d} of the harbour works schedule, as agreed today." for n in range(20_000)]
    blocks = "".join(f"<p>{text}</p><p>{text}</p>" for text in texts)
    tree = lxml.html.document_fromstring(f"<html><body><article>{blocks}</article></body></html>")
    started = time.perf_counter()
    body = _with_repeats("\n\n".join(texts), tree)
    assert time.perf_counter() - started < 2
    assert body.split("\n\n") == [text for text in texts for _ in range(2)]


def test_meta_title_lists_labelled_author_and_hidden_text():
    # "dc:title og:title" names two keys; the meta author is an association (e.V.), the
    # Yoast label names the person; hidden elements are not article text.
    article = read_one("labelled_author.html")
    assert article.title == "Kompost richtig anlegen im Winter"
    assert article.authors == ("Lotte Kranich",)
    assert "Kompost weiter" in article.body
    assert "Melden Sie sich an" not in article.body
    assert "nur nach dem Laden" not in article.body


def test_hidden_gallery_holding_the_whole_article_is_kept():
    # A script shows one item at a time: all the paragraphs are hidden when the page loads.
    item = "<div style='display: none'><p>{} The lamp is made of recycled glass.</p></div>"
    items = "".join(item.format(f"Item {n}: a reading lamp for the study.") for n in range(8))
    page = f"<html><body><article><h1>Eight lamps</h1>{items}</article></body></html>"
    (article,) = extract_bytes(page.encode(), path="gallery.html")
    assert "Item 7: a reading lamp" in article.body


def test_byline_elements_skip_dates_comments_and_site_name():
    # The meta author is the site's own name; the first byline holds only a date, and the
    # comment box has bylines of its own; "By" and the name are separate elements.
    article = read_one("byline_page.html")
    assert article.authors == ("Ines Marlowe",)
    # The JSON-LD headline shares no word with the page's title: it is not used.
    assert article.title == "Harbour Seals Return to the Bay"


@pytest.mark.parametrize(
    ("site_name", "url", "source"),
    [
        ("scinexx | Das Wissensmagazin", "https://www.scinexx.example/n/1", "scinexx"),
        ("Digital for Good | RESET.ORG", "https://reset.example/n/1", "RESET.ORG"),
        # The article's title in place of the name, then the name.
        ("Ferry timetable changes | Die FURCHE", "https://www.furche.example/n/1", "Die FURCHE"),
        (
            "La Prensa Gr\u00e1fica - Noticias",
            "https://laprensagrafica.example/n/1",
            "La Prensa Gr\u00e1fica",
        ),
        # No part or every part named by the host: the name as given.
        ("Coastline Courier", "https://coastline.example/n/1", "Coastline Courier"),
        (
            "Harbour News | The harbour's paper",
            "https://harbour.example/n/1",
            "Harbour News | The harbour's paper",
        ),
    ],
)
def test_a_site_name_with_a_tagline_gives_the_publication(site_name, url, source):
    text = "The ferry timetable changes on Monday for the summer season. " * 5
    page = (
        f'<html><head><meta property="og:site_name" content="{site_name}">'
        f'<link rel="canonical" href="{url}"><title>Ferry timetable changes</title></head>'
        f"<body><article><p>{text}</p></article></body></html>"
    )
    (article,) = extract_bytes(page.encode(), path="site.html")
    assert article.source == source


def test_site_name_is_the_author_when_nobody_else_is_named():
    text = b"The ferry timetable changes on Monday for the summer season. " * 5
    page = (
        b'<html><head><meta property="og:site_name" content="Coastline Courier">'
        b'<meta name="author" content="Coastline Courier"></head><body><article>'
        b"<p>" + text + b"</p></article></body></html>"
    )
    (article,) = extract_bytes(page, path="site.html")
    assert article.authors == ("Coastline Courier",)


@pytest.mark.parametrize(
    ("head", "source"),
    [
        # The site's address as its name, and its name as the JSON-LD publisher.
        (
            '<meta property="og:site_name" content="https://www.coastline.example">'
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Ferry",'
            ' "publisher": {"@type": "Organization", "name": "Coastline Courier"}}</script>',
            "Coastline Courier",
        ),
        # The address alone: its host, as for a page with no name at all.
        ('<meta property="og:site_name" content="www.Coastline.example">', "coastline.example"),
        ('<meta property="og:site_name" content="http://[coastline">', "harbour.example"),
        ('<meta property="og:site_name" content="Coastline Courier">', "Coastline Courier"),
        # A template's placeholder left unfilled is no name.
        ('<meta property="og:site_name" content="{$plugin.site_name}">', "harbour.example"),
        ('<meta property="og:site_name" content="{{ site.name }}">', "harbour.example"),
    ],
)
def test_a_site_address_in_place_of_its_name(head, source):
    text = "The ferry timetable changes on Monday for the summer season. " * 5
    page = (
        f'<html><head><link rel="canonical" href="https://www.harbour.example/ferry">{head}'
        f"</head><body><article><p>{text}</p></article></body></html>"
    )
    (article,) = extract_bytes(page.encode(), path="site.html")
    assert article.source == source


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        # A local offset states the publisher's own day: it beats the url's date.
        ("2020-02-19T18:37:32+01:00", dt.datetime(2020, 2, 19, 18, 37, 32)),
        # A UTC stamp may have crossed midnight: htmldate's day (from the url) stands.
        ("2020-02-19T18:37:32Z", dt.datetime(2020, 2, 18)),
        ("2020-02-19T18:37:32+00:00", dt.datetime(2020, 2, 18)),
    ],
)
def test_stated_local_date_one_day_from_htmldate(stamp, expected):
    meta = f'<meta property="article:published_time" content="{stamp}">'
    assert ferry_page_date("2020/02/18", head=meta) == expected


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        # The page states its date only in a <time> element: it beats the url's date.
        ('<time datetime="2022-01-25T08:00:00">25 January</time>', dt.datetime(2022, 1, 25, 8)),
        ("", dt.datetime(2022, 1, 21)),
    ],
)
def test_time_element_beats_the_url_date(stamp, expected):
    assert ferry_page_date("2022/01/21", article=stamp) == expected


def ferry_page_date(url_day: str, *, head: str = "", article: str = "") -> dt.datetime | None:
    """The date read from a page whose canonical url holds ``url_day`` ("2020/02/18"),
    with ``head`` in its head and ``article`` before its one paragraph."""
    page = (
        f'<html><head><link rel="canonical" href="https://news.example/{url_day}/ferry.html">'
        f"{head}</head><body><article>{article}<p>"
        + "The council met on Tuesday evening to discuss the new ferry timetable. " * 6
        + "</p></article></body></html>"
    )
    (found,) = extract_bytes(page.encode(), path="ferry.html")
    return found.date


def test_a_lone_year_on_the_page_is_not_its_date():
    # htmldate's extensive search reads "2019" as 1 January 2019.
    text = "The harbour board met on Tuesday to agree the summer timetable for the ferries. "
    footer = '<footer><p class="copy">Harbour Times 2019</p></footer>'
    page = f"<html><body><article><p>{text * 4}</p></article>{footer}</body></html>"
    (article,) = extract_bytes(page.encode(), path="year.html")
    assert article.date is None
    (dated,) = extract_bytes(page.replace("2019", "12 March 2019").encode(), path="day.html")
    assert dated.date == dt.datetime(2019, 3, 12)


def test_sentence_starting_with_by_is_not_a_credit():
    page = (
        b"<html><body><article><p>By Monday the Roads were dry again.</p>"
        b"<p>" + b"Crews cleared the last of the mud from the river road. " * 5 + b"</p>"
        b"</article></body></html>"
    )
    (article,) = extract_bytes(page, path="roads.html")
    assert article.authors == ()


# --- text dumps ----------------------------------------------------------------------------


def test_text_dump_fields():
    article = read_one("dump.txt")
    assert article.title == "Monsoon Floods Force Thousands From Homes in Northern Valleys"
    assert article.authors == ("Daily Herald Desk",)
    assert article.source == "Daily Herald Desk"
    assert article.date == dt.datetime(2021, 8, 11)
    assert article.summary == (
        "Officials say relief camps have been set up in schools and the army has been "
        "asked to help with evacuations"
    )
    assert article.tags == ("floods", "monsoon", "disasters")
    assert article.id == article.path
    assert article.url == ""


def test_text_dump_body_drops_captions_and_furniture():
    body = read_one("dump.txt").body
    assert body.startswith("Heavy monsoon rains flooded dozens of villages")
    assert body.endswith("before the marmalite reserves run low.")
    assert "\n\nRelief work\n\n" in body
    for furniture in ("File photo", "Rescue workers", "Share this", "Tags", "Related", "Comment"):
        assert furniture not in body


def test_dump_with_section_crumbs_and_a_byline_of_parts():
    article = read_one("piped_dump.txt")
    assert article.title == "Floods cut off mountain villages in Gilgit"
    assert article.authors == ("Sana Mir",)
    assert article.date == dt.datetime(2021, 8, 14, 10, 32)  # published, not updated
    assert article.body == (
        "Heavy rain washed away two bridges on the Karakoram Highway on Friday, cutting off a "
        "dozen villages.\n\nRescue teams reached the first village by helicopter on Saturday "
        "morning with sacks of lumbrite flour."
    )


def test_export_with_labelled_fields():
    article = read_one("labelled_export.txt")
    assert article.title == "Council approves new library wing"
    assert article.authors == ("Priya Castellano",)
    assert article.date == dt.datetime(2021, 8, 15)
    assert article.source == "Valley Gazette"
    assert article.id == article.url == "https://valley.example/library"
    assert article.body == (
        "The council voted seven to two on Tuesday to fund the new library wing.\n\n"
        "Building starts in spring, once the quillwort survey is done."
    )


def test_dump_dated_as_a_german_page_prints_it():
    text = (
        "Gemeinderat beschlie\u00dft neue F\u00e4hre\n\nVon Anna Roe\n\n"
        "14.08.2021, 10:32 Uhr\n\nDer Gemeinderat hat am Freitag eine neue F\u00e4hre f\u00fcr "
        "die Insel beschlossen. Sie soll im Fr\u00fchjahr fahren.\n"
    )
    (article,) = extract_bytes(text.encode(), path="faehre.txt")
    assert article.authors == ("Anna Roe",)
    assert article.date == dt.datetime(2021, 8, 14, 10, 32)
    assert article.body.startswith("Der Gemeinderat hat am Freitag")


def test_newswire_credit_names_the_reporter():
    article = read_one("wire_dump.txt")
    assert article.title == "Markets rally as oil slips"
    assert article.authors == ("Jane Roe",)
    assert article.date == dt.datetime(2021, 8, 16)
    assert article.body.endswith("(Reporting by Jane Roe in New York; Editing by John Poe)")


def test_headline_first_text():
    article = read_one("headline_first.txt")
    assert article.title == "Tea prices climb on drought fears"
    assert article.body.startswith("Wholesale tea prices rose sharply this week")
    assert article.body.endswith("despite the higher prices.")
    assert article.summary == ""
    assert article.authors == ()
    assert article.source == ""


def test_one_line_text_is_title_and_body():
    article = read_one("one_line.txt")
    assert article.title == "Short note about the quarterly numbers"
    assert article.body == "Short note about the quarterly numbers"


def test_person_byline_is_not_a_source():
    text = b"Storm Damage Assessed\n\nBy Jane Roe and John Poe\n\nThe storm damaged roofs.\n"
    (article,) = extract_bytes(text, path="storm.txt")
    assert article.authors == ("Jane Roe", "John Poe")
    assert article.source == ""
    assert article.body == "The storm damaged roofs."


@pytest.mark.parametrize("name", ["utf16_bom.txt", "utf16_nobom.txt"])
def test_utf16_text(name):
    article = read_one(name)
    assert article.title == "Crêpes in Zürich"
    assert (
        article.body == "The café on the corner served crêpes to the naïve tourists all afternoon."
    )


def test_undeclared_latin1_text_is_decoded():
    text = "Café owners protest\n\nThe café owners of Zürich protested on Monday.\n"
    (article,) = extract_bytes(text.encode("latin-1"), path="cafe.txt")
    assert article.title == "Café owners protest"
    assert article.body == "The café owners of Zürich protested on Monday."


def test_invalid_utf8_bytes_are_replaced_not_fatal():
    data = "Bad byte here\n\nMost of Zürich is fine: ".encode() + b"\xff" + b" the rest too.\n"
    (article,) = extract_bytes(data, path="bad.txt")
    assert "Zürich" in article.body
    assert article.body.endswith("the rest too.")


def test_dump_with_breadcrumb_captions_share_line_and_tags():
    article = read_one("breadcrumb_dump.txt")
    assert article.title == "Ferry Service Returns to Lantern Island After Two Years"
    assert article.authors == ("Amara Velloso", "Teodor Brink")
    assert article.source == ""
    assert article.date == dt.datetime(2023, 3, 14)
    assert article.summary == "Islanders say the link will bring back visitors and jobs"
    assert article.tags == ("ferries", "islands", "transport")
    assert article.body == (
        "The first ferry in two years docked at Lantern Island on Tuesday, carrying forty "
        "passengers and a cargo of quillberry saplings.\n\n"
        "The old service stopped when its only boat failed an inspection, leaving the island "
        "with a weekly supply flight.\n\n"
        "Harbour officials said crossings will run twice a day until the autumn timetable starts."
    )


# --- JSON and JSON Lines -------------------------------------------------------------------


def test_json_object():
    article = read_one("article.json")
    assert article.id == "https://wire.example.org/rail-strike"
    assert article.url == "https://wire.example.org/rail-strike"
    assert article.title == "Rail Strike Called Off"
    assert article.body == (
        "Union leaders called off the planned rail strike late on Sunday.\n\n"
        "Trains will run normally on Monday."
    )
    assert article.authors == ("Ines Okafor",)
    assert article.source == "Example Wire"
    assert article.date == dt.datetime(2022, 6, 5, 21, 15)
    assert article.summary == "A last-minute deal averted the walkout."
    assert article.tags == ("rail", "strikes")
    assert article.language == "en"


def test_json_array_keeps_good_records_and_reports_bad_ones():
    problems: list[str] = []
    first, second = read_all("array.json", problems)
    assert problems == ["record 3: no title or text"]
    assert first.id == f"{FIXTURES / 'array.json'}#1"
    assert first.authors == ("Lena Moss", "Raj Patel")
    assert first.date == dt.datetime(2021, 9, 1)
    assert first.tags == ("farming", "apples")
    assert second.id == f"{FIXTURES / 'array.json'}#2"
    assert second.body == "The island ferry resumed sailing after the gale."
    assert second.source == "Island News"
    assert second.date == dt.datetime(2021, 10, 1)  # epoch seconds


def test_wrapped_json():
    first, second = read_all("wrapped.json")
    assert first.id == "https://news.example.net/museum"
    assert first.date == dt.datetime(2022, 5, 10, 8, 0)  # RFC 2822, +0200: local time kept
    assert second.id == f"{FIXTURES / 'wrapped.json'}#2"
    assert second.date == dt.datetime(2022, 5, 10, 8, 0)  # epoch milliseconds


def test_json_lines_with_a_broken_line():
    problems: list[str] = []
    first, second = read_all("lines.jsonl", problems)
    assert problems == [
        "line 2: invalid JSON (column 36: Expecting value)",
        "line 5: no title or text",
    ]
    assert (first.title, first.authors) == ("Bakery Wins Award", ("Oskar Lind",))
    assert first.id.endswith("lines.jsonl#1")
    assert second.id.endswith("lines.jsonl#3")  # ids count lines, blank ones too
    assert second.date == dt.datetime(2020, 4, 20)


def test_scraper_export_with_nested_authors_epoch_ms_and_html_body():
    first, second = read_all("scraper_export.jsonl")
    assert first.id == "https://harbour.example.com/ports/cranes"
    assert first.title == "Port Orders Six Electric Cranes"
    assert first.authors == ("Nadia Ferreira", "Colm Ashby")
    assert first.source == "Harbour Times"
    assert first.date == dt.datetime(2023, 3, 14, 9, 30)  # epoch milliseconds, UTC
    assert first.body == (
        "The port authority ordered six electric cranes on Tuesday & expects them by June."
        "\n\nThe cranes replace diesel ones bought in 1998."
    )
    assert first.tags == ("ports", "cranes")
    assert first.language == "en"
    assert second.id.endswith("scraper_export.jsonl#2")
    assert second.authors == ("Ilse Marr",)
    assert second.source == "Daily Ledger"
    assert second.date == dt.datetime(2023, 3, 15, 23, 30)  # the stated day, not UTC's 16th
    assert second.body == (
        "The night market opened with thirty stalls.\n\nIt runs every Friday until October."
    )


def test_news_please_record():
    (article,) = read_all("news_please.json")
    assert article.id == article.url == "https://www.lagoon-gazette.example/ferries/last-sailing"
    assert article.title == "Lagoon ferry ends its season"
    assert article.authors == ("Odile Marchetti",)
    assert article.source == "lagoon-gazette.example"
    assert article.date == dt.datetime(2021, 8, 14, 9, 30)  # date_publish, not date_download
    assert article.summary == "The last ferry of the season sails on Sunday."
    assert article.body == (
        "The lagoon ferry makes its last crossing of the season on Sunday.\n\n"
        "The operator will repaint the quokkaline hull over the winter."
    )
    assert article.language == "en"


def test_new_york_times_search_response():
    (article,) = read_all("nyt_search.json")
    assert article.id == "https://www.nytimes.example/2021/08/15/business/grain-barges.html"
    assert article.title == "Low River Strands Grain Barges"
    assert article.authors == ("Ruth Okafor", "Lev Brandt")
    assert article.source == "The New York Times"
    assert article.date == dt.datetime(2021, 8, 15, 4, 0, 8)
    assert article.summary == "Grain barges are stuck above the lock after the river fell."
    assert article.body.startswith("Forty grain barges waited above the Tamsworth lock")
    assert article.tags == ("Drought", "Tamsworth River")


def test_guardian_record_with_its_body_as_plain_text():
    record = {
        "webTitle": "Late frost ruins the orchards",
        "webUrl": "https://www.guardian.example/frost",
        "fields": {"bodyText": "A late frost blackened the blossom.", "byline": "Tamsin Greer"},
    }
    (article,) = extract_bytes(json.dumps(record).encode(), path="frost.json")
    assert (article.title, article.body, article.authors) == (
        "Late frost ruins the orchards",
        "A late frost blackened the blossom.",
        ("Tamsin Greer",),
    )


def test_numbers_among_tags_are_tags():
    record = {"title": "Orwell's novel", "body": "It turned 75.", "tags": [2024, "books", True]}
    (article,) = extract_bytes(json.dumps(record).encode(), path="novel.json")
    assert article.tags == ("2024", "books")


def test_guardian_search_response():
    (article,) = read_all("guardian_search.json")
    assert article.id == "https://www.guardian.example/world/2021/aug/15/orchard-frost"
    assert article.title == "Late frost ruins the orchards of the Vale"
    assert article.authors == ("Tamsin Greer",)
    assert article.source == "guardian.example"  # no source field: the url's host
    assert article.date == dt.datetime(2021, 8, 15, 18, 20, 5)
    assert article.summary == "Growers count the cost of the coldest August night on record."
    assert article.body == (
        "A late frost blackened the blossom in the orchards of the Vale on Saturday night."
        "\n\nGrowers said the damsonberry crop was lost."
    )
    assert article.tags == ("Farming", "Weather")


def test_json_lines_in_a_json_file():
    articles = read_all("lines_in.json")
    assert [a.title for a in articles] == ["First", "Second"]


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "reason"),
    [
        (b"", "empty.html", "empty file"),
        (b" \n\t\n", "blank.txt", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "image.txt", "binary file, not text"),
        (bytes(range(1, 32)) * 50, "controls.txt", "binary file, not text"),
        (
            b'{"title": "x",\n "text": }',
            "bad.json",
            "invalid JSON: line 2 column 10: Expecting value",
        ),
        (
            b"[1, 2, 3]",
            "numbers.json",
            "JSON of the wrong shape: expected an object or a list of objects",
        ),
        (
            b'"just a string"',
            "string.json",
            "JSON of the wrong shape: expected an object or a list of objects",
        ),
        (b'{"id": 1}', "empty_record.json", "no article text found"),
        (b"not json\nat all\n", "lines.jsonl", "invalid JSON: line 1: column 1: Expecting value"),
        (b"not gzip at all", "page.html.gz", "not a valid gzip file (Not a gzipped file (b'no'))"),
    ],
)
def test_bad_input_reasons(data, path, reason):
    assert reason_for(data, path) == reason


def test_zip_bomb_is_refused():
    bomb = gzip.compress(b"a" * (60 * 1024 * 1024), compresslevel=9)
    started = time.perf_counter()
    reason = reason_for(bomb, "bomb.html.gz")
    assert reason == "decompressed size over 50 MB (possible zip bomb)"
    assert time.perf_counter() - started < 5


def test_file_too_large(tmp_path, monkeypatch):
    monkeypatch.setattr(extract, "MAX_FILE_BYTES", 1024 * 1024)
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * (3 * 1024 * 1024 // 5))
    with pytest.raises(ExtractError) as caught:
        extract_file(big)
    assert caught.value.reason == "file too large (2 MB, limit 1 MB)"


def test_missing_file(tmp_path):
    with pytest.raises(ExtractError) as caught:
        extract_file(tmp_path / "gone.html")
    assert caught.value.reason == "No such file or directory"


def test_deeply_nested_json_is_an_extract_error():
    assert reason_for(b"[" * 100_000 + b"]" * 100_000, "deep.json").startswith("invalid JSON")


def test_callback_errors_propagate_unchanged():
    def explode(message: str) -> None:
        raise KeyboardInterrupt(message)

    with pytest.raises(KeyboardInterrupt):
        extract_file(FIXTURES / "array.json", on_problem=explode)


# --- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-08-11", dt.datetime(2021, 8, 11)),
        ("2021-08-11T10:20:30Z", dt.datetime(2021, 8, 11, 10, 20, 30)),
        ("2021-08-11T10:20:30.123-05:00", dt.datetime(2021, 8, 11, 10, 20, 30)),
        ("2022-05-03T23:30:00-05:00", dt.datetime(2022, 5, 3, 23, 30)),  # not 4 May
        ("Wed, 11 Aug 2021 10:00:00 GMT", dt.datetime(2021, 8, 11, 10, 0)),
        ("August 11, 2021", dt.datetime(2021, 8, 11)),
        ("11th Aug. 2021", dt.datetime(2021, 8, 11)),
        (1628676000, dt.datetime(2021, 8, 11, 10, 0)),
        (1628676000000, dt.datetime(2021, 8, 11, 10, 0)),
        ("1628676000", dt.datetime(2021, 8, 11, 10, 0)),
        # Dates as pages in other languages print them.
        ("14.08.2021", dt.datetime(2021, 8, 14)),
        ("14.08.2021, 10.32 Uhr", dt.datetime(2021, 8, 14, 10, 32)),
        ("14/08/2021", dt.datetime(2021, 8, 14)),
        ("08/14/2021", dt.datetime(2021, 8, 14)),
        ("Samstag, 14. August 2021 um 10:32 Uhr", dt.datetime(2021, 8, 14, 10, 32)),
        ("14 ao\u00fbt 2021 \u00e0 10h32", dt.datetime(2021, 8, 14, 10, 32)),
        ("s\u00e1bado, 14 de agosto de 2021", dt.datetime(2021, 8, 14)),
        ("14 Aug 2021, 10:32 IST", dt.datetime(2021, 8, 14, 10, 32)),
        ("2021\u5e748\u670814\u65e5", dt.datetime(2021, 8, 14)),
        ("2021\ub144 8\uc6d4 14\uc77c", dt.datetime(2021, 8, 14)),
        ("3 killed in May 2021 floods", None),
        ("31.02.2021", None),
        ("yesterday", None),
        ("0000-00-00", None),
        ("2021-13-45", None),
        (True, None),
        (None, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("bylines", "expected"),
    [
        (["By Jane Roe"], ("Jane Roe",)),
        (["By Jane Roe and John Poe, Staff Writers"], ("Jane Roe", "John Poe")),
        (["Jane Roe, Senior Staff Technologist, Civic Project"], ("Jane Roe",)),
        (["Jane Roe & John Poe", "jane roe"], ("Jane Roe", "John Poe")),
        (["GILLIAN MOHNEY March 11, 2015 3:46 PM"], ("GILLIAN MOHNEY",)),
        (["View all posts by Jane Roe"], ("Jane Roe",)),
        (["https://example.com/jane", "admin", "3:51 pm"], ()),
        (
            ["Von Roland Brockmann und Sebastian Drescher"],
            ("Roland Brockmann", "Sebastian Drescher"),
        ),
        (["Ver\u00f6ffentlicht von Chris Jung"], ("Chris Jung",)),
        (["Par Jeanne Dulac et Marc Orbe"], ("Jeanne Dulac", "Marc Orbe")),
        (["Text von Jan Koch   Illustration von Eva Roost"], ("Jan Koch",)),
        (["jungefreiheit.de", "christian.stadtfeld", "ORF.at"], ()),
        (["By Staff Writer"], ("Staff Writer",)),
        (["Gartenfreunde Musterstadt e.V."], ()),
        (["E.V. Rieu and S.A. Cosby"], ("E.V. Rieu", "S.A. Cosby")),
        (["Copyright Example Media GmbH, Hamburg, Germany"], ()),
        (["Redacci&oacute;n Central"], ("Redacci\u00f3n Central",)),
        (["Name", "Unbenannt", "publisher"], ()),
        # Labels beside the name, or read instead of it.
        (["Article by", "Autor", "Posted by"], ()),
        (["Post author By Helge Fahrnberger"], ("Helge Fahrnberger",)),
        (["Zeige alle Beitr\u00e4ge von Petra Ruland"], ("Petra Ruland",)),
        (["Interview: Jens Bergmann Foto: Michael Hudler"], ("Jens Bergmann",)),
        (["Justus von Daniels"], ("Justus von Daniels",)),
        (["Jan Roe", "Deutscher Journalist", "Kolumnist"], ("Jan Roe",)),
        (["Jane Roe", "Jack Ma"], ("Jane Roe", "Jack Ma")),
    ],
)
def test_clean_authors(bylines, expected):
    assert clean_authors(bylines) == expected


_TIMETABLE = "The harbour board met on Tuesday to agree the summer timetable for the ferries. "


def _article_page(inner: str) -> bytes:
    return f"<html><body><article><h1>Tides</h1><p>{_TIMETABLE * 3}</p>{inner}</article></body></html>".encode()


def test_a_formula_is_read_as_its_symbols():
    # MathJax renders the formula in custom elements and keeps its MathML for screen readers.
    formula = (
        "<mjx-container jax='CHTML'><mjx-math aria-hidden='true'><mjx-c></mjx-c></mjx-math>"
        "<mjx-assistive-mml><math xmlns='http://www.w3.org/1998/Math/MathML'><mi>a</mi>"
        "<mo>\u2260</mo><mn>0</mn></math></mjx-assistive-mml></mjx-container>"
    )
    inner = f"<p>When {formula}, the tide tables give two solutions.</p>"
    (article,) = extract_bytes(_article_page(inner), path="formula.html")
    assert article.body.endswith("\n\nWhen a \u2260 0 , the tide tables give two solutions.")


def test_text_loose_after_a_block_is_wrapped_as_a_paragraph():
    tree = lxml.html.document_fromstring(
        "<html><body><div><p>Before.</p><div class='photo'><img src='pier.jpg'></div>The pier "
        "will close for repairs in May, the board said, <a href='/survey'>after a survey</a> "
        "found rot.<p>After.</p><p>Short tail</p>, too short to be a paragraph.</div>"
        "</body></html>"
    )
    _wrap_loose_text(tree)
    container = tree.find("body/div")
    assert [(node.tag, node.text_content()) for node in container] == [
        ("p", "Before."),
        ("div", ""),
        ("p", "The pier will close for repairs in May, the board said, after a survey found rot."),
        ("p", "After."),
        ("p", "Short tail"),
    ]
    assert container[2][0].tag == "a"


def test_text_hidden_from_screen_readers_is_not_read():
    # trafilatura finds no article in a page this short: every paragraph is read.
    page = (
        "<html><body><article><h1>Tides</h1><div><p><span aria-hidden='true'>Icon</span>High "
        "water at six.</p><p>Low water at noon.</p></div></article></body></html>"
    )
    (article,) = extract_bytes(page.encode(), path="aria.html")
    assert article.body == "High water at six.\n\nLow water at noon."


def test_picture_captions_are_read_without_their_credits():
    inner = (
        "<figure><img src='pier.jpg'><figcaption>The old pier at low water, before the repairs."
        " <span class='credit'>Jane Roe</span></figcaption></figure>"
        "<p>The repairs start in May.</p>"
        "<div class='wp-caption'><img src='ferry.jpg'>"
        "<p class='wp-caption-text'>A ferry leaves the harbour at dawn (Reuters/John Doe)</p></div>"
        "<figure><img src='gull.jpg'><figcaption>Thinkstock</figcaption></figure>"
        "<div class='player'><video src='tide.mp4'></video><div class='vjs-captions-button'>"
        "<div class='vjs-menu'>Captions settings, opens captions settings dialog</div></div></div>"
        # The teaser of another story: its caption is a link.
        "<figure><img src='next.jpg'><figcaption><a href='/next'>Storm closes the harbour"
        "</a></figcaption></figure>"
        # A caption inside a paragraph stays out, and the paragraph's text stays whole.
        "<p><span class='photo'><img src='gate.jpg'><span class='caption'>The east gate</span>"
        "</span> The board will meet again in June to set the winter timetable.</p>"
    )
    (article,) = extract_bytes(_article_page(inner), path="captions.html")
    assert article.body.split("\n\n")[1:] == [
        "The old pier at low water, before the repairs.",
        "The repairs start in May.",
        "A ferry leaves the harbour at dawn",
        "The board will meet again in June to set the winter timetable.",
    ]


# trafilatura reads pages this long as articles; shorter ones fall back to every paragraph.
_P1 = (
    "<p>The harbour board met on Tuesday to agree the summer timetable for the ferries, "
    "which adds an early crossing and a late one on Fridays.</p>"
)
_P2 = (
    "<p>Opponents said the plan would raise fares for the islanders who cross every day, "
    "while doing little to shorten the queues at the pier.</p>"
)


def _text_of(html: str) -> str:
    return re.sub("<[^>]+>", "", html)


@pytest.mark.parametrize(
    ("inner", "paragraphs"),
    [
        (  # the parts of a caption are separate words
            "<figure><img src='a.jpg'><figcaption><h3>Mayor Roe</h3><p>The mayor speaks</p>"
            "Line one<br>Line two</figcaption></figure>",
            ["Mayor Roe The mayor speaks Line one Line two"],
        ),
        (  # a credit block classed as a caption's credit
            "<div class='photo'><img src='a.jpg'><div class='caption'><span>Crowds at the pier."
            "</span><div class='caption-credit'>Reuters</div></div></div>",
            ["Crowds at the pier."],
        ),
        (  # captions in the order of the page
            "<figure><figure><img src='a.jpg'><figcaption>Inner one at the pier.</figcaption>"
            "</figure><figure><img src='b.jpg'><figcaption>Inner two at the pier.</figcaption>"
            "</figure><figcaption>Outer caption of both.</figcaption></figure>",
            ["Inner one at the pier.", "Inner two at the pier.", "Outer caption of both."],
        ),
        (  # a caption with a link in it is still a caption
            "<figure><img src='a.jpg'><figcaption><a href='/roe'>Jane Roe</a> at the pier on "
            "Monday.</figcaption></figure>",
            ["Jane Roe at the pier on Monday."],
        ),
        (  # a quotation's figure: its caption is no picture's
            "<figure><blockquote>Nothing is decided.</blockquote><figcaption>Jane Roe, "
            "councillor</figcaption></figure>",
            [],
        ),
        (  # a caption that is a <span> in the picture's block, credit left out
            "<div class='photo'><img src='a.jpg'><br/> <span class='pb-caption'>Jane Roe at "
            "the pier on Monday. (John Doe/AFP/Getty Images)</span></div>",
            ["Jane Roe at the pier on Monday."],
        ),
        (  # a <span> of a caption block is read with it, not alone
            "<div class='photo'><img src='a.jpg'><div class='image_caption'> Crowds at the "
            "pier <span class='caption_copyright'>\u00a9 John Doe</span></div></div>",
            ["Crowds at the pier"],
        ),
        (  # a <span> caption that is a credit alone leaves nothing behind
            "<div class='photo'><img src='a.jpg'><span class='caption'>Thinkstock</span></div>",
            [],
        ),
        (  # a figure inside a paragraph: the paragraph's text stays whole and in order
            "<p>Before the picture. <figure><img src='a.jpg'><span class='caption'>Crowds "
            "gather at the pier today</span></figure> After the picture text.</p>",
            ["Before the picture. After the picture text.", "Crowds gather at the pier today"],
        ),
        (  # a span classed as a caption in running text: the sentence is not cut in two
            # (trafilatura drops the span's words, as it did before spans were read)
            "<div>Residents of the island <span class='caption'>waited for hours</span> at "
            "the pier as the ferry was late again. <img src='a.jpg'></div>",
            ["Residents of the island at the pier as the ferry was late again."],
        ),
    ],
    ids=[
        "spaced",
        "credit block",
        "in order",
        "with a link",
        "quotation",
        "span",
        "span in a caption",
        "span credit",
        "figure in a paragraph",
        "span in a sentence",
    ],
)
def test_captions_between_the_paragraphs(inner: str, paragraphs: list[str]) -> None:
    page = f"<html><body><article><h1>Tides</h1>{_P1}{inner}{_P2}</article></body></html>"
    (article,) = extract_bytes(page.encode(), path="captions.html")
    assert article.body.split("\n\n") == [_text_of(_P1), *paragraphs, _text_of(_P2)]


@pytest.mark.parametrize(
    "page",
    [
        f"<div class='entry-content has-captions'><img src='a.jpg'>{_P1}{_P2}</div>",
        f"<figure class='story'><img src='a.jpg'>{_P1}<figcaption>The pier.</figcaption>{_P2}"
        "</figure>",
    ],
    ids=["a container named for captions", "a figure holding the article"],
)
def test_an_article_inside_a_caption_like_block_keeps_its_paragraphs(page: str) -> None:
    html = f"<html><body><article><h1>Tides</h1>{page}</article></body></html>"
    (article,) = extract_bytes(html.encode(), path="wrapped.html")
    assert article.body.split("\n\n") == [_text_of(_P1), _text_of(_P2)]


@pytest.mark.parametrize(
    ("caption", "text"),
    [
        ("Media caption Ferries leave the harbour at dawn", "Ferries leave the harbour at dawn"),
        ("Caption of the figure", "Caption of the figure"),
        ("The pier in May (Photo: AP)", "The pier in May"),
        ("The pier in May (Jane Roe)", "The pier in May"),
        ("The pier in May. Foto: dpa", "The pier in May."),
        ("The pier in May | photo by Jane Roe", "The pier in May"),
        ("The pier in May.CreditJane Roe for The Harbour Times", "The pier in May."),
        ("The pier at Dover Jane Roe/Reuters", "The pier at Dover"),
        ("The pier on Friday. Jane Roe / AFP - Getty Images", "The pier on Friday."),
        ("Jane Roe/iStock/Getty Images", ""),
        (
            "Main image: Whale expert Jane Roe. Photograph: John Doe for the Harbour Times",
            "Whale expert Jane Roe.",
        ),
        ("The pier at Dover. Cortesía/La República", "The pier at Dover."),
        ("Officer Jane Roe. (Picture by John Doe)", "Officer Jane Roe."),
        ("Supporters of Jane Roe (C) and John Doe (R)", "Supporters of Jane Roe (C) and John Doe"),
        (
            "Smoke rises over the Israel/Gaza border on Tuesday",
            "Smoke rises over the Israel/Gaza border on Tuesday",
        ),
        ("Photo de famille des dirigeants du G7", "Photo de famille des dirigeants du G7"),
        (
            "A photo by the family shows him at his graduation",
            "A photo by the family shows him at his graduation",
        ),
        ("Video: Protesters clash with police", "Protesters clash with police"),
        ("Photo: Jane Roe", ""),
        ("Thinkstock", ""),
        ("Credit Suisse shares fell", "Credit Suisse shares fell"),
        ("ImageNet pictures of the pier", "ImageNet pictures of the pier"),
        ("The pier in May. Kuva: Jane Roe", "The pier in May."),
        ("The pier in May. CC-BY-SA 2.0 Jane Roe", "The pier in May."),
        ("The pier in May? (c) Harbour Board | pixels.example", "The pier in May?"),
        ("The pier in May \u00a9 Jane Roe", "The pier in May"),
        ("Video: Jane Roe, John Doe", ""),
        ("Salt and/or grit on the pier", "Salt and/or grit on the pier"),
        ("The 24/7 watch on the pier", "The 24/7 watch on the pier"),
    ],
)
def test_a_caption_without_its_label_and_credit(caption, text):
    assert _caption_text(caption) == text


def _captions(count: int) -> list[str]:
    return [f"- {n}/{count} Pier {n}: the old pier of the coast." for n in range(1, count + 1)]


def test_a_numbered_gallery_beside_the_article_is_left_out():
    story = [f"{n}. {_TIMETABLE * 3}".strip() for n in range(1, 6)]
    body = "\n\n".join([*story[:2], *_captions(3), *story[2:], "- 1/2 Not a gallery."])
    assert _without_gallery(body) == "\n\n".join([*story, "- 1/2 Not a gallery."])


def test_a_numbered_gallery_that_is_the_article_is_kept():
    body = "\n\n".join(["Piers of the coast, in pictures.", *_captions(12)])
    assert _without_gallery(body) == body


_ARCHIVED = "https://web.archive.org/web/20190717140047/https://www.harbour-news.example/pier"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" https://www.harbour-news.example/pier ", "https://www.harbour-news.example/pier"),
        (_ARCHIVED, "https://www.harbour-news.example/pier"),
        # A capture flag after the time, and "//" written "/".
        ("http://web.archive.org/web/2016id_/http:/tides.example/a", "http://tides.example/a"),
        ("https://web.archive.org/web/2019/tides.example/a", "http://tides.example/a"),
        # The archive's own pages are addresses as they stand.
        (
            "https://web.archive.org/web/2019*/tides.example",
            "https://web.archive.org/web/2019*/tides.example",
        ),
        (
            "https://web.archive.org/web/20190717140047/",
            "https://web.archive.org/web/20190717140047/",
        ),
        ("https://tides.example/a page", ""),
        ("ftp://tides.example/a", ""),
        ("tides.example/a", ""),
        (17, ""),
    ],
)
def test_web_address(value, expected):
    assert web_address(value) == expected


def test_a_page_saved_from_the_wayback_machine_is_the_original_article():
    page = (
        f"<html><head><title>Pier reopens</title><link rel='canonical' href='{_ARCHIVED}'>"
        f"</head><body><article><p>{_TIMETABLE * 3}</p></article></body></html>"
    )
    (article,) = extract_bytes(page.encode(), path="pier.html")
    assert (article.id, article.url, article.source) == (
        "https://www.harbour-news.example/pier",
        "https://www.harbour-news.example/pier",
        "harbour-news.example",
    )


def test_records_and_dumps_read_wayback_addresses_as_the_original():
    record = json.dumps({"title": "Pier reopens", "url": _ARCHIVED, "text": _TIMETABLE})
    (from_record,) = extract_bytes(record.encode(), path="feed.json")
    dump = f"Title: Pier reopens\nURL: {_ARCHIVED}\n\n{_TIMETABLE}\n"
    (from_dump,) = extract_bytes(dump.encode(), path="pier.txt")
    assert from_record.url == from_dump.url == "https://www.harbour-news.example/pier"
    assert from_record.source == "harbour-news.example"
