"""Arithmetic: + - * / ** @, unary minus, comparisons and in-place updates."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Function
from .._device import get_array_module, on_tensors_device
from .out import write_out
from .promotion import promote_tensors, quiet_float_errors


class Add(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy                     # d(a+b)/da = 1, d(a+b)/db = 1


class Sub(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, -gy                    # d(a-b)/da = 1, d(a-b)/db = -1


class Mul(Function):
    saves_output = False                        # backward reads the inputs, not the output

    def saved_input_positions(self):
        return [i for i in (0, 1) if self.needs_grad(1 - i)]   # a for dL/db, b for dL/da

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        return gy * self.b, gy * self.a   # d(ab)/da = b, d(ab)/db = a


@quiet_float_errors
class Div(Function):
    saves_output = False                        # backward reads the inputs, not the output

    def saved_input_positions(self):
        return [0, 1] if self.needs_grad(1) else [1]          # b for dL/da; a and b for dL/db

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        ga = gy / self.b                  # d(a/b)/da = 1/b
        return ga, -ga * self.a / self.b  # d(a/b)/db = -a/b^2


class Neg(Function):
    saved_inputs, saves_output = (), False      # backward reads neither inputs nor output

    def forward(self, a):
        return -a

    def backward(self, gy):
        return (-gy,)                     # d(-a)/da = -1


@quiet_float_errors
class Pow(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a ** b
        return self.y

    def backward(self, gy):
        a, b, y = self.a, self.b, self.y
        ga = gy * b * a ** (b - 1)        # d(a^b)/da = b a^(b-1)
        gb = None
        if self.needs_grad(1):
            if isinstance(a, (int, float)):       # a Python number base, as in 2 ** x: its log on the host
                log_a = math.log(a) if a > 0 else 0.0
            else:
                xp = get_array_module(y)
                log_a = xp.log(xp.where(a > 0, a, 1))   # (ln a taken as 0 where a <= 0)
            gb = gy * y * log_a                   # d(a^b)/db = a^b ln a
        return ga, gb


class MatMul(Function):
    saves_output = False                        # backward reads the inputs, not the output

    def saved_input_positions(self):
        return [i for i in (0, 1) if self.needs_grad(1 - i)]   # a for dL/db, b for dL/da

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        a2, b2, g2 = as_matrices(self.a, self.b, gy)
        ga = g2 @ b2.swapaxes(-1, -2)         # d(ab)/da = gy b^T
        gb = a2.swapaxes(-1, -2) @ g2         # d(ab)/db = a^T gy
        return as_input_shapes(ga, gb, self.a, self.b)


def as_matrices(a, b, gy) -> tuple:
    """``a``, ``b`` and the output gradient ``gy`` with vectors as matrices: a (n,) is (1, n), b (n,) is (n, 1)."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = gy.reshape(gy.shape + (1,)) if b.ndim == 1 else gy
    g2 = g2[..., None, :] if a.ndim == 1 else g2
    return a2, b2, g2


def as_input_shapes(ga, gb, a, b) -> tuple:
    """The gradients of ``as_matrices``' matrices back as the vectors ``a`` and ``b`` were (summed over any batch)."""
    if a.ndim == 1:
        ga = ga.reshape(-1, a.shape[0]).sum(0)
    if b.ndim == 1:
        gb = gb.reshape(-1, b.shape[0]).sum(0)
    return ga, gb


# ------------------------------------------------------------------ promotion
def _operand(x):
    """Turn NumPy scalars into Python numbers and lists into tensors."""
    if isinstance(x, np.generic):         # (np.float64 is also a float: check it first)
        return x.item()
    if isinstance(x, (Tensor, bool, int, float)):
        return x
    if isinstance(x, (list, tuple, np.ndarray)):
        from .._creation import tensor
        return tensor(x)
    if type(x).__module__.startswith("cupy"):
        return Tensor._wrap(x)
    raise TypeError(f"unsupported operand type for a tensor operation: {type(x).__name__}")


def _floating(x):
    """An integer/bool tensor as float32, as torch promotes it when meeting a float."""
    if isinstance(x, Tensor) and x.array.dtype.kind in "biu":
        return x.to(np.float32)
    return x


def _operands(a, b):
    a, b = _operand(a), _operand(b)
    if isinstance(b, float) and not isinstance(b, bool):
        a = _floating(a)
    if isinstance(a, float) and not isinstance(a, bool):
        b = _floating(b)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.array.dtype != b.array.dtype:
        a, b = promote_tensors(a, b)              # torch's rule: int64 + float32 is float32, not float64
    return a, b


def _scaled_by_alpha(b, alpha, a):
    """``alpha * b`` for add/sub's ``alpha=``, refusing a float alpha with integer tensors as torch."""
    if isinstance(alpha, float) and all(not isinstance(x, Tensor) or x.array.dtype.kind in "biu"
                                        for x in (a, b)):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
    b = _operand(b)
    return mul(b, alpha) if isinstance(b, Tensor) else b * alpha


def add(a, b, *, alpha=1, out=None) -> Tensor:
    """a + alpha * b with broadcasting."""
    if alpha != 1:
        b = _scaled_by_alpha(b, alpha, a)
    result = Add()(*_operands(a, b))
    return result if out is None else write_out(result, out, "add")


def sub(a, b, *, alpha=1, out=None) -> Tensor:
    """a - alpha * b with broadcasting."""
    if alpha != 1:
        b = _scaled_by_alpha(b, alpha, a)
    a, b = _operands(a, b)
    node = Sub() if isinstance(a, Tensor) else Sub().named("RsubBackward1")   # torch: 1 - x is rsub(x, 1)
    result = node(a, b)
    return result if out is None else write_out(result, out, "sub")


