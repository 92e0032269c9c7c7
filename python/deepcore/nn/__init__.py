"""dc.nn: modules (layers, losses, containers), parameters, init and utils."""
from . import functional
