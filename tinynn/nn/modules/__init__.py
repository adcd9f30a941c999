"""The layer classes of ``tinynn.nn``, one family per file."""
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleList, Sequential
from .conv import Conv2d
from .dropout import Dropout
from .hooks import RemovableHandle
from .linear import Flatten, Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss,
                   NLLLoss, SmoothL1Loss)
from .module import Module
from .pooling import AvgPool2d, MaxPool2d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase

# layers and activations (normalisation, embedding, 1-D conv/pooling, adaptive pooling, containers)
from .activation import (CELU, ELU, GELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, Mish, PReLU,
                         ReLU6, SELU, SiLU, Softmin, Softplus, Softsign, Tanhshrink)
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .container import ModuleDict, ParameterDict, ParameterList
from .conv import Conv1d
from .dropout import Dropout1d, Dropout2d, Dropout3d
from .linear import Unflatten
from .normalization import LayerNorm
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d,
                      MaxPool1d)
from .sparse import Embedding

__all__ = ["AvgPool2d", "Conv2d", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "Linear", "LogSoftmax",
           "MSELoss", "MaxPool2d", "Module", "ModuleList", "NLLLoss", "ReLU", "RemovableHandle", "Sequential",
           "Sigmoid", "Softmax", "Tanh"]
__all__ += ["BCELoss", "BCEWithLogitsLoss", "HuberLoss", "KLDivLoss", "L1Loss", "SmoothL1Loss",   # losses
            "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]           # recurrent
__all__ += ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool1d",
            "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "CELU", "Conv1d", "Dropout1d", "Dropout2d",
            "Dropout3d", "ELU", "Embedding", "GELU", "Hardsigmoid", "Hardswish", "Hardtanh", "LayerNorm",
            "LeakyReLU", "LogSigmoid", "MaxPool1d", "Mish", "ModuleDict", "PReLU", "ParameterDict",
            "ParameterList", "ReLU6", "SELU", "SiLU", "Softmin", "Softplus", "Softsign", "Tanhshrink",
            "Unflatten"]   # layers and activations
