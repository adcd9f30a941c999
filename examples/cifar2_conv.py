"""Birds vs airplanes with the seeds' small convolutional network (Deep Learning with PyTorch, ch. 8).

    python examples/cifar2_conv.py                          # Net: conv 3-16, conv 16-8, fc 512-32-2
    python examples/cifar2_conv.py --width 32 --weight-decay 1e-3 --epochs 20

The model is ``cifar2_models.Net``, an ``nn.Module`` subclass whose forward
uses functional calls (``F.max_pool2d(torch.tanh(self.conv1(x)), 2)``), as in the book.
"""
import tinynn.nn as nn

from cifar2_common import UsageError, common_parser, pipeline, run
from cifar2_models import Net

MAX_WIDTH = 1024          # conv2 alone then holds 4.7M weights; much wider nets do not fit in memory


def main() -> None:
    parser = common_parser(__doc__.splitlines()[0], default_epochs=5)
    parser.add_argument("--width", type=int, default=16, help="channels of the first conv (default 16)")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty for SGD (default 0)")
    args = parser.parse_args()
    if not 2 <= args.width <= MAX_WIDTH or args.width % 2:
        raise UsageError(f"--width must be an even number from 2 to {MAX_WIDTH}, got {args.width}")
    pipeline(args, lambda: Net(args.width), nn.CrossEntropyLoss(), flatten=False, weight_decay=args.weight_decay)


if __name__ == "__main__":
    run(main)
