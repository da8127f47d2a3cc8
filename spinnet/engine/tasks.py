"""Independent tasks, run serially or on a Dask cluster.

Sweep points (and any other list of independent, seeded computations) are run through
:func:`open_engine` and :func:`map_tasks`:

- serially in this process (``workers=1``, or when Dask is not installed and nothing asks
  for it);
- on a local ``dask.distributed`` cluster of ``workers`` worker processes started for the
  call (:class:`distributed.deploy.subprocess.SubprocessCluster`: the scheduler and the
  workers are separate programs, so a plain script without an
  ``if __name__ == "__main__":`` guard works, unlike a spawn process pool that re-imports
  the script);
- on an existing cluster: ``scheduler="tcp://HOST:PORT"`` (started with the standard
  ``dask scheduler`` / ``dask worker`` commands, see docs/cluster.md) or a
  ``client=distributed.Client(...)`` of the caller's.

A task is ``fn(shared, item)`` with ``fn`` a module-level function (workers import it);
``shared`` (the netlist and the other inputs common to every task) is sent to each worker
once (``scatter(broadcast=True)``), not with every task.  Workers are long-lived processes,
so a JIT-compiled kernel built (or loaded from the disk cache) by a worker's first task stays
in memory for the next ones; ``open_engine(warm=fn)`` runs ``fn`` (imports, kernel loading)
on every worker at once when the engine opens, before any task.  Everything random comes
from the item (its seed), never from the worker, so results do not depend on the number or
the order of the workers.

The workers of a local cluster share the machine's cores: each gets ``cores // workers``
threads for OpenMP, OpenBLAS, MKL and numba (``OMP_NUM_THREADS`` ... ``NUMBA_NUM_THREADS``
in its environment), so two workers on two cores run two threads, not four.

:attr:`Engine.stats` records where the time went: ``start_s`` (cluster start),
``warm_s``, ``scatter_s`` (sending ``shared``) and, per task, its wall and CPU seconds in
the process that ran it and that process's id.

Dask is an optional dependency (``pip install 'spinnet[distributed]'``); it is imported
only when a cluster is asked for.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpinnetError

INSTALL_HINT = "pip install 'spinnet[distributed]' (or pip install 'dask[distributed]')"
START_TIMEOUT_S = 120.0
"""Longest wait for a local cluster's workers to start."""
CONNECT_TIMEOUT_S = 10.0
"""Longest wait for an existing scheduler (``--scheduler``) to answer."""

ORPHAN_TIMEOUT_S = 60
"""A local cluster whose client died without closing it (SIGKILL) stops after this long
without work (scheduler ``idle_timeout``; workers ``death_timeout``)."""

_CODE_VERSION: str | None = None


def code_version() -> str:
    """``<__version__>+<hash of the package's .py sources>``.

    Part of every content key (a result computed by other code is not reused) and checked
    against each worker's, so that a cluster running other spinnet code is refused rather
    than mixed in.
    """
    global _CODE_VERSION
    if _CODE_VERSION is None:
        from .. import __version__
        root = Path(__file__).resolve().parent.parent
        h = hashlib.sha256()
        for p in sorted(root.rglob("*.py")):
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
        _CODE_VERSION = f"{__version__}+{h.hexdigest()[:16]}"
    return _CODE_VERSION


def available() -> bool:
    """Whether ``dask.distributed`` can be imported."""
    return importlib.util.find_spec("distributed") is not None


def _distributed(what: str):
    try:
        import distributed
    except ImportError:
        raise SpinnetError(f"{what} needs dask.distributed, which is not installed: "
                           f"{INSTALL_HINT}") from None
    return distributed


