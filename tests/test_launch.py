"""The ``search`` command's entry point (search.launch) loads Whoosh without the
``urllib.request`` that Whoosh imports and the command never uses, and leaves the module
whole for whatever imports it afterwards. Each test runs a fresh interpreter."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from search.launch import _exit_status


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
    # The process says as it leaves whether urllib.request was imported.
    code = (
        "import os, sys\n"
        "leave = os._exit\n"
        "def said(code):\n"
        "    print('urllib.request' in sys.modules, file=sys.stderr, flush=True)\n"
        "    leave(code)\n"
        "os._exit = said\n"
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


def test_a_command_leaves_at_once_with_its_output_whole(corpus: Path, tmp_path: Path) -> None:
    # Nothing is torn down after the command (no exit handler runs), and nothing it
    # wrote is lost: the index checks out, and a long answer to a pipe is all there.
    code = (
        "import atexit\n"
        "atexit.register(print, 'torn down')\n"
        "from search.launch import main\n"
        "main()\n"
    )
    index = str(tmp_path / "index")
    built = _python(code, "index", str(corpus), "--index", index)
    assert built.returncode == 0
    assert re.fullmatch(
        rb"8 added, 0 updated, 0 removed, 0 unchanged, 0 files skipped in \d+\.\ds\n",
        built.stdout,
    )
    checked = _python(code, "check", "--index", index)
    assert checked.returncode == 0 and b"torn down" not in checked.stdout
    assert checked.stdout.splitlines()[-1] == (
        b"ok: 8 articles from 5 files in 1 segments, in line with the files on disk"
    )
    # Some 5 KB, held in the output's buffer until the command leaves.
    text = "kabul OR taliban OR banks OR said"
    listed = _python(code, "query", text, "--index", index, "--json", "--limit", "50")
    assert listed.returncode == 0
    found = json.loads(listed.stdout)
    assert (found["total"], len(found["hits"])) == (6, 6)


def test_a_failed_command_leaves_with_its_status_and_message(index_dir: Path) -> None:
    code = "from search.launch import main\nmain()\n"
    failed = _python(code, "query", "walrus AND (", "--strict", "--index", str(index_dir))
    assert (failed.returncode, failed.stdout) == (1, b"")
    assert failed.stderr == b"error: unclosed parenthesis at position 12 in 'walrus AND ('\n"


@pytest.mark.parametrize(
    "code, status, said", [(None, 0, ""), (0, 0, ""), (2, 2, ""), ("no index", 1, "no index\n")]
)
def test_exit_status_is_what_sys_exit_would_leave_with(
    capsys: pytest.CaptureFixture[str], code: object, status: int, said: str
) -> None:
    assert _exit_status(code) == status
    assert capsys.readouterr().err == said
