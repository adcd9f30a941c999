"""``Optimizer``: the base class that holds parameter groups and per-parameter state.

An optimizer keeps

* ``param_groups``: a list of dicts, each with ``"params"`` (the tensors) and
  the hyperparameters for them (``"lr"``, ``"momentum"``, ...), filled from
  ``defaults`` where a group does not say;
* ``state``: a dict from parameter to that parameter's running values
  (momentum buffers, Adam's moment estimates).

Subclasses implement ``step()``, which updates each parameter's array in place
(so the model, which holds the same Parameter objects, sees the new values).
"""
from __future__ import annotations

import copy
import functools
import warnings
from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from .._device import cuda_context, cuda_index_of, cupy_in_use, mixed_devices_error, to_device
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..nn.parameter import zero_grads
from ..autograd.version import bump_version

__all__ = ["Optimizer", "required"]


def _check_implementation_options(foreach: bool | None = None, fused: bool | None = None,
                                  differentiable: bool = False) -> None:
    """Check torch's implementation switches, which choose how (not what) an optimizer computes.

    ``foreach``, ``fused`` and ``capturable`` pick one of torch's equivalent kernels;
    tinynn has one implementation, so they are accepted and change nothing.
    ``differentiable=True`` (autograd through ``step()``) is not supported.
    """
    if differentiable:
        raise NotImplementedError("differentiable=True (autograd through optimizer.step()) is not supported "
                                  "by tinynn's optimizers")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


