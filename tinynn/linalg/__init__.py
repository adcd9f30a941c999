"""Linear algebra, as ``torch.linalg``: vector and matrix norms."""
from .norms import matrix_norm, norm, vector_norm

__all__ = ["matrix_norm", "norm", "vector_norm"]
