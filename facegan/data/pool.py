"""One process pool with a progress bar, for the data stage's two slow loops (decoding CelebA, drawing
synthetic faces): jobs go to worker processes, results come back as they finish, a tqdm bar counts
images.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from typing import Callable, Iterator, Sequence

import numpy as np


def resolve_workers(workers: int | None) -> int:
    """`workers` processes, or every CPU core for None."""
    return max(1, int(workers or os.cpu_count() or 1))


def chunk_size(n: int, workers: int, low: int, high: int) -> int:
    """Items per job: about 8 jobs per worker (load balance), within [low, high] (per-job overhead)."""
    return int(np.clip(n // (workers * 8) or 1, low, high))


def start_method() -> str:
    """fork starts workers in milliseconds; but a parent running TensorFlow's threads must spawn
    (forking a multi-threaded runtime can deadlock the child)."""
    if "fork" in multiprocessing.get_all_start_methods() and "tensorflow" not in sys.modules:
        return "fork"
    return "spawn"


def single_threaded_opencv() -> None:
    """Worker initialiser: one OpenCV thread per process, the processes are the parallelism."""
    import cv2

    cv2.setNumThreads(1)


def imap_progress(func: Callable, jobs: Sequence, workers: int, total: int, size: Callable[[object], int],
                  desc: str, progress: bool = True, ordered: bool = True,
                  initializer: Callable[[], None] | None = single_threaded_opencv) -> Iterator:
    """Yield `func(job)` for every job (in order, or as they finish with `ordered=False`), computed in
    `workers` processes (in this process when 1 or a single job); the bar advances by `size(result)`
    of `total` images. `func` and the jobs must be picklable."""
    from tqdm import tqdm

    bar = tqdm(total=total, unit="img", desc=desc, disable=not progress, smoothing=0.1)
    try:
        if workers == 1 or len(jobs) <= 1:
            if initializer is not None:
                initializer()
            for job in jobs:
                out = func(job)
                bar.update(size(out))
                yield out
        else:
            ctx = multiprocessing.get_context(start_method())
            with ctx.Pool(min(workers, len(jobs)), initializer=initializer) as pool:
                for out in (pool.imap if ordered else pool.imap_unordered)(func, jobs):
                    bar.update(size(out))
                    yield out
    finally:
        bar.close()
