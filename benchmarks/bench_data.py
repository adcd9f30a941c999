"""Speed of the data layer on the real CIFAR-10 (issue 4's targets), printed as a Markdown table.

    python benchmarks/bench_data.py [--archive PATH] [--root DIR] [--repeat N]

The archive (default ../shared/data/cifar10/cifar-10-python.tar.gz next to the
repository) is extracted once into a temporary root, unless ``--root`` names a
folder that already holds ``cifar-10-batches-py`` (or the archive). Each
measurement is repeated; the table shows the median and the best run. The
machine may be shared, so the load average is printed too.

Targets (CPU): loading the five training batches < 2 s; the seeds' list
comprehension over all 50,000 transformed training images < 5 s; one shuffled
epoch of ``DataLoader(cifar2, batch_size=64, shuffle=True)`` over the 10,000
(tensor, int) pairs < 0.1 s; the same directly over a ``Subset`` of CIFAR10
with ToTensor + Normalize < 0.3 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tinynn  # noqa: E402
from tinynn.utils.data import DataLoader, Subset  # noqa: E402
from tinynn.vision import datasets, transforms  # noqa: E402

DEFAULT_ARCHIVE = Path(__file__).resolve().parents[2] / "shared/data/cifar10/cifar-10-python.tar.gz"
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--root", type=Path, default=None, help="a dataset root to reuse (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    tmp = None
    root = args.root
    rows = []
    if root is None or not (root / "cifar-10-batches-py").is_dir():
        if root is None:
            tmp = tempfile.TemporaryDirectory(prefix="bench-cifar-")
            root = Path(tmp.name)
        if not (root / "cifar-10-python.tar.gz").exists():
            if not args.archive.is_file():
                sys.exit(f"no CIFAR-10 archive at {args.archive}; pass --archive or --root")
            os.symlink(args.archive.resolve(), root / "cifar-10-python.tar.gz")
        start = time.perf_counter()
        datasets.CIFAR10(root, train=False)  # extracts the archive and verifies every member it needs
        rows.append(("extract the archive + verify + load the test batch (once)", None, [time.perf_counter() - start]))

    repeat = args.repeat
    rows.append(("CIFAR10(train=True): verify MD5s + load the 5 batches", 2.0,
                 timed(lambda: datasets.CIFAR10(root, train=True), max(3, repeat // 2))))
    loader_only = datasets.CIFAR10(root, train=True)
    rows.append(("  of which: unpickle + concatenate the 5 batches", None,
                 timed(loader_only._load_batches, max(3, repeat // 2))))

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    cifar10 = datasets.CIFAR10(root, train=True, download=False, transform=transform)
    label_map = {0: 0, 2: 1}
    cifar2 = []

    def list_comprehension():
        nonlocal cifar2
        cifar2 = [(img, label_map[label]) for img, label in cifar10 if label in [0, 2]]

    rows.append(("seed list comprehension over 50,000 transformed images", 5.0, timed(list_comprehension, 3)))
    assert len(cifar2) == 10000

    def epoch(loader):
        def run():
            for imgs, labels in loader:
                pass
        return run

    tinynn.manual_seed(0)
    rows.append(("DataLoader(cifar2, 64, shuffle=True): one epoch, 10,000 pairs", 0.1,
                 timed(epoch(DataLoader(cifar2, batch_size=64, shuffle=True)), repeat)))
    keep = [i for i, t in enumerate(cifar10.targets) if t in (0, 2)]
    rows.append(("DataLoader(Subset(CIFAR10 ToTensor+Normalize), 64, shuffle=True): one epoch", 0.3,
                 timed(epoch(DataLoader(Subset(cifar10, keep), batch_size=64, shuffle=True)), repeat)))

    print(f"\nCIFAR-10 data layer, tinynn {tinynn.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average before the table {os.getloadavg()[0]:.2f}\n")
    print("| measurement | target s | median s | best s | runs | meets target |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, target, times in rows:
        median, best = statistics.median(times), min(times)
        verdict = "" if target is None else ("yes" if median < target else "NO")
        print(f"| {name} | {'' if target is None else target} | {median:.3f} | {best:.3f} | {len(times)} | {verdict} |")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
