"""Small helpers shared by the tests."""
import numpy as np

import tinynn
import tinynn.nn as nn
from tinynn._fast.optim import BLOCK_ELEMENTS


def leaf(array, device="cpu", dtype=np.float64) -> tinynn.Tensor:
    """A float64 leaf tensor that requires grad, on ``device``."""
    return tinynn.tensor(np.asarray(array, dtype=dtype), device=device).requires_grad_()


def host(t) -> np.ndarray:
    """A tensor's values as a NumPy array, whatever its device."""
    return np.asarray(t.detach().cpu().array)


def forward_and_grads(fn, *arrays) -> list:
    """fn's output and the gradient of each input, as NumPy arrays, for a fixed random output gradient."""
    inputs = [tinynn.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    gy = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype)
    out.backward(tinynn.tensor(gy))
    return [out.detach().numpy()] + [t.grad.numpy() for t in inputs]


# ------------------------------------------------------------------ optimizers (test_optim*.py)
GRADS = [np.array([0.5, -1.0, 2.0]), np.array([-0.25, 0.5, 1.0]), np.array([1.0, 1.0, -3.0])]
START = np.array([1.0, -2.0, 0.5])


def run_optimizer(make_opt, grads=GRADS, start=START, dtype=np.float32, device="cpu"):
    """Apply ``grads`` one step each to a parameter starting at ``start``; return its values after each step."""
    p = nn.Parameter(tinynn.from_numpy(start.astype(dtype)).to(device))
    opt = make_opt([p])
    history = []
    for g in grads:
        p.grad = tinynn.from_numpy(g.astype(dtype)).to(device)
        opt.step()
        history.append(host(p).copy())
    return history, p, opt


def run_optimizer_in_blocks(make_opt, grads, start, dtype=np.float32):
    """``run_optimizer`` on the fast kernels, with the update split in blocks on two threads.

    A parameter as small as ``start`` is updated whole, so ``start`` and each
    gradient are repeated, end to end, until the parameter spans several of the
    fast update's blocks (``BLOCK_ELEMENTS``) and is big enough for two threads.
    Each element's update depends on that element alone, so every repeat must
    end with the same values (checked here, after each step); returns the first
    repeat's values after each step, shaped as ``start``.
    """
    repeats = -(-5 * BLOCK_ELEMENTS // 2 // start.size)          # 2.5 blocks: 2 threads, a block edge in each
    big_start = np.tile(start.reshape(-1), repeats)
    big_grads = [np.tile(g.reshape(-1), repeats) for g in grads]
    before = tinynn.get_num_threads()
    try:
        tinynn.set_num_threads(2)
        with tinynn.set_kernels("fast"):
            history, p, opt = run_optimizer(make_opt, big_grads, big_start, dtype)
    finally:
        tinynn.set_num_threads(before)
    firsts = []
    for values in history:
        by_repeat = values.reshape(repeats, start.size)
        np.testing.assert_array_equal(by_repeat, np.broadcast_to(by_repeat[0], by_repeat.shape))
        firsts.append(by_repeat[0].reshape(start.shape))
    return firsts, p, opt


def step_like_torch(torch, torch_cls, ours_cls, options, steps, dtype=np.float32):
    """Step torch's ``torch_cls`` and tinynn's ``ours_cls`` on the same random (16, 9) and (9,) parameters
    with the same random gradients.

    Returns both optimizers and, after each step, one (tinynn values, torch values) pair of arrays per parameter.
    """
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((16, 9)).astype(dtype), rng.standard_normal(9).astype(dtype)]
    grads = [[rng.standard_normal(s.shape).astype(dtype) for s in start] for _ in range(steps)]
    theirs = [torch.nn.Parameter(torch.from_numpy(s.copy())) for s in start]
    ours = [nn.Parameter(tinynn.from_numpy(s.copy())) for s in start]
    opt_t, opt_o = torch_cls(theirs, **options), ours_cls(ours, **options)
    history = []
    for gs in grads:
        for t, o, g in zip(theirs, ours, gs):
            t.grad, o.grad = torch.from_numpy(g.copy()), tinynn.from_numpy(g.copy())
        opt_t.step()
        opt_o.step()
        history.append([(o.detach().numpy().copy(), t.detach().numpy().copy()) for t, o in zip(theirs, ours)])
    return opt_t, opt_o, history
