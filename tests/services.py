"""Throwaway PostgreSQL and Redis servers for the test suite.

Each server lives in its own temporary directory, listens on a free port of
127.0.0.1 only, and can be stopped and started again on the same port and data
(readiness tests need the dependency to go away and come back). Every server
started here is also registered for shutdown at interpreter exit, so a crashed
or interrupted session leaves no stray processes behind.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import pytest

__all__ = [
    "MissingServiceBinary",
    "PostgresServer",
    "RedisServer",
    "free_port",
    "port_is_open",
    "stop_all",
]

HOST = "127.0.0.1"
_RUNNING: set[PostgresServer | RedisServer] = set()
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SUBREAPER = False


class MissingServiceBinary(RuntimeError):
    """A server binary is not installed; the message names the Debian package."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_is_open(port: int, host: str = HOST, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _wait_port(port: int, *, open_: bool, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while port_is_open(port) != open_:
        if time.monotonic() > deadline:
            state = "accept" if open_ else "stop accepting"
            raise TimeoutError(
                f"{what} did not {state} connections on {HOST}:{port} within {timeout}s"
            )
        time.sleep(0.05)


def _become_subreaper() -> None:
    """Adopt our daemons' orphans instead of handing them to PID 1.

    pg_ctl and ``redis-server --daemonize`` leave the server re-parented; some
    container init processes never reap, so every stopped server would linger
    as a zombie. As a subreaper this process reaps them itself (``_reap``).
    """
    global _SUBREAPER
    if _SUBREAPER or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        _SUBREAPER = libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER


