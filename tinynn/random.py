"""Random number generation: ``manual_seed``, ``Generator`` and the default generator.

All random numbers are drawn on the host with NumPy's PCG64 and moved to the
target device, so a seed gives the same numbers on the CPU and on the GPU.
"""
from __future__ import annotations

import numpy as np


class Generator:
    """A seedable source of random numbers, as ``torch.Generator``."""

    def __init__(self, device: str = "cpu"):
        self._seed = 67280421310721  # torch's default seed
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> "Generator":
        """Reset the generator to ``seed``; returns itself so it can be chained.

        As in torch, the seed is a 64-bit number: a negative one stands for
        ``2**64 + seed`` (so ``-1`` is ``2**64 - 1``).
        """
        seed = int(seed)
        if not -2**63 <= seed < 2**64:
            raise ValueError("Overflow when unpacking long long")
        seed %= 2**64
        self._seed = seed
        self.rng = np.random.default_rng(seed)
        return self

    def seed(self) -> int:
        """Seed with fresh entropy and return the seed used."""
        seed = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed last given to this generator."""
        return self._seed

    def get_state(self) -> dict:
        """The generator's state (a dict), for ``set_state``."""
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        """Restore a state returned by ``get_state``."""
        self.rng.bit_generator.state = state


Generator.__module__ = "tinynn"   # shown as <tinynn.Generator object at 0x...> (torch: <torch._C.Generator ...>)

default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed tinynn's default generator (weights init, dropout, shuffling) and return it, as torch does."""
    return default_generator.manual_seed(seed)


def initial_seed() -> int:
    """The seed of the default generator."""
    return default_generator.initial_seed()


def seed() -> int:
    """Seed the default generator with fresh entropy and return that seed."""
    return default_generator.seed()


def get_rng(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (or the default one)."""
    return (generator or default_generator).rng
