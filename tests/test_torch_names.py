"""What programs print, as torch prints it: autograd node names, ``tinynn.Size``, 0-d tensors in
f-strings, ``tinynn.return_types``, ``<class 'tinynn.Tensor'>`` and the generator's repr.

The comparisons with torch skip without it; the literal expectations run everywhere.
"""
import copy
import pickle
import re

import numpy as np
import pytest

import tinynn
import tinynn.nn.functional as F
from tinynn.autograd import Function

# ------------------------------------------------------------ autograd node names
# Each expression runs with T = tinynn or torch (F = T.nn.functional) on the inputs below; the node that
# made its result must carry the same name in both.
NAME_CASES = [
    # arithmetic
    "a + b", "a + 1", "1 + a", "a.add(b, alpha=2)", "a - b", "a - 1", "1 - a", "1.0 - a", "a.sub(b, alpha=2)",
    "a * b", "a * 2", "2 * a", "a / b", "a / 2", "2 / p", "-a", "a ** 2", "a ** b", "2 ** a", "p ** 0.5",
    "T.pow(a, 3)", "a ** T.tensor(2.0, dtype=T.float64)", "T.pow(2, a)",
    # matrix products: torch's matmul picks dot, mv, mm, or folds / batches and reshapes
    "a @ c", "v @ w", "a @ v", "v @ c", "T.mm(a, c)", "T.bmm(a3, c3)", "a3 @ c3", "a3 @ c", "T.dot(v, w)",
    "T.outer(v, w)", "T.matmul(a, c)", "a3 @ v", "v @ c3", "a @ c3", "a.matmul(c)",
    # pointwise
    "a.exp()", "p.log()", "p.sqrt()", "a.abs()", "a.tanh()", "a.relu()", "a.sigmoid()", "a.clamp(-0.5, 0.5)",
    "a.clamp(min=0)", "a.clamp(max=0)", "T.clamp_min(a, 0)", "T.clamp_max(a, 0)", "a.square()", "a.log1p()",
    "a.expm1()", "T.exp2(a)", "a.sin()", "a.cos()", "p.reciprocal()", "p.rsqrt()", "T.erf(a)", "a.floor()",
    "a.ceil()", "a.trunc()", "a.round()", "T.maximum(a, b)", "T.minimum(a, b)", "T.max(a, b)", "T.min(a, b)",
    # reductions
    "a.sum()", "a.sum(0)", "a.sum(dim=(0, 1))", "a.sum(1, keepdim=True)", "a.mean()", "a.mean(0)",
    "a.mean((0, 1))", "a.var()", "a.var(0)", "a.std()", "a.std(dim=1, keepdim=True)", "a.max()",
    "a.max(0).values", "a.max(dim=1, keepdim=True)[0]", "a.min()", "a.min(1)[0]", "a.amax(0)", "a.amin()",
    "a.prod()", "a.prod(0)", "a.cumsum(0)", "T.logsumexp(a, 1)", "a.norm()", "T.norm(a, dim=1)",
    "a.norm(p=1)", "T.norm(a, 'nuc')", "T.linalg.vector_norm(a)", "T.linalg.vector_norm(a, float('inf'))",
    "T.linalg.norm(a)", "T.linalg.norm(a, 2)", "T.linalg.matrix_norm(a)", "T.linalg.matrix_norm(a, 'nuc')",
    "T.linalg.matrix_norm(a, 2)", "T.linalg.matrix_norm(a, -2)", "T.linalg.matrix_norm(a, 1)",
    "T.linalg.matrix_norm(a, float('inf'))",
    # shapes
    "a.view(6)", "a.view(-1)", "a.reshape(6)", "a.reshape(2, 3)", "a.t().reshape(6)", "a.t().reshape(3, 2)",
    "a[:, :2].reshape(4)", "a.flatten()", "a3.flatten(1)", "a.t().flatten()", "s.flatten()", "a.unsqueeze(0)",
    "u.squeeze()", "u.squeeze(0)", "a.squeeze(0)", "T.ones(1, 1, 3, requires_grad=True).squeeze((0, 1))",
    "a.permute(1, 0)", "a.transpose(0, 1)", "a.t()", "v.t()", "a.T", "v.T", "a.t().contiguous()",
    "a[None].expand(2, 2, 3)", "v.expand_as(a)", "a.clone()", "T.cat([a, b])", "T.stack([a, b])",
    "T.where(a > 0, a, b)", "T.where(a > 0, a, 0.0)", "T.flip(a, [0])", "T.roll(a, 1, 0)", "T.roll(a, 1)",
    "a.repeat(2, 1)", "T.tile(a, (2,))", "a.to(T.float32)", "a.float()", "a.half()", "a.type(T.float32)",
    "T.split(a, 1)[0]", "a.split(2, 1)[1]", "T.split(a, [1, 2], 1)[0]", "T.chunk(a, 3, 1)[0]",
    "T.unbind(a)[0]", "a.unbind(1)[0]", "T.narrow(a, 1, 0, 2)",
    # indexing: the last step torch takes names the node; an index tensor makes it IndexBackward0
    "a[0]", "a[-1]", "a[1:]", "a[:]", "a[::2]", "a[:, 1]", "a[..., 0]", "a[None]", "a[0, 1]", "a[:, :2]",
    "a[0, 1:]", "a[1:, 0]", "a[0, :]", "a[:, :]", "a[...]", "a[()]", "a[0, None]", "a[None, 0]", "a[:, None]",
    "a[0, 0:3]", "a[0, 0:100]", "a[0, -3:]", "a[:, 0:3]", "a[T.tensor(1)]", "a[T.tensor(1), 0]",
    "a[idx]", "a[mask]", "a[[0, 1]]", "a[:, idx]", "a[idx, idx]", "a[idx, 0]",
    "T.gather(a, 1, gidx)", "a.scatter(1, gidx, b)", "a.scatter_add(1, gidx, b)", "T.index_select(a, 1, idx)",
    "a.masked_fill(mask2, 0.0)",
    # linear algebra and ordering
    "T.diag(v)", "T.diag(sq)", "T.tril(a)", "T.triu(a)", "T.einsum('ij,jk->ik', a, c)", "T.einsum('i,i->', v, w)",
    "T.einsum('ij->ji', a)", "T.einsum('ij->', a)", "T.einsum('ii->i', sq)", "T.einsum('ii', sq)",
    "T.einsum('i,j->ij', v, w)", "T.einsum('ij,j->ij', a, v)", "T.einsum('bij,bjk->bik', a3, c3)",
    "T.sort(a).values", "T.sort(a, 0)[0]", "T.topk(a, 2).values", "a.median()", "a.median(1).values",
    "a.median(0)[0]",
    # nn.functional
    "F.softmax(a, 1)", "F.log_softmax(a, 1)", "a.softmax(1)", "F.softmin(a, 1)", "F.leaky_relu(a)", "F.elu(a)",
    "F.selu(a)", "F.celu(a)", "F.gelu(a)", "F.gelu(a, approximate='tanh')", "F.silu(a)", "F.softplus(a)",
    "F.hardtanh(a)", "F.relu6(a)", "F.softsign(a)", "F.hardswish(a)", "F.hardsigmoid(a)", "F.mish(a)",
    "F.logsigmoid(a)", "F.prelu(a, pw)", "F.relu(a)", "F.tanh(a)", "F.sigmoid(a)", "F.tanhshrink(a)",
    "F.adaptive_avg_pool2d(img, 1)", "F.adaptive_avg_pool2d(img, 4)", "F.adaptive_avg_pool2d(img, (1, 2))",
    "F.adaptive_max_pool2d(img, 4)", "F.adaptive_max_pool2d(img, 1)", "F.adaptive_avg_pool1d(img[0], 2)",
    "F.adaptive_max_pool1d(img[0], 2)", "F.embedding(emb_idx, c)",
    "F.batch_norm(img, None, None, training=True)", "F.batch_norm(img, rm, rv, training=False)",
    "F.batch_norm(img, rm, rv, bw, bb, training=False)", "F.batch_norm(img[:, :, 0, 0], None, None, training=True)",
    "F.layer_norm(a, (3,))", "F.layer_norm(a, (3,), lw, lb)", "F.conv2d(img, cw)", "F.conv2d(img, cw, cb, padding=1)",
    "F.conv1d(img[:, :, 0], cw[:, :, 0])", "F.dropout(a, 0.5)", "F.dropout(a, 1.0)", "F.dropout2d(img, 0.5)",
    "F.linear(a, lin_w, lin_b)", "F.linear(a, lin_w)", "F.linear(v, lin_w, lin_b)", "F.linear(v, lin_w)",
    "F.linear(a3, lin_w, lin_b)", "F.linear(a3, lin_w)",
    "F.max_pool2d(img, 2)", "F.max_pool2d(img, 3, 2, 1)", "F.avg_pool2d(img, 2)", "F.avg_pool1d(img[0], 2)",
    "F.max_pool1d(img[0], 2)",
    # losses
    "F.nll_loss(a, tgt)", "F.nll_loss(a, tgt, reduction='none')", "F.cross_entropy(a, tgt)",
    "F.cross_entropy(a, tgt, reduction='sum')", "F.cross_entropy(a, tgt, label_smoothing=0.1)",
    "F.cross_entropy(a, b.softmax(1))", "F.cross_entropy(a, b.softmax(1), reduction='sum')",
    "F.cross_entropy(a, b.softmax(1), reduction='none')", "F.mse_loss(a, b)", "F.mse_loss(a, b, reduction='none')",
    "F.l1_loss(a, b)", "F.l1_loss(a, b, reduction='sum')", "F.l1_loss(a, b, reduction='none')",
    "F.smooth_l1_loss(a, b)", "F.smooth_l1_loss(a, b, beta=0.0)", "F.huber_loss(a, b)",
    "F.binary_cross_entropy(a.sigmoid(), b.sigmoid())", "F.binary_cross_entropy_with_logits(a, b.sigmoid())",
    "F.kl_div(a, b.softmax(1), reduction='batchmean')", "F.kl_div(a, b.softmax(1), reduction='sum')",
    "F.kl_div(a, b.softmax(1), reduction='none')", "F.kl_div(a, b, reduction='none', log_target=True)",
    # in place on graph tensors
    "a.clone().add_(1)", "a.clone().mul_(2)", "a.clone().relu_()", "a.clone().sigmoid_()", "a.clone().tanh_()",
    "a.clone().clamp_(0, 1)", "a.clone().zero_()", "a.clone().fill_(2.0)", "a.clone().fill_(T.tensor(1.0))",
    "a.clone().masked_fill_(mask2, 0.0)", "a.clone().neg_()", "a.clone().sub_(b)", "a.clone().div_(2)",
    "a.clone().pow_(2)", "a.clone().exp_()",
]

