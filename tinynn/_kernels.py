"""Which kernels run: the reference formulas, or the fast variants in ``tinynn/_fast``.

Every op is written once as its reference: the formula the guide teaches, in
plain NumPy/CuPy, in the op's own file (im2col and one product for a
convolution, ``x > 0`` for ReLU's mask, torch's single-tensor loop for SGD).
Some ops also have a *fast* variant: the same result computed with threads,
tiling or blocking. Fast variants live in ``tinynn/_fast`` and register
themselves here against their reference::

    @register_fast(ReluFunction)    # in tinynn/_fast/elementwise.py
    class ThreadedRelu(ReluFunction): ...

``kernel(reference)`` returns what runs now: the fast variant in ``"fast"``
mode (the default) when there is one, else the reference itself. A Function
class needs no call: ``ReluFunction()`` builds a ``ThreadedRelu`` in fast mode
(``Function.__new__`` asks ``kernel``). Plain functions, such as an
optimizer's update, are looked up by their caller: ``kernel(_single_tensor_sgd)(...)``.

Switch with ``tinynn.set_kernels("reference")`` (a call, or a ``with`` block),
or ``TINYNN_KERNELS=reference`` in the environment. Reference mode starts no
threads and changes nothing outside tinynn. What the fast kernels need from the
process (see ``tinynn/_fast/process.py``) is set up the first time one is chosen.
"""
from __future__ import annotations

import os
from typing import Callable, TypeVar

T = TypeVar("T")

MODES = ("reference", "fast")


def _mode_from_environment() -> str:
    mode = os.environ.get("TINYNN_KERNELS", "fast").strip().lower() or "fast"
    if mode not in MODES:
        raise ValueError(f"TINYNN_KERNELS must be 'reference' or 'fast', got {mode!r}")
    return mode


_mode = _mode_from_environment()
_fast_variants: dict = {}                  # reference (a Function class or a function) -> its fast variant
_first_fast_use: list[Callable[[], None]] = []   # set-up to run once, before the first fast kernel


def register_fast(reference):
    """Decorator: register the decorated class or function as the fast variant of ``reference``.

    A fast Function subclass keeps its reference's node name (``grad_fn.name()``).
    """
    def register(fast):
        if isinstance(reference, type) and isinstance(fast, type) and "torch_name" not in fast.__dict__:
            fast.torch_name = reference.torch_name or reference.__name__ + "Backward0"
        _fast_variants[reference] = fast
        return fast
    return register


def before_first_fast_kernel(setup: Callable[[], None]) -> Callable[[], None]:
    """Decorator: run ``setup`` once, the first time a fast kernel is chosen (not at import)."""
    _first_fast_use.append(setup)
    return setup


def kernel(reference: T) -> T:
    """What runs for ``reference`` now: its fast variant in fast mode, if it has one; else itself."""
    if _mode == "fast":
        fast = _fast_variants.get(reference)
        if fast is not None:
            if _first_fast_use:
                _run_first_fast_use()
            return fast
    return reference


def _run_first_fast_use() -> None:
    while _first_fast_use:
        _first_fast_use.pop(0)()


def fast_variants() -> dict:
    """A copy of the registry: reference -> fast variant (for tests and the docs)."""
    return dict(_fast_variants)


def get_kernels() -> str:
    """The kernels that run now: ``"fast"`` (the default) or ``"reference"``."""
    return _mode


class set_kernels:
    """Choose the kernels: ``"reference"`` (the plain formulas) or ``"fast"`` (threads, tiling, blocking).

    A call switches at once, ``tinynn.set_kernels("reference")``; as a context
    manager it switches for the block and then restores the previous mode::

        with tinynn.set_kernels("reference"):
            loss.backward()

    Both give the same results up to float rounding (the tests check it).
    """

    def __init__(self, mode: str) -> None:
        global _mode
        if mode not in MODES:
            raise ValueError(f"set_kernels expects 'reference' or 'fast', got {mode!r}")
        self.previous, _mode = _mode, mode

    def __enter__(self) -> "set_kernels":
        return self

    def __exit__(self, *exc) -> None:
        global _mode
        _mode = self.previous