class _RequiredParameter:
    """Marks a hyperparameter that has no default: every group must give it."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of
    dicts (parameter groups, each with its own options: ``[{"params": ...,
    "lr": 1e-3}, {"params": ...}]``). ``defaults`` holds the options a group
    does not set.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]):
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._opt_called = False     # set by step(); the lr scheduler checks the call order with it
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {type(params).__name__} (pass model.parameters() or [tensor])")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------- groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (the others come from ``defaults``).

        Useful to start training layers that were frozen. A parameter may belong
        to one group only: a parameter that is already optimized is a ValueError.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            param_group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        param_group["params"] = params

        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + type(param).__name__)
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (optimize the tensors you created, such as "
                                 "model.parameters(), not results computed from them)")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; ", stacklevel=3)

        existing = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------- stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters: to ``None`` (default) or to zeros."""
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def _begin_step(self, closure: Callable[[], Any] | None) -> Any:
        """Start a ``step``: note that it was called (for the lr scheduler) and run ``closure`` if given.

        The closure re-evaluates the model and returns the loss; it runs with
        gradient recording on, as in torch. Then the version of every parameter
        about to be updated goes up, so a graph built before the step cannot
        run backward with the changed values.
        """
        self._opt_called = True
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        check_devices = cupy_in_use()                   # (nothing to check while every array is NumPy's)
        for group in self.param_groups:                 # the update changes them in place (autograd/version.py)
            for param in group["params"]:
                if param.grad is not None:
                    bump_version(param.array)
                    if check_devices:
                        _check_state_device(param, self.state.get(param))
        return loss

    def __init_subclass__(cls, **kwargs):
        """Run each subclass's ``step`` on its parameters' GPU (see ``_on_parameters_device``)."""
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _on_parameters_device(cls.__dict__["step"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter once from its ``.grad``; returns the closure's loss (or None)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    # ------------------------------------------------------------ state dict
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in torch's layout.

        ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``:
        parameters are numbered 0, 1, ... in the order of the groups, so the
        dict does not hold the parameters themselves. The state tensors are
        the optimizer's own (not copies), as in torch.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            packed["params"] = [index_of[id(param)] for param in group["params"]]
            groups.append(packed)
        state = {index_of[id(param)]: value for param, value in self.state.items() if id(param) in index_of}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict()``: the groups' options and the per-parameter state.

        The saved groups must have the same sizes as this optimizer's. State
        tensors are copied, cast to their parameter's dtype (floating ones) and
        moved to its device.
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than the optimizer ({len(self.param_groups)})")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't match the size of "
                                 f"optimizer's group: group {i} has {len(saved['params'])} parameters in the "
                                 f"state dict and {len(group['params'])} in the optimizer")

        param_at = {index: param for group, saved in zip(self.param_groups, saved_groups)
                    for index, param in zip(saved["params"], group["params"])}
        self.state = defaultdict(dict)
        for index, values in state_dict["state"].items():
            if index not in param_at:
                raise ValueError(f"optimizer state_dict has state for parameter index {index!r}, "
                                 "which no parameter group lists")
            param = param_at[index]
            self.state[param] = {key: _state_value_for(param, key, value) for key, value in values.items()}
            for key, value in self.state[param].items():
                self._check_state_shape(param, index, key, value)

        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = copy.deepcopy({key: value for key, value in saved.items() if key != "params"})
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                new_group["param_names"] = group["param_names"]
            new_groups.append(new_group)
        self.param_groups = new_groups

    def _check_state_shape(self, param: Tensor, index, key: str, value: Any) -> None:
        """Refuse a loaded state tensor that cannot belong to ``param``: per-element state (momentum
        buffers, moving averages) has the parameter's shape, and 0-d values (``step``) are scalars."""
        if isinstance(value, Tensor) and value.ndim > 0 and tuple(value.shape) != tuple(param.shape):
            raise ValueError(f"loaded state dict has state {key!r} of shape {tuple(value.shape)} for parameter "
                             f"{index!r} of shape {tuple(param.shape)}; was it saved for another model?")

    # ------------------------------------------------------------------- repr
    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += "\n" + f"Parameter Group {i}"
            for key in sorted(group):
                if key != "params":
                    text += "\n" + f"    {key}: {group[key]}"
        return text + "\n)"


def _on_parameters_device(step: Callable) -> Callable:
    """``step`` run inside the CUDA context of the parameters' GPU, so that its CuPy kernels run where
    the arrays are (``cuda:1`` too, not CuPy's current device); on the CPU it is called as it is.
    The first parameter's device is taken for all of them."""
    @functools.wraps(step)
    def step_on_parameters_device(self, *args, **kwargs):
        params = self.param_groups[0]["params"] if self.param_groups else ()
        index = cuda_index_of(params[0].array) if params else None
        if index is None:
            return step(self, *args, **kwargs)
        with cuda_context(index):
            return step(self, *args, **kwargs)
    return step_on_parameters_device


def _check_state_device(param: Tensor, state: dict | None) -> None:
    """Refuse, with torch's error, to step a parameter whose state is on another device.

    That happens when the optimizer stepped before ``model.to(device)``: torch
    moves the state only in ``load_state_dict``, and its step then fails this
    way. Scalars (Adam's ``step``, kept on the CPU as in torch) may be anywhere.
    """
    if not state:
        return
    index = cuda_index_of(param.array)
    for key, value in state.items():
        if isinstance(value, Tensor) and value.ndim and cuda_index_of(value.array) != index:
            error = mixed_devices_error(param.device, value.device)
            raise RuntimeError(f"{error} (the optimizer's state {key!r} is on {value.device}: it was made before "
                               "the model moved; make the optimizer after model.to(device), or load its "
                               "state_dict there)")


def _state_value_for(param: Tensor, key: str, value: Any) -> Any:
    """A copy of one saved state value, placed for ``param`` (Adam's ``step`` stays a float32 CPU scalar).

    Lists and tuples (L-BFGS keeps its history so) are placed entry by entry, as torch does.
    """
    if isinstance(value, (list, tuple)):
        return type(value)(_state_value_for(param, key, entry) for entry in value)
    if isinstance(value, np.ndarray):
        value = Tensor._wrap(value)
    if key == "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return Tensor._wrap(np.array(value, dtype=np.float32))     # older checkpoints keep step as a number
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    array = value.array
    if key != "step":
        if array.dtype.kind == "f" and param.dtype.kind == "f" and array.dtype != param.dtype:
            array = array.astype(param.dtype)
        array = to_device(array, param.device)
    return Tensor._wrap(array.copy())
