"""tinynn.nn.Module and the containers: registration, naming, state dicts, modes, devices, hooks, repr."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import tinynn
import tinynn.nn as nn
import tinynn.nn.functional as F


class Net(nn.Module):
    """The seeds' conv net, with pooling and activations called functionally."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 8, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(8 * 8 * 8, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(tinynn.tanh(self.conv1(x)), 2)
        out = F.max_pool2d(tinynn.tanh(self.conv2(out)), 2)
        out = out.view(-1, 8 * 8 * 8)
        out = tinynn.tanh(self.fc1(out))
        return self.fc2(out)


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.register_buffer("running", tinynn.zeros(2))
        self.register_buffer("scratch", tinynn.ones(3), persistent=False)

    def forward(self, x):
        return self.lin(x) + self.running


# ------------------------------------------------------------------ registration
def test_attributes_register_in_order_with_dotted_names():
    net = Net()
    assert [n for n, _ in net.named_children()] == ["conv1", "conv2", "fc1", "fc2"]
    assert [n for n, _ in net.named_parameters()] == [
        "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_modules()] == ["", "conv1", "conv2", "fc1", "fc2"]
    assert list(net.modules())[0] is net
    assert list(net.children()) == [net.conv1, net.conv2, net.fc1, net.fc2]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert [n for n, _ in net.named_parameters(prefix="model")][0] == "model.conv1.weight"
    assert list(net.fc1.named_parameters(recurse=False)) == [("weight", net.fc1.weight), ("bias", net.fc1.bias)]
    assert list(net.parameters(recurse=False)) == []


def test_sequential_names_and_state_dict_keys():
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2), nn.LogSoftmax(dim=1))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    nested = nn.Sequential(OrderedDict(body=nn.Sequential(nn.Linear(2, 2)), head=nn.Linear(2, 1)))
    assert list(nested.state_dict()) == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert nested.get_submodule("body.0") is nested.body[0]
    assert nested.get_submodule("") is nested
    with pytest.raises(AttributeError, match="missing"):
        nested.get_submodule("body.missing")


def test_reassigning_and_deleting_attributes():
    m = nn.Linear(2, 3)
    new_weight = nn.Parameter(tinynn.zeros(3, 2))
    m.weight = new_weight
    assert m.weight is new_weight and m._parameters["weight"] is new_weight
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = tinynn.zeros(3, 2)
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert "bias" not in m.state_dict()
    del m.weight
    assert list(m.parameters()) == []
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'weight'"):
        m.weight

    seq = nn.Sequential(nn.Linear(2, 2))
    seq.extra = nn.Tanh()
    assert [n for n, _ in seq.named_children()] == ["0", "extra"]
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'extra'"):
        seq.extra = 3
    seq.extra = None
    assert [n for n, _ in seq.named_children()] == ["0"]
    del seq.extra
    assert "extra" not in seq._modules

    # A plain attribute turned into a parameter / module moves to the registry.
    holder = nn.Module()
    holder.thing = 5
    holder.thing = nn.Parameter(tinynn.ones(1))
    assert "thing" not in holder.__dict__ and "thing" in holder._parameters
    with pytest.raises(TypeError, match="as parameter 'thing'"):     # as in torch
        holder.thing = nn.Linear(1, 1)
    holder.other = 5
    holder.other = nn.Linear(1, 1)
    assert "other" not in holder.__dict__ and "other" in holder._modules


def test_assigning_before_super_init_is_explained():
    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Forgetful()

    class ForgetfulToo(nn.Module):
        def __init__(self):
            self.size = 3

        def forward(self, x):
            return x

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first"):
        ForgetfulToo()(tinynn.ones(1))


def test_register_parameter_and_buffer_errors():
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", nn.Parameter(tinynn.ones(1)))
    with pytest.raises(KeyError, match="empty string"):
        m.register_buffer("", tinynn.ones(1))
    with pytest.raises(TypeError, match="cannot assign 'Tensor' object to parameter 'p'"):
        m.register_parameter("p", tinynn.ones(1))
    with pytest.raises(TypeError, match="cannot assign 'list' object to buffer 'b'"):
        m.register_buffer("b", [1.0])
    m.plain = 1
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", tinynn.ones(1))


