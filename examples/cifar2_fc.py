"""Birds vs airplanes with a fully connected network (Deep Learning with PyTorch, ch. 7).

    python examples/cifar2_fc.py                    # the seeds' 3072-512-2 model, CPU
    python examples/cifar2_fc.py --model deep --device gpu --epochs 20

``--model fc``: Linear(3072, 512), Tanh, Linear(512, 2), LogSoftmax + NLLLoss.
``--model deep``: 3072-1024-512-128-2 with Tanh, CrossEntropyLoss.
"""
import tinynn.nn as nn

from cifar2_common import common_parser, pipeline, run
from cifar2_models import deep_model, fc_model


def main() -> None:
    parser = common_parser(__doc__.splitlines()[0], default_epochs=5)
    parser.add_argument("--model", choices=["fc", "deep"], default="fc")
    args = parser.parse_args()
    if args.model == "fc":
        pipeline(args, fc_model, nn.NLLLoss(), flatten=True)
    else:
        pipeline(args, deep_model, nn.CrossEntropyLoss(), flatten=True)


if __name__ == "__main__":
    run(main)
