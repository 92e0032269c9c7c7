"""dc.optim: update rules against float64 numpy references written from
PyTorch's documented algorithms (and against torch itself when installed),
parameter groups, state dicts, closures, the fused Adam kernel, errors."""
import math

import numpy as np
import pytest

import deepcore as dc
from deepcore import optim

NP = {"float32": np.float32, "float64": np.float64}
DC = {"float32": dc.float32, "float64": dc.float64}
# float32 trajectories are compared with float64 references: a few float32
# roundings per step, over a few steps.
TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-6)}


# ---------------------------------------------------------------- references
def ref_step(name, hp, x, g, st, t):
    """One step of `name` with hyper-parameters `hp` on float64 arrays, from the
    algorithm boxes of PyTorch's documentation. Returns the new x; `st` is the
    per-parameter state dict, `t` the step number (from 1)."""
    lr = hp["lr"]
    wd = hp.get("weight_decay", 0.0)
    if hp.get("maximize", False):
        g = -g
    if name == "SGD":
        if wd:
            g = g + wd * x
        mom, damp = hp.get("momentum", 0.0), hp.get("dampening", 0.0)
        if mom:
            st["b"] = g.copy() if t == 1 else mom * st["b"] + (1 - damp) * g
            g = g + mom * st["b"] if hp.get("nesterov", False) else st["b"]
        return x - lr * g
    if name in ("Adam", "AdamW"):
        b1, b2 = hp.get("betas", (0.9, 0.999))
        eps = hp.get("eps", 1e-8)
        if name == "AdamW" or hp.get("decoupled_weight_decay", False):
            x = x * (1 - lr * wd)
        elif wd:
            g = g + wd * x
        if t == 1:
            st.update(m=np.zeros_like(x), v=np.zeros_like(x), vmax=np.zeros_like(x))
        st["m"] = b1 * st["m"] + (1 - b1) * g
        st["v"] = b2 * st["v"] + (1 - b2) * g * g
        vhat = st["v"]
        if hp.get("amsgrad", False):
            st["vmax"] = np.maximum(st["vmax"], st["v"])
            vhat = st["vmax"]
        mhat = st["m"] / (1 - b1 ** t)
        return x - lr * mhat / (np.sqrt(vhat / (1 - b2 ** t)) + eps)
    if name == "RMSprop":
        alpha, eps, mom = hp.get("alpha", 0.99), hp.get("eps", 1e-8), hp.get("momentum", 0.0)
        if wd:
            g = g + wd * x
        if t == 1:
            st.update(v=np.zeros_like(x), gbar=np.zeros_like(x), b=np.zeros_like(x))
        st["v"] = alpha * st["v"] + (1 - alpha) * g * g
        vt = st["v"]
        if hp.get("centered", False):
            st["gbar"] = alpha * st["gbar"] + (1 - alpha) * g
            vt = vt - st["gbar"] ** 2
        d = g / (np.sqrt(vt) + eps)
        if mom > 0:
            st["b"] = mom * st["b"] + d
            return x - lr * st["b"]
        return x - lr * d
    if name == "Adagrad":
        eps, decay = hp.get("eps", 1e-10), hp.get("lr_decay", 0.0)
        if wd:
            g = g + wd * x
        if t == 1:
            st["s"] = np.full_like(x, hp.get("initial_accumulator_value", 0.0))
        clr = lr / (1 + (t - 1) * decay)
        st["s"] = st["s"] + g * g
        return x - clr * g / (np.sqrt(st["s"]) + eps)
    if name == "Adadelta":
        rho, eps = hp.get("rho", 0.9), hp.get("eps", 1e-6)
        if wd:
            g = g + wd * x
        if t == 1:
            st.update(v=np.zeros_like(x), u=np.zeros_like(x))
        st["v"] = rho * st["v"] + (1 - rho) * g * g
        d = np.sqrt(st["u"] + eps) / np.sqrt(st["v"] + eps) * g
        st["u"] = rho * st["u"] + (1 - rho) * d * d
        return x - lr * d
    if name == "Adamax":
        b1, b2 = hp.get("betas", (0.9, 0.999))
        eps = hp.get("eps", 1e-8)
        if wd:
            g = g + wd * x
        if t == 1:
            st.update(m=np.zeros_like(x), u=np.zeros_like(x))
        st["m"] = b1 * st["m"] + (1 - b1) * g
        st["u"] = np.maximum(b2 * st["u"], np.abs(g) + eps)
        return x - lr / (1 - b1 ** t) * st["m"] / st["u"]
    if name == "NAdam":
        b1, b2 = hp.get("betas", (0.9, 0.999))
        eps, psi = hp.get("eps", 1e-8), hp.get("momentum_decay", 4e-3)
        if hp.get("decoupled_weight_decay", False):
            x = x * (1 - lr * wd)
        elif wd:
            g = g + wd * x
        if t == 1:
            st.update(m=np.zeros_like(x), v=np.zeros_like(x), P=1.0)
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        st["P"] *= mu
        st["m"] = b1 * st["m"] + (1 - b1) * g
        st["v"] = b2 * st["v"] + (1 - b2) * g * g
        d = np.sqrt(st["v"] / (1 - b2 ** t)) + eps
        return (x - lr * (1 - mu) / (1 - st["P"]) * g / d
                - lr * mu_next / (1 - st["P"] * mu_next) * st["m"] / d)
    raise AssertionError(name)


