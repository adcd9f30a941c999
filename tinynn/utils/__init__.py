"""``tinynn.utils``: helpers around the tensor core, as ``torch.utils``.

- ``tinynn.utils.data``: datasets, samplers, ``default_collate`` and ``DataLoader``.
"""
from . import data

__all__ = ["data"]