def test_shared_parameters_are_counted_once():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(model.modules())) == 3

    tied = nn.Module()
    tied.a = nn.Linear(2, 2, bias=False)
    tied.b = nn.Linear(2, 2, bias=False)
    tied.b.weight = tied.a.weight
    assert len(list(tied.parameters())) == 1


def test_buffers_persistent_and_not():
    m = WithBuffers()
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert list(m.state_dict()) == ["running", "lin.weight", "lin.bias"]     # own entries first, as torch
    m.running = tinynn.ones(2)
    assert m.state_dict()["running"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="as buffer 'running'"):
        m.running = [1, 2]
    outer = nn.Sequential(m)
    assert [n for n, _ in outer.named_buffers()] == ["0.running", "0.scratch"]
    assert len(list(outer.buffers())) == 2


def test_dir_lists_registered_names():
    names = dir(Net())
    assert {"conv1", "fc2", "forward", "state_dict"} <= set(names)
    seq_names = dir(nn.Sequential(nn.Tanh()))
    assert "0" not in seq_names


# ------------------------------------------------------------------ state dicts
def test_state_dict_values_are_detached_and_share_memory():
    m = nn.Linear(3, 2)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["weight"].requires_grad and not isinstance(sd["weight"], nn.Parameter)
    assert sd["weight"].array is m.weight.array
    with tinynn.no_grad():
        m.weight.fill_(0.5)
    assert float(sd["weight"].sum()) == pytest.approx(3.0)
    kept = m.state_dict(keep_vars=True)
    assert kept["weight"] is m.weight


def test_load_state_dict_round_trip_copies_in_place():
    tinynn.manual_seed(0)
    src, dst = Net(), Net()
    weight_before = dst.fc1.weight
    array_before = dst.fc1.weight.array
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert dst.fc1.weight is weight_before and dst.fc1.weight.array is array_before
    x = tinynn.randn(2, 3, 32, 32)
    assert np.array_equal(src(x).detach().numpy(), dst(x).detach().numpy())
    # The copy is a copy: changing the source later does not change dst.
    with tinynn.no_grad():
        src.fc2.bias.fill_(7.0)
    assert not np.allclose(dst.fc2.bias.detach().numpy(), 7.0)


def test_load_state_dict_strict_errors_name_every_key():
    m = nn.Linear(2, 3)
    bad = {"weight": tinynn.zeros(2, 2), "foo": tinynn.zeros(1)}
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(bad)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict for Linear:")
    assert 'Missing key(s) in state_dict: "bias".' in message
    assert 'Unexpected key(s) in state_dict: "foo".' in message
    assert "size mismatch for weight: copying a param with shape (2, 2) from checkpoint, " \
           "the shape in current model is (3, 2)." in message
    # Shape mismatches are errors even when not strict (as in torch).
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        m.load_state_dict(bad, strict=False)


def test_load_state_dict_not_strict_returns_missing_and_unexpected():
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    sd = m.state_dict()
    partial = {"0.weight": sd["0.weight"], "0.bias": sd["0.bias"], "head.weight": tinynn.ones(1)}
    result = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)).load_state_dict(partial, strict=False)
    assert result.missing_keys == ["1.weight", "1.bias"]
    assert result.unexpected_keys == ["head.weight"]
    missing, unexpected = result
    assert missing == ["1.weight", "1.bias"]
    assert "missing_keys=['1.weight', '1.bias']" in repr(result)


def test_load_state_dict_accepts_numpy_and_casts_dtype():
    m = nn.Linear(2, 1)
    m.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.array([0.5])})
    assert m.weight.dtype == np.float32
    assert m.weight.tolist() == [[1.0, 2.0]] and m.bias.tolist() == [0.5]
    with pytest.raises(RuntimeError, match='parameter named "bias".*received str'):
        m.load_state_dict({"weight": np.zeros((1, 2)), "bias": "zero"})


