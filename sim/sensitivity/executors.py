"""Execution backends: evaluate chunks (row ranges) in-process, in a process pool, or on Dask.

All backends share one contract::

    backend.run(evaluator, X, tasks, on_result)   # tasks: [(index, start, stop)]
    on_result(index, Y_chunk)                      # called in the driver, any order

The driver persists every result as it arrives and assembles outputs by row
index afterwards, so completion order never influences results.  Retries:

* process pool – a chunk whose worker raised is resubmitted; if a worker
  *dies* (``BrokenProcessPool``) the pool is rebuilt and every chunk that was
  in flight is resubmitted.  After ``retries`` extra attempts a chunk fails.
* Dask – ``retries=`` covers exceptions; a dying worker is handled by the
  scheduler, which reschedules its tasks (``distributed.scheduler.allowed-failures``).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from .errors import ChunkFailedError, SchedulerUnreachableError, SensitivityInputError
from .evaluators import Evaluator, evaluate_chunk

Task = tuple[int, int, int]  # (chunk index, start row, stop row)
OnResult = Callable[[int, np.ndarray], None]

CONNECT_TIMEOUT_S = 4.0


def _worker_env() -> dict[str, str]:
    """Environment for worker processes: one engine thread each (unless the user chose).

    The batched engine may use its own threads (OASIS_SD_THREADS); with one
    process per core, extra threads only oversubscribe the machine.  The
    engine splits rows across threads, so results do not depend on this.
    """
    return {"OASIS_SD_THREADS": os.environ.get("OASIS_SD_THREADS", "1")}


PARENT_POLL_S = 0.5


def _exit_with_parent(parent_pid: int) -> None:
    """Daemon thread of a pool worker: exit as soon as the driver is gone (kill -9 of the driver
    would otherwise leave the workers, ~150 MB each, running under init until their task ends)."""
    import threading
    import time

    def watch():
        while True:
            time.sleep(PARENT_POLL_S)
            if os.getppid() != parent_pid:
                os._exit(3)

    threading.Thread(target=watch, name="oasis-sd-parent-watch", daemon=True).start()


def _worker_init(parent_pid: int | None = None) -> None:
    # Runs in each spawned pool worker before the engine module is imported.
    os.environ.update(_worker_env())
    if parent_pid is not None:
        _exit_with_parent(parent_pid)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Backend:
    """Base class; subclasses implement :meth:`run`."""

    name = "base"
    workers = 1

    def run(self, evaluator: Evaluator, X: np.ndarray, tasks: Sequence[Task],
            on_result: OnResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class InProcessBackend(Backend):
    """One worker: evaluate in the driver itself (no pickling, easiest to debug)."""

    name = "local"

    def __init__(self, retries: int = 2):
        self.retries = retries

    def run(self, evaluator, X, tasks, on_result):
        for idx, start, stop in tasks:
            for attempt in range(self.retries + 1):
                try:
                    Y = evaluate_chunk(evaluator, X[start:stop])
                    break
                except Exception as exc:  # noqa: BLE001 - retried, then reported
                    if attempt == self.retries:
                        raise ChunkFailedError(
                            f"chunk {idx} (rows {start}–{stop - 1}) failed {attempt + 1} times: {exc!r}"
                        ) from exc
            on_result(idx, Y)


class ProcessPoolBackend(Backend):
    """Local worker processes (``spawn``: no inherited locks/threads from the driver)."""

    name = "local"

    def __init__(self, workers: int, retries: int = 2, max_in_flight: int | None = None):
        self.workers = workers
        self.retries = retries
        # Bounded in-flight work keeps memory flat and makes Ctrl-C / kills lose little.
        self.max_in_flight = max_in_flight or 2 * workers
        self._ctx = mp.get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=self._ctx,
                                         initializer=_worker_init, initargs=(os.getpid(),))
        return self._pool

    def run(self, evaluator, X, tasks, on_result):
        pool = self._pool or self._new_pool()
        queue = list(tasks)[::-1]  # pop() from the end keeps submission in index order
        attempts: dict[int, int] = {}
        in_flight: dict[Future, Task] = {}

        def submit(task: Task) -> bool:
            """Submit; False if the pool turned out to be broken (task goes back, uncharged)."""
            idx, start, stop = task
            try:
                fut = pool.submit(evaluate_chunk, evaluator, X[start:stop])
            except BrokenProcessPool:
                queue.append(task)
                return False
            attempts[idx] = attempts.get(idx, 0) + 1
            in_flight[fut] = task
            return True

        while queue or in_flight:
            broken = False
            while queue and len(in_flight) < self.max_in_flight and not broken:
                broken = not submit(queue.pop())
            if in_flight:
                done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            else:
                done = set()
            for fut in done:
                task = in_flight.pop(fut)
                idx, start, stop = task
                try:
                    Y = fut.result()
                except BrokenProcessPool as exc:
                    broken = True
                    self._check_attempts(task, attempts, exc, "its worker process died")
                    queue.append(task)
                    continue
                except Exception as exc:  # noqa: BLE001
                    self._check_attempts(task, attempts, exc, "it raised")
                    queue.append(task)
                    continue
                on_result(idx, Y)
            if broken:
                # Every other in-flight future of a broken pool fails too: requeue them all.
                for task in list(in_flight.values()):
                    queue.append(task)
                    attempts[task[0]] -= 1  # cancelled, not failed: do not charge an attempt
                in_flight.clear()
                pool = self._new_pool()

    def _check_attempts(self, task: Task, attempts: dict[int, int], exc: BaseException,
                        why: str) -> None:
        idx, start, stop = task
        if attempts[idx] > self.retries:
            raise ChunkFailedError(
                f"chunk {idx} (rows {start}–{stop - 1}) failed {attempts[idx]} times ({why}): {exc!r}"
            ) from exc

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskBackend(Backend):
    """Chunks as Dask futures on a LocalCluster (started here) or an existing scheduler."""

    def __init__(self, client, cluster=None, retries: int = 2, max_in_flight: int | None = None):
        self.client = client
        self.cluster = cluster  # only set when we started it (and so must stop it)
        self.retries = retries
        self.name = "local-cluster" if cluster is not None else "dask"
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        self.max_in_flight = max_in_flight

    def run(self, evaluator, X, tasks, on_result):
        from distributed import as_completed

        # Ship the evaluator once; every task references the same remote copy.
        shipped = {}

        def ship():
            [shipped["evaluator"]] = self.client.scatter([evaluator], broadcast=True, hash=False)

        ship()
        limit = self.max_in_flight or max(4, 4 * self.workers)
        queue = list(tasks)[::-1]
        by_key = {}
        failures: dict[int, int] = {}

        def submit(task):
            idx, start, stop = task
            fut = self.client.submit(evaluate_chunk, shipped["evaluator"], X[start:stop], pure=False,
                                     retries=self.retries, key=f"oasis-sens-chunk-{idx}-{os.urandom(4).hex()}")
            by_key[fut.key] = task
            return fut

        ac = as_completed([submit(queue.pop()) for _ in range(min(limit, len(queue)))])
        for fut in ac:
            task = by_key.pop(fut.key)
            idx, start, stop = task
            try:
                Y = fut.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, exhausted retries, lost data
                # Dask retries a task whose worker died, but a task can also be cancelled when the
                # scattered evaluator is lost with a dying worker ("already forgotten"): ship the
                # evaluator again and resubmit the chunk, up to `retries` times per chunk.
                failures[idx] = failures.get(idx, 0) + 1
                if failures[idx] > self.retries:
                    raise ChunkFailedError(
                        f"chunk {idx} (rows {start}–{stop - 1}) failed on the Dask cluster after "
                        f"{self.retries} retries: {exc!r}"
                    ) from exc
                ship()
                ac.add(submit(task))
                continue
            finally:
                fut.release()
            on_result(idx, np.asarray(Y))
            if queue:
                ac.add(submit(queue.pop()))

    def close(self):
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def parse_scheduler(value: str | None) -> str:
    """Normalise ``--scheduler``: 'local', 'local-cluster' or a ``scheme://host:port`` address."""
    v = (value or "local").strip()
    if v in ("local", "local-cluster"):
        return v
    if "://" in v:
        scheme = v.split("://", 1)[0]
        if scheme not in ("tcp", "tls", "ucx", "inproc", "ws", "wss"):
            raise SensitivityInputError(
                f"--scheduler {v!r}: unknown protocol {scheme!r}; write tcp://HOST:8786."
            )
        return v
    raise SensitivityInputError(
        f"--scheduler {v!r} not understood: use 'local', 'local-cluster' or tcp://HOST:PORT."
    )