DEFAULT_LR = {"SGD": 1e-3, "Adam": 1e-3, "AdamW": 1e-3, "RMSprop": 1e-2, "Adagrad": 1e-2,
              "Adadelta": 1.0, "Adamax": 2e-3, "NAdam": 2e-3}

CONFIGS = {
    "SGD": [dict(lr=0.1), dict(lr=0.1, momentum=0.9),
            dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.1),
            dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05),
            dict(lr=0.1, momentum=0.5, maximize=True)],
    "Adam": [dict(), dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
             dict(lr=0.05, amsgrad=True), dict(lr=0.05, amsgrad=True, weight_decay=0.1),
             dict(lr=0.05, maximize=True, weight_decay=0.1),
             dict(lr=0.05, betas=(0.3, 0.9)),  # 1 - beta1 >= 0.5: the other lerp formula
             dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)],
    "AdamW": [dict(lr=0.05), dict(lr=0.05, weight_decay=0.1, amsgrad=True),
              dict(lr=0.05, maximize=True, betas=(0.5, 0.9))],
    "RMSprop": [dict(), dict(lr=0.01, alpha=0.9, momentum=0.9),
                dict(lr=0.01, centered=True, weight_decay=0.1),
                dict(lr=0.01, centered=True, momentum=0.5, maximize=True)],
    "Adagrad": [dict(lr=0.1),
                dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5),
                dict(lr=0.1, eps=1e-3, maximize=True)],
    "Adadelta": [dict(), dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1),
                 dict(maximize=True)],
    "Adamax": [dict(), dict(lr=0.05, betas=(0.8, 0.95), weight_decay=0.1),
               dict(maximize=True)],
    "NAdam": [dict(), dict(lr=0.05, weight_decay=0.1),
              dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
              dict(lr=0.05, momentum_decay=0.01, maximize=True)],
}
CASES = [(name, hp) for name, hps in CONFIGS.items() for hp in hps]
CASE_IDS = [f"{name}-{i}" for name, hps in CONFIGS.items() for i in range(len(hps))]

SHAPES = [(5,), (3, 4), ()]


def problem(seed=0):
    """Starting points and the quadratic f(x) = sum(0.5 * a * x^2 + b * x)."""
    rng = np.random.default_rng(seed)
    x0 = [rng.uniform(-2, 2, s) for s in SHAPES]
    a = [rng.uniform(0.5, 2.0, s) for s in SHAPES]
    b = [rng.uniform(-1, 1, s) for s in SHAPES]
    return x0, a, b


def reference(name, hp, steps, seed=0):
    x0, a, b = problem(seed)
    full = dict(hp, lr=hp.get("lr", DEFAULT_LR[name]))
    if name == "AdamW":
        full.setdefault("weight_decay", 1e-2)
    xs = [x.copy() for x in x0]
    states = [{} for _ in xs]
    for t in range(1, steps + 1):
        xs = [ref_step(name, full, x, ai * x + bi, st, t)
              for x, ai, bi, st in zip(xs, a, b, states)]
    return xs


def run_dc(name, hp, steps, dtype, seed=0):
    x0, a, b = problem(seed)
    params = [dc.tensor(x.astype(NP[dtype]), requires_grad=True) for x in x0]
    opt = getattr(optim, name)(params, **hp)
    for _ in range(steps):
        for p, ai, bi in zip(params, a, b):
            x = p.detach().numpy().astype(np.float64)
            p.grad = dc.tensor(np.asarray(ai * x + bi, dtype=NP[dtype]))
        opt.step()
    return params, opt


