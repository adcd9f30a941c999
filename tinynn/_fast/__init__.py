"""The fast kernels: the same ops as their references, computed with threads, tiling and blocking.

Nothing here is needed to understand what an op computes: that is its
reference, in the op's own file. Each module registers its variants with
``tinynn._kernels.register_fast``; ``tinynn.set_kernels("reference")`` (or
``TINYNN_KERNELS=reference``) turns them all off. ``threads.py`` is the
thread pool they share; ``process.py`` is what they change in the process
(BLAS threads, malloc), done the first time one runs.
"""
from . import classification_loss  # noqa: F401
from . import conv  # noqa: F401
from . import pooling  # noqa: F401
from . import elementwise  # noqa: F401
from . import matmul  # noqa: F401
from . import normalization  # noqa: F401
from . import optim  # noqa: F401
from . import process  # noqa: F401
