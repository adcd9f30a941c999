"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""
from __future__ import annotations

import functools


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return _GradMode.enabled


class _GradModeContext:
    """Base of the grad-mode switches; each works as a context manager and as a decorator."""

    mode: bool

    def __enter__(self):
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self.previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _Switch(self.mode):
                return fn(*args, **kwargs)
        return wrapper


class _Switch(_GradModeContext):
    """A fresh switch for each decorated call, so decorated functions can nest and recurse."""

    def __init__(self, mode: bool):
        self.mode = mode


class no_grad(_GradModeContext):
    """Do not record operations: ``with tinynn.no_grad(): ...`` or ``@tinynn.no_grad()``."""
    mode = False


class enable_grad(_GradModeContext):
    """Record operations again inside a ``no_grad`` block."""
    mode = True


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off: ``with tinynn.set_grad_enabled(is_train): ...``.

    Like torch, calling it as a plain function switches the mode at once.
    """

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __enter__(self):
        return self
