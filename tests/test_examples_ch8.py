"""The book's chapter-8 networks (examples/cifar2_models.py), cifar2_conv.py --model, predict.py and cifar2_compare.py.

The end-to-end runs use the tiny learnable CIFAR-10 of test_examples.py (its ``data_dir``
fixture and ``run_script``); the comparisons with PyTorch skip without it.
"""
import io
import re
import sys

import numpy as np
import pytest
from PIL import Image

import tinynn
from conftest import CUDA
from test_examples import EXAMPLES, data_dir, epoch_losses, run_script  # noqa: F401 (data_dir is a fixture)

# the book's figures (dlwpt-code p1ch8), with n_chans1=32 and, for NetResDeep, any n_blocks (one shared block)
PARAMETERS = {"net": 18_090, "netwidth": 38_386, "dropout": 38_386, "batchnorm": 38_482, "depth": 16_130,
              "res": 16_130, "resdeep": 75_810}
TITLES = {"net": "Net", "netwidth": "NetWidth", "dropout": "NetDropout", "batchnorm": "NetBatchNorm",
          "depth": "NetDepth", "res": "NetRes", "resdeep": "NetResDeep"}


def example_module(name: str):
    """Import the examples' module ``name`` (examples/ is not a package)."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture(scope="module")
def models():
    """The examples' cifar2_models module."""
    return example_module("cifar2_models")


# ------------------------------------------------------------------ the classes
def test_parameter_counts_are_the_books(models):
    assert list(models.CONV_MODELS) == list(PARAMETERS)
    for name, count in PARAMETERS.items():
        model = models.CONV_MODELS[name]()
        assert type(model).__name__ == TITLES[name] == models.CONV_MODELS[name].title
        assert sum(p.numel() for p in model.parameters()) == count, name
    for n_blocks in (1, 3, 100):                 # the blocks share their weights, as in the book
        assert sum(p.numel() for p in models.NetResDeep(n_blocks=n_blocks).parameters()) == 75_810
    assert models.CONV_MODELS["resdeep"].lr == 3e-3
    assert {spec.lr for name, spec in models.CONV_MODELS.items() if name != "resdeep"} == {1e-2}


def test_resdeep_repeats_one_block_initialised_as_the_book_says(models):
    tinynn.manual_seed(0)
    model = models.NetResDeep(n_chans1=32, n_blocks=4)
    blocks = list(model.resblocks)
    assert len(blocks) == 4 and all(block is blocks[0] for block in blocks)
    assert [k for k in model.state_dict() if k.startswith("resblocks.")][:5] == [
        "resblocks.0.conv.weight", "resblocks.0.batch_norm.weight", "resblocks.0.batch_norm.bias",
        "resblocks.0.batch_norm.running_mean", "resblocks.0.batch_norm.running_var"]
    block = blocks[0]
    assert block.conv.bias is None
    weights = block.conv.weight.detach().numpy()
    assert weights.std() == pytest.approx(np.sqrt(2 / (32 * 9)), rel=0.05)    # kaiming_normal_, relu gain
    assert abs(weights.mean()) < 0.005
    assert np.all(block.batch_norm.weight.detach().numpy() == 0.5)
    assert np.all(block.batch_norm.bias.detach().numpy() == 0)


