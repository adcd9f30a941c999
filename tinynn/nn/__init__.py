"""``tinynn.nn``: modules, layers, losses and initialisation, as ``torch.nn``.

``import tinynn.nn as nn`` then ``nn.Sequential(nn.Linear(3072, 512), nn.Tanh(), ...)``;
the functional forms are in ``tinynn.nn.functional`` and the initialisers in
``tinynn.nn.init``.
"""
from . import functional, init
from .modules import (AvgPool2d, Conv2d, CrossEntropyLoss, Dropout, Flatten, Identity, Linear, LogSoftmax,
                      MaxPool2d, Module, ModuleList, MSELoss, NLLLoss, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .modules import (GRU, LSTM, RNN, BCELoss, BCEWithLogitsLoss, GRUCell, HuberLoss, KLDivLoss, L1Loss,
                      LSTMCell, RNNBase, RNNCell, RNNCellBase, SmoothL1Loss)
from .modules import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d,
                      BatchNorm1d, BatchNorm2d, BatchNorm3d, CELU, Conv1d, Dropout1d, Dropout2d, Dropout3d, ELU,
                      Embedding, GELU, Hardsigmoid, Hardswish, Hardtanh, LayerNorm, LeakyReLU, LogSigmoid,
                      MaxPool1d, Mish, ModuleDict, PReLU, ParameterDict, ParameterList, ReLU6, SELU, SiLU,
                      Softmin, Softplus, Softsign, Tanhshrink, Unflatten)
from .parameter import Parameter
from . import utils  # clip_grad_norm_, parameters_to_vector, ...

__all__ = ["AvgPool2d", "Conv2d", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "Linear", "LogSoftmax",
           "MSELoss", "MaxPool2d", "Module", "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid",
           "Softmax", "Tanh", "functional", "init"]
__all__ += ["BCELoss", "BCEWithLogitsLoss", "GRU", "GRUCell", "HuberLoss", "KLDivLoss", "L1Loss", "LSTM",
            "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase", "SmoothL1Loss", "utils"]
__all__ += ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool1d",
            "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "CELU", "Conv1d", "Dropout1d", "Dropout2d",
            "Dropout3d", "ELU", "Embedding", "GELU", "Hardsigmoid", "Hardswish", "Hardtanh", "LayerNorm",
            "LeakyReLU", "LogSigmoid", "MaxPool1d", "Mish", "ModuleDict", "PReLU", "ParameterDict",
            "ParameterList", "ReLU6", "SELU", "SiLU", "Softmin", "Softplus", "Softsign", "Tanhshrink",
            "Unflatten"]   # layers and activations
