"""`torch.backends.mps` for PyTorch programs that probe for Apple GPUs: minigrad runs on
NumPy or CuPy only, so MPS is never available."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
