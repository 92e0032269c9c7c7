"""dc.nn modules: container."""

__all__ = []
