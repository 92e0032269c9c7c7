"""dc.optim: optimisers with PyTorch's update rules, and learning rate schedulers.

    opt = dc.optim.Adam(model.parameters(), lr=1e-3)
    sched = dc.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    for epoch in range(n):
        for x, y in loader:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        sched.step()

Adam and AdamW run one fused native kernel per parameter group and step; the
other optimisers are compositions of small fused in-place kernels.
"""
from .optimizer import Optimizer, required
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .regularization import l1_penalty
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "NAdam", "l1_penalty", "lr_scheduler"]