# Expressions where torch's name has a namespace: torch's is "torch::...", tinynn's "tinynn::..."
NAMESPACED_CASES = ["a.clone().copy_(b)", "set_first_row(a.clone())"]


def _inputs(T) -> dict:
    """The same float64 leaves (and index tensors) for tinynn and torch."""
    rng = np.random.default_rng(0)

    def leaf(*shape, positive=False):
        x = rng.standard_normal(shape)
        return T.tensor(np.abs(x) + 0.5 if positive else x, requires_grad=True)

    def set_first_row(y):
        y[0] = 1.0
        return y

    return dict(
        T=T, F=T.nn.functional, set_first_row=set_first_row,
        a=leaf(2, 3), b=leaf(2, 3), c=leaf(3, 4), v=leaf(3), w=leaf(3), p=leaf(2, 3, positive=True),
        a3=leaf(2, 2, 3), c3=leaf(2, 3, 4), u=leaf(1, 3), sq=leaf(3, 3), s=leaf(), img=leaf(2, 3, 6, 6), pw=leaf(1),
        lw=leaf(3), lb=leaf(3), cw=leaf(4, 3, 3, 3), cb=leaf(4), lin_w=leaf(5, 3), lin_b=leaf(5), bw=leaf(3),
        bb=leaf(3), rm=T.zeros(3, dtype=T.float64), rv=T.ones(3, dtype=T.float64), idx=T.tensor([0, 1]),
        mask=T.tensor([True, False]), mask2=T.tensor([[True, False, True], [False, False, True]]),
        gidx=T.tensor([[0, 1], [2, 0]]), tgt=T.tensor([0, 2]), emb_idx=T.tensor([0, 2, 1]),
    )


