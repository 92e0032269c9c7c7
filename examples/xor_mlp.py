"""An MLP solving XOR, the classic problem no linear model can solve.

    python examples/xor_mlp.py
"""
import deepcore as dc
from deepcore import nn

dc.manual_seed(0)
x = dc.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = dc.tensor([[0.0], [1.0], [1.0], [0.0]])

model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
optimizer = dc.optim.Adam(model.parameters(), lr=0.05)
loss_fn = nn.BCEWithLogitsLoss()

for step in range(501):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}")

with dc.no_grad():
    probs = dc.sigmoid(model(x))
for inputs, p in zip(x.tolist(), probs.flatten().tolist()):
    print(f"{inputs} -> {p:.3f}")
