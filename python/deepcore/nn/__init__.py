"""dc.nn: modules (layers, losses, containers), parameters, init and utils."""
from . import functional, init, utils
from .modules import *  # noqa: F401,F403
from .parameter import Parameter