def _node_name(T, case: str):
    y = eval(case, _inputs(T))
    return None if y.grad_fn is None else y.grad_fn.name()


@pytest.mark.filterwarnings("ignore")       # torch's warnings (kl_div 'mean', x.T on 1-D)
@pytest.mark.parametrize("case", NAME_CASES)
def test_node_names_are_torchs(case):
    torch = pytest.importorskip("torch")
    assert _node_name(tinynn, case) == _node_name(torch, case)


@pytest.mark.parametrize("case", NAMESPACED_CASES)
def test_namespaced_node_names_are_torchs_with_tinynn_for_torch(case):
    torch = pytest.importorskip("torch")
    assert _node_name(tinynn, case) == _node_name(torch, case).replace("torch::", "tinynn::")


LITERAL_NAMES = {
    "a + b": "AddBackward0", "a * 2": "MulBackward0", "1 - a": "RsubBackward1", "a ** b": "PowBackward1",
    "a @ c": "MmBackward0", "a.sum()": "SumBackward0", "a.sum(0)": "SumBackward1", "a.mean()": "MeanBackward0",
    "a.mean(1)": "MeanBackward1", "a[0]": "SelectBackward0", "a[1:]": "SliceBackward0", "a[idx]": "IndexBackward0",
    "a.view(6)": "ViewBackward0", "a.t().reshape(6)": "UnsafeViewBackward0", "a.t()": "TBackward0",
    "a.permute(1, 0)": "PermuteBackward0", "a.tanh()": "TanhBackward0", "a.relu()": "ReluBackward0",
    "a.sigmoid()": "SigmoidBackward0", "a.square()": "PowBackward0", "a.log1p()": "Log1PBackward0",
    "F.linear(a, lin_w, lin_b)": "AddmmBackward0", "F.linear(a, lin_w)": "MmBackward0",
    "F.conv2d(img, cw, cb)": "ConvolutionBackward0", "F.max_pool2d(img, 2)": "MaxPool2DWithIndicesBackward0",
    "F.mse_loss(a, b)": "MseLossBackward0", "F.nll_loss(a, tgt)": "NllLossBackward0",
    "F.cross_entropy(a, tgt)": "NllLossBackward0", "F.log_softmax(a, 1)": "LogSoftmaxBackward0",
    "F.softmax(a, 1)": "SoftmaxBackward0", "F.batch_norm(img, None, None, training=True)": "NativeBatchNormBackward0",
    "F.leaky_relu(a)": "LeakyReluBackward0", "a.pow(2)": "PowBackward0", "2 ** a": "PowBackward2",
    "a.clone().copy_(b)": "tinynn::autograd::CopyBackwards", "set_first_row(a.clone())": "tinynn::autograd::CopySlices",
}


