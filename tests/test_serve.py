"""`search serve`: a query it answers prints exactly what the command prints itself; the
command runs itself whenever no server answers."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import deadline

from search import Indexer, serve
from search.serve import PROTOCOL, QueryServer, Request, ServeError, ask, socket_path

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets")

SEARCH = [sys.executable, "-c", "from search.launch import main; main()"]
# A socket folder that does not exist: the command runs itself.
NO_SERVER = Path("/nonexistent-news-search")


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The folder servers put their sockets in, for this test only (short: a socket's
    path must fit in 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="ns-", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


class Running:
    """A server answering in a thread of the test process; counts its answers."""

    def __init__(self, index_dir: Path) -> None:
        self.server = QueryServer(str(index_dir))
        self.answered = 0
        run = self.server.run

        def counted(request):
            self.answered += 1
            return run(request)

        self.server.run = counted  # type: ignore[method-assign]
        self.server.listen()
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.close()
        self.thread.join(timeout=10)


@pytest.fixture
def served(index_dir: Path, runtime: Path) -> Iterator[Running]:
    running = Running(index_dir)
    yield running
    running.close()


def _search(args: list[str], runtime: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    return subprocess.run([*SEARCH, *args], capture_output=True, env=env, timeout=60, check=False)


def _serve_process(index_dir: Path, runtime: Path) -> subprocess.Popen[bytes]:
    """`search serve` for ``index_dir`` in a process of its own, its stderr to read."""
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    return subprocess.Popen(
        [*SEARCH, "serve", "--index", str(index_dir)], stderr=subprocess.PIPE, env=env
    )


def _without_timing(output: bytes) -> bytes:
    return b"".join(line for line in output.splitlines(True) if b'"elapsed":' not in line)


@pytest.mark.parametrize(
    "args",
    [
        ["query", "evacuation flights"],
        ["query", "evacuation flights", "--json", "--facets", "source"],
        ["query", "zzqx"],  # no match
        ["query", "(((kabul"],  # repaired, with a warning
        ["query", "(((kabul", "--strict"],  # exit 1
        ["query", "kabul", "--since", "2021-13"],  # usage error, exit 2
        ["timeline", "kabul", "--by", "day"],
        ["similar", "https://example.com/world/kabul-airport", "--json"],
        ["show", "https://example.com/world/kabul-cash"],
        ["show", "https://example.com/nowhere"],  # exit 1
        ["stats", "--json"],
    ],
)
def test_a_served_command_prints_what_the_command_prints(
    served: Running, index_dir: Path, runtime: Path, args: list[str]
) -> None:
    argv = [*args, "--index", str(index_dir)]
    answered = _search(argv, runtime)
    itself = _search(argv, NO_SERVER)
    assert served.answered == 1
    assert answered.returncode == itself.returncode
    assert _without_timing(answered.stdout) == _without_timing(itself.stdout)
    assert answered.stderr == itself.stderr


@pytest.mark.parametrize("args", [["stats"], ["stats", "--json"]])
def test_a_served_stats_names_the_index_as_the_user_did(
    served: Running, index_dir: Path, runtime: Path, tmp_path: Path, args: list[str]
) -> None:
    link = tmp_path / "index-link"
    link.symlink_to(index_dir, target_is_directory=True)
    argv = [*args, "--index", str(link)]
    answered = _search(argv, runtime)
    itself = _search(argv, NO_SERVER)
    assert served.answered == 1
    assert answered.stdout == itself.stdout
    assert str(link) in answered.stdout.decode()


def test_a_served_query_is_written_in_the_clients_encoding(tmp_path: Path, runtime: Path) -> None:
    page = tmp_path / "articles" / "page.html"
    page.parent.mkdir()
    text = "The lake ferries of Z\u00fcrich carried more people this summer than ever before. "
    page.write_text(
        "<html><head><title>\u201eGl\u00fcck\u201c in Z\u00fcrich</title></head>"
        f"<body><p>{text * 3}</p></body></html>",
        encoding="utf-8",
    )
    index_dir = tmp_path / "index"
    with Indexer(index_dir) as indexer:
        indexer.sync([page.parent])
    argv = ["query", "ferries", "--index", str(index_dir)]
    with QueryServer(str(index_dir)) as server:
        code, out, err = server.run(Request(argv, cwd=str(tmp_path), encoding="latin-1"))
    env = {**os.environ, "PYTHONIOENCODING": "latin-1", "XDG_RUNTIME_DIR": str(NO_SERVER)}
    itself = subprocess.run([*SEARCH, *argv], capture_output=True, env=env, check=False)
    assert (code, out, err) == (0, itself.stdout, itself.stderr)
    assert out.decode("latin-1").startswith("1. ?Gl\u00fcck? in Z\u00fcrich\n")


def test_a_server_finds_what_was_indexed_after_it_started(
    built: tuple[Path, Path], tmp_path: Path, runtime: Path, capsysbinary
) -> None:
    index_dir = Path(shutil.copytree(built[1], tmp_path / "index"))
    running = Running(index_dir)
    try:
        new = tmp_path / "new"
        new.mkdir()
        (new / "tide.txt").write_text(
            "Tide mill turns again\n\nThe tide mill on the estuary ground its first sack "
            "of flour in a hundred years.\n",
            encoding="utf-8",
        )
        with Indexer(index_dir) as indexer:
            assert indexer.sync([new]).added == 1
        code = ask(["query", "flour", "--index", str(index_dir), "--json"])
    finally:
        running.close()
    assert (code, running.answered) == (0, 1)
    hits = json.loads(capsysbinary.readouterr().out)["hits"]
    assert [hit["title"] for hit in hits] == ["Tide mill turns again"]


def test_a_relative_index_is_read_from_the_clients_folder(
    served: Running, index_dir: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary
) -> None:
    monkeypatch.chdir(index_dir.parent)
    monkeypatch.setenv("SEARCH_INDEX", index_dir.name)
    assert ask(["query", "evacuation flights"]) == 0
    assert served.answered == 1
    assert b"1. Taliban Seize Kabul Airport Road\n" in capsysbinary.readouterr().out


def test_without_a_server_the_command_runs_itself(
    index_dir: Path, runtime: Path, tmp_path: Path
) -> None:
    argv = ["query", "kabul", "--index", str(index_dir)]
    assert ask(argv) is None  # no socket at all
    # A socket left by a server that was killed: nobody answers on it.
    path = socket_path(str(index_dir))
    assert path is not None
    os.makedirs(os.path.dirname(path), mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()
    assert ask(argv) is None
    result = _search(argv, runtime)
    assert result.returncode == 0 and result.stdout.startswith(b"1. ")


def test_commands_that_write_or_check_are_not_sent(served: Running, index_dir: Path) -> None:
    for argv in (["index", "corpus/"], ["check"], ["extract", "page.html"], ["serve"]):
        assert ask([*argv, "--index", str(index_dir)]) is None
    assert ask(["query", "kabul", "--index", str(index_dir), "--help"]) is None
    assert ask([]) is None
    assert served.answered == 0
    # Nor does a server run them when asked.
    assert served.server._answers_for(Request(["index", "corpus/"], cwd="/")) is False


def test_a_socket_folder_others_can_enter_is_not_used(served: Running, index_dir: Path) -> None:
    folder = os.path.dirname(served.server.socket_path)
    os.chmod(folder, 0o755)
    assert ask(["query", "kabul", "--index", str(index_dir)]) is None
    assert served.answered == 0
    with pytest.raises(ServeError, match="not a folder only this user can enter"):
        QueryServer(str(index_dir)).listen()


def test_one_server_per_index(served: Running, index_dir: Path) -> None:
    with pytest.raises(ServeError, match="a server already answers for"):
        QueryServer(str(index_dir)).listen()


def test_a_request_of_another_protocol_or_none_is_not_answered(
    served: Running, index_dir: Path
) -> None:
    request = Request(["query", "kabul", "--index", str(index_dir)], cwd="/")
    replies = []
    for data in (request.encode(PROTOCOL + 1), b"not a request"):
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(served.server.socket_path)
            client.sendall(data)
            client.shutdown(socket.SHUT_WR)
            replies.append(serve._read_all(client))
    assert replies == [b"+-\n", b"+"]  # greeted, then not answered
    assert served.answered == 0


def test_an_index_removed_under_a_server_is_reported_by_the_command(
    built: tuple[Path, Path], tmp_path: Path, runtime: Path
) -> None:
    index_dir = Path(shutil.copytree(built[1], tmp_path / "index"))
    running = Running(index_dir)
    try:
        shutil.rmtree(index_dir)
        argv = ["query", "kabul", "--index", str(index_dir)]
        assert ask(argv) is None
        # The server stops, letting the index's files go, and gives its socket up.
        running.thread.join(timeout=10)
        assert not running.thread.is_alive()
        assert not os.path.exists(running.server.socket_path)
        result = _search(argv, runtime)
    finally:
        running.close()
    assert running.answered == 0
    assert result.returncode == 1
    assert result.stderr.startswith(b"error: no index at ")


def test_serve_command_answers_until_terminated(index_dir: Path, runtime: Path) -> None:
    server = _serve_process(index_dir, runtime)
    assert server.stderr is not None
    try:
        line = server.stderr.readline()
        assert line == f"answering queries on {index_dir.resolve()}; Ctrl-C stops\n".encode()
        path = socket_path(str(index_dir))
        assert path is not None and path.startswith(str(runtime))
        result = _search(["query", "evacuation flights", "--index", str(index_dir)], runtime)
        assert result.stdout.startswith(b"1. Taliban Seize Kabul Airport Road\n")
        second = _search(["serve", "--index", str(index_dir)], runtime)
        assert (second.returncode, second.stderr) == (
            1,
            f"error: a server already answers for {index_dir.resolve()}\n".encode(),
        )
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    assert server.stderr.read() == b"stopped\n"
    assert not os.path.exists(path)


def test_an_idle_server_stops(index_dir: Path, runtime: Path) -> None:
    server = QueryServer(str(index_dir))
    started = time.monotonic()
    with server:
        server.serve(idle=0.2)
    assert time.monotonic() - started < 10
    assert not os.path.exists(server.socket_path)


def test_queries_read_through_the_servers_searcher(index_dir: Path, tmp_path: Path) -> None:
    from search import IndexNotFoundError, Searcher, cli

    link = tmp_path / "same-index"
    link.symlink_to(index_dir)
    with Searcher(index_dir) as kept, cli.serving(str(index_dir), kept):
        with cli._searcher(str(link)) as searcher:
            assert searcher is kept
        with pytest.raises(IndexNotFoundError):  # another index is opened as usual
            cli._searcher(str(tmp_path / "other"))
        assert kept.search("kabul").total > 0  # and the kept one stays open


def test_styles_are_kept_for_a_terminal(index_dir: Path, runtime: Path) -> None:
    argv = ["query", "evacuation flights", "--index", str(index_dir)]
    with QueryServer(str(index_dir)) as server:
        on_terminal = server.run(Request(argv, cwd="/", stdout_tty=True))[1]
        in_a_file = server.run(Request(argv, cwd="/"))[1]
    assert on_terminal.startswith(b"\x1b[1m1. Taliban Seize Kabul Airport Road\x1b[0m\n")
    assert in_a_file.startswith(b"1. Taliban Seize Kabul Airport Road\n")


def test_a_request_survives_the_wire() -> None:
    argv = ["query", "line\nbreak", "", "caf\udce9", "--index", "/x y/ix"]
    env = {"SEARCH_INDEX": "", "TZ": "JST-9"}
    sent = Request(argv, cwd="/tmp", env=env, encoding="latin-1", stderr_tty=True)
    got = Request.decode(sent.encode())
    assert got is not None
    assert vars(got) == vars(sent)
    # Only the forwarded variables are taken.
    odd = Request(argv, cwd="/", env={"PATH": "/bin", "TZ": "UTC0"}).encode()
    assert Request.decode(odd).env == {"TZ": "UTC0"}  # type: ignore[union-attr]


def test_output_cut_short_by_its_reader_ends_quietly(
    served: Running, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class ClosedPipe:
        encoding = "utf-8"

        class buffer:  # the binary stream under a text stream
            @staticmethod
            def write(data: bytes) -> int:
                raise BrokenPipeError(32, "Broken pipe")

        def isatty(self) -> bool:
            return False

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert ask(["query", "kabul", "--index", str(index_dir)]) == 1
    assert served.answered == 1


def test_ctrl_c_during_a_command_stops_the_server(
    index_dir: Path, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search import Searcher

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Searcher, "search", interrupted)
    with QueryServer(str(index_dir)) as server:
        server.listen()
        replies: list[int | None] = []
        client = threading.Thread(
            target=lambda: replies.append(ask(["query", "kabul", "--index", str(index_dir)]))
        )
        client.start()
        with pytest.raises(KeyboardInterrupt), deadline(20):
            server.serve()
        client.join(timeout=30)
    assert replies == [130]  # the client hears what the command said: interrupted


def test_the_clients_time_zone_is_used(served: Running, index_dir: Path, runtime: Path) -> None:
    # "search stats" prints its last update in local time.
    printed = {}
    for zone in ("UTC0", "JST-9"):
        argv = ["stats", "--index", str(index_dir)]
        answered = subprocess.run(
            [*SEARCH, *argv], capture_output=True, check=False,
            env={**os.environ, "XDG_RUNTIME_DIR": str(runtime), "TZ": zone},
        )  # fmt: skip
        itself = subprocess.run(
            [*SEARCH, *argv], capture_output=True, check=False,
            env={**os.environ, "XDG_RUNTIME_DIR": str(NO_SERVER), "TZ": zone},
        )  # fmt: skip
        assert answered.stdout == itself.stdout
        printed[zone] = answered.stdout
    assert served.answered == 2
    assert printed["UTC0"] != printed["JST-9"]


def test_a_client_in_a_deleted_folder_runs_the_command_itself(
    served: Running, index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert ask(["query", "kabul", "--index", str(index_dir)]) is None
    assert served.answered == 0


# -- servers started by the commands themselves -----------------------------------------


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict]]:
    """The processes started in the background, recorded instead of started."""
    started: list[tuple[list[str], dict]] = []

    def record(args: list[str], **kwargs: object) -> None:
        started.append((args, kwargs))

    monkeypatch.setattr(subprocess, "Popen", record)
    return started


def _launch(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """The exit status of ``search <argv>`` run through the entry point, in this process."""
    from search import launch

    def leave(code: int) -> None:
        raise SystemExit(code)  # not the process: pytest's

    monkeypatch.setattr(sys, "argv", ["search", *argv])
    monkeypatch.setattr(launch, "_leave", leave)
    with pytest.raises(SystemExit) as done:
        launch.main()
    return done.value.code or 0  # type: ignore[return-value]


def test_a_query_that_ran_itself_starts_a_server_for_the_next(
    index_dir: Path, runtime: Path, spawned: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEARCH_SERVE_IDLE")
    assert _launch(["query", "kabul", "--index", str(index_dir)], monkeypatch) == 0
    [(args, options)] = spawned
    package_root = str(Path(serve.__file__).resolve().parent.parent)
    assert args[:2] == [sys.executable, "-c"] and "# search serve" in args[2]  # for ps
    assert args[3:] == [package_root, "serve", "--index", str(index_dir.resolve()), "--idle", "5"]
    assert options == {
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "cwd": "/",
        "start_new_session": True,
    }


def test_a_started_server_runs_the_copy_of_news_search_it_is_given(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    (copy / "search").mkdir(parents=True)
    (copy / "search" / "__init__.py").write_text("")
    (copy / "search" / "launch.py").write_text(
        f"import sys\ndef main():\n    print(sys.argv[1:], sys.path.index({str(copy)!r}))\n"
    )
    command = [*serve._SERVER[:3], str(copy), "serve", "--idle", "5"]
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    ran = subprocess.run(command, capture_output=True, text=True, cwd="/", env=env, check=True)
    assert ran.stdout == "['serve', '--idle', '5'] 0\n"  # first on the path, not in argv


@pytest.mark.parametrize(
    ("idle", "argv", "code", "warning"),
    [
        ("0", ["query", "kabul"], 0, None),
        ("soon", ["query", "kabul"], 0, "soon"),
        ("inf", ["query", "kabul"], 0, "inf"),
        ("525601", ["query", "kabul"], 0, "525601"),  # more than a year
        ("-1", ["query", "kabul"], 0, "-1"),
        ("5", ["query", "(((kabul", "--strict"], 1, None),  # the command failed
        ("5", ["query", "kabul", "--help"], 0, None),
        ("5", ["check"], 0, None),  # a command no server answers
    ],
)  # fmt: skip
def test_no_server_is_started_unless_a_served_command_succeeded(
    index_dir: Path,
    runtime: Path,
    spawned: list,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    idle: str,
    argv: list[str],
    code: int,
    warning: str | None,
) -> None:
    monkeypatch.setenv("SEARCH_SERVE_IDLE", idle)
    assert _launch([*argv, "--index", str(index_dir)], monkeypatch) == code
    assert spawned == []
    said = [line for line in capsys.readouterr().err.splitlines() if "SEARCH_SERVE_IDLE" in line]
    assert said == (
        [
            f"warning: SEARCH_SERVE_IDLE={warning} is not a number of minutes from 0 to"
            " 525600 (0 starts no server); no server started"
        ]
        if warning
        else []
    )


def test_a_server_asked_for_minutes_waits_that_long(
    index_dir: Path, runtime: Path, spawned: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCH_SERVE_IDLE", "0.5")
    assert _launch(["stats", "--index", str(index_dir)], monkeypatch) == 0
    assert [args[-2:] for args, _ in spawned] == [["--idle", "0.5"]]


def test_no_second_server_is_started(
    served: Running, index_dir: Path, spawned: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    from search.serve import start_in_background

    start_in_background(["query", "kabul", "--index", str(index_dir)])
    assert spawned == []


def test_of_two_servers_started_at_once_one_answers(index_dir: Path, runtime: Path) -> None:
    with QueryServer(str(index_dir)) as first, QueryServer(str(index_dir)) as second:
        first.listen()
        os.unlink(first.socket_path)  # as if the second came before the first had bound it
        with pytest.raises(ServeError, match="a server already answers for"):
            second.listen()


def test_a_server_stops_once_its_code_changed(
    served: Running, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "_code_stamp", lambda: [("serve.py", 0, 0)])
    assert ask(["query", "kabul", "--index", str(index_dir)]) is None  # runs itself
    served.thread.join(timeout=10)
    assert not served.thread.is_alive()
    assert served.answered == 0


def test_the_code_stamp_covers_the_package() -> None:
    names = {
        os.path.relpath(path, Path(serve.__file__).parent) for path, _, _ in serve._code_stamp()
    }
    assert {"serve.py", "cli.py", os.path.join("extract", "html.py")} <= names
    assert not any("__pycache__" in name for name in names)


def test_serve_stop_stops_the_server_of_the_index(index_dir: Path, runtime: Path) -> None:
    server = _serve_process(index_dir, runtime)
    assert server.stderr is not None
    try:
        assert server.stderr.readline().startswith(b"answering queries on ")
        stop = _search(["serve", "--stop", "--index", str(index_dir)], runtime)
        assert (stop.returncode, stop.stderr) == (
            0,
            f"stopped the server answering for {index_dir}\n".encode(),
        )
        path = socket_path(str(index_dir))
        assert path is not None
        # Gone before --stop returned: a server started next takes the socket.
        assert not os.path.exists(path) and serve._holder(path + ".lock") is None
        assert server.wait(timeout=30) == 0
        assert server.stderr.read() == b"stopped\n"
    finally:
        server.kill()
        server.wait(timeout=30)
    again = _search(["serve", "--stop", "--index", str(index_dir)], runtime)
    assert (again.returncode, again.stderr) == (0, f"no server answers for {index_dir}\n".encode())


def test_a_started_server_answers_the_next_query(index_dir: Path, runtime: Path) -> None:
    argv = ["query", "evacuation flights", "--index", str(index_dir)]
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SEARCH_SERVE_IDLE": "1"}
    first = subprocess.run([*SEARCH, *argv], capture_output=True, env=env, timeout=60, check=True)
    path = socket_path(str(index_dir))
    assert path is not None
    try:
        started = time.monotonic()
        while not serve._answers(path):
            assert time.monotonic() - started < 30, "no server started"
            time.sleep(0.05)
        pid = serve._holder(path + ".lock")
        assert pid and os.getsid(pid) == pid  # a session of its own: no terminal
        # Answered: the client never imports the command's modules.
        traced = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
        second = subprocess.run(
            [*SEARCH, *argv], capture_output=True, env=traced, timeout=60, check=False
        )
    finally:
        stopped = serve.stop_server(str(index_dir))
    assert (second.returncode, second.stdout) == (0, first.stdout)
    assert b"| search.serve\n" in second.stderr and b"search.cli" not in second.stderr
    assert first.stdout.startswith(b"1. Taliban Seize Kabul Airport")
    assert stopped


def test_a_warmed_server_takes_its_socket_once_warm(
    index_dir: Path, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    run = QueryServer.run

    def recorded(self: QueryServer, request: Request) -> tuple[int, bytes, bytes]:
        seen.append(os.path.exists(self.socket_path))
        return run(self, request)

    monkeypatch.setattr(QueryServer, "run", recorded)
    with QueryServer(str(index_dir)) as server:
        server.listen(warm=True)
        assert seen == [False]  # the warming query ran before a client could connect
        assert os.path.exists(server.socket_path)


def test_a_changed_server_stops_whatever_protocol_it_is_asked_in(
    served: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An upgrade that changes the requests' shape: the old server must still give way.
    monkeypatch.setattr(serve, "_code_stamp", lambda: [("serve.py", 0, 0)])
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(served.server.socket_path)
        client.sendall(b"99\0search\0/\0utf-8\0000\0000\0query\0kabul")
        client.shutdown(socket.SHUT_WR)
        assert serve._read_all(client) == b"+-\n"
    served.thread.join(timeout=10)
    assert not served.thread.is_alive()


def test_each_copy_of_news_search_has_its_own_server(
    index_dir: Path, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = socket_path(str(index_dir))
    monkeypatch.setattr(serve, "_PACKAGE", "/another/site-packages/search")
    assert socket_path(str(index_dir)) not in (None, here)


def test_a_client_that_sends_nothing_holds_up_no_other(
    served: Running, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "_CLIENT_SECONDS", 0.2)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stopped:
        stopped.connect(served.server.socket_path)  # and stopped (Ctrl-Z) before sending
        started = time.monotonic()
        assert ask(["query", "kabul", "--index", str(index_dir)]) == 0
        assert time.monotonic() - started < 5
    assert served.answered == 1


def test_ctrl_c_while_waiting_for_a_server_is_said_as_the_command_says_it(
    served: Running, index_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def interrupted(path: str, request: bytes) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "_exchange", interrupted)
    assert ask(["query", "kabul", "--index", str(index_dir)]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_output_to_a_full_disk_is_said_as_the_command_says_it(
    served: Running, index_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    class FullDisk(io.TextIOWrapper):
        def __init__(self) -> None:
            super().__init__(io.BytesIO(), encoding="utf-8")

        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys, "stdout", FullDisk())
    assert ask(["query", "kabul", "--index", str(index_dir)]) == 1
    assert capsys.readouterr().err == "error: cannot write: No space left on device\n"


def test_nothing_is_written_to_stderr_when_the_command_said_nothing(
    served: Running, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unwritable(io.TextIOWrapper):  # a stderr on a full disk
        def __init__(self) -> None:
            super().__init__(io.BytesIO(), encoding="utf-8")

        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys, "stderr", Unwritable())
    assert ask(["query", "kabul", "--index", str(index_dir)]) == 0


@pytest.mark.parametrize(
    ("program", "name"),
    [
        ("/venv/bin/search", "search"),
        ("/venv/lib/python3.11/site-packages/search/__main__.py", "python -m search"),
        ("", "search"),
    ],
)
def test_the_program_is_named_as_click_names_it(
    program: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", [program, "query", "kabul"])
    assert serve._program_name() == name


def test_an_idle_time_too_long_for_a_socket_is_a_usage_error(index_dir: Path) -> None:
    from click.testing import CliRunner

    from search.cli import main

    result = CliRunner().invoke(main, ["serve", "--index", str(index_dir), "--idle", "1e9"])
    assert result.exit_code == 2
    assert "'--idle': 1000000000.0 is not in the range 0<x<=525600." in result.stderr


def test_a_warning_without_stderr_is_not_printed_to_stdout(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("SEARCH_SERVE_IDLE", "soon")
    monkeypatch.setattr(sys, "stderr", None)
    assert serve._idle_minutes() is None
    assert capsys.readouterr().out == ""


def test_no_server_is_started_where_it_could_not_listen(
    index_dir: Path, runtime: Path, spawned: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCH_SERVE_IDLE", "5")
    folder = runtime / f"news-search-{os.getuid()}"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)  # others may enter: made by someone else, maybe
    serve.start_in_background(["query", "kabul", "--index", str(index_dir)])
    assert spawned == []


def test_a_relative_socket_folder_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # A server runs in "/": a relative folder would be another one for it.
    monkeypatch.setenv("XDG_RUNTIME_DIR", "run")
    assert serve._runtime_dir() == f"/tmp/news-search-{os.getuid()}"


@pytest.mark.parametrize("kind", ["link", "folder", "pipe"])
def test_something_else_at_the_lock_is_said_plainly(
    index_dir: Path, runtime: Path, kind: str
) -> None:
    with QueryServer(str(index_dir)) as server:
        lock = Path(server.socket_path + ".lock")
        lock.parent.mkdir(mode=0o700, exist_ok=True)
        {
            "link": lambda: lock.symlink_to(runtime / "elsewhere"),
            "folder": lambda: lock.mkdir(),
            "pipe": lambda: os.mkfifo(lock),
        }[kind]()
        with deadline(10):
            assert serve._holder(str(lock)) is None  # nothing holds it; and no hang
            with pytest.raises(ServeError, match=f"^cannot take the lock {lock}: "):
                server.listen()
    assert not (runtime / "elsewhere").exists()


def test_the_last_index_option_counts_as_for_click() -> None:
    argv = ["query", "kabul", "--index", "first", "--index=second", "--", "--index", "x"]
    assert serve._index_of(argv) == "second"


def test_ctrl_c_while_a_command_loads_is_said_as_the_command_says_it(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from search import launch

    def interrupted(argv: list[str]) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "ask", interrupted)
    monkeypatch.setattr(sys, "argv", ["search", "query", "kabul"])
    with pytest.raises(SystemExit) as done:
        launch.main()
    assert done.value.code == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_an_idle_time_that_is_no_number_is_a_usage_error(index_dir: Path) -> None:
    from click.testing import CliRunner

    from search.cli import main

    result = CliRunner().invoke(main, ["serve", "--index", str(index_dir), "--idle", "nan"])
    assert result.exit_code == 2
    assert "Invalid value for '--idle': nan is not a number" in result.stderr


def test_a_folder_in_the_sockets_place_is_said_plainly(index_dir: Path, runtime: Path) -> None:
    with QueryServer(str(index_dir)) as server:
        Path(server.socket_path).parent.mkdir(mode=0o700)
        Path(server.socket_path).mkdir()
        with pytest.raises(ServeError, match=f"^cannot listen on {server.socket_path}: "):
            server.listen()
        assert serve._holder(server.socket_path + ".lock") is None  # let go


def test_a_waiting_server_stops_once_its_index_is_gone(
    built: tuple[Path, Path], tmp_path: Path, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "_LOOK_SECONDS", 0.1)
    index_dir = Path(shutil.copytree(built[1], tmp_path / "index"))
    running = Running(index_dir)
    try:
        shutil.rmtree(index_dir)  # and no query comes
        running.thread.join(timeout=10)
        assert not running.thread.is_alive()
        assert not os.path.exists(running.server.socket_path)
    finally:
        running.close()


def test_closing_a_server_waits_for_the_request_it_answers(
    served: Running, index_dir: Path
) -> None:
    entered, release = threading.Event(), threading.Event()
    run = served.server.run

    def slow(request: Request) -> tuple[int, bytes, bytes]:
        entered.set()
        release.wait(10)
        return run(request)

    served.server.run = slow  # type: ignore[method-assign]
    replies: list[int | None] = []
    client = threading.Thread(
        target=lambda: replies.append(ask(["query", "kabul", "--index", str(index_dir)]))
    )
    client.start()
    assert entered.wait(10)
    closing = threading.Thread(target=served.server.close)
    closing.start()
    closing.join(timeout=0.5)
    assert closing.is_alive()  # waiting for the answer
    release.set()
    closing.join(timeout=10)
    client.join(timeout=10)
    assert replies == [0]


def test_a_server_that_does_not_take_a_client_up_is_not_waited_for(
    index_dir: Path, runtime: Path
) -> None:
    # Stopped (Ctrl-Z), or busy with a long command: the client runs the command itself.
    path = socket_path(str(index_dir))
    assert path is not None
    os.makedirs(os.path.dirname(path), mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stalled:
        stalled.bind(path)
        stalled.listen(16)  # and never accepts
        started = time.monotonic()
        assert ask(["query", "kabul", "--index", str(index_dir)]) is None
        assert time.monotonic() - started < 5


def test_a_waiting_server_stops_once_its_code_changed(
    index_dir: Path, runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "_LOOK_SECONDS", 0.1)
    running = Running(index_dir)
    try:
        monkeypatch.setattr(serve, "_code_stamp", list)  # uninstalled; and no query comes
        running.thread.join(timeout=10)
        assert not running.thread.is_alive()
        assert not os.path.exists(running.server.socket_path)
    finally:
        running.close()
