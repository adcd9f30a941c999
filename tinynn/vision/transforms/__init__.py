"""Image transforms, as ``torchvision.transforms``; the functions behind them are in ``.functional``.

    from tinynn.vision import transforms
    import tinynn.vision.transforms.functional as TF

The package mirrors torchvision's: ``transforms.py`` holds the transform
classes and ``autoaugment.py`` the augmentation policies (all re-exported
here), ``functional.py`` the functions, and ``_functional_pil.py`` /
``_functional_tensor.py`` their PIL and tensor sides.
"""
from .transforms import *  # noqa: F403 (the transforms, as torchvision's package exports them)
from .autoaugment import *  # noqa: F403
from . import _presets, autoaugment, functional, transforms  # noqa: E402,F401 (_presets: weights' transforms)
# tinynn's own helpers, for the datasets' batch path and the tests (hidden from dir(), see __dir__):
from .functional import _PIL_FILTERS, _interpolation_mode  # noqa: F401
from ._functional_tensor import _linear_weights  # noqa: F401
from .transforms import _batch_plan, _run_batch  # noqa: F401

__all__ = transforms.__all__ + autoaugment.__all__

_TINYNN_HELPERS = frozenset({"_PIL_FILTERS", "_interpolation_mode", "_linear_weights", "_batch_plan", "_run_batch",
                             "_TINYNN_HELPERS", "__all__", "__dir__"})


def __dir__() -> list[str]:
    """The names ``dir(transforms)`` shows: those torchvision's package has (the transforms, the submodules and
    the module attributes), without tinynn's helpers, so notebooks printing it see what torchvision prints."""
    return sorted(name for name in globals() if name not in _TINYNN_HELPERS)
