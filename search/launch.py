"""The ``search`` command's entry point: a query goes to a ``search serve`` process when
one answers for its index (:func:`search.serve.ask`, importing nothing heavy); everything
else, and a query no server answers, runs :mod:`search.cli`."""

from __future__ import annotations

import sys


def main() -> None:
    from search.serve import ask

    code = ask(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from search.cli import main as run_command

    run_command()
