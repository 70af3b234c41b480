"""The ``search`` command's entry point (search.launch) loads Whoosh without the
``urllib.request`` that Whoosh imports and the command never uses, and leaves the module
whole for whatever imports it afterwards. Each test runs a fresh interpreter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def _python(code: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    # Sockets of servers looked for in a folder of this test's own (short: a socket's
    # path must fit in 107 bytes).
    runtime = tempfile.mkdtemp(prefix="ns-", dir="/tmp")
    try:
        env = {**os.environ, "XDG_RUNTIME_DIR": runtime}
        command = [sys.executable, "-c", code, *args]
        return subprocess.run(command, capture_output=True, env=env, timeout=60, check=False)
    finally:
        shutil.rmtree(runtime)


def test_a_command_that_runs_itself_does_not_import_urllib(index_dir: Path) -> None:
    # The process says at exit whether urllib.request was imported.
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('urllib.request' in sys.modules, file=sys.stderr))\n"
        "from search.launch import main\n"
        "main()\n"
    )
    result = _python(code, "query", "kabul", "--index", str(index_dir))
    assert result.returncode == 0 and result.stdout.startswith(b"1. ")
    assert result.stderr.splitlines()[-1] == b"False"


def test_urllib_request_is_whole_after_whoosh_is_loaded(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("fetched", encoding="utf-8")
    code = (
        "from search.launch import import_whoosh\n"
        "import_whoosh()\n"
        "import urllib.request, whoosh.compat\n"
        "assert callable(urllib.request.urlopen)\n"
        f"name, _ = whoosh.compat.urlretrieve({page.as_uri()!r})\n"
        "print(open(name, encoding='utf-8').read())\n"
    )
    result = _python(code)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"fetched\n", b"")


def test_a_loaded_urllib_request_is_kept() -> None:
    code = (
        "import sys, urllib.request as loaded\n"
        "from search.launch import import_whoosh\n"
        "import_whoosh()\n"
        "import whoosh.compat\n"
        "print(sys.modules['urllib.request'] is loaded, whoosh.compat.urlretrieve is "
        "loaded.urlretrieve)\n"
    )
    result = _python(code)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"True True\n", b"")


def test_with_other_threads_running_whoosh_loads_as_it_is() -> None:
    # Another thread could import the stand-in while it is in place.
    code = (
        "import threading\n"
        "done = threading.Event()\n"
        "threading.Thread(target=done.wait).start()\n"
        "from search.launch import import_whoosh\n"
        "import_whoosh()\n"
        "import urllib.request, whoosh.compat\n"
        "print(whoosh.compat.urlretrieve is urllib.request.urlretrieve)\n"
        "done.set()\n"
    )
    result = _python(code)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"True\n", b"")
