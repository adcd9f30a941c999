"""The named results of ops that return several tensors, as ``torch.return_types``.

``tinynn.max(x, dim=1)`` returns a ``tinynn.return_types.max``: a tuple
``(values, indices)`` whose items are also attributes, printed one field a line::

    tinynn.return_types.max(
    values=tensor([5., 4.]),
    indices=tensor([1, 0]))

As in torch, a type is built from one sequence (``max((values, indices))``),
and each has an ``_out`` twin (``max_out``) that the ``out=`` form returns.
"""
from operator import itemgetter as _itemgetter

__all__ = ["max", "max_out", "median", "median_out", "min", "min_out", "sort", "sort_out", "topk",
           "topk_out"]


class _ReturnType(tuple):
    """A tuple of named tensors (torch's "structseq"): indexing, unpacking and attributes all work."""

    __slots__ = ()
    _names: tuple = ()            # the field names, in order

    def __new__(cls, sequence):
        items = tuple(sequence)
        if len(items) != len(cls._names):
            raise TypeError(f"tinynn.return_types.{cls.__name__}() takes a {len(cls._names)}-sequence "
                            f"({len(items)}-sequence given)")
        return tuple.__new__(cls, items)

    def __repr__(self) -> str:
        fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._names, self))
        return f"tinynn.return_types.{type(self).__name__}(\n{fields})"

    def __reduce__(self):
        return (type(self), (tuple(self),))

    @property
    def n_fields(self) -> int:
        """The number of fields (as torch's return types)."""
        return len(self._names)

    n_sequence_fields = n_fields


def _return_type(name: str, names: tuple, doc: str) -> type:
    """The class ``tinynn.return_types.<name>`` with one read-only attribute per field."""
    attributes = {"__slots__": (), "__module__": __name__, "__qualname__": name, "__doc__": doc,
                  "_names": names}
    attributes.update({field: property(_itemgetter(i), doc=f"Item {i} of the result.")
                       for i, field in enumerate(names)})
    return type(name, (_ReturnType,), attributes)


_VALUES_INDICES = ("values", "indices")

max = _return_type("max", _VALUES_INDICES, "``tinynn.max(x, dim)``: the largest values along ``dim`` and "
                   "their positions.")
max_out = _return_type("max_out", _VALUES_INDICES, "``tinynn.max(x, dim, out=(values, indices))``'s result.")
min = _return_type("min", _VALUES_INDICES, "``tinynn.min(x, dim)``: the smallest values along ``dim`` and "
                   "their positions.")
min_out = _return_type("min_out", _VALUES_INDICES, "``tinynn.min(x, dim, out=(values, indices))``'s result.")
sort = _return_type("sort", _VALUES_INDICES, "``tinynn.sort(x, dim)``: the sorted values and where each "
                    "one was.")
sort_out = _return_type("sort_out", _VALUES_INDICES, "``tinynn.sort(x, dim, out=(values, indices))``'s result.")
topk = _return_type("topk", _VALUES_INDICES, "``tinynn.topk(x, k, dim)``: the k largest (or smallest) values "
                    "and their positions.")
topk_out = _return_type("topk_out", _VALUES_INDICES, "``tinynn.topk(x, k, dim, out=(values, indices))``'s "
                        "result.")
median = _return_type("median", _VALUES_INDICES, "``tinynn.median(x, dim)``: the lower medians along ``dim`` "
                      "and their positions.")
median_out = _return_type("median_out", _VALUES_INDICES, "``tinynn.median(x, dim, out=(values, indices))``'s "
                          "result.")

# what the out= form of each returns (see _ops/out.py)
_OUT_TYPES = {max: max_out, min: min_out, sort: sort_out, topk: topk_out, median: median_out}
