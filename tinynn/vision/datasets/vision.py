"""``VisionDataset``: the base of tinynn's image datasets (root folder, transforms, a readable repr)."""
from __future__ import annotations

import os
from typing import Any, Callable

from ...utils.data import Dataset


class VisionDataset(Dataset):
    """A dataset stored under ``root`` whose samples pass through ``transform`` and ``target_transform``.

    Subclasses load their data and implement ``__getitem__`` and ``__len__``;
    ``extra_repr`` adds lines to the repr (such as the split).
    """

    _repr_indent = 4

    def __init__(self, root: str | os.PathLike, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        self.root = os.path.expanduser(os.fspath(root))
        self.transform = transform
        self.target_transform = target_transform

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def extra_repr(self) -> str:
        """Extra lines for the repr (one per line); empty by default."""
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}", f"Root location: {self.root}"]
        lines += [line for line in self.extra_repr().splitlines() if line]
        for label, t in (("Transform", self.transform), ("Target transform", self.target_transform)):
            if t is not None:
                body = repr(t).splitlines()
                pad = " " * (len(label) + 2)
                lines.append(f"{label}: {body[0]}")
                lines += [pad + line for line in body[1:]]
        indent = " " * self._repr_indent
        return "\n".join([f"Dataset {type(self).__name__}"] + [indent + line for line in lines])