def book_classes():
    """The book's classes in PyTorch, as dlwpt-code/p1ch8/1_convolution.ipynb writes them (name -> constructor).

    Written out independently of examples/cifar2_models.py, so that a departure from the
    book there shows up as a difference in the comparisons below.
    """
    torch = pytest.importorskip("torch")
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(16, 8, kernel_size=3, padding=1)
            self.fc1 = nn.Linear(8 * 8 * 8, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
            out = F.max_pool2d(torch.tanh(self.conv2(out)), 2)
            out = out.view(-1, 8 * 8 * 8)
            out = torch.tanh(self.fc1(out))
            return self.fc2(out)

    class NetWidth(nn.Module):
        def __init__(self, n_chans1=32):
            super().__init__()
            self.n_chans1 = n_chans1
            self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
            self.fc1 = nn.Linear(8 * 8 * n_chans1 // 2, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
            out = F.max_pool2d(torch.tanh(self.conv2(out)), 2)
            out = out.view(-1, 8 * 8 * self.n_chans1 // 2)
            out = torch.tanh(self.fc1(out))
            return self.fc2(out)

    class NetDropout(nn.Module):
        def __init__(self, n_chans1=32):
            super().__init__()
            self.n_chans1 = n_chans1
            self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
            self.conv1_dropout = nn.Dropout2d(p=0.4)
            self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
            self.conv2_dropout = nn.Dropout2d(p=0.4)
            self.fc1 = nn.Linear(8 * 8 * n_chans1 // 2, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
            out = self.conv1_dropout(out)
            out = F.max_pool2d(torch.tanh(self.conv2(out)), 2)
            out = self.conv2_dropout(out)
            out = out.view(-1, 8 * 8 * self.n_chans1 // 2)
            out = torch.tanh(self.fc1(out))
            return self.fc2(out)

    class NetBatchNorm(nn.Module):
        def __init__(self, n_chans1=32):
            super().__init__()
            self.n_chans1 = n_chans1
            self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
            self.conv1_batchnorm = nn.BatchNorm2d(num_features=n_chans1)
            self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
            self.conv2_batchnorm = nn.BatchNorm2d(num_features=n_chans1 // 2)
            self.fc1 = nn.Linear(8 * 8 * n_chans1 // 2, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            out = self.conv1_batchnorm(self.conv1(x))
            out = F.max_pool2d(torch.tanh(out), 2)
            out = self.conv2_batchnorm(self.conv2(out))
            out = F.max_pool2d(torch.tanh(out), 2)
            out = out.view(-1, 8 * 8 * self.n_chans1 // 2)
            out = torch.tanh(self.fc1(out))
            return self.fc2(out)

    class NetDepth(nn.Module):
        def __init__(self, n_chans1=32):
            super().__init__()
            self.n_chans1 = n_chans1
            self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
            self.conv3 = nn.Conv2d(n_chans1 // 2, n_chans1 // 2, kernel_size=3, padding=1)
            self.fc1 = nn.Linear(4 * 4 * n_chans1 // 2, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
            out = F.max_pool2d(torch.relu(self.conv2(out)), 2)
            out = F.max_pool2d(torch.relu(self.conv3(out)), 2)
            out = out.view(-1, 4 * 4 * self.n_chans1 // 2)
            out = torch.relu(self.fc1(out))
            return self.fc2(out)

    class NetRes(nn.Module):
        def __init__(self, n_chans1=32):
            super().__init__()
            self.n_chans1 = n_chans1
            self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1)
            self.conv3 = nn.Conv2d(n_chans1 // 2, n_chans1 // 2, kernel_size=3, padding=1)
            self.fc1 = nn.Linear(4 * 4 * n_chans1 // 2, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
            out = F.max_pool2d(torch.relu(self.conv2(out)), 2)
            out1 = out
            out = F.max_pool2d(torch.relu(self.conv3(out)) + out1, 2)
            out = out.view(-1, 4 * 4 * self.n_chans1 // 2)
            out = torch.relu(self.fc1(out))
            return self.fc2(out)

    class ResBlock(nn.Module):
        def __init__(self, n_chans):
            super().__init__()
            self.conv = nn.Conv2d(n_chans, n_chans, kernel_size=3, padding=1, bias=False)
            self.batch_norm = nn.BatchNorm2d(num_features=n_chans)
            torch.nn.init.kaiming_normal_(self.conv.weight, nonlinearity='relu')
            torch.nn.init.constant_(self.batch_norm.weight, 0.5)
            torch.nn.init.zeros_(self.batch_norm.bias)

        def forward(self, x):
            out = self.conv(x)
            out = self.batch_norm(out)
            out = torch.relu(out)
            return out + x

    class NetResDeep(nn.Module):
        def __init__(self, n_chans1=32, n_blocks=10):
            super().__init__()
            self.n_chans1 = n_chans1
            self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
            self.resblocks = nn.Sequential(*(n_blocks * [ResBlock(n_chans=n_chans1)]))
            self.fc1 = nn.Linear(8 * 8 * n_chans1, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
            out = self.resblocks(out)
            out = F.max_pool2d(out, 2)
            out = out.view(-1, 8 * 8 * self.n_chans1)
            out = torch.relu(self.fc1(out))
            return self.fc2(out)

    return {"net": Net, "netwidth": NetWidth, "dropout": NetDropout, "batchnorm": NetBatchNorm,
            "depth": NetDepth, "res": NetRes, "resdeep": lambda: NetResDeep(n_blocks=3)}


def test_same_layers_outputs_and_gradients_as_the_books_classes_in_pytorch(models):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    book = book_classes()
    same_source = models.torch_versions()           # what cifar2_compare.py --compare-torch trains
    assert tinynn.nn.Conv2d is not torch.nn.Conv2d and models.nn is tinynn.nn     # nothing swapped for good
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 32, 32)).astype(np.float32)
    y = np.array([0, 1, 1, 0])
    for name in PARAMETERS:
        theirs = book[name]()
        ours = models.CONV_MODELS[name](None, 3)
        twin = same_source.CONV_MODELS[name](None, 3)
        assert isinstance(twin, torch.nn.Module) and type(twin).__name__ == type(theirs).__name__
        assert repr(ours) == repr(twin) == repr(theirs)           # the layers and their settings (p=0.4, ...)
        twin.load_state_dict(theirs.state_dict())
        twin.eval()
        theirs.eval()
        np.testing.assert_allclose(twin(torch.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                                   atol=1e-6)
        theirs.train()
        assert sum(p.numel() for p in theirs.parameters()) == PARAMETERS[name]
        ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
        assert list(ours_sd) == list(theirs_sd), name
        assert all(tuple(ours_sd[k].shape) == tuple(theirs_sd[k].shape) for k in ours_sd), name
        ours.load_state_dict({k: tinynn.tensor(v.numpy()) for k, v in theirs_sd.items()})
        for mode in ("train", "eval"):
            if name == "dropout" and mode == "train":
                continue                                # random masks: the two generators differ
            getattr(ours, mode)()
            getattr(theirs, mode)()
            out_ours, out_theirs = ours(tinynn.tensor(x)), theirs(torch.tensor(x))
            np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), atol=2e-5)
            tinynn.nn.functional.cross_entropy(out_ours, tinynn.tensor(y)).backward()
            torch.nn.functional.cross_entropy(out_theirs, torch.tensor(y)).backward()
            grads = dict(ours.named_parameters())
            for key, p in theirs.named_parameters():
                # float32 sums of 4 x 32 x 32 products, in another order than torch's: equal to 1e-4 of the largest
                scale = float(p.grad.abs().max())
                np.testing.assert_allclose(grads[key].grad.numpy(), p.grad.numpy(), atol=2e-5 + 1e-4 * scale, err_msg=key)
            ours.zero_grad()
            theirs.zero_grad()
        for key, value in theirs.state_dict().items():            # batch norms' running statistics too
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), atol=1e-6, err_msg=key)


def test_l2_penalty_step_matches_the_books_training_loop_l2reg(models):
    torch = pytest.importorskip("torch")
    common = example_module("cifar2_common")
    theirs = models.torch_versions().Net(4)
    ours = models.Net(4)
    ours.load_state_dict({k: tinynn.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 2, size=8)
    l2_lambda = 0.5                                 # large, so that the penalty dominates the step
    # the book's training_loop_l2reg, one step on the whole batch
    optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1)
    loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
    loss = loss + l2_lambda * sum(p.pow(2.0).sum() for p in theirs.parameters())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    # the example's loop: one epoch of one batch
    args = type("Args", (), {"epochs": 1, "batch_size": 8, "graph": None})()
    data = (tinynn.tensor(x), tinynn.tensor(y))
    common.train(ours, tinynn.nn.CrossEntropyLoss(), tinynn.optim.SGD(ours.parameters(), lr=0.1), data, data,
                 args, False, tinynn.device("cpu"), l2=l2_lambda)
    mine = dict(ours.named_parameters())
    for key, p in theirs.named_parameters():
        np.testing.assert_allclose(mine[key].detach().numpy(), p.detach().numpy(), atol=1e-5, err_msg=key)
    expected = sum(float((p.detach().numpy().astype(np.float64) ** 2).sum()) for p in ours.parameters())
    assert common.l2_penalty(ours).item() == pytest.approx(expected, rel=1e-5)


# ------------------------------------------------------------------ progress within an epoch
class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def test_progress_line_is_rewritten_in_place_on_a_terminal_only():
    common = example_module("cifar2_common")
    now = [0.0]
    for tty in (True, False):
        stream, now[0] = FakeTerminal(tty), 0.0
        progress = common.EpochProgress(3, 20, 100, stream=stream, delay=2.0, interval=0.5, clock=lambda: now[0])
        calls = []

        def loss():
            calls.append(1)
            return 0.25

        progress.update(10, loss)                    # before the delay: nothing
        assert stream.getvalue() == "" and not calls
        now[0] = 2.5
        progress.update(40, loss)
        now[0] = 2.7                                 # within the interval: not redrawn
        progress.update(41, loss)
        now[0] = 3.5
        progress.update(60, loss)
        progress.clear()
        if not tty:
            assert stream.getvalue() == "" and not calls
            continue
        text = stream.getvalue()
        assert len(calls) == 2 and "\n" not in text
        frames = text.split("\r")
        assert frames[1].startswith("Epoch   3/20  step 40/100  loss 0.2500    2.5 s, about 4 s left")
        assert frames[2].startswith("Epoch   3/20  step 60/100  loss 0.2500    3.5 s, about 2 s left")
        assert frames[3] == " " * len(frames[2].rstrip()) and frames[4] == ""


# ------------------------------------------------------------------ cifar2_conv.py --model, then predict.py
def _picture(tmp_path):
    picture = tmp_path / "me.png"
    Image.new("RGB", (48, 40), (30, 90, 200)).save(picture)
    return picture


@pytest.mark.parametrize("model", list(PARAMETERS))
def test_each_model_trains_from_the_conv_example_and_predicts(model, data_dir, tmp_path, monkeypatch, capsys):
    saved = tmp_path / f"{model}.pt"
    extra = ["--blocks", "2"] if model == "resdeep" else []
    code, out, err = run_script("cifar2_conv.py", ["--model", model, "--epochs", "1", "--batch-size", "32",
                                                   "--data-dir", data_dir, "--no-download", "--save", saved]
                                + extra, monkeypatch, capsys)
    assert code == 0, err
    assert f"Model: {PARAMETERS[model]:,} parameters\n{TITLES[model]}(" in out
    lr = "0.003" if model == "resdeep" else "0.01"
    assert f"Optimizer: SGD, lr {lr}, weight decay 0\n" in out
    assert len(epoch_losses(out)) == 1 and "\r" not in out
    assert re.fullmatch(r"Validation accuracy: [01]\.\d{4}", out.strip().splitlines()[-1])

    picture = _picture(tmp_path)
    args = [saved, picture] + (["--model", model] if model in ("depth", "res") else [])
    code, out, err = run_script("predict.py", args, monkeypatch, capsys)
    assert code == 0, err
    found = re.search(r"me\.png: (airplane|bird) +\(airplane ([0-9.]+), bird ([0-9.]+)\)", out)
    assert found and float(found.group(2)) + float(found.group(3)) == pytest.approx(1, abs=2e-3)


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="no CUDA device and no CuPy stand-in")
def test_new_layers_train_on_the_gpu_path(data_dir, tmp_path, monkeypatch, capsys):
    for model in ("dropout", "batchnorm", "res", "resdeep"):
        args = ["--model", model, "--device", "gpu", "--epochs", "1", "--batch-size", "32", "--l2", "1e-3",
                "--data-dir", data_dir, "--no-download"] + (["--blocks", "2"] if model == "resdeep" else [])
        code, out, err = run_script("cifar2_conv.py", args, monkeypatch, capsys)
        assert code == 0, err
        assert "Device: cuda" in out and len(epoch_losses(out)) == 1, out


def test_predict_builds_what_the_file_holds(models, tmp_path, monkeypatch, capsys):
    predict = example_module("predict")
    tinynn.manual_seed(0)
    for name, kwargs, expected in [("netwidth", {}, "Net"), ("dropout", {"width": 6}, "Net"),
                                   ("batchnorm", {"width": 4}, "NetBatchNorm"),
                                   ("resdeep", {"width": 5, "n_blocks": 3}, "NetResDeep")]:
        original = models.CONV_MODELS[name](**kwargs).eval()
        state = original.state_dict()
        built, flatten = predict.model_for(state)
        assert type(built).__name__ == expected and not flatten
        built.load_state_dict(state)
        x = tinynn.randn(2, 3, 32, 32)
        with tinynn.no_grad():
            np.testing.assert_allclose(built.eval()(x).numpy(), original(x).numpy(), atol=1e-6)
    assert len(predict.model_for(models.NetResDeep(5, 3).state_dict())[0].resblocks) == 3

    depth = models.NetDepth()
    with pytest.raises(predict.UsageError, match="--model depth or --model res"):
        predict.model_for(depth.state_dict())
    as_res, _ = predict.model_for(depth.state_dict(), "res")
    assert type(as_res).__name__ == "NetRes"
    as_depth, _ = predict.model_for(depth.state_dict(), "depth")
    assert type(as_depth).__name__ == "NetDepth"

    unshared = models.NetResDeep(4, 2).state_dict()
    unshared["resblocks.1.conv.weight"] = unshared["resblocks.1.conv.weight"] + 1
    with pytest.raises(predict.UsageError, match="blocks hold different weights"):
        predict.model_for(unshared)
    with pytest.raises(predict.UsageError, match="holds no res model"):
        predict.model_for(models.fc_model().state_dict(), "res")

    model_file = tmp_path / "depth.pt"
    tinynn.save(depth.state_dict(), model_file)
    code, _, err = run_script("predict.py", [model_file, _picture(tmp_path)], monkeypatch, capsys)
    assert code == 2 and "--model depth or --model res" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_script("predict.py", ["--model", "batchnorm", model_file, _picture(tmp_path)],
                              monkeypatch, capsys)
    assert code == 2 and "does not fit the model" in err


def test_l2_option_penalises_the_loss(data_dir, monkeypatch, capsys):
    common_args = ["--epochs", "1", "--batch-size", "32", "--data-dir", data_dir, "--no-download", "--width", "4"]
    code, plain, err = run_script("cifar2_conv.py", common_args, monkeypatch, capsys)
    assert code == 0, err
    code, penalised, err = run_script("cifar2_conv.py", common_args + ["--l2", "0.5"], monkeypatch, capsys)
    assert code == 0, err
    assert "L2 penalty 0.5 added to the loss" in penalised
    # the penalty (0.5 * sum of squares, about 0.5 * 45 at width 4) is counted in the printed loss
    assert epoch_losses(penalised)[0] > epoch_losses(plain)[0] + 5


# ------------------------------------------------------------------ cifar2_compare.py
def test_compare_prints_a_table_and_draws_the_figure(data_dir, tmp_path, monkeypatch, capsys):
    out_png = tmp_path / "models.png"
    code, out, err = run_script("cifar2_compare.py", ["--models", "net", "batchnorm", "l2reg", "--epochs", "1",
                                                      "--batch-size", "32", "--data-dir", data_dir,
                                                      "--no-download", "--out", out_png], monkeypatch, capsys)
    assert code == 0, err
    rows = re.findall(r"^\| (\w+) \| ([\d,]+) \| ([01]\.\d{4}) \| ([01]\.\d{4}) \| ([\d.]+) \|$", out, flags=re.M)
    assert [(name, count) for name, count, *_ in rows] == [("net", "18,090"), ("batchnorm", "38,482"),
                                                           ("l2reg", "18,090")]
    assert "| model | parameters | train acc | val acc | seconds |" in out
    assert "L2 penalty 0.001" in out and len(epoch_losses(out)) == 3
    with Image.open(out_png) as picture:
        assert picture.format == "PNG" and picture.width > 300
        colors = {c for _, c in picture.convert("RGB").getcolors(1 << 20)}
    assert {(31, 119, 180), (255, 127, 14)} <= colors          # the training and validation bars
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []     # no temporary left


def test_compare_with_pytorch(data_dir, tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    out_png = tmp_path / "both.png"
    code, out, err = run_script("cifar2_compare.py", ["--models", "res", "resdeep", "--blocks", "2", "--epochs", "1",
                                                      "--batch-size", "32", "--data-dir", data_dir,
                                                      "--no-download", "--out", out_png, "--compare-torch"],
                                monkeypatch, capsys)
    assert code == 0, err
    assert "| PyTorch train acc | PyTorch val acc | PyTorch seconds |" in out
    rows = re.findall(r"^\| (\w+) \| ([\d,]+) \|(?: [01]\.\d{4} \|){2} [\d.]+ \|(?: [01]\.\d{4} \|){2} [\d.]+ \|$",
                      out, flags=re.M)
    assert rows == [("res", "16,130"), ("resdeep", "75,810")]
    assert len(re.findall(r"^PyTorch epoch +1/1 ", out, flags=re.M)) == 2
    with Image.open(out_png) as picture:
        colors = {c for _, c in picture.convert("RGB").getcolors(1 << 20)}
    assert {(31, 119, 180), (255, 127, 14), (158, 199, 232), (255, 191, 134)} <= colors


# ------------------------------------------------------------------ bad input: one line, exit status 2
@pytest.mark.parametrize("script, args, message", [
    ("cifar2_conv.py", ["--model", "batchnorm", "--width", "7"], "--width must be an even number from 2 to 1024"),
    ("cifar2_conv.py", ["--model", "resdeep", "--width", "0"], "--width must be a number from 1 to 1024"),
    ("cifar2_conv.py", ["--model", "res", "--blocks", "3"], "--blocks is for --model resdeep only, not res"),
    ("cifar2_conv.py", ["--model", "resdeep", "--blocks", "0"], "--blocks must be from 1 to 1000"),
    ("cifar2_conv.py", ["--l2", "nan"], "--l2 must be a finite number >= 0"),
    ("cifar2_conv.py", ["--l2", "-1"], "--l2 must be a finite number >= 0"),
    ("cifar2_conv.py", ["--model", "depth", "--lr", "0"], "--lr must be a finite number > 0"),
    ("cifar2_compare.py", ["--models", "net", "res", "net"], "--models lists net more than once"),
    ("cifar2_compare.py", ["--epochs", "-1"], "--epochs must be >= 0"),
    ("cifar2_compare.py", ["--blocks", "0"], "--blocks must be from 1 to 1000"),
    ("cifar2_compare.py", ["--out", "{tmp}"], "is a directory"),
    ("cifar2_compare.py", ["--out", "{tmp}/missing/m.png"], "does not exist"),
])
def test_bad_input_is_refused_before_training(script, args, message, data_dir, tmp_path, monkeypatch, capsys):
    args = [str(a).replace("{tmp}", str(tmp_path)) for a in args]
    code, out, err = run_script(script, args + ["--data-dir", data_dir, "--no-download"], monkeypatch, capsys)
    assert code == 2 and message in err and "Traceback" not in err, err
    assert "Epoch" not in out and len(err.strip().splitlines()) == 1


def test_unknown_model_names_and_missing_pytorch(data_dir, tmp_path, monkeypatch, capsys):
    code, _, err = run_script("cifar2_conv.py", ["--model", "resnet50"], monkeypatch, capsys)
    assert code == 2 and "invalid choice: 'resnet50'" in err
    code, _, err = run_script("cifar2_compare.py", ["--models", "vgg"], monkeypatch, capsys)
    assert code == 2 and "invalid choice: 'vgg'" in err
    monkeypatch.setitem(sys.modules, "torch", None)              # as if PyTorch were not installed
    code, out, err = run_script("cifar2_compare.py", ["--compare-torch", "--data-dir", data_dir, "--no-download",
                                                      "--out", tmp_path / "m.png"], monkeypatch, capsys)
    assert code == 2 and err.strip() == "error: --compare-torch needs PyTorch, which is not installed"
    assert not (tmp_path / "m.png").exists()
