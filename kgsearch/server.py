"""``kgsearch serve``: the web app under waitress, with the connection limits, in one process or
in ``workers`` pre-forked ones supervised by the parent.

Everything it is told comes in one ``Settings`` (``kgsearch.settings``, the command line's options
applied): host, port, threads, workers, the limits, the log options.
"""
from __future__ import annotations

import errno
import logging
import os
import shutil
import signal
import socket
import tempfile
import time

import click

from indexer.store import ExitCode, describe_error, die_with_parent, display_path
from kgsearch.output import fail
from kgsearch.settings import Settings


def waitress_options(settings: Settings) -> dict:
    """Waitress's adjustments for ``serve``: idle and half-sent connections are closed after
    ``channel_timeout`` s (checked every ``cleanup_interval`` s), oversized headers get 431 and
    bodies 413 before anything is read, poll() instead of select() so more than 1024 open
    connections work."""
    return {"threads": settings.threads, "connection_limit": settings.connection_limit,
            "channel_timeout": settings.channel_timeout,
            "cleanup_interval": max(1, min(30, settings.channel_timeout // 2)),
            "max_request_header_size": settings.max_header_bytes,
            "max_request_body_size": settings.max_body_bytes,
            "asyncore_use_poll": True, "ident": "kgsearch"}


def raise_file_limit(connection_limit: int) -> None:
    """Room for ``connection_limit`` sockets plus the index files (soft limit up to the hard one)."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = connection_limit + 256
        if soft != resource.RLIM_INFINITY and soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
    except (ImportError, OSError, ValueError):
        pass


def cannot_listen(host: str, port: int, exc: OSError) -> None:
    """One line for a socket that cannot be bound, then exit 7 (never "Serving on…" first)."""
    if exc.errno == errno.EADDRINUSE:
        why = f"port {port} is in use (another `kgsearch serve`?); stop it or choose another --port"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied (ports below 1024 need privileges); choose another --port"
    elif exc.errno == errno.EADDRNOTAVAIL:
        why = f"{host} is not an address of this machine; check --host"
    elif isinstance(exc, socket.gaierror):
        why = f"cannot resolve host {host!r} ({exc.strerror}); check --host"
    else:
        why = describe_error(exc)
    fail(f"cannot listen on {host}:{port}: {why}", ExitCode.ENVIRONMENT)


def make_app(index_dir, settings: Settings, engine=None):
    """The web app over ``engine`` (or a new one on ``index_dir``), logging as ``settings`` say."""
    from search.engine import SearchEngine
    from web import create_app
    app = create_app({"ENGINE": engine or SearchEngine(index_dir), "ACCESS_LOG": settings.access_log,
                      "LOG_FORMAT": settings.log_format, "LOG_QUERIES": settings.log_queries},
                     settings=settings)
    logging.basicConfig()
    return app


def serve(index_dir, settings: Settings) -> None:
    """Check the index (a warning if it needs a rebuild or is missing: pages answer 503 until
    fixed), then serve in this process or in ``settings.workers`` forked ones."""
    from search.engine import NoIndex, SearchEngine
    raise_file_limit(settings.connection_limit)
    engine = SearchEngine(index_dir)
    try:
        stats = engine.stats()
        if stats["reindex_needed"]:
            click.echo(f"kgsearch: reindex needed: {stats['reindex_reason']}: run `kgsearch reindex` "
                       "(without SOURCE it rebuilds from the recorded sources)", err=True)
    except NoIndex as exc:
        click.echo(f"kgsearch: {exc} (serving anyway; pages answer 503 until it is fixed)", err=True)
    if settings.workers > 1:
        engine.close()
        Supervisor(index_dir, engine.store.root, settings).run()
        return
    serve_one(engine, settings)


def serve_one(engine, settings: Settings) -> None:
    """One waitress process on ``settings.host``:``settings.port``."""
    import waitress
    app = make_app(None, settings, engine)
    try:
        server = waitress.create_server(app, host=settings.host, port=settings.port,
                                        **waitress_options(settings))
    except OSError as exc:
        cannot_listen(settings.host, settings.port, exc)
    click.echo(f"Serving on http://{settings.host}:{server.effective_port}/ (index "
               f"{display_path(engine.store.root)})", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass


def bind(host: str, port: int) -> socket.socket:
    """The listening socket the workers share (exit 7 with one line if it cannot be bound)."""
    try:
        family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(1024)
    except OSError as exc:
        cannot_listen(host, port, exc)
    sock.setblocking(False)
    return sock


class Supervisor:
    """``workers`` forked waitress processes accepting on one socket the parent bound; the
    parent only supervises: SIGTERM/SIGINT stop them all, a crashed one is restarted (more than
    5 × workers restarts in a minute stop everything), and they die with the parent
    (PR_SET_PDEATHSIG).  ``/metrics`` sums all workers (prometheus-client's multiprocess mode, in
    a temporary folder removed at exit, unless ``PROMETHEUS_MULTIPROC_DIR`` names one)."""

    STOP_GRACE = 10.0            # seconds the workers get to exit before SIGKILL

    def __init__(self, index_dir, root, settings: Settings):
        self.index_dir = index_dir
        self.root = root
        self.settings = settings
        self.children: dict[int, float] = {}          # pid → start time
        self.stopping = False
        self.restarts: list[float] = []
        self.parent = os.getpid()
        self.sock = None
        self.metrics_dir = None

    def run(self) -> None:
        self.sock = bind(self.settings.host, self.settings.port)
        if self.settings.metrics_dir is None:
            self.metrics_dir = tempfile.mkdtemp(prefix="kgsearch-metrics-")
            # prometheus-client reads it in the workers (they inherit the environment)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = self.metrics_dir
            self.settings = self.settings.replace(metrics_dir=self.metrics_dir)
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        for _ in range(self.settings.workers):
            self.spawn()
        host, port = self.sock.getsockname()[:2]
        click.echo(f"Serving on http://{host}:{port}/ (index {display_path(self.root)}, "
                   f"{self.settings.workers} workers, pids {' '.join(map(str, self.children))})", err=True)
        try:
            self.supervise()
        finally:
            self.sock.close()
            if self.metrics_dir:
                shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def spawn(self) -> None:
        pid = os.fork()
        if pid:
            self.children[pid] = time.monotonic()
            return
        code = 0
        try:
            self.work()
        except KeyboardInterrupt:
            pass
        except BaseException:                 # noqa: BLE001 — report, never return into click
            import traceback
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)

    def work(self) -> None:
        """In a forked worker: serve on the shared socket until stopped."""
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        die_with_parent(self.parent)
        import waitress
        app = make_app(self.index_dir, self.settings)
        waitress.serve(app, sockets=[self.sock], _quiet=True, **waitress_options(self.settings))

    def stop(self, signum=None, frame=None) -> None:
        self.stopping = True
        self.signal_all(signal.SIGTERM)

    def signal_all(self, signum) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    def supervise(self) -> None:
        """Wait for the workers: restart one that exits, until stopping; then reap them all
        (SIGKILL after ``STOP_GRACE`` s)."""
        deadline = None
        while self.children:
            if self.stopping and deadline is None:
                deadline = time.monotonic() + self.STOP_GRACE
            try:
                pid, status = os.waitpid(-1, os.WNOHANG if self.stopping else 0)
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            if pid == 0:                          # stopping: the children are still exiting
                if time.monotonic() > deadline:
                    self.signal_all(signal.SIGKILL)
                    deadline = float("inf")
                time.sleep(0.05)
                continue
            self.children.pop(pid, None)
            if not self.stopping:
                self.restart(pid, status)

    def restart(self, pid: int, status: int) -> None:
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < 60] + [now]
        if len(self.restarts) > 5 * self.settings.workers:
            click.echo("kgsearch: workers keep exiting; stopping", err=True)
            self.stop()
            return
        click.echo(f"kgsearch: worker {pid} exited (status {status}); restarting it", err=True)
        self.spawn()
