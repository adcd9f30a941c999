"""``LBFGS``: limited-memory BFGS with an optional strong-Wolfe line search, as ``torch.optim.LBFGS``.

A port of torch's algorithm (itself after minFunc), step for step: the same
stopping tests, the same two-loop recursion, the same cubic-interpolation line
search. All parameters are viewed as one flat vector; the scalars that torch
keeps as 0-d tensors (``ys``, ``ro``, ``H_diag``, the step ``t``, ...) stay
array scalars of the parameters' dtype here, so that float32 runs round as
torch's do. Unlike the first-order optimizers, L-BFGS needs the loss values
themselves, so each step reads them back to the host (``float(loss)``), as
torch does.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

from .._device import get_array_module
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ..autograd.version import bump_version
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clipped to ``bounds``."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    # Nocedal & Wright (2nd ed.), eq. 3.59
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square ** 0.5
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step ``t`` along ``d`` that meets the strong Wolfe conditions (Nocedal & Wright, algorithms 3.5-3.6).

    ``obj_func(x, t, d)`` returns the loss and flat gradient at ``x + t d``;
    ``f``, ``g``, ``gtd`` are the loss, gradient and slope at ``t = 0``.
    Returns the new loss, gradient, step and the number of evaluations.
    """
    xp = get_array_module(d)
    d_norm = xp.abs(d).max()
    f_new, g_new = obj_func(x, t, d)          # obj_func returns a fresh gradient array each call: no clones needed
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # bracketing phase: find an interval that holds a point meeting the conditions
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):     # sufficient decrease fails
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:                                            # strong curvature holds
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:                                                         # the slope turned up
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # extrapolate by cubic interpolation, between 1.01 t and 10 t
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:                                                        # reached the evaluation limit
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom phase: shrink the bracket until a point meets the conditions (or it cannot shrink)
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t away from the bracket's ends (more than 10% of its width), unless progress stalled
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # not enough decrease: t becomes the high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new

    t = bracket[low_pos]
    return bracket_f[low_pos], bracket_g[low_pos], t, ls_func_evals


def _to_state(value: Any) -> Any:
    """Arrays (and array scalars) as Tensors, for ``state`` and ``state_dict()``, as torch keeps them."""
    if isinstance(value, list):
        return [_to_state(v) for v in value]
    if value is None or (isinstance(value, (int, float)) and not hasattr(value, "dtype")):
        return value                                   # plain Python numbers (NumPy's float64 is a float too)
    return Tensor._wrap(get_array_module(value).asarray(value))


def _from_state(value: Any) -> Any:
    """The arrays inside a stored state value (the inverse of ``_to_state``)."""
    if isinstance(value, list):
        return [_from_state(v) for v in value]
    return value.array if isinstance(value, Tensor) else value


