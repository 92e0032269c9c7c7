"""linalg ops: Functions (forward and backward side by side) and the public functions."""

__all__ = []
METHODS = {}