def run_torch(torch, name, hp, steps, dtype, seed=0):
    x0, a, b = problem(seed)
    tdt = {"float32": torch.float32, "float64": torch.float64}[dtype]
    params = [torch.tensor(x, dtype=tdt, requires_grad=True) for x in x0]
    opt = getattr(torch.optim, name)(params, **hp)
    if name == "NAdam":
        # torch keeps mu_product in a float32 scalar; start it in float64 so
        # that the comparison measures the update rule, not that rounding.
        for p in params:
            opt.state[p].update(step=torch.tensor(0.0), mu_product=torch.tensor(1.0, dtype=tdt),
                                exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
    for _ in range(steps):
        for p, ai, bi in zip(params, a, b):
            x = p.detach().numpy().astype(np.float64)
            p.grad = torch.tensor(ai * x + bi, dtype=tdt)
        opt.step()
    return params


# ---------------------------------------------------------------- update rules
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,hp", CASES, ids=CASE_IDS)
def test_matches_reference(name, hp, dtype):
    steps = 6
    params, _ = run_dc(name, hp, steps, dtype)
    for p, r in zip(params, reference(name, hp, steps)):
        assert p.dtype == DC[dtype] and p.shape == r.shape
        np.testing.assert_allclose(p.detach().numpy(), r, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name,hp", CASES, ids=CASE_IDS)
def test_matches_torch(name, hp, dtype):
    torch = pytest.importorskip("torch")
    steps = 6
    params, _ = run_dc(name, hp, steps, dtype)
    theirs = run_torch(torch, name, hp, steps, dtype)
    tol = dict(rtol=1e-12, atol=1e-13) if dtype == "float64" else dict(rtol=1e-6, atol=1e-6)
    for p, t in zip(params, theirs):
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), **tol)


def test_defaults_match_pytorch():
    p = [dc.zeros(2, requires_grad=True)]
    expect = {
        "SGD": dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False),
        "Adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False),
        "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False),
        "RMSprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                        centered=False),
        "Adagrad": dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                        eps=1e-10),
        "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0),
        "Adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0),
        "NAdam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                      momentum_decay=4e-3),
    }
    for name, want in expect.items():
        group = getattr(optim, name)(p).param_groups[0]
        for k, v in want.items():
            assert group[k] == v, (name, k)
        assert group["maximize"] is False


# ---------------------------------------------------------------- groups
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam"])
def test_param_groups_have_their_own_hyper_parameters(name):
    x0, a, b = problem(1)
    params = [dc.tensor(x, requires_grad=True) for x in x0]
    extra = {"SGD": dict(momentum=0.9, nesterov=True)}.get(name, {})
    opt = getattr(optim, name)([{"params": params[:2]},
                                {"params": params[2:], "lr": 0.3, "weight_decay": 0.2}],
                               lr=0.05, **extra)
    g0, g1 = opt.param_groups
    assert g0["lr"] == 0.05 and g1["lr"] == 0.3 and g1["weight_decay"] == 0.2
    assert set(g0) == set(g1)  # defaults filled into every group
    steps = 4
    for _ in range(steps):
        for p, ai, bi in zip(params, a, b):
            p.grad = dc.tensor(np.asarray(ai * p.detach().numpy() + bi))
        opt.step()
    hp0 = dict(extra, lr=0.05, weight_decay=g0["weight_decay"])
    hp1 = dict(extra, lr=0.3, weight_decay=0.2)
    for i, p in enumerate(params):
        hp = hp0 if i < 2 else hp1
        x, st = x0[i].copy(), {}
        for t in range(1, steps + 1):
            x = ref_step(name, hp, x, a[i] * x + b[i], st, t)
        np.testing.assert_allclose(p.detach().numpy(), x, **TOL["float64"])


def test_add_param_group_and_changed_lr():
    p, q = dc.ones(3, requires_grad=True), dc.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    opt.add_param_group({"params": q, "lr": 0.5})
    assert opt.param_groups[1]["params"] == [q] and opt.param_groups[1]["momentum"] == 0
    p.grad, q.grad = dc.ones(3), dc.ones(2)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), 0.9)
    np.testing.assert_allclose(q.detach().numpy(), 0.5)
    opt.param_groups[0]["lr"] = 0.2  # as a scheduler does
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), 0.7)


def test_named_parameters():
    model = dc.nn.Linear(3, 2)
    opt = optim.Adam(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    with pytest.raises(ValueError, match="with/without names"):
        optim.SGD([("w", dc.ones(1, requires_grad=True)), dc.ones(1, requires_grad=True)])


# ---------------------------------------------------------------- gradients
def test_zero_grad():
    p = dc.ones(3, requires_grad=True)
    q = dc.ones(2, requires_grad=True)
    opt = optim.SGD([p, q], lr=0.1)
    (p * 2.0).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and np.all(g.numpy() == 0) and q.grad is None
    (p * 2.0).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), 2.0)
    opt.zero_grad()
    assert p.grad is None and q.grad is None


