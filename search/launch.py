"""The ``search`` command's entry point: a query goes to a ``search serve`` process when
one answers for its index (:func:`search.serve.ask`, importing nothing heavy); everything
else, and a query no server answers, runs :mod:`search.cli`, after which a query that
read the index by itself starts a server for the next one
(:func:`search.serve.start_in_background`)."""

from __future__ import annotations

import os
import sys
import types


def main() -> None:
    try:
        _run()
    except KeyboardInterrupt:
        # Ctrl-C before a command took over (while it loads) or while a served command's
        # output is written: said as a command says it.
        if sys.stderr is not None:
            print("interrupted", file=sys.stderr)
        sys.exit(130)


def _run() -> None:
    from search.serve import ask, start_in_background

    argv = sys.argv[1:]
    code = ask(argv)
    if code is not None:
        _leave(code)
    import_whoosh()
    from search.cli import main as run_command

    try:
        run_command()
        status = 0
    except SystemExit as done:
        status = _exit_status(done.code)
    if not status:
        start_in_background(argv)
    # The command has closed what it wrote; what is left to free goes with the process:
    # tearing down Whoosh and the modules took some 30 ms of a 150 ms query.
    _leave(status)


def _exit_status(code: object) -> int:
    """What ``sys.exit(code)`` would exit with, saying a message as it would."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def import_whoosh() -> None:
    """Import Whoosh without the ``urllib.request`` it imports and does not use here:
    ``whoosh.compat`` takes ``urlretrieve`` from it, and with it ``http.client``,
    ``email`` and ``ssl``, about 30 ms of a fresh command's start. A stand-in is in
    place while Whoosh loads, then taken out, so a later import gets the module itself.

    Whoosh is imported as it is when ``urllib.request`` is loaded already, or when
    other threads run: one of them could import the stand-in.
    """
    import threading  # Whoosh imports it in any case

    stand_in = None
    if "urllib.request" not in sys.modules and threading.active_count() == 1:
        stand_in = types.ModuleType("urllib.request")
        stand_in.urlretrieve = _urlretrieve  # type: ignore[attr-defined]
        sys.modules["urllib.request"] = stand_in
    try:
        import whoosh.compat  # noqa: F401
    finally:
        if stand_in is not None:
            del sys.modules["urllib.request"]


def _urlretrieve(*args: object, **kwargs: object) -> tuple[str, object]:
    """``urllib.request.urlretrieve``, imported when first called."""
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


def _leave(code: int) -> None:
    """Exit at once with ``code`` once the output is flushed: a command leaves nothing
    else to close, and the interpreter's teardown would be a tenth of its time."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass  # closed, or gone: what could be written was
    os._exit(code)
