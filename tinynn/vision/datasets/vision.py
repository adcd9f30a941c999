"""``VisionDataset``: the base of tinynn's image datasets (root folder, transforms, a readable repr)."""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np
from PIL import Image

from ...utils.data import Dataset
from ..transforms import _batch_plan, _run_batch


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

    def _transformed_sample(self, image: np.ndarray, target: Any) -> tuple[Any, Any]:
        """``(transform(image), target_transform(target))`` for one (H, W) grey or (H, W, C) uint8 image.

        As torchvision, the image becomes a PIL image first, unless ``transform``
        can run on a whole batch: then the same vectorised code as for a batch
        runs on a batch of one.
        """
        plan = _batch_plan(self.transform)
        if plan is not None:
            img = _run_batch(plan, image.reshape(1, image.shape[0], image.shape[1], -1))[0]
        else:
            img = Image.fromarray(image)
            if self.transform is not None:
                img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def _transformed_samples(self, indices: Any, image_at: Callable[[np.ndarray], np.ndarray],
                             target_at: Callable[[int], Any]) -> list[tuple[Any, Any]]:
        """The samples at ``indices``, the images transformed in one vectorised step when ``transform`` allows.

        ``image_at(index_array)`` gives those images as one (N, H, W) or (N, H, W, C)
        uint8 array and ``target_at(i)`` one target; otherwise each sample is ``self[i]``.
        """
        plan = _batch_plan(self.transform)
        if plan is None:
            return [self[i] for i in indices]
        index = np.asarray(indices, dtype=np.int64).reshape(-1)
        images = image_at(index)
        images = _run_batch(plan, images.reshape(*images.shape[:3], -1))
        targets = [target_at(i) for i in index.tolist()]
        if self.target_transform is not None:
            targets = [self.target_transform(t) for t in targets]
        return list(zip(images, targets))

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
