"""``tinynn.backends.mps``: Apple's Metal (MPS) backend, which tinynn does not have."""
from __future__ import annotations


def is_available() -> bool:
    """False: tinynn cannot run on Apple's MPS (its GPU support is CUDA, through CuPy)."""
    return False


def is_built() -> bool:
    """False: tinynn has no MPS backend."""
    return False
