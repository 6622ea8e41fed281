"""Temporary folders and child processes that do not outlive the process that made them.

A folder made by :func:`owned_folder` carries its owner's process id in its name
(``<prefix><pid>-<random>``). Its owner removes it when done; when the owner could not (it was
killed with SIGKILL, or the machine stopped), the next :func:`owned_folder` or
:func:`sweep_leftovers` with the same prefix removes it, because its owner is no longer
alive. :func:`die_with_parent` gives ``subprocess.Popen`` a ``preexec_fn`` with which Linux
kills the child as soon as its parent dies, however the parent died;
:func:`children_end_on_interrupt` kills a block's children (of a program started by a library
that keeps no handle to them) when the block is interrupted.

Standard library only; it imports nothing else of the package.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import glob
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Container, Iterator
from pathlib import Path

__all__ = [
    "children_end_on_interrupt",
    "die_with_parent",
    "end_children",
    "owned_folder",
    "owner_alive",
    "sweep_leftovers",
]

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def owner_alive(pid: int) -> bool:
    """Whether a process with this id runs (or may run: one we may not signal counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return True  # when in doubt keep the folder
    return True


def owned_folder(prefix: str, root: Path | None = None) -> Path:
    """A new folder ``<root>/<prefix><this pid>-<random>``, after sweeping dead owners' ones.

    ``root`` defaults to the system's temporary folder (``$TMPDIR``). The caller removes the
    folder when done (``shutil.rmtree``); if it cannot, a later call does.
    """
    base = Path(root) if root is not None else Path(tempfile.gettempdir())
    sweep_leftovers(prefix, base)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=base))


def sweep_leftovers(
    prefix: str, root: Path | None = None, *, keep: Container[Path] = ()
) -> list[Path]:
    """Remove ``<root>/<prefix><pid>-*`` folders and files whose owner process is dead.

    A folder of a live process stays (it may be in use), as does anything in ``keep`` or
    not named by the pattern. Returns what was removed.
    """
    base = Path(root) if root is not None else Path(tempfile.gettempdir())
    pattern = re.compile(re.escape(prefix) + r"(\d+)-")
    removed: list[Path] = []
    try:
        entries = list(base.glob(f"{glob.escape(prefix)}*"))
    except OSError:
        return removed
    for entry in entries:
        found = pattern.match(entry.name)
        if found is None or entry in keep or owner_alive(int(found.group(1))):
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:  # gone meanwhile, or not ours to remove
            continue
        removed.append(entry)
    return removed


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive SIGKILL when its parent dies (Linux).

    ``None`` where the system cannot do that. The C library is looked up here, in the
    parent, so the child only makes one system call between ``fork`` and ``exec``.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


@contextlib.contextmanager
def children_end_on_interrupt(executable: str) -> Iterator[None]:
    """End this process's children running ``executable`` when the block is interrupted.

    PuLP starts CBC with ``subprocess.Popen`` and keeps no handle to it; a KeyboardInterrupt
    (or any other escape) while PuLP waits would leave CBC solving until its time limit.
    """
    try:
        yield
    except BaseException:
        end_children(executable)
        raise


def end_children(executable: str) -> None:
    """Kill the child processes of this process whose program is ``executable`` (Linux)."""
    me = os.getpid()
    try:
        target = os.path.realpath(executable)
        entries = list(Path("/proc").iterdir())
    except OSError:  # no /proc: nothing to look at (the child ends at its time limit)
        return
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == me and os.path.realpath(entry / "exe") == target:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not ours to read
            continue
