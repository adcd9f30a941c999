"""tinynn.autograd: the engine that computes gradients, and ``gradcheck`` to verify them."""
from .function import Function
from .custom_function import FunctionCtx, once_differentiable
from .gradcheck import GradcheckError, gradcheck
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)


def backward(tensors, grad_tensors=None, retain_graph: bool = False) -> None:
    """Run backward from one or several tensors (as ``torch.autograd.backward``)."""
    tensors = tensors if isinstance(tensors, (list, tuple)) else [tensors]
    grads = grad_tensors if isinstance(grad_tensors, (list, tuple)) else [grad_tensors] * len(tensors)
    for k, (t, g) in enumerate(zip(tensors, grads)):
        t.backward(g, retain_graph=retain_graph or k < len(tensors) - 1)


__all__ = ["Function", "FunctionCtx", "once_differentiable", "GradcheckError", "backward", "enable_grad", "gradcheck", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "no_grad", "set_grad_enabled"]
