"""dc.optim.lr_scheduler: lr sequences against hand-computed values and torch,
state dicts, warnings and errors."""
import math
import warnings

import numpy as np
import pytest

import deepcore as dc
from deepcore import optim
from deepcore.optim import lr_scheduler as sched


def make_opt(lrs=(0.1,), cls=optim.SGD):
    groups = [{"params": [dc.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return cls(groups, lr=lrs[0])


def run(s, opt, epochs, metrics=None):
    """lrs of every group after construction and after each of `epochs` steps."""
    seq = [[g["lr"] for g in opt.param_groups]]
    for e in range(epochs):
        opt.step()
        if metrics is None:
            s.step()
        else:
            s.step(metrics[e])
        assert s.get_last_lr() == [g["lr"] for g in opt.param_groups]
        seq.append(list(s.get_last_lr()))
    return seq


def torch_seq(name, lrs, epochs, metrics=None, **kw):
    torch = pytest.importorskip("torch")
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    opt = torch.optim.SGD(groups, lr=lrs[0])
    s = getattr(torch.optim.lr_scheduler, name)(opt, **kw)
    seq = [[g["lr"] for g in opt.param_groups]]
    for e in range(epochs):
        opt.step()
        s.step() if metrics is None else s.step(metrics[e])
        seq.append([g["lr"] for g in opt.param_groups])
    return seq


def test_step_lr():
    opt = make_opt((0.1, 0.5))
    s = sched.StepLR(opt, step_size=3, gamma=0.5)
    assert s.last_epoch == 0 and s.get_last_lr() == [0.1, 0.5]
    seq = run(s, opt, 10)
    for e, lrs in enumerate(seq):
        assert lrs == pytest.approx([0.1 * 0.5 ** (e // 3), 0.5 * 0.5 ** (e // 3)], rel=1e-15)
    assert s.last_epoch == 10
    assert seq == torch_seq("StepLR", (0.1, 0.5), 10, step_size=3, gamma=0.5)


def test_exponential_lr():
    opt = make_opt((0.2,))
    seq = run(sched.ExponentialLR(opt, gamma=0.9), opt, 8)
    assert [x[0] for x in seq] == pytest.approx([0.2 * 0.9 ** e for e in range(9)], rel=1e-14)
    assert seq == torch_seq("ExponentialLR", (0.2,), 8, gamma=0.9)


def test_lambda_lr_inverse_time_decay_and_per_group_lambdas():
    opt = make_opt((0.1, 1.0))
    k = 0.5
    s = sched.LambdaLR(opt, lr_lambda=[lambda e: 1.0 / (1.0 + k * e), lambda e: 0.9 ** e])
    seq = run(s, opt, 6)
    for e, (a, b) in enumerate(seq):
        assert a == pytest.approx(0.1 / (1 + k * e), rel=1e-15)
        assert b == pytest.approx(0.9 ** e, rel=1e-15)
    torch_ref = torch_seq("LambdaLR", (0.1, 1.0), 6,
                          lr_lambda=[lambda e: 1.0 / (1.0 + k * e), lambda e: 0.9 ** e])
    assert seq == torch_ref
    opt = make_opt((0.1, 1.0))
    s = sched.LambdaLR(opt, lambda e: 1.0 / (1.0 + e))  # one function for every group
    run(s, opt, 3)
    assert s.get_last_lr() == pytest.approx([0.1 / 4, 1.0 / 4])


@pytest.mark.parametrize("T_max,eta_min", [(5, 0.0), (4, 0.01), (1, 0.0)])
def test_cosine_annealing(T_max, eta_min):
    opt = make_opt((0.1, 0.3))
    s = sched.CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)
    epochs = 3 * T_max + 2
    seq = run(s, opt, epochs)
    # the recursive form equals the closed form, also past T_max
    for e, lrs in enumerate(seq):
        for lr, base in zip(lrs, (0.1, 0.3)):
            closed = eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / T_max)) / 2
            assert lr == pytest.approx(closed, abs=1e-12)
    assert min(x[0] for x in seq) == pytest.approx(eta_min, abs=1e-12)
    torch_ref = torch_seq("CosineAnnealingLR", (0.1, 0.3), epochs, T_max=T_max, eta_min=eta_min)
    np.testing.assert_allclose(seq, torch_ref, rtol=1e-15, atol=1e-17)


def test_cosine_annealing_follows_outside_changes_recursively():
    opt = make_opt((0.1,))
    s = sched.CosineAnnealingLR(opt, T_max=10)
    run(s, opt, 2)
    opt.param_groups[0]["lr"] *= 0.5  # someone else halves the lr
    lr_before = opt.param_groups[0]["lr"]
    run(s, opt, 1)
    factor = (1 + math.cos(math.pi * 3 / 10)) / (1 + math.cos(math.pi * 2 / 10))
    assert s.get_last_lr()[0] == pytest.approx(lr_before * factor, rel=1e-14)


def test_reduce_lr_on_plateau_min_rel():
    opt = make_opt((1.0, 0.5))
    s = sched.ReduceLROnPlateau(opt, factor=0.5, patience=2, min_lr=[0.2, 0.0])
    metrics = [10, 9, 9, 9, 9, 8, 8.9999, 8, 8, 8, 8, 8, 8, 8]
    seq = run(s, opt, len(metrics), metrics)
    # best 10 -> 9 (e1); bad e2, e3, e4 -> reduce after e4 (3 > patience);
    # e5 improves; e6 (8.9999 not < 8 * (1 - 1e-4)) bad, e7 bad (8 == best), e8 bad -> reduce
    # after e8; then e9..e11 bad -> reduce after e11 (group 0 at its min 0.2).
    expect0 = [1.0] * 5 + [0.5] * 4 + [0.25] * 3 + [0.2] * 3
    expect1 = [0.5] * 5 + [0.25] * 4 + [0.125] * 3 + [0.0625] * 3
    assert [x[0] for x in seq] == expect0
    assert [x[1] for x in seq] == expect1
    assert s.last_epoch == len(metrics)
    assert seq == torch_seq("ReduceLROnPlateau", (1.0, 0.5), len(metrics), metrics, factor=0.5,
                            patience=2, min_lr=[0.2, 0.0])


@pytest.mark.parametrize("kw", [dict(mode="max", patience=1),
                                dict(mode="max", threshold_mode="abs", threshold=0.5,
                                     patience=0),
                                dict(mode="min", threshold_mode="abs", threshold=0.5,
                                     patience=1, cooldown=2),
                                dict(patience=0, eps=0.2, factor=0.9)])
def test_reduce_lr_on_plateau_modes_against_torch(kw):
    metrics = [1.0, 1.2, 1.3, 1.3, 1.0, 0.9, 0.4, 0.41, 0.39, 2.0, 2.6, 2.6, 1.0, 0.0, 0.0]
    opt = make_opt((1.0,))
    s = sched.ReduceLROnPlateau(opt, **kw)
    seq = run(s, opt, len(metrics), metrics)
    assert seq == torch_seq("ReduceLROnPlateau", (1.0,), len(metrics), metrics, **kw)


def test_reduce_lr_on_plateau_cooldown_by_hand():
    opt = make_opt((1.0,))
    s = sched.ReduceLROnPlateau(opt, patience=0, cooldown=2, factor=0.1)
    seq = run(s, opt, 6, [5, 6, 7, 8, 9, 10])
    # e0: 5 best; e1 bad -> reduce, cooldown 2; e2, e3 in cooldown; e4 bad -> reduce
    assert [x[0] for x in seq] == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01])


def test_scheduler_drives_the_optimizer():
    p = dc.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    s = sched.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = dc.ones(1)
        opt.step()
        s.step()
    np.testing.assert_allclose(p.detach().numpy(), [-(1 + 0.5 + 0.25)])


@pytest.mark.parametrize("make", [
    lambda o: sched.StepLR(o, step_size=2, gamma=0.3),
    lambda o: sched.ExponentialLR(o, gamma=0.8),
    lambda o: sched.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    lambda o: sched.LambdaLR(o, lambda e: 1 / (1 + e)),
])
def test_state_dict_round_trip(make):
    opt1 = make_opt((0.1, 0.2))
    s1 = make(opt1)
    run(s1, opt1, 3)
    sd = s1.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 3
    # PyTorch's order: make both, then load the optimizer, then the scheduler
    opt2 = make_opt((0.1, 0.2))
    s2 = make(opt2)
    opt2.load_state_dict(opt1.state_dict())
    s2.load_state_dict(sd)
    assert s2.last_epoch == 3 and s2.get_last_lr() == s1.get_last_lr()
    assert run(s1, opt1, 5) == run(s2, opt2, 5)


def test_plateau_state_dict_round_trip():
    opt1 = make_opt((1.0,))
    s1 = sched.ReduceLROnPlateau(opt1, patience=1, mode="max")
    run(s1, opt1, 4, [1, 1, 1, 2])
    opt2 = make_opt((1.0,))
    opt2.load_state_dict(opt1.state_dict())
    s2 = sched.ReduceLROnPlateau(opt2)
    s2.load_state_dict(s1.state_dict())
    assert s2.mode == "max" and s2.best == 2 and s2.last_epoch == 4
    metrics = [2, 2, 3, 3, 3]
    assert run(s1, opt1, 5, metrics) == run(s2, opt2, 5, metrics)


def test_lambda_state_dict_keeps_callable_objects_state():
    class Decay:
        def __init__(self):
            self.k = 0.5

        def __call__(self, e):
            return 1 / (1 + self.k * e)

    opt = make_opt((1.0,))
    f = Decay()
    s = sched.LambdaLR(opt, f)
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"k": 0.5}]
    f.k = 2.0
    s.load_state_dict(sd)
    assert f.k == 0.5
    assert sched.LambdaLR(make_opt(), lambda e: 1.0).state_dict()["lr_lambdas"] == [None]


