"""Logistic regression: separate two clouds of 2-D points with one linear layer.

    python examples/logistic_regression.py

The model outputs a logit; BCEWithLogitsLoss combines the sigmoid and the
binary cross-entropy in one numerically stable step; SGD updates w and b.
"""
import deepcore as dc
from deepcore import nn

dc.manual_seed(0)
n = 200
# Two Gaussian clouds centred at (-1, -1) and (1, 1).
x = dc.cat([dc.randn(n, 2) * 0.7 - 1.0, dc.randn(n, 2) * 0.7 + 1.0])
y = dc.cat([dc.zeros(n, 1), dc.ones(n, 1)])

model = nn.Linear(2, 1)
loss_fn = nn.BCEWithLogitsLoss()
optimizer = dc.optim.SGD(model.parameters(), lr=0.5)

for epoch in range(101):
    logits = model(x)
    loss = loss_fn(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 20 == 0:
        accuracy = ((logits > 0).float() == y).float().mean().item()
        print(f"epoch {epoch:3d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")

w, b = model.weight.detach().numpy().ravel(), model.bias.item()
print(f"decision boundary: {w[0]:.2f} * x0 + {w[1]:.2f} * x1 + {b:.2f} = 0")
