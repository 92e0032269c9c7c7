"""dc.data: TensorDataset, DataLoader (batching, shuffling, collation), Subset, random_split."""
from collections import namedtuple

import numpy as np
import pytest

import deepcore as dc
from deepcore.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, \
    random_split
from conftest import assert_close


def labelled(n, width=3):
    """A TensorDataset whose label i sits beside features [i, i + 0.5, ...]."""
    y = np.arange(n, dtype=np.int64)
    x = y[:, None] + 0.5 * np.arange(width)[None, :]
    return TensorDataset(dc.tensor(x), dc.tensor(y))


def epoch_labels(loader):
    return [yb.tolist() for _, yb in loader]


class Squares(Dataset):
    """A generic (non-tensor) dataset: sample i is (tensor, int, float, str)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return dc.full((2,), float(i)), i, i * 0.5, f"s{i}"


# ---------------------------------------------------------------- datasets

def test_tensor_dataset_items():
    ds = labelled(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert_close(x, [3.0, 3.5, 4.0])
    assert y.item() == 3
    x, y = ds[-1]
    assert y.item() == 4
    with pytest.raises(IndexError):
        ds[5]


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match="TensorDataset: size mismatch.*\\(4, 3\\)"):
        TensorDataset(dc.zeros(4, 2), dc.zeros(3))
    with pytest.raises(TypeError, match="argument 1 is a list"):
        TensorDataset(dc.zeros(3), [1, 2, 3])
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d tensor"):
        TensorDataset(dc.tensor(1.0))


def test_dataset_base_is_abstract():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_subset():
    ds = labelled(10)
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3
    assert sub[0][1].item() == 7 and sub[-1][1].item() == 5
    assert Subset(ds, dc.tensor([1, 4]))[1][1].item() == 4
    assert Subset(ds, np.array([9]))[0][1].item() == 9


# ---------------------------------------------------------------- loader

def test_sequential_batches_and_len():
    ds = labelled(10)
    loader = DataLoader(ds, batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [type(b) for b in batches] == [list] * 3
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert_close(batches[1][0], np.arange(4, 8)[:, None] + 0.5 * np.arange(3), dtype=dc.float64)
    assert batches[2][1].dtype == dc.int64
    # batches are copies: writing into one leaves the dataset alone
    batches[0][0][0, 0] = 100.0
    assert ds[0][0][0].item() == 0.0


def test_drop_last():
    loader = DataLoader(labelled(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert epoch_labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    loader = DataLoader(labelled(8), batch_size=4, drop_last=True)
    assert len(loader) == 2 and len(list(loader)) == 2
    loader = DataLoader(labelled(3), batch_size=4, drop_last=True)
    assert len(loader) == 0 and list(loader) == []
    assert len(DataLoader(labelled(3), batch_size=4)) == 1


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffle_sees_every_sample_once_per_epoch(drop_last):
    n, bs = 23, 5
    loader = DataLoader(labelled(n), batch_size=bs, shuffle=True, seed=3, drop_last=drop_last)
    orders = []
    for _ in range(3):
        batches = epoch_labels(loader)
        assert len(batches) == len(loader)
        assert all(len(b) == bs for b in batches[:-1])
        flat = [i for b in batches for i in b]
        if drop_last:
            assert len(flat) == 20 and len(set(flat)) == 20
        else:
            assert sorted(flat) == list(range(n))
        orders.append(flat)
    assert orders[0] != orders[1] and orders[1] != orders[2]  # a new order each epoch
    assert orders[0] != sorted(orders[0])


def test_shuffle_reproducible_and_independent_of_global_seed():
    def run(seed, global_seed):
        dc.manual_seed(global_seed)
        loader = DataLoader(labelled(50), batch_size=8, shuffle=True, seed=seed)
        dc.rand(7)  # other random draws do not change the loader's order
        return [epoch_labels(loader) for _ in range(3)]

    a = run(0, 1)
    assert run(0, 2) == a
    assert run(1, 1) != a
    # the order of epoch e depends only on (seed, e): set_epoch resumes a run
    loader = DataLoader(labelled(50), batch_size=8, shuffle=True, seed=0)
    loader.set_epoch(2)
    assert epoch_labels(loader) == a[2]
    assert loader.epoch == 3


def test_shuffle_without_seed_follows_manual_seed():
    def run(global_seed):
        dc.manual_seed(global_seed)
        loader = DataLoader(labelled(40), batch_size=8, shuffle=True)
        return [epoch_labels(loader) for _ in range(2)]

    a = run(5)
    assert a[0] != a[1]
    assert run(5) == a
    assert run(6) != a


def test_no_shuffle_has_fixed_order():
    loader = DataLoader(labelled(7), batch_size=3)
    assert epoch_labels(loader) == epoch_labels(loader) == [[0, 1, 2], [3, 4, 5], [6]]


def test_subset_batches_take_the_fast_path_with_right_values():
    ds = labelled(30)
    sub = Subset(Subset(ds, list(range(29, -1, -1))), [0, 5, 10, 15, 20, 25, 29])
    got = list(DataLoader(sub, batch_size=3))
    assert [b[1].tolist() for b in got] == [[29, 24, 19], [14, 9, 4], [0]]
    assert_close(got[0][0], np.array([29, 24, 19])[:, None] + 0.5 * np.arange(3))


def test_tensor_dataset_subclass_with_own_getitem_is_respected():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    x, y = next(iter(DataLoader(Doubled(dc.ones(4, 2), dc.arange(4)), batch_size=4)))
    assert_close(x, np.full((4, 2), 2.0, np.float32))
    assert y.tolist() == [0, 1, 2, 3]


def test_generic_dataset_collation():
    loader = DataLoader(Squares(5), batch_size=3)
    assert len(loader) == 2
    t, ints, floats, strs = next(iter(loader))
    assert_close(t, np.repeat(np.arange(3.0), 2).reshape(3, 2).astype(np.float32))
    assert_close(ints, [0, 1, 2], dtype=dc.int64)
    assert_close(floats, [0.0, 0.5, 1.0], dtype=dc.float64)
    assert strs == ["s0", "s1", "s2"]
    last = list(loader)[-1]
    assert last[1].tolist() == [3, 4]


def test_default_collate_structures():
    batch = [{"x": dc.tensor([float(i), 1.0]), "meta": {"id": i, "ok": i % 2 == 0},
              "pair": (i, [i, -i])} for i in range(3)]
    out = default_collate(batch)
    assert set(out) == {"x", "meta", "pair"}
    assert_close(out["x"], [[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    assert_close(out["meta"]["id"], [0, 1, 2], dtype=dc.int64)
    assert_close(out["meta"]["ok"], [True, False, True], dtype=dc.bool)
    assert out["pair"][0].tolist() == [0, 1, 2]
    assert [t.tolist() for t in out["pair"][1]] == [[0, 1, 2], [0, -1, -2]]
    arrays = default_collate([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    assert_close(arrays, [[1.0, 2.0], [3.0, 4.0]], dtype=dc.float64)
    assert default_collate([np.int64(4), np.int64(5)]).dtype == dc.int64
    Point = namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3] and p.y.dtype == dc.float64


def test_default_collate_errors():
    with pytest.raises(TypeError, match="default_collate: .*found set"):
        default_collate([{1}, {2}])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(ValueError, match="stack: expects each tensor to be equal size"):
        default_collate([dc.zeros(2), dc.zeros(3)])
    with pytest.raises(TypeError, match="numpy dtype complex128 is not supported"):
        default_collate([np.zeros(2, complex)])


def test_custom_collate_fn_and_unbatched():
    loader = DataLoader(labelled(5), batch_size=2, collate_fn=lambda b: [int(y) for _, y in b])
    assert list(loader) == [[0, 1], [2, 3], [4]]
    loader = DataLoader(labelled(3), batch_size=None)
    assert len(loader) == 3
    samples = list(loader)
    assert [y.item() for _, y in samples] == [0, 1, 2] and samples[0][0].shape == (3,)


def test_loader_errors():
    ds = labelled(4)
    for bad in (0, -2):
        with pytest.raises(ValueError, match=f"DataLoader: batch_size should be a positive "
                                             f"integer, got {bad}"):
            DataLoader(ds, batch_size=bad)
    for bad in (2.0, "2", True):
        with pytest.raises(TypeError, match="batch_size should be a positive integer"):
            DataLoader(ds, batch_size=bad)
    with pytest.raises(TypeError, match="seed must be an int"):
        DataLoader(ds, shuffle=True, seed=1.5)
    with pytest.raises(TypeError, match="collate_fn must be callable"):
        DataLoader(ds, collate_fn=3)
    with pytest.raises(TypeError, match="must define __len__"):
        DataLoader(object())


def test_empty_dataset():
    ds = TensorDataset(dc.zeros(0, 3), dc.zeros(0, dtype=dc.int64))
    loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    assert len(loader) == 0 and list(loader) == []


# ---------------------------------------------------------------- random_split

def test_random_split_lengths():
    ds = labelled(10)
    a, b = random_split(ds, [7, 3], seed=0)
    assert (len(a), len(b)) == (7, 3)
    got = sorted(a.indices + b.indices)
    assert got == list(range(10))
    assert [y.item() for _, y in (a[i] for i in range(7))] == a.indices
    a2, b2 = random_split(ds, [7, 3], seed=0)
    assert a2.indices == a.indices and b2.indices == b.indices
    assert random_split(ds, [7, 3], seed=1)[0].indices != a.indices
    assert a.indices != sorted(a.indices)


def test_random_split_fractions_like_pytorch():
    ds = labelled(10)
    # floor(10 * f) = [3, 3, 3], the remainder 1 goes to the first subset
    assert [len(s) for s in random_split(ds, [1 / 3, 1 / 3, 1 / 3], seed=0)] == [4, 3, 3]
    assert [len(s) for s in random_split(labelled(11), [0.5, 0.25, 0.25], seed=0)] == [6, 3, 2]
    assert [len(s) for s in random_split(labelled(5000), [0.8, 0.1, 0.1], seed=0)] == \
        [4000, 500, 500]
    train, val, test = random_split(labelled(100), [0.8, 0.1, 0.1], seed=0)  # one line
    assert sorted(train.indices + val.indices + test.indices) == list(range(100))


def test_random_split_matches_pytorch_sizes():
    torch = pytest.importorskip("torch")
    for n, fr in [(10, [1 / 3] * 3), (11, [0.5, 0.25, 0.25]), (7, [0.6, 0.4]), (13, [0.1] * 10)]:
        want = [len(s) for s in torch.utils.data.random_split(range(n), fr)]
        assert [len(s) for s in random_split(labelled(n), fr, seed=0)] == want


def test_random_split_without_seed_follows_manual_seed():
    dc.manual_seed(0)
    a = random_split(labelled(20), [10, 10])[0].indices
    dc.manual_seed(0)
    assert random_split(labelled(20), [10, 10])[0].indices == a


def test_random_split_errors():
    ds = labelled(10)
    with pytest.raises(ValueError, match=r"sum of input lengths \(9\) does not equal the "
                                         r"length of the input dataset \(10\)"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(ds, [11, -1])
    with pytest.raises(ValueError, match="neither ints nor fractions"):
        random_split(ds, [0.5, 0.2])
    with pytest.raises(ValueError, match=r"fraction at index 0 is not between 0 and 1 "
                                         r"\(got 1.5\)"):
        random_split(ds, [1.5, -0.5])
    with pytest.raises(TypeError, match="lengths must be ints or fractions"):
        random_split(ds, ["a"])
    with pytest.raises(ValueError, match="at least one length"):
        random_split(ds, [])
    with pytest.raises(TypeError, match="seed must be an int"):
        random_split(ds, [5, 5], seed="x")


def test_training_loop_shape():
    """The whole pipeline a training script uses, end to end."""
    x = dc.randn(64, 1, 4, 4)
    y = dc.randint(0, 3, (64,))
    train, val = random_split(TensorDataset(x, y), [0.75, 0.25], seed=0)
    seen = []
    for xb, yb in DataLoader(train, batch_size=16, shuffle=True, seed=0):
        assert xb.shape == (16, 1, 4, 4) and yb.shape == (16,)
        seen += yb.tolist()
    assert sorted(seen) == sorted(y.numpy()[train.indices].tolist())
