"""tinynn.optim: SGD and Adam against hand-computed updates (and torch), Optimizer machinery, StepLR."""
import math
import warnings

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn import optim

from helpers import GRADS, START, run_optimizer, run_optimizer_in_blocks, step_like_torch


def sgd_reference(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    """The SGD update written out in float64, straight from the formula."""
    p, buf, out = START.copy(), None, []
    for g in GRADS:
        g = -g if maximize else g.copy()
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        out.append(p)
    return out


def adam_reference(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
                   decoupled=False):
    """The Adam update written out in float64, straight from the paper (with torch's eps placement)."""
    b1, b2 = betas
    p, m, v, vmax, out = START.copy(), 0.0, 0.0, 0.0, []
    for t, g in enumerate(GRADS, start=1):
        g = -g if maximize else g.copy()
        if weight_decay and decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        m_hat = m / (1 - b1 ** t)
        denom = np.sqrt(vmax if amsgrad else v) / math.sqrt(1 - b2 ** t) + eps
        p = p - lr * m_hat / denom
        out.append(p)
    return out


SGD_OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.5),
    dict(lr=0.1, momentum=0.8, nesterov=True),
    dict(lr=0.1, weight_decay=0.3),
    dict(lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
    dict(lr=0.1, momentum=0.5, maximize=True),
]

ADAM_OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.01, betas=(0.8, 0.9), eps=1e-3),
    dict(lr=0.1, weight_decay=0.5),
    dict(lr=0.1, amsgrad=True),
    dict(lr=0.1, maximize=True),
    dict(lr=0.1, weight_decay=0.5, decoupled_weight_decay=True),
]


# ------------------------------------------------------------- hand-computed
@pytest.mark.parametrize("options", SGD_OPTIONS)
def test_sgd_matches_the_formula(options):
    got, p, _ = run_optimizer(lambda ps: optim.SGD(ps, **options))
    want = sgd_reference(**options)
    for g, w in zip(got, want):
        assert np.allclose(g, w, rtol=1e-6, atol=1e-6)
    assert p.dtype == np.float32


def test_sgd_first_momentum_step_uses_the_gradient_itself():
    # buf = grad on the first step (no dampening applied), as torch does
    got, p, opt = run_optimizer(lambda ps: optim.SGD(ps, lr=1.0, momentum=0.9, dampening=0.5), grads=GRADS[:1])
    assert np.allclose(got[0], START - GRADS[0])
    assert np.array_equal(opt.state[p]["momentum_buffer"].numpy(), GRADS[0].astype(np.float32))


def test_sgd_hand_computed_numbers():
    got, _, _ = run_optimizer(lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), grads=[np.ones(3), np.ones(3)],
                    start=np.zeros(3))
    assert np.allclose(got[0], -0.1) and np.allclose(got[1], -0.1 - 0.1 * 1.9)


@pytest.mark.parametrize("options", ADAM_OPTIONS)
def test_adam_matches_the_formula(options):
    got, p, opt = run_optimizer(lambda ps: optim.Adam(ps, **options))
    ref_options = dict(options)
    ref_options["decoupled"] = ref_options.pop("decoupled_weight_decay", False)
    want = adam_reference(**ref_options)
    for g, w in zip(got, want):
        assert np.allclose(g, w, rtol=1e-5, atol=1e-6)
    state = opt.state[p]
    assert float(state["step"]) == 3.0 and state["step"].dtype == np.float32
    assert ("max_exp_avg_sq" in state) == options.get("amsgrad", False)


def test_adam_first_step_moves_each_weight_by_lr():
    # m_hat = g, v_hat = g^2 after bias correction, so the first step is -lr * sign(g) (up to eps)
    got, _, _ = run_optimizer(lambda ps: optim.Adam(ps, lr=0.01), grads=GRADS[:1])
    assert np.allclose(got[0], START - 0.01 * np.sign(GRADS[0]), atol=1e-7)


@pytest.mark.parametrize("make", [lambda ps, o=o: optim.SGD(ps, **o) for o in SGD_OPTIONS]
                         + [lambda ps, o=o: optim.Adam(ps, **o) for o in ADAM_OPTIONS])
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


# ------------------------------------------------------------- mechanics
def test_updates_are_in_place_and_stay_float32():
    p = nn.Parameter(tinynn.ones(4))
    array = p.array
    for make in (lambda: optim.SGD([p], lr=np.float64(0.1), momentum=np.float64(0.9), weight_decay=np.float64(0.1)),
                 lambda: optim.Adam([p], lr=np.float64(0.1), weight_decay=np.float64(0.1))):
        opt = make()
        for _ in range(2):
            p.grad = tinynn.ones(4)
            opt.step()
        assert p.array is array and p.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[p].values())
        assert not p.grad.requires_grad


