"""How damaged index bytes show, and their report as :class:`IndexCorruptError`.

Whoosh keeps no checksums: a segment damaged after it was written (a bad disk, a copy
cut short) is found only when a query decodes the damaged part. The engine then fails
in many ways: an UnpicklingError, a zlib error, a short struct, an IndexError from a
field number, an AttributeError from a pickle that builds the wrong object.
:func:`reads_index` wraps the methods that read an index so that those failures say
what happened and how to repair it, while any other error still escapes as a bug.
"""

from __future__ import annotations

import errno
import functools
import pickle
import struct
import zlib
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from whoosh.filedb.filetables import FileFormatError
from whoosh.reading import ReaderClosed, TermNotFound

from search.errors import IndexCorruptError, SearchError

__all__ = ["DamagedDocument", "damage", "reads_index"]

Method = TypeVar("Method", bound=Callable[..., Any])


class DamagedDocument(ValueError):
    """A document's stored fields are not what was written."""


# Raised while reading only when the bytes read are not what was written.
_DECODING_ERRORS = (
    zlib.error,
    pickle.UnpicklingError,
    struct.error,
    EOFError,
    UnicodeError,
    FileFormatError,
    TermNotFound,
    DamagedDocument,
)
# The modules that turn index bytes into values: whatever fails inside them is taken as
# damage.
_READING_MODULES = (
    "search.codec",
    "whoosh.codec.",
    "whoosh.columns",
    "whoosh.filedb.",
    "whoosh.formats",
    "whoosh.reading",
    "whoosh.util.numeric",
    "whoosh.util.times",
)
# A system error says damage only when a damaged offset made a seek fail, the disk could
# not read the bytes, or a file the table of contents names is missing; a full disk or a
# denied permission is not damage.
_DAMAGE_ERRNOS = frozenset({errno.EINVAL, errno.EIO, errno.ENOENT})
# What the engine's arithmetic raises on counts and lengths read from damaged bytes (the
# log of a negative frequency): the searcher gives it no values of its own.
_NUMERIC_ERRORS = (ArithmeticError, ValueError, LookupError)


def reads_index(method: Method) -> Method:
    """Make ``method`` (of an object with an ``index_dir``) raise IndexCorruptError for
    the errors that damaged index bytes cause."""

    @functools.wraps(method)
    def reading(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (SearchError, ReaderClosed):
            raise
        except Exception as exc:
            reason = damage(exc)
            if reason is None:
                raise
            raise IndexCorruptError(self.index_dir, reason) from exc

    return reading  # type: ignore[return-value]


def damage(exc: BaseException) -> str | None:
    """How ``exc`` shows damaged index bytes ("damaged: ..."), or None if it does not."""
    if isinstance(exc, OSError) and exc.errno not in _DAMAGE_ERRNOS:
        return None
    module = _raised_in(exc.__traceback__)
    if (
        isinstance(exc, _DECODING_ERRORS)
        or module.startswith(_READING_MODULES)
        or (module.startswith("whoosh.") and isinstance(exc, _NUMERIC_ERRORS))
    ):
        text = str(exc)
        return (
            f"damaged: {type(exc).__name__}: {text}" if text else f"damaged: {type(exc).__name__}"
        )
    return None


def _raised_in(traceback: TracebackType | None) -> str:
    """The module of the innermost Python frame of ``traceback``."""
    if traceback is None:
        return ""
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback.tb_frame.f_globals.get("__name__", "")
