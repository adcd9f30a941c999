"""What the fast kernels change outside tinynn, in one place, done the first time a fast kernel runs.

``import tinynn`` changes nothing in the process, and neither does training on
the reference kernels (``tinynn.set_kernels("reference")`` or
``TINYNN_KERNELS=reference``). The first time a fast kernel is chosen,
``set_up_process_for_fast_kernels`` runs, once:

- **NumPy's BLAS on one thread** (``take_over_blas_threads``), for the whole
  process: tinynn splits its products over its own threads. Opt out with
  ``TINYNN_BLAS_THREADS=keep``.
- **glibc's malloc keeps freed memory for reuse** (``keep_freed_memory_for_reuse``),
  for the whole process. Opt out with ``TINYNN_MALLOC_TUNING=0``.

The fast kernels' helper threads (``threads.py``) start with the first op big
enough to split; ``tinynn.set_num_threads(1)`` runs everything on the calling
thread instead. The README's "What tinynn changes in your process" lists the
same, for users.
"""
from __future__ import annotations

import ctypes
import os
import sys

from .._kernels import before_first_fast_kernel

# from glibc's malloc.h
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024        # glibc's largest: arrays up to 32 MiB come from the heap
TRIM_THRESHOLD_BYTES = 512 * 1024 * 1024       # keep up to 512 MiB of freed memory before giving it back


def keep_freed_memory_for_reuse() -> None:
    """Make glibc's malloc keep freed memory for reuse rather than give it back to the OS.

    A training step allocates and frees the same large arrays (activations,
    im2col columns, gradients) every time. By default glibc serves each array
    of more than ~128 KiB with a fresh ``mmap`` and unmaps it on free, so every
    step the kernel has to fault in and zero those pages again; on small
    machines that costs more than the arithmetic (about 2x on the seeds' conv
    nets). Raising the mmap threshold to its maximum (32 MiB) and the trim
    threshold keeps the memory in malloc's heap, as PyTorch's allocator does.
    Process-wide; ``TINYNN_MALLOC_TUNING=0`` opts out. Nothing to do off glibc.
    """
    if os.environ.get("TINYNN_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    except (OSError, AttributeError):           # not glibc (musl, ...): nothing to do
        pass


def take_over_blas_threads() -> None:
    """Run NumPy's BLAS on one thread, for the whole process, as torch's thread settings are.

    tinynn splits big products over its own threads (``threads.py``); BLAS's own
    threads would fight them for the cores, and OpenBLAS's spin for a while
    after each product, starving whatever runs next. ``TINYNN_BLAS_THREADS=keep``
    leaves BLAS as it is (then ``tinynn.set_num_threads(1)`` avoids two thread
    pools competing).
    """
    if os.environ.get("TINYNN_BLAS_THREADS", "") == "keep":
        return
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=1, user_api="blas")


@before_first_fast_kernel
def set_up_process_for_fast_kernels() -> None:
    """Everything the fast kernels need from the process (see the module doc); run once, by ``tinynn._kernels``."""
    keep_freed_memory_for_reuse()
    take_over_blas_threads()
