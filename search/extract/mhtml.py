"""MHTML web archives (.mhtml, .mht) -> the saved page's HTML and address.

Browsers save a page as a single file ("Webpage, Single File") in MIME format: a header
naming the page's address ("Snapshot-Content-Location"), the page itself as a
``text/html`` part, then its images and style sheets. The page part goes to the HTML
reader; its address stands in for a page that names none.
"""

from __future__ import annotations

import email.parser
import email.policy

from search.extract.common import BadInput
from search.extract.decode import decode

__all__ = ["saved_page"]


def saved_page(data: bytes) -> tuple[str, str]:
    """Return the HTML text of the page in the MHTML archive ``data`` and the address it
    was saved from ("" when the archive does not say).

    Raises :class:`BadInput` when the archive holds no HTML part.
    """
    archive = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)
    address = str(archive.get("Snapshot-Content-Location") or "").strip()
    for part in archive.walk():
        if part.get_content_type() != "text/html":
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload.strip():
            return decode(payload, markup=True), address or _location(part)
    raise BadInput("no web page in the MHTML archive")


def _location(part) -> str:
    return str(part.get("Content-Location") or "").strip()
