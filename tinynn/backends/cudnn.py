"""``tinynn.backends.cudnn``: torch's cuDNN flags, kept as plain settings that change nothing.

tinynn has no cuDNN (its GPU ops are CuPy's), so ``is_available()`` is False
and ``version()`` None, as in a torch without cuDNN. Programs that set
``tinynn.backends.cudnn.benchmark = True`` or ``deterministic = True`` still
run, and read back what they set; tinynn's results do not depend on them.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

enabled: bool = True          # torch's defaults
benchmark: bool = False
benchmark_limit: int = 10
deterministic: bool = False
allow_tf32: bool = True


def is_available() -> bool:
    """False: tinynn does not use cuDNN."""
    return False


def version() -> None:
    """None: there is no cuDNN library behind tinynn."""
    return None


@contextmanager
def flags(enabled: bool = False, benchmark: bool = False, benchmark_limit: int = 10,
          deterministic: bool = False, allow_tf32: bool = True) -> Iterator[None]:
    """Set the flags within the block and restore them after it (they change nothing in tinynn)."""
    new = dict(enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
               deterministic=deterministic, allow_tf32=allow_tf32)
    saved = {name: globals()[name] for name in new}
    globals().update(new)
    try:
        yield
    finally:
        globals().update(saved)
