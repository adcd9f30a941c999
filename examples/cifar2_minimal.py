"""Birds vs airplanes in one file: the seeds' whole pipeline (Deep Learning with PyTorch, ch. 7).

The seeds' code with tinynn's imports and no helpers: the data, the model, the
training loop and the validation are all below. Put ``torch`` back for
``tinynn`` (and ``torchvision`` for ``tinynn.vision``) and it runs on PyTorch.

    python examples/cifar2_minimal.py                    # CIFAR-10 in ./data (downloaded if missing)
    python examples/cifar2_minimal.py --data-dir ~/cifar10 --epochs 10
"""
import argparse

import tinynn as torch
import tinynn.nn as nn
import tinynn.optim as optim
from tinynn.vision import datasets, transforms

parser = argparse.ArgumentParser(description="Train the seeds' fully connected bird/airplane classifier.")
parser.add_argument("--data-dir", default="data/", help="where CIFAR-10 is, or is downloaded to (default: data/)")
parser.add_argument("--epochs", type=int, default=100, help="passes over the training images (default: 100)")
args = parser.parse_args()

torch.manual_seed(123)

# The data: CIFAR-10 as tensors normalised per channel, then only the airplanes (0) and birds (2), as 0 and 1.
preprocess = transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))])
cifar10 = datasets.CIFAR10(args.data_dir, train=True, download=True, transform=preprocess)
cifar10_val = datasets.CIFAR10(args.data_dir, train=False, download=True, transform=preprocess)

label_map = {0: 0, 2: 1}
class_names = ["airplane", "bird"]
cifar2 = [(img, label_map[label]) for img, label in cifar10 if label in [0, 2]]
cifar2_val = [(img, label_map[label]) for img, label in cifar10_val if label in [0, 2]]

# The model: each 3x32x32 image as 3,072 numbers -> 512 tanh units -> log-probabilities of the 2 classes.
model = nn.Sequential(
    nn.Linear(3072, 512),
    nn.Tanh(),
    nn.Linear(512, 2),
    nn.LogSoftmax(dim=1))

# The training loop: minibatches of 64, reshuffled every epoch; plain SGD on the negative log-likelihood.
train_loader = torch.utils.data.DataLoader(cifar2, batch_size=64, shuffle=True)
learning_rate = 1e-2
optimizer = optim.SGD(model.parameters(), lr=learning_rate)
loss_fn = nn.NLLLoss()

for epoch in range(args.epochs):
    for imgs, labels in train_loader:
        outputs = model(imgs.view(imgs.shape[0], -1))
        loss = loss_fn(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print("Epoch: %d, Loss: %f" % (epoch, loss.item()))

# Validation: the share of images whose most likely class is the right one, on both sets.
for name, data in [("train", cifar2), ("val", cifar2_val)]:
    loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=False)
    correct = 0
    total = 0
    with torch.no_grad():
        for imgs, labels in loader:
            outputs = model(imgs.view(imgs.shape[0], -1))
            _, predicted = torch.max(outputs, dim=1)
            total += labels.shape[0]
            correct += int((predicted == labels).sum())
    print("Accuracy %s: %f" % (name, correct / total))
