"""Memory reuse between training steps (glibc's malloc settings)."""
from __future__ import annotations

import os
import sys


def keep_freed_memory_for_reuse() -> None:
    """Make glibc's malloc keep freed memory for reuse rather than give it back to the OS.

    A training step allocates and frees the same large arrays (activations,
    im2col columns, gradients) every time. By default glibc serves each array
    of more than ~128 KiB with a fresh ``mmap`` and unmaps it on free, so every
    step the kernel has to fault in and zero those pages again; on small
    machines that costs more than the arithmetic (about 2x on the seeds' conv
    nets). Raising the mmap threshold to its maximum (32 MiB) and the trim
    threshold keeps the memory in malloc's heap, as PyTorch's allocator does.
    Process-wide; set ``TINYNN_MALLOC_TUNING=0`` before importing tinynn to opt out.
    """
    if os.environ.get("TINYNN_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3              # from glibc's malloc.h
        libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
        libc.mallopt(m_trim_threshold, 512 * 1024 * 1024)
    except (OSError, AttributeError):                            # not glibc (musl, ...): nothing to do
        pass
