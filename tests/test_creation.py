"""Tensor creation: tensor()/as_tensor() of nested data holding tensors, Tensor.new_*, *_like, manual_seed."""
import warnings

import numpy as np
import pytest

import tinynn

NAN = float("nan")


# ------------------------------------------------------------------ tensor() of nested data
def test_tensors_inside_lists_are_scalars():
    t = tinynn.tensor([tinynn.tensor(1.0), tinynn.tensor(2.0), 3])
    assert t.shape == (3,) and t.dtype == tinynn.float32 and t.tolist() == [1.0, 2.0, 3.0]
    # as torch: a one-element tensor of any shape is a scalar too
    t = tinynn.tensor([tinynn.tensor([1.0]), tinynn.tensor([[2.0]])])
    assert t.shape == (2,) and t.tolist() == [1.0, 2.0]
    t = tinynn.tensor([[tinynn.tensor(1), 2], [3, tinynn.tensor([4])]])
    assert t.shape == (2, 2) and t.dtype == tinynn.int64 and t.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("data, dtype", [
    (lambda: [tinynn.tensor(1.0, dtype=tinynn.float64), 2.0], tinynn.float64),   # float64 wins over float32
    (lambda: [tinynn.tensor(1), 2.5], tinynn.float32),                           # int with float: float32
    (lambda: [tinynn.tensor(1, dtype=tinynn.int32), 2], tinynn.int64),
    (lambda: [tinynn.tensor(1, dtype=tinynn.int32), tinynn.tensor(2, dtype=tinynn.int32)], tinynn.int32),
    (lambda: [tinynn.tensor(1, dtype=tinynn.int32), 2.0], tinynn.float32),     # not NumPy's float64
    (lambda: [tinynn.tensor(1.0, dtype=tinynn.float16), 2], tinynn.float16),   # the float category wins
    (lambda: [tinynn.tensor(True), 2], tinynn.int64),
    (lambda: [tinynn.tensor(True), tinynn.tensor(False)], tinynn.bool),
    (lambda: [np.float64(1.5), 2.0], tinynn.float64),                            # NumPy scalars keep their dtype
    (lambda: [np.int32(1), np.int32(2)], tinynn.int32),
    (lambda: [[], [1]], tinynn.float32),                                         # an empty list counts as float
])
def test_dtype_of_mixed_data(data, dtype):
    assert tinynn.tensor(data()).dtype == dtype


@pytest.mark.parametrize("data, error, message", [
    (lambda: [tinynn.tensor([1.0, 2.0]), tinynn.tensor([3.0, 4.0])], ValueError,
     "only one element tensors can be converted to Python scalars"),
    (lambda: [[1.0, 2.0], [3.0]], ValueError, r"expected sequence of length 2 at dim 1 \(got 1\)"),
    (lambda: [[1.0, 2.0], 3.0], TypeError, "not a sequence"),
    (lambda: [1.0, [2.0, 3.0]], TypeError, "must be real number, not list"),
    (lambda: ["a"], ValueError, "too many dimensions 'str'"),
    (lambda: [1.0, "a"], TypeError, "invalid data type 'str'"),
    (lambda: [None], RuntimeError, "Could not infer dtype of NoneType"),
    (lambda: [2**63], ValueError, "Overflow when unpacking long long"),
])
def test_bad_data_raises_torchs_error(data, error, message):
    with pytest.raises(error, match=message):
        tinynn.tensor(data())


def test_out_of_range_values_for_an_integer_dtype_raise():
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8 without overflow"):
        tinynn.tensor([300], dtype=tinynn.uint8)
    assert tinynn.tensor([-1], dtype=tinynn.uint8).tolist() == [255]           # wraps, as in torch
    assert tinynn.tensor([1, 2.7, -2.7], dtype=tinynn.int32).tolist() == [1, 2, -2]
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        tinynn.tensor([tinynn.tensor(1.0)], dtype=tinynn.int64)


