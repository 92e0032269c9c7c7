"""Save a training run, load it into fresh objects, and continue exactly.

    python examples/resume_checkpoint.py

A checkpoint holds the model's and the optimiser's state (Adam's moments and
step counts) and the data loader's epoch; resuming from it reproduces the
uninterrupted run to the last bit.
"""
import os
import tempfile

import numpy as np

import deepcore as dc
from deepcore import nn
import deepcore.nn.functional as F


def setup():
    dc.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = dc.optim.Adam(model.parameters(), lr=1e-3)
    return model, optimizer


def train_epochs(model, optimizer, loader, first, last):
    for epoch in range(first, last):
        loader.set_epoch(epoch)  # the shuffle order depends only on (seed, epoch)
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return loss.item()


images, labels = dc.datasets.load_digits_mnist()
loader = dc.data.DataLoader(dc.data.TensorDataset(images.flatten(1)[:1000], labels[:1000]),
                            batch_size=50, shuffle=True, seed=1)

# The uninterrupted run: 4 epochs.
model, optimizer = setup()
reference_loss = train_epochs(model, optimizer, loader, 0, 4)
reference = model.state_dict()

# The interrupted run: 2 epochs, save, then a fresh process would load and go on.
model, optimizer = setup()
train_epochs(model, optimizer, loader, 0, 2)
path = os.path.join(tempfile.mkdtemp(), "run.dc")
dc.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 2}, path)

model, optimizer = setup()  # fresh objects, as after a restart
checkpoint = dc.load(path)
model.load_state_dict(checkpoint["model"])
optimizer.load_state_dict(checkpoint["optimizer"])
resumed_loss = train_epochs(model, optimizer, loader, checkpoint["epoch"], 4)

same = all(np.array_equal(reference[k].numpy(), v.numpy()) for k, v in model.state_dict().items())
print(f"uninterrupted loss {reference_loss:.6f}, resumed loss {resumed_loss:.6f}, "
      f"parameters identical: {same}")