@pytest.mark.parametrize("name", list(CONFIGS))
def test_params_without_grad_are_skipped(name):
    p, q = dc.ones(3, requires_grad=True), dc.ones(2, requires_grad=True)
    opt = getattr(optim, name)([p, q], lr=0.1)
    p.grad = dc.full((3,), 0.5)
    opt.step()
    assert not np.allclose(p.detach().numpy(), 1.0)
    np.testing.assert_array_equal(q.detach().numpy(), 1.0)
    if name != "Adagrad":  # Adagrad makes its state at construction, as PyTorch
        assert len(opt.state.get(q, {})) == 0
    assert p.grad is not None  # step leaves the gradients alone
    np.testing.assert_array_equal(p.grad.numpy(), 0.5)


def test_step_with_closure_and_autograd():
    x0, a, b = problem(2)
    params = [dc.tensor(x, requires_grad=True) for x in x0]
    ta = [dc.tensor(ai) for ai in a]
    tb = [dc.tensor(bi) for bi in b]
    opt = optim.Adam(params, lr=0.05, amsgrad=True)
    calls = []

    def closure():
        opt.zero_grad()
        loss = sum(((ai * p * p) * 0.5 + bi * p).sum() for p, ai, bi in zip(params, ta, tb))
        loss.backward()
        calls.append(loss.item())
        return loss

    with dc.no_grad():  # the closure still records its graph
        loss = opt.step(closure)
    assert isinstance(loss, dc.Tensor) and len(calls) == 1
    for _ in range(4):
        opt.step(closure)
    assert calls[-1] < calls[0]
    ref = reference("Adam", dict(lr=0.05, amsgrad=True), 5, seed=2)
    for p, r in zip(params, ref):
        np.testing.assert_allclose(p.detach().numpy(), r, **TOL["float64"])


def test_noncontiguous_parameter_and_grad():
    base = np.arange(12, dtype=np.float64).reshape(3, 4) / 10
    p = dc.tensor(base).t()  # a non-contiguous leaf
    p.requires_grad_(True)
    assert not p.is_contiguous()
    g = np.linspace(-1, 1, 12).reshape(3, 4)
    for name in CONFIGS:
        p2 = dc.tensor(base.T.copy(), requires_grad=True)
        pt = dc.tensor(base).t().requires_grad_(True)
        grad_t = dc.tensor(g).t()  # a non-contiguous gradient too
        o1 = getattr(optim, name)([pt], lr=0.1)
        o2 = getattr(optim, name)([p2], lr=0.1)
        for _ in range(2):
            pt.grad = grad_t
            p2.grad = dc.tensor(g.T.copy())
            o1.step()
            o2.step()
        np.testing.assert_array_equal(pt.detach().numpy(), p2.detach().numpy())


def test_grad_mismatch_errors():
    p = dc.ones(3, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = dc.ones(4)
    with pytest.raises(ValueError, match=r"Adam.step: the gradient of parameter 0 in group 0 "
                                         r"has shape \(4,\) but the parameter has shape \(3,\)"):
        opt.step()
    p.grad = dc.ones(3, dtype=dc.float64)
    with pytest.raises(TypeError, match="has dtype deepcore.float64 but the parameter"):
        opt.step()
    opt2 = optim.SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="SGD.step"):
        opt2.step()
    np.testing.assert_array_equal(p.detach().numpy(), 1.0)  # nothing was written


