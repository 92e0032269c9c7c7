"""GPU optimisers and batch norm against the same code on the CPU: optimiser
trajectories (every optimiser, float32 and float64), the multi-tensor fused
Adam over many odd-sized tensors in one step, mixed-device errors, state
dicts on the GPU; BatchNorm1d/2d train/eval forward, running statistics and
backward. Skipped without a GPU."""
import numpy as np
import pytest

import deepcore as dc
import deepcore.nn.functional as F
from deepcore import _C, optim
from conftest import needs_gpu

pytestmark = needs_gpu

NP = {"float32": np.float32, "float64": np.float64}
# GPU and CPU make the same roundings except for FMA contraction and
# summation order: a few ulps per step.
TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-13)}

OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, betas=(0.3, 0.9), amsgrad=True)),
    ("Adamax", dict(lr=0.01, weight_decay=0.01)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.01)),
]
SIZES = [(1,), (3,), (7, 5), (1000003,), (33, 17)]


def host(t):
    return t.detach().cpu().numpy()


def trajectory(name, hp, device, dtype, sizes=SIZES, steps=6, seed=0):
    """Parameters and state after `steps` steps with fixed random gradients."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(NP[dtype]) for s in sizes]
    grads = [[rng.standard_normal(s).astype(NP[dtype]) for s in sizes] for _ in range(steps)]
    ps = [dc.nn.Parameter(dc.tensor(a, device=device)) for a in init]
    opt = getattr(optim, name)(ps, **hp)
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = dc.tensor(g, device=device)
        opt.step()
    state = [{k: (host(v) if isinstance(v, dc.Tensor) else v) for k, v in opt.state[p].items()}
             for p in ps]
    return [host(p) for p in ps], state, ps, opt


@pytest.mark.parametrize("name,hp", OPTIMIZERS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_trajectory_matches_cpu(name, hp, dtype):
    cpu_p, cpu_s, _, _ = trajectory(name, hp, "cpu", dtype)
    gpu_p, gpu_s, ps, opt = trajectory(name, hp, "cuda", dtype)
    for a, b in zip(gpu_p, cpu_p):
        np.testing.assert_allclose(a, b, **TOL[dtype])
    for sg, sc in zip(gpu_s, cpu_s):
        assert sg.keys() == sc.keys()
        for k in sg:
            if isinstance(sc[k], np.ndarray):
                np.testing.assert_allclose(sg[k], sc[k], **TOL[dtype])
            else:
                assert sg[k] == sc[k]
    # State lives on the parameter's device.
    for p in ps:
        for v in opt.state[p].values():
            if isinstance(v, dc.Tensor):
                assert v.device == p.device


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("decoupled", [False, True])
def test_fused_adam_many_odd_tensors_in_one_step(amsgrad, decoupled):
    # Sizes around the kernel's 16384-element chunks and 16-byte vectors,
    # float32 and float64 tensors in one group (a launch per dtype).
    sizes = [1, 3, 1000003, 16383, 16384, 16385, 5, 4, 2 * 16384 + 1, 100]
    rng = np.random.default_rng(1)
    dtypes = [np.float32 if i % 3 else np.float64 for i in range(len(sizes))]
    init = [rng.standard_normal(s).astype(d) for s, d in zip(sizes, dtypes)]
    grads = [[rng.standard_normal(s).astype(d) for s, d in zip(sizes, dtypes)] for _ in range(5)]
    out = {}
    for device in ("cpu", "cuda"):
        ps = [dc.nn.Parameter(dc.tensor(a, device=device)) for a in init]
        opt = optim.Adam(ps, lr=0.01, weight_decay=0.05, amsgrad=amsgrad,
                         decoupled_weight_decay=decoupled)
        for gs in grads:
            for p, g in zip(ps, gs):
                p.grad = dc.tensor(g, device=device)
            opt.step()
        out[device] = [host(p) for p in ps]
    for a, b in zip(out["cuda"], out["cpu"]):
        np.testing.assert_allclose(a, b, **TOL["float32" if a.dtype == np.float32 else "float64"])


def test_fused_adam_native_call_on_unaligned_views():
    # Arrays starting at an odd element offset take the scalar path.
    rng = np.random.default_rng(2)
    base = rng.standard_normal(1001).astype(np.float32)
    res = {}
    for device in ("cpu", "cuda"):
        arrs = [dc.tensor(base, device=device)[1:]._a for _ in range(4)]
        for a in arrs[2:]:
            _C.fill_(a, 0.0)
        _C.adam_step([arrs[0]], [arrs[1]], [arrs[2]], [arrs[3]], [], [1], 0.01, 0.9, 0.999,
                     1e-8, 0.0, False, False, False)
        res[device] = [np.asarray(dc.Tensor._make(a).cpu().numpy()) for a in arrs]
    for a, b in zip(res["cuda"], res["cpu"]):
        np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_fused_adam_vector_path_equals_its_scalar_reference(dtype, amsgrad):
    # reference=True on the GPU: the same kernel with the 16-byte path off.
    sizes = [70001, 16384, 1, 9, 33000]
    rng = np.random.default_rng(7)
    base = [rng.standard_normal(s + 1).astype(NP[dtype]) for s in sizes]
    out = []
    for reference in (False, True):
        arrs = []
        for k in range(5 if amsgrad else 4):
            # the last tensor is an unaligned view (scalar path in both)
            ts = [dc.tensor(b[:-1] if k < 2 else np.zeros(len(b) - 1, NP[dtype]) + 0.5,
                            device="cuda") for b in base[:-1]]
            ts.append(dc.tensor(base[-1] if k < 2 else np.full(len(base[-1]), 0.5, NP[dtype]),
                                device="cuda")[1:])
            arrs.append([t._a for t in ts])
        _C.adam_step(arrs[0], arrs[1], arrs[2], arrs[3], arrs[4] if amsgrad else [],
                     [1, 3, 7, 2, 5], 0.01, 0.9, 0.99, 1e-8, 0.1, False, amsgrad, False,
                     reference=reference)
        out.append([host(dc.Tensor._make(a)) for lst in arrs for a in lst])
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


def test_adam_step_with_empty_tensors_and_no_tensors():
    p = dc.nn.Parameter(dc.zeros(0, device="cuda"))
    q = dc.nn.Parameter(dc.ones(3, device="cuda"))
    p.grad, q.grad = dc.zeros(0, device="cuda"), dc.ones(3, device="cuda")
    optim.Adam([p, q], lr=0.1).step()
    np.testing.assert_allclose(host(q), 0.9, rtol=1e-6)
    _C.adam_step([], [], [], [], [], [], 0.01, 0.9, 0.999, 1e-8, 0.0, False, False, False)


def test_mixed_device_parameters_raise():
    a = dc.nn.Parameter(dc.ones(3))
    b = dc.nn.Parameter(dc.ones(3, device="cuda"))
    a.grad, b.grad = dc.ones(3), dc.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match=r"cuda:0.*cpu|cpu.*cuda:0"):
        optim.Adam([a, b]).step()
    # The native op names the devices too.
    g = dc.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        _C.adam_step([a._a], [g._a], [dc.zeros(3)._a], [dc.zeros(3)._a], [], [1], 0.01, 0.9,
                     0.999, 1e-8, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        _C.optim_axpby_(b._a, 1.0, dc.ones(3)._a, 1.0)
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        _C.optim_addcdiv_(b._a, 1.0, dc.ones(3)._a, g._a, 1.0)
    # A gradient on another device than its parameter.
    c = dc.nn.Parameter(dc.ones(3, device="cuda"))
    c.grad = dc.ones(3)
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        optim.SGD([c], lr=0.1).step()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_small_fused_kernels_match_cpu(dtype):
    rng = np.random.default_rng(3)
    o, x, y = (rng.uniform(0.5, 2.0, 1001).astype(NP[dtype]) for _ in range(3))
    for fn, args in ((_C.optim_axpby_, (0.9, "x", 0.1)), (_C.optim_axpby_, (0.5, "x", 0.0)),
                     (_C.optim_addcmul_, (0.9, "x", "y", 0.1)),
                     (_C.optim_addcdiv_, (1.0, "x", "y", -0.01))):
        res = {}
        for device in ("cpu", "cuda"):
            arrs = {"x": dc.tensor(x, device=device)._a, "y": dc.tensor(y, device=device)._a}
            out = dc.tensor(o, device=device)
            fn(out._a, *[arrs.get(a, a) if isinstance(a, str) else a for a in args])
            res[device] = host(out)
        np.testing.assert_allclose(res["cuda"], res["cpu"], **TOL[dtype])


@pytest.mark.parametrize("name,hp", [("Adam", dict(lr=0.01, amsgrad=True)),
                                     ("SGD", dict(lr=0.1, momentum=0.9)),
                                     ("NAdam", dict(lr=0.01)), ("Adagrad", dict(lr=0.1))])
def test_state_dict_round_trip_on_gpu(name, hp):
    _, _, ps, opt = trajectory(name, hp, "cuda", "float32", sizes=[(4, 3), (5,)], steps=3)
    sd = opt.state_dict()
    # Loaded into an optimiser over GPU parameters: state stays on the GPU.
    ps2 = [dc.nn.Parameter(p.detach().clone()) for p in ps]
    opt2 = getattr(optim, name)(ps2, **hp)
    opt2.load_state_dict(sd)
    for p in ps2:
        for v in opt2.state[p].values():
            if isinstance(v, dc.Tensor):
                assert v.device == p.device
    # Loaded from a CPU copy (as dc.load with map_location="cpu" gives):
    # state lands on the parameter's device, as PyTorch casts it.
    cpu_sd = {"state": {k: {n: (v.cpu() if isinstance(v, dc.Tensor) else v)
                            for n, v in s.items()} for k, s in sd["state"].items()},
              "param_groups": sd["param_groups"]}
    ps3 = [dc.nn.Parameter(p.detach().clone()) for p in ps]
    opt3 = getattr(optim, name)(ps3, **hp)
    opt3.load_state_dict(cpu_sd)
    # And a CPU optimiser loading the GPU state gets CPU state.
    ps4 = [dc.nn.Parameter(p.detach().cpu().clone()) for p in ps]
    opt4 = getattr(optim, name)(ps4, **hp)
    opt4.load_state_dict(sd)
    rng = np.random.default_rng(5)
    for group in (ps, ps2, ps3, ps4):
        for p in group:
            p.grad = None
    grads = [rng.standard_normal(p.shape).astype(np.float32) for p in ps]
    for o, group in ((opt, ps), (opt2, ps2), (opt3, ps3), (opt4, ps4)):
        for p, g in zip(group, grads):
            p.grad = dc.tensor(g, device=p.device)
            for v in o.state[p].values():
                if isinstance(v, dc.Tensor):
                    assert v.device == p.device
        o.step()
    for group in (ps2, ps3, ps4):
        for a, b in zip(group, ps):
            np.testing.assert_allclose(host(a), host(b), rtol=2e-5, atol=2e-6)


def test_lr_scheduler_and_l1_penalty_on_gpu():
    p = dc.nn.Parameter(dc.tensor([1.0, -2.0, 0.0], device="cuda"))
    opt = optim.SGD([p], lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    pen = optim.l1_penalty([p], 0.5)
    assert pen.device == p.device
    pen.backward()
    opt.step()
    sched.step()
    np.testing.assert_allclose(host(p), [0.95, -1.95, 0.0], rtol=1e-6)
    assert opt.param_groups[0]["lr"] == 0.05


# ------------------------------------------------------------------ batch norm
# Covering the kernels' layouts: runs of L < 32 (column sums, (N, C) too),
# L >= 32 one block per channel, and few channels with many rows (split rows).
BN_SHAPES = [(8, 3), (4, 3, 5), (2, 3, 4, 4), (64, 5, 40), (300, 7), (2, 600, 3), (3, 2, 1),
             (16, 4, 33, 9), (64, 2, 40, 40)]


def bn_run(device, shape, dtype, affine, training, momentum=0.1, seed=0):
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = (rng.standard_normal(shape) * 3 + 5).astype(NP[dtype])
    gy = rng.standard_normal(shape).astype(NP[dtype])
    mod = (dc.nn.BatchNorm1d if len(shape) <= 3 else dc.nn.BatchNorm2d)(
        C, affine=affine, momentum=momentum, dtype=dc.float32 if dtype == "float32" else
        dc.float64, device=device)
    if affine:
        with dc.no_grad():
            mod.weight.copy_(dc.tensor(rng.uniform(0.5, 2, C).astype(NP[dtype]), device=device))
            mod.bias.copy_(dc.tensor(rng.uniform(-1, 1, C).astype(NP[dtype]), device=device))
    with dc.no_grad():
        mod.running_mean.copy_(dc.tensor(rng.uniform(-1, 1, C).astype(NP[dtype]), device=device))
        mod.running_var.copy_(dc.tensor(rng.uniform(0.5, 2, C).astype(NP[dtype]), device=device))
    mod.train(training)
    xt = dc.tensor(x, device=device, requires_grad=True)
    y = None
    for _ in range(2):  # two steps: the running statistics update twice
        y = mod(xt)
    (y * dc.tensor(gy, device=device)).sum().backward()
    out = {"y": host(y), "gx": host(xt.grad), "rm": host(mod.running_mean),
           "rv": host(mod.running_var), "nbt": int(mod.num_batches_tracked.item())}
    if affine:
        out["gw"], out["gb"] = host(mod.weight.grad), host(mod.bias.grad)
    return out


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_cpu(shape, dtype, affine, training):
    gpu = bn_run("cuda", shape, dtype, affine, training)
    cpu = bn_run("cpu", shape, dtype, affine, training)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    assert gpu.keys() == cpu.keys()
    for k in gpu:
        np.testing.assert_allclose(gpu[k], cpu[k], err_msg=k, **tol)


def test_batch_norm_cumulative_momentum_and_noncontiguous_input():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 4, 5)).astype(np.float32)
    res = {}
    for device in ("cpu", "cuda"):
        m = dc.nn.BatchNorm1d(4, momentum=None, device=device)
        xt = dc.tensor(np.ascontiguousarray(x.transpose(0, 2, 1)), device=device).transpose(1, 2)
        for _ in range(3):
            y = m(xt)
        res[device] = host(y), host(m.running_mean), host(m.running_var)
    for a, b in zip(res["cuda"], res["cpu"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_batch_norm_functional_strided_running_stats_and_empty_batch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 3, 4)).astype(np.float64)
    res = {}
    for device in ("cpu", "cuda"):
        stats = dc.tensor(np.stack([np.zeros(3), np.ones(3)], axis=1), device=device)  # (3, 2)
        rm, rv = stats[:, 0], stats[:, 1]  # stride-2 views, updated in place
        y = F.batch_norm(dc.tensor(x, device=device), rm, rv, training=True)
        e = F.batch_norm(dc.zeros(0, 3, 4, dtype=dc.float64, device=device), rm, rv,
                         training=False)
        assert e.shape == (0, 3, 4) and e.device.type == device
        res[device] = host(y), host(stats)
    for a, b in zip(res["cuda"], res["cpu"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_batch_norm_mixed_devices_raise():
    x = dc.ones(4, 3, device="cuda")
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        F.batch_norm(x, dc.zeros(3), dc.ones(3), training=True)
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        F.batch_norm(x, None, None, weight=dc.ones(3), training=True)
