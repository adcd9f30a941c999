"""The fast kernels: the same ops as their references, computed with threads, tiling and blocking.

Nothing here is needed to understand what an op computes: that is its
reference, in the op's own file. Each module registers its variants with
``tinynn._kernels.register_fast``; ``tinynn.set_kernels("reference")`` (or
``TINYNN_KERNELS=reference``) turns them all off. ``threads.py`` is the
thread pool they share.
"""
