"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

The switch is per thread, as in torch: a ``no_grad()`` block in one thread does
not stop another thread from recording its own graph.
"""
from __future__ import annotations

import functools
import threading


class _GradModeState(threading.local):
    """This thread's grad mode: every thread starts with recording on, outside inference mode."""
    enabled = True
    inference = False


_GradMode = _GradModeState()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded (in this thread)."""
    return _GradMode.enabled


def is_inference_mode_enabled() -> bool:
    """True inside an ``inference_mode()`` block (in this thread)."""
    return _GradMode.inference


class _GradModeContext:
    """Base of the grad-mode switches; each works as a context manager and as a decorator."""

    mode: bool               # record operations inside the block?
    inference: bool | None = None   # inference mode inside the block (None: leave it as it is)

    def __enter__(self):
        self.previous = (_GradMode.enabled, _GradMode.inference)
        _GradMode.enabled = self.mode
        if self.inference is not None:
            _GradMode.inference = self.inference
        return self

    def __exit__(self, *exc):
        _GradMode.enabled, _GradMode.inference = self.previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _Switch(self.mode, self.inference):     # a fresh switch per call: calls can nest and recurse
                return fn(*args, **kwargs)
        return wrapper


class _Switch(_GradModeContext):
    def __init__(self, mode: bool, inference: bool | None):
        self.mode, self.inference = mode, inference


class _BareDecorator(_GradModeContext):
    """A switch that also decorates without parentheses: ``@tinynn.no_grad`` as well as ``@tinynn.no_grad()``."""

    def __new__(cls, fn=None):
        if fn is None:
            return super().__new__(cls)
        return cls()(fn)


class no_grad(_BareDecorator):
    """Do not record operations: ``with tinynn.no_grad(): ...``, ``@tinynn.no_grad()`` or ``@tinynn.no_grad``."""
    mode = False


class enable_grad(_BareDecorator):
    """Record operations again inside a ``no_grad`` block."""
    mode = True


class inference_mode(_GradModeContext):
    """``no_grad`` for evaluation, under torch's newer name: ``with tinynn.inference_mode(): ...``.

    ``inference_mode(False)`` changes nothing. (torch also marks the tensors made
    inside as inference tensors; tinynn has no such tensors.)
    """

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)                        # used bare: ``@tinynn.inference_mode``

    def __init__(self, mode: bool = True):
        self.inference = bool(mode)
        self.mode = not mode

    def __enter__(self):
        if not self.inference:                    # inference_mode(False): leave both switches alone
            self.previous = (_GradMode.enabled, _GradMode.inference)
            return self
        return super().__enter__()


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off: ``with tinynn.set_grad_enabled(is_train): ...``.

    Like torch, calling it as a plain function switches the mode at once.
    """

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.previous = (_GradMode.enabled, _GradMode.inference)
        _GradMode.enabled = self.mode

    def __enter__(self):
        return self
