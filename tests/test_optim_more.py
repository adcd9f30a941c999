"""tinynn.optim: AdamW, RMSprop, Adagrad, Adadelta and LBFGS against the formulas, on a quadratic,
through state_dict, and step for step against torch (skipped without torch)."""
import io
import math

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn import optim

from helpers import GRADS, START, run_optimizer, run_optimizer_in_blocks, step_like_torch


# ------------------------------------------------------------- the formulas, written out in float64
def rmsprop_reference(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False):
    p, v, m, buf, out = START.copy(), 0.0, 0.0, 0.0, []
    for g in GRADS:
        g = -g if maximize else g
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        m = alpha * m + (1 - alpha) * g
        avg = np.sqrt(v - m * m if centered else v) + eps
        if momentum > 0:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
        out.append(p)
    return out


def adagrad_reference(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                      maximize=False):
    p, total, out = START.copy(), initial_accumulator_value, []
    for t, g in enumerate(GRADS, start=1):
        g = -g if maximize else g
        g = g + weight_decay * p
        total = total + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(total) + eps)
        out.append(p)
    return out


def adadelta_reference(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    p, v, u, out = START.copy(), 0.0, 0.0, []
    for g in GRADS:
        g = -g if maximize else g
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
        out.append(p)
    return out


def adamw_reference(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False):
    b1, b2 = betas
    p, m, v, vmax, out = START.copy(), 0.0, 0.0, 0.0, []
    for t, g in enumerate(GRADS, start=1):
        g = -g if maximize else g
        p = p * (1 - lr * weight_decay)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        p = p - lr * (m / (1 - b1 ** t)) / (np.sqrt((vmax if amsgrad else v) / (1 - b2 ** t)) + eps)
        out.append(p)
    return out


RMSPROP_OPTIONS = [dict(lr=0.01), dict(lr=0.1, alpha=0.5, eps=1e-3), dict(lr=0.01, weight_decay=0.5),
                   dict(lr=0.01, momentum=0.9), dict(lr=0.01, centered=True),
                   dict(lr=0.05, centered=True, momentum=0.5, weight_decay=0.1, maximize=True)]
ADAGRAD_OPTIONS = [dict(), dict(lr=0.5, lr_decay=0.3), dict(lr=0.1, weight_decay=0.2),
                   dict(lr=0.1, initial_accumulator_value=0.7, eps=1e-3),
                   dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.2, maximize=True)]
ADADELTA_OPTIONS = [dict(), dict(lr=0.5, rho=0.5), dict(eps=1e-2, weight_decay=0.3),
                    dict(lr=2.0, rho=0.95, eps=1e-4, weight_decay=0.1, maximize=True)]
ADAMW_OPTIONS = [dict(), dict(lr=0.1), dict(lr=0.1, weight_decay=0.5), dict(lr=0.1, amsgrad=True),
                 dict(lr=0.01, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1, maximize=True)]
CASES = ([(optim.RMSprop, o, rmsprop_reference) for o in RMSPROP_OPTIONS]
         + [(optim.Adagrad, o, adagrad_reference) for o in ADAGRAD_OPTIONS]
         + [(optim.Adadelta, o, adadelta_reference) for o in ADADELTA_OPTIONS]
         + [(optim.AdamW, o, adamw_reference) for o in ADAMW_OPTIONS])
CASE_IDS = [f"{cls.__name__}-{options}" for cls, options, _ in CASES]


@pytest.mark.parametrize("cls,options,reference", CASES, ids=CASE_IDS)
def test_matches_the_formula(cls, options, reference):
    got, p, opt = run_optimizer(lambda ps: cls(ps, **options), dtype=np.float64)
    for g, w in zip(got, reference(**options)):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
    assert float(opt.state[p]["step"]) == 3.0 and opt.state[p]["step"].dtype == np.float32
    got32, p32, opt32 = run_optimizer(lambda ps: cls(ps, **options), dtype=np.float32)
    assert p32.dtype == np.float32 and all(v.dtype == np.float32 for v in opt32.state[p32].values())
    np.testing.assert_allclose(got32[-1], got[-1], rtol=1e-5, atol=1e-6)


