"""dc.data: datasets, batching and splitting (PyTorch's torch.utils.data, single process).

    ds = dc.data.TensorDataset(images, labels)
    train, val, test = dc.data.random_split(ds, [0.8, 0.1, 0.1], seed=0)
    for x, y in dc.data.DataLoader(train, batch_size=64, shuffle=True, seed=0):
        ...

Shuffling uses a numpy PCG64 generator owned by the loader, seeded with (seed, epoch):
the order of epoch e depends only on the seed and e, never on dc.manual_seed or on other
random draws. Without a seed, each epoch draws its seed from deepcore's global
generator, so dc.manual_seed still makes a run reproducible, as in PyTorch.
"""
import collections.abc
import math
import numbers
import operator

import numpy as np

from . import _C
from ._creation import randint, tensor
from ._dtype import from_numpy_dtype
from ._tensor import Tensor
from .ops.shape import stack

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split", "default_collate"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(i)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Sample i is ``tuple(t[i] for t in tensors)``; all tensors share their first dim."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, "
                                "expected a Tensor")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; each tensor "
                                 "needs a first dimension indexing the samples")
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise _C.ShapeError("TensorDataset: size mismatch between tensors: the first "
                                f"dimensions are {tuple(sizes)} (shapes "
                                f"{', '.join(str(t.shape) for t in tensors)})")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (in that order)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [operator.index(i) for i in
                        (indices.tolist() if isinstance(indices, (Tensor, np.ndarray))
                         else indices)]

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


def _check_seed(op, seed):
    if seed is not None and (not isinstance(seed, numbers.Integral) or isinstance(seed, bool)):
        raise TypeError(f"{op}: seed must be an int or None, got {seed!r}")
    return None if seed is None else int(seed) & ((1 << 64) - 1)


def _global_seed():
    """A 62-bit seed drawn from deepcore's global generator (follows dc.manual_seed)."""
    hi, lo = randint(0, 1 << 31, (2,)).tolist()
    return (hi << 31) | lo


def _permutation(n, seed, epoch=0):
    return np.random.default_rng([seed, epoch]).permutation(n)


def random_split(dataset, lengths, seed=None):
    """Splits ``dataset`` into non-overlapping Subsets of the given lengths (or fractions).

    Fractions summing to 1 become lengths floor(f * n), the remainder handed out one by
    one round-robin from the first subset, as PyTorch does. ``seed`` fixes the shuffle;
    without it the permutation is drawn from deepcore's global generator.
    """
    seed = _check_seed("random_split", seed)
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: expected at least one length")
    for x in lengths:
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"random_split: lengths must be ints or fractions, got {x!r}")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1 "
                                 f"(got {frac})")
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
    else:
        for x in lengths:
            if not isinstance(x, numbers.Integral):
                raise ValueError(f"random_split: lengths {lengths} are neither ints nor "
                                 "fractions that sum to 1")
            if x < 0:
                raise ValueError(f"random_split: lengths must be non-negative, got {lengths}")
        sizes = [int(x) for x in lengths]
        if sum(sizes) != n:
            raise ValueError(f"random_split: sum of input lengths ({sum(sizes)}) does not "
                             f"equal the length of the input dataset ({n})")
    perm = _permutation(n, _global_seed() if seed is None else seed).tolist()
    out, at = [], 0
    for size in sizes:
        out.append(Subset(dataset, perm[at:at + size]))
        at += size
    return out


def default_collate(batch):
    """Merges a list of samples into a batch, as PyTorch's default_collate: tensors and
    numpy arrays are stacked, numbers become a 1-D tensor (float64 for floats, int64 for
    ints, bool for bools), strings stay a list, and dicts, tuples and lists are collated
    field by field (tuples and lists come back as lists)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch)
    if isinstance(elem, np.ndarray):
        from_numpy_dtype(elem.dtype, "default_collate")  # rejects unsupported dtypes
        return stack([tensor(b) for b in batch])
    if isinstance(elem, (bool, np.bool_)):
        return tensor(batch, dtype="bool")
    if isinstance(elem, numbers.Integral):
        return tensor([int(b) for b in batch], dtype="int64")
    if isinstance(elem, numbers.Real):
        return tensor([float(b) for b in batch], dtype="float64")
    if isinstance(elem, str):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               f"equal size, got sizes {[len(b) for b in batch]}")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"strings, dicts or lists; found {type(elem).__name__}")


def _tensor_source(dataset, idx):
    """For a TensorDataset (possibly inside Subsets): its tensors and the sample indices
    ``idx`` mapped through the Subsets to its rows, so that a batch is one index op per
    tensor. None for any other dataset."""
    while type(dataset) is Subset:
        idx = np.asarray(dataset.indices, dtype=np.int64)[idx]
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset) and \
            type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset.tensors, idx
    return None


class DataLoader:
    """Iterates over ``dataset`` in batches.

    ``shuffle`` draws a new order each epoch (each ``iter(loader)``) from the loader's own
    generator seeded with ``seed`` (see the module docstring); ``drop_last`` drops the
    final short batch. Batches of a TensorDataset (or a Subset of one) are gathered with
    one index op per tensor and come as a list ``[x, y, ...]``; other datasets' samples
    are merged by ``collate_fn`` (``default_collate`` unless given).
    ``batch_size=None`` yields the samples one by one, uncollated.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 collate_fn=None):
        if batch_size is not None:
            if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
                raise TypeError(f"DataLoader: batch_size should be a positive integer, got "
                                f"{batch_size!r}")
            if batch_size <= 0:
                raise ValueError(f"DataLoader: batch_size should be a positive integer, got "
                                 f"{batch_size}")
            batch_size = int(batch_size)
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        try:
            len(dataset)
        except TypeError:
            raise TypeError(f"DataLoader: the dataset ({type(dataset).__name__}) must define "
                            "__len__ and __getitem__") from None
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = _check_seed("DataLoader", seed)
        self.collate_fn = collate_fn
        self.epoch = 0  # the number of epochs begun; the next iter() shuffles with it

    def set_epoch(self, epoch):
        """Makes the next iteration use the order of epoch ``epoch`` (to resume a run)."""
        self.epoch = operator.index(epoch)

    def __len__(self):
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n, dtype=np.int64)
        seed = _global_seed() if self.seed is None else self.seed
        return _permutation(n, seed, self.epoch)

    def __iter__(self):
        order = self._order()
        self.epoch += 1
        if self.batch_size is None:
            for i in order.tolist():
                sample = self.dataset[i]
                yield sample if self.collate_fn is None else self.collate_fn(sample)
            return
        n, bs = len(order), self.batch_size
        stop = n - n % bs if self.drop_last else n
        source = _tensor_source(self.dataset, order) if self.collate_fn is None else None
        for at in range(0, stop, bs):
            if source is not None:
                tensors, rows = source
                it = Tensor._make(_C.from_numpy(np.ascontiguousarray(rows[at:at + bs])))
                yield [t[it if t.device.type == "cpu" else it.to(t.device)] for t in tensors]
            else:
                collate = self.collate_fn or default_collate
                yield collate([self.dataset[i] for i in order[at:at + bs].tolist()])