def test_buffers_load_and_non_persistent_are_skipped():
    a, b = WithBuffers(), WithBuffers()
    a.running = tinynn.tensor([3.0, 4.0])
    b.load_state_dict(a.state_dict())
    assert b.running.tolist() == [3.0, 4.0]
    assert b.scratch.tolist() == [1.0, 1.0, 1.0]


# ------------------------------------------------------------- modes and grads
def test_train_eval_propagate_and_dropout_is_identity_in_eval():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.9)))
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    x = tinynn.randn(8, 4)
    with tinynn.no_grad():
        assert np.array_equal(model(x).numpy(), model[0](x).numpy())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model[2][0].training
    with pytest.raises(ValueError, match="boolean"):
        model.train("yes")


def test_zero_grad_to_none_or_zeros():
    m = nn.Linear(3, 2)
    m(tinynn.randn(4, 3)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is not None and float(m.weight.grad.abs().sum()) == 0.0
    m(tinynn.randn(4, 3)).sum().backward()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None


def test_requires_grad_freezes():
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    m[0].requires_grad_(False)
    assert [p.requires_grad for p in m.parameters()] == [False, False, True, True]
    m(tinynn.randn(3, 2)).sum().backward()
    assert m[0].weight.grad is None and m[1].weight.grad is not None


def test_apply_visits_children_then_self():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2)))
    seen = []
    assert model.apply(lambda mod: seen.append(type(mod).__name__)) is model
    assert seen == ["Linear", "Linear", "Sequential", "Sequential"]

    def init_zero(mod):
        if isinstance(mod, nn.Linear):
            nn.init.zeros_(mod.weight)

    model.apply(init_zero)
    assert all(float(m.weight.abs().sum()) == 0 for m in model.modules() if isinstance(m, nn.Linear))


# ---------------------------------------------------------------- devices, dtypes
def test_to_keeps_parameter_objects_so_optimizers_stay_valid():
    m = WithBuffers()
    params = list(m.parameters())
    opt = tinynn.optim.SGD(m.parameters(), lr=0.1)
    assert m.to("cpu") is m and m.cpu() is m
    assert list(m.parameters())[0] is params[0]
    m.double()
    assert all(p.dtype == np.float64 for p in m.parameters())
    assert m.running.dtype == np.float64
    before = m.lin.weight.detach().numpy().copy()
    m(tinynn.randn(2, 2, dtype=tinynn.float64)).sum().backward()
    assert m.lin.weight.grad.dtype == np.float64
    opt.step()
    assert not np.array_equal(before, m.lin.weight.detach().numpy())
    assert m.lin.weight.dtype == np.float64
    m.float()
    assert m.lin.weight.dtype == np.float32 and m.lin.weight.grad.dtype == np.float32
    m.to(dtype=tinynn.float64)
    assert m.lin.bias.dtype == np.float64
    m.to(tinynn.zeros(1))
    assert m.lin.bias.dtype == np.float32
    with pytest.raises(TypeError, match="floating point"):
        m.to(tinynn.int64)


def test_integer_buffers_keep_their_dtype_on_cast():
    m = nn.Module()
    m.register_buffer("count", tinynn.tensor([1, 2]))
    m.double()
    assert m.count.dtype == np.int64


@pytest.mark.skipif(tinynn.cuda.is_available(), reason="checks the error without a GPU")
def test_cuda_without_a_gpu_says_so():
    with pytest.raises(RuntimeError, match="cuda"):
        nn.Linear(2, 2).to("cuda")


def test_to_device_and_back_moves_in_place(device):
    m = Net()
    weight = m.fc1.weight
    opt = tinynn.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    m.to(device)
    assert m.fc1.weight is weight and m.fc1.weight.device.type == device
    x = tinynn.randn(2, 3, 32, 32).to(device)
    before = m.fc1.weight.detach().cpu().numpy().copy()
    m(x).sum().backward()
    opt.step()
    assert not np.array_equal(before, m.fc1.weight.detach().cpu().numpy())
    assert opt.state[weight]["momentum_buffer"].device.type == device
    m.cpu()
    assert m.fc1.weight.device.type == "cpu" and m.fc1.weight.grad.device.type == "cpu"