@pytest.mark.parametrize("case", sorted(LITERAL_NAMES))
def test_node_names_literal(case):
    assert _node_name(tinynn, case) == LITERAL_NAMES[case]


def test_dropout_node_is_torchs_for_the_device(device):
    x = tinynn.ones(4, 5, dtype=tinynn.float64, device=device, requires_grad=True)
    # torch's CPU dropout multiplies by the mask; on a GPU it runs its fused native_dropout
    expected = "MulBackward0" if device == "cpu" else "NativeDropoutBackward0"
    assert F.dropout(x, 0.5).grad_fn.name() == expected


def test_node_repr_and_tensor_suffix_as_torch():
    a = tinynn.tensor([[1.0, 2.0]], requires_grad=True)
    y = a * 2
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert repr(y) == "tensor([[2., 4.]], grad_fn=<MulBackward0>)"
    z = a.clone()
    z[0, 0] = 5.0
    assert repr(z).endswith("grad_fn=<CopySlices>)")            # the short name, as torch prints it
    assert re.fullmatch(r"<CopySlices object at 0x[0-9a-f]+>", repr(z.grad_fn))
    leaf_node = y.grad_fn.next_functions[0][0]
    assert leaf_node.name() == "tinynn::autograd::AccumulateGrad"
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(leaf_node))


