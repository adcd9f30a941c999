"""The layer classes of ``tinynn.nn``, one family per file."""
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleList, Sequential
from .conv import Conv2d
from .dropout import Dropout
from .hooks import RemovableHandle
from .linear import Flatten, Identity, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module
from .pooling import AvgPool2d, MaxPool2d

__all__ = ["AvgPool2d", "Conv2d", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "Linear", "LogSoftmax",
           "MSELoss", "MaxPool2d", "Module", "ModuleList", "NLLLoss", "ReLU", "RemovableHandle", "Sequential",
           "Sigmoid", "Softmax", "Tanh"]