def test_step_records_no_graph_and_skips_params_without_grad():
    a, b = nn.Parameter(tinynn.ones(2)), nn.Parameter(tinynn.ones(2))
    opt = optim.SGD([a, b], lr=0.5, momentum=0.9)
    (a * 3).sum().backward()
    opt.step()
    assert a.grad_fn is None and a.is_leaf and a.tolist() == [-0.5, -0.5]
    assert b.tolist() == [1.0, 1.0]
    assert b not in opt.state and len(opt.state) == 1
    adam = optim.Adam([a, b])
    adam.step()                               # grads of b are None: nothing happens to it
    assert b not in adam.state


def test_zero_grad():
    p = nn.Parameter(tinynn.ones(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = tinynn.ones(2)
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_closure_is_called_with_grad_enabled():
    p = nn.Parameter(tinynn.tensor([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tinynn.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 4.0 and p.tolist() == [1.0]


def test_param_groups_and_defaults():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    opt = optim.SGD([{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.5}],
                    lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert all(g["momentum"] == 0.9 for g in opt.param_groups)
    assert opt.defaults["lr"] == 0.1
    frozen = nn.Linear(2, 2)
    opt.add_param_group({"params": frozen.parameters(), "lr": 0.01})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["nesterov"] is False
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [frozen.weight]})
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([frozen.weight, frozen.weight], lr=0.1)
    named = optim.SGD(model.named_parameters(), lr=0.1)
    assert named.param_groups[0]["param_names"] == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_argument_errors_like_torch():
    p = [nn.Parameter(tinynn.ones(1))]
    for make, message in [
        (lambda: optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
        (lambda: optim.SGD(p, lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda: optim.SGD(p, lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
        (lambda: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
        (lambda: optim.Adam(p, lr=-0.1), "Invalid learning rate"),
        (lambda: optim.Adam(p, eps=-1), "Invalid epsilon value"),
        (lambda: optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
        (lambda: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
        (lambda: optim.Adam(p, weight_decay=-1), "Invalid weight_decay value"),
        (lambda: optim.SGD([], lr=0.1), "empty parameter list"),
        (lambda: optim.SGD([(p[0] * 2)], lr=0.1), "non-leaf"),
    ]:
        with pytest.raises(ValueError, match=message):
            make()
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p[0], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p[0]}}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is int"):
        optim.SGD([1, 2], lr=0.1)
    with pytest.raises(NotImplementedError):
        optim.Optimizer(p, {}).step()


def test_state_dict_layout_and_resume():
    tinynn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x, y = tinynn.randn(8, 3), tinynn.randint(0, 2, (8,))
    loss_fn = nn.CrossEntropyLoss()

    def train(opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()

    for make in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True)):
        start = {k: v.clone() for k, v in model.state_dict().items()}
        opt = make(model.parameters())
        train(opt, 3)
        sd = opt.state_dict()
        assert sorted(sd) == ["param_groups", "state"]
        assert sd["param_groups"][0]["params"] == [0, 1, 2, 3]
        assert sorted(sd["state"]) == [0, 1, 2, 3]
        assert "params" in sd["param_groups"][0] and "lr" in sd["param_groups"][0]
        snapshot = {k: v.clone() for k, v in model.state_dict().items()}
        saved = tinynn.load(_roundtrip(sd))
        train(opt, 2)
        expected = {k: v.clone() for k, v in model.state_dict().items()}

        model.load_state_dict(snapshot)
        resumed = make(model.parameters())
        resumed.load_state_dict(saved)
        assert resumed.param_groups[0]["params"][0] is list(model.parameters())[0]
        train(resumed, 2)
        for k, v in model.state_dict().items():
            assert np.allclose(v.numpy(), expected[k].numpy(), rtol=1e-6, atol=1e-7), k
        model.load_state_dict(start)


def _roundtrip(obj):
    import io
    buffer = io.BytesIO()
    tinynn.save(obj, buffer)
    buffer.seek(0)
    return buffer


def test_load_state_dict_checks_sizes_and_copies():
    a, b = nn.Parameter(tinynn.ones(2)), nn.Parameter(tinynn.ones(3))
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = tinynn.ones(2), tinynn.ones(3)
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)
    other = optim.SGD([a, b], lr=0.5)
    other.load_state_dict(sd)
    assert other.param_groups[0]["lr"] == 0.1 and other.param_groups[0]["momentum"] == 0.9
    assert other.state[a]["momentum_buffer"] is not opt.state[a]["momentum_buffer"]
    assert other.state[a]["momentum_buffer"].tolist() == [1.0, 1.0]
    # state saved as float64 is cast to the parameter's dtype
    sd["state"][0]["momentum_buffer"] = tinynn.ones(2, dtype=tinynn.float64)
    other.load_state_dict(sd)
    assert other.state[a]["momentum_buffer"].dtype == np.float32


def test_repr():
    opt = optim.SGD([nn.Parameter(tinynn.ones(1))], lr=0.1)
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n    lr: 0.1\n    maximize: False\n"
                         "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)")


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
                                  lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.1, amsgrad=True)])
def test_optimizers_run_on_the_parameters_device(device, make):
    _, p, opt = run_optimizer(make, device=device)
    on_cpu, _, _ = run_optimizer(make)
    assert p.device.type == device and p.dtype == np.float32
    assert np.allclose(p.detach().cpu().numpy(), on_cpu[-1], rtol=1e-6, atol=1e-6)
    assert all(v.device.type == device for k, v in opt.state[p].items() if k != "step")


# ----------------------------------------------------------------- StepLR
def test_step_lr_schedule_and_state():
    p = nn.Parameter(tinynn.ones(1))
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    assert sched.get_last_lr() == [1.0] and opt.param_groups[0]["initial_lr"] == 1.0
    lrs = []
    for _ in range(6):
        p.grad = tinynn.ones(1)
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert opt.param_groups[0]["lr"] == 0.125
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 6
    restored = optim.lr_scheduler.StepLR(optim.SGD([p], lr=1.0), step_size=2, gamma=0.5)
    restored.load_state_dict(state)
    assert restored.last_epoch == 6 and restored.get_last_lr() == [0.125]
    assert isinstance(sched, optim.lr_scheduler.LRScheduler)
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(10)
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 * 0.5 ** 5)


def test_step_lr_warns_when_called_before_the_optimizer():
    opt = optim.SGD([nn.Parameter(tinynn.ones(1))], lr=1.0)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.StepLR(optim.SGD([nn.Parameter(tinynn.ones(1))], lr=1.0), 1, last_epoch=3)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        optim.lr_scheduler.StepLR("sgd", 1)


# ---------------------------------------------------------------- vs torch
def _torch_vs_tinynn(torch, torch_cls, ours_cls, options, steps=25):
    opt_t, opt_o, history = step_like_torch(torch, torch_cls, ours_cls, options, steps)
    for o, t in history[-1]:
        # torch fuses multiply-adds on the CPU (FMA); NumPy rounds twice, so allow a few float32 ulps
        assert np.allclose(o, t, rtol=2e-6, atol=2e-6), options
    sd_t, sd_o = opt_t.state_dict(), opt_o.state_dict()
    assert sorted(sd_t["state"]) == sorted(sd_o["state"])
    for index in sd_t["state"]:
        assert set(sd_o["state"][index]) == set(sd_t["state"][index])
        for key, value in sd_t["state"][index].items():
            assert np.allclose(sd_o["state"][index][key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6), key
    assert sd_o["param_groups"][0]["params"] == sd_t["param_groups"][0]["params"]
    assert set(sd_o["param_groups"][0]) <= set(sd_t["param_groups"][0])


@pytest.mark.parametrize("options", SGD_OPTIONS)
def test_sgd_matches_torch(options):
    torch = pytest.importorskip("torch")
    _torch_vs_tinynn(torch, torch.optim.SGD, optim.SGD, options)


@pytest.mark.parametrize("options", ADAM_OPTIONS + [dict(lr=0.01, betas=(0.5, 0.6), weight_decay=0.1, amsgrad=True)])
def test_adam_matches_torch(options):
    torch = pytest.importorskip("torch")
    _torch_vs_tinynn(torch, torch.optim.Adam, optim.Adam, options)


def test_step_lr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = optim.SGD([nn.Parameter(tinynn.ones(1))], lr=0.3)
    theirs = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.3)
    s_o = optim.lr_scheduler.StepLR(ours, step_size=3, gamma=0.7)
    s_t = torch.optim.lr_scheduler.StepLR(theirs, step_size=3, gamma=0.7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(10):
            ours.step()
            theirs.step()
            s_o.step()
            s_t.step()
            assert s_o.get_last_lr() == s_t.get_last_lr()
    assert set(s_o.state_dict()) <= set(s_t.state_dict())
