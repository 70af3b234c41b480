"""Answer ``search query`` (and the other commands that read the index) from a process that
keeps the index open.

A fresh ``search query`` spends most of its time starting: importing the engine and
opening the index. ``search serve`` does that once. It listens on a Unix socket that only
its user can reach, one socket per index, and runs each command a client sends exactly
as the command would run itself: in the client's folder, with its ``SEARCH_INDEX`` and
``TZ``, its output encoding and whether its output is a terminal. The client,
:func:`ask`, is called by the ``search`` entry point before anything heavy is imported;
whenever no server answers, the command runs itself as before, and then
:func:`start_in_background` starts a server for the next command, which stops after
``SEARCH_SERVE_IDLE`` minutes without one (:data:`IDLE_MINUTES` by default; 0 starts none).

The wire format, one request and one reply per connection: the server greets a client it
takes up with a ``+``; the client sends its fields separated by NUL bytes (which no
argument, folder or variable can hold) and shuts its side down; the server replies a line,
``<exit status> <stdout length> <stderr length>``, and those bytes, or the line ``-`` when
it does not answer. JSON would cost the client more to import than the rest of what it
runs.
"""

from __future__ import annotations

import _socket  # the client needs the C socket only; `socket` adds 3 ms of imports
import codecs
import io
import os
import stat
import sys
import time
import zlib

from search.errors import ServeError

# typing is not imported: a query answered by a server imports only what it needs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "FORWARDED",
    "IDLE_MINUTES",
    "MAX_IDLE_MINUTES",
    "QueryServer",
    "Request",
    "ServeError",
    "ask",
    "socket_path",
    "start_in_background",
    "stop_server",
]

# Bumped when a request or a reply changes shape: a server of another version is not asked.
PROTOCOL = 3
# The client's variables a command reads: the index to open, and the time zone "search
# stats" prints its last update in.
FORWARDED = ("SEARCH_INDEX", "TZ")
# The commands a server answers: those that only read the index through a Searcher.
SERVED_COMMANDS = frozenset(["query", "timeline", "similar", "show", "stats"])
# How long a server started by a command waits for the next one, unless SEARCH_SERVE_IDLE
# says otherwise: a few queries typed in a row share it, and it does not outlive them long.
IDLE_MINUTES = 5.0
IDLE_VARIABLE = "SEARCH_SERVE_IDLE"
# A year: the longest wait a socket's timeout takes everywhere.
MAX_IDLE_MINUTES = 525_600.0
_CONNECT_SECONDS = 1.0
# How long a client waits for a server to take it up: one busy with a long command, or
# stopped (Ctrl-Z), leaves the client to run the command itself.
_GREETING_SECONDS = 1.0
_GREETING = b"+"
# How long a server waits on a client sending its request or reading its reply: a client
# stopped (Ctrl-Z) must not hold up the others, and runs the command itself once resumed.
_CLIENT_SECONDS = 2.0
# How often a waiting server looks whether it was stopped, its index is still there and
# its code unchanged.
_LOOK_SECONDS = 5.0
# How long `search serve --stop` waits for a server to give its socket up.
_STOP_SECONDS = 10.0
# A query answered later than this is run again by the client itself.
_REPLY_SECONDS = 60.0
_MAX_REQUEST_BYTES = 1 << 20
# Room left in a socket's 107-byte path for "/news-search-<uid>/<16 hex digits>.sock".
_MAX_BASE_BYTES = 60


def socket_path(index_dir: str) -> str | None:
    """The socket of the server for ``index_dir`` (resolved from the working folder), or
    None where Unix sockets are not available."""
    if not hasattr(_socket, "AF_UNIX") or not hasattr(os, "getuid"):
        return None
    # One per index and per copy of news-search, so that a server runs the client's own
    # code. Two sharing a name is harmless: a query names its index, and a server opens
    # any other one as the command does.
    real = os.path.realpath(index_dir).encode("utf-8", "surrogateescape")
    key = real + b"\0" + _PACKAGE.encode("utf-8", "surrogateescape")
    name = f"{zlib.crc32(key):08x}{zlib.adler32(key):08x}.sock"
    return os.path.join(_runtime_dir(), name)


