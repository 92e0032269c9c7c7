"""The shipped type stubs of deepcore._C list every native function.

Regenerate after adding a binding:
    pip install pybind11-stubgen && pybind11-stubgen deepcore._C -o /tmp/stubs &&
    cp /tmp/stubs/deepcore/_C.pyi python/deepcore/_C.pyi
"""
import ast
import os

import deepcore
from deepcore import _C


def test_stub_covers_native_module():
    path = os.path.join(os.path.dirname(deepcore.__file__), "_C.pyi")
    assert os.path.exists(path), "python/deepcore/_C.pyi is not installed"
    assert os.path.exists(os.path.join(os.path.dirname(deepcore.__file__), "py.typed"))
    tree = ast.parse(open(path).read())
    stubbed = {node.name for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    native = {name for name in dir(_C) if not name.startswith("__")
              and callable(getattr(_C, name))}
    missing = sorted(native - stubbed - {"ShapeError"})
    assert not missing, f"regenerate python/deepcore/_C.pyi (missing: {missing})"