def test_step_bumps_the_version_of_saved_parameters():
    p = dc.tensor([1.0, 2.0], requires_grad=True)
    y = (p * p).sum()
    opt = optim.SGD([p], lr=0.1)
    p.grad = dc.ones(2)
    opt.step()
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_mixed_dtypes_in_one_adam_group():
    a = dc.tensor(np.linspace(-1, 1, 7), requires_grad=True)
    b = dc.tensor(np.linspace(-1, 1, 5).astype(np.float32), requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    for _ in range(3):
        a.grad = a.detach() * 2.0
        b.grad = b.detach() * 2.0
        opt.step()
    for p, x in ((a, np.linspace(-1, 1, 7)), (b, np.linspace(-1, 1, 5))):
        st = {}
        for t in range(1, 4):
            x = ref_step("Adam", dict(lr=0.1), x, 2 * x, st, t)
        np.testing.assert_allclose(p.detach().numpy(), x, **TOL[p.dtype.name])
    assert a.dtype == dc.float64 and b.dtype == dc.float32


def test_amsgrad_switched_on_later():
    p = dc.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = dc.tensor([0.5, 0.5])
    opt.step()
    opt.param_groups[0]["amsgrad"] = True
    opt.step()
    assert "max_exp_avg_sq" in opt.state[p]


def test_training_a_linear_model_converges():
    rng = np.random.default_rng(0)
    xn = rng.standard_normal((64, 3))
    x = dc.tensor(xn)
    y = dc.tensor(xn @ np.array([[1.0], [-2.0], [0.5]]) + 0.3)
    model = dc.nn.Linear(3, 1).double()
    for cls, kw in ((optim.Adam, dict(lr=0.05)), (optim.SGD, dict(lr=0.05, momentum=0.9))):
        for p in model.parameters():
            with dc.no_grad():
                p.fill_(0.0)
        opt = cls(model.parameters(), **kw)
        for _ in range(300):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
        assert loss.item() < 1e-3, (cls.__name__, loss.item())


# ---------------------------------------------------------------- state dicts
@pytest.mark.parametrize("name,hp", [(n, h) for n, hs in CONFIGS.items() for h in hs[:2]]
                         + [("Adam", dict(amsgrad=True)),
                            ("RMSprop", dict(centered=True, momentum=0.5))])
def test_state_dict_round_trip(name, hp):
    x0, a, b = problem(3)

    def make():
        params = [dc.tensor(x, requires_grad=True) for x in x0]
        return params, getattr(optim, name)([{"params": params[:1]},
                                             {"params": params[1:], "lr": 0.02}], **hp)

    def advance(params, opt, n):
        for _ in range(n):
            for p, ai, bi in zip(params, a, b):
                p.grad = dc.tensor(np.asarray(ai * p.detach().numpy() + bi))
            opt.step()

    p1, o1 = make()
    advance(p1, o1, 3)
    sd = o1.state_dict()
    stateless = name == "SGD" and not hp.get("momentum")
    assert sorted(sd["state"]) == ([] if stateless else [0, 1, 2])
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert sd["param_groups"][1]["lr"] == 0.02
    p2, o2 = make()
    with dc.no_grad():
        for dst, src in zip(p2, p1):
            dst.copy_(src)
    o2.load_state_dict(sd)
    # state is copied, not shared
    for i, p in enumerate(p2):
        for k, v in o2.state[p].items():
            if isinstance(v, dc.Tensor):
                assert v.data_ptr() != o1.state[p1[i]][k].data_ptr()
    advance(p1, o1, 3)
    advance(p2, o2, 3)
    for u, v in zip(p1, p2):
        np.testing.assert_array_equal(u.detach().numpy(), v.detach().numpy())


def test_state_dict_contents():
    p = dc.ones(2, 3, requires_grad=True)
    opt = optim.Adam([p], lr=0.01)
    p.grad = dc.ones(2, 3)
    opt.step()
    opt.step()
    sd = opt.state_dict()
    st = sd["state"][0]
    assert st["step"] == 2 and set(st) == {"step", "exp_avg", "exp_avg_sq"}
    assert st["exp_avg"].shape == (2, 3)
    np.testing.assert_allclose(st["exp_avg"].numpy(), 1 - 0.9 ** 2)
    group = sd["param_groups"][0]
    assert group["params"] == [0] and group["lr"] == 0.01 and group["betas"] == (0.9, 0.999)


def test_load_state_dict_accepts_string_keys_and_casts_dtypes():
    p = dc.ones(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sd = {"state": {"0": {"momentum_buffer": dc.tensor([1.0, 2.0, 3.0], dtype=dc.float64)}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    opt.load_state_dict(sd)
    buf = opt.state[p]["momentum_buffer"]
    assert buf.dtype == dc.float32
    np.testing.assert_array_equal(buf.numpy(), [1, 2, 3])


def test_load_state_dict_errors():
    p, q = dc.ones(3, requires_grad=True), dc.ones(2, requires_grad=True)
    opt = optim.Adam([p, q])
    p.grad, q.grad = dc.ones(3), dc.ones(2)
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups: 1 in the "
                                         "state dict, 2 in the optimizer"):
        optim.Adam([{"params": [p]}, {"params": [q]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group: group 0 "
                                         "has 2 parameters in the state dict and 1"):
        optim.Adam([p]).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(3,\) but "
                                         r"the parameter has shape \(2,\)"):
        optim.Adam([q, p]).load_state_dict(sd)
    with pytest.raises(ValueError, match="expected a dict with 'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})
    bad = {"state": {5: {}}, "param_groups": sd["param_groups"]}
    with pytest.raises(ValueError, match="parameter index 5, which no parameter group lists"):
        opt.load_state_dict(bad)
    bad = {"state": {"x": {}}, "param_groups": sd["param_groups"]}
    with pytest.raises(ValueError, match="state key 'x' is not a parameter index"):
        opt.load_state_dict(bad)
    # a failed load leaves the optimiser as it was
    assert opt.state[p]["step"] == 1


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("cls,kw,match", [
    (optim.SGD, dict(lr=-0.1), "Invalid learning rate: -0.1"),
    (optim.SGD, dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    (optim.SGD, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    (optim.SGD, dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "Nesterov momentum requires"),
    (optim.Adam, dict(lr=-1e-3), "Invalid learning rate"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (optim.Adam, dict(betas=(0.9,)), "betas must be a pair"),
    (optim.Adam, dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (optim.AdamW, dict(weight_decay=-0.01), "Invalid weight_decay value"),
    (optim.RMSprop, dict(alpha=-0.1), "Invalid alpha value: -0.1"),
    (optim.RMSprop, dict(momentum=-0.1), "Invalid momentum value"),
    (optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
    (optim.Adadelta, dict(rho=1.5), "Invalid rho value: 1.5"),
    (optim.Adamax, dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1"),
    (optim.NAdam, dict(momentum_decay=-1), "Invalid momentum_decay value"),
    (optim.NAdam, dict(eps=float("nan")), "Invalid epsilon value: nan"),
])
def test_invalid_hyper_parameters(cls, kw, match):
    with pytest.raises(ValueError, match=match):
        cls([dc.ones(1, requires_grad=True)], **kw)


def test_invalid_hyper_parameters_in_a_group():
    p, q = dc.ones(1, requires_grad=True), dc.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1.0"):
        optim.Adam([{"params": [p]}, {"params": [q], "lr": -1.0}])
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        opt.add_param_group({"params": [q], "nesterov": True})
    with pytest.raises(TypeError, match="lr must be a real number, got str"):
        optim.SGD([p], lr="0.1")


def test_invalid_params():
    leaf = dc.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got a "
                                        "Tensor"):
        optim.SGD(leaf)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([leaf * 2.0])
    with pytest.raises(TypeError, match="floating point tensors, but parameter 1 of group 0 has "
                                        "dtype deepcore.int64"):
        optim.Adam([leaf, dc.ones(2, dtype=dc.int64)])
    with pytest.raises(TypeError, match="can only optimize Tensors, but parameter 0 of group 0 "
                                        "is a ndarray"):
        optim.SGD([np.ones(2)])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({leaf})
    with pytest.raises(ValueError, match="parameter 0 of group 1 appears in groups 0 and 1"):
        optim.SGD([{"params": [leaf]}, {"params": [leaf]}])
    with pytest.raises(ValueError, match="appears twice in the same group"):
        optim.Adam([leaf, leaf])
    opt = optim.SGD([leaf])
    with pytest.raises(ValueError, match="appears in groups 0 and 1"):
        opt.add_param_group({"params": leaf})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([leaf])
    assert len(opt.param_groups) == 1


def test_repr():
    r = repr(optim.SGD([dc.ones(1, requires_grad=True)], lr=0.5))
    assert r.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5" in r


# ---------------------------------------------------------------- the fused Adam kernel
def _adam_arrays(sizes, dtype, seed, amsgrad):
    rng = np.random.default_rng(seed)
    mk = lambda s, lo=-1.0: dc.tensor(rng.uniform(lo, 1.0, s).astype(dtype))  # noqa: E731
    params = [mk(s) for s in sizes]
    grads = [mk(s) for s in sizes]
    ms = [mk(s) for s in sizes]
    vs = [mk(s, 0.0) for s in sizes]
    maxes = [mk(s, 0.0) for s in sizes] if amsgrad else []
    return params, grads, ms, vs, maxes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("amsgrad,decoupled,maximize,wd,beta1", [
    (False, False, False, 0.0, 0.9), (True, False, True, 0.1, 0.9),
    (False, True, False, 0.1, 0.2), (True, True, True, 0.1, 0.5)])
def test_fused_adam_kernel_matches_its_scalar_reference(dtype, amsgrad, decoupled, maximize, wd,
                                                         beta1):
    # sizes that cross vector widths, thread chunks and tensor boundaries,
    # with an empty and a 0-d tensor among them
    sizes = [(70_001,), (0,), (), (3, 5), (40_000,), (1,), (9,)]
    steps = [1, 7, 2, 3, 100, 1, 5]
    out = []
    for reference in (False, True):
        for threads in (1, 2):
            dc.set_num_threads(threads)
            arrs = _adam_arrays(sizes, dtype, 0, amsgrad)
            dc._C.adam_step(*[[t._a for t in lst] for lst in arrs], steps, 0.01, beta1, 0.99,
                            1e-8, wd, decoupled, amsgrad, maximize, reference=reference)
            out.append([t.numpy().copy() for lst in arrs for t in lst])
    # float64 reference of the whole update
    params, grads, ms, vs, maxes = [[t.numpy().astype(np.float64) for t in lst]
                                    for lst in _adam_arrays(sizes, dtype, 0, amsgrad)]
    expect_p, expect_m, expect_v, expect_max = [], [], [], []
    for i in range(len(sizes)):
        p, g, m, v, t = params[i], grads[i], ms[i], vs[i], steps[i]
        g = -g if maximize else g
        if decoupled:
            p = p * (1 - 0.01 * wd)
        else:
            g = g + wd * p
        m = beta1 * m + (1 - beta1) * g
        v = 0.99 * v + 0.01 * g * g
        vh = np.maximum(maxes[i], v) if amsgrad else v
        p = p - 0.01 / (1 - beta1 ** t) * m / (np.sqrt(vh / (1 - 0.99 ** t)) + 1e-8)
        expect_p.append(p)
        expect_m.append(m)
        expect_v.append(v)
        expect_max += [vh] if amsgrad else []
    expect = expect_p + [g for g in grads] + expect_m + expect_v + expect_max
    tol = TOL["float64"] if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for got in out:
        for a, e in zip(got, expect):
            np.testing.assert_allclose(a, e, **tol)
    # the vectorised path agrees with the scalar loop to a rounding or two,
    # and neither depends on the number of threads
    for a, b in zip(out[0], out[1]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(out[2], out[3]):
        np.testing.assert_array_equal(a, b)
    eps = np.finfo(dtype).eps
    for a, b in zip(out[0], out[2]):
        np.testing.assert_allclose(a, b, rtol=4 * eps, atol=4 * eps)


def test_fused_adam_kernel_errors():
    a = dc.ones(4)._a
    args = lambda: [[a], [dc.ones(4)._a], [dc.zeros(4)._a], [dc.zeros(4)._a], [], [1]]  # noqa
    hyper = (1e-3, 0.9, 0.999, 1e-8, 0.0, False, False, False)
    step = dc._C.adam_step
    step(*args(), *hyper)
    x = args()
    x[1] = []
    with pytest.raises(ValueError, match="adam_step: got 1 params but 0 grads"):
        step(*x, *hyper)
    x = args()
    x[1] = [dc.ones(5)._a]
    with pytest.raises(dc.ShapeError, match=r"adam_step: grad 0 has shape \(5,\) but param 0 "
                                            r"has shape \(4,\)"):
        step(*x, *hyper)
    x = args()
    x[2] = [dc.zeros(4, dtype=dc.float64)._a]
    with pytest.raises(TypeError, match="adam_step: exp_avg 0 has dtype float64 but param 0 has "
                                        "dtype float32"):
        step(*x, *hyper)
    x = args()
    x[0] = [dc.ones(4, dtype=dc.int64)._a]
    with pytest.raises(TypeError, match="adam_step: param 0 has dtype int64"):
        step(*x, *hyper)
    x = args()
    x[3] = [dc.zeros(8)[::2]._a]  # 4 elements, stride 2
    with pytest.raises(ValueError, match="adam_step: exp_avg_sq 0 must be contiguous"):
        step(*x, *hyper)
    x = args()
    x[5] = [0]
    with pytest.raises(ValueError, match="adam_step: step count 0 is 0; expected >= 1"):
        step(*x, *hyper)
    x = args()
    with pytest.raises(ValueError, match="max_exp_avg_sqs \\(amsgrad=True\\)"):
        step(*x, 1e-3, 0.9, 0.999, 1e-8, 0.0, False, True, False)
    x = args()
    x[4] = [dc.zeros(4)._a]
    with pytest.raises(ValueError, match="max_exp_avg_sqs must be empty when amsgrad=False"):
        step(*x, *hyper)
    x = args()
    x[2] = [a]  # exp_avg is the param itself
    with pytest.raises(ValueError, match="param 0 and exp_avg 0 share memory|exp_avg 0 and "
                                         "param 0 share memory"):
        step(*x, *hyper)
    x = args()
    x[0], x[1], x[2], x[3], x[5] = [a, a], x[1] * 2, [dc.zeros(4)._a, dc.zeros(4)._a], \
        [dc.zeros(4)._a, dc.zeros(4)._a], [1, 1]
    with pytest.raises(ValueError, match="param 0 and param 1 share memory"):
        step(*x, *hyper)
    for bad, match in (((-1.0, 0.9, 0.999, 1e-8, 0.0), "invalid learning rate: -1"),
                       ((1e-3, 1.0, 0.999, 1e-8, 0.0), "invalid beta parameter at index 0: 1"),
                       ((1e-3, 0.9, math.nan, 1e-8, 0.0), "invalid beta parameter at index 1"),
                       ((1e-3, 0.9, 0.999, -1.0, 0.0), "invalid epsilon value: -1"),
                       ((1e-3, 0.9, 0.999, 1e-8, math.inf), "invalid weight_decay value: inf")):
        with pytest.raises(ValueError, match="adam_step: " + match):
            step(*args(), *bad, False, False, False)


def test_small_kernel_errors():
    a, b = dc.ones(3)._a, dc.ones(4)._a
    with pytest.raises(dc.ShapeError, match="optim_axpby_: operand has shape"):
        dc._C.optim_axpby_(a, 1.0, b, 1.0)
    with pytest.raises(TypeError, match="optim_addcmul_: operand has dtype float64"):
        dc._C.optim_addcmul_(a, 1.0, a, dc.ones(3, dtype=dc.float64)._a, 1.0)
    with pytest.raises(TypeError, match="optim_addcdiv_: expected a floating point tensor"):
        dc._C.optim_addcdiv_(dc.ones(3, dtype=dc.int64)._a, 1.0, a, a, 1.0)
    with pytest.raises(ValueError, match="optim_axpby_: the output must be contiguous"):
        dc._C.optim_axpby_(dc.ones(6)[::2]._a, 1.0, a, 1.0)


def test_axpby_with_zero_beta_does_not_read_x():
    out = dc.tensor([1.0, np.inf, -2.0])
    dc._C.optim_axpby_(out._a, 0.5, dc.tensor([np.inf, np.nan, 1.0])._a, 0.0)
    np.testing.assert_array_equal(out.numpy(), [0.5, np.inf, -1.0])


# ---------------------------------------------------------------- L1 penalty
def test_l1_penalty_value_and_gradient():
    rng = np.random.default_rng(4)
    xs = [rng.uniform(-2, 2, s) for s in ((3, 4), (5,), ())]
    ps = [dc.tensor(x, requires_grad=True) for x in xs]
    pen = optim.l1_penalty(ps, 0.3)
    assert pen.shape == () and pen.requires_grad
    np.testing.assert_allclose(pen.item(), 0.3 * sum(np.abs(x).sum() for x in xs), rtol=1e-12)
    pen.backward()
    for p, x in zip(ps, xs):
        np.testing.assert_allclose(p.grad.numpy(), 0.3 * np.sign(x))
    assert dc.autograd.gradcheck(lambda a, b: optim.l1_penalty([a, b], 0.7),
                                 (ps[0].detach().requires_grad_(), ps[1].detach().requires_grad_()))
    # a single tensor, float32, and no parameters at all
    p32 = dc.tensor([-1.0, 2.0], requires_grad=True)
    assert optim.l1_penalty(p32, 2.0).item() == 6.0 and optim.l1_penalty(p32, 2.0).dtype == \
        dc.float32
    assert optim.l1_penalty([], 1.0).item() == 0.0


def test_l1_penalty_with_an_optimizer_makes_weights_sparse():
    p = dc.tensor([0.05, -0.03, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        optim.l1_penalty([p], 1.0).backward()
        opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [0.02, 0.0, 1.97], atol=1e-12)


def test_l1_penalty_errors():
    with pytest.raises(ValueError, match="l1_penalty: lam must be >= 0, got -1"):
        optim.l1_penalty([dc.ones(1)], -1)
    with pytest.raises(TypeError, match="l1_penalty: lam must be a real number"):
        optim.l1_penalty([dc.ones(1)], "1")
    with pytest.raises(TypeError, match="parameter 1 is a list, not a Tensor"):
        optim.l1_penalty([dc.ones(1), [1.0]], 1.0)
    with pytest.raises(TypeError, match="parameter 0 has dtype deepcore.int64"):
        optim.l1_penalty([dc.ones(1, dtype=dc.int64)], 1.0)
    with pytest.raises(TypeError, match="parameter 1 has dtype deepcore.float64 but the earlier"):
        optim.l1_penalty([dc.ones(1), dc.ones(1, dtype=dc.float64)], 1.0)


def test_state_dict_survives_save_and_load(tmp_path):
    x0, a, b = problem(5)

    def make():
        params = [dc.tensor(x, requires_grad=True) for x in x0]
        return params, optim.Adam(params, lr=0.05, amsgrad=True, betas=(0.8, 0.99))

    def advance(params, opt, n):
        for _ in range(n):
            for p, ai, bi in zip(params, a, b):
                p.grad = dc.tensor(np.asarray(ai * p.detach().numpy() + bi))
            opt.step()

    p1, o1 = make()
    advance(p1, o1, 2)
    dc.save({"params": [p.detach() for p in p1], "optim": o1.state_dict()}, tmp_path / "ck.dc")
    ck = dc.load(tmp_path / "ck.dc")
    p2, o2 = make()
    with dc.no_grad():
        for dst, src in zip(p2, ck["params"]):
            dst.copy_(src)
    o2.load_state_dict(ck["optim"])
    assert o2.param_groups[0]["betas"] == (0.8, 0.99) and o2.state[p2[0]]["step"] == 2
    advance(p1, o1, 3)
    advance(p2, o2, 3)
    for u, v in zip(p1, p2):
        np.testing.assert_array_equal(u.detach().numpy(), v.detach().numpy())