def test_node_keeps_its_name_after_backward_frees_it():
    a = tinynn.ones(2, 3, requires_grad=True)
    loss = a.sum(0).mean()
    node = loss.grad_fn.next_functions[0][0]
    loss.backward()
    assert node.name() == "SumBackward1" and loss.grad_fn.name() == "MeanBackward0"
    assert repr(loss) == "tensor(2., grad_fn=<MeanBackward0>)"


def test_module_graph_prints_as_in_the_tutorial():
    """The 60-minute blitz walks loss.grad_fn back: MseLossBackward0, AddmmBackward0 (names as torch's)."""
    tinynn.manual_seed(0)
    net = tinynn.nn.Sequential(tinynn.nn.Linear(4, 3), tinynn.nn.ReLU(), tinynn.nn.Linear(3, 2))
    loss = tinynn.nn.MSELoss()(net(tinynn.randn(5, 4)), tinynn.randn(5, 2))
    assert type(loss.grad_fn).__name__ == "MSELossFunction"        # the Function, named apart from nn.MSELoss
    assert loss.grad_fn.name() == "MseLossBackward0"
    addmm = loss.grad_fn.next_functions[0][0]
    assert addmm.name() == "AddmmBackward0"
    (bias, _), (relu, _), (weight, _) = addmm.next_functions     # torch's addmm(bias, x, W^T) order
    assert bias.variable is net[2].bias and relu.name() == "ReluBackward0" and weight.variable is net[2].weight
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(bias))


def test_linear_lists_its_inputs_in_torchs_order():
    torch = pytest.importorskip("torch")

    def walk(T):
        T.manual_seed(0)
        net = T.nn.Sequential(T.nn.Linear(4, 3), T.nn.ReLU(), T.nn.Linear(3, 2))
        loss = T.nn.MSELoss()(net(T.randn(5, 4)), T.randn(5, 2))
        addmm = loss.grad_fn.next_functions[0][0]
        names = [type(node).__name__ if type(node).__name__ == "AccumulateGrad" else node.name()
                 for node, _ in addmm.next_functions]
        return [loss.grad_fn.name(), addmm.name()] + names[:2]      # (torch's third goes through TBackward0)

    assert walk(tinynn) == walk(torch) == ["MseLossBackward0", "AddmmBackward0", "AccumulateGrad", "ReluBackward0"]


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad_output


def test_custom_function_nodes_are_named_after_the_class():
    y = Cube.apply(tinynn.tensor([1.0, 2.0], requires_grad=True))
    assert y.grad_fn.name() == "CubeBackward"
    assert re.fullmatch(r"<tinynn\.autograd\.function\.CubeBackward object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert repr(y).endswith("grad_fn=<CubeBackward>)")


def test_custom_function_names_match_torch():
    torch = pytest.importorskip("torch")

    class TorchCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    class TinyCube(Function):
        forward, backward = TorchCube.forward, TorchCube.backward

    theirs = TorchCube.apply(torch.ones(2, requires_grad=True)).grad_fn
    ours = TinyCube.apply(tinynn.ones(2, requires_grad=True)).grad_fn
    assert ours.name().replace("Tiny", "Torch") == theirs.name()
    assert _masked(repr(ours)).replace("Tiny", "Torch") == _masked(repr(theirs)).replace("torch.", "tinynn.")