def test_state_names_follow_the_options():
    def keys(cls, **options):
        _, p, opt = run_optimizer(lambda ps: cls(ps, **options), dtype=np.float64)
        return set(opt.state[p])
    assert keys(optim.RMSprop) == {"step", "square_avg"}
    assert keys(optim.RMSprop, momentum=0.5, centered=True) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    assert keys(optim.Adagrad) == {"step", "sum"}
    assert keys(optim.Adadelta) == {"step", "square_avg", "acc_delta"}
    assert keys(optim.AdamW, amsgrad=True) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


def test_adamw_defaults_and_decoupling_survive_load_state_dict():
    p = nn.Parameter(tinynn.ones(2))
    opt = optim.AdamW([p])
    group = opt.param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] is True and group["lr"] == 1e-3
    assert isinstance(opt, optim.Adam)
    saved = optim.Adam([p], weight_decay=0.1).state_dict()         # an Adam checkpoint: coupled decay
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True and opt.param_groups[0]["weight_decay"] == 0.1


def test_adagrad_state_exists_from_the_start():
    a, b = nn.Parameter(tinynn.ones(2)), nn.Parameter(tinynn.ones(3))
    opt = optim.Adagrad([a, b], initial_accumulator_value=0.25)
    assert sorted(opt.state_dict()["state"]) == [0, 1]
    assert opt.state[b]["sum"].tolist() == [0.25] * 3 and float(opt.state[b]["step"]) == 0.0
    a.grad = tinynn.ones(2)
    opt.step()                                   # b has no gradient: untouched, its step stays 0
    assert float(opt.state[a]["step"]) == 1.0 and float(opt.state[b]["step"]) == 0.0


def test_rmsprop_hand_computed_first_step():
    # v = (1 - alpha) g^2, so the first step is -lr g / (sqrt(1 - alpha) |g| + eps)
    got, _, _ = run_optimizer(lambda ps: optim.RMSprop(ps, lr=0.01, alpha=0.75, eps=0.0), grads=GRADS[:1],
                              dtype=np.float64)
    np.testing.assert_allclose(got[0], START - 0.01 * np.sign(GRADS[0]) / 0.5)


def test_adadelta_hand_computed_first_step():
    # v = (1 - rho) g^2, delta = sqrt(eps) / sqrt(v + eps) g
    got, _, _ = run_optimizer(lambda ps: optim.Adadelta(ps, rho=0.0, eps=1.0), grads=[np.array([0.0, 1.0, 3.0])],
                              dtype=np.float64)
    np.testing.assert_allclose(got[0], START - np.array([0.0, 1.0 / math.sqrt(2), 3.0 / math.sqrt(10)]))


# ------------------------------------------------------------- convergence on a quadratic
def quadratic_problem(dtype=np.float64):
    """loss(p) = sum(scale * (p - target)^2): minimum 0 at ``target``."""
    target = tinynn.from_numpy(np.array([1.0, -2.0, 3.0, 0.5], dtype=dtype))
    scale = tinynn.from_numpy(np.array([1.0, 3.0, 0.5, 2.0], dtype=dtype))
    p = nn.Parameter(tinynn.zeros(4, dtype=tinynn.float64 if dtype == np.float64 else tinynn.float32))

    def loss_fn():
        return (scale * (p - target) ** 2).sum()
    return p, target, loss_fn


@pytest.mark.parametrize("make,steps", [
    (lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.0), 400),
    (lambda ps: optim.RMSprop(ps, lr=0.01), 600),
    (lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True), 400),
    (lambda ps: optim.Adagrad(ps, lr=0.5), 400),
    (lambda ps: optim.Adadelta(ps, lr=50.0), 600),
], ids=["AdamW", "RMSprop", "RMSprop-centered-momentum", "Adagrad", "Adadelta"])
def test_first_order_optimizers_reach_the_minimum(make, steps):
    p, target, loss_fn = quadratic_problem()
    opt = make([p])
    for _ in range(steps):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    np.testing.assert_allclose(p.detach().numpy(), target.numpy(), atol=2e-2)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_solves_a_quadratic_in_one_step(line_search_fn):
    p, target, loss_fn = quadratic_problem()
    opt = optim.LBFGS([p], line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    first = opt.step(closure)
    assert float(first) == pytest.approx(float((tinynn.from_numpy(np.array([1.0, 3.0, 0.5, 2.0]))
                                                 * target ** 2).sum()))        # the loss at the start
    # torch stops there too: the loss changes by less than tolerance_change=1e-9
    np.testing.assert_allclose(p.detach().numpy(), target.numpy(), atol=1e-4)
    state = opt.state[p]
    assert state["n_iter"] <= 20 and state["func_evals"] >= state["n_iter"]
    assert set(state) >= {"d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss",
                          "func_evals", "n_iter"}


def rosenbrock_closure(opt, x):
    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss
    return closure


def test_lbfgs_strong_wolfe_minimizes_rosenbrock():
    x = nn.Parameter(tinynn.tensor(np.array([-1.5, 2.0])))
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=100, tolerance_grad=1e-10)
    opt.step(rosenbrock_closure(opt, x))
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-5)


