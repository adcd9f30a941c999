"""``tinynn.nn``: modules, layers, losses and initialisation, as ``torch.nn``.

``import tinynn.nn as nn`` then ``nn.Sequential(nn.Linear(3072, 512), nn.Tanh(), ...)``;
the functional forms are in ``tinynn.nn.functional`` and the initialisers in
``tinynn.nn.init``.
"""
from . import functional, init
from .modules import (AvgPool2d, Conv2d, CrossEntropyLoss, Dropout, Flatten, Identity, Linear, LogSoftmax,
                      MaxPool2d, Module, ModuleList, MSELoss, NLLLoss, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .parameter import Parameter

__all__ = ["AvgPool2d", "Conv2d", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "Linear", "LogSoftmax",
           "MSELoss", "MaxPool2d", "Module", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid",
           "Softmax", "Tanh", "functional", "init"]
