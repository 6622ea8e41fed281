"""Run a routing engine under a hard wall-clock limit that the project enforces itself.

The engines are told the time limit, but a search can overrun it (PyVRP once spent over ten
minutes in its local search on a 1 s limit). So every engine call runs in a child process
started through a ``forkserver`` (``spawn`` where there is none): the server imports the
engines once, then each call is a cheap fork of a single-threaded process, safe while the
parent runs other groups in threads. The parent waits for the answer until the deadline and
kills the child when it comes first. Unlike ``multiprocessing``'s own children, ours do not
import the caller's main module again (:class:`_Popen`): the caller may be a Streamlit page, a
test harness's script or a script without the ``if __name__ == "__main__":`` guard, and the
engines need none of it (targets are module-level functions of importable modules).

Timing: the deadline runs from the call, so the answer comes back within ``time_limit`` plus
:func:`grace` (1 s plus 5 % of the limit) plus the kill, whatever the engine does; the grace
covers the fork, the child's imports of the caller's main module and the hand-over of the
problem. The fork server itself is started (about 1-2 s of imports, once per process) before
the clock starts. Measured on the project's two-core machine under the test suite's load: the
start-up and hand-over of a 0.5 s search cost 40-300 ms (the answer of a 0.5 s PyVRP or OR-Tools
search arrives after 0.54-0.8 s); a search that never returns is killed at its deadline and the
call returns 5-40 ms later.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess, set_spawning_popen
from typing import Any

__all__ = ["Late", "call_with_deadline", "grace"]

_PRELOAD = ["optimizer.models.routing._pyvrp", "optimizer.models.routing._ortools"]
_LOCK = threading.Lock()
_CONTEXT: dict[str, Any] = {}


class Late(Exception):
    """The call did not answer before its deadline; its process was killed."""


def grace(time_limit: float) -> float:
    """Seconds a search may overrun ``time_limit`` before its process is killed."""
    return 1.0 + 0.05 * time_limit


class _Popen(popen_forkserver.Popen):
    """The fork server's start, less the re-import of the caller's main module.

    A copy of CPython 3.11's ``popen_forkserver.Popen._launch`` but for the two keys of the
    preparation data that make the child run the caller's ``__main__`` again.
    """

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_name", None)
        prep_data.pop("init_main_from_path", None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
        parent_w = os.dup(w)
        close = util.close_fds  # type: ignore[attr-defined]
        self.finalizer = util.Finalize(self, close, (parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        return _Popen(process_obj)


def _process(context: Any, **kwargs: Any) -> Any:
    """A child process of ``context`` (through :class:`_Popen` for the fork server)."""
    if context.get_start_method() == "forkserver":
        return _Process(**kwargs)
    return context.Process(**kwargs)


def _context() -> Any:
    with _LOCK:
        if not _CONTEXT:
            if "forkserver" in multiprocessing.get_all_start_methods():
                context: Any = multiprocessing.get_context("forkserver")
                # the engines, not the parent's __main__ (pytest, streamlit), are preloaded
                context.set_forkserver_preload(_PRELOAD)
            else:
                context = multiprocessing.get_context("spawn")
            # boot the server (its imports) and the first child before any deadline starts
            warm_up = _process(context, target=_nothing, daemon=True)
            warm_up.start()
            warm_up.join()
            _CONTEXT["context"] = context
        return _CONTEXT["context"]


def _nothing() -> None:
    """The first child: its start boots the fork server."""


def _child(
    send: Connection, target: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    try:
        answer: tuple[str, Any] = ("ok", target(*args, **kwargs))
    except Exception as error:  # handed to the parent, which raises it
        answer = ("error", error)
    try:
        send.send(answer)
    except Exception as error:  # an exception that does not pickle: its words only
        send.send(("error", RuntimeError(f"{type(error).__name__}: {answer[1]!r}")))
    send.close()


def call_with_deadline(
    target: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    limit_s: float,
) -> Any:
    """``target(*args, **kwargs)`` in a child process, killed ``limit_s`` after this call.

    ``target`` must be a module-level function and its arguments and answer picklable.
    Raises :class:`Late` when the deadline passes, and re-raises the target's own exception.
    """
    context = _context()
    begun = time.perf_counter()
    receive, send = context.Pipe(duplex=False)
    process = _process(context, target=_child, args=(send, target, args, kwargs), daemon=True)
    process.start()
    send.close()
    try:
        if not receive.poll(max(0.0, limit_s - (time.perf_counter() - begun))):
            raise Late(f"stopped after {time.perf_counter() - begun:.1f} s")
        kind, value = receive.recv()
    except EOFError:
        raise RuntimeError(
            f"the search process ended without an answer (exit code {process.exitcode})"
        ) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(5.0)
        receive.close()
    if kind == "error":
        raise value
    return value