def test_resume_with_last_epoch():
    opt = make_opt((0.1,))
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(opt, step_size=2, last_epoch=4)
    s = sched.StepLR(opt, step_size=2, gamma=0.5)
    run(s, opt, 4)
    # a new scheduler picking up from epoch 4 (initial_lr is in the groups now)
    s2 = sched.StepLR(opt, step_size=2, gamma=0.5, last_epoch=4)
    assert s2.last_epoch == 5 and s2.base_lrs == [0.1]


def test_warns_when_stepped_before_the_optimizer():
    opt = make_opt()
    s = sched.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    opt = make_opt()
    s = sched.StepLR(opt, step_size=1)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()


def test_step_with_epoch_uses_the_closed_form():
    opt = make_opt((1.0,))
    s = sched.StepLR(opt, step_size=2, gamma=0.1)
    opt.step()
    with pytest.warns(UserWarning, match="deprecated"):
        s.step(5)
    assert s.last_epoch == 5 and s.get_last_lr() == pytest.approx([0.01])


def test_errors():
    opt = make_opt()
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.StepLR([], step_size=1)
    with pytest.raises(TypeError, match="dict is not an Optimizer"):
        sched.ReduceLROnPlateau({})
    with pytest.raises(ValueError, match="StepLR: step_size must be a positive integer, got 0"):
        sched.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="StepLR: gamma must be a real number"):
        sched.StepLR(opt, step_size=1, gamma="x")
    with pytest.raises(ValueError, match="CosineAnnealingLR: T_max must be a positive integer"):
        sched.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
        sched.LambdaLR(opt, [lambda e: 1, lambda e: 1])
    with pytest.raises(TypeError, match="lr_lambda must be callable"):
        sched.LambdaLR(opt, 0.5)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        sched.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        sched.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="threshold mode relative is unknown"):
        sched.ReduceLROnPlateau(opt, threshold_mode="relative")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        sched.ReduceLROnPlateau(opt, min_lr=[0, 0])
    with pytest.raises(ValueError, match="patience must be an integer >= 0"):
        sched.ReduceLROnPlateau(opt, patience=-1)
