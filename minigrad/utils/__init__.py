"""`minigrad.utils`, as `torch.utils`: `minigrad.utils.data` holds Dataset and DataLoader."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
