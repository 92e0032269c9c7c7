"""Automatic differentiation: Function, the backward engine, grad modes, gradcheck."""
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck

__all__ = ["Function", "gradcheck", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled"]