def _reap(pid: int) -> bool:
    """Collect ``pid`` if it is an exited child of ours; whether it is gone."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def _pid_alive(pid: int) -> bool:
    if _reap(pid):
        return False
    # A zombie someone else must reap counts as gone.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if stat.rpartition(")")[2].split()[0] in {"Z", "X"}:
        _reap(pid)
        return False
    return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                kids.append(int(stat.parent.name))
    return kids


def _signal_tree(pid: int, signum: int) -> None:
    for target in (pid, *_children(pid)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signum)


def _run(argv: Sequence[str], *, what: str, timeout: float = 60, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
    )
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {' '.join(argv)}\n{output}")
    return proc.stdout


def _register(server: PostgresServer | RedisServer) -> None:
    _become_subreaper()
    _RUNNING.add(server)


def stop_all() -> None:
    """Stop and remove every server this process started (idempotent)."""
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.close()


atexit.register(stop_all)


# --- PostgreSQL -------------------------------------------------------------


def _postgres_bindir() -> Path:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10
            )
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", Path(path).parent.name))

    candidates += [
        Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    ]
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres", "psql")):
            return bindir
    raise MissingServiceBinary(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) not found: "
        "install the Debian package 'postgresql' (scripts/install-services.sh)"
    )


class PostgresServer:
    """A throwaway PostgreSQL cluster: trust auth, user ``postgres``, fsync off.

    ``url`` points at the ``postgres`` database; ``create_database`` gives each
    test project a database of its own.
    """

    user = "postgres"

    def __init__(self, port: int | None = None) -> None:
        self.bindir = _postgres_bindir()
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="scaffold-pg-"))
        self.datadir = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root.
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise MissingServiceBinary(
                    "running as root but there is no 'postgres' user: "
                    "install the Debian package 'postgresql'"
                ) from None
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._initialised = False
        self._ever_started = False
        self.running = False

    @property
    def url(self) -> str:
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgres://{self.user}@{HOST}:{self.port}/{name}?sslmode=disable"

    def _tool(self, name: str) -> str:
        return str(self.bindir / name)

    def start(self) -> PostgresServer:
        """Start (or restart after ``stop``) on the same port and data directory."""
        if self.running:
            return self
        _register(self)
        if not self._initialised:
            _run(
                [
                    *self._as_user,
                    self._tool("initdb"),
                    "-D",
                    str(self.datadir),
                    "-U",
                    self.user,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                what="initdb",
                cwd=self.root,
            )
            self._initialised = True
        for attempt in range(3):
            try:
                self._pg_ctl_start()
                break
            except RuntimeError:
                # Another process took the port between free_port() and bind:
                # only on the first start may the port change.
                if self._ever_started or attempt == 2 or "already in use" not in self._log_tail():
                    raise
                self.port = free_port()
        self._ever_started = True
        self.running = True
        _wait_port(self.port, open_=True, timeout=10, what="postgres")
        return self

    def _pg_ctl_start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses={HOST} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        try:
            _run(
                [
                    *self._as_user,
                    self._tool("pg_ctl"),
                    "-D",
                    str(self.datadir),
                    "-l",
                    str(self.logfile),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                what="pg_ctl start",
                timeout=90,
                cwd=self.root,
            )
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{self._log_tail()}") from None

    def _log_tail(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server, closing every client connection (data is kept)."""
        if not self.running:
            return
        pid = self._postmaster_pid()
        self.resume()
        _run(
            [
                *self._as_user,
                self._tool("pg_ctl"),
                "-D",
                str(self.datadir),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                "stop",
            ],
            what="pg_ctl stop",
            timeout=90,
            cwd=self.root,
        )
        if pid is not None:
            _wait_gone(pid, timeout=10)
        self.running = False
        _wait_port(self.port, open_=False, timeout=10, what="postgres")

    def close(self) -> None:
        """Stop the server and delete its directory."""
        try:
            if self.running:
                try:
                    self.stop()
                except Exception:
                    self._kill()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            _RUNNING.discard(self)

    def pause(self) -> None:
        """Freeze the server and its backends: connections stay open, nothing answers."""
        pid = self._postmaster_pid()
        assert pid is not None and self.running, "postgres is not running"
        _signal_tree(pid, signal.SIGSTOP)

    def resume(self) -> None:
        pid = self._postmaster_pid()
        if pid is not None:
            _signal_tree(pid, signal.SIGCONT)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _kill(self) -> None:
        pid = self._postmaster_pid()
        if pid is not None:
            # SIGQUIT: immediate shutdown of the postmaster and all its backends.
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGQUIT)
            _wait_gone(pid, timeout=10)
        self.running = False

    def psql_argv(self, database: str = "postgres", *extra: str) -> list[str]:
        """argv for ``psql`` on ``database`` that stops at the first error."""
        return [
            self._tool("psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            HOST,
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            database,
            *extra,
        ]

    def psql(self, sql: str, database: str = "postgres", timeout: float = 30) -> str:
        """Run ``sql`` and return unaligned, tuples-only output."""
        return _run(
            [*self.psql_argv(database, "-A", "-t"), "-c", sql], what="psql", timeout=timeout
        ).strip()

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its URL."""
        if not _IDENT.match(name):
            raise ValueError(f"database name {name!r} must match {_IDENT.pattern}")
        self.psql(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresServer({self.url!r}, running={self.running})"


# --- Redis ------------------------------------------------------------------


def _redis_binary() -> str:
    binary = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)),
        None,
    )
    if not binary:
        raise MissingServiceBinary(
            "redis-server not found: install the Debian package 'redis-server' "
            "(scripts/install-services.sh)"
        )
    return binary


class RedisServer:
    """A throwaway Redis without persistence.

    ``url`` is database 0; ``new_db_index`` hands out the other logical
    databases so that projects sharing one server do not see each other's keys.
    """

    databases = 64

    def __init__(self, port: int | None = None) -> None:
        self.binary = _redis_binary()
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="scaffold-redis-"))
        self.pidfile = self.root / "redis.pid"
        self.logfile = self.root / "redis.log"
        self.running = False
        self._pid: int | None = None
        self._next_db = 1

    @property
    def url(self) -> str:
        return self.db_url(0)

    def db_url(self, index: int) -> str:
        return f"redis://{HOST}:{self.port}/{index}"

    def new_db_index(self) -> int:
        """A logical database no one else was given (1, 2, ...)."""
        if self._next_db >= self.databases:
            raise RuntimeError(f"all {self.databases} redis databases handed out")
        index, self._next_db = self._next_db, self._next_db + 1
        return index

    def start(self) -> RedisServer:
        """Start (or restart after ``stop``) on the same port."""
        if self.running:
            return self
        _register(self)
        self.pidfile.unlink(missing_ok=True)
        _run(
            [
                self.binary,
                "--daemonize",
                "yes",
                "--bind",
                HOST,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--pidfile",
                str(self.pidfile),
                "--dir",
                str(self.root),
                "--logfile",
                str(self.logfile),
                "--databases",
                str(self.databases),
            ],
            what="redis-server",
        )
        self.running = True
        try:
            _wait_port(self.port, open_=True, timeout=10, what="redis")
            self._pid = self._read_pid(timeout=5)
        except Exception as exc:
            log = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise RuntimeError(
                f"redis-server did not start on port {self.port}: {exc}\n{log}"
            ) from exc
        return self

    def pause(self) -> None:
        """Freeze the server: connections stay open, nothing answers."""
        assert self._pid is not None and self.running, "redis is not running"
        os.kill(self._pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGCONT)

    def _read_pid(self, timeout: float) -> int:
        # The daemon writes its pidfile after forking: it may be missing or
        # empty for a moment.
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError, ValueError):
                return int(self.pidfile.read_text().strip())
            if time.monotonic() > deadline:
                raise TimeoutError(f"no pid in {self.pidfile} after {timeout}s")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server (every key is lost: it never saves)."""
        if not self.running:
            return
        pid = self._pid
        if pid is None:
            with contextlib.suppress(TimeoutError):
                pid = self._read_pid(timeout=2)
        if pid is not None and _pid_alive(pid):
            os.kill(pid, signal.SIGTERM)
            os.kill(pid, signal.SIGCONT)  # a paused server must wake up to exit
            if not _wait_gone(pid, timeout=10):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, timeout=5)
        self.running = False
        self._pid = None
        _wait_port(self.port, open_=False, timeout=10, what="redis")

    def close(self) -> None:
        """Stop the server and delete its directory."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            _RUNNING.discard(self)

    def command(self, *args: str | int, db: int | None = None, timeout: float = 5) -> object:
        """Send one command over RESP (no redis-cli needed) and return its decoded reply."""
        commands: list[tuple[str | int, ...]] = [("SELECT", db)] if db is not None else []
        commands.append(args)
        payload = b""
        for command in commands:
            parts = [str(a).encode() for a in command]
            payload += b"*%d\r\n" % len(parts) + b"".join(
                b"$%d\r\n%s\r\n" % (len(p), p) for p in parts
            )
        with socket.create_connection((HOST, self.port), timeout=timeout) as sock:
            sock.sendall(payload)
            reader = sock.makefile("rb")
            replies = [_read_resp(reader) for _ in commands]
        for reply in replies:
            if isinstance(reply, RuntimeError):
                raise reply
        return replies[-1]

    def flushdb(self, index: int = 0) -> None:
        """Delete every key of logical database ``index``."""
        self.command("FLUSHDB", db=index)

    def dbsize(self, index: int = 0) -> int:
        reply = self.command("DBSIZE", db=index)
        assert isinstance(reply, int), reply
        return reply

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RedisServer({self.url!r}, running={self.running})"


def _read_resp(reader: object) -> object:
    line = reader.readline()  # type: ignore[attr-defined]
    if not line:
        raise ConnectionError("redis closed the connection")
    kind, rest = line[:1], line[1:].rstrip(b"\r\n")
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        return RuntimeError(f"redis error: {rest.decode(errors='replace')}")
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = reader.read(size + 2)  # type: ignore[attr-defined]
        return data[:-2]
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [_read_resp(reader) for _ in range(count)]
    raise ValueError(f"unexpected RESP reply {line!r}")


ServerT = TypeVar("ServerT", PostgresServer, RedisServer)


def running(factory: Callable[[], ServerT]) -> Iterator[ServerT]:
    """Body of a fixture: start a server, yield it, stop it; a missing binary fails the test."""
    try:
        server = factory()
    except MissingServiceBinary as exc:
        pytest.fail(str(exc), pytrace=False)
    with server:
        yield server
