"""An MLP on the 5,000 MNIST digits shipped with deepcore.

    python examples/digits_mlp.py

Flattened 28x28 images -> 256 -> 128 -> 10, ReLU, dropout, Adam, a learning
rate that decays by half every 5 epochs, and a validation split to watch.
"""
import deepcore as dc
from deepcore import nn
import deepcore.nn.functional as F

dc.manual_seed(0)
images, labels = dc.datasets.load_digits_mnist()
data = dc.data.TensorDataset(images.flatten(1), labels)
train, val, test = dc.data.random_split(data, [0.7, 0.1, 0.2], seed=0)
train_loader = dc.data.DataLoader(train, batch_size=64, shuffle=True, seed=0)

model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                      nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = dc.optim.Adam(model.parameters(), lr=1e-3)
scheduler = dc.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)


def accuracy(subset):
    x, y = dc.data.DataLoader(subset, batch_size=len(subset)).__iter__().__next__()
    model.eval()
    with dc.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    model.train()
    return acc


for epoch in range(1, 16):
    for x, y in train_loader:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(f"epoch {epoch:2d}  lr {scheduler.get_last_lr()[0]:.5f}  last loss {loss.item():.4f}  "
          f"validation accuracy {accuracy(val):.3f}")
print(f"test accuracy {accuracy(test):.3f}")
