"""Birds vs airplanes with the convolutional networks of Deep Learning with PyTorch, ch. 8.

    python examples/cifar2_conv.py                          # Net: conv 3-16, conv 16-8, fc 512-32-2
    python examples/cifar2_conv.py --width 32 --weight-decay 1e-3 --epochs 20
    python examples/cifar2_conv.py --model batchnorm        # the book's NetBatchNorm
    python examples/cifar2_conv.py --model resdeep --blocks 100
    python examples/cifar2_conv.py --l2 1e-3                # the book's training_loop_l2reg

``--model`` picks one of the book's classes (``cifar2_models.CONV_MODELS``): net (``Net``,
width 16), netwidth, dropout, batchnorm, depth, res and resdeep (``NetWidth``, ``NetDropout``,
``NetBatchNorm``, ``NetDepth``, ``NetRes``, ``NetResDeep``, width 32). Each trains with the
book's SGD learning rate (1e-2; 3e-3 for resdeep) unless ``--lr`` says otherwise. ``--width``
sets the channels of the first convolution (the book's ``n_chans1``), ``--blocks`` resdeep's
``n_blocks`` (default 10), ``--l2`` the book's explicit penalty ``l2 * sum(p.pow(2).sum())``
added to the loss, ``--weight-decay`` SGD's own.
"""
import tinynn.nn as nn

from cifar2_common import UsageError, common_parser, pipeline, run
from cifar2_models import CONV_MODELS

MAX_WIDTH = 1024          # Net's conv2 alone then holds 4.7M weights; much wider nets do not fit in memory
MAX_BLOCKS = 1000         # the book trains 100; each block keeps its activations for the backward pass


def check_shape_options(args) -> None:
    """Refuse a ``--width`` or ``--blocks`` that the chosen model cannot be built with."""
    if args.width is not None:
        if args.model == "resdeep" and not 1 <= args.width <= MAX_WIDTH:
            raise UsageError(f"--width must be a number from 1 to {MAX_WIDTH}, got {args.width}")
        if args.model != "resdeep" and (not 2 <= args.width <= MAX_WIDTH or args.width % 2):
            raise UsageError(f"--width must be an even number from 2 to {MAX_WIDTH}, got {args.width}")
    if args.blocks is not None:
        if args.model != "resdeep":
            raise UsageError(f"--blocks is for --model resdeep only, not {args.model}")
        if not 1 <= args.blocks <= MAX_BLOCKS:
            raise UsageError(f"--blocks must be from 1 to {MAX_BLOCKS}, got {args.blocks}")


def main() -> None:
    parser = common_parser(__doc__.splitlines()[0], default_epochs=5)
    parser.add_argument("--model", choices=list(CONV_MODELS), default="net",
                        help="which of the book's networks (default net); each trains at the book's "
                             "lr, 1e-2 (3e-3 for resdeep), unless --lr says otherwise")
    parser.add_argument("--width", type=int, default=None,
                        help="channels of the first conv (default 16 for net, 32 for the others)")
    parser.add_argument("--blocks", type=int, default=None, help="residual blocks of resdeep (default 10)")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="L2 penalty for SGD (default 0)")
    parser.add_argument("--l2", type=float, default=0.0, metavar="LAMBDA",
                        help="add LAMBDA * (sum of the squared parameters) to the loss, as the book's "
                             "training_loop_l2reg (default 0)")
    parser.set_defaults(lr=None)
    args = parser.parse_args()
    check_shape_options(args)
    spec = CONV_MODELS[args.model]
    if args.lr is None:
        args.lr = spec.lr
    pipeline(args, lambda: spec(args.width, 10 if args.blocks is None else args.blocks), nn.CrossEntropyLoss(),
             flatten=False, weight_decay=args.weight_decay, l2=args.l2)


if __name__ == "__main__":
    run(main)
