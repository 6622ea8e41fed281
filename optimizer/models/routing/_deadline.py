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

Timing: setting a search up (handing the problem to the child, building the engine's model)
and the search itself are timed apart. The child says when its search starts
(:func:`searching`); the search's deadline runs from then, and setting up has its own
allowance (``setup_s``, from the call: :func:`setup_allowance` grows with the problem's
matrices), so a slow hand-over of a large problem does not eat the search time. Whatever the
engine does, the answer comes back within ``setup_s`` plus ``time_limit`` plus :func:`grace`
(1 s plus 5 % of the limit, more for large problems) plus the kill; a child that never says
it searches answers within the same bound. The fork server itself is started (about 1-2 s of
imports, once per process) before the clock starts. Measured on the project's two-core machine
under the test suite's load: the start-up and hand-over of a 0.5 s search cost 40-300 ms (the
answer of a 0.5 s PyVRP or OR-Tools search arrives after 0.54-0.8 s); a search that never
returns is killed at its deadline and the call returns 5-40 ms later.
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

__all__ = ["Late", "call_with_deadline", "grace", "searching", "setup_allowance"]

_PRELOAD = ["optimizer.models.routing._pyvrp", "optimizer.models.routing._ortools"]
_LOCK = threading.Lock()
_CONTEXT: dict[str, Any] = {}
_SEARCHING: dict[str, Connection] = {}  # in the child: where to say that the search starts


class Late(Exception):
    """The call did not answer before its deadline; its process was killed.

    ``in_setup`` is True when the child had not yet said that its search began."""

    def __init__(self, message: str, *, in_setup: bool = False) -> None:
        super().__init__(message)
        self.in_setup = in_setup


def grace(time_limit: float, num_locations: int = 0, num_clients: int = 0) -> float:
    """Seconds a search may overrun ``time_limit`` before its process is killed: 1 s plus 5 %
    of the limit, plus 0.5 s per 1,000 places or clients, whichever are more (the engines
    look at the clock between iterations, and an iteration grows with the problem: PyVRP's on
    5,000 places overran a 1 s limit by 1.8 s at load 10; clients at one road spot share a
    place but not an iteration's work)."""
    return 1.0 + 0.05 * time_limit + max(num_locations, num_clients) / 2000


def setup_allowance(num_locations: int, num_clients: int = 0) -> float:
    """Seconds a child may take to set up a search over ``num_locations`` places and
    ``num_clients`` clients: the hand-over of the problem and the engine's model and first
    plan, all growing with the matrices' size and with the pairs of clients (PyVRP's
    neighbourhoods weigh every pair of clients, and clients at one place share its row of the
    matrices): 2 s plus 4 s per million matrix entries and pairs of clients. Measured with
    PyVRP on the project's two-core machine at load 10 (one group, random places): 600
    places 0.4 s, 1,500 places 2.6 s (0.3 s hand-over, 2.3 s model and first plan), 5,000
    places 53 s (3.3 s and 50 s); at load 8, groups of 4,500-5,500 members at 1,800-2,000
    places (15,000 members) 3-4 s of processor time, over 20 s of wall time."""
    return 2.0 + 4.0 * (num_locations**2 + num_clients**2) / 1e6


def searching() -> None:
    """Called by the target in the child when its search starts (after its setup): the
    search's deadline runs from here. Does nothing outside a child of :func:`call_with_deadline`."""
    send = _SEARCHING.get("send")
    if send is not None:
        send.send(("searching", None))


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
    _SEARCHING["send"] = send
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
    setup_s: float = 0.0,
) -> Any:
    """``target(*args, **kwargs)`` in a child process, killed ``limit_s`` after its search
    starts (:func:`searching`), and in any case ``setup_s + limit_s`` after this call.

    ``target`` must be a module-level function and its arguments and answer picklable.
    Raises :class:`Late` when the deadline passes, and re-raises the target's own exception.
    """
    context = _context()
    begun = time.perf_counter()
    receive, send = context.Pipe(duplex=False)
    process = _process(context, target=_child, args=(send, target, args, kwargs), daemon=True)
    process.start()
    send.close()
    latest = begun + setup_s + limit_s
    deadline = latest
    search_began: float | None = None
    try:
        while True:
            if not receive.poll(max(0.0, deadline - time.perf_counter())):
                raise Late(_late_words(begun, search_began), in_setup=search_began is None)
            kind, value = receive.recv()
            if kind != "searching":
                break
            search_began = time.perf_counter()
            deadline = min(latest, search_began + limit_s)
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


def _late_words(begun: float, search_began: float | None) -> str:
    now = time.perf_counter()
    if search_began is None:
        return f"stopped after {now - begun:.1f} s, before its search began"
    return (
        f"stopped after {now - begun:.1f} s: {search_began - begun:.1f} s setting up, "
        f"{now - search_began:.1f} s searching"
    )