# -------------------------------------------------------------------------- hooks
def test_forward_hook_reads_activations_like_seed_003():
    activation = {}

    def get_activation(name):
        def hook(model, input, output):
            activation[name] = output.detach()
        return hook

    model = Net()
    model.conv1.register_forward_hook(get_activation("conv"))
    model.conv2.register_forward_hook(get_activation("conv2"))
    model(tinynn.randn(1, 3, 32, 32))
    assert activation["conv"].shape == (1, 16, 32, 32)
    assert activation["conv2"].shape == (1, 8, 16, 16)
    assert not activation["conv"].requires_grad


def test_hooks_can_replace_inputs_and_outputs_and_be_removed():
    m = nn.Identity()
    calls = []
    pre = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    post = m.register_forward_hook(lambda mod, args, out: out + 1)
    m.register_forward_hook(lambda mod, args, out: calls.append(("second", float(out))))
    m.register_forward_hook(lambda mod, args, out: calls.append(("first", float(out))), prepend=True)
    x = tinynn.tensor(3.0)
    assert float(m(x)) == 7.0
    assert calls == [("first", 6.0), ("second", 7.0)]
    pre.remove()
    post.remove()
    post.remove()                      # removing twice is harmless
    calls.clear()
    assert float(m(x)) == 3.0
    assert [c[0] for c in calls] == ["first", "second"]


def test_pre_hook_returning_a_single_value_and_kwargs_hooks():
    m = nn.Linear(2, 2)
    m.register_forward_pre_hook(lambda mod, args: tinynn.zeros(1, 2))
    assert np.allclose(m(tinynn.ones(1, 2)).detach().numpy(), m.bias.detach().numpy())

    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    s = Scale()
    seen = {}
    s.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 10.0}), with_kwargs=True)
    s.register_forward_hook(lambda mod, args, kwargs, out: seen.update(kwargs), with_kwargs=True)
    assert float(s(tinynn.tensor(2.0), factor=3.0)) == 20.0
    assert seen == {"factor": 10.0}


def test_hook_handle_is_a_context_manager():
    m = nn.Tanh()
    hits = []
    with m.register_forward_hook(lambda *a: hits.append(1)):
        m(tinynn.zeros(1))
    m(tinynn.zeros(1))
    assert hits == [1]
    assert not m._forward_hooks


# --------------------------------------------------------------------------- repr
def test_repr_in_torchs_format():
    model = nn.Sequential(nn.Linear(3072, 512), nn.Tanh(), nn.Linear(512, 2), nn.LogSoftmax(dim=1))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3072, out_features=512, bias=True)\n"
        "  (1): Tanh()\n"
        "  (2): Linear(in_features=512, out_features=2, bias=True)\n"
        "  (3): LogSoftmax(dim=1)\n"
        ")")
    nested = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.Sequential(nn.MaxPool2d(2), nn.Flatten()))
    assert repr(nested) == (
        "Sequential(\n"
        "  (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): Sequential(\n"
        "    (0): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "    (1): Flatten(start_dim=1, end_dim=-1)\n"
        "  )\n"
        ")")
    assert repr(Net()).startswith("Net(\n  (conv1): Conv2d(3, 16, kernel_size=(3, 3)")
    assert repr(nn.Module()) == "Module()"
    assert repr(nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Tanh()])) == (
        "ModuleList(\n  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n  (2): Tanh()\n)")


def test_multiline_extra_repr():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Tanh()

        def extra_repr(self):
            return "alpha=1\nbeta=2"

    assert repr(Custom()) == "Custom(\n  alpha=1\n  beta=2\n  (inner): Tanh()\n)"


