"""tinynn.optim.lr_scheduler: every scheduler's rates by hand-computed values, state_dict resume, and
step for step against torch's (skipped without torch)."""
import math
import warnings

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
from tinynn import optim
from tinynn.optim import lr_scheduler as sched


def make_sgd(lrs=(0.1,), momentum=0.9, lib=None):
    """An SGD optimizer (tinynn's, or torch's when ``lib`` is torch) with one group per entry of ``lrs``."""
    if lib is None:
        groups = [{"params": [nn.Parameter(tinynn.ones(2))], "lr": lr} for lr in lrs]
        return optim.SGD(groups, lr=lrs[0], momentum=momentum)
    groups = [{"params": [lib.nn.Parameter(lib.ones(2))], "lr": lr} for lr in lrs]
    return lib.optim.SGD(groups, lr=lrs[0], momentum=momentum)


def make_adam(lrs=(0.1,), lib=None):
    if lib is None:
        return optim.Adam([{"params": [nn.Parameter(tinynn.ones(2))], "lr": lr} for lr in lrs])
    return lib.optim.Adam([{"params": [lib.nn.Parameter(lib.ones(2))], "lr": lr} for lr in lrs])


def lr_sequence(scheduler, steps, metrics=None):
    """The rates after construction and after each of ``steps`` (optimizer.step, scheduler.step) pairs."""
    out = [scheduler.get_last_lr()[0]]
    for i in range(steps):
        scheduler.optimizer.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[i])
        out.append(scheduler.get_last_lr()[0])
    return out


def close(got, want):
    return len(got) == len(want) and all(math.isclose(g, w, rel_tol=1e-12, abs_tol=1e-15) for g, w in zip(got, want))


# ----------------------------------------------------------- hand-computed values (no torch)
def test_multistep_exponential_constant_linear_polynomial_values():
    assert close(lr_sequence(sched.MultiStepLR(make_sgd((0.05,)), milestones=[2, 4], gamma=0.1), 5),
                 [0.05, 0.05, 0.005, 0.005, 0.0005, 0.0005])
    assert close(lr_sequence(sched.MultiStepLR(make_sgd((1.0,)), milestones=[1, 1], gamma=0.5), 2), [1, 0.25, 0.25])
    assert close(lr_sequence(sched.ExponentialLR(make_sgd((1.0,)), gamma=0.5), 3), [1, 0.5, 0.25, 0.125])
    assert close(lr_sequence(sched.ConstantLR(make_sgd((0.05,)), factor=0.5, total_iters=2), 3),
                 [0.025, 0.025, 0.05, 0.05])
    assert close(lr_sequence(sched.LinearLR(make_sgd((0.05,)), start_factor=0.5, total_iters=4), 5),
                 [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05])
    assert close(lr_sequence(sched.PolynomialLR(make_sgd((0.001,)), total_iters=4, power=1.0), 5),
                 [0.001, 0.00075, 0.0005, 0.00025, 0.0, 0.0])


def test_lambda_and_multiplicative_values():
    assert close(lr_sequence(sched.LambdaLR(make_sgd((0.1,)), lambda epoch: 0.5 ** epoch), 3),
                 [0.1, 0.05, 0.025, 0.0125])
    opt = make_sgd((1.0, 2.0))
    s = sched.LambdaLR(opt, [lambda e: e + 1, lambda e: 1.0 / (e + 1)])
    lr_sequence(s, 2)
    assert close(s.get_last_lr(), [3.0, 2.0 / 3])
    assert close(lr_sequence(sched.MultiplicativeLR(make_sgd((1.0,)), lambda epoch: 0.9), 3),
                 [1.0, 0.9, 0.81, 0.729])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.LambdaLR(make_sgd((1.0, 2.0)), [lambda e: 1.0])
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got int"):
        sched.MultiplicativeLR(make_sgd(), 3)


