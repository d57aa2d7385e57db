"""Neural-network building blocks."""

from .module import Module, Parameter

__all__ = ["Module", "Parameter"]