@dataclass
class Engine:
    """Where :func:`map_tasks` runs: ``kind`` is ``"serial"`` or ``"dask"``."""

    kind: str = "serial"
    client: object = None
    workers: int = 1
    _owned: list = field(default_factory=list, repr=False)  # closed by close()
    stats: dict = field(default_factory=lambda: {"start_s": 0.0, "warm_s": 0.0,
                                                 "scatter_s": 0.0, "tasks": {}})

    def close(self) -> None:
        """Close the client and cluster this engine started (not a caller's client)."""
        for obj in reversed(self._owned):
            with contextlib.suppress(Exception):
                obj.close() if hasattr(obj, "close") else obj()
        self._owned.clear()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_engine(workers: int | None = 1, *, scheduler: str | None = None, client=None,
                memory_limit: str | int | None = None, what: str = "spinnet",
                warm: Callable[[], object] | None = None) -> Engine:
    """An :class:`Engine`: the caller's ``client``, a client of ``scheduler``, a local
    cluster of ``workers`` processes (``workers > 1``) or serial (``workers == 1``).

    ``memory_limit`` (per local worker, Dask's syntax such as ``"2GiB"``) defaults to an
    equal share of the machine.  ``what`` names the caller in error messages (an option
    such as ``--scheduler``).  ``warm`` (a module-level function without arguments) runs
    once in every worker (in this process when serial) before any task: imports and
    kernel loading then happen on all workers at once rather than in each one's first
    task.
    """
    engine = _open(workers, scheduler, client, memory_limit, what)
    if warm is not None:
        t0 = time.perf_counter()
        try:
            if engine.kind == "serial":
                warm()
            else:
                engine.client.run(warm)
        except BaseException:
            engine.close()
            raise
        engine.stats["warm_s"] = time.perf_counter() - t0
    return engine