def test_cosine_annealing_values_recursive_and_periodic():
    # T_max=2: 1 -> 0.5 -> 0 -> back up 0.5 -> 1 (the recursive form keeps the period)
    assert close(lr_sequence(sched.CosineAnnealingLR(make_sgd((1.0,)), T_max=2), 4), [1.0, 0.5, 0.0, 0.5, 1.0])
    lrs = lr_sequence(sched.CosineAnnealingLR(make_sgd((0.1,)), T_max=10, eta_min=0.01), 10)
    want = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 10)) / 2 for e in range(11)]
    assert np.allclose(lrs, want, rtol=1e-12, atol=1e-15)


def test_cosine_warm_restarts_values():
    lrs = lr_sequence(sched.CosineAnnealingWarmRestarts(make_sgd((1.0,)), T_0=2), 5)
    assert close(lrs, [1.0, 0.5, 1.0, 0.5, 1.0, 0.5])
    lrs = lr_sequence(sched.CosineAnnealingWarmRestarts(make_sgd((1.0,)), T_0=1, T_mult=2, eta_min=0.0), 4)
    assert close(lrs, [1.0, 1.0, 0.5, 1.0, (1 + math.cos(math.pi / 4)) / 2])
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        sched.CosineAnnealingWarmRestarts(make_sgd(), T_0=0)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1, but got 0"):
        sched.CosineAnnealingWarmRestarts(make_sgd(), T_0=2, T_mult=0)


def test_cyclic_lr_values_and_momentum():
    opt = make_sgd((1.0,))
    s = sched.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2)
    moms = [opt.param_groups[0]["momentum"]]
    lrs = [s.get_last_lr()[0]]
    for _ in range(4):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    assert close(lrs, [0.1, 0.55, 1.0, 0.55, 0.1])
    assert close(moms, [0.9, 0.85, 0.8, 0.85, 0.9])
    lrs = lr_sequence(sched.CyclicLR(make_sgd(), 0.0, 1.0, step_size_up=1, mode="triangular2"), 4)
    assert close(lrs, [0.0, 1.0, 0.0, 0.5, 0.0])
    with pytest.raises(ValueError, match="mode is invalid and scale_fn is None"):
        sched.CyclicLR(make_sgd(), 0.1, 1.0, mode="nope")


