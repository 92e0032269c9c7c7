"""dc.nn modules: flatten."""

__all__ = []
