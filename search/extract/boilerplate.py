"""Page furniture: what a reader of an article does not read as part of it.

Two filters around trafilatura: :func:`drop_hidden` removes elements a browser does not show
before the body is extracted, :func:`is_boilerplate` tells which extracted lines are links to
other stories, labels, copyright notices and requests to the reader.
"""

from __future__ import annotations

import re

import lxml.html

__all__ = ["drop_hidden", "is_boilerplate"]

_HIDDEN_XPATH = (
    "//body//*[@hidden or @aria-hidden='true' or contains(@style, 'none') "
    "or contains(@style, 'hidden')]"
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Lines that point to another story ("Read more: <headline>", "Lesen Sie auch: ..."), in
# the languages of the pages we read; matched on the case-folded line.
_CROSS_REFERENCE = re.compile(
    r"(?:read (?:more|also)|also read|see also|related(?: articles?| stories)?|more on this"
    r"|lea(?: también| más)?|lee también|mire|mira|vea también|puedes ver|ver también"
    r"|lesen sie (?:auch|mehr)|mehr zum thema|mehr dazu|zum weiterlesen|weiterlesen"
    r"|weitere (?:themen|artikel)|schon gelesen|das könnte (?:sie|dich) auch interessieren"
    r"|à lire aussi|lire aussi|voir aussi|leggi anche|czytaj (?:też|także))\s*[:?|>\u00bb]"
)
_COPYRIGHT = re.compile(
    r"^(?:\u00a9|copyright\b)|all rights reserved|alle rechte vorbehalten"
    r"|tous droits réservés|todos los derechos reservados"
)
# Requests to the reader: subscribe, sign up, follow us, get the app.
_CALL_TO_ACTION = re.compile(
    r"^(?:subscribe|sign up|never miss|follow us|jetzt abonnieren|abonnieren sie"
    r"|folgen sie uns|folge uns|suscríbete|síguenos|abonnez-vous|suivez-nous)\b"
    r"|^follow [\w ]{1,40} on (?:twitter|facebook|instagram)|please subscribe"
    r"|\bnewsletter(?: abonnieren)?$|we want to hear what you think"
    r"|download (?:the|our) [\w ]{0,40}apps?\b"
    r"|^(?:(?:share (?:on|via)|partager sur|teilen (?:auf|via)|compartir en|condividi su)"
    r" \w+\s*)+$"
)
# What stands in for an embedded post or a picture until a script loads it. Patterns and
# labels are matched case-folded: "ß" is "ss".
_PLACEHOLDER = re.compile(
    r"^(?:view this post on instagram|sieh dir diesen beitrag auf instagram an"
    r"|voir cette publication sur instagram|ver esta publicación en instagram"
    r"|click to enlarge|zum vergrössern (?:bitte )?(?:an)?klicken|cliquez pour agrandir"
    r"|haz clic para ampliar)\W*$"
)
# A count of reader comments or shares, a link to them: "5 Kommentare", "- 12 comments";
# the counter of a slide show: "Bild 3 von 12", "Photo 3 of 12", "3/12".
_COUNTER_LINK = re.compile(
    r"^[-\u2022]?\s*\d[\d.,]*\s+(?:comments?|kommentare?|commentaires?|comentarios?"
    r"|commenti|reacties|shares?)$"
    r"|^(?:(?:bild|foto|image|photo|slide|imagen|immagine)\s+)?"
    r"\d+\s*(?:/|of|von|de|sur|di)\s*\d+$"
)
_FURNITURE_LABELS = frozenset(
    [
        "advertisement",
        "anzeige",
        "werbung",
        "publicité",
        "publicidad",
        "sponsored",
        "related",
        "related articles",
        "related stories",
        "contenido relacionado",
        "view comments",
        "no comments",
        "keine kommentare",
        "wird geladen",
        "loading",
        "teilen mit",
        "share this",
        "credit",
        "titelbild",
        "beitragsbild",
        "zum weiterlesen",
        "weitere themen",
        "mehr zum thema",
        "à lire aussi",
        "lire aussi",
        "schon gelesen?",
        # Controls of a player or a picture viewer.
        "close",
        "schliessen",
        "fermer",
        "cerrar",
        "fullscreen",
        "vollbild",
        "play video",
        "video abspielen",
        "bild anzeigen",
        "bild schliessen",
    ]
)
# The marker trafilatura puts before a list item: "- Share on Twitter".
_LIST_MARKER = re.compile(r"^[-\u2022*]\s+")


def is_boilerplate(line: str) -> bool:
    """Return True for a line of page furniture rather than article text: a "Read more:"
    link to another story, a lone "Advertisement" label, a count of comments or of slides, a
    copyright notice, a request to subscribe or follow, the placeholder of an embedded post,
    a player's "Close" button; as a line or as a list item. Lines over 200 characters are
    always article text."""
    folded = _LIST_MARKER.sub("", line.strip().casefold())
    if len(folded) > 200:
        return False
    marked = _CROSS_REFERENCE.match(folded) or _COUNTER_LINK.match(folded)
    if marked or _PLACEHOLDER.match(folded) or _COPYRIGHT.search(folded):
        return True
    return bool(_CALL_TO_ACTION.search(folded)) or folded.strip(" :.|•·-") in _FURNITURE_LABELS


def drop_hidden(tree: lxml.html.HtmlElement) -> None:
    """Remove from ``tree`` the elements a browser does not show, ``hidden``, ``display:
    none``, ``visibility: hidden`` (cookie dialogs, templates, player menus, paywalled
    copies), and those it hides from screen readers, ``aria-hidden="true"``. Nothing is
    removed when they hold nine tenths of the paragraph text: a script then shows them (a
    gallery shown one item at a time)."""
    hidden = _outermost(
        [
            node
            for node in tree.xpath(_HIDDEN_XPATH)
            if node.get("hidden") is not None
            or node.get("aria-hidden") == "true"
            or _HIDDEN_STYLE.search(node.get("style") or "")
        ]
    )
    if not hidden:
        return
    hidden_chars = sum(_paragraph_chars(node) for node in hidden)
    if hidden_chars > 0.9 * _paragraph_chars(tree):
        return
    for node in hidden:
        node.drop_tree()


def _paragraph_chars(node: lxml.html.HtmlElement) -> int:
    return sum(len(paragraph.text_content().strip()) for paragraph in node.iter("p"))


def _outermost(nodes: list[lxml.html.HtmlElement]) -> list[lxml.html.HtmlElement]:
    chosen = set(nodes)
    return [node for node in nodes if not any(up in chosen for up in node.iterancestors())]