def make_backend(scheduler: str, workers: int | None = None, retries: int = 2,
                 connect_timeout: float = CONNECT_TIMEOUT_S) -> Backend:
    """Create (and connect) the backend for ``--scheduler``/``--workers``."""
    scheduler = parse_scheduler(scheduler)
    if workers is not None and workers < 1:
        raise SensitivityInputError(f"--workers must be ≥ 1 (got {workers}).")
    if scheduler == "local":
        k = workers or default_workers()
        return InProcessBackend(retries) if k == 1 else ProcessPoolBackend(k, retries)
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # optional: the default local scheduler needs no Dask
        raise SensitivityInputError(
            f"--scheduler {scheduler} needs Dask distributed, which is not installed ({exc}); "
            'install it with `pip install -e ".[cluster]"` or use --scheduler local.') from exc
    if scheduler == "local-cluster":
        cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1,
                               processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR, env=_worker_env())
        return DaskBackend(Client(cluster), cluster=cluster, retries=retries)
    try:
        client = Client(scheduler, timeout=f"{connect_timeout}s")
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachableError(
            f"Could not reach the Dask scheduler at {scheduler} within {connect_timeout:g} s "
            f"({exc}). Check the address and port, that `dask scheduler` is running there and "
            "reachable from this machine, or use --scheduler local."
        ) from exc
    return DaskBackend(client, retries=retries)
