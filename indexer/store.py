"""Where the index lives on disk: generations, an atomic ``CURRENT`` pointer, one writer at a time.

Layout under the index root::

    CURRENT                 name of the served generation (replaced atomically)
    PREVIOUS                name of the generation before it (for rollback)
    write.lock              held (flock) by the one process that writes
    generations/<name>/     a complete Whoosh index + manifest.json
    generations/<name>.retired   when <name> stopped being CURRENT/PREVIOUS (prune grace)

A rebuild writes a new generation beside the served one, flushes it to disk,
and only then replaces ``CURRENT``; readers never see a half-built index.
Incremental updates are copy-on-write: the new generation starts as hard links
to the served one's files (Whoosh never rewrites a segment file in place; a
commit writes new segment files and a new TOC under a new name), so the served
generation is never modified.

Retired generations are removed only ``prune_grace`` seconds after they left
``CURRENT``/``PREVIOUS``, so a server that has just read ``CURRENT`` can still
open the generation it names.  (Files a server already holds open stay
readable after removal on POSIX systems.)
"""
from __future__ import annotations

import contextlib
import datetime as dt
import enum
import errno
import fcntl
import json
import os
import shutil
import signal
import socket
import time
from pathlib import Path

from indexer import testhooks
from indexer.fields import json_kind
from kgsearch.settings import DEFAULTS
from kgsearch.settings import current as current_settings

DEFAULT_INDEX = Path("var") / "index"   # under the current working directory
MANIFEST = "manifest.json"


def default_index_root() -> Path:
    """The ``index`` setting (``KGSEARCH_INDEX``), else ``./var/index`` under the current working
    directory."""
    return current_settings().index or Path.cwd() / DEFAULT_INDEX


DEFAULT_PRUNE_GRACE = DEFAULTS.prune_grace
# Files of a Whoosh generation that are never shared with a copy-on-write child.
_NOT_LINKED = {MANIFEST}
_HELD_LOCK_FDS: set[int] = set()   # for children forked by a multi-process writer


class ExitCode(enum.IntEnum):
    """Exit codes of every ``kgsearch`` command (documented in the README)."""
    OK = 0                 # success, also "no changes"
    NOTHING_INDEXED = 1    # nothing could be indexed, no index, not found, nothing to roll back to
    USAGE = 2              # bad usage or a bad filter value
    STRICT = 3             # --strict and the input had errors
    LOCKED = 4             # another run holds the write lock
    REINDEX_NEEDED = 5     # add to an index built with another analyzer version
    SHRINK = 6             # reindex would keep under half of the served documents (--allow-shrink)
    ENVIRONMENT = 7        # the system refused: read-only or full disk, no permission, port in use
    UNUSABLE = 8           # the served generation cannot be opened: rollback or reindex
    INTERRUPTED = 130      # Ctrl-C (SIGINT) stopped a writing command; the served index is unchanged


class IndexLocked(Exception):
    """Another process holds the write lock."""


class GenerationUnusable(Exception):
    """The served generation cannot be opened (its folder is missing, its manifest or
    Whoosh files are unreadable); the message names the generation and the fix."""

    def __init__(self, name: str, reason: str, previous: str | None = None):
        self.name, self.reason, self.previous = name, reason, previous
        fix = (f"run `kgsearch rollback` (serves {previous} again) or `kgsearch reindex SOURCE...`"
               if previous else "run `kgsearch reindex SOURCE...`")
        super().__init__(f"the served generation {name} cannot be opened ({reason}); {fix}")


def describe_error(exc: BaseException) -> str:
    """A short reason for ``exc`` without the server's paths (only a file's own name)."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({os.path.basename(os.fsdecode(exc.filename))})" if exc.filename else ""
        return display_path(f"{exc.strerror}{where}")
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return display_path(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def display_path(text) -> str:
    """``text`` as it can be printed: itself when it is valid UTF-8, else its ``repr``
    (a path with bytes that are not UTF-8 holds lone surrogates after ``os.fsdecode``)."""
    text = os.fsdecode(text) if isinstance(text, bytes) else str(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return repr(text)
    return text


def held_lock_fds() -> set[int]:
    """File descriptors of write locks this process holds (children close theirs)."""
    return set(_HELD_LOCK_FDS)


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a forked child of process ``parent``: have the kernel ``SIGKILL`` this process when
    its parent dies (``PR_SET_PDEATHSIG``; Linux), and exit at once if it already has (the
    parent died before ``prctl``).  Used by the index writer's sub-processes and by the
    ``serve --workers`` children, so a ``kill -9`` of the parent leaves no orphans."""
    import ctypes   # only in such children
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


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
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_path(path.parent, directory=True)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list_of(test):
    return lambda value: isinstance(value, list) and all(test(v) for v in value)


def _is_text(value) -> bool:
    return isinstance(value, str)