def test_one_cycle_values_momentum_and_the_end():
    opt = make_sgd((1.0,))
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="linear")
    group = opt.param_groups[0]
    assert group["initial_lr"] == 0.04 and group["max_lr"] == 1.0 and group["min_lr"] == pytest.approx(4e-6)
    lrs, moms = [s.get_last_lr()[0]], [group["momentum"]]
    for _ in range(9):
        opt.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
        moms.append(group["momentum"])
    assert close(lrs[:3], [0.04, 0.52, 1.0]) and lrs[-1] == pytest.approx(4e-6)
    assert close(moms[:3], [0.95, 0.9, 0.85]) and moms[-1] == pytest.approx(0.95)
    opt.step()
    s.step()                                             # step 10 = total_steps: still allowed, as in torch
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        s.step()
    # Adam: beta1 cycles, beta2 stays
    adam = make_adam()
    sched.OneCycleLR(adam, max_lr=0.1, epochs=2, steps_per_epoch=5)
    assert adam.param_groups[0]["betas"] == (0.95, 0.999)
    with pytest.raises(ValueError, match="either total_steps OR"):
        sched.OneCycleLR(make_sgd(), max_lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got x"):
        sched.OneCycleLR(make_sgd(), max_lr=0.1, total_steps=5, anneal_strategy="x")
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        sched.OneCycleLR(optim.Adagrad([nn.Parameter(tinynn.ones(1))]), max_lr=0.1, total_steps=5)
    with pytest.raises(ValueError, match="max_lr must have the same length as optimizer.param_groups"):
        sched.OneCycleLR(make_sgd((0.1, 0.2)), max_lr=[0.1], total_steps=5)


def test_reduce_lr_on_plateau_values():
    opt = make_sgd((1.0,))
    s = sched.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    lrs = lr_sequence(s, 7, metrics=[1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    s = sched.ReduceLROnPlateau(make_sgd((1.0,)), mode="max", factor=0.1, patience=0, cooldown=2, min_lr=0.05)
    lrs = lr_sequence(s, 6, metrics=[1.0, 0.9, 0.9, 0.9, 0.9, 0.9])
    assert close(lrs, [1.0, 1.0, 0.1, 0.1, 0.1, 0.05, 0.05])
    s = sched.ReduceLROnPlateau(make_sgd((1.0,)), threshold=0.1, threshold_mode="abs", patience=0)
    assert lr_sequence(s, 3, metrics=[1.0, 0.95, 0.85]) == [1.0, 1.0, 0.1, 0.1]   # 0.95 is not 0.1 better
    s.step(tinynn.tensor(0.1))                                                     # a tensor metric is fine
    for make, message in [(lambda: sched.ReduceLROnPlateau(make_sgd(), factor=1.0), "Factor should be < 1.0."),
                          (lambda: sched.ReduceLROnPlateau(make_sgd(), mode="x"), "mode x is unknown!"),
                          (lambda: sched.ReduceLROnPlateau(make_sgd(), threshold_mode="x"), "threshold mode x is"),
                          (lambda: sched.ReduceLROnPlateau(make_sgd(), min_lr=[0, 0]), "expected 1 min_lrs, got 2")]:
        with pytest.raises(ValueError, match=message):
            make()


def test_sequential_and_chained_values():
    opt = make_sgd((1.0,))
    s = sched.SequentialLR(opt, [sched.ConstantLR(opt, factor=0.1, total_iters=2),
                                 sched.ExponentialLR(opt, gamma=0.5)], milestones=[2])
    assert close(lr_sequence(s, 4), [0.1, 0.1, 1.0, 0.5, 0.25])
    opt = make_sgd((1.0,))
    s = sched.ChainedScheduler([sched.ConstantLR(opt, factor=0.1, total_iters=2), sched.ExponentialLR(opt, gamma=0.5)])
    assert close(lr_sequence(s, 3), [0.1, 0.05, 0.25, 0.125])
    other = make_sgd()
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        sched.ChainedScheduler([sched.ExponentialLR(opt, 0.5), sched.ExponentialLR(other, 0.5)])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        sched.SequentialLR(opt, [sched.ReduceLROnPlateau(opt), sched.ExponentialLR(opt, 0.5)], [1])
    with pytest.raises(ValueError, match="number of milestones to be equal to 2"):
        sched.SequentialLR(opt, [sched.ExponentialLR(opt, 0.5), sched.ExponentialLR(opt, 0.5)], [1, 2])


def test_validation_errors():
    for make, message in [
        (lambda: sched.ConstantLR(make_sgd(), factor=2.0), "Constant multiplicative factor expected to be between 0"),
        (lambda: sched.LinearLR(make_sgd(), start_factor=0.0), "Starting multiplicative factor expected to be greater"),
        (lambda: sched.LinearLR(make_sgd(), end_factor=1.5), "Ending multiplicative factor expected to be between"),
        (lambda: sched.OneCycleLR(make_sgd(), 0.1, total_steps=0), "Expected positive integer total_steps, but got 0"),
        (lambda: sched.OneCycleLR(make_sgd(), 0.1, total_steps=5, pct_start=1), "Expected float between 0 and 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            make()


def test_get_lr_outside_step_warns_and_get_last_lr_does_not():
    s = sched.ExponentialLR(make_sgd(), gamma=0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.optimizer.step()
        s.step()
        assert s.get_last_lr() == [0.05]


def test_closed_form_when_stepping_to_an_epoch():
    s = sched.CosineAnnealingLR(make_sgd((1.0,)), T_max=4)
    s.optimizer.step()
    with pytest.warns(UserWarning, match="deprecated"):
        s.step(2)
    assert s.get_last_lr()[0] == pytest.approx(0.5)
    s = sched.MultiStepLR(make_sgd((1.0,)), milestones=[1, 3], gamma=0.5)
    s.optimizer.step()
    with pytest.warns(UserWarning):
        s.step(3)
    assert s.get_last_lr() == [0.25]


# ----------------------------------------------------------- state_dict: resume where it stopped
FACTORIES = {
    "StepLR": lambda m, opt: m.StepLR(opt, step_size=3, gamma=0.7),
    "MultiStepLR": lambda m, opt: m.MultiStepLR(opt, milestones=[3, 7, 7, 20], gamma=0.5),
    "ExponentialLR": lambda m, opt: m.ExponentialLR(opt, gamma=0.93),
    "CosineAnnealingLR": lambda m, opt: m.CosineAnnealingLR(opt, T_max=12),
    "CosineAnnealingLR-eta_min": lambda m, opt: m.CosineAnnealingLR(opt, T_max=7, eta_min=0.003),
    "LambdaLR": lambda m, opt: m.LambdaLR(opt, lambda e: 1.0 / (1 + e) ** 0.5),
    "LambdaLR-groups": lambda m, opt: m.LambdaLR(opt, [lambda e: 0.9 ** e, lambda e: 1 + e % 3]),
    "MultiplicativeLR": lambda m, opt: m.MultiplicativeLR(opt, lambda e: 0.97 if e % 2 else 0.91),
    "LinearLR": lambda m, opt: m.LinearLR(opt, start_factor=0.1, end_factor=0.9, total_iters=17),
    "LinearLR-down": lambda m, opt: m.LinearLR(opt, start_factor=1.0, end_factor=0.2, total_iters=30),
    "ConstantLR": lambda m, opt: m.ConstantLR(opt, factor=0.3, total_iters=9),
    "PolynomialLR": lambda m, opt: m.PolynomialLR(opt, total_iters=40, power=2.0),
    "CosineAnnealingWarmRestarts": lambda m, opt: m.CosineAnnealingWarmRestarts(opt, T_0=7),
    "CosineAnnealingWarmRestarts-mult": lambda m, opt: m.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2,
                                                                                     eta_min=0.001),
    "CyclicLR": lambda m, opt: m.CyclicLR(opt, base_lr=0.01, max_lr=[0.1, 0.3], step_size_up=4, step_size_down=6),
    "CyclicLR-exp": lambda m, opt: m.CyclicLR(opt, 0.01, 0.1, step_size_up=5, mode="exp_range", gamma=0.97),
    "CyclicLR-tri2": lambda m, opt: m.CyclicLR(opt, 0.01, 0.1, step_size_up=3, mode="triangular2",
                                               cycle_momentum=False),
    "OneCycleLR": lambda m, opt: m.OneCycleLR(opt, max_lr=0.5, total_steps=50),
    "OneCycleLR-linear": lambda m, opt: m.OneCycleLR(opt, max_lr=[0.5, 0.2], epochs=5, steps_per_epoch=10,
                                                     pct_start=0.25, anneal_strategy="linear", div_factor=10.0,
                                                     final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9),
    "OneCycleLR-three_phase": lambda m, opt: m.OneCycleLR(opt, max_lr=0.5, total_steps=50, three_phase=True),
    "OneCycleLR-no-momentum": lambda m, opt: m.OneCycleLR(opt, max_lr=0.5, total_steps=60, cycle_momentum=False),
    "SequentialLR": lambda m, opt: m.SequentialLR(opt, [m.LinearLR(opt, start_factor=0.2, total_iters=5),
                                                        m.CosineAnnealingLR(opt, T_max=20),
                                                        m.ExponentialLR(opt, gamma=0.9)], milestones=[5, 25]),
    "ChainedScheduler": lambda m, opt: m.ChainedScheduler([m.ConstantLR(opt, factor=0.5, total_iters=4),
                                                           m.ExponentialLR(opt, gamma=0.95),
                                                           m.MultiStepLR(opt, milestones=[10, 30])]),
}


def drive(scheduler, steps, metrics=None):
    """All groups' lr and momentum (or beta1) after construction and after each step."""
    def snapshot():
        groups = scheduler.optimizer.param_groups
        return ([g["lr"] for g in groups], scheduler.get_last_lr(),
                [g["betas"][0] if "betas" in g else g.get("momentum") for g in groups])
    out = [snapshot()]
    for i in range(steps):
        scheduler.optimizer.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[i])
        out.append(snapshot())
    return out


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_state_dict_resumes_the_sequence(name):
    make = FACTORIES[name]
    opt = make_sgd((0.1, 0.05))
    full = drive(make(sched, opt), 40)
    opt = make_sgd((0.1, 0.05))
    first = make(sched, opt)
    drive(first, 15)
    saved = tinynn.load(_roundtrip({"opt": opt.state_dict(), "sched": first.state_dict()}))
    fresh_opt = make_sgd((0.1, 0.05))
    resumed = make(sched, fresh_opt)
    fresh_opt.load_state_dict(saved["opt"])
    resumed.load_state_dict(saved["sched"])
    rest = drive(resumed, 25)
    assert rest[1:] == full[16:]


def test_plateau_state_dict_round_trip():
    metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.8, 0.81, 0.82, 0.83, 0.84]
    full = drive(sched.ReduceLROnPlateau(make_sgd(), patience=1, cooldown=1), 10, metrics)
    first = sched.ReduceLROnPlateau(make_sgd(), patience=1, cooldown=1)
    drive(first, 4, metrics)
    resumed = sched.ReduceLROnPlateau(make_sgd(), patience=1, cooldown=1)
    resumed.load_state_dict(tinynn.load(_roundtrip(first.state_dict())))
    resumed.optimizer.param_groups[0]["lr"] = first.optimizer.param_groups[0]["lr"]
    assert drive(resumed, 6, metrics[4:])[1:] == full[5:]


def _roundtrip(obj):
    import io
    buffer = io.BytesIO()
    tinynn.save(obj, buffer)
    buffer.seek(0)
    return buffer


# ----------------------------------------------------------- vs torch, step for step
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_matches_torch_step_for_step(name, optimizer):
    torch = pytest.importorskip("torch")
    make_opt = make_sgd if optimizer == "SGD" else make_adam
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # torch's step-order warnings are not the point here
        ours = FACTORIES[name](sched, make_opt((0.1, 0.05)))
        theirs = FACTORIES[name](torch.optim.lr_scheduler, make_opt((0.1, 0.05), lib=torch))
        got, want = drive(ours, 50), drive(theirs, 50)
    assert got == want                                  # the same floats, computed in the same order
    assert set(ours.state_dict()) == set(theirs.state_dict())
    groups_o, groups_t = ours.optimizer.param_groups, theirs.optimizer.param_groups
    for g_o, g_t in zip(groups_o, groups_t):
        assert {k: v for k, v in g_o.items() if k != "params" and k in g_t} == \
            {k: v for k, v in g_t.items() if k != "params" and k in g_o}


def test_one_cycle_raises_past_the_end_like_torch():
    torch = pytest.importorskip("torch")
    for lib, m in ((None, sched), (torch, torch.optim.lr_scheduler)):
        s = m.OneCycleLR(make_sgd(lib=lib), max_lr=0.1, total_steps=3)
        for _ in range(3):
            s.optimizer.step()
            s.step()
        with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
            s.step()


@pytest.mark.parametrize("options", [dict(), dict(mode="max", factor=0.5, patience=2, cooldown=1),
                                     dict(threshold=0.05, threshold_mode="abs", patience=0, min_lr=[0.02, 0.001]),
                                     dict(mode="max", threshold=0.2, factor=0.3, patience=1, eps=0.01)])
def test_reduce_lr_on_plateau_matches_torch(options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    metrics = list(np.cumsum(rng.standard_normal(50)) * 0.1 + 5.0)
    ours = sched.ReduceLROnPlateau(make_sgd((0.1, 0.05)), **options)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(make_sgd((0.1, 0.05), lib=torch), **options)
    assert drive(ours, 50, metrics) == drive(theirs, 50, metrics)
    assert set(ours.state_dict()) == set(theirs.state_dict())
