"""Mixed dtypes are promoted by torch's rules, not NumPy's: a silent float64 would change results downstream."""
import itertools

import numpy as np
import pytest

import tinynn

DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
EXPECTED = [   # (a dtype, a is 0-d, b dtype, b is 0-d) -> result, as torch 2.13 gives them
    ("int64", False, "float32", False, "float32"),
    ("int64", False, "float64", True, "float64"),
    ("float32", False, "float64", True, "float32"),
    ("int32", False, "int64", True, "int32"),
    ("bool", False, "int64", True, "int64"),
    ("float16", False, "float64", True, "float16"),
    ("uint8", False, "int8", False, "int16"),
    ("float32", True, "float64", True, "float64"),
]


def _tensor(dtype, zero_d):
    return tinynn.tensor(np.ones(() if zero_d else (2,), dtype=dtype))


@pytest.mark.parametrize("a, a0, b, b0, result", EXPECTED)
def test_binary_ops_and_where_promote_as_torch(a, a0, b, b0, result):
    x, y = _tensor(a, a0), _tensor(b, b0)
    for out in (x + y, y + x, x * y, x - y, tinynn.where(x > 0, x, y)):
        assert out.dtype == np.dtype(result)


def test_every_pair_of_dtypes_promotes_as_torch():
    torch = pytest.importorskip("torch")
    for (a, b), (a0, b0) in itertools.product(itertools.product(DTYPES, DTYPES), [(False, False), (False, True),
                                                                                  (True, False), (True, True)]):
        if a == b == "bool":
            continue
        x, y = _tensor(a, a0), _tensor(b, b0)
        tx, ty = torch.tensor(x.numpy()), torch.tensor(y.numpy())
        expected = str(torch.result_type(tx, ty)).replace("torch.", "")
        assert (x + y).dtype.name == expected, (a, a0, b, b0)
