"""Import parts of the installed torchvision for comparisons, or skip the test.

``torchvision`` is optional. Where its compiled operators do not match the
installed torch (``import torchvision`` then fails with a RuntimeError while
registering ``torchvision::nms``), its pure-Python modules (``utils``,
``models.resnet``, ``datasets.mnist``, ``transforms``) still work: they are
imported under bare enclosing packages (``torchvision``, ``torchvision.models``,
...) whose ``__init__`` files, which load the compiled part, are skipped.
The bare package is removed from ``sys.modules`` afterwards, so later imports
see the installation as it is.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

import pytest


def torchvision_module(name: str) -> types.ModuleType:
    """``torchvision.<name>`` (e.g. ``"utils"``), or skip the calling test when it cannot be imported."""
    pytest.importorskip("torch")
    full_name = f"torchvision.{name}"
    try:
        importlib.import_module("torchvision")
        return importlib.import_module(full_name)
    except ImportError as exc:
        pytest.skip(f"torchvision is not installed ({exc})")
    except RuntimeError:  # compiled operators built for another torch: load the pure-Python modules only
        pass
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("torchvision is not installed")
    before = set(sys.modules)
    parts = full_name.split(".")
    for depth in range(1, len(parts)):  # each enclosing package, bare (its __init__, which may import much, skipped)
        package = ".".join(parts[:depth])
        location = spec.submodule_search_locations[0] if depth == 1 else \
            f"{sys.modules[parts[0]].__path__[0]}/{'/'.join(parts[1:depth])}"
        bare = types.ModuleType(package)
        bare.__path__ = [location]
        sys.modules[package] = bare
    try:
        return importlib.import_module(full_name)
    except Exception as exc:  # noqa: BLE001 (any failure of an optional comparison library means: skip)
        pytest.skip(f"torchvision.{name} cannot be imported here ({type(exc).__name__}: {exc})")
    finally:
        for key in set(sys.modules) - before:
            if key == "torchvision" or key.startswith("torchvision."):
                del sys.modules[key]