def mul(a, b, *, out=None) -> Tensor:
    """a * b with broadcasting."""
    result = Mul()(*_operands(a, b))
    return result if out is None else write_out(result, out, "mul")


def div(a, b, *, out=None) -> Tensor:
    """a / b with broadcasting; integer inputs give a float32 result (true division)."""
    a, b = _operands(a, b)
    if all(not isinstance(x, Tensor) or x.array.dtype.kind in "biu" for x in (a, b)):
        a = _floating(a) if isinstance(a, Tensor) else float(a)
        b = _floating(b) if isinstance(b, Tensor) else float(b)
    node = Div() if isinstance(a, Tensor) else Div().named("MulBackward0")    # torch: 2 / x is x.reciprocal() * 2
    result = node(a, b)
    return result if out is None else write_out(result, out, "div")


def neg(a, *, out=None) -> Tensor:
    """-a."""
    result = Neg()(a)
    return result if out is None else write_out(result, out, "neg")


def pow(a, b, *, out=None) -> Tensor:
    """a ** b (either may be a tensor)."""
    a, b = _operands(a, b)
    node = Pow()                      # torch's node: x ** 2 PowBackward0, x ** y PowBackward1, 2 ** x PowBackward2
    if isinstance(b, Tensor):
        node.named("PowBackward1" if isinstance(a, Tensor) else "PowBackward2")
    result = node(a, b)
    return result if out is None else write_out(result, out, "pow")


def matmul(a, b, *, out=None) -> Tensor:
    """Matrix product with NumPy's (and torch's) rules: vectors, matrices and broadcast batches."""
    a, b = _operand(a), _operand(b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, "
                           f"but they are {a.ndim}D and {b.ndim}D")
    k_a = a.shape[-1]
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k_a != k_b:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({'x'.join(map(str, a.shape))} and {'x'.join(map(str, b.shape))})")
    result = MatMul().named(_matmul_name(a, b))(a, b)
    return result if out is None else write_out(result, out, "matmul")


_SMALL_MATMUL_NAMES = {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (1, 2): "SqueezeBackward4",
                       (2, 2): "MmBackward0"}


def _matmul_name(a: Tensor, b: Tensor) -> str:
    """torch's node for ``a @ b``: torch.matmul runs dot, mv or mm for vectors and matrices; for batches it
    folds them into one mm or runs bmm, then reshapes (UnsafeView), and a single matrix times a batch
    that needs a gradient is computed transposed and copied back (Clone)."""
    if a.ndim <= 2 and b.ndim <= 2:
        return _SMALL_MATMUL_NAMES[a.ndim, b.ndim]
    if (b.ndim >= 3 and a.ndim >= 2 and a.requires_grad and math.prod(a.shape[:-2]) == 1
            and math.prod(b.shape[:-2]) > 1):
        return "CloneBackward0"
    return "UnsafeViewBackward0"


def floor_divide(a, b, *, out=None) -> Tensor:
    """a // b (not differentiable)."""
    return _compare(np.floor_divide, a, b, out, "floor_divide")


def remainder(a, b, *, out=None) -> Tensor:
    """a % b (not differentiable)."""
    return _compare(np.remainder, a, b, out, "remainder")


# ------------------------------------------------ comparisons (no gradient)
@on_tensors_device
def _compare(ufunc, a, b, out=None, name: str = "") -> Tensor:
    a, b = _operand(a), _operand(b)
    arrays = [x.array if isinstance(x, Tensor) else x for x in (a, b)]
    tensors = [x for x in (a, b) if isinstance(x, Tensor)]
    if len(tensors) == 2 and type(arrays[0]) is not type(arrays[1]):
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {a.device} and {b.device}")
    xp = get_array_module(tensors[0].array)
    result = Tensor._wrap(getattr(xp, ufunc.__name__)(*arrays))
    return result if out is None else write_out(result, out, name)


def eq(a, b, *, out=None) -> Tensor:
    """Elementwise a == b as a bool tensor."""
    return _compare(np.equal, a, b, out, "eq")


def ne(a, b, *, out=None) -> Tensor:
    """Elementwise a != b as a bool tensor."""
    return _compare(np.not_equal, a, b, out, "ne")


def lt(a, b, *, out=None) -> Tensor:
    """Elementwise a < b as a bool tensor."""
    return _compare(np.less, a, b, out, "lt")


def le(a, b, *, out=None) -> Tensor:
    """Elementwise a <= b as a bool tensor."""
    return _compare(np.less_equal, a, b, out, "le")


def gt(a, b, *, out=None) -> Tensor:
    """Elementwise a > b as a bool tensor."""
    return _compare(np.greater, a, b, out, "gt")


def ge(a, b, *, out=None) -> Tensor:
    """Elementwise a >= b as a bool tensor."""
    return _compare(np.greater_equal, a, b, out, "ge")


def logical_and(a, b) -> Tensor:
    """Elementwise a & b."""
    return _compare(np.bitwise_and, a, b)


def logical_or(a, b) -> Tensor:
    """Elementwise a | b."""
    return _compare(np.bitwise_or, a, b)


@on_tensors_device
def logical_not(a) -> Tensor:
    """Elementwise ~a."""
    xp = get_array_module(a.array)
    return Tensor._wrap(xp.invert(a.array) if a.array.dtype.kind != "f" else xp.logical_not(a.array))


def equal(a: Tensor, b: Tensor) -> bool:
    """True if both tensors have the same shape and elements."""
    return a.shape == b.shape and bool((a == b).all())


@on_tensors_device
def allclose(a: Tensor, b: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """True if |a - b| <= atol + rtol |b| everywhere."""
    xp = get_array_module(a.array)
    return bool(xp.allclose(a.array, _operand(b).array, rtol=rtol, atol=atol))
