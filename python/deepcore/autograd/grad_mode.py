"""Whether operations record the graph: dc.no_grad, dc.enable_grad, set_grad_enabled."""
import functools
import threading


class _State(threading.local):
    def __init__(self):  # runs once in each thread that reads it: on by default
        self.enabled = True


# Per thread, as PyTorch's: no_grad() in one thread (a data-loading or
# evaluation thread) does not switch recording off in another.
state = _State()


def is_grad_enabled():
    return state.enabled


class _GradMode:
    _mode = True

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._mode
        return self

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Context manager and decorator: no graph is recorded inside."""
    _mode = False


class enable_grad(_GradMode):
    """Context manager and decorator: graph recording on inside."""
    _mode = True


class set_grad_enabled(_GradMode):
    """``with set_grad_enabled(False): ...``; also switches the mode when called plainly."""

    def __init__(self, mode):
        self._mode = bool(mode)
        self._prev = state.enabled
        state.enabled = self._mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        state.enabled = self._prev
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
