"""Running a sweep: its samples on Dask (a local cluster or a scheduler) or in this process.

The client hands each worker the spec, the base scenario (sent once to every worker) and a
sample number; the worker builds the sample and runs the model
(:func:`optimizer.sweep.worker.run_sample`); the client keeps every finished sample in the run
store as it arrives. Ctrl+C cancels what is left, closes the cluster and raises
:class:`SweepStopped`: the finished samples are kept, and ``resume=`` the sweep's id runs only
those missing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.scenario.scenario import Scenario
from optimizer.sweep.record import MemoryRecorder, Recorder, SampleResult, result_of
from optimizer.sweep.samples import changes_for, check_spec, sample_count, scenario_hash
from optimizer.sweep.spec import SweepSpec
from optimizer.sweep.worker import SampleOutput, prepare, run_sample, run_samples

__all__ = ["DEFAULT_WORKERS", "SweepRun", "SweepStopped", "run_sweep"]

DEFAULT_WORKERS = 2
_CHUNK_MAX = 4
# one worker, one core: numerical libraries and the solver use a single thread each
_ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
# a local cluster's housekeeping, measured at 2.2 % of a core in the client alone while idle
# (0.6 % with these) and as much again in each worker: no statistical profiler sampling the
# running task every 10 ms, the system monitor every 10 s instead of 0.5 s (no memory limit
# reads it), the event loop's blocked-loop check every 0.2 s instead of 20 ms
_QUIET = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "10s",
    "distributed.admin.tick.interval": "200ms",
}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SweepRun:
    """A finished sweep: its id in the store, its samples' results in order, and how it ran.

    ``resumed`` samples came from the store (finished by an earlier, stopped run);
    ``failed`` are the samples the model failed on (number, what varied, the error; not in
    the store, so a resume tries them again); ``network_loads`` is, per worker process, how
    many road networks it loaded; ``worker_cpu_s`` the CPU seconds the samples run now took
    where they ran (building the sample and running the model; load does not change it);
    ``setup_s`` the wall-clock seconds spent starting, preparing (every worker loads the base
    scenario's roads and the model's code before the first sample) and closing the cluster,
    which a sweep pays once, not per sample (0 for a sweep run in this process).
    """

    sweep_id: int
    model: str
    total: int
    results: tuple[SampleResult, ...]
    resumed: int = 0
    network_loads: Mapping[int, int] = field(default_factory=dict)
    failed: tuple[tuple[int, Mapping[str, Any], str], ...] = ()
    worker_cpu_s: float = 0.0
    setup_s: float = 0.0

    @property
    def done(self) -> int:
        """How many samples are finished."""
        return len(self.results)


class SweepStopped(KeyboardInterrupt):
    """The sweep was stopped (Ctrl+C); ``done`` samples of ``total`` are kept."""

    def __init__(self, sweep_id: int, done: int, total: int) -> None:
        super().__init__(f"sweep {sweep_id} stopped: {done} of {total} samples kept")
        self.sweep_id, self.done, self.total = sweep_id, done, total


def run_sweep(
    spec: SweepSpec,
    base: Scenario,
    model: str,
    *,
    n: int | None = None,
    seed: int = 0,
    workers: int = DEFAULT_WORKERS,
    scheduler: str | None = None,
    recorder: Recorder | None = None,
    resume: int | None = None,
    options: Mapping[str, Any] | None = None,
    label: str | None = None,
    progress: Progress | None = None,
) -> SweepRun:
    """Run ``model`` on every sample of a sweep and keep each one as it finishes.

    ``workers=0`` runs the samples in this process, one after the other (no Dask); otherwise
    on a local cluster of ``workers`` processes, or on the Dask scheduler at ``scheduler``
    (``tcp://host:port``; its workers must see the scenario's road file at the same path).
    ``resume`` is the id of a stopped sweep: only its missing samples run.
    """
    from optimizer.pipeline.registry import MODELS

    if model not in MODELS:
        raise InputError(Problem("--model", f"one of {', '.join(sorted(MODELS))}", value=model))
    check_spec(spec, base)
    total = sample_count(spec, n)
    recorder = recorder if recorder is not None else MemoryRecorder()
    options = dict(options or {})
    if resume is None:
        described = _described(spec, base, total, seed, options)
        sweep_id, earlier = recorder.create_sweep(described, model, label or spec.label), []
    else:
        sweep_id, earlier = resume, _earlier(recorder, spec, base, resume, seed)
    done_before = {r.index for r in earlier}
    todo = [i for i in range(total) if i not in done_before]
    fresh: list[SampleResult] = []
    failed: list[tuple[int, Mapping[str, Any], str]] = []
    loads: dict[int, int] = {}
    cpu = [0.0]
    setup = [0.0]

    def keep(output: SampleOutput) -> None:
        cpu[0] += output.cpu_s
        if output.run is None:
            failed.append((output.index, output.overrides, output.error or "failed"))
        else:
            run_id = recorder.record(output, sweep_id, options, base)
            fresh.append(result_of(output.index, output.overrides, output.run, run_id))
        loads[output.pid] = max(loads.get(output.pid, 0), output.network_loads)
        if progress is not None:
            progress(len(earlier) + len(fresh) + len(failed), total)

    if progress is not None:
        progress(len(earlier), total)
    keeper = _Keeper(keep)
    try:
        try:
            if workers == 0 and scheduler is None:
                for index in todo:
                    keeper.put(run_sample(spec, base, index, seed, model, options))
            else:
                _on_dask(
                    spec, base, todo, seed, model, options, workers, scheduler, keeper.put, setup
                )
        finally:
            keeper.close()  # every finished sample is kept, also when stopped
    except KeyboardInterrupt:
        raise SweepStopped(sweep_id, len(earlier) + len(fresh), total) from None
    results = tuple(sorted([*earlier, *fresh], key=lambda r: r.index))
    failures = tuple(sorted(failed, key=lambda f: f[0]))
    return SweepRun(sweep_id, model, total, results, len(earlier), loads, failures, *cpu, *setup)


def _described(
    spec: SweepSpec, base: Scenario, total: int, seed: int, options: Mapping[str, Any]
) -> dict[str, Any]:
    """The sweep as the store keeps it: spec, count, seed, base scenario (and its hash)."""
    return {
        "spec": spec.to_dict(),
        "samples": total,
        "seed": seed,
        "base": base.name,
        "base_hash": scenario_hash(base),
        "options": dict(options),
    }


def _earlier(
    recorder: Recorder, spec: SweepSpec, base: Scenario, sweep_id: int, seed: int
) -> list[SampleResult]:
    """The samples a stopped sweep kept, after checking they are this spec's samples."""
    earlier = recorder.results(sweep_id)
    if not earlier and not recorder.done(sweep_id):
        raise InputError(
            Problem("--resume", "the id of a sweep with samples in the store", value=sweep_id)
        )
    for result in earlier[:3]:
        inputs, _ = changes_for(spec, base, result.index, seed)
        if not _same(inputs, result.inputs):
            raise InputError(
                Problem(
                    "--resume",
                    f"the same spec, scenario and seed as sweep {sweep_id} "
                    f"(its sample {result.index} varied {dict(result.inputs)!r:.80})",
                    value=sweep_id,
                )
            )
    return earlier


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if set(a) != set(b):
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, float) and isinstance(other, int | float):
            if abs(value - float(other)) > 1e-12 * max(1.0, abs(value)):
                return False
        elif value != other:
            return False
    return True