def _masked(text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x?", text)


# ------------------------------------------------------------------------------ Size
def test_shape_and_size_are_a_tinynn_size():
    x = tinynn.ones(3, 4)
    assert type(x.shape) is tinynn.Size and type(x.size()) is tinynn.Size and isinstance(x.shape, tuple)
    assert repr(x.shape) == str(x.size()) == f"{x.shape}" == "tinynn.Size([3, 4])"
    assert repr(tinynn.tensor(2.0).shape) == "tinynn.Size([])"
    assert x.size(1) == 4 and type(x.size(1)) is int and type(x.size(-1)) is int
    assert x.shape == (3, 4) and x.shape != [3, 4] and hash(x.shape) == hash((3, 4))
    a, b = x.shape
    assert (a, b) == (3, 4) and x.shape[0] == 3 and type(x.shape[0]) is int


def test_size_behaves_as_torch_size():
    s = tinynn.Size([3, 4])
    assert type(s[1:]) is tinynn.Size and s[1:] == (4,) and repr(s[0:0]) == "tinynn.Size([])"
    assert repr(s + (5,)) == "tinynn.Size([3, 4, 5])" and repr((5,) + s) == "tinynn.Size([5, 3, 4])"
    assert repr(s * 2) == repr(2 * s) == "tinynn.Size([3, 4, 3, 4])"
    assert s.numel() == 12 and tinynn.Size([]).numel() == 1 and tinynn.Size().numel() == 1
    assert repr(tinynn.Size([True, np.int64(2), tinynn.tensor(5)])) == "tinynn.Size([1, 2, 5])"
    assert list(s) == [3, 4] and s.count(3) == 1 and s.index(4) == 1
    with pytest.raises(TypeError, match=r"tinynn.Size\(\) takes an iterable of 'int' \(item 0 is 'float'\)"):
        tinynn.Size([2.5])
    with pytest.raises(TypeError, match="can only concatenate tuple"):
        s + [5]
    for copied in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s), copy.copy(s)):
        assert type(copied) is tinynn.Size and copied == s
    assert repr(type(s)) == "<class 'tinynn.Size'>"


def test_size_prints_as_torchs():
    torch = pytest.importorskip("torch")
    for shape in [(), (0,), (3,), (2, 3), (1, 2, 3, 4)]:
        ours, theirs = tinynn.zeros(shape).shape, torch.zeros(shape).shape
        assert repr(ours) == repr(theirs).replace("torch.", "tinynn.")
        assert repr(ours[1:]) == repr(theirs[1:]).replace("torch.", "tinynn.")
        assert repr(ours + (7,)) == repr(theirs + (7,)).replace("torch.", "tinynn.")
        assert ours.numel() == theirs.numel()


def test_shapes_work_as_arguments():
    x = tinynn.ones(2, 3)
    assert tinynn.zeros(x.shape).shape == (2, 3) and x.view(x.shape).shape == (2, 3)
    assert tinynn.ones(6).reshape(x.size()).shape == (2, 3) and np.zeros(x.shape).shape == (2, 3)
    assert x.new_zeros(x.shape).shape == (2, 3) and tinynn.randn(*x.shape).shape == (2, 3)


# ------------------------------------------------------------------------ __format__
def test_zero_dim_tensor_in_an_f_string_is_its_number():
    assert f"{tinynn.tensor(5)}" == "5" and f"Label: {tinynn.tensor(5)}" == "Label: 5"
    assert f"{tinynn.tensor(2.5)}" == "2.5" and f"{tinynn.tensor(True)}" == "True"
    assert f"{tinynn.tensor(2.5):.3f}" == "2.500" and f"{tinynn.tensor(5):>4}" == "   5"
    assert f"{tinynn.tensor(2.5, requires_grad=True) * 2}" == "5.0"
    assert f"{tinynn.tensor([1.5, 2.5])}" == "tensor([1.5000, 2.5000])" == format(tinynn.tensor([1.5, 2.5]))
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{tinynn.tensor([2.5]):.3f}"


