"""Where the index lives on disk: generations, an atomic ``CURRENT`` pointer, one writer at a time.

Layout under the index root::

    CURRENT                 name of the served generation (replaced atomically)
    PREVIOUS                name of the generation before it (for rollback)
    write.lock              held (flock) by the one process that writes
    generations/<name>/     a complete Whoosh index + manifest.json

A rebuild writes a new generation beside the served one, flushes it to disk,
and only then replaces ``CURRENT``; readers never see a half-built index.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import socket
import time
from pathlib import Path

from indexer.lang import PROJECT_ROOT

DEFAULT_INDEX = PROJECT_ROOT / "var" / "index"
MANIFEST = "manifest.json"


def default_index_root() -> Path:
    return Path(os.environ.get("KGSEARCH_INDEX") or DEFAULT_INDEX)


class IndexLocked(Exception):
    """Another process holds the write lock."""


def _fsync_path(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """Flush every file of a generation and the folder itself to disk."""
    for child in path.iterdir():
        if child.is_file():
            _fsync_path(child)
    _fsync_path(path, directory=True)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_path(path.parent, directory=True)


class IndexStore:
    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root else default_index_root()
        self.generations = self.root / "generations"

    # -- reading ------------------------------------------------------------
    def _pointer(self, name: str) -> str | None:
        try:
            value = (self.root / name).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return value or None

    def current(self) -> str | None:
        """Name of the served generation, or None when nothing was built yet."""
        return self._pointer("CURRENT")

    def previous(self) -> str | None:
        return self._pointer("PREVIOUS")

    def path(self, name: str) -> Path:
        return self.generations / name

    def current_path(self) -> Path | None:
        name = self.current()
        return self.path(name) if name else None

    def manifest(self, name: str | None = None) -> dict:
        name = name or self.current()
        if not name:
            return {}
        try:
            return json.loads((self.path(name) / MANIFEST).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def size_bytes(self, name: str | None = None) -> int:
        name = name or self.current()
        if not name or not self.path(name).is_dir():
            return 0
        return sum(f.stat().st_size for f in self.path(name).iterdir() if f.is_file())

    # -- writing (call under write_lock) --------------------------------------
    def new_generation(self) -> tuple[str, Path]:
        self.generations.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
        name = f"g{stamp}-{os.getpid()}"
        path = self.path(name)
        n = 1
        while path.exists():
            n += 1
            path = self.path(f"{name}-{n}")
        path.mkdir()
        return path.name, path

    def write_manifest(self, name: str, manifest: dict) -> None:
        write_atomic(self.path(name) / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))

    def publish(self, name: str) -> None:
        """Flush generation ``name`` to disk and make it the served one, atomically."""
        fsync_tree(self.path(name))
        old = self.current()
        if old and old != name:
            write_atomic(self.root / "PREVIOUS", old + "\n")
        write_atomic(self.root / "CURRENT", name + "\n")
        self.prune()

    def rollback(self) -> str:
        """Serve the previous generation again; returns its name."""
        prev, cur = self.previous(), self.current()
        if not prev or not self.path(prev).is_dir():
            raise FileNotFoundError("no previous generation to roll back to")
        write_atomic(self.root / "PREVIOUS", (cur or "") + "\n")
        write_atomic(self.root / "CURRENT", prev + "\n")
        return prev

    def prune(self) -> list[str]:
        """Remove generations that are neither current nor previous (including half-built ones)."""
        keep = {self.current(), self.previous()}
        removed = []
        if self.generations.is_dir():
            for child in self.generations.iterdir():
                if child.is_dir() and child.name not in keep:
                    shutil.rmtree(child, ignore_errors=True)
                    removed.append(child.name)
        return removed

    @contextlib.contextmanager
    def write_lock(self, timeout: float = 30.0, what: str = "write"):
        """Hold the one write lock; wait up to ``timeout`` s, then raise ``IndexLocked``.

        The lock is an ``flock`` on ``write.lock``: the kernel releases it when the
        holder exits, however it exits, so a killed writer never blocks the next run.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "write.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        acquired = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    acquired = True
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
                        raise IndexLocked(
                            f"index {self.root} is being written by another run "
                            f"({holder or 'unknown process'}); gave up after {timeout:g} s"
                        ) from None
                    time.sleep(0.1)
            started = dt.datetime.now().isoformat(timespec="seconds")
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"kgsearch {what}, pid {os.getpid()} on {socket.gethostname()}, "
                          f"since {started}".encode(), 0)
            yield
        finally:
            if acquired:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
            os.close(fd)
