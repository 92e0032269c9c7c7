"""The Python layer on the GPU: default device, module.to, init, gradcheck,
clipping, checkpoints and a whole training step, each compared with the CPU."""
import io

import numpy as np
import pytest

import deepcore as dc
from conftest import needs_gpu


def test_default_device_round_trip():
    before = dc.get_default_device()
    try:
        dc.set_default_device("cpu")
        assert dc.zeros(2).device == dc.device("cpu")
        assert dc.get_default_device() == dc.device("cpu")
        dc.set_default_device(None)
        assert dc.get_default_device() == dc.device("cpu")
        with pytest.raises(ValueError, match="device"):
            dc.set_default_device("tpu")
    finally:
        dc.set_default_device(before)


@pytest.mark.skipif(dc.cuda.is_available(), reason="checks the no-GPU behaviour")
def test_default_device_cuda_without_gpu_raises_on_creation():
    before = dc.get_default_device()
    try:
        dc.set_default_device("cuda")
        with pytest.raises(RuntimeError, match="(?i)cuda"):
            dc.zeros(3)
    finally:
        dc.set_default_device(before)


def _mlp(seed):
    dc.manual_seed(seed)
    return dc.nn.Sequential(dc.nn.Linear(6, 8), dc.nn.ReLU(), dc.nn.Linear(8, 3))


@needs_gpu
def test_tensor_keeps_device_of_tensor_data():
    t = dc.ones(3, device="cuda")
    assert dc.tensor(t).device.type == "cuda"
    assert dc.tensor(t, requires_grad=True).device.type == "cuda"
    assert dc.tensor(t, device="cpu").device.type == "cpu"
    assert t.tolist() == [1.0, 1.0, 1.0]


@needs_gpu
def test_backward_seed_on_other_device_raises():
    x = dc.ones(3, device="cuda", requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="cuda:0.*cpu|cpu.*cuda:0"):
        y.backward(dc.ones(3, device="cpu"))
    y.backward([1.0, 1.0, 1.0])  # a list becomes a gradient on y's device
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [2.0, 2.0, 2.0])


@needs_gpu
@pytest.mark.parametrize("init", ["uniform_", "normal_", "xavier_uniform_", "kaiming_normal_",
                                  "orthogonal_", "eye_"])
def test_init_same_values_on_both_devices(init):
    fn = getattr(dc.nn.init, init)
    a, b = dc.empty(5, 7), dc.empty(5, 7, device="cuda")
    dc.manual_seed(3)
    fn(a)
    dc.manual_seed(3)
    fn(b)
    assert b.device.type == "cuda"
    np.testing.assert_allclose(b.cpu().numpy(), a.numpy(), rtol=1e-6, atol=1e-7)


@needs_gpu
def test_gradcheck_runs_on_gpu():
    x = dc.tensor(np.random.default_rng(0).normal(size=(3, 4)), device="cuda",
                  requires_grad=True)
    assert dc.autograd.gradcheck(lambda t: (t * t).sum(dim=1), (x,))


@needs_gpu
def test_clip_grad_norm_on_gpu_matches_cpu():
    for dev in ("cpu", "cuda"):
        ps = [dc.ones(3, device=dev, requires_grad=True), dc.ones(2, 2, device=dev,
                                                                 requires_grad=True)]
        for p in ps:
            p.grad = dc.full(p.shape, 3.0, device=dev)
        total = dc.nn.utils.clip_grad_norm_(ps, 1.0)
        assert total.device.type == dev
        assert total.item() == pytest.approx(3.0 * np.sqrt(7))
        assert ps[0].grad.cpu().numpy()[0] == pytest.approx(1 / np.sqrt(7), rel=1e-5)


@needs_gpu
def test_training_step_matches_cpu_and_checkpoint_round_trips():
    x = np.random.default_rng(1).normal(size=(16, 6)).astype(np.float32)
    y = np.random.default_rng(2).integers(0, 3, size=16)
    results = {}
    for dev in ("cpu", "cuda"):
        model = _mlp(0).to(dev)
        assert all(p.device.type == dev for p in model.parameters())
        opt = dc.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(3):
            opt.zero_grad()
            loss = dc.nn.functional.cross_entropy(model(dc.tensor(x, device=dev)),
                                                  dc.tensor(y, device=dev))
            loss.backward()
            opt.step()
        results[dev] = [p.detach().cpu().numpy() for p in model.parameters()]
        buf = io.BytesIO()
        dc.save({"model": model.state_dict(), "opt": opt.state_dict()}, buf)
        buf.seek(0)
        state = dc.load(buf)
        assert all(t.device.type == dev for t in state["model"].values())
    for a, b in zip(results["cpu"], results["cuda"]):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


@needs_gpu
def test_dlpack_round_trip_with_torch_on_gpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("this torch build has no CUDA")
    a = dc.arange(0, 6, dtype=dc.float32, device="cuda") * 2
    t = torch.from_dlpack(a)
    assert t.device.type == "cuda"
    np.testing.assert_array_equal(t.cpu().numpy(), [0, 2, 4, 6, 8, 10])
    back = dc.from_dlpack(torch.arange(4, device="cuda", dtype=torch.float32) + 1)
    assert back.device.type == "cuda"
    np.testing.assert_array_equal(back.cpu().numpy(), [1, 2, 3, 4])