def test_reprs_match_torch():
    torch = pytest.importorskip("torch")
    build = [
        lambda n: n.Sequential(n.Linear(3072, 512), n.Tanh(), n.Linear(512, 2), n.LogSoftmax(dim=1)),
        lambda n: n.Sequential(n.Conv2d(3, 16, 3, padding=1), n.Tanh(), n.MaxPool2d(2),
                               n.Sequential(n.Conv2d(16, 8, (3, 5), stride=2, dilation=2, groups=8, bias=False),
                                            n.AvgPool2d(2), n.Flatten()),
                               n.Dropout(0.25), n.ReLU(), n.ReLU(inplace=True), n.Sigmoid(), n.Softmax(dim=-1),
                               n.Identity(), n.Conv2d(1, 1, 3, padding="same"), n.Conv2d(1, 1, 3, padding="valid")),
        lambda n: n.ModuleList([n.Linear(2, 2) for _ in range(3)] + [n.Tanh(), n.Tanh()]),
        lambda n: n.CrossEntropyLoss(),
        lambda n: n.NLLLoss(),
        lambda n: n.MSELoss(),
        lambda n: n.Softmax(),
    ]
    for make in build:
        assert repr(make(nn)) == repr(make(torch.nn))
    assert repr(nn.Parameter(tinynn.ones(2))) == repr(torch.nn.Parameter(torch.ones(2)))


def test_missing_forward_is_explained():
    class NoForward(nn.Module):
        def forwad(self, x):
            return x

    with pytest.raises(NotImplementedError, match='NoForward.*missing the required "forward"'):
        NoForward()(tinynn.ones(1))


# ---------------------------------------------------------------------- Parameter
def test_parameter_basics():
    t = tinynn.ones(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, tinynn.Tensor) and p.requires_grad and p.is_leaf
    assert p.array is t.array
    assert repr(p).startswith("Parameter containing:\ntensor([[1., 1., 1.],")
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    out = p * 2
    assert type(out) is tinynn.Tensor and type(p.detach()) is tinynn.Tensor
    assert nn.Parameter().shape == (0,)
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(tinynn.tensor([1, 2]))


def test_deepcopy_copies_parameters():
    m = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    m[0](tinynn.ones(1, 2)).sum().backward()
    clone = copy.deepcopy(m)
    assert isinstance(clone[0].weight, nn.Parameter)
    assert clone[0].weight is not m[0].weight
    assert clone[0].weight.array is not m[0].weight.array
    assert np.array_equal(clone[0].weight.detach().numpy(), m[0].weight.detach().numpy())
    assert clone[0].weight.grad is not None
    with tinynn.no_grad():
        clone[0].weight.fill_(0)
    assert float(m[0].weight.abs().sum()) > 0


# --------------------------------------------------------------------- containers
def test_sequential_container_operations():
    a, b, c = nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b] and head[0] is a
    assert list(seq[1:].state_dict()) == ["2.weight", "2.bias"]     # slicing keeps the names
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    x = tinynn.randn(4, 2)
    assert np.allclose(seq(x).detach().numpy(), c(b(a(x))).detach().numpy())
    d = nn.Sigmoid()
    assert seq.append(d) is seq and seq[3] is d
    del seq[1]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"] and seq[1] is c
    seq[2] = nn.ReLU()
    assert isinstance(seq[2], nn.ReLU)
    seq.insert(0, nn.Identity())
    assert isinstance(seq[0], nn.Identity) and seq[1] is a
    assert seq.pop(0).__class__ is nn.Identity and len(seq) == 3
    del seq[1:]
    assert list(seq) == [a]
    named = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert named.hidden is named[0] and isinstance(named.act, nn.Tanh)
    assert "(hidden): Linear" in repr(named)


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.Tanh())
    layers.extend([nn.Linear(2, 1)])
    layers += [nn.Sigmoid()]
    assert len(layers) == 6 and isinstance(layers[-1], nn.Sigmoid)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3", "4"]
    layers.insert(1, nn.Identity())
    assert isinstance(layers[1], nn.Identity)
    with pytest.raises(TypeError, match="iterable"):
        layers.extend(nn.Linear(1, 1))
    with pytest.raises(NotImplementedError, match="forward"):
        layers(tinynn.ones(1))

    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(2))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    stack = Stack()
    assert list(stack.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert stack(tinynn.ones(3, 4)).shape == (3, 4)