def test_format_as_torchs():
    torch = pytest.importorskip("torch")
    values = [5, 2.5, True, [2.5], [1.5, 2.5], [[1.0]], 0.1, 1e-10]
    for value in values:
        for spec in ["", ".3f", ">6", "e"]:
            outcomes = []
            for T in (tinynn, torch):
                try:
                    outcomes.append(format(T.tensor(value), spec).replace("torch.", "tinynn."))
                except (TypeError, ValueError) as error:
                    outcomes.append(type(error).__name__)
            assert outcomes[0] == outcomes[1], (value, spec)


# ------------------------------------------------------------- classes and the generator
def test_classes_print_as_torchs():
    assert repr(type(tinynn.ones(2))) == repr(tinynn.Tensor) == "<class 'tinynn.Tensor'>"
    p = tinynn.nn.Parameter(tinynn.ones(2))
    assert repr(type(p)) == "<class 'tinynn.nn.parameter.Parameter'>"
    assert re.fullmatch(r"<tinynn\.Generator object at 0x[0-9a-f]+>", repr(tinynn.manual_seed(1)))
    for original in (tinynn.ones(2, requires_grad=True), p):        # pickling and copying still work
        for copied in (pickle.loads(pickle.dumps(original)), copy.deepcopy(original)):
            assert type(copied) is type(original) and copied.tolist() == [1.0, 1.0]
            assert copied.requires_grad


def test_class_names_match_torch():
    torch = pytest.importorskip("torch")
    assert repr(tinynn.Tensor) == repr(torch.Tensor).replace("torch.", "tinynn.")
    assert repr(tinynn.nn.Parameter) == repr(torch.nn.Parameter).replace("torch.", "tinynn.")
    assert _masked(repr(tinynn.manual_seed(1))) == _masked(repr(torch.manual_seed(1))).replace("torch._C.",
                                                                                                 "tinynn.")


# ------------------------------------------------------------------------ return_types
def test_named_results_print_as_torchs():
    x = tinynn.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]])
    result = tinynn.max(x, 1)
    assert type(result) is tinynn.return_types.max and isinstance(result, tuple)
    assert repr(result) == str(result) == ("tinynn.return_types.max(\nvalues=tensor([5., 4.]),\n"
                                           "indices=tensor([1, 0]))")
    values, indices = result
    assert values is result.values is result[0] and indices is result.indices is result[1]
    assert result.n_fields == 2
    for name, make in [("min", lambda: x.min(1)), ("sort", lambda: x.sort()), ("topk", lambda: x.topk(1)),
                       ("median", lambda: x.median(1))]:
        assert type(make()) is getattr(tinynn.return_types, name)
        assert repr(make()).startswith(f"tinynn.return_types.{name}(\nvalues=")
    out = (tinynn.empty(0), tinynn.empty(0, dtype=tinynn.int64))
    assert type(tinynn.max(x, 1, out=out)) is tinynn.return_types.max_out
    assert type(tinynn.return_types.max((values, indices))) is tinynn.return_types.max
    with pytest.raises(TypeError, match=r"takes a 2-sequence \(1-sequence given\)"):
        tinynn.return_types.max((values,))
    for copied in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result)):
        assert type(copied) is tinynn.return_types.max and copied.values.tolist() == [5.0, 4.0]


def test_named_results_match_torch():
    torch = pytest.importorskip("torch")
    data = [[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]]
    calls = ["T.max(x, 1)", "T.min(x, 0, keepdim=True)", "T.sort(x)", "T.sort(x, 0, descending=True)",
             "T.topk(x, 2)", "T.median(x, 1)", "x.max(dim=1)", "T.sort(T.tensor(3.0))",
             "T.max(x * 1, 1)"]
    for call in calls:
        ours = eval(call, {"T": tinynn, "x": tinynn.tensor(data, requires_grad=True)})
        theirs = eval(call, {"T": torch, "x": torch.tensor(data, requires_grad=True)})
        assert repr(ours) == repr(theirs).replace("torch.", "tinynn."), call
        assert type(ours).__name__ == type(theirs).__name__