# The type of every field a manifest may hold (a field may be absent), with its description.
_MANIFEST_FIELDS = {
    "generation": (_is_text, "text"),
    "parent": (lambda v: v is None or isinstance(v, str), "text or null"),
    "kind": (_is_text, "text"),
    "built_at": (_is_text, "text"),
    "updated_at": (_is_text, "text"),
    "analyzer_version": (_is_text, "text"),
    "sources": (_list_of(_is_text), "a list of paths (text)"),
    "documents": (lambda v: _is_int(v) and v >= 0, "a whole number of at least 0"),
    "segments": (lambda v: _is_int(v) and v >= 0, "a whole number of at least 0"),
    "procs": (lambda v: _is_int(v) and v >= 1, "a whole number of at least 1"),
    "multisegment": (lambda v: isinstance(v, bool), "true or false"),
    "date_range": (lambda v: _list_of(_is_int)(v) and len(v) == 2, "a list of two whole numbers"),
    "updates": (_list_of(lambda u: isinstance(u, dict)), "a list of objects"),
    "data_fingerprint": (lambda v: isinstance(v, dict), "an object"),
    "facet_values": (lambda v: isinstance(v, dict), "an object"),
    "index_fields": (_list_of(_is_text), "a list of field names (text)"),
    "field_rules": (lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
                    "an object of texts"),
}


def manifest_problem(data: dict) -> str | None:
    """Why a manifest's fields cannot be used (a field of the wrong type: ``"sources"`` as one
    string would be read letter by letter), or None.  Checked wherever a manifest is read
    (``IndexStore.read_manifest``)."""
    from indexer.history import history_problem   # plain data, no import cycle
    for key, (test, wanted) in _MANIFEST_FIELDS.items():
        if key in data and not test(data[key]):
            value = data[key]
            got = json_kind(value)
            if isinstance(value, list) and got == "a list":
                got = "a list holding something else"
            return f'"{key}" must be {wanted}, not {got}'
    return history_problem(data.get("history"))


