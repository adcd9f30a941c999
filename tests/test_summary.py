"""``tinynn.summary``: rows, totals, the printed table, and hooks taken off afterwards."""
import sys
from pathlib import Path

import pytest

import tinynn
import tinynn.nn as nn
from tinynn.utils.summary import LayerSummary, ModelSummary

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from cifar2_models import Net, deep_model, fc_model  # noqa: E402


def all_hooks(model):
    return [h for m in model.modules() for h in (*m._forward_hooks.values(), *m._forward_pre_hooks.values())]


def test_fc_model_rows_and_totals(capsys):
    model = fc_model()
    s = tinynn.summary(model, (3072,))
    assert isinstance(s, ModelSummary)
    assert [(r.layer, r.name, r.type, r.output_shape, r.params, r.trainable) for r in s.rows] == [
        ("Linear-1", "0", "Linear", [-1, 512], 1_573_376, True),
        ("Tanh-2", "1", "Tanh", [-1, 512], 0, False),
        ("Linear-3", "2", "Linear", [-1, 2], 1_026, True),
        ("LogSoftmax-4", "3", "LogSoftmax", [-1, 2], 0, False),
    ]
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (1_574_402, 1_574_402, 0)
    assert s.total_params == sum(p.numel() for p in model.parameters())
    printed = capsys.readouterr().out
    assert printed.strip() == str(s).strip()
    assert "            Linear-1                  [-1, 512]       1,573,376" in printed
    assert "Total params: 1,574,402" in printed
    assert "Params size (MB): 6.01" in printed
    assert all_hooks(model) == []


def test_conv_net_shows_only_its_modules(capsys):
    model = Net()
    s = tinynn.summary(model, (3, 32, 32))
    assert [(r.layer, r.output_shape, r.params) for r in s.rows] == [
        ("Conv2d-1", [-1, 16, 32, 32], 448),
        ("Conv2d-2", [-1, 8, 16, 16], 1_160),
        ("Linear-3", [-1, 32], 16_416),
        ("Linear-4", [-1, 2], 66),
    ]
    assert s.total_params == 18_090
    assert [r.name for r in s.rows] == ["conv1", "conv2", "fc1", "fc2"]
    expected = """\
----------------------------------------------------------------
        Layer (type)               Output Shape         Param #
================================================================
            Conv2d-1           [-1, 16, 32, 32]             448
            Conv2d-2            [-1, 8, 16, 16]           1,160
            Linear-3                   [-1, 32]          16,416
            Linear-4                    [-1, 2]              66
================================================================
Total params: 18,090
Trainable params: 18,090
Non-trainable params: 0
----------------------------------------------------------------
Input size (MB): 0.01
Forward/backward pass size (MB): 0.14
Params size (MB): 0.07
Estimated Total Size (MB): 0.22
----------------------------------------------------------------"""
    assert str(s) == expected
    assert capsys.readouterr().out == expected + "\n"
    assert all_hooks(model) == []


def test_deep_model_and_an_explicit_batch_size():
    s = tinynn.summary(deep_model(), (3072,), batch_size=64)
    assert s.total_params == 3_737_474
    assert [r.output_shape for r in s.rows][::2] == [[64, 1024], [64, 512], [64, 128], [64, 2]]
    assert s.input_size_mb == pytest.approx(64 * 3072 * 4 / 2**20)
    assert s.forward_backward_size_mb == pytest.approx(2 * 64 * 4 * (2 * (1024 + 512 + 128) + 2) / 2**20)


def test_frozen_parameters_are_non_trainable():
    model = fc_model()
    model[0].requires_grad_(False)
    s = tinynn.summary(model, (3072,))
    assert (s.trainable_params, s.non_trainable_params) == (1_026, 1_573_376)
    assert [r.trainable for r in s.rows] == [False, False, True, False]
    assert "Non-trainable params: 1,573,376" in str(s)


def test_hooks_are_removed_after_an_error_in_forward():
    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.out = nn.Linear(5, 2)   # wrong size: forward fails at the second layer

        def forward(self, x):
            return self.out(self.fc(x))

    model = Broken()
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        tinynn.summary(model, (4,))
    assert all_hooks(model) == []
    assert all(not m._forward_hooks for m in model.modules())


def test_the_users_own_hooks_are_kept(capsys):
    model = fc_model()
    seen = []
    handle = model[0].register_forward_hook(lambda m, args, out: seen.append(out.shape))
    tinynn.summary(model, (3072,))
    assert seen == [(2, 512)]              # the random batch of 2
    assert len(model[0]._forward_hooks) == 1
    handle.remove()


def test_several_inputs_a_shared_module_and_a_leaf_model(capsys):
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, a, b):
            return self.fc(self.fc(a)) + b

    s = tinynn.summary(Two(), [(3,), (3,)])
    assert [r.layer for r in s.rows] == ["Linear-1", "Linear-2"]     # one row per call
    assert s.total_params == 12                                       # each parameter once
    assert s.input_size_mb == pytest.approx(2 * 3 * 4 / 2**20)

    s = tinynn.summary(nn.Linear(3, 2), (3,))
    assert [(r.layer, r.name, r.output_shape, r.params) for r in s.rows] == [("Linear-1", "", [-1, 2], 8)]


def test_the_model_is_run_without_recording_a_graph(capsys):
    outs = []
    model = fc_model()
    model[3].register_forward_hook(lambda m, args, out: outs.append(out))
    tinynn.summary(model, (3072,))
    assert outs[0].grad_fn is None and not outs[0].requires_grad


@pytest.mark.parametrize("bad", [3072, "3072", (3, -1), [(3,), "x"], []])
def test_bad_input_size(bad):
    with pytest.raises(TypeError, match="input_size"):
        tinynn.summary(fc_model(), bad)


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        tinynn.summary(fc_model(), (3072,), batch_size=0)
    with pytest.raises(ValueError, match="dtypes"):
        tinynn.summary(fc_model(), (3072,), dtypes=[tinynn.float32, tinynn.float32])


def test_rows_are_plain_data():
    row = LayerSummary("Linear-1", "0", "Linear", [-1, 2], 6, True)
    assert row.params == 6 and row.output_shape == [-1, 2]
    with pytest.raises(AttributeError):
        row.params = 7


def test_model_and_device_must_agree():
    with pytest.raises(ValueError, match="model.to"):
        tinynn.summary(fc_model(), (3072,), device="cuda")


def test_on_each_device(device, capsys):
    model = Net().to(device)
    s = tinynn.summary(model, (3, 32, 32), device=device)
    assert s.total_params == 18_090 and s.rows[0].output_shape == [-1, 16, 32, 32]
    assert all_hooks(model) == []
