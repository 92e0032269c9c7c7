"""The README's demo: a small CNN learns real handwritten digits.

    python -m deepcore.demo [--epochs 12] [--batch-size 64] [--threads 2] [--device cpu]

Trains the classic MNIST CNN (Conv-ReLU, Conv-ReLU, MaxPool, Dropout, Linear-ReLU,
Dropout, Linear) with Adam on the 5,000 MNIST digits shipped with deepcore
(3,500 train / 500 validation / 1,000 test), printing a progress bar with loss
and accuracy per epoch, the final test accuracy, a checkpoint (model and
optimiser state) and, when matplotlib is installed, a PNG of the curves.
"""
import argparse
import os
import sys
import time

import deepcore as dc
from deepcore import nn
import deepcore.nn.functional as F


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(),
        nn.Conv2d(16, 32, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
        nn.Linear(32 * 12 * 12, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10),
    )


def evaluate(model, loader, device):
    """(mean loss, accuracy) over a loader, in eval mode and without a graph."""
    model.eval()
    total, correct, loss_sum = 0, 0, 0.0
    with dc.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            total += y.shape[0]
    model.train()
    return loss_sum / total, correct / total


def progress(epoch, epochs, done, total, loss, acc, width=30):
    filled = int(width * done / total)
    bar = "#" * filled + "." * (width - filled)
    sys.stdout.write(f"\repoch {epoch:2d}/{epochs} [{bar}] loss {loss:.4f} acc {acc:.3f}")
    sys.stdout.flush()


def plot(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = range(1, len(history["train_loss"]) + 1)
    a.plot(epochs, history["train_loss"], label="train")
    a.plot(epochs, history["val_loss"], label="validation")
    a.set_xlabel("epoch"), a.set_ylabel("cross-entropy"), a.legend()
    b.plot(epochs, history["train_acc"], label="train")
    b.plot(epochs, history["val_acc"], label="validation")
    b.set_xlabel("epoch"), b.set_ylabel("accuracy"), b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train a CNN on 5,000 MNIST digits.")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="deepcore_demo", help="folder for checkpoint and plot")
    args = parser.parse_args(argv)
    if args.threads:
        dc.set_num_threads(args.threads)
    dc.manual_seed(args.seed)
    device = dc.device(args.device)

    images, labels = dc.datasets.load_digits_mnist()
    full = dc.data.TensorDataset(images, labels)
    train, val, test = dc.data.random_split(full, [3500, 500, 1000], seed=args.seed)
    train_loader = dc.data.DataLoader(train, batch_size=args.batch_size, shuffle=True,
                                      seed=args.seed)
    val_loader = dc.data.DataLoader(val, batch_size=500)
    test_loader = dc.data.DataLoader(test, batch_size=500)

    model = make_model().to(device)
    optimizer = dc.optim.Adam(model.parameters(), lr=args.lr)
    # Cosine decay to zero over the run: large steps early, fine ones at the end.
    scheduler = dc.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"deepcore {dc.__version__}: CNN with {n_params:,} parameters on {len(train)} train / "
          f"{len(val)} validation / {len(test)} test MNIST digits, {dc.get_num_threads()} "
          f"thread(s), device {device}")

    history = {"train_loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        seen, correct, loss_sum = 0, 0, 0.0
        for i, (x, y) in enumerate(train_loader):
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += y.shape[0]
            loss_sum += loss.item() * y.shape[0]
            correct += (logits.argmax(1) == y).sum().item()
            progress(epoch, args.epochs, i + 1, len(train_loader), loss_sum / seen, correct / seen)
        scheduler.step()
        val_loss, val_acc = evaluate(model, val_loader, device)
        for key, value in (("train_loss", loss_sum / seen), ("train_acc", correct / seen),
                           ("val_loss", val_loss), ("val_acc", val_acc)):
            history[key].append(value)
        print(f"  val loss {val_loss:.4f} acc {val_acc:.3f}  ({time.perf_counter() - start:.0f} s)")

    test_loss, test_acc = evaluate(model, test_loader, device)
    print(f"test accuracy {test_acc:.4f} (loss {test_loss:.4f}) on {len(test)} held-out digits, "
          f"trained in {time.perf_counter() - start:.1f} s")
    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "checkpoint.dc")
    dc.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict(), "epoch": args.epochs, "history": history},
            checkpoint)
    print(f"checkpoint: {checkpoint}")
    png = os.path.join(args.out, "curves.png")
    if plot(history, png):
        print(f"training curves: {png}")
    return test_acc


if __name__ == "__main__":
    main()