class LBFGS(Optimizer):
    """L-BFGS: quasi-Newton steps from the last ``history_size`` gradient changes (torch's algorithm).

    ``step(closure)`` runs up to ``max_iter`` iterations (at most ``max_eval``
    loss evaluations); ``closure`` must clear the gradients, compute the loss,
    call ``backward()`` and return the loss, as in torch. Each iteration::

        d = -H g            (two-loop recursion over the stored (s, y) pairs; d = -g at first)
        t = lr              (min(1, 1 / |g|_1) * lr on the very first iteration)
        t = strong-Wolfe line search along d    (if line_search_fn == "strong_wolfe")
        p = p + t d

    It stops early when the largest gradient entry is at most
    ``tolerance_grad`` or the step or loss change is below ``tolerance_change``.
    There is one parameter group only. The state (``d``, ``t``, ``old_dirs``,
    ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``,
    ``func_evals``, ``n_iter``, ``al``) is kept under the first parameter, as
    in torch.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]
        self._numel_cache: int | None = None

    def _check_state_shape(self, param, index, key, value) -> None:
        """L-BFGS's state holds flat vectors over all parameters (``d``, ``prev_flat_grad``, the history)."""
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if isinstance(v, Tensor) and v.ndim > 0 and tuple(v.shape) != (self._numel(),):
                raise ValueError(f"loaded state dict has L-BFGS state {key!r} of shape {tuple(v.shape)}, but the "
                                 f"parameters hold {self._numel()} numbers; was it saved for another model?")

    # ------------------------------------------------ the parameters as one flat vector
    def _numel(self) -> int:
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self):
        """All gradients as one new flat array (zeros for a parameter without one)."""
        xp = get_array_module(self._params[0].array)
        return xp.concatenate([xp.zeros(p.numel(), dtype=p.array.dtype) if p.grad is None
                               else p.grad.array.reshape(-1) for p in self._params])

    def _add_grad(self, step_size, update) -> None:
        """p += step_size * update, each parameter taking its stretch of the flat ``update``."""
        offset = 0
        for p in self._params:
            numel = p.numel()
            p.array += step_size * update[offset:offset + numel].reshape(p.array.shape)
            bump_version(p.array)
            offset += numel
        assert offset == self._numel()

    def _clone_param(self) -> list:
        return [p.array.copy() for p in self._params]

    def _set_param(self, params_data: list) -> None:
        for p, data in zip(self._params, params_data):
            get_array_module(p.array).copyto(p.array, data)
            bump_version(p.array)

    def _evaluate(self, closure: Callable[[], Any]) -> Any:
        """The closure's loss, computed with gradient recording on."""
        with enable_grad():
            return closure()

    def _directional_evaluate(self, closure: Callable[[], Any], x: list, t, d):
        """Loss and flat gradient at ``x + t d``; the parameters are put back to ``x`` afterwards."""
        self._add_grad(t, d)
        loss = float(self._evaluate(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ---------------------------------------------------------------------- step
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; returns the closure's first loss.

        ``closure`` is required: it re-evaluates the model, calls ``backward()``
        and returns the loss.
        """
        if len(self.param_groups) != 1:
            raise ValueError(f"LBFGS expects exactly one param_group, but got {len(self.param_groups)}")
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        xp = get_array_module(self._params[0].array)

        # NOTE: L-BFGS has one state for all parameters; it is kept under the first one
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._begin_step(closure)          # evaluates the closure once, with grad on
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
        if opt_cond:                                   # already at an optimum
            return orig_loss

        d, t = _from_state(state.get("d")), _from_state(state.get("t"))
        old_dirs, old_stps = _from_state(state.get("old_dirs")), _from_state(state.get("old_stps"))
        ro, H_diag = _from_state(state.get("ro")), _from_state(state.get("H_diag"))
        prev_flat_grad, prev_loss = _from_state(state.get("prev_flat_grad")), state.get("prev_loss")
        al = _from_state(state.get("al"))

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # compute the direction
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                # update the memory with the last step s and gradient change y
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)                          # y^T s
                if ys > 1e-10:
                    if len(old_dirs) == history_size:  # forget the oldest pair
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)             # initial inverse Hessian scale: y^T s / y^T y

                # two-loop recursion: d = -H g
                num_old = len(old_dirs)
                if al is None:
                    al = [None] * history_size
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q += -al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(num_old):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                xp.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss

            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
            else:
                t = lr

            gtd = flat_grad.dot(d)                     # directional derivative g^T d
            if gtd > -tolerance_change:                # not a descent direction (to tolerance)
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(obj_func, x_init, t, d, loss, flat_grad, gtd,
                                                                  max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)                   # a fixed step
                if n_iter != max_iter:
                    # re-evaluate unless this is the last iteration (the caller's closure call sees it)
                    loss = float(self._evaluate(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # stopping tests
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if xp.abs(d * t).max() <= tolerance_change:       # the step is tiny
                break
            if abs(loss - prev_loss) < tolerance_change:      # the loss barely changed
                break

        state["d"], state["t"] = _to_state(d), _to_state(t)
        state["old_dirs"], state["old_stps"] = _to_state(old_dirs), _to_state(old_stps)
        state["ro"], state["H_diag"] = _to_state(ro), _to_state(H_diag)
        state["prev_flat_grad"], state["prev_loss"] = _to_state(prev_flat_grad), prev_loss
        if al is not None:
            state["al"] = _to_state(al)
        return orig_loss