def test_copying_a_tensor_warns_as_torch():
    source = tinynn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match=r"sourceTensor.detach\(\).clone\(\).*tinynn.tensor\(sourceTensor\)"):
        copy = tinynn.tensor(source)
    assert copy.tolist() == [1.0, 2.0] and not copy.requires_grad
    copy.add_(1)
    assert source.tolist() == [1.0, 2.0]                                          # its own storage
    with pytest.warns(UserWarning, match=r"tensor.new_tensor\(sourceTensor\)"):
        source.new_tensor(source)
    with pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True to a scalar"):
        tinynn.tensor([source[0], 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tinynn.tensor([tinynn.tensor(1.0), 2.0])                                  # no warning
        tinynn.as_tensor(source)
        tinynn.Tensor(tinynn.tensor([1, 2]))


def test_as_tensor_shares_memory_and_reads_lists_of_tensors():
    array = np.arange(3.0)
    assert np.shares_memory(tinynn.as_tensor(array).numpy(), array)
    source = tinynn.tensor([1.0])
    assert tinynn.as_tensor(source) is source
    t = tinynn.as_tensor([tinynn.tensor(1.5), 2], dtype=tinynn.float64)
    assert t.dtype == tinynn.float64 and t.tolist() == [1.5, 2.0]


def test_tensor_of_a_tensor_keeps_its_device(device):
    source = tinynn.tensor([1, 2], dtype=tinynn.int32, device=device)
    with pytest.warns(UserWarning):
        copy = tinynn.tensor(source, dtype=tinynn.float64)
    assert copy.device == source.device and copy.dtype == tinynn.float64
    assert tinynn.tensor([tinynn.tensor(1.0, device=device), 2.0]).device == tinynn.device("cpu")


# ------------------------------------------------------------------ new_* and *_like
def test_new_methods_take_dtype_and_device_from_self(device):
    x = tinynn.tensor([1.5, 2.5], dtype=tinynn.float64, device=device)
    for made in (x.new_ones(2, 3), x.new_ones((2, 3)), x.new_zeros([2, 3]), x.new_empty(x.new_ones(2, 3).shape),
                 x.new_full((2, 3), 7)):
        assert made.shape == (2, 3) and made.dtype == tinynn.float64 and made.device == x.device
    assert x.new_ones(2).tolist() == [1.0, 1.0] and x.new_zeros(2).tolist() == [0.0, 0.0]
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0]
    assert x.new_ones(()).shape == ()
    assert x.new_tensor([1, 2]).dtype == tinynn.float64
    i = tinynn.tensor([1, 2], dtype=tinynn.int32)
    assert i.new_full((2,), 3.7).tolist() == [3, 3] and i.new_tensor([1.5, -2.5]).tolist() == [1, -2]
    made = i.new_ones(2, dtype=tinynn.float32, requires_grad=True)
    assert made.dtype == tinynn.float32 and made.requires_grad and made.is_leaf


def test_new_methods_errors():
    x = tinynn.ones(2)
    with pytest.raises(TypeError, match="new_full\\(\\): argument 'size' \\(position 1\\) must be tuple of ints"):
        x.new_full(2, 3)
    with pytest.raises(TypeError, match='new_ones\\(\\) missing 1 required positional arguments: "size"'):
        x.new_ones()
    with pytest.raises(RuntimeError, match="floating point"):
        tinynn.ones(2, dtype=tinynn.int64).new_ones(2, requires_grad=True)


def test_like_functions(device):
    x = tinynn.tensor([[1.0, 2.0]], dtype=tinynn.float64, device=device)
    i = tinynn.tensor([1, 2], dtype=tinynn.int32, device=device)
    assert tinynn.full_like(i, 3.7).tolist() == [3, 3] and tinynn.full_like(i, 3.7).dtype == tinynn.int32
    assert tinynn.full_like(i, 3.5, dtype=tinynn.float64).tolist() == [3.5, 3.5]
    for made in (tinynn.rand_like(x), tinynn.randn_like(x), tinynn.randint_like(x, 5), tinynn.zeros_like(x)):
        assert made.shape == (1, 2) and made.dtype == tinynn.float64 and made.device == x.device
    assert tinynn.rand_like(i, dtype=tinynn.float16).dtype == tinynn.float16
    assert tinynn.randint_like(i, 3, 4).tolist() == [3, 3] and tinynn.randint_like(i, high=1).tolist() == [0, 0]
    values = tinynn.randint_like(tinynn.zeros(1000, dtype=tinynn.int64), -2, 3).numpy()
    assert set(values.tolist()) == {-2, -1, 0, 1, 2}
    values = tinynn.rand_like(tinynn.zeros(1000)).numpy()
    assert 0 <= values.min() and values.max() < 1
    assert tinynn.rand_like(x, requires_grad=True).requires_grad


def test_like_functions_errors():
    i = tinynn.tensor([1, 2])
    with pytest.raises(NotImplementedError, match="'Long'"):
        tinynn.rand_like(i)
    with pytest.raises(NotImplementedError, match="'Bool'"):
        tinynn.randn_like(tinynn.tensor([True]))
    with pytest.raises(NotImplementedError, match="'Long'"):
        tinynn.rand(2, dtype=tinynn.int64)
    with pytest.raises(TypeError, match="high"):
        tinynn.randint_like(i)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=3"):
        tinynn.randint_like(i, 5, 3)
    with pytest.raises(TypeError, match="positional"):
        tinynn.zeros_like(i, tinynn.float32)                                      # dtype is keyword-only


def test_random_like_functions_follow_the_generator():
    x = tinynn.zeros(3, 4)
    for make in (lambda g: tinynn.rand_like(x, generator=g), lambda g: tinynn.randn_like(x, generator=g),
                 lambda g: tinynn.randint_like(x, 100, generator=g)):
        first = make(tinynn.Generator().manual_seed(7)).numpy()
        np.testing.assert_array_equal(make(tinynn.Generator().manual_seed(7)).numpy(), first)
        assert not np.array_equal(make(tinynn.Generator().manual_seed(8)).numpy(), first)


# ------------------------------------------------------------------ manual_seed
def test_manual_seed_returns_the_default_generator():
    generator = tinynn.manual_seed(3)
    assert generator is tinynn.default_generator and generator.initial_seed() == 3
    assert tinynn.random.manual_seed(4) is tinynn.default_generator
    assert tinynn.manual_seed(-1).initial_seed() == 2**64 - 1                     # as torch: 64 bits, wrapped
    with pytest.raises(ValueError, match="Overflow"):
        tinynn.manual_seed(2**64)
    a = tinynn.manual_seed(5).initial_seed(), tinynn.rand(3).tolist()
    assert (tinynn.manual_seed(5).initial_seed(), tinynn.rand(3).tolist()) == a


# ------------------------------------------------------------------ against torch
def _outcome(module, make, compare_values=True, compare_message=True):
    """What ``make(module)`` gives: shape, dtype, values, flags and warnings; or the error's type and text."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            t = make(module)
            result = (tuple(t.shape), str(t.dtype).replace("torch.", ""),
                      t.tolist() if compare_values else None, t.requires_grad, t.is_leaf)
        except Exception as error:     # noqa: BLE001 (the error is what is compared)
            text = str(error).replace("torch.", "tinynn.").split("\n")[0]
            result = (type(error).__name__, text if compare_message else None)
    messages = [str(w.message).replace("torch.", "tinynn.").split("\n")[0] for w in caught
                if "list of numpy.ndarrays is extremely slow" not in str(w.message)]
    return result, messages


def _f64(m):
    return m.tensor([1.5, 2.5], dtype=m.float64)


def _i32(m):
    return m.tensor([1, 2], dtype=m.int32)


CASES = {
    "0-d tensors": lambda m: m.tensor([m.tensor(1.), m.tensor(2.), m.tensor(3.)]),
    "one-element tensors": lambda m: m.tensor([m.tensor([1.]), m.tensor([2.])]),
    "0-d with numbers": lambda m: m.tensor([m.tensor(1.), 2, 3.5]),
    "int 0-d with float": lambda m: m.tensor([m.tensor(1), 2.5]),
    "float64 0-d": lambda m: m.tensor([m.tensor(1., dtype=m.float64), 2.]),
    "float64 1-d": lambda m: m.tensor([m.tensor([1.], dtype=m.float64), m.tensor([2.])]),
    "int tensors": lambda m: m.tensor([m.tensor(1), m.tensor(2)]),
    "bool tensor with int": lambda m: m.tensor([m.tensor(True), 2]),
    "bool tensors": lambda m: m.tensor([m.tensor(True), m.tensor(False)]),
    "bool with float": lambda m: m.tensor([True, 2.5]),
    "0-d with [[2.]]": lambda m: m.tensor([m.tensor(1.), m.tensor([[2.]])]),
    "[1.] with 2.": lambda m: m.tensor([m.tensor([1.]), 2.]),
    "two-element tensors": lambda m: m.tensor([m.tensor([1., 2.]), m.tensor([3., 4.])]),
    "nested 0-d": lambda m: m.tensor([[m.tensor(1.), m.tensor(2.)], [m.tensor(3.), 4]]),
    "tuple": lambda m: m.tensor((m.tensor(1.), m.tensor(2.))),
    "copy": lambda m: m.tensor(m.tensor([1., 2.])),
    "copy requiring grad": lambda m: m.tensor(m.tensor([1., 2.], requires_grad=True)),
    "copy int32": lambda m: m.tensor(m.tensor([1, 2], dtype=m.int32)),
    "copy as float64": lambda m: m.tensor(m.tensor([1, 2], dtype=m.int32), dtype=m.float64, requires_grad=True),
    "as_tensor of tensor": lambda m: m.as_tensor(m.tensor([1., 2.])),
    "as_tensor of tensors": lambda m: m.as_tensor([m.tensor(1.), m.tensor(2.)]),
    "as_tensor dtype": lambda m: m.as_tensor([m.tensor(1.5)], dtype=m.float64),
    "requiring grad in list": lambda m: m.tensor([m.tensor(1., requires_grad=True), m.tensor(2.)]),
    "float64 with int": lambda m: m.tensor([m.tensor(1., dtype=m.float64), 2]),
    "int32 with int": lambda m: m.tensor([m.tensor(1, dtype=m.int32), 2]),
    "int32 with float": lambda m: m.tensor([m.tensor(1, dtype=m.int32), 2.]),
    "float16 with float": lambda m: m.tensor([m.tensor(1, dtype=m.float16), 2.]),
    "float16 with int": lambda m: m.tensor([m.tensor(1, dtype=m.float16), 2]),
    "uint8 with -1": lambda m: m.tensor([m.tensor(1, dtype=m.uint8), -1]),
    "bool with int32": lambda m: m.tensor([m.tensor(True), m.tensor(1, dtype=m.int32)]),
    "float64 as float32": lambda m: m.tensor([m.tensor(1., dtype=m.float64), 2.], dtype=m.float32),
    "numpy float64": lambda m: m.tensor([np.float64(1.5), 2.]),
    "numpy float32": lambda m: m.tensor([np.float32(1.5), 2.]),
    "numpy int32 with int": lambda m: m.tensor([np.int32(1), 2]),
    "numpy float16 with int": lambda m: m.tensor([np.float16(1), 2]),
    "numpy arrays": lambda m: m.tensor([np.array([1.5]), np.array([2.])]),
    "numpy arrays mixed": lambda m: m.tensor([np.array([1], dtype=np.int32), np.array([1.5], dtype=np.float32)]),
    "ragged": lambda m: m.tensor([[1., 2.], [3.]]),
    "ragged depth": lambda m: m.tensor([[1., 2.], 3.]),
    "ragged depth 2": lambda m: m.tensor([1., [2., 3.]]),
    "ragged empty": lambda m: m.tensor([[1.], []]),
    "empty first": lambda m: m.tensor([[], [1.]]),
    "ragged deep": lambda m: m.tensor([[[1.], [2.]], [[1.], 2.]]),
    "ragged array": lambda m: m.tensor([[1.], np.array([1., 2.])]),
    "empty": lambda m: m.tensor([]),
    "empty nested": lambda m: m.tensor([[], []]),
    "empty nested int64": lambda m: m.tensor([[], []], dtype=m.int64),
    "empty tuple": lambda m: m.tensor(()),
    "str": lambda m: m.tensor(["a"]),
    "str later": lambda m: m.tensor([1., "a"]),
    "str alone": lambda m: m.tensor("abc"),
    "None": lambda m: m.tensor([None]),
    "None alone": lambda m: m.tensor(None),
    "dict": lambda m: m.tensor([{}]),
    "[[t]], [2.]": lambda m: m.tensor([[m.tensor([1.])], [2.]]),
    "int64 tensor with [2.5]": lambda m: m.tensor([m.tensor([1]), [2.5]]),
    "int64 with float32 tensor": lambda m: m.tensor([m.tensor(1), m.tensor(2.5)]),
    "float32 with float64 tensor": lambda m: m.tensor([m.tensor(1.5), m.tensor(2.5, dtype=m.float64)]),
    "int beyond int64": lambda m: m.tensor([2**63]),
    "int beyond int64 with float": lambda m: m.tensor([2**64, 1.5]),
    "int beyond int64 alone": lambda m: m.tensor(2**63),
    "complex": lambda m: m.tensor([1 + 2j, 1.]),
    "float as int32": lambda m: m.tensor([1, 2.7, -2.7], dtype=m.int32),
    "300 as uint8": lambda m: m.tensor([300], dtype=m.uint8),
    "-1 as uint8": lambda m: m.tensor([-1], dtype=m.uint8),
    "-1.5 as uint8": lambda m: m.tensor([-1.5], dtype=m.uint8),
    "1e20 as int64": lambda m: m.tensor([1e20], dtype=m.int64),
    "nan as int64": lambda m: m.tensor([NAN], dtype=m.int64),
    "floats as bool": lambda m: m.tensor([2.5, 0.], dtype=m.bool),
    "1e40": lambda m: m.tensor([1e40]),
    "float tensor as int64": lambda m: m.tensor([m.tensor(1.)], dtype=m.int64),
    "int tensor as float32": lambda m: m.tensor([m.tensor(1)], dtype=m.float32),
    "bool tensor as int64": lambda m: m.tensor([m.tensor(True)], dtype=m.int64),
    "float64 tensor as float16": lambda m: m.tensor([m.tensor(1.5, dtype=m.float64), 1], dtype=m.float16),
    "0.1 as float64": lambda m: m.tensor([0.1], dtype=m.float64),
    "float": lambda m: m.tensor(1.5),
    "int": lambda m: m.tensor(3),
    "bool": lambda m: m.tensor(True),
    "numpy scalar": lambda m: m.tensor(np.float64(1.5)),
    "float as int64": lambda m: m.tensor(2.7, dtype=m.int64),
    "numpy str array": lambda m: m.tensor(np.array(["a"])),
    "numpy int32 array": lambda m: m.tensor(np.array([1, 2], dtype=np.int32)),
    "numpy float64 array as float32": lambda m: m.tensor(np.array([1.5]), dtype=m.float32),
    "a shape": lambda m: m.tensor(m.ones(2, 3).shape),
    "range": lambda m: m.tensor(range(3)),
    "full float": lambda m: m.full((2,), 2.5),
    "full int": lambda m: m.full((2,), 2),
    "full bool": lambda m: m.full((2,), True),
    "full with int size": lambda m: m.full(2, 3.),
    "new_ones varargs": lambda m: _f64(m).new_ones(2, 3),
    "new_ones tuple": lambda m: _f64(m).new_ones((2, 3)),
    "new_ones list": lambda m: _f64(m).new_ones([2, 3]),
    "new_ones shape": lambda m: _f64(m).new_ones(m.ones(4, 1).shape),
    "new_ones ()": lambda m: _f64(m).new_ones(()),
    "new_ones no size": lambda m: _f64(m).new_ones(),
    "new_ones dtype": lambda m: _f64(m).new_ones(2, dtype=m.int64),
    "new_ones requires_grad": lambda m: _f64(m).new_ones(2, requires_grad=True),
    "new_zeros": lambda m: _i32(m).new_zeros(2, 3),
    "new_zeros dtype": lambda m: _i32(m).new_zeros((1,), dtype=m.float16),
    "new_empty": lambda m: _f64(m).new_empty(2, 3).zero_(),
    "new_full": lambda m: _i32(m).new_full((2,), 3.7),
    "new_full float": lambda m: _f64(m).new_full([2, 2], 3),
    "new_full with int size": lambda m: _f64(m).new_full(2, 3),
    "new_full dtype": lambda m: _f64(m).new_full((2,), True, dtype=m.bool),
    "new_tensor": lambda m: _f64(m).new_tensor([1, 2]),
    "new_tensor int": lambda m: _i32(m).new_tensor([1.5, -2.5]),
    "new_tensor of tensor": lambda m: _f64(m).new_tensor(_i32(m)),
    "new_tensor bool": lambda m: _i32(m).new_tensor(True),
    "new_tensor dtype": lambda m: _i32(m).new_tensor([1.5], dtype=m.float32, requires_grad=True),
    "new_tensor of tensors": lambda m: _f64(m).new_tensor([m.tensor(1.), m.tensor(2)]),
    "randint_like float": lambda m: m.randint_like(_f64(m), 1, 2),
    "randint_like high": lambda m: m.randint_like(_i32(m), 1),
    "randint_like high=": lambda m: m.randint_like(_i32(m), high=1),
    "randint_like low=, high=": lambda m: m.randint_like(_i32(m), low=3, high=4),
    "randint_like low >= high": lambda m: m.randint_like(_i32(m), 5, 3),
    "randint_like dtype": lambda m: m.randint_like(_f64(m), 7, 8, dtype=m.int64),
    "full_like": lambda m: m.full_like(_i32(m), 3.7),
    "full_like dtype": lambda m: m.full_like(_i32(m), 3.7, dtype=m.float64),
    "full_like requires_grad": lambda m: m.full_like(_f64(m), 1, requires_grad=True),
    "zeros_like dtype positional": lambda m: m.zeros_like(_f64(m), m.float32),
    "ones_like dtype": lambda m: m.ones_like(_i32(m), dtype=m.bool),
    "randint low >= high": lambda m: m.randint(5, 3, (2,)),
    "randint": lambda m: m.randint(3, 4, (2,)),
}

RANDOM_CASES = {   # the values differ from torch's; shapes, dtypes and flags must not
    "rand_like": lambda m: m.rand_like(_f64(m)),
    "rand_like dtype": lambda m: m.rand_like(_i32(m), dtype=m.float16),
    "rand_like requires_grad": lambda m: m.rand_like(_f64(m), requires_grad=True),
    "randn_like": lambda m: m.randn_like(_f64(m)),
}

TYPE_ONLY_CASES = {   # the same error type; tinynn's message names the problem in its own words
    "rand_like int": lambda m: m.rand_like(_i32(m)),
    "randn_like int": lambda m: m.randn_like(_i32(m)),
    "randn_like bool": lambda m: m.randn_like(m.tensor([True])),
    "rand int64": lambda m: m.rand(2, dtype=m.int64),
    "randn int64": lambda m: m.randn(2, dtype=m.int64),
    "randint_like no high": lambda m: m.randint_like(_i32(m)),
    "new_ones int requiring grad": lambda m: _i32(m).new_ones(2, requires_grad=True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_creation_matches_torch(name):
    torch = pytest.importorskip("torch")
    assert _outcome(tinynn, CASES[name]) == _outcome(torch, CASES[name])


@pytest.mark.parametrize("name", sorted(RANDOM_CASES))
def test_random_creation_matches_torch_but_values(name):
    torch = pytest.importorskip("torch")
    make = RANDOM_CASES[name]
    assert _outcome(tinynn, make, compare_values=False) == _outcome(torch, make, compare_values=False)


@pytest.mark.parametrize("name", sorted(TYPE_ONLY_CASES))
def test_creation_errors_have_torchs_types(name):
    torch = pytest.importorskip("torch")
    make = TYPE_ONLY_CASES[name]
    assert _outcome(tinynn, make, compare_message=False) == _outcome(torch, make, compare_message=False)