def test_lbfgs_requires_a_closure_and_one_group():
    p = nn.Parameter(tinynn.ones(2))
    opt = optim.LBFGS([p])
    with pytest.raises(TypeError):
        opt.step()
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [nn.Parameter(tinynn.ones(1))]}])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([p], lr=-1)
    p = nn.Parameter(tinynn.zeros(2))
    bad = optim.LBFGS([p], line_search_fn="armijo")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        bad.step(rosenbrock_closure(bad, p))
    assert optim.LBFGS([p], max_iter=8).param_groups[0]["max_eval"] == 10       # max_iter * 5 // 4


def test_lbfgs_stops_at_once_when_the_gradient_is_small():
    p = nn.Parameter(tinynn.tensor(np.array([1.0, 1.0])))
    opt = optim.LBFGS([p])
    loss = opt.step(rosenbrock_closure(opt, p))                # (1, 1) is the minimum: gradient 0
    assert float(loss) == 0.0 and p.tolist() == [1.0, 1.0]
    assert opt.state[p]["func_evals"] == 1 and opt.state[p]["n_iter"] == 0


# ------------------------------------------------------------- validation, options, state_dict
def test_argument_errors_like_torch():
    p = [nn.Parameter(tinynn.ones(1))]
    for make, message in [
        (lambda: optim.AdamW(p, lr=-1), "Invalid learning rate: -1"),
        (lambda: optim.AdamW(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
        (lambda: optim.AdamW(p, weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
        (lambda: optim.RMSprop(p, lr=-1), "Invalid learning rate: -1"),
        (lambda: optim.RMSprop(p, eps=-1), "Invalid epsilon value: -1"),
        (lambda: optim.RMSprop(p, momentum=-1), "Invalid momentum value: -1"),
        (lambda: optim.RMSprop(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda: optim.RMSprop(p, alpha=-1), "Invalid alpha value: -1"),
        (lambda: optim.Adagrad(p, lr=-1), "Invalid learning rate: -1"),
        (lambda: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
        (lambda: optim.Adagrad(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda: optim.Adagrad(p, initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
        (lambda: optim.Adagrad(p, eps=-1), "Invalid epsilon value: -1"),
        (lambda: optim.Adadelta(p, lr=-1), "Invalid learning rate: -1"),
        (lambda: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
        (lambda: optim.Adadelta(p, eps=-1), "Invalid epsilon value: -1"),
        (lambda: optim.Adadelta(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    ]:
        with pytest.raises(ValueError, match=message):
            make()


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad, optim.Adadelta])
def test_torch_implementation_switches(cls):
    p = [nn.Parameter(tinynn.ones(1))]
    cls(p, lr=0.1, foreach=False)                       # a choice of kernel: accepted, changes nothing
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        cls(p, lr=0.1, differentiable=True)


def _roundtrip(obj):
    buffer = io.BytesIO()
    tinynn.save(obj, buffer)
    buffer.seek(0)
    return tinynn.load(buffer)


@pytest.mark.parametrize("make", [
    lambda ps: optim.AdamW(ps, lr=0.01, amsgrad=True),
    lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True),
    lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    lambda ps: optim.Adadelta(ps, lr=0.5, weight_decay=0.01),
    lambda ps: optim.LBFGS(ps, lr=0.5, max_iter=3, history_size=4),
    lambda ps: optim.LBFGS(ps, max_iter=3, line_search_fn="strong_wolfe"),
], ids=["AdamW", "RMSprop", "Adagrad", "Adadelta", "LBFGS", "LBFGS-wolfe"])
def test_state_dict_round_trip_resumes_exactly(make):
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x, y = tinynn.randn(8, 3), tinynn.randint(0, 2, (8,))
    loss_fn = nn.CrossEntropyLoss()

    def train(opt, steps):
        def closure():
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            return loss
        for _ in range(steps):
            opt.step(closure)

    opt = make(model.parameters())
    train(opt, 3)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1, 2, 3]
    snapshot = {k: v.clone() for k, v in model.state_dict().items()}
    saved = _roundtrip(sd)
    train(opt, 2)
    expected = {k: v.clone() for k, v in model.state_dict().items()}

    model.load_state_dict(snapshot)
    resumed = make(model.parameters())
    resumed.load_state_dict(saved)
    train(resumed, 2)
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v.numpy(), expected[k].numpy(), rtol=1e-6, atol=1e-7, err_msg=k)


@pytest.mark.parametrize("make", [lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True),
                                  lambda ps: optim.RMSprop(ps, lr=0.01, weight_decay=0.1),
                                  lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.1),
                                  lambda ps: optim.Adadelta(ps, weight_decay=0.1)])
def test_updates_in_blocks_on_threads_equal_the_whole_array_update(make):
    """Big parameters are updated in cache-sized blocks on several threads (the fast kernels): the same
    numbers as the reference's update of the whole array, bit for bit."""
    rng = np.random.default_rng(0)
    start, grads = rng.standard_normal((5, 7)), [rng.standard_normal((5, 7)) for _ in range(3)]
    with tinynn.set_kernels("reference"):
        whole, _, _ = run_optimizer(make, grads, start)
    split, _, _ = run_optimizer_in_blocks(make, grads, start)
    for a, b in zip(whole, split):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [lambda ps: optim.AdamW(ps, lr=0.1, amsgrad=True),
                                  lambda ps: optim.RMSprop(ps, lr=0.1, momentum=0.5, centered=True),
                                  lambda ps: optim.Adagrad(ps, lr=0.1, weight_decay=0.1),
                                  lambda ps: optim.Adadelta(ps, weight_decay=0.1)])
def test_optimizers_run_on_the_parameters_device(device, make):
    _, p, opt = run_optimizer(make, device=device)
    on_cpu, _, _ = run_optimizer(make)
    assert p.device.type == device and p.dtype == np.float32
    np.testing.assert_allclose(p.detach().cpu().numpy(), on_cpu[-1], rtol=1e-6, atol=1e-6)
    assert all(v.device.type == device for k, v in opt.state[p].items() if k != "step")


def test_lbfgs_runs_on_the_parameters_device(device):
    x = nn.Parameter(tinynn.tensor(np.array([-1.5, 2.0])).to(device))
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=5)
    for _ in range(2):
        opt.step(rosenbrock_closure(opt, x))
    x_cpu = nn.Parameter(tinynn.tensor(np.array([-1.5, 2.0])))
    opt_cpu = optim.LBFGS([x_cpu], line_search_fn="strong_wolfe", max_iter=5)
    for _ in range(2):
        opt_cpu.step(rosenbrock_closure(opt_cpu, x_cpu))
    assert x.device.type == device
    np.testing.assert_allclose(x.detach().cpu().numpy(), x_cpu.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert opt.state[x]["d"].device.type == device


# ------------------------------------------------------------- vs torch, after every step
TORCH_CASES = ([("RMSprop", o) for o in RMSPROP_OPTIONS] + [("Adagrad", o) for o in ADAGRAD_OPTIONS]
               + [("Adadelta", o) for o in ADADELTA_OPTIONS] + [("AdamW", o) for o in ADAMW_OPTIONS])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,options", TORCH_CASES, ids=[f"{n}-{o}" for n, o in TORCH_CASES])
def test_matches_torch_after_every_step(name, options, dtype):
    torch = pytest.importorskip("torch")
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)
    opt_t, opt_o, history = step_like_torch(torch, getattr(torch.optim, name), getattr(optim, name), options, 20,
                                            dtype)
    for step in history:
        for o, t in step:
            np.testing.assert_allclose(o, t, rtol=rtol, atol=atol)
    sd_t, sd_o = opt_t.state_dict(), opt_o.state_dict()
    assert sorted(sd_t["state"]) == sorted(sd_o["state"])
    for index, values in sd_t["state"].items():
        assert set(sd_o["state"][index]) == set(values)
        for key, value in values.items():
            assert sd_o["state"][index][key].dtype == value.numpy().dtype, key
            np.testing.assert_allclose(sd_o["state"][index][key].numpy(), value.numpy(), rtol=1e-4, atol=1e-6)
    group_o, group_t = sd_o["param_groups"][0], sd_t["param_groups"][0]
    assert set(group_o) <= set(group_t) and group_o["params"] == group_t["params"]
    assert all(group_o[k] == group_t[k] for k in group_o)


def _lbfgs_tanh_regression(lib, mod, dtype, options, steps):
    """Fit tanh(X w + b) to y with LBFGS; the parameters after each ``step(closure)``."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 5)).astype(dtype), (rng.standard_normal(20) * 0.5).astype(dtype)
    w0, b0 = (rng.standard_normal(5) * 0.3).astype(dtype), np.array([0.1], dtype=dtype)
    w, b = (lib.nn.Parameter(lib.from_numpy(a.copy())) for a in (w0, b0))
    X, y = lib.from_numpy(X), lib.from_numpy(y)
    opt = mod.LBFGS([w, b], **options)

    def closure():
        opt.zero_grad()
        loss = ((lib.tanh(X @ w + b) - y) ** 2).mean()
        loss.backward()
        return loss
    out = []
    for _ in range(steps):
        loss = opt.step(closure)
        out.append((float(loss.detach()), np.concatenate([w.detach().numpy(), b.detach().numpy()])))
    return out, opt


LBFGS_OPTIONS = [dict(max_iter=4), dict(lr=0.5, max_iter=3, history_size=2),
                 dict(lr=0.3, max_iter=6, max_eval=4, tolerance_change=1e-5),
                 dict(line_search_fn="strong_wolfe", max_iter=3),
                 dict(line_search_fn="strong_wolfe", max_iter=4, history_size=2, max_eval=6)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", LBFGS_OPTIONS)
def test_lbfgs_matches_torch_after_every_step(options, dtype):
    torch = pytest.importorskip("torch")
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)
    got, opt_o = _lbfgs_tanh_regression(tinynn, optim, dtype, options, steps=3)
    want, opt_t = _lbfgs_tanh_regression(torch, torch.optim, dtype, options, steps=3)
    for (loss_o, params_o), (loss_t, params_t) in zip(got, want):
        np.testing.assert_allclose(params_o, params_t, rtol=rtol, atol=atol)
        assert loss_o == pytest.approx(loss_t, rel=rtol)
    state_o, state_t = opt_o.state_dict()["state"][0], opt_t.state_dict()["state"][0]
    assert set(state_o) == set(state_t)
    assert (state_o["func_evals"], state_o["n_iter"]) == (state_t["func_evals"], state_t["n_iter"])
    assert len(state_o["old_dirs"]) == len(state_t["old_dirs"])
    np.testing.assert_allclose(state_o["d"].numpy(), state_t["d"].numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("options", [dict(line_search_fn="strong_wolfe", max_iter=5),
                                     dict(line_search_fn="strong_wolfe", max_iter=4, history_size=3),
                                     dict(lr=0.01, max_iter=5)])
def test_lbfgs_matches_torch_on_rosenbrock(options):
    """A curved valley, where the line search brackets and zooms (3 steps: later, the ulp-level differences
    of the two autograds' gradients grow in this ill-conditioned valley, as between any two libraries)."""
    torch = pytest.importorskip("torch")
    x_o = nn.Parameter(tinynn.tensor(np.array([-1.5, 2.0])))
    x_t = torch.nn.Parameter(torch.tensor([-1.5, 2.0], dtype=torch.float64))
    opt_o, opt_t = optim.LBFGS([x_o], **options), torch.optim.LBFGS([x_t], **options)
    for _ in range(3):
        opt_o.step(rosenbrock_closure(opt_o, x_o))
        opt_t.step(rosenbrock_closure(opt_t, x_t))
        np.testing.assert_allclose(x_o.detach().numpy(), x_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert opt_o.state[x_o]["func_evals"] == opt_t.state[x_t]["func_evals"]
