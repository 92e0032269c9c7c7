"""Containers: Sequential (a chain) and ModuleList (an indexable list)."""
import operator
from collections import OrderedDict

from .activation import ReLU
from .conv import Conv2d
from .module import Module

__all__ = ["Sequential", "ModuleList"]


def _index(n, idx, kind):
    i = operator.index(idx)
    if not -n <= i < n:
        raise IndexError(f"{kind}: index {idx} is out of range for {n} modules")
    return i % n if n else i


def _plain(module, cls):
    """module is exactly a cls whose forward nobody replaced (so fusing it
    with its neighbour cannot skip user code)."""
    return type(module) is cls and "forward" not in module.__dict__


class Sequential(Module):
    """Sequential(m1, m2, ...) or Sequential(OrderedDict(name=m)): forward chains them."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        modules = list(self._modules.values())
        i = 0
        while i < len(modules):
            module = modules[i]
            # A Conv2d then a ReLU run as one fused op: the same result, with
            # the relu done on each output tile while it is in cache.
            if (i + 1 < len(modules) and _plain(module, Conv2d)
                    and _plain(modules[i + 1], ReLU)):
                input = module._forward_relu(input)
                i += 2
                continue
            input = module(input)
            i += 1
        return input

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(len(self), idx, "Sequential")]

    def __setitem__(self, idx, module):
        key = list(self._modules)[_index(len(self), idx, "Sequential")]
        self.add_module(key, module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else [keys[_index(len(self), idx, "Sequential")]]):
            del self._modules[key]

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (forward is yours to write)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(_index(len(self), idx, "ModuleList"))]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(len(self), idx, "ModuleList")), module)

    def __delitem__(self, idx):
        modules = list(self._modules.values())
        del modules[idx if isinstance(idx, slice) else _index(len(self), idx, "ModuleList")]
        self._modules.clear()
        self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        self.extend(modules)

    def forward(self, *args):
        raise NotImplementedError("ModuleList has no forward(); iterate over it in yours")