class _Keeper:
    """Keeps finished samples on a thread of its own, in the order they come.

    Recording a sample (encoding its tables, writing the store) then overlaps the next
    sample's solve, which spends much of its time in the solver, outside the interpreter's
    lock. An error while recording stops the sweep at the next sample handed over.
    """

    def __init__(self, keep: Callable[[SampleOutput], None]) -> None:
        self._keep = keep
        self._queue: queue.Queue[SampleOutput | None] = queue.Queue(maxsize=32)
        self._error: list[BaseException] = []
        self._thread = threading.Thread(target=self._work, name="sweep-recorder", daemon=True)
        self._thread.start()

    def put(self, output: SampleOutput) -> None:
        if self._error:
            raise self._error[0]
        self._queue.put(output)

    def _work(self) -> None:
        while (output := self._queue.get()) is not None:
            if not self._error:
                try:
                    self._keep(output)
                except BaseException as exc:  # raised on the sweep's thread
                    self._error.append(exc)

    def close(self) -> None:
        """Wait until every sample handed over is kept; raise what recording raised."""
        self._queue.put(None)
        while self._thread.is_alive():
            self._thread.join(0.1)  # short waits: Ctrl+C still reaches this thread
        if self._error:
            raise self._error[0]


def _chunks(todo: list[int], workers: int) -> list[list[int]]:
    """The samples in tasks of a few each: fewer tasks for the scheduler and the client,
    small enough that the workers finish together (about 16 tasks a worker, at most 4
    samples a task)."""
    size = max(1, min(_CHUNK_MAX, len(todo) // max(1, 16 * workers)))
    return [todo[i : i + size] for i in range(0, len(todo), size)]


def _on_dask(
    spec: SweepSpec,
    base: Scenario,
    todo: list[int],
    seed: int,
    model: str,
    options: dict[str, Any],
    workers: int,
    scheduler: str | None,
    keep: Callable[[SampleOutput], None],
    setup: list[float],
) -> None:
    """Run ``todo`` on Dask, handing each finished sample to ``keep``; add the seconds spent
    starting, preparing and closing the cluster to ``setup[0]``."""
    from distributed import as_completed, wait

    if not todo:
        return
    started = time.perf_counter()
    with _client(workers, scheduler) as client:
        shared_base = client.scatter(base, broadcast=True, hash=False)
        shared_spec = client.scatter(spec, broadcast=True, hash=False)
        # each worker loads the roads and the model's code before its first sample
        wait(
            [
                client.submit(prepare, shared_base, workers=[address], pure=False)
                for address in client.scheduler_info()["workers"]
            ]
        )
        setup[0] += time.perf_counter() - started
        size = sum(client.nthreads().values()) or max(1, workers)
        futures = [
            client.submit(
                run_samples, shared_spec, shared_base, chunk, seed, model, options, pure=False
            )
            for chunk in _chunks(todo, size)
        ]
        try:
            for future in as_completed(futures):
                for output in future.result():
                    keep(output)
                future.release()
        except BaseException:
            client.cancel(futures, force=True)
            raise
        closing = time.perf_counter()
    setup[0] += time.perf_counter() - closing


@contextlib.contextmanager
def _client(workers: int, scheduler: str | None) -> Iterator[Any]:
    """A Dask client on the scheduler at ``scheduler``, or on a new local cluster."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                Problem(
                    "--scheduler",
                    f"the address of a running Dask scheduler, tcp://HOST:PORT ({exc})",
                    value=scheduler,
                )
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    if workers < 1:
        raise InputError(Problem("--workers", "a number of workers of 1 or more", value=workers))
    import dask

    # the cluster's own housekeeping off the cores the samples need (the workers get this
    # configuration from their nannies)
    with dask.config.set(_QUIET), _workers_skip_main():
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # no fixed port: another cluster may hold 8787
            # workers losing the scheduler while the cluster closes say so at ERROR: not news
            silence_logs=logging.CRITICAL,
            # a worker's solver may use all of its core: no memory-based pausing of small tasks
            memory_limit=0,
            env={**_ONE_THREAD, **_passed_env()},
        )
    try:
        with dask.config.set(_QUIET), Client(cluster) as client:
            yield client
    finally:
        cluster.close()


@contextlib.contextmanager
def _workers_skip_main() -> Iterator[None]:
    """Start worker processes without running this process's ``__main__`` again.

    Python's spawn runs the parent's main script again in each new process; the workers get
    only library code, and a main that cannot run twice (a Streamlit page, a notebook cell, a
    script without the ``if __name__ == "__main__":`` guard) would stop them starting.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _passed_env() -> dict[str, str]:
    """Settings a worker needs from this process (its road cache folder)."""
    return {k: v for k, v in os.environ.items() if k.startswith("COOP_OPTIMIZER_")}