def _open(workers, scheduler, client, memory_limit, what) -> Engine:
    if client is not None:
        n = len(getattr(client, "scheduler_info", dict)().get("workers", {})) or 1
        return Engine("dask", client, n)
    if scheduler is not None:
        dist = _distributed(f"{what} --scheduler")
        t0 = time.perf_counter()
        try:
            cl = dist.Client(str(scheduler), timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SpinnetError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        n = len(cl.scheduler_info().get("workers", {}))
        engine = Engine("dask", cl, max(n, 1), [cl])
        engine.stats["start_s"] = time.perf_counter() - t0
        return engine
    if workers is None:
        workers = 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        from ..errors import ParameterError
        raise ParameterError(what, "workers", workers, "", "an integer >= 1")
    if workers == 1:
        return Engine("serial")
    dist = _distributed(f"{what} with {workers} workers")
    t0 = time.perf_counter()
    cluster = None
    try:
        cluster = _local_cluster(workers, memory_limit)
        cl = dist.Client(cluster)
        cl.wait_for_workers(workers, timeout=START_TIMEOUT_S)
    except BaseException as exc:
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
        if isinstance(exc, Exception):
            raise SpinnetError(f"{what}: could not start a local Dask cluster of {workers} "
                               f"workers ({type(exc).__name__}: {exc})") from None
        raise
    scheduler_file = Path(cluster.scheduler_spec["options"]["scheduler_kwargs"][
        "scheduler_file"])
    engine = Engine("dask", cl, workers,
                    [lambda: scheduler_file.unlink(missing_ok=True), cluster, cl])
    engine.stats["start_s"] = time.perf_counter() - t0
    return engine


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


#: Thread-count variables of the native libraries a worker's tasks use.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS")


def worker_environment(workers: int) -> dict[str, str]:
    """Environment of a local worker: the cores shared out, ``cores // workers`` threads
    each (at least 1), so that the workers together do not run more threads than there
    are cores."""
    n = str(max(1, _cores() // max(1, workers)))
    return {**os.environ, **dict.fromkeys(THREAD_VARS, n)}


def _local_cluster(workers: int, memory_limit):
    """A scheduler and ``workers`` worker processes (one thread each) started as separate
    programs (``python -m dask spec``, as distributed's ``SubprocessCluster``) in their
    own session: a Ctrl-C in the terminal reaches this process only, which then cancels
    the pending tasks and stops the cluster, instead of the workers dying under the
    client mid-reply."""
    import json
    import sys
    import tempfile
    import uuid

    from distributed.deploy.spec import SpecCluster
    from distributed.deploy.subprocess import SubprocessScheduler, SubprocessWorker
    from distributed.worker_memory import parse_memory_limit

    class Scheduler(SubprocessScheduler):
        async def _start(self):
            import asyncio
            path = Path(self.scheduler_kwargs["scheduler_file"])
            spec = {"cls": "distributed.Scheduler", "opts": dict(self.scheduler_kwargs)}
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "dask", "spec", "--spec", json.dumps(spec),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.timeout
            while loop.time() < deadline and self.process.returncode is None:
                try:
                    self.address = json.loads(path.read_text())["address"]
                    break
                except (OSError, ValueError, KeyError):  # not written (whole) yet
                    await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"the Dask scheduler did not start within "
                                   f"{self.timeout} s (exit code {self.process.returncode})")

    class Worker(SubprocessWorker):
        async def _start(self):
            import asyncio
            spec = {"cls": self.worker_class, "opts": dict(self.worker_kwargs)}
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "dask", "spec", self.scheduler, "--spec",
                json.dumps(spec), start_new_session=True, env=env)

    env = worker_environment(workers)
    limit = memory_limit if memory_limit is not None else parse_memory_limit(
        "auto", 1, workers, logger=logging.getLogger("distributed.worker_memory"))
    scheduler_file = str(Path(tempfile.gettempdir()) / f"spinnet-dask-{uuid.uuid4().hex}.json")
    scheduler = {"cls": Scheduler, "options": {
        "scheduler_kwargs": {"host": "127.0.0.1", "port": 0, "dashboard": False,
                             "dashboard_address": None, "scheduler_file": scheduler_file,
                             # orphaned by a killed client: stop once nothing runs
                             "idle_timeout": f"{ORPHAN_TIMEOUT_S}s"},
        "timeout": int(START_TIMEOUT_S)}}
    worker = {"cls": Worker, "options": {
        "worker_class": "distributed.Nanny",
        "worker_kwargs": {"host": "127.0.0.1", "nthreads": 1, "memory_limit": limit,
                          # the Nanny's own default sets 1 for OMP/MKL/OpenBLAS
                          "env": {k: env[k] for k in THREAD_VARS},
                          "silence_logs": logging.ERROR,
                          "death_timeout": f"{ORPHAN_TIMEOUT_S}s"}}}
    return SpecCluster(workers={i: worker for i in range(workers)}, scheduler=scheduler,
                       worker=worker, name="spinnet", silence_logs=logging.ERROR)


def auto_workers(n_tasks: int, expensive: bool) -> int:
    """Workers for ``workers=None``: a local cluster sized to the machine only for
    expensive tasks (a cluster takes seconds to start; cheap tasks run faster serially)
    and only when Dask is installed."""
    cpus = _cores()
    if not expensive or n_tasks < 2 or cpus < 2 or not available():
        return 1
    return min(cpus, n_tasks)


def _call(fn: Callable, shared, item):
    """What a worker runs: the task, the code version it ran with, the worker's process
    id, and the task's start (epoch seconds), wall and CPU seconds there."""
    start, t0, c0 = time.time(), time.perf_counter(), time.process_time()
    out = fn(shared, item)
    return (out, code_version(), os.getpid(),
            {"start": start, "wall_s": time.perf_counter() - t0,
             "cpu_s": time.process_time() - c0})


def map_tasks(fn: Callable, items: Iterable, shared=None, *, engine: Engine,
              keys: list[str] | None = None) -> Iterator[tuple[int, object, int]]:
    """Yield ``(index, fn(shared, item), pid)`` for each item, as the tasks finish.

    With a Dask engine the order is the order of completion; a worker that dies has its
    tasks rescheduled by the scheduler (a task is reported once).  On any exception or
    KeyboardInterrupt (also when the caller stops iterating) the pending tasks are
    cancelled.  ``keys`` (one per item, e.g. content keys) name the Dask tasks.
    """
    items = list(items)
    stats = engine.stats["tasks"]
    if engine.kind == "serial":
        for i, item in enumerate(items):
            out, _v, pid, tm = _call(fn, shared, item)
            stats[i] = {**tm, "pid": pid}
            yield i, out, pid
        return
    dist = _distributed("a Dask engine")
    client = engine.client
    t0 = time.perf_counter()
    [shared_f] = client.scatter([shared], broadcast=True, hash=False)
    engine.stats["scatter_s"] += time.perf_counter() - t0
    names = keys or [str(i) for i in range(len(items))]
    futs = [client.submit(_call, fn, shared_f, item, key=f"spinnet-task-{nm}", pure=False)
            for nm, item in zip(names, items, strict=True)]
    index = {f.key: i for i, f in enumerate(futs)}
    mine = code_version()
    try:
        for fut in dist.as_completed(futs):
            out, version, pid, tm = fut.result()
            if version != mine:
                raise SpinnetError(f"a Dask worker runs spinnet {version}, this process "
                                   f"{mine}: install the same spinnet on every worker")
            stats[index[fut.key]] = {**tm, "pid": pid}
            yield index[fut.key], out, pid
            fut.release()
    finally:
        with contextlib.suppress(Exception):
            client.cancel(futs)
        with contextlib.suppress(Exception):
            shared_f.release()
