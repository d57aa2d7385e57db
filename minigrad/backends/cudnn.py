"""`torch.backends.cudnn` for PyTorch programs (`cudnn.benchmark = True`). minigrad's
convolutions are im2col matrix products on NumPy/CuPy, not cuDNN calls, so the flags can be
set and read but select nothing, and results are the same either way."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: minigrad never calls cuDNN."""
    return False


def version() -> None:
    """None, as PyTorch reports without cuDNN."""
    return None
