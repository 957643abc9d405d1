"""Where the runs run: local processes (the default) or Ray. Both call the same
`worker.run_batch` on the same batches and yield each batch's rows as it completes.

Batches: a task is a few runs, not one, so a pool's per-task cost (pickling, a round trip)
is paid per batch; but a batch's rows reach rows.jsonl only when its last run ends, so small
batches lose less to an interruption, advance the progress bar more often and even out the
end of a sweep (no worker left alone with a long batch while the others idle). `batch_size`
aims at 4 batches per worker (at least 2), at most 4 runs each.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from typing import Any

from flashguard.sweep.plan import Job
from flashguard.sweep.worker import RunFailed, init_worker, run_batch

BACKENDS = ("local", "ray")
BATCHES_PER_WORKER = 4
MAX_BATCH = 4
STOP_TIMEOUT_S = 30  # for an interrupted worker to unwind its run
Rows = list[dict[str, Any]]


class BackendError(RuntimeError):
    """A backend that cannot start (Ray not installed, no cluster at RAY_ADDRESS)."""


def batch_size(runs: int, workers: int) -> int:
    return max(1, min(MAX_BATCH, math.ceil(runs / (BATCHES_PER_WORKER * workers))))


def batches(jobs: list[Job], workers: int) -> list[list[Job]]:
    size = batch_size(len(jobs), workers)
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def default_workers() -> int:
    return os.cpu_count() or 1


def run_local(jobs: list[Job], workers: int) -> Iterator[Rows]:
    """A process pool of `workers` processes. Spawned, not forked: the parent has threads
    (the progress bar's) that a fork would copy mid-lock."""
    if not jobs:
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                               initializer=init_worker)
    finished = False
    try:
        pending: set[Future[Rows]] = {pool.submit(run_batch, b) for b in batches(jobs, workers)}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
        finished = True
    finally:
        if not finished:
            # interrupted or failed: what is running would only be lost work to wait for.
            # SIGTERM makes each worker unwind its run (removing its run directory).
            processes = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(timeout=STOP_TIMEOUT_S)
                if process.is_alive():
                    process.kill()
                    process.join()
        pool.shutdown(wait=True)


def run_ray(jobs: list[Job], workers: int) -> Iterator[Rows]:
    """On the Ray cluster at RAY_ADDRESS, or on a local Ray instance of `workers` CPUs that is
    shut down at the end. Each task asks for one CPU, so a local instance runs `workers` at
    a time and a cluster as many as it has CPUs."""
    if not jobs:
        return
    try:
        import ray
    except ImportError:
        raise BackendError("--backend=ray: ray is not installed (pip install 'flashguard[ray]')"
                           ) from None
    address = os.environ.get("RAY_ADDRESS")
    started = not ray.is_initialized()
    if started:
        try:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                # address="local": a new instance of our own, even when another Ray runs on
                # this machine (a plain ray.init() would join that one instead)
                ray.init(address="local", num_cpus=workers, include_dashboard=False,
                         log_to_driver=False, configure_logging=False)
        except Exception as exc:  # ray raises ConnectionError, RuntimeError, ValueError...
            where = f"RAY_ADDRESS={address!r}" if address else "a local Ray instance"
            hint = ""
            if address and not os.environ.get("RAY_AUTH_MODE"):
                hint = (" (a cluster started by `ray start` uses token authentication since "
                        "Ray 2.59: set RAY_AUTH_MODE=token, with the cluster's token in "
                        "~/.ray/auth_token or RAY_AUTH_TOKEN)")
            raise BackendError(f"--backend=ray: cannot start {where}: {exc}{hint}") from None
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(run_batch)
        pending = [task.remote(b) for b in batches(jobs, workers)]
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    try:
                        rows = ray.get(ref)
                    except Exception as exc:  # a RayTaskError: the worker's own error inside
                        cause = getattr(exc, "cause", None)
                        if isinstance(cause, RunFailed):
                            raise RunFailed(str(cause)) from None
                        raise
                    yield rows
        finally:
            for ref in pending:
                ray.cancel(ref)  # a running one gets KeyboardInterrupt: its run unwinds
    finally:
        if started:
            ray.shutdown()


def run(backend: str, jobs: list[Job], workers: int) -> Iterator[Rows]:
    if backend == "local":
        return run_local(jobs, workers)
    if backend == "ray":
        return run_ray(jobs, workers)
    raise BackendError(f"--backend={backend!r}: use one of {', '.join(BACKENDS)}")