class IndexStore:
    def __init__(self, root: str | os.PathLike | None = None, prune_grace: float | None = None):
        self.root = Path(root) if root else default_index_root()
        self.generations = self.root / "generations"
        if prune_grace is None:
            prune_grace = current_settings().prune_grace      # KGSEARCH_PRUNE_GRACE
        self.prune_grace = prune_grace
        # called once, with the holder's note, when a writer has to wait for the lock
        self.on_wait = None

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

    def manifest(self, name: str | None = None) -> dict:
        """The manifest of ``name`` (default: the served one); ``{}`` when it cannot be read."""
        name = name or self.current()
        if not name:
            return {}
        try:
            return self.read_manifest(name)
        except GenerationUnusable:
            return {}

    def read_manifest(self, name: str) -> dict:
        """The manifest of generation ``name``; ``GenerationUnusable`` when the generation's
        folder is missing or its manifest is not a readable JSON object."""
        path = self.path(name)
        if not path.is_dir():
            raise GenerationUnusable(name, "its folder is missing", self.rollback_target(name))
        try:
            data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise GenerationUnusable(name, f"it has no {MANIFEST}", self.rollback_target(name)) from None
        except json.JSONDecodeError as exc:
            raise GenerationUnusable(name, f"{MANIFEST} is not valid JSON (line {exc.lineno}, column "
                                     f"{exc.colno})", self.rollback_target(name)) from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise GenerationUnusable(name, f"{MANIFEST} is unreadable: {describe_error(exc)}",
                                     self.rollback_target(name)) from None
        if not isinstance(data, dict):
            raise GenerationUnusable(name, f"{MANIFEST} is not a JSON object", self.rollback_target(name))
        why = manifest_problem(data)
        if why:
            raise GenerationUnusable(name, f"{MANIFEST} is not valid: {why}", self.rollback_target(name))
        return data

    def rollback_target(self, name: str) -> str | None:
        """The generation ``rollback`` would serve instead of ``name``, if there is one."""
        with contextlib.suppress(OSError):
            prev = self.previous()
            if prev and prev != name and (self.path(prev) / MANIFEST).is_file():
                return prev
        return None

    def size_bytes(self, name: str | None = None) -> int:
        name = name or self.current()
        if not name or not self.path(name).is_dir():
            return 0
        return sum(f.stat().st_size for f in self.path(name).iterdir() if f.is_file())

    def list_generations(self) -> list[str]:
        if not self.generations.is_dir():
            return []
        return sorted(c.name for c in self.generations.iterdir() if c.is_dir())

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

    def link_generation(self, source: str) -> tuple[str, Path]:
        """A new generation whose Whoosh files are hard links to those of ``source``
        (copies where the file system cannot link).  Whoosh never opens an existing
        file for writing: a commit creates new segment files and a new TOC (written
        under a temporary name, then renamed), and removes the files it no longer
        needs, which only unlinks the new generation's names."""
        src = self.path(source)
        name, path = self.new_generation()
        for child in src.iterdir():
            if not child.is_file() or child.name in _NOT_LINKED or child.name.endswith("_LOCK") \
                    or child.name.endswith("WRITELOCK"):
                continue
            try:
                os.link(child, path / child.name)
            except OSError:
                shutil.copy2(child, path / child.name)
        return name, path

    def discard(self, name: str) -> None:
        """Remove generation ``name`` unless it is served (a failed or refused run's)."""
        with contextlib.suppress(OSError):
            if name in (self.current(), self.previous()):
                return
        shutil.rmtree(self.path(name), ignore_errors=True)

    def write_manifest(self, name: str, manifest: dict) -> None:
        """Write the manifest that completes generation ``name``; if that fails (a full disk),
        the half-built generation is removed before the error goes on."""
        try:
            self._write_manifest(name, manifest)
        except BaseException:
            self.discard(name)
            raise

    def _write_manifest(self, name: str, manifest: dict) -> None:
        text = json.dumps(manifest, ensure_ascii=False, indent=2)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # a source path that is not UTF-8 (lone surrogates after os.fsdecode): escaped as
            # \udcXX, which json.loads gives back as the same str (os.fsencode: the same bytes)
            text = json.dumps(manifest, ensure_ascii=True, indent=2)
        write_atomic(self.path(name) / MANIFEST, text)

    def publish(self, name: str) -> None:
        """Flush generation ``name`` to disk and make it the served one, atomically.  When
        that fails before the switch (a full disk), ``name`` is removed and the served
        generation stays as it was."""
        try:
            fsync_tree(self.path(name))
            _fsync_path(self.generations, directory=True)
            testhooks.point("before-switch")
            old = self.current()
            if old and old != name:
                write_atomic(self.root / "PREVIOUS", old + "\n")
            write_atomic(self.root / "CURRENT", name + "\n")
        except BaseException:
            self.discard(name)
            raise
        testhooks.point("after-switch")
        self.prune()

    def rollback(self) -> str:
        """Serve the previous generation again; returns its name."""
        prev, cur = self.previous(), self.current()
        if not prev or not self.path(prev).is_dir():
            raise FileNotFoundError("no previous generation to roll back to")
        self.read_manifest(prev)    # GenerationUnusable: the previous one is broken too
        write_atomic(self.root / "PREVIOUS", (cur or "") + "\n")
        write_atomic(self.root / "CURRENT", prev + "\n")
        return prev

    def prune(self, grace: float | None = None) -> list[str]:
        """Remove generations that are neither current nor previous (call under the write lock).

        Half-built generations (no manifest: a killed or failed run) go at once.  A
        complete generation that left ``CURRENT``/``PREVIOUS`` is first marked retired
        and removed by a later prune once ``grace`` seconds have passed, so a server
        that read ``CURRENT`` a moment ago can still open it."""
        grace = self.prune_grace if grace is None else grace
        keep = {self.current(), self.previous()}
        removed = []
        for tmp in self.root.glob(".*.tmp"):      # pointer files of a writer killed mid-write
            tmp.unlink(missing_ok=True)
        if not self.generations.is_dir():
            return removed
        now = time.time()
        for child in self.generations.iterdir():
            marker = self.generations / f"{child.name}.retired"
            if child.is_file() and child.name.endswith(".retired"):
                if not (self.generations / child.name[: -len(".retired")]).is_dir():
                    child.unlink(missing_ok=True)   # its generation is gone
                continue
            if not child.is_dir():
                continue
            if child.name in keep:
                marker.unlink(missing_ok=True)      # served again (rollback)
                continue
            if (child / MANIFEST).exists() and grace > 0:
                try:
                    retired_at = marker.stat().st_mtime
                except FileNotFoundError:
                    marker.write_text(dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds") + "\n")
                    continue
                if now - retired_at < grace:
                    continue
            shutil.rmtree(child, ignore_errors=True)
            marker.unlink(missing_ok=True)
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
        testhooks.point("lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        acquired = notified = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    acquired = True
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
                    if time.monotonic() >= deadline:
                        raise IndexLocked(
                            f"index {self.root} is being written by another run "
                            f"({holder or 'unknown process'}); gave up after {timeout:g} s"
                        ) from None
                    if self.on_wait is not None and not notified:
                        notified = True
                        self.on_wait(holder or "unknown process")
                    time.sleep(0.1)
            started = dt.datetime.now().isoformat(timespec="seconds")
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"kgsearch {what}, pid {os.getpid()} on {socket.gethostname()}, "
                          f"since {started}".encode(), 0)
            _HELD_LOCK_FDS.add(fd)
            yield
        finally:
            _HELD_LOCK_FDS.discard(fd)
            if acquired:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
            os.close(fd)
