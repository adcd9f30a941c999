"""``Size``: a tensor's shape, as ``torch.Size``: a tuple of ints printed as ``tinynn.Size([3, 4])``."""
from __future__ import annotations

import operator

_tuple_new = tuple.__new__
_tuple_getitem = tuple.__getitem__


class Size(tuple):
    """The sizes of a tensor's dimensions (``x.shape``, ``x.size()``): a tuple of ints, as ``torch.Size``.

    It compares equal to the plain tuple of the same ints (``x.shape == (3, 4)``);
    slicing it, or adding or repeating it, gives a Size again; ``numel()`` is the
    product of the sizes (1 for ``Size([])``, the shape of a 0-d tensor).
    """

    __slots__ = ()

    def __new__(cls, sizes=()) -> "Size":
        values = []
        for i, n in enumerate(sizes):
            try:
                values.append(operator.index(n))
            except TypeError:
                raise TypeError(f"tinynn.Size() takes an iterable of 'int' (item {i} is "
                                f"'{type(n).__name__}')") from None
        return _tuple_new(cls, values)

    def __repr__(self) -> str:
        return f"tinynn.Size({list(self)})"

    def __getitem__(self, index):
        item = _tuple_getitem(self, index)
        return _tuple_new(Size, item) if type(index) is slice else item

    def __add__(self, other) -> "Size":
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to tinynn.Size")
        return _tuple_new(Size, tuple.__add__(self, other))

    def __radd__(self, other) -> "Size":
        if not isinstance(other, tuple):
            return NotImplemented
        return _tuple_new(Size, tuple.__add__(other, self))

    def __mul__(self, times: int) -> "Size":
        return _tuple_new(Size, tuple.__mul__(self, times))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))

    def numel(self) -> int:
        """The number of elements of a tensor of this shape: the product of the sizes."""
        count = 1
        for n in self:
            count *= n
        return count


Size.__module__ = "tinynn"      # as torch.Size: printed, pickled and found as ``tinynn.Size``
