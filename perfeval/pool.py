"""Worker processes, and the process-wide settings a batch runs best with.

A pool's workers are handed their work once, when they start (with fork simply inherited), so a
task is just an index into it and nothing big is pickled per task. What a worker was handed is
this module's state: it belongs to the worker process. The library entry points change no
process-wide setting; `batch_gc` is for whoever owns the process (the `perfeval` command).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

PARALLEL_MIN = 12  # below this many tasks a process pool costs more than it saves
START_METHOD = "fork"  # where the platform has it: workers inherit perfeval and the work
PARENT_POLL = 0.25  # seconds: how soon a worker notices that the process that made it is gone

# A batch allocates millions of small objects that live until the end; with the default
# thresholds the cycle collector scans them again and again (it took most of the time spent
# loading results from the workers). Collections still run, just far less often.
BATCH_GC = (100_000, 50, 100)


class _Handed:
    """What this process was handed to work on: set in a worker when it starts, or here for
    the length of a pool that runs its tasks in this process."""

    work: Any = None
    in_worker = False  # a worker process of a pool (not the process that made the pool)


_handed = _Handed()


def work() -> Any:
    """The work this process was handed (see worker_pool)."""
    if _handed.work is None:
        raise RuntimeError("no work handed to this process: call tasks inside worker_pool")
    return _handed.work


def in_worker() -> bool:
    return _handed.in_worker


def _start_worker(handed: Any, nice: int) -> None:
    _handed.work, _handed.in_worker = handed, True
    gc.set_threshold(*BATCH_GC)  # a worker's own setting: it holds its share of the batch
    if nice and hasattr(os, "nice"):
        os.nice(nice)
    # Ctrl-C in a terminal reaches every process of the group: the process that made the pool
    # stops the batch (and says so, once); a worker finishes its task and is shut down by it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), name="perfeval-parent-watch", daemon=True).start()


def _end_with_parent(parent_pid: int) -> None:
    """In a worker: end it as soon as the process that made it is gone. Killed (kill -9, the
    OOM killer), that process shuts nothing down, and its workers would wait for work forever.
    Gone shows either way: this process has another parent (POSIX: adopted by init or a
    subreaper), or multiprocessing's parent process is no longer alive (its sentinel)."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    while os.getppid() == parent_pid and (parent is None or parent.is_alive()):
        time.sleep(PARENT_POLL)
    os._exit(1)


_gc_depth = 0


@contextlib.contextmanager
def batch_gc() -> Iterator[None]:
    """Collect cycles far less often while a batch is alive, and never rescan what was alive
    before it (modules, settings); restored on exit. For the owner of the process."""
    global _gc_depth
    _gc_depth += 1
    if _gc_depth > 1:
        try:
            yield
        finally:
            _gc_depth -= 1
        return
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*BATCH_GC)
    try:
        yield
    finally:
        _gc_depth -= 1
        gc.set_threshold(*old)
        gc.unfreeze()


def settle() -> None:
    """Inside batch_gc: what is alive now lives until the end of the batch, so later
    collections need not scan it again (and forked workers do not copy its pages for that)."""
    if _gc_depth:
        gc.freeze()


@contextlib.contextmanager
def worker_pool(tasks: int, handed: Any, nice: int = 0) -> Iterator[Any]:
    """A pool of worker processes that were handed `handed`, or None where a pool would not pay
    (then the tasks run in this process, with `handed` as their work). `nice`: how much the
    workers give way to this process (Unix)."""
    workers = min(2, os.cpu_count() or 1)
    if tasks < PARALLEL_MIN or workers < 2:
        kept = _handed.work
        _handed.work = handed
        try:
            yield None
        finally:
            _handed.work = kept
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    # fork: workers start with perfeval imported and `handed` already in memory (nothing is
    # pickled); elsewhere (Windows) it is pickled once per worker
    context = multiprocessing.get_context(START_METHOD if START_METHOD in methods else None)
    settle()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(handed, nice))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_tasks(pool: Any, task: Callable[[int], Any], count: int) -> Iterator[Any]:
    """task(0) … task(count - 1), in order: in the pool's workers, or here."""
    if pool is None:
        return map(task, range(count))
    return pool.map(task, range(count), chunksize=max(1, min(16, count // 16)))
