"""``tinynn.backends``: torch's switches for its compute backends, for programs that set or query them.

tinynn runs on NumPy (CPU) and CuPy (CUDA): it has no cuDNN and no Apple MPS.
``backends.mps.is_available()`` is False, and the ``backends.cudnn`` flags can
be set and read, as in torch, but change nothing.
"""
from . import cudnn, mps

__all__ = ["cudnn", "mps"]