# The folder of this package: a server imports news-search from there.
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _runtime_dir() -> str:
    base = os.environ.get("XDG_RUNTIME_DIR") or os.environ.get("TMPDIR") or "/tmp"
    if not os.path.isabs(base) or len(base.encode("utf-8", "surrogateescape")) > _MAX_BASE_BYTES:
        base = "/tmp"  # the same for a server in another folder; and at most 107 bytes
    return os.path.join(base, f"news-search-{os.getuid()}")


def _is_private(folder: str) -> bool:
    """Whether ``folder`` is a real folder of this user that nobody else may enter."""
    try:
        info = os.lstat(folder)  # a link to a folder is not one
    except OSError:
        return False
    mode = info.st_mode
    return stat.S_ISDIR(mode) and info.st_uid == os.getuid() and mode & 0o077 == 0


class Request:
    """What a client asks: the command's arguments and how it would run them. (Not a
    dataclass: importing dataclasses would cost the client more than all else it does.)

    ``env`` holds the client's values of the variables that change what a command prints
    (:data:`FORWARDED`); one the client has not set is left out.
    """

    def __init__(
        self,
        argv: list[str],
        *,
        cwd: str,
        prog: str = "search",
        env: dict[str, str] | None = None,
        encoding: str = "utf-8",
        stdout_tty: bool = False,
        stderr_tty: bool = False,
    ) -> None:
        self.argv = argv
        self.cwd = cwd
        self.prog = prog
        self.env = dict(env or {})
        self.encoding = encoding
        self.stdout_tty = stdout_tty
        self.stderr_tty = stderr_tty

    def encode(self, protocol: int = PROTOCOL) -> bytes:
        fields = [
            str(protocol),
            self.prog,
            self.cwd,
            self.encoding,
            f"{int(self.stdout_tty)}{int(self.stderr_tty)}",
            str(len(self.env)),
            *(f"{name}={value}" for name, value in self.env.items()),
            *self.argv,
        ]
        return "\0".join(fields).encode("utf-8", "surrogateescape")

    @classmethod
    def decode(cls, data: bytes) -> Request | None:
        """The request in ``data``; None for another protocol. Raises ValueError when
        ``data`` is no request."""
        protocol, prog, cwd, encoding, ttys, count, *rest = data.decode(
            "utf-8", "surrogateescape"
        ).split("\0")
        if protocol != str(PROTOCOL):
            return None
        if len(ttys) != 2 or not set(ttys) <= {"0", "1"} or not count.isdigit():
            raise ValueError("not a request")
        pairs = [pair.partition("=") for pair in rest[: int(count)]]
        env = {name: value for name, sep, value in pairs if sep and name in FORWARDED}
        return cls(
            rest[int(count) :],
            cwd=cwd,
            prog=prog,
            env=env,
            encoding=encoding,
            stdout_tty=ttys[0] == "1",
            stderr_tty=ttys[1] == "1",
        )


_NOT_ANSWERED = b"-"
# The exit status of a command stopped by Ctrl-C (cli.SearchGroup).
_INTERRUPTED = 130


# -- client --------------------------------------------------------------------------


def ask(argv: list[str]) -> int | None:
    """Have a server run ``search <argv>`` and print what it printed; return its exit
    status, or None when no server answered (the caller then runs the command itself).

    Only the commands that read the index through a Searcher are sent, and never with
    ``--help``: help is laid out for the client's terminal.
    """
    if not _servable(argv):
        return None
    if sys.stdout is None or sys.stderr is None:  # closed: the command says what it says
        return None
    try:
        folder = os.getcwd()
    except OSError:  # a folder deleted under the shell: the command says what it says
        return None
    path = socket_path(_index_of(argv))
    if path is None or not _is_private(os.path.dirname(path)):
        return None
    request = Request(
        argv=argv,
        prog=_program_name(),
        cwd=folder,
        env={name: os.environ[name] for name in FORWARDED if name in os.environ},
        encoding=sys.stdout.encoding or "utf-8",
        stdout_tty=sys.stdout.isatty(),
        stderr_tty=sys.stderr.isatty(),
    )
    try:
        code, out, err = _exchange(path, request.encode())
    except (OSError, ValueError):
        return None
    except KeyboardInterrupt:
        _say("interrupted")  # as the command says it
        return _INTERRUPTED
    if code is None:
        return None
    try:
        _write(sys.stdout, out)
        _write(sys.stderr, err)
    except BrokenPipeError:
        # The reader went away (`search query ... | head`): stop quietly with status 1,
        # as the command itself does.
        _to_devnull(sys.stdout)
        return 1
    except OSError as exc:  # a full disk: said as the command says it
        _to_devnull(sys.stdout)
        _say(f"error: cannot write: {exc.strerror or exc}")
        return 1
    return code


def _program_name() -> str:
    """The name the command's usage lines give it, as click works it out."""
    path = sys.argv[0] if sys.argv and sys.argv[0] else "search"
    if os.path.basename(path) == "__main__.py":
        return "python -m search"
    return os.path.basename(path)


def _say(message: str) -> None:
    """Write ``message`` to stderr, if it can be written."""
    try:
        if sys.stderr is not None:
            print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _servable(argv: list[str]) -> bool:
    return bool(argv) and argv[0] in SERVED_COMMANDS and not {"-h", "--help"} & set(argv)


def start_in_background(argv: list[str]) -> None:
    """Start a server for the index that ``search <argv>`` has just read by itself, so that
    the next command is answered by it; it stops after ``SEARCH_SERVE_IDLE`` minutes
    without a command. Nothing is started for other commands, when a server answers
    already, or where there are no Unix sockets.

    The server is a ``search serve`` process of its own session, with no terminal and
    its output discarded: it outlives the command without holding its shell or pipes.
    """
    if not _servable(argv):
        return
    minutes = _idle_minutes()
    index = _index_of(argv)
    path = socket_path(index)
    if minutes is None or path is None or _answers(path):
        return
    folder = os.path.dirname(path)
    if os.path.lexists(folder) and not _is_private(folder):
        return  # the server could not listen there
    import subprocess

    try:
        subprocess.Popen(
            [*_SERVER, "--index", os.path.realpath(index), "--idle", f"{minutes:g}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",  # no folder of the user's is kept busy
            start_new_session=True,
        )
    except OSError:
        pass  # the command was answered; only the next one runs itself too


# `search serve` run by the Python of the client, with nothing imported from its working
# folder ("" on the path), and this copy of news-search: its folder put first on the path
# unless there already (an installed copy's site-packages stays after the standard
# library). The comment names it in `ps`.
_SERVER = [
    sys.executable,
    "-c",
    "import os, sys; root = sys.argv.pop(1); sys.path = [p for p in sys.path if p]; "
    "sys.path[:0] = [] if root in map(os.path.abspath, sys.path) else [root]; "
    "from search.launch import main; main()  # search serve",
    os.path.dirname(_PACKAGE),
    "serve",
]


def _idle_minutes() -> float | None:
    """SEARCH_SERVE_IDLE's minutes, :data:`IDLE_MINUTES` when unset; None for 0, and for
    a value that is no number of minutes, which is said."""
    value = os.environ.get(IDLE_VARIABLE, "").strip()
    if not value:
        return IDLE_MINUTES
    try:
        minutes = float(value)
    except ValueError:
        minutes = -1.0
    if not 0 <= minutes <= MAX_IDLE_MINUTES:
        _say(
            f"warning: {IDLE_VARIABLE}={value} is not a number of minutes from 0 to"
            f" {MAX_IDLE_MINUTES:g} (0 starts no server); no server started"
        )
        return None
    return minutes or None


def stop_server(index_dir: str) -> bool:
    """Stop the server answering for ``index_dir``, waiting until it has; False when none
    runs. Raises :class:`~search.errors.ServeError` when it does not stop in 10 seconds."""
    path = socket_path(index_dir)
    if path is None or not _is_private(os.path.dirname(path)):
        return False
    lock = path + ".lock"
    deadline = time.monotonic() + _STOP_SECONDS
    pid = _holder(lock)
    while pid == 0 and time.monotonic() < deadline:  # a server starting writes it next
        time.sleep(0.02)
        pid = _holder(lock)
    if pid is None:
        return False
    import signal

    if pid:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # it stopped meanwhile
    while _holder(lock) is not None:
        if time.monotonic() > deadline:
            raise ServeError(f"the server answering for {index_dir} (pid {pid}) did not stop")
        time.sleep(0.02)
    return True


def _write(stream: Any, data: bytes) -> None:
    if not data:
        return  # not even a flush: the stream may be one that cannot be written
    stream.flush()
    if hasattr(stream, "buffer"):
        stream.buffer.write(data)
    else:  # a stream replaced by text only (an embedding program's)
        stream.write(data.decode(stream.encoding or "utf-8", "replace"))
    stream.flush()


def _to_devnull(stream: Any) -> None:
    # So that flushing the stream at exit does not fail again.
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _options_part(argv: list[str]) -> list[str]:
    return argv[: argv.index("--")] if "--" in argv else argv


def _index_of(argv: list[str]) -> str:
    """The index the command would open: ``--index``, else ``SEARCH_INDEX``, else "index"
    (as the command's own option reads them)."""
    options = _options_part(argv)
    named = None
    for position, arg in enumerate(options):  # the last one counts, as for click
        if arg == "--index" and position + 1 < len(options):
            named = options[position + 1]
        elif arg.startswith("--index="):
            named = arg.partition("=")[2]
    return named if named is not None else os.environ.get("SEARCH_INDEX") or "index"


def _exchange(path: str, request: bytes) -> tuple[int | None, bytes, bytes]:
    client = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        client.settimeout(_CONNECT_SECONDS)
        client.connect(path)
        client.settimeout(_GREETING_SECONDS)
        if client.recv(1) != _GREETING:
            raise ValueError("not greeted")
        client.settimeout(_REPLY_SECONDS)
        client.sendall(request)
        client.shutdown(_socket.SHUT_WR)
        reply = _read_all(client)
    finally:
        client.close()
    head, _, data = reply.partition(b"\n")
    if head == _NOT_ANSWERED:
        return None, b"", b""
    code, out_length, err_length = map(int, head.split(b" "))
    if len(data) != out_length + err_length:
        raise ValueError("reply cut short")
    return code, data[:out_length], data[out_length:]


def _read_all(connection: Any, limit: int | None = None) -> bytes:
    chunks = []
    size = 0
    while chunk := connection.recv(65536):
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            raise ValueError("request too large")
    return b"".join(chunks)


# -- server --------------------------------------------------------------------------


class QueryServer:
    """Answers the commands of :data:`SERVED_COMMANDS` for the index at ``index_dir``
    until :meth:`stop`, an interrupt, ``idle`` seconds without a request, or its index
    is gone.

    Each command runs in this process, which takes the client's working folder,
    variables and output streams while it does: a server wants a process of its own
    (``search serve``).

    Raises :class:`~search.errors.ServeError` when another server answers for the index,
    the socket's folder is not private or the system has no Unix sockets, and
    :class:`~search.errors.IndexNotFoundError` when there is no index.
    """

    def __init__(self, index_dir: str) -> None:
        import search

        self.index_dir = os.path.realpath(index_dir)
        path = socket_path(self.index_dir)
        if path is None:
            raise ServeError("this system has no Unix sockets to answer on")
        self.socket_path = path
        self.searcher = search.Searcher(self.index_dir)
        self._listener: Any = None  # a socket.socket once listening
        self._lock: int | None = None  # the lock file's descriptor while listening
        import threading  # here: a client needs none

        self._closing = threading.Lock()
        # Held while a request is answered: close() waits for it before closing the index.
        self._answering = threading.RLock()
        self._stopping = False
        self._code = _code_stamp()

    def __enter__(self) -> QueryServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def listen(self, *, warm: bool = False) -> None:
        """Take the index's socket. Separate from :meth:`serve` so a caller knows the
        server answers before it starts waiting. With ``warm``, a query is run once
        first (:meth:`warm`): a client that finds the socket is answered at full speed."""
        folder = os.path.dirname(self.socket_path)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if not _is_private(folder):
            raise ServeError(f"{folder} is not a folder only this user can enter")
        # The lock settles which of two servers started at once takes the socket.
        self._lock = _take_lock(self.socket_path + ".lock")
        try:
            if self._lock is None or _answers(self.socket_path):
                raise ServeError(f"a server already answers for {self.index_dir}")
            if warm:
                self.warm()
            import socket

            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                if os.path.lexists(self.socket_path):
                    os.unlink(self.socket_path)  # left by a server that was killed
                listener.bind(self.socket_path)
                listener.listen(16)
            except OSError as exc:  # a folder in the socket's place, say
                listener.close()
                raise ServeError(f"cannot listen on {self.socket_path}: {exc.strerror}") from None
        except BaseException:
            self._let_lock_go()
            raise
        self._listener = listener

    def warm(self) -> None:
        """Run a query once, discarding its output, so that the first client's is not the
        one that loads the query path's modules and the index's term tables."""
        request = Request(["query", "--index", self.index_dir, "--", "news"], cwd="/")
        if self._answers_for(request):
            self.run(request)

    def serve(self, idle: float | None = None) -> None:
        """Answer requests one at a time until stopped, idle for ``idle`` seconds, or
        the index or this code is gone (looked at every few seconds: the files are let
        go)."""
        if self._listener is None:
            self.listen()
        listener = self._listener
        assert listener is not None
        quiet_since = time.monotonic()
        try:
            while not self._stopping:
                left = None if idle is None else quiet_since + idle - time.monotonic()
                if left is not None and left <= 0:
                    return
                try:
                    listener.settimeout(_LOOK_SECONDS if left is None else min(left, _LOOK_SECONDS))
                    connection, _ = listener.accept()
                except TimeoutError:
                    if (left is not None and left <= _LOOK_SECONDS) or self._outlived():
                        return
                    continue
                except OSError:
                    if self._stopping:  # close() took the socket away under accept()
                        return
                    raise
                with connection, self._answering:
                    if not self._stopping:
                        self._answer(connection)
                quiet_since = time.monotonic()
        finally:
            self._stop_listening()  # a client coming later runs the command itself

    def stop(self) -> None:
        """Make :meth:`serve` return (from another thread or a signal handler)."""
        self._stopping = True
        # Closing the socket does not wake a thread waiting in accept(); a connection does
        # (and if the socket's file was removed, the next look at the index, in seconds).
        if self._listener is not None:
            _answers(self.socket_path)

    def close(self) -> None:
        """Stop, give the socket up and close the index, once a request being answered
        (in another thread) is."""
        self.stop()
        with self._answering:
            self._stop_listening()
            self.searcher.close()

    def _stop_listening(self) -> None:
        # Called by serve() as it returns and by close(), maybe from two threads at once.
        with self._closing:
            if self._listener is not None:
                self._listener.close()
                if os.path.lexists(self.socket_path):
                    os.unlink(self.socket_path)
                self._listener = None
            self._let_lock_go()  # only once the socket is gone: the next server may start

    def _let_lock_go(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _answer(self, connection: Any) -> None:
        connection.settimeout(_CLIENT_SECONDS)
        request, code = None, 0
        try:
            connection.sendall(_GREETING)
            data = _read_all(connection, _MAX_REQUEST_BYTES)
            if _code_stamp() != self._code:
                # news-search was upgraded or edited (its requests may have changed
                # shape): the client runs the new code itself, and starts a new server.
                self._stopping = True
                connection.sendall(_NOT_ANSWERED + b"\n")
                return
            request = Request.decode(data)
            if request is None or not self._answers_for(request):
                reply = _NOT_ANSWERED + b"\n"
            else:
                code, out, err = self.run(request)
                reply = f"{code} {len(out)} {len(err)}\n".encode() + out + err
            connection.sendall(reply)
        except (OSError, ValueError):
            return  # the client went away or sent nonsense: it runs the command itself
        if request is not None and code == _INTERRUPTED:
            # Ctrl-C reached the server during the command, which reported it: stop.
            raise KeyboardInterrupt

    def _answers_for(self, request: Request) -> bool:
        if not request.argv or request.argv[0] not in SERVED_COMMANDS:
            return False
        # An index gone or emptied since: the client's own run says so in its own words,
        # and the server stops, letting the files go.
        held = self._index_held()
        self._stopping = self._stopping or not held
        return held

    def _outlived(self) -> bool:
        """Whether the index is gone, or news-search was upgraded or removed, since."""
        return not self._index_held() or _code_stamp() != self._code

    def _index_held(self) -> bool:
        from search.indexer import holds_index

        try:
            return holds_index(os.listdir(self.index_dir))
        except OSError:
            return False

    def run(self, request: Request) -> tuple[int, bytes, bytes]:
        """Run ``search <argv>`` as the client would: exit status, stdout, stderr."""
        from search import cli

        out = _Output(request.encoding, request.stdout_tty)
        err = _Output(request.encoding, request.stderr_tty)
        streams, folder = (sys.stdout, sys.stderr), os.getcwd()
        own_env = {name: os.environ.get(name) for name in FORWARDED}
        try:
            os.chdir(request.cwd)
            _set_env({name: request.env.get(name) for name in FORWARDED})
            sys.stdout, sys.stderr = out, err
            with cli.serving(self.index_dir, self.searcher):
                code = _exit_status(cli.main, request.argv, request.prog)
        finally:
            sys.stdout, sys.stderr = streams
            os.chdir(folder)
            _set_env(own_env)
        return code, out.data(), err.data()


def _answers(path: str) -> bool:
    probe = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        probe.settimeout(_CONNECT_SECONDS)
        probe.connect(path)
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _take_lock(path: str) -> int | None:
    """The descriptor of the lock file at ``path``, locked by this process with its pid
    written in it; None when another process holds it."""
    import fcntl

    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        lock = os.open(path, flags, 0o600)
    except OSError as exc:  # a link, a folder: something else than a lock file
        raise ServeError(f"cannot take the lock {path}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(lock).st_mode):  # a pipe, a device
        os.close(lock)
        raise ServeError(f"cannot take the lock {path}: not a file")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        return None
    os.ftruncate(lock, 0)
    os.write(lock, str(os.getpid()).encode())
    return lock


def _holder(path: str) -> int | None:
    """The pid of the process holding the lock file at ``path``: 0 while it has not
    written it yet, None when no process holds the lock."""
    import fcntl

    try:
        lock = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(lock).st_mode):
            return None  # no server could take it
        fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        written = os.read(lock, 32).strip()
        return int(written) if written.isdigit() else 0
    finally:
        os.close(lock)  # closing it also lets go of a shared lock taken
    return None


def _code_stamp() -> list[tuple[str, int, int]]:
    """Each module file of this package with its modification time and size (a file
    removed meanwhile is left out: the stamp differs all the same)."""
    stamp = []
    for folder, subfolders, names in os.walk(_PACKAGE):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(name for name in names if name.endswith(".py")):
            path = os.path.join(folder, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            stamp.append((path, info.st_mtime_ns, info.st_size))
    return stamp


def _set_env(values: dict[str, str | None]) -> None:
    """Set each variable to its value, unset it for None; a new TZ takes effect at once."""
    zone = os.environ.get("TZ")
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if os.environ.get("TZ") != zone and hasattr(time, "tzset"):
        time.tzset()


def _exit_status(command: Any, args: list[str], prog: str) -> int:
    try:
        command.main(args=args, prog_name=prog, standalone_mode=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return 0


class _Output(io.TextIOWrapper):
    """A text stream like the client's stdout or stderr: its encoding, and a terminal or
    not (click leaves styles out when not), written to memory."""

    def __init__(self, encoding: str, tty: bool) -> None:
        try:
            codecs.lookup(encoding)
        except LookupError:  # an encoding this Python lacks
            encoding = "utf-8"
        super().__init__(io.BytesIO(), encoding=encoding, errors="replace", newline="\n")
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

    def data(self) -> bytes:
        self.flush()
        buffer = self.buffer
        assert isinstance(buffer, io.BytesIO)
        return buffer.getvalue()
